//! Networks: look up, create, remove. Which network a workspace uses and when it may go is decided
//! by `deploy`; here are only the engine calls.

use std::collections::HashMap;

use bollard::models::NetworkCreateRequest;
use bollard::query_parameters::ListNetworksOptionsBuilder;

use super::{Engine, RuntimeError};

/// A network as the engine shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInfo {
    pub id: String,
    pub name: String,
    pub labels: HashMap<String, String>,
    /// Containers attached now (running ones only: a stopped container is not attached).
    pub attached: usize,
}

impl Engine {
    /// The network named exactly `name`, if there is one.
    pub async fn network(&self, name: &str) -> Result<Option<NetworkInfo>, RuntimeError> {
        match self.docker.inspect_network(name, None).await {
            Ok(n) if n.name.as_deref() == Some(name) => Ok(Some(NetworkInfo {
                id: n.id.unwrap_or_default(),
                name: name.to_string(),
                labels: n.labels.unwrap_or_default(),
                attached: n.containers.map_or(0, |c| c.len()),
            })),
            // inspect also matches an id prefix: not the network of that name
            Ok(_) => Ok(None),
            Err(e) => match RuntimeError::engine(format!("inspect network {name}"), e) {
                RuntimeError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Whether a network of exactly this name exists.
    pub async fn network_exists(&self, name: &str) -> Result<bool, RuntimeError> {
        let filters = HashMap::from([("name".to_string(), vec![name.to_string()])]);
        let opts = ListNetworksOptionsBuilder::new().filters(&filters).build();
        let nets = self
            .docker
            .list_networks(Some(opts))
            .await
            .map_err(|e| RuntimeError::engine("list networks", e))?;
        Ok(nets.iter().any(|n| n.name.as_deref() == Some(name)))
    }

    /// Creates a labelled bridge network.
    pub async fn create_network(
        &self,
        name: &str,
        labels: &[(String, String)],
    ) -> Result<(), RuntimeError> {
        let req = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".into()),
            labels: Some(labels.iter().cloned().collect()),
            ..Default::default()
        };
        self.docker
            .create_network(req)
            .await
            .map(|_| ())
            .map_err(|e| RuntimeError::engine(format!("create network {name}"), e))
    }

    /// Removes a network; `false` when it was not there.
    pub async fn remove_network(&self, name: &str) -> Result<bool, RuntimeError> {
        match self.docker.remove_network(name).await {
            Ok(()) => Ok(true),
            Err(e) => match RuntimeError::engine(format!("remove network {name}"), e) {
                RuntimeError::NotFound(_) => Ok(false),
                other => Err(other),
            },
        }
    }

    /// Removes a network when no container is attached; returns whether it was removed.
    pub async fn remove_network_if_empty(&self, name: &str) -> Result<bool, RuntimeError> {
        match self.network(name).await? {
            Some(n) if n.attached == 0 => self.remove_network(name).await,
            _ => Ok(false),
        }
    }
}
