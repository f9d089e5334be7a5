//! Node.js: `package.json` (or pnpm's `package.json5`) with a start script or a server entry file,
//! the package manager from the lockfile, frameworks from dependencies, ports from the start script,
//! entry code and defaults; npm/pnpm/yarn workspace roots; libraries (only `main`/`exports`/`types`,
//! an entry that only exports code) and mobile apps, which are not services; frontends that build to
//! static files ([`frontend`]), which are `static`; Nx projects ([`nx`]).

mod entry;
mod frontend;
mod nx;

use serde_json::Value;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::PortSource;
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};
use entry::Entry;
use frontend::Shape;

/// Server entry files, in the order they are tried when there is no start script.
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
    "main.ts",
    "app.ts",
    "src/main.ts",
    "src/server.ts",
    "src/index.ts",
    "src/app.ts",
];

/// Dependency name (exact, or prefix when it ends with `/`) → framework, strongest first.
const FRAMEWORKS: &[(&str, &str)] = &[
    ("next", "next"),
    ("nuxt", "nuxt"),
    ("@nestjs/core", "nestjs"),
    ("@remix-run/", "remix"),
    ("@react-router/dev", "react-router"),
    ("@tanstack/react-start", "tanstack-start"),
    ("@tanstack/solid-start", "tanstack-start"),
    ("@sveltejs/kit", "sveltekit"),
    ("astro", "astro"),
    ("@angular/core", "angular"),
    ("expo", "expo"),
    ("react-native", "react-native"),
    ("react-scripts", "create-react-app"),
    ("gatsby", "gatsby"),
    ("@docusaurus/core", "docusaurus"),
    ("express", "express"),
    ("fastify", "fastify"),
    ("koa", "koa"),
    ("@hapi/hapi", "hapi"),
    ("hapi", "hapi"),
    ("hono", "hono"),
    ("vite", "vite"),
];

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let manifest = if folder.has("package.json") {
        "package.json"
    } else if folder.has("package.json5") {
        "package.json5"
    } else if folder.has("project.json") && !folder.has("nx.json") {
        return nx::analyze(folder, diags);
    } else {
        return None;
    };
    let text = lang::read_or_diag(folder, manifest, diags)?;
    let pkg = if manifest == "package.json5" {
        let json = lang::json5_to_json(&text);
        lang::parse_json(folder, manifest, &json, diags)?
    } else {
        lang::parse_json(folder, manifest, &text, diags)?
    };
    if !pkg.is_object() {
        diags.push(lang::diag(
            folder,
            manifest,
            format!("{manifest}: expected a JSON object at the top level"),
        ));
        return None;
    }

    let mut f = lang::new_finding(
        folder,
        ServiceType::Nodejs,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    f.indicator(manifest);
    f.tech("node");

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
        // Vite is the build tool of the other frameworks, a framework only on its own; React Native
        // comes with Expo.
        frameworks.retain(|fw| *fw != "vite");
        if frameworks.contains(&"expo") {
            frameworks.retain(|fw| *fw != "react-native");
        }
        if frameworks.contains(&"react-router") {
            frameworks.retain(|fw| *fw != "remix");
        }
    }
    for fw in &frameworks {
        f.tech(fw);
    }
    let framework = !frameworks.is_empty();
    if framework {
        f.rank = Rank::Framework;
    }
    let pm = package_manager(folder, &pkg);
    let beside_other = lang::has_other_manifest(folder, &["package.json", "package.json5"]);

    // Frontends that build to static files, and mobile apps.
    match frontend::shape(folder, &pkg, &deps) {
        Some(Shape::Mobile) => {
            f.helper_only = true;
            lang::finish(&mut f, framework);
            return Some(f);
        }
        Some(Shape::Static {
            framework: fw,
            out_dir,
        }) if !beside_other => {
            return Some(static_frontend(folder, f, &pkg, &deps, pm, fw, out_dir));
        }
        _ => {}
    }
    f.env.insert("NODE_ENV".into(), "production".into());

    let script = |name: &str| {
        pkg.pointer(&format!("/scripts/{name}"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let start_script = script("start");
    // The declared entry: `main`, else Bun's `module`.
    let main = ["main", "module"].iter().find_map(|k| {
        pkg.get(k)
            .and_then(Value::as_str)
            .map(|m| m.trim_start_matches("./"))
            .filter(|m| !m.is_empty() && !m.contains(".."))
    });

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
    // Without a start script, the entry that runs: a server first, else a script (`main` before
    // the usual names). An entry that only exports code is a library's.
    let mut candidates: Vec<(String, Entry)> = Vec::new();
    // `src/` is listed once instead of probing each entry name in it.
    let src_files = if folder.has_dir("src") {
        lang::list_dir(folder, "src").0
    } else {
        Vec::new()
    };
    let exists = |e: &str| match e.strip_prefix("src/") {
        Some(name) => src_files.iter().any(|f| f == name),
        None => !e.contains('/') && folder.has(e),
    };
    for e in main
        .into_iter()
        .chain(SERVER_ENTRIES.iter().copied().filter(|e| exists(e)))
    {
        if candidates.iter().any(|(c, _)| c == e) {
            continue;
        }
        if let Some(text) = folder.read_opt(e) {
            let mut kind = entry::classify(&text);
            // Bun serves a Hono or Elysia app its entry exports (`export default app`).
            if kind == Entry::Library
                && pm == "bun"
                && frameworks.contains(&"hono")
                && text.contains("export default")
            {
                kind = Entry::Server;
            }
            candidates.push((e.to_string(), kind));
        }
    }
    // A package that declares a library's entry (`exports`, `types`, a `main` that only exports
    // code) runs only through a server entry of its own.
    let library_fields = ["exports", "types", "typings", "bin"]
        .iter()
        .any(|k| pkg.get(k).is_some())
        || main.is_some_and(|m| {
            candidates
                .iter()
                .any(|(c, k)| c == m && *k == Entry::Library)
        });
    let runnable = candidates
        .iter()
        .find(|(_, k)| *k == Entry::Server)
        .or_else(|| {
            candidates
                .iter()
                .find(|(_, k)| *k == Entry::Script && !library_fields)
        })
        .map(|(e, _)| e.clone());
    for (e, k) in &candidates {
        if matches!(k, Entry::Server | Entry::Script) && !entries.contains(e) {
            entries.push(e.clone());
        }
    }
    for e in &entries {
        lang::scan_entry(folder, e, &mut f);
    }

    // Start command and runtime-config port.
    if let Some(s) = start_script {
        f.start_command = Some(run_script(pm, "start"));
        if let Some(p) = super::ports::from_command_env(s, &env_map(&f)) {
            lang::add_port(&mut f, p, PortSource::RuntimeConfig);
        }
    } else if let Some(e) = &runnable {
        f.start_command = Some(node_command(pm, e));
    } else if let Some(cmd) = framework_start(&frameworks).filter(|_| !library_fields) {
        f.start_command = Some(cmd.to_string());
    } else if let Some(ssr) = pkg
        .get("scripts")
        .and_then(Value::as_object)
        .and_then(|o| o.keys().find(|k| k.starts_with("serve:ssr")))
    {
        // Angular's server rendering: `serve:ssr:<app>` runs the built server.
        f.start_command = Some(run_script(pm, ssr));
        if let Some(p) = pkg
            .pointer(&format!("/scripts/{ssr}"))
            .and_then(Value::as_str)
            .and_then(|s| super::ports::from_command_env(s, &env_map(&f)))
        {
            lang::add_port(&mut f, p, PortSource::RuntimeConfig);
        }
    }
    if f.start_command.is_some() && script("build").is_some() {
        f.build_command = Some(run_script(pm, "build"));
    }

    // Framework default port.
    lang::add_port(
        &mut f,
        default_port(&frameworks, start_script),
        PortSource::FrameworkDefault,
    );

    // Workspace roots and helpers.
    let globs = workspace_globs(folder, &pkg);
    let workspace_root = !globs.is_empty()
        || folder.has("pnpm-workspace.yaml")
        || folder.has("lerna.json")
        || folder.has("nx.json");
    if workspace_root {
        f.indicator(
            ["pnpm-workspace.yaml", "lerna.json", "nx.json", "turbo.json"]
                .into_iter()
                .find(|m| folder.has(m))
                .unwrap_or(manifest),
        );
        let dirs = entry::workspace_dirs(&globs);
        let delegating = start_script.is_some_and(|s| entry::delegates(s, &dirs));
        let runs_itself = (start_script.is_some() && !delegating) || runnable.is_some();
        if !runs_itself {
            f.aggregator = true;
            f.start_command = None;
            f.build_command = None;
            f.ports.clear();
        }
    }
    if f.start_command.is_none() && !f.aggregator {
        f.helper_only = true;
    }
    if beside_other {
        // Beside another language's manifest, package.json only builds assets.
        f.helper_only = true;
    }

    lang::finish(&mut f, framework);
    Some(f)
}

/// A frontend built to static files: type `static`, built with node, served on port 80.
fn static_frontend(
    folder: &Folder,
    mut f: Finding,
    pkg: &Value,
    deps: &[String],
    pm: &str,
    framework: &str,
    out_dir: String,
) -> Finding {
    f.kind = ServiceType::Static;
    f.rank = Rank::Framework;
    f.tech(framework);
    for (dep, name) in frontend::UI_LIBS {
        if deps.iter().any(|d| d == dep) {
            f.tech(name);
        }
    }
    // Browser code: host names only; its port literals are the dev server's.
    for e in [
        "src/main.ts",
        "src/main.tsx",
        "src/main.js",
        "src/index.js",
        "src/App.tsx",
        "src/config.ts",
    ] {
        if let Some(text) = folder.read_opt(e) {
            for h in lang::code_hosts(&text) {
                if !f.code_hosts.contains(&h) {
                    f.code_hosts.push(h);
                }
            }
        }
    }
    let has_build = pkg
        .pointer("/scripts/build")
        .and_then(Value::as_str)
        .is_some();
    f.build_command = Some(if has_build {
        run_script(pm, "build")
    } else {
        default_build(framework).to_string()
    });
    f.output_dir = Some(out_dir);
    lang::add_port(&mut f, 80, PortSource::FrameworkDefault);
    f.health_path = Some("/".into());
    lang::finish(&mut f, true);
    f
}

/// The build command of a static frontend without a `build` script.
fn default_build(framework: &str) -> &'static str {
    match framework {
        "angular" => "npx ng build",
        "astro" => "npx astro build",
        "next" => "npx next build",
        "nuxt" => "npx nuxi generate",
        "sveltekit" => "npx vite build",
        "react-router" => "npx react-router build",
        "expo" => "npx expo export --platform web",
        "create-react-app" => "npx react-scripts build",
        "vue" => "npx vue-cli-service build",
        "gatsby" => "npx gatsby build",
        "docusaurus" => "npx docusaurus build",
        "eleventy" => "npx @11ty/eleventy",
        "parcel" => "npx parcel build index.html",
        "vitepress" => "npx vitepress build",
        _ => "npx vite build",
    }
}

/// The default port of a server framework (Node's usual 3000 otherwise).
fn default_port(frameworks: &[&str], start: Option<&str>) -> u16 {
    match frameworks.first().copied() {
        Some("astro") => 4321,
        Some("angular") => 4000,
        Some("vite") => {
            if start.is_some_and(|s| s.contains("preview")) {
                4173
            } else {
                5173
            }
        }
        _ => 3000,
    }
}

/// The `.env` pairs of the folder, for commands that name `$PORT`.
fn env_map(f: &Finding) -> std::collections::BTreeMap<String, String> {
    f.env_evidence.iter().cloned().collect()
}

/// The member globs of a workspace root: `workspaces` (array or `{packages}`); `pnpm-workspace.yaml`
/// and `lerna.json` make a root too (their globs are not read).
fn workspace_globs(folder: &Folder, pkg: &Value) -> Vec<String> {
    let w = pkg.get("workspaces");
    let list = w
        .and_then(Value::as_array)
        .or_else(|| w.and_then(|w| w.get("packages")).and_then(Value::as_array));
    let mut out: Vec<String> = list
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if out.is_empty() && (folder.has("pnpm-workspace.yaml") || folder.has("nx.json")) {
        // The usual layout, for start scripts that name a member's file.
        out = vec!["apps/*".into(), "packages/*".into(), "libs/*".into()];
    }
    out
}

pub(crate) fn is_js_file(s: &str) -> bool {
    [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx"]
        .iter()
        .any(|x| s.ends_with(x))
}

/// `node <file>`; `npx tsx <file>` for TypeScript; `bun <file>` under Bun (which runs TypeScript).
fn node_command(pm: &str, file: &str) -> String {
    if pm == "bun" {
        format!("bun {file}")
    } else if [".ts", ".mts", ".cts", ".tsx"]
        .iter()
        .any(|x| file.ends_with(x))
    {
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
        "react-router" => Some("npx react-router-serve ./build/server/index.js"),
        "tanstack-start" => Some("npx srvx --prod -s ../client dist/server/server.js"),
        "sveltekit" => Some("node build"),
        "astro" => Some("node ./dist/server/entry.mjs"),
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
    // `engines` naming a package manager, and a start script run with Bun.
    if let Some(engines) = pkg.get("engines").and_then(Value::as_object) {
        for name in ["pnpm", "yarn", "bun"] {
            if engines.contains_key(name) {
                return name;
            }
        }
    }
    let lockfile = [
        "pnpm-lock.yaml",
        "yarn.lock",
        "bun.lockb",
        "bun.lock",
        "package-lock.json",
    ]
    .iter()
    .any(|l| folder.has(l));
    if !lockfile
        && pkg
            .pointer("/scripts/start")
            .and_then(Value::as_str)
            .is_some_and(|s| s.trim_start().starts_with("bun "))
    {
        return "bun";
    }
    // A workspace member's lockfile is at the root: `workspace:`/`catalog:` versions are pnpm's
    // (yarn and bun read `workspace:` too; pnpm is the most common).
    let pnpm_protocol = ["dependencies", "devDependencies"].iter().any(|k| {
        pkg.get(k).and_then(Value::as_object).is_some_and(|d| {
            d.values()
                .filter_map(Value::as_str)
                .any(|v| v.starts_with("catalog:") || v.starts_with("workspace:"))
        })
    });
    if folder.has("pnpm-lock.yaml") || folder.has("package.json5") || (!lockfile && pnpm_protocol) {
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
mod tests;
