//! Kubernetes workloads as evidence for the folders their images are built from. A container's image
//! maps to a folder through [`super::images`] (a `skaffold.yaml` artifact, a Maven/Gradle image
//! build, the image's last path segment equal to a folder or service name), else the workload's name
//! names a service. The folder takes the container's `containerPort`s (as compose container ports
//! are taken), its env (literal values, `configMapKeyRef`s and `envFrom` ConfigMaps of the
//! workspace's manifests, the same folder's first) for its port (`PORT=8080` is runtime config) and
//! its environment, and the dependencies that env names. Kubernetes Service names and workload names
//! become host names of the folder's service.

use std::collections::HashMap;

use super::super::combine::{self, FolderResult};
use super::super::kube::{ConfigMap, EnvValue, Workload};
use super::super::model::ServiceType;
use super::super::ports::{self, PortHint, PortSource};
use super::images::ImageIndex;
use super::{Alias, Drafts, Links, by_path, push_pair};

/// Applies every workload of the workspace's manifests to the folders it runs.
pub fn apply(
    drafts: &mut Drafts<'_>,
    results: &[FolderResult],
    images: &ImageIndex,
    links: &mut Links,
) {
    if results.iter().all(|r| r.manifests.workloads.is_empty()) {
        return;
    }
    let index = by_path(drafts);
    let by_name: HashMap<String, usize> = drafts
        .iter()
        .enumerate()
        .filter(|(_, (_, d))| target_kind(d.service.kind))
        .map(|(i, (_, d))| (d.service.name.to_ascii_lowercase(), i))
        .collect();
    // ConfigMaps by (folder, name) and by name (the first one found).
    let mut maps_here: HashMap<(&str, &str), &ConfigMap> = HashMap::new();
    let mut maps: HashMap<&str, &ConfigMap> = HashMap::new();
    for r in results {
        for m in &r.manifests.config_maps {
            maps_here
                .entry((r.rel.as_str(), m.name.as_str()))
                .or_insert(m);
            maps.entry(m.name.as_str()).or_insert(m);
        }
    }
    for r in results {
        let map_of = |name: &str| {
            maps_here
                .get(&(r.rel.as_str(), name))
                .or_else(|| maps.get(name))
                .copied()
        };
        let mut workload_target: Vec<(&Workload, usize)> = Vec::new();
        for w in &r.manifests.workloads {
            for (ci, c) in w.containers.iter().enumerate() {
                let by_image = images
                    .folder_of(&c.image, &r.rel, false)
                    .and_then(|dir| index.get(&dir).copied())
                    .filter(|&i| target_kind(drafts[i].1.service.kind));
                let by_workload = || {
                    (ci == 0)
                        .then(|| by_name.get(&w.name.to_ascii_lowercase()).copied())
                        .flatten()
                };
                let Some(t) = by_image.or_else(by_workload) else {
                    continue;
                };
                if !workload_target.iter().any(|(x, _)| std::ptr::eq(*x, w)) {
                    workload_target.push((w, t));
                }
                let mut env: Vec<(String, String)> = Vec::new();
                for from in &c.env_from {
                    if let Some(m) = map_of(from) {
                        for kv in &m.data {
                            push_pair(&mut env, kv.clone());
                        }
                    }
                }
                for (k, v) in &c.env {
                    let value = match v {
                        EnvValue::Literal(s) => Some(s.clone()),
                        EnvValue::ConfigMapKey { map, key } => map_of(map).and_then(|m| {
                            m.data
                                .iter()
                                .find(|(x, _)| x == key)
                                .map(|(_, y)| y.clone())
                        }),
                    };
                    if let Some(val) = value {
                        env.retain(|(x, _)| x != k);
                        env.push((k.clone(), val));
                    }
                }
                let d = &mut drafts[t].1;
                let own_stack = d.service.stack.is_some();
                if !own_stack {
                    for p in &c.ports {
                        d.hints
                            .push(PortHint::new(*p, PortSource::ComposeContainer));
                    }
                    let map: std::collections::BTreeMap<String, String> =
                        env.iter().cloned().collect();
                    if let Some(p) = ports::port_from_env_with(&map, &d.port_vars) {
                        d.hints.push(PortHint::new(p, PortSource::RuntimeConfig));
                    }
                    for (k, v) in &env {
                        if k != "PORT" && !v.is_empty() {
                            d.service.env.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                    let hints = d.hints.clone();
                    combine::apply_ports(&mut d.service, &hints);
                }
                for kv in env {
                    push_pair(&mut d.manifest_env, kv);
                }
            }
        }
        // Host names: the workload's own name and the Services that select its pods.
        for (w, t) in workload_target {
            let service = drafts[t].1.service.name.clone();
            let mut hosts = vec![w.name.to_ascii_lowercase()];
            for s in &r.manifests.services {
                let selects =
                    !s.selector.is_empty() && s.selector.iter().all(|kv| w.labels.contains(kv));
                if selects {
                    hosts.push(s.name.to_ascii_lowercase());
                }
            }
            for host in hosts {
                if host != service.to_ascii_lowercase()
                    && !links.aliases.iter().any(|a| a.host == host)
                {
                    links.aliases.push(Alias {
                        host,
                        service: service.clone(),
                        name: service.clone(),
                    });
                }
            }
        }
    }
}

/// Whether a manifest's container can run a service of this type (not a stack, not Terraform).
fn target_kind(k: ServiceType) -> bool {
    !matches!(k, ServiceType::ComposeStack | ServiceType::Infrastructure)
}
