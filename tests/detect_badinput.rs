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

/// Files that cost far more than their size, each in its own folder beside a good service.
/// Returns the folders that must each have a diagnostic.
fn hostile_corpus(r: &Path) -> Vec<&'static str> {
    let fifo = |rel: &str| {
        let p = r.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        let ok = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo {rel}");
    };
    write(r, "good/Dockerfile", b"FROM alpine\nEXPOSE 8080\n");
    // Ignore files that are not regular files, or huge.
    for (dir, name) in [
        ("fifo-gitignore", ".gitignore"),
        ("fifo-ignore", ".ignore"),
        ("fifo-dockerignore", ".dockerignore"),
    ] {
        write(r, &format!("{dir}/Dockerfile"), b"FROM alpine\n");
        fifo(&format!("{dir}/{name}"));
    }
    fs::create_dir_all(r.join("zero-gitignore")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", r.join("zero-gitignore/.gitignore")).unwrap();
    write(r, "sparse-gitignore/Dockerfile", b"FROM alpine\n");
    let sparse = fs::File::create(r.join("sparse-gitignore/.gitignore")).unwrap();
    sparse.set_len(2 * 1024 * 1024 * 1024).unwrap();
    let mut patterns = String::new();
    let mut i = 0;
    while patterns.len() < 900 * 1024 {
        patterns.push_str(&format!("a*b*c*{i}/**/x?y[0-9]\n"));
        i += 1;
    }
    write(r, "many-patterns/.gitignore", patterns.as_bytes());
    // YAML aliases: one anchor of 5,000 values aliased 5,000 times.
    let mut bomb = String::from("x-base: &a [");
    bomb.push_str(&vec!["1"; 5000].join(","));
    bomb.push_str("]\nservices:\n  web:\n    image: nginx\n    labels: [");
    bomb.push_str(&vec!["*a"; 5000].join(","));
    bomb.push_str("]\n");
    write(r, "yaml-alias/compose.yaml", bomb.as_bytes());
    write(
        r,
        "spring-alias/pom.xml",
        b"<project><dependencies><dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency></dependencies></project>\n",
    );
    write(
        r,
        "spring-alias/src/main/resources/application.yaml",
        bomb.replace("services:", "server:").as_bytes(),
    );
    write(
        r,
        "kube-alias/deployment.yaml",
        format!("apiVersion: apps/v1\nkind: Deployment\ncontainers: []\n{bomb}").as_bytes(),
    );
    // `.env` interpolation: a 10 kB value referenced 10,000 times.
    write(
        r,
        "env-amp/.env",
        format!("A={}\n", "v".repeat(10_000)).as_bytes(),
    );
    write(
        r,
        "env-amp/compose.yaml",
        format!(
            "services:\n  web:\n    image: \"{}\"\n",
            "${A}".repeat(10_000)
        )
        .as_bytes(),
    );
    // Parses that were super-linear.
    write(r, "deep-flow/compose.yaml", "[".repeat(50_000).as_bytes());
    write(r, "deep-map/compose.yaml", "{a: ".repeat(30_000).as_bytes());
    let mut tags = String::new();
    for i in 0..30_000 {
        tags.push_str(&format!("%TAG !t{i}! tag:x,{i}:\n"));
    }
    tags.push_str("---\nservices: {}\n");
    write(r, "yaml-tags/compose.yaml", tags.as_bytes());
    let mut stages = String::from("FROM alpine AS s0\n");
    for i in 1..20_000 {
        stages.push_str(&format!("FROM s{} AS s{i}\nENV K{i}=v\n", i - 1));
    }
    write(r, "stages/Dockerfile", stages.as_bytes());
    let mut doubling = String::from("FROM alpine\nENV A=0123456789\n");
    for _ in 0..40 {
        doubling.push_str("ENV A=$A$A\n");
    }
    write(r, "env-double/Dockerfile", doubling.as_bytes());
    write(
        r,
        "deep-xml/pom.xml",
        format!("<project>{}", "<a>".repeat(200_000)).as_bytes(),
    );
    write(
        r,
        "deep-nginx/nginx.conf",
        "server { ".repeat(100_000).as_bytes(),
    );
    write(r, "deep-json/package.json", "[".repeat(500_000).as_bytes());
    write(
        r,
        "deep-toml/Cargo.toml",
        format!("[package]\nname = \"x\"\na = {}", "[".repeat(100_000)).as_bytes(),
    );
    // Valid files that used to cost quadratic time: many XML comments in a pom, thousands of
    // distinct URL hosts and ports in entry code.
    write(
        r,
        "xml-comments/pom.xml",
        format!("<project>{}</project>\n", "<!---->".repeat(140_000)).as_bytes(),
    );
    write(
        r,
        "many-literals/package.json",
        b"{\"scripts\": {\"start\": \"node server.js\"}}\n",
    );
    let mut code = String::new();
    for i in 0..30_000 {
        code.push_str(&format!("fetch(\"http://h{i}:{}\");\n", 1 + i % 60_000));
    }
    write(r, "many-literals/server.js", code.as_bytes());
    let mut envs = String::from("FROM alpine\n");
    for i in 0..20_000 {
        envs.push_str(&format!("ENV K{i}=http://h{i}:80\n"));
    }
    write(r, "env-lines/Dockerfile", envs.as_bytes());
    let mut dotenv = String::new();
    for i in 0..50_000 {
        dotenv.push_str(&format!("K{i}=v{i}\n"));
    }
    write(r, "env-file/.env", dotenv.as_bytes());
    write(r, "env-file/requirements.txt", b"flask\n");
    let mut conf = String::from("upstream big {\n");
    for i in 0..20_000 {
        conf.push_str(&format!("  server u{i}:80;\n"));
    }
    conf.push_str("}\nserver {\n  listen 80;\n");
    for i in 0..10_000 {
        conf.push_str(&format!("  location /p{i} {{ proxy_pass http://big; }}\n"));
    }
    conf.push_str("}\n");
    write(r, "upstreams/nginx.conf", conf.as_bytes());
    vec![
        "fifo-gitignore/.gitignore",
        "fifo-ignore/.ignore",
        "zero-gitignore/.gitignore",
        "sparse-gitignore/.gitignore",
        "many-patterns/.gitignore",
        "yaml-alias/compose.yaml",
        "spring-alias",
        "kube-alias/deployment.yaml",
        "env-amp/compose.yaml",
        "deep-flow/compose.yaml",
        "deep-map/compose.yaml",
        "yaml-tags/compose.yaml",
        "env-double/Dockerfile",
        "deep-xml/pom.xml",
        "deep-nginx/nginx.conf",
        "deep-json/package.json",
        "deep-toml/Cargo.toml",
    ]
}

/// Peak memory allowed to `kyozo detect` on the hostile corpus (address space, as `prlimit --as`
/// counts it: it includes thread stacks and allocator reservations, so it is above the resident
/// peak).
const MEMORY_CAP: u64 = 256 * 1024 * 1024;

/// Time allowed: 2 s for an optimized build; the unoptimized build of `cargo test` is given more.
fn time_cap() -> std::time::Duration {
    if cfg!(debug_assertions) {
        std::time::Duration::from_secs(15)
    } else {
        std::time::Duration::from_secs(2)
    }
}

#[test]
fn hostile_files_are_diagnostics_within_time_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let cases = hostile_corpus(r);
    let start = std::time::Instant::now();
    let mut child = std::process::Command::new("prlimit")
        .arg(format!("--as={MEMORY_CAP}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_kyozo"))
        .args(["detect", "--json"])
        .arg(r)
        // one allocator arena per thread reserves 64 MiB of address space each
        .env("MALLOC_ARENA_MAX", "2")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > time_cap() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kyozo detect took longer than {:?}", time_cap());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{status}: {err}");
    let out = reader.join().unwrap();
    let t: Topology = serde_json::from_str(&out).unwrap();
    eprintln!("hostile corpus detected in {elapsed:?}");
    assert!(t.service("good").is_some());
    for case in cases {
        assert!(
            t.diagnostics
                .iter()
                .any(|d| d.path == case || d.path.starts_with(&format!("{case}/"))),
            "no diagnostic for {case}: {:#?}",
            t.diagnostics
        );
    }
    // 20,000 build stages are a valid Dockerfile: read in linear time, the service is found.
    assert!(t.services.iter().any(|s| s.path == "stages"));
    // The hostile ignore files did not stop the rest of their folder.
    for dir in [
        "fifo-gitignore",
        "fifo-ignore",
        "fifo-dockerignore",
        "sparse-gitignore",
    ] {
        assert!(t.services.iter().any(|s| s.path == dir), "{dir} lost");
    }
}

#[test]
fn a_fifo_dockerignore_fails_the_build_context_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "Dockerfile", b"FROM alpine\n");
    let ok = std::process::Command::new("mkfifo")
        .arg(r.join(".dockerignore"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let e = kyozo::deploy::context::context_files(r).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
}
