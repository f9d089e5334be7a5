//! The workspace walk: every kept folder with its root-level file and child-folder names, in parallel,
//! honouring `.gitignore`, `.ignore` and `.git/info/exclude` (also outside a git repository, and those
//! of the folders above the workspace), the workspace's own `ignore` patterns, seeing hidden files,
//! and always skipping [`ALWAYS_SKIPPED`]. Problems (unreadable folders, symlink loops, non-UTF-8
//! names, hostile or broken ignore files) become diagnostics; the walk never stops for them.
//!
//! The walk costs one `readdir` per kept folder and no `stat` per regular file: entry types come from
//! the directory listing. Only symbolic links are resolved (one `stat` each) to tell files from
//! folders. Ignore files are read by kyozo itself ([`rules`]), like manifests: never a FIFO, never
//! past the read cap.

pub mod rules;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::FileType;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use ignore::gitignore::Gitignore;

use super::folder::{DEFAULT_READ_CAP, Folder};
use super::model::Diagnostic;
use rules::{Chain, Present};

/// Folder names that are never walked, whatever the ignore files say.
pub const ALWAYS_SKIPPED: [&str; 7] = [
    ".git",
    "node_modules",
    "target",
    "vendor",
    "__pycache__",
    ".venv",
    "venv",
];

/// How to walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Size cap given to every [`Folder`] for manifest reads, and for ignore files.
    pub cap: u64,
    /// Deepest folder level walked below the root (`None`: no limit).
    pub max_depth: Option<usize>,
    /// Walker threads (`0`: chosen from the available CPUs).
    pub threads: usize,
    /// Follow symbolic links to folders (loops are then reported, not followed twice).
    pub follow_links: bool,
    /// Workspace patterns of folders never walked (`.kyozo.toml` `ignore`): gitignore syntax,
    /// anchored at the root.
    pub ignore: Vec<String>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            cap: DEFAULT_READ_CAP,
            max_depth: None,
            threads: 0,
            follow_links: false,
            ignore: Vec::new(),
        }
    }
}

/// Walks `root` with default options. The folders are sorted by path; the root (`.`) comes first.
pub fn walk(root: &Path) -> (Vec<Folder>, Vec<Diagnostic>) {
    walk_with(root, &WalkOptions::default())
}

/// Walks `root`. The folders are sorted by path; the root (`.`) comes first.
pub fn walk_with(root: &Path, opts: &WalkOptions) -> (Vec<Folder>, Vec<Diagnostic>) {
    let (scope, mut diags) = match Scope::new(root, opts) {
        Ok(s) => s,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let mut folders = Vec::new();
    for l in scope.walk(".", &scope.above) {
        diags.extend(l.diags);
        folders.push(l.folder);
    }
    diags.sort();
    diags.dedup();
    (folders, diags)
}

/// One folder as the walk listed it, with what is needed to list it again on its own (the
/// cockpit's re-detection lists only the folders that changed).
#[derive(Debug, Clone)]
pub struct Listed {
    pub folder: Folder,
    /// Problems found while listing it: its ignore files, the names of its entries, the listing.
    pub diags: Vec<Diagnostic>,
    /// The ignore rules in force inside it (its own and its ancestors').
    pub rules: Chain,
    /// Fingerprint of its own ignore files: when it changes, the rules of everything below did.
    pub ignore_sig: u64,
}

/// What every folder of one workspace walk shares: the options, the rules of the folders above
/// the root and the workspace's own patterns.
#[derive(Debug, Clone)]
pub struct Scope {
    root: PathBuf,
    opts: WalkOptions,
    /// The rules above the root (the root's parent chain).
    pub above: Chain,
    extra: Arc<Gitignore>,
    root_id: (u64, u64),
}

impl Scope {
    /// The scope of a walk of `root`, and the problems with ignore files above the root and with
    /// the workspace's patterns; or the problem with the root itself.
    pub fn new(root: &Path, opts: &WalkOptions) -> Result<(Scope, Vec<Diagnostic>), Diagnostic> {
        let meta = match std::fs::metadata(root) {
            Ok(m) if m.is_dir() => m,
            Ok(_) => return Err(Diagnostic::new(".", "not a folder")),
            Err(e) => return Err(Diagnostic::new(".", io_message(&e))),
        };
        let mut problems = Vec::new();
        let above = rules::above(root, opts.cap, &mut problems);
        let extra = rules::workspace(root, &opts.ignore, &mut problems);
        let diags = problems
            .into_iter()
            .map(|(p, m)| Diagnostic::new(p, m))
            .collect();
        Ok((
            Scope {
                root: root.to_path_buf(),
                opts: opts.clone(),
                above,
                extra: Arc::new(extra),
                root_id: (meta.dev(), meta.ino()),
            },
            diags,
        ))
    }

    /// The options the scope was made with.
    pub fn options(&self) -> &WalkOptions {
        &self.opts
    }

    /// Walks the tree of the folder `rel` (workspace-relative, `.` for the root) whose parent's
    /// rules are `parent_rules` (for the root: [`Scope::above`]). Sorted by path, the start first.
    pub fn walk(&self, rel: &str, parent_rules: &Chain) -> Vec<Listed> {
        let first = Job {
            abs: abs_of(&self.root, rel),
            rel: rel.to_string(),
            depth: if rel == "." {
                0
            } else {
                rel.split('/').count()
            },
            rules: parent_rules.clone(),
            seen: (self.opts.follow_links && rel == ".").then(|| {
                Arc::new(Seen {
                    id: self.root_id,
                    rel: ".".to_string(),
                    parent: None,
                })
            }),
        };
        let threads = if self.opts.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.opts.threads
        };
        let walk = Walk {
            root: &self.root,
            opts: &self.opts,
            extra: &self.extra,
            queue: Mutex::new(Queue {
                jobs: vec![first],
                active: 0,
            }),
            wake: Condvar::new(),
        };
        let outs: Vec<Vec<Listed>> = if threads <= 1 {
            vec![walk.worker()]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| scope.spawn(|| walk.worker()))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        };
        let mut all: Vec<Listed> = outs.into_iter().flatten().collect();
        all.sort_unstable_by(|a, b| {
            (a.folder.rel != ".", &a.folder.rel).cmp(&(b.folder.rel != ".", &b.folder.rel))
        });
        all
    }

    /// Lists the one folder `rel` again (its parent's rules are `parent_rules`), without walking
    /// below it. `None` when it is gone or is no longer a folder.
    pub fn list_one(&self, rel: &str, parent_rules: &Chain) -> Option<Listed> {
        let abs = abs_of(&self.root, rel);
        if !std::fs::metadata(&abs).is_ok_and(|m| m.is_dir()) {
            return None;
        }
        let walk = Walk {
            root: &self.root,
            opts: &self.opts,
            extra: &self.extra,
            queue: Mutex::new(Queue {
                jobs: Vec::new(),
                active: 0,
            }),
            wake: Condvar::new(),
        };
        let job = Job {
            abs,
            rel: rel.to_string(),
            depth: if rel == "." {
                0
            } else {
                rel.split('/').count()
            },
            rules: parent_rules.clone(),
            seen: None,
        };
        let mut out = Vec::new();
        walk.list(job, &mut out);
        out.pop()
    }
}

fn abs_of(root: &Path, rel: &str) -> PathBuf {
    if rel == "." {
        root.to_path_buf()
    } else {
        rel.split('/').fold(root.to_path_buf(), |p, c| p.join(c))
    }
}

/// The parent folder and the last component of a workspace-relative path (`a/b` gives `a`, `b`;
/// `a` gives `.`, `a`).
pub fn split_rel(rel: &str) -> (&str, &str) {
    match rel.rsplit_once('/') {
        Some((p, n)) => (p, n),
        None => (".", rel),
    }
}

/// One folder to list.
struct Job {
    abs: PathBuf,
    rel: String,
    depth: usize,
    rules: Chain,
    /// The folders above this one (device and inode), when links are followed: loop detection.
    seen: Option<Arc<Seen>>,
}

struct Seen {
    id: (u64, u64),
    rel: String,
    parent: Option<Arc<Seen>>,
}

impl Seen {
    /// The ancestor with this identity, if any.
    fn find(self: &Arc<Self>, id: (u64, u64)) -> Option<&str> {
        let mut cur = Some(self);
        while let Some(s) = cur {
            if s.id == id {
                return Some(&s.rel);
            }
            cur = s.parent.as_ref();
        }
        None
    }
}

struct Queue {
    jobs: Vec<Job>,
    /// Workers busy with a job (they may push more).
    active: usize,
}

struct Walk<'a> {
    root: &'a Path,
    opts: &'a WalkOptions,
    extra: &'a Gitignore,
    queue: Mutex<Queue>,
    wake: Condvar,
}

impl Walk<'_> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes jobs until every folder is listed. A worker keeps one child folder of each folder it
    /// lists for itself (depth first, no lock) and shares the others.
    fn worker(&self) -> Vec<Listed> {
        let mut out = Vec::new();
        let mut next: Option<Job> = None;
        loop {
            let job = match next.take() {
                Some(j) => j,
                None => {
                    let mut q = self.lock();
                    loop {
                        if let Some(j) = q.jobs.pop() {
                            q.active += 1;
                            break j;
                        }
                        if q.active == 0 {
                            self.wake.notify_all();
                            return out;
                        }
                        q = self.wake.wait(q).unwrap_or_else(|p| p.into_inner());
                    }
                }
            };
            let mut children = self.list(job, &mut out);
            next = children.pop();
            if next.is_none() {
                let mut q = self.lock();
                q.active -= 1;
                if q.active == 0 && q.jobs.is_empty() {
                    self.wake.notify_all();
                }
            } else if !children.is_empty() {
                let n = children.len();
                self.lock().jobs.append(&mut children);
                for _ in 0..n {
                    self.wake.notify_one();
                }
            }
        }
    }

    /// Lists one folder into `out` and returns its child folders to walk.
    fn list(&self, job: Job, out: &mut Vec<Listed>) -> Vec<Job> {
        let mut folder = Folder::new(job.abs, job.rel);
        folder.cap = self.opts.cap;
        let mut children = Vec::new();
        let mut diags = Vec::new();
        if self.opts.max_depth.is_some_and(|m| job.depth >= m) {
            out.push(Listed {
                folder,
                diags,
                rules: job.rules,
                ignore_sig: 0,
            });
            return children;
        }
        let entries = match read_entries(&folder.abs) {
            Ok(e) => e,
            Err(e) => {
                diags.push(Diagnostic::new(folder.rel.clone(), e));
                out.push(Listed {
                    folder,
                    diags,
                    rules: job.rules,
                    ignore_sig: 0,
                });
                return children;
            }
        };
        let mut present = Present::default();
        for (name, ft) in &entries {
            match name.as_encoded_bytes() {
                b".ignore" => present.ignore = true,
                b".gitignore" => present.gitignore = true,
                b".git" => {
                    present.git = if ft.is_dir() {
                        Some(true)
                    } else if ft.is_symlink() {
                        std::fs::metadata(folder.abs.join(".git"))
                            .ok()
                            .map(|m| m.is_dir())
                    } else {
                        Some(false)
                    }
                }
                _ => {}
            }
        }
        let mut ignore_sig = 0;
        let rules = if present.any() {
            let mut problems = Vec::new();
            let rel = &folder.rel;
            let shown = |n: &str| {
                if rel == "." {
                    n.to_string()
                } else {
                    format!("{rel}/{n}")
                }
            };
            let (r, sig) = rules::child(
                &job.rules,
                &folder.abs,
                present,
                self.opts.cap,
                &shown,
                &mut problems,
            );
            ignore_sig = sig;
            for (p, m) in problems {
                diags.push(Diagnostic::new(p, m));
            }
            r
        } else {
            job.rules
        };
        let check = rules.is_some() || !self.extra.is_empty();
        let mut files = BTreeSet::new();
        let mut dirs = BTreeSet::new();
        for (name, ft) in entries {
            let Some(n) = name.to_str() else {
                let what = if ft.is_dir() { "folder" } else { "file" };
                diags.push(Diagnostic::new(
                    lossy_rel(self.root, &folder.abs.join(&name)),
                    format!("{what} name is not UTF-8; skipped (detection needs UTF-8 names)"),
                ));
                continue;
            };
            let mut is_dir = ft.is_dir();
            let mut is_file = ft.is_file();
            let mut link_id = None;
            if ft.is_symlink() {
                match std::fs::metadata(folder.abs.join(n)) {
                    Ok(m) => {
                        is_file = m.is_file();
                        if self.opts.follow_links && m.is_dir() {
                            is_dir = true;
                            link_id = Some((m.dev(), m.ino()));
                        }
                    }
                    Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                        diags.push(Diagnostic::new(
                            child_rel(&folder.rel, n),
                            "symbolic link loop; skipped",
                        ));
                        continue;
                    }
                    // A dangling link is no file and no problem worth reporting.
                    Err(_) => continue,
                }
            }
            if !is_dir && !is_file {
                continue;
            }
            if is_dir && ALWAYS_SKIPPED.contains(&n) {
                continue;
            }
            let abs = if is_dir || check {
                Some(folder.abs.join(n))
            } else {
                None
            };
            if check
                && let Some(p) = &abs
                && rules::ignored(&rules, self.extra, p, is_dir)
            {
                continue;
            }
            if is_file {
                files.insert(n.to_string());
                continue;
            }
            let Some(abs) = abs else { continue };
            let rel = child_rel(&folder.rel, n);
            let seen = match &job.seen {
                None => None,
                Some(parent) => {
                    let id = match link_id {
                        Some(id) => Some(id),
                        None => std::fs::metadata(&abs).ok().map(|m| (m.dev(), m.ino())),
                    };
                    let Some(id) = id else { continue };
                    if let Some(anc) = parent.find(id) {
                        diags.push(Diagnostic::new(
                            rel,
                            format!("symbolic link loop (points back to {anc}); not followed"),
                        ));
                        continue;
                    }
                    Some(Arc::new(Seen {
                        id,
                        rel: rel.clone(),
                        parent: Some(Arc::clone(parent)),
                    }))
                }
            };
            dirs.insert(n.to_string());
            children.push(Job {
                abs,
                rel,
                depth: job.depth + 1,
                rules: rules.clone(),
                seen,
            });
        }
        folder.files = files;
        folder.dirs = dirs;
        out.push(Listed {
            folder,
            diags,
            rules,
            ignore_sig,
        });
        children
    }
}

/// The entries of a folder with their types (from the listing; no `stat`), or why it cannot be
/// listed.
fn read_entries(dir: &Path) -> Result<Vec<(OsString, FileType)>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| io_message(&e))?;
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(|e| io_message(&e))?;
        match e.file_type() {
            Ok(ft) => out.push((e.file_name(), ft)),
            // Gone between the listing and the look-up.
            Err(_) => continue,
        }
    }
    Ok(out)
}

fn io_message(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        "cannot be read: permission denied".to_string()
    } else {
        format!("cannot be read: {e}")
    }
}

fn child_rel(parent: &str, name: &str) -> String {
    if parent == "." {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

fn lossy_rel(root: &Path, path: &Path) -> String {
    let inner = path.strip_prefix(root).unwrap_or(path);
    let s = inner.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_keeps_hidden_files_and_skips_ignored_trees() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        for d in [
            "a/b",
            "node_modules/x",
            "target",
            "ign",
            "a/.venv",
            ".git/objects",
        ] {
            std::fs::create_dir_all(r.join(d)).unwrap();
        }
        std::fs::write(r.join(".gitignore"), "ign/\n*.log\n").unwrap();
        std::fs::write(r.join("a/.ignore"), "secret.txt\n").unwrap();
        std::fs::write(r.join("a/secret.txt"), "").unwrap();
        std::fs::write(r.join(".env"), "A=1\n").unwrap();
        std::fs::write(r.join("x.log"), "").unwrap();
        std::fs::write(r.join("a/b/package.json"), "{}").unwrap();
        std::fs::write(r.join("node_modules/x/package.json"), "{}").unwrap();
        let (folders, diags) = walk(r);
        assert!(diags.is_empty(), "{diags:?}");
        let rels: Vec<&str> = folders.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, vec![".", "a", "a/b"]);
        assert!(folders[0].has(".env"));
        assert!(folders[0].has(".gitignore"));
        assert!(!folders[0].has("x.log"));
        assert_eq!(folders[0].dirs.iter().collect::<Vec<_>>(), vec!["a"]);
        assert!(folders[2].has("package.json"));
        assert!(folders[1].has(".ignore"));
        assert!(!folders[1].has("secret.txt"));
        assert_eq!(folders[2].abs, r.join("a").join("b"));
    }

    #[test]
    fn missing_root_gives_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (folders, diags) = walk(&dir.path().join("nope"));
        assert!(folders.is_empty());
        assert!(!diags.is_empty());
    }
}
