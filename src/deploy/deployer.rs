//! Orchestration: up wave by wave, down, start, stop, restart, scale, status, health, logs and
//! stats of the services of one workspace, recording every lifecycle step in the store.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use serde::Serialize;
use tokio::sync::mpsc;

use super::compose::{self, ComposeError};
use super::context::{self, ContextError};
use super::health::{self, Health};
use super::names::{self, ValidationError};
use super::plan::{self, Plan, PlanError};
use crate::config::Config;
use crate::detect::{Service, ServiceType, Topology};
use crate::runtime::{
    self, BuildLine, ContainerInfo, ContainerSpec, ContainerState, Engine, EngineEvent,
    EngineHealth, Filter, HealthSpec, LogOptions, LogStream, PortSpec, RuntimeError, StatsSample,
    Target,
};
use crate::store::{self, EventKind, NewEvent, ServiceRecord, Store, StoreError, Workspace};

/// Services deployed at once inside a wave.
pub const DEFAULT_PARALLELISM: usize = 4;
/// Seconds a container gets to stop before it is killed.
pub const STOP_TIMEOUT_S: i32 = 3;
/// How long `up` waits for a service to be running (and healthy where the image has a check).
const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a started container must keep running to count as started.
const SETTLE: Duration = Duration::from_millis(150);
/// How long `up` waits for a service's port to answer before going on.
const LISTEN_WAIT: Duration = Duration::from_secs(15);
/// Triggered-by of automatic actions (health checks).
pub const AUTOMATIC: &str = "kyozo";

/// What went wrong in a deploy operation.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    Runtime(#[from] RuntimeError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Context(#[from] ContextError),
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Compose(#[from] ComposeError),
    #[error("no service `{0}` in this workspace")]
    UnknownService(String),
    #[error("{0} is not deployed (run `kyozo up {0}`)")]
    NotDeployed(String),
    #[error("{service}: {message}")]
    Service { service: String, message: String },
    #[error("{0}")]
    Other(String),
}

/// A deploy step, for progress messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Plan,
    Build,
    Create,
    Start,
    Wait,
    Stop,
    Remove,
    Compose,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Plan => "plan",
            Step::Build => "build",
            Step::Create => "create",
            Step::Start => "start",
            Step::Wait => "wait",
            Step::Stop => "stop",
            Step::Remove => "remove",
            Step::Compose => "compose",
        }
    }
}

/// Progress of a long operation, in the order things happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A wave begins (0-based index).
    Wave { index: usize, services: Vec<String> },
    StepStarted {
        service: String,
        step: Step,
        detail: String,
    },
    StepFinished {
        service: String,
        step: Step,
        ms: u64,
    },
    /// One line of build (or compose) output.
    Output { service: String, line: String },
    /// The image with this content hash exists already.
    Cached { service: String, image: String },
    /// Deployed content and replica count already match: nothing to do.
    Unchanged { service: String },
    /// The service is deployed and ready.
    Done { service: String, ms: u64 },
    /// The service failed, with the engine's message.
    Failed { service: String, error: String },
}

/// What `up` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpReport {
    pub deployed: Vec<String>,
    pub unchanged: Vec<String>,
}

/// One port of a service: container side and host side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortPair {
    pub container: u16,
    pub host: u16,
}

/// Replica counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Replicas {
    pub running: u32,
    pub desired: u32,
}

/// A service as `ps` shows it (the JSON of `kyozo ps --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `deployable`, `running`, `stopped`, `error`, ...
    pub status: String,
    /// `healthy`, `unhealthy`, `unknown`.
    pub health: String,
    pub replicas: Replicas,
    pub cpu_percent: Option<f64>,
    pub memory_mb: Option<f64>,
    pub ports: Vec<PortPair>,
    pub uptime_s: Option<u64>,
    pub drifted: bool,
    pub containers: Vec<String>,
}

/// One log line of a service, with its replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLogLine {
    pub service: String,
    pub replica: u32,
    pub stream: LogStream,
    pub text: String,
}

impl std::fmt::Display for ServiceLogLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{} | {}", self.service, self.replica, self.text)
    }
}

/// One stats sample of one replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaStats {
    pub replica: u32,
    pub sample: StatsSample,
}

/// The outcome of one health check of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    pub service: String,
    pub health: Health,
    pub previous: Health,
    pub reason: String,
}

/// The deploy engine of one workspace. Cheap to clone; share it between tasks.
#[derive(Clone)]
pub struct Deployer {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    store: Arc<Store>,
    workspace: Workspace,
    root: PathBuf,
    ws: String,
    config: Config,
    parallelism: usize,
}

impl std::fmt::Debug for Deployer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployer")
            .field("root", &self.inner.root)
            .field("workspace", &self.inner.ws)
            .finish()
    }
}

fn elapsed_ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

impl Deployer {
    /// A deployer for the workspace at `root` (canonicalised; registered in the store if new).
    /// Blocks briefly on the store.
    pub fn new(
        engine: Engine,
        store: Arc<Store>,
        root: &Path,
        config: Config,
    ) -> Result<Deployer, DeployError> {
        let root = root.canonicalize().map_err(|e| {
            DeployError::Other(format!("cannot open workspace {}: {e}", root.display()))
        })?;
        let workspace = store.workspace(&root.to_string_lossy())?;
        let ws = names::workspace_slug(&root);
        Ok(Deployer {
            inner: Arc::new(Inner {
                engine,
                store,
                workspace,
                root,
                ws,
                config,
                parallelism: DEFAULT_PARALLELISM,
            }),
        })
    }

    /// The same deployer with another bound on parallel deploys inside a wave (at least 1).
    pub fn with_parallelism(self, n: usize) -> Deployer {
        let i = &self.inner;
        Deployer {
            inner: Arc::new(Inner {
                engine: i.engine.clone(),
                store: i.store.clone(),
                workspace: i.workspace.clone(),
                root: i.root.clone(),
                ws: i.ws.clone(),
                config: i.config.clone(),
                parallelism: n.max(1),
            }),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The history store this deployer records into.
    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    pub fn workspace(&self) -> &Workspace {
        &self.inner.workspace
    }

    /// The workspace part of resource names.
    pub fn slug(&self) -> &str {
        &self.inner.ws
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The workspace network name.
    pub fn network(&self) -> String {
        names::network_name(&self.inner.ws)
    }

    /// The canonical workspace path, as the containers' path label carries it.
    fn ws_path(&self) -> String {
        self.inner.root.to_string_lossy().into_owned()
    }

    fn ws_id(&self) -> String {
        self.inner.workspace.id.to_string()
    }

    /// The build and run plan of one service.
    pub fn plan(&self, svc: &Service) -> Result<Plan, PlanError> {
        plan::plan(&self.inner.root, &self.inner.ws, svc, &self.inner.config)
    }

    // ----- store helpers (the store blocks: run it off the async workers) -----

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, DeployError> {
        let store = self.inner.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| DeployError::Other(format!("store task failed: {e}")))?
            .map_err(DeployError::from)
    }

    async fn event(&self, ev: NewEvent) -> Result<(), DeployError> {
        let id = self.inner.workspace.id;
        self.blocking(move |s| s.append_event(id, ev).map(|_| ()))
            .await
    }

    async fn record(&self, svc: &Service) -> Result<ServiceRecord, DeployError> {
        let id = self.inner.workspace.id;
        let name = svc.name.clone();
        let found = self.blocking(move |s| s.service(id, &name)).await?;
        Ok(match found {
            Some(mut r) => {
                r.path = svc.path.clone();
                r.kind = svc.kind.as_str().to_string();
                r
            }
            None => ServiceRecord::new(id, &svc.name, &svc.path, svc.kind.as_str()),
        })
    }

    async fn save(&self, mut rec: ServiceRecord) -> Result<(), DeployError> {
        rec.updated_at_ms = store::now_ms();
        self.blocking(move |s| s.save_service(&rec)).await
    }

    /// The stored record of a service, if any.
    pub async fn service_record(&self, name: &str) -> Result<Option<ServiceRecord>, DeployError> {
        let id = self.inner.workspace.id;
        let name = name.to_string();
        self.blocking(move |s| s.service(id, &name)).await
    }

    // ----- selection -----

    /// The services `names` picks (all deployable ones when empty), in waves of the deployment
    /// order.
    pub fn waves<'t>(
        &self,
        topo: &'t Topology,
        names: &[String],
    ) -> Result<Vec<Vec<&'t Service>>, DeployError> {
        waves(topo, names)
    }

    fn find<'t>(&self, topo: &'t Topology, name: &str) -> Result<&'t Service, DeployError> {
        names::validate_service_name(name)?;
        topo.service(name)
            .ok_or_else(|| DeployError::UnknownService(name.to_string()))
    }

    /// Containers of one service (compose members for stacks), stopped ones included.
    pub async fn containers(&self, svc: &Service) -> Result<Vec<ContainerInfo>, DeployError> {
        let filter = if svc.kind == ServiceType::ComposeStack {
            Filter {
                labels: vec![(
                    runtime::LABEL_COMPOSE_PROJECT.to_string(),
                    names::compose_project(&self.inner.ws, &svc.name),
                )],
                all: true,
            }
        } else {
            Filter::service(&self.ws_path(), Some(&svc.name))
        };
        Ok(self.inner.engine.list(&filter).await?)
    }

    // ----- up -----

    /// Builds and runs services wave by wave (all deployable ones when `names` is empty). Stops
    /// after the first wave in which a service failed, with that service's error.
    pub async fn up(
        &self,
        topo: &Topology,
        names: &[String],
        mut progress: impl FnMut(Progress) + Send,
    ) -> Result<UpReport, DeployError> {
        let waves = self.waves(topo, names)?;
        let mut report = UpReport::default();
        for (index, wave) in waves.into_iter().enumerate() {
            progress(Progress::Wave {
                index,
                services: wave.iter().map(|s| s.name.clone()).collect(),
            });
            let (tx, rx) = mpsc::unbounded_channel::<Progress>();
            let work = async {
                let results: Vec<(String, Result<bool, DeployError>)> =
                    futures_util::stream::iter(wave.into_iter().map(|svc| {
                        let tx = tx.clone();
                        async move {
                            let r = self.deploy_one(svc, &tx).await;
                            if let Err(e) = &r {
                                let _ = tx.send(Progress::Failed {
                                    service: svc.name.clone(),
                                    error: e.to_string(),
                                });
                            }
                            (svc.name.clone(), r)
                        }
                    }))
                    .buffer_unordered(self.inner.parallelism)
                    .collect()
                    .await;
                drop(tx);
                results
            };
            // forward progress as it comes while the wave works
            let results = forward(work, rx, &mut progress).await;
            let mut failure = None;
            for (name, r) in results {
                match r {
                    Ok(true) => report.deployed.push(name),
                    Ok(false) => report.unchanged.push(name),
                    Err(e) => {
                        if failure.is_none() {
                            failure = Some(match e {
                                DeployError::Service { .. } => e,
                                other => DeployError::Service {
                                    service: name,
                                    message: other.to_string(),
                                },
                            });
                        }
                    }
                }
            }
            if let Some(f) = failure {
                return Err(f);
            }
        }
        Ok(report)
    }

    /// Deploys one service; `Ok(false)` when nothing had to change.
    async fn deploy_one(
        &self,
        svc: &Service,
        tx: &mpsc::UnboundedSender<Progress>,
    ) -> Result<bool, DeployError> {
        let name = svc.name.clone();
        let send = |p: Progress| {
            let _ = tx.send(p);
        };
        let t0 = Instant::now();
        let plan = match self.plan(svc) {
            Ok(p) => p,
            Err(e) => {
                // plan errors name the service already
                let full = e.to_string();
                let msg = full
                    .strip_prefix(&format!("{name}: "))
                    .unwrap_or(&full)
                    .to_string();
                self.fail(svc, None, &msg, t0).await?;
                return Err(DeployError::Service {
                    service: name,
                    message: msg,
                });
            }
        };
        if let Some(cp) = plan.compose.clone() {
            return self.compose_up(svc, &plan, &cp, tx, t0).await.map(|_| true);
        }
        // the context and its hash decide whether anything changed
        let dir = plan.context_dir.clone();
        let generated = plan
            .generated()
            .map(|(n, t)| (n.to_string(), t.to_string()));
        let ctx = tokio::task::spawn_blocking(move || {
            let extra: Vec<(&str, &str)> = generated
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect();
            context::build(&dir, &extra)
        })
        .await
        .map_err(|e| DeployError::Other(format!("context task failed: {e}")))?;
        let ctx = match ctx {
            Ok(c) => c,
            Err(e) => {
                let msg = e.to_string();
                self.fail(svc, None, &msg, t0).await?;
                return Err(DeployError::Service {
                    service: name,
                    message: msg,
                });
            }
        };
        let hash = ctx.tag().to_string();
        let image = format!("{}:{hash}", plan.image_repo);
        let mut rec = self.record(svc).await?;
        let desired = if rec.is_deleted() {
            1
        } else {
            rec.desired_replicas.max(1)
        };
        let existing = self.containers(svc).await?;
        let same = !existing.is_empty()
            && existing.len() as u32 == desired
            && existing
                .iter()
                .all(|c| c.label(runtime::LABEL_HASH) == Some(hash.as_str()));
        if same && existing.iter().all(ContainerInfo::running) {
            send(Progress::Unchanged {
                service: name.clone(),
            });
            return Ok(false);
        }
        self.event(
            NewEvent::new(&name, EventKind::DeploymentStarted).data(serde_json::json!({
                "image": image,
                "hash": hash,
                "replicas": desired,
            })),
        )
        .await?;
        rec.status = "deploying".into();
        rec.deleted_at_ms = None;
        self.save(rec.clone()).await?;

        let result = async {
            let built = if same {
                false
            } else {
                self.ensure_image(svc, &plan, ctx.tar, &image, &hash, tx)
                    .await?
            };
            if same {
                // same content, some replicas stopped: start them
                for c in existing.iter().filter(|c| !c.running()) {
                    self.inner.engine.start(&c.id).await?;
                }
            } else {
                self.replace(svc, &plan, &image, &hash, &existing, desired, tx)
                    .await?;
            }
            let t_start = Instant::now();
            send(Progress::StepStarted {
                service: name.clone(),
                step: Step::Wait,
                detail: "running, healthy where checked".into(),
            });
            let ready = self.wait_ready(svc, &plan).await?;
            send(Progress::StepFinished {
                service: name.clone(),
                step: Step::Wait,
                ms: elapsed_ms(t_start),
            });
            Ok::<_, DeployError>((built, ready, elapsed_ms(t_start)))
        }
        .await;

        match result {
            Ok((built, ready, startup_ms)) => {
                let duration = elapsed_ms(t0);
                rec.status = "running".into();
                rec.image = Some(image.clone());
                rec.content_hash = Some(hash.clone());
                rec.containers = ready.iter().map(|c| c.id.clone()).collect();
                rec.ports = ready.iter().flat_map(|c| c.ports.clone()).collect();
                rec.startup_ms = Some(startup_ms);
                rec.deployed_at_ms = Some(store::now_ms());
                rec.desired_replicas = desired;
                rec.config = plan_config(&plan);
                if ready
                    .iter()
                    .any(|c| c.health == Some(EngineHealth::Healthy))
                {
                    rec.health = Health::Healthy.as_str().into();
                }
                self.save(rec).await?;
                self.event(
                    NewEvent::new(&name, EventKind::DeploymentCompleted)
                        .duration_ms(duration)
                        .data(serde_json::json!({
                            "image": image,
                            "hash": hash,
                            "built": built,
                            "replicas": desired,
                            "startup_ms": startup_ms,
                        })),
                )
                .await?;
                send(Progress::Done {
                    service: name,
                    ms: duration,
                });
                Ok(true)
            }
            Err(e) => {
                let msg = match &e {
                    DeployError::Runtime(r) => match r {
                        RuntimeError::Build(m) => format!("build failed: {m}"),
                        other => other.to_string(),
                    },
                    other => other.to_string(),
                };
                self.fail(svc, Some(&image), &msg, t0).await?;
                Err(DeployError::Service {
                    service: name,
                    message: msg,
                })
            }
        }
    }

    /// Records a failed deployment.
    async fn fail(
        &self,
        svc: &Service,
        image: Option<&str>,
        message: &str,
        t0: Instant,
    ) -> Result<(), DeployError> {
        let mut rec = self.record(svc).await?;
        rec.status = "error".into();
        rec.deleted_at_ms = None;
        self.save(rec).await?;
        self.event(
            NewEvent::new(&svc.name, EventKind::DeploymentFailed)
                .duration_ms(elapsed_ms(t0))
                .error(message)
                .data(serde_json::json!({ "image": image })),
        )
        .await
    }

    /// Builds the image unless it exists; `Ok(true)` when it was built.
    async fn ensure_image(
        &self,
        svc: &Service,
        plan: &Plan,
        tar: Vec<u8>,
        image: &str,
        hash: &str,
        tx: &mpsc::UnboundedSender<Progress>,
    ) -> Result<bool, DeployError> {
        let name = &svc.name;
        if self.inner.engine.image_exists(image).await? {
            let _ = tx.send(Progress::Cached {
                service: name.clone(),
                image: image.to_string(),
            });
            return Ok(false);
        }
        let t = Instant::now();
        let _ = tx.send(Progress::StepStarted {
            service: name.clone(),
            step: Step::Build,
            detail: image.to_string(),
        });
        // no build labels: each would add a build step (an intermediate container) to every
        // build; the tag `kyozo/<workspace>-<service>:<hash>` identifies the image
        let labels: Vec<(String, String)> = Vec::new();
        let _ = hash;
        let dockerfile = plan
            .dockerfile_name
            .clone()
            .unwrap_or_else(|| "Dockerfile".into());
        let svc_name = name.clone();
        self.inner
            .engine
            .build(tar, &dockerfile, image, &labels, |line| {
                let text = match line {
                    BuildLine::Output(s) | BuildLine::Status(s) => s,
                };
                let _ = tx.send(Progress::Output {
                    service: svc_name.clone(),
                    line: text,
                });
            })
            .await?;
        let _ = tx.send(Progress::StepFinished {
            service: name.clone(),
            step: Step::Build,
            ms: elapsed_ms(t),
        });
        Ok(true)
    }

    fn labels(&self, svc: &str, replica: u32, hash: &str) -> Vec<(String, String)> {
        vec![
            (runtime::LABEL_MANAGED.to_string(), "true".to_string()),
            (runtime::LABEL_WORKSPACE.to_string(), self.ws_id()),
            (runtime::LABEL_WORKSPACE_PATH.to_string(), self.ws_path()),
            (runtime::LABEL_SERVICE.to_string(), svc.to_string()),
            (runtime::LABEL_REPLICA.to_string(), replica.to_string()),
            (runtime::LABEL_HASH.to_string(), hash.to_string()),
        ]
    }

    /// Removes the old containers and creates and starts `desired` new ones.
    #[allow(clippy::too_many_arguments)]
    async fn replace(
        &self,
        svc: &Service,
        plan: &Plan,
        image: &str,
        hash: &str,
        existing: &[ContainerInfo],
        desired: u32,
        tx: &mpsc::UnboundedSender<Progress>,
    ) -> Result<(), DeployError> {
        let engine = &self.inner.engine;
        for c in existing {
            let _ = tx.send(Progress::StepStarted {
                service: svc.name.clone(),
                step: Step::Remove,
                detail: c.name.clone(),
            });
            engine.remove(&c.id).await?;
        }
        let net = self.network();
        engine
            .ensure_network(
                &net,
                &[
                    (runtime::LABEL_MANAGED.to_string(), "true".to_string()),
                    (runtime::LABEL_WORKSPACE.to_string(), self.ws_id()),
                    (runtime::LABEL_WORKSPACE_PATH.to_string(), self.ws_path()),
                ],
            )
            .await?;
        // the image's own HEALTHCHECK is applied by the engine as is
        for replica in 1..=desired {
            self.create_replica(svc, plan, image, hash, replica, None, tx)
                .await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_replica(
        &self,
        svc: &Service,
        plan: &Plan,
        image: &str,
        hash: &str,
        replica: u32,
        health: Option<HealthSpec>,
        tx: &mpsc::UnboundedSender<Progress>,
    ) -> Result<ContainerInfo, DeployError> {
        let engine = &self.inner.engine;
        let name = names::container_name(&self.inner.ws, &svc.name, replica);
        let mut ports: Vec<u16> = plan.port.into_iter().collect();
        for p in &plan.ports {
            if !ports.contains(p) {
                ports.push(*p);
            }
        }
        let mut spec = ContainerSpec {
            name: name.clone(),
            image: image.to_string(),
            labels: self.labels(&svc.name, replica, hash),
            env: plan.env.clone(),
            cmd: None,
            ports: ports
                .iter()
                .map(|&p| PortSpec {
                    container: p,
                    host: (replica == 1 && self.is_local() && host_port_free(p)).then_some(p),
                })
                .collect(),
            network: Some(self.network()),
            aliases: vec![svc.name.clone()],
            memory_bytes: Some(plan.memory_bytes),
            nano_cpus: Some(plan.nano_cpus),
            health,
            // PID 1 of most services ignores SIGTERM: without an init every stop waits for the
            // kill after STOP_TIMEOUT_S
            init: true,
        };
        let t = Instant::now();
        let _ = tx.send(Progress::StepStarted {
            service: svc.name.clone(),
            step: Step::Create,
            detail: name.clone(),
        });
        // a leftover container of that name (an interrupted deploy) is ours to replace only when
        // it carries our labels
        if let Ok(old) = engine.inspect(&name).await {
            if old.label(runtime::LABEL_WORKSPACE_PATH) == Some(self.ws_path().as_str()) {
                engine.remove(&old.id).await?;
            } else {
                return Err(DeployError::Other(format!(
                    "a container named {name} exists and is not managed by this workspace"
                )));
            }
        }
        let mut id = engine.create_container(&spec).await?;
        let _ = tx.send(Progress::StepStarted {
            service: svc.name.clone(),
            step: Step::Start,
            detail: name.clone(),
        });
        if let Err(e) = engine.start(&id).await {
            let message = e.message();
            let busy = message.contains("port is already allocated")
                || message.contains("address already in use");
            // an engine without an init binary: the service runs as PID 1 then
            let no_init = message.contains("docker-init");
            if !busy && !no_init {
                let _ = engine.remove(&id).await;
                return Err(e.into());
            }
            engine.remove(&id).await?;
            if busy {
                // the host port was taken meanwhile: let the engine choose one
                for p in &mut spec.ports {
                    p.host = None;
                }
            }
            spec.init = !no_init;
            id = engine.create_container(&spec).await?;
            engine.start(&id).await?;
        }
        let _ = tx.send(Progress::StepFinished {
            service: svc.name.clone(),
            step: Step::Start,
            ms: elapsed_ms(t),
        });
        Ok(engine.inspect(&id).await?)
    }

    /// Whether the engine runs on this machine (host ports are then probed here).
    fn is_local(&self) -> bool {
        matches!(self.inner.engine.endpoint().target, Target::Unix(_))
    }

    /// The address published ports are reached at.
    pub fn host_address(&self) -> String {
        match &self.inner.engine.endpoint().target {
            Target::Tcp(a) | Target::Tls { addr: a, .. } => a
                .rsplit_once(':')
                .map_or(a.as_str(), |(h, _)| h)
                .trim_matches(['[', ']'])
                .to_string(),
            _ => "127.0.0.1".to_string(),
        }
    }

    /// Waits until every replica runs (and is healthy where the image defines a check) and stays
    /// up; fails with the exit code and last log lines of a crashing container.
    async fn wait_ready(
        &self,
        svc: &Service,
        plan: &Plan,
    ) -> Result<Vec<ContainerInfo>, DeployError> {
        let engine = &self.inner.engine;
        let deadline = Instant::now() + READY_TIMEOUT;
        let ids: Vec<String> = self
            .containers(svc)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let mut stable_since: Option<Instant> = None;
        loop {
            let mut infos = Vec::new();
            for id in &ids {
                infos.push(engine.inspect(id).await?);
            }
            for c in &infos {
                let crashed = matches!(c.state, ContainerState::Exited | ContainerState::Dead)
                    || c.restart_count > 0
                    || c.state == ContainerState::Restarting;
                if crashed {
                    return Err(self.crash_report(c).await);
                }
                if c.health == Some(EngineHealth::Unhealthy) {
                    return Err(DeployError::Other(format!(
                        "container {} is unhealthy",
                        c.name
                    )));
                }
            }
            let all_up = infos
                .iter()
                .all(|c| c.running() && matches!(c.health, None | Some(EngineHealth::Healthy)));
            if all_up {
                let since = *stable_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= SETTLE {
                    // give a service with a port the chance to listen before dependents start
                    if let Some(port) = plan.port
                        && infos.iter().all(|c| c.health.is_none())
                    {
                        self.wait_listening(&infos, port).await;
                    }
                    return Ok(infos);
                }
            } else {
                stable_since = None;
            }
            if Instant::now() > deadline {
                return Err(DeployError::Other(format!(
                    "not ready after {}s",
                    READY_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Why a container crashed: its exit code (read while the engine holds it stopped between
    /// restarts) and its last log line. The crash loop is stopped; logs stay readable.
    async fn crash_report(&self, c: &ContainerInfo) -> DeployError {
        let engine = &self.inner.engine;
        let stopped = |c: &ContainerInfo| {
            matches!(
                c.state,
                ContainerState::Exited | ContainerState::Dead | ContainerState::Restarting
            )
        };
        let mut code = stopped(c).then_some(c.exit_code).flatten();
        let mut error = c.error.clone();
        let mut restarts = c.restart_count;
        for _ in 0..20 {
            if code.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Ok(i) = engine.inspect(&c.id).await {
                restarts = i.restart_count;
                if stopped(&i) {
                    code = i.exit_code;
                    error = i.error.clone();
                }
            }
        }
        let _ = engine.stop(&c.id, 0).await;
        let logs = engine.tail_text(&c.id, 5).await;
        let last = logs
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let mut msg = match code {
            Some(n) => format!("container {} exited with code {n}", c.name),
            None => format!(
                "container {} keeps restarting ({restarts} restarts)",
                c.name
            ),
        };
        if let Some(err) = error {
            msg.push_str(&format!(": {err}"));
        }
        if !last.is_empty() {
            msg.push_str(&format!(": {last}"));
        }
        DeployError::Other(msg)
    }

    async fn wait_listening(&self, infos: &[ContainerInfo], port: u16) {
        let host = self.host_address();
        let deadline = Instant::now() + LISTEN_WAIT;
        for c in infos {
            let Some(&(_, hp)) = c.ports.iter().find(|(cp, _)| *cp == port) else {
                continue;
            };
            while Instant::now() < deadline {
                if health::http_status(&host, hp, "/", Duration::from_secs(1))
                    .await
                    .is_some()
                    || health::tcp_listening(&host, hp, Duration::from_secs(1)).await
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }

    // ----- compose -----

    async fn compose_up(
        &self,
        svc: &Service,
        plan: &Plan,
        cp: &plan::ComposePlan,
        tx: &mpsc::UnboundedSender<Progress>,
        t0: Instant,
    ) -> Result<(), DeployError> {
        let name = &svc.name;
        self.event(
            NewEvent::new(name, EventKind::DeploymentStarted)
                .data(serde_json::json!({ "compose_project": cp.project })),
        )
        .await?;
        let _ = tx.send(Progress::StepStarted {
            service: name.clone(),
            step: Step::Compose,
            detail: format!("up -d ({})", cp.project),
        });
        let r = compose::run(
            cp,
            &plan.context_dir,
            self.inner.engine.endpoint(),
            &["up", "-d", "--remove-orphans"],
        )
        .await;
        let r = match r {
            Ok(out) => {
                for line in out.lines().filter(|l| !l.trim().is_empty()) {
                    let _ = tx.send(Progress::Output {
                        service: name.clone(),
                        line: line.to_string(),
                    });
                }
                let t_wait = Instant::now();
                let _ = tx.send(Progress::StepStarted {
                    service: name.clone(),
                    step: Step::Wait,
                    detail: "members running, healthy where checked".into(),
                });
                let ready = self.compose_wait(svc).await;
                if ready.is_ok() {
                    let _ = tx.send(Progress::StepFinished {
                        service: name.clone(),
                        step: Step::Wait,
                        ms: elapsed_ms(t_wait),
                    });
                }
                ready
            }
            Err(e) => Err(e.into()),
        };
        let mut rec = self.record(svc).await?;
        rec.deleted_at_ms = None;
        match r {
            Ok(cs) => {
                let duration = elapsed_ms(t0);
                rec.status = "running".into();
                rec.health = stack_health(&cs).0.as_str().into();
                rec.containers = cs.iter().map(|c| c.id.clone()).collect();
                rec.ports = cs.iter().flat_map(|c| c.ports.clone()).collect();
                rec.deployed_at_ms = Some(store::now_ms());
                rec.startup_ms = Some(duration);
                rec.desired_replicas = cs.len() as u32;
                self.save(rec).await?;
                self.event(
                    NewEvent::new(name, EventKind::DeploymentCompleted)
                        .duration_ms(duration)
                        .data(serde_json::json!({
                            "compose_project": cp.project,
                            "containers": cs.len(),
                            "startup_ms": duration,
                        })),
                )
                .await?;
                let _ = tx.send(Progress::Done {
                    service: name.clone(),
                    ms: duration,
                });
                Ok(())
            }
            Err(e) => {
                let msg = e.to_string();
                self.fail(svc, None, &msg, t0).await?;
                Err(DeployError::Service {
                    service: name.clone(),
                    message: msg,
                })
            }
        }
    }

    /// Waits until no member of a stack is still starting its health check; fails when one is
    /// unhealthy. Returns the inspected members.
    async fn compose_wait(&self, svc: &Service) -> Result<Vec<ContainerInfo>, DeployError> {
        let engine = &self.inner.engine;
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let mut infos = Vec::new();
            for c in self.containers(svc).await? {
                infos.push(engine.inspect(&c.id).await?);
            }
            if let Some(c) = infos
                .iter()
                .find(|c| c.health == Some(EngineHealth::Unhealthy))
            {
                return Err(DeployError::Other(format!(
                    "container {} is unhealthy",
                    c.name
                )));
            }
            if !infos
                .iter()
                .any(|c| c.health == Some(EngineHealth::Starting))
            {
                return Ok(infos);
            }
            if Instant::now() > deadline {
                return Err(DeployError::Other(format!(
                    "not ready after {}s",
                    READY_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `compose down` of a stack: orphans too, and the short stop timeout of kyozo's own
    /// containers (compose waits 10 s per container by default).
    async fn compose_down(&self, svc: &Service) -> Result<(), DeployError> {
        let timeout = STOP_TIMEOUT_S.to_string();
        self.compose_action(svc, &["down", "--remove-orphans", "-t", &timeout])
            .await
    }

    async fn compose_action(&self, svc: &Service, args: &[&str]) -> Result<(), DeployError> {
        let plan = self.plan(svc)?;
        let Some(cp) = plan.compose.clone() else {
            return Err(DeployError::Other(format!(
                "{} is not a compose stack",
                svc.name
            )));
        };
        compose::run(&cp, &plan.context_dir, self.inner.engine.endpoint(), args).await?;
        Ok(())
    }

    // ----- down, start, stop, restart, scale -----

    /// Stops and removes the containers of services (all of the workspace when `names` is
    /// empty), and the workspace network when nothing is left on it. History is kept.
    pub async fn down(
        &self,
        topo: &Topology,
        names: &[String],
        mut progress: impl FnMut(Progress) + Send,
    ) -> Result<Vec<String>, DeployError> {
        // dependents first: the waves in reverse, each wave's services at once; named services
        // one after the other, in the order given
        let groups: Vec<Vec<&Service>> = if names.is_empty() {
            self.waves(topo, &[])?.into_iter().rev().collect()
        } else {
            names
                .iter()
                .map(|n| self.find(topo, n).map(|s| vec![s]))
                .collect::<Result<_, _>>()?
        };
        let mut removed = Vec::new();
        for group in groups {
            let (tx, rx) = mpsc::unbounded_channel::<Progress>();
            let work = async {
                let results: Vec<Result<bool, DeployError>> =
                    futures_util::stream::iter(group.iter().map(|svc| {
                        let tx = tx.clone();
                        async move { self.down_one(svc, &tx).await }
                    }))
                    .buffered(self.inner.parallelism)
                    .collect()
                    .await;
                drop(tx);
                results
            };
            let results = forward(work, rx, &mut progress).await;
            for (svc, r) in group.iter().zip(results) {
                if r? {
                    removed.push(svc.name.clone());
                }
            }
        }
        if names.is_empty() {
            // containers of services that are no longer in the topology
            let left = self
                .inner
                .engine
                .list(&Filter::service(&self.ws_path(), None))
                .await?;
            let mut by_service: BTreeMap<String, Vec<ContainerInfo>> = BTreeMap::new();
            for c in left {
                let s = c.label(runtime::LABEL_SERVICE).unwrap_or("").to_string();
                by_service.entry(s).or_default().push(c);
            }
            for (s, cs) in by_service {
                let t = Instant::now();
                self.remove_all(&cs).await?;
                self.event(
                    NewEvent::new(&s, EventKind::ServiceRemoved)
                        .duration_ms(elapsed_ms(t))
                        .data(serde_json::json!({ "containers": cs.len() })),
                )
                .await?;
                removed.push(s);
            }
        }
        self.inner
            .engine
            .remove_network_if_empty(&self.network())
            .await?;
        Ok(removed)
    }

    /// Removes the containers of one service; `Ok(false)` when it had none.
    async fn down_one(
        &self,
        svc: &Service,
        tx: &mpsc::UnboundedSender<Progress>,
    ) -> Result<bool, DeployError> {
        let t = Instant::now();
        let cs = self.containers(svc).await?;
        if cs.is_empty() {
            if svc.kind == ServiceType::ComposeStack {
                // a failed `up` leaves the project network (and perhaps orphans) behind
                self.compose_sweep(svc).await;
            }
            self.clear_error(svc).await?;
            return Ok(false);
        }
        let _ = tx.send(Progress::StepStarted {
            service: svc.name.clone(),
            step: Step::Remove,
            detail: format!("{} container(s)", cs.len()),
        });
        if svc.kind == ServiceType::ComposeStack {
            self.compose_down(svc).await?;
        } else {
            self.remove_all(&cs).await?;
        }
        self.after_removal(svc, cs.len(), t).await?;
        let _ = tx.send(Progress::StepFinished {
            service: svc.name.clone(),
            step: Step::Remove,
            ms: elapsed_ms(t),
        });
        Ok(true)
    }

    /// `down --remove-orphans` of a stack without containers, quietly: nothing may be there, or
    /// compose may not read the file that made `up` fail; the project's default network is then
    /// removed directly.
    async fn compose_sweep(&self, svc: &Service) {
        if self.compose_down(svc).await.is_err() {
            let project = names::compose_project(&self.inner.ws, &svc.name);
            let _ = self
                .inner
                .engine
                .remove_network_if_empty(&format!("{project}_default"))
                .await;
        }
    }

    /// A service whose last deploy failed and that has nothing left is deployable again.
    async fn clear_error(&self, svc: &Service) -> Result<(), DeployError> {
        if let Some(mut rec) = self.service_record(&svc.name).await?
            && rec.status == "error"
        {
            rec.status = "deployable".into();
            rec.health = Health::Unknown.as_str().into();
            self.save(rec).await?;
        }
        Ok(())
    }

    async fn remove_all(&self, cs: &[ContainerInfo]) -> Result<(), DeployError> {
        let engine = &self.inner.engine;
        let results = futures_util::future::join_all(cs.iter().map(|c| async move {
            // a short graceful stop, then removal
            let _ = engine.stop(&c.id, STOP_TIMEOUT_S).await;
            engine.remove(&c.id).await
        }))
        .await;
        for r in results {
            r?;
        }
        Ok(())
    }

    async fn after_removal(
        &self,
        svc: &Service,
        count: usize,
        t: Instant,
    ) -> Result<(), DeployError> {
        let mut rec = self.record(svc).await?;
        rec.status = "deployable".into();
        rec.health = Health::Unknown.as_str().into();
        rec.containers.clear();
        rec.ports.clear();
        self.save(rec).await?;
        self.event(
            NewEvent::new(&svc.name, EventKind::ServiceRemoved)
                .duration_ms(elapsed_ms(t))
                .data(serde_json::json!({ "containers": count })),
        )
        .await
    }

    async fn deployed(&self, svc: &Service) -> Result<Vec<ContainerInfo>, DeployError> {
        let cs = self.containers(svc).await?;
        if cs.is_empty() {
            return Err(DeployError::NotDeployed(svc.name.clone()));
        }
        Ok(cs)
    }

    /// Starts the stopped containers of services.
    pub async fn start(&self, topo: &Topology, names: &[String]) -> Result<(), DeployError> {
        for n in names {
            let svc = self.find(topo, n)?;
            let t = Instant::now();
            let cs = self.deployed(svc).await?;
            if svc.kind == ServiceType::ComposeStack {
                self.compose_action(svc, &["start"]).await?;
            } else {
                for c in cs.iter().filter(|c| !c.running()) {
                    self.inner.engine.start(&c.id).await?;
                }
            }
            self.set_status(svc, "running").await?;
            self.event(
                NewEvent::new(&svc.name, EventKind::ServiceStarted)
                    .duration_ms(elapsed_ms(t))
                    .data(serde_json::json!({ "containers": cs.len() })),
            )
            .await?;
        }
        Ok(())
    }

    /// Stops the containers of services (they are kept).
    pub async fn stop(&self, topo: &Topology, names: &[String]) -> Result<(), DeployError> {
        for n in names {
            let svc = self.find(topo, n)?;
            let t = Instant::now();
            let cs = self.deployed(svc).await?;
            if svc.kind == ServiceType::ComposeStack {
                self.compose_action(svc, &["stop", "-t", &STOP_TIMEOUT_S.to_string()])
                    .await?;
            } else {
                let engine = &self.inner.engine;
                let rs = futures_util::future::join_all(
                    cs.iter()
                        .filter(|c| c.running() || c.state == ContainerState::Restarting)
                        .map(|c| engine.stop(&c.id, STOP_TIMEOUT_S)),
                )
                .await;
                for r in rs {
                    r?;
                }
            }
            self.set_status(svc, "stopped").await?;
            self.event(
                NewEvent::new(&svc.name, EventKind::ServiceStopped)
                    .duration_ms(elapsed_ms(t))
                    .data(serde_json::json!({ "containers": cs.len() })),
            )
            .await?;
        }
        Ok(())
    }

    /// Restarts the containers of services.
    pub async fn restart(&self, topo: &Topology, names: &[String]) -> Result<(), DeployError> {
        for n in names {
            let svc = self.find(topo, n)?;
            let t = Instant::now();
            let cs = self.deployed(svc).await?;
            if svc.kind == ServiceType::ComposeStack {
                self.compose_action(svc, &["restart", "-t", &STOP_TIMEOUT_S.to_string()])
                    .await?;
            } else {
                for c in &cs {
                    self.inner.engine.restart(&c.id, STOP_TIMEOUT_S).await?;
                }
            }
            self.set_status(svc, "running").await?;
            self.event(
                NewEvent::new(&svc.name, EventKind::ServiceStopped)
                    .data(serde_json::json!({ "restart": true })),
            )
            .await?;
            self.event(
                NewEvent::new(&svc.name, EventKind::ServiceStarted)
                    .duration_ms(elapsed_ms(t))
                    .data(serde_json::json!({ "restart": true, "containers": cs.len() })),
            )
            .await?;
        }
        Ok(())
    }

    async fn set_status(&self, svc: &Service, status: &str) -> Result<(), DeployError> {
        let mut rec = self.record(svc).await?;
        rec.status = status.to_string();
        if status != "running" {
            rec.health = Health::Unknown.as_str().into();
        }
        self.save(rec).await
    }

    /// Sets the replica count: new replicas take the lowest free numbers; scaling down removes
    /// the highest numbers.
    pub async fn scale(
        &self,
        topo: &Topology,
        name: &str,
        replicas: u32,
    ) -> Result<(u32, u32), DeployError> {
        let replicas = names::validate_replicas(replicas)?;
        let svc = self.find(topo, name)?;
        if svc.kind == ServiceType::ComposeStack {
            return Err(DeployError::Other(format!(
                "{name} is a compose stack: set replicas of its members in its compose file"
            )));
        }
        let t = Instant::now();
        let cs = self.deployed(svc).await?;
        let from = cs.len() as u32;
        let plan = self.plan(svc)?;
        let engine = &self.inner.engine;
        if replicas < from {
            let mut by_number = cs.clone();
            by_number.sort_by_key(|c| std::cmp::Reverse(c.replica()));
            let doomed: Vec<ContainerInfo> = by_number
                .into_iter()
                .take((from - replicas) as usize)
                .collect();
            self.remove_all(&doomed).await?;
        } else if replicas > from {
            let first = &cs[0];
            let image = first.image.clone();
            let hash = first.label(runtime::LABEL_HASH).unwrap_or("").to_string();
            let taken: Vec<u32> = cs.iter().map(ContainerInfo::replica).collect();
            let (tx, _rx) = mpsc::unbounded_channel();
            let mut n = 1;
            let mut added = 0;
            while added < replicas - from {
                if !taken.contains(&n) {
                    self.create_replica(svc, &plan, &image, &hash, n, None, &tx)
                        .await?;
                    added += 1;
                }
                n += 1;
            }
        }
        let now = engine
            .list(&Filter::service(&self.ws_path(), Some(&svc.name)))
            .await?;
        let mut rec = self.record(svc).await?;
        rec.desired_replicas = replicas;
        rec.containers = now.iter().map(|c| c.id.clone()).collect();
        rec.ports = now.iter().flat_map(|c| c.ports.clone()).collect();
        if replicas == 0 {
            rec.status = "stopped".into();
        }
        self.save(rec).await?;
        self.event(
            NewEvent::new(&svc.name, EventKind::ServiceScaled)
                .duration_ms(elapsed_ms(t))
                .data(serde_json::json!({ "from": from, "to": replicas })),
        )
        .await?;
        Ok((from, replicas))
    }

    // ----- observe -----

    /// The status of every deployable service of the topology (what `ps` prints). `stats`: take
    /// one CPU/memory sample of each running container (about a second).
    pub async fn status(
        &self,
        topo: &Topology,
        stats: bool,
    ) -> Result<Vec<ServiceStatus>, DeployError> {
        let all = self
            .inner
            .engine
            .list(&Filter::service(&self.ws_path(), None))
            .await?;
        let id = self.inner.workspace.id;
        let records: HashMap<String, ServiceRecord> = self
            .blocking(move |s| s.services(id, false))
            .await?
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect();
        let futs = topo
            .services
            .iter()
            .filter(|s| s.deployable && s.kind.deployable())
            .map(|svc| {
                let rec = records.get(&svc.name).cloned();
                let mine: Vec<ContainerInfo> = all
                    .iter()
                    .filter(|c| c.label(runtime::LABEL_SERVICE) == Some(svc.name.as_str()))
                    .cloned()
                    .collect();
                async move { self.status_of(svc, rec, mine, stats).await }
            });
        let out = futures_util::future::join_all(futs).await;
        out.into_iter().collect()
    }

    async fn status_of(
        &self,
        svc: &Service,
        rec: Option<ServiceRecord>,
        mut cs: Vec<ContainerInfo>,
        stats: bool,
    ) -> Result<ServiceStatus, DeployError> {
        if svc.kind == ServiceType::ComposeStack {
            cs = self.containers(svc).await?;
        }
        let engine = &self.inner.engine;
        let running: Vec<&ContainerInfo> = cs.iter().filter(|c| c.running()).collect();
        let desired = if svc.kind == ServiceType::ComposeStack && !cs.is_empty() {
            // a stack's members are its replicas; the compose file sets their number
            cs.len() as u32
        } else {
            rec.as_ref()
                .map(|r| r.desired_replicas)
                .unwrap_or(if cs.is_empty() { 0 } else { cs.len() as u32 })
        };
        let failed = rec.as_ref().is_some_and(|r| r.status == "error");
        let status = if !running.is_empty() {
            "running".to_string()
        } else if !cs.is_empty() && !failed {
            "stopped".to_string()
        } else {
            match rec.as_ref().map(|r| r.status.as_str()) {
                Some("error") => "error".into(),
                _ => "deployable".into(),
            }
        };
        let health = if running.is_empty() {
            Health::Unknown.as_str().to_string()
        } else {
            rec.as_ref()
                .map(|r| r.health.clone())
                .unwrap_or_else(|| Health::Unknown.as_str().into())
        };
        let mut ports: Vec<PortPair> = cs
            .iter()
            .flat_map(|c| c.ports.iter())
            .map(|&(container, host)| PortPair { container, host })
            .collect();
        ports.dedup();
        let mut uptime_s = None;
        let mut cpu = None;
        let mut mem = None;
        if !running.is_empty() {
            let mut earliest = None;
            let mut cpu_sum = 0.0;
            let mut mem_sum = 0.0;
            for c in &running {
                if let Ok(i) = engine.inspect(&c.id).await
                    && let Some(ms) = i.started_at_ms
                {
                    earliest = Some(earliest.map_or(ms, |e: i64| e.min(ms)));
                }
                if stats && let Some(Ok(s)) = Box::pin(engine.stats(&c.id, false)).next().await {
                    cpu_sum += s.cpu_percent_core;
                    mem_sum += s.memory_mb();
                }
            }
            uptime_s = earliest.map(|ms| ((store::now_ms() - ms).max(0) / 1000) as u64);
            if stats {
                cpu = Some((cpu_sum * 10.0).round() / 10.0);
                mem = Some((mem_sum * 10.0).round() / 10.0);
            }
        }
        let deployed_hash = cs
            .first()
            .and_then(|c| c.label(runtime::LABEL_HASH).map(str::to_string))
            .or_else(|| rec.as_ref().and_then(|r| r.content_hash.clone()));
        let drifted = match (&deployed_hash, svc.kind) {
            (Some(h), k) if k != ServiceType::ComposeStack && !cs.is_empty() => {
                match self.content_hash(svc).await {
                    Some(now) => &now != h,
                    None => false,
                }
            }
            _ => false,
        };
        Ok(ServiceStatus {
            name: svc.name.clone(),
            path: svc.path.clone(),
            kind: svc.kind.as_str().to_string(),
            status,
            health,
            replicas: Replicas {
                running: running.len() as u32,
                desired,
            },
            cpu_percent: cpu,
            memory_mb: mem,
            ports,
            uptime_s,
            drifted,
            containers: cs.iter().map(|c| c.id.clone()).collect(),
        })
    }

    /// The content hash (image tag) the service folder would build now.
    pub async fn content_hash(&self, svc: &Service) -> Option<String> {
        let plan = self.plan(svc).ok()?;
        let dir = plan.context_dir.clone();
        let generated = plan
            .generated()
            .map(|(n, t)| (n.to_string(), t.to_string()));
        tokio::task::spawn_blocking(move || {
            let extra: Vec<(&str, &str)> = generated
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect();
            context::build(&dir, &extra)
                .ok()
                .map(|c| c.tag().to_string())
        })
        .await
        .ok()
        .flatten()
    }

    /// Log lines of every replica of a service, merged as they come.
    pub async fn logs(
        &self,
        topo: &Topology,
        name: &str,
        opts: LogOptions,
    ) -> Result<impl Stream<Item = Result<ServiceLogLine, DeployError>> + Send + use<>, DeployError>
    {
        let svc = self.find(topo, name)?;
        let cs = self.deployed(svc).await?;
        let streams = cs.into_iter().map(|c| {
            let replica = if c.replica() > 0 {
                c.replica()
            } else {
                c.label("com.docker.compose.container-number")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1)
            };
            let service = c
                .label("com.docker.compose.service")
                .map(str::to_string)
                .unwrap_or_else(|| svc.name.clone());
            self.inner.engine.logs(&c.id, &opts).map(move |l| {
                l.map(|l| ServiceLogLine {
                    service: service.clone(),
                    replica,
                    stream: l.stream,
                    text: l.text,
                })
                .map_err(DeployError::from)
            })
        });
        Ok(futures_util::stream::select_all(streams.map(Box::pin)))
    }

    /// Stats samples of every running replica of a service, merged (one per replica per
    /// second or so).
    pub async fn stats(
        &self,
        topo: &Topology,
        name: &str,
    ) -> Result<impl Stream<Item = Result<ReplicaStats, DeployError>> + Send + use<>, DeployError>
    {
        let svc = self.find(topo, name)?;
        let cs = self.deployed(svc).await?;
        let streams = cs.into_iter().filter(ContainerInfo::running).map(|c| {
            let replica = c.replica();
            self.inner.engine.stats(&c.id, true).map(move |s| {
                s.map(|sample| ReplicaStats { replica, sample })
                    .map_err(DeployError::from)
            })
        });
        Ok(futures_util::stream::select_all(streams.map(Box::pin)))
    }

    /// Engine events of this workspace's containers.
    pub fn events(&self) -> impl Stream<Item = Result<EngineEvent, RuntimeError>> + Send + use<> {
        let ws = self.ws_path();
        self.inner.engine.events().filter(move |e| {
            let keep = match e {
                Ok(ev) => ev.workspace_path.as_deref() == Some(ws.as_str()),
                Err(_) => true,
            };
            async move { keep }
        })
    }

    /// Checks the health of every deployed service of the topology and records transitions
    /// (`health_check_failed`, `health_recovered`, triggered by `kyozo`).
    pub async fn check_health(&self, topo: &Topology) -> Result<Vec<HealthReport>, DeployError> {
        let mut out = Vec::new();
        for svc in topo
            .services
            .iter()
            .filter(|s| s.deployable && s.kind.deployable())
        {
            if let Some(r) = self.check_service_health(svc).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Checks one service; `None` when it is not deployed or was stopped on purpose.
    pub async fn check_service_health(
        &self,
        svc: &Service,
    ) -> Result<Option<HealthReport>, DeployError> {
        let cs = self.containers(svc).await?;
        if cs.is_empty() {
            return Ok(None);
        }
        let mut rec = self.record(svc).await?;
        if rec.status == "stopped" && !cs.iter().any(ContainerInfo::running) {
            // stopped on purpose: nothing to judge
            return Ok(None);
        }
        let probe = self.probe(svc, &cs).await?;
        let previous = Health::parse(&rec.health);
        rec.health = probe.0.as_str().into();
        rec.last_health_check_ms = Some(store::now_ms());
        self.save(rec).await?;
        let kind = match (previous, probe.0) {
            (Health::Healthy | Health::Unknown, Health::Unhealthy) => {
                Some(EventKind::HealthCheckFailed)
            }
            (Health::Unhealthy, Health::Healthy) => Some(EventKind::HealthRecovered),
            _ => None,
        };
        if let Some(kind) = kind {
            let mut ev = NewEvent::new(&svc.name, kind)
                .triggered_by(AUTOMATIC)
                .data(serde_json::json!({ "reason": probe.1, "previous": previous.as_str() }));
            if kind == EventKind::HealthCheckFailed {
                ev = ev.error(probe.1.clone());
            }
            self.event(ev).await?;
        }
        Ok(Some(HealthReport {
            service: svc.name.clone(),
            health: probe.0,
            previous,
            reason: probe.1,
        }))
    }

    async fn probe(
        &self,
        svc: &Service,
        cs: &[ContainerInfo],
    ) -> Result<(Health, String), DeployError> {
        let engine = &self.inner.engine;
        let mut infos = Vec::new();
        for c in cs {
            infos.push(engine.inspect(&c.id).await?);
        }
        let running: Vec<&ContainerInfo> = infos.iter().filter(|c| c.running()).collect();
        if running.is_empty() {
            return Ok((Health::Unhealthy, "no replica is running".into()));
        }
        if svc.kind == ServiceType::ComposeStack {
            return Ok(stack_health(&infos));
        }
        // the engine's own check, where the image or compose file defines one
        if running.iter().any(|c| c.health.is_some()) {
            if let Some(c) = running
                .iter()
                .find(|c| c.health == Some(EngineHealth::Unhealthy))
            {
                return Ok((
                    Health::Unhealthy,
                    format!("{}: engine check unhealthy", c.name),
                ));
            }
            if running
                .iter()
                .all(|c| c.health == Some(EngineHealth::Healthy))
            {
                return Ok((Health::Healthy, "engine check healthy".into()));
            }
            return Ok((Health::Unknown, "engine check starting".into()));
        }
        let port = svc.port.or_else(|| svc.ports.first().copied());
        let Some(port) = port else {
            return Ok((Health::Healthy, "running (no port to probe)".into()));
        };
        let host = self.host_address();
        let timeout = Duration::from_secs(u64::from(svc.health_check.timeout_s.clamp(1, 60)));
        let path = if svc.health_check.path.starts_with('/') {
            svc.health_check.path.clone()
        } else {
            format!("/{}", svc.health_check.path)
        };
        for c in &running {
            let Some(&(_, hp)) = c.ports.iter().find(|(cp, _)| *cp == port) else {
                continue;
            };
            let p = health::probe_http(&host, hp, &path, timeout).await;
            if p.health != Health::Healthy {
                return Ok((p.health, format!("{}: {}", c.name, p.reason)));
            }
        }
        Ok((Health::Healthy, format!("GET {path} answered")))
    }
}

/// Runs `work` while handing every progress message it sends to `progress`, as it comes; returns
/// once the work is done and every message is handed on.
async fn forward<T>(
    work: impl std::future::Future<Output = T>,
    mut rx: mpsc::UnboundedReceiver<Progress>,
    progress: &mut (impl FnMut(Progress) + Send),
) -> T {
    tokio::pin!(work);
    let mut results = None;
    let mut open = true;
    loop {
        tokio::select! {
            r = &mut work, if results.is_none() => results = Some(r),
            p = rx.recv(), if open => match p {
                Some(p) => progress(p),
                None => open = false,
            },
        }
        if !open && let Some(r) = results.take() {
            return r;
        }
    }
}

/// The health of a compose stack from its members: each member by its own check where the
/// compose file (or its image) defines one, by its running state otherwise.
fn stack_health(members: &[ContainerInfo]) -> (Health, String) {
    if let Some(c) = members.iter().find(|c| !c.running()) {
        return (Health::Unhealthy, format!("{}: not running", c.name));
    }
    if let Some(c) = members
        .iter()
        .find(|c| c.health == Some(EngineHealth::Unhealthy))
    {
        return (
            Health::Unhealthy,
            format!("{}: engine check unhealthy", c.name),
        );
    }
    if let Some(c) = members
        .iter()
        .find(|c| c.health == Some(EngineHealth::Starting))
    {
        return (
            Health::Unknown,
            format!("{}: engine check starting", c.name),
        );
    }
    (
        Health::Healthy,
        "all members running, healthy where checked".into(),
    )
}

/// Whether nothing listens on a host port (so replica 1 can publish the service port as is).
fn host_port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("0.0.0.0", port)).is_ok()
}

fn plan_config(plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "env": plan.env.iter().cloned().collect::<BTreeMap<String, String>>(),
        "memory": plan.memory,
        "cpu": plan.cpu,
        "health_check": plan.health,
        "dockerfile": plan.dockerfile_source,
    })
}

/// The services `names` picks (all deployable ones when empty), in waves of the deployment
/// order.
pub fn waves<'t>(
    topo: &'t Topology,
    names: &[String],
) -> Result<Vec<Vec<&'t Service>>, DeployError> {
    for n in names {
        names::validate_service_name(n)?;
        let svc = topo
            .service(n)
            .ok_or_else(|| DeployError::UnknownService(n.clone()))?;
        if !svc.deployable || !svc.kind.deployable() {
            return Err(PlanError::NotDeployable {
                service: n.clone(),
                kind: svc.kind,
            }
            .into());
        }
    }
    let wanted = |s: &Service| {
        s.deployable && s.kind.deployable() && (names.is_empty() || names.contains(&s.name))
    };
    let mut seen = Vec::new();
    let mut waves = Vec::new();
    for wave in &topo.deployment_order {
        let w: Vec<&Service> = wave
            .iter()
            .filter_map(|n| topo.service(n))
            .filter(|s| wanted(s) && !seen.contains(&s.name))
            .collect();
        seen.extend(w.iter().map(|s| s.name.clone()));
        if !w.is_empty() {
            waves.push(w);
        }
    }
    let rest: Vec<&Service> = topo
        .services
        .iter()
        .filter(|s| wanted(s) && !seen.contains(&s.name))
        .collect();
    if !rest.is_empty() {
        waves.push(rest);
    }
    Ok(waves)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(name: &str, kind: ServiceType) -> Service {
        Service::new(name, name, kind, 0.9)
    }

    fn topo() -> Topology {
        Topology {
            workspace: "/w".into(),
            services: vec![
                svc("db", ServiceType::Containerized),
                svc("api", ServiceType::Nodejs),
                svc("web", ServiceType::Static),
                svc("tf", ServiceType::Infrastructure),
                svc("extra", ServiceType::Python),
            ],
            deployment_order: vec![vec!["db".into()], vec!["api".into()], vec!["web".into()]],
            diagnostics: vec![],
            deploy: Default::default(),
        }
    }

    fn names(w: &[Vec<&Service>]) -> Vec<Vec<String>> {
        w.iter()
            .map(|w| w.iter().map(|s| s.name.clone()).collect())
            .collect()
    }

    fn member(name: &str, state: ContainerState, health: Option<EngineHealth>) -> ContainerInfo {
        ContainerInfo {
            id: name.into(),
            name: name.into(),
            image: "kyozo-base/busybox:latest".into(),
            labels: Default::default(),
            state,
            health,
            ports: vec![],
            created: 0,
            started_at_ms: None,
            exit_code: None,
            error: None,
            restart_count: 0,
        }
    }

    #[test]
    fn a_stack_is_healthy_when_checked_members_are_and_the_rest_run() {
        use ContainerState::{Exited, Running};
        use EngineHealth::{Healthy, Starting, Unhealthy};
        let h = |ms: &[ContainerInfo]| stack_health(ms).0;
        // one member with a check, one without: the mix that stayed `unknown` before
        let mixed = [
            member("db-postgres-1", Running, Some(Healthy)),
            member("db-cache-1", Running, None),
        ];
        assert_eq!(h(&mixed), Health::Healthy);
        let starting = [
            member("db-postgres-1", Running, Some(Starting)),
            member("db-cache-1", Running, None),
        ];
        assert_eq!(h(&starting), Health::Unknown);
        let sick = [
            member("db-postgres-1", Running, Some(Unhealthy)),
            member("db-cache-1", Running, None),
        ];
        assert_eq!(h(&sick), Health::Unhealthy);
        assert!(stack_health(&sick).1.contains("db-postgres-1"));
        let down = [
            member("db-postgres-1", Running, Some(Healthy)),
            member("db-cache-1", Exited, None),
        ];
        assert_eq!(h(&down), Health::Unhealthy);
        assert!(stack_health(&down).1.contains("db-cache-1: not running"));
    }

    #[test]
    fn waves_follow_the_order_and_skip_what_is_not_wanted() {
        let t = topo();
        assert_eq!(
            names(&waves(&t, &[]).unwrap()),
            vec![vec!["db"], vec!["api"], vec!["web"], vec!["extra"]]
        );
        assert_eq!(
            names(&waves(&t, &["web".into(), "db".into()]).unwrap()),
            vec![vec!["db"], vec!["web"]]
        );
        assert!(matches!(
            waves(&t, &["nope".into()]),
            Err(DeployError::UnknownService(_))
        ));
        assert!(matches!(
            waves(&t, &["tf".into()]),
            Err(DeployError::Plan(PlanError::NotDeployable { .. }))
        ));
        assert!(matches!(
            waves(&t, &["a b".into()]),
            Err(DeployError::Invalid(_))
        ));
    }
}
