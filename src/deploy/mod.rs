//! Deployment: planning ([`plan`]: a detected service and the config become build and run specs,
//! generated Dockerfiles included), build contexts ([`context`]), and orchestration ([`Deployer`]:
//! up wave by wave, down, start, stop, restart, scale, status, logs, health), recording every step in
//! the store.

pub mod context;
pub mod names;
pub mod plan;

pub use names::ValidationError;
pub use plan::{Plan, PlanError, plan};
pub mod compose;
pub mod deployer;
pub mod health;

pub use deployer::{
    DeployError, Deployer, HealthReport, PortPair, Progress, ReplicaStats, Replicas,
    ServiceLogLine, ServiceStatus, Step, UpReport,
};
pub use health::Health;
