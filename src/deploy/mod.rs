//! Deployment: planning ([`plan`]: a detected service and the config become build and run specs,
//! generated Dockerfiles included), build contexts ([`context`]), and the operations of a
//! [`Deployer`] over units (the containers of a service, or a compose stack: [`unit`]): up wave
//! by wave, down, start, stop, restart, scale, status, logs, health; one operation per service at
//! a time across processes ([`lock`]), cancellable ([`cancel`]), every step recorded in the store.

pub mod cancel;
pub mod compose;
pub mod context;
mod deployer;
mod error;
pub mod health;
mod history;
mod lifecycle;
pub mod lock;
pub mod names;
mod observe;
pub mod plan;
mod progress;
mod readiness;
mod recover;
mod unit;
mod up;
mod waves;

pub use cancel::{Cancel, Cancels};
pub use deployer::{AUTOMATIC, DEFAULT_PARALLELISM, Deployer, STOP_TIMEOUT_S};
pub use error::DeployError;
pub use health::{Health, HealthReport};
pub use names::ValidationError;
pub use observe::{PortPair, ReplicaStats, Replicas, ServiceLogLine, ServiceStatus, sum_samples};
pub use plan::{Plan, PlanError, plan};
pub use progress::{OpCx, Progress, Step};
pub use up::{UpOptions, UpReport};
pub use waves::waves;
