//! The headless verbs, as the real binary on the real engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{TestWs, engine_ready, http_get, stderr, stdout, wait_for};

fn events_json(ws: &TestWs, service: &str) -> Vec<serde_json::Value> {
    let out = ws.kyozo(&["events", service, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn up_ps_logs_events_down() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-chain");
    let out = ws.kyozo(&["plan", "backend", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["dockerfile_source"]["source"], "folder");
    assert_eq!(plan["image_repo"], format!("kyozo/{}-backend", ws.slug));

    let out = ws.kyozo(&["up"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "backend\tdeployed\nfrontend\tdeployed\n");
    let err = stderr(&out);
    assert!(
        err.contains("wave 1: backend") && err.contains("wave 2: frontend"),
        "{err}"
    );

    // idempotent
    let out = ws.kyozo(&["up"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "backend\tunchanged\nfrontend\tunchanged\n");

    let out = ws.kyozo(&["ps", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ps: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(ps.len(), 2);
    let fe = ps.iter().find(|s| s["name"] == "frontend").unwrap();
    for key in [
        "name",
        "path",
        "type",
        "status",
        "health",
        "replicas",
        "cpu_percent",
        "memory_mb",
        "ports",
        "uptime_s",
        "drifted",
        "containers",
    ] {
        assert!(fe.get(key).is_some(), "ps --json has {key}: {fe}");
    }
    assert_eq!(fe["status"], "running");
    assert_eq!(fe["health"], "healthy");
    assert_eq!(
        fe["replicas"],
        serde_json::json!({"running": 1, "desired": 1})
    );
    assert_eq!(fe["drifted"], false);
    assert_eq!(fe["type"], "containerized");
    // the table says the same words as the JSON (and the cockpit)
    let out = ws.kyozo(&["ps"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    let row = table
        .lines()
        .find(|l| l.starts_with("frontend "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        row.contains(" containerized ") && row.contains(" running ") && row.contains(" healthy "),
        "{table}"
    );
    let port = fe["ports"][0]["host"].as_u64().unwrap() as u16;
    assert_eq!(fe["ports"][0]["container"], 8081);
    let body = wait_for(10, || http_get(port, "/").map(|x| x.1)).unwrap();
    assert!(body.contains("hello from backend"));

    // containers are found by workspace path, whichever history store is used
    let other_db = ws.db.with_file_name("other.redb");
    let out = ws.kyozo_env(
        &["ps", "--json"],
        &[("KYOZO_DB", other_db.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let ps2: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(ps2.iter().all(|s| s["status"] == "running"), "{ps2:?}");

    let out = ws.kyozo(&["logs", "frontend", "--tail", "5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("frontend-1 | frontend got: hello from backend"),
        "{}",
        stdout(&out)
    );
    // follow: the existing tail first, then it keeps running until stopped
    {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kyozo"))
            .args(["logs", "frontend", "-f", "--tail", "1", "--path"])
            .arg(&ws.root)
            .env("KYOZO_CONFIG", support::offline_config())
            .env("KYOZO_DB", &ws.db)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line, "frontend-1 | frontend got: hello from backend\n");
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(child.try_wait().unwrap().is_none(), "-f keeps following");
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let out = ws.kyozo(&["logs", "frontend", "--since", "1h"]);
    assert!(stdout(&out).contains("frontend-1 |"));
    // -t: the engine's time of each line, in front
    let out = ws.kyozo(&["logs", "frontend", "-t", "--tail", "1"]);
    let line = stdout(&out);
    let (stamp, rest) = line.split_once(' ').unwrap();
    assert!(stamp.starts_with("20") && stamp.ends_with('Z'), "{line}");
    assert_eq!(rest, "frontend-1 | frontend got: hello from backend\n");

    let out = ws.kyozo(&["scale", "backend", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "backend\t1 -> 2\n");
    for verb in ["stop", "start", "restart"] {
        let out = ws.kyozo(&[verb, "frontend"]);
        assert!(out.status.success(), "{verb}: {}", stderr(&out));
    }

    let evs = events_json(&ws, "backend");
    let first = &evs[0];
    for key in [
        "id",
        "service",
        "type",
        "at",
        "duration_ms",
        "error",
        "data",
        "triggered_by",
    ] {
        assert!(first.get(key).is_some(), "events --json has {key}: {first}");
    }
    assert_eq!(first["type"], "service_scaled");
    assert!(first["at"].as_str().unwrap().ends_with('Z'));
    let types: Vec<&str> = evs.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        vec![
            "service_scaled",
            "deployment_completed",
            "deployment_started"
        ]
    );
    let out = ws.kyozo(&["events", "--limit", "2"]);
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stdout(&out));

    let out = ws.kyozo(&["down"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(ws.containers().is_empty());
    assert_eq!(events_json(&ws, "backend")[0]["type"], "service_removed");
}

#[test]
fn failing_build_exits_non_zero_with_the_engine_message() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-broken");
    let out = ws.kyozo(&["up"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("kyozo: up: broken: build failed: "),
        "one-line reason: {err}"
    );
    assert!(last.contains("returned a non-zero code: 3"), "{last}");
    let evs = events_json(&ws, "broken");
    assert_eq!(evs[0]["type"], "deployment_failed");
    let msg = evs[0]["error"].as_str().unwrap();
    assert!(msg.starts_with("build failed: "), "{msg}");
    assert!(msg.contains("returned a non-zero code: 3"), "{msg}");
    assert!(ws.containers().is_empty());
}

#[test]
fn crashing_container_exits_non_zero_with_its_last_words() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-crash");
    let out = ws.kyozo(&["up"]);
    assert!(!out.status.success());
    let last = stderr(&out).lines().last().unwrap().to_string();
    assert!(last.starts_with("kyozo: up: crashy: "), "{last}");
    assert!(last.contains("exited with code 3"), "{last}");
    assert!(last.contains("fatal: DATABASE_URL is not set"), "{last}");
    let evs = events_json(&ws, "crashy");
    assert_eq!(evs[0]["type"], "deployment_failed");
    assert!(
        evs[0]["error"]
            .as_str()
            .unwrap()
            .contains("fatal: DATABASE_URL is not set")
    );
    let out = ws.kyozo(&["ps", "--json"]);
    let ps: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(ps[0]["name"], "crashy");
    assert_eq!(ps[0]["status"], "error");
}

#[test]
fn bad_names_and_counts_are_validation_errors() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-chain");
    let cases: &[(&[&str], &str)] = &[
        (
            &["scale", "bad name", "2"],
            "invalid service name `bad name`",
        ),
        (&["up", "../etc"], "invalid service name `../etc`"),
        (&["logs", &"x".repeat(101)], "invalid service name"),
        (&["scale", "backend", "1000"], "invalid replica count 1000"),
        (&["up", "nope"], "no service `nope`"),
        (&["start", "backend"], "backend is not deployed"),
        (
            &["logs", "backend", "--since", "yesterday"],
            "--since yesterday",
        ),
    ];
    for (args, want) in cases {
        let out = ws.kyozo(args);
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("kyozo: "), "{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert!(ws.containers().is_empty());
}

#[test]
fn unreachable_engine_is_named() {
    // no engine needed: the point is that there is none at that address
    let ws = TestWs::new("engine-chain");
    let out = ws.kyozo_env(&["ps"], &[("DOCKER_HOST", "tcp://127.0.0.1:1")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.starts_with("kyozo: ps: cannot reach the Docker Engine at tcp://127.0.0.1:1"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
