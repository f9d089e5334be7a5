//! Per-folder combination: every analyzer looks at one folder; the strongest finding decides the
//! service type and weaker findings contribute evidence. [`analyze_folder`] is a pure function of the
//! folder's files, so a caller (the cockpit's watcher) can cache its result per folder and recompute
//! only the folders that changed.

use super::ANALYZERS;
use super::compose;
use super::envfile;
use super::finding::{Finding, Rank};
use super::folder::Folder;
use super::model::{Diagnostic, HealthCheck, ResourceLimits, Service, ServiceType};
use super::ports::{self, PortHint};

/// What the analysis of one folder gave.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderResult {
    /// Workspace-relative path (`.` for the root).
    pub rel: String,
    /// The folder's own name (the root gives the workspace folder's name).
    pub folder_name: String,
    /// The service the folder is, when it is one.
    pub service: Option<Draft>,
    /// Problems found while reading this folder's files.
    pub diagnostics: Vec<Diagnostic>,
}

/// A service before workspace-wide assembly (names, stacks, dependencies, order).
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// The service with everything the folder alone tells; `name` is empty, `depends_on`,
    /// `dependencies` and `stack` are not filled yet.
    pub service: Service,
    /// All port evidence of the folder (the assembly adds compose evidence for build contexts).
    pub hints: Vec<PortHint>,
    /// `KEY=value` pairs seen in configuration: dependency evidence.
    pub env_evidence: Vec<(String, String)>,
    /// Hosts named by literals in entry code.
    pub code_hosts: Vec<String>,
    /// Upstream hosts of a proxy.
    pub proxy_targets: Vec<String>,
    /// For a compose stack: port evidence per member (same order as `service.members`) for the
    /// member's build folder.
    pub member_hints: Vec<Vec<PortHint>>,
}

fn is_language(f: &Finding) -> bool {
    matches!(f.rank, Rank::Language | Rank::Framework)
}

/// Analyzes one folder: runs every analyzer of [`ANALYZERS`] and combines their findings.
pub fn analyze_folder(folder: &Folder) -> FolderResult {
    let mut diagnostics = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    for analyzer in ANALYZERS {
        if let Some(mut f) = analyzer(folder, &mut diagnostics) {
            diagnostics.append(&mut f.diagnostics);
            findings.push(f);
        }
    }
    let service = combine(folder, findings);
    let service = service.map(|mut d| {
        if d.service.kind == ServiceType::ComposeStack {
            let mut scratch = Vec::new();
            if let Some(stack) = compose::parse(folder, &mut scratch) {
                d.member_hints = stack.member_hints;
            }
        }
        d
    });
    diagnostics.sort();
    diagnostics.dedup();
    FolderResult {
        rel: folder.rel.clone(),
        folder_name: folder.name(),
        service,
        diagnostics,
    }
}

/// Combines the findings of one folder into a service draft (see PRODUCT.md section 3, precedence).
pub fn combine(folder: &Folder, mut findings: Vec<Finding>) -> Option<Draft> {
    // package.json is the weakest language signal: beside another language's manifest it is a helper.
    let other_language = findings
        .iter()
        .any(|f| is_language(f) && !f.helper_only && f.kind != ServiceType::Nodejs);
    if other_language {
        for f in findings.iter_mut() {
            if f.kind == ServiceType::Nodejs && is_language(f) {
                f.helper_only = true;
            }
        }
    }
    let aggregated = findings.iter().any(|f| f.aggregator);
    // The winner: highest rank, then confidence; the first (strongest analyzer) among equals.
    let mut winner: Option<usize> = None;
    for (i, f) in findings.iter().enumerate() {
        if f.helper_only || f.aggregator {
            continue;
        }
        if aggregated && f.rank < Rank::Dockerfile {
            continue;
        }
        let better = match winner {
            None => true,
            Some(w) => {
                let b = &findings[w];
                f.rank > b.rank || (f.rank == b.rank && f.confidence > b.confidence)
            }
        };
        if better {
            winner = Some(i);
        }
    }
    let w = winner?;
    // Evidence order: the winner first, then the others strongest first.
    let mut order: Vec<usize> = (0..findings.len()).filter(|i| *i != w).collect();
    order.sort_by(|a, b| findings[*b].rank.cmp(&findings[*a].rank));
    order.insert(0, w);
    let win = &findings[w];

    let mut technologies: Vec<String> = Vec::new();
    let mut add_tech = |t: &str| {
        if !technologies.iter().any(|x| x == t) {
            technologies.push(t.to_string());
        }
    };
    if win.rank >= Rank::Dockerfile {
        // A container or stack is described by the language found beside it first.
        for i in order.iter().skip(1) {
            if is_language(&findings[*i]) {
                findings[*i].technologies.iter().for_each(|t| add_tech(t));
            }
        }
    }
    for i in &order {
        findings[*i].technologies.iter().for_each(|t| add_tech(t));
    }

    let mut indicators: Vec<String> = Vec::new();
    let mut hints: Vec<PortHint> = Vec::new();
    let mut env_evidence: Vec<(String, String)> = Vec::new();
    let mut code_hosts: Vec<String> = Vec::new();
    let mut proxy_targets: Vec<String> = Vec::new();
    for i in &order {
        let f = &findings[*i];
        for x in &f.indicators {
            if !indicators.contains(x) {
                indicators.push(x.clone());
            }
        }
        hints.extend(f.ports.iter().copied());
        for kv in &f.env_evidence {
            if !env_evidence.contains(kv) {
                env_evidence.push(kv.clone());
            }
        }
        for h in &f.code_hosts {
            if !code_hosts.contains(h) {
                code_hosts.push(h.clone());
            }
        }
        for h in &f.proxy_targets {
            if !proxy_targets.contains(h) {
                proxy_targets.push(h.clone());
            }
        }
    }
    for file in [".env", ".env.example"] {
        if let Some(text) = folder.read_opt(file) {
            for kv in envfile::parse(&text) {
                if !env_evidence.contains(&kv) {
                    env_evidence.push(kv);
                }
            }
        }
    }

    // Confidence: agreement raises it, two language manifests claiming the folder lower it.
    let mut confidence = win.confidence;
    let resolved = ports::resolve(&hints);
    let agrees = order.iter().skip(1).any(|i| {
        let f = &findings[*i];
        let same_port = resolved.is_some() && f.ports.iter().any(|h| Some(h.port) == resolved);
        let same_tech = win
            .technologies
            .first()
            .is_some_and(|t| f.technologies.contains(t))
            || (win.rank >= Rank::Dockerfile && is_language(f));
        same_port || same_tech
    });
    if agrees {
        confidence += 0.05;
    }
    let mut languages: Vec<ServiceType> = findings
        .iter()
        .filter(|f| is_language(f) && !f.helper_only && !f.aggregator)
        .map(|f| f.kind)
        .collect();
    languages.sort();
    languages.dedup();
    if languages.len() > 1 {
        confidence -= 0.1;
    }
    let confidence = (confidence.clamp(0.1, 0.99) * 100.0).round() / 100.0;

    let start_command = order
        .iter()
        .find_map(|i| findings[*i].start_command.clone());
    let health_path = order.iter().find_map(|i| findings[*i].health_path.clone());
    let dockerfile = order.iter().find_map(|i| findings[*i].dockerfile.clone());
    let mut health_check = HealthCheck::default();
    if let Some(p) = health_path {
        health_check.path = p;
    }
    let kind = win.kind;
    let mut service = Service {
        name: String::new(),
        path: folder.rel.clone(),
        kind,
        confidence,
        indicators,
        technologies,
        port: None,
        ports: Vec::new(),
        start_command,
        env: win.env.clone(),
        health_check,
        resource_limits: ResourceLimits::default(),
        depends_on: Vec::new(),
        deployable: kind.deployable(),
        members: win.members.clone(),
        stack: None,
        dockerfile,
        dependencies: Vec::new(),
    };
    apply_ports(&mut service, &hints);
    Some(Draft {
        service,
        hints,
        env_evidence,
        code_hosts,
        proxy_targets,
        member_hints: Vec::new(),
    })
}

/// Sets `port`, `ports` and the `PORT` env default from the port evidence.
pub fn apply_ports(service: &mut Service, hints: &[PortHint]) {
    service.port = ports::resolve(hints);
    service.ports = ports::ordered(hints);
    let wants_port_env = !matches!(
        service.kind,
        ServiceType::ComposeStack
            | ServiceType::Infrastructure
            | ServiceType::Proxy
            | ServiceType::Static
    );
    if wants_port_env && let Some(p) = service.port {
        service.env.insert("PORT".to_string(), p.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::ports::PortSource;

    fn finding(kind: ServiceType, rank: Rank, conf: f64, tech: &[&str]) -> Finding {
        let mut f = Finding::new(kind, rank, conf);
        for t in tech {
            f.tech(t);
        }
        f
    }

    #[test]
    fn dockerfile_beats_node_and_takes_its_language_first() {
        let folder = Folder::new("/nonexistent/api", "api");
        let mut d = finding(ServiceType::Containerized, Rank::Dockerfile, 0.9, &[]);
        d.ports.push(PortHint::new(4000, PortSource::Expose));
        let mut n = finding(
            ServiceType::Nodejs,
            Rank::Framework,
            0.85,
            &["node", "express"],
        );
        n.ports
            .push(PortHint::new(3000, PortSource::FrameworkDefault));
        n.env.insert("NODE_ENV".into(), "production".into());
        let s = combine(&folder, vec![d, n]).unwrap().service;
        assert_eq!(s.kind, ServiceType::Containerized);
        assert_eq!(s.technologies, vec!["node", "express"]);
        assert_eq!(s.port, Some(4000));
        assert_eq!(s.ports, vec![4000, 3000]);
        assert_eq!(s.confidence, 0.95);
        assert_eq!(s.env.get("PORT").map(String::as_str), Some("4000"));
        assert!(!s.env.contains_key("NODE_ENV"));
    }

    #[test]
    fn helpers_aggregators_and_conflicts() {
        let folder = Folder::new("/nonexistent/x", "x");
        let mut helper = finding(ServiceType::Nodejs, Rank::Language, 0.8, &["node"]);
        helper.helper_only = true;
        assert!(combine(&folder, vec![helper.clone()]).is_none());
        let mut agg = finding(ServiceType::Nodejs, Rank::Language, 0.8, &["node"]);
        agg.aggregator = true;
        let py = finding(ServiceType::Python, Rank::Language, 0.8, &["python"]);
        assert!(combine(&folder, vec![agg.clone(), py.clone()]).is_none());
        let d = finding(ServiceType::Containerized, Rank::Dockerfile, 0.9, &[]);
        assert_eq!(
            combine(&folder, vec![d, agg]).unwrap().service.kind,
            ServiceType::Containerized
        );
        // package.json with a start script beside requirements.txt: python wins, no conflict.
        let node = finding(
            ServiceType::Nodejs,
            Rank::Framework,
            0.85,
            &["node", "express"],
        );
        let s = combine(&folder, vec![node, py.clone()]).unwrap().service;
        assert_eq!(s.kind, ServiceType::Python);
        assert_eq!(s.technologies, vec!["python", "node", "express"]);
        assert_eq!(s.confidence, 0.8);
        // Go and Rust manifests in one folder: a conflict.
        let go = finding(ServiceType::Golang, Rank::Language, 0.8, &["go"]);
        let s = combine(&folder, vec![go, py]).unwrap().service;
        assert_eq!(s.kind, ServiceType::Golang);
        assert_eq!(s.confidence, 0.7);
    }
}
