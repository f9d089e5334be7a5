//! End-to-end against the real Docker Engine: the cockpit in tmux deploys a service with `d`, sees
//! it running (and answering HTTP), removes it through the confirm dialog, and quits. Skips only
//! when no daemon answers and KYOZO_REQUIRE_DOCKER is unset. Every container, image and network of
//! the throw-away workspace is removed on drop (tests/support).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cockpit_tmux;
mod support;

use cockpit_tmux::Tmux;
use support::{TestWs, engine_ready, http_get, wait_for};

#[test]
fn cockpit_deploys_a_service_and_sees_it_running() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("cockpit/harbor");
    let home = tempfile::tempdir().unwrap();
    let h = home.path().display().to_string();
    let script = format!(
        "env -u DOCKER_HOST -u DOCKER_CONTEXT HOME={h} XDG_CONFIG_HOME={h}/config KYOZO_CONFIG={cfg} \
         KYOZO_DB={db} TERM=screen-256color {bin} {root}; echo KYOZO-EXIT=$?; sleep 600",
        cfg = support::offline_config().display(),
        db = ws.db.display(),
        bin = env!("CARGO_BIN_EXE_kyozo"),
        root = ws.root.display(),
    );
    let t = Tmux::start(&script, home);
    t.wait_for("a connected engine and the services", |s| {
        s.contains("engine unix://") || s.contains("engine tcp://")
    });
    t.wait_text("worker");

    // Table, first row (api), deploy.
    t.keys(&["Tab", "g", "d"]);
    let s = t.wait_for("api running", |s| {
        s.lines()
            .any(|l| l.contains("│api ") && l.contains("running") && l.contains("1/1"))
    });
    assert!(s.contains("1/3 running"), "{s}");
    assert!(
        s.contains("build |"),
        "build output streams into Logs:\n{s}"
    );
    t.wait_text("api: deployed in");
    // the cockpit recorded the deploy in its own store, where `kyozo events` reads it
    let out = ws.kyozo(&["events", "api", "--json"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let evs: Vec<serde_json::Value> = serde_json::from_str(&support::stdout(&out)).unwrap();
    let types: Vec<&str> = evs.iter().filter_map(|e| e["type"].as_str()).collect();
    assert!(
        types.starts_with(&["deployment_completed", "deployment_started"]),
        "{types:?}"
    );
    let answer = wait_for(20, || {
        http_get(18471, "/health").filter(|(code, _)| *code == 200)
    });
    assert!(answer.is_some(), "api does not answer on its host port");
    // Its own log lines (busybox httpd -v logs every request) reach the Logs tab.
    t.wait_text("api-1 |");
    assert_eq!(ws.containers().len(), 1, "{:?}", ws.containers());

    // Auto-deploy: a change in the deployed folder marks it drifted and rebuilds it.
    t.keys(&["u"]);
    t.wait_text("auto-deploy");
    std::fs::write(ws.root.join("services/api/index.extra"), "changed\n").unwrap();
    t.wait_text("auto-deploy: rebuilding api");
    // The status line (the last line) reports the end of the rebuild.
    t.wait_for("api redeployed", |s| {
        s.lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| l.contains("api: deployed in"))
    });
    let answer = wait_for(20, || {
        http_get(18471, "/health").filter(|(code, _)| *code == 200)
    });
    assert!(answer.is_some(), "api does not answer after the rebuild");

    // Remove through the confirm dialog.
    t.keys(&["x"]);
    t.wait_text("Remove api?");
    t.keys(&["y"]);
    t.wait_text("api: removed");
    let gone = wait_for(20, || ws.containers().is_empty().then_some(()));
    assert!(gone.is_some(), "containers left: {:?}", ws.containers());

    t.keys(&["q"]);
    t.wait_text("KYOZO-EXIT=0");
}
