//! The containers kyozo runs for a service from its image: replicas `1..=n`, replica 1 on the
//! service's host port. A new version starts beside the old one under a pending name and takes
//! the old name once the old is gone; where replica 1's host port forbids two at once, the old
//! one is stopped first and started again when the new one fails (rollback).

use std::time::Instant;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::{Failure, Fut, Prepared, Unit, Work};
use crate::deploy::context::build_context;
use crate::deploy::deployer::{Deployer, STOP_TIMEOUT_S};
use crate::deploy::error::DeployError;
use crate::deploy::health::{self, Probe};
use crate::deploy::names;
use crate::deploy::plan::Plan;
use crate::deploy::progress::{OpCx, Progress, Step};
use crate::detect::Service;
use crate::runtime::{
    self, BuildLine, ContainerInfo, ContainerSpec, ContainerState, ErrorKind, Filter, PortSpec,
};
use crate::store::ServiceRecord;

/// The containers of one service.
pub(crate) struct ContainerUnit<'a> {
    d: &'a Deployer,
    svc: &'a Service,
}

/// Whether nothing listens on a host port (so replica 1 can publish the service port as is).
fn host_port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("0.0.0.0", port)).is_ok()
}

impl<'a> ContainerUnit<'a> {
    pub(crate) fn new(d: &'a Deployer, svc: &'a Service) -> Self {
        ContainerUnit { d, svc }
    }

    async fn list(&self) -> Result<Vec<ContainerInfo>, DeployError> {
        let filter = Filter::service(&self.d.ws_path(), Some(&self.svc.name));
        let cs = self.d.engine().list(&filter).await?;
        // the label filter already picks this service's; never touch another's
        Ok(cs
            .into_iter()
            .filter(|c| c.label(runtime::LABEL_SERVICE) == Some(self.svc.name.as_str()))
            .collect())
    }

    /// Creates and starts replica `replica` under its pending name (`pending`) or its own.
    async fn create_replica(
        &self,
        plan: &Plan,
        image: &str,
        hash: &str,
        replica: u32,
        pending: bool,
        cx: Option<&OpCx>,
    ) -> Result<ContainerInfo, DeployError> {
        let d = self.d;
        let engine = d.engine();
        let ws = d.slug();
        let name = if pending {
            names::pending_name(ws, &self.svc.name, replica)
        } else {
            names::container_name(ws, &self.svc.name, replica)
        };
        let mut ports: Vec<u16> = plan.port.into_iter().collect();
        for p in &plan.ports {
            if !ports.contains(p) {
                ports.push(*p);
            }
        }
        let network = d.ensure_network().await?;
        let mut spec = ContainerSpec {
            name: name.clone(),
            image: image.to_string(),
            labels: d.labels(&self.svc.name, replica, hash),
            env: plan.env.clone(),
            cmd: None,
            ports: ports
                .iter()
                .map(|&p| PortSpec {
                    container: p,
                    host: (replica == 1 && d.is_local() && host_port_free(p)).then_some(p),
                })
                .collect(),
            network: Some(network),
            aliases: vec![self.svc.name.clone()],
            memory_bytes: Some(plan.memory_bytes),
            nano_cpus: Some(plan.nano_cpus),
            health: plan.engine_health(),
            // PID 1 of most services ignores SIGTERM: without an init every stop waits for the
            // kill after STOP_TIMEOUT_S
            init: true,
        };
        let t = Instant::now();
        if let Some(cx) = cx {
            cx.step(Step::Create, &name);
        }
        // a leftover of that name (an interrupted deploy) is ours to replace only when it is
        // this service's
        if let Ok(old) = engine.inspect(&name).await {
            if old.label(runtime::LABEL_WORKSPACE_PATH) == Some(d.ws_path().as_str())
                && old.label(runtime::LABEL_SERVICE) == Some(self.svc.name.as_str())
            {
                engine.remove(&old.id).await?;
            } else {
                return Err(DeployError::Other(format!(
                    "a container named {name} exists and is not {}'s of this workspace",
                    self.svc.name
                )));
            }
        }
        let mut id = engine.create_container(&spec).await?;
        if let Some(cx) = cx {
            cx.step(Step::Start, &name);
        }
        if let Err(e) = engine.start(&id).await {
            let kind = e.kind();
            if !matches!(kind, ErrorKind::PortInUse | ErrorKind::NoInit) {
                let _ = engine.remove(&id).await;
                return Err(e.into());
            }
            engine.remove(&id).await?;
            if kind == ErrorKind::PortInUse {
                // the host port was taken meanwhile: let the engine choose one
                for p in &mut spec.ports {
                    p.host = None;
                }
            } else {
                // an engine without an init binary: the service runs as PID 1 then
                spec.init = false;
            }
            id = engine.create_container(&spec).await?;
            engine.start(&id).await?;
        }
        if let Some(cx) = cx {
            cx.finished(Step::Start, t);
        }
        Ok(engine.inspect(&id).await?)
    }

    async fn ready(
        &self,
        plan: &Plan,
        cs: &[ContainerInfo],
        cx: &OpCx,
    ) -> Result<Vec<ContainerInfo>, DeployError> {
        let t = Instant::now();
        cx.step(Step::Wait, "running, healthy where checked");
        let ids: Vec<String> = cs.iter().map(|c| c.id.clone()).collect();
        let r = self
            .d
            .wait_ready(&self.svc.name, &ids, plan.port, &cx.cancel)
            .await;
        if r.is_ok() {
            cx.finished(Step::Wait, t);
        }
        r
    }

    /// Puts things back after a failed or cancelled replacement: the new containers go, the
    /// old ones that were stopped for them start again.
    async fn undo(
        &self,
        cx: &OpCx,
        news: &[ContainerInfo],
        stopped: &[ContainerInfo],
        had_old: bool,
        error: DeployError,
    ) -> Failure {
        let engine = self.d.engine();
        cx.step(Step::Rollback, "the previous version keeps running");
        for c in news {
            let _ = engine.remove(&c.id).await;
        }
        let mut restored = true;
        for c in stopped {
            if engine.start(&c.id).await.is_err() {
                restored = false;
            }
        }
        let cancelled = matches!(error, DeployError::Cancelled { .. });
        Failure {
            error,
            rolled_back: had_old && restored,
            cancelled,
        }
    }

    /// The replacement proper (see the module doc).
    async fn replace_all(
        &self,
        plan: &Plan,
        image: &str,
        hash: &str,
        desired: u32,
        old: &[ContainerInfo],
        cx: &OpCx,
    ) -> Result<Vec<ContainerInfo>, Failure> {
        let engine = self.d.engine();
        let had_old = old.iter().any(ContainerInfo::running);
        let fail = |error: DeployError| Failure {
            error,
            rolled_back: had_old,
            cancelled: false,
        };
        cx.journal_previous(
            old.iter()
                .filter(|c| c.running())
                .map(|c| c.id.clone())
                .collect(),
        );
        let pinned = plan.port.filter(|_| self.d.is_local());
        let old1 = old.iter().find(|c| c.replica() == 1);
        let conflict = match (pinned, old1) {
            (Some(p), Some(o)) => o.running() && o.ports.contains(&(p, p)),
            _ => false,
        };
        let mut news: Vec<ContainerInfo> = Vec::new();
        for n in 1..=desired {
            if n == 1 && conflict {
                continue;
            }
            match self
                .create_replica(plan, image, hash, n, true, Some(cx))
                .await
            {
                Ok(c) => news.push(c),
                Err(e) => return Err(self.undo(cx, &news, &[], had_old, e).await),
            }
        }
        if !news.is_empty()
            && let Err(e) = self.ready(plan, &news, cx).await
        {
            return Err(self.undo(cx, &news, &[], had_old, e).await);
        }
        let mut stopped = Vec::new();
        if let Some(o) = old1.filter(|_| conflict) {
            if cx.is_cancelled() {
                let e = cancelled(&self.svc.name, "before stopping the old version");
                return Err(self.undo(cx, &news, &[], had_old, e).await);
            }
            cx.step(Step::Stop, &o.name);
            engine
                .stop(&o.id, STOP_TIMEOUT_S)
                .await
                .map_err(|e| fail(e.into()))?;
            stopped.push(o.clone());
            match self
                .create_replica(plan, image, hash, 1, true, Some(cx))
                .await
            {
                Ok(c) => {
                    news.insert(0, c.clone());
                    if let Err(e) = self.ready(plan, &[c], cx).await {
                        return Err(self.undo(cx, &news, &stopped, had_old, e).await);
                    }
                }
                Err(e) => return Err(self.undo(cx, &news, &stopped, had_old, e).await),
            }
        }
        if cx.is_cancelled() {
            let e = cancelled(&self.svc.name, "before removing the old version");
            return Err(self.undo(cx, &news, &stopped, had_old, e).await);
        }
        // the new version works: the old goes, the new takes its names
        for c in old {
            cx.step(Step::Remove, &c.name);
            let _ = engine.stop(&c.id, STOP_TIMEOUT_S).await;
            engine.remove(&c.id).await.map_err(|e| fail(e.into()))?;
        }
        let mut out = Vec::new();
        for c in &news {
            let name = names::container_name(self.d.slug(), &self.svc.name, c.replica());
            engine
                .rename(&c.id, &name)
                .await
                .map_err(|e| fail(e.into()))?;
            out.push(engine.inspect(&c.id).await.map_err(|e| fail(e.into()))?);
        }
        Ok(out)
    }

    /// Stops and removes containers, all at once, with a short graceful stop.
    async fn remove_all(&self, cs: &[ContainerInfo]) -> Result<(), DeployError> {
        let engine = self.d.engine();
        let results = futures_util::future::join_all(cs.iter().map(|c| async move {
            let _ = engine.stop(&c.id, STOP_TIMEOUT_S).await;
            engine.remove(&c.id).await
        }))
        .await;
        for r in results {
            r?;
        }
        Ok(())
    }
}

fn cancelled(service: &str, when: &str) -> DeployError {
    DeployError::Cancelled {
        service: service.to_string(),
        detail: when.to_string(),
    }
}

impl Unit for ContainerUnit<'_> {
    fn containers(&self) -> Fut<'_, Vec<ContainerInfo>> {
        self.list().boxed()
    }

    fn prepare<'a>(
        &'a self,
        plan: &'a Plan,
        rec: &'a ServiceRecord,
        existing: &'a [ContainerInfo],
        rebuild: bool,
    ) -> Fut<'a, Prepared> {
        async move {
            let ctx = build_context(plan).await?;
            let hash = ctx.tag().to_string();
            let image = format!("{}:{hash}", plan.image_repo);
            let desired = if rec.is_deleted() {
                1
            } else {
                rec.desired_replicas.max(1)
            };
            let current: Vec<&ContainerInfo> = existing
                .iter()
                .filter(|c| !names::is_pending(&c.name))
                .collect();
            let same = !current.is_empty()
                && current.len() as u32 == desired
                && current
                    .iter()
                    .all(|c| c.label(runtime::LABEL_HASH) == Some(hash.as_str()));
            if !rebuild && same && current.iter().all(|c| c.running()) {
                return Ok(Prepared::Unchanged);
            }
            Ok(Prepared::Work(Work {
                data: serde_json::json!({
                    "image": image,
                    "hash": hash,
                    "replicas": desired,
                    "rebuild": rebuild,
                }),
                image: Some(image),
                hash: Some(hash),
                context: Some(ctx.tar),
                start_only: same && !rebuild,
                desired,
            }))
        }
        .boxed()
    }

    fn build<'a>(
        &'a self,
        plan: &'a Plan,
        work: &'a mut Work,
        nocache: bool,
        cx: &'a OpCx,
    ) -> Fut<'a, bool> {
        async move {
            let (Some(image), false) = (work.image.clone(), work.start_only) else {
                return Ok(false);
            };
            let engine = self.d.engine();
            if !nocache && engine.image_exists(&image).await? {
                cx.send(Progress::Cached {
                    service: self.svc.name.clone(),
                    image,
                });
                return Ok(false);
            }
            let t = Instant::now();
            cx.step(Step::Build, &image);
            let dockerfile = plan
                .dockerfile_name
                .clone()
                .unwrap_or_else(|| "Dockerfile".into());
            let tar = work.context.take().unwrap_or_default();
            // no build labels: each would add a build step (an intermediate container) to
            // every build; the tag `kyozo/<workspace>-<service>:<hash>` identifies the image
            engine
                .build(tar, &dockerfile, &image, &[], nocache, |line| {
                    let (BuildLine::Output(s) | BuildLine::Status(s)) = line;
                    cx.output(s);
                })
                .await?;
            cx.finished(Step::Build, t);
            Ok(true)
        }
        .boxed()
    }

    fn replace<'a>(
        &'a self,
        plan: &'a Plan,
        work: &'a Work,
        existing: &'a [ContainerInfo],
        cx: &'a OpCx,
    ) -> BoxFuture<'a, Result<Vec<ContainerInfo>, Failure>> {
        async move {
            let engine = self.d.engine();
            let (pending, current): (Vec<ContainerInfo>, Vec<ContainerInfo>) = existing
                .iter()
                .cloned()
                .partition(|c| names::is_pending(&c.name));
            let had_old = current.iter().any(ContainerInfo::running);
            let fail = |error: DeployError| Failure {
                error,
                rolled_back: had_old,
                cancelled: false,
            };
            // what an interrupted replacement left
            for c in &pending {
                engine.remove(&c.id).await.map_err(|e| fail(e.into()))?;
            }
            if work.start_only {
                // same content, some replicas stopped: start them
                for c in current.iter().filter(|c| !c.running()) {
                    cx.step(Step::Start, &c.name);
                    self.d.ensure_network().await.map_err(fail)?;
                    engine.start(&c.id).await.map_err(|e| fail(e.into()))?;
                }
                return self.ready(plan, &current, cx).await.map_err(|e| Failure {
                    cancelled: matches!(e, DeployError::Cancelled { .. }),
                    error: e,
                    rolled_back: false,
                });
            }
            let (Some(image), Some(hash)) = (&work.image, &work.hash) else {
                return Err(fail(DeployError::Other("no image to run".into())));
            };
            self.replace_all(plan, image, hash, work.desired, &current, cx)
                .await
        }
        .boxed()
    }

    fn remove<'a>(&'a self, cs: &'a [ContainerInfo]) -> Fut<'a, ()> {
        self.remove_all(cs).boxed()
    }

    fn start<'a>(&'a self, cs: &'a [ContainerInfo]) -> Fut<'a, ()> {
        async move {
            if cs.iter().any(|c| !c.running()) {
                self.d.ensure_network().await?;
            }
            for c in cs.iter().filter(|c| !c.running()) {
                self.d.engine().start(&c.id).await?;
            }
            Ok(())
        }
        .boxed()
    }

    fn stop<'a>(&'a self, cs: &'a [ContainerInfo]) -> Fut<'a, ()> {
        async move {
            let engine = self.d.engine();
            let rs = futures_util::future::join_all(
                cs.iter()
                    .filter(|c| c.running() || c.state == ContainerState::Restarting)
                    .map(|c| engine.stop(&c.id, STOP_TIMEOUT_S)),
            )
            .await;
            for r in rs {
                r?;
            }
            Ok(())
        }
        .boxed()
    }

    fn restart<'a>(&'a self, cs: &'a [ContainerInfo]) -> Fut<'a, ()> {
        async move {
            self.d.ensure_network().await?;
            for c in cs {
                self.d.engine().restart(&c.id, STOP_TIMEOUT_S).await?;
            }
            Ok(())
        }
        .boxed()
    }

    fn scale<'a>(&'a self, plan: &'a Plan, cs: &'a [ContainerInfo], to: u32) -> Fut<'a, ()> {
        async move {
            let mut current: Vec<ContainerInfo> = cs
                .iter()
                .filter(|c| !names::is_pending(&c.name))
                .cloned()
                .collect();
            current.sort_by_key(ContainerInfo::replica);
            if to == 0 {
                // stopped, kept: scaling up again starts them
                return self.stop(&current).await;
            }
            let keep = (to as usize).min(current.len());
            let doomed = current.split_off(keep);
            self.remove_all(&doomed).await?;
            self.start(&current).await?;
            if let Some(first) = current.first().or(doomed.first()) {
                let image = first.image.clone();
                let hash = first.label(runtime::LABEL_HASH).unwrap_or("").to_string();
                let taken: Vec<u32> = current.iter().map(ContainerInfo::replica).collect();
                let mut n = 1;
                let mut added = current.len() as u32;
                while added < to {
                    if !taken.contains(&n) {
                        self.create_replica(plan, &image, &hash, n, false, None)
                            .await?;
                        added += 1;
                    }
                    n += 1;
                }
            }
            Ok(())
        }
        .boxed()
    }

    fn desired(&self, rec: Option<&ServiceRecord>, cs: &[ContainerInfo]) -> u32 {
        rec.map(|r| r.desired_replicas)
            .unwrap_or(cs.iter().filter(|c| !names::is_pending(&c.name)).count() as u32)
    }

    fn probe<'a>(&'a self, plan: &'a Plan, infos: &'a [ContainerInfo]) -> BoxFuture<'a, Probe> {
        async move {
            let running: Vec<ContainerInfo> =
                infos.iter().filter(|c| c.running()).cloned().collect();
            health::judge(self.d, plan, &running).await
        }
        .boxed()
    }

    fn drifted<'a>(
        &'a self,
        cs: &'a [ContainerInfo],
        rec: Option<&'a ServiceRecord>,
    ) -> BoxFuture<'a, bool> {
        async move {
            if cs.is_empty() {
                return false;
            }
            let deployed = cs
                .first()
                .and_then(|c| c.label(runtime::LABEL_HASH).map(str::to_string))
                .or_else(|| rec.and_then(|r| r.content_hash.clone()));
            let Some(deployed) = deployed else {
                return false;
            };
            match self.d.content_hash(self.svc).await {
                Some(now) => now != deployed,
                None => false,
            }
        }
        .boxed()
    }

    fn repair<'a>(&'a self, previous: &'a [String]) -> Fut<'a, ()> {
        async move {
            let engine = self.d.engine();
            let cs = self.list().await?;
            let (pending, current): (Vec<ContainerInfo>, Vec<ContainerInfo>) =
                cs.into_iter().partition(|c| names::is_pending(&c.name));
            if current.is_empty() && pending.iter().any(ContainerInfo::running) {
                // the old ones were gone already: the new ones finish the replacement
                for c in &pending {
                    let name = names::container_name(self.d.slug(), &self.svc.name, c.replica());
                    engine.rename(&c.id, &name).await?;
                }
                return Ok(());
            }
            for c in &pending {
                engine.remove(&c.id).await?;
            }
            let stopped: Vec<&ContainerInfo> = current
                .iter()
                .filter(|c| !c.running() && previous.contains(&c.id))
                .collect();
            if !stopped.is_empty() {
                self.d.ensure_network().await?;
            }
            for c in stopped {
                engine.start(&c.id).await?;
            }
            Ok(())
        }
        .boxed()
    }
}
