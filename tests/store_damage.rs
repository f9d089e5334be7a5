//! A history file damaged from outside (pages zeroed) never makes kyozo panic: `kyozo events`
//! either reads what it can or says the file is damaged and how to start a new one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Seek, SeekFrom, Write};
use std::process::Command;

use kyozo::store::{EventKind, NewEvent, Store};

#[test]
fn zeroed_pages_are_reported_never_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let ws = ws.canonicalize().unwrap();
    let db = tmp.path().join("kyozo.redb");
    {
        let store = Store::open(&db).unwrap();
        let w = store.workspace(&ws.to_string_lossy()).unwrap();
        for batch in 0..20 {
            let evs = (0..50).map(|i| {
                NewEvent::new(&format!("svc{}", i % 7), EventKind::DeploymentCompleted)
                    .duration_ms(batch * 50 + i)
                    .data(serde_json::json!({ "note": "x".repeat(200), "i": i }))
            });
            store.append_events(w.id, evs).unwrap();
        }
    }
    let len = std::fs::metadata(&db).unwrap().len();
    let pages = len / 4096;
    assert!(pages > 10, "a store of {pages} pages");
    let mut damaged_reports = 0;
    for i in 0..10u64 {
        let copy = tmp.path().join(format!("damaged{i}.redb"));
        std::fs::copy(&db, &copy).unwrap();
        {
            // spread over the file, the header page included once
            let page = (i * (pages - 1)) / 9;
            let mut f = std::fs::OpenOptions::new().write(true).open(&copy).unwrap();
            f.seek(SeekFrom::Start(page * 4096)).unwrap();
            f.write_all(&[0u8; 4096]).unwrap();
            f.sync_all().unwrap();
        }
        let out = Command::new(env!("CARGO_BIN_EXE_kyozo"))
            .args(["events", "--limit", "1000", "--path"])
            .arg(&ws)
            .env("KYOZO_DB", &copy)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(101), "page {i}: a panic: {err}");
        assert!(!err.contains("panicked"), "page {i}: {err}");
        if !out.status.success() {
            assert!(
                err.contains("the history file is damaged: ")
                    && err.contains("(move it away to start a new one)"),
                "page {i}: {err}"
            );
            damaged_reports += 1;
        }
    }
    assert!(
        damaged_reports > 0,
        "zeroed pages went unnoticed in every copy"
    );
}
