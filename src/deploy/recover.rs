//! Closing what a killed kyozo process left: on the next start of any kyozo process (a verb or
//! the cockpit), an operation whose journal is still there but whose process is gone is recorded
//! as interrupted, and its service is repaired from what the engine shows (a half-replaced
//! service gets its old replicas started again when the new ones are not there).

use super::deployer::{AUTOMATIC, Deployer};
use super::error::DeployError;
use crate::detect::Topology;
use crate::store::{EventKind, Health, NewEvent, ServiceState, now_ms};

impl Deployer {
    /// Closes every interrupted operation of the workspace; returns their services.
    pub async fn recover(&self, topo: &Topology) -> Result<Vec<String>, DeployError> {
        let locks = self.locks().clone();
        let left = tokio::task::spawn_blocking(move || locks.leftovers())
            .await
            .map_err(|e| DeployError::Other(format!("lock task failed: {e}")))?;
        let mut out = Vec::new();
        for (service, lease, old) in left {
            let step = if old.step.is_empty() {
                String::new()
            } else {
                format!(" ({})", old.step)
            };
            let message = format!(
                "interrupted: {}{step} by kyozo pid {} ({}) ended before it finished",
                old.op, old.pid, old.by
            );
            self.event(
                NewEvent::new(&service, EventKind::DeploymentFailed)
                    .triggered_by(AUTOMATIC)
                    .duration_ms((now_ms() - old.since_ms).max(0) as u64)
                    .error(message)
                    .data(serde_json::json!({
                        "interrupted": true,
                        "operation": old.op,
                        "step": old.step,
                        "pid": old.pid,
                        "by": old.by,
                    })),
            )
            .await?;
            if let Some(svc) = topo.service(&service) {
                let unit = self.unit(svc);
                let repaired = unit.repair(&old.previous).await;
                let cs = unit.containers().await?;
                let mut rec = self.record(svc).await?;
                rec.status = if cs.iter().any(|c| c.running()) {
                    ServiceState::Running
                } else if !cs.is_empty() {
                    ServiceState::Stopped
                } else if repaired.is_err() {
                    ServiceState::Error
                } else {
                    ServiceState::Deployable
                };
                if rec.status != ServiceState::Running {
                    rec.health = Health::Unknown;
                }
                rec.containers = cs.iter().map(|c| c.id.clone()).collect();
                self.save(rec).await?;
                repaired?;
            }
            drop(lease);
            out.push(service);
        }
        Ok(out)
    }
}
