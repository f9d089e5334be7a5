//! Keys act only on the service visibly selected: a folder under the tree cursor or a filter with
//! no match selects nothing, and then the actions on a service ask for one.

use super::*;

/// Moves the tree cursor to the folder `rel` with the keys.
fn cursor_to(s: &mut State, rel: &str) {
    s.focus = Pane::Tree;
    let _ = update(s, key('g'));
    for _ in 0..20 {
        let at = s.tree_selected.last().cloned().unwrap_or_default();
        if at == rel {
            return;
        }
        let _ = update(s, key('j'));
    }
    panic!("no folder {rel} in the tree");
}

#[test]
fn a_folder_under_the_tree_cursor_selects_no_service() {
    let mut s = live_state();
    cursor_to(&mut s, "services/api");
    assert_eq!(s.selected.as_deref(), Some("api"));
    let _ = update(&mut s, key('k'));
    assert_eq!(s.tree_selected.last().map(String::as_str), Some("services"));
    assert_eq!(s.selected, None, "the folder is not a service");
    for (k, what) in [
        ('d', "deploy"),
        ('b', "rebuild"),
        ('r', "restart"),
        ('x', "remove"),
        ('s', "start/stop"),
        ('+', "scale"),
        ('-', "scale"),
        ('o', "open"),
        ('w', "save logs"),
        (' ', "mark"),
    ] {
        let cmds = update(&mut s, key(k));
        assert!(cmds.is_empty(), "{k} acted: {cmds:?}");
        assert!(s.confirm.is_none());
        assert_eq!(
            status_text(&s),
            format!("{what}: select a service first"),
            "{k}"
        );
    }
    assert!(update(&mut s, ctrl('x')).is_empty());
    assert_eq!(status_text(&s), "cancel: select a service first");
    // the palette without names has no target either
    let mut cmds = Vec::new();
    palette_line(&mut s, "deploy", &mut cmds);
    assert!(cmds.is_empty());
    assert_eq!(status_text(&s), "deploy: select a service first");
    // naming one works
    palette_line(&mut s, "deploy auth", &mut cmds);
    assert_eq!(engine_services(&cmds), [vec!["auth".to_string()]]);
    // back onto a service folder selects it again
    let _ = update(&mut s, key('j'));
    assert_eq!(s.selected.as_deref(), Some("api"));
}

#[test]
fn going_to_the_parent_folder_or_clicking_one_selects_nothing() {
    let mut s = live_state();
    cursor_to(&mut s, "services/worker");
    assert_eq!(s.selected.as_deref(), Some("worker"));
    let _ = update(&mut s, key('h'));
    assert_eq!(s.tree_selected.last().map(String::as_str), Some("services"));
    assert_eq!(s.selected, None);
    // and the tabs say so rather than showing the last service
    assert!(s.events.is_none());
    let mut s = live_state();
    let areas = layout(&s);
    let rows: Vec<String> = s
        .tree
        .visible(&s.tree_opened, false)
        .iter()
        .map(|r| r.node.rel.clone())
        .collect();
    let docs = rows.iter().position(|r| r == "docs").unwrap() as u16;
    let _ = update(
        &mut s,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: areas.tree.x + 4,
            row: areas.tree.y + 1 + docs,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(s.selected, None);
    assert!(update(&mut s, key('d')).is_empty());
    assert_eq!(status_text(&s), "deploy: select a service first");
}

#[test]
fn a_filter_with_no_match_selects_nothing() {
    let mut s = live_state();
    assert_eq!(s.selected.as_deref(), Some("api"));
    let _ = update(&mut s, key('/'));
    let _ = typed(&mut s, "zzz");
    assert!(s.table_rows().is_empty());
    assert_eq!(s.selected, None, "the last service stayed selected");
    let _ = update(&mut s, code(KeyCode::Enter));
    assert!(update(&mut s, key('d')).is_empty());
    assert_eq!(status_text(&s), "deploy: select a service first");
    // clearing the filter (esc) selects the first row again
    let _ = update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.filter, "");
    assert_eq!(s.selected.as_deref(), Some("api"));
    // a filter that matches selects its first row
    let _ = update(&mut s, key('/'));
    let _ = typed(&mut s, "wor");
    assert_eq!(s.selected.as_deref(), Some("worker"));
    let _ = update(&mut s, code(KeyCode::Enter));
    // and from the palette
    let mut cmds = Vec::new();
    palette_line(&mut s, "filter nothing-matches", &mut cmds);
    assert_eq!(s.selected, None);
    palette_line(&mut s, "filter", &mut cmds);
    assert_eq!(s.selected.as_deref(), Some("api"));
}

#[test]
fn re_detection_keeps_no_selection_while_the_cursor_is_on_a_folder() {
    let mut s = live_state();
    cursor_to(&mut s, "docs");
    assert_eq!(s.selected, None);
    let _ = detected(&mut s, None);
    assert_eq!(s.selected, None, "detection picked a service out of sight");
    assert_eq!(s.tree_selected.last().map(String::as_str), Some("docs"));
    // the Events tab of no service shows the workspace's history
    let cmds = update(&mut s, key('2'));
    assert_eq!(cmds, [Command::LoadEvents { service: None }]);
}
