//! Go: `go.mod` (module path, required frameworks) or a `main.go`; the main package at the root or under
//! `cmd/<name>/`; port literals in the main package; `go.work` roots that only aggregate modules.

use std::sync::LazyLock;

use regex::Regex;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::PortSource;
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

/// Module path prefix → framework.
const FRAMEWORKS: &[(&str, &str)] = &[
    ("github.com/gin-gonic/gin", "gin"),
    ("github.com/labstack/echo", "echo"),
    ("github.com/gofiber/fiber", "fiber"),
    ("github.com/go-chi/chi", "chi"),
    ("github.com/gorilla/mux", "gorilla-mux"),
    ("github.com/julienschmidt/httprouter", "httprouter"),
    ("google.golang.org/grpc", "grpc"),
];

static PORT_VAR: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?i)\bport\s*:?=\s*"(\d{2,5})""#).ok());

/// At most this many `.go` files of the main package are scanned for evidence.
const SCAN_CAP: usize = 24;

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let has_mod = folder.has("go.mod");
    let has_work = folder.has("go.work");
    if !has_mod && !has_work && !folder.has("main.go") {
        return None;
    }
    let mut module: Option<String> = None;
    let mut requires: Vec<String> = Vec::new();
    if has_mod {
        let text = lang::read_or_diag(folder, "go.mod", diags)?;
        match parse_go_mod(&text) {
            Ok((m, r)) => {
                module = Some(m);
                requires = r;
            }
            Err(msg) => {
                diags.push(lang::diag(folder, "go.mod", format!("go.mod: {msg}")));
                return None;
            }
        }
    }

    let mut f = lang::new_finding(
        folder,
        ServiceType::Golang,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    for ind in ["go.mod", "go.work", "main.go"] {
        if folder.has(ind) {
            f.indicator(ind);
        }
    }
    f.tech("go");
    let mut framework = false;
    for (prefix, name) in FRAMEWORKS {
        if requires.iter().any(|r| r.starts_with(prefix)) {
            f.tech(name);
            framework = true;
        }
    }
    if framework {
        f.rank = Rank::Framework;
    }
    if f.technologies.iter().any(|t| t == "gin") {
        f.env.insert("GIN_MODE".into(), "release".into());
    }

    // The main package: root `.go` files with `package main`, else `cmd/<name>/`.
    let root_main: Vec<String> = folder
        .files
        .iter()
        .filter(|n| n.ends_with(".go") && !n.ends_with("_test.go"))
        .take(SCAN_CAP)
        .filter(|n| folder.read_opt(n).is_some_and(|t| is_main_package(&t)))
        .cloned()
        .collect();
    let mut binary: Option<String> = None;
    let mut main_files: Vec<String> = Vec::new();
    if !root_main.is_empty() {
        binary = Some(
            module
                .as_deref()
                .and_then(binary_name)
                .unwrap_or_else(|| folder.name()),
        );
        main_files = root_main;
    } else if folder.has_dir("cmd") {
        let (_, cmds) = lang::list_dir(folder, "cmd");
        for name in cmds {
            let path = format!("cmd/{name}/main.go");
            if folder.read_opt(&path).is_some_and(|t| is_main_package(&t)) {
                binary = Some(name);
                main_files = vec![path];
                break;
            }
        }
    }
    for file in &main_files {
        if let Some(text) = lang::scan_entry(folder, file, &mut f) {
            // `port = "8081"` / `port := "8081"` (the usual `os.Getenv("PORT")` fallback).
            if let Some(re) = PORT_VAR.as_ref() {
                for c in re.captures_iter(&text) {
                    if let Some(p) = c.get(1).and_then(|m| super::ports::parse_port(m.as_str())) {
                        lang::add_port(&mut f, p, PortSource::CodeLiteral);
                    }
                }
            }
        }
    }

    // `cmd/<name>/` of a module: the module root (which has go.mod) builds and claims it.
    let under_cmd = !has_mod && {
        let parts: Vec<&str> = folder.rel.split('/').collect();
        parts.len() >= 2 && parts[parts.len() - 2] == "cmd"
    };
    match &binary {
        Some(_) if under_cmd => f.helper_only = true,
        Some(b) => {
            f.start_command = Some(format!("./{b}"));
            lang::add_port(&mut f, 8080, PortSource::FrameworkDefault);
        }
        None if has_work => f.aggregator = true,
        None => f.helper_only = true,
    }

    lang::finish(&mut f, framework);
    Some(f)
}

/// The binary `go build` names after a module path: its last element, skipping a major-version
/// suffix (`github.com/acme/api/v2` → `api`).
fn binary_name(module: &str) -> Option<String> {
    let mut parts = module.rsplit('/').filter(|p| !p.is_empty());
    let last = parts.next()?;
    let is_major =
        last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    if is_major {
        parts.next().map(str::to_string)
    } else {
        Some(last.to_string())
    }
}

fn is_main_package(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("package "))
        .is_some_and(|l| l.split_whitespace().nth(1) == Some("main"))
}

/// The module path and the required module paths of a `go.mod`.
fn parse_go_mod(text: &str) -> Result<(String, Vec<String>), String> {
    let mut module = None;
    let mut requires = Vec::new();
    let mut in_require = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if in_require {
            if line == ")" {
                in_require = false;
            } else if let Some(p) = line.split_whitespace().next() {
                requires.push(p.to_string());
            }
            continue;
        }
        let mut words = line.split_whitespace();
        match words.next() {
            Some("module") => match words.next() {
                Some(m) => module = Some(m.trim_matches('"').to_string()),
                None => return Err(format!("line {}: `module` without a path", i + 1)),
            },
            Some("require") => match words.next() {
                Some("(") => in_require = true,
                Some(p) => requires.push(p.to_string()),
                None => return Err(format!("line {}: `require` without a module", i + 1)),
            },
            _ => {}
        }
    }
    if in_require {
        return Err("unterminated `require (` block".to_string());
    }
    module
        .map(|m| (m, requires))
        .ok_or_else(|| "no `module` directive".to_string())
}

#[cfg(test)]
mod tests {
    use super::super::lang::testutil::{fixture, port, run, temp};
    use super::*;

    fn one(files: &[(&str, &str)]) -> (Option<Finding>, Vec<Diagnostic>) {
        let (_d, f) = temp(files);
        run(analyze, &f)
    }

    #[test]
    fn gin_fixture() {
        let (f, d) = run(analyze, &fixture("go/gin"));
        let f = f.unwrap();
        assert!(d.is_empty());
        assert_eq!(f.technologies, vec!["go", "gin"]);
        assert_eq!(f.rank, Rank::Framework);
        assert_eq!(f.start_command.as_deref(), Some("./catalog"));
        assert_eq!(port(&f), Some(8081));
        assert_eq!(f.code_hosts, vec!["search"]);
        assert_eq!(f.health_path.as_deref(), Some("/healthz"));
        assert!((f.confidence - 0.9).abs() < 1e-9);
    }

    #[test]
    fn every_framework_module() {
        for (module, tech) in [
            ("github.com/gin-gonic/gin v1.10.0", "gin"),
            ("github.com/labstack/echo/v4 v4.12.0", "echo"),
            ("github.com/gofiber/fiber/v2 v2.52.4", "fiber"),
            ("github.com/go-chi/chi/v5 v5.0.12", "chi"),
            ("github.com/gorilla/mux v1.8.1", "gorilla-mux"),
        ] {
            let gomod = format!("module example.com/svc\n\nrequire {module}\n");
            let (f, _) = one(&[("go.mod", &gomod), ("main.go", "package main\n")]);
            let f = f.unwrap();
            assert_eq!(f.technologies, vec!["go", tech], "{module}");
            assert_eq!(f.start_command.as_deref(), Some("./svc"));
        }
    }

    #[test]
    fn plain_fixture_with_cmd_layout() {
        let (f, d) = run(analyze, &fixture("go/plain"));
        let f = f.unwrap();
        assert!(d.is_empty());
        assert_eq!(f.technologies, vec!["go"]);
        assert_eq!(f.rank, Rank::Language);
        assert_eq!(f.start_command.as_deref(), Some("./notifier"));
        assert_eq!(port(&f), Some(9090));
    }

    #[test]
    fn port_default_and_main_go_alone() {
        let (dir, folder) = temp(&[("main.go", "package main\nfunc main() { serve() }\n")]);
        let (f, _) = run(analyze, &folder);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(8080));
        let name = dir
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(f.start_command, Some(format!("./{name}")));
        assert!((f.confidence - 0.8).abs() < 1e-9);
    }

    #[test]
    fn library_module_is_a_helper_and_work_root_an_aggregator() {
        let (f, _) = one(&[
            ("go.mod", "module example.com/lib\n\ngo 1.22\n"),
            ("lib.go", "package lib\n"),
        ]);
        let f = f.unwrap();
        assert!(f.helper_only);
        assert!(f.start_command.is_none());
        let (f, _) = one(&[("go.work", "go 1.22\n\nuse (\n\t./api\n\t./worker\n)\n")]);
        assert!(f.unwrap().aggregator);
    }

    #[test]
    fn binary_names() {
        assert_eq!(
            binary_name("github.com/acme/api/v2").as_deref(),
            Some("api")
        );
        assert_eq!(binary_name("example.com/tool").as_deref(), Some("tool"));
        assert_eq!(binary_name("v2").as_deref(), None);
        assert_eq!(binary_name("shop").as_deref(), Some("shop"));
    }

    #[test]
    fn cmd_folder_is_claimed_by_the_module_root() {
        let fx = fixture("go/plain");
        let cmd = super::super::lang::testutil::folder_of(
            &fx.abs.join("cmd/notifier"),
            "go/plain/cmd/notifier",
        );
        let (f, _) = run(analyze, &cmd);
        assert!(f.unwrap().helper_only);
    }

    #[test]
    fn malformed_go_mod_is_a_diagnostic() {
        let (f, d) = one(&[("go.mod", "go 1.22\nrequire (\n github.com/x/y v1\n")]);
        assert!(f.is_none());
        assert_eq!(d[0].path, "svc/go.mod");
        assert!(d[0].message.contains("require"), "{}", d[0].message);
    }
}
