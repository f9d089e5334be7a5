//! The engine worker: keeps a connection to the Docker Engine (`engine/connection.rs`: reconnecting
//! with backoff, closing interrupted operations, status snapshots from the engine's event stream,
//! health checks), runs lifecycle commands through [`crate::deploy::Deployer`] and cancels them
//! (`engine/ops.rs`), follows logs (`engine/logs.rs`, one follower per service) and stats
//! (`engine/stats.rs`, one stream per running service), and computes plans. Everything it learns
//! goes back as [`Msg`]s.

mod connection;
mod logs;
mod ops;
mod stats;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::msg::{Command, EngineMsg, Msg, Op, Outcome, PortMap, ServiceRuntime};
use crate::config::Config;
use crate::deploy::{self, Cancels, Deployer, ServiceStatus};
use crate::detect::Topology;
use crate::store::Store;

/// Time between reconnection attempts when the engine is unreachable.
pub const RECONNECT: Duration = Duration::from_secs(5);
/// Engine events within this window fold into one status refresh.
const REFRESH_DEBOUNCE: Duration = Duration::from_millis(250);
/// A log follower sends at most one batch of lines per this interval.
const LOG_FLUSH: Duration = Duration::from_millis(50);
/// Lines a follower keeps between two batches; past this the oldest are dropped (and counted).
const LOG_BATCH_MAX: usize = 20_000;
/// Lines of history shown when a log follower starts.
const LOG_TAIL: usize = 500;

/// The latest topology, shared by the detect worker (writer) and the engine worker (reader).
pub type SharedTopology = Arc<Mutex<Option<Arc<Topology>>>>;

fn send(tx: &UnboundedSender<Msg>, m: EngineMsg) {
    let _ = tx.send(Msg::Engine(m));
}

/// Converts the deployer's status of a service.
pub fn runtime_of(s: &ServiceStatus, now: i64) -> ServiceRuntime {
    ServiceRuntime {
        status: s.status,
        health: s.health,
        running: s.replicas.running,
        desired: s.replicas.desired,
        cpu_percent: s.cpu_percent,
        memory_bytes: s.memory_mb.map(|m| (m * 1024.0 * 1024.0) as u64),
        ports: s
            .ports
            .iter()
            .map(|p| PortMap {
                container: p.container,
                host: (p.host != 0).then_some(p.host),
            })
            .collect(),
        started_at_ms: s.uptime_s.map(|u| now - (u as i64) * 1000),
        containers: s.containers.clone(),
        drifted: s.drifted,
        error: None,
    }
}

/// Shared between the worker's handle and its tasks.
struct Shared {
    tx: UnboundedSender<Msg>,
    topology: SharedTopology,
    deployer: Mutex<Option<Deployer>>,
    /// Asks the connection task for a status refresh.
    refresh: UnboundedSender<()>,
    stats_interval: Duration,
    /// A health check is due before the next refresh (after connecting and after operations).
    health_due: std::sync::atomic::AtomicBool,
    /// The cancel tokens of the operations in flight.
    cancels: Cancels,
    config: Config,
}

impl Shared {
    fn deployer(&self) -> Option<Deployer> {
        self.deployer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    fn health_soon(&self) {
        self.health_due
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
    fn topology(&self) -> Option<Arc<Topology>> {
        self.topology
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The handle the workers use.
pub struct EngineWorker {
    shared: Arc<Shared>,
    root: PathBuf,
    config: Config,
    followers: HashMap<String, JoinHandle<()>>,
}

impl EngineWorker {
    /// Starts the connection task. Without a store there is no deployer: the header says why.
    pub fn start(
        tx: UnboundedSender<Msg>,
        root: PathBuf,
        config: Config,
        store: Result<Arc<Store>, String>,
        topology: SharedTopology,
    ) -> EngineWorker {
        let (refresh_tx, refresh_rx) = unbounded_channel();
        let shared = Arc::new(Shared {
            tx,
            topology,
            deployer: Mutex::new(None),
            refresh: refresh_tx,
            stats_interval: Duration::from_secs(config.ui.stats_interval_s.max(1)),
            health_due: std::sync::atomic::AtomicBool::new(true),
            cancels: Cancels::default(),
            config: config.clone(),
        });
        tokio::spawn(connection::connection(
            Arc::clone(&shared),
            root.clone(),
            config.clone(),
            store,
            refresh_rx,
        ));
        EngineWorker {
            shared,
            root,
            config,
            followers: HashMap::new(),
        }
    }

    /// A handle that asks for a status refresh (after a new detection).
    pub fn refresher(&self) -> UnboundedSender<()> {
        self.shared.refresh.clone()
    }

    pub fn run(&mut self, cmd: Command) {
        match cmd {
            Command::Engine { op, services } => self.lifecycle(op, services),
            Command::Scale { service, replicas } => self.scale(service, replicas),
            Command::FollowLogs { service, since_s } => self.follow(service, since_s),
            Command::LoadPlan { service } => self.plan(service),
            Command::Cancel { services } => {
                let hit = self.shared.cancels.cancel(&services);
                tracing::info!("cancel requested for {}", hit.join(", "));
            }
            _ => {}
        }
    }

    fn plan(&self, service: String) {
        let tx = self.shared.tx.clone();
        let topo = self.shared.topology();
        let root = self.root.clone();
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || {
            let result = match topo.as_ref().and_then(|t| t.service(&service)) {
                None => Err(format!("no service `{service}`")),
                Some(svc) => {
                    let ws = deploy::names::workspace_slug(&root);
                    deploy::plan(&root, &ws, svc, &config)
                        .map(Box::new)
                        .map_err(|e| e.to_string())
                }
            };
            let _ = tx.send(Msg::Plan { service, result });
        });
    }

    /// Starts the follower of a service, replacing a running one (the state asks again only when
    /// the service's containers changed).
    fn follow(&mut self, service: String, since_s: Option<i64>) {
        if let Some(h) = self.followers.remove(&service) {
            h.abort();
        }
        let shared = Arc::clone(&self.shared);
        let name = service.clone();
        let handle = tokio::spawn(async move {
            logs::follow_logs(&shared, &name, since_s).await;
            send(&shared.tx, EngineMsg::LogsEnded { service: name });
        });
        self.followers.insert(service, handle);
    }

    fn scale(&self, service: String, replicas: u32) {
        let shared = Arc::clone(&self.shared);
        tokio::spawn(async move {
            let result = match (shared.deployer(), shared.topology()) {
                (Some(d), Some(t)) => d
                    .scale(&t, &service, replicas)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.message_for(&service)),
                (None, _) => Err("not connected to the engine".into()),
                (_, None) => Err("no detection yet".into()),
            };
            send(
                &shared.tx,
                EngineMsg::Scaled {
                    service,
                    replicas,
                    result,
                },
            );
            shared.health_soon();
            let _ = shared.refresh.send(());
        });
    }

    fn lifecycle(&self, op: Op, services: Vec<String>) {
        let shared = Arc::clone(&self.shared);
        // The deployer's `up` future is not provably `Send` for every lifetime (a rustc limitation
        // with closures in async code), so it runs on a blocking thread driving the runtime.
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                let (Some(d), Some(t)) = (shared.deployer(), shared.topology()) else {
                    for service in services {
                        send(
                            &shared.tx,
                            EngineMsg::Done {
                                service,
                                op,
                                outcome: Outcome::Failed {
                                    error: "not connected to the engine".into(),
                                    rolled_back: false,
                                },
                            },
                        );
                    }
                    return;
                };
                let _ = shared.refresh.send(());
                ops::run_op(&shared, &d, &t, op, services).await;
                shared.health_soon();
                let _ = shared.refresh.send(());
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::msg::{Health, ServiceState};
    use crate::deploy::{PortPair, Replicas};

    #[test]
    fn status_converts_to_runtime() {
        let mut s = ServiceStatus {
            name: "api".into(),
            path: "services/api".into(),
            kind: "nodejs".into(),
            status: ServiceState::Running,
            health: Health::Healthy,
            replicas: Replicas {
                running: 2,
                desired: 3,
            },
            cpu_percent: Some(1.5),
            memory_mb: Some(2.0),
            ports: vec![PortPair {
                container: 4000,
                host: 4000,
            }],
            uptime_s: Some(60),
            drifted: true,
            containers: vec!["c1".into()],
        };
        let r = runtime_of(&s, 100_000);
        assert_eq!(r.status, ServiceState::Running);
        assert_eq!(r.health, Health::Healthy);
        assert_eq!((r.running, r.desired), (2, 3));
        assert_eq!(r.memory_bytes, Some(2 * 1024 * 1024));
        assert_eq!(r.started_at_ms, Some(40_000));
        assert_eq!(r.ports[0].host, Some(4000));
        assert!(r.drifted);
        // every state and health arrives as it is
        for state in ServiceState::ALL {
            for health in Health::ALL {
                s.status = state;
                s.health = health;
                let r = runtime_of(&s, 0);
                assert_eq!((r.status, r.health), (state, health));
            }
        }
        // no figures, no uptime, an unpublished port
        s.cpu_percent = None;
        s.memory_mb = None;
        s.uptime_s = None;
        s.ports[0].host = 0;
        let r = runtime_of(&s, 0);
        assert_eq!(
            (r.cpu_percent, r.memory_bytes, r.started_at_ms),
            (None, None, None)
        );
        assert_eq!(r.ports[0].host, None);
    }
}
