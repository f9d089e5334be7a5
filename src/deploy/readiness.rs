//! Waiting until new containers are ready: running, healthy where the image (or kyozo) defines a
//! check, staying up; a crash is reported with the exit code and the container's last words.

use std::time::{Duration, Instant};

use super::cancel::Cancel;
use super::deployer::Deployer;
use super::error::DeployError;
use super::health;
use crate::runtime::{ContainerInfo, ContainerState, EngineHealth};

/// How long `up` waits for a service to be running (and healthy where it has a check).
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a started container must keep running to count as started.
const SETTLE: Duration = Duration::from_millis(150);
/// How long `up` waits for a service's port to answer before going on.
const LISTEN_WAIT: Duration = Duration::from_secs(15);

impl Deployer {
    /// Waits until every container of `ids` runs (and is healthy where it defines a check) and
    /// stays up; fails with the exit code and last log line of a crashing container, and with
    /// [`DeployError::Cancelled`] when `cancel` fires.
    pub(crate) async fn wait_ready(
        &self,
        service: &str,
        ids: &[String],
        port: Option<u16>,
        cancel: &Cancel,
    ) -> Result<Vec<ContainerInfo>, DeployError> {
        let engine = self.engine();
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut stable_since: Option<Instant> = None;
        loop {
            if cancel.is_cancelled() {
                return Err(DeployError::Cancelled {
                    service: service.to_string(),
                    detail: "while waiting for the new version".into(),
                });
            }
            let mut infos = Vec::new();
            for id in ids {
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
                    if let Some(port) = port
                        && infos.iter().all(|c| c.health.is_none())
                    {
                        self.wait_listening(&infos, port, cancel).await;
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
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = cancel.cancelled() => {}
            }
        }
    }

    /// Why a container crashed: its exit code (read while the engine holds it stopped between
    /// restarts) and its last log line. The crash loop is stopped; logs stay readable.
    pub(crate) async fn crash_report(&self, c: &ContainerInfo) -> DeployError {
        let engine = self.engine();
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
        let name = crate::deploy::names::final_name(&c.name);
        let mut msg = match code {
            Some(n) => format!("container {name} exited with code {n}"),
            None => format!("container {name} keeps restarting ({restarts} restarts)"),
        };
        if let Some(err) = error {
            msg.push_str(&format!(": {err}"));
        }
        if !last.is_empty() {
            msg.push_str(&format!(": {last}"));
        }
        DeployError::Other(msg)
    }

    async fn wait_listening(&self, infos: &[ContainerInfo], port: u16, cancel: &Cancel) {
        let host = self.host_address();
        let deadline = Instant::now() + LISTEN_WAIT;
        for c in infos {
            let Some(&(_, hp)) = c.ports.iter().find(|(cp, _)| *cp == port) else {
                continue;
            };
            while Instant::now() < deadline && !cancel.is_cancelled() {
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
}
