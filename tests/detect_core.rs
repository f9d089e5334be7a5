//! Detection core on fixture workspaces: compose stacks, Dockerfiles, port precedence, dependencies,
//! cycles, names, the JSON contract and the CLI. Only the compose and Dockerfile analyzers are used
//! here (the ecosystem analyzers are covered by `detect_ecosystems.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod contract;

use std::path::{Path, PathBuf};

use kyozo::detect::{self, DetectOptions, EdgeKind, Service, ServiceType, Topology};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/detect")
        .join(name)
}

fn run(name: &str) -> Topology {
    detect::detect(&fixture(name), &DetectOptions::default()).unwrap()
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
fn compose_stack_members_ports_and_conditions() {
    let t = run("compose");
    let stack = at(&t, "stack");
    assert_eq!(stack.kind, ServiceType::ComposeStack);
    assert_eq!(stack.name, "stack");
    assert_eq!(stack.confidence, 0.95);
    assert_eq!(stack.indicators, vec!["compose.yaml"]);
    // .env interpolation of the published port; the stack's port is the first published port.
    assert_eq!(stack.port, Some(18080));
    assert!(!stack.env.contains_key("PORT"));
    let names: Vec<&str> = stack.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["api", "db", "cache", "worker"]);
    let api = &stack.members[0];
    assert_eq!(api.build.as_deref(), Some("stack/api"));
    assert_eq!(api.ports, vec![4000]);
    assert_eq!(api.published, vec![18080]);
    assert_eq!(api.depends_on, vec!["db", "cache"]);
    assert_eq!(api.conditions["db"], "service_healthy");
    assert_eq!(api.conditions["cache"], "service_started");
    let db = &stack.members[1];
    assert_eq!(db.image.as_deref(), Some("postgres:16"));
    assert!(db.healthcheck);
    assert_eq!(db.ports, vec![5432]);
    let worker = &stack.members[3];
    assert_eq!(worker.build.as_deref(), Some("worker"));
    assert_eq!(worker.depends_on, vec!["api", "db"]);
    assert_eq!(worker.conditions["api"], "service_started");
    // Languages of the build folders are the stack's technologies.
    assert_eq!(stack.technologies, vec!["node", "python"]);
    assert!(stack.deployable);
}

#[test]
fn build_contexts_belong_to_their_stack() {
    let t = run("compose");
    let api = at(&t, "stack/api");
    assert_eq!(api.kind, ServiceType::Containerized);
    assert_eq!(api.stack.as_deref(), Some("stack"));
    assert!(!api.deployable);
    // compose container port (4000) > Dockerfile ENV PORT (5000) > EXPOSE (3000)
    assert_eq!(api.port, Some(4000));
    assert_eq!(api.ports, vec![4000, 5000, 3000]);
    assert_eq!(api.env.get("PORT").map(String::as_str), Some("4000"));
    assert_eq!(api.technologies, vec!["node"]);
    let hard: Vec<&str> = api
        .dependencies
        .iter()
        .filter(|d| d.kind == EdgeKind::Hard)
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(hard, vec!["cache", "db"]);
    let worker = at(&t, "worker");
    assert_eq!(worker.stack.as_deref(), Some("stack"));
    assert!(!worker.deployable);
    // compose `command --port 9100` (runtime config) > EXPOSE 9000
    assert_eq!(worker.port, Some(9100));
    // Deployment order lists only deployable services; members' folders deploy through the stack.
    let all: Vec<&String> = t.deployment_order.iter().flatten().collect();
    assert!(!all.iter().any(|n| *n == "api" || *n == "worker"));
}

#[test]
fn a_service_naming_a_member_orders_after_the_stack() {
    let t = run("compose");
    let fe = at(&t, "frontend");
    assert_eq!(fe.depends_on, vec!["api"]);
    assert_eq!(fe.dependencies[0].kind, EdgeKind::Soft);
    assert_eq!(
        fe.dependencies[0].evidence,
        "env BACKEND_URL=http://api:4000"
    );
    assert!(wave_of(&t, "stack") < wave_of(&t, "frontend"));
    // POSTGRES_DATABASE=frontend in the stack is no edge.
    assert!(at(&t, "stack").depends_on.is_empty());
}

#[test]
fn compose_beside_dockerfile_and_malformed_compose() {
    let t = run("compose");
    let sb = at(&t, "selfbuild");
    assert_eq!(sb.kind, ServiceType::ComposeStack);
    assert_eq!(sb.indicators, vec!["compose.yml", "Dockerfile"]);
    assert_eq!(sb.dockerfile.as_deref(), Some("Dockerfile"));
    assert_eq!(sb.members[0].build.as_deref(), Some("selfbuild"));
    assert_eq!(sb.members[0].published, vec![8001]);
    assert_eq!(sb.port, Some(8001));
    assert_eq!(sb.technologies, vec!["go"]);
    assert!(sb.stack.is_none());
    let broken = t
        .diagnostics
        .iter()
        .find(|d| {
            d.path == "compose/broken/docker-compose.yaml" || d.path == "broken/docker-compose.yaml"
        })
        .expect("diagnostic for the malformed compose file");
    assert!(broken.message.contains("invalid YAML"), "{broken:?}");
    assert!(broken.message.contains("line"), "{broken:?}");
    assert!(t.services.iter().all(|s| s.path != "broken"));
    let nos = t
        .diagnostics
        .iter()
        .find(|d| d.path == "noservices/compose.yaml")
        .unwrap();
    assert!(nos.message.contains("services"));
}

#[test]
fn dockerfile_port_precedence_and_stages() {
    let t = run("dockerfile");
    let multi = at(&t, "multi");
    assert_eq!(multi.kind, ServiceType::Containerized);
    assert_eq!(multi.confidence, 0.9);
    // Only the final stage counts: no ENV PORT=1111, no EXPOSE 9999.
    assert_eq!(multi.port, Some(8080));
    assert_eq!(multi.ports, vec![8080]);
    assert_eq!(multi.health_check.path, "/healthz");
    assert_eq!(multi.start_command.as_deref(), Some("/usr/local/bin/app"));
    assert_eq!(multi.technologies, vec!["rust"]);
    assert_eq!(multi.dockerfile.as_deref(), Some("Dockerfile"));
    // ENV PORT > EXPOSE
    let envport = at(&t, "envport");
    assert_eq!(envport.port, Some(5000));
    assert_eq!(envport.ports, vec![5000, 5001]);
    assert_eq!(envport.start_command.as_deref(), Some("python app.py"));
    assert_eq!(envport.health_check.path, "/health");
    // CMD flags > ENV PORT > EXPOSE; Containerfile works too
    let cmd = at(&t, "cmdflag");
    assert_eq!(cmd.port, Some(8000));
    assert_eq!(cmd.ports, vec![8000, 5000, 7000]);
    assert_eq!(cmd.dockerfile.as_deref(), Some("Containerfile"));
    assert_eq!(cmd.indicators, vec!["Containerfile"]);
    assert_eq!(cmd.env.get("PORT").map(String::as_str), Some("8000"));
    // EXPOSE with /tcp and several ports, lower-case instructions
    let ex = at(&t, "expose");
    assert_eq!(ex.port, Some(7000));
    assert_eq!(ex.ports, vec![7000, 7001]);
    assert_eq!(ex.technologies, vec!["ruby"]);
    // legacy ENV syntax
    let legacy = at(&t, "legacy");
    assert_eq!(legacy.port, Some(9090));
    assert_eq!(legacy.technologies, vec!["java"]);
    // heredoc bodies are not instructions
    let heredoc = at(&t, "heredoc");
    assert_eq!(heredoc.port, Some(4100));
}

#[test]
fn invalid_dockerfiles_are_diagnostics() {
    let t = run("dockerfile");
    assert!(
        t.services
            .iter()
            .all(|s| s.path != "broken" && s.path != "nofrom")
    );
    let msg = |p: &str| {
        t.diagnostics
            .iter()
            .find(|d| d.path == p)
            .map(|d| d.message.clone())
            .unwrap_or_else(|| panic!("no diagnostic for {p}: {:?}", t.diagnostics))
    };
    assert!(msg("broken/Dockerfile").contains("unknown instruction `RUNN` at line 2"));
    assert!(msg("nofrom/Dockerfile").contains("no FROM"));
}

#[test]
fn dependency_traps_edges_and_cycles() {
    let t = run("deps");
    // *_DATABASE, *_USER, *_NAME, *_DB, *_PASSWORD are never edges.
    assert!(at(&t, "users").depends_on.is_empty());
    let gw = at(&t, "gateway");
    assert_eq!(gw.depends_on, vec!["orders", "users"]);
    assert!(gw.dependencies.iter().all(|d| d.kind == EdgeKind::Soft));
    // A soft edge that would close a cycle is dropped from the order (ping -> pong is kept: name order).
    let (ping, pong) = (at(&t, "ping"), at(&t, "pong"));
    assert_eq!(ping.depends_on, vec!["pong"]);
    assert_eq!(pong.depends_on, vec!["ping"]);
    assert!(wave_of(&t, "pong") < wave_of(&t, "ping"));
    assert!(
        t.diagnostics
            .iter()
            .any(|d| d.path == "pong" && d.message.contains("soft dependency pong -> ping"))
    );
    // A hard cycle across stacks is a diagnostic; both stacks are still placed, in one wave.
    let ra = at(&t, "ring-a");
    assert_eq!(ra.depends_on, vec!["beta"]);
    assert_eq!(ra.dependencies[0].kind, EdgeKind::Hard);
    let cycle = t
        .diagnostics
        .iter()
        .find(|d| d.message.starts_with("dependency cycle"))
        .expect("hard cycle diagnostic");
    assert!(
        cycle.message.contains("ring-a -> ring-b -> ring-a"),
        "{cycle:?}"
    );
    assert_eq!(wave_of(&t, "ring-a"), wave_of(&t, "ring-b"));
    // A bare host under *_HOST naming a stack member orders after its stack; .env.example counts.
    let rep = at(&t, "reports");
    assert_eq!(rep.depends_on, vec!["beta", "gateway"]);
    assert!(wave_of(&t, "ring-b") < wave_of(&t, "reports"));
    assert!(wave_of(&t, "gateway") < wave_of(&t, "reports"));
    assert!(wave_of(&t, "orders") < wave_of(&t, "gateway"));
    // Every deployable service appears exactly once; waves are sorted.
    let mut all: Vec<&String> = t.deployment_order.iter().flatten().collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n);
    assert_eq!(n, t.services.iter().filter(|s| s.deployable).count());
    for w in &t.deployment_order {
        let mut s = w.clone();
        s.sort();
        assert_eq!(&s, w);
    }
}

#[test]
fn names_are_unique_and_prefixed_on_collision() {
    let t = run("naming");
    let name = |p: &str| at(&t, p).name.clone();
    assert_eq!(name("."), "naming");
    assert_eq!(name("billing-api"), "billing-api");
    assert_eq!(name("billing/api"), "billing-api-2");
    assert_eq!(name("users/api"), "users-api");
    assert_eq!(name("my service!"), "my-service");
    assert_eq!(name("deep/a/b/web"), "b-web");
    assert_eq!(name("web"), "naming-web");
    // Services are sorted by path (root first, then component by component).
    let paths: Vec<&str> = t.services.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            ".",
            "billing",
            "billing/api",
            "billing-api",
            "deep/a/b/web",
            "my service!",
            "users/api",
            "web"
        ]
        .into_iter()
        .filter(|p| *p != "billing")
        .collect::<Vec<_>>()
    );
}

#[test]
fn json_contract_fields() {
    let t = run("compose");
    let v = serde_json::to_value(&t).unwrap();
    let ws = v["workspace"].as_str().unwrap();
    assert!(Path::new(ws).is_absolute());
    assert_eq!(
        Path::new(ws),
        std::fs::canonicalize(fixture("compose")).unwrap()
    );
    let fe = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == "frontend")
        .unwrap();
    for key in contract::SERVICE_KEYS {
        assert!(fe.get(key).is_some(), "missing {key}");
    }
    assert_eq!(fe["type"], "containerized");
    assert_eq!(fe["stack"], serde_json::Value::Null);
    assert_eq!(fe["health_check"]["interval_s"], 30);
    assert_eq!(fe["resource_limits"]["memory"], "512Mi");
    assert!(v["deployment_order"].is_array());
    assert!(v["diagnostics"][0]["path"].is_string());
}

fn kyozo() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_kyozo"))
}

#[test]
fn cli_json_table_and_errors() {
    let out = kyozo()
        .args(["detect", "--json"])
        .arg(fixture("dockerfile"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let parsed: Topology = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed, run("dockerfile"));

    let out = kyozo().arg("detect").arg(fixture("deps")).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("NAME"), "{text}");
    assert!(text.contains("DEPENDS ON"));
    assert!(text.contains("Deployment order:"));
    assert!(text.contains("1. "));
    assert!(text.contains("Diagnostics:"));
    assert!(text.contains("dependency cycle"));
    assert!(!text.contains('\x1b'), "no colors when not a terminal");

    let out = kyozo()
        .args(["detect", "/definitely/not/here"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("kyozo: /definitely/not/here: no such folder"),
        "{err}"
    );

    let file = fixture("dockerfile/multi/Dockerfile");
    let out = kyozo().arg("detect").arg(&file).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("is not a folder")
    );
}

#[test]
fn cached_redetection_analyzes_only_changed_folders() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let w = |rel: &str, text: &str| {
        let p = r.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("a/Dockerfile", "FROM alpine\nEXPOSE 1000\n");
    w("b/Dockerfile", "FROM alpine\nENV A_URL=http://a\n");
    w("b/src/x.txt", "x");
    let mut cache = detect::DetectCache::new();
    let opts = DetectOptions::default();
    let d1 = detect::detect_cached(r, &opts, &mut cache, &[]).unwrap();
    assert_eq!(d1.topology, detect::detect(r, &opts).unwrap());
    assert_eq!(d1.analysed.len(), 4); // ., a, b, b/src
    assert_eq!(d1.folders, vec![".", "a", "b", "b/src"]);
    // Nothing changed: nothing re-analyzed.
    let d2 = detect::detect_cached(r, &opts, &mut cache, &[]).unwrap();
    assert!(d2.analysed.is_empty());
    assert_eq!(d1.topology, d2.topology);
    // A content change is picked up when the folder is named; ancestors are re-analyzed too.
    w("a/Dockerfile", "FROM alpine\nEXPOSE 2000\n");
    let d3 = detect::detect_cached(r, &opts, &mut cache, &["a".to_string()]).unwrap();
    assert_eq!(d3.analysed, vec![".", "a"]);
    assert_eq!(d3.topology.service("a").unwrap().port, Some(2000));
    // A new folder and a removed one: the watcher names their parent, whose listing changed.
    w("c/Dockerfile", "FROM alpine\n");
    std::fs::remove_dir_all(r.join("b")).unwrap();
    let d4 = detect::detect_cached(r, &opts, &mut cache, &[".".to_string()]).unwrap();
    assert_eq!(d4.analysed, vec![".", "c"]);
    assert_eq!(d4.topology, detect::detect(r, &opts).unwrap());
    // An ignore file that changes walks its folder's tree again.
    w("c/.gitignore", "sub/\n");
    w("c/sub/Dockerfile", "FROM alpine\n");
    let d5 = detect::detect_cached(r, &opts, &mut cache, &["c".to_string()]).unwrap();
    assert_eq!(d5.topology, detect::detect(r, &opts).unwrap());
    assert!(d5.topology.services.iter().all(|s| s.path != "c/sub"));
    w("c/.gitignore", "other/\n");
    let d6 = detect::detect_cached(r, &opts, &mut cache, &["c".to_string()]).unwrap();
    assert!(d6.topology.services.iter().any(|s| s.path == "c/sub"));
    assert_eq!(d6.topology, detect::detect(r, &opts).unwrap());
    std::fs::remove_dir_all(r.join("c/sub")).unwrap();
    std::fs::remove_file(r.join("c/.gitignore")).unwrap();
    let d7 = detect::detect_cached(r, &opts, &mut cache, &["c".to_string()]).unwrap();
    assert_eq!(d7.topology, detect::detect(r, &opts).unwrap());
    assert_eq!(cache.len(), 3);
    // A change named inside an ignored tree does not bring the tree in.
    w("a/node_modules/x/Dockerfile", "FROM alpine\n");
    let d8 =
        detect::detect_cached(r, &opts, &mut cache, &["a/node_modules/x".to_string()]).unwrap();
    assert_eq!(d8.topology, detect::detect(r, &opts).unwrap());
    assert_eq!(cache.len(), 3);
}

#[test]
fn json_snapshot_of_the_deps_fixture() {
    let mut t = run("deps");
    t.workspace = "[workspace]".to_string();
    insta::assert_json_snapshot!("deps_topology", t);
}

#[test]
fn table_snapshot_of_the_compose_fixture() {
    let mut t = run("compose");
    t.workspace = "[workspace]".to_string();
    insta::assert_snapshot!("compose_table", kyozo::cli::detect::render(&t, false));
}

#[test]
fn a_gitignored_env_file_still_interpolates_and_counts_as_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let w = |rel: &str, text: &str| {
        let p = r.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(".gitignore", ".env\n");
    w("stack/.env", "WEB_PORT=18000\n");
    w(
        "stack/compose.yaml",
        "services:\n  web:\n    image: x\n    ports: [\"${WEB_PORT}:80\"]\n",
    );
    w("auth/Dockerfile", "FROM alpine\n");
    w("api/Dockerfile", "FROM alpine\n");
    w("api/.env", "AUTH_URL=http://auth:80\n");
    let t = detect::detect(r, &DetectOptions::default()).unwrap();
    assert_eq!(t.service("stack").unwrap().port, Some(18000));
    assert_eq!(t.service("api").unwrap().depends_on, vec!["auth"]);
}
