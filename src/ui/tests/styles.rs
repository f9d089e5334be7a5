//! Styles a text snapshot cannot see: the selection highlight, the error status line, an unhealthy
//! or starting health cell, the drift mark. Whole rows are compared with an expected buffer
//! (`Buffer::with_lines` + `set_style`); single cells by their colour and attributes.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use super::*;
use crate::app::{Health, HealthView, Leaving, ServiceState};

/// Row `y` of the buffer, as a one-line buffer at the origin.
fn row(buf: &Buffer, y: u16) -> Buffer {
    let w = buf.area.width;
    let mut out = Buffer::empty(Rect::new(0, 0, w, 1));
    for x in 0..w {
        out[(x, 0)] = buf[(x, y)].clone();
    }
    out
}

/// The first position of `text` on screen.
fn find(buf: &Buffer, text: &str) -> (u16, u16) {
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if let Some(i) = line.find(text) {
            let x = line[..i].chars().count() as u16;
            return (x, y);
        }
    }
    panic!("`{text}` is not on screen");
}

fn style_at(buf: &Buffer, (x, y): (u16, u16)) -> Style {
    let c = &buf[(x, y)];
    Style::default().fg(c.fg).bg(c.bg).add_modifier(c.modifier)
}

#[test]
fn the_error_status_line_is_red_and_bold_cell_by_cell() {
    let mut s = live_state();
    let text = " deploy api failed: port 4000 already allocated";
    s.error(text.trim_start());
    let t = draw(&mut s, 80, 24);
    let got = row(t.backend().buffer(), 23);
    let mut want = Buffer::with_lines([format!("{text:<80}")]);
    // stated here, not taken from the theme, so a lost colour fails
    want.set_style(
        Rect::new(0, 0, text.chars().count() as u16, 1),
        Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
    );
    assert_eq!(got, want);
    // a warning is yellow, not red
    s.warn("api: deploy (building…) running (ctrl-x cancels)");
    let t = draw(&mut s, 80, 24);
    let st = style_at(t.backend().buffer(), (2, 23));
    assert_eq!(st.fg, Some(Color::Yellow));
}

#[test]
fn the_selected_row_is_highlighted_and_only_it() {
    let mut s = live_state();
    s.focus = Pane::Services;
    let t = draw(&mut s, 120, 40);
    let buf = t.backend().buffer();
    let a = crate::app::layout::layout(&s);
    let (_, api_y) = find(buf, "│api ");
    let (_, auth_y) = find(buf, "│auth ");
    for x in a.services.x + 1..a.services.right() - 1 {
        assert!(
            buf[(x, api_y)].modifier.contains(Modifier::REVERSED),
            "selected row not reversed at column {x}"
        );
        assert!(
            !buf[(x, auth_y)].modifier.contains(Modifier::REVERSED),
            "another row reversed at column {x}"
        );
    }
    // the tree highlights the same service; unfocused it is a background, not reversed
    let (x, y) = find(buf, "● api");
    let tree = style_at(buf, (x, y));
    assert_eq!(tree.bg, Some(Color::DarkGray), "{tree:?}");
    // a folder under the tree cursor: no row of the table is highlighted
    s.focus = Pane::Tree;
    let mut cmds = Vec::new();
    s.tree_selected = vec![".".into(), "services".into()];
    crate::app::update::select_service(&mut s, None, &mut cmds);
    let t = draw(&mut s, 120, 40);
    let buf = t.backend().buffer();
    for y in a.services.y + 2..a.services.bottom() - 1 {
        for x in a.services.x + 1..a.services.right() - 1 {
            let c = &buf[(x, y)];
            assert!(
                !c.modifier.contains(Modifier::REVERSED) && c.bg != Color::DarkGray,
                "a table row is highlighted with nothing selected ({x},{y})"
            );
        }
    }
}

#[test]
fn health_cells_are_red_when_bad_and_yellow_while_starting() {
    let mut s = live_state();
    let t = draw(&mut s, 120, 40);
    let buf = t.backend().buffer();
    // db is unhealthy for hours: `unhealthy` in red
    let (_, db_y) = find(buf, "│db ");
    let (bx, _) = find(buf, "HEALTH");
    let bad = style_at(buf, (bx, db_y));
    assert_eq!(buf[(bx, db_y)].symbol(), "u");
    assert_eq!(bad.fg, Some(Color::Red));
    // api is healthy: green
    let (_, api_y) = find(buf, "│api ");
    assert_eq!(style_at(buf, (bx, api_y)).fg, Some(Color::Green));
    // auth just started and failed its first check: `starting` in yellow, not red
    let now = s.now_ms;
    let mut map = s.runtime.clone();
    map.insert(
        "auth".into(),
        crate::app::ServiceRuntime {
            status: ServiceState::Running,
            health: Health::Unhealthy,
            running: 1,
            desired: 1,
            started_at_ms: Some(now),
            ..Default::default()
        },
    );
    let _ = update(&mut s, Msg::Engine(EngineMsg::Snapshot(map)));
    assert_eq!(s.health_view("auth"), HealthView::Starting);
    let t = draw(&mut s, 120, 40);
    let buf = t.backend().buffer();
    let (_, auth_y) = find(buf, "│auth ");
    assert_eq!(buf[(bx, auth_y)].symbol(), "s");
    assert_eq!(style_at(buf, (bx, auth_y)).fg, Some(Color::Yellow));
}

#[test]
fn the_drift_mark_is_yellow_in_table_and_tree() {
    let mut s = live_state();
    s.runtime.get_mut("worker").unwrap().drifted = true;
    let t = draw(&mut s, 120, 40);
    let buf = t.backend().buffer();
    let (x, y) = find(buf, "worker Δ");
    let mark = (x + "worker ".len() as u16, y);
    assert_eq!(buf[mark].symbol(), "Δ");
    assert_eq!(style_at(buf, mark).fg, Some(Color::Yellow));
    let (x, y) = find(buf, "worker python Δ");
    let mark = (x + "worker python ".len() as u16, y);
    assert_eq!(style_at(buf, mark).fg, Some(Color::Yellow));
    // a service that did not drift has no mark
    assert!(!(0..buf.area.height).any(|y| {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        line.contains("api Δ")
    }));
}

#[test]
fn the_quit_prompt_is_drawn_in_the_warning_colour() {
    let mut s = live_state();
    let key = |c| {
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        ))
    };
    let _ = update(&mut s, key('a'));
    let _ = update(&mut s, key('q'));
    assert_eq!(s.leaving, Some(Leaving::Asking));
    let t = draw(&mut s, 80, 24);
    let buf = t.backend().buffer();
    let title = find(buf, " Quit ");
    assert_eq!(
        style_at(buf, (title.0 + 1, title.1)).fg,
        Some(Color::Yellow)
    );
    let (x, y) = find(buf, "5 operations running: wait, cancel them, or leave");
    assert_eq!(style_at(buf, (x, y)).fg, Some(Color::Reset));
}
