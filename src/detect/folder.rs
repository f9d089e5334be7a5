//! One folder of the workspace as an ecosystem analyzer sees it: the names of its root-level files and
//! child folders, and capped, read-only access to files below it. Analyzers never touch the file system
//! any other way.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Default cap on the size of a manifest or source file that detection reads (1 MiB).
pub const DEFAULT_READ_CAP: u64 = 1024 * 1024;

/// Why a file could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("larger than the {cap}-byte cap ({size} bytes), not read")]
    TooLarge { size: u64, cap: u64 },
    #[error("not UTF-8 text")]
    NotText,
    #[error("cannot be read: {0}")]
    Io(String),
}

/// A folder of the workspace.
#[derive(Debug, Clone)]
pub struct Folder {
    /// Absolute path.
    pub abs: PathBuf,
    /// Workspace-relative path with `/` separators; `.` for the root.
    pub rel: String,
    /// Names of the regular files directly inside (UTF-8 names only).
    pub files: BTreeSet<String>,
    /// Names of the child folders the walk keeps (ignored folders are absent).
    pub dirs: BTreeSet<String>,
    /// Size cap for reads.
    pub cap: u64,
}

impl Folder {
    /// A folder view with the given root-level entries (mostly for tests and the walker).
    pub fn new(abs: impl Into<PathBuf>, rel: impl Into<String>) -> Self {
        Folder {
            abs: abs.into(),
            rel: rel.into(),
            files: BTreeSet::new(),
            dirs: BTreeSet::new(),
            cap: DEFAULT_READ_CAP,
        }
    }

    /// Whether a root-level file with this exact name exists.
    pub fn has(&self, name: &str) -> bool {
        self.files.contains(name)
    }

    /// Whether a root-level child folder with this name exists (and is kept by the walk).
    pub fn has_dir(&self, name: &str) -> bool {
        self.dirs.contains(name)
    }

    /// Root-level files whose name ends with `suffix` (e.g. `.tf`, `.csproj`).
    pub fn files_ending<'a>(&'a self, suffix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files
            .iter()
            .filter(move |f| f.ends_with(suffix))
            .map(String::as_str)
    }

    /// The folder's own name (the workspace root gives the root's folder name).
    pub fn name(&self) -> String {
        self.abs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "workspace".to_string())
    }

    /// Workspace-relative path of a file inside this folder (for diagnostics and indicators).
    pub fn rel_path(&self, inner: &str) -> String {
        if self.rel == "." {
            inner.to_string()
        } else {
            format!("{}/{}", self.rel, inner)
        }
    }

    /// Reads `inner` (a `/`-separated path relative to this folder, e.g. `package.json` or
    /// `src/main.rs`) as UTF-8 text. `Ok(None)` when it does not exist or is not a regular file.
    pub fn read(&self, inner: &str) -> Result<Option<String>, ReadError> {
        if inner.split('/').any(|c| c == "..") {
            return Ok(None);
        }
        read_capped(&self.abs.join(inner), self.cap)
    }

    /// Like [`Folder::read`] but any failure is `None`: for optional evidence such as entry files.
    pub fn read_opt(&self, inner: &str) -> Option<String> {
        self.read(inner).ok().flatten()
    }
}

/// Reads a file as UTF-8 text if it is a regular file no larger than `cap`.
pub fn read_capped(path: &Path, cap: u64) -> Result<Option<String>, ReadError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReadError::Io(e.to_string())),
    };
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    let file = std::fs::File::open(path).map_err(|e| ReadError::Io(e.to_string()))?;
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ReadError::Io(e.to_string()))?;
    if buf.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            size: buf.len() as u64,
            cap,
        });
    }
    if buf.contains(&0) {
        return Err(ReadError::NotText);
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| ReadError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_and_refuses_binary_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "hello").unwrap();
        std::fs::write(dir.path().join("bin"), [0u8, 159, 146, 150]).unwrap();
        std::fs::write(dir.path().join("big"), vec![b'x'; 100]).unwrap();
        let mut f = Folder::new(dir.path(), ".");
        f.cap = 50;
        assert_eq!(f.read("a.txt").unwrap().as_deref(), Some("hello"));
        assert_eq!(f.read("missing").unwrap(), None);
        assert_eq!(f.read("bin"), Err(ReadError::NotText));
        assert!(matches!(f.read("big"), Err(ReadError::TooLarge { .. })));
        assert_eq!(f.read("../etc/passwd").unwrap(), None);
    }
}
