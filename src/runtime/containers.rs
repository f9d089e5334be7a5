//! Containers: create, start, stop, restart, rename, remove, list, inspect.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HealthStatusEnum, HostConfig,
    NetworkingConfig, PortBinding, PortSummaryTypeEnum, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    RenameContainerOptionsBuilder, RestartContainerOptionsBuilder, StopContainerOptionsBuilder,
};

use super::{
    ContainerInfo, ContainerSpec, ContainerState, Engine, EngineHealth, ErrorKind, Filter,
    RuntimeError, short,
};

impl Engine {
    /// Creates a container; returns its id.
    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<String, RuntimeError> {
        let mut port_bindings = HashMap::new();
        let mut exposed = Vec::new();
        for p in &spec.ports {
            let key = format!("{}/tcp", p.container);
            exposed.push(key.clone());
            port_bindings.insert(
                key,
                Some(vec![PortBinding {
                    host_ip: None,
                    host_port: Some(p.host.map(|h| h.to_string()).unwrap_or_default()),
                }]),
            );
        }
        let networking_config = spec.network.as_ref().map(|n| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                n.clone(),
                EndpointSettings {
                    aliases: Some(spec.aliases.clone()),
                    ..Default::default()
                },
            )])),
        });
        let healthcheck = spec.health.as_ref().map(|h| HealthConfig {
            // no test of our own: the image's HEALTHCHECK runs with these settings
            test: h
                .shell
                .as_ref()
                .map(|s| vec!["CMD-SHELL".into(), s.clone()]),
            interval: Some(h.interval.as_nanos() as i64),
            timeout: Some(h.timeout.as_nanos() as i64),
            retries: Some(i64::from(h.retries)),
            start_period: Some(h.start_period.as_nanos() as i64),
            start_interval: None,
        });
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: spec.cmd.clone(),
            env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            labels: Some(spec.labels.iter().cloned().collect()),
            exposed_ports: Some(exposed),
            healthcheck,
            host_config: Some(HostConfig {
                port_bindings: Some(port_bindings),
                memory: spec.memory_bytes,
                nano_cpus: spec.nano_cpus,
                network_mode: spec.network.clone(),
                init: Some(spec.init),
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                    maximum_retry_count: None,
                }),
                ..Default::default()
            }),
            networking_config,
            ..Default::default()
        };
        let opts = CreateContainerOptionsBuilder::new()
            .name(&spec.name)
            .build();
        let r = self
            .docker
            .create_container(Some(opts), body)
            .await
            .map_err(|e| RuntimeError::engine(format!("create container {}", spec.name), e))?;
        Ok(r.id)
    }

    /// Renames a container.
    pub async fn rename(&self, id: &str, name: &str) -> Result<(), RuntimeError> {
        let opts = RenameContainerOptionsBuilder::new().name(name).build();
        self.docker.rename_container(id, opts).await.map_err(|e| {
            RuntimeError::engine(format!("rename container {} to {name}", short(id)), e)
        })
    }

    pub async fn start(&self, id: &str) -> Result<(), RuntimeError> {
        self.docker
            .start_container(id, None)
            .await
            .map_err(|e| RuntimeError::engine(format!("start container {}", short(id)), e))
    }

    /// Stops a container, killing it after `timeout_s`.
    pub async fn stop(&self, id: &str, timeout_s: i32) -> Result<(), RuntimeError> {
        let opts = StopContainerOptionsBuilder::new().t(timeout_s).build();
        match self.docker.stop_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            // already stopped
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(e) => Err(RuntimeError::engine(
                format!("stop container {}", short(id)),
                e,
            )),
        }
    }

    pub async fn restart(&self, id: &str, timeout_s: i32) -> Result<(), RuntimeError> {
        let opts = RestartContainerOptionsBuilder::new().t(timeout_s).build();
        self.docker
            .restart_container(id, Some(opts))
            .await
            .map_err(|e| RuntimeError::engine(format!("restart container {}", short(id)), e))
    }

    /// Removes a container (forced: a running one is killed), with its anonymous volumes.
    pub async fn remove(&self, id: &str) -> Result<(), RuntimeError> {
        let opts = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        match self.docker.remove_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) => match RuntimeError::engine(format!("remove container {}", short(id)), e) {
                RuntimeError::NotFound(_) => Ok(()),
                // removal already in progress
                e if e.kind() == ErrorKind::Conflict => Ok(()),
                other => Err(other),
            },
        }
    }

    /// Lists containers matching the filter, ordered by replica number then name.
    pub async fn list(&self, filter: &Filter) -> Result<Vec<ContainerInfo>, RuntimeError> {
        let labels: Vec<String> = filter
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let filters = HashMap::from([("label".to_string(), labels)]);
        let opts = ListContainersOptionsBuilder::new()
            .all(filter.all)
            .filters(&filters)
            .build();
        let list = self
            .docker
            .list_containers(Some(opts))
            .await
            .map_err(|e| RuntimeError::engine("list containers", e))?;
        let mut out: Vec<ContainerInfo> = list
            .into_iter()
            .map(|c| {
                let ports = published(
                    c.ports
                        .unwrap_or_default()
                        .iter()
                        .filter(|p| {
                            !matches!(
                                p.typ,
                                Some(PortSummaryTypeEnum::UDP | PortSummaryTypeEnum::SCTP)
                            )
                        })
                        .filter_map(|p| {
                            p.public_port
                                .map(|h| (p.private_port, p.ip.as_deref().unwrap_or(""), h))
                        }),
                );
                ContainerInfo {
                    id: c.id.unwrap_or_default(),
                    name: c
                        .names
                        .and_then(|n| n.into_iter().next())
                        .unwrap_or_default()
                        .trim_start_matches('/')
                        .to_string(),
                    image: c.image.unwrap_or_default(),
                    labels: c.labels.unwrap_or_default(),
                    state: ContainerState::parse(
                        &c.state.map(|s| s.to_string()).unwrap_or_default(),
                    ),
                    health: None,
                    ports,
                    created: c.created.unwrap_or_default(),
                    started_at_ms: None,
                    exit_code: None,
                    error: None,
                    restart_count: 0,
                }
            })
            .collect();
        out.sort_by(|a, b| (a.replica(), &a.name).cmp(&(b.replica(), &b.name)));
        Ok(out)
    }

    /// Full details of one container, health included.
    pub async fn inspect(&self, id: &str) -> Result<ContainerInfo, RuntimeError> {
        let c = self
            .docker
            .inspect_container(id, None)
            .await
            .map_err(|e| RuntimeError::engine(format!("inspect container {}", short(id)), e))?;
        let state = c.state.unwrap_or_default();
        let health = state
            .health
            .as_ref()
            .and_then(|h| h.status)
            .and_then(|s| match s {
                HealthStatusEnum::STARTING => Some(EngineHealth::Starting),
                HealthStatusEnum::HEALTHY => Some(EngineHealth::Healthy),
                HealthStatusEnum::UNHEALTHY => Some(EngineHealth::Unhealthy),
                _ => None,
            });
        let mut bound = Vec::new();
        if let Some(map) = c.network_settings.and_then(|n| n.ports) {
            for (key, bindings) in map {
                let Some(cport) = key.strip_suffix("/tcp").and_then(|p| p.parse::<u16>().ok())
                else {
                    continue;
                };
                for b in bindings.unwrap_or_default() {
                    if let Some(h) = b.host_port.and_then(|h| h.parse::<u16>().ok()) {
                        bound.push((cport, b.host_ip.unwrap_or_default(), h));
                    }
                }
            }
        }
        let ports = published(bound.iter().map(|(c, ip, h)| (*c, ip.as_str(), *h)));
        let config = c.config.unwrap_or_default();
        let started_at_ms = state
            .started_at
            .as_deref()
            .and_then(|s| humantime::parse_rfc3339_weak(s.split('.').next().unwrap_or(s)).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
            .filter(|ms| *ms > 0);
        Ok(ContainerInfo {
            id: c.id.unwrap_or_default(),
            name: c
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image: config.image.unwrap_or_default(),
            labels: config.labels.unwrap_or_default(),
            state: ContainerState::parse(&state.status.map(|s| s.to_string()).unwrap_or_default()),
            health,
            ports,
            created: 0,
            started_at_ms,
            exit_code: state.exit_code,
            error: state.error.filter(|e| !e.is_empty()),
            restart_count: c.restart_count.unwrap_or_default(),
        })
    }
}

/// The host ports a container publishes, `(container, host)`, from its bindings `(container, host
/// ip, host)`. An engine that publishes on IPv4 and IPv6 may give the two different host ports
/// (Docker 20.10 does for engine-chosen ones); kyozo reaches ports on IPv4, so a port's IPv6
/// bindings count only when it has no IPv4 one.
fn published<'a>(bindings: impl Iterator<Item = (u16, &'a str, u16)>) -> Vec<(u16, u16)> {
    let all: Vec<(u16, bool, u16)> = bindings
        .map(|(c, ip, h)| (c, ip.contains(':'), h))
        .collect();
    let mut ports: Vec<(u16, u16)> = all
        .iter()
        .filter(|(c, v6, _)| !*v6 || !all.iter().any(|(c2, v6b, _)| c2 == c && !*v6b))
        .map(|(c, _, h)| (*c, *h))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

#[cfg(test)]
mod tests {
    use super::published;

    #[test]
    fn ipv4_bindings_win_over_ipv6_ones_of_the_same_port() {
        let b = [
            (8080, "::", 32997),
            (8080, "0.0.0.0", 32998),
            (9000, "::", 40000),
            (80, "", 8081),
        ];
        assert_eq!(
            published(b.iter().copied()),
            vec![(80, 8081), (8080, 32998), (9000, 40000)]
        );
    }
}
