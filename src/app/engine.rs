//! The engine worker: keeps a connection to the Docker Engine (reconnecting with backoff), turns the
//! engine's event stream into status snapshots, runs lifecycle commands through
//! [`crate::deploy::Deployer`], follows logs (one follower per service) and stats (one stream per
//! running service), and computes plans. Everything it learns goes back as [`Msg`]s.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::logs::LogLine;
use super::msg::{
    Command, EngineMsg, Health, Msg, Op, Outcome, PortMap, ServiceRuntime, ServiceState,
};
use crate::config::Config;
use crate::deploy::{self, Deployer, Progress, ServiceStatus};
use crate::detect::Topology;
use crate::runtime::endpoint::{EndpointEnv, resolve};
use crate::runtime::{Engine, LogOptions};
use crate::store::{Store, now_ms};

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
    let status = match s.status.as_str() {
        "running" => ServiceState::Running,
        "stopped" => ServiceState::Stopped,
        "error" => ServiceState::Error,
        "deploying" => ServiceState::Deploying,
        "scaling" => ServiceState::Scaling,
        _ => ServiceState::Deployable,
    };
    let health = match s.health.as_str() {
        "healthy" => Health::Healthy,
        "unhealthy" => Health::Unhealthy,
        _ => Health::Unknown,
    };
    ServiceRuntime {
        status,
        health,
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
        });
        tokio::spawn(connection(
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
            follow_logs(&shared, &name, since_s).await;
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
                    .map_err(|e| e.to_string()),
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
                run_op(&shared, &d, &t, op, services).await;
                shared.health_soon();
                let _ = shared.refresh.send(());
            })
        });
    }
}

/// Runs one lifecycle operation and reports one `Done` per service.
async fn run_op(shared: &Shared, d: &Deployer, t: &Topology, op: Op, services: Vec<String>) {
    let tx = shared.tx.clone();
    let finished: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(HashSet::new()));
    let failed: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let progress = {
        let tx = tx.clone();
        let finished = Arc::clone(&finished);
        let failed = Arc::clone(&failed);
        move |p: Progress| {
            if let Progress::Failed { service, .. } = &p {
                failed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert_with(|| service.clone());
            }
            on_progress(&tx, &finished, op, p)
        }
    };
    let result: Result<String, String> = match op {
        Op::Deploy | Op::Rebuild => d
            .up(t, &services, progress)
            .await
            .map(|_| String::new())
            .map_err(|e| e.to_string()),
        Op::Remove => d
            .down(t, &services, progress)
            .await
            .map(|_| "removed".to_string())
            .map_err(|e| e.to_string()),
        Op::Start => d
            .start(t, &services)
            .await
            .map(|_| "started".into())
            .map_err(|e| e.to_string()),
        Op::Stop => d
            .stop(t, &services)
            .await
            .map(|_| "stopped".into())
            .map_err(|e| e.to_string()),
        Op::Restart => d
            .restart(t, &services)
            .await
            .map(|_| "restarted".into())
            .map_err(|e| e.to_string()),
    };
    let done = finished.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let first_failed = failed.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for service in services.into_iter().filter(|s| !done.contains(s)) {
        if result.is_err()
            && let Some(cause) = &first_failed
        {
            send(
                &tx,
                EngineMsg::Skipped {
                    service,
                    op,
                    cause: cause.clone(),
                },
            );
            continue;
        }
        let outcome = match &result {
            Ok(text) => Outcome::Changed(text.clone()),
            Err(e) => Outcome::Failed {
                error: e.clone(),
                rolled_back: false,
            },
        };
        send(
            &tx,
            EngineMsg::Done {
                service,
                op,
                outcome,
            },
        );
    }
}

fn on_progress(tx: &UnboundedSender<Msg>, finished: &Mutex<HashSet<String>>, op: Op, p: Progress) {
    let finish = |service: String, outcome: Outcome| {
        finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(service.clone());
        send(
            tx,
            EngineMsg::Done {
                service,
                op,
                outcome,
            },
        );
    };
    match p {
        Progress::Wave { .. } => {}
        Progress::StepStarted {
            service,
            step,
            detail,
        } => {
            let label = step_label(step);
            let line = if detail.is_empty() {
                label.to_string()
            } else {
                format!("{label} {detail}")
            };
            send(
                tx,
                EngineMsg::Logs {
                    service: service.clone(),
                    lines: vec![LogLine::new(Some(now_ms()), "kyozo", line)],
                },
            );
            send(
                tx,
                EngineMsg::Progress {
                    service,
                    text: label.to_string(),
                },
            );
        }
        Progress::StepFinished { .. } => {}
        Progress::Output { service, line } => send(
            tx,
            EngineMsg::Logs {
                service,
                lines: vec![LogLine::new(Some(now_ms()), "build", line)],
            },
        ),
        Progress::Cached { service, image } => send(
            tx,
            EngineMsg::Logs {
                service,
                lines: vec![LogLine::new(
                    Some(now_ms()),
                    "kyozo",
                    format!("image {image} exists: not rebuilt"),
                )],
            },
        ),
        Progress::Unchanged { service } => finish(
            service,
            Outcome::Unchanged("unchanged: already deployed with this content".into()),
        ),
        Progress::Done { service, ms } => finish(
            service,
            Outcome::Changed(format!("deployed in {:.1}s", ms as f64 / 1000.0)),
        ),
        Progress::Failed { service, error } => finish(
            service,
            Outcome::Failed {
                error,
                rolled_back: false,
            },
        ),
    }
}

/// The status-column label of a deploy step.
pub fn step_label(step: deploy::Step) -> &'static str {
    match step {
        deploy::Step::Plan => "planning…",
        deploy::Step::Build => "building…",
        deploy::Step::Create => "creating…",
        deploy::Step::Start => "starting…",
        deploy::Step::Wait => "waiting…",
        deploy::Step::Stop => "stopping…",
        deploy::Step::Remove => "removing…",
        deploy::Step::Compose => "composing…",
    }
}

/// Follows the logs of every replica of a service until the stream ends.
async fn follow_logs(shared: &Shared, name: &str, since_s: Option<i64>) {
    let (Some(d), Some(t)) = (shared.deployer(), shared.topology()) else {
        return;
    };
    let opts = LogOptions {
        follow: true,
        tail: if since_s.is_some() {
            None
        } else {
            Some(LOG_TAIL)
        },
        since: since_s,
    };
    let stream = match d.logs(&t, name, opts).await {
        Ok(s) => s,
        Err(e) => {
            send(
                &shared.tx,
                EngineMsg::Logs {
                    service: name.to_string(),
                    lines: vec![LogLine::new(Some(now_ms()), "kyozo", format!("logs: {e}"))],
                },
            );
            return;
        }
    };
    // Read as fast as the engine sends (a follower that falls behind shows old lines as if they
    // were live) and hand the lines over in batches, at most one message per LOG_FLUSH. When more
    // than LOG_BATCH_MAX lines arrive between two messages the oldest are dropped and counted. An
    // error in the stream means the container went away (removed, replaced): the follower ends
    // and the state may ask again.
    let mut stream = Box::pin(stream);
    let mut batch: VecDeque<LogLine> = VecDeque::new();
    let mut dropped: u64 = 0;
    let mut last_flush = tokio::time::Instant::now();
    let flush = |batch: &mut VecDeque<LogLine>, dropped: &mut u64| {
        if *dropped > 0 {
            send(
                &shared.tx,
                EngineMsg::LogsDropped {
                    service: name.to_string(),
                    count: std::mem::take(dropped),
                },
            );
        }
        if !batch.is_empty() {
            send(
                &shared.tx,
                EngineMsg::Logs {
                    service: name.to_string(),
                    lines: std::mem::take(batch).into(),
                },
            );
        }
    };
    loop {
        let next = if batch.is_empty() {
            stream.next().await
        } else {
            match tokio::time::timeout_at(last_flush + LOG_FLUSH, stream.next()).await {
                Ok(next) => next,
                Err(_) => {
                    flush(&mut batch, &mut dropped);
                    last_flush = tokio::time::Instant::now();
                    continue;
                }
            }
        };
        // then everything already there, without a timer or a wake-up per line
        let mut item = next;
        let now = now_ms();
        let mut taken: u32 = 0;
        loop {
            match item {
                Some(Ok(l)) => {
                    if batch.len() >= LOG_BATCH_MAX {
                        batch.pop_front();
                        dropped += 1;
                    }
                    batch.push_back(LogLine::new(
                        Some(now),
                        format!("{}-{}", l.service, l.replica),
                        l.text,
                    ));
                }
                Some(Err(e)) => {
                    tracing::debug!("log stream of {name} ended: {e}");
                    flush(&mut batch, &mut dropped);
                    return;
                }
                None => {
                    flush(&mut batch, &mut dropped);
                    return;
                }
            }
            match stream.next().now_or_never() {
                Some(more) => item = more,
                None => break,
            }
            taken += 1;
            if taken % 1024 == 0 && last_flush.elapsed() >= LOG_FLUSH {
                break;
            }
        }
        if last_flush.elapsed() >= LOG_FLUSH {
            flush(&mut batch, &mut dropped);
            last_flush = tokio::time::Instant::now();
        }
    }
}

/// Follows the stats of a running service, one message per stats interval.
async fn follow_stats(shared: Arc<Shared>, name: String) {
    let (Some(d), Some(t)) = (shared.deployer(), shared.topology()) else {
        return;
    };
    let Ok(stream) = d.stats(&t, &name).await else {
        return;
    };
    let mut stream = Box::pin(stream);
    let mut latest: BTreeMap<u32, (f64, u64)> = BTreeMap::new();
    let mut last_sent = tokio::time::Instant::now() - shared.stats_interval;
    while let Some(item) = stream.next().await {
        let Ok(s) = item else { continue };
        latest.insert(
            s.replica,
            (s.sample.cpu_percent_core, s.sample.memory_bytes),
        );
        if last_sent.elapsed() >= shared.stats_interval {
            last_sent = tokio::time::Instant::now();
            let cpu = latest.values().map(|v| v.0).sum::<f64>();
            let mem = latest.values().map(|v| v.1).sum::<u64>();
            send(
                &shared.tx,
                EngineMsg::Stats {
                    service: name.clone(),
                    cpu_percent: (cpu * 10.0).round() / 10.0,
                    memory_bytes: mem,
                },
            );
        }
    }
}

/// Connects, reports, watches engine events and keeps the status current; reconnects on loss.
async fn connection(
    shared: Arc<Shared>,
    root: PathBuf,
    config: Config,
    store: Result<Arc<Store>, String>,
    mut refresh_rx: tokio::sync::mpsc::UnboundedReceiver<()>,
) {
    let mut stats: HashMap<String, JoinHandle<()>> = HashMap::new();
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
        for (_, h) in stats.drain() {
            h.abort();
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
    stats: &mut HashMap<String, JoinHandle<()>>,
) -> String {
    let mut events = Box::pin(d.events());
    let mut running_any = false;
    let health_every = Duration::from_secs(30);
    let mut next_health = tokio::time::Instant::now() + health_every;
    loop {
        // Refresh (at start, and after every wake-up below), folding a burst of events into one.
        tokio::time::sleep(REFRESH_DEBOUNCE).await;
        while refresh_rx.try_recv().is_ok() {}
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
                next_health = tokio::time::Instant::now() + health_every;
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
    stats: &mut HashMap<String, JoinHandle<()>>,
) -> Result<bool, String> {
    let Some(t) = shared.topology() else {
        return Ok(false);
    };
    let list = d.status(&t, false).await.map_err(|e| e.to_string())?;
    let now = now_ms();
    let mut map = BTreeMap::new();
    for s in &list {
        if s.status == "deployable" && s.containers.is_empty() {
            continue;
        }
        map.insert(s.name.clone(), runtime_of(s, now));
    }
    let running: HashSet<String> = map
        .iter()
        .filter(|(_, r)| r.status == ServiceState::Running)
        .map(|(n, _)| n.clone())
        .collect();
    stats.retain(|name, h| {
        let keep = running.contains(name) && !h.is_finished();
        if !keep {
            h.abort();
        }
        keep
    });
    for name in &running {
        if !stats.contains_key(name) {
            stats.insert(
                name.clone(),
                tokio::spawn(follow_stats(Arc::clone(shared), name.clone())),
            );
        }
    }
    let any = !running.is_empty();
    send(&shared.tx, EngineMsg::Snapshot(map));
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::{PortPair, Replicas};

    #[test]
    fn status_converts_to_runtime() {
        let s = ServiceStatus {
            name: "api".into(),
            path: "services/api".into(),
            kind: "nodejs".into(),
            status: "running".into(),
            health: "healthy".into(),
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
    }
}
