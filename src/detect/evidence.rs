//! Evidence across files: what files elsewhere in the workspace say about a folder. One pass over
//! the per-folder results, after names are assigned and before dependencies are resolved:
//!
//! - [`stacks`]: compose members and the folders their images are built from (a build context, the
//!   folder of a `build.dockerfile`, a folder whose image a member names), dev alternatives inside
//!   a folder an enclosing stack builds, compose files that only run an app's backing services,
//!   and overlays (`compose.*.yaml`) as evidence for the folders they build;
//! - [`manifests`]: Kubernetes workloads whose images are built from folders (via `skaffold.yaml`
//!   artifacts, Maven/Gradle image builds, or the image's last path segment), giving those folders
//!   their container ports, env and the dependencies the env names;
//! - [`images`]: the index from image names to folders both use.
//!
//! Everything is indexed once per detection (maps by path, name and image), never compared folder
//! by folder.

pub mod images;
pub mod manifests;
pub mod stacks;

use super::combine::{Draft, FolderResult};
use super::model::EdgeKind;

/// A folder that is the source of a stack member: its image is what the member runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The stack's service name.
    pub stack: String,
    /// The member's name in the compose file.
    pub member: String,
    /// The folder's service name.
    pub folder: String,
}

/// A dependency edge named by service names (indices change when services are sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedEdge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// The name the evidence names (a service or a stack member).
    pub name: String,
    pub evidence: String,
    /// A callback stated once the others are defined: yields to the others in a cycle.
    pub late: bool,
}

/// Another host name a service answers to (a Kubernetes Service or workload name, a compose
/// `container_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub host: String,
    /// The service that deploys it.
    pub service: String,
    /// The name a dependency on it is listed under.
    pub name: String,
}

/// What the evidence pass found beyond the drafts themselves, for dependency resolution.
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub sources: Vec<Source>,
    pub edges: Vec<NamedEdge>,
    pub aliases: Vec<Alias>,
}

/// The drafts of a workspace, each with the folder result it came from.
pub type Drafts<'a> = Vec<(&'a FolderResult, Draft)>;

/// Whether workspace-relative `outer` lies inside `inner` (`inner` is an ancestor of `outer`).
pub fn is_within(outer: &str, inner: &str) -> bool {
    inner == "."
        || outer
            .strip_prefix(inner)
            .is_some_and(|r| r.starts_with('/'))
}

/// Index of the first draft at each path.
pub fn by_path(drafts: &Drafts<'_>) -> std::collections::HashMap<String, usize> {
    let mut out = std::collections::HashMap::new();
    for (i, (_, d)) in drafts.iter().enumerate() {
        out.entry(d.service.path.clone()).or_insert(i);
    }
    out
}

/// A build tool image (a Dockerfile that starts nothing, [`Draft::tool_image`]) inside another
/// service's folder is a helper of that service (a code generator's image): shown, not deployed
/// (nor part of the stack that deploys the service: nothing builds it).
pub fn tool_images(drafts: &mut Drafts<'_>) {
    if !drafts.iter().any(|(_, d)| d.tool_image) {
        return;
    }
    let index = by_path(drafts);
    for i in 0..drafts.len() {
        let d = &drafts[i].1;
        if !d.tool_image || d.service.stack.is_some() || d.service.path == "." {
            continue;
        }
        let mut cur = super::walker::split_rel(&d.service.path).0;
        let owner = loop {
            if let Some(&o) = index.get(cur)
                && drafts[o].1.service.kind != super::model::ServiceType::ComposeStack
            {
                break Some(o);
            }
            if cur == "." {
                break None;
            }
            cur = super::walker::split_rel(cur).0;
        };
        if owner.is_some_and(|o| o != i) {
            drafts[i].1.service.deployable = false;
        }
    }
}

/// .NET Aspire app hosts: the dependencies they wire between the projects they run, the names those
/// projects are reached by; the host itself orchestrates a developer's machine and is not deployed.
pub fn app_hosts(drafts: &mut Drafts<'_>, results: &[FolderResult], links: &mut Links) {
    if results.iter().all(|r| r.app_host.is_none()) {
        return;
    }
    let index = by_path(drafts);
    for r in results {
        let Some(host) = &r.app_host else {
            continue;
        };
        if let Some(&h) = index.get(&r.rel) {
            drafts[h].1.service.deployable = false;
        }
        let name_at = |dir: &str| index.get(dir).map(|&i| drafts[i].1.service.name.clone());
        for (resource, dir) in &host.projects {
            if let Some(service) = name_at(dir)
                && !resource.eq_ignore_ascii_case(&service)
            {
                links.aliases.push(Alias {
                    host: resource.to_ascii_lowercase(),
                    service: service.clone(),
                    name: service,
                });
            }
        }
        for e in &host.edges {
            if let (Some(from), Some(to)) = (name_at(&e.from), name_at(&e.to)) {
                links.edges.push(NamedEdge {
                    name: to.clone(),
                    from,
                    to,
                    kind: e.kind,
                    evidence: e.evidence.clone(),
                    late: e.late,
                });
            }
        }
    }
}

/// Adds `(k, v)` to `list` unless it is there already.
pub fn push_pair(list: &mut Vec<(String, String)>, kv: (String, String)) {
    if !list.contains(&kv) {
        list.push(kv);
    }
}

#[cfg(test)]
mod tests;
