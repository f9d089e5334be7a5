//! What went wrong in a deploy operation.

use super::compose::ComposeError;
use super::context::ContextError;
use super::names::ValidationError;
use super::plan::PlanError;
use crate::runtime::RuntimeError;
use crate::store::StoreError;

/// What went wrong in a deploy operation.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    Runtime(#[from] RuntimeError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Context(#[from] ContextError),
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Compose(#[from] ComposeError),
    #[error("no service `{0}` in this workspace")]
    UnknownService(String),
    #[error("{0} is not deployed (run `kyozo up {0}`)")]
    NotDeployed(String),
    /// The operation failed for this service. `rolled_back`: the version that ran before keeps
    /// running.
    #[error("{service}: {message}")]
    Service {
        service: String,
        message: String,
        rolled_back: bool,
    },
    /// Cancelled at a safe point; what ran before runs again.
    #[error("{service}: cancelled ({detail})")]
    Cancelled { service: String, detail: String },
    /// Another operation (in this process or another kyozo process) holds the service.
    #[error("{service}: {holder}")]
    Busy { service: String, holder: String },
    /// A replica count outside the service's scaling limits.
    #[error(
        "{service}: replicas stay between {min} and {max} (its scaling limits), or 0 to stop it; asked {asked}"
    )]
    Bounds {
        service: String,
        min: u32,
        max: u32,
        asked: u32,
    },
    /// The workspace network's name is taken by a network kyozo did not make for this workspace.
    #[error(
        "network {0} exists and was not created by kyozo for this workspace: remove or rename it (kyozo does not adopt it)"
    )]
    ForeignNetwork(String),
    #[error("{0}")]
    Other(String),
}

impl DeployError {
    /// A failure of `service` with this message (nothing was rolled back).
    pub fn service(service: &str, message: impl Into<String>) -> DeployError {
        DeployError::Service {
            service: service.to_string(),
            message: message.into(),
            rolled_back: false,
        }
    }

    /// The message without the service name in front (for the service's own event).
    pub fn message_for(&self, service: &str) -> String {
        match self {
            DeployError::Service { message, .. } => message.clone(),
            DeployError::Runtime(RuntimeError::Build(m)) => format!("build failed: {m}"),
            other => {
                let full = other.to_string();
                full.strip_prefix(&format!("{service}: "))
                    .unwrap_or(&full)
                    .to_string()
            }
        }
    }
}
