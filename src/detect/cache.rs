//! Incremental detection: the cockpit's file watcher names the folders that changed, and only those
//! are listed and analyzed again; the rest of the walk and of the analysis is kept from the last
//! detection.
//!
//! A changed folder is listed again with its parent's ignore rules. When its own ignore files
//! changed, its whole tree is walked again; otherwise only new child folders are walked and gone
//! ones dropped. The folder, its ancestors (analyzers read files below the folder they look at),
//! new folders and folders whose listing changed are analyzed again. The overrides file is read on
//! every detection (one small file); when its `ignore` patterns change, the workspace is walked
//! again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::walker::{self, Listed, Scope};
use super::{
    DetectError, DetectOptions, FolderResult, Topology, analyze_all, assemble_with, canonical_root,
    overrides,
};

/// Walk and analysis kept between detections.
#[derive(Debug, Clone, Default)]
pub struct DetectCache {
    /// The walk's scope (options and the rules above the root); `None` before the first walk.
    scope: Option<Scope>,
    /// Problems of the scope (ignore files above the root, the workspace's patterns).
    scope_diags: Vec<super::Diagnostic>,
    folders: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    listed: Listed,
    /// The analysis of the folder as listed; `None` when it must be analyzed again.
    result: Option<FolderResult>,
}

/// What one (incremental) detection produced.
#[derive(Debug, Clone)]
pub struct Detection {
    pub topology: Topology,
    /// Every walked folder, workspace-relative, sorted (the root first).
    pub folders: Vec<String>,
    /// The folders analyzed again by this detection.
    pub analysed: Vec<String>,
}

impl DetectCache {
    /// An empty cache (the first detection walks and analyzes everything).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of cached folders.
    pub fn len(&self) -> usize {
        self.folders.len()
    }

    /// Whether nothing is cached yet.
    pub fn is_empty(&self) -> bool {
        self.folders.is_empty()
    }

    /// Forgets everything: the next detection walks and analyzes the whole workspace.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Replaces the tree of `rel` (the folder and everything below) with `listed`.
    fn replace_tree(&mut self, rel: &str, listed: Vec<Listed>) {
        self.drop_tree(rel);
        for l in listed {
            self.folders.insert(
                l.folder.rel.clone(),
                Entry {
                    listed: l,
                    result: None,
                },
            );
        }
    }

    /// Drops `rel` and everything below it.
    fn drop_tree(&mut self, rel: &str) {
        if rel == "." {
            self.folders.clear();
            return;
        }
        let prefix = format!("{rel}/");
        let below: Vec<String> = self
            .folders
            .range(rel.to_string()..)
            .take_while(|(k, _)| k.starts_with(rel))
            .filter(|(k, _)| k.as_str() == rel || k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in below {
            self.folders.remove(&k);
        }
    }

    /// The ignore rules in force inside the parent of `rel`.
    fn parent_rules(&self, rel: &str, scope: &Scope) -> Option<walker::rules::Chain> {
        if rel == "." {
            return Some(scope.above.clone());
        }
        let parent = walker::split_rel(rel).0;
        self.folders.get(parent).map(|e| e.listed.rules.clone())
    }

    /// Lists `rel` again and walks what is new below it. A folder the cache does not know (new, or
    /// ignored) is left to its nearest known ancestor, whose listing decides whether it is walked.
    fn relist(&mut self, rel: &str, scope: &Scope) {
        let mut rel = rel;
        while rel != "." && !self.folders.contains_key(rel) {
            rel = walker::split_rel(rel).0;
        }
        let Some(parent_rules) = self.parent_rules(rel, scope) else {
            return;
        };
        let Some(fresh) = scope.list_one(rel, &parent_rules) else {
            self.drop_tree(rel);
            return;
        };
        let Some(old) = self.folders.get(rel) else {
            let tree = scope.walk(rel, &parent_rules);
            self.replace_tree(rel, tree);
            return;
        };
        if old.listed.ignore_sig != fresh.ignore_sig {
            let tree = scope.walk(rel, &parent_rules);
            self.replace_tree(rel, tree);
            return;
        }
        let gone: Vec<String> = old
            .listed
            .folder
            .dirs
            .difference(&fresh.folder.dirs)
            .cloned()
            .collect();
        let new: Vec<String> = fresh
            .folder
            .dirs
            .difference(&old.listed.folder.dirs)
            .cloned()
            .collect();
        let same_listing =
            old.listed.folder.files == fresh.folder.files && gone.is_empty() && new.is_empty();
        let rules = fresh.rules.clone();
        let result = if same_listing {
            old.result.clone()
        } else {
            None
        };
        self.folders.insert(
            rel.to_string(),
            Entry {
                listed: fresh,
                result,
            },
        );
        for d in gone {
            self.drop_tree(&child_rel(rel, &d));
        }
        for d in new {
            let child = child_rel(rel, &d);
            let tree = scope.walk(&child, &rules);
            self.replace_tree(&child, tree);
        }
    }
}

fn child_rel(parent: &str, name: &str) -> String {
    if parent == "." {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// Detects like [`super::detect`], reusing `cache`: the folders named in `changed`
/// (workspace-relative, `/` separators, `.` for the root) are listed again, new folders below them
/// walked, and those folders with their ancestors and every folder whose listing changed are
/// analyzed again. An empty cache walks and analyzes everything ([`DetectCache::clear`] forces it).
pub fn detect_cached(
    root: &Path,
    opts: &DetectOptions,
    cache: &mut DetectCache,
    changed: &[String],
) -> Result<Detection, DetectError> {
    let root = canonical_root(root)?;
    let (ov, ov_diags) = overrides::load(&root, opts.read_cap);
    let walk_opts = super::walk_options(opts, &ov);
    let reusable = cache.scope.as_ref().is_some_and(|s| {
        let o = s.options();
        o.cap == walk_opts.cap
            && o.max_depth == walk_opts.max_depth
            && o.ignore == walk_opts.ignore
            && o.threads == walk_opts.threads
    });
    let mut dirty: BTreeSet<String> = BTreeSet::new();
    if reusable && !cache.folders.is_empty() {
        let Some(scope) = cache.scope.clone() else {
            return Err(DetectError::NotFound(root));
        };
        // Shallow folders first: a folder walked again makes its children's relisting moot.
        let mut names: Vec<String> = changed
            .iter()
            .map(|c| {
                let c = c.trim_matches('/');
                if c.is_empty() {
                    ".".to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
        names.sort_by_key(|n| if n == "." { 0 } else { n.split('/').count() });
        names.dedup();
        for c in &names {
            cache.relist(c, &scope);
        }
    } else {
        let (scope, diags) = match Scope::new(&root, &walk_opts) {
            Ok(s) => s,
            Err(d) => {
                cache.clear();
                let topology = assemble_with(&root, &[], &[d], &ov);
                return Ok(Detection {
                    topology,
                    folders: Vec::new(),
                    analysed: Vec::new(),
                });
            }
        };
        let mut old = std::mem::take(&mut cache.folders);
        let tree = scope.walk(".", &scope.above);
        for l in tree {
            // Keep the analysis of folders whose listing did not change.
            let result = old.remove(&l.folder.rel).and_then(|e| {
                (e.listed.folder.files == l.folder.files && e.listed.folder.dirs == l.folder.dirs)
                    .then_some(e.result)
                    .flatten()
            });
            cache
                .folders
                .insert(l.folder.rel.clone(), Entry { listed: l, result });
        }
        cache.scope = Some(scope);
        cache.scope_diags = diags;
    }
    // The named folders and their ancestors (analyzers read files below the folder they look at).
    for c in changed {
        let mut cur = c.trim_matches('/');
        if cur.is_empty() {
            cur = ".";
        }
        loop {
            dirty.insert(cur.to_string());
            if cur == "." {
                break;
            }
            cur = walker::split_rel(cur).0;
        }
    }
    for d in &dirty {
        if let Some(e) = cache.folders.get_mut(d) {
            e.result = None;
        }
    }
    let stale: Vec<super::Folder> = cache
        .folders
        .values()
        .filter(|e| e.result.is_none())
        .map(|e| e.listed.folder.clone())
        .collect();
    let fresh = analyze_all(&stale, opts.threads);
    let mut analysed = Vec::with_capacity(stale.len());
    let mut by_rel: HashMap<String, FolderResult> = HashMap::with_capacity(stale.len());
    for (f, r) in stale.into_iter().zip(fresh) {
        analysed.push(f.rel.clone());
        by_rel.insert(f.rel, r);
    }
    let mut results: Vec<FolderResult> = Vec::with_capacity(cache.folders.len());
    let mut diags = ov_diags;
    diags.extend(cache.scope_diags.iter().cloned());
    for (rel, e) in cache.folders.iter_mut() {
        if let Some(r) = by_rel.remove(rel) {
            e.result = Some(r);
        }
        diags.extend(e.listed.diags.iter().cloned());
        if let Some(r) = &e.result {
            results.push(r.clone());
        }
    }
    let topology = assemble_with(&root, &results, &diags, &ov);
    let mut folders: Vec<String> = cache.folders.keys().cloned().collect();
    folders.sort_by(|a, b| (a != ".", a).cmp(&(b != ".", b)));
    Ok(Detection {
        topology,
        folders,
        analysed,
    })
}
