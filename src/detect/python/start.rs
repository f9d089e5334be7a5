//! The start command of a Python service: Django's `manage.py`/gunicorn, Streamlit, the ASGI/WSGI
//! server of a FastAPI, Flask or Starlette app object, or the script itself.

use std::sync::LazyLock;

use regex::Regex;

use super::super::Folder;

static APP_VAR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?m)^\s*([A-Za-z_]\w*)\s*(?::\s*\w+\s*)?(?:,\s*\w+\s*)?=\s*(?:\w+\.)?(FastAPI|Flask|Starlette|FastHTML|fast_app|Litestar)\s*\(",
    )
    .ok()
});

pub fn start_command(
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
        Some(fw @ ("fastapi" | "flask" | "starlette" | "fasthtml" | "litestar")) => {
            if let Some(cmd) = asgi_wsgi_command(fw, sources, gunicorn, port) {
                return Some(cmd);
            }
            plain_command(sources, scripts)
        }
        _ => plain_command(sources, scripts),
    }
}

/// Whether the module starts its own server when run as a script.
pub fn runs_itself(t: &str) -> bool {
    (t.contains("__main__") && (t.contains(".run(") || t.contains("uvicorn.run")))
        // FastHTML's `serve()` starts uvicorn when the module is run as a script.
        || t.lines().any(|l| l.starts_with("serve("))
}

/// `python <entry>` for a script that runs itself or a conventional entry, else a declared script.
fn plain_command(sources: &[(String, String)], scripts: &[String]) -> Option<String> {
    if let Some((file, _)) = sources.iter().find(|(f, t)| {
        [
            "main.py",
            "app.py",
            "server.py",
            "run.py",
            "bot.py",
            "start.py",
        ]
        .contains(&f.as_str())
            || runs_itself(t)
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
                c.get(2).is_some_and(|m| {
                    let ctor = m.as_str().to_ascii_lowercase();
                    ctor == fw || (fw == "fasthtml" && ctor == "fast_app")
                })
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
pub fn module_of(file: &str) -> String {
    let m = file.trim_end_matches(".py").trim_end_matches("/__init__");
    let m = m.strip_prefix("src/").unwrap_or(m);
    m.replace('/', ".")
}
