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

// ---- Libraries, static frontends, runnable evidence, language config (tests/fixtures/lang) ----

/// `kyozo detect --json` of a workspace under `tests/fixtures/lang`, as JSON.
fn lang_json(ws: &str) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lang")
        .join(ws);
    serde_json::to_value(run_at(&root)).unwrap()
}

/// The service at `path` of a topology's JSON.
fn svc<'a>(t: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    t["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == path)
        .unwrap_or_else(|| panic!("no service at {path}: {:#}", t["services"]))
}

/// Paths of the deployable services.
fn deployable(t: &serde_json::Value) -> Vec<String> {
    t["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["deployable"] == true)
        .map(|s| s["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn js_monorepo_apps_are_services_and_packages_are_libraries() {
    let t = lang_json("js-monorepo");
    assert_eq!(
        deployable(&t),
        vec!["apps/admin", "apps/orders", "apps/storefront"],
        "{:#}",
        t["services"]
    );
    // The root's start script only runs its members' (turbo): it aggregates.
    assert!(
        t["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["path"] != ".")
    );
    let admin = svc(&t, "apps/admin");
    assert_eq!(admin["type"], "static");
    assert_eq!(admin["technologies"][0], "node");
    assert_eq!(admin["port"], 80);
    assert_eq!(admin["build_command"], "npm run build");
    assert_eq!(admin["output_dir"], "dist");
    assert_eq!(admin["depends_on"], serde_json::json!(["orders"]));
    let orders = svc(&t, "apps/orders");
    assert_eq!(orders["type"], "nodejs");
    assert_eq!(orders["start_command"], "node server.js");
    assert_eq!(orders["port"], 8080);
    let shop = svc(&t, "apps/storefront");
    assert_eq!(shop["port"], 3100);
    assert_eq!(shop["build_command"], "npm run build");
    // Libraries are not listed at all (their signal is too weak to be a service).
    for lib in [
        "packages/ui",
        "packages/utils",
        "packages/eslint-config",
        "tooling/tsconfig",
    ] {
        assert!(!deployable(&t).contains(&lib.to_string()), "{lib}");
    }
}

#[test]
fn frontends_that_build_to_static_files_are_static() {
    let t = lang_json("frontends");
    for (path, out) in [
        ("angular", "dist/ng/browser"),
        ("cra", "build"),
        ("astro-static", "dist"),
        ("kit-static", "build"),
        ("next-export", "out"),
        ("rr-spa", "build/client"),
        ("expo-web", "dist"),
    ] {
        let s = svc(&t, path);
        assert_eq!(s["type"], "static", "{path}");
        assert_eq!(s["port"], 80, "{path}");
        assert_eq!(s["output_dir"], out, "{path}");
        assert_eq!(s["build_command"], "npm run build", "{path}");
        assert_eq!(s["technologies"][0], "node", "{path}");
        assert_eq!(s["start_command"], serde_json::Value::Null, "{path}");
        assert!(s["env"].get("PORT").is_none(), "{path}");
    }
    // Servers stay Node servers, with their own ports.
    let astro = svc(&t, "astro-server");
    assert_eq!(astro["type"], "nodejs");
    assert_eq!(astro["port"], 4321);
    let kit = svc(&t, "kit-node");
    assert_eq!(kit["type"], "nodejs");
    assert_eq!(kit["start_command"], "node build");
    assert_eq!(kit["port"], 3000);
    // A mobile app is not a service; pnpm's package.json5 is a manifest.
    assert!(
        t["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["path"] != "expo-mobile")
    );
    let json5 = svc(&t, "pnpm-json5");
    assert_eq!(json5["indicators"], serde_json::json!(["package.json5"]));
    assert_eq!(json5["start_command"], "pnpm start");
    assert_eq!(json5["port"], 4100);
    // Nx projects without a package.json; the Nx root aggregates; a library is no service.
    let api = svc(&t, "nx/apps/api");
    assert_eq!(api["type"], "nodejs");
    assert_eq!(api["port"], 3333);
    assert_eq!(svc(&t, "nx/apps/shop")["type"], "static");
    for p in ["nx", "nx/libs/data"] {
        assert!(
            t["services"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["path"] != p),
            "{p}"
        );
    }
}

#[test]
fn quieter_ecosystems_run_from_their_own_evidence() {
    let t = lang_json("quiet");
    assert_eq!(
        deployable(&t),
        vec![
            "bot",
            "cli-tool",
            "deno-bare",
            "phoenix",
            "php-site",
            "ruby-plain",
            "ruby-puma",
            "site",
            "uv",
            "worker"
        ],
        "{:#}",
        t["services"]
    );
    assert_eq!(svc(&t, "bot")["start_command"], "python bot.py");
    assert_eq!(svc(&t, "worker")["start_command"], "python main.py");
    assert!(
        t["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["path"] != "scripts/release")
    );
    assert_eq!(svc(&t, "cli-tool")["start_command"], "python -m cli_tool");
    // A uv workspace member the root depends on is a library.
    assert_eq!(svc(&t, "uv/packages/shared-lib")["deployable"], false);
    assert_eq!(svc(&t, "ruby-plain")["start_command"], "ruby app.rb");
    assert_eq!(svc(&t, "ruby-puma")["port"], 4567);
    let deno = svc(&t, "deno-bare");
    assert_eq!(deno["type"], "deno");
    assert_eq!(deno["start_command"], "deno run -A src/index.ts");
    // The Staticfile's root is served; the folder is part of the site.
    let site = svc(&t, "site");
    assert_eq!(site["type"], "static");
    assert_eq!(site["output_dir"], "public_html");
    assert_eq!(svc(&t, "site/public_html")["deployable"], false);
    assert_eq!(svc(&t, "php-site/about")["deployable"], false);
    // Phoenix listens on PORT (4000), not on its public URL's 443.
    assert_eq!(svc(&t, "phoenix")["port"], 4000);
    // A workspace that is only a Python program.
    let bot = lang_json("python-bot");
    assert_eq!(svc(&bot, ".")["type"], "python");
    assert_eq!(svc(&bot, ".")["start_command"], "python bot.py");
}

#[test]
fn jvm_modules_without_a_main_class_are_libraries() {
    let t = lang_json("jvm");
    assert_eq!(
        deployable(&t),
        vec!["batch", "orders"],
        "{:#}",
        t["services"]
    );
    // The active profile's document sets the port.
    let orders = svc(&t, "orders");
    assert_eq!(orders["port"], 9081);
    assert_eq!(orders["start_command"], "java -jar target/orders-1.0.jar");
    let batch = svc(&t, "batch");
    assert_eq!(batch["type"], "java");
    assert_eq!(batch["port"], serde_json::Value::Null);
}

#[test]
fn dotnet_solution_projects() {
    let t = lang_json("dotnet-sln");
    assert_eq!(
        deployable(&t),
        vec!["src/Shop.Api", "src/Shop.Worker"],
        "{:#}",
        t["services"]
    );
    // The launch profile's HTTP URL, never the connection string's 3306.
    let api = svc(&t, "src/Shop.Api");
    assert_eq!(api["port"], 5231);
    assert_eq!(api["ports"], serde_json::json!([5231]));
    assert_eq!(api["health_check"]["path"], "/healthz");
    // ASPNETCORE_URLS in the compose member's environment is the build folder's port.
    let c = lang_json("compose-aspnet");
    let built = svc(&c, "api");
    assert_eq!(built["port"], 8000);
    assert!(
        !built["ports"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(3306))
    );
}

#[test]
fn rust_workspace_tooling_is_not_deployed() {
    let t = lang_json("rust-ws");
    assert_eq!(deployable(&t), vec!["api"], "{:#}", t["services"]);
    assert_eq!(svc(&t, "api")["port"], 7070);
}

#[test]
fn dapr_run_file_sets_app_ports_and_commands() {
    let t = lang_json("dapr");
    let orders = svc(&t, "orders");
    assert_eq!(orders["port"], 6001);
    assert_eq!(orders["start_command"], "python3 app.py");
    let checkout = svc(&t, "checkout");
    assert_eq!(checkout["port"], 6002);
    assert_eq!(checkout["start_command"], "npm start");
}
