//! `up`: services wave by wave, each through one pipeline: plan → context → build → replace →
//! wait, recorded in the store. Every service of the request is taken (its lease) before the
//! first wave starts, so a second request for it, from any kyozo process, is refused at once.

use std::collections::HashMap;

use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::mpsc;

use super::cancel::Cancels;
use super::deployer::Deployer;
use super::error::DeployError;
use super::history::plan_config;
use super::progress::{OpCx, Progress, elapsed_ms, forward};
use super::unit::{Failure, Prepared};
use crate::detect::{Service, Topology};
use crate::runtime::EngineHealth;
use crate::store::{self, EventKind, Health, NewEvent, ServiceState};

/// What `up` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpReport {
    pub deployed: Vec<String>,
    pub unchanged: Vec<String>,
    /// Held by another operation: not touched.
    pub refused: Vec<String>,
    /// Cancelled; what ran before runs again.
    pub cancelled: Vec<String>,
}

/// How `up` runs.
#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    /// Build without the engine's cache and replace even when the content is unchanged.
    pub rebuild: bool,
    /// Where each service's cancel token is registered (the cockpit cancels through it).
    pub cancels: Cancels,
}

impl Deployer {
    /// Builds and runs services wave by wave (all deployable ones when `names` is empty). Stops
    /// after the first wave in which a service failed, with that service's error.
    pub async fn up(
        &self,
        topo: &Topology,
        names: &[String],
        progress: impl FnMut(Progress) + Send,
    ) -> Result<UpReport, DeployError> {
        self.up_with(topo, names, &UpOptions::default(), progress)
            .await
    }

    /// [`Deployer::up`] with options. A service another operation holds is left out
    /// ([`Progress::Refused`]); when services were named, the first refusal is the error once
    /// the others are done.
    pub async fn up_with(
        &self,
        topo: &Topology,
        names: &[String],
        opts: &UpOptions,
        mut progress: impl FnMut(Progress) + Send,
    ) -> Result<UpReport, DeployError> {
        let waves = self.waves(topo, names)?;
        let op = if opts.rebuild { "rebuild" } else { "deploy" };
        let mut report = UpReport::default();
        let mut leases = HashMap::new();
        let mut refusal = None;
        for svc in waves.iter().flatten() {
            match self.lease(&svc.name, op) {
                Ok(l) => {
                    leases.insert(svc.name.clone(), l);
                }
                Err(e @ DeployError::Busy { .. }) => {
                    progress(Progress::Refused {
                        service: svc.name.clone(),
                        reason: e.message_for(&svc.name),
                    });
                    report.refused.push(svc.name.clone());
                    refusal.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        for (index, wave) in waves.into_iter().enumerate() {
            let wave: Vec<&Service> = wave
                .into_iter()
                .filter(|s| leases.contains_key(&s.name))
                .collect();
            if wave.is_empty() {
                continue;
            }
            progress(Progress::Wave {
                index,
                services: wave.iter().map(|s| s.name.clone()).collect(),
            });
            let (tx, rx) = mpsc::unbounded_channel::<Progress>();
            let jobs: Vec<(&Service, OpCx)> = wave
                .into_iter()
                .map(|svc| {
                    let lease = leases.remove(&svc.name);
                    let token = opts.cancels.token(&svc.name);
                    (svc, OpCx::new(&svc.name, tx.clone(), lease, token))
                })
                .collect();
            drop(tx);
            let work = futures_util::stream::iter(jobs.into_iter().map(|(svc, cx)| async move {
                let r = self.deploy_one(svc, &cx, opts.rebuild).await;
                match &r {
                    Err(DeployError::Cancelled { detail, .. }) => cx.send(Progress::Cancelled {
                        service: svc.name.clone(),
                        detail: detail.clone(),
                    }),
                    Err(e) => cx.send(Progress::Failed {
                        service: svc.name.clone(),
                        error: e.message_for(&svc.name),
                        rolled_back: matches!(
                            e,
                            DeployError::Service {
                                rolled_back: true,
                                ..
                            }
                        ),
                    }),
                    Ok(_) => {}
                }
                opts.cancels.forget(&svc.name);
                drop(cx);
                (svc.name.clone(), r)
            }))
            .buffer_unordered(self.parallelism())
            .collect::<Vec<_>>();
            let results = forward(work, rx, &mut progress).await;
            let mut failure = None;
            for (name, r) in results {
                match r {
                    Ok(true) => report.deployed.push(name),
                    Ok(false) => report.unchanged.push(name),
                    Err(DeployError::Cancelled { .. }) => report.cancelled.push(name),
                    Err(e) => {
                        failure.get_or_insert(match e {
                            DeployError::Service { .. } => e,
                            other => DeployError::service(&name, other.message_for(&name)),
                        });
                    }
                }
            }
            if let Some(f) = failure {
                return Err(f);
            }
        }
        match refusal {
            Some(e) if !names.is_empty() => Err(e),
            _ => Ok(report),
        }
    }

    /// Deploys one service; `Ok(false)` when nothing had to change.
    async fn deploy_one(
        &self,
        svc: &Service,
        cx: &OpCx,
        rebuild: bool,
    ) -> Result<bool, DeployError> {
        let name = &svc.name;
        if cx.is_cancelled() {
            return Err(DeployError::Cancelled {
                service: name.clone(),
                detail: "before it began".into(),
            });
        }
        let unit = self.unit(svc);
        let existing = unit.containers().await?;
        let was_running = existing.iter().any(|c| c.running());
        let plan = match self.plan(svc) {
            Ok(p) => p,
            Err(e) => {
                let msg = DeployError::from(e).message_for(name);
                self.fail(svc, cx, &msg, serde_json::json!({}), was_running, false)
                    .await?;
                return Err(DeployError::service(name, msg));
            }
        };
        let mut rec = self.record(svc).await?;
        let mut work = match unit.prepare(&plan, &rec, &existing, rebuild).await {
            Ok(Prepared::Unchanged) => {
                cx.send(Progress::Unchanged {
                    service: name.clone(),
                });
                return Ok(false);
            }
            Ok(Prepared::Work(w)) => w,
            Err(e) => {
                let msg = e.message_for(name);
                self.fail(svc, cx, &msg, serde_json::json!({}), was_running, false)
                    .await?;
                return Err(DeployError::service(name, msg));
            }
        };
        let data = work.data.clone();
        self.event(NewEvent::new(name, EventKind::DeploymentStarted).data(data.clone()))
            .await?;
        rec.status = ServiceState::Deploying;
        rec.deleted_at_ms = None;
        self.save(rec.clone()).await?;

        let built = match unit.build(&plan, &mut work, rebuild, cx).await {
            Ok(b) => b,
            Err(e) => {
                let msg = e.message_for(name);
                self.fail(svc, cx, &msg, data, was_running, false).await?;
                return Err(DeployError::Service {
                    service: name.clone(),
                    message: msg,
                    rolled_back: was_running,
                });
            }
        };
        // a safe point: built, nothing replaced yet
        if cx.is_cancelled() {
            let detail = "after the build, before replacing".to_string();
            self.fail(
                svc,
                cx,
                &format!("cancelled {detail}"),
                data,
                was_running,
                true,
            )
            .await?;
            return Err(DeployError::Cancelled {
                service: name.clone(),
                detail,
            });
        }
        let t_start = std::time::Instant::now();
        match unit.replace(&plan, &work, &existing, cx).await {
            Ok(ready) => {
                let startup_ms = elapsed_ms(t_start);
                let duration = elapsed_ms(cx.started);
                let mut rec = self.record(svc).await?;
                rec.status = ServiceState::Running;
                rec.deleted_at_ms = None;
                if work.image.is_some() {
                    rec.image = work.image.clone();
                    rec.content_hash = work.hash.clone();
                }
                rec.containers = ready.iter().map(|c| c.id.clone()).collect();
                rec.ports = ready.iter().flat_map(|c| c.ports.clone()).collect();
                rec.startup_ms = Some(startup_ms);
                rec.deployed_at_ms = Some(store::now_ms());
                rec.desired_replicas = unit.desired(None, &ready).max(work.desired);
                rec.config = plan_config(&plan);
                let probe = unit.probe(&plan, &ready).await;
                if ready
                    .iter()
                    .any(|c| c.health == Some(EngineHealth::Healthy))
                    || probe.health == Health::Healthy
                {
                    rec.health = Health::Healthy;
                }
                self.save(rec).await?;
                let mut data = data;
                if let Some(o) = data.as_object_mut() {
                    o.insert("built".into(), built.into());
                    o.insert("startup_ms".into(), startup_ms.into());
                    o.insert("containers".into(), ready.len().into());
                }
                self.event(
                    NewEvent::new(name, EventKind::DeploymentCompleted)
                        .duration_ms(duration)
                        .data(data),
                )
                .await?;
                cx.send(Progress::Done {
                    service: name.clone(),
                    ms: duration,
                });
                Ok(true)
            }
            Err(Failure {
                error,
                rolled_back,
                cancelled,
            }) => {
                let msg = error.message_for(name);
                let msg = if cancelled {
                    format!("cancelled {msg}")
                } else {
                    msg
                };
                self.fail(svc, cx, &msg, data, rolled_back, cancelled)
                    .await?;
                if cancelled {
                    return Err(DeployError::Cancelled {
                        service: name.clone(),
                        detail: error.message_for(name),
                    });
                }
                Err(DeployError::Service {
                    service: name.clone(),
                    message: msg,
                    rolled_back,
                })
            }
        }
    }

    /// Records a failed (or cancelled) deployment. `kept`: what ran before still runs, so the
    /// service stays `running` on its old image; else it is in `error`.
    async fn fail(
        &self,
        svc: &Service,
        cx: &OpCx,
        message: &str,
        data: serde_json::Value,
        kept: bool,
        cancelled: bool,
    ) -> Result<(), DeployError> {
        let mut rec = self.record(svc).await?;
        rec.status = if kept {
            ServiceState::Running
        } else if cancelled {
            ServiceState::Deployable
        } else {
            ServiceState::Error
        };
        rec.deleted_at_ms = None;
        self.save(rec).await?;
        let mut data = if data.is_object() {
            data
        } else {
            serde_json::json!({})
        };
        if let Some(o) = data.as_object_mut() {
            o.insert("rolled_back".into(), kept.into());
            if cancelled {
                o.insert("cancelled".into(), true.into());
            }
        }
        self.event(
            NewEvent::new(&svc.name, EventKind::DeploymentFailed)
                .duration_ms(elapsed_ms(cx.started))
                .error(message)
                .data(data),
        )
        .await
    }
}
