//! One abstraction for what kyozo deploys as one piece: a [`Unit`]. Two kinds exist:
//! [`ContainerUnit`], the containers kyozo creates for a service from its image (replicas), and
//! [`ComposeUnit`], a compose stack run by the compose tool. The operations (`up`, `lifecycle`,
//! `observe`, `health`, `recover`) are written once against this trait; `Deployer::unit` is the
//! one place that picks the implementation, so another kind (a Swarm service) is one more
//! implementation and one more line there.

mod compose;
mod containers;

pub(crate) use compose::ComposeUnit;
pub(crate) use containers::ContainerUnit;

use futures_util::future::BoxFuture;

use super::error::DeployError;
use super::health::Probe;
use super::plan::Plan;
use super::progress::OpCx;
use crate::runtime::ContainerInfo;
use crate::store::ServiceRecord;

/// A unit's future.
pub(crate) type Fut<'a, T> = BoxFuture<'a, Result<T, DeployError>>;

/// What `up` has to do to a unit.
pub(crate) enum Prepared {
    /// What runs is what the folder would deploy now.
    Unchanged,
    Work(Work),
}

/// The work of one `up`.
pub(crate) struct Work {
    /// The image the unit runs (`repo:hash`), where it runs one.
    pub image: Option<String>,
    /// The content hash of the build context, where there is one.
    pub hash: Option<String>,
    /// The build context, when an image may have to be built.
    pub context: Option<Vec<u8>>,
    /// Same content, some replicas stopped: only start them.
    pub start_only: bool,
    /// The replica count to run.
    pub desired: u32,
    /// The data of the deployment events.
    pub data: serde_json::Value,
}

/// How a failed replacement ended.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: DeployError,
    /// What ran before runs again (it was kept, or started again).
    pub rolled_back: bool,
    /// It was cancelled, not failed.
    pub cancelled: bool,
}

/// A deployable unit of one service.
pub(crate) trait Unit: Send + Sync {
    /// Its containers (a stack's members), stopped ones included.
    fn containers(&self) -> Fut<'_, Vec<ContainerInfo>>;

    /// Compares what runs (`existing`) with what the folder would deploy now.
    fn prepare<'a>(
        &'a self,
        plan: &'a Plan,
        rec: &'a ServiceRecord,
        existing: &'a [ContainerInfo],
        rebuild: bool,
    ) -> Fut<'a, Prepared>;

    /// Builds the images `work` needs; `Ok(true)` when something was built.
    fn build<'a>(
        &'a self,
        plan: &'a Plan,
        work: &'a mut Work,
        nocache: bool,
        cx: &'a OpCx,
    ) -> Fut<'a, bool>;

    /// Puts the new version in place of what runs and waits until it is ready. On failure or
    /// cancel, what ran before runs again where the unit can restore it.
    fn replace<'a>(
        &'a self,
        plan: &'a Plan,
        work: &'a Work,
        existing: &'a [ContainerInfo],
        cx: &'a OpCx,
    ) -> BoxFuture<'a, Result<Vec<ContainerInfo>, Failure>>;

    /// Stops and removes these containers (all of the unit's; a stack also sweeps what a failed
    /// start left when there are none).
    fn remove<'a>(&'a self, cs: &'a [ContainerInfo]) -> Fut<'a, ()>;

    fn start<'a>(&'a self, cs: &'a [ContainerInfo]) -> Fut<'a, ()>;

    fn stop<'a>(&'a self, cs: &'a [ContainerInfo]) -> Fut<'a, ()>;

    fn restart<'a>(&'a self, cs: &'a [ContainerInfo]) -> Fut<'a, ()>;

    /// Runs `to` replicas (0: stopped, kept).
    fn scale<'a>(&'a self, plan: &'a Plan, cs: &'a [ContainerInfo], to: u32) -> Fut<'a, ()>;

    /// The replica count it should run.
    fn desired(&self, rec: Option<&ServiceRecord>, cs: &[ContainerInfo]) -> u32;

    /// Judges its health from its containers (inspected, stopped ones included).
    fn probe<'a>(&'a self, plan: &'a Plan, infos: &'a [ContainerInfo]) -> BoxFuture<'a, Probe>;

    /// Whether its folder changed since what runs was built.
    fn drifted<'a>(
        &'a self,
        cs: &'a [ContainerInfo],
        rec: Option<&'a ServiceRecord>,
    ) -> BoxFuture<'a, bool>;

    /// Repairs what an interrupted operation left: `previous` are the ids of the containers that
    /// ran before it began.
    fn repair<'a>(&'a self, previous: &'a [String]) -> Fut<'a, ()>;
}
