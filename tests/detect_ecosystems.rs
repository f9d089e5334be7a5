//! Detection core behaviour that needs the ecosystem analyzers (node, python, go, rust, nginx,
//! terraform, static): precedence between a Dockerfile or another language and `package.json`,
//! workspace roots that only aggregate, conflicts, manifest diagnostics and the demo workspace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use kyozo::detect::{self, DetectOptions, Service, ServiceType, Topology};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/detect")
        .join(name)
}

fn run_at(p: &Path) -> Topology {
    detect::detect(p, &DetectOptions::default()).unwrap()
}

fn at<'a>(t: &'a Topology, path: &str) -> &'a Service {
    t.services
        .iter()
        .find(|s| s.path == path)
        .unwrap_or_else(|| panic!("no service at {path}: {:#?}", t.services))
}

fn wave_of(t: &Topology, name: &str) -> usize {
    t.deployment_order
        .iter()
        .position(|w| w.iter().any(|n| n == name))
        .unwrap_or_else(|| panic!("{name} not in order {:?}", t.deployment_order))
}

#[test]
fn dockerfile_beside_package_json_is_containerized_node() {
    let t = run_at(&fixture("eco"));
    let s = at(&t, "node-docker");
    assert_eq!(s.kind, ServiceType::Containerized);
    assert_eq!(s.technologies.first().map(String::as_str), Some("node"));
    assert!(s.technologies.iter().any(|x| x == "express"), "{s:?}");
    assert!(s.indicators.iter().any(|i| i == "Dockerfile"));
    assert!(s.indicators.iter().any(|i| i == "package.json"));
    assert_eq!(s.port, Some(4000));
    // Agreeing evidence raises the Dockerfile's 0.9.
    assert!(s.confidence > 0.9, "{}", s.confidence);
}

#[test]
fn package_json_beside_requirements_is_a_helper() {
    let t = run_at(&fixture("eco"));
    let s = at(&t, "py-with-pkg");
    assert_eq!(s.kind, ServiceType::Python);
    assert_eq!(s.technologies.first().map(String::as_str), Some("python"));
    assert!(s.technologies.iter().any(|x| x == "node"));
    // No conflict penalty: package.json is only a helper here.
    assert!(s.confidence >= 0.8, "{}", s.confidence);
}

#[test]
fn workspace_roots_that_only_aggregate_are_not_services() {
    let t = run_at(&fixture("eco"));
    assert!(t.services.iter().all(|s| s.path != "npm-ws"));
    assert!(t.services.iter().all(|s| s.path != "cargo-ws"));
    assert_eq!(at(&t, "npm-ws/packages/a").kind, ServiceType::Nodejs);
    // A package without start script, main or server entry is no service.
    assert!(t.services.iter().all(|s| s.path != "npm-ws/packages/lib"));
    assert_eq!(at(&t, "cargo-ws/crates/app").kind, ServiceType::Rust);
}

#[test]
fn two_language_manifests_lower_confidence() {
    let t = run_at(&fixture("eco"));
    let c = at(&t, "conflict");
    let solo = match c.kind {
        ServiceType::Golang => at(&t, "go-solo"),
        ServiceType::Rust => at(&t, "rust-solo"),
        other => panic!("unexpected type {other}"),
    };
    assert!(
        (solo.confidence - c.confidence - 0.1).abs() < 1e-9,
        "conflict {} solo {}",
        c.confidence,
        solo.confidence
    );
}

#[test]
fn malformed_manifests_are_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let w = |rel: &str, b: &[u8]| {
        let p = r.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, b).unwrap();
    };
    w("good/Dockerfile", b"FROM alpine\n");
    w(
        "badjson/package.json",
        b"{\"name\": \"x\",\n  \"scripts\": {\n",
    );
    w("badcargo/Cargo.toml", b"[package\nname = \"x\"\n");
    w("badpy/pyproject.toml", b"[project]\nname = \n");
    w("binary/package.json", &[0u8, 159, 146, 150, 0, 1]);
    let t = run_at(r);
    assert!(t.service("good").is_some());
    for p in [
        "badjson/package.json",
        "badcargo/Cargo.toml",
        "badpy/pyproject.toml",
        "binary/package.json",
    ] {
        assert!(
            t.diagnostics.iter().any(|d| d.path == p),
            "no diagnostic for {p}: {:?}",
            t.diagnostics
        );
    }
}

#[test]
fn demo_workspace() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let t = run_at(&demo);
    let kind = |p: &str| at(&t, p).kind;
    assert_eq!(kind("db"), ServiceType::ComposeStack);
    assert_eq!(kind("web"), ServiceType::Containerized);
    assert_eq!(kind("services/api"), ServiceType::Nodejs);
    assert_eq!(kind("services/auth"), ServiceType::Python);
    assert_eq!(kind("services/worker"), ServiceType::Golang);
    assert_eq!(kind("proxy"), ServiceType::Proxy);
    assert_eq!(kind("infra"), ServiceType::Infrastructure);
    assert_eq!(kind("site"), ServiceType::Static);
    assert!(!at(&t, "infra").deployable);
    assert!(t.services.iter().all(|s| s.path != "docs" && s.path != "."));
    assert!(t.services.iter().all(|s| s.path != "web/public"));
    let db = at(&t, "db");
    assert_eq!(db.members.len(), 2);
    assert_eq!(db.port, Some(16379));
    assert_eq!(db.members[1].conditions["postgres"], "service_healthy");
    assert_eq!(at(&t, "services/api").port, Some(3000));
    assert!(at(&t, "services/api").start_command.is_some());
    assert_eq!(at(&t, "services/auth").port, Some(8000));
    assert_eq!(at(&t, "services/worker").port, Some(8082));
    assert_eq!(at(&t, "web").port, Some(8081));
    assert_eq!(at(&t, "proxy").port, Some(8088));
    // Dependencies from .env.example, Dockerfile ENV and nginx upstreams; POSTGRES_USER is no edge.
    assert_eq!(at(&t, "services/api").depends_on, vec!["auth", "postgres"]);
    assert_eq!(at(&t, "services/auth").depends_on, vec!["cache"]);
    assert_eq!(at(&t, "services/worker").depends_on, vec!["api"]);
    assert_eq!(at(&t, "web").depends_on, vec!["api"]);
    assert_eq!(at(&t, "proxy").depends_on, vec!["api"]);
    assert!(wave_of(&t, "db") < wave_of(&t, "auth"));
    assert!(wave_of(&t, "auth") < wave_of(&t, "api"));
    for n in ["proxy", "worker", "web"] {
        assert!(wave_of(&t, "api") < wave_of(&t, n));
    }
    assert!(t.deployment_order.len() >= 3);
    assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
}
