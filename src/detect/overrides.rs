//! The workspace's overrides file, `.kyozo.toml` at the workspace root: what detection cannot know,
//! said once by the user. Optional; read like every other input (non-blocking, regular files only,
//! within the read cap).
//!
//! ```toml
//! ignore = ["experiments/", "tools/*"]   # folders never walked: gitignore syntax from the root
//! [deploy]
//! target = "swarm"                        # or "engine"
//! registry = "registry.local:5000/team"
//! publish = "host"                        # or "ingress"
//! [services.api]                          # by service name
//! type = "nodejs"
//! port = 4000
//! start = "node dist/server.js"
//! env = { LOG_LEVEL = "debug" }
//! depends_on = ["auth"]
//! health = { path = "/ready", interval_s = 10, timeout_s = 5, retries = 3 }
//! limits = { memory = "1Gi", cpu = "1", storage = "2Gi" }
//! scaling = { min = 1, max = 5, target_cpu = 60 }
//! autoscale = true
//! [services.worker]                       # a folder detection missed, or a service renamed:
//! path = "jobs/worker"                    # the section names the service at this folder
//! type = "python"                         # (required when nothing was detected there)
//! [services.legacy]
//! ignore = true                           # not a service
//! ```
//!
//! Overrides win over detection; every field set is listed in [`Service::overrides`]. A file that
//! does not parse (a syntax error, an unknown key, a wrong type) is a diagnostic naming the line, and
//! detection runs as if there were no file. A section naming no service, a `depends_on` naming none,
//! or a value out of range is a diagnostic too; the rest of the file still applies.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::deps::Edge;
use super::folder::read_regular;
use super::model::{Dependency, DeploySettings, Diagnostic, EdgeKind, Service, ServiceType};

/// The file name, at the workspace root.
pub const FILE: &str = ".kyozo.toml";

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Folders never walked (gitignore syntax, anchored at the workspace root).
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub deploy: Deploy,
    /// Per service, by name.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceOverride>,
}

/// `[deploy]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    pub target: Option<Target>,
    pub registry: Option<String>,
    pub publish: Option<Publish>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Engine,
    Swarm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Publish {
    Ingress,
    Host,
}

/// `[services.<name>]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceOverride {
    /// The folder of the service (workspace-relative): names the service found there, or makes
    /// the folder a service of `type` when detection found none.
    pub path: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<ServiceType>,
    pub port: Option<u16>,
    pub start: Option<String>,
    pub env: Option<BTreeMap<String, Scalar>>,
    pub depends_on: Option<Vec<String>>,
    pub health: Option<Health>,
    pub limits: Option<Limits>,
    pub scaling: Option<ScalingOverride>,
    pub autoscale: Option<bool>,
    /// `true`: not a service.
    pub ignore: Option<bool>,
}

/// `health = { ... }`: the fields given replace the detected ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    pub path: Option<String>,
    pub interval_s: Option<u32>,
    pub timeout_s: Option<u32>,
    pub retries: Option<u32>,
}

/// `limits = { ... }` (`cpu` may be a number).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub memory: Option<Scalar>,
    pub cpu: Option<Scalar>,
    pub storage: Option<Scalar>,
}

/// `scaling = { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingOverride {
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub target_cpu: Option<u32>,
}

/// A string, number or boolean value (`PORT = 4000` and `PORT = "4000"` both give `4000`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Str(s) => f.write_str(s),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// The file's text, kept to give diagnostics a line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    pub overrides: Overrides,
    text: String,
}

impl Loaded {
    /// The line of the `[services.<name>]` section (or the first line naming it), for diagnostics.
    fn line_of(&self, name: &str) -> String {
        let quoted = format!("\"{name}\"");
        self.text
            .lines()
            .position(|l| {
                let l = l.trim();
                l.starts_with('[')
                    && (l.contains(&format!("services.{name}]"))
                        || l.contains(&format!("services.{quoted}]")))
                    || l.starts_with(&format!("{name} ="))
                    || l.starts_with(&format!("{name}="))
            })
            .map_or(String::new(), |i| format!("line {}: ", i + 1))
    }
}

/// Reads the overrides file of the workspace at `root` (canonical). No file gives the defaults; a
/// file that cannot be read or parsed gives the defaults and a diagnostic.
pub fn load(root: &Path, cap: u64) -> (Loaded, Vec<Diagnostic>) {
    match read_regular(&root.join(FILE), cap) {
        Ok(None) => (Loaded::default(), Vec::new()),
        Ok(Some(text)) => parse(&text),
        Err(e) => (
            Loaded::default(),
            vec![Diagnostic::new(FILE, format!("{e}; overrides not used"))],
        ),
    }
}

/// Parses the text of an overrides file.
pub fn parse(text: &str) -> (Loaded, Vec<Diagnostic>) {
    match toml::from_str::<Overrides>(text) {
        Ok(overrides) => (
            Loaded {
                overrides,
                text: text.to_string(),
            },
            Vec::new(),
        ),
        Err(e) => {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let msg = e.message().trim().replace('\n', " ");
            let at = line.map_or(String::new(), |l| format!("line {l}: "));
            (
                Loaded::default(),
                vec![Diagnostic::new(
                    FILE,
                    format!("{at}{msg}; the file is not used"),
                )],
            )
        }
    }
}

impl Overrides {
    /// The `[deploy]` settings as the topology carries them.
    pub fn deploy_settings(&self) -> DeploySettings {
        DeploySettings {
            target: self.deploy.target.map(|t| {
                match t {
                    Target::Engine => "engine",
                    Target::Swarm => "swarm",
                }
                .to_string()
            }),
            registry: self.deploy.registry.clone(),
            publish: self.deploy.publish.map(|p| {
                match p {
                    Publish::Ingress => "ingress",
                    Publish::Host => "host",
                }
                .to_string()
            }),
        }
    }
}

/// Whether a service name is valid (`^[A-Za-z0-9_-]{1,100}$`).
fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 100
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A `path` value as a workspace-relative path (`./a/b/` gives `a/b`, `""` gives `.`).
fn normal_path(p: &str) -> Option<String> {
    let p = p.trim().trim_start_matches("./").trim_matches('/');
    if p.is_empty() || p == "." {
        return Some(".".to_string());
    }
    if p.split('/').any(|c| c.is_empty() || c == "..") {
        return None;
    }
    Some(p.to_string())
}

/// Applies the services' overrides to the assembled `services` (before dependencies are resolved):
/// names and new services from `path`, `ignore`, and every field. `folders` are the walked folders
/// (workspace-relative). Returns, for each resulting service, the index it had in `services`
/// before (`None` for a service the file made).
pub fn apply(
    loaded: &Loaded,
    services: &mut Vec<Service>,
    folders: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Option<usize>> {
    let ov = &loaded.overrides;
    let mut origin: Vec<Option<usize>> = (0..services.len()).map(Some).collect();
    let mut diag = |name: &str, msg: String| {
        diags.push(Diagnostic::new(
            FILE,
            format!("{}[services.{name}]: {msg}", loaded.line_of(name)),
        ));
    };
    // Sections that name a folder first: they may rename or create the service others refer to.
    let mut targets: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, o) in &ov.services {
        if !valid_name(name) {
            diag(
                name,
                "not a valid service name (letters, digits, `-`, `_`)".to_string(),
            );
            continue;
        }
        let Some(raw) = &o.path else { continue };
        let Some(path) = normal_path(raw) else {
            diag(name, format!("path `{raw}` is not inside the workspace"));
            continue;
        };
        if let Some(other) = services
            .iter()
            .position(|s| &s.name == name && s.path != path)
        {
            diag(
                name,
                format!(
                    "path `{path}`: the name is taken by the service at `{}`",
                    services[other].path
                ),
            );
            continue;
        }
        match services.iter().position(|s| s.path == path) {
            Some(i) => {
                let old = std::mem::replace(&mut services[i].name, name.clone());
                if old != *name {
                    for s in services.iter_mut() {
                        if s.stack.as_deref() == Some(old.as_str()) {
                            s.stack = Some(name.clone());
                        }
                    }
                    services[i].overrides.push("name".to_string());
                }
                targets.insert(name, i);
            }
            None if !folders.contains(&path.as_str()) => {
                diag(
                    name,
                    format!("path `{path}` is not a folder of the workspace (or it is ignored)"),
                );
            }
            None => match o.kind {
                Some(kind) => {
                    let mut s = Service::new(name.clone(), path.clone(), kind, 1.0);
                    s.indicators.push(FILE.to_string());
                    s.overrides.push("name".to_string());
                    services.push(s);
                    origin.push(None);
                    targets.insert(name, services.len() - 1);
                }
                None => diag(
                    name,
                    format!(
                        "nothing was detected at `{path}`: say its `type` to make it a service"
                    ),
                ),
            },
        }
    }
    for (name, o) in &ov.services {
        if !valid_name(name) || (o.path.is_some() && !targets.contains_key(name.as_str())) {
            continue;
        }
        let Some(i) = targets
            .get(name.as_str())
            .copied()
            .or_else(|| services.iter().position(|s| &s.name == name))
        else {
            let known: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
            diag(
                name,
                format!(
                    "no service is named `{name}` (services: {}); add `path = \"...\"` to name a folder",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            );
            continue;
        };
        let mut problems = Vec::new();
        set_fields(&mut services[i], o, &mut problems);
        for p in problems {
            diag(name, p);
        }
    }
    // Ignored services go last (a section may both rename and ignore).
    let ignored: Vec<String> = ov
        .services
        .iter()
        .filter(|(_, o)| o.ignore == Some(true))
        .map(|(n, _)| n.clone())
        .filter(|n| services.iter().any(|s| &s.name == n))
        .collect();
    for name in &ignored {
        for s in services.iter_mut() {
            if s.stack.as_deref() == Some(name.as_str()) {
                s.stack = None;
                s.deployable = s.kind.deployable();
            }
        }
    }
    let mut kept = Vec::with_capacity(services.len());
    let mut kept_origin = Vec::with_capacity(services.len());
    for (s, o) in services.drain(..).zip(origin) {
        if !ignored.contains(&s.name) {
            kept.push(s);
            kept_origin.push(o);
        }
    }
    // Back in path order (the root first, then component by component).
    let mut pairs: Vec<(Service, Option<usize>)> = kept.into_iter().zip(kept_origin).collect();
    pairs.sort_by(|a, b| path_key(&a.0.path).cmp(&path_key(&b.0.path)));
    let (sorted, sorted_origin): (Vec<Service>, Vec<Option<usize>>) = pairs.into_iter().unzip();
    *services = sorted;
    sorted_origin
}

fn path_key(rel: &str) -> Vec<&str> {
    if rel == "." {
        Vec::new()
    } else {
        rel.split('/').collect()
    }
}

/// Sets the fields a section gives, recording each in `overrides`.
fn set_fields(s: &mut Service, o: &ServiceOverride, problems: &mut Vec<String>) {
    let mark = |s: &mut Service, f: &str| {
        if !s.overridden(f) {
            s.overrides.push(f.to_string());
        }
    };
    if let Some(k) = o.kind {
        s.kind = k;
        if s.stack.is_none() {
            s.deployable = k.deployable();
        }
        mark(s, "type");
    }
    if let Some(p) = o.port {
        if p == 0 {
            problems.push("port 0 is not a port".to_string());
        } else {
            s.port = Some(p);
            s.ports.retain(|x| *x != p);
            s.ports.insert(0, p);
            mark(s, "port");
        }
    }
    if let Some(cmd) = &o.start {
        s.start_command = Some(cmd.clone());
        mark(s, "start");
    }
    if let Some(env) = &o.env {
        for (k, v) in env {
            s.env.insert(k.clone(), v.to_string());
        }
        mark(s, "env");
    }
    if let Some(h) = &o.health {
        if let Some(p) = &h.path {
            s.health_check.path = p.clone();
        }
        if let Some(v) = h.interval_s {
            s.health_check.interval_s = v;
        }
        if let Some(v) = h.timeout_s {
            s.health_check.timeout_s = v;
        }
        if let Some(v) = h.retries {
            s.health_check.retries = v;
        }
        mark(s, "health");
    }
    if let Some(l) = &o.limits {
        if let Some(v) = &l.memory {
            s.resource_limits.memory = v.to_string();
        }
        if let Some(v) = &l.cpu {
            s.resource_limits.cpu = v.to_string();
        }
        if let Some(v) = &l.storage {
            s.resource_limits.storage = v.to_string();
        }
        mark(s, "limits");
    }
    if let Some(sc) = &o.scaling {
        let mut next = s.scaling;
        next.min = sc.min.unwrap_or(next.min);
        next.max = sc.max.unwrap_or(next.max);
        next.target_cpu = sc.target_cpu.unwrap_or(next.target_cpu);
        if next.min > next.max {
            problems.push(format!(
                "scaling min {} is above max {}; scaling not set",
                next.min, next.max
            ));
        } else if next.target_cpu == 0 || next.target_cpu > 100 {
            problems.push(format!(
                "scaling target_cpu {} is not a percentage (1-100); scaling not set",
                next.target_cpu
            ));
        } else {
            s.scaling = next;
            mark(s, "scaling");
        }
    }
    if let Some(a) = o.autoscale {
        s.autoscale = a;
        mark(s, "autoscale");
    }
    if o.depends_on.is_some() {
        mark(s, "depends_on");
    }
}

/// The hard edges of the services' `depends_on` overrides (after dependencies are resolved): each
/// names a service, or a member of a compose stack (the edge then goes to the stack). Fills the
/// services' `depends_on` and `dependencies` and returns the edges for the deployment order.
pub fn dependencies(
    loaded: &Loaded,
    services: &mut [Service],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Edge> {
    let mut edges = Vec::new();
    for (name, o) in &loaded.overrides.services {
        let Some(wanted) = &o.depends_on else {
            continue;
        };
        let Some(from) = services.iter().position(|s| &s.name == name) else {
            continue;
        };
        for d in wanted {
            let lower = d.to_ascii_lowercase();
            let target = services
                .iter()
                .position(|s| s.name.to_ascii_lowercase() == lower)
                .or_else(|| {
                    services.iter().position(|s| {
                        s.members
                            .iter()
                            .any(|m| m.name.to_ascii_lowercase() == lower)
                    })
                });
            let Some(to) = target.filter(|t| *t != from) else {
                diags.push(Diagnostic::new(
                    FILE,
                    format!(
                        "{}[services.{name}]: depends_on `{d}` names no other service",
                        loaded.line_of(name)
                    ),
                ));
                continue;
            };
            let evidence = format!("{FILE} depends_on {d}");
            edges.push(Edge {
                from,
                to,
                kind: EdgeKind::Hard,
                name: d.clone(),
                evidence: evidence.clone(),
                late: false,
            });
            let s = &mut services[from];
            match s.dependencies.iter_mut().find(|x| x.name == *d) {
                Some(x) => {
                    x.kind = EdgeKind::Hard;
                    x.evidence = evidence;
                }
                None => s.dependencies.push(Dependency {
                    name: d.clone(),
                    kind: EdgeKind::Hard,
                    evidence,
                }),
            }
            s.dependencies.sort_by(|a, b| a.name.cmp(&b.name));
            if !s.depends_on.contains(d) {
                s.depends_on.push(d.clone());
                s.depends_on.sort();
            }
        }
    }
    edges
}

#[cfg(test)]
mod tests;
