//! The deployer's records and events in the store. The store blocks (a write waits for an fsync
//! and for writers of other processes): every call runs on a blocking thread.

use std::collections::BTreeMap;

use super::deployer::Deployer;
use super::error::DeployError;
use super::plan::Plan;
use crate::detect::Service;
use crate::store::{self, NewEvent, ServiceRecord, ServiceState, Store, StoreError};

impl Deployer {
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, DeployError> {
        let store = self.store().clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| DeployError::Other(format!("store task failed: {e}")))?
            .map_err(DeployError::from)
    }

    /// Appends an event of this workspace.
    pub(crate) async fn event(&self, ev: NewEvent) -> Result<(), DeployError> {
        let id = self.workspace().id;
        self.blocking(move |s| s.append_event(id, ev).map(|_| ()))
            .await
    }

    /// The record of a service (a new one when it has none), with its current path and type.
    pub(crate) async fn record(&self, svc: &Service) -> Result<ServiceRecord, DeployError> {
        let id = self.workspace().id;
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

    pub(crate) async fn save(&self, mut rec: ServiceRecord) -> Result<(), DeployError> {
        rec.updated_at_ms = store::now_ms();
        self.blocking(move |s| s.save_service(&rec)).await
    }

    /// The stored record of a service, if any.
    pub async fn service_record(&self, name: &str) -> Result<Option<ServiceRecord>, DeployError> {
        let id = self.workspace().id;
        let name = name.to_string();
        self.blocking(move |s| s.service(id, &name)).await
    }

    /// Sets the state of a service (its health is unknown unless it runs).
    pub(crate) async fn set_status(
        &self,
        svc: &Service,
        status: ServiceState,
    ) -> Result<(), DeployError> {
        let mut rec = self.record(svc).await?;
        rec.status = status;
        if status != ServiceState::Running {
            rec.health = store::Health::Unknown;
        }
        self.save(rec).await
    }
}

/// The run configuration of a plan, as a service record keeps it.
pub(crate) fn plan_config(plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "env": plan.env.iter().cloned().collect::<BTreeMap<String, String>>(),
        "memory": plan.memory,
        "cpu": plan.cpu,
        "health_check": plan.health,
        "dockerfile": plan.dockerfile_source,
    })
}
