//! Topology detection: files in, [`Topology`] out. Pure: reads files, executes nothing, and imports no
//! async runtime, terminal, engine or database crate.
//!
//! The walker ([`walker`]) yields every kept [`Folder`]; every ecosystem analyzer in [`ANALYZERS`] looks
//! at each folder and may return a [`Finding`]; the core combines findings into services (precedence,
//! confidence, names), resolves dependencies ([`deps`]) and orders them into waves ([`order`]).

pub mod combine;
pub mod deps;
pub mod envfile;
pub mod finding;
pub mod folder;
pub mod model;
pub mod names;
pub mod order;
pub mod ports;
pub mod walker;

pub mod lang;

pub mod compose;
pub mod deno;
pub mod dockerfile;
pub mod dotnet;
pub mod elixir;
pub mod golang;
pub mod java;
pub mod nginx;
pub mod node;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;
pub mod static_site;
pub mod terraform;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub use combine::{Draft, FolderResult, analyze_folder};
pub use finding::{Finding, Rank};
pub use folder::Folder;
pub use model::{
    Dependency, Diagnostic, EdgeKind, HealthCheck, Member, ResourceLimits, Service, ServiceType,
    Topology,
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
    let walk_opts = walker::WalkOptions {
        cap: opts.read_cap,
        max_depth: opts.max_depth,
        threads: opts.threads,
        follow_links: false,
    };
    let (folders, walk_diags) = walker::walk_with(&root, &walk_opts);
    let results = analyze_all(&folders, opts.threads);
    Ok(assemble(&root, &results, &walk_diags))
}

/// Per-folder results kept between detections, so that a re-detection analyzes only the folders that
/// changed (the cockpit's file watcher). Folders whose listing (file or child-folder names) changed are
/// re-analyzed automatically; content changes are named by the caller.
#[derive(Debug, Clone, Default)]
pub struct DetectCache {
    entries: std::collections::HashMap<String, CacheEntry>,
}

#[derive(Debug, Clone)]
struct CacheEntry {
    files: std::collections::BTreeSet<String>,
    dirs: std::collections::BTreeSet<String>,
    cap: u64,
    result: FolderResult,
}

impl DetectCache {
    /// An empty cache (the first detection analyzes every folder).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of cached folders.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Detects like [`detect`], reusing `cache`: the workspace is walked again (cheap), but only new
/// folders, folders whose listing changed, the folders named in `changed` (workspace-relative, `/`
/// separators, `.` for the root) and their ancestors (analyzers read entry files below a folder) are
/// analyzed again. Returns the topology and the workspace-relative paths that were re-analyzed.
pub fn detect_cached(
    root: &Path,
    opts: &DetectOptions,
    cache: &mut DetectCache,
    changed: &[String],
) -> Result<(Topology, Vec<String>), DetectError> {
    let root = canonical_root(root)?;
    let walk_opts = walker::WalkOptions {
        cap: opts.read_cap,
        max_depth: opts.max_depth,
        threads: opts.threads,
        follow_links: false,
    };
    let (folders, walk_diags) = walker::walk_with(&root, &walk_opts);
    let mut dirty: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for c in changed {
        let mut cur = c.trim_matches('/').to_string();
        if cur.is_empty() {
            cur = ".".to_string();
        }
        loop {
            dirty.insert(cur.clone());
            if cur == "." {
                break;
            }
            cur = walker::split_rel(&cur).0.to_string();
        }
    }
    let stale: Vec<&Folder> = folders
        .iter()
        .filter(|f| match cache.entries.get(&f.rel) {
            Some(e) => {
                dirty.contains(&f.rel) || e.files != f.files || e.dirs != f.dirs || e.cap != f.cap
            }
            None => true,
        })
        .collect();
    let owned: Vec<Folder> = stale.iter().map(|f| (*f).clone()).collect();
    let fresh = analyze_all(&owned, opts.threads);
    let reanalyzed: Vec<String> = owned.iter().map(|f| f.rel.clone()).collect();
    for (f, r) in owned.into_iter().zip(fresh) {
        cache.entries.insert(
            f.rel.clone(),
            CacheEntry {
                files: f.files,
                dirs: f.dirs,
                cap: f.cap,
                result: r,
            },
        );
    }
    let kept: std::collections::HashSet<&str> = folders.iter().map(|f| f.rel.as_str()).collect();
    cache.entries.retain(|k, _| kept.contains(k.as_str()));
    let results: Vec<FolderResult> = cache.entries.values().map(|e| e.result.clone()).collect();
    Ok((assemble(&root, &results, &walk_diags), reanalyzed))
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
    let pairs: Vec<(String, String)> = drafts
        .iter()
        .map(|(r, _)| {
            let parent = if r.rel == "." {
                String::new()
            } else {
                let (p, _) = walker::split_rel(&r.rel);
                if p == "." {
                    workspace_name.clone()
                } else {
                    walker::split_rel(p).1.to_string()
                }
            };
            (r.folder_name.clone(), parent)
        })
        .collect();
    for ((_, d), name) in drafts.iter_mut().zip(names::assign(&pairs)) {
        d.service.name = name;
    }

    // Stacks: build contexts of members belong to their stack.
    let index_of = |drafts: &[(&FolderResult, Draft)], path: &str| {
        drafts.iter().position(|(_, d)| d.service.path == path)
    };
    for si in 0..drafts.len() {
        if drafts[si].1.service.kind != ServiceType::ComposeStack {
            continue;
        }
        let stack_name = drafts[si].1.service.name.clone();
        let stack_path = drafts[si].1.service.path.clone();
        let members = drafts[si].1.service.members.clone();
        let member_hints = drafts[si].1.member_hints.clone();
        for (mi, m) in members.iter().enumerate() {
            let Some(b) = m.build.as_deref() else {
                continue;
            };
            if b == stack_path {
                continue;
            }
            let Some(fi) = index_of(&drafts, b) else {
                continue;
            };
            let folder = &mut drafts[fi].1;
            if folder.service.stack.is_some() || folder.service.kind == ServiceType::ComposeStack {
                continue;
            }
            folder.service.stack = Some(stack_name.clone());
            folder.service.deployable = false;
            if let Some(h) = member_hints.get(mi) {
                folder.hints.extend(h.iter().copied());
                let hints = folder.hints.clone();
                combine::apply_ports(&mut folder.service, &hints);
            }
            let langs: Vec<String> = folder
                .service
                .technologies
                .first()
                .cloned()
                .into_iter()
                .collect();
            let stack = &mut drafts[si].1.service;
            for t in langs {
                if !stack.technologies.contains(&t) {
                    stack.technologies.push(t);
                }
            }
        }
    }

    // Dependencies and order.
    let mut services: Vec<Service> = drafts.iter().map(|(_, d)| d.service.clone()).collect();
    let evidence: Vec<deps::Evidence<'_>> = drafts
        .iter()
        .map(|(_, d)| deps::Evidence {
            env: &d.env_evidence,
            code_hosts: &d.code_hosts,
            proxy_targets: &d.proxy_targets,
        })
        .collect();
    let edges = deps::resolve(&mut services, &evidence);
    let (deployment_order, order_diags) = order::waves(&services, &edges);
    diagnostics.extend(order_diags);
    diagnostics.sort();
    diagnostics.dedup();
    Topology {
        workspace: workspace.to_string_lossy().into_owned(),
        services,
        deployment_order,
        diagnostics,
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
