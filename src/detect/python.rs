//! Python: `requirements.txt`, `pyproject.toml` (PEP 621 and Poetry), `Pipfile`, `setup.py`,
//! `manage.py`; frameworks (Django, FastAPI, Flask, Streamlit, ...), the application module, the start
//! command, and ports from a `Procfile`, entry code and framework defaults.

mod manifest;
mod start;

use manifest::{normalize, pyproject, requirements, setup_py};
use start::start_command;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::PortSource;
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

const SIGNALS: &[&str] = &[
    "requirements.txt",
    "pyproject.toml",
    "Pipfile",
    "setup.py",
    "manage.py",
];

/// Files that usually hold the application, in the order they are tried.
const ENTRIES: &[&str] = &[
    "main.py",
    "app.py",
    "server.py",
    "api.py",
    "wsgi.py",
    "asgi.py",
    "run.py",
    "streamlit_app.py",
    "Home.py",
    "app/main.py",
    "app/__init__.py",
    "app/app.py",
    "src/main.py",
    "src/app.py",
    "api/main.py",
];

/// At most this many root-level modules are read when no conventional entry file exists.
const MODULE_CAP: usize = 8;

/// Whether a root-level `.py` file may hold the service (not a test, a build script or a package
/// marker).
fn is_module_candidate(name: &str) -> bool {
    !(name.starts_with("test_")
        || name.ends_with("_test.py")
        || name.ends_with("_pb2.py")
        || name.ends_with("_pb2_grpc.py")
        || [
            "setup.py",
            "conftest.py",
            "__init__.py",
            "noxfile.py",
            "fabfile.py",
        ]
        .contains(&name))
}

/// Dependency → framework, strongest first.
const FRAMEWORKS: &[(&str, &str)] = &[
    ("django", "django"),
    ("fastapi", "fastapi"),
    ("flask", "flask"),
    ("streamlit", "streamlit"),
    ("starlette", "starlette"),
    ("aiohttp", "aiohttp"),
    ("tornado", "tornado"),
    ("sanic", "sanic"),
    ("python-fasthtml", "fasthtml"),
    ("fasthtml", "fasthtml"),
    ("litestar", "litestar"),
    ("quart", "quart"),
    ("gradio", "gradio"),
    ("dash", "dash"),
    ("nicegui", "nicegui"),
    ("bottle", "bottle"),
];

/// Files that hold a whole Python program on their own (`bot.py` beside nothing else).
const LONE_ENTRIES: &[&str] = &[
    "main.py",
    "app.py",
    "bot.py",
    "server.py",
    "start.py",
    "run.py",
];

/// Folders whose scripts are tooling, never a service of their own.
const TOOLING: &[&str] = &[
    "src",
    "lib",
    "scripts",
    "script",
    "tools",
    "tool",
    "hack",
    "bin",
    "docs",
    "doc",
    "examples",
    "example",
    "samples",
    "benchmarks",
    "bench",
    "ci",
    "utils",
    "util",
    "misc",
    "contrib",
];

/// The entry of a folder that is only a Python program: a root-level `main.py`, `app.py`, `bot.py`,
/// ... with no manifest, at the workspace root, or beside a `.python-version`/`runtime.txt`, or with
/// a `__main__` guard (not in a tooling folder such as `scripts/`).
fn lone_entry(folder: &Folder) -> Option<&'static str> {
    if lang::has_other_manifest(folder, &[]) {
        return None;
    }
    let entry = LONE_ENTRIES.iter().copied().find(|e| folder.has(e))?;
    let tooling = folder
        .rel
        .split('/')
        .any(|c| TOOLING.contains(&c.to_ascii_lowercase().as_str()));
    if tooling {
        return None;
    }
    let versioned = folder.has(".python-version")
        || folder.has("runtime.txt")
        || folder
            .read_opt(".tool-versions")
            .is_some_and(|t| t.lines().any(|l| l.trim_start().starts_with("python")));
    let guarded = || {
        folder
            .read_opt(entry)
            .is_some_and(|t| t.contains("__name__") && t.contains("__main__"))
    };
    (folder.rel == "." || versioned || guarded()).then_some(entry)
}

/// The members of a uv workspace (`[tool.uv.workspace] members`), as written (globs included).
fn uv_members(t: &toml::Table) -> Vec<String> {
    t.get("tool")
        .and_then(|x| x.get("uv"))
        .and_then(|x| x.get("workspace"))
        .and_then(|x| x.get("members"))
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(toml::Value::as_str)
                .map(|m| m.trim_start_matches("./").trim_end_matches('/').to_string())
                .filter(|m| !m.is_empty() && !m.contains(".."))
                .collect()
        })
        .unwrap_or_default()
}

/// The workspace members (folders below this one) whose package this one depends on: libraries.
fn library_members(folder: &Folder, members: &[String], deps: &[String]) -> Vec<String> {
    let mut dirs: Vec<String> = Vec::new();
    for m in members.iter().take(64) {
        match m.strip_suffix("/*") {
            Some(parent) if !parent.contains('*') => {
                let (_, subs) = lang::list_dir(folder, parent);
                dirs.extend(subs.into_iter().map(|d| format!("{parent}/{d}")));
            }
            _ if !m.contains('*') => dirs.push(m.clone()),
            _ => {}
        }
    }
    dirs.into_iter()
        .filter(|d| {
            folder
                .read_opt(&format!("{d}/pyproject.toml"))
                .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
                .and_then(|t| t.get("project")?.get("name")?.as_str().map(normalize))
                .is_some_and(|name| deps.contains(&name))
        })
        .collect()
}

/// `python -m <package>` for a package folder with a `__main__.py` (`pkg/`, `src/pkg/`).
fn main_package(folder: &Folder) -> Option<String> {
    let skip = |d: &str| d.starts_with('.') || d.starts_with("test") || d == "docs";
    if let Some(d) = folder
        .dirs
        .iter()
        .find(|d| !skip(d) && folder.read_opt(&format!("{d}/__main__.py")).is_some())
    {
        return Some(d.clone());
    }
    if folder.has_dir("src") {
        let (_, dirs) = lang::list_dir(folder, "src");
        return dirs
            .into_iter()
            .find(|d| !skip(d) && folder.read_opt(&format!("src/{d}/__main__.py")).is_some());
    }
    None
}

/// Application servers, listed after the frameworks.
const SERVERS: &[&str] = &["gunicorn", "uvicorn", "hypercorn", "waitress"];

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let present: Vec<&str> = SIGNALS.iter().copied().filter(|s| folder.has(s)).collect();
    let lone = if present.is_empty() {
        Some(lone_entry(folder)?)
    } else {
        None
    };
    let mut deps: Vec<String> = Vec::new();
    let mut scripts: Vec<String> = Vec::new();
    let mut usable: Vec<&str> = Vec::new();
    let mut members: Vec<String> = Vec::new();

    for &file in &present {
        let Some(text) = lang::read_or_diag(folder, file, diags) else {
            continue;
        };
        let ok = match file {
            "requirements.txt" => {
                deps.extend(requirements(&text));
                true
            }
            "pyproject.toml" => match lang::parse_toml(folder, file, &text, diags) {
                Some(t) => {
                    pyproject(&t, &mut deps, &mut scripts);
                    members = uv_members(&t);
                    true
                }
                None => false,
            },
            "Pipfile" => match lang::parse_toml(folder, file, &text, diags) {
                Some(t) => {
                    for sect in ["packages", "dev-packages"] {
                        if let Some(p) = t.get(sect).and_then(toml::Value::as_table) {
                            deps.extend(p.keys().map(|k| normalize(k)));
                        }
                    }
                    true
                }
                None => false,
            },
            "setup.py" => {
                deps.extend(setup_py(&text));
                true
            }
            _ => true,
        };
        if ok {
            usable.push(file);
        }
    }
    if usable.is_empty() && lone.is_none() {
        return None;
    }

    let mut f = lang::new_finding(
        folder,
        ServiceType::Python,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    for u in &usable {
        f.indicator(u);
    }
    if let Some(e) = lone {
        // A program file alone is weaker evidence than a manifest.
        f.confidence -= 0.1;
        f.indicator(e);
        for v in [".python-version", "runtime.txt"] {
            if folder.has(v) {
                f.indicator(v);
            }
        }
    }
    f.tech("python");
    f.env.insert("PYTHONUNBUFFERED".into(), "1".into());

    // Entry code: read each candidate once, scanning for evidence.
    let mut sources: Vec<(String, String)> = Vec::new();
    for e in ENTRIES {
        if let Some(text) = lang::scan_entry(folder, e, &mut f) {
            sources.push((e.to_string(), text));
        }
    }
    if sources.is_empty() {
        // No conventional entry: a service module named after the service (`payment.py`,
        // `email_server.py`) sits at the root. A few root modules are read, tests and build
        // scripts left out.
        let modules = folder
            .files
            .iter()
            .filter(|n| n.ends_with(".py") && is_module_candidate(n))
            .take(MODULE_CAP);
        for m in modules {
            if let Some(text) = lang::scan_entry(folder, m, &mut f) {
                sources.push((m.clone(), text));
            }
        }
    }
    let imports = |module: &str| {
        sources.iter().any(|(_, t)| {
            t.contains(&format!("import {module}")) || t.contains(&format!("from {module}"))
        })
    };

    let has = |d: &str| deps.iter().any(|x| x == d);
    let mut frameworks: Vec<&str> = Vec::new();
    if folder.has("manage.py") {
        frameworks.push("django");
    }
    for (dep, name) in FRAMEWORKS {
        if (has(dep) || imports(dep)) && !frameworks.contains(name) {
            frameworks.push(name);
        }
    }
    if frameworks.contains(&"fastapi") {
        frameworks.retain(|f| *f != "starlette");
    }
    for fw in &frameworks {
        f.tech(fw);
    }
    for s in SERVERS {
        if has(s) {
            f.tech(s);
        }
    }
    let framework = frameworks.first().copied();
    if framework.is_some() {
        f.rank = Rank::Framework;
    }
    f.parts = library_members(folder, &members, &deps);
    if folder.has("manage.py") {
        f.indicator("manage.py");
        lang::scan_entry(folder, "manage.py", &mut f);
    }

    // Defaults; the generated commands use the best port known from code, else this default.
    let default = match framework {
        Some("flask" | "quart") => 5000,
        Some("fasthtml") => 5001,
        Some("streamlit") => 8501,
        Some("gradio") => 7860,
        Some("dash") => 8050,
        Some("aiohttp" | "bottle" | "nicegui") => 8080,
        _ => 8000,
    };
    if framework.is_some() {
        lang::add_port(&mut f, default, PortSource::FrameworkDefault);
    }

    if let Some(cmd) = lang::procfile_web(folder) {
        f.indicator("Procfile");
        lang::user_command(&mut f, &cmd);
    } else {
        let port = lang::best_port(&f).unwrap_or(default);
        f.start_command =
            start_command(folder, framework, &sources, &scripts, has("gunicorn"), port);
    }
    if f.start_command.is_none()
        && let Some(pkg) = main_package(folder)
    {
        lang::scan_entry(folder, &format!("{pkg}/__main__.py"), &mut f);
        f.start_command = Some(format!("python -m {pkg}"));
    }
    if f.start_command.is_none() && framework.is_none() && !folder.has("manage.py") {
        // A package without an entry point (a library, a tool's requirements) is not a service.
        f.helper_only = true;
    }

    lang::finish(&mut f, framework.is_some());
    Some(f)
}

#[cfg(test)]
mod tests;
