//! One folder of the workspace as an ecosystem analyzer sees it: the names of its root-level files and
//! child folders, and capped, read-only access to files below it. Analyzers never touch the file system
//! any other way.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Default cap on the size of a manifest or source file that detection reads (1 MiB).
pub const DEFAULT_READ_CAP: u64 = 1024 * 1024;

/// Why a file could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("larger than the {cap}-byte cap ({size} bytes), not read")]
    TooLarge { size: u64, cap: u64 },
    #[error("not UTF-8 text")]
    NotText,
    #[error("not a regular file")]
    NotRegular,
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
    /// `.env` and `.env.example`, read once (several analyzers of a folder use them).
    env_files: OnceLock<[Option<String>; 2]>,
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
            env_files: OnceLock::new(),
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

    /// Root-level files whose name starts with `prefix`, in name order (one lookup in the sorted
    /// names, not a scan of them).
    pub fn files_starting<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |f| f.starts_with(prefix))
            .map(String::as_str)
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
    ///
    /// A root-level file or a child folder the walk did not list is not looked up on disk (most
    /// analyzers probe a handful of entry-file names in every folder; a failed lookup each would
    /// cost more than the walk), except dotfiles such as `.env`, which count even when an ignore
    /// file hides them.
    pub fn read(&self, inner: &str) -> Result<Option<String>, ReadError> {
        if inner.split('/').any(|c| c == "..") {
            return Ok(None);
        }
        let listed = match inner.split_once('/') {
            None => inner.starts_with('.') || self.files.contains(inner),
            Some((dir, _)) => self.dirs.contains(dir),
        };
        if !listed {
            return Ok(None);
        }
        read_capped(&self.abs.join(inner), self.cap)
    }

    /// The text of `.env` or `.env.example` (any other name gives `None`), read on first use and
    /// kept for the other analyzers of this folder.
    pub fn env_file(&self, name: &str) -> Option<&str> {
        let i = match name {
            ".env" => 0,
            ".env.example" => 1,
            _ => return None,
        };
        self.env_files
            .get_or_init(|| [self.read_opt(".env"), self.read_opt(".env.example")])[i]
            .as_deref()
    }

    /// Like [`Folder::read`] but any failure is `None`: for optional evidence such as entry files.
    pub fn read_opt(&self, inner: &str) -> Option<String> {
        self.read(inner).ok().flatten()
    }
}

/// Reads a file as UTF-8 text if it is a regular file no larger than `cap`.
///
/// No `stat` first: the file is opened non-blocking (a FIFO cannot hang the walk; a folder fails to
/// read) and read through a `cap + 1` limit, so a huge or endless file costs at most the cap. The
/// size is looked up only to report a file that is too large.
pub fn read_capped(path: &Path, cap: u64) -> Result<Option<String>, ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReadError::Io(e.to_string())),
    };
    let mut buf = Vec::with_capacity(8 * 1024);
    match (&file).take(cap + 1).read_to_end(&mut buf) {
        Ok(_) => {}
        // a folder (or anything else that is not a regular file): nothing to read
        Err(e) if e.raw_os_error() == Some(libc::EISDIR) => return Ok(None),
        Err(e) => return Err(ReadError::Io(e.to_string())),
    }
    if buf.len() as u64 > cap {
        let size = file.metadata().map(|m| m.len()).unwrap_or(buf.len() as u64);
        return Err(ReadError::TooLarge { size, cap });
    }
    if buf.contains(&0) {
        return Err(ReadError::NotText);
    }
    let is_file = || file.metadata().is_ok_and(|m| m.is_file());
    if buf.is_empty() && !is_file() {
        // an empty FIFO or device
        return Ok(None);
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| ReadError::NotText)
}

/// Reads a file as UTF-8 text only when it is a regular file (or a link to one) no larger than
/// `cap`: opened non-blocking, checked with `fstat` on the open file, read through the cap.
/// `Ok(None)` when it does not exist; a FIFO, device, socket or folder is [`ReadError::NotRegular`].
/// For files that are always read when present (ignore files), where [`read_capped`] serves files
/// the walk listed as regular already.
pub fn read_regular(path: &Path, cap: u64) -> Result<Option<String>, ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => return Ok(None),
        Err(e) => return Err(ReadError::Io(e.to_string())),
    };
    let meta = file.metadata().map_err(|e| ReadError::Io(e.to_string()))?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(64 * 1024));
    (&file)
        .take(cap + 1)
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
        for n in ["a.txt", "bin", "big"] {
            f.files.insert(n.into());
        }
        f.cap = 50;
        assert_eq!(f.read("a.txt").unwrap().as_deref(), Some("hello"));
        assert_eq!(f.read("missing").unwrap(), None);
        assert_eq!(f.read("bin"), Err(ReadError::NotText));
        assert!(matches!(f.read("big"), Err(ReadError::TooLarge { .. })));
        assert_eq!(f.read("../etc/passwd").unwrap(), None);
    }

    #[test]
    fn fifos_and_folders_read_as_nothing_without_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mkfifo")
            .arg(dir.path().join("package.json"))
            .status()
            .unwrap()
            .success();
        assert!(ok);
        std::fs::create_dir(dir.path().join("Dockerfile")).unwrap();
        let mut f = Folder::new(dir.path(), ".");
        f.files.insert("package.json".into());
        f.files.insert("Dockerfile".into());
        assert_eq!(f.read("package.json").unwrap(), None);
        assert_eq!(f.read("Dockerfile").unwrap(), None);
    }

    #[test]
    fn files_by_prefix() {
        let mut f = Folder::new("/nonexistent", ".");
        for n in [
            "compose.yaml",
            "compose.ci.yaml",
            "composer.json",
            "Dockerfile",
            "docker-compose-x.yml",
        ] {
            f.files.insert(n.into());
        }
        let c: Vec<&str> = f.files_starting("compose").collect();
        assert_eq!(c, ["compose.ci.yaml", "compose.yaml", "composer.json"]);
        assert_eq!(f.files_starting("docker-").count(), 1);
        assert_eq!(f.files_starting("zz").count(), 0);
    }

    #[test]
    fn unlisted_root_files_are_not_read_but_dotfiles_are() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.ts"), "Deno.serve(() => {})").unwrap();
        std::fs::write(dir.path().join(".env"), "A=1").unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "fn main() {}").unwrap();
        // an ignore file hid all three from the walk
        let mut f = Folder::new(dir.path(), ".");
        assert_eq!(f.read("main.ts").unwrap(), None);
        assert_eq!(f.read(".env").unwrap().as_deref(), Some("A=1"));
        assert_eq!(f.read("src/main.rs").unwrap(), None);
        f.dirs.insert("src".into());
        assert!(f.read("src/main.rs").unwrap().is_some());
    }
}
