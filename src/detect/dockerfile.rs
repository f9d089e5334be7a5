//! `Dockerfile` / `Containerfile`: a folder with one that parses is `containerized`.
//!
//! The parser handles parser directives (`# escape=`), comments, line continuations, heredocs
//! (skipped), case-insensitive instruction names and multi-stage builds (only the final stage's
//! `EXPOSE`, `ENV`, `CMD`, `ENTRYPOINT` and `HEALTHCHECK` count). A file with an unknown instruction or
//! without `FROM` does not parse: a diagnostic, no finding.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::envfile;
use super::finding::{Finding, Rank};
use super::folder::Folder;
use super::model::{Diagnostic, ServiceType};
use super::ports::{self, PortHint, PortSource};

/// The file names that are signals, preferred first.
pub const DOCKERFILES: [&str; 2] = ["Dockerfile", "Containerfile"];

const KNOWN: [&str; 18] = [
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// What a Dockerfile says about the service it builds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// Base images of every stage, in order.
    pub images: Vec<String>,
    /// Final stage `EXPOSE` ports, in order.
    pub expose: Vec<u16>,
    /// Final stage `ENV` pairs, in order.
    pub env: Vec<(String, String)>,
    pub entrypoint: Option<String>,
    pub cmd: Option<String>,
    /// The final stage's `HEALTHCHECK CMD ...` text.
    pub healthcheck: Option<String>,
    /// The external image the final stage builds on, through stage names (`FROM base AS final` after
    /// `FROM python:3.12 AS base` gives `python:3.12`).
    pub final_base: Option<String>,
    /// Sources that `COPY`/`ADD` take from the build context (any stage, not `--from`), relative to
    /// the context, without `./` and trailing `/`; globs, URLs and `.` are left out.
    pub copies: Vec<String>,
    /// A `COPY`/`ADD` source names a build argument that has no value (`COPY ${JAR}.jar app.jar`
    /// after `ARG JAR`): the file is a template that builds only with `--build-arg`.
    pub needs_build_args: bool,
}

/// The state of the final stage while its chain of stages is replayed.
#[derive(Debug, Clone, Default)]
struct Stage {
    base: String,
    /// Ports in order, each once.
    expose: Vec<u16>,
    exposed: HashSet<u16>,
    /// `ENV` values with the order they were last set in.
    env: HashMap<String, (usize, String)>,
    seq: usize,
    entrypoint: Option<String>,
    cmd: Option<String>,
    healthcheck: Option<String>,
    vars: BTreeMap<String, String>,
    /// Bytes made by interpolation so far.
    expanded: usize,
}

impl Parsed {
    /// `ENTRYPOINT` and `CMD` joined, as the container would start.
    pub fn start_command(&self) -> Option<String> {
        match (&self.entrypoint, &self.cmd) {
            (Some(e), Some(c)) => Some(format!("{e} {c}")),
            (Some(e), None) => Some(e.clone()),
            (None, Some(c)) => Some(c.clone()),
            (None, None) => None,
        }
    }
}

/// The Dockerfile analyzer.
pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let name = DOCKERFILES.iter().find(|n| folder.has(n))?;
    let path = folder.rel_path(name);
    let text = match folder.read(name) {
        Ok(Some(t)) => t,
        Ok(None) => return None,
        Err(e) => {
            diags.push(Diagnostic::new(path, e.to_string()));
            return None;
        }
    };
    let parsed = match parse(&text) {
        Ok(p) => p,
        Err(msg) => {
            diags.push(Diagnostic::new(path, msg));
            return None;
        }
    };
    let mut f = Finding::new(ServiceType::Containerized, Rank::Dockerfile, 0.9);
    f.indicator(name);
    f.dockerfile = Some((*name).to_string());
    for img in &parsed.images {
        if let Some(t) = runtime_of_image(img) {
            f.tech(t);
        }
    }
    f.start_command = parsed.start_command();
    if let Some(p) = f.start_command.as_deref().and_then(ports::from_command) {
        f.ports.push(PortHint::new(p, PortSource::RuntimeConfig));
    }
    for (k, v) in &parsed.env {
        if k == "PORT"
            && let Some(p) = ports::parse_port(v)
        {
            f.ports.push(PortHint::new(p, PortSource::DockerfileEnv));
        }
        f.env_evidence.push((k.clone(), v.clone()));
    }
    for p in &parsed.expose {
        f.ports.push(PortHint::new(*p, PortSource::Expose));
    }
    // The port a well-known base image serves on (`mysql` 3306, `nginx` 80) when nothing says more.
    if let Some(p) = parsed.final_base.as_deref().and_then(image_default_port) {
        f.ports.push(PortHint::new(p, PortSource::FrameworkDefault));
    }
    f.copies = parsed.copies.clone();
    f.health_path = parsed.healthcheck.as_deref().and_then(health_path);
    // A template that builds only with `--build-arg`s (a Dockerfile the build tool of several
    // modules fills in) is not a service of its own.
    if parsed.needs_build_args {
        f.helper_only = true;
    }
    f.tool_image = f.start_command.is_none()
        && parsed.expose.is_empty()
        && parsed.healthcheck.is_none()
        && parsed
            .final_base
            .as_deref()
            .is_some_and(runs_nothing_by_default);
    Some(f)
}

/// Parses Dockerfile text.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let mut escape = '\\';
    let mut lines = text.lines().enumerate().peekable();
    // Parser directives: leading `# key=value` comments.
    while let Some((_, l)) = lines.peek() {
        let t = l.trim();
        let Some(d) = t.strip_prefix('#') else { break };
        let Some((k, v)) = d.split_once('=') else {
            break;
        };
        let k = k.trim().to_ascii_lowercase();
        if k == "escape" {
            match v.trim() {
                "`" => escape = '`',
                "\\" => escape = '\\',
                other => return Err(format!("invalid escape directive `{other}` at line 1")),
            }
        } else if k != "syntax" && k != "check" {
            break;
        }
        lines.next();
    }

    let mut out = Parsed::default();
    let mut copies_seen: HashSet<String> = HashSet::new();
    // The variables the current stage has set (`ARG`, `ENV`): a `COPY ${JAR}.jar` needs a value.
    let mut stage_args: BTreeMap<String, String> = BTreeMap::new();
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    // Every stage with the instructions that shape it; only the final stage's chain of parents is
    // replayed at the end, so the work stays linear in the file however many stages it has.
    let mut stages: Vec<StageRec> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    while let Some((idx, raw)) = lines.next() {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        // Join continuation lines; comment lines inside a continuation are dropped.
        let mut logical = String::new();
        let mut cur = raw.trim_end().to_string();
        loop {
            let ends = cur.ends_with(escape);
            if ends {
                cur.pop();
                logical.push_str(&cur);
                logical.push(' ');
                let mut next = None;
                for (_, l) in lines.by_ref() {
                    let lt = l.trim();
                    // Comment and empty lines inside a continuation are skipped, as docker does.
                    if lt.starts_with('#') || lt.is_empty() {
                        continue;
                    }
                    next = Some(l.trim_end().to_string());
                    break;
                }
                match next {
                    Some(n) => cur = n,
                    None => break,
                }
            } else {
                logical.push_str(&cur);
                break;
            }
        }
        let line_no = idx + 1;
        let logical = logical.trim();
        let (word, rest) = match logical.split_once(char::is_whitespace) {
            Some((w, r)) => (w, r.trim()),
            None => (logical, ""),
        };
        let instr = word.to_ascii_uppercase();
        if !KNOWN.contains(&instr.as_str()) {
            return Err(format!("unknown instruction `{word}` at line {line_no}"));
        }
        // Heredocs (`RUN <<EOF`): skip their bodies.
        for marker in heredoc_markers(rest) {
            for (_, l) in lines.by_ref() {
                if l.trim() == marker {
                    break;
                }
            }
        }
        let op = match instr.as_str() {
            "FROM" => {
                let mut words = rest.split_whitespace().filter(|w| !w.starts_with("--"));
                let image = envfile::interpolate(words.next().unwrap_or(""), &args);
                let name = match (words.next(), words.next()) {
                    (Some(a), Some(n)) if a.eq_ignore_ascii_case("as") => {
                        Some(n.to_ascii_lowercase())
                    }
                    _ => None,
                };
                out.images.push(image.clone());
                // A stage built on an earlier stage inherits its ENV, EXPOSE, CMD, ENTRYPOINT and
                // HEALTHCHECK, as docker does.
                let parent = by_name.get(&image.to_ascii_lowercase()).copied();
                if let Some(n) = &name {
                    by_name.insert(n.clone(), stages.len());
                }
                stage_args.clear();
                stages.push(StageRec {
                    parent,
                    base: image,
                    ops: Vec::new(),
                });
                continue;
            }
            "ARG" if stages.is_empty() => {
                for a in rest.split_whitespace() {
                    let (k, v) = a.split_once('=').unwrap_or((a, ""));
                    args.insert(k.to_string(), unquote(v));
                }
                continue;
            }
            "COPY" | "ADD" => {
                if copy_needs_args(rest, &stage_args) {
                    out.needs_build_args = true;
                }
                for src in copy_sources(rest) {
                    if copies_seen.insert(src.clone()) {
                        out.copies.push(src);
                    }
                }
                continue;
            }
            "ARG" | "ENV" | "EXPOSE" | "CMD" | "ENTRYPOINT" | "HEALTHCHECK" => {
                if instr == "ARG" {
                    // A stage's `ARG NAME` takes the global default of that name, if any.
                    for a in rest.split_whitespace() {
                        let (k, v) = a.split_once('=').unwrap_or((a, ""));
                        let v = if v.is_empty() {
                            args.get(k).cloned().unwrap_or_default()
                        } else {
                            unquote(v)
                        };
                        stage_args.insert(k.to_string(), v);
                    }
                } else if instr == "ENV" {
                    stage_args.extend(env_pairs(rest));
                }
                (instr, rest.to_string())
            }
            _ => continue,
        };
        if let Some(stage) = stages.last_mut() {
            stage.ops.push(op);
        }
    }
    let Some(last) = stages.len().checked_sub(1) else {
        return Err("no FROM instruction".to_string());
    };
    let mut chain = vec![last];
    while let Some(p) = chain.last().and_then(|&i| stages[i].parent) {
        chain.push(p);
    }
    let mut stage = Stage {
        base: stages[chain[chain.len() - 1]].base.clone(),
        vars: args,
        ..Stage::default()
    };
    for &i in chain.iter().rev() {
        for (instr, rest) in &stages[i].ops {
            stage.apply(instr, rest)?;
        }
    }
    let mut env: Vec<(usize, String, String)> = stage
        .env
        .into_iter()
        .map(|(k, (seq, v))| (seq, k, v))
        .collect();
    env.sort_unstable();
    out.expose = stage.expose;
    out.env = env.into_iter().map(|(_, k, v)| (k, v)).collect();
    out.entrypoint = stage.entrypoint;
    out.cmd = stage.cmd;
    out.healthcheck = stage.healthcheck;
    out.final_base = Some(stage.base).filter(|b| !b.is_empty());
    Ok(out)
}

/// One `FROM` and the instructions after it that shape the image (`ARG`, `ENV`, `EXPOSE`, `CMD`,
/// `ENTRYPOINT`, `HEALTHCHECK`, with the rest of their line).
struct StageRec {
    /// The earlier stage it is built on (`FROM build AS final`).
    parent: Option<usize>,
    base: String,
    ops: Vec<(String, String)>,
}

impl Stage {
    /// Applies one instruction to the stage. `ENV` and `EXPOSE` values are interpolated with the
    /// stage's variables within [`envfile::MAX_EXPANDED`] bytes in all (`ENV A=$A$A` twenty times
    /// would otherwise make a megabyte per byte).
    fn apply(&mut self, instr: &str, rest: &str) -> Result<(), String> {
        match instr {
            "ARG" => {
                for a in rest.split_whitespace() {
                    let (k, v) = a.split_once('=').unwrap_or((a, ""));
                    self.vars.insert(k.to_string(), unquote(v));
                }
            }
            "ENV" => {
                for (k, v) in env_pairs(rest) {
                    let v = self.expand(&v)?;
                    self.vars.insert(k.clone(), v.clone());
                    self.seq += 1;
                    self.env.insert(k, (self.seq, v));
                }
            }
            "EXPOSE" => {
                for w in rest.split_whitespace() {
                    let w = self.expand(w)?;
                    let w = w.split('/').next().unwrap_or("");
                    if let Some(p) = ports::parse_port(w.split('-').next().unwrap_or(w))
                        && self.exposed.insert(p)
                    {
                        self.expose.push(p);
                    }
                }
            }
            "CMD" => self.cmd = Some(command_form(rest)),
            "ENTRYPOINT" => self.entrypoint = Some(command_form(rest)),
            "HEALTHCHECK" => {
                self.healthcheck = if rest.eq_ignore_ascii_case("none") {
                    None
                } else {
                    let upper = rest.to_ascii_uppercase();
                    upper
                        .find("CMD")
                        .map(|i| command_form(rest[i + 3..].trim()))
                };
            }
            _ => {}
        }
        Ok(())
    }

    fn expand(&mut self, v: &str) -> Result<String, String> {
        if !v.contains('$') {
            return Ok(v.to_string());
        }
        let left = envfile::MAX_EXPANDED.saturating_sub(self.expanded);
        let out = envfile::try_interpolate(v, &self.vars, left)?;
        self.expanded += out.len();
        Ok(out)
    }
}

/// The build-context sources of a `COPY`/`ADD` (shell or JSON form; `--from` copies none).
fn copy_sources(rest: &str) -> Vec<String> {
    let words: Vec<String> = if rest.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<String>>(rest.trim()).unwrap_or_default()
    } else {
        rest.split_whitespace().map(str::to_string).collect()
    };
    if words.iter().any(|w| w.starts_with("--from")) {
        return Vec::new();
    }
    let args: Vec<&String> = words.iter().filter(|w| !w.starts_with("--")).collect();
    let Some((_dest, sources)) = args.split_last() else {
        return Vec::new();
    };
    sources
        .iter()
        .filter(|s| !s.contains("://") && !s.starts_with('/') && !s.starts_with('$'))
        .filter(|s| !s.contains(['*', '?', '[']) && !s.starts_with("<<"))
        .map(|s| {
            let s = s.trim_start_matches("./").trim_end_matches('/');
            s.to_string()
        })
        .filter(|s| !s.is_empty() && s != "." && !s.split('/').any(|c| c == ".."))
        .collect()
}

/// Whether a `COPY`/`ADD` source from the build context (not the destination, not a `--from` copy,
/// not a URL) uses a variable that has no value in the stage (an `ARG` declared without a default).
fn copy_needs_args(rest: &str, vars: &BTreeMap<String, String>) -> bool {
    let words: Vec<&str> = rest
        .split_whitespace()
        .filter(|w| !w.starts_with("--"))
        .collect();
    if rest.contains("--from") || words.len() < 2 {
        return false;
    }
    words[..words.len() - 1]
        .iter()
        .filter(|w| !w.contains("://"))
        .any(|w| {
            let mut rest = *w;
            while let Some(i) = rest.find('$') {
                let after = rest[i + 1..].trim_start_matches('{');
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                let name = &after[..end];
                if !name.is_empty() && vars.get(name).is_none_or(String::is_empty) {
                    return true;
                }
                rest = &after[end..];
            }
            false
        })
}

/// Whether a container of this image, given no `CMD` or `ENTRYPOINT` of its own, starts nothing that
/// serves: a language toolchain (its default command is a REPL or a shell) or a bare OS image.
pub fn runs_nothing_by_default(image: &str) -> bool {
    let (repo, tag) = repo_and_tag(image);
    let last = repo.rsplit('/').next().unwrap_or(&repo);
    let starts = |p: &str| last == p || last.starts_with(&format!("{p}-"));
    if starts("php") {
        return !(tag.contains("apache") || tag.contains("fpm"));
    }
    repo.contains("dotnet/sdk")
        || [
            "node",
            "python",
            "pypy",
            "golang",
            "rust",
            "openjdk",
            "eclipse-temurin",
            "amazoncorretto",
            "maven",
            "gradle",
            "ruby",
            "elixir",
            "alpine",
            "debian",
            "ubuntu",
            "busybox",
            "fedora",
            "centos",
            "rockylinux",
            "almalinux",
            "archlinux",
        ]
        .iter()
        .any(|p| starts(p))
}

fn heredoc_markers(rest: &str) -> Vec<String> {
    static RE: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r#"<<-?\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?"#).ok());
    let Some(re) = RE.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(rest)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect()
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    v.to_string()
}

/// `ENV A=1 B="two words"` or the legacy `ENV A 1`.
fn env_pairs(rest: &str) -> Vec<(String, String)> {
    let first = rest.split_whitespace().next().unwrap_or("");
    if !first.contains('=') {
        let (k, v) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        return if k.is_empty() {
            Vec::new()
        } else {
            vec![(k.to_string(), unquote(v))]
        };
    }
    // Split on whitespace outside quotes.
    let mut out = Vec::new();
    let mut tok = String::new();
    let mut quote: Option<char> = None;
    let mut chars = rest.chars().peekable();
    let mut tokens = Vec::new();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    tok.push(n);
                }
            }
            (None, c) if c.is_whitespace() => {
                if !tok.is_empty() {
                    tokens.push(std::mem::take(&mut tok));
                }
            }
            (_, c) => tok.push(c),
        }
    }
    if !tok.is_empty() {
        tokens.push(tok);
    }
    for t in tokens {
        if let Some((k, v)) = t.split_once('=')
            && !k.is_empty()
        {
            out.push((k.to_string(), v.to_string()));
        }
    }
    out
}

/// The exec form (`["node", "server.js"]`) joined with spaces, or the shell form as written.
fn command_form(rest: &str) -> String {
    if rest.starts_with('[')
        && let Ok(parts) = serde_json::from_str::<Vec<String>>(rest)
    {
        return parts.join(" ");
    }
    rest.to_string()
}

/// The URL path probed by a health check command (`curl -f http://localhost:8080/healthz`).
pub fn health_path(cmd: &str) -> Option<String> {
    static RE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r#"https?://[^/\s"'\]]+(/[^\s"'\],;|&)]*)"#,
            r#"(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?::\d+)?(/[^\s"'\],;|&)]*)"#,
        ]
        .iter()
        .filter_map(|r| Regex::new(r).ok())
        .collect()
    });
    RE.iter().find_map(|re| {
        re.captures(cmd).and_then(|c| c.get(1)).map(|m| {
            let p = m.as_str();
            p.split(['?', '#']).next().unwrap_or(p).to_string()
        })
    })
}

/// The repository and tag of an image reference, lower-cased (`docker.io/library/php:8-apache` gives
/// `docker.io/library/php`, `8-apache`).
fn repo_and_tag(image: &str) -> (String, String) {
    let lower = image.to_ascii_lowercase();
    let no_digest = lower.split('@').next().unwrap_or(&lower).to_string();
    match (no_digest.rfind(':'), no_digest.rfind('/')) {
        (Some(c), Some(s)) if c > s => (no_digest[..c].to_string(), no_digest[c + 1..].to_string()),
        (Some(c), None) => (no_digest[..c].to_string(), no_digest[c + 1..].to_string()),
        _ => (no_digest, String::new()),
    }
}

/// The port the official image of a well-known server listens on by default (`mysql` 3306, `mongo`
/// 27017, `nginx` 80, `php:*-apache` 80), for an image used as a base or by a compose member.
pub fn image_default_port(image: &str) -> Option<u16> {
    let (repo, tag) = repo_and_tag(image);
    let last = repo.rsplit('/').next().unwrap_or(&repo);
    Some(match last {
        "nginx" | "httpd" | "caddy" | "openresty" => 80,
        "nginx-unprivileged" | "tomcat" | "jetty" => 8080,
        "php" if tag.contains("apache") => 80,
        "mysql" | "mariadb" | "percona" => 3306,
        "postgres" | "postgis" => 5432,
        "mongo" | "mongodb" => 27017,
        "redis" | "valkey" | "keydb" => 6379,
        "memcached" => 11211,
        "rabbitmq" => 5672,
        "elasticsearch" | "opensearch" => 9200,
        "kafka" | "cp-kafka" => 9092,
        "zookeeper" | "cp-zookeeper" => 2181,
        "nats" => 4222,
        _ => return None,
    })
}

/// The runtime a base image provides (`node:20-alpine` gives `node`), when it is a known one.
pub fn runtime_of_image(image: &str) -> Option<&'static str> {
    let lower = image.to_ascii_lowercase();
    let repo = lower.split('@').next().unwrap_or(&lower);
    // Drop the tag (a colon after the last slash).
    let repo = match (repo.rfind(':'), repo.rfind('/')) {
        (Some(c), Some(s)) if c > s => &repo[..c],
        (Some(c), None) => &repo[..c],
        _ => repo,
    };
    let last = repo.rsplit('/').next().unwrap_or(repo);
    if repo.contains("dotnet") {
        return Some("dotnet");
    }
    if repo.starts_with("denoland/") || last == "deno" {
        return Some("deno");
    }
    let starts = |p: &str| last == p || last.starts_with(&format!("{p}-"));
    Some(match () {
        _ if starts("node") => "node",
        _ if starts("python") || starts("pypy") => "python",
        _ if starts("golang") || last == "go" => "go",
        _ if starts("rust") => "rust",
        _ if [
            "openjdk",
            "eclipse-temurin",
            "amazoncorretto",
            "maven",
            "gradle",
        ]
        .iter()
        .any(|p| starts(p)) =>
        {
            "java"
        }
        _ if starts("ruby") => "ruby",
        _ if starts("php") || last == "composer" => "php",
        _ if starts("elixir") => "elixir",
        _ if starts("nginx") => "nginx",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_stage_final_stage_counts() {
        let p = parse(
            "# syntax=docker/dockerfile:1\nARG NODE=20\nFROM node:${NODE} AS build\nEXPOSE 9999\n\
             RUN <<EOF\nnot an instruction\nEOF\nENV PORT=1111\n\
             from gcr.io/distroless/nodejs20 \nenv PORT=4000 \\\n  # comment\n  API_URL=\"http://api:80\"\n\
             expose 4000/tcp 4001\nHEALTHCHECK --interval=5s CMD wget -qO- http://localhost:4000/healthz || exit 1\n\
             ENTRYPOINT [\"node\"]\nCMD [\"server.js\", \"--port\", \"4002\"]\n",
        )
        .unwrap();
        assert_eq!(p.images, vec!["node:20", "gcr.io/distroless/nodejs20"]);
        assert_eq!(p.expose, vec![4000, 4001]);
        assert_eq!(
            p.env,
            vec![
                ("PORT".to_string(), "4000".to_string()),
                ("API_URL".to_string(), "http://api:80".to_string())
            ]
        );
        assert_eq!(
            p.start_command().as_deref(),
            Some("node server.js --port 4002")
        );
        assert_eq!(
            health_path(p.healthcheck.as_deref().unwrap()).as_deref(),
            Some("/healthz")
        );
    }

    #[test]
    fn invalid_files() {
        assert!(parse("RUN echo hi\n").unwrap_err().contains("no FROM"));
        assert!(parse("FROM x\nFOO bar\n").unwrap_err().contains("line 2"));
        assert!(parse("# escape=`\nFROM x\nRUN a `\n b\n").is_ok());
        assert!(parse("").is_err());
        let p = parse("FROM x\nRUN a && \\\n\n    b\nEXPOSE 1\n").unwrap();
        assert_eq!(p.expose, vec![1]);
    }

    #[test]
    fn stages_built_on_stages_inherit_their_settings() {
        // awesome-compose style: the final `dev-envs` stage is built on `development`.
        let p = parse(
            "FROM node:lts AS development\nARG PORT=80\nENV PORT $PORT\nEXPOSE $PORT 9229\n\
             HEALTHCHECK CMD curl -f http://localhost/healthz\nCMD [\"node\", \"src/index.js\"]\n\
             FROM development as dev-envs\nRUN apt-get install -y git\n",
        )
        .unwrap();
        assert_eq!(p.expose, vec![80, 9229]);
        assert_eq!(p.env, vec![("PORT".to_string(), "80".to_string())]);
        assert_eq!(p.start_command().as_deref(), Some("node src/index.js"));
        assert!(p.healthcheck.is_some());
        assert_eq!(p.final_base.as_deref(), Some("node:lts"));
        // A fresh stage starts empty; its base is the external image.
        let p = parse(
            "FROM python:3.12 AS base\nEXPOSE 1\nFROM base AS final\nEXPOSE 80\nFROM nginx:1.25\n",
        )
        .unwrap();
        assert!(p.expose.is_empty());
        assert_eq!(p.final_base.as_deref(), Some("nginx:1.25"));
        let p = parse("FROM python:3.12 AS base\nFROM base AS final\nEXPOSE 80\n").unwrap();
        assert_eq!(p.expose, vec![80]);
        assert_eq!(p.final_base.as_deref(), Some("python:3.12"));
    }

    #[test]
    fn copy_sources_from_the_build_context() {
        let p = parse(
            "FROM composer AS build\nCOPY html/composer.json /app/\nFROM php:7.4-apache\n\
             COPY --chown=www-data html/ /var/www/html\nCOPY --from=build /app/vendor/ /v/\n\
             ADD https://example.com/x.tgz /tmp/\nCOPY . .\nCOPY *.py ./\n\
             COPY [\"static\", \"./templates/\", \"/srv/\"]\nCOPY ../secret /x\n",
        )
        .unwrap();
        assert_eq!(
            p.copies,
            vec!["html/composer.json", "html", "static", "templates"]
        );
    }

    #[test]
    fn well_known_images_have_default_ports() {
        for (image, port) in [
            ("mysql:5.7", Some(3306)),
            ("mariadb", Some(3306)),
            ("mongo:5", Some(27017)),
            ("docker.io/library/postgres:16-alpine", Some(5432)),
            ("redis:7@sha256:abc", Some(6379)),
            ("nginx:1.21.6", Some(80)),
            ("nginxinc/nginx-unprivileged:1.27", Some(8080)),
            ("php:7.4-apache", Some(80)),
            ("php:8.3-fpm", None),
            ("python:3.12", None),
            ("localhost:5000/mysql", Some(3306)),
            ("apache/kafka:4.0.0@sha256:abc", Some(9092)),
            ("confluentinc/cp-zookeeper:7.6.0", Some(2181)),
        ] {
            assert_eq!(image_default_port(image), port, "{image}");
        }
        // Lowest precedence: EXPOSE wins over the base image's port.
        let (_d, folder) = crate::detect::lang::testutil::temp(&[(
            "Dockerfile",
            "FROM nginx:1.25\nEXPOSE 8080\n",
        )]);
        let f = analyze(&folder, &mut Vec::new()).unwrap();
        assert_eq!(ports::resolve(&f.ports), Some(8080));
        let (_d, folder) = crate::detect::lang::testutil::temp(&[(
            "Dockerfile",
            "FROM mysql:8\nCOPY seed.sql /d/\n",
        )]);
        let f = analyze(&folder, &mut Vec::new()).unwrap();
        assert_eq!(ports::resolve(&f.ports), Some(3306));
        assert_eq!(f.copies, vec!["seed.sql"]);
    }

    #[test]
    fn legacy_env_and_images() {
        let p = parse("FROM python:3.12-slim\nENV PORT 8000\n").unwrap();
        assert_eq!(p.env, vec![("PORT".to_string(), "8000".to_string())]);
        assert_eq!(runtime_of_image("python:3.12-slim"), Some("python"));
        assert_eq!(runtime_of_image("golang:1.22"), Some("go"));
        assert_eq!(
            runtime_of_image("mcr.microsoft.com/dotnet/aspnet:8.0"),
            Some("dotnet")
        );
        assert_eq!(runtime_of_image("eclipse-temurin:21"), Some("java"));
        assert_eq!(runtime_of_image("localhost:5000/node"), Some("node"));
        assert_eq!(runtime_of_image("alpine"), None);
    }

    #[test]
    fn a_template_that_needs_build_args_is_no_service_of_its_own() {
        let p = parse("FROM eclipse-temurin:21\nARG JAR\nCOPY ${JAR}.jar app.jar\nENTRYPOINT [\"java\", \"-jar\", \"app.jar\"]\n").unwrap();
        assert!(p.needs_build_args);
        // A default, a URL or a copy from another stage builds without arguments.
        for text in [
            "FROM alpine\nARG JAR=app\nCOPY ${JAR}.jar /app.jar\n",
            "FROM alpine\nARG V\nADD https://example.test/v$V/agent.jar /agent.jar\n",
            "FROM alpine AS b\nARG OUT\nFROM alpine\nCOPY --from=b /out/$OUT /x\n",
        ] {
            assert!(!parse(text).unwrap().needs_build_args, "{text}");
        }
        let (_d, f) = crate::detect::lang::testutil::temp(&[(
            "Dockerfile",
            "FROM eclipse-temurin:21\nARG JAR\nCOPY ${JAR}.jar app.jar\n",
        )]);
        assert!(analyze(&f, &mut Vec::new()).unwrap().helper_only);
    }

    #[test]
    fn toolchain_and_os_images_run_nothing_by_default() {
        for image in [
            "golang:1.22-alpine",
            "node:20",
            "alpine:3.20",
            "php:8.3-cli",
            "mcr.microsoft.com/dotnet/sdk:8.0",
        ] {
            assert!(runs_nothing_by_default(image), "{image}");
        }
        for image in [
            "nginx:alpine",
            "php:8.3-apache",
            "postgres:16",
            "apache/kafka:4.0.0",
        ] {
            assert!(!runs_nothing_by_default(image), "{image}");
        }
        let (_d, f) = crate::detect::lang::testutil::temp(&[(
            "Dockerfile",
            "FROM golang:1.22-alpine\nRUN apk add protobuf-dev\n",
        )]);
        assert!(analyze(&f, &mut Vec::new()).unwrap().tool_image);
        let (_d, f) = crate::detect::lang::testutil::temp(&[(
            "Dockerfile",
            "FROM golang:1.22-alpine\nEXPOSE 8080\n",
        )]);
        assert!(!analyze(&f, &mut Vec::new()).unwrap().tool_image);
    }
}
