//! The demo workspace (`assets/demo`) deployed end to end on the real engine, offline, by the real
//! binary: `up`, every deployable service running and healthy, a request through the nginx proxy
//! reaching the Node api (which reaches the Python auth by service name), `logs`, then `down`
//! leaving no container, network or volume; the drop guard removes the images.
//!
//! Host ports: kyozo publishes a service's port as is when the host port is free and lets the
//! engine choose one otherwise, so the test reads every host port from `ps --json`. The one fixed
//! host port of the demo (the compose stack's `CACHE_HOST_PORT`) is set to a free port in the copy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Instant;

use support::{TestWs, docker_lines, engine_ready, http_get, stderr, stdout, wait_for};

/// The deployable services of the demo, as `kyozo detect assets/demo` lists them.
const SERVICES: [&str; 7] = ["api", "auth", "db", "proxy", "site", "web", "worker"];

fn ps(ws: &TestWs) -> Vec<serde_json::Value> {
    let out = ws.kyozo(&["ps", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// The host port of `service`'s container port `port`.
fn host_port(ps: &[serde_json::Value], service: &str, port: u64) -> u16 {
    ps.iter()
        .find(|s| s["name"] == service)
        .and_then(|s| {
            s["ports"]
                .as_array()?
                .iter()
                .find(|p| p["container"] == port)
        })
        .and_then(|p| p["host"].as_u64())
        .unwrap_or_else(|| panic!("no host port for {service}:{port} in {ps:?}")) as u16
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind(("0.0.0.0", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `docker ARGS` lines naming this workspace's resources.
fn left(ws: &TestWs, args: &[&str]) -> Vec<String> {
    let prefix = format!("kyozo-{}", ws.slug);
    docker_lines(args)
        .into_iter()
        .filter(|l| l.contains(&prefix))
        .collect()
}

/// Removes, when dropped, the dangling images built on `base`: the classic builder leaves the
/// `AS build` stage of a multi-stage build (the Go worker's) untagged, so the workspace's image
/// guard does not see it.
struct BuildStages {
    base: String,
}

/// Whether image `id` is built on image `base` (both ids).
fn descends(base: &str, id: &str) -> bool {
    let mut image = id.to_string();
    for _ in 0..100 {
        let parent = docker_lines(&["image", "inspect", "-f", "{{.Parent}}", &image]);
        match parent.first() {
            Some(p) if p == base => return true,
            Some(p) => image = p.clone(),
            None => return false,
        }
    }
    false
}

impl BuildStages {
    fn on(image: &str) -> BuildStages {
        let base = docker_lines(&["image", "inspect", "-f", "{{.Id}}", image]);
        BuildStages {
            base: base.first().cloned().unwrap_or_default(),
        }
    }
}

impl Drop for BuildStages {
    fn drop(&mut self) {
        if self.base.is_empty() {
            return;
        }
        for id in docker_lines(&["images", "-q", "--no-trunc", "--filter", "dangling=true"]) {
            if descends(&self.base, &id) {
                docker_lines(&["rmi", &id]);
            }
        }
    }
}

#[test]
fn demo_workspace_deploys_offline_end_to_end() {
    if !engine_ready() {
        return;
    }
    let started = Instant::now();
    let go_stages = BuildStages::on("kyozo-base/golang:1.19");
    let ws = TestWs::copy_of(&support::repo().join("assets/demo"));
    let slug = ws.slug.clone();
    let cache_port = free_port();
    std::fs::write(
        ws.root.join("db/.env"),
        format!("PG_PORT=5432\nCACHE_HOST_PORT={cache_port}\n"),
    )
    .unwrap();

    // what detect calls deployable is what up must deploy
    let out = Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .args(["detect", "--json"])
        .arg(&ws.root)
        .env("KYOZO_DB", &ws.db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let topo: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let deployable: BTreeSet<&str> = topo["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["deployable"] == true)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(deployable, SERVICES.into_iter().collect());

    let out = ws.kyozo(&["up"]);
    assert!(
        out.status.success(),
        "up failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let mut deployed: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    deployed.sort();
    let want: Vec<String> = SERVICES.iter().map(|s| format!("{s}\tdeployed")).collect();
    assert_eq!(deployed, want, "{}", stderr(&out));
    eprintln!("demo: up in {:.1}s", started.elapsed().as_secs_f64());

    // every service running, all its replicas, and healthy (probes may need a moment)
    let all_healthy = |ps: &[serde_json::Value]| {
        SERVICES.iter().all(|name| {
            ps.iter().any(|s| {
                s["name"] == *name
                    && s["status"] == "running"
                    && s["health"] == "healthy"
                    && s["replicas"]["running"].as_u64() >= Some(1)
                    && s["replicas"]["running"] == s["replicas"]["desired"]
            })
        })
    };
    let mut last = Vec::new();
    let healthy = wait_for(60, || {
        last = ps(&ws);
        all_healthy(&last).then_some(())
    });
    assert!(healthy.is_some(), "not all running and healthy: {last:#?}");
    let status = last;
    assert_eq!(host_port(&status, "db", 6379), cache_port);

    // through the proxy to the Node api, which asked the Python auth by its service name
    let proxy = host_port(&status, "proxy", 8088);
    let (code, body) = wait_for(20, || http_get(proxy, "/").filter(|(c, _)| *c == 200))
        .expect("the proxy answers GET /");
    assert_eq!(code, 200);
    let answer: serde_json::Value = serde_json::from_str(body.trim()).unwrap_or_else(|e| {
        panic!("api answer through the proxy is JSON ({e}): {body}");
    });
    assert_eq!(
        answer,
        serde_json::json!({"service": "api", "auth": "demo-user"})
    );
    assert_eq!(
        http_get(proxy, "/health").map(|(c, b)| (c, b.trim().to_string())),
        Some((200, "ok".to_string()))
    );
    // the others answer on their own host ports
    let site = http_get(host_port(&status, "site", 80), "/").unwrap();
    assert!(site.1.contains("kyozo demo site"), "{site:?}");
    let web = http_get(host_port(&status, "web", 8081), "/home.html").unwrap();
    assert!(web.1.contains("kyozo demo web"), "{web:?}");
    for (service, port) in [
        ("worker", 8082),
        ("auth", 8000),
        ("api", 3000),
        ("db", 6379),
    ] {
        let got = http_get(host_port(&status, service, port), "/health");
        assert_eq!(got.map(|g| g.0), Some(200), "{service} /health");
    }

    // logs: the api's own line, and nginx's access log on the container's stdout
    let out = ws.kyozo(&["logs", "api"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("api-1 | api listening on 3000"),
        "{}",
        stdout(&out)
    );
    let out = ws.kyozo(&["logs", "proxy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\"GET / HTTP/1.0\" 200"),
        "{}",
        stdout(&out)
    );
    let out = ws.kyozo(&["logs", "db"]);
    assert!(
        stdout(&out).contains("postgres stand-in"),
        "{}",
        stdout(&out)
    );

    let t_down = Instant::now();
    let out = ws.kyozo(&["down"]);
    assert!(out.status.success(), "down failed: {}", stderr(&out));
    eprintln!("demo: down in {:.1}s", t_down.elapsed().as_secs_f64());
    let mut removed: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    removed.sort();
    let want: Vec<String> = SERVICES.iter().map(|s| format!("{s}\tremoved")).collect();
    assert_eq!(removed, want);
    let containers = left(&ws, &["ps", "-a", "--format", "{{.Names}}"]);
    assert!(containers.is_empty(), "containers left: {containers:?}");
    let networks = left(&ws, &["network", "ls", "--format", "{{.Name}}"]);
    assert!(networks.is_empty(), "networks left: {networks:?}");
    let volumes = left(&ws, &["volume", "ls", "--format", "{{.Name}}"]);
    assert!(volumes.is_empty(), "volumes left: {volumes:?}");
    let by_label = docker_lines(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=io.kyozo.workspace.path={}", ws.root.display()),
    ]);
    assert!(by_label.is_empty(), "{by_label:?}");
    for s in ps(&ws) {
        assert_eq!(s["status"], "deployable", "{s}");
    }

    // the images stay until the guard removes them
    let reference = format!("reference=kyozo/{slug}-*");
    let images = docker_lines(&["images", "-q", "--filter", &reference]);
    assert!(!images.is_empty());
    drop(ws);
    let images = docker_lines(&[
        "images",
        "--filter",
        &reference,
        "--format",
        "{{.Repository}}",
    ]);
    assert!(images.is_empty(), "images left: {images:?}");
    let base = go_stages.base.clone();
    drop(go_stages);
    let stages: Vec<String> =
        docker_lines(&["images", "-q", "--no-trunc", "--filter", "dangling=true"])
            .into_iter()
            .filter(|id| descends(&base, id))
            .collect();
    assert!(
        stages.is_empty(),
        "the worker's build stage is left: {stages:?}"
    );
    eprintln!(
        "demo: whole test in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
