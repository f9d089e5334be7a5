//! Python: `requirements.txt`, `pyproject.toml` (PEP 621 and Poetry), `Pipfile`, `setup.py`,
//! `manage.py`; frameworks (Django, FastAPI, Flask, Streamlit, ...), the application module, the start
//! command, and ports from a `Procfile`, entry code and framework defaults.

use std::sync::LazyLock;

use regex::Regex;

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
];

/// Application servers, listed after the frameworks.
const SERVERS: &[&str] = &["gunicorn", "uvicorn", "hypercorn", "waitress"];

static DEP_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)").ok());
static QUOTED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"['"]([A-Za-z0-9][A-Za-z0-9._-]*)[^'"]*['"]"#).ok());
static APP_VAR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?m)^\s*([A-Za-z_]\w*)\s*(?::\s*\w+\s*)?=\s*(?:\w+\.)?(FastAPI|Flask|Starlette)\s*\(",
    )
    .ok()
});

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let present: Vec<&str> = SIGNALS.iter().copied().filter(|s| folder.has(s)).collect();
    if present.is_empty() {
        return None;
    }
    let mut deps: Vec<String> = Vec::new();
    let mut scripts: Vec<String> = Vec::new();
    let mut usable: Vec<&str> = Vec::new();

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
    if usable.is_empty() {
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
    if folder.has("manage.py") {
        f.indicator("manage.py");
        lang::scan_entry(folder, "manage.py", &mut f);
    }

    // Defaults; the generated commands use the best port known from code, else this default.
    let default = match framework {
        Some("django" | "fastapi" | "starlette" | "tornado" | "sanic") => 8000,
        Some("flask") => 5000,
        Some("streamlit") => 8501,
        Some("aiohttp") => 8080,
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
    if f.start_command.is_none() && framework.is_none() && !folder.has("manage.py") {
        // A package without an entry point (a library, a tool's requirements) is not a service.
        f.helper_only = true;
    }

    lang::finish(&mut f, framework.is_some());
    Some(f)
}

fn start_command(
    folder: &Folder,
    framework: Option<&str>,
    sources: &[(String, String)],
    scripts: &[String],
    gunicorn: bool,
    port: u16,
) -> Option<String> {
    match framework {
        Some("django") => {
            if gunicorn
                && let Some(project) = folder
                    .dirs
                    .iter()
                    .find(|d| folder.read_opt(&format!("{d}/wsgi.py")).is_some())
            {
                return Some(format!(
                    "gunicorn {project}.wsgi:application --bind 0.0.0.0:{port}"
                ));
            }
            Some(format!("python manage.py runserver 0.0.0.0:{port}"))
        }
        Some("streamlit") => {
            let file = sources
                .iter()
                .find(|(_, t)| t.contains("import streamlit"))
                .map_or("app.py", |(f, _)| f.as_str());
            Some(format!(
                "streamlit run {file} --server.port {port} --server.address 0.0.0.0"
            ))
        }
        Some(fw @ ("fastapi" | "flask" | "starlette")) => {
            if let Some(cmd) = asgi_wsgi_command(fw, sources, gunicorn, port) {
                return Some(cmd);
            }
            plain_command(sources, scripts)
        }
        _ => plain_command(sources, scripts),
    }
}

/// Whether the module starts its own server when run as a script.
fn runs_itself(t: &str) -> bool {
    t.contains("__main__") && (t.contains(".run(") || t.contains("uvicorn.run"))
}

/// `python <entry>` for a script that runs itself or a conventional entry, else a declared script.
fn plain_command(sources: &[(String, String)], scripts: &[String]) -> Option<String> {
    if let Some((file, _)) = sources.iter().find(|(f, t)| {
        ["main.py", "app.py", "server.py", "run.py"].contains(&f.as_str()) || runs_itself(t)
    }) {
        return Some(format!("python {file}"));
    }
    scripts.first().cloned()
}

/// The command serving the application object of a FastAPI, Flask or Starlette app.
fn asgi_wsgi_command(
    fw: &str,
    sources: &[(String, String)],
    gunicorn: bool,
    port: u16,
) -> Option<String> {
    let re = APP_VAR.as_ref()?;
    let found = sources.iter().find_map(|(file, text)| {
        re.captures_iter(text)
            .find(|c| {
                c.get(2)
                    .is_some_and(|m| m.as_str().eq_ignore_ascii_case(fw))
            })
            .and_then(|c| c.get(1))
            .map(|v| (file.as_str(), v.as_str().to_string(), text.as_str()))
    });
    let Some((file, var, text)) = found else {
        // A Flask application factory: `flask --app <module>` finds `create_app`.
        let (file, _) = sources
            .iter()
            .find(|(_, t)| fw == "flask" && t.contains("def create_app"))?;
        return Some(format!(
            "flask --app {} run --host 0.0.0.0 --port {port}",
            module_of(file)
        ));
    };
    if runs_itself(text) {
        return Some(format!("python {file}"));
    }
    let module = module_of(file);
    Some(match (fw, gunicorn) {
        ("flask", true) => format!("gunicorn {module}:{var} --bind 0.0.0.0:{port}"),
        ("flask", false) => {
            format!("flask --app {module}:{var} run --host 0.0.0.0 --port {port}")
        }
        _ => format!("uvicorn {module}:{var} --host 0.0.0.0 --port {port}"),
    })
}

/// `app/main.py` → `app.main`; `app/__init__.py` → `app`.
fn module_of(file: &str) -> String {
    let m = file.trim_end_matches(".py").trim_end_matches("/__init__");
    let m = m.strip_prefix("src/").unwrap_or(m);
    m.replace('/', ".")
}

/// PEP 503 normalisation: lower case, `_`/`.` → `-`.
fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The requirements a project asks for itself. A file compiled by pip-tools lists every transitive
/// dependency with `# via <parent>` comments; those pulled in only by other packages (Flask under
/// `# via locust`) are left out, those `# via -r requirements.in` (or without a `via`) stay.
fn requirements(text: &str) -> Vec<String> {
    let Some(re) = DEP_NAME.as_ref() else {
        return Vec::new();
    };
    // (name, parents named by `# via` comments, whether one of them is a requirements file)
    let mut deps: Vec<(String, usize, bool)> = Vec::new();
    let mut in_via = false;
    for raw in text.lines() {
        let trimmed = raw.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let c = comment.trim();
            let Some(last) = deps.last_mut() else {
                continue;
            };
            let via = if let Some(rest) = c.strip_prefix("via") {
                in_via = true;
                rest.trim()
            } else if in_via && raw.starts_with(char::is_whitespace) {
                c
            } else {
                in_via = false;
                continue;
            };
            if !via.is_empty() {
                last.1 += 1;
                if via.starts_with("-r") || via.starts_with("-c") {
                    last.2 = true;
                }
            }
            continue;
        }
        in_via = false;
        let (line, inline) = raw.split_once('#').unwrap_or((raw, ""));
        if line.trim_start().starts_with('-') {
            continue;
        }
        if let Some(m) = re.captures(line).and_then(|c| c.get(1)) {
            // Older pip-tools annotate on the same line: `requests==2.22.0  # via locust`.
            let (parents, from_file) = match inline.trim().strip_prefix("via") {
                Some(v) => (
                    v.split(',').filter(|p| !p.trim().is_empty()).count(),
                    v.split(',').any(|p| p.trim().starts_with("-r")),
                ),
                None => (0, false),
            };
            deps.push((normalize(m.as_str()), parents, from_file));
        }
    }
    deps.into_iter()
        .filter(|(_, parents, from_file)| *parents == 0 || *from_file)
        .map(|(d, _, _)| d)
        .collect()
}

fn pyproject(t: &toml::Table, deps: &mut Vec<String>, scripts: &mut Vec<String>) {
    let Some(re) = DEP_NAME.as_ref() else {
        return;
    };
    if let Some(project) = t.get("project").and_then(toml::Value::as_table) {
        if let Some(arr) = project.get("dependencies").and_then(toml::Value::as_array) {
            for d in arr.iter().filter_map(toml::Value::as_str) {
                if let Some(m) = re.captures(d).and_then(|c| c.get(1)) {
                    deps.push(normalize(m.as_str()));
                }
            }
        }
        if let Some(s) = project.get("scripts").and_then(toml::Value::as_table) {
            scripts.extend(s.keys().cloned());
        }
    }
    if let Some(poetry) = t
        .get("tool")
        .and_then(|x| x.get("poetry"))
        .and_then(toml::Value::as_table)
    {
        if let Some(d) = poetry.get("dependencies").and_then(toml::Value::as_table) {
            deps.extend(d.keys().filter(|k| *k != "python").map(|k| normalize(k)));
        }
        if let Some(s) = poetry.get("scripts").and_then(toml::Value::as_table) {
            scripts.extend(s.keys().cloned());
        }
    }
}

/// Quoted requirement strings inside `install_requires=[...]`.
fn setup_py(text: &str) -> Vec<String> {
    let Some(start) = text.find("install_requires") else {
        return Vec::new();
    };
    let rest = &text[start..];
    let Some(open) = rest.find('[') else {
        return Vec::new();
    };
    let body = &rest[open..];
    let body = &body[..body.find(']').unwrap_or(body.len())];
    let Some(re) = QUOTED.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(body)
        .filter_map(|c| c.get(1))
        .map(|m| normalize(m.as_str()))
        .collect()
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
    fn no_signal() {
        assert!(one(&[("main.py", "print(1)")]).0.is_none());
    }

    #[test]
    fn fixtures() {
        for (case, techs, start, p) in [
            (
                "python/django",
                vec!["python", "django", "gunicorn"],
                "gunicorn shop.wsgi:application --bind 0.0.0.0:8000",
                8000,
            ),
            (
                "python/flask",
                vec!["python", "flask"],
                "python app.py",
                5001,
            ),
            (
                "python/fastapi",
                vec!["python", "fastapi", "uvicorn"],
                "uvicorn app.main:app --host 0.0.0.0 --port 8000",
                8000,
            ),
            (
                "python/streamlit",
                vec!["python", "streamlit"],
                "streamlit run streamlit_app.py --server.port 8501 --server.address 0.0.0.0",
                8501,
            ),
            (
                "python/pipfile",
                vec!["python", "flask", "gunicorn"],
                "gunicorn app:app --bind 0.0.0.0:$PORT",
                5000,
            ),
            (
                "python/setup-py",
                vec!["python", "aiohttp"],
                "python server.py",
                8081,
            ),
        ] {
            let (f, d) = run(analyze, &fixture(case));
            let f = f.unwrap();
            assert!(d.is_empty(), "{case}: {d:?}");
            assert_eq!(f.technologies, techs, "{case}");
            assert_eq!(f.start_command.as_deref(), Some(start), "{case}");
            assert_eq!(port(&f), Some(p), "{case}");
            assert_eq!(f.rank, Rank::Framework, "{case}");
            assert_eq!(f.env.get("PYTHONUNBUFFERED").map(String::as_str), Some("1"));
        }
    }

    #[test]
    fn every_framework_dependency() {
        for (dep, tech, p) in [
            ("Django", "django", 8000),
            ("fastapi", "fastapi", 8000),
            ("Flask", "flask", 5000),
            ("streamlit", "streamlit", 8501),
            ("starlette", "starlette", 8000),
            ("aiohttp", "aiohttp", 8080),
            ("tornado", "tornado", 8000),
            ("sanic", "sanic", 8000),
        ] {
            let (f, _) = one(&[(
                "requirements.txt",
                &format!("{dep}>=1.0 ; python_version > '3'\n"),
            )]);
            let f = f.unwrap();
            assert_eq!(f.technologies, vec!["python", tech], "{dep}");
            assert_eq!(port(&f), Some(p), "{dep}");
        }
    }

    #[test]
    fn fastapi_fixture_evidence() {
        let (f, _) = run(analyze, &fixture("python/fastapi"));
        let f = f.unwrap();
        assert_eq!(f.health_path.as_deref(), Some("/healthz"));
        assert_eq!(f.code_hosts, vec!["users"]);
        assert!(
            f.env_evidence
                .iter()
                .any(|(k, v)| k == "DATABASE_URL" && v.contains("@db:5432"))
        );
    }

    #[test]
    fn port_precedence() {
        // Procfile flag beats code literal beats default.
        let files = [
            ("requirements.txt", "flask\n"),
            (
                "app.py",
                "from flask import Flask\napp = Flask(__name__)\napp.run(port=5001)\n",
            ),
        ];
        let (f, _) = one(&files);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(5001));
        assert!((f.confidence - 0.9).abs() < 1e-9);
        let mut with_proc = files.to_vec();
        with_proc.push(("Procfile", "web: gunicorn app:app --bind 0.0.0.0:7000\n"));
        let (f, _) = one(&with_proc);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(7000));
        assert_eq!(
            f.start_command.as_deref(),
            Some("gunicorn app:app --bind 0.0.0.0:7000")
        );
        let (f, _) = one(&[
            ("requirements.txt", "Flask==3.0\n"),
            ("app.py", "from flask import Flask\napp = Flask(__name__)\n"),
        ]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(5000));
        assert_eq!(
            f.start_command.as_deref(),
            Some("flask --app app:app run --host 0.0.0.0 --port 5000")
        );
        assert!((f.confidence - 0.85).abs() < 1e-9);
    }

    #[test]
    fn pip_compiled_requirements_keep_only_direct_dependencies() {
        let compiled = "#\n# This file is autogenerated by pip-compile\n#\nflask==3.1.0\n    # via\n    #   flask-cors\n    #   locust\ngunicorn==23.0\n    # via -r requirements.in\nlocust==2.32.5\n    # via -r requirements.in\nrequests==2.32.3  # via locust\nwerkzeug==3.1.3\n    # via flask\n";
        assert_eq!(requirements(compiled), vec!["gunicorn", "locust"]);
        // A hand-written file keeps everything, comments or not.
        assert_eq!(
            requirements("# web\nFlask\nredis  # cache\n"),
            vec!["flask", "redis"]
        );
        let (f, _) = one(&[
            ("requirements.txt", compiled),
            ("locustfile.py", "from locust import HttpUser\n"),
        ]);
        let f = f.unwrap();
        assert_eq!(f.technologies, vec!["python", "gunicorn"]);
        assert!(f.ports.is_empty());
    }

    #[test]
    fn a_service_module_is_read_when_there_is_no_conventional_entry() {
        let (f, _) = one(&[
            ("requirements.txt", "Flask\nrequests\n"),
            (
                "payment.py",
                "import os\nfrom flask import Flask\napp = Flask(__name__)\nCART = os.getenv('CART_HOST', 'cart')\nif __name__ == \"__main__\":\n    port = int(os.getenv(\"SHOP_PAYMENT_PORT\", \"8080\"))\n    app.run(host='0.0.0.0', port=port)\n",
            ),
            ("test_payment.py", "requests.get('http://testhost:1')\n"),
        ]);
        let f = f.unwrap();
        assert_eq!(f.start_command.as_deref(), Some("python payment.py"));
        assert_eq!(port(&f), Some(8080));
        assert_eq!(f.code_hosts, vec!["cart"]);
        assert_eq!(f.port_vars, vec!["SHOP_PAYMENT_PORT"]);
    }

    #[test]
    fn plain_python_and_library() {
        let (f, _) = one(&[
            ("requirements.txt", "requests\n"),
            ("main.py", "print(1)\n"),
        ]);
        let f = f.unwrap();
        assert_eq!(f.rank, Rank::Language);
        assert_eq!(f.start_command.as_deref(), Some("python main.py"));
        assert!(f.ports.is_empty());
        let (f, _) = one(&[(
            "pyproject.toml",
            "[project]\nname = \"lib\"\ndependencies = [\"requests>=2\"]\n",
        )]);
        assert!(f.unwrap().helper_only);
        let (f, _) = one(&[
            (
                "pyproject.toml",
                "[tool.poetry]\nname = \"t\"\n[tool.poetry.dependencies]\npython = \"^3.11\"\nFastAPI = \"*\"\n[tool.poetry.scripts]\nserve = \"t.main:run\"\n",
            ),
            (
                "src/main.py",
                "from fastapi import FastAPI\napi: FastAPI = FastAPI()\n",
            ),
        ]);
        let f = f.unwrap();
        assert_eq!(f.technologies, vec!["python", "fastapi"]);
        assert_eq!(
            f.start_command.as_deref(),
            Some("uvicorn main:api --host 0.0.0.0 --port 8000")
        );
    }

    #[test]
    fn flask_factory_and_qualified_constructor() {
        let (f, _) = one(&[
            ("requirements.txt", "flask\n"),
            (
                "app/__init__.py",
                "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n",
            ),
        ]);
        assert_eq!(
            f.unwrap().start_command.as_deref(),
            Some("flask --app app run --host 0.0.0.0 --port 5000")
        );
        let (f, _) = one(&[
            ("requirements.txt", "fastapi\nuvicorn\n"),
            ("server.py", "import fastapi\nservice = fastapi.FastAPI()\n"),
        ]);
        assert_eq!(
            f.unwrap().start_command.as_deref(),
            Some("uvicorn server:service --host 0.0.0.0 --port 8000")
        );
        let (f, _) = one(&[("requirements.txt", "fastapi\n"), ("main.py", "print(1)\n")]);
        assert_eq!(f.unwrap().start_command.as_deref(), Some("python main.py"));
    }

    #[test]
    fn django_without_gunicorn_uses_runserver() {
        let (f, _) = one(&[
            ("manage.py", "import os\n"),
            ("requirements.txt", "Django\n"),
        ]);
        let f = f.unwrap();
        assert_eq!(f.technologies, vec!["python", "django"]);
        assert_eq!(
            f.start_command.as_deref(),
            Some("python manage.py runserver 0.0.0.0:8000")
        );
    }

    #[test]
    fn malformed_pyproject_is_a_diagnostic() {
        let (f, d) = one(&[(
            "pyproject.toml",
            "[project]\nname = \"x\"\ndependencies = [\n",
        )]);
        assert!(f.is_none());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "svc/pyproject.toml");
        assert!(
            d[0].message.contains("invalid TOML at line"),
            "{}",
            d[0].message
        );
        // Other evidence still makes a (weaker) finding.
        let (f, d) = one(&[
            ("pyproject.toml", "[project\n"),
            ("requirements.txt", "flask\n"),
            ("app.py", "from flask import Flask\napp = Flask(__name__)\n"),
        ]);
        assert_eq!(d.len(), 1);
        assert_eq!(f.unwrap().indicators, vec!["requirements.txt"]);
    }
}
