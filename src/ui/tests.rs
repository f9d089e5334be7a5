//! Snapshots of every pane, overlay and dialog at 80×24 and 160×48 (TestBackend + insta). The
//! states are built by hand with fixed times and paths, so nothing varies between runs.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use crate::app::dialog::{ConfirmAction, InputKind, Palette};
use crate::app::layout::layout;
use crate::app::msg::{EngineMsg, EventRow, Msg};
use crate::app::testing::{live_state, state};
use crate::app::{LogLine, Pane, State, Tab, update};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn draw(state: &mut State, w: u16, h: u16) -> Terminal<TestBackend> {
    state.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::render(state, f)).unwrap();
    t
}

fn snap(name: &str, mut state: State) {
    for (w, h) in SIZES {
        let t = draw(&mut state, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

/// One snapshot at one size (kept in `src/ui/snapshots` with the others).
fn snap_at(name: &str, state: &mut State, w: u16, h: u16) {
    let t = draw(state, w, h);
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
}

fn with_logs(mut s: State) -> State {
    let base = 1_700_000_000_000 - 120_000;
    let lines: Vec<LogLine> = (0..40)
        .map(|i| {
            let text = match i % 4 {
                0 => format!("GET /health 200 {}ms", i % 7),
                1 => "listening on 4000".to_string(),
                2 => format!("request id={i} user=alice path=/api/orders?page={i}&size=50&sort=created_at&order=desc&filter=status:open"),
                _ => "ERROR upstream auth timed out".to_string(),
            };
            LogLine::new(Some(base + i * 1000), format!("api-{}", 1 + i % 2), text)
        })
        .collect();
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Logs {
            service: "api".into(),
            lines,
        }),
    );
    s
}

#[test]
fn main_screen() {
    snap("main", with_logs(live_state()));
}

#[test]
fn main_screen_detecting() {
    let s = State::with_options(
        "/ws/harbor".into(),
        false,
        crate::app::Keymap::default(),
        10,
        false,
        true,
    );
    snap("detecting", s);
}

#[test]
fn engine_unreachable() {
    let mut s = state();
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Unreachable {
            endpoint: "unix:///var/run/docker.sock".into(),
            reason: "connection refused".into(),
        }),
    );
    snap("unreachable", s);
}

#[test]
fn tree_focused_with_progress_and_drift() {
    let mut s = with_logs(live_state());
    s.focus = Pane::Tree;
    s.runtime.get_mut("worker").unwrap().drifted = true;
    s.progress.insert(
        "auth".into(),
        crate::app::inflight::InFlight::new(
            crate::app::inflight::Job::Op(crate::app::Op::Deploy),
            "building… step 3/7",
            0,
        ),
    );
    s.marks.insert("api".into());
    s.marks.insert("worker".into());
    snap("progress_drift_marks", s);
}

#[test]
fn logs_search_wrap() {
    let mut s = with_logs(live_state());
    s.focus = Pane::Bottom;
    s.log_view.search = "error".into();
    s.log_view.hit = Some(35);
    s.log_view.follow = false;
    s.log_view.scroll = 4;
    s.log_view.wrap = true;
    snap("logs_search_wrap", s);
}

#[test]
fn events_tab() {
    let mut s = live_state();
    s.tab = Tab::Events;
    let ev = |i: i64, kind: &str, err: Option<&str>| EventRow {
        id: format!("id{i}"),
        service: "api".into(),
        kind: kind.into(),
        at_ms: 1_700_000_000_000 - i * 60_000,
        duration_ms: Some(1200 + i as u64 * 10),
        error: err.map(String::from),
        triggered_by: "alice@build-1".into(),
        data: None,
    };
    s.events = Some((
        Some("api".into()),
        Ok(vec![
            ev(1, "service_scaled", None),
            ev(2, "deployment_completed", None),
            ev(3, "deployment_failed", Some("port 4000 already allocated")),
            ev(4, "deployment_started", None),
        ]),
    ));
    snap("events", s);
}

#[test]
fn events_unavailable() {
    let mut s = live_state();
    s.tab = Tab::Events;
    s.events = Some((Some("api".into()), Err("database is locked".into())));
    snap("events_unavailable", s);
}

#[test]
fn details_tab() {
    let mut s = live_state();
    s.tab = Tab::Details;
    s.focus = Pane::Bottom;
    snap("details", s);
}

#[test]
fn details_tab_marks_what_the_overrides_file_set() {
    let mut s = live_state();
    s.tab = Tab::Details;
    s.focus = Pane::Bottom;
    let t = s.topology.as_mut().unwrap();
    let api = t.services.iter_mut().find(|x| x.name == "api").unwrap();
    api.port = Some(4100);
    api.health_check.path = "/ready".into();
    api.scaling.max = 5;
    api.autoscale = true;
    api.overrides = ["port", "health", "scaling", "autoscale"]
        .map(String::from)
        .to_vec();
    let lines = super::details::lines(&s, &super::Theme::new(false));
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let set: Vec<&String> = text
        .iter()
        .filter(|l| l.ends_with(super::details::SET_BY))
        .collect();
    assert_eq!(set.len(), 3, "{text:#?}");
    assert!(
        set[0].starts_with("port") && set[0].contains("4100"),
        "{set:?}"
    );
    snap("details_overrides", s);
}

#[test]
fn plan_tab_from_detection() {
    let mut s = live_state();
    s.tab = Tab::Plan;
    snap("plan_detected", s);
}

/// A real deploy plan of `api` (the testing topology's, with two secrets in its env) made from a
/// folder with a package.json: the generated Dockerfile carries the env too.
fn real_plan() -> (tempfile::TempDir, crate::deploy::Plan) {
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("services/api");
    std::fs::create_dir_all(&api).unwrap();
    std::fs::write(
        api.join("package.json"),
        r#"{"name":"api","scripts":{"start":"node server.js"}}"#,
    )
    .unwrap();
    let mut svc = crate::app::testing::topology().services[0].clone();
    assert_eq!(svc.name, "api");
    svc.env.insert("API_TOKEN".into(), "s3cr3t-token".into());
    svc.env.insert(
        "DATABASE_URL".into(),
        "postgres://app:hunter2@postgres/app".into(),
    );
    let plan = crate::deploy::plan(
        dir.path(),
        "harbor",
        &svc,
        &crate::config::Config::default(),
    )
    .unwrap();
    (dir, plan)
}

#[test]
fn plan_tab_renders_the_real_plan_with_secrets_masked() {
    let (_dir, plan) = real_plan();
    let mut s = live_state();
    s.tab = Tab::Plan;
    let _ = update(
        &mut s,
        Msg::Plan {
            service: "api".into(),
            result: Ok(Box::new(plan.clone())),
        },
    );
    snap("plan_engine", s);

    let text = super::plan::plan_lines(&plan, false).join("\n");
    assert!(
        text.contains("image       kyozo/harbor-api:<content hash>"),
        "{text}"
    );
    assert!(text.contains("dockerfile  generated"), "{text}");
    assert!(
        text.contains("FROM "),
        "the generated Dockerfile is shown:\n{text}"
    );
    assert!(text.contains("env         API_TOKEN=••••"), "{text}");
    assert!(
        text.contains("DATABASE_URL=postgres://app:••••@postgres/app"),
        "{text}"
    );
    assert!(
        !text.contains("s3cr3t-token") && !text.contains("hunter2"),
        "a secret shows:\n{text}"
    );
    let shown = super::plan::plan_lines(&plan, true).join("\n");
    assert!(
        shown.contains("API_TOKEN=s3cr3t-token") && shown.contains("app:hunter2@"),
        "{shown}"
    );
}

#[test]
fn help_overlay() {
    let mut s = live_state();
    s.help = true;
    snap("help", s);
}

#[test]
fn help_overlay_readonly() {
    let mut s = live_state();
    s.readonly = true;
    s.help = true;
    snap("help_readonly", s);
}

#[test]
fn palette_overlay() {
    let mut s = live_state();
    s.palette = Some(Palette {
        input: "sc".into(),
        completions: vec!["scale".into()],
        selected: 0,
    });
    snap("palette", s);
    let mut s = live_state();
    s.palette = Some(Palette {
        input: "deploy a".into(),
        completions: vec!["api".into(), "auth".into()],
        selected: 1,
    });
    snap("palette_args", s);
}

#[test]
fn confirm_dialog() {
    let mut s = live_state();
    s.confirm = Some(ConfirmAction::Remove(vec!["api".into()]));
    snap("confirm_remove", s);
    let mut s = live_state();
    s.confirm = Some(ConfirmAction::StopAll(vec!["api".into(), "db".into()]));
    snap("confirm_stop_all", s);
}

/// api restarting and worker starting, from the keys.
fn two_operations() -> State {
    let mut s = live_state();
    let key = |c| {
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        ))
    };
    let mut cmds = Vec::new();
    crate::app::update::select_service(&mut s, Some("api".into()), &mut cmds);
    let _ = update(&mut s, key('r'));
    crate::app::update::select_service(&mut s, Some("worker".into()), &mut cmds);
    let _ = update(&mut s, key('s'));
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Progress {
            service: "api".into(),
            text: "stopping 1/2…".into(),
        }),
    );
    assert_eq!(s.progress.len(), 2);
    s
}

#[test]
fn quit_prompt_while_operations_run() {
    let mut s = two_operations();
    let _ = update(
        &mut s,
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('q'),
        )),
    );
    assert_eq!(s.leaving, Some(crate::app::Leaving::Asking));
    s.now_ms += 12_300;
    snap("quit_prompt", s);
}

#[test]
fn waiting_to_leave_and_the_cancel_hint() {
    let mut s = two_operations();
    s.status = None;
    // busy: the hint line offers to cancel
    let t = draw(&mut s, 160, 48);
    let last: String = (0..160)
        .map(|x| t.backend().buffer()[(x, 47)].symbol().to_string())
        .collect();
    assert!(last.contains("ctrl-x cancel"), "{last}");
    let key = |c| {
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        ))
    };
    let _ = update(&mut s, key('q'));
    let _ = update(&mut s, key('w'));
    snap("quit_waiting", s);
}

#[test]
fn events_of_the_workspace_when_no_service_is_selected() {
    let mut s = live_state();
    s.tab = Tab::Events;
    let mut cmds = Vec::new();
    crate::app::update::select_service(&mut s, None, &mut cmds);
    let ev = |i: i64, svc: &str, kind: &str| EventRow {
        id: format!("id{i}"),
        service: svc.into(),
        kind: kind.into(),
        at_ms: 1_700_000_000_000 - i * 60_000,
        duration_ms: None,
        error: None,
        triggered_by: "ana@box".into(),
        data: None,
    };
    let _ = update(
        &mut s,
        Msg::Events {
            service: None,
            result: Ok(vec![
                ev(1, "api", "deployment_completed"),
                ev(2, "db", "service_stopped"),
            ]),
        },
    );
    let t = draw(&mut s, 160, 48);
    let text: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(text.contains("SERVICE"), "no SERVICE column");
    assert!(text.contains("db           service_stopped"), "{text}");
}

#[test]
fn filter_input() {
    let mut s = live_state();
    s.input = Some(InputKind::Filter);
    s.filter = "a".into();
    snap("filter", s);
    let mut s = live_state();
    s.filter = "zzz".into();
    snap("filter_nothing", s);
}

#[test]
fn status_line_error_and_readonly_hints() {
    let mut s = live_state();
    s.error("deploy api failed: port 4000 already allocated");
    snap("status_error", s);
    let mut s = live_state();
    s.readonly = true;
    snap("readonly", s);
}

#[test]
fn zoomed_panes() {
    let mut s = with_logs(live_state());
    s.zoom = true;
    s.focus = Pane::Bottom;
    snap("zoom_logs", s);
    let mut s = live_state();
    s.zoom = true;
    s.focus = Pane::Services;
    snap("zoom_services", s);
}

#[test]
fn mono_theme_uses_no_colour() {
    let mut s = with_logs(live_state());
    s.mono = true;
    s.confirm = Some(ConfirmAction::Remove(vec!["api".into()]));
    let t = draw(&mut s, 160, 48);
    for cell in t.backend().buffer().content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "coloured cell {cell:?}"
        );
    }
    // The colour theme does use colour.
    s.mono = false;
    let t = draw(&mut s, 160, 48);
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg == Color::Green)
    );
}

#[test]
fn narrow_tables_hide_the_type_and_uptime_columns() {
    // the geometry itself is tested in app::layout
    let mut s = live_state();
    s.size = (80, 24);
    let a = layout(&s);
    assert!(super::services::columns(a.services.width - 2).len() < 9);
    s.size = (160, 48);
    let a = layout(&s);
    assert_eq!(super::services::columns(a.services.width - 2).len(), 9);
}

#[test]
fn tiny_terminals_do_not_panic() {
    for (w, h) in [(1, 1), (10, 3), (20, 5), (40, 10), (79, 23), (300, 100)] {
        let mut s = with_logs(live_state());
        let _ = draw(&mut s, w, h);
        s.help = true;
        let _ = draw(&mut s, w, h);
        s.help = false;
        s.confirm = Some(ConfirmAction::Remove(vec!["api".into()]));
        let _ = draw(&mut s, w, h);
        s.confirm = None;
        s.palette = Some(Palette {
            input: "deploy ".into(),
            completions: vec!["api".into(), "auth".into()],
            selected: 1,
        });
        let _ = draw(&mut s, w, h);
        s.palette = None;
        s.zoom = true;
        for tab in Tab::all() {
            s.tab = tab;
            s.focus = Pane::Bottom;
            let _ = draw(&mut s, w, h);
        }
    }
}

mod habits;
mod styles;

#[test]
fn details_and_plan_name_an_images_own_healthcheck() {
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("services/api");
    std::fs::create_dir_all(&api).unwrap();
    std::fs::write(
        api.join("Dockerfile"),
        "FROM kyozo-base/busybox:latest\nHEALTHCHECK CMD test -f /ok\nCMD [\"httpd\", \"-f\"]\n",
    )
    .unwrap();
    let svc = crate::app::testing::topology().services[0].clone();
    let plan = crate::deploy::plan(
        dir.path(),
        "harbor",
        &svc,
        &crate::config::Config::default(),
    )
    .unwrap();
    let mut s = live_state();
    s.selected = Some("api".into());
    let text = |s: &State| -> String {
        super::details::lines(s, &super::Theme::new(true))
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|x| x.content.to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        text(&s).contains("health       GET /health"),
        "{}",
        text(&s)
    );
    let _ = update(
        &mut s,
        Msg::Plan {
            service: "api".into(),
            result: Ok(Box::new(plan.clone())),
        },
    );
    assert!(
        text(&s).contains("health       image HEALTHCHECK (its own timing)"),
        "{}",
        text(&s)
    );
    let lines = super::plan::plan_lines(&plan, false);
    assert!(
        lines
            .iter()
            .any(|l| l == "health      image HEALTHCHECK (its own timing)"),
        "{lines:?}"
    );
}
