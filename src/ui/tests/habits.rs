//! The views added for users' habits: the Events tab with dates, a cursor and a filter, an event
//! opened in full, the prompt of `w`, the help overlay's action names. Snapshots at both sizes,
//! and the colours that matter checked cell by cell.

use ratatui::style::{Color, Modifier};

use super::*;
use crate::app::dialog::SavePrompt;
use crate::app::view::EventFilter;

const NOW: i64 = 1_700_000_000_000;

/// api's Events tab, focused, with a history across two days.
fn events_state() -> State {
    let mut s = live_state();
    s.tab = Tab::Events;
    s.focus = Pane::Bottom;
    let ev = |id: &str, kind: &str, ago_s: i64, err: Option<&str>, data: Option<&str>| EventRow {
        id: id.into(),
        service: "api".into(),
        kind: kind.into(),
        at_ms: NOW - ago_s * 1000,
        duration_ms: Some(2_350),
        error: err.map(String::from),
        triggered_by: "alice@build-1".into(),
        data: data.map(String::from),
    };
    let long = "build failed: step 4/7 RUN npm ci: npm ERR! network request to \
                https://registry.example/express failed, reason: getaddrinfo EAI_AGAIN \
                registry.example; the engine said: exit code 1";
    let _ = update(
        &mut s,
        Msg::Events {
            service: Some("api".into()),
            result: Ok(vec![
                ev(
                    "e5",
                    "service_scaled",
                    60,
                    None,
                    Some("{\n  \"from\": 1,\n  \"to\": 2\n}"),
                ),
                ev(
                    "e4",
                    "deployment_failed",
                    600,
                    Some(long),
                    Some("{\n  \"image\": \"kyozo/harbor-api:3f2a\",\n  \"rolled_back\": true\n}"),
                ),
                ev("e3", "deployment_completed", 3_600, None, None),
                ev(
                    "e2",
                    "health_check_failed",
                    90_000,
                    Some("GET http://app:hunter2@localhost:4000/health: 503\nsecond line"),
                    None,
                ),
                ev("e1", "deployment_started", 200_000, None, None),
            ]),
        },
    );
    let _ = update(&mut s, Msg::Tick(NOW));
    s
}

#[test]
fn events_with_dates_a_cursor_and_cut_errors() {
    let mut s = events_state();
    s.events_view.cursor = 1;
    snap("events_dates_cursor", s);
}

#[test]
fn events_filtered_show_the_filter_in_the_title() {
    let mut s = events_state();
    s.events_view.filter = EventFilter::parse("failed").unwrap();
    snap("events_filtered", s.clone_for_test());
    s.events_view.filter = EventFilter::parse("detection").unwrap();
    snap("events_filtered_none", s);
}

#[test]
fn an_event_opened_in_full() {
    let mut s = events_state();
    s.events_view.cursor = 1;
    s.events_view.open = Some("e4".into());
    snap("event_detail", s);
}

#[test]
fn an_opened_event_masks_url_passwords_unless_asked() {
    let mut s = events_state();
    s.events_view.open = Some("e2".into());
    let text = |s: &mut State| -> String {
        let t = draw(s, 160, 48);
        t.backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect()
    };
    let shown = text(&mut s);
    assert!(shown.contains("app:••••@localhost"), "{shown}");
    assert!(!shown.contains("hunter2"));
    assert!(shown.contains("second line"), "the whole error is shown");
    assert!(
        shown.contains("2023-11-13 21:13:20.000 UTC (1d ago)"),
        "{shown}"
    );
    s.show_secrets = true;
    assert!(text(&mut s).contains("app:hunter2@localhost"));
}

#[test]
fn the_save_prompt() {
    let mut s = with_logs(live_state());
    s.input = Some(InputKind::SavePath);
    s.save_prompt = Some(SavePrompt {
        service: "api".into(),
        path: "/home/ana/.local/state/kyozo/logs/harbor-api-20231114-221320.log".into(),
    });
    snap("save_prompt", s);
}

#[test]
fn the_help_lists_one_line_per_action_with_its_config_name() {
    let s = live_state();
    let theme = crate::ui::Theme::new(false);
    let lines = crate::ui::help::lines(&s, &theme);
    assert_eq!(
        lines.len(),
        1 + s.help_actions().count() + crate::app::layout::HELP_NOTES
    );
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    assert!(text[0].contains("ACTION") && text[0].contains("KEYS"));
    for a in crate::app::Action::all() {
        assert!(
            text.iter()
                .any(|l| l.trim_start().starts_with(&format!("{} ", a.name()))),
            "{} is not listed by its name",
            a.name()
        );
    }
    assert!(
        text.iter()
            .any(|l| l.contains("deploy_all") && l.contains(" a ") && l.contains("deploy all")),
        "{text:?}"
    );
    // the end of the help, reached with G
    let mut s = live_state();
    s.help = true;
    s.help_scroll = crate::app::layout::help_max_scroll(&{
        let mut t = live_state();
        t.size = (80, 24);
        t
    });
    snap_at("help_end", &mut s, 80, 24);
}

#[test]
fn the_event_cursor_is_highlighted_and_failures_are_red() {
    let mut s = events_state();
    s.events_view.cursor = 2;
    let t = draw(&mut s, 160, 48);
    let buf = t.backend().buffer();
    let a = layout(&s).bottom;
    // the cursor's row (border, header, then rows 0, 1, 2) and only it
    let cursor_y = a.y + 2 + 2;
    for y in a.y + 2..a.y + 7 {
        let c = &buf[(a.x + 2, y)];
        let lit = c.modifier.contains(Modifier::REVERSED) || c.bg == Color::DarkGray;
        assert_eq!(lit, y == cursor_y, "row {y}: {c:?}");
    }
    // the failed deployment's kind and error are red, a completed one is not
    let failed_y = a.y + 2 + 1;
    let row: String = (a.x..a.right())
        .map(|x| buf[(x, failed_y)].symbol().to_string())
        .collect();
    let kx = a.x + row.find("deployment_failed").unwrap() as u16;
    assert_eq!(buf[(kx, failed_y)].fg, Color::Red);
    let ex = a.x + row.find("build failed").unwrap() as u16;
    assert_eq!(buf[(ex, failed_y)].fg, Color::Red);
    assert!(
        row.trim_end().ends_with("…│"),
        "a cut error ends with …: {row}"
    );
    let done: String = (a.x..a.right())
        .map(|x| buf[(x, failed_y + 1)].symbol().to_string())
        .collect();
    let dx = a.x + done.find("deployment_completed").unwrap() as u16;
    assert_ne!(buf[(dx, failed_y + 1)].fg, Color::Red);
    // in the open event, the kind and the error lines are red too
    s.events_view.open = Some("e4".into());
    let t = draw(&mut s, 160, 48);
    let buf = t.backend().buffer();
    assert_eq!(buf[(a.x + 1, a.y + 1)].symbol(), "d");
    assert_eq!(buf[(a.x + 1, a.y + 1)].fg, Color::Red);
    let mut error_y = None;
    for y in a.y + 1..a.bottom() {
        let line: String = (a.x..a.right())
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if line.contains("build failed: step 4/7") {
            error_y = Some(y);
        }
    }
    let y = error_y.unwrap();
    assert_eq!(buf[(a.x + 3, y)].fg, Color::Red);
}

impl State {
    /// A copy for a second snapshot of the same state (tests only).
    fn clone_for_test(&self) -> State {
        let mut s = live_state();
        s.tab = self.tab;
        s.focus = self.focus;
        s.events = self.events.clone();
        s.events_view = self.events_view.clone();
        s.now_ms = self.now_ms;
        s
    }
}
