//! The application configuration of a JVM service (Spring Boot, Quarkus, Micronaut):
//! `src/main/resources/application.{properties,yml,yaml}` and the file of the active profile
//! (`application-docker.yml` when `spring.profiles.active: docker`), multi-document YAML with
//! `spring.config.activate.on-profile` sections, and the listening port they set (`server.port`,
//! with `${PORT:8080}` placeholders resolved through the folder's environment or their default).

use std::collections::BTreeMap;

use super::super::Folder;
use super::super::lang;
use super::super::model::Diagnostic;
use super::super::ports;

pub const CONFIG_DIR: &str = "src/main/resources";
/// Keys that set the listening port.
pub const PORT_KEYS: &[&str] = &["server.port", "quarkus.http.port", "micronaut.server.port"];
/// At most this many configuration settings are kept per file.
pub const EVIDENCE_CAP: usize = 200;

/// What the configuration files say.
#[derive(Debug, Default)]
pub struct Config {
    /// Files read, folder-relative.
    pub files: Vec<String>,
    /// Settings in file order (the base file, then the active profile's), `key = value`.
    pub settings: Vec<(String, String)>,
    /// The listening port, when a port key sets one.
    pub port: Option<u16>,
}

/// Reads the configuration of a JVM service folder; `env` resolves placeholders (`${PORT:8080}`
/// with `PORT=9000` in the folder's `.env` gives 9000).
pub fn read(
    folder: &Folder,
    env: &BTreeMap<String, String>,
    diags: &mut Vec<Diagnostic>,
) -> Config {
    let mut cfg = Config::default();
    let mut base: Vec<(String, String)> = Vec::new();
    // Documents of the base files: each with the profile it is limited to, if any.
    let mut profiled: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for name in [
        "application.properties",
        "application.yml",
        "application.yaml",
    ] {
        let inner = format!("{CONFIG_DIR}/{name}");
        let Some(docs) = read_file(folder, &inner, diags) else {
            continue;
        };
        cfg.files.push(inner);
        for doc in docs {
            match doc_profile(&doc) {
                Some(p) => profiled.push((p, doc)),
                None => base.extend(doc),
            }
        }
    }
    let active: Vec<String> = env
        .get("SPRING_PROFILES_ACTIVE")
        .cloned()
        .or_else(|| value(&base, "spring.profiles.active"))
        .map(|v| {
            v.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty() && !p.contains("${"))
                .collect()
        })
        .unwrap_or_default();
    cfg.settings = base;
    for p in active.iter().take(4) {
        for (dp, doc) in &profiled {
            if dp.split(',').any(|x| x.trim() == p) {
                cfg.settings.extend(doc.iter().cloned());
            }
        }
        for ext in ["properties", "yml", "yaml"] {
            let inner = format!("{CONFIG_DIR}/application-{p}.{ext}");
            if let Some(docs) = read_file(folder, &inner, diags) {
                cfg.files.push(inner);
                cfg.settings.extend(docs.into_iter().flatten());
            }
        }
    }
    // The last setting of a port key wins, as later profiles override earlier ones.
    cfg.port = cfg
        .settings
        .iter()
        .rev()
        .filter(|(k, _)| PORT_KEYS.contains(&k.as_str()))
        .find_map(|(_, v)| config_port(v, env));
    cfg
}

/// The documents of one configuration file (a `.properties` file is one document), or `None` when
/// it does not exist; a YAML document that does not parse is a diagnostic and is left out.
fn read_file(
    folder: &Folder,
    inner: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Vec<(String, String)>>> {
    let text = folder.read_opt(inner)?;
    let name = inner.rsplit('/').next().unwrap_or(inner);
    if inner.ends_with(".properties") {
        let mut docs = vec![Vec::new()];
        // `#---` separates documents of a properties file (Spring Boot 2.4+).
        for line in text.lines() {
            if line.trim() == "#---" || line.trim() == "!---" {
                docs.push(Vec::new());
            } else if let Some(kv) = property(line)
                && let Some(d) = docs.last_mut()
                && d.len() < EVIDENCE_CAP
            {
                d.push(kv);
            }
        }
        return Some(docs);
    }
    let mut docs = Vec::new();
    for (i, doc) in yaml_documents(&text).into_iter().enumerate() {
        match parse_yaml_doc(doc) {
            Ok(v) => {
                let mut out = Vec::new();
                flatten_yaml("", &v, &mut out);
                docs.push(out);
            }
            Err(e) => {
                let which = if i == 0 {
                    String::new()
                } else {
                    format!(" (document {})", i + 1)
                };
                diags.push(lang::diag(
                    folder,
                    inner,
                    format!("{name}: invalid YAML{which}: {e}"),
                ));
            }
        }
    }
    Some(docs)
}

/// The one place this file parses YAML: one document of an `application.yml`.
fn parse_yaml_doc(text: &str) -> Result<serde_yaml_ng::Value, String> {
    crate::detect::yaml::parse(text)
}

/// The documents of a YAML file, split at `---` lines (at most 32).
fn yaml_documents(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_end();
        if (t == "---" || t.starts_with("--- ")) && docs.len() < 31 {
            docs.push(&text[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    docs.push(&text[start..]);
    docs.retain(|d| !d.trim().is_empty());
    docs
}

/// The profile a document is limited to (`spring.config.activate.on-profile`, or the older
/// `spring.profiles` of a document).
fn doc_profile(doc: &[(String, String)]) -> Option<String> {
    value(doc, "spring.config.activate.on-profile").or_else(|| value(doc, "spring.profiles"))
}

fn value(settings: &[(String, String)], key: &str) -> Option<String> {
    settings
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// One `key=value` / `key: value` line of a `.properties` file.
fn property(line: &str) -> Option<(String, String)> {
    let l = line.trim();
    if l.is_empty() || l.starts_with('#') || l.starts_with('!') {
        return None;
    }
    let i = l.find(['=', ':'])?;
    let k = l[..i].trim();
    (!k.is_empty()).then(|| (k.to_string(), l[i + 1..].trim().to_string()))
}

fn flatten_yaml(prefix: &str, v: &serde_yaml_ng::Value, out: &mut Vec<(String, String)>) {
    use serde_yaml_ng::Value as Y;
    if out.len() >= EVIDENCE_CAP {
        return;
    }
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Y::Mapping(m) => {
            for (k, v) in m {
                let k = match k {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => continue,
                };
                flatten_yaml(&key(&k), v, out);
            }
        }
        // `spring.profiles.active: [docker, prod]`
        Y::Sequence(items) if !prefix.is_empty() => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(|i| match i {
                    Y::String(s) => Some(s.clone()),
                    Y::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect();
            if !parts.is_empty() {
                out.push((prefix.to_string(), parts.join(",")));
            }
        }
        Y::String(s) if !prefix.is_empty() => out.push((prefix.to_string(), s.clone())),
        Y::Number(n) if !prefix.is_empty() => out.push((prefix.to_string(), n.to_string())),
        Y::Bool(b) if !prefix.is_empty() => out.push((prefix.to_string(), b.to_string())),
        _ => {}
    }
}

/// `8081`, or a placeholder `${PORT:8081}` resolved through `env`, else its default.
pub fn config_port(v: &str, env: &BTreeMap<String, String>) -> Option<u16> {
    placeholder_port(v, env, 0)
}

/// [`config_port`] with nested placeholders followed at most a few levels deep.
fn placeholder_port(v: &str, env: &BTreeMap<String, String>, depth: usize) -> Option<u16> {
    if depth > 4 {
        return None;
    }
    let v = v.trim().trim_matches(['"', '\'']);
    if let Some(p) = ports::parse_port(v) {
        return Some(p);
    }
    let inner = v.strip_prefix("${")?.strip_suffix('}')?;
    let (var, default) = match inner.split_once(':') {
        Some((var, d)) => (var, Some(d)),
        None => (inner, None),
    };
    env.get(var)
        .and_then(|x| ports::parse_port(x))
        .or_else(|| default.and_then(|d| placeholder_port(d, env, depth + 1)))
}

/// Relaxed-binding environment form: `spring.datasource.url` → `SPRING_DATASOURCE_URL`.
pub fn env_form(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '-')
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::super::lang::testutil::temp;
    use super::*;

    fn cfg(files: &[(&str, &str)], env: &[(&str, &str)]) -> (Config, Vec<Diagnostic>) {
        let (_d, folder) = temp(files);
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut diags = Vec::new();
        (read(&folder, &env, &mut diags), diags)
    }

    #[test]
    fn placeholders_and_profiles() {
        let (c, d) = cfg(
            &[(
                "src/main/resources/application.properties",
                "server.port=${PORT:8181}\n",
            )],
            &[],
        );
        assert!(d.is_empty());
        assert_eq!(c.port, Some(8181));
        let (c, _) = cfg(
            &[(
                "src/main/resources/application.properties",
                "server.port=${SERVER_PORT:${PORT:8181}}\n",
            )],
            &[("PORT", "9100")],
        );
        assert_eq!(c.port, Some(9100));
        // The active profile's file overrides the base.
        let (c, _) = cfg(
            &[
                (
                    "src/main/resources/application.yml",
                    "spring:\n  profiles:\n    active: docker\nserver:\n  port: 8080\n",
                ),
                (
                    "src/main/resources/application-docker.yml",
                    "server:\n  port: 9000\n",
                ),
                (
                    "src/main/resources/application-dev.yml",
                    "server:\n  port: 7000\n",
                ),
            ],
            &[],
        );
        assert_eq!(c.port, Some(9000));
        assert_eq!(c.files.len(), 2);
        // Multi-document YAML with a profile section; SPRING_PROFILES_ACTIVE from the env.
        let multi = "server:\n  port: 8080\n---\nspring:\n  config:\n    activate:\n      on-profile: k8s\nserver:\n  port: 8443\n";
        let (c, d) = cfg(&[("src/main/resources/application.yaml", multi)], &[]);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.port, Some(8080));
        let (c, _) = cfg(
            &[("src/main/resources/application.yaml", multi)],
            &[("SPRING_PROFILES_ACTIVE", "k8s")],
        );
        assert_eq!(c.port, Some(8443));
    }

    #[test]
    fn a_bad_document_is_a_diagnostic_naming_it() {
        let (c, d) = cfg(
            &[(
                "src/main/resources/application.yml",
                "server:\n  port: 8082\n---\nserver: [\n",
            )],
            &[],
        );
        assert_eq!(c.port, Some(8082));
        assert!(
            d[0].message
                .starts_with("application.yml: invalid YAML (document 2)"),
            "{d:?}"
        );
    }
}
