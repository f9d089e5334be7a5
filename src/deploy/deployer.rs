//! The deployer of one workspace: what it holds (engine, store, config, locks), the unit it
//! picks for each service, names, and the workspace network. The operations live beside it, one
//! file per job: `up`, `lifecycle`, `observe`, `health`, `recover`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::DeployError;
use super::lock::{Lease, Locks, Refusal};
use super::names;
use super::plan::{self, Plan, PlanError};
use super::unit::{ComposeUnit, ContainerUnit, Unit};
use crate::config::Config;
use crate::detect::{Service, ServiceType, Topology};
use crate::runtime::{self, ContainerInfo, Engine, Filter, Target};
use crate::store::{Store, Workspace, now_ms};

/// Services deployed at once inside a wave.
pub const DEFAULT_PARALLELISM: usize = 4;
/// Seconds a container gets to stop before it is killed.
pub const STOP_TIMEOUT_S: i32 = 3;
/// Triggered-by of automatic actions (health checks, repairs).
pub const AUTOMATIC: &str = "kyozo";

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
    locks: Locks,
}

impl std::fmt::Debug for Deployer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployer")
            .field("root", &self.inner.root)
            .field("workspace", &self.inner.ws)
            .finish()
    }
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
        let locks = Locks::new(store.path(), &workspace.id.to_string());
        Ok(Deployer {
            inner: Arc::new(Inner {
                engine,
                store,
                workspace,
                root,
                ws,
                config,
                parallelism: DEFAULT_PARALLELISM,
                locks,
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
                locks: i.locks.clone(),
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

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn parallelism(&self) -> usize {
        self.inner.parallelism
    }

    /// The operation locks of this workspace.
    pub fn locks(&self) -> &Locks {
        &self.inner.locks
    }

    /// The workspace network name.
    pub fn network(&self) -> String {
        names::network_name(&self.inner.ws, &self.ws_id())
    }

    /// The canonical workspace path, as the containers' path label carries it.
    pub(crate) fn ws_path(&self) -> String {
        self.inner.root.to_string_lossy().into_owned()
    }

    pub(crate) fn ws_id(&self) -> String {
        self.inner.workspace.id.to_string()
    }

    /// The build and run plan of one service.
    pub fn plan(&self, svc: &Service) -> Result<Plan, PlanError> {
        plan::plan(&self.inner.root, &self.inner.ws, svc, &self.inner.config)
    }

    /// The services `names` picks (all deployable ones when empty), in waves of the deployment
    /// order.
    pub fn waves<'t>(
        &self,
        topo: &'t Topology,
        names: &[String],
    ) -> Result<Vec<Vec<&'t Service>>, DeployError> {
        super::waves::waves(topo, names)
    }

    pub(crate) fn find<'t>(
        &self,
        topo: &'t Topology,
        name: &str,
    ) -> Result<&'t Service, DeployError> {
        names::validate_service_name(name)?;
        topo.service(name)
            .ok_or_else(|| DeployError::UnknownService(name.to_string()))
    }

    /// The unit that deploys a service: the one place that looks at what kind of unit it is.
    pub(crate) fn unit<'a>(&'a self, svc: &'a Service) -> Box<dyn Unit + 'a> {
        match svc.kind {
            ServiceType::ComposeStack => Box::new(ComposeUnit::new(self, svc)),
            _ => Box::new(ContainerUnit::new(self, svc)),
        }
    }

    /// Containers of one service (compose members for stacks), stopped ones included.
    pub async fn containers(&self, svc: &Service) -> Result<Vec<ContainerInfo>, DeployError> {
        self.unit(svc).containers().await
    }

    /// Takes the service for operation `op`, or refuses naming the operation that holds it.
    pub(crate) fn lease(&self, service: &str, op: &str) -> Result<Lease, DeployError> {
        match self.inner.locks.acquire(service, op) {
            Ok(l) => Ok(l),
            Err(Refusal::Held(holder)) => Err(DeployError::Busy {
                service: service.to_string(),
                holder: holder.map_or_else(
                    || "another kyozo operation is starting on it".to_string(),
                    |h| h.describe(now_ms()),
                ),
            }),
            Err(Refusal::Io(e)) => Err(DeployError::Other(format!(
                "cannot take the operation lock of {service} in {}: {e}",
                self.inner.locks.dir().display()
            ))),
        }
    }

    /// Labels of a container of `svc`.
    pub(crate) fn labels(&self, svc: &str, replica: u32, hash: &str) -> Vec<(String, String)> {
        vec![
            (runtime::LABEL_MANAGED.to_string(), "true".to_string()),
            (runtime::LABEL_WORKSPACE.to_string(), self.ws_id()),
            (runtime::LABEL_WORKSPACE_PATH.to_string(), self.ws_path()),
            (runtime::LABEL_SERVICE.to_string(), svc.to_string()),
            (runtime::LABEL_REPLICA.to_string(), replica.to_string()),
            (runtime::LABEL_HASH.to_string(), hash.to_string()),
        ]
    }

    /// Whether the engine runs on this machine (host ports are then probed here).
    pub(crate) fn is_local(&self) -> bool {
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

    /// The workspace lock, taken off the async workers.
    async fn workspace_lock(&self) -> Result<super::lock::WorkspaceGuard, DeployError> {
        let locks = self.inner.locks.clone();
        tokio::task::spawn_blocking(move || locks.workspace())
            .await
            .map_err(|e| DeployError::Other(format!("lock task failed: {e}")))?
            .map_err(|e| DeployError::Other(format!("cannot take the workspace lock: {e}")))
    }

    /// Finds or creates the workspace network, under the workspace lock (so two processes never
    /// make two). A network of that name that kyozo did not label for this workspace is refused.
    pub(crate) async fn ensure_network(&self) -> Result<String, DeployError> {
        let name = self.network();
        let _guard = self.workspace_lock().await?;
        let engine = &self.inner.engine;
        match engine.network(&name).await? {
            Some(n) => {
                if n.labels.get(runtime::LABEL_WORKSPACE).map(String::as_str)
                    != Some(self.ws_id().as_str())
                {
                    return Err(DeployError::ForeignNetwork(name));
                }
            }
            None => {
                engine
                    .create_network(
                        &name,
                        &[
                            (runtime::LABEL_MANAGED.to_string(), "true".to_string()),
                            (runtime::LABEL_WORKSPACE.to_string(), self.ws_id()),
                            (runtime::LABEL_WORKSPACE_PATH.to_string(), self.ws_path()),
                        ],
                    )
                    .await?;
            }
        }
        Ok(name)
    }

    /// Removes the workspace network once no container of the workspace is left (stopped ones
    /// count: they join it again when started). Under the workspace lock.
    pub(crate) async fn release_network(&self) -> Result<(), DeployError> {
        let name = self.network();
        let _guard = self.workspace_lock().await?;
        let engine = &self.inner.engine;
        let left = engine.list(&Filter::service(&self.ws_path(), None)).await?;
        let ours = engine.network(&name).await?.filter(|n| {
            n.labels.get(runtime::LABEL_WORKSPACE).map(String::as_str)
                == Some(self.ws_id().as_str())
        });
        if left.is_empty() && ours.is_some_and(|n| n.attached == 0) {
            engine.remove_network(&name).await?;
        }
        Ok(())
    }
}
