//! The Docker Engine adapter. Everything above this module speaks kyozo's own types
//! ([`ContainerSpec`], [`ContainerInfo`], [`LogLine`], [`StatsSample`], [`EngineEvent`]); bollard stays
//! inside.

pub mod endpoint;

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HealthStatusEnum, HostConfig,
    NetworkCreateRequest, NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, CreateImageOptionsBuilder,
    EventsOptionsBuilder, ListContainersOptionsBuilder, ListNetworksOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
    RestartContainerOptionsBuilder, StatsOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::{Stream, StreamExt};

pub use endpoint::{Endpoint, EndpointEnv, Target};

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

/// What went wrong talking to the engine.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{0}")]
    Endpoint(#[from] endpoint::EndpointError),
    #[error("cannot reach the Docker Engine at {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("{endpoint}: {message}")]
    Unsupported { endpoint: String, message: String },
    #[error("{op}: {message}")]
    Engine { op: String, message: String },
    #[error("build failed: {0}")]
    Build(String),
    #[error("not found: {0}")]
    NotFound(String),
}

impl RuntimeError {
    fn engine(op: impl Into<String>, e: bollard::errors::Error) -> RuntimeError {
        let op = op.into();
        match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                message,
            } => RuntimeError::NotFound(format!("{op}: {message}")),
            other => RuntimeError::Engine {
                op,
                message: engine_message(&other),
            },
        }
    }

    /// The engine's own message where there is one.
    pub fn message(&self) -> String {
        match self {
            RuntimeError::Engine { message, .. } => message.clone(),
            RuntimeError::Build(m) => m.clone(),
            other => other.to_string(),
        }
    }
}

fn engine_message(e: &bollard::errors::Error) -> String {
    match e {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        bollard::errors::Error::DockerStreamError { error } => error.clone(),
        other => other.to_string(),
    }
}

/// A connected engine.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
    endpoint: Endpoint,
    /// Serialises network creation: the engine does not refuse a second network of the same
    /// name created at the same moment (the parallel deploys of one wave would make several).
    net_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// A port of a container: the container side and the host side (`None`: the engine chooses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortSpec {
    pub container: u16,
    pub host: Option<u16>,
}

/// An engine health check (CMD-SHELL test) for containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthSpec {
    pub shell: String,
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
                net_lock: Default::default(),
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

    /// Whether an image (name:tag or id) exists locally.
    pub async fn image_exists(&self, image: &str) -> Result<bool, RuntimeError> {
        match self.docker.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(RuntimeError::engine(format!("inspect image {image}"), e)),
        }
    }

    /// The health check test an image defines, when it defines one.
    pub async fn image_healthcheck(
        &self,
        image: &str,
    ) -> Result<Option<Vec<String>>, RuntimeError> {
        let i = self
            .docker
            .inspect_image(image)
            .await
            .map_err(|e| RuntimeError::engine(format!("inspect image {image}"), e))?;
        Ok(i.config
            .and_then(|c| c.healthcheck)
            .and_then(|h| h.test)
            .filter(|t| !t.is_empty() && t[0] != "NONE"))
    }

    /// Builds an image from a tar context with the classic builder; `on_line` gets every output
    /// line. Fails with the engine's message.
    pub async fn build(
        &self,
        context_tar: Vec<u8>,
        dockerfile: &str,
        tag: &str,
        labels: &[(String, String)],
        mut on_line: impl FnMut(BuildLine) + Send,
    ) -> Result<String, RuntimeError> {
        let labels: HashMap<String, String> = labels.iter().cloned().collect();
        let opts = BuildImageOptionsBuilder::new()
            .dockerfile(dockerfile)
            .t(tag)
            .rm(true)
            .forcerm(true)
            .labels(&labels)
            .build();
        let mut stream =
            self.docker
                .build_image(opts, None, Some(bollard::body_full(context_tar.into())));
        let mut id = None;
        let mut last = String::new();
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| RuntimeError::Build(engine_message(&e)))?;
            if let Some(detail) = info.error_detail {
                let msg = detail.message.unwrap_or_default();
                return Err(RuntimeError::Build(failure_message(&msg, &last)));
            }
            if let Some(s) = info.stream {
                for line in s.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                    last = line.to_string();
                    on_line(BuildLine::Output(line.to_string()));
                }
            }
            if let Some(s) = info.status {
                on_line(BuildLine::Status(s));
            }
            if let Some(aux) = info.aux {
                id = aux.id.or(id);
            }
        }
        match id {
            Some(id) => Ok(id),
            None => {
                // the classic builder reports the id only as a stream line
                let i = self
                    .docker
                    .inspect_image(tag)
                    .await
                    .map_err(|e| RuntimeError::Build(engine_message(&e)))?;
                i.id.ok_or_else(|| RuntimeError::Build(format!("no image {tag} after build")))
            }
        }
    }

    /// `docker import`: a root filesystem tar as a new image `repo:tag`.
    pub async fn import_rootfs(
        &self,
        rootfs_tar: Vec<u8>,
        repo: &str,
        tag: &str,
        changes: Vec<String>,
    ) -> Result<(), RuntimeError> {
        let opts = CreateImageOptionsBuilder::new()
            .from_src("-")
            .repo(repo)
            .tag(tag)
            .changes(changes)
            .build();
        let mut s = self.docker.create_image(
            Some(opts),
            Some(bollard::body_full(rootfs_tar.into())),
            None,
        );
        while let Some(item) = s.next().await {
            let info = item.map_err(|e| RuntimeError::engine(format!("import {repo}:{tag}"), e))?;
            if let Some(d) = info.error_detail {
                return Err(RuntimeError::Engine {
                    op: format!("import {repo}:{tag}"),
                    message: d.message.unwrap_or_default(),
                });
            }
        }
        Ok(())
    }

    /// Removes an image (force: even when tagged several times).
    pub async fn remove_image(&self, image: &str) -> Result<(), RuntimeError> {
        let opts = RemoveImageOptionsBuilder::new().force(true).build();
        match self.docker.remove_image(image, Some(opts), None).await {
            Ok(_) => Ok(()),
            Err(e) => match RuntimeError::engine(format!("remove image {image}"), e) {
                RuntimeError::NotFound(_) => Ok(()),
                other => Err(other),
            },
        }
    }

    /// Creates a labelled bridge network unless it exists.
    pub async fn ensure_network(
        &self,
        name: &str,
        labels: &[(String, String)],
    ) -> Result<(), RuntimeError> {
        let _one_at_a_time = self.net_lock.lock().await;
        if self.network_exists(name).await? {
            return Ok(());
        }
        let req = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".into()),
            labels: Some(labels.iter().cloned().collect()),
            ..Default::default()
        };
        match self.docker.create_network(req).await {
            Ok(_) => {}
            // created concurrently by another deploy
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 409, ..
            }) => return Ok(()),
            Err(e) => return Err(RuntimeError::engine(format!("create network {name}"), e)),
        }
        self.dedupe_network(name).await
    }

    /// Another kyozo process may have created the same network at the same moment: keep the
    /// oldest and remove the others (just created, so nothing is attached yet).
    async fn dedupe_network(&self, name: &str) -> Result<(), RuntimeError> {
        let filters = HashMap::from([("name".to_string(), vec![name.to_string()])]);
        let opts = ListNetworksOptionsBuilder::new().filters(&filters).build();
        let mut nets: Vec<_> = self
            .docker
            .list_networks(Some(opts))
            .await
            .map_err(|e| RuntimeError::engine("list networks", e))?
            .into_iter()
            .filter(|n| n.name.as_deref() == Some(name))
            .collect();
        if nets.len() < 2 {
            return Ok(());
        }
        nets.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        for extra in nets.iter().skip(1) {
            if let Some(id) = &extra.id {
                // a failure means it got a container after all: leave it
                let _ = self.docker.remove_network(id).await;
            }
        }
        Ok(())
    }

    pub async fn network_exists(&self, name: &str) -> Result<bool, RuntimeError> {
        let filters = HashMap::from([("name".to_string(), vec![name.to_string()])]);
        let opts = ListNetworksOptionsBuilder::new().filters(&filters).build();
        let nets = self
            .docker
            .list_networks(Some(opts))
            .await
            .map_err(|e| RuntimeError::engine("list networks", e))?;
        Ok(nets.iter().any(|n| n.name.as_deref() == Some(name)))
    }

    /// Removes a network when no container is attached; returns whether it was removed.
    pub async fn remove_network_if_empty(&self, name: &str) -> Result<bool, RuntimeError> {
        let net = match self.docker.inspect_network(name, None).await {
            Ok(n) => n,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(false),
            Err(e) => return Err(RuntimeError::engine(format!("inspect network {name}"), e)),
        };
        if net.containers.as_ref().is_some_and(|c| !c.is_empty()) {
            return Ok(false);
        }
        match self.docker.remove_network(name).await {
            Ok(()) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(RuntimeError::engine(format!("remove network {name}"), e)),
        }
    }

    /// Creates a container; returns its id.
    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<String, RuntimeError> {
        let mut port_bindings = HashMap::new();
        let mut exposed = Vec::new();
        for p in &spec.ports {
            let key = format!("{}/tcp", p.container);
            exposed.push(key.clone());
            port_bindings.insert(
                key,
                Some(vec![PortBinding {
                    host_ip: None,
                    host_port: Some(p.host.map(|h| h.to_string()).unwrap_or_default()),
                }]),
            );
        }
        let networking_config = spec.network.as_ref().map(|n| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                n.clone(),
                EndpointSettings {
                    aliases: Some(spec.aliases.clone()),
                    ..Default::default()
                },
            )])),
        });
        let healthcheck = spec.health.as_ref().map(|h| HealthConfig {
            test: Some(vec!["CMD-SHELL".into(), h.shell.clone()]),
            interval: Some(h.interval.as_nanos() as i64),
            timeout: Some(h.timeout.as_nanos() as i64),
            retries: Some(i64::from(h.retries)),
            start_period: None,
            start_interval: None,
        });
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: spec.cmd.clone(),
            env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            labels: Some(spec.labels.iter().cloned().collect()),
            exposed_ports: Some(exposed),
            healthcheck,
            host_config: Some(HostConfig {
                port_bindings: Some(port_bindings),
                memory: spec.memory_bytes,
                nano_cpus: spec.nano_cpus,
                network_mode: spec.network.clone(),
                init: Some(spec.init),
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                    maximum_retry_count: None,
                }),
                ..Default::default()
            }),
            networking_config,
            ..Default::default()
        };
        let opts = CreateContainerOptionsBuilder::new()
            .name(&spec.name)
            .build();
        let r = self
            .docker
            .create_container(Some(opts), body)
            .await
            .map_err(|e| RuntimeError::engine(format!("create container {}", spec.name), e))?;
        Ok(r.id)
    }

    pub async fn start(&self, id: &str) -> Result<(), RuntimeError> {
        self.docker
            .start_container(id, None)
            .await
            .map_err(|e| RuntimeError::engine(format!("start container {}", short(id)), e))
    }

    /// Stops a container, killing it after `timeout_s`.
    pub async fn stop(&self, id: &str, timeout_s: i32) -> Result<(), RuntimeError> {
        let opts = StopContainerOptionsBuilder::new().t(timeout_s).build();
        match self.docker.stop_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            // already stopped
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(e) => Err(RuntimeError::engine(
                format!("stop container {}", short(id)),
                e,
            )),
        }
    }

    pub async fn restart(&self, id: &str, timeout_s: i32) -> Result<(), RuntimeError> {
        let opts = RestartContainerOptionsBuilder::new().t(timeout_s).build();
        self.docker
            .restart_container(id, Some(opts))
            .await
            .map_err(|e| RuntimeError::engine(format!("restart container {}", short(id)), e))
    }

    /// Removes a container (forced: a running one is killed), with its anonymous volumes.
    pub async fn remove(&self, id: &str) -> Result<(), RuntimeError> {
        let opts = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        match self.docker.remove_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) => match RuntimeError::engine(format!("remove container {}", short(id)), e) {
                RuntimeError::NotFound(_) => Ok(()),
                // removal already in progress
                RuntimeError::Engine { message, .. } if message.contains("already in progress") => {
                    Ok(())
                }
                other => Err(other),
            },
        }
    }

    /// Lists containers matching the filter, ordered by replica number then name.
    pub async fn list(&self, filter: &Filter) -> Result<Vec<ContainerInfo>, RuntimeError> {
        let labels: Vec<String> = filter
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let filters = HashMap::from([("label".to_string(), labels)]);
        let opts = ListContainersOptionsBuilder::new()
            .all(filter.all)
            .filters(&filters)
            .build();
        let list = self
            .docker
            .list_containers(Some(opts))
            .await
            .map_err(|e| RuntimeError::engine("list containers", e))?;
        let mut out: Vec<ContainerInfo> = list
            .into_iter()
            .map(|c| {
                let mut ports: Vec<(u16, u16)> = c
                    .ports
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|p| p.public_port.map(|h| (p.private_port, h)))
                    .collect();
                ports.sort_unstable();
                ports.dedup();
                ContainerInfo {
                    id: c.id.unwrap_or_default(),
                    name: c
                        .names
                        .and_then(|n| n.into_iter().next())
                        .unwrap_or_default()
                        .trim_start_matches('/')
                        .to_string(),
                    image: c.image.unwrap_or_default(),
                    labels: c.labels.unwrap_or_default(),
                    state: ContainerState::parse(
                        &c.state.map(|s| s.to_string()).unwrap_or_default(),
                    ),
                    health: None,
                    ports,
                    created: c.created.unwrap_or_default(),
                    started_at_ms: None,
                    exit_code: None,
                    error: None,
                    restart_count: 0,
                }
            })
            .collect();
        out.sort_by(|a, b| (a.replica(), &a.name).cmp(&(b.replica(), &b.name)));
        Ok(out)
    }

    /// Full details of one container, health included.
    pub async fn inspect(&self, id: &str) -> Result<ContainerInfo, RuntimeError> {
        let c = self
            .docker
            .inspect_container(id, None)
            .await
            .map_err(|e| RuntimeError::engine(format!("inspect container {}", short(id)), e))?;
        let state = c.state.unwrap_or_default();
        let health = state
            .health
            .as_ref()
            .and_then(|h| h.status)
            .and_then(|s| match s {
                HealthStatusEnum::STARTING => Some(EngineHealth::Starting),
                HealthStatusEnum::HEALTHY => Some(EngineHealth::Healthy),
                HealthStatusEnum::UNHEALTHY => Some(EngineHealth::Unhealthy),
                _ => None,
            });
        let mut ports = Vec::new();
        if let Some(map) = c.network_settings.and_then(|n| n.ports) {
            for (key, bindings) in map {
                let Some(cport) = key.strip_suffix("/tcp").and_then(|p| p.parse::<u16>().ok())
                else {
                    continue;
                };
                for b in bindings.unwrap_or_default() {
                    if let Some(h) = b.host_port.and_then(|h| h.parse::<u16>().ok()) {
                        ports.push((cport, h));
                    }
                }
            }
        }
        ports.sort_unstable();
        ports.dedup();
        let config = c.config.unwrap_or_default();
        let started_at_ms = state
            .started_at
            .as_deref()
            .and_then(|s| humantime::parse_rfc3339_weak(s.split('.').next().unwrap_or(s)).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
            .filter(|ms| *ms > 0);
        Ok(ContainerInfo {
            id: c.id.unwrap_or_default(),
            name: c
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image: config.image.unwrap_or_default(),
            labels: config.labels.unwrap_or_default(),
            state: ContainerState::parse(&state.status.map(|s| s.to_string()).unwrap_or_default()),
            health,
            ports,
            created: 0,
            started_at_ms,
            exit_code: state.exit_code,
            error: state.error.filter(|e| !e.is_empty()),
            restart_count: c.restart_count.unwrap_or_default(),
        })
    }

    /// The last `n` log lines of a container, both streams, as text.
    pub async fn tail_text(&self, id: &str, n: usize) -> String {
        let opts = LogOptions {
            follow: false,
            tail: Some(n),
            since: None,
        };
        let lines: Vec<String> = self
            .logs(id, &opts)
            .filter_map(|l| async move { l.ok().map(|l| l.text) })
            .collect()
            .await;
        lines.join("\n")
    }

    /// Log lines of one container.
    pub fn logs(
        &self,
        id: &str,
        opts: &LogOptions,
    ) -> impl Stream<Item = Result<LogLine, RuntimeError>> + Send + use<> {
        let mut b = LogsOptionsBuilder::new()
            .follow(opts.follow)
            .stdout(true)
            .stderr(true);
        b = match opts.tail {
            Some(n) => b.tail(&n.to_string()),
            None => b.tail("all"),
        };
        if let Some(since) = opts.since {
            b = b.since(i32::try_from(since).unwrap_or(i32::MAX));
        }
        let container = id.to_string();
        let docker = self.docker.clone();
        let stream = docker.logs(id, Some(b.build()));
        // split chunks into lines, keeping partial lines until their end arrives
        let mut partial: HashMap<bool, String> = HashMap::new();
        stream.flat_map(move |item| {
            let out: Vec<Result<LogLine, RuntimeError>> = match item {
                Err(e) => vec![Err(RuntimeError::engine(
                    format!("logs of {}", short(&container)),
                    e,
                ))],
                Ok(chunk) => {
                    let (is_err, bytes) = match &chunk {
                        bollard::container::LogOutput::StdErr { message } => (true, message),
                        bollard::container::LogOutput::StdOut { message }
                        | bollard::container::LogOutput::Console { message }
                        | bollard::container::LogOutput::StdIn { message } => (false, message),
                    };
                    let buf = partial.entry(is_err).or_default();
                    buf.push_str(&String::from_utf8_lossy(bytes));
                    let mut lines = Vec::new();
                    while let Some(i) = buf.find('\n') {
                        let line: String = buf.drain(..=i).collect();
                        lines.push(Ok(LogLine {
                            container: container.clone(),
                            stream: if is_err {
                                LogStream::Stderr
                            } else {
                                LogStream::Stdout
                            },
                            text: line.trim_end_matches(['\n', '\r']).to_string(),
                        }));
                    }
                    lines
                }
            };
            futures_util::stream::iter(out)
        })
    }

    /// Stats samples of one container; `follow: false` gives one sample.
    pub fn stats(
        &self,
        id: &str,
        follow: bool,
    ) -> impl Stream<Item = Result<StatsSample, RuntimeError>> + Send + use<> {
        let opts = StatsOptionsBuilder::new().stream(follow).build();
        let container = id.to_string();
        self.docker.stats(id, Some(opts)).map(move |item| {
            let s = item
                .map_err(|e| RuntimeError::engine(format!("stats of {}", short(&container)), e))?;
            Ok(sample(&s))
        })
    }

    /// Container events of kyozo-labelled containers, from the moment of the call on.
    pub fn events(&self) -> impl Stream<Item = Result<EngineEvent, RuntimeError>> + Send + use<> {
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            ("label".to_string(), vec![format!("{LABEL_MANAGED}=true")]),
        ]);
        // from the moment of the call, even though the request goes out on the first poll
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let opts = EventsOptionsBuilder::new()
            .since(&since.to_string())
            .filters(&filters)
            .build();
        self.docker.events(Some(opts)).map(|item| {
            let e = item.map_err(|e| RuntimeError::engine("events", e))?;
            let actor = e.actor.unwrap_or_default();
            let attrs = actor.attributes.unwrap_or_default();
            Ok(EngineEvent {
                action: e.action.unwrap_or_default(),
                container: attrs
                    .get("name")
                    .cloned()
                    .unwrap_or_else(|| actor.id.unwrap_or_default()),
                service: attrs.get(LABEL_SERVICE).cloned(),
                workspace: attrs.get(LABEL_WORKSPACE).cloned(),
                workspace_path: attrs.get(LABEL_WORKSPACE_PATH).cloned(),
                replica: attrs.get(LABEL_REPLICA).and_then(|r| r.parse().ok()),
                time: e.time.unwrap_or_default(),
            })
        })
    }
}

fn sample(s: &bollard::models::ContainerStatsResponse) -> StatsSample {
    let cpu = s.cpu_stats.clone().unwrap_or_default();
    let pre = s.precpu_stats.clone().unwrap_or_default();
    let total = |c: &bollard::models::ContainerCpuStats| {
        c.cpu_usage
            .as_ref()
            .and_then(|u| u.total_usage)
            .unwrap_or_default()
    };
    let cpu_delta = total(&cpu).saturating_sub(total(&pre)) as f64;
    let sys_delta = cpu
        .system_cpu_usage
        .unwrap_or_default()
        .saturating_sub(pre.system_cpu_usage.unwrap_or_default()) as f64;
    let cpus = cpu
        .online_cpus
        .map(f64::from)
        .or_else(|| {
            cpu.cpu_usage
                .as_ref()
                .and_then(|u| u.percpu_usage.as_ref())
                .map(|p| p.len() as f64)
        })
        .filter(|n| *n > 0.0)
        .unwrap_or(1.0);
    let host = if sys_delta > 0.0 {
        cpu_delta / sys_delta * 100.0
    } else {
        0.0
    };
    let mem = s.memory_stats.clone().unwrap_or_default();
    let stats = mem.stats.unwrap_or_default();
    // like the docker CLI: usage minus page cache
    let cache = stats
        .get("inactive_file")
        .or_else(|| stats.get("total_inactive_file"))
        .or_else(|| stats.get("cache"))
        .copied()
        .unwrap_or_default();
    let usage = mem.usage.unwrap_or_default();
    StatsSample {
        cpu_percent_core: host * cpus,
        cpu_percent_host: host,
        memory_bytes: usage.saturating_sub(cache),
        memory_limit_bytes: mem.limit.unwrap_or_default(),
    }
}

/// The message that explains a build failure: the engine's error, with the last output line when
/// the engine's text does not say much (`returned a non-zero code: 1`).
fn failure_message(engine: &str, last_line: &str) -> String {
    let engine = engine.trim();
    if last_line.is_empty() || engine.contains(last_line) || last_line.starts_with("Step ") {
        engine.to_string()
    } else {
        format!("{engine} (last output: {last_line})")
    }
}

/// The first 12 characters of an id.
pub fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_message_keeps_engine_text() {
        assert_eq!(
            failure_message(
                "The command '/bin/sh -c false' returned a non-zero code: 1",
                ""
            ),
            "The command '/bin/sh -c false' returned a non-zero code: 1"
        );
        assert!(failure_message("returned a non-zero code: 1", "oops: no file").contains("oops"));
    }

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

    #[test]
    fn stats_percentages() {
        let s: bollard::models::ContainerStatsResponse = serde_json::from_value(serde_json::json!({
            "cpu_stats": {"cpu_usage": {"total_usage": 2_000_000_000u64}, "system_cpu_usage": 10_000_000_000u64, "online_cpus": 2},
            "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000_000u64}, "system_cpu_usage": 6_000_000_000u64},
            "memory_stats": {"usage": 20_971_520u64, "limit": 536_870_912u64, "stats": {"inactive_file": 10_485_760u64}}
        }))
        .unwrap();
        let x = sample(&s);
        assert!((x.cpu_percent_host - 25.0).abs() < 1e-9, "{x:?}");
        assert!((x.cpu_percent_core - 50.0).abs() < 1e-9, "{x:?}");
        assert!((x.memory_mb() - 10.0).abs() < 1e-9);
    }
}
