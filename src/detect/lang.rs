//! Helpers shared by the ecosystem analyzers: reading manifests with diagnostics, parse-error messages
//! with line information, `.env` evidence, and the scan of entry code for port literals, host names in
//! URL literals and health-check routes.

use std::sync::LazyLock;

use regex::Regex;

use super::envfile;
use super::folder::Folder;
use super::model::Diagnostic;
use super::ports::{self, PortHint, PortSource};
use super::{Finding, Rank, ServiceType};

/// Base confidence of a language manifest (PRODUCT.md section 3).
pub const LANGUAGE_CONFIDENCE: f64 = 0.8;
/// Confidence added when a web framework is recognised, and again when a port is found in the folder.
pub const EVIDENCE_BOOST: f64 = 0.05;
/// At most this many entries of a sub-folder are listed by [`list_dir`].
const LIST_CAP: usize = 512;

/// Root-level manifests of every language ecosystem: a `package.json` beside one of them is a helper,
/// and an `index.html` beside one of them is not a static site.
pub const LANGUAGE_MANIFESTS: &[&str] = &[
    "package.json",
    "requirements.txt",
    "pyproject.toml",
    "Pipfile",
    "setup.py",
    "manage.py",
    "go.mod",
    "Cargo.toml",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Gemfile",
    "composer.json",
    "mix.exs",
    "deno.json",
    "deno.jsonc",
];

/// Whether the folder holds a language manifest other than those in `except`.
pub fn has_other_manifest(folder: &Folder, except: &[&str]) -> bool {
    LANGUAGE_MANIFESTS
        .iter()
        .filter(|m| !except.contains(m))
        .any(|m| folder.has(m))
        || folder
            .files
            .iter()
            .any(|f| f.ends_with(".csproj") || f.ends_with(".fsproj") || f.ends_with(".vbproj"))
}

/// Reads a manifest; a file that exists but cannot be read as text becomes a diagnostic.
pub fn read_or_diag(folder: &Folder, inner: &str, diags: &mut Vec<Diagnostic>) -> Option<String> {
    match folder.read(inner) {
        Ok(text) => text,
        Err(e) => {
            diags.push(Diagnostic::new(
                folder.rel_path(inner),
                format!("{inner}: {e}"),
            ));
            None
        }
    }
}

/// A diagnostic for a manifest that could not be parsed.
pub fn diag(folder: &Folder, inner: &str, message: String) -> Diagnostic {
    Diagnostic::new(folder.rel_path(inner), message)
}

/// `<file>: invalid JSON: <serde message with line and column>`.
pub fn json_error(file: &str, e: &serde_json::Error) -> String {
    format!("{file}: invalid JSON: {e}")
}

/// `<file>: invalid TOML at line L column C: <message>`.
pub fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("{file}: invalid TOML at line {line} column {col}: {msg}")
        }
        None => format!("{file}: invalid TOML: {msg}"),
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(text.len());
    while off > 0 && !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
        + 1;
    (line, col)
}

/// Parses TOML into a table, or pushes a diagnostic.
pub fn parse_toml(
    folder: &Folder,
    file: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<toml::Table> {
    match toml::from_str::<toml::Table>(text) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.push(diag(folder, file, toml_error(file, text, &e)));
            None
        }
    }
}

/// Parses JSON into a value, or pushes a diagnostic.
pub fn parse_json(
    folder: &Folder,
    file: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.push(diag(folder, file, json_error(file, &e)));
            None
        }
    }
}

/// Removes `//` and `/* */` comments and trailing commas from JSONC, keeping line structure (so the
/// JSON parser's line numbers still point at the original text).
pub fn strip_jsonc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                    }
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            _ => out.push(c),
        }
    }
    // Trailing commas: `,` followed by whitespace and `}` or `]`.
    static TRAILING: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r",(\s*[}\]])").ok());
    match TRAILING.as_ref() {
        Some(re) => re.replace_all(&out, "$1").into_owned(),
        None => out,
    }
}

/// Names of the regular files and folders directly inside `inner` (sorted, capped), for layouts whose
/// evidence lives one level down (`cmd/*/main.go`, `src/bin/*.rs`, `conf.d/*.conf`). Any failure gives
/// empty lists.
pub fn list_dir(folder: &Folder, inner: &str) -> (Vec<String>, Vec<String>) {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    if inner.split('/').any(|c| c == "..") {
        return (files, dirs);
    }
    let Ok(rd) = std::fs::read_dir(folder.abs.join(inner)) else {
        return (files, dirs);
    };
    for entry in rd.flatten().take(LIST_CAP) {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        match entry.file_type() {
            Ok(t) if t.is_file() => files.push(name),
            Ok(t) if t.is_dir() => dirs.push(name),
            _ => {}
        }
    }
    files.sort();
    dirs.sort();
    (files, dirs)
}

/// A new finding with the type's base confidence and the `.env`/`.env.example` evidence of the folder.
pub fn new_finding(folder: &Folder, kind: ServiceType, rank: Rank, base: f64) -> Finding {
    let mut f = Finding::new(kind, rank, base);
    for name in [".env", ".env.example"] {
        if let Some(text) = folder.env_file(name) {
            for (k, v) in envfile::parse(text) {
                if !f.env_evidence.iter().any(|(ek, ev)| *ek == k && *ev == v) {
                    f.env_evidence.push((k, v));
                }
            }
        }
    }
    f
}

/// Applies the evidence boosts: a recognised framework, and a port found in the folder (a framework
/// default is not evidence).
pub fn finish(f: &mut Finding, framework: bool) {
    if framework {
        f.boost(EVIDENCE_BOOST);
    }
    if f.ports
        .iter()
        .any(|h| h.source > PortSource::FrameworkDefault)
    {
        f.boost(EVIDENCE_BOOST);
    }
}

/// Adds a port hint unless the same port with the same source is already there.
pub fn add_port(f: &mut Finding, port: u16, source: PortSource) {
    let h = PortHint::new(port, source);
    if !f.ports.contains(&h) {
        f.ports.push(h);
    }
}

/// The best port known so far (runtime config, then code literal, then default).
pub fn best_port(f: &Finding) -> Option<u16> {
    ports::resolve(&f.ports)
}

/// Reads an entry file (if present) and adds its evidence: port literals, URL hosts and health routes.
/// Returns whether the file exists and was read.
pub fn scan_entry(folder: &Folder, inner: &str, f: &mut Finding) -> Option<String> {
    let text = folder.read_opt(inner)?;
    scan_text(&text, f);
    Some(text)
}

/// Adds the evidence of one piece of entry code to a finding.
pub fn scan_text(text: &str, f: &mut Finding) {
    for p in ports::from_code(text) {
        add_port(f, p, PortSource::CodeLiteral);
    }
    for h in code_hosts(text).into_iter().chain(env_default_hosts(text)) {
        if !f.code_hosts.contains(&h) {
            f.code_hosts.push(h);
        }
    }
    for v in port_vars(text) {
        if !f.port_vars.contains(&v) {
            f.port_vars.push(v);
        }
    }
    if f.health_path.is_none() {
        f.health_path = health_path(text);
    }
}

/// An environment read in code: `process.env.X`, `process.env["X"]`, `os.getenv("X"`,
/// `os.environ.get("X"`, `os.environ["X"]`, `os.Getenv("X")`, `System.getenv("X"`,
/// `Environment.GetEnvironmentVariable("X")`, `env::var("X")`; group `v` is the variable.
const ENV_READ: &str = r#"(?:process\.env\.(?P<v1>[A-Z][A-Z0-9_]*)|process\.env\[\s*['"](?P<v2>[A-Z][A-Z0-9_]*)['"]\s*\]|(?:getenv|environ\.get|environ\[|Getenv|LookupEnv|getOrDefault|GetEnvironmentVariable|env::var)\s*\(?\s*['"](?P<v3>[A-Z][A-Z0-9_]*)['"])"#;

static PORT_VAR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i:\b\w*port\s*(?::=|=|:)\s*(?:int\s*\(\s*|Number\s*\(\s*|parseInt\s*\(\s*|Integer\.parseInt\s*\(\s*)?|\blisten\s*\(\s*|\bport\s*=\s*)(?:\w+\.)*{ENV_READ}"#
    ))
    .ok()
});

/// Environment variables the code takes its own listening port from: `port = os.environ.get(
/// "FLASK_SERVER_PORT", 9090)`, `const port = process.env.CART_SERVER_PORT || '8080'`,
/// `app.listen(process.env.APP_PORT)`. Only names with `PORT` in them, and not other services'
/// ports (`DATABASE_PORT`).
pub fn port_vars(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Some(re) = PORT_VAR.as_ref() else {
        return out;
    };
    for line in text.lines().filter(|l| !is_comment(l)) {
        for c in re.captures_iter(line) {
            let Some(v) = c
                .name("v1")
                .or_else(|| c.name("v2"))
                .or_else(|| c.name("v3"))
                .map(|m| m.as_str())
            else {
                continue;
            };
            if v.contains("PORT") && !ports::is_foreign_port_var(v) && !out.iter().any(|x| x == v) {
                out.push(v.to_string());
            }
        }
    }
    out
}

static ENV_DEFAULT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"{ENV_READ}\s*(?:\)\s*)?(?:\|\||\?\?|\?:|,|\bor\b)\s*['"`](?P<d>[^'"`\s]+)['"`]"#
    ))
    .ok()
});

/// Host names given as the default of a host variable read from the environment:
/// `process.env.REDIS_HOST || 'redis'`, `os.getenv('CART_HOST', 'cart')`,
/// `Environment.GetEnvironmentVariable("DB_HOST") ?? "db"` (the key rules of
/// [`super::deps::hosts_of`] apply: `*_HOST`, `*_URL`, `*_ADDR`, ..., never `*_USER`).
pub fn env_default_hosts(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Some(re) = ENV_DEFAULT.as_ref() else {
        return out;
    };
    for line in text.lines().filter(|l| !is_comment(l)) {
        for c in re.captures_iter(line) {
            let key = c
                .name("v1")
                .or_else(|| c.name("v2"))
                .or_else(|| c.name("v3"))
                .map_or("", |m| m.as_str());
            let Some(default) = c.name("d").map(|m| m.as_str()) else {
                continue;
            };
            for h in super::deps::hosts_of(key, default) {
                if is_service_host(&h) && !out.contains(&h) {
                    out.push(h);
                }
            }
        }
    }
    out
}

static URL_HOST: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\b([a-zA-Z][a-zA-Z0-9+.-]{1,20})://(?:[^\s/@'\x22`]*@)?([A-Za-z0-9_.-]+)").ok()
});

/// Whether a code comment starts the (trimmed) line.
fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("//")
        // `#` comments, but not Rust attributes (`#[get("/health")]`) or C# directives.
        || (t.starts_with('#') && !t.starts_with("#[") && !t.starts_with("#!["))
        || t.starts_with("/*")
        || t.starts_with('*')
        || t.starts_with("--")
}

/// Host names in URL literals (`http://auth:8081/x` gives `auth`, `redis://cache:6379` gives `cache`),
/// in order. Local addresses, `example.*` and dotted (public) names are skipped.
pub fn code_hosts(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Some(re) = URL_HOST.as_ref() else {
        return out;
    };
    for line in text.lines().filter(|l| !is_comment(l)) {
        for c in re.captures_iter(line) {
            let Some(host) = c.get(2).map(|m| m.as_str().trim_end_matches('.')) else {
                continue;
            };
            if is_service_host(host) && !out.iter().any(|h| h == host) {
                out.push(host.to_string());
            }
        }
    }
    out
}

/// Whether a host name can name another service of the workspace (not local, not dotted, not numeric).
pub fn is_service_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    !(h.is_empty()
        || h.contains('.')
        || h == "localhost"
        || h.starts_with("example")
        || h.chars().all(|c| c.is_ascii_digit())
        || !h.starts_with(|c: char| c.is_ascii_alphabetic())
        || h.len() > 63)
}

static HEALTH: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"['"`](/(?:api/)?_?(?:health|healthz|healthcheck|health-check|ready|readyz|readiness|live|livez|liveness|ping|status)(?:/(?:live|ready|liveness|readiness))?)/?['"`]"#,
    )
    .ok()
});

/// The first health-check route literal (`"/health"`, `'/healthz'`, `"/api/health"`) in code.
pub fn health_path(text: &str) -> Option<String> {
    let re = HEALTH.as_ref()?;
    text.lines()
        .filter(|l| !is_comment(l))
        .find_map(|l| re.captures(l).and_then(|c| c.get(1)))
        .map(|m| m.as_str().to_string())
}

/// The command of the `web:` line of a `Procfile`, when there is one.
pub fn procfile_web(folder: &Folder) -> Option<String> {
    if !folder.has("Procfile") {
        return None;
    }
    let text = folder.read_opt("Procfile")?;
    text.lines().find_map(|l| {
        l.trim()
            .strip_prefix("web:")
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
    })
}

/// Applies a start command that was written by the user (script, Procfile): it becomes the start
/// command, and a port flag in it is runtime config.
pub fn user_command(f: &mut Finding, cmd: &str) {
    f.start_command = Some(cmd.to_string());
    if let Some(p) = ports::from_command(cmd) {
        add_port(f, p, PortSource::RuntimeConfig);
    }
}

/// One XML element: its `/`-joined path from the root (`project/dependencies/dependency/artifactId`),
/// the text directly inside it (trimmed), and the raw attribute text of its start tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlElem {
    pub path: String,
    pub text: String,
    pub attrs: String,
}

/// A small, forgiving XML reader for build manifests (`pom.xml`, `*.csproj`): elements in document
/// order of their end tags. Comments, processing instructions, CDATA and DOCTYPE are skipped. Errors
/// (mismatched or unclosed tags) say the line.
pub fn xml_elements(text: &str) -> Result<Vec<XmlElem>, String> {
    let mut out = Vec::new();
    // (name, attrs, text)
    let mut stack: Vec<(String, String, String)> = Vec::new();
    let mut i = 0;
    let b = text.as_bytes();
    let mut saw_root = false;
    while i < b.len() {
        let Some(rel) = text[i..].find('<') else {
            if let Some(top) = stack.last_mut() {
                top.2.push_str(&text[i..]);
            }
            break;
        };
        if let Some(top) = stack.last_mut() {
            top.2.push_str(&text[i..i + rel]);
        }
        let start = i + rel;
        let rest = &text[start..];
        let (skip_to, what) = if rest.starts_with("<!--") {
            ("-->", "comment")
        } else if rest.starts_with("<![CDATA[") {
            ("]]>", "CDATA section")
        } else if rest.starts_with("<?") {
            ("?>", "processing instruction")
        } else if rest.starts_with("<!") {
            (">", "declaration")
        } else {
            ("", "")
        };
        if !skip_to.is_empty() {
            match rest.find(skip_to) {
                Some(end) => {
                    if what == "CDATA section"
                        && let Some(top) = stack.last_mut()
                    {
                        top.2.push_str(&rest[9..end]);
                    }
                    i = start + end + skip_to.len();
                    continue;
                }
                None => {
                    let (l, c) = line_col(text, start);
                    return Err(format!("unterminated {what} at line {l} column {c}"));
                }
            }
        }
        let Some(end) = rest.find('>') else {
            let (l, c) = line_col(text, start);
            return Err(format!("unterminated tag at line {l} column {c}"));
        };
        let tag = &rest[1..end];
        i = start + end + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            match stack.pop() {
                Some((open, attrs, t)) if open == name => {
                    let mut path: Vec<&str> = stack.iter().map(|(n, _, _)| n.as_str()).collect();
                    path.push(name);
                    out.push(XmlElem {
                        path: path.join("/"),
                        text: t.trim().to_string(),
                        attrs,
                    });
                }
                Some((open, _, _)) => {
                    let (l, c) = line_col(text, start);
                    return Err(format!(
                        "mismatched tag at line {l} column {c}: expected </{open}>, found </{name}>"
                    ));
                }
                None => {
                    let (l, c) = line_col(text, start);
                    return Err(format!("unexpected </{name}> at line {l} column {c}"));
                }
            }
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
            let name = &tag[..name_end];
            if name.is_empty() {
                let (l, c) = line_col(text, start);
                return Err(format!("empty tag name at line {l} column {c}"));
            }
            if stack.is_empty() && saw_root {
                let (l, c) = line_col(text, start);
                return Err(format!(
                    "second root element <{name}> at line {l} column {c}"
                ));
            }
            saw_root = true;
            let attrs = tag[name_end..].trim().to_string();
            if self_closing {
                let mut path: Vec<&str> = stack.iter().map(|(n, _, _)| n.as_str()).collect();
                path.push(name);
                out.push(XmlElem {
                    path: path.join("/"),
                    text: String::new(),
                    attrs,
                });
            } else {
                stack.push((name.to_string(), attrs, String::new()));
            }
        }
    }
    if let Some((open, _, _)) = stack.last() {
        return Err(format!(
            "element <{open}> is not closed at the end of the file"
        ));
    }
    if !saw_root {
        return Err("no root element".to_string());
    }
    Ok(out)
}

/// The value of attribute `name` in raw attribute text (`Sdk="Microsoft.NET.Sdk.Web"`).
pub fn xml_attr(attrs: &str, name: &str) -> Option<String> {
    let re = Regex::new(&format!(
        r#"(?:^|\s){}\s*=\s*["']([^"']*)["']"#,
        regex::escape(name)
    ))
    .ok()?;
    re.captures(attrs)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
}

#[cfg(test)]
pub mod testutil {
    //! Folder views built the way the walker builds them.

    use std::path::Path;

    use super::Folder;

    /// A folder view of a real directory: its root-level files and sub-folders.
    pub fn folder_of(path: &Path, rel: &str) -> Folder {
        let mut f = Folder::new(path, rel);
        for e in std::fs::read_dir(path).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            if e.file_type().unwrap().is_dir() {
                f.dirs.insert(name);
            } else {
                f.files.insert(name);
            }
        }
        f
    }

    /// A temporary folder with the given files (`/` in names creates sub-folders).
    pub fn temp(files: &[(&str, &str)]) -> (tempfile::TempDir, Folder) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let f = folder_of(dir.path(), "svc");
        (dir, f)
    }

    /// The fixture tree `tests/fixtures/eco/<case>`.
    pub fn fixture(case: &str) -> Folder {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/eco")
            .join(case);
        assert!(p.is_dir(), "missing fixture {}", p.display());
        folder_of(&p, case)
    }

    /// Runs an analyzer on a folder, returning the finding and diagnostics.
    pub fn run(
        a: super::super::Analyzer,
        f: &Folder,
    ) -> (Option<super::Finding>, Vec<super::Diagnostic>) {
        let mut d = Vec::new();
        let r = a(f, &mut d);
        (r, d)
    }

    /// The resolved port of a finding.
    pub fn port(f: &super::Finding) -> Option<u16> {
        super::ports::resolve(&f.ports)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_from_url_literals() {
        let code = r#"
const AUTH = "http://auth:8081/verify";
const r = redis.createClient({ url: 'redis://cache:6379' });
const db = "postgres://user:pw@db:5432/app";
fetch("https://api.github.com/x"); fetch("http://localhost:3000"); fetch("http://0.0.0.0:1");
// "http://commented:1"
const e = "http://example:80";
"#;
        assert_eq!(code_hosts(code), vec!["auth", "cache", "db"]);
    }

    #[test]
    fn port_variables_read_by_the_code() {
        let py = "port = int(os.getenv(\"SHOP_PAYMENT_PORT\", \"8080\"))\napp.run(host='0.0.0.0', port=os.environ.get(\"FLASK_SERVER_PORT\", 9090))\n";
        assert_eq!(
            port_vars(py),
            vec!["SHOP_PAYMENT_PORT", "FLASK_SERVER_PORT"]
        );
        let js = "const port = process.env.CART_SERVER_PORT || '8080';\nserver.listen(process.env['HTTP_PORT']);\n  port: process.env.DATABASE_PORT,\n// const port = process.env.OLD_PORT\nconst host = process.env.API_HOST;\n";
        assert_eq!(port_vars(js), vec!["CART_SERVER_PORT", "HTTP_PORT"]);
        let go = "srvPort := os.Getenv(\"LISTEN_PORT\")\n";
        assert_eq!(port_vars(go), vec!["LISTEN_PORT"]);
        assert!(port_vars("port = os.getenv(\"REDIS_PORT\")\n").is_empty());
    }

    #[test]
    fn hosts_from_environment_defaults() {
        let code = r#"
var redisHost = process.env.REDIS_HOST || 'redis'
const c = process.env["CATALOGUE_URL"] ?? "http://catalogue:8080";
CART = os.getenv('CART_HOST', 'cart')
user = os.environ.get("DB_USER", "admin")
var pg = Environment.GetEnvironmentVariable("POSTGRES_HOST") ?? "db";
local = os.getenv("API_HOST", "localhost")
// x = process.env.OLD_HOST || 'old'
"#;
        assert_eq!(
            env_default_hosts(code),
            vec!["redis", "catalogue", "cart", "db"]
        );
    }

    #[test]
    fn health_routes() {
        assert_eq!(
            health_path("app.get('/healthz', h)").as_deref(),
            Some("/healthz")
        );
        assert_eq!(
            health_path("@app.get(\"/api/health\")").as_deref(),
            Some("/api/health")
        );
        assert_eq!(health_path("app.get('/healthy-food')"), None);
        assert_eq!(
            health_path("r.HandleFunc(\"/_healthz\", ok)").as_deref(),
            Some("/_healthz")
        );
        assert_eq!(health_path("// app.get('/health')"), None);
        assert_eq!(health_path("# '/health'"), None);
        assert_eq!(
            health_path("#[get(\"/healthz\")]").as_deref(),
            Some("/healthz")
        );
    }

    #[test]
    fn jsonc_is_stripped_keeping_lines() {
        let t = "{\n // c\n \"a\": \"x//y\", /* b */\n \"b\": [1,2,],\n}\n";
        let v: serde_json::Value = serde_json::from_str(&strip_jsonc(t)).unwrap();
        assert_eq!(v["a"], "x//y");
        assert_eq!(v["b"][1], 2);
        assert_eq!(strip_jsonc(t).lines().count(), t.lines().count());
    }

    #[test]
    fn toml_errors_carry_line_and_column() {
        let text = "[package]\nname = \"x\"\nversion = \n";
        let e = toml::from_str::<toml::Table>(text).unwrap_err();
        let m = toml_error("Cargo.toml", text, &e);
        assert!(
            m.starts_with("Cargo.toml: invalid TOML at line 3 column"),
            "{m}"
        );
    }

    #[test]
    fn xml_reader() {
        let x = "<?xml version=\"1.0\"?>\n<!-- c -->\n<project a=\"1\">\n <artifactId>svc</artifactId>\n <b x='y'/>\n <c><![CDATA[t]]></c>\n</project>\n";
        let e = xml_elements(x).unwrap();
        assert_eq!(e[0].path, "project/artifactId");
        assert_eq!(e[0].text, "svc");
        assert_eq!(xml_attr(&e[1].attrs, "x").as_deref(), Some("y"));
        assert_eq!(e[2].text, "t");
        assert_eq!(e[3].path, "project");
        assert_eq!(xml_attr(&e[3].attrs, "a").as_deref(), Some("1"));
        let err = xml_elements("<project>\n<a>\n</b>\n</project>").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        assert!(
            xml_elements("<project><a></a>")
                .unwrap_err()
                .contains("not closed")
        );
        assert!(xml_elements("just text").is_err());
    }

    #[test]
    fn oversized_manifest_is_a_diagnostic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), vec![b' '; 64]).unwrap();
        let mut f = Folder::new(dir.path(), "big");
        f.files.insert("package.json".into());
        f.cap = 16;
        let mut d = Vec::new();
        assert!(read_or_diag(&f, "package.json", &mut d).is_none());
        assert_eq!(d[0].path, "big/package.json");
        assert!(
            d[0].message
                .starts_with("package.json: larger than the 16-byte cap"),
            "{}",
            d[0].message
        );
        assert!(super::super::node::analyze(&f, &mut Vec::new()).is_none());
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}

#[cfg(test)]
mod cross {
    //! Every analyzer of this family over every fixture and over arbitrary input.

    use std::path::Path;

    use proptest::prelude::*;

    use super::super::{
        Analyzer, deno, dotnet, elixir, golang, java, nginx, node, php, python, ruby, rust,
        static_site, terraform,
    };
    use super::testutil::{folder_of, run};

    const ECO: &[(&str, Analyzer)] = &[
        ("node", node::analyze),
        ("python", python::analyze),
        ("go", golang::analyze),
        ("rust", rust::analyze),
        ("java", java::analyze),
        ("ruby", ruby::analyze),
        ("php", php::analyze),
        ("dotnet", dotnet::analyze),
        ("elixir", elixir::analyze),
        ("deno", deno::analyze),
        ("static", static_site::analyze),
        ("nginx", nginx::analyze),
        ("terraform", terraform::analyze),
    ];

    /// Each fixture is claimed by its own ecosystem's analyzer only, without diagnostics.
    #[test]
    fn each_fixture_is_claimed_by_its_own_analyzer_only() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eco");
        let mut cases = 0;
        for eco in std::fs::read_dir(&root).unwrap() {
            let eco = eco.unwrap();
            if !eco.file_type().unwrap().is_dir() {
                continue;
            }
            let eco_name = eco.file_name().into_string().unwrap();
            for case in std::fs::read_dir(eco.path()).unwrap() {
                let case = case.unwrap();
                let rel = format!("{eco_name}/{}", case.file_name().into_string().unwrap());
                let folder = folder_of(&case.path(), &rel);
                let mut claimed = Vec::new();
                for (name, a) in ECO {
                    let (f, d) = run(*a, &folder);
                    assert!(d.is_empty(), "{rel}: {name} diagnostics {d:?}");
                    if f.is_some() {
                        claimed.push(*name);
                    }
                }
                assert_eq!(claimed, vec![eco_name.as_str()], "{rel}");
                cases += 1;
            }
        }
        assert!(cases >= 30, "only {cases} fixtures");
    }

    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, std::path::PathBuf)>) {
        out.push((rel.to_string(), dir.to_path_buf()));
        let mut subs: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_dir())
            .collect();
        subs.sort_by_key(|e| e.file_name());
        for e in subs {
            let name = e.file_name().into_string().unwrap();
            walk(&e.path(), &format!("{rel}/{name}"), out);
        }
    }

    /// What every folder of the fixture tree (nested ones too, as the walker visits them) yields:
    /// `path kind [helper|aggregator]`, one line per finding.
    #[test]
    fn nested_fixture_folders() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eco");
        let mut all = Vec::new();
        walk(&root, ".", &mut all);
        let mut lines = Vec::new();
        for (rel, abs) in &all {
            let folder = folder_of(abs, rel);
            for (_, a) in ECO {
                let (f, d) = run(*a, &folder);
                assert!(d.is_empty(), "{rel}: {d:?}");
                if let Some(f) = f {
                    let role = if f.aggregator {
                        " aggregator"
                    } else if f.helper_only {
                        " helper"
                    } else {
                        ""
                    };
                    lines.push(format!("{} {}{role}", rel.trim_start_matches("./"), f.kind));
                }
            }
        }
        let expected = [
            "deno/oak deno",
            "dotnet/aspnet dotnet",
            "elixir/phoenix elixir",
            "go/gin golang",
            "go/plain golang",
            "go/plain/cmd/notifier golang helper",
            "java/gradle java",
            "java/spring-maven java",
            "nginx/proxy proxy",
            "node/express nodejs",
            "node/fastify nodejs",
            "node/nestjs nodejs",
            "node/next nodejs",
            "node/nuxt nodejs",
            "node/remix nodejs",
            "node/vite nodejs",
            "node/workspace-root nodejs aggregator",
            "node/workspace-root/packages/lib nodejs helper",
            "node/workspace-root/packages/web nodejs",
            "php/laravel php",
            "python/django python",
            "python/fastapi python",
            "python/flask python",
            "python/pipfile python",
            "python/setup-py python",
            "python/streamlit python",
            "ruby/rails ruby",
            "ruby/sinatra ruby",
            "rust/actix rust",
            "rust/axum rust",
            "rust/rocket rust",
            "rust/warp rust",
            "rust/workspace rust aggregator",
            "rust/workspace/crates/api rust",
            "rust/workspace/crates/core rust helper",
            "static/site static",
            "terraform/aws infrastructure",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn an_empty_folder_has_no_signal() {
        let dir = tempfile::tempdir().unwrap();
        let folder = folder_of(dir.path(), ".");
        for (name, a) in ECO {
            let (f, d) = run(*a, &folder);
            assert!(f.is_none() && d.is_empty(), "{name}");
        }
    }

    const NAMES: &[&str] = &[
        "package.json",
        "server.js",
        "requirements.txt",
        "pyproject.toml",
        "Pipfile",
        "setup.py",
        "manage.py",
        "app.py",
        "Procfile",
        "go.mod",
        "go.work",
        "main.go",
        "Cargo.toml",
        "Rocket.toml",
        "pom.xml",
        "build.gradle",
        "Gemfile",
        "config.ru",
        "composer.json",
        "index.php",
        "App.csproj",
        "appsettings.json",
        "mix.exs",
        "deno.json",
        "main.ts",
        "index.html",
        "nginx.conf",
        "site.conf",
        "main.tf",
        ".env",
    ];

    fn content() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            // Structured-looking text: fragments of every manifest syntax, shuffled.
            prop::collection::vec(
                prop::sample::select(vec![
                    "{",
                    "}",
                    "[",
                    "]",
                    "\"",
                    "'",
                    ":",
                    ",",
                    "=",
                    ";",
                    "\n",
                    "<",
                    ">",
                    "</",
                    "/>",
                    "<<EOF",
                    "EOF",
                    "#",
                    "//",
                    "/*",
                    "*/",
                    "server",
                    "listen",
                    "80",
                    "99999",
                    "0",
                    ":8080",
                    "port",
                    "=",
                    "proxy_pass http://",
                    "upstream",
                    "[package]",
                    "[[bin]]",
                    "name",
                    "module",
                    "require (",
                    ")",
                    "package main",
                    "<project>",
                    "<Project Sdk=\"Microsoft.NET.Sdk.Web\">",
                    "gem 'rails'",
                    "defmodule X do",
                    "def project",
                    "apps_path:",
                    "Deno.serve",
                    "FastAPI(",
                    "app = Flask(",
                    "__main__",
                    ".run(",
                    "scripts",
                    "start",
                    "main",
                    "workspaces",
                    "dependencies",
                    "express",
                    "django",
                    "é",
                    "\u{0}",
                    "\\",
                    "${",
                    "http://a:1",
                    "/health",
                    "provider \"aws\"",
                    "required_providers",
                ]),
                0..60,
            )
            .prop_map(|parts| parts.concat().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..200),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// No analyzer panics, whatever the manifests hold.
        #[test]
        fn analyzers_never_panic(files in prop::collection::vec(
            (prop::sample::select(NAMES.to_vec()), content()), 1..6)
        ) {
            let dir = tempfile::tempdir().unwrap();
            for (name, bytes) in &files {
                std::fs::write(dir.path().join(name), bytes).unwrap();
            }
            let folder = folder_of(dir.path(), "x");
            for (_, a) in ECO {
                let mut d = Vec::new();
                if let Some(f) = a(&folder, &mut d) {
                    prop_assert!((0.0..=0.99).contains(&f.confidence));
                    prop_assert!(!f.technologies.is_empty());
                }
            }
        }
    }
}
