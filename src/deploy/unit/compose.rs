//! A compose stack, run by the engine's compose tool under project `kyozo-<workspace>-<stack>` and
//! observed through compose's labels. Members whose image the repository builds (detection's
//! `source`) get that image built first, so the stack starts offline.

use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::{Failure, Fut, Prepared, Unit, Work};
use crate::deploy::compose;
use crate::deploy::context;
use crate::deploy::deployer::{Deployer, STOP_TIMEOUT_S};
use crate::deploy::error::DeployError;
use crate::deploy::health::{Health, Probe};
use crate::deploy::names;
use crate::deploy::plan::Plan;
use crate::deploy::progress::{OpCx, Step};
use crate::deploy::readiness::READY_TIMEOUT;
use crate::detect::Service;
use crate::runtime::{self, BuildLine, ContainerInfo, EngineHealth, Filter};
use crate::store::ServiceRecord;

/// A compose stack.
pub(crate) struct ComposeUnit<'a> {
    d: &'a Deployer,
    svc: &'a Service,
}

impl<'a> ComposeUnit<'a> {
    pub(crate) fn new(d: &'a Deployer, svc: &'a Service) -> Self {
        ComposeUnit { d, svc }
    }

    fn project(&self) -> String {
        names::compose_project(self.d.slug(), &self.svc.name)
    }

    async fn list(&self) -> Result<Vec<ContainerInfo>, DeployError> {
        let filter = Filter {
            labels: vec![(runtime::LABEL_COMPOSE_PROJECT.to_string(), self.project())],
            all: true,
        };
        Ok(self.d.engine().list(&filter).await?)
    }

    async fn action(&self, args: &[&str]) -> Result<String, DeployError> {
        let plan = self.d.plan(self.svc)?;
        let Some(cp) = plan.compose.clone() else {
            return Err(DeployError::Other(format!(
                "{} is not a compose stack",
                self.svc.name
            )));
        };
        Ok(compose::run(&cp, &plan.context_dir, self.d.engine().endpoint(), args).await?)
    }

    /// `compose down` of a stack: orphans too, and the short stop timeout of kyozo's own
    /// containers (compose waits 10 s per container by default).
    async fn down(&self) -> Result<(), DeployError> {
        let timeout = STOP_TIMEOUT_S.to_string();
        self.action(&["down", "--remove-orphans", "-t", &timeout])
            .await
            .map(|_| ())
    }

    /// `down --remove-orphans` of a stack without containers, quietly: nothing may be there, or
    /// compose may not read the file that made `up` fail; the project's default network is then
    /// removed directly.
    async fn sweep(&self) {
        if self.down().await.is_err() {
            let _ = self
                .d
                .engine()
                .remove_network_if_empty(&format!("{}_default", self.project()))
                .await;
        }
    }

    /// Waits until no member is still starting its health check; fails when one is unhealthy.
    async fn wait(&self, cx: &OpCx) -> Result<Vec<ContainerInfo>, DeployError> {
        let engine = self.d.engine();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if cx.is_cancelled() {
                return Err(DeployError::Cancelled {
                    service: self.svc.name.clone(),
                    detail: "while waiting for the members".into(),
                });
            }
            let mut infos = Vec::new();
            for c in self.list().await? {
                infos.push(engine.inspect(&c.id).await?);
            }
            if let Some(c) = infos
                .iter()
                .find(|c| c.health == Some(EngineHealth::Unhealthy))
            {
                return Err(DeployError::Other(format!(
                    "container {} is unhealthy",
                    c.name
                )));
            }
            if !infos
                .iter()
                .any(|c| c.health == Some(EngineHealth::Starting))
            {
                return Ok(infos);
            }
            if Instant::now() > deadline {
                return Err(DeployError::Other(format!(
                    "not ready after {}s",
                    READY_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Builds the image of every member whose image the repository builds from a folder of its
    /// own, under the member's image name.
    async fn build_sources(&self, nocache: bool, cx: &OpCx) -> Result<bool, DeployError> {
        let root = self.d.root().to_path_buf();
        let mut built = false;
        for m in &self.svc.members {
            let (Some(source), Some(image)) = (&m.source, &m.image) else {
                continue;
            };
            let dir = if source == "." {
                root.clone()
            } else {
                root.join(source)
            };
            let dockerfile = ["Dockerfile", "Containerfile", "dockerfile"]
                .into_iter()
                .find(|f| dir.join(f).is_file());
            let Some(dockerfile) = dockerfile else {
                continue;
            };
            let ctx = {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || context::build(&dir, &[]))
                    .await
                    .map_err(|e| DeployError::Other(format!("context task failed: {e}")))??
            };
            let t = Instant::now();
            cx.step(
                Step::Build,
                format!("{image} (member {} from {source})", m.name),
            );
            self.d
                .engine()
                .build(ctx.tar, dockerfile, image, &[], nocache, |line| {
                    let (BuildLine::Output(s) | BuildLine::Status(s)) = line;
                    cx.output(s);
                })
                .await?;
            cx.finished(Step::Build, t);
            built = true;
        }
        Ok(built)
    }
}

impl Unit for ComposeUnit<'_> {
    fn containers(&self) -> Fut<'_, Vec<ContainerInfo>> {
        self.list().boxed()
    }

    fn prepare<'a>(
        &'a self,
        _plan: &'a Plan,
        _rec: &'a ServiceRecord,
        _existing: &'a [ContainerInfo],
        rebuild: bool,
    ) -> Fut<'a, Prepared> {
        // compose itself decides what to recreate: `up -d` runs every time
        let data = serde_json::json!({ "compose_project": self.project(), "rebuild": rebuild });
        async move {
            Ok(Prepared::Work(Work {
                image: None,
                hash: None,
                context: None,
                start_only: false,
                desired: 0,
                data,
            }))
        }
        .boxed()
    }

    fn build<'a>(
        &'a self,
        _plan: &'a Plan,
        _work: &'a mut Work,
        nocache: bool,
        cx: &'a OpCx,
    ) -> Fut<'a, bool> {
        self.build_sources(nocache, cx).boxed()
    }

    fn replace<'a>(
        &'a self,
        plan: &'a Plan,
        _work: &'a Work,
        _existing: &'a [ContainerInfo],
        cx: &'a OpCx,
    ) -> BoxFuture<'a, Result<Vec<ContainerInfo>, Failure>> {
        async move {
            let fail = |error: DeployError| Failure {
                cancelled: matches!(error, DeployError::Cancelled { .. }),
                error,
                rolled_back: false,
            };
            let Some(cp) = plan.compose.clone() else {
                return Err(fail(DeployError::Other(format!(
                    "{} is not a compose stack",
                    self.svc.name
                ))));
            };
            cx.step(Step::Compose, format!("up -d ({})", cp.project));
            let out = compose::run(
                &cp,
                &plan.context_dir,
                self.d.engine().endpoint(),
                &["up", "-d", "--remove-orphans"],
            )
            .await
            .map_err(|e| fail(e.into()))?;
            for line in out.lines().filter(|l| !l.trim().is_empty()) {
                cx.output(line);
            }
            let t = Instant::now();
            cx.step(Step::Wait, "members running, healthy where checked");
            let ready = self.wait(cx).await.map_err(fail)?;
            cx.finished(Step::Wait, t);
            Ok(ready)
        }
        .boxed()
    }

    fn remove<'a>(&'a self, cs: &'a [ContainerInfo]) -> Fut<'a, ()> {
        async move {
            if cs.is_empty() {
                // a failed `up` leaves the project network (and perhaps orphans) behind
                self.sweep().await;
                Ok(())
            } else {
                self.down().await
            }
        }
        .boxed()
    }

    fn start<'a>(&'a self, _cs: &'a [ContainerInfo]) -> Fut<'a, ()> {
        async move { self.action(&["start"]).await.map(|_| ()) }.boxed()
    }

    fn stop<'a>(&'a self, _cs: &'a [ContainerInfo]) -> Fut<'a, ()> {
        async move {
            let t = STOP_TIMEOUT_S.to_string();
            self.action(&["stop", "-t", &t]).await.map(|_| ())
        }
        .boxed()
    }

    fn restart<'a>(&'a self, _cs: &'a [ContainerInfo]) -> Fut<'a, ()> {
        async move {
            let t = STOP_TIMEOUT_S.to_string();
            self.action(&["restart", "-t", &t]).await.map(|_| ())
        }
        .boxed()
    }

    fn scale<'a>(&'a self, _plan: &'a Plan, _cs: &'a [ContainerInfo], _to: u32) -> Fut<'a, ()> {
        let name = self.svc.name.clone();
        async move {
            Err(DeployError::Other(format!(
                "{name} is a compose stack: set replicas of its members in its compose file"
            )))
        }
        .boxed()
    }

    fn desired(&self, rec: Option<&ServiceRecord>, cs: &[ContainerInfo]) -> u32 {
        // a stack's members are its replicas; the compose file sets their number
        if cs.is_empty() {
            rec.map_or(0, |r| r.desired_replicas)
        } else {
            cs.len() as u32
        }
    }

    fn probe<'a>(&'a self, _plan: &'a Plan, running: &'a [ContainerInfo]) -> BoxFuture<'a, Probe> {
        async move { stack_health(running) }.boxed()
    }

    fn drifted<'a>(
        &'a self,
        _cs: &'a [ContainerInfo],
        _rec: Option<&'a ServiceRecord>,
    ) -> BoxFuture<'a, bool> {
        async { false }.boxed()
    }

    fn repair<'a>(&'a self, _previous: &'a [String]) -> Fut<'a, ()> {
        // compose converges on its own: the next `up` finishes what was left
        async { Ok(()) }.boxed()
    }
}

/// The health of a compose stack from its members: each member by its own check where the
/// compose file (or its image) defines one, by its running state otherwise.
fn stack_health(members: &[ContainerInfo]) -> Probe {
    if let Some(c) = members.iter().find(|c| !c.running()) {
        return Probe::new(Health::Unhealthy, format!("{}: not running", c.name));
    }
    if let Some(c) = members
        .iter()
        .find(|c| c.health == Some(EngineHealth::Unhealthy))
    {
        return Probe::new(
            Health::Unhealthy,
            format!("{}: engine check unhealthy", c.name),
        );
    }
    if let Some(c) = members
        .iter()
        .find(|c| c.health == Some(EngineHealth::Starting))
    {
        return Probe::new(
            Health::Unknown,
            format!("{}: engine check starting", c.name),
        );
    }
    Probe::new(
        Health::Healthy,
        "all members running, healthy where checked",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::ContainerState;

    fn member(name: &str, state: ContainerState, health: Option<EngineHealth>) -> ContainerInfo {
        ContainerInfo {
            id: name.into(),
            name: name.into(),
            image: "kyozo-base/busybox:latest".into(),
            labels: Default::default(),
            state,
            health,
            ports: vec![],
            created: 0,
            started_at_ms: None,
            exit_code: None,
            error: None,
            restart_count: 0,
        }
    }

    #[test]
    fn a_stack_is_healthy_when_checked_members_are_and_the_rest_run() {
        use ContainerState::{Exited, Running};
        use EngineHealth::{Healthy, Starting, Unhealthy};
        let h = |ms: &[ContainerInfo]| stack_health(ms).health;
        // one member with a check, one without: the mix that stayed `unknown` before
        let mixed = [
            member("db-postgres-1", Running, Some(Healthy)),
            member("db-cache-1", Running, None),
        ];
        assert_eq!(h(&mixed), Health::Healthy);
        let starting = [
            member("db-postgres-1", Running, Some(Starting)),
            member("db-cache-1", Running, None),
        ];
        assert_eq!(h(&starting), Health::Unknown);
        let sick = [
            member("db-postgres-1", Running, Some(Unhealthy)),
            member("db-cache-1", Running, None),
        ];
        assert_eq!(h(&sick), Health::Unhealthy);
        assert!(stack_health(&sick).reason.contains("db-postgres-1"));
        let down = [
            member("db-postgres-1", Running, Some(Healthy)),
            member("db-cache-1", Exited, None),
        ];
        assert_eq!(h(&down), Health::Unhealthy);
        assert!(
            stack_health(&down)
                .reason
                .contains("db-cache-1: not running")
        );
    }
}
