//! Node.js: `package.json` (start script, `main`, or a server entry file), the package manager from the
//! lockfile, frameworks from dependencies, ports from the start script, entry code and defaults, and
//! npm/pnpm/yarn workspace roots.

use serde_json::Value;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::PortSource;
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

/// Server entry files, in the order they are tried when there is no start script or `main`.
const SERVER_ENTRIES: &[&str] = &[
    "server.js",
    "server.mjs",
    "index.js",
    "index.mjs",
    "app.js",
    "main.js",
    "src/server.js",
    "src/index.js",
    "src/main.js",
    "src/app.js",
    "server.ts",
    "index.ts",
    "src/main.ts",
    "src/server.ts",
    "src/index.ts",
];

/// Dependency name (exact, or prefix when it ends with `/`) → framework, strongest first.
const FRAMEWORKS: &[(&str, &str)] = &[
    ("next", "next"),
    ("nuxt", "nuxt"),
    ("@nestjs/core", "nestjs"),
    ("@remix-run/", "remix"),
    ("@sveltejs/kit", "sveltekit"),
    ("astro", "astro"),
    ("express", "express"),
    ("fastify", "fastify"),
    ("koa", "koa"),
    ("@hapi/hapi", "hapi"),
    ("hapi", "hapi"),
    ("vite", "vite"),
];

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    if !folder.has("package.json") {
        return None;
    }
    let text = lang::read_or_diag(folder, "package.json", diags)?;
    let pkg = lang::parse_json(folder, "package.json", &text, diags)?;
    if !pkg.is_object() {
        diags.push(lang::diag(
            folder,
            "package.json",
            "package.json: expected a JSON object at the top level".to_string(),
        ));
        return None;
    }

    let mut f = lang::new_finding(
        folder,
        ServiceType::Nodejs,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    f.indicator("package.json");
    f.tech("node");
    f.env.insert("NODE_ENV".into(), "production".into());

    // Frameworks.
    let deps = dependency_names(&pkg);
    let mut frameworks: Vec<&str> = Vec::new();
    for (dep, name) in FRAMEWORKS {
        let hit = if dep.ends_with('/') {
            deps.iter().any(|d| d.starts_with(dep))
        } else {
            deps.iter().any(|d| d == dep)
        };
        if hit && !frameworks.contains(name) {
            frameworks.push(name);
        }
    }
    if frameworks.len() > 1 {
        // Vite is the build tool of the other frameworks, a framework only on its own.
        frameworks.retain(|fw| *fw != "vite");
    }
    for fw in &frameworks {
        f.tech(fw);
    }
    let framework = !frameworks.is_empty();
    if framework {
        f.rank = Rank::Framework;
    }

    let pm = package_manager(folder, &pkg);
    let start_script = pkg
        .pointer("/scripts/start")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let main = pkg
        .get("main")
        .and_then(Value::as_str)
        .map(|m| m.trim_start_matches("./"))
        .filter(|m| !m.is_empty() && !m.contains(".."));

    // Entry files to scan: those named by the start script, `main`, then the usual server entries.
    let mut entries: Vec<String> = Vec::new();
    if let Some(s) = start_script {
        for tok in s.split_whitespace() {
            let tok = tok.trim_start_matches("./");
            if is_js_file(tok) && !tok.contains("..") && !entries.iter().any(|e| e == tok) {
                entries.push(tok.to_string());
            }
        }
    }
    if let Some(m) = main
        && !entries.iter().any(|e| e == m)
    {
        entries.push(m.to_string());
    }
    let server_entry = SERVER_ENTRIES
        .iter()
        .find(|e| folder.read_opt(e).is_some())
        .map(|e| e.to_string());
    if let Some(e) = &server_entry
        && !entries.contains(e)
    {
        entries.push(e.clone());
    }
    for e in &entries {
        lang::scan_entry(folder, e, &mut f);
    }

    // Start command and runtime-config port.
    if let Some(s) = start_script {
        f.start_command = Some(run_script(pm, "start"));
        if let Some(p) = super::ports::from_command(s) {
            lang::add_port(&mut f, p, PortSource::RuntimeConfig);
        }
    } else if let Some(m) = main.filter(|m| folder.read_opt(m).is_some()) {
        f.start_command = Some(node_command(m));
    } else if let Some(e) = &server_entry {
        f.start_command = Some(node_command(e));
    } else if let Some(cmd) = framework_start(&frameworks) {
        f.start_command = Some(cmd.to_string());
    }

    // Framework default port.
    let uses_vite_only = frameworks.first() == Some(&"vite");
    let default = if uses_vite_only {
        if start_script.is_some_and(|s| s.contains("preview")) {
            4173
        } else {
            5173
        }
    } else {
        3000
    };
    lang::add_port(&mut f, default, PortSource::FrameworkDefault);

    // Workspace roots and helpers.
    let workspace_root = pkg.get("workspaces").is_some_and(|w| {
        w.as_array().is_some_and(|a| !a.is_empty())
            || w.get("packages")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
    }) || folder.has("pnpm-workspace.yaml")
        || folder.has("lerna.json");
    let runs_itself = start_script.is_some() || server_entry.is_some();
    if workspace_root {
        f.indicator(if folder.has("pnpm-workspace.yaml") {
            "pnpm-workspace.yaml"
        } else if folder.has("lerna.json") {
            "lerna.json"
        } else {
            "package.json"
        });
        if !runs_itself {
            f.aggregator = true;
            f.start_command = None;
            f.ports.clear();
        }
    }
    if f.start_command.is_none() && !f.aggregator {
        f.helper_only = true;
    }
    if lang::has_other_manifest(folder, &["package.json"]) {
        // Beside another language's manifest, package.json only builds assets.
        f.helper_only = true;
    }

    lang::finish(&mut f, framework);
    Some(f)
}

fn is_js_file(s: &str) -> bool {
    [".js", ".mjs", ".cjs", ".ts", ".mts"]
        .iter()
        .any(|x| s.ends_with(x))
}

/// `node <file>`, or `npx tsx <file>` for TypeScript.
fn node_command(file: &str) -> String {
    if file.ends_with(".ts") || file.ends_with(".mts") {
        format!("npx tsx {file}")
    } else {
        format!("node {file}")
    }
}

/// The command a framework runs with when the package has no start script.
fn framework_start(frameworks: &[&str]) -> Option<&'static str> {
    match *frameworks.first()? {
        "next" => Some("npx next start"),
        "nuxt" => Some("node .output/server/index.mjs"),
        "remix" => Some("npx remix-serve build/index.js"),
        "vite" => Some("npx vite preview --host 0.0.0.0"),
        _ => None,
    }
}

/// `npm start`, `pnpm start`, `yarn start`, `bun run start`.
fn run_script(pm: &str, script: &str) -> String {
    match (pm, script) {
        ("npm", "start") => "npm start".to_string(),
        ("npm", s) => format!("npm run {s}"),
        ("bun", s) => format!("bun run {s}"),
        (pm, s) => format!("{pm} {s}"),
    }
}

/// The package manager from the `packageManager` field, else the lockfile, else npm.
fn package_manager(folder: &Folder, pkg: &Value) -> &'static str {
    if let Some(pm) = pkg.get("packageManager").and_then(Value::as_str) {
        for name in ["pnpm", "yarn", "bun", "npm"] {
            if pm.starts_with(name) {
                return name;
            }
        }
    }
    if folder.has("pnpm-lock.yaml") {
        "pnpm"
    } else if folder.has("yarn.lock") {
        "yarn"
    } else if folder.has("bun.lockb") || folder.has("bun.lock") {
        "bun"
    } else {
        "npm"
    }
}

fn dependency_names(pkg: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["dependencies", "devDependencies", "peerDependencies"] {
        if let Some(obj) = pkg.get(key).and_then(Value::as_object) {
            out.extend(obj.keys().cloned());
        }
    }
    out
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
    fn no_package_json_is_no_signal() {
        assert!(one(&[("index.js", "x")]).0.is_none());
    }

    #[test]
    fn express_fixture() {
        let (f, d) = run(analyze, &fixture("node/express"));
        let f = f.unwrap();
        assert!(d.is_empty());
        assert_eq!(f.kind, ServiceType::Nodejs);
        assert_eq!(f.rank, Rank::Framework);
        assert_eq!(f.technologies, vec!["node", "express"]);
        assert_eq!(f.start_command.as_deref(), Some("npm start"));
        assert_eq!(port(&f), Some(4000));
        assert_eq!(f.code_hosts, vec!["auth", "cache"]);
        assert_eq!(f.health_path.as_deref(), Some("/health"));
        assert_eq!(
            f.env.get("NODE_ENV").map(String::as_str),
            Some("production")
        );
        assert!(
            f.env_evidence
                .contains(&("AUTH_URL".to_string(), "http://auth:8081".to_string()))
        );
        assert!((f.confidence - 0.9).abs() < 1e-9);
        assert!(!f.helper_only && !f.aggregator);
    }

    #[test]
    fn framework_fixtures() {
        for (case, tech, start, p) in [
            ("node/next", "next", "npm start", 3000),
            ("node/nestjs", "nestjs", "npm start", 3001),
            ("node/fastify", "fastify", "yarn start", 8080),
            ("node/vite", "vite", "pnpm start", 4173),
            ("node/nuxt", "nuxt", "node .output/server/index.mjs", 3000),
            ("node/remix", "remix", "npm start", 3000),
        ] {
            let (f, d) = run(analyze, &fixture(case));
            let f = f.unwrap();
            assert!(d.is_empty(), "{case}: {d:?}");
            assert_eq!(f.technologies, vec!["node", tech], "{case}");
            assert_eq!(f.start_command.as_deref(), Some(start), "{case}");
            assert_eq!(port(&f), Some(p), "{case}");
            assert_eq!(f.rank, Rank::Framework, "{case}");
        }
    }

    #[test]
    fn every_framework_dependency() {
        for (dep, tech) in [
            ("next", "next"),
            ("nuxt", "nuxt"),
            ("@nestjs/core", "nestjs"),
            ("@remix-run/node", "remix"),
            ("@sveltejs/kit", "sveltekit"),
            ("astro", "astro"),
            ("express", "express"),
            ("fastify", "fastify"),
            ("koa", "koa"),
            ("@hapi/hapi", "hapi"),
            ("vite", "vite"),
        ] {
            let pkg =
                format!(r#"{{"scripts":{{"start":"node s.js"}},"dependencies":{{"{dep}":"1"}}}}"#);
            let (f, _) = one(&[("package.json", &pkg)]);
            let f = f.unwrap();
            assert_eq!(f.technologies, vec!["node", tech], "{dep}");
            assert_eq!(f.rank, Rank::Framework, "{dep}");
        }
    }

    #[test]
    fn workspace_root_fixture_is_an_aggregator() {
        let (f, _) = run(analyze, &fixture("node/workspace-root"));
        let f = f.unwrap();
        assert!(f.aggregator);
        assert!(f.start_command.is_none());
        assert!(f.ports.is_empty());
    }

    #[test]
    fn port_precedence_script_then_code_then_default() {
        let pkg =
            r#"{"scripts":{"start":"PORT=5000 node server.js"},"dependencies":{"express":"4"}}"#;
        let (f, _) = one(&[("package.json", pkg), ("server.js", "app.listen(4000)")]);
        assert_eq!(port(&f.unwrap()), Some(5000));
        let pkg = r#"{"scripts":{"start":"node server.js"}}"#;
        let (f, _) = one(&[("package.json", pkg), ("server.js", "app.listen(4000)")]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(4000));
        assert_eq!(f.rank, Rank::Language);
        assert!((f.confidence - 0.85).abs() < 1e-9);
        let (f, _) = one(&[("package.json", pkg), ("server.js", "serve()")]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(3000));
        assert!((f.confidence - 0.8).abs() < 1e-9);
    }

    #[test]
    fn start_from_main_or_entry_else_helper() {
        let (f, _) = one(&[
            ("package.json", r#"{"main":"lib/run.js"}"#),
            ("lib/run.js", ""),
        ]);
        assert_eq!(f.unwrap().start_command.as_deref(), Some("node lib/run.js"));
        let (f, _) = one(&[("package.json", "{}"), ("src/index.js", "")]);
        assert_eq!(
            f.unwrap().start_command.as_deref(),
            Some("node src/index.js")
        );
        let (f, _) = one(&[("package.json", "{}"), ("src/main.ts", "")]);
        assert_eq!(
            f.unwrap().start_command.as_deref(),
            Some("npx tsx src/main.ts")
        );
        let (f, _) = one(&[("package.json", r#"{"scripts":{"build":"tsc"}}"#)]);
        let f = f.unwrap();
        assert!(f.helper_only);
        assert!(f.start_command.is_none());
    }

    #[test]
    fn package_manager_from_field_and_lockfiles() {
        let s = r#"{"scripts":{"start":"node ."}}"#;
        let (f, _) = one(&[("package.json", s), ("bun.lockb", "")]);
        assert_eq!(f.unwrap().start_command.as_deref(), Some("bun run start"));
        let s = r#"{"packageManager":"pnpm@9.1.0","scripts":{"start":"node ."}}"#;
        let (f, _) = one(&[("package.json", s), ("yarn.lock", "")]);
        assert_eq!(f.unwrap().start_command.as_deref(), Some("pnpm start"));
    }

    #[test]
    fn beside_another_manifest_it_is_a_helper() {
        let s = r#"{"scripts":{"start":"vite"},"devDependencies":{"vite":"5"}}"#;
        let (f, _) = one(&[("package.json", s), ("requirements.txt", "flask\n")]);
        let f = f.unwrap();
        assert!(f.helper_only);
        assert_eq!(port(&f), Some(5173));
    }

    #[test]
    fn workspaces_object_form_with_own_start_is_a_service() {
        let s = r#"{"workspaces":{"packages":["a/*"]},"scripts":{"start":"node srv.js"}}"#;
        let (f, _) = one(&[("package.json", s)]);
        let f = f.unwrap();
        assert!(!f.aggregator);
        assert_eq!(f.start_command.as_deref(), Some("npm start"));
    }

    #[test]
    fn malformed_package_json_is_a_diagnostic() {
        let (f, d) = one(&[("package.json", "{\n  \"name\": \"x\",\n  \"main\" \"a\"\n}")]);
        assert!(f.is_none());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "svc/package.json");
        assert!(d[0].message.contains("invalid JSON"), "{}", d[0].message);
        assert!(d[0].message.contains("line 3"), "{}", d[0].message);
        let (f, d) = one(&[("package.json", "[1,2]")]);
        assert!(f.is_none());
        assert!(d[0].message.contains("JSON object"));
    }

    #[test]
    fn binary_package_json_is_a_diagnostic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), [0u8, 1, 2]).unwrap();
        let f = super::super::lang::testutil::folder_of(dir.path(), ".");
        let (r, d) = run(analyze, &f);
        assert!(r.is_none());
        assert_eq!(d[0].path, "package.json");
        assert!(d[0].message.contains("not UTF-8"));
    }
}
