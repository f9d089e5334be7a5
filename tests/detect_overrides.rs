//! The workspace's overrides file, `.kyozo.toml`: what it corrects, as the JSON contract shows it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use kyozo::detect::{self, DetectOptions};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/detect")
        .join(name)
}

fn json(root: &Path) -> serde_json::Value {
    let t = detect::detect(root, &DetectOptions::default()).unwrap();
    serde_json::to_value(&t).unwrap()
}

fn service<'a>(j: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    j["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no service {name}: {j:#}"))
}

#[test]
fn overrides_win_over_detection_and_are_listed() {
    let j = json(&fixture("overrides"));
    let api = service(&j, "api");
    assert_eq!(api["type"], "nodejs");
    assert_eq!(api["port"], 4000);
    assert_eq!(api["ports"][0], 4000);
    assert_eq!(api["start_command"], "node dist/server.js");
    assert_eq!(api["env"]["LOG_LEVEL"], "debug");
    assert_eq!(api["env"]["WORKERS"], "4");
    assert_eq!(api["health_check"]["path"], "/ready");
    assert_eq!(api["health_check"]["interval_s"], 10);
    assert_eq!(api["health_check"]["timeout_s"], 10);
    assert_eq!(api["resource_limits"]["memory"], "1Gi");
    assert_eq!(api["resource_limits"]["cpu"], "1");
    assert_eq!(api["resource_limits"]["storage"], "1Gi");
    assert_eq!(
        api["scaling"],
        serde_json::json!({"min": 2, "max": 5, "target_cpu": 60})
    );
    assert_eq!(api["autoscale"], true);
    let mut set: Vec<&str> = api["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    set.sort_unstable();
    assert_eq!(
        set,
        [
            "autoscale",
            "depends_on",
            "env",
            "health",
            "limits",
            "port",
            "scaling",
            "start",
            "type"
        ]
    );
    // depends_on: hard edges, to a service and to a stack member (ordered after its stack).
    assert_eq!(api["depends_on"], serde_json::json!(["auth", "postgres"]));
    let deps = api["dependencies"].as_array().unwrap();
    assert!(
        deps.iter()
            .all(|d| d["kind"] == "hard" && d["evidence"].as_str().unwrap().contains(".kyozo.toml")),
        "{deps:?}"
    );
    let order: Vec<Vec<String>> = serde_json::from_value(j["deployment_order"].clone()).unwrap();
    let wave = |n: &str| order.iter().position(|w| w.iter().any(|x| x == n)).unwrap();
    assert!(wave("api") > wave("auth"), "{order:?}");
    assert!(wave("api") > wave("db"), "{order:?}");
    // A folder detection missed, named and typed by the file.
    let jobs = service(&j, "jobs");
    assert_eq!(jobs["path"], "jobs/worker");
    assert_eq!(jobs["type"], "python");
    assert_eq!(jobs["start_command"], "python -m worker");
    assert_eq!(jobs["deployable"], true);
    // Ignored folders and services are gone.
    for p in ["legacy", "experiments/toy", "tools/gen"] {
        assert!(
            j["services"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["path"] != p),
            "{p} listed"
        );
    }
    // Untouched services list nothing.
    assert_eq!(service(&j, "auth")["overrides"], serde_json::json!([]));
    assert_eq!(
        j["deploy"],
        serde_json::json!({"target": "swarm", "registry": "registry.local:5000/team", "publish": "host"})
    );
    assert_eq!(j["diagnostics"], serde_json::json!([]));
}

#[test]
fn an_unknown_key_is_a_diagnostic_with_its_line_and_detection_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("api")).unwrap();
    std::fs::write(r.join("api/Dockerfile"), "FROM alpine\nEXPOSE 80\n").unwrap();
    std::fs::write(
        r.join(".kyozo.toml"),
        "[services.api]\nport = 81\n\n[services.api.health]\npath = \"/x\"\nintervall = 3\n",
    )
    .unwrap();
    let j = json(r);
    assert_eq!(service(&j, "api")["port"], 80);
    let d = &j["diagnostics"][0];
    assert_eq!(d["path"], ".kyozo.toml");
    let msg = d["message"].as_str().unwrap();
    assert!(msg.starts_with("line 6:"), "{msg}");
    assert!(msg.contains("intervall"), "{msg}");
}

#[test]
fn a_section_naming_no_service_is_a_diagnostic_and_the_rest_applies() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("api")).unwrap();
    std::fs::write(r.join("api/Dockerfile"), "FROM alpine\nEXPOSE 80\n").unwrap();
    std::fs::write(
        r.join(".kyozo.toml"),
        "[services.api]\nport = 81\ndepends_on = [\"nope\"]\n\n[services.apii]\nport = 82\n",
    )
    .unwrap();
    let j = json(r);
    assert_eq!(service(&j, "api")["port"], 81);
    let msgs: Vec<&str> = j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("line 5: [services.apii]") && m.contains("no service is named")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("depends_on `nope`")),
        "{msgs:?}"
    );
}

#[test]
fn a_hostile_overrides_file_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("api")).unwrap();
    std::fs::write(r.join("api/Dockerfile"), "FROM alpine\n").unwrap();
    let ok = std::process::Command::new("mkfifo")
        .arg(r.join(".kyozo.toml"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let j = json(r);
    assert_eq!(j["diagnostics"][0]["path"], ".kyozo.toml");
    assert!(
        service(&j, "api")["overrides"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_cached_detector_reads_the_overrides_file_again() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("api")).unwrap();
    std::fs::create_dir_all(r.join("old")).unwrap();
    std::fs::write(r.join("api/Dockerfile"), "FROM alpine\nEXPOSE 80\n").unwrap();
    std::fs::write(r.join("old/Dockerfile"), "FROM alpine\n").unwrap();
    let opts = DetectOptions::default();
    let mut cache = detect::DetectCache::new();
    let d = detect::detect_cached(r, &opts, &mut cache, &[]).unwrap();
    assert_eq!(d.topology.service("api").unwrap().port, Some(80));
    // The watcher names the root when `.kyozo.toml` changes.
    std::fs::write(
        r.join(".kyozo.toml"),
        "ignore = [\"old\"]\n[services.api]\nport = 81\n",
    )
    .unwrap();
    let d = detect::detect_cached(r, &opts, &mut cache, &[".".to_string()]).unwrap();
    assert_eq!(d.topology.service("api").unwrap().port, Some(81));
    assert!(d.topology.service("old").is_none());
    assert!(!d.folders.contains(&"old".to_string()));
    assert_eq!(d.topology, detect::detect(r, &opts).unwrap());
}
