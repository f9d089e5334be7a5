//! Per-folder combination: every analyzer looks at one folder; the strongest finding decides the
//! service type and weaker findings contribute evidence. [`analyze_folder`] is a pure function of the
//! folder's files, so a caller (the cockpit's watcher) can cache its result per folder and recompute
//! only the folders that changed.

use std::collections::HashSet;

use super::ANALYZERS;
use super::aspire;
use super::compose;
use super::dapr;
use super::envfile;
use super::finding::{Finding, Rank};
use super::folder::Folder;
use super::kube;
use super::model::{Diagnostic, HealthCheck, Service, ServiceType};
use super::ports::{self, PortHint, PortSource};
use super::skaffold;

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
    /// Kubernetes workloads, ConfigMaps and Services declared in this folder's manifests: evidence
    /// for the folders their images are built from.
    pub manifests: kube::Manifests,
    /// What this folder's files say about other folders (a `dapr.yaml`'s apps: port, command).
    pub folder_hints: Vec<dapr::FolderHint>,
    /// Compose overlays of this folder (`compose.*.yaml`, `docker-compose-*.yml`): evidence for the
    /// folders they build, never deployed on their own.
    pub overlays: Vec<compose::Stack>,
    /// Images this folder's `skaffold.yaml` builds, with their folders.
    pub artifacts: Vec<skaffold::Artifact>,
    /// The .NET Aspire app host in this folder: the projects it runs and their dependencies.
    pub app_host: Option<aspire::AppHost>,
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
    /// For a compose stack: the parsed file (per member: port evidence, environment, Dockerfile,
    /// other host names), for the folders its members are built from.
    pub compose: Option<Box<compose::Stack>>,
    /// For a compose stack: what the folder is without its compose file (its Dockerfile or
    /// language), for a compose file that only runs the app's backing services or that is a dev
    /// alternative of an enclosing stack.
    pub without_compose: Option<Box<Draft>>,
    /// Container images the folder's own build produces (Maven/Gradle image builds).
    pub images: Vec<String>,
    /// Container env of the Kubernetes workloads that run this folder (filled by the assembly).
    pub manifest_env: Vec<(String, String)>,
    /// The folder is a Dockerfile whose image starts nothing (a build tool image).
    pub tool_image: bool,
    /// Folders (relative to this one) its Dockerfile copies into the image.
    pub copies: Vec<String>,
    /// Folders (relative to this one) that are part of it: libraries it uses, page folders.
    pub parts: Vec<String>,
    /// Environment variables the entry code takes its listening port from.
    pub port_vars: Vec<String>,
}

/// Folders of development tools (dev containers, Docker Desktop dev environments, CI, editors): what
/// they hold configures a tool, it is not a service of the workspace.
pub const TOOLING_DIRS: &[&str] = &[
    ".devcontainer",
    ".docker",
    ".github",
    ".gitlab",
    ".circleci",
    ".buildkite",
    ".vscode",
    ".idea",
    ".husky",
];

/// Folders of test harnesses: a service found inside one is shown but never deployed.
pub const TEST_DIRS: &[&str] = &["test", "tests", "e2e", "__tests__", "integration-tests"];

/// Whether a workspace-relative path lies in (or is) a folder named in `names`.
fn under_any(rel: &str, names: &[&str]) -> bool {
    rel != "." && rel.split('/').any(|c| names.contains(&c))
}

fn is_language(f: &Finding) -> bool {
    matches!(f.rank, Rank::Language | Rank::Framework)
}

/// Analyzes one folder: runs every analyzer of [`ANALYZERS`] and combines their findings.
pub fn analyze_folder(folder: &Folder) -> FolderResult {
    let mut diagnostics = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let manifests = kube::manifests(folder, &mut diagnostics);
    let folder_hints = dapr::app_hints(folder, &mut diagnostics);
    if under_any(&folder.rel, TOOLING_DIRS) {
        return FolderResult {
            rel: folder.rel.clone(),
            folder_name: folder.name(),
            service: None,
            diagnostics,
            manifests,
            folder_hints,
            overlays: Vec::new(),
            artifacts: Vec::new(),
            app_host: None,
        };
    }
    let overlays = compose::overlays(folder, &mut diagnostics);
    let artifacts = skaffold::artifacts(folder, &mut diagnostics);
    let app_host = aspire::app_host(folder, &mut diagnostics);
    for analyzer in ANALYZERS {
        if let Some(mut f) = analyzer(folder, &mut diagnostics) {
            diagnostics.append(&mut f.diagnostics);
            findings.push(f);
        }
    }
    // What the folder is without its compose file, when the compose file wins.
    let rest: Vec<Finding> = if findings.iter().any(|f| f.rank == Rank::Compose) {
        findings
            .iter()
            .filter(|f| f.rank != Rank::Compose)
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let service = combine(folder, findings);
    let service = service.map(|mut d| {
        let test_harness = under_any(&folder.rel, TEST_DIRS);
        if d.service.kind == ServiceType::ComposeStack {
            let mut scratch = Vec::new();
            d.compose = compose::parse(folder, &mut scratch).map(Box::new);
            d.without_compose = combine(folder, rest).map(|mut alt| {
                if test_harness {
                    alt.service.deployable = false;
                }
                Box::new(alt)
            });
        }
        if test_harness {
            d.service.deployable = false;
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
        manifests,
        folder_hints,
        overlays,
        artifacts,
        app_host,
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
    let mut port_vars: Vec<String> = Vec::new();
    let mut copies: Vec<String> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    let mut images: Vec<String> = Vec::new();
    // What each list holds already: the merges stay linear however much evidence a file gives.
    let mut seen_images: HashSet<String> = HashSet::new();
    let mut seen_copies: HashSet<String> = HashSet::new();
    let mut seen_env: HashSet<(String, String)> = HashSet::new();
    let mut seen_hosts: HashSet<String> = HashSet::new();
    let mut seen_targets: HashSet<String> = HashSet::new();
    for f in &findings {
        for im in &f.images {
            if seen_images.insert(im.clone()) {
                images.push(im.clone());
            }
        }
        for v in &f.port_vars {
            if !port_vars.contains(v) {
                port_vars.push(v.clone());
            }
        }
        for c in &f.copies {
            if seen_copies.insert(c.clone()) {
                copies.push(c.clone());
            }
        }
        for m in &f.parts {
            if !parts.contains(m) {
                parts.push(m.clone());
            }
        }
    }
    for i in &order {
        let f = &findings[*i];
        if f.rank == Rank::Dockerfile {
            // `ENV FLASK_SERVER_PORT=9091` for a variable the entry code listens on.
            for (k, v) in &f.env_evidence {
                if k != "PORT"
                    && port_vars.contains(k)
                    && let Some(p) = ports::env_value_port(k, v)
                {
                    hints.push(PortHint::new(p, PortSource::DockerfileEnv));
                }
            }
        }
        for x in &f.indicators {
            if !indicators.contains(x) {
                indicators.push(x.clone());
            }
        }
        hints.extend(f.ports.iter().copied());
        for kv in &f.env_evidence {
            if seen_env.insert(kv.clone()) {
                env_evidence.push(kv.clone());
            }
        }
        for h in &f.code_hosts {
            if seen_hosts.insert(h.clone()) {
                code_hosts.push(h.clone());
            }
        }
        for h in &f.proxy_targets {
            if seen_targets.insert(h.clone()) {
                proxy_targets.push(h.clone());
            }
        }
    }
    // Beside a compose file, `.env` holds the project's interpolation variables (often every
    // service's address, overlays' included), not one container's environment: the members'
    // `environment` entries that use them are the stack's evidence.
    if win.kind == ServiceType::ComposeStack {
        let dotenv: HashSet<(String, String)> = [".env", ".env.example"]
            .iter()
            .filter_map(|f| folder.env_file(f))
            .flat_map(envfile::parse)
            .collect();
        if !dotenv.is_empty() {
            let compose_pairs: HashSet<&(String, String)> = win.env_evidence.iter().collect();
            env_evidence.retain(|kv| compose_pairs.contains(kv) || !dotenv.contains(kv));
        }
    } else {
        for file in [".env", ".env.example"] {
            if let Some(text) = folder.env_file(file) {
                for kv in envfile::parse(text) {
                    if seen_env.insert(kv.clone()) {
                        env_evidence.push(kv);
                    }
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
        indicators,
        technologies,
        start_command,
        env: win.env.clone(),
        health_check,
        members: win.members.clone(),
        dockerfile,
        build_command: win.build_command.clone(),
        output_dir: win.output_dir.clone(),
        ..Service::new(String::new(), folder.rel.clone(), kind, confidence)
    };
    apply_ports(&mut service, &hints);
    Some(Draft {
        service,
        hints,
        env_evidence,
        code_hosts,
        proxy_targets,
        compose: None,
        without_compose: None,
        images,
        manifest_env: Vec::new(),
        tool_image: win.rank == Rank::Dockerfile && win.tool_image,
        copies,
        parts,
        port_vars,
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
        assert_eq!(s.ports, vec![4000]);
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

    #[test]
    fn tooling_folders_are_no_services_and_test_harnesses_are_not_deployed() {
        let (dir, _) = crate::detect::lang::testutil::temp(&[
            (".devcontainer/Dockerfile", "FROM node:20\n"),
            (
                ".docker/docker-compose.yaml",
                "services:\n  a:\n    build: ../a\n",
            ),
            (
                "result/tests/Dockerfile",
                "FROM node:20\nCMD [\"/app/tests.sh\"]\n",
            ),
        ]);
        let dc = crate::detect::lang::testutil::folder_of(
            &dir.path().join(".devcontainer"),
            ".devcontainer",
        );
        assert!(analyze_folder(&dc).service.is_none());
        let dd = crate::detect::lang::testutil::folder_of(&dir.path().join(".docker"), ".docker");
        assert!(analyze_folder(&dd).service.is_none());
        let t = crate::detect::lang::testutil::folder_of(
            &dir.path().join("result/tests"),
            "result/tests",
        );
        let s = analyze_folder(&t).service.unwrap().service;
        assert_eq!(s.kind, ServiceType::Containerized);
        assert!(!s.deployable);
        assert!(!under_any(".", TEST_DIRS));
        assert!(under_any("a/.github/actions/x", TOOLING_DIRS));
        assert!(!under_any("contest", TEST_DIRS));
    }

    #[test]
    fn a_dockerfile_env_sets_the_port_variable_the_code_listens_on() {
        let (_d, folder) = crate::detect::lang::testutil::temp(&[
            (
                "Dockerfile",
                "FROM python:3.12\nENV FLASK_SERVER_PORT=9091 DB_PORT=5432\nCMD [\"python\", \"server.py\"]\n",
            ),
            ("requirements.txt", "flask\n"),
            (
                "server.py",
                "import os\nfrom flask import Flask\napp = Flask(__name__)\nif __name__ == '__main__':\n    app.run(host='0.0.0.0', port=os.environ.get(\"FLASK_SERVER_PORT\", 9090))\n",
            ),
        ]);
        let d = analyze_folder(&folder).service.unwrap();
        assert_eq!(d.port_vars, vec!["FLASK_SERVER_PORT"]);
        assert_eq!(d.service.port, Some(9091));
        assert_eq!(d.service.ports, vec![9091, 9090]);
    }
}
