use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::nav::follow_selected;
use super::*;
use crate::app::layout::layout;
use crate::app::msg::{EngineMsg, Health, Msg, Op, Outcome, ServiceRuntime, Signal};
use crate::app::state::Level;
use crate::app::testing::{live_state, state};
use crate::app::{ConfirmAction, InputKind, Keymap, LogLine, Pane, SortColumn, Tab};

fn key(c: char) -> Msg {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(KeyCode::Char(c), mods))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn typed(s: &mut State, text: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for c in text.chars() {
        out.extend(update(s, key(c)));
    }
    out
}

fn select(s: &mut State, name: &str) {
    let mut cmds = Vec::new();
    select_service(s, Some(name.to_string()), &mut cmds);
}

fn palette_line(s: &mut State, line: &str, cmds: &mut Vec<Command>) {
    super::keys::run_palette(s, line, cmds);
}

fn status_text(s: &State) -> String {
    s.status
        .as_ref()
        .map(|(_, t)| t.clone())
        .unwrap_or_default()
}

#[test]
fn first_detection_selects_the_first_row_and_watches_folders() {
    let mut s = State::with_options(
        "/ws/harbor".into(),
        false,
        Keymap::default(),
        10,
        false,
        true,
    );
    let cmds = init(&mut s);
    assert_eq!(cmds, [Command::Detect { folders: None }]);
    assert!(s.detect_job.running);
    let cmds = update(
        &mut s,
        Msg::Detected {
            topology: Box::new(crate::app::testing::topology()),
            folders: vec![".".into(), "services".into()],
            changed: vec![],
        },
    );
    assert_eq!(s.selected.as_deref(), Some("api"));
    assert!(cmds.contains(&Command::Watch {
        folders: vec![".".into(), "services".into()]
    }));
    assert!(!s.detect_job.running);
}

#[test]
fn deploy_key_sends_an_engine_command_with_progress() {
    let mut s = live_state();
    select(&mut s, "auth");
    let cmds = update(&mut s, key('d'));
    assert_eq!(
        cmds,
        [Command::Engine {
            op: Op::Deploy,
            services: vec!["auth".into()]
        }]
    );
    assert_eq!(s.status_of("auth"), ServiceState::Deploying);
    assert_eq!(s.progress["auth"].step, "deploying…");
    // The same request is not sent twice while it runs: refused, naming the running one.
    assert!(update(&mut s, key('d')).is_empty());
    assert_eq!(
        status_text(&s),
        "auth: deploy (deploying…) running (ctrl-x cancels)"
    );
}

#[test]
fn actions_without_engine_explain_why() {
    let mut s = state();
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Unreachable {
            endpoint: "unix:///var/run/docker.sock".into(),
            reason: "connection refused".into(),
        }),
    );
    let cmds = update(&mut s, key('d'));
    assert!(cmds.is_empty());
    let (level, text) = s.status.clone().unwrap();
    assert_eq!(level, Level::Error);
    assert!(
        text.contains("engine unreachable") && text.contains("connection refused"),
        "{text}"
    );
    assert!(update(&mut s, key('a')).is_empty());
}

#[test]
fn readonly_blocks_every_mutating_action() {
    let mut s = live_state();
    s.readonly = true;
    for c in ['d', 's', 'r', '+', '-', 'x', 'a', 'A', 'b', 'u', 'w'] {
        let cmds = update(&mut s, key(c));
        assert!(cmds.is_empty(), "{c} gave {cmds:?}");
        assert!(s.confirm.is_none(), "{c} asked for confirmation");
        assert!(
            status_text(&s).contains("read-only"),
            "{c}: {}",
            status_text(&s)
        );
    }
    // The palette refuses them too, and does not offer them.
    let _ = update(&mut s, key(':'));
    assert!(
        s.palette
            .as_ref()
            .unwrap()
            .completions
            .iter()
            .all(|c| c != "deploy")
    );
    let cmds = typed(&mut s, "deploy api");
    assert!(cmds.is_empty());
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert!(cmds.is_empty());
    assert!(status_text(&s).contains("read-only"));
    // Reading still works.
    assert!(!update(&mut s, key('2')).is_empty());
}

#[test]
fn remove_goes_through_confirmation() {
    let mut s = live_state();
    select(&mut s, "api");
    assert!(update(&mut s, key('x')).is_empty());
    assert_eq!(s.confirm, Some(ConfirmAction::Remove(vec!["api".into()])));
    // Other keys do nothing while the dialog is open.
    assert!(update(&mut s, key('d')).is_empty());
    assert!(update(&mut s, key('n')).is_empty());
    assert!(s.confirm.is_none());
    let _ = update(&mut s, key('x'));
    let cmds = update(&mut s, key('y'));
    assert_eq!(
        cmds,
        [Command::Engine {
            op: Op::Remove,
            services: vec!["api".into()]
        }]
    );
    assert_eq!(s.progress["api"].step, "removing…");
}

#[test]
fn remove_of_an_undeployed_service_is_refused() {
    let mut s = live_state();
    select(&mut s, "auth");
    assert!(update(&mut s, key('x')).is_empty());
    assert!(s.confirm.is_none());
    assert!(status_text(&s).contains("not deployed"));
}

#[test]
fn stop_all_confirms_then_stops_running_services() {
    let mut s = live_state();
    assert!(update(&mut s, key('A')).is_empty());
    assert_eq!(
        s.confirm,
        Some(ConfirmAction::StopAll(vec!["api".into(), "db".into()]))
    );
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        cmds,
        [Command::Engine {
            op: Op::Stop,
            services: vec!["api".into(), "db".into()]
        }]
    );
}

#[test]
fn deploy_all_follows_the_deployment_order() {
    let mut s = live_state();
    let cmds = update(&mut s, key('a'));
    assert_eq!(
        cmds,
        [Command::Engine {
            op: Op::Deploy,
            services: vec![
                "auth".into(),
                "db".into(),
                "worker".into(),
                "api".into(),
                "web".into()
            ]
        }]
    );
    // every service waits for its wave until its first step starts
    assert!(s.progress.values().all(|p| p.step == "queued…"));
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Progress {
            service: "auth".into(),
            text: "building…".into(),
        }),
    );
    assert_eq!(s.progress["auth"].step, "building…");
    assert_eq!(s.progress["web"].step, "queued…");
}

#[test]
fn start_stop_toggles_by_status() {
    let mut s = live_state();
    select(&mut s, "api");
    assert_eq!(
        update(&mut s, key('s')),
        [Command::Engine {
            op: Op::Stop,
            services: vec!["api".into()]
        }]
    );
    select(&mut s, "worker");
    assert_eq!(
        update(&mut s, key('s')),
        [Command::Engine {
            op: Op::Start,
            services: vec!["worker".into()]
        }]
    );
    select(&mut s, "auth");
    assert!(update(&mut s, key('s')).is_empty());
    assert!(status_text(&s).contains("not deployed"));
}

#[test]
fn infrastructure_is_never_deployed() {
    let mut s = live_state();
    select(&mut s, "infra");
    assert!(update(&mut s, key('d')).is_empty());
    assert!(
        status_text(&s).contains("never deployed"),
        "{}",
        status_text(&s)
    );
}

#[test]
fn scale_respects_bounds() {
    let mut s = live_state();
    select(&mut s, "api");
    assert_eq!(
        update(&mut s, key('+')),
        [Command::Scale {
            service: "api".into(),
            replicas: 3
        }]
    );
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Scaled {
            service: "api".into(),
            replicas: 3,
            result: Ok(()),
        }),
    );
    assert!(s.progress.is_empty());
    s.runtime.get_mut("api").unwrap().desired = 3;
    s.runtime.get_mut("api").unwrap().running = 3;
    assert!(update(&mut s, key('+')).is_empty());
    assert_eq!(
        status_text(&s),
        "api: replicas stay between 1 and 3 (its scaling limits), or 0 to stop it; asked 4"
    );
    // 0 stops the service, which stays deployed (the limits are the service's own)
    s.runtime.get_mut("api").unwrap().desired = 1;
    s.runtime.get_mut("api").unwrap().running = 1;
    assert_eq!(
        update(&mut s, key('-')),
        [Command::Scale {
            service: "api".into(),
            replicas: 0
        }]
    );
    assert_eq!(s.status_of("api"), ServiceState::Scaling);
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Scaled {
            service: "api".into(),
            replicas: 0,
            result: Ok(()),
        }),
    );
    let mut topo = s.topology.clone().unwrap();
    topo.services[0].scaling.max = 5;
    let folders = s.folders.clone();
    let _ = update(
        &mut s,
        Msg::Detected {
            topology: Box::new(topo),
            folders,
            changed: vec![],
        },
    );
    let mut cmds = Vec::new();
    palette_line(&mut s, "scale api 5", &mut cmds);
    assert_eq!(
        cmds,
        [Command::Scale {
            service: "api".into(),
            replicas: 5
        }]
    );
    select(&mut s, "auth");
    assert!(update(&mut s, key('+')).is_empty());
    assert!(status_text(&s).contains("not deployed"));
}

#[test]
fn filter_narrows_tree_and_table_and_esc_clears() {
    let mut s = live_state();
    s.focus = Pane::Services;
    let _ = update(&mut s, key('/'));
    assert_eq!(s.input, Some(InputKind::Filter));
    let _ = typed(&mut s, "wor");
    assert_eq!(s.filter, "wor");
    let names: Vec<&str> = s.table_rows().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["worker"]);
    assert_eq!(s.selected.as_deref(), Some("worker"));
    let tree = s.shown_tree().unwrap();
    let rows = tree.visible(&s.tree_opened, true);
    assert_eq!(rows.iter().filter(|r| r.node.service.is_some()).count(), 1);
    // Keys typed into the filter are not actions.
    assert!(s.confirm.is_none() && s.progress.is_empty());
    let _ = update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.input, None);
    assert_eq!(s.filter, "wor");
    let _ = update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.filter, "");
    assert_eq!(s.table_rows().len(), 6);
}

#[test]
fn palette_completes_and_runs_commands() {
    let mut s = live_state();
    let _ = update(&mut s, key(':'));
    let _ = typed(&mut s, "sc");
    assert_eq!(s.palette.as_ref().unwrap().completions, ["scale"]);
    let _ = update(&mut s, code(KeyCode::Tab));
    assert_eq!(s.palette.as_ref().unwrap().input, "scale ");
    let _ = typed(&mut s, "a");
    assert_eq!(s.palette.as_ref().unwrap().completions, ["api", "auth"]);
    let _ = update(&mut s, code(KeyCode::Tab));
    let _ = typed(&mut s, "3");
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        cmds,
        [Command::Scale {
            service: "api".into(),
            replicas: 3
        }]
    );
    assert!(s.palette.is_none());

    let _ = update(&mut s, key(':'));
    let _ = typed(&mut s, "frobnicate");
    let _ = update(&mut s, code(KeyCode::Enter));
    assert!(status_text(&s).contains("unknown command"));

    let _ = update(&mut s, key(':'));
    let _ = typed(&mut s, "deploy nope");
    let _ = update(&mut s, code(KeyCode::Enter));
    assert!(status_text(&s).contains("unknown service: nope"));

    // the scale still runs: quitting asks first, `l` leaves
    let _ = update(&mut s, key(':'));
    let _ = typed(&mut s, "quit");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert_eq!(s.leaving, Some(crate::app::Leaving::Asking));
    assert_eq!(update(&mut s, key('l')), [Command::Quit]);
}

#[test]
fn palette_esc_closes_without_running() {
    let mut s = live_state();
    let _ = update(&mut s, key(':'));
    let _ = typed(&mut s, "up");
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert!(s.palette.is_none());
}

#[test]
fn marks_group_an_action_and_are_cleared_after() {
    let mut s = live_state();
    s.focus = Pane::Services;
    select(&mut s, "api");
    let _ = update(&mut s, key(' '));
    assert_eq!(s.selected.as_deref(), Some("auth"), "mark moves down");
    select(&mut s, "worker");
    let _ = update(&mut s, key(' '));
    assert_eq!(s.marks.len(), 2);
    let cmds = update(&mut s, key('r'));
    assert_eq!(
        cmds,
        [Command::Engine {
            op: Op::Restart,
            services: vec!["api".into(), "worker".into()]
        }]
    );
    assert!(s.marks.is_empty());
}

#[test]
fn log_buffers_are_bounded_and_count_drops() {
    let mut s = live_state();
    let lines: Vec<LogLine> = (0..150)
        .map(|i| LogLine::new(Some(0), "api-1", format!("line {i}")))
        .collect();
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Logs {
            service: "api".into(),
            lines,
        }),
    );
    let b = &s.logs["api"];
    assert_eq!(b.len(), 100);
    assert_eq!(b.dropped(), 50);
    assert_eq!(b.get(0).unwrap().text, "line 50");
    // lines a follower dropped under a flood count too
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::LogsDropped {
            service: "api".into(),
            count: 1000,
        }),
    );
    assert_eq!(s.logs["api"].dropped(), 1050);
    assert_eq!(s.logs["api"].len(), 100);
}

#[test]
fn search_in_logs_with_n_and_shift_n() {
    let mut s = live_state();
    select(&mut s, "api");
    let lines: Vec<LogLine> = ["boot", "ERROR one", "ok", "error two", "ok"]
        .iter()
        .map(|t| LogLine::new(None, "api-1", *t))
        .collect();
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Logs {
            service: "api".into(),
            lines,
        }),
    );
    s.focus = Pane::Bottom;
    s.tab = Tab::Logs;
    let _ = update(&mut s, key('/'));
    assert_eq!(s.input, Some(InputKind::Search));
    let _ = typed(&mut s, "error");
    let _ = update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.log_view.hit, Some(1));
    assert!(!s.log_view.follow);
    let _ = update(&mut s, key('n'));
    assert_eq!(s.log_view.hit, Some(3));
    assert_eq!(s.log_view.scroll, 1);
    let _ = update(&mut s, key('n'));
    assert_eq!(s.log_view.hit, Some(1));
    let _ = update(&mut s, key('N'));
    assert_eq!(s.log_view.hit, Some(3));
    // `/` outside the Logs tab filters instead.
    s.focus = Pane::Tree;
    let _ = update(&mut s, key('/'));
    assert_eq!(s.input, Some(InputKind::Filter));
}

#[test]
fn redetection_is_coalesced_newest_wins() {
    let mut s = live_state();
    let cmds = update(&mut s, Msg::FsChanged(vec!["services/api".into()]));
    assert_eq!(
        cmds,
        [Command::Detect {
            folders: Some(vec!["services/api".into()])
        }]
    );
    // Two more changes while one runs: nothing starts, they merge into one pending request.
    assert!(update(&mut s, Msg::FsChanged(vec!["web".into()])).is_empty());
    assert!(update(&mut s, Msg::FsChanged(vec!["db".into()])).is_empty());
    let topology = Box::new(s.topology.clone().unwrap());
    let folders = s.folders.clone();
    let cmds = update(
        &mut s,
        Msg::Detected {
            topology,
            folders,
            changed: vec![],
        },
    );
    assert_eq!(
        cmds,
        [Command::Detect {
            folders: Some(vec!["db".into(), "web".into()])
        }]
    );
    // A full request while running supersedes folder requests.
    let _ = update(&mut s, Msg::FsChanged(vec!["web".into()]));
    let _ = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
    );
    assert_eq!(s.detect_job.pending, Some(None));
}

#[test]
fn changed_folder_marks_deployed_service_drifted_and_auto_deploy_rebuilds() {
    let mut s = live_state();
    let _ = update(&mut s, Msg::FsChanged(vec!["services/api/src".into()]));
    assert!(s.runtime["api"].drifted);
    assert!(
        !s.runtime.get("auth").is_some_and(|r| r.drifted),
        "auth is not deployed"
    );
    let topo = s.topology.clone().unwrap();
    let folders = s.folders.clone();
    let cmds = update(
        &mut s,
        Msg::Detected {
            topology: Box::new(topo.clone()),
            folders: folders.clone(),
            changed: vec![],
        },
    );
    assert!(
        !cmds.iter().any(|c| matches!(c, Command::Engine { .. })),
        "auto-deploy is off"
    );

    let cmds = update(&mut s, key('u'));
    assert_eq!(cmds, [Command::SetAutoDeploy(true)]);
    let _ = update(&mut s, Msg::FsChanged(vec!["services/worker".into()]));
    let cmds = update(
        &mut s,
        Msg::Detected {
            topology: Box::new(topo),
            folders,
            changed: vec![],
        },
    );
    assert!(cmds.contains(&Command::Engine {
        op: Op::Rebuild,
        services: vec!["worker".into()]
    }));
    // A successful rebuild clears the drift mark.
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Done {
            service: "worker".into(),
            op: Op::Rebuild,
            outcome: Outcome::Changed(String::new()),
        }),
    );
    assert!(!s.runtime["worker"].drifted);
}

#[test]
fn engine_failure_shows_in_status_and_logs() {
    let mut s = live_state();
    select(&mut s, "auth");
    let _ = update(&mut s, key('d'));
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Done {
            service: "auth".into(),
            op: Op::Deploy,
            outcome: Outcome::Failed {
                error: "build failed: go: command not found".into(),
                rolled_back: false,
            },
        }),
    );
    let (level, text) = s.status.clone().unwrap();
    assert_eq!(level, Level::Error);
    assert!(text.contains("go: command not found"));
    assert!(s.progress.is_empty());
    let last = s.logs["auth"].iter().last().unwrap();
    assert!(last.text.contains("go: command not found"));
}

#[test]
fn services_a_failed_deploy_never_reached_keep_their_state() {
    let mut s = live_state();
    select(&mut s, "auth");
    let _ = update(&mut s, key('d'));
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Done {
            service: "auth".into(),
            op: Op::Deploy,
            outcome: Outcome::Failed {
                error: "auth: build failed".into(),
                rolled_back: false,
            },
        }),
    );
    s.progress.insert(
        "worker".into(),
        crate::app::inflight::InFlight::new(crate::app::inflight::Job::Op(Op::Deploy), "queued", 0),
    );
    let before = s.runtime.get("worker").map(|rt| rt.error.clone());
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Skipped {
            service: "worker".into(),
            op: Op::Deploy,
            cause: "auth".into(),
        }),
    );
    assert!(s.progress.is_empty());
    assert_eq!(s.runtime.get("worker").map(|rt| rt.error.clone()), before);
    // the status line still names the failure, not the skipped service
    let (level, text) = s.status.clone().unwrap();
    assert_eq!(level, Level::Error);
    assert!(text.contains("deploy auth failed"), "{text}");
    let last = s.logs["worker"].iter().last().unwrap();
    assert!(last.text.contains("auth failed first"), "{}", last.text);
}

#[test]
fn navigation_moves_between_panes_rows_and_tabs() {
    let mut s = live_state();
    assert_eq!(s.focus, Pane::Tree);
    let _ = update(&mut s, code(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Services);
    let _ = update(&mut s, key('g'));
    assert_eq!(s.selected.as_deref(), Some("api"));
    let _ = update(&mut s, key('j'));
    assert_eq!(s.selected.as_deref(), Some("auth"));
    let _ = update(&mut s, code(KeyCode::Down));
    assert_eq!(s.selected.as_deref(), Some("db"));
    let _ = update(&mut s, key('G'));
    assert_eq!(s.selected.as_deref(), Some("worker"));
    // The tree follows the table.
    assert_eq!(
        s.tree_selected,
        [".", "services", "services/worker"].map(String::from)
    );
    let _ = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert_eq!(s.focus, Pane::Tree);
    let _ = update(&mut s, key('k'));
    assert_eq!(s.selected.as_deref(), Some("auth"), "tree row above worker");
    let cmds = update(&mut s, key('2'));
    assert_eq!(s.tab, Tab::Events);
    assert_eq!(
        cmds,
        [Command::LoadEvents {
            service: Some("auth".into())
        }]
    );
    let _ = update(&mut s, key(']'));
    assert_eq!(s.tab, Tab::Details);
    let _ = update(&mut s, key('z'));
    assert!(s.zoom);
    let _ = update(&mut s, code(KeyCode::Esc));
    assert!(!s.zoom);
}

#[test]
fn tree_left_right_collapse_and_expand() {
    let mut s = live_state();
    select(&mut s, "api");
    let _ = update(&mut s, key('h'));
    assert_eq!(s.tree_selected, [".", "services"].map(String::from));
    let _ = update(&mut s, key('h'));
    assert!(
        !s.tree_opened
            .contains(&vec![".".to_string(), "services".to_string()])
    );
    let _ = update(&mut s, key('l'));
    assert!(
        s.tree_opened
            .contains(&vec![".".to_string(), "services".to_string()])
    );
}

#[test]
fn quit_keys_and_signals() {
    let mut s = live_state();
    assert_eq!(update(&mut s, key('q')), [Command::Quit]);
    let mut s = live_state();
    s.input = Some(InputKind::Filter);
    assert_eq!(
        update(
            &mut s,
            Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
        ),
        [Command::Quit]
    );
    let mut s = live_state();
    assert_eq!(update(&mut s, Msg::Signal(Signal::Hup)), [Command::Quit]);
    assert!(s.quit);
}

#[test]
fn help_overlay_toggles_and_swallows_keys() {
    let mut s = live_state();
    let _ = update(&mut s, key('?'));
    assert!(s.help);
    assert!(update(&mut s, key('d')).is_empty());
    assert!(s.progress.is_empty());
    let _ = update(&mut s, key('?'));
    assert!(!s.help);
}

#[test]
fn open_and_save() {
    let mut s = live_state();
    select(&mut s, "api");
    assert_eq!(
        update(&mut s, key('o')),
        [Command::OpenUrl {
            url: "http://localhost:4000".into()
        }]
    );
    assert!(update(&mut s, key('w')).is_empty(), "no logs yet");
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Logs {
            service: "api".into(),
            lines: vec![LogLine::new(Some(3_600_000), "api-1", "listening")],
        }),
    );
    // w asks where first (tests/habits.rs has the prompt); enter takes the default
    assert!(update(&mut s, key('w')).is_empty());
    assert_eq!(
        update(&mut s, code(KeyCode::Enter)),
        [Command::SaveLogs {
            service: "api".into(),
            lines: vec!["1970-01-01 01:00:00 api-1 | listening".into()],
            path: "harbor-api-20231114-221320.log".into(),
        }]
    );
    select(&mut s, "worker");
    assert!(update(&mut s, key('o')).is_empty());
    assert!(status_text(&s).contains("not running"));
}

#[test]
fn remapped_keys_are_used() {
    let mut keys = std::collections::BTreeMap::new();
    keys.insert("deploy".to_string(), "D".to_string());
    let (km, _) = Keymap::from_config(&keys).unwrap();
    let mut s = live_state();
    s.keymap = km;
    select(&mut s, "auth");
    assert!(update(&mut s, key('d')).is_empty());
    assert_eq!(update(&mut s, key('D')).len(), 1);
}

#[test]
fn mouse_click_selects_table_row_and_tab() {
    let mut s = live_state();
    let areas = layout(&s);
    // Third data row of the table (api, auth, db).
    let click = |x: u16, y: u16| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    let _ = update(&mut s, click(areas.services.x + 3, areas.services.y + 4));
    assert_eq!(s.focus, Pane::Services);
    assert_eq!(s.selected.as_deref(), Some("db"));
    // "Events" in the bottom border.
    let x = areas.bottom.x + 1 + "Logs".len() as u16 + 3 + 2;
    let _ = update(&mut s, click(x, areas.bottom.y));
    assert_eq!(s.tab, Tab::Events);
    // Toggle mouse capture.
    assert_eq!(update(&mut s, key('m')), [Command::SetMouse(false)]);
}

#[test]
fn tick_redraws_only_when_something_runs() {
    let mut s = state();
    s.dirty = false;
    assert!(!s.wants_tick());
    let now = s.now_ms;
    let _ = update(&mut s, Msg::Tick(now + 1000));
    assert!(!s.dirty);
    let mut s = live_state();
    assert!(s.wants_tick(), "uptimes move");
    s.runtime.get_mut("api").unwrap().started_at_ms = Some(now - 10_000);
    s.dirty = false;
    let _ = update(&mut s, Msg::Tick(now + 1000));
    assert!(s.dirty, "api's uptime went from 10s to 11s");
}

#[test]
fn health_score_and_counts() {
    let mut s = live_state();
    assert_eq!(s.counts(), (2, 5));
    assert_eq!(s.health_score(), Some(50));
    s.runtime.insert(
        "auth".into(),
        ServiceRuntime {
            status: ServiceState::Running,
            health: Health::Healthy,
            ..Default::default()
        },
    );
    assert_eq!(s.health_score(), Some(67));
}

#[test]
fn sort_keys_cycle_and_reverse() {
    let mut s = live_state();
    let _ = update(&mut s, key('>'));
    assert_eq!(s.sort, SortColumn::Type);
    let _ = update(&mut s, key('<'));
    assert!(s.sort_desc);
    s.sort = SortColumn::Memory;
    let names: Vec<&str> = s.table_rows().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names[0], "db");
}

#[test]
fn logs_are_followed_once_and_again_when_containers_change() {
    let mut s = live_state();
    // live_state selected api while connected: one follower.
    assert!(s.following.contains("api"));
    let mut cmds = Vec::new();
    follow_selected(&mut s, &mut cmds);
    assert!(cmds.is_empty(), "a second follower was asked for");
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Logs {
            service: "api".into(),
            lines: vec![LogLine::new(Some(10_000), "api-1", "hi")],
        }),
    );
    // Scaled: a new container; the follower is replaced, from after the last line seen.
    let mut map = s.runtime.clone();
    map.get_mut("api").unwrap().containers.push("c9".into());
    let cmds = update(&mut s, Msg::Engine(EngineMsg::Snapshot(map)));
    assert_eq!(
        cmds,
        [Command::FollowLogs {
            service: "api".into(),
            since_s: Some(11)
        }]
    );
}

#[test]
fn mouse_click_in_tree_selects_service_and_toggles_folders() {
    let mut s = live_state();
    let areas = layout(&s);
    let click = |y: u16| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: areas.tree.x + 4,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Rows: harbor, db, docs, infra, services, api, auth, worker, web.
    let rows: Vec<String> = s
        .tree
        .visible(&s.tree_opened, false)
        .iter()
        .map(|r| r.node.rel.clone())
        .collect();
    let worker = rows.iter().position(|r| r == "services/worker").unwrap() as u16;
    let _ = update(&mut s, click(areas.tree.y + 1 + worker));
    assert_eq!(s.focus, Pane::Tree);
    assert_eq!(s.selected.as_deref(), Some("worker"));
    // Clicking the selected folder toggles it.
    let services = rows.iter().position(|r| r == "services").unwrap() as u16;
    let _ = update(&mut s, click(areas.tree.y + 1 + services));
    assert_eq!(s.tree_selected, [".", "services"].map(String::from));
    let _ = update(&mut s, click(areas.tree.y + 1 + services));
    assert!(
        !s.tree_opened
            .contains(&vec![".".to_string(), "services".to_string()])
    );
    // Scrolling the wheel over the table moves its selection.
    let _ = update(
        &mut s,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: areas.services.x + 2,
            row: areas.services.y + 3,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(s.focus, Pane::Services);
}

#[test]
fn keymap_clash_warning_reaches_the_status_line_and_clears_on_key() {
    // the path the cockpit starts on: config -> state (app::start), not a hand-set warning
    let config = crate::config::Config::parse(
        "[keys]\ndeploy = \"q\"\n",
        std::path::Path::new("config.toml"),
    )
    .unwrap();
    let (mut s, warnings) = crate::app::start::state_from_config(
        "/ws/harbor".into(),
        crate::app::start::Flags::default(),
        &config,
    )
    .unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(level(&s), Some(Level::Warn));
    assert!(status_text(&s).contains("clashes with quit"));
    let _ = update(&mut s, key('j'));
    assert!(s.status.is_none());
}

#[test]
fn changed_detection_is_recorded_with_the_changed_fields() {
    let mut s = live_state();
    let mut topo = s.topology.clone().unwrap();
    let api = topo.services.iter_mut().find(|x| x.name == "api").unwrap();
    api.port = Some(4001);
    api.ports = vec![4001];
    api.env.insert("PORT".into(), "4001".into());
    let folders = s.folders.clone();
    let _ = update(&mut s, Msg::FsChanged(vec!["services/api".into()]));
    let cmds = update(
        &mut s,
        Msg::Detected {
            topology: Box::new(topo.clone()),
            folders,
            changed: vec!["services/api".into()],
        },
    );
    let recorded = cmds.iter().find_map(|c| match c {
        Command::RecordDetection { changed, .. } => Some(changed.clone()),
        _ => None,
    });
    assert_eq!(
        recorded,
        Some(vec![(
            "api".to_string(),
            vec!["port".to_string(), "env".to_string()]
        )])
    );
    // The same result again records nothing.
    let folders = s.folders.clone();
    let cmds = update(
        &mut s,
        Msg::Detected {
            topology: Box::new(topo),
            folders,
            changed: vec![],
        },
    );
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Command::RecordDetection { .. }))
    );
}

#[test]
fn ticks_and_stats_redraw_only_when_the_screen_would_change() {
    let mut s = live_state();
    // api has run 5 minutes, db 3 hours: a tick one second later shows the same uptimes
    s.dirty = false;
    let now = s.now_ms;
    let _ = update(&mut s, Msg::Tick(now + 1000));
    assert!(!s.dirty, "same uptimes, no redraw");
    // a minute later api shows 6m
    let _ = update(&mut s, Msg::Tick(now + 60_000));
    assert!(s.dirty);
    // a service started just now shows seconds: every tick counts
    s.runtime.get_mut("api").unwrap().started_at_ms = Some(now + 50_000);
    s.dirty = false;
    let _ = update(&mut s, Msg::Tick(now + 61_000));
    assert!(s.dirty);

    // a stats sample that shows as before (3.2%, 80M) costs nothing
    s.dirty = false;
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Stats {
            service: "api".into(),
            cpu_percent: 3.2,
            memory_bytes: 80 * 1024 * 1024 + 1000,
        }),
    );
    assert!(!s.dirty);
    assert_eq!(s.runtime["api"].memory_bytes, Some(80 * 1024 * 1024 + 1000));
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Stats {
            service: "api".into(),
            cpu_percent: 3.3,
            memory_bytes: 80 * 1024 * 1024,
        }),
    );
    assert!(s.dirty);
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn done(service: &str, op: Op, outcome: Outcome) -> Msg {
    Msg::Engine(EngineMsg::Done {
        service: service.into(),
        op,
        outcome,
    })
}

/// A detection of `topology` (the state's own when `None`) landing, with the same folders.
fn detected(s: &mut State, topology: Option<crate::detect::Topology>) -> Vec<Command> {
    let topology = Box::new(topology.unwrap_or_else(|| s.topology.clone().unwrap()));
    let folders = s.folders.clone();
    update(
        s,
        Msg::Detected {
            topology,
            folders,
            changed: vec![],
        },
    )
}

fn level(s: &State) -> Option<Level> {
    s.status.as_ref().map(|(l, _)| *l)
}

/// The services of every `Command::Engine` in `cmds`.
fn engine_services(cmds: &[Command]) -> Vec<Vec<String>> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Engine { services, .. } => Some(services.clone()),
            _ => None,
        })
        .collect()
}

mod fresh;
mod habits;
mod health;
mod ops;
mod palette;
mod selection;
