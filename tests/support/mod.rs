//! Shared helpers of the engine tests: engine availability (skip or fail), offline base images,
//! unique throw-away workspaces whose engine resources are removed on drop, and the kyozo binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The config that points `[images]` at the offline base images.
pub fn offline_config() -> PathBuf {
    repo().join("assets/offline-images.toml")
}

/// Whether the engine tests can run: true when a daemon answers; false (with the reason on
/// stderr) when none does and `KYOZO_REQUIRE_DOCKER` is unset; a panic when it is set.
pub fn engine_ready() -> bool {
    static CHECK: Once = Once::new();
    let ok = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        let required = std::env::var_os("KYOZO_REQUIRE_DOCKER").is_some_and(|v| !v.is_empty());
        if required {
            panic!("KYOZO_REQUIRE_DOCKER is set but no Docker Engine answers `docker version`");
        }
        eprintln!(
            "skipping: no Docker Engine reachable (set KYOZO_REQUIRE_DOCKER=1 to fail instead)"
        );
        return false;
    }
    CHECK.call_once(ensure_base_images);
    true
}

/// Runs assets/base-images.sh once per test process (the script itself takes a lock and is quick
/// when the images exist).
fn ensure_base_images() {
    let out = Command::new("bash")
        .arg(repo().join("assets/base-images.sh"))
        .output()
        .expect("run assets/base-images.sh");
    assert!(
        out.status.success(),
        "assets/base-images.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A throw-away workspace: a copy of a fixture under a unique folder name (so every engine
/// resource name is unique), with its own history store. Dropping it removes every container,
/// image, network and volume named after it, even when the test failed.
pub struct TestWs {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub db: PathBuf,
    pub slug: String,
}

impl TestWs {
    /// A copy of `tests/fixtures/<fixture>`.
    pub fn new(fixture: &str) -> TestWs {
        TestWs::copy_of(&repo().join("tests/fixtures").join(fixture))
    }

    /// A copy of any folder (`assets/demo`, say), dotfiles included.
    pub fn copy_of(source: &Path) -> TestWs {
        let tmp = tempfile::tempdir().unwrap();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let slug = format!("kzt{}x{n}", std::process::id());
        let root = tmp.path().join(&slug);
        copy_dir(source, &root);
        let db = tmp.path().join("kyozo.redb");
        TestWs {
            _tmp: tmp,
            root: root.canonicalize().unwrap(),
            db,
            slug,
        }
    }

    /// Runs the kyozo binary in this workspace with the offline config and this store.
    pub fn kyozo(&self, args: &[&str]) -> Output {
        self.kyozo_env(args, &[])
    }

    pub fn kyozo_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kyozo"));
        cmd.args(args)
            .arg("--path")
            .arg(&self.root)
            .env("KYOZO_CONFIG", offline_config())
            .env("KYOZO_DB", &self.db)
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Names of this workspace's containers (running or not), sorted.
    pub fn containers(&self) -> Vec<String> {
        let mut v = docker_lines(&[
            "ps",
            "-a",
            "--filter",
            &format!("name=^kyozo-{}-", self.slug),
            "--format",
            "{{.Names}}",
        ]);
        v.sort();
        v
    }
}

impl Drop for TestWs {
    fn drop(&mut self) {
        let prefix = format!("kyozo-{}", self.slug);
        let ids = docker_lines(&["ps", "-aq", "--filter", &format!("name=^{prefix}")]);
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(ids.iter().map(String::as_str));
            docker_lines(&args);
        }
        let images = docker_lines(&[
            "images",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            "--filter",
            &format!("reference=kyozo/{}-*", self.slug),
        ]);
        for i in images {
            docker_lines(&["rmi", "-f", &i]);
        }
        for n in docker_lines(&["network", "ls", "-q", "--filter", &format!("name={prefix}")]) {
            docker_lines(&["network", "rm", &n]);
        }
        for v in docker_lines(&["volume", "ls", "-q", "--filter", &format!("name={prefix}")]) {
            docker_lines(&["volume", "rm", "-f", &v]);
        }
    }
}

/// Runs `docker ARGS` and returns its non-empty stdout lines (empty on failure).
pub fn docker_lines(args: &[&str]) -> Vec<String> {
    Command::new("docker")
        .args(args)
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// GET http://127.0.0.1:PORT/PATH with busybox-free std: the status code and body.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let code = buf.split_whitespace().nth(1)?.parse().ok()?;
    let body = buf
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    Some((code, body))
}

/// Polls `f` every 200 ms until it returns Some, for at most `secs` seconds.
pub fn wait_for<T>(secs: u64, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
