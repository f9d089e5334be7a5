//! The Docker Engine adapter. Everything above this module speaks kyozo's own types
//! ([`ContainerSpec`], [`ContainerInfo`], [`LogLine`], [`StatsSample`], [`EngineEvent`]) and
//! classified errors ([`RuntimeError`] with its [`ErrorKind`]); bollard stays inside. One file per
//! job: containers, images, networks, logs, stats, events, errors.

mod containers;
pub mod endpoint;
mod errors;
mod events;
mod images;
mod logs;
mod networks;
mod stats;

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;

pub use endpoint::{Endpoint, EndpointEnv, Target};
use errors::engine_message;
pub use errors::{ErrorKind, RuntimeError};
pub use logs::{parse_timestamp, split_timestamp};
pub use networks::NetworkInfo;

/// Label marking every resource kyozo created.
pub const LABEL_MANAGED: &str = "io.kyozo.managed";
/// Label carrying the workspace id (from the history store).
pub const LABEL_WORKSPACE: &str = "io.kyozo.workspace";
/// Label carrying the workspace's canonical path: what kyozo selects its containers by, so they
/// are found whichever history store is in use.
pub const LABEL_WORKSPACE_PATH: &str = "io.kyozo.workspace.path";
/// Label carrying the service name.
pub const LABEL_SERVICE: &str = "io.kyozo.service";
/// Label carrying the replica number (1-based).
pub const LABEL_REPLICA: &str = "io.kyozo.replica";
/// Label carrying the content hash of the image a container runs.
pub const LABEL_HASH: &str = "io.kyozo.hash";
/// Compose's project label.
pub const LABEL_COMPOSE_PROJECT: &str = "com.docker.compose.project";

/// Seconds an engine request may take before it fails.
const CLIENT_TIMEOUT_S: u64 = 300;
/// How long the first ping may take.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// A connected engine.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
    endpoint: Endpoint,
}

/// A port of a container: the container side and the host side (`None`: the engine chooses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortSpec {
    pub container: u16,
    pub host: Option<u16>,
}

/// An engine health check for containers: a CMD-SHELL test, or `None` to keep the image's own
/// `HEALTHCHECK` test with these settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthSpec {
    pub shell: Option<String>,
    /// Failures in this time after a start do not count.
    pub start_period: Duration,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
}

/// Everything needed to create one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub labels: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
    /// Overrides the image's command when set.
    pub cmd: Option<Vec<String>>,
    pub ports: Vec<PortSpec>,
    pub network: Option<String>,
    pub aliases: Vec<String>,
    pub memory_bytes: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub health: Option<HealthSpec>,
    /// Run the engine's init (`docker-init`) as PID 1: signals reach the service, which then
    /// stops at once even when it installs no SIGTERM handler of its own, and zombies are reaped.
    pub init: bool,
}

/// A container's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    Unknown,
}

impl ContainerState {
    fn parse(s: &str) -> ContainerState {
        match s {
            "created" => ContainerState::Created,
            "running" => ContainerState::Running,
            "paused" => ContainerState::Paused,
            "restarting" => ContainerState::Restarting,
            "removing" => ContainerState::Removing,
            "exited" => ContainerState::Exited,
            "dead" => ContainerState::Dead,
            _ => ContainerState::Unknown,
        }
    }
}

/// The engine's health status of a container that defines a health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineHealth {
    Starting,
    Healthy,
    Unhealthy,
}

/// What kyozo knows about one container.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    pub image: String,
    pub labels: HashMap<String, String>,
    pub state: ContainerState,
    /// Only from [`Engine::inspect`]: `None` when the container defines no health check.
    pub health: Option<EngineHealth>,
    /// (container port, host port) of published TCP ports.
    pub ports: Vec<(u16, u16)>,
    /// Unix seconds of creation.
    pub created: i64,
    /// Unix milliseconds when it last started (inspect only).
    pub started_at_ms: Option<i64>,
    /// Exit code and error text of a stopped container (inspect only).
    pub exit_code: Option<i64>,
    pub error: Option<String>,
    pub restart_count: i64,
}

impl ContainerInfo {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    /// The replica number from the label, 0 when absent.
    pub fn replica(&self) -> u32 {
        self.label(LABEL_REPLICA)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0)
    }

    pub fn running(&self) -> bool {
        self.state == ContainerState::Running
    }
}

/// One line of build output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildLine {
    Output(String),
    Status(String),
}

/// Which stream a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    Stdout,
    Stderr,
}

/// One log line of one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub container: String,
    /// When the engine received it, ms since the epoch (from the engine's timestamp).
    pub time_ms: Option<i64>,
    pub stream: LogStream,
    pub text: String,
}

/// Options for [`Engine::logs`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub follow: bool,
    /// Lines from the end; `None`: all.
    pub tail: Option<usize>,
    /// Unix seconds; only newer lines.
    pub since: Option<i64>,
}

/// One stats sample of one container.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StatsSample {
    /// CPU as a share of one core (100 = one full core).
    pub cpu_percent_core: f64,
    /// CPU as a share of the whole host (100 = every core).
    pub cpu_percent_host: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
}

impl StatsSample {
    pub fn memory_mb(&self) -> f64 {
        self.memory_bytes as f64 / (1024.0 * 1024.0)
    }
}

/// A container event from the engine's event stream (kyozo-labelled containers only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    /// `start`, `die`, `stop`, `health_status: healthy`, ...
    pub action: String,
    pub container: String,
    pub service: Option<String>,
    pub workspace: Option<String>,
    /// The workspace's canonical path.
    pub workspace_path: Option<String>,
    pub replica: Option<u32>,
    /// Unix seconds.
    pub time: i64,
}

/// Which containers to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// `key=value` label filters, all must match.
    pub labels: Vec<(String, String)>,
    /// Include stopped containers.
    pub all: bool,
}

impl Filter {
    /// kyozo containers of a workspace (by canonical path; optionally of one service), stopped
    /// ones included.
    pub fn service(workspace_path: &str, service: Option<&str>) -> Filter {
        let mut labels = vec![
            (LABEL_MANAGED.to_string(), "true".to_string()),
            (LABEL_WORKSPACE_PATH.to_string(), workspace_path.to_string()),
        ];
        if let Some(s) = service {
            labels.push((LABEL_SERVICE.to_string(), s.to_string()));
        }
        Filter { labels, all: true }
    }
}

impl Engine {
    /// Connects to the engine chosen by the environment and the docker context, and pings it.
    pub async fn connect() -> Result<Engine, RuntimeError> {
        let ep = endpoint::resolve(&EndpointEnv::from_process())?;
        Engine::connect_to(ep).await
    }

    /// Connects to one endpoint and pings it with a short timeout.
    pub async fn connect_to(ep: Endpoint) -> Result<Engine, RuntimeError> {
        let describe = ep.describe();
        let unreachable = |message: String| RuntimeError::Unreachable {
            endpoint: describe.clone(),
            message,
        };
        let version = bollard::API_DEFAULT_VERSION;
        let docker = match &ep.target {
            Target::Unix(p) => {
                Docker::connect_with_unix(&p.to_string_lossy(), CLIENT_TIMEOUT_S, version)
                    .map_err(|e| unreachable(e.to_string()))?
            }
            Target::Tcp(addr) => Docker::connect_with_http(addr, CLIENT_TIMEOUT_S, version)
                .map_err(|e| unreachable(e.to_string()))?,
            Target::Tls { addr, cert_dir } => Docker::connect_with_ssl(
                addr,
                &cert_dir.join("key.pem"),
                &cert_dir.join("cert.pem"),
                &cert_dir.join("ca.pem"),
                CLIENT_TIMEOUT_S,
                version,
            )
            .map_err(|e| unreachable(e.to_string()))?,
            Target::Ssh(_) => {
                return Err(RuntimeError::Unsupported {
                    endpoint: describe,
                    message: "ssh engines are not supported; forward the socket \
                              (ssh -L /tmp/docker.sock:/var/run/docker.sock host) and set \
                              DOCKER_HOST=unix:///tmp/docker.sock"
                        .into(),
                });
            }
        };
        match tokio::time::timeout(PING_TIMEOUT, docker.ping()).await {
            Ok(Ok(_)) => Ok(Engine {
                docker,
                endpoint: ep,
            }),
            Ok(Err(e)) => Err(unreachable(engine_message(&e))),
            Err(_) => Err(unreachable(format!(
                "no answer within {}s",
                PING_TIMEOUT.as_secs()
            ))),
        }
    }

    /// The endpoint in use, for the header: `unix:///var/run/docker.sock`.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The engine's version string.
    pub async fn version(&self) -> Result<String, RuntimeError> {
        let v = self
            .docker
            .version()
            .await
            .map_err(|e| RuntimeError::engine("version", e))?;
        Ok(v.version.unwrap_or_default())
    }
}

/// The first 12 characters of an id.
pub fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unreachable_endpoints_are_named() {
        let tls = Endpoint {
            target: Target::Tls {
                addr: "127.0.0.1:1".into(),
                cert_dir: "/nonexistent/certs".into(),
            },
            source: "DOCKER_HOST".into(),
        };
        let e = Engine::connect_to(tls).await.unwrap_err().to_string();
        assert!(
            e.starts_with("cannot reach the Docker Engine at tcp://127.0.0.1:1 (tls): "),
            "{e}"
        );
        let tcp = Endpoint {
            target: Target::Tcp("127.0.0.1:1".into()),
            source: "DOCKER_HOST".into(),
        };
        let e = Engine::connect_to(tcp).await.unwrap_err().to_string();
        assert!(
            e.starts_with("cannot reach the Docker Engine at tcp://127.0.0.1:1: "),
            "{e}"
        );
        let unix = Endpoint {
            target: Target::Unix("/nonexistent/docker.sock".into()),
            source: "default".into(),
        };
        let e = Engine::connect_to(unix).await.unwrap_err().to_string();
        assert!(e.contains("unix:///nonexistent/docker.sock"), "{e}");
        let ssh = Endpoint {
            target: Target::Ssh("ssh://me@host".into()),
            source: "context remote".into(),
        };
        let e = Engine::connect_to(ssh).await.unwrap_err().to_string();
        assert!(e.contains("ssh engines are not supported"), "{e}");
    }
}
