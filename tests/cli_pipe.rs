//! A reader that goes away early (`kyozo events | head -1`) is not an error of kyozo's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use kyozo::store::{EventKind, NewEvent, Store};

/// Runs kyozo with its stdout closed before it writes; returns (success, stderr).
fn with_closed_stdout(args: &[&str], db: &Path) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .args(args)
        .env("KYOZO_DB", db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().success(), err)
}

#[test]
fn closed_stdout_is_a_quiet_success() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    std::fs::create_dir(&ws).unwrap();
    let ws = ws.canonicalize().unwrap();
    let db = tmp.path().join("k.redb");
    {
        let store = Store::open(&db).unwrap();
        let id = store.workspace(ws.to_str().unwrap()).unwrap().id;
        let events = (0..500).map(|i| NewEvent {
            service: format!("svc{}", i % 5),
            kind: EventKind::DeploymentCompleted,
            duration_ms: Some(i),
            error: None,
            data: serde_json::json!({ "seq": i }),
            triggered_by: "test@host".into(),
        });
        store.append_events(id, events).unwrap();
    }
    let ws = ws.to_str().unwrap();
    for args in [
        &["events", "--path", ws, "--limit", "500"][..],
        &["events", "--path", ws, "--limit", "500", "--json"][..],
        &["detect", "--json", ws][..],
    ] {
        let (ok, err) = with_closed_stdout(args, &db);
        assert!(ok, "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
}
