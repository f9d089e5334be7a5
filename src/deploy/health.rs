//! Health: probes without the engine's own check (HTTP GET on the mapped host port, 2xx/3xx
//! healthy; a 404 on the default path falls back to a TCP probe: does the service listen?), and
//! the checks of deployed services that record failures and recoveries. A failure right after a
//! start does not count during the start period (the service's health interval).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::deployer::{AUTOMATIC, Deployer};
use super::error::DeployError;
use super::plan::Plan;
use crate::detect::{Service, Topology};
use crate::runtime::{ContainerInfo, EngineHealth};
use crate::store::{self, EventKind, NewEvent, ServiceState};

pub use crate::store::Health;

/// The outcome of one health check of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    pub service: String,
    pub health: Health,
    pub previous: Health,
    pub reason: String,
}

impl Deployer {
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

    /// Checks one service; `None` when it is not deployed or was stopped on purpose. A failure
    /// within the start period of its newest replica reads as `unknown` (starting), not
    /// unhealthy.
    pub async fn check_service_health(
        &self,
        svc: &Service,
    ) -> Result<Option<HealthReport>, DeployError> {
        let unit = self.unit(svc);
        let cs = unit.containers().await?;
        if cs.is_empty() {
            return Ok(None);
        }
        let mut rec = self.record(svc).await?;
        if rec.status == ServiceState::Stopped && !cs.iter().any(|c| c.running()) {
            // stopped on purpose: nothing to judge
            return Ok(None);
        }
        let mut infos = Vec::new();
        for c in &cs {
            infos.push(self.engine().inspect(&c.id).await?);
        }
        let plan = self.plan(svc)?;
        let probe = unit.probe(&plan, &infos).await;
        let newest = infos
            .iter()
            .filter(|c| c.running())
            .filter_map(|c| c.started_at_ms)
            .max();
        // the engine's own check has its own start period and retries
        let own_probe = infos.iter().all(|c| c.health.is_none());
        let starting = newest
            .is_some_and(|t| store::now_ms() - t < i64::from(plan.health.interval_s.max(1)) * 1000);
        let (health, failures, reason) = if own_probe {
            counted(
                rec.health,
                rec.health_failures,
                probe,
                plan.health.retries,
                starting.then_some(plan.health.interval_s),
            )
        } else {
            (probe.health, 0, probe.reason)
        };
        let probe = Probe::new(health, reason);
        rec.health_failures = failures;
        let previous = rec.health;
        rec.health = probe.health;
        rec.last_health_check_ms = Some(store::now_ms());
        self.save(rec).await?;
        let kind = match (previous, probe.health) {
            (Health::Healthy | Health::Unknown, Health::Unhealthy) => {
                Some(EventKind::HealthCheckFailed)
            }
            (Health::Unhealthy, Health::Healthy) => Some(EventKind::HealthRecovered),
            _ => None,
        };
        if let Some(kind) = kind {
            let mut ev = NewEvent::new(&svc.name, kind)
                .triggered_by(AUTOMATIC)
                .data(serde_json::json!({ "reason": probe.reason, "previous": previous.as_str() }));
            if kind == EventKind::HealthCheckFailed {
                ev = ev.error(probe.reason.clone());
            }
            self.event(ev).await?;
        }
        Ok(Some(HealthReport {
            service: svc.name.clone(),
            health: probe.health,
            previous,
            reason: probe.reason,
        }))
    }
}

/// The outcome of one probe, with the reason for the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub health: Health,
    pub reason: String,
}

impl Probe {
    pub(crate) fn new(health: Health, reason: impl Into<String>) -> Probe {
        Probe {
            health,
            reason: reason.into(),
        }
    }
}

/// The status code of `GET path` on `host:port`, `None` when no HTTP answer came.
pub async fn http_status(host: &str, port: u16, path: &str, timeout: Duration) -> Option<u16> {
    let fut = async {
        let mut s = TcpStream::connect((host, port)).await.ok()?;
        let req = format!(
            "GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: kyozo\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = vec![0u8; 1024];
        let mut n = 0;
        while n < buf.len() {
            let r = s.read(&mut buf[n..]).await.ok()?;
            if r == 0 {
                break;
            }
            n += r;
            if buf[..n].contains(&b'\n') {
                break;
            }
        }
        let line = String::from_utf8_lossy(&buf[..n]);
        let mut parts = line.split_whitespace();
        let proto = parts.next()?;
        if !proto.starts_with("HTTP/") {
            return None;
        }
        parts.next()?.parse::<u16>().ok()
    };
    tokio::time::timeout(timeout, fut).await.ok().flatten()
}

/// Whether something listens behind `host:port`. A connection the peer closes at once counts as
/// not listening (the engine's port proxy accepts and then closes when the container does not
/// listen).
pub async fn tcp_listening(host: &str, port: u16, timeout: Duration) -> bool {
    let fut = async {
        let Ok(mut s) = TcpStream::connect((host, port)).await else {
            return false;
        };
        let mut b = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(300), s.read(&mut b)).await {
            // data: it speaks first; silence: it waits for us; either way it listens
            Ok(Ok(n)) => n > 0,
            Ok(Err(_)) => false,
            Err(_) => true,
        }
    };
    tokio::time::timeout(timeout, fut).await.unwrap_or(false)
}

/// Probes a service on `host:port` with the HTTP rule and its TCP fallback.
pub async fn probe_http(host: &str, port: u16, path: &str, timeout: Duration) -> Probe {
    match http_status(host, port, path, timeout).await {
        Some(code @ 200..=399) => Probe::new(Health::Healthy, format!("GET {path}: {code}")),
        Some(404) if path == "/health" => {
            if tcp_listening(host, port, timeout).await {
                Probe::new(
                    Health::Healthy,
                    format!("no {path} route; port {port} listens"),
                )
            } else {
                Probe::new(Health::Unhealthy, format!("port {port} does not listen"))
            }
        }
        Some(code) => Probe::new(Health::Unhealthy, format!("GET {path}: {code}")),
        None => Probe::new(
            Health::Unhealthy,
            format!("GET {path} on port {port}: no HTTP answer"),
        ),
    }
}

/// Judges running containers: the engine's own check where there is one, else HTTP on the
/// mapped port (with the TCP fallback), else running is enough.
/// The health after one probe of kyozo's own: unhealthy only after `retries` consecutive
/// failures (the health before stays until then, an unhealthy one too), and never within the start period
/// (`start_period_s`: the service started less than a health interval ago). Returns the health,
/// the consecutive failures and the reason.
pub fn counted(
    previous: Health,
    failures: u32,
    probe: Probe,
    retries: u32,
    start_period_s: Option<u32>,
) -> (Health, u32, String) {
    if probe.health != Health::Unhealthy {
        return (probe.health, 0, probe.reason);
    }
    if let Some(s) = start_period_s {
        return (
            Health::Unknown,
            0,
            format!("starting (start period {s}s): {}", probe.reason),
        );
    }
    let failures = failures.saturating_add(1);
    let retries = retries.max(1);
    if failures >= retries {
        return (Health::Unhealthy, failures, probe.reason);
    }
    (
        previous,
        failures,
        format!("{} ({failures} of {retries} failed probes)", probe.reason),
    )
}

pub(crate) async fn judge(d: &Deployer, plan: &Plan, running: &[ContainerInfo]) -> Probe {
    if running.is_empty() {
        return Probe::new(Health::Unhealthy, "no replica is running");
    }
    if running.iter().any(|c| c.health.is_some()) {
        if let Some(c) = running
            .iter()
            .find(|c| c.health == Some(EngineHealth::Unhealthy))
        {
            return Probe::new(
                Health::Unhealthy,
                format!("{}: engine check unhealthy", c.name),
            );
        }
        if running
            .iter()
            .all(|c| c.health == Some(EngineHealth::Healthy))
        {
            return Probe::new(Health::Healthy, "engine check healthy");
        }
        return Probe::new(Health::Unknown, "engine check starting");
    }
    let Some(port) = plan.port else {
        return Probe::new(Health::Healthy, "running (no port to probe)");
    };
    let host = d.host_address();
    let timeout = std::time::Duration::from_secs(u64::from(plan.health.timeout_s.clamp(1, 60)));
    let path = if plan.health.path.starts_with('/') {
        plan.health.path.clone()
    } else {
        format!("/{}", plan.health.path)
    };
    for c in running {
        let Some(&(_, hp)) = c.ports.iter().find(|(cp, _)| *cp == port) else {
            continue;
        };
        let p = probe_http(&host, hp, &path, timeout).await;
        if p.health != Health::Healthy {
            return Probe::new(p.health, format!("{}: {}", c.name, p.reason));
        }
    }
    Probe::new(Health::Healthy, format!("GET {path} answered"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn serve(responses: Vec<&'static str>) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            for r in responses {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf).await;
                if !r.is_empty() {
                    let _ = s.write_all(r.as_bytes()).await;
                } else {
                    // hold the connection open without answering (a TCP-only service)
                    tokio::time::sleep(Duration::from_millis(600)).await;
                }
            }
        });
        port
    }

    #[test]
    fn unhealthy_after_retries_consecutive_failures_and_never_while_starting() {
        let bad = || Probe::new(Health::Unhealthy, "GET /health: 503");
        let ok = Probe::new(Health::Healthy, "GET /health: 200");
        // three retries: healthy stays healthy for two failures, the third counts
        let (h, n, why) = counted(Health::Healthy, 0, bad(), 3, None);
        assert_eq!((h, n), (Health::Healthy, 1));
        assert!(why.ends_with("(1 of 3 failed probes)"), "{why}");
        let (h, n, _) = counted(h, n, bad(), 3, None);
        assert_eq!((h, n), (Health::Healthy, 2));
        let (h, n, why) = counted(h, n, bad(), 3, None);
        assert_eq!(
            (h, n, why.as_str()),
            (Health::Unhealthy, 3, "GET /health: 503")
        );
        // a success resets the count
        let (h, n, _) = counted(h, n, ok.clone(), 3, None);
        assert_eq!((h, n), (Health::Healthy, 0));
        // one retry: the first failure counts
        assert_eq!(
            counted(Health::Healthy, 0, bad(), 1, None).0,
            Health::Unhealthy
        );
        // in the start period a failure is `starting`, and does not count
        let (h, n, why) = counted(Health::Unknown, 2, bad(), 1, Some(30));
        assert_eq!((h, n), (Health::Unknown, 0));
        assert!(why.starts_with("starting (start period 30s): "), "{why}");
    }

    #[tokio::test]
    async fn http_rules() {
        let t = Duration::from_secs(2);
        let p = serve(vec!["HTTP/1.1 204 No Content\r\n\r\n"]).await;
        assert_eq!(
            probe_http("127.0.0.1", p, "/health", t).await.health,
            Health::Healthy
        );
        let p = serve(vec!["HTTP/1.0 503 Unavailable\r\n\r\n"]).await;
        assert_eq!(
            probe_http("127.0.0.1", p, "/health", t).await.health,
            Health::Unhealthy
        );
        // 404 on the default path: the service listens, so it is healthy
        let p = serve(vec!["HTTP/1.0 404 Not Found\r\n\r\n", ""]).await;
        assert_eq!(
            probe_http("127.0.0.1", p, "/health", t).await.health,
            Health::Healthy
        );
        // 404 on a configured path is a failure
        let p = serve(vec!["HTTP/1.0 404 Not Found\r\n\r\n"]).await;
        assert_eq!(
            probe_http("127.0.0.1", p, "/ready", t).await.health,
            Health::Unhealthy
        );
        // nothing listens
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed = l.local_addr().unwrap().port();
        drop(l);
        assert_eq!(
            probe_http("127.0.0.1", closed, "/health", t).await.health,
            Health::Unhealthy
        );
        assert!(!tcp_listening("127.0.0.1", closed, t).await);
    }
}
