//! Topology detection: files in, [`Topology`] out. Pure: reads files, executes nothing, and imports no
//! async runtime, terminal, engine or database crate.
//!
//! The walker ([`walker`]) yields every kept [`Folder`]; every ecosystem analyzer in [`ANALYZERS`] looks
//! at each folder and may return a [`Finding`]; the core combines findings into services (precedence,
//! confidence, names), resolves dependencies ([`deps`]) and orders them into waves ([`order`]).

pub mod cache;
pub mod combine;
pub mod deps;
pub mod envfile;
pub mod evidence;
pub mod finding;
pub mod folder;
pub mod model;
pub mod names;
pub mod order;
pub mod overrides;
pub mod ports;
pub mod walker;
pub mod yaml;

pub mod lang;

pub mod aspire;
pub mod compose;
pub mod dapr;
pub mod deno;
pub mod dockerfile;
pub mod dotnet;
pub mod elixir;
pub mod golang;
pub mod java;
pub mod kube;
pub mod nginx;
pub mod node;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;
pub mod skaffold;
pub mod static_site;
pub mod terraform;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub use cache::{DetectCache, Detection, detect_cached};
pub use combine::{Draft, FolderResult, analyze_folder};
pub use finding::{Finding, Rank};
pub use folder::Folder;
pub use model::{
    Dependency, DeploySettings, Diagnostic, EdgeKind, HealthCheck, Member, ResourceLimits, Scaling,
    Service, ServiceType, Topology,
};

/// An ecosystem analyzer: looks at one folder, may claim it, and reports problems as diagnostics.
pub type Analyzer = fn(&Folder, &mut Vec<Diagnostic>) -> Option<Finding>;

/// Every analyzer, strongest signal first.
pub const ANALYZERS: &[Analyzer] = &[
    compose::analyze,
    dockerfile::analyze,
    node::analyze,
    python::analyze,
    golang::analyze,
    rust::analyze,
    java::analyze,
    ruby::analyze,
    php::analyze,
    dotnet::analyze,
    elixir::analyze,
    deno::analyze,
    static_site::analyze,
    nginx::analyze,
    terraform::analyze,
];

/// How to detect.
#[derive(Debug, Clone)]
pub struct DetectOptions {
    /// Size cap for every manifest or source file read ([`folder::DEFAULT_READ_CAP`] by default).
    pub read_cap: u64,
    /// Deepest folder level walked below the root (`None`: no limit).
    pub max_depth: Option<usize>,
    /// Threads for the walk and the analysis (`0`: chosen from the available CPUs).
    pub threads: usize,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            read_cap: folder::DEFAULT_READ_CAP,
            max_depth: None,
            threads: 0,
        }
    }
}

/// Why detection could not run at all (everything else is a [`Diagnostic`]).
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("{0}: no such folder")]
    NotFound(PathBuf),
    #[error("{0}: is not a folder")]
    NotAFolder(PathBuf),
    #[error("{path}: cannot be opened: {message}")]
    Unreadable { path: PathBuf, message: String },
}

/// Detects the topology of the workspace at `root`.
pub fn detect(root: &Path, opts: &DetectOptions) -> Result<Topology, DetectError> {
    let root = canonical_root(root)?;
    let (ov, mut diags) = overrides::load(&root, opts.read_cap);
    let (folders, walk_diags) = walker::walk_with(&root, &walk_options(opts, &ov));
    diags.extend(walk_diags);
    let results = analyze_all(&folders, opts.threads);
    Ok(assemble_with(&root, &results, &diags, &ov))
}

/// The walk of a detection: its options and the overrides file's `ignore` patterns.
fn walk_options(opts: &DetectOptions, ov: &overrides::Loaded) -> walker::WalkOptions {
    walker::WalkOptions {
        cap: opts.read_cap,
        max_depth: opts.max_depth,
        threads: opts.threads,
        follow_links: false,
        ignore: ov.overrides.ignore.clone(),
    }
}

/// The canonical absolute path of a workspace root, or why it cannot be one.
pub fn canonical_root(root: &Path) -> Result<PathBuf, DetectError> {
    let meta = match std::fs::metadata(root) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DetectError::NotFound(root.to_path_buf()));
        }
        Err(e) => {
            return Err(DetectError::Unreadable {
                path: root.to_path_buf(),
                message: e.to_string(),
            });
        }
    };
    if !meta.is_dir() {
        return Err(DetectError::NotAFolder(root.to_path_buf()));
    }
    std::fs::canonicalize(root).map_err(|e| DetectError::Unreadable {
        path: root.to_path_buf(),
        message: e.to_string(),
    })
}

/// Runs [`analyze_folder`] on every folder, in parallel; results keep the folders' order.
pub fn analyze_all(folders: &[Folder], threads: usize) -> Vec<FolderResult> {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
    .min(folders.len().max(1));
    if threads <= 1 {
        return folders.iter().map(analyze_folder).collect();
    }
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, FolderResult)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut local = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(f) = folders.get(i) else { break };
                        local.push((i, analyze_folder(f)));
                    }
                    local
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut all: Vec<(usize, FolderResult)> = parts.drain(..).flatten().collect();
    if all.len() < folders.len() {
        // A worker panicked: analyze what it lost here, so the result stays complete.
        let done: std::collections::BTreeSet<usize> = all.iter().map(|(i, _)| *i).collect();
        for (i, f) in folders.iter().enumerate() {
            if !done.contains(&i) {
                all.push((i, analyze_folder(f)));
            }
        }
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// Assembles the topology from per-folder results (any order): names, stacks, dependencies,
/// deployment order, sorted services and diagnostics. `workspace` is the canonical root;
/// `extra` holds diagnostics from elsewhere (the walk).
pub fn assemble(workspace: &Path, results: &[FolderResult], extra: &[Diagnostic]) -> Topology {
    assemble_with(workspace, results, extra, &overrides::Loaded::default())
}

/// [`assemble`] with the workspace's overrides file (`.kyozo.toml`), which wins over detection.
pub fn assemble_with(
    workspace: &Path,
    results: &[FolderResult],
    extra: &[Diagnostic],
    ov: &overrides::Loaded,
) -> Topology {
    let mut diagnostics: Vec<Diagnostic> = extra.to_vec();
    let mut drafts: Vec<(&FolderResult, Draft)> = Vec::new();
    for r in results {
        diagnostics.extend(r.diagnostics.iter().cloned());
        if let Some(d) = &r.service {
            drafts.push((r, d.clone()));
        }
    }
    drafts.sort_by(|a, b| path_key(&a.0.rel).cmp(&path_key(&b.0.rel)));
    let workspace_name = workspace.file_name().map_or_else(
        || "workspace".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );

    // Names.
    let name_of = |rel: &str| -> String {
        if rel == "." {
            workspace_name.clone()
        } else {
            walker::split_rel(rel).1.to_string()
        }
    };
    let pairs: Vec<(String, String)> = drafts
        .iter()
        .map(|(r, _)| {
            if r.rel == "." {
                return (r.folder_name.clone(), String::new());
            }
            let (p, _) = walker::split_rel(&r.rel);
            // A `src` folder is named after the project it is the source of
            // (`src/cartservice/src` is `cartservice`).
            if names::is_generic(&r.folder_name) {
                let grand = if p == "." {
                    String::new()
                } else {
                    name_of(walker::split_rel(p).0)
                };
                return (name_of(p), grand);
            }
            (r.folder_name.clone(), name_of(p))
        })
        .collect();
    for ((_, d), name) in drafts.iter_mut().zip(names::assign(&pairs)) {
        d.service.name = name;
    }

    // Evidence across files: stack members' source folders, dev alternatives, backing-service
    // stacks, overlays.
    let images = evidence::images::ImageIndex::new(&drafts, results);
    let mut links = evidence::Links::default();
    evidence::stacks::claim(&mut drafts, &images, &mut links);
    evidence::stacks::split_backing(&mut drafts, &images, &mut links);
    evidence::stacks::overlays(&mut drafts, results, &images, &mut links);
    evidence::tool_images(&mut drafts);
    evidence::app_hosts(&mut drafts, results, &mut links);
    let by_path = evidence::by_path(&drafts);

    // Folders a containerized service's Dockerfile copies into its image (`COPY html/ /var/www/html`)
    // are part of that service: shown, never deployed on their own.
    for pi in 0..drafts.len() {
        if drafts[pi].1.copies.is_empty() || drafts[pi].1.service.dockerfile.is_none() {
            continue;
        }
        let parent_path = drafts[pi].1.service.path.clone();
        let parent_stack = drafts[pi].1.service.stack.clone();
        let mut dirs: Vec<String> = Vec::new();
        for c in &drafts[pi].1.copies {
            let Some(full) = compose::join_rel(&parent_path, c) else {
                continue;
            };
            // `COPY html/composer.json ...` names the folder `html` too.
            let mut cur = full.as_str();
            while cur != parent_path && cur != "." && !dirs.iter().any(|d| d == cur) {
                dirs.push(cur.to_string());
                cur = walker::split_rel(cur).0;
            }
        }
        let mut techs: Vec<String> = Vec::new();
        for dir in dirs {
            let Some(&ci) = by_path.get(&dir) else {
                continue;
            };
            let child = &mut drafts[ci].1.service;
            if ci == pi
                || child.dockerfile.is_some()
                || child.stack.is_some()
                || matches!(
                    child.kind,
                    ServiceType::ComposeStack | ServiceType::Infrastructure
                )
            {
                continue;
            }
            child.deployable = false;
            child.stack = parent_stack.clone();
            techs.extend(child.technologies.iter().cloned());
        }
        let parent = &mut drafts[pi].1.service;
        for t in techs {
            if !parent.technologies.contains(&t) {
                parent.technologies.push(t);
            }
        }
    }

    // Folders that are part of another service (workspace members it uses as libraries, page
    // folders of a site) are not services of their own.
    for pi in 0..drafts.len() {
        let parent_path = drafts[pi].1.service.path.clone();
        for m in drafts[pi].1.parts.clone() {
            if let Some(full) = compose::join_rel(&parent_path, &m)
                && let Some(&ci) = by_path.get(&full)
                && ci != pi
                && drafts[ci].1.service.dockerfile.is_none()
            {
                drafts[ci].1.service.deployable = false;
            }
        }
    }

    // Files elsewhere that state a folder's port and start command (dapr multi-app runs).
    for r in results {
        for h in &r.folder_hints {
            let Some(&i) = by_path.get(&h.dir) else {
                continue;
            };
            let d = &mut drafts[i].1;
            if let Some(p) = h.port {
                d.hints
                    .push(ports::PortHint::new(p, ports::PortSource::RuntimeConfig));
                let hints = d.hints.clone();
                combine::apply_ports(&mut d.service, &hints);
            }
            // The run file's command is how the app is started: it wins over a generated one.
            if h.command.is_some() {
                d.service.start_command.clone_from(&h.command);
            }
        }
    }

    // Kubernetes workloads: ports, env and dependencies of the folders their images come from.
    evidence::manifests::apply(&mut drafts, results, &images, &mut links);

    // Dependencies and order, after the overrides file had its say.
    // A backing-service stack comes right before the app of its folder (a view that keeps one
    // service per folder, the cockpit's tree, keeps the app).
    drafts.sort_by(|a, b| {
        path_key(&a.1.service.path)
            .cmp(&path_key(&b.1.service.path))
            .then_with(|| {
                let app = |d: &Draft| d.service.kind != ServiceType::ComposeStack;
                app(&a.1).cmp(&app(&b.1))
            })
    });
    let mut services: Vec<Service> = drafts.iter().map(|(_, d)| d.service.clone()).collect();
    let rels: Vec<&str> = results.iter().map(|r| r.rel.as_str()).collect();
    let origin = overrides::apply(ov, &mut services, &rels, &mut diagnostics);
    let evidence: Vec<deps::Evidence<'_>> = origin
        .iter()
        .map(|o| match o {
            Some(i) => deps::Evidence {
                env: &drafts[*i].1.env_evidence,
                code_hosts: &drafts[*i].1.code_hosts,
                proxy_targets: &drafts[*i].1.proxy_targets,
                manifest_env: &drafts[*i].1.manifest_env,
            },
            None => deps::Evidence::default(),
        })
        .collect();
    let mut edges = deps::resolve(&mut services, &evidence, &links);
    edges.extend(overrides::dependencies(ov, &mut services, &mut diagnostics));
    let (deployment_order, order_diags) = order::waves(&services, &edges);
    diagnostics.extend(order_diags);
    diagnostics.sort();
    diagnostics.dedup();
    Topology {
        workspace: workspace.to_string_lossy().into_owned(),
        services,
        deployment_order,
        diagnostics,
        deploy: ov.overrides.deploy_settings(),
    }
}

/// Sort key of a workspace-relative path: the root first, then component by component.
fn path_key(rel: &str) -> Vec<&str> {
    if rel == "." {
        Vec::new()
    } else {
        rel.split('/').collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    fn at<'a>(t: &'a Topology, path: &str) -> &'a Service {
        t.services
            .iter()
            .find(|s| s.path == path)
            .unwrap_or_else(|| panic!("no service at {path}: {:#?}", t.services))
    }

    #[test]
    fn mounted_folders_and_copied_folders_belong_to_their_owner() {
        let dir = workspace(&[
            (
                "compose.yaml",
                "services:\n  web:\n    image: nginx\n    volumes: [\"./nginx/nginx.conf:/etc/nginx/conf.d/default.conf\"]\n    ports: [\"80:80\"]\n  ratings:\n    build: ratings\n",
            ),
            (
                "nginx/nginx.conf",
                "server { listen 80; location / { proxy_pass http://ratings; } }\n",
            ),
            (
                "ratings/Dockerfile",
                "FROM php:8.3-apache\nCOPY html/ /var/www/html\n",
            ),
            (
                "ratings/html/composer.json",
                "{\"require\": {\"slim/slim\": \"4\"}}\n",
            ),
            ("ratings/html/index.php", "<?php echo 1;\n"),
            ("tools/Dockerfile", "FROM alpine\nCOPY lib /lib\n"),
            (
                "tools/lib/package.json",
                "{\"scripts\": {\"start\": \"node x.js\"}}\n",
            ),
        ]);
        let t = detect(dir.path(), &DetectOptions::default()).unwrap();
        let root = at(&t, ".").name.clone();
        let nginx = at(&t, "nginx");
        assert_eq!(nginx.kind, ServiceType::Proxy);
        assert_eq!(nginx.stack.as_deref(), Some(root.as_str()));
        assert!(!nginx.deployable);
        assert_eq!(nginx.port, Some(80));
        let html = at(&t, "ratings/html");
        assert!(!html.deployable);
        assert_eq!(html.stack.as_deref(), Some(root.as_str()));
        let ratings = at(&t, "ratings");
        assert_eq!(ratings.port, Some(80));
        assert!(
            ratings.technologies.iter().any(|x| x == "slim"),
            "{ratings:?}"
        );
        // Outside a stack a copied folder is part of its image all the same.
        let lib = at(&t, "tools/lib");
        assert!(!lib.deployable);
        assert_eq!(lib.stack, None);
        assert_eq!(
            t.deployment_order,
            vec![vec![root.clone(), "tools".to_string()]]
        );
        assert!(at(&t, ".").technologies.iter().any(|x| x == "nginx"));
    }

    #[test]
    fn kubernetes_env_orders_services_and_src_folders_take_the_project_name() {
        let dir = workspace(&[
            ("src/cart/src/Dockerfile", "FROM alpine\nEXPOSE 7070\n"),
            ("src/front/Dockerfile", "FROM alpine\nEXPOSE 8080\n"),
            (
                "k8s/front.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: front\nspec:\n  template:\n    spec:\n      containers:\n      - name: server\n        image: gcr.io/demo/front:v1\n        env:\n        - name: CART_SERVICE_ADDR\n          value: \"cart:7070\"\n",
            ),
            (
                "k8s/loader.yaml",
                "kind: Deployment\nmetadata:\n  name: load\nspec:\n  template:\n    spec:\n      containers:\n      - image: registry.example/loader\n        env:\n        - {name: FRONTEND_ADDR, value: \"front:80\"}\n",
            ),
            ("loader/Dockerfile", "FROM alpine\n"),
        ]);
        let t = detect(dir.path(), &DetectOptions::default()).unwrap();
        assert_eq!(at(&t, "src/cart/src").name, "cart");
        assert_eq!(at(&t, "src/front").depends_on, vec!["cart"]);
        assert_eq!(at(&t, "loader").depends_on, vec!["front"]);
        assert_eq!(
            t.deployment_order,
            vec![
                vec!["cart".to_string()],
                vec!["front".to_string()],
                vec!["loader".to_string()]
            ]
        );
        assert!(t.services.iter().all(|s| s.path != "k8s"));
    }

    #[test]
    fn compose_member_env_sets_a_port_variable_of_the_build_folder() {
        let dir = workspace(&[
            (
                "compose.yaml",
                "services:\n  backend:\n    build: flask\n    environment:\n      - FLASK_SERVER_PORT=9091\n",
            ),
            (
                "flask/Dockerfile",
                "FROM python:3.7\nCMD [\"./server.py\"]\n",
            ),
            ("flask/requirements.txt", "flask\n"),
            (
                "flask/server.py",
                "import os\nfrom flask import Flask\napp = Flask(__name__)\nif __name__ == \"__main__\":\n    app.run(host='0.0.0.0', port=os.environ.get(\"FLASK_SERVER_PORT\", 9090))\n",
            ),
        ]);
        let t = detect(dir.path(), &DetectOptions::default()).unwrap();
        assert_eq!(at(&t, "flask").port, Some(9091));
    }
}
