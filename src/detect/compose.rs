//! Compose stacks: `compose.yaml`, `compose.yml`, `docker-compose.yaml`, `docker-compose.yml`.
//!
//! The file is read as a generic YAML value (never strict structs, so unknown keys and odd shapes do not
//! fail), after `${VAR}` interpolation with the `.env` file of the compose folder. Each entry of
//! `services` becomes a [`Member`]: image, build context (made workspace-relative), container and
//! published ports, `depends_on` with conditions, healthcheck. Member `environment` and `env_file`
//! values become dependency evidence. `docker-compose.override.yml` (or `compose.override.yaml`) is
//! merged into the file as compose merges it ([`merge`]); the other files of the folder named like
//! `compose.*.yaml` or `docker-compose-*.yml` are overlays ([`overlays`]): read as evidence for the
//! folders they build, never a stack of their own.

mod merge;

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use super::envfile;
use super::finding::{Finding, Rank};
use super::folder::Folder;
use super::model::{Diagnostic, Member, ServiceType};
use super::ports::{self, PortHint, PortSource};

/// Compose file names, in the order compose itself prefers them.
pub const COMPOSE_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Override files compose merges into the base file of the folder, the first one found.
pub const OVERRIDE_FILES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// At most this many overlay files of one folder are read.
const OVERLAY_CAP: usize = 16;

/// A parsed compose file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stack {
    /// The compose file name inside the folder.
    pub file: String,
    pub members: Vec<Member>,
    /// Per member (same order as `members`): runtime port evidence for the member's build folder
    /// (`command` flags and `PORT=` in `environment` as runtime config, container ports as compose
    /// container ports).
    pub member_hints: Vec<Vec<PortHint>>,
    /// `KEY=value` pairs of every member's `environment` and `env_file`.
    pub env_evidence: Vec<(String, String)>,
    /// Per member (same order as `members`): its own `environment` and `env_file` pairs.
    pub member_env: Vec<Vec<(String, String)>>,
    /// Per member (same order as `members`): the Dockerfile its `build.dockerfile` names,
    /// workspace-relative (`src/ad/Dockerfile` for `{context: ./, dockerfile: src/ad/Dockerfile}`).
    pub member_dockerfiles: Vec<Option<String>>,
    /// Per member (same order as `members`): other host names it answers to (`container_name`,
    /// `hostname`).
    pub member_aliases: Vec<Vec<String>>,
}

impl Stack {
    /// The folder a member's image is built from: the folder of its Dockerfile when that file is the
    /// folder's own `Dockerfile`/`Containerfile` inside the build context (a root context with
    /// `dockerfile: src/ad/Dockerfile` gives `src/ad`), else its build context.
    pub fn build_folder(&self, i: usize) -> Option<String> {
        let m = self.members.get(i)?;
        let ctx = m.build.as_deref()?;
        if let Some(Some(df)) = self.member_dockerfiles.get(i) {
            let (dir, file) = super::walker::split_rel(df);
            let own = file == "Dockerfile" || file == "Containerfile";
            let inside = ctx == "." || dir == ctx || dir.starts_with(&format!("{ctx}/"));
            if own && inside && dir != "." {
                return Some(dir.to_string());
            }
        }
        Some(ctx.to_string())
    }
}

/// Images of data stores and brokers: their published ports are not the stack's entry point.
const DATASTORES: &[&str] = &[
    "redis",
    "valkey",
    "postgres",
    "postgis",
    "timescaledb",
    "mysql",
    "mariadb",
    "mongo",
    "memcached",
    "rabbitmq",
    "elasticsearch",
    "opensearch",
    "kafka",
    "cp-kafka",
    "zookeeper",
    "cassandra",
    "couchdb",
    "neo4j",
    "influxdb",
    "clickhouse",
    "nats",
    "etcd",
    "minio",
];

/// Whether a member only runs a data store or broker image (`redis:7`, `bitnami/postgresql`).
pub fn is_datastore(m: &Member) -> bool {
    if m.build.is_some() {
        return false;
    }
    let Some(image) = m.image.as_deref() else {
        return false;
    };
    let lower = image.to_ascii_lowercase();
    let repo = lower.split(['@', ':']).next().unwrap_or(&lower);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    DATASTORES.iter().any(|d| last.starts_with(d))
}

/// The compose analyzer.
pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let stack = parse(folder, diags)?;
    let mut f = Finding::new(ServiceType::ComposeStack, Rank::Compose, 0.95);
    f.indicator(&stack.file);
    // The stack's port is the first published port of an application member (then of a data
    // store); container ports of members are not reachable.
    for datastores in [false, true] {
        for m in stack
            .members
            .iter()
            .filter(|m| is_datastore(m) == datastores)
        {
            for p in &m.published {
                f.ports
                    .push(PortHint::new(*p, PortSource::ComposeContainer));
            }
        }
    }
    f.env_evidence = stack.env_evidence;
    f.members = stack.members;
    Some(f)
}

/// Reads and parses the folder's compose file, merged with its override file when there is one.
/// `None` (with a diagnostic when a file exists) when there is no usable compose file.
pub fn parse(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Stack> {
    let file = COMPOSE_FILES.iter().find(|n| folder.has(n))?;
    let vars = env_vars(folder);
    let mut doc = match load(folder, file, &vars)? {
        Ok(doc) => doc,
        Err(msg) => {
            diags.push(Diagnostic::new(folder.rel_path(file), msg));
            return None;
        }
    };
    if let Some(over) = OVERRIDE_FILES.iter().find(|n| folder.has(n)) {
        match load(folder, over, &vars) {
            Some(Ok(o)) => merge::merge(&mut doc, o),
            Some(Err(msg)) => diags.push(Diagnostic::new(folder.rel_path(over), msg)),
            None => {}
        }
    }
    match members_of(&doc, &folder.rel, folder, &vars) {
        Ok(mut stack) => {
            stack.file = (*file).to_string();
            Some(stack)
        }
        Err(msg) => {
            diags.push(Diagnostic::new(folder.rel_path(file), msg));
            None
        }
    }
}

/// Whether a file name is a compose overlay: `compose.*.yaml`, `compose-*.yaml`,
/// `docker-compose.*.yml`, `docker-compose-*.yml` (either extension), neither a base file nor an
/// override file.
pub fn is_overlay(name: &str) -> bool {
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    let prefixed = ["compose.", "compose-", "docker-compose.", "docker-compose-"]
        .iter()
        .any(|p| name.starts_with(p));
    yaml && prefixed && !COMPOSE_FILES.contains(&name) && !OVERRIDE_FILES.contains(&name)
}

/// The folder's overlay files ([`is_overlay`]), each parsed on its own (after `.env`
/// interpolation). An overlay without `services` is skipped; invalid YAML is a diagnostic.
pub fn overlays(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Vec<Stack> {
    let names: Vec<&str> = ["compose", "docker-compose"]
        .iter()
        .flat_map(|p| folder.files_starting(p))
        .filter(|f| is_overlay(f))
        .take(OVERLAY_CAP)
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    let vars = env_vars(folder);
    let mut out = Vec::new();
    for name in names {
        match load(folder, name, &vars) {
            Some(Ok(doc)) => {
                if let Ok(mut stack) = members_of(&doc, &folder.rel, folder, &vars) {
                    stack.file = name.to_string();
                    out.push(stack);
                }
            }
            Some(Err(msg)) => diags.push(Diagnostic::new(folder.rel_path(name), msg)),
            None => {}
        }
    }
    out
}

/// The variables of the folder's `.env` file (values may use the variables above them).
fn env_vars(folder: &Folder) -> BTreeMap<String, String> {
    folder
        .env_file(".env")
        .map(envfile::parse_resolved)
        .unwrap_or_default()
}

/// Reads one compose file of the folder, interpolates it with `vars` and parses its YAML. `None` when
/// it cannot be read as text (a read error is reported as the parse error).
fn load(
    folder: &Folder,
    file: &str,
    vars: &BTreeMap<String, String>,
) -> Option<Result<Value, String>> {
    let text = match folder.read(file) {
        Ok(Some(t)) => t,
        Ok(None) => return None,
        Err(e) => return Some(Err(e.to_string())),
    };
    let text = match envfile::try_interpolate(&text, vars, envfile::MAX_EXPANDED) {
        Ok(t) => t,
        Err(msg) => return Some(Err(msg)),
    };
    Some(super::yaml::parse(&text).map_err(|e| format!("invalid YAML: {e}")))
}

/// Parses compose YAML text (already interpolated). `rel` is the compose folder's workspace-relative
/// path, used to make build contexts workspace-relative; `folder` reads `env_file`s.
#[cfg(test)]
fn parse_text(text: &str, rel: &str, folder: &Folder) -> Result<Stack, String> {
    let doc: Value = super::yaml::parse(text).map_err(|e| format!("invalid YAML: {e}"))?;
    members_of(&doc, rel, folder, &BTreeMap::new())
}

/// The members of a parsed compose document. `rel` is the compose folder's workspace-relative
/// path, used to make build contexts workspace-relative; `folder` reads `env_file`s; `vars` gives
/// the values of `environment` entries named without one (`- AD_PORT`).
fn members_of(
    doc: &Value,
    rel: &str,
    folder: &Folder,
    vars: &BTreeMap<String, String>,
) -> Result<Stack, String> {
    let services = match doc.get("services") {
        Some(Value::Mapping(m)) => m,
        Some(_) => return Err("`services` is not a mapping".to_string()),
        None => return Err("no `services` section".to_string()),
    };
    let mut stack = Stack::default();
    for (k, v) in services {
        let Some(name) = scalar(k) else { continue };
        let mut m = Member {
            name: name.clone(),
            ..Member::default()
        };
        let mut hints = Vec::new();
        m.image = v.get("image").and_then(scalar);
        m.build = v.get("build").and_then(|b| build_context(b, rel));
        let dockerfile = match (v.get("build"), m.build.as_deref()) {
            (Some(b @ Value::Mapping(_)), Some(ctx)) => b
                .get("dockerfile")
                .and_then(scalar)
                .filter(|d| !d.contains("://"))
                .and_then(|d| join_rel(ctx, &d)),
            _ => None,
        };
        let mut aliases = Vec::new();
        for key in ["container_name", "hostname"] {
            if let Some(a) = v.get(key).and_then(scalar)
                && a != name
                && !aliases.contains(&a)
            {
                aliases.push(a);
            }
        }
        if let Some(Value::Sequence(ps)) = v.get("ports") {
            for p in ps {
                if let Some((container, published)) = port_entry(p) {
                    push_unique(&mut m.ports, container);
                    if let Some(h) = published {
                        push_unique(&mut m.published, h);
                    }
                }
            }
        }
        if let Some(Value::Sequence(es)) = v.get("expose") {
            for e in es {
                if let Some(p) = scalar(e).and_then(|s| first_port(&s)) {
                    push_unique(&mut m.ports, p);
                }
            }
        }
        match v.get("depends_on") {
            Some(Value::Sequence(ds)) => {
                for d in ds.iter().filter_map(scalar) {
                    m.conditions
                        .insert(d.clone(), "service_started".to_string());
                    push_unique(&mut m.depends_on, d);
                }
            }
            Some(Value::Mapping(ds)) => {
                for (d, spec) in ds {
                    let Some(d) = scalar(d) else { continue };
                    let cond = spec
                        .get("condition")
                        .and_then(scalar)
                        .unwrap_or_else(|| "service_started".to_string());
                    m.conditions.insert(d.clone(), cond);
                    push_unique(&mut m.depends_on, d);
                }
            }
            _ => {}
        }
        m.healthcheck = match v.get("healthcheck") {
            Some(Value::Mapping(h)) => !h
                .get("disable")
                .is_some_and(|d| matches!(d, Value::Bool(true))),
            _ => false,
        };
        if let Some(cmd) = v.get("command").and_then(command_text)
            && let Some(p) = ports::from_command(&cmd)
        {
            hints.push(PortHint::new(p, PortSource::RuntimeConfig));
        }
        let mut env = environment(v.get("environment"));
        // `- AD_PORT` takes its value from the project's environment (the `.env` file).
        for (k, val) in env.iter_mut() {
            if val.is_empty()
                && let Some(x) = vars.get(k)
            {
                val.clone_from(x);
            }
        }
        if let Some(files) = v.get("env_file") {
            for f in env_files(files) {
                if let Some(t) = folder.read_opt(&f) {
                    env.extend(envfile::parse(&t));
                }
            }
        }
        for (k, val) in &env {
            if k == "PORT"
                && let Some(p) = ports::parse_port(val)
            {
                hints.push(PortHint::new(p, PortSource::RuntimeConfig));
            }
            stack.env_evidence.push((k.clone(), val.clone()));
        }
        for p in &m.ports {
            hints.push(PortHint::new(*p, PortSource::ComposeContainer));
        }
        if let Some(Value::Sequence(vs)) = v.get("volumes") {
            for vol in vs {
                if let Some(dir) = bind_folder(vol, rel) {
                    push_unique(&mut m.mounts, dir);
                }
            }
        }
        stack.members.push(m);
        stack.member_hints.push(hints);
        stack.member_env.push(env.into_iter().collect());
        stack.member_dockerfiles.push(dockerfile);
        stack.member_aliases.push(aliases);
    }
    Ok(stack)
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// A scalar YAML value as text (strings, numbers, booleans).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}

fn command_text(v: &Value) -> Option<String> {
    match v {
        Value::Sequence(parts) => Some(
            parts
                .iter()
                .filter_map(scalar)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        other => scalar(other),
    }
}

/// `environment` as a list (`KEY=value`, `KEY`) or a map.
fn environment(v: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match v {
        Some(Value::Sequence(items)) => {
            for s in items.iter().filter_map(scalar) {
                match s.split_once('=') {
                    Some((k, val)) => out.insert(k.trim().to_string(), val.to_string()),
                    None => out.insert(s.trim().to_string(), String::new()),
                };
            }
        }
        Some(Value::Mapping(m)) => {
            for (k, val) in m {
                if let Some(k) = scalar(k) {
                    out.insert(k, scalar(val).unwrap_or_default());
                }
            }
        }
        _ => {}
    }
    out
}

/// `env_file` as a string, a list of strings, or a list of `{path: ...}`.
fn env_files(v: &Value) -> Vec<String> {
    let one = |x: &Value| match x {
        Value::Mapping(_) => x.get("path").and_then(scalar),
        other => scalar(other),
    };
    let raw: Vec<String> = match v {
        Value::Sequence(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    };
    raw.into_iter()
        .map(|p| p.trim_start_matches("./").to_string())
        .collect()
}

/// The build context of `build: ./api` or `build: {context: ./api}`, made workspace-relative.
fn build_context(v: &Value, rel: &str) -> Option<String> {
    let ctx = match v {
        Value::Mapping(_) => v
            .get("context")
            .and_then(scalar)
            .unwrap_or_else(|| ".".to_string()),
        other => scalar(other)?,
    };
    if ctx.contains("://") || ctx.starts_with("git@") {
        return None;
    }
    join_rel(rel, &ctx)
}

/// The workspace folder a bind mount takes its files from: the source folder, or the folder of a
/// source file (a last component with an extension, `./nginx/nginx.conf`; `conf.d` is a folder). Named volumes, absolute
/// and home paths and sources outside the workspace give `None`.
fn bind_folder(v: &Value, rel: &str) -> Option<String> {
    let source = match v {
        Value::Mapping(_) => {
            let kind = v.get("type").and_then(scalar);
            if kind.as_deref().is_some_and(|k| k != "bind") {
                return None;
            }
            v.get("source").and_then(scalar)?
        }
        other => {
            let s = scalar(other)?;
            s.split(':').next().unwrap_or("").to_string()
        }
    };
    // Only `./x`, `../x` and `.` are bind mounts of workspace paths; `name:/path` is a named volume.
    if !(source == "." || source.starts_with("./") || source.starts_with("../")) {
        return None;
    }
    let path = join_rel(rel, &source)?;
    let (parent, last) = super::walker::split_rel(&path);
    // `nginx.conf`, `package.json` are files; `conf.d` is a folder.
    let is_file = path != "."
        && !last.starts_with('.')
        && last
            .rsplit_once('.')
            .is_some_and(|(_, ext)| ext != "d" && !ext.is_empty());
    if is_file {
        return Some(parent.to_string());
    }
    Some(path)
}

/// Joins a workspace-relative folder and a relative path, resolving `.` and `..`; `None` when the
/// result leaves the workspace or the path is absolute.
pub fn join_rel(base: &str, inner: &str) -> Option<String> {
    if inner.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = if base == "." {
        Vec::new()
    } else {
        base.split('/').collect()
    };
    for c in inner.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        Some(".".to_string())
    } else {
        Some(parts.join("/"))
    }
}

/// The first port of `8000` or `8000-8010` (with an optional `/proto`).
fn first_port(s: &str) -> Option<u16> {
    let s = s.split('/').next().unwrap_or(s);
    ports::parse_port(s.split('-').next().unwrap_or(s))
}

/// One `ports` entry: (container port, published host port).
fn port_entry(v: &Value) -> Option<(u16, Option<u16>)> {
    if let Value::Mapping(_) = v {
        let target = v
            .get("target")
            .and_then(scalar)
            .and_then(|s| first_port(&s))?;
        let published = v
            .get("published")
            .and_then(scalar)
            .and_then(|s| first_port(&s));
        return Some((target, published));
    }
    let s = scalar(v)?;
    let s = s.split('/').next().unwrap_or(&s).trim().to_string();
    // Strip a bracketed IPv6 host: "[::1]:8080:80".
    let s = match s.rfind(']') {
        Some(i) => s[i + 1..].trim_start_matches(':').to_string(),
        None => s,
    };
    let parts: Vec<&str> = s.split(':').collect();
    let container = first_port(parts.last()?)?;
    let published = if parts.len() >= 2 {
        first_port(parts[parts.len() - 2])
    } else {
        None
    };
    Some((container, published))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(text: &str, rel: &str) -> Result<Stack, String> {
        let f = Folder::new("/nonexistent", rel);
        parse_text(text, rel, &f)
    }

    #[test]
    fn members_ports_depends_and_builds() {
        let s = stack(
            r#"
services:
  api:
    build: ./api
    ports: ["8080:80", "127.0.0.1:9000:9001/tcp", "3000", "7000-7002:7000-7002"]
    depends_on:
      db: {condition: service_healthy}
    environment:
      - DATABASE_URL=postgres://u:p@db:5432/app
      - PORT=4000
    command: ["node", "server.js", "--port", "4100"]
  db:
    image: postgres:16
    expose: ["5432"]
    healthcheck: {test: ["CMD", "pg_isready"]}
  web:
    build: {context: ../web, dockerfile: Dockerfile.prod}
    ports: [{target: 80, published: "8081"}]
    depends_on: [api]
"#,
            "stack",
        )
        .unwrap();
        let api = &s.members[0];
        assert_eq!(api.build.as_deref(), Some("stack/api"));
        assert_eq!(api.ports, vec![80, 9001, 3000, 7000]);
        assert_eq!(api.published, vec![8080, 9000, 7000]);
        assert_eq!(api.depends_on, vec!["db"]);
        assert_eq!(api.conditions["db"], "service_healthy");
        assert_eq!(s.members[1].image.as_deref(), Some("postgres:16"));
        assert!(s.members[1].healthcheck);
        assert_eq!(s.members[1].ports, vec![5432]);
        assert_eq!(s.members[2].build.as_deref(), Some("web"));
        assert_eq!(s.members[2].published, vec![8081]);
        assert_eq!(s.members[2].conditions["api"], "service_started");
        assert_eq!(ports::resolve(&s.member_hints[0]), Some(4100));
        assert!(
            s.env_evidence
                .contains(&("DATABASE_URL".into(), "postgres://u:p@db:5432/app".into()))
        );
    }

    #[test]
    fn bind_mounts_name_workspace_folders() {
        let s = stack(
            r#"
services:
  web:
    image: nginx
    volumes:
      - ./nginx/nginx.conf:/tmp/nginx.conf:ro
      - ./static:/usr/share/nginx/html
      - db-data:/var/lib/data
      - /var/run/docker.sock:/var/run/docker.sock
      - ~/.aws:/root/.aws
      - ../../outside:/x
      - type: bind
        source: ./conf.d
        target: /etc/nginx/conf.d
      - type: volume
        source: cache
        target: /cache
      - .:/code
    environment:
      FLASK_SERVER_ADDR: backend:9091
  backend:
    build: flask
    environment: [FLASK_SERVER_PORT=9091]
"#,
            "apps/shop",
        )
        .unwrap();
        assert_eq!(
            s.members[0].mounts,
            vec![
                "apps/shop/nginx",
                "apps/shop/static",
                "outside",
                "apps/shop/conf.d",
                "apps/shop"
            ]
        );
        assert_eq!(
            s.member_env[0],
            vec![("FLASK_SERVER_ADDR".to_string(), "backend:9091".to_string())]
        );
        assert_eq!(
            s.member_env[1],
            vec![("FLASK_SERVER_PORT".to_string(), "9091".to_string())]
        );
        assert!(s.members[1].mounts.is_empty());
    }

    #[test]
    fn the_stack_port_is_an_application_port_before_a_data_store_port() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("docker-compose.yml"),
            "services:\n  redis:\n    image: redislabs/redismod\n    ports: ['6379:6379']\n  web:\n    build: .\n    ports: ['5000:5000']\n",
        )
        .unwrap();
        let mut f = Folder::new(dir.path(), ".");
        f.files.insert("docker-compose.yml".into());
        let finding = analyze(&f, &mut Vec::new()).unwrap();
        assert_eq!(ports::resolve(&finding.ports), Some(5000));
        assert!(is_datastore(&finding.members[0]));
        assert!(!is_datastore(&finding.members[1]));
        let built_db = Member {
            image: Some("postgres:16".into()),
            build: Some("db".into()),
            ..Member::default()
        };
        assert!(!is_datastore(&built_db));
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(stack("services: [a, b", ".").unwrap_err().contains("line"));
        assert!(stack("version: '3'\n", ".").is_err());
        assert!(stack("services: 3\n", ".").is_err());
    }

    #[test]
    fn joins_relative_paths() {
        assert_eq!(join_rel(".", "./api").as_deref(), Some("api"));
        assert_eq!(join_rel("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(join_rel("a", "..").as_deref(), Some("."));
        assert_eq!(join_rel("a", "../.."), None);
        assert_eq!(join_rel("a", "/abs"), None);
    }

    #[test]
    fn dockerfiles_env_from_dotenv_and_overrides() {
        let (_d, mut folder) = crate::detect::lang::testutil::temp(&[
            (
                ".env",
                "APP_PORT=7100\nAPP_ADDR=app:${APP_PORT}\nAPP_DOCKERFILE=./svc/app/Dockerfile\n",
            ),
            (
                "compose.yaml",
                "services:\n  app:\n    build: {context: ./, dockerfile: ${APP_DOCKERFILE}}\n    ports: [\"${APP_PORT}\"]\n    environment: [APP_PORT, UNSET]\n    container_name: app-main\n  side:\n    build: {context: ./side, dockerfile: ../docker/side.Dockerfile}\n    environment: {APP_ADDR: null}\n",
            ),
            (
                "compose.override.yaml",
                "services:\n  app:\n    ports: [\"9229:9229\"]\n    environment: {DEBUG: \"1\"}\n",
            ),
            (
                "compose.ci.yaml",
                "services:\n  tests:\n    build: ./tests\n",
            ),
            ("docker-compose-notes.yml", "just: text\n"),
            ("compose.bad.yaml", "services: [\n"),
        ]);
        folder.rel = ".".to_string();
        let mut diags = Vec::new();
        let s = parse(&folder, &mut diags).unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        let app = &s.members[0];
        assert_eq!(app.build.as_deref(), Some("."));
        assert_eq!(
            s.member_dockerfiles[0].as_deref(),
            Some("svc/app/Dockerfile")
        );
        assert_eq!(s.build_folder(0).as_deref(), Some("svc/app"));
        assert_eq!(app.ports, vec![7100, 9229]);
        assert_eq!(
            s.member_env[0],
            vec![
                ("APP_PORT".to_string(), "7100".to_string()),
                ("DEBUG".to_string(), "1".to_string()),
                ("UNSET".to_string(), String::new()),
            ]
        );
        assert_eq!(s.member_aliases[0], vec!["app-main"]);
        // A Dockerfile outside the context is not the source folder: the context is.
        assert_eq!(
            s.member_dockerfiles[1].as_deref(),
            Some("docker/side.Dockerfile")
        );
        assert_eq!(s.build_folder(1).as_deref(), Some("side"));
        assert_eq!(
            s.member_env[1],
            vec![("APP_ADDR".to_string(), "app:7100".to_string())]
        );
        let o = overlays(&folder, &mut diags);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].file, "compose.ci.yaml");
        assert_eq!(o[0].members[0].build.as_deref(), Some("tests"));
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].path, "compose.bad.yaml");
        assert!(is_overlay("docker-compose.prod.yml"));
        assert!(is_overlay("compose-dev.yaml"));
        assert!(!is_overlay("docker-compose.override.yml"));
        assert!(!is_overlay("compose.yaml"));
        assert!(!is_overlay("compose.txt"));
    }
}
