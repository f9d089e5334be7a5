//! Helpers shared by the ecosystem analyzers: reading manifests with diagnostics, parse-error messages
//! with line information, `.env` evidence, and the scan of entry code for port literals, host names in
//! URL literals and health-check routes.

mod jsonc;
mod scan;
pub use scan::MAX_HOSTS;
#[cfg(test)]
pub mod testutil;
mod xml;

pub use jsonc::{json5_to_json, strip_jsonc};
pub use scan::{code_hosts, env_default_hosts, health_path, is_service_host, port_vars, scan_text};
pub use xml::{XmlElem, xml_attr, xml_elements};

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
    // Editors on Windows start JSON files with a byte-order mark.
    match serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}')) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.push(diag(folder, file, json_error(file, &e)));
            None
        }
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
    let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    for name in [".env", ".env.example"] {
        if let Some(text) = folder.env_file(name) {
            for kv in envfile::parse(text) {
                if seen.insert(kv.clone()) {
                    f.env_evidence.push(kv);
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
    // A service has a few ports; past that the evidence is noise (and the look-up stays cheap).
    if f.ports.len() >= 2 * super::ports::MAX_CODE_PORTS {
        return;
    }
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
    // `gunicorn -b :$PORT` with `PORT=8000` in the folder's `.env`.
    let env: std::collections::BTreeMap<String, String> = f.env_evidence.iter().cloned().collect();
    if let Some(p) = ports::from_command_env(cmd, &env) {
        add_port(f, p, PortSource::RuntimeConfig);
    }
}

#[cfg(test)]
mod cross;
#[cfg(test)]
mod tests;
