//! The workspace walk: every kept folder with its root-level file and child-folder names, in parallel,
//! honouring `.gitignore` and `.ignore` (also outside a git repository), seeing hidden files, and always
//! skipping [`ALWAYS_SKIPPED`]. Problems (unreadable folders, symlink loops, non-UTF-8 names, broken
//! ignore files) become diagnostics; the walk never stops for them.
//!
//! The walk costs one `readdir` per kept folder and no `stat` per regular file: entry types come from
//! the directory listing. Only symbolic links are resolved (one `stat` each) to tell files from folders.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use super::folder::{DEFAULT_READ_CAP, Folder};
use super::model::Diagnostic;

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
    /// Size cap given to every [`Folder`] for manifest reads.
    pub cap: u64,
    /// Deepest folder level walked below the root (`None`: no limit).
    pub max_depth: Option<usize>,
    /// Walker threads (`0`: chosen from the available CPUs).
    pub threads: usize,
    /// Follow symbolic links to folders (loops are then reported, not followed twice).
    pub follow_links: bool,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            cap: DEFAULT_READ_CAP,
            max_depth: None,
            threads: 0,
            follow_links: false,
        }
    }
}

/// What one walker thread saw.
#[derive(Default)]
struct Batch {
    /// Kept folders (workspace-relative paths).
    dirs: Vec<String>,
    /// Parent folders of `files`, interned per thread (entries of one folder arrive together).
    parents: Vec<String>,
    /// Regular files (or links to one) of each of `parents`, sorted here, in the walker threads,
    /// rather than after the walk.
    files: Vec<BTreeSet<String>>,
    diags: Vec<Diagnostic>,
}

/// Walks `root` with default options. The folders are sorted by path; the root (`.`) comes first.
pub fn walk(root: &Path) -> (Vec<Folder>, Vec<Diagnostic>) {
    walk_with(root, &WalkOptions::default())
}

/// Walks `root`. The folders are sorted by path; the root (`.`) comes first.
pub fn walk_with(root: &Path, opts: &WalkOptions) -> (Vec<Folder>, Vec<Diagnostic>) {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        // Ignore files of enclosing folders apply too (a workspace inside a larger repository).
        .parents(true)
        .ignore(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .follow_links(opts.follow_links)
        .max_depth(opts.max_depth)
        .threads(opts.threads)
        .filter_entry(|e| {
            !(e.depth() > 0
                && e.file_type().is_some_and(|t| t.is_dir())
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| ALWAYS_SKIPPED.contains(&n)))
        });
    let sink: Mutex<Vec<Batch>> = Mutex::new(Vec::new());
    let mut vb = VisitorBuilder { root, sink: &sink };
    builder.build_parallel().visit(&mut vb);
    let batches = sink.into_inner().unwrap_or_else(|p| p.into_inner());

    let mut folders: BTreeMap<String, Folder> = BTreeMap::new();
    let mut diags = Vec::new();
    for b in &batches {
        for rel in &b.dirs {
            let mut f = Folder::new(abs_of(root, rel), rel.clone());
            f.cap = opts.cap;
            folders.insert(rel.clone(), f);
        }
    }
    if !folders.contains_key(".") {
        for b in batches {
            diags.extend(b.diags);
        }
        return (Vec::new(), diags);
    }
    for b in batches {
        diags.extend(b.diags);
        for (parent, files) in b.parents.iter().zip(b.files) {
            if let Some(f) = folders.get_mut(parent) {
                if f.files.is_empty() {
                    f.files = files;
                } else {
                    f.files.extend(files);
                }
            }
        }
    }
    let rels: Vec<String> = folders.keys().filter(|r| *r != ".").cloned().collect();
    for rel in rels {
        let (parent, name) = split_rel(&rel);
        if let Some(p) = folders.get_mut(parent) {
            p.dirs.insert(name.to_string());
        }
    }
    let mut out: Vec<Folder> = Vec::with_capacity(folders.len());
    if let Some(r) = folders.remove(".") {
        out.push(r);
    }
    out.extend(folders.into_values());
    diags.sort();
    diags.dedup();
    (out, diags)
}

/// The parent folder and the last component of a workspace-relative path (`a/b` gives `a`, `b`;
/// `a` gives `.`, `a`).
pub fn split_rel(rel: &str) -> (&str, &str) {
    match rel.rsplit_once('/') {
        Some((p, n)) => (p, n),
        None => (".", rel),
    }
}

fn abs_of(root: &Path, rel: &str) -> PathBuf {
    if rel == "." {
        root.to_path_buf()
    } else {
        rel.split('/').fold(root.to_path_buf(), |p, c| p.join(c))
    }
}

struct VisitorBuilder<'a> {
    root: &'a Path,
    sink: &'a Mutex<Vec<Batch>>,
}

impl<'s> ParallelVisitorBuilder<'s> for VisitorBuilder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            root: self.root,
            sink: self.sink,
            batch: Batch::default(),
            last_parent: None,
        })
    }
}

struct Visitor<'a> {
    root: &'a Path,
    sink: &'a Mutex<Vec<Batch>>,
    batch: Batch,
    /// The absolute parent path of the last file seen and its index in `batch.parents`.
    last_parent: Option<(PathBuf, usize)>,
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        match self.sink.lock() {
            Ok(mut s) => s.push(batch),
            Err(p) => p.into_inner().push(batch),
        }
    }
}

impl Visitor<'_> {
    fn rel(&self, path: &Path) -> Result<String, String> {
        let inner = path.strip_prefix(self.root).unwrap_or(path);
        let mut parts: Vec<&str> = Vec::new();
        for c in inner.components() {
            match c.as_os_str().to_str() {
                Some(s) => parts.push(s),
                None => return Err(lossy_rel(self.root, path)),
            }
        }
        if parts.is_empty() {
            Ok(".".to_string())
        } else {
            Ok(parts.join("/"))
        }
    }

    /// The interned index of a file's parent folder.
    fn parent_index(&mut self, parent: &Path) -> Option<usize> {
        // byte comparison: `Path` equality walks both paths component by component
        if let Some((p, i)) = &self.last_parent
            && p.as_os_str() == parent.as_os_str()
        {
            return Some(*i);
        }
        let rel = self.rel(parent).ok()?;
        let i = self.batch.parents.len();
        self.batch.parents.push(rel);
        self.batch.files.push(BTreeSet::new());
        self.last_parent = Some((parent.to_path_buf(), i));
        Some(i)
    }

    fn diag(&mut self, path: String, message: String) {
        self.batch.diags.push(Diagnostic::new(path, message));
    }

    fn entry(&mut self, e: DirEntry) -> WalkState {
        if let Some(err) = e.error() {
            let p = lossy_rel(self.root, e.path());
            self.diag(
                p,
                format!("ignore file not fully read: {}", plain_error(err)),
            );
        }
        let Some(ft) = e.file_type() else {
            return WalkState::Continue;
        };
        if ft.is_dir() {
            return match self.rel(e.path()) {
                Ok(rel) => {
                    self.batch.dirs.push(rel);
                    WalkState::Continue
                }
                Err(lossy) => {
                    self.diag(
                        lossy,
                        "folder name is not UTF-8; skipped (detection needs UTF-8 names)"
                            .to_string(),
                    );
                    WalkState::Skip
                }
            };
        }
        if e.depth() == 0 {
            return WalkState::Continue;
        }
        let Some(name) = e.file_name().to_str() else {
            let lossy = lossy_rel(self.root, e.path());
            self.diag(
                lossy,
                "file name is not UTF-8; skipped (detection needs UTF-8 names)".to_string(),
            );
            return WalkState::Continue;
        };
        let is_file = if ft.is_symlink() {
            match std::fs::metadata(e.path()) {
                Ok(m) => m.is_file(),
                Err(err) if err.raw_os_error() == Some(libc::ELOOP) => {
                    let rel = lossy_rel(self.root, e.path());
                    self.diag(rel, "symbolic link loop; skipped".to_string());
                    return WalkState::Continue;
                }
                // A dangling link is no file and no problem worth reporting.
                Err(_) => false,
            }
        } else {
            ft.is_file()
        };
        if is_file {
            let name = name.to_string();
            if let Some(parent) = e.path().parent()
                && let Some(pi) = self.parent_index(parent)
            {
                if let Some(set) = self.batch.files.get_mut(pi) {
                    set.insert(name);
                }
            }
        }
        WalkState::Continue
    }
}

impl ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        match entry {
            Ok(e) => self.entry(e),
            Err(err) => {
                let (path, msg) = describe(self.root, &err);
                self.diag(path, msg);
                WalkState::Continue
            }
        }
    }
}

fn lossy_rel(root: &Path, path: &Path) -> String {
    let inner = path.strip_prefix(root).unwrap_or(path);
    let s = inner.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".to_string() } else { s }
}

/// A walk error as (workspace-relative path, message).
fn describe(root: &Path, err: &ignore::Error) -> (String, String) {
    match err {
        ignore::Error::WithPath { path, err } => (lossy_rel(root, path), plain_error(err)),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe(root, err)
        }
        ignore::Error::Loop { ancestor, child } => (
            lossy_rel(root, child),
            format!(
                "symbolic link loop (points back to {}); not followed",
                lossy_rel(root, ancestor)
            ),
        ),
        ignore::Error::Partial(errs) => match errs.first() {
            Some(e) => describe(root, e),
            None => (".".to_string(), "walk error".to_string()),
        },
        other => (".".to_string(), plain_error(other)),
    }
}

fn plain_error(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => plain_error(err),
        ignore::Error::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            "cannot be read: permission denied".to_string()
        }
        ignore::Error::Io(io) => format!("cannot be read: {io}"),
        ignore::Error::Partial(errs) => errs.iter().map(plain_error).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
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
