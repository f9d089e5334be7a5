//! Folder views built the way the walker builds them.

use std::path::Path;

use super::Folder;

/// A folder view of a real directory: its root-level files and sub-folders.
pub fn folder_of(path: &Path, rel: &str) -> Folder {
    let mut f = Folder::new(path, rel);
    for e in std::fs::read_dir(path).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        if e.file_type().unwrap().is_dir() {
            f.dirs.insert(name);
        } else {
            f.files.insert(name);
        }
    }
    f
}

/// A temporary folder with the given files (`/` in names creates sub-folders).
pub fn temp(files: &[(&str, &str)]) -> (tempfile::TempDir, Folder) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let f = folder_of(dir.path(), "svc");
    (dir, f)
}

/// The fixture tree `tests/fixtures/eco/<case>`.
pub fn fixture(case: &str) -> Folder {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eco")
        .join(case);
    assert!(p.is_dir(), "missing fixture {}", p.display());
    folder_of(&p, case)
}

/// Runs an analyzer on a folder, returning the finding and diagnostics.
pub fn run(
    a: super::super::Analyzer,
    f: &Folder,
) -> (Option<super::Finding>, Vec<super::Diagnostic>) {
    let mut d = Vec::new();
    let r = a(f, &mut d);
    (r, d)
}

/// The resolved port of a finding.
pub fn port(f: &super::Finding) -> Option<u16> {
    super::ports::resolve(&f.ports)
}
