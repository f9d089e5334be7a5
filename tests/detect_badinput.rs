//! Bad input never stops detection: each problem is a diagnostic and the rest is still detected. The
//! corpus is built by the test in a temporary folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use kyozo::detect::{self, DetectOptions, Topology, walker};

fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

fn diag<'a>(t: &'a Topology, path: &str) -> &'a str {
    t.diagnostics
        .iter()
        .find(|d| d.path == path)
        .map(|d| d.message.as_str())
        .unwrap_or_else(|| panic!("no diagnostic for {path}: {:#?}", t.diagnostics))
}

fn is_root() -> bool {
    // `libc::geteuid` needs `unsafe`, which the crate denies: the owner of a fresh file tells who we are.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("me");
    fs::write(&f, "").unwrap();
    std::os::unix::fs::MetadataExt::uid(&fs::metadata(&f).unwrap()) == 0
}

#[test]
fn corpus_of_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    // A good service that must survive everything else.
    write(r, "good/Dockerfile", b"FROM alpine\nEXPOSE 8080\n");
    // Malformed manifests of every kind the core and the ecosystems read.
    write(r, "badyaml/compose.yaml", b"services:\n  a: {image: [\n");
    write(
        r,
        "badjson/package.json",
        b"{\"name\": \"x\",\n  \"scripts\": {\n",
    );
    write(r, "badtoml/Cargo.toml", b"[package\nname = \"x\"\n");
    write(r, "badtoml/pyproject.toml", b"[project]\nname = \n");
    write(r, "badgo/go.mod", b"modul\x20\n");
    // Binary files with manifest names.
    write(r, "binary/package.json", &[0u8, 159, 146, 150, 0, 1, 2]);
    write(r, "binary2/Dockerfile", &[0x7f, b'E', b'L', b'F', 0, 0]);
    // A manifest larger than the cap.
    let mut big = b"FROM alpine\n".to_vec();
    big.extend(std::iter::repeat_n(b'#', 2 * 1024 * 1024));
    write(r, "huge/Dockerfile", &big);
    // A self-referencing symlink and a link to an ancestor folder.
    fs::create_dir_all(r.join("links")).unwrap();
    std::os::unix::fs::symlink("loop", r.join("links/loop")).unwrap();
    std::os::unix::fs::symlink("..", r.join("links/up")).unwrap();
    std::os::unix::fs::symlink("missing", r.join("links/Dockerfile")).unwrap();
    // Non-UTF-8 file and folder names.
    let bad_dir = std::ffi::OsStr::from_bytes(b"caf\xe9");
    fs::create_dir_all(r.join(bad_dir)).unwrap();
    fs::write(r.join(bad_dir).join("Dockerfile"), "FROM alpine\n").unwrap();
    fs::write(
        r.join("good")
            .join(std::ffi::OsStr::from_bytes(b"n\xffote.txt")),
        "x",
    )
    .unwrap();

    let t = detect::detect(r, &DetectOptions::default()).unwrap();

    let good = t.service("good").expect("good service detected");
    assert_eq!(good.port, Some(8080));
    assert!(diag(&t, "badyaml/compose.yaml").contains("invalid YAML"));
    assert!(diag(&t, "binary2/Dockerfile").contains("not UTF-8"));
    assert!(diag(&t, "huge/Dockerfile").contains("cap"));
    assert!(diag(&t, "links/loop").contains("symbolic link loop"));
    assert!(diag(&t, "caf\u{fffd}").contains("not UTF-8"));
    assert!(diag(&t, "good/n\u{fffd}ote.txt").contains("not UTF-8"));
    for p in ["badyaml", "binary2", "huge", "links", "caf\u{fffd}"] {
        assert!(t.services.iter().all(|s| s.path != p), "{p} listed");
    }
    // The ancestor link is not followed: nothing is detected twice.
    assert_eq!(
        t.services
            .iter()
            .filter(|s| s.path.ends_with("good"))
            .count(),
        1
    );
    // The workspace still serializes.
    serde_json::to_string(&t).unwrap();
}

#[test]
fn a_smaller_cap_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "svc/Dockerfile", b"FROM alpine\nEXPOSE 80\n");
    let opts = DetectOptions {
        read_cap: 10,
        ..DetectOptions::default()
    };
    let t = detect::detect(dir.path(), &opts).unwrap();
    assert!(t.services.is_empty());
    assert!(diag(&t, "svc/Dockerfile").contains("10-byte cap"));
}

#[test]
fn following_links_reports_loops() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "a/Dockerfile", b"FROM alpine\n");
    std::os::unix::fs::symlink("..", r.join("a/back")).unwrap();
    let opts = walker::WalkOptions {
        follow_links: true,
        ..walker::WalkOptions::default()
    };
    let (folders, diags) = walker::walk_with(r, &opts);
    assert!(folders.iter().any(|f| f.rel == "a"));
    assert!(
        diags
            .iter()
            .any(|d| d.path == "a/back" && d.message.contains("symbolic link loop")),
        "{diags:?}"
    );
}

#[test]
fn unreadable_folder_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "ok/Dockerfile", b"FROM alpine\n");
    write(r, "locked/inner/Dockerfile", b"FROM alpine\n");
    let locked = r.join("locked");
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let t = detect::detect(r, &DetectOptions::default()).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(t.service("ok").is_some());
    if is_root() {
        // root reads through mode 000: the folder is simply walked. Nothing to assert beyond
        // "no panic and the rest detected"; the diagnostic is checked for ordinary users.
        assert!(t.service("inner").is_some());
    } else {
        assert!(diag(&t, "locked").contains("permission denied"));
        assert!(t.service("inner").is_none());
    }
}

#[test]
fn a_thousand_deep_chain() {
    let dir = tempfile::tempdir().unwrap();
    let mut rel = String::new();
    for i in 0..1000 {
        if i > 0 {
            rel.push('/');
        }
        rel.push('d');
    }
    write(dir.path(), &format!("{rel}/Dockerfile"), b"FROM alpine\n");
    let t = detect::detect(dir.path(), &DetectOptions::default()).unwrap();
    assert_eq!(t.services.len(), 1, "{:?}", t.diagnostics);
    assert_eq!(t.services[0].path, rel);
    assert_eq!(t.services[0].name, "d");
    assert_eq!(t.deployment_order, vec![vec!["d".to_string()]]);
}

#[test]
fn empty_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let t = detect::detect(dir.path(), &DetectOptions::default()).unwrap();
    assert!(t.services.is_empty());
    assert!(t.deployment_order.is_empty());
    assert!(t.diagnostics.is_empty());
}

#[test]
fn missing_root_and_file_root_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = detect::detect(&dir.path().join("nope"), &DetectOptions::default()).unwrap_err();
    assert!(e.to_string().ends_with("no such folder"));
    write(dir.path(), "f", b"");
    let e = detect::detect(&dir.path().join("f"), &DetectOptions::default()).unwrap_err();
    assert!(e.to_string().ends_with("is not a folder"));
}
