//! The lifecycle of deployed services: down, start, stop, restart, scale. Each takes the
//! service's lease first (refused when another operation holds it) and records an event.

use std::collections::BTreeMap;
use std::time::Instant;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::deployer::Deployer;
use super::error::DeployError;
use super::lock::Lease;
use super::names;
use super::progress::{Progress, Step, elapsed_ms, forward};
use crate::detect::{Service, Topology};
use crate::runtime::{self, ContainerInfo, Filter};
use crate::store::{EventKind, Health, NewEvent, ServiceState};

impl Deployer {
    /// Stops and removes the containers of services (all of the workspace when `names` is
    /// empty, leaving out those another operation holds), and the workspace network when no
    /// container of the workspace is left. History is kept.
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
        let mut leases: Vec<Vec<(&Service, Lease)>> = Vec::new();
        for group in groups {
            let mut taken = Vec::new();
            for svc in group {
                match self.lease(&svc.name, "remove") {
                    Ok(l) => taken.push((svc, l)),
                    Err(e @ DeployError::Busy { .. }) if names.is_empty() => {
                        progress(Progress::Refused {
                            service: svc.name.clone(),
                            reason: e.message_for(&svc.name),
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            leases.push(taken);
        }
        let mut removed = Vec::new();
        for group in leases {
            let (tx, rx) = mpsc::unbounded_channel::<Progress>();
            let work = async {
                let results: Vec<(String, Result<bool, DeployError>)> =
                    futures_util::stream::iter(group.into_iter().map(|(svc, lease)| {
                        let tx = tx.clone();
                        async move {
                            let r = self.down_one(svc, &tx).await;
                            drop(lease);
                            (svc.name.clone(), r)
                        }
                    }))
                    .buffered(self.parallelism())
                    .collect()
                    .await;
                drop(tx);
                results
            };
            for (name, r) in forward(work, rx, &mut progress).await {
                if r? {
                    removed.push(name);
                }
            }
        }
        if names.is_empty() {
            removed.extend(self.remove_strays(topo).await?);
        }
        self.release_network().await?;
        Ok(removed)
    }

    /// Removes containers of services that are no longer in the topology.
    async fn remove_strays(&self, topo: &Topology) -> Result<Vec<String>, DeployError> {
        let left = self
            .engine()
            .list(&Filter::service(&self.ws_path(), None))
            .await?;
        let mut by_service: BTreeMap<String, Vec<ContainerInfo>> = BTreeMap::new();
        for c in left {
            let s = c.label(runtime::LABEL_SERVICE).unwrap_or("").to_string();
            if topo.service(&s).is_none() {
                by_service.entry(s).or_default().push(c);
            }
        }
        let mut removed = Vec::new();
        for (s, cs) in by_service {
            let t = Instant::now();
            let engine = self.engine();
            for c in &cs {
                let _ = engine.stop(&c.id, super::deployer::STOP_TIMEOUT_S).await;
                engine.remove(&c.id).await?;
            }
            self.event(
                NewEvent::new(&s, EventKind::ServiceRemoved)
                    .duration_ms(elapsed_ms(t))
                    .data(serde_json::json!({ "containers": cs.len() })),
            )
            .await?;
            removed.push(s);
        }
        Ok(removed)
    }

    /// Removes the containers of one service; `Ok(false)` when it had none.
    async fn down_one(
        &self,
        svc: &Service,
        tx: &mpsc::UnboundedSender<Progress>,
    ) -> Result<bool, DeployError> {
        let t = Instant::now();
        let unit = self.unit(svc);
        let cs = unit.containers().await?;
        if cs.is_empty() {
            unit.remove(&cs).await?;
            // a service whose last deploy failed and that has nothing left is deployable again
            if let Some(mut rec) = self.service_record(&svc.name).await?
                && rec.status == ServiceState::Error
            {
                rec.status = ServiceState::Deployable;
                rec.health = Health::Unknown;
                self.save(rec).await?;
            }
            return Ok(false);
        }
        let _ = tx.send(Progress::StepStarted {
            service: svc.name.clone(),
            step: Step::Remove,
            detail: format!("{} container(s)", cs.len()),
        });
        unit.remove(&cs).await?;
        let mut rec = self.record(svc).await?;
        rec.status = ServiceState::Deployable;
        rec.health = Health::Unknown;
        rec.containers.clear();
        rec.ports.clear();
        self.save(rec).await?;
        self.event(
            NewEvent::new(&svc.name, EventKind::ServiceRemoved)
                .duration_ms(elapsed_ms(t))
                .data(serde_json::json!({ "containers": cs.len() })),
        )
        .await?;
        let _ = tx.send(Progress::StepFinished {
            service: svc.name.clone(),
            step: Step::Remove,
            ms: elapsed_ms(t),
        });
        Ok(true)
    }

    /// The containers of a deployed service, or [`DeployError::NotDeployed`].
    pub(crate) async fn deployed(&self, svc: &Service) -> Result<Vec<ContainerInfo>, DeployError> {
        let cs = self.unit(svc).containers().await?;
        if cs.is_empty() {
            return Err(DeployError::NotDeployed(svc.name.clone()));
        }
        Ok(cs)
    }

    /// Starts the stopped containers of services.
    pub async fn start(&self, topo: &Topology, names: &[String]) -> Result<(), DeployError> {
        for n in names {
            let svc = self.find(topo, n)?;
            let _lease = self.lease(n, "start")?;
            let t = Instant::now();
            let cs = self.deployed(svc).await?;
            self.unit(svc).start(&cs).await?;
            self.set_status(svc, ServiceState::Running).await?;
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
            let _lease = self.lease(n, "stop")?;
            let t = Instant::now();
            let cs = self.deployed(svc).await?;
            self.unit(svc).stop(&cs).await?;
            self.set_status(svc, ServiceState::Stopped).await?;
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
            let _lease = self.lease(n, "restart")?;
            let t = Instant::now();
            let cs = self.deployed(svc).await?;
            self.unit(svc).restart(&cs).await?;
            self.set_status(svc, ServiceState::Running).await?;
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

    /// Sets the replica count within the service's scaling limits; 0 stops it and keeps it
    /// deployed (its replicas start again when scaled up). New replicas take the lowest free
    /// numbers; scaling down removes the highest. Returns (running before, asked).
    pub async fn scale(
        &self,
        topo: &Topology,
        name: &str,
        replicas: u32,
    ) -> Result<(u32, u32), DeployError> {
        let replicas = names::validate_replicas(replicas)?;
        let svc = self.find(topo, name)?;
        let limits = svc.scaling;
        if replicas != 0 && !(limits.min..=limits.max).contains(&replicas) {
            return Err(DeployError::Bounds {
                service: name.to_string(),
                min: limits.min,
                max: limits.max,
                asked: replicas,
            });
        }
        let _lease = self.lease(name, "scale")?;
        let t = Instant::now();
        let cs = self.deployed(svc).await?;
        let from = cs.iter().filter(|c| c.running()).count() as u32;
        let plan = self.plan(svc)?;
        let unit = self.unit(svc);
        unit.scale(&plan, &cs, replicas).await?;
        let now = unit.containers().await?;
        let mut rec = self.record(svc).await?;
        if replicas == 0 {
            // 0 of the replicas it had: ps shows 0/N and scaling up starts them again
            rec.desired_replicas = cs.len() as u32;
            rec.status = ServiceState::Stopped;
            rec.health = Health::Unknown;
        } else {
            rec.desired_replicas = replicas;
            rec.status = ServiceState::Running;
        }
        rec.containers = now.iter().map(|c| c.id.clone()).collect();
        rec.ports = now.iter().flat_map(|c| c.ports.clone()).collect();
        self.save(rec).await?;
        self.event(
            NewEvent::new(&svc.name, EventKind::ServiceScaled)
                .duration_ms(elapsed_ms(t))
                .data(serde_json::json!({ "from": from, "to": replicas })),
        )
        .await?;
        Ok((from, replicas))
    }
}
