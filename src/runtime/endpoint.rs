//! Which Docker Engine to talk to: `DOCKER_HOST` (unix, tcp, tcp with TLS), else the current docker
//! context (`~/.docker/config.json` `currentContext`, `~/.docker/contexts/meta/*/meta.json`), else the
//! local socket.

use std::path::{Path, PathBuf};

/// Where the engine listens and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A unix socket path.
    Unix(PathBuf),
    /// Plain HTTP over TCP: `host:port`.
    Tcp(String),
    /// HTTPS over TCP with client certificates from `cert_dir` (`ca.pem`, `cert.pem`, `key.pem`).
    Tls { addr: String, cert_dir: PathBuf },
    /// `ssh://user@host`, which kyozo does not speak.
    Ssh(String),
}

/// A resolved endpoint: the target and where the choice came from (for the header and errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub target: Target,
    /// `DOCKER_HOST`, `context <name>` or `default`.
    pub source: String,
}

impl Endpoint {
    /// The endpoint as a URL-like string: `unix:///var/run/docker.sock`, `tcp://host:2376 (tls)`.
    pub fn describe(&self) -> String {
        match &self.target {
            Target::Unix(p) => format!("unix://{}", p.display()),
            Target::Tcp(a) => format!("tcp://{a}"),
            Target::Tls { addr, .. } => format!("tcp://{addr} (tls)"),
            Target::Ssh(a) => a.clone(),
        }
    }
}

/// The default local socket.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Environment values that choose the endpoint, read once so resolution is testable.
#[derive(Debug, Clone, Default)]
pub struct EndpointEnv {
    pub docker_host: Option<String>,
    pub tls_verify: Option<String>,
    pub cert_path: Option<PathBuf>,
    pub docker_context: Option<String>,
    pub docker_config: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

impl EndpointEnv {
    /// Reads `DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, `DOCKER_CONTEXT`, `DOCKER_CONFIG`
    /// and `HOME`.
    pub fn from_process() -> EndpointEnv {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        EndpointEnv {
            docker_host: var("DOCKER_HOST"),
            tls_verify: var("DOCKER_TLS_VERIFY"),
            cert_path: var("DOCKER_CERT_PATH").map(PathBuf::from),
            docker_context: var("DOCKER_CONTEXT"),
            docker_config: var("DOCKER_CONFIG").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
        }
    }

    fn config_dir(&self) -> Option<PathBuf> {
        self.docker_config
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".docker")))
    }
}

/// Why no endpoint could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("unsupported DOCKER_HOST `{0}` (expected unix://, tcp:// or http(s)://)")]
    Scheme(String),
    #[error("docker context `{name}` not found under {dir}")]
    NoContext { name: String, dir: String },
    #[error("docker context `{name}`: {message}")]
    BadContext { name: String, message: String },
}

/// Chooses the endpoint from the environment and the docker CLI configuration.
pub fn resolve(env: &EndpointEnv) -> Result<Endpoint, EndpointError> {
    if let Some(host) = &env.docker_host {
        let tls = env
            .tls_verify
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
        let cert_dir = env
            .cert_path
            .clone()
            .or_else(|| env.config_dir())
            .unwrap_or_else(|| PathBuf::from(".docker"));
        return Ok(Endpoint {
            target: parse_host(host, tls, cert_dir)?,
            source: "DOCKER_HOST".into(),
        });
    }
    let context = match &env.docker_context {
        Some(c) => Some(c.clone()),
        None => env.config_dir().and_then(|d| current_context(&d)),
    };
    if let Some(name) = context.filter(|c| c != "default") {
        let dir = env.config_dir().unwrap_or_else(|| PathBuf::from(".docker"));
        return context_endpoint(&dir, &name);
    }
    Ok(Endpoint {
        target: Target::Unix(PathBuf::from(DEFAULT_SOCKET)),
        source: "default".into(),
    })
}

fn parse_host(host: &str, tls: bool, cert_dir: PathBuf) -> Result<Target, EndpointError> {
    if let Some(path) = host.strip_prefix("unix://") {
        return Ok(Target::Unix(PathBuf::from(path)));
    }
    if host.starts_with("ssh://") {
        return Ok(Target::Ssh(host.to_string()));
    }
    let (addr, https) = if let Some(a) = host.strip_prefix("tcp://") {
        (a, tls)
    } else if let Some(a) = host.strip_prefix("http://") {
        (a, false)
    } else if let Some(a) = host.strip_prefix("https://") {
        (a, true)
    } else {
        return Err(EndpointError::Scheme(host.to_string()));
    };
    let addr = addr.trim_end_matches('/').to_string();
    if addr.is_empty() {
        return Err(EndpointError::Scheme(host.to_string()));
    }
    Ok(if https {
        Target::Tls { addr, cert_dir }
    } else {
        Target::Tcp(addr)
    })
}

fn current_context(config_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(config_dir.join("config.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("currentContext")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn context_endpoint(config_dir: &Path, name: &str) -> Result<Endpoint, EndpointError> {
    let meta_dir = config_dir.join("contexts").join("meta");
    let entries = std::fs::read_dir(&meta_dir).map_err(|_| EndpointError::NoContext {
        name: name.to_string(),
        dir: meta_dir.display().to_string(),
    })?;
    for entry in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path().join("meta.json")) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if v.get("Name").and_then(|n| n.as_str()) != Some(name) {
            continue;
        }
        let docker = v.pointer("/Endpoints/docker");
        let host = docker
            .and_then(|d| d.get("Host"))
            .and_then(|h| h.as_str())
            .ok_or_else(|| EndpointError::BadContext {
                name: name.to_string(),
                message: "no Endpoints.docker.Host in meta.json".into(),
            })?;
        let tls_dir = config_dir
            .join("contexts")
            .join("tls")
            .join(entry.file_name())
            .join("docker");
        let tls = tls_dir.join("ca.pem").exists() || tls_dir.join("cert.pem").exists();
        let target = parse_host(host, tls, tls_dir).map_err(|e| EndpointError::BadContext {
            name: name.to_string(),
            message: e.to_string(),
        })?;
        return Ok(Endpoint {
            target,
            source: format!("context {name}"),
        });
    }
    Err(EndpointError::NoContext {
        name: name.to_string(),
        dir: meta_dir.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> EndpointEnv {
        EndpointEnv {
            home: Some(PathBuf::from("/nonexistent-home")),
            ..Default::default()
        }
    }

    #[test]
    fn default_is_the_local_socket() {
        let e = resolve(&env()).unwrap();
        assert_eq!(e.describe(), "unix:///var/run/docker.sock");
        assert_eq!(e.source, "default");
    }

    #[test]
    fn docker_host_schemes() {
        let mut v = env();
        v.docker_host = Some("tcp://127.0.0.1:1".into());
        assert_eq!(
            resolve(&v).unwrap().target,
            Target::Tcp("127.0.0.1:1".into())
        );
        v.docker_host = Some("unix:///tmp/d.sock".into());
        assert_eq!(
            resolve(&v).unwrap().target,
            Target::Unix(PathBuf::from("/tmp/d.sock"))
        );
        v.docker_host = Some("tcp://h:2376".into());
        v.tls_verify = Some("1".into());
        v.cert_path = Some(PathBuf::from("/certs"));
        assert_eq!(
            resolve(&v).unwrap().target,
            Target::Tls {
                addr: "h:2376".into(),
                cert_dir: PathBuf::from("/certs")
            }
        );
        v.docker_host = Some("npipe:////./pipe/docker".into());
        assert!(matches!(resolve(&v), Err(EndpointError::Scheme(_))));
    }

    #[test]
    fn current_context_is_read_from_meta() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join(".docker");
        std::fs::create_dir_all(cfg.join("contexts/meta/abc")).unwrap();
        std::fs::write(cfg.join("config.json"), r#"{"currentContext":"remote"}"#).unwrap();
        std::fs::write(
            cfg.join("contexts/meta/abc/meta.json"),
            r#"{"Name":"remote","Endpoints":{"docker":{"Host":"tcp://10.0.0.5:2375"}}}"#,
        )
        .unwrap();
        let mut v = env();
        v.home = Some(dir.path().to_path_buf());
        let e = resolve(&v).unwrap();
        assert_eq!(e.target, Target::Tcp("10.0.0.5:2375".into()));
        assert_eq!(e.source, "context remote");
        v.docker_context = Some("missing".into());
        assert!(matches!(resolve(&v), Err(EndpointError::NoContext { .. })));
        v.docker_context = Some("default".into());
        assert_eq!(resolve(&v).unwrap().source, "default");
    }
}
