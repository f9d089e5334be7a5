//! Deno: `deno.json`/`deno.jsonc` (`tasks.start`, import map) or an entry file that uses `Deno.serve`;
//! frameworks Oak, Fresh and Hono; default port 8000.

use serde_json::Value;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::{self, PortSource};
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

const ENTRIES: &[&str] = &[
    "main.ts",
    "server.ts",
    "mod.ts",
    "app.ts",
    "main.tsx",
    "main.js",
    "src/main.ts",
    "src/server.ts",
    "index.ts",
    "src/index.ts",
    "src/mod.ts",
    "src/app.ts",
];

/// Marker in an import specifier → framework.
const FRAMEWORKS: &[(&str, &str)] = &[
    ("$fresh", "fresh"),
    ("/fresh@", "fresh"),
    ("@fresh/", "fresh"),
    ("oak", "oak"),
    ("hono", "hono"),
];

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let config = ["deno.json", "deno.jsonc"]
        .into_iter()
        .find(|c| folder.has(c));
    let mut manifest: Option<Value> = None;
    if let Some(c) = config
        && let Some(text) = lang::read_or_diag(folder, c, diags)
    {
        match serde_json::from_str::<Value>(&lang::strip_jsonc(&text)) {
            Ok(v) => manifest = Some(v),
            Err(e) => diags.push(lang::diag(folder, c, lang::json_error(c, &e))),
        }
    }
    // Without a config, Deno code never sits beside another language's manifest (and the entry
    // files are not probed there: most folders with a `src/` are other languages').
    if manifest.is_none() && lang::has_other_manifest(folder, &[]) {
        return None;
    }
    // Entry files that are Deno code.
    let mut entries: Vec<(String, String)> = Vec::new();
    // `src/` is listed once instead of probing each entry name in it.
    let src_files = if folder.has_dir("src") {
        lang::list_dir(folder, "src").0
    } else {
        Vec::new()
    };
    let present = |e: &str| match e.strip_prefix("src/") {
        Some(name) => src_files.iter().any(|f| f == name),
        None => folder.has(e),
    };
    for e in ENTRIES.iter().filter(|e| present(e)) {
        if let Some(t) = folder.read_opt(e)
            && (manifest.is_some() || is_deno_code(&t))
        {
            entries.push((e.to_string(), t));
        }
    }
    if manifest.is_none() && entries.is_empty() {
        return None;
    }
    // `src/` of a Deno program: the folder above runs `src/index.ts`.
    let last = folder.rel.rsplit('/').next().unwrap_or("");
    if manifest.is_none() && folder.rel != "." && matches!(last, "src" | "lib") {
        return None;
    }

    let mut f = lang::new_finding(
        folder,
        ServiceType::Deno,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    if let (Some(c), Some(_)) = (config, &manifest) {
        f.indicator(c);
    } else if let Some((e, _)) = entries.first() {
        f.indicator(e);
    }
    f.tech("deno");

    let mut specifiers = String::new();
    if let Some(imports) = manifest
        .as_ref()
        .and_then(|m| m.get("imports"))
        .and_then(Value::as_object)
    {
        for (k, v) in imports {
            specifiers.push_str(k);
            specifiers.push('\n');
            specifiers.push_str(v.as_str().unwrap_or_default());
            specifiers.push('\n');
        }
    }
    for (_, t) in &entries {
        for line in t.lines().filter(|l| l.trim_start().starts_with("import")) {
            specifiers.push_str(line);
            specifiers.push('\n');
        }
    }
    let framework = FRAMEWORKS
        .iter()
        .find(|(m, _)| specifiers.contains(m))
        .map(|(_, n)| *n);
    if let Some(fw) = framework {
        f.tech(fw);
        f.rank = Rank::Framework;
    }

    for (e, _) in &entries {
        lang::scan_entry(folder, e, &mut f);
    }
    let start_task = manifest
        .as_ref()
        .and_then(|m| m.pointer("/tasks/start"))
        .and_then(Value::as_str);
    if let Some(task) = start_task {
        f.start_command = Some("deno task start".into());
        if let Some(p) = ports::from_command(task) {
            lang::add_port(&mut f, p, PortSource::RuntimeConfig);
        }
    } else if let Some((e, _)) = entries.first() {
        f.start_command = Some(format!("deno run -A {e}"));
    }
    if f.start_command.is_some() {
        lang::add_port(&mut f, 8000, PortSource::FrameworkDefault);
    } else {
        // A deno.json for a library or tooling is not a service.
        f.helper_only = true;
    }
    lang::finish(&mut f, framework.is_some());
    Some(f)
}

fn is_deno_code(t: &str) -> bool {
    t.contains("Deno.serve")
        || t.contains("Deno.listen")
        || t.contains("https://deno.land/")
        || t.contains("from \"jsr:")
        || t.contains("from 'jsr:")
        || t.contains("from \"npm:")
        || t.contains("from 'npm:")
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
    fn oak_fixture() {
        let (f, d) = run(analyze, &fixture("deno/oak"));
        let f = f.unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.technologies, vec!["deno", "oak"]);
        assert_eq!(f.rank, Rank::Framework);
        assert_eq!(f.start_command.as_deref(), Some("deno task start"));
        assert_eq!(port(&f), Some(8085));
        assert_eq!(f.health_path.as_deref(), Some("/health"));
        assert_eq!(f.code_hosts, vec!["kv"]);
        assert!((f.confidence - 0.9).abs() < 1e-9);
    }

    #[test]
    fn fresh_and_hono() {
        let cfg = r#"{"tasks":{"start":"deno run -A main.ts"},"imports":{"$fresh/":"https://deno.land/x/fresh@1.6.8/"}}"#;
        let (f, _) = one(&[
            ("deno.json", cfg),
            ("main.ts", "import { start } from \"$fresh/server.ts\";\n"),
        ]);
        assert_eq!(f.unwrap().technologies, vec!["deno", "fresh"]);
        let main = "import { Hono } from \"jsr:@hono/hono\";\nconst app = new Hono();\nDeno.serve({ port: 8787 }, app.fetch);\n";
        let (f, _) = one(&[("main.ts", main)]);
        let f = f.unwrap();
        assert_eq!(f.technologies, vec!["deno", "hono"]);
        assert_eq!(port(&f), Some(8787));
    }

    #[test]
    fn port_precedence_and_plain_entry() {
        let cfg = r#"{ "tasks": { "start": "deno run -A main.ts --port 9001" } }"#;
        let main = "Deno.serve({ port: 9000 }, () => new Response('hi'));\n";
        let (f, _) = one(&[("deno.json", cfg), ("main.ts", main)]);
        assert_eq!(port(&f.unwrap()), Some(9001));
        let (f, _) = one(&[("main.ts", main)]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(9000));
        assert_eq!(f.start_command.as_deref(), Some("deno run -A main.ts"));
        assert_eq!(f.technologies, vec!["deno"]);
        let (f, _) = one(&[("server.ts", "Deno.serve(() => new Response('x'));\n")]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(8000));
        assert!((f.confidence - 0.8).abs() < 1e-9);
    }

    #[test]
    fn deno_code_without_a_config_in_src() {
        let (f, _) = one(&[(
            "src/index.ts",
            "import * as o from \"https://deno.land/x/cowsay/mod.ts\";\nconsole.log(o.say({ text: 'hi' }));\n",
        )]);
        let f = f.unwrap();
        assert_eq!(f.start_command.as_deref(), Some("deno run -A src/index.ts"));
        assert_eq!(f.indicators, vec!["src/index.ts"]);
        let (f, _) = one(&[("main.ts", "import { Hono } from 'npm:hono';\n")]);
        assert!(f.is_some());
        // The `src` folder itself is the program's, not a second one.
        let (dir, _) = temp(&[(
            "index.ts",
            "import * as o from \"https://deno.land/x/y/mod.ts\";\n",
        )]);
        let src = super::super::lang::testutil::folder_of(dir.path(), "app/src");
        assert!(run(analyze, &src).0.is_none());
    }

    #[test]
    fn plain_typescript_is_not_deno_and_library_is_helper() {
        assert!(one(&[("main.ts", "console.log(1)\n")]).0.is_none());
        let (f, _) = one(&[("deno.jsonc", "{ // lib\n \"name\": \"@x/y\", }\n")]);
        assert!(f.unwrap().helper_only);
    }

    #[test]
    fn malformed_deno_json_is_a_diagnostic() {
        let (f, d) = one(&[("deno.json", "{\n \"tasks\": {\n  \"start\" \"x\"\n }\n}")]);
        assert!(f.is_none());
        assert_eq!(d[0].path, "svc/deno.json");
        assert!(d[0].message.contains("invalid JSON"), "{}", d[0].message);
        assert!(d[0].message.contains("line 3"), "{}", d[0].message);
    }
}
