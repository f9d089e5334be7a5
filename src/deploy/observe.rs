//! What runs: the status of every service (`ps`, the cockpit's snapshots), content hashes for
//! drift, logs and stats of every replica merged, and the engine's events of this workspace.

use std::collections::HashMap;

use futures_util::{Stream, StreamExt};
use serde::Serialize;

use super::context::build_context;
use super::deployer::Deployer;
use super::error::DeployError;
use crate::detect::{Service, Topology};
use crate::runtime::{
    ContainerInfo, EngineEvent, LogOptions, LogStream, RuntimeError, StatsSample,
};
use crate::store::{self, Health, ServiceRecord, ServiceState};

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
    pub status: ServiceState,
    pub health: Health,
    pub replicas: Replicas,
    /// The sum over replicas (a stack's members).
    pub cpu_percent: Option<f64>,
    /// The sum over replicas (a stack's members).
    pub memory_mb: Option<f64>,
    pub ports: Vec<PortPair>,
    pub uptime_s: Option<u64>,
    pub drifted: bool,
    pub containers: Vec<String>,
}

/// One log line of a service, with its replica and the engine's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLogLine {
    pub service: String,
    pub replica: u32,
    pub stream: LogStream,
    /// When the engine received it, ms since the epoch.
    pub time_ms: Option<i64>,
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

/// The sum of one sample per replica: CPU (percent of one core) and memory (MiB), rounded to a
/// tenth.
pub fn sum_samples(samples: &[StatsSample]) -> (f64, f64) {
    let cpu: f64 = samples.iter().map(|s| s.cpu_percent_core).sum();
    let mem: f64 = samples.iter().map(StatsSample::memory_mb).sum();
    ((cpu * 10.0).round() / 10.0, (mem * 10.0).round() / 10.0)
}

impl Deployer {
    /// The status of every deployable service of the topology (what `ps` prints). `stats`: take
    /// one CPU/memory sample of each running container (about a second).
    pub async fn status(
        &self,
        topo: &Topology,
        stats: bool,
    ) -> Result<Vec<ServiceStatus>, DeployError> {
        let id = self.workspace().id;
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
                async move { self.status_of(svc, rec, stats).await }
            });
        let out = futures_util::future::join_all(futs).await;
        out.into_iter().collect()
    }

    async fn status_of(
        &self,
        svc: &Service,
        rec: Option<ServiceRecord>,
        stats: bool,
    ) -> Result<ServiceStatus, DeployError> {
        let unit = self.unit(svc);
        let cs = unit.containers().await?;
        let engine = self.engine();
        let running: Vec<&ContainerInfo> = cs.iter().filter(|c| c.running()).collect();
        let desired = unit.desired(rec.as_ref(), &cs);
        let failed = rec
            .as_ref()
            .is_some_and(|r| r.status == ServiceState::Error);
        let status = if !running.is_empty() {
            ServiceState::Running
        } else if !cs.is_empty() && !failed {
            ServiceState::Stopped
        } else if failed {
            ServiceState::Error
        } else {
            ServiceState::Deployable
        };
        let health = if running.is_empty() {
            Health::Unknown
        } else {
            rec.as_ref().map_or(Health::Unknown, |r| r.health)
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
            let mut samples = Vec::new();
            for c in &running {
                if let Ok(i) = engine.inspect(&c.id).await
                    && let Some(ms) = i.started_at_ms
                {
                    earliest = Some(earliest.map_or(ms, |e: i64| e.min(ms)));
                }
                if stats && let Some(Ok(s)) = Box::pin(engine.stats(&c.id, false)).next().await {
                    samples.push(s);
                }
            }
            uptime_s = earliest.map(|ms| ((store::now_ms() - ms).max(0) / 1000) as u64);
            if stats {
                let (c, m) = sum_samples(&samples);
                cpu = Some(c);
                mem = Some(m);
            }
        }
        let drifted = unit.drifted(&cs, rec.as_ref()).await;
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
        build_context(&plan).await.ok().map(|c| c.tag().to_string())
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
            self.engine().logs(&c.id, &opts).map(move |l| {
                l.map(|l| ServiceLogLine {
                    service: service.clone(),
                    replica,
                    stream: l.stream,
                    time_ms: l.time_ms,
                    text: l.text,
                })
                .map_err(DeployError::from)
            })
        });
        Ok(futures_util::stream::select_all(streams.map(Box::pin)))
    }

    /// Stats samples of every running replica of a service (a stack's members), merged (one
    /// per replica per second or so).
    pub async fn stats(
        &self,
        topo: &Topology,
        name: &str,
    ) -> Result<impl Stream<Item = Result<ReplicaStats, DeployError>> + Send + use<>, DeployError>
    {
        let svc = self.find(topo, name)?;
        let cs = self.deployed(svc).await?;
        let streams = cs
            .into_iter()
            .filter(ContainerInfo::running)
            .enumerate()
            .map(|(i, c)| {
                // a stack's members carry no replica label: number them apart
                let replica = if c.replica() > 0 {
                    c.replica()
                } else {
                    i as u32 + 1
                };
                self.engine().stats(&c.id, true).map(move |s| {
                    s.map(|sample| ReplicaStats { replica, sample })
                        .map_err(DeployError::from)
                })
            });
        Ok(futures_util::stream::select_all(streams.map(Box::pin)))
    }

    /// Engine events of this workspace's containers.
    pub fn events(&self) -> impl Stream<Item = Result<EngineEvent, RuntimeError>> + Send + use<> {
        let ws = self.ws_path();
        self.engine().events().filter(move |e| {
            let keep = match e {
                Ok(ev) => ev.workspace_path.as_deref() == Some(ws.as_str()),
                Err(_) => true,
            };
            async move { keep }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_the_sum_over_replicas() {
        let s = |cpu: f64, mib: u64| StatsSample {
            cpu_percent_core: cpu,
            cpu_percent_host: cpu / 2.0,
            memory_bytes: mib * 1024 * 1024,
            memory_limit_bytes: 0,
        };
        assert_eq!(
            sum_samples(&[s(1.0, 14), s(2.5, 14), s(0.25, 15)]),
            (3.8, 43.0)
        );
        assert_eq!(sum_samples(&[]), (0.0, 0.0));
    }
}
