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
    let home_dir = home.path().to_path_buf();
    let h = home.path().display().to_string();
    let script = format!(
        "env -u DOCKER_HOST -u DOCKER_CONTEXT -u XDG_STATE_HOME HOME={h} XDG_CONFIG_HOME={h}/config KYOZO_CONFIG={cfg} \
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

    // w asks where the logs go, under the XDG state folder; enter writes them there, not into
    // the workspace, and the status line says where.
    t.keys(&["w"]);
    t.wait_text("save api logs to:");
    t.wait_text(".log▏");
    t.keys(&["Enter"]);
    let s = t.wait_text("lines of api to ");
    let logs = home_dir.join(".local/state/kyozo/logs");
    let saved: Vec<_> = std::fs::read_dir(&logs)
        .unwrap_or_else(|e| panic!("{}: {e}\n{s}", logs.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let name = saved[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.contains("-api-") && name.ends_with(".log"), "{name}");
    assert!(
        std::fs::read_to_string(&saved[0])
            .unwrap()
            .contains("api-1 |")
    );
    assert!(s.contains(".local/state/kyozo/logs/"), "{s}");
    let in_ws: Vec<_> = std::fs::read_dir(&ws.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    assert!(in_ws.is_empty(), "logs saved into the workspace: {in_ws:?}");

    // The Events tab: the deployment's events; enter opens the newest in full, esc comes back.
    t.keys(&["Tab", "2"]);
    t.wait_text("deployment_completed");
    t.keys(&["g", "Enter"]);
    let s = t.wait_text("esc back");
    assert!(s.contains(" UTC (") && s.contains("by "), "{s}");
    t.keys(&["Escape"]);
    t.wait_for("the events table again", |s| {
        s.contains("TIME") && !s.contains("esc back")
    });
    t.keys(&["1"]);

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
