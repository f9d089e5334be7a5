//! Evidence across files, asserted on the JSON of `kyozo detect --json` for fixture workspaces under
//! `tests/fixtures/evidence/` (written for these tests): a root compose file building every service
//! from the root context with Dockerfile paths and ports from `.env`, members naming images built from
//! folders (a Dockerfile, Jib, Spring Boot's `bootBuildImage`), a per-service dev compose inside a
//! folder an enclosing stack builds, compose files that only run an app's backing services, overlays
//! and override files, Kubernetes manifests with `skaffold.yaml`, ConfigMaps and Services.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use serde_json::{Value, json};

/// `kyozo detect --json` of a fixture workspace.
fn detect(ws: &str) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/evidence")
        .join(ws);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .args(["detect", "--json"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn services(t: &Value) -> &Vec<Value> {
    t["services"].as_array().unwrap()
}

/// The service named `name`.
fn svc<'a>(t: &'a Value, name: &str) -> &'a Value {
    services(t)
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no service {name}: {:#}", t["services"]))
}

fn names(t: &Value) -> Vec<&str> {
    services(t)
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect()
}

/// The dependency of `s` on `dep`: (kind, evidence).
fn dep<'a>(s: &'a Value, name: &str) -> (&'a str, &'a str) {
    let d = s["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| {
            panic!(
                "{} has no dependency {name}: {:#}",
                s["name"], s["dependencies"]
            )
        });
    (d["kind"].as_str().unwrap(), d["evidence"].as_str().unwrap())
}

fn member<'a>(stack: &'a Value, name: &str) -> &'a Value {
    stack["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no member {name}"))
}

/// A folder that is the source of a stack member: shown, deployed through the stack.
fn in_stack(s: &Value, stack: &str) {
    assert_eq!(s["stack"], stack, "{}", s["name"]);
    assert_eq!(s["deployable"], false, "{}", s["name"]);
}

fn no_diagnostics(t: &Value) {
    assert_eq!(t["diagnostics"], json!([]), "{:#}", t["diagnostics"]);
}

#[test]
fn a_root_compose_builds_every_service_from_the_root_context() {
    let t = detect("root-context");
    no_diagnostics(&t);
    assert_eq!(names(&t), ["root-context", "audit", "ledger", "web"]);
    let stack = svc(&t, "root-context");
    assert_eq!(stack["type"], "compose_stack");
    assert_eq!(stack["deployable"], true);
    // A stack never depends on its own members.
    assert_eq!(stack["depends_on"], json!([]));
    // The Dockerfile path comes from `.env`; the folder of the Dockerfile is the member's source.
    let ledger = svc(&t, "ledger");
    assert_eq!(ledger["path"], "services/ledger");
    assert_eq!(ledger["type"], "containerized");
    assert_eq!(ledger["technologies"][0], "go");
    in_stack(ledger, "root-context");
    // `ports: ["${LEDGER_PORT}"]` with the port in `.env`; the member's env comes with it.
    assert_eq!(ledger["port"], 7400);
    assert_eq!(ledger["env"]["LEDGER_PORT"], "7400");
    let web = svc(&t, "web");
    in_stack(web, "root-context");
    assert_eq!(web["port"], 8300);
    // `- LEDGER_ADDR` takes its value from `.env`, where it uses the variable above it.
    assert_eq!(web["env"]["LEDGER_ADDR"], "ledger:7400");
    // The member's depends_on is the folder's: hard, on members of its own stack.
    assert_eq!(web["depends_on"], json!(["audit", "cache", "ledger"]));
    assert_eq!(dep(web, "ledger").0, "hard");
    assert_eq!(
        dep(web, "cache"),
        ("hard", "compose web depends_on cache (service_healthy)")
    );
    // docker-compose.override.yml is merged: a member and an environment entry of its own.
    assert_eq!(member(stack, "audit")["ports"], json!([9100]));
    assert_eq!(web["env"]["AUDIT_URL"], "http://audit:9100/events");
    assert_eq!(dep(web, "audit").0, "soft");
    let audit = svc(&t, "audit");
    in_stack(audit, "root-context");
    assert_eq!(audit["port"], 9100);
    // One unit: the stack.
    assert_eq!(t["deployment_order"], json!([["root-context"]]));
}

#[test]
fn members_naming_images_built_from_folders_take_those_folders_as_their_source() {
    let t = detect("image-named");
    no_diagnostics(&t);
    let stack = svc(&t, "image-named");
    // A Dockerfile beside the compose file, named like the image's last segment.
    assert_eq!(member(stack, "pets-api")["source"], "pets-api");
    // Jib names the image `petco/${project.artifactId}`.
    assert_eq!(member(stack, "vets-api")["source"], "vets-api");
    // bootBuildImage names it `petco/edge`, the folder is `edge` of project `petco-edge`.
    assert_eq!(member(stack, "gateway")["source"], "edge");
    // A data store image never names a folder (`db-seed` builds on postgres but nobody runs it).
    assert_eq!(member(stack, "db")["source"], Value::Null);
    let pets = svc(&t, "pets-api");
    in_stack(pets, "image-named");
    assert_eq!(pets["port"], 8081, "PORT in the member's environment");
    assert_eq!(
        dep(pets, "db"),
        ("hard", "compose pets-api depends_on db (service_started)")
    );
    let vets = svc(&t, "vets-api");
    assert_eq!(vets["type"], "java");
    in_stack(vets, "image-named");
    assert_eq!(vets["port"], 8082);
    let edge = svc(&t, "edge");
    in_stack(edge, "image-named");
    assert_eq!(edge["port"], 8080);
    assert_eq!(edge["depends_on"], json!(["pets-api", "vets-api"]));
    assert_eq!(svc(&t, "db-seed")["deployable"], true);
    assert_eq!(t["deployment_order"], json!([["db-seed", "image-named"]]));
}

#[test]
fn a_dev_compose_inside_a_built_folder_is_an_alternative_not_a_second_unit() {
    let t = detect("dev-alternative");
    no_diagnostics(&t);
    assert_eq!(names(&t), ["dev-alternative", "billing", "notifier"]);
    let billing = svc(&t, "billing");
    // Shown as what it is without its dev compose file, part of the enclosing stack.
    assert_eq!(billing["type"], "containerized");
    assert_eq!(billing["technologies"][0], "go");
    assert_eq!(billing["members"], json!([]));
    assert!(
        billing["indicators"]
            .as_array()
            .unwrap()
            .contains(&json!("docker-compose.yml"))
    );
    in_stack(billing, "dev-alternative");
    assert_eq!(billing["port"], 8400);
    assert_eq!(billing["depends_on"], json!(["broker"]));
    assert_eq!(
        svc(&t, "notifier")["depends_on"],
        json!(["billing", "broker"])
    );
    assert_eq!(t["deployment_order"], json!([["dev-alternative"]]));
}

#[test]
fn a_compose_file_of_backing_services_beside_an_app_yields_the_app_and_its_deps() {
    let t = detect("backing-only");
    no_diagnostics(&t);
    assert_eq!(
        names(&t),
        ["blog-deps", "blog", "shop-deps", "shop", "store"]
    );
    let blog = svc(&t, "blog");
    assert_eq!(blog["path"], "blog");
    assert_eq!(blog["type"], "python");
    assert!(
        blog["technologies"]
            .as_array()
            .unwrap()
            .contains(&json!("django"))
    );
    assert_eq!(blog["port"], 8000);
    assert_eq!(blog["deployable"], true);
    assert_eq!(blog["members"], json!([]));
    assert_eq!(
        dep(blog, "blog-deps"),
        ("hard", "docker-compose.yml runs its backing services")
    );
    let deps = svc(&t, "blog-deps");
    assert_eq!(deps["path"], "blog");
    assert_eq!(deps["type"], "compose_stack");
    assert_eq!(deps["deployable"], true);
    assert_eq!(deps["members"].as_array().unwrap().len(), 2);
    assert_eq!(deps["depends_on"], json!([]));
    let shop = svc(&t, "shop");
    assert_eq!(shop["type"], "ruby");
    assert_eq!(shop["depends_on"], json!(["shop-deps"]));
    // A compose file that builds the folder is the folder's stack, as before.
    let store = svc(&t, "store");
    assert_eq!(store["type"], "compose_stack");
    assert_eq!(store["deployable"], true);
    assert_eq!(
        t["deployment_order"],
        json!([["blog-deps", "shop-deps", "store"], ["blog", "shop"]])
    );
}

#[test]
fn overlays_are_evidence_for_the_folders_they_build() {
    let t = detect("overlays");
    no_diagnostics(&t);
    // No stack of its own for compose.jobs.yaml or docker-compose-e2e.yml.
    assert_eq!(names(&t), ["overlays", "api", "e2e", "worker"]);
    let worker = svc(&t, "worker");
    assert_eq!(worker["deployable"], true);
    assert_eq!(worker["stack"], Value::Null);
    assert_eq!(worker["port"], 9600);
    assert_eq!(worker["env"]["API_URL"], "http://api:8500");
    // Its depends_on names members of the base file: it deploys after that stack.
    assert_eq!(
        dep(worker, "api"),
        (
            "hard",
            "compose.jobs.yaml worker depends_on api (service_healthy)"
        )
    );
    assert_eq!(dep(worker, "queue").0, "hard");
    in_stack(svc(&t, "api"), "overlays");
    // A test harness an overlay builds stays a harness.
    assert_eq!(svc(&t, "e2e")["deployable"], false);
    assert_eq!(t["deployment_order"], json!([["overlays"], ["worker"]]));
}

#[test]
fn kubernetes_manifests_and_skaffold_give_folders_ports_env_and_dependencies() {
    let t = detect("kube");
    // The Helm template is skipped without a diagnostic; manifests are no services.
    no_diagnostics(&t);
    assert_eq!(names(&t), ["accounts", "frontend", "ledger-core"]);
    // skaffold maps image `ledger` to svc/ledger-core; PORT=8080 beats express' 3000.
    let ledger = svc(&t, "ledger-core");
    assert_eq!(ledger["type"], "nodejs");
    assert_eq!(ledger["port"], 8080);
    assert_eq!(ledger["env"]["PORT"], "8080");
    // envFrom a ConfigMap of the same manifest; the address is a Service's name.
    assert_eq!(ledger["env"]["LOG_LEVEL"], "info");
    assert_eq!(
        dep(ledger, "accounts"),
        ("soft", "kubernetes env ACCOUNTS_ADDR=accounts-svc:9000")
    );
    // The image's last segment names the folder; the sidecar's does not.
    let accounts = svc(&t, "accounts");
    assert_eq!(accounts["port"], 9000);
    // A kustomize base is read too.
    assert_eq!(accounts["env"]["CURRENCY"], "EUR");
    assert_eq!(accounts["depends_on"], json!([]));
    let frontend = svc(&t, "frontend");
    assert_eq!(frontend["port"], 5000);
    // configMapKeyRef through another ConfigMap; `ledger` is the workload's and Service's name.
    assert_eq!(frontend["env"]["LEDGER_ADDR"], "ledger:8080");
    assert_eq!(frontend["depends_on"], json!(["accounts", "ledger-core"]));
    assert_eq!(
        t["deployment_order"],
        json!([["accounts"], ["ledger-core"], ["frontend"]])
    );
}

#[test]
fn a_dotnet_aspire_app_host_states_the_dependencies_of_the_projects_it_runs() {
    let t = detect("aspire");
    let host = svc(&t, "Shop-AppHost");
    // The host orchestrates a developer's machine: shown, not deployed.
    assert_eq!(host["deployable"], false);
    let orders = svc(&t, "Orders-Api");
    assert_eq!(
        dep(orders, "Catalog-Api"),
        ("hard", "aspire orders WaitFor(catalog)")
    );
    let store = svc(&t, "Storefront");
    assert_eq!(store["depends_on"], json!(["Catalog-Api", "Orders-Api"]));
    assert_eq!(
        dep(store, "Orders-Api"),
        ("soft", "aspire storefront WithReference(orders)")
    );
    // The callback set afterwards is recorded, and yields to the others in the order.
    let catalog = svc(&t, "Catalog-Api");
    assert_eq!(dep(catalog, "Storefront").0, "soft");
    assert_eq!(
        t["deployment_order"],
        json!([["Catalog-Api"], ["Orders-Api"], ["Storefront"]])
    );
    assert_eq!(
        t["diagnostics"],
        json!([{
            "path": "src/Catalog.Api",
            "message": "soft dependency Catalog-Api -> Storefront is not used for ordering: it would close a cycle"
        }])
    );
}
