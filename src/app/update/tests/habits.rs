//! The habits users bring from k9s, lazydocker and Tilt: an Events tab with a cursor that opens an
//! event in full and filters by kind, `enter` on a service for its Details, `g`/`G` in the help,
//! `:scale` completing only what scales, and `w` asking where the logs go.

use super::*;
use crate::app::msg::EventRow;
use crate::app::view::EventFilter;

fn ev(id: &str, kind: &str, at_ms: i64, error: Option<&str>) -> EventRow {
    EventRow {
        id: id.into(),
        service: "api".into(),
        kind: kind.into(),
        at_ms,
        duration_ms: Some(1200),
        error: error.map(String::from),
        triggered_by: "ana@box".into(),
        data: Some("{\n  \"replicas\": 2\n}".into()),
    }
}

/// api's Events tab, focused, with four events (newest first), one failed.
fn events_state() -> State {
    let mut s = live_state();
    select(&mut s, "api");
    s.focus = Pane::Bottom;
    let _ = update(&mut s, key('2'));
    assert_eq!(s.tab, Tab::Events);
    let now = s.now_ms;
    let _ = update(
        &mut s,
        Msg::Events {
            service: Some("api".into()),
            result: Ok(vec![
                ev("e4", "service_scaled", now - 1_000, None),
                ev(
                    "e3",
                    "deployment_failed",
                    now - 2_000,
                    Some("port 4000 taken"),
                ),
                ev("e2", "deployment_started", now - 3_000, None),
                ev("e1", "health_check_failed", now - 90_000_000, None),
            ]),
        },
    );
    s
}

#[test]
fn enter_opens_the_event_under_the_cursor_and_esc_comes_back() {
    let mut s = events_state();
    assert_eq!(s.events_view.cursor, 0);
    let _ = update(&mut s, key('j'));
    assert_eq!(s.events_view.cursor, 1);
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(s.events_view.open.as_deref(), Some("e3"));
    assert_eq!(
        s.opened_event().map(|e| e.kind.as_str()),
        Some("deployment_failed")
    );
    // esc closes the event first, and stays in the tab with the cursor where it was
    let _ = update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.events_view.open, None);
    assert_eq!(
        (s.tab, s.focus, s.events_view.cursor),
        (Tab::Events, Pane::Bottom, 1)
    );
    // the cursor stops at the last row
    for _ in 0..10 {
        let _ = update(&mut s, key('j'));
    }
    assert_eq!(s.events_view.cursor, 3);
    let _ = update(&mut s, key('g'));
    assert_eq!(s.events_view.cursor, 0);
    let _ = update(&mut s, key('G'));
    assert_eq!(s.events_view.cursor, 3);
}

#[test]
fn an_open_event_scrolls_within_its_text() {
    let mut s = events_state();
    s.size = (80, 24);
    let long = "x ".repeat(2000);
    if let Some((_, Ok(rows))) = s.events.as_mut() {
        rows[0].error = Some(long);
    }
    let _ = update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.events_view.open.as_deref(), Some("e4"));
    let _ = update(&mut s, key('j'));
    assert_eq!(s.events_view.scroll, 1);
    let _ = update(&mut s, key('G'));
    let end = s.events_view.scroll;
    assert!(end > 20, "a long error scrolls far: {end}");
    // ↑ answers at once after G: the scroll was kept within the text
    let _ = update(&mut s, key('k'));
    assert_eq!(s.events_view.scroll, end - 1);
    let _ = update(&mut s, key('g'));
    assert_eq!(s.events_view.scroll, 0);
    // a short event in a tall pane does not scroll at all
    s.size = (160, 48);
    let _ = update(&mut s, code(KeyCode::Esc));
    let _ = update(&mut s, key('j'));
    let _ = update(&mut s, code(KeyCode::Enter));
    let _ = update(&mut s, key('G'));
    assert_eq!(s.events_view.scroll, 0);
}

#[test]
fn events_filter_by_group_or_kind_from_the_palette() {
    let mut s = events_state();
    let _ = update(&mut s, key('j'));
    let mut cmds = Vec::new();
    palette_line(&mut s, "events failed", &mut cmds);
    assert_eq!(s.events_view.filter, EventFilter::parse("failed").unwrap());
    let ids: Vec<&str> = s.shown_events().iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e3", "e1"]);
    assert_eq!(s.events_view.cursor, 0, "a new filter starts at the top");
    assert!(status_text(&s).contains("2 shown"), "{}", status_text(&s));
    // enter opens the filtered list's row
    let _ = update(&mut s, key('j'));
    let _ = update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.events_view.open.as_deref(), Some("e1"));
    // an exact kind
    palette_line(&mut s, "events service_scaled", &mut cmds);
    assert_eq!(
        s.events_view.open, None,
        "a new filter closes the open event"
    );
    let ids: Vec<&str> = s.shown_events().iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e4"]);
    // `:events` alone keeps the filter; `2` too
    palette_line(&mut s, "events", &mut cmds);
    assert_eq!(s.shown_events().len(), 1);
    palette_line(&mut s, "events all", &mut cmds);
    assert_eq!(s.shown_events().len(), 4);
    // a bad one says what the groups are
    palette_line(&mut s, "events kaboom", &mut cmds);
    assert!(
        status_text(&s).contains("not a group"),
        "{}",
        status_text(&s)
    );
    assert_eq!(s.shown_events().len(), 4);
}

#[test]
fn a_reload_keeps_the_cursor_on_its_event() {
    let mut s = events_state();
    let _ = update(&mut s, key('j'));
    let _ = update(&mut s, key('j'));
    assert_eq!(s.shown_events()[s.events_view.cursor].id, "e2");
    let now = s.now_ms;
    let mut rows = vec![ev("e5", "service_started", now, None)];
    if let Some((_, Ok(old))) = &s.events {
        rows.extend(old.iter().cloned());
    }
    let _ = update(
        &mut s,
        Msg::Events {
            service: Some("api".into()),
            result: Ok(rows),
        },
    );
    assert_eq!(s.events_view.cursor, 3);
    assert_eq!(s.shown_events()[s.events_view.cursor].id, "e2");
    // another service's history starts at the top, closed
    let _ = update(&mut s, code(KeyCode::Enter));
    select(&mut s, "worker");
    assert_eq!(
        (s.events_view.cursor, s.events_view.open.clone()),
        (0, None)
    );
}

#[test]
fn clicking_an_event_moves_the_cursor_and_a_second_click_opens_it() {
    let mut s = events_state();
    s.size = (120, 40);
    let bottom = layout(&s).bottom;
    let click = |row: u16| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: bottom.x + 4,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // border, header, then the rows
    let _ = update(&mut s, click(bottom.y + 2 + 2));
    assert_eq!(s.events_view.cursor, 2);
    assert_eq!(s.events_view.open, None);
    let _ = update(&mut s, click(bottom.y + 2 + 2));
    assert_eq!(s.events_view.open.as_deref(), Some("e2"));
}

#[test]
fn enter_on_a_service_opens_its_details() {
    let mut s = live_state();
    select(&mut s, "worker");
    s.focus = Pane::Tree;
    assert_eq!(s.tab, Tab::Logs);
    let _ = update(&mut s, code(KeyCode::Enter));
    assert_eq!((s.tab, s.focus), (Tab::Details, Pane::Bottom));
    assert_eq!(s.selected.as_deref(), Some("worker"));
    // from the table too
    s.tab = Tab::Logs;
    s.focus = Pane::Services;
    let _ = update(&mut s, code(KeyCode::Enter));
    assert_eq!((s.tab, s.focus), (Tab::Details, Pane::Bottom));
    // a folder that is not a service folds and unfolds
    s.focus = Pane::Tree;
    s.tab = Tab::Logs;
    s.tree_selected = vec![".".into(), "services".into()];
    let open = s.tree_opened.contains(&s.tree_selected);
    let _ = update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.tree_opened.contains(&s.tree_selected), !open);
    assert_eq!((s.tab, s.focus), (Tab::Logs, Pane::Tree));
}

#[test]
fn g_and_shift_g_move_through_the_help() {
    let mut s = live_state();
    s.size = (80, 24);
    let _ = update(&mut s, key('?'));
    assert!(s.help);
    let max = crate::app::layout::help_max_scroll(&s);
    assert!(max > 10, "the help is longer than the screen: {max}");
    let _ = update(&mut s, key('G'));
    assert_eq!(s.help_scroll, max);
    let _ = update(&mut s, key('j'));
    assert_eq!(s.help_scroll, max, "no scrolling past the end");
    let _ = update(&mut s, key('k'));
    assert_eq!(s.help_scroll, max - 1, "up answers at once after G");
    let _ = update(&mut s, key('g'));
    assert_eq!(s.help_scroll, 0);
    let _ = update(&mut s, code(KeyCode::End));
    assert_eq!(s.help_scroll, max);
    let _ = update(&mut s, code(KeyCode::Home));
    assert_eq!(s.help_scroll, 0);
    assert!(s.help, "moving keeps the help open");
    let _ = update(&mut s, code(KeyCode::Esc));
    assert!(!s.help);
}

#[test]
fn scale_completes_only_services_that_scale_and_says_why_a_stack_does_not() {
    let mut s = live_state();
    let _ = update(&mut s, key(':'));
    for c in "scale ".chars() {
        let _ = update(&mut s, key(c));
    }
    let p = s.palette.clone().unwrap();
    // db is a compose stack, infra is terraform: neither scales
    assert_eq!(p.completions, ["api", "auth", "worker", "web"]);
    let _ = update(&mut s, code(KeyCode::Esc));
    // the sort column completes as its header says
    let _ = update(&mut s, key(':'));
    for c in "sort ".chars() {
        let _ = update(&mut s, key(c));
    }
    let cols = s.palette.clone().unwrap().completions;
    assert_eq!(
        cols,
        [
            "name", "type", "status", "health", "repl", "cpu", "mem", "ports", "up"
        ]
    );
    let _ = update(&mut s, code(KeyCode::Esc));
    // + on the running stack: refused with the reason, nothing sent
    select(&mut s, "db");
    assert!(update(&mut s, key('+')).is_empty());
    assert!(
        status_text(&s).contains("db is a compose stack"),
        "{}",
        status_text(&s)
    );
    let mut cmds = Vec::new();
    palette_line(&mut s, "scale infra 2", &mut cmds);
    assert!(cmds.is_empty());
    assert!(status_text(&s).contains("infra is not deployed by kyozo"));
}

/// api with two log lines and a state folder.
fn with_logs() -> State {
    let mut s = live_state();
    s.log_dir = Some("/home/ana/.local/state/kyozo/logs".into());
    select(&mut s, "api");
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Logs {
            service: "api".into(),
            lines: vec![
                LogLine::new(Some(1_700_000_000_000), "api-1", "listening"),
                LogLine::new(None, "api-2", "no time"),
            ],
        }),
    );
    s
}

#[test]
fn w_asks_where_with_the_state_folder_as_the_default() {
    let mut s = with_logs();
    assert!(
        update(&mut s, key('w')).is_empty(),
        "nothing is written yet"
    );
    assert_eq!(s.input, Some(InputKind::SavePath));
    let p = s.save_prompt.clone().unwrap();
    assert_eq!(p.service, "api");
    assert_eq!(
        p.path,
        "/home/ana/.local/state/kyozo/logs/harbor-api-20231114-221320.log"
    );
    // the keys type into the path, not into the keymap (q does not quit, d does not deploy)
    let _ = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    assert_eq!(s.save_prompt.as_ref().unwrap().path, "");
    let cmds = typed(&mut s, "qd.logx");
    assert!(cmds.is_empty() && !s.quit);
    let _ = update(&mut s, code(KeyCode::Backspace));
    assert_eq!(s.save_prompt.as_ref().unwrap().path, "qd.log");
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        cmds,
        [Command::SaveLogs {
            service: "api".into(),
            lines: vec![
                "2023-11-14 22:13:20 api-1 | listening".into(),
                "---------- --:--:-- api-2 | no time".into()
            ],
            path: "qd.log".into(),
        }]
    );
    assert_eq!((s.input, s.save_prompt.clone()), (None, None));
}

#[test]
fn esc_or_an_empty_path_saves_nothing() {
    let mut s = with_logs();
    let _ = update(&mut s, key('w'));
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert_eq!((s.input, s.save_prompt.clone()), (None, None));
    assert_eq!(status_text(&s), "logs not saved");
    let _ = update(&mut s, key('w'));
    let _ = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert!(status_text(&s).contains("no file name"));
    // with no state folder known, the default is a bare file name, in plain sight
    s.log_dir = None;
    let _ = update(&mut s, key('w'));
    assert_eq!(
        s.save_prompt.as_ref().unwrap().path,
        "harbor-api-20231114-221320.log"
    );
    // read-only: saving is an action that writes, so it is off
    let _ = update(&mut s, code(KeyCode::Esc));
    s.readonly = true;
    let _ = update(&mut s, key('w'));
    assert_eq!(s.input, None);
}
