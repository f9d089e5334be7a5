//! Dependencies between services: hard edges from compose `depends_on`, soft edges from configuration
//! values, code literals and proxy upstreams that name another service's host.

use std::collections::{BTreeMap, HashMap};

use super::evidence::Links;
use super::model::{Dependency, EdgeKind, Service};

/// Evidence of one service, beside the service itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence<'a> {
    pub env: &'a [(String, String)],
    pub code_hosts: &'a [String],
    pub proxy_targets: &'a [String],
    /// Container env of the Kubernetes workloads that run this service.
    pub manifest_env: &'a [(String, String)],
}

/// One dependency edge between services (indices into the service list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The dependent service.
    pub from: usize,
    /// The service it must deploy after: the named service, or the stack of a named stack member.
    pub to: usize,
    pub kind: EdgeKind,
    /// The name the evidence names (a service or a stack member).
    pub name: String,
    pub evidence: String,
    /// Stated after the fact (a callback address set on a service once the others are defined):
    /// a soft edge that yields to the others when they form a cycle.
    pub late: bool,
}

/// Key suffixes whose values are never service hosts (`POSTGRES_DATABASE=api` names a database).
const NEVER: [&str; 7] = [
    "_USER",
    "_USERNAME",
    "_DATABASE",
    "_NAME",
    "_PASSWORD",
    "_DB",
    "_PASS",
];

/// Key suffixes whose values may name a host.
const HOST_KEYS: [&str; 8] = [
    "_URL",
    "_URI",
    "_HOST",
    "_ADDR",
    "_ADDRESS",
    "_ENDPOINT",
    "_DSN",
    "_SERVER",
];

/// The host names a configuration value names (`DATABASE_URL=postgres://u:p@db:5432/x` gives `db`;
/// `REDIS_HOST=cache` gives `cache`; `AUTH_ADDR=auth:8081` gives `auth`). Lower-cased.
pub fn hosts_of(key: &str, value: &str) -> Vec<String> {
    let k = key.to_ascii_uppercase();
    if NEVER.iter().any(|s| k.ends_with(s)) {
        return Vec::new();
    }
    let key_ok = HOST_KEYS.iter().any(|s| k.ends_with(s));
    let url = value.contains("://");
    if !key_ok && !url {
        return Vec::new();
    }
    let mut out = Vec::new();
    for part in value.split([',', ' ', ';']).filter(|p| !p.is_empty()) {
        let authority = match part.split_once("://") {
            Some((_, rest)) => rest,
            None if key_ok => part,
            None => continue,
        };
        let authority = authority.split(['/', '?', '#']).next().unwrap_or(authority);
        let hostport = authority.rsplit('@').next().unwrap_or(authority);
        let host = if hostport.starts_with('[') {
            continue;
        } else {
            hostport.split(':').next().unwrap_or(hostport)
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            continue;
        }
        let h = host.to_ascii_lowercase();
        if !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

/// Resolves every dependency edge and fills `depends_on` and `dependencies` of each service.
/// `evidence[i]` belongs to `services[i]`; `links` holds what the evidence across files found: the
/// source folders of stack members, edges it stated, other host names of services.
pub fn resolve(services: &mut [Service], evidence: &[Evidence<'_>], links: &Links) -> Vec<Edge> {
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, s) in services.iter().enumerate() {
        by_name.entry(s.name.to_ascii_lowercase()).or_insert(i);
    }
    let index_of = |name: &str| by_name.get(&name.to_ascii_lowercase()).copied();
    // (stack, member) -> source folder; source folder -> its member.
    let mut source_of: HashMap<(usize, &str), usize> = HashMap::new();
    let mut member_of: HashMap<usize, String> = HashMap::new();
    for src in &links.sources {
        if let (Some(st), Some(f)) = (index_of(&src.stack), index_of(&src.folder)) {
            source_of.entry((st, src.member.as_str())).or_insert(f);
            member_of
                .entry(f)
                .or_insert_with(|| src.member.to_ascii_lowercase());
        }
    }
    // Other host names: (target, listed name).
    let mut alias: HashMap<&str, (usize, &str)> = HashMap::new();
    for a in &links.aliases {
        if let Some(t) = index_of(&a.service) {
            alias.entry(a.host.as_str()).or_insert((t, a.name.as_str()));
        }
    }
    // Stack member name -> (stack index); first stack in path order wins.
    let mut by_member: HashMap<String, usize> = HashMap::new();
    for (i, s) in services.iter().enumerate() {
        for m in &s.members {
            by_member.entry(m.name.to_ascii_lowercase()).or_insert(i);
        }
    }
    let mut edges: Vec<Edge> = Vec::new();
    // Edges the evidence across files stated (an app on its backing services, overlays).
    for e in &links.edges {
        if let (Some(from), Some(to)) = (index_of(&e.from), index_of(&e.to))
            && from != to
        {
            edges.push(Edge {
                from,
                to,
                kind: e.kind,
                name: e.name.clone(),
                evidence: e.evidence.clone(),
                late: e.late,
            });
        }
    }
    // Hard edges from compose depends_on.
    for (si, s) in services.iter().enumerate() {
        for m in &s.members {
            // The folder this member's image comes from, when it is a listed service.
            let member_folder = source_of.get(&(si, m.name.as_str())).copied();
            for d in &m.depends_on {
                let cond = m
                    .conditions
                    .get(d)
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default();
                let evidence = format!("compose {} depends_on {d}{cond}", m.name);
                if s.members.iter().any(|x| &x.name == d) {
                    // Inside the stack: recorded in members; the member's build folder depends on it.
                    if let Some(mf) = member_folder {
                        edges.push(Edge {
                            from: mf,
                            to: si,
                            kind: EdgeKind::Hard,
                            name: d.clone(),
                            evidence,
                            late: false,
                        });
                    }
                    continue;
                }
                let target = by_name
                    .get(&d.to_ascii_lowercase())
                    .copied()
                    .or_else(|| by_member.get(&d.to_ascii_lowercase()).copied());
                if let Some(t) = target
                    && t != si
                {
                    edges.push(Edge {
                        from: si,
                        to: t,
                        kind: EdgeKind::Hard,
                        name: d.clone(),
                        evidence,
                        late: false,
                    });
                }
            }
        }
    }
    // Soft edges from configuration values, code literals and proxy upstreams.
    for (i, ev) in evidence.iter().enumerate().take(services.len()) {
        let s = &services[i];
        let own_member: Option<&String> = member_of.get(&i);
        let mut candidates: Vec<(String, String)> = Vec::new();
        for (k, v) in ev.env {
            for h in hosts_of(k, v) {
                candidates.push((h, format!("env {k}={v}")));
            }
        }
        for (k, v) in ev.manifest_env {
            for h in hosts_of(k, v) {
                candidates.push((h, format!("kubernetes env {k}={v}")));
            }
        }
        for h in ev.code_hosts {
            candidates.push((h.to_ascii_lowercase(), format!("code literal {h}")));
        }
        for h in ev.proxy_targets {
            candidates.push((h.to_ascii_lowercase(), format!("proxy upstream {h}")));
        }
        for (host, evidence) in candidates {
            if host == s.name.to_ascii_lowercase() || Some(&host) == own_member {
                continue;
            }
            if let Some(&t) = by_name.get(&host) {
                // A stack never depends on the folders its own members come from.
                let own_source = services[t].stack.as_deref() == Some(s.name.as_str());
                if t != i && !own_source {
                    edges.push(Edge {
                        from: i,
                        to: t,
                        kind: EdgeKind::Soft,
                        name: services[t].name.clone(),
                        evidence,
                        late: false,
                    });
                }
                continue;
            }
            if let Some(&st) = by_member.get(&host) {
                // A stack's own members are internal to it.
                if st == i {
                    continue;
                }
                let name = services[st]
                    .members
                    .iter()
                    .find(|m| m.name.to_ascii_lowercase() == host)
                    .map_or(host.clone(), |m| m.name.clone());
                edges.push(Edge {
                    from: i,
                    to: st,
                    kind: EdgeKind::Soft,
                    name,
                    evidence,
                    late: false,
                });
                continue;
            }
            if let Some(&(t, name)) = alias.get(host.as_str())
                && t != i
                && services[t].stack.as_deref() != Some(s.name.as_str())
            {
                edges.push(Edge {
                    from: i,
                    to: t,
                    kind: EdgeKind::Soft,
                    name: name.to_string(),
                    evidence,
                    late: false,
                });
            }
        }
    }
    // One dependency per named target; a hard edge wins over a soft one, first evidence kept.
    let mut per: Vec<BTreeMap<String, Dependency>> = vec![BTreeMap::new(); services.len()];
    for e in &edges {
        let entry = per[e.from].entry(e.name.clone()).or_insert(Dependency {
            name: e.name.clone(),
            kind: e.kind,
            evidence: e.evidence.clone(),
        });
        if e.kind == EdgeKind::Hard && entry.kind == EdgeKind::Soft {
            entry.kind = EdgeKind::Hard;
            entry.evidence = e.evidence.clone();
        }
    }
    for (s, deps) in services.iter_mut().zip(per) {
        s.depends_on = deps.keys().cloned().collect();
        s.dependencies = deps.into_values().collect();
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_from_values() {
        assert_eq!(
            hosts_of("DATABASE_URL", "postgres://u:p@db:5432/x"),
            vec!["db"]
        );
        assert_eq!(hosts_of("REDIS_HOST", "cache"), vec!["cache"]);
        assert_eq!(hosts_of("AUTH_ADDR", "auth:8081"), vec!["auth"]);
        assert_eq!(hosts_of("UPSTREAM", "http://Api:4000/v1"), vec!["api"]);
        assert_eq!(
            hosts_of("KAFKA_SERVER", "k1:9092,k2:9092"),
            vec!["k1", "k2"]
        );
        assert!(hosts_of("POSTGRES_DATABASE", "api").is_empty());
        assert!(hosts_of("POSTGRES_USER", "auth").is_empty());
        assert!(hosts_of("SERVICE_NAME", "api").is_empty());
        assert!(hosts_of("MODE", "api").is_empty());
        assert!(hosts_of("LISTEN_ADDR", "[::]:80").is_empty());
    }

    #[test]
    fn kubernetes_env_is_soft_evidence() {
        use crate::detect::model::ServiceType;
        let svc = |name: &str| Service::new(name, name, ServiceType::Containerized, 0.9);
        let mut services = vec![svc("frontend"), svc("cartservice")];
        let manifest = vec![
            (
                "CART_SERVICE_ADDR".to_string(),
                "cartservice:7070".to_string(),
            ),
            ("PORT".to_string(), "8080".to_string()),
        ];
        let evidence = vec![
            Evidence {
                manifest_env: &manifest,
                ..Evidence::default()
            },
            Evidence::default(),
        ];
        let edges = resolve(&mut services, &evidence, &Links::default());
        assert_eq!(edges.len(), 1);
        assert_eq!(edges[0].kind, EdgeKind::Soft);
        assert_eq!(services[0].depends_on, vec!["cartservice"]);
        assert_eq!(
            services[0].dependencies[0].evidence,
            "kubernetes env CART_SERVICE_ADDR=cartservice:7070"
        );
    }
}
