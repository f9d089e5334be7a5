//! Mouse clicks and the wheel, mapped onto the panes with the same layout geometry the renderer
//! draws with ([`crate::app::layout`]).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Position;

use super::nav::{move_by, open_event, select_service, set_tab};
use crate::app::layout::{layout, list_offset, tab_at};
use crate::app::msg::Command;
use crate::app::state::State;
use crate::app::view::{Pane, Tab};

pub(super) fn on_mouse(state: &mut State, m: MouseEvent, cmds: &mut Vec<Command>) {
    let pos = Position::new(m.column, m.row);
    let areas = layout(state);
    let pane = if areas.tree.contains(pos) {
        Some(Pane::Tree)
    } else if areas.services.contains(pos) {
        Some(Pane::Services)
    } else if areas.bottom.contains(pos) {
        Some(Pane::Bottom)
    } else {
        None
    };
    match m.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            if let Some(p) = pane {
                state.focus = p;
                let d = if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                move_by(state, d, cmds);
                state.dirty = true;
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            if state.confirm.is_some()
                || state.palette.is_some()
                || state.help
                || state.leaving == Some(crate::app::dialog::Leaving::Asking)
            {
                return;
            }
            let Some(p) = pane else {
                return;
            };
            let was_focused = state.focus == p;
            state.focus = p;
            state.dirty = true;
            match p {
                Pane::Tree => {
                    let Some(tree) = state.shown_tree() else {
                        return;
                    };
                    let rows = tree.visible(&state.tree_opened, !state.filter.is_empty());
                    let sel = rows
                        .iter()
                        .position(|r| r.id == state.tree_selected)
                        .unwrap_or(0);
                    let inner_h = areas.tree.height.saturating_sub(2) as usize;
                    let offset = list_offset(sel, inner_h);
                    let idx = offset + (m.row.saturating_sub(areas.tree.y + 1)) as usize;
                    if m.row > areas.tree.y
                        && let Some(row) = rows.get(idx)
                    {
                        let id = row.id.clone();
                        let svc = row.node.service.clone();
                        if id == state.tree_selected
                            && !row.node.children.is_empty()
                            && !state.tree_opened.remove(&id)
                        {
                            state.tree_opened.insert(id.clone());
                        }
                        state.tree_selected = id;
                        select_service(state, svc, cmds);
                    }
                }
                Pane::Services => {
                    let rows: Vec<String> =
                        state.table_rows().iter().map(|s| s.name.clone()).collect();
                    let sel = state
                        .selected
                        .as_ref()
                        .and_then(|s| rows.iter().position(|r| r == s))
                        .unwrap_or(0);
                    let inner_h = areas.services.height.saturating_sub(3) as usize;
                    let offset = list_offset(sel, inner_h);
                    let first = areas.services.y + 2;
                    if m.row >= first {
                        let idx = offset + (m.row - first) as usize;
                        if let Some(name) = rows.get(idx).cloned() {
                            select_service(state, Some(name), cmds);
                        }
                    }
                }
                Pane::Bottom => {
                    if m.row == areas.bottom.y
                        && let Some(tab) = tab_at(areas.bottom, m.column)
                    {
                        set_tab(state, tab, cmds);
                    } else if state.tab == Tab::Events && state.events_view.open.is_none() {
                        // a row of the events table (below the border and the header): the cursor
                        // goes there; a click on the cursor's row of the focused pane opens it
                        let first = areas.bottom.y + 2;
                        let body_h = areas.bottom.height.saturating_sub(3) as usize;
                        let n = state.shown_events().len();
                        let cursor = state.events_view.cursor.min(n.saturating_sub(1));
                        let offset = list_offset(cursor, body_h);
                        if m.row >= first {
                            let idx = offset + (m.row - first) as usize;
                            if idx < n {
                                if idx == cursor && was_focused {
                                    open_event(state);
                                }
                                state.events_view.cursor = idx;
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
}
