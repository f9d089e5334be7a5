//! The connection task: connects (reconnecting with backoff), closes interrupted operations,
//! turns the engine's event stream into status snapshots, checks health every health interval,
//! and keeps one stats follower per running service.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::task::JoinHandle;

use super::stats::follow_stats;
use super::{RECONNECT, REFRESH_DEBOUNCE, Shared, runtime_of, send};
use crate::app::msg::{EngineMsg, ServiceState};
use crate::config::Config;
use crate::deploy::{self, Deployer};
use crate::runtime::Engine;
use crate::runtime::endpoint::{EndpointEnv, resolve};
use crate::store::{Store, now_ms};

/// Connects, reports, watches engine events and keeps the status current; reconnects on loss.
pub(super) async fn connection(
    shared: Arc<Shared>,
    root: PathBuf,
    config: Config,
    store: Result<Arc<Store>, String>,
    mut refresh_rx: tokio::sync::mpsc::UnboundedReceiver<()>,
) {
    let mut stats: StatsFollowers = HashMap::new();
    let mut last_reason = String::new();
    loop {
        let (endpoint, connected) = match resolve(&EndpointEnv::from_process()) {
            Err(e) => (String::new(), Err(e.to_string())),
            Ok(ep) => {
                let describe = ep.describe();
                let r = Engine::connect_to(ep).await.map_err(|e| match e {
                    crate::runtime::RuntimeError::Unreachable { message, .. } => message,
                    other => other.to_string(),
                });
                (describe, r)
            }
        };
        let engine = match (connected, &store) {
            (Ok(engine), Ok(store)) => {
                let store = Arc::clone(store);
                let root = root.clone();
                let config = config.clone();
                tokio::task::spawn_blocking(move || Deployer::new(engine, store, &root, config))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()))
            }
            (Ok(_), Err(e)) => Err(format!("history store unavailable: {e}")),
            (Err(e), _) => Err(e),
        };
        let deployer = match engine {
            Ok(d) => d,
            Err(reason) => {
                if reason != last_reason {
                    tracing::info!("engine unreachable: {reason}");
                }
                last_reason = reason.clone();
                send(&shared.tx, EngineMsg::Unreachable { endpoint, reason });
                tokio::time::sleep(RECONNECT).await;
                continue;
            }
        };
        last_reason.clear();
        shared.health_soon();
        *shared.deployer.lock().unwrap_or_else(|p| p.into_inner()) = Some(deployer.clone());
        send(
            &shared.tx,
            EngineMsg::Connected {
                endpoint: endpoint.clone(),
            },
        );
        let reason = watch(&shared, &deployer, &mut refresh_rx, &mut stats).await;
        *shared.deployer.lock().unwrap_or_else(|p| p.into_inner()) = None;
        for (_, f) in stats.drain() {
            f.task.abort();
        }
        send(&shared.tx, EngineMsg::Unreachable { endpoint, reason });
        tokio::time::sleep(RECONNECT).await;
    }
}

/// While connected: refresh status on engine events (debounced), on request, and every health
/// interval while something runs. Returns why the connection was lost.
async fn watch(
    shared: &Arc<Shared>,
    d: &Deployer,
    refresh_rx: &mut tokio::sync::mpsc::UnboundedReceiver<()>,
    stats: &mut StatsFollowers,
) -> String {
    let mut events = Box::pin(d.events());
    let mut running_any = false;
    // what a killed kyozo process left half done is closed once the topology is known
    let mut recovered = false;
    let mut next_health = tokio::time::Instant::now() + health_interval(shared);
    loop {
        // Refresh (at start, and after every wake-up below), folding a burst of events into one.
        tokio::time::sleep(REFRESH_DEBOUNCE).await;
        while refresh_rx.try_recv().is_ok() {}
        if !recovered && let Some(t) = shared.topology() {
            recovered = true;
            if let Err(e) = d.recover(&t).await {
                tracing::warn!("closing interrupted operations: {e}");
            }
        }
        if shared
            .health_due
            .swap(false, std::sync::atomic::Ordering::SeqCst)
            && let Some(t) = shared.topology()
        {
            let _ = d.check_health(&t).await;
        }
        match refresh(shared, d, stats).await {
            Ok(any) => running_any = any,
            Err(e) => {
                if d.engine().version().await.is_err() {
                    return e;
                }
            }
        }
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(_)) => {}
                Some(Err(e)) => return e.to_string(),
                None => return "the engine closed its event stream".into(),
            },
            r = refresh_rx.recv() => {
                if r.is_none() {
                    return "cockpit closed".into();
                }
            }
            _ = tokio::time::sleep_until(next_health), if running_any => {
                next_health = tokio::time::Instant::now() + health_interval(shared);
                if let Some(t) = shared.topology() {
                    let _ = d.check_health(&t).await;
                }
            }
        }
    }
}

/// Sends a snapshot and keeps one stats stream per running service. Returns whether anything runs.
async fn refresh(
    shared: &Arc<Shared>,
    d: &Deployer,
    stats: &mut StatsFollowers,
) -> Result<bool, String> {
    let Some(t) = shared.topology() else {
        return Ok(false);
    };
    let list = d.status(&t, false).await.map_err(|e| e.to_string())?;
    let now = now_ms();
    let mut map = BTreeMap::new();
    for s in &list {
        if s.status == ServiceState::Deployable && s.containers.is_empty() {
            continue;
        }
        map.insert(s.name.clone(), runtime_of(s, now));
    }
    // a follower streams the replicas that ran when it started: a scale or a redeploy
    // (other containers, another running count) starts it again, so the sum covers them all
    let running: HashMap<String, (Vec<String>, u32)> = map
        .iter()
        .filter(|(_, r)| r.status == ServiceState::Running)
        .map(|(n, r)| (n.clone(), (r.containers.clone(), r.running)))
        .collect();
    stats.retain(|name, f| {
        let keep = running.get(name) == Some(&f.replicas) && !f.task.is_finished();
        if !keep {
            f.task.abort();
        }
        keep
    });
    for (name, replicas) in &running {
        if !stats.contains_key(name) {
            stats.insert(
                name.clone(),
                StatsFollower {
                    replicas: replicas.clone(),
                    task: tokio::spawn(follow_stats(Arc::clone(shared), name.clone())),
                },
            );
        }
    }
    let any = !running.is_empty();
    send(&shared.tx, EngineMsg::Snapshot(map));
    Ok(any)
}

/// The stats follower of a running service and the replicas it follows (container ids, running
/// count).
struct StatsFollower {
    replicas: (Vec<String>, u32),
    task: JoinHandle<()>,
}

type StatsFollowers = HashMap<String, StatsFollower>;

/// How often health is checked while something runs: the shortest health interval of the
/// deployable services (`[health] interval_s`, `.kyozo.toml`), at least a second.
fn health_interval(shared: &Shared) -> Duration {
    let secs = shared
        .topology()
        .and_then(|t| {
            t.services
                .iter()
                .filter(|s| s.deployable && s.kind.deployable())
                .map(|s| deploy::plan::health_check(s, &shared.config).0.interval_s)
                .min()
        })
        .unwrap_or(crate::detect::HealthCheck::default().interval_s);
    Duration::from_secs(u64::from(secs.max(1)))
}
