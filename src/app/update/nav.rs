//! Selection, panes, tabs and scrolling. One selection shows in both the tree and the table: the
//! tree cursor on a folder that is not a service, or a filter that hides every service, selects
//! nothing, and then the actions on a service say so instead of acting on one out of sight.

use super::ops::is_deployed;
use crate::app::action::Action;
use crate::app::msg::{Command, EventRow};
use crate::app::state::State;
use crate::app::view::{EventFilter, Pane, Tab};

/// How often a shown Events tab reloads, so events other kyozo processes write appear.
pub const EVENTS_RELOAD_MS: i64 = 5_000;
/// Engine activity reloads a shown Events tab at most this often.
const EVENTS_MIN_GAP_MS: i64 = 1_000;

pub(super) fn page(state: &State) -> usize {
    (state.size.1 as usize / 3).max(3)
}

pub(super) fn move_by(state: &mut State, delta: i64, cmds: &mut Vec<Command>) {
    match state.focus {
        Pane::Tree => {
            let Some(tree) = state.shown_tree() else {
                return;
            };
            let all_open = !state.filter.is_empty();
            let rows = tree.visible(&state.tree_opened, all_open);
            if rows.is_empty() {
                return;
            }
            let cur = rows
                .iter()
                .position(|r| r.id == state.tree_selected)
                .unwrap_or(0) as i64;
            let next = (cur + delta).clamp(0, rows.len() as i64 - 1) as usize;
            let id = rows[next].id.clone();
            let svc = rows[next].node.service.clone();
            state.tree_selected = id;
            select_service(state, svc, cmds);
        }
        Pane::Services => {
            let rows: Vec<String> = state.table_rows().iter().map(|s| s.name.clone()).collect();
            if rows.is_empty() {
                return;
            }
            let cur = state
                .selected
                .as_ref()
                .and_then(|s| rows.iter().position(|r| r == s))
                .unwrap_or(0) as i64;
            let next = (cur + delta).clamp(0, rows.len() as i64 - 1) as usize;
            select_service(state, Some(rows[next].clone()), cmds);
        }
        Pane::Bottom => {
            if state.help {
                return;
            }
            if state.tab == Tab::Events {
                move_events(state, delta);
            } else if state.tab == Tab::Logs {
                let len = state
                    .selected
                    .as_ref()
                    .and_then(|s| state.logs.get(s))
                    .map(|b| b.len())
                    .unwrap_or(0);
                let max = len.saturating_sub(1) as i64;
                let scroll = (state.log_view.scroll as i64 - delta).clamp(0, max) as usize;
                state.log_view.scroll = scroll;
                state.log_view.follow = scroll == 0;
            } else {
                state.text_scroll = (state.text_scroll as i64 + delta).clamp(0, 10_000) as usize;
            }
        }
    }
}

/// Up and down in the Events tab: the cursor over the rows, or the open event's scroll (the
/// renderer stops it at the end of the text).
fn move_events(state: &mut State, delta: i64) {
    if state.events_view.open.is_some() {
        let max = detail_max_scroll(state) as i64;
        let v = &mut state.events_view;
        v.scroll = (v.scroll as i64 + delta).clamp(0, max) as usize;
        return;
    }
    let n = state.shown_events().len();
    let max = n.saturating_sub(1) as i64;
    state.events_view.cursor = (state.events_view.cursor as i64 + delta).clamp(0, max) as usize;
}

/// How far the open event scrolls, about: its lines as the Events tab draws them (a title and
/// five fields, the error, the data), wrapped at the pane's width, less the pane's height. The
/// renderer stops at the exact end; this keeps `↑` answering soon after a long `↓`.
fn detail_max_scroll(state: &State) -> usize {
    let Some(e) = state.opened_event() else {
        return 0;
    };
    let area = crate::app::layout::layout(state).bottom;
    let (w, h) = (
        area.width.saturating_sub(2).max(1) as usize,
        area.height.saturating_sub(2) as usize,
    );
    // a line wrapped at words takes more rows than its length over the width: count half again,
    // so the end is always reachable (a few presses of ↑ may then go unseen at the very end)
    let rows = |text: &str, indent: usize| -> usize {
        text.lines()
            .map(|l| match (l.chars().count() + indent).div_ceil(w) {
                0 | 1 => 1,
                k => k + k.div_ceil(2),
            })
            .sum()
    };
    let mut n = 6 + 1 + 1;
    if let Some(err) = &e.error {
        n += 2 + rows(err, 2);
    }
    n += e.data.as_deref().map_or(0, |d| rows(d, 2));
    n.saturating_sub(h)
}

/// `enter` in the Events tab: the event under the cursor in full.
pub(super) fn open_event(state: &mut State) {
    let id = state
        .shown_events()
        .get(state.events_view.cursor)
        .map(|e| e.id.clone());
    match id {
        Some(id) => {
            state.events_view.open = Some(id);
            state.events_view.scroll = 0;
        }
        None => state.info("no event to open"),
    }
}

/// `:events FILTER`: which events the tab shows; the cursor goes to the first.
pub(super) fn set_event_filter(state: &mut State, filter: EventFilter) {
    state.events_view.filter = filter;
    state.events_view.cursor = 0;
    state.events_view.open = None;
    state.events_view.scroll = 0;
    let n = state.shown_events().len();
    if !filter.is_all() {
        state.info(format!(
            "events: {} ({n} shown; :events all shows every one)",
            filter.name()
        ));
    }
}

/// Collapses the folder under the tree cursor, or goes to its parent.
pub(super) fn tree_left(state: &mut State, cmds: &mut Vec<Command>) {
    let sel = state.tree_selected.clone();
    if state.tree_opened.remove(&sel) {
        return;
    }
    if sel.len() > 1 {
        state.tree_selected.pop();
        let svc = state
            .tree
            .node_at(&state.tree_selected)
            .and_then(|n| n.service.clone());
        select_service(state, svc, cmds);
    }
}

/// Keeps the selection on a visible row after the filter changed: the first row when the
/// selected service is filtered out, none when nothing matches.
pub(super) fn after_filter_change(state: &mut State, cmds: &mut Vec<Command>) {
    let rows: Vec<String> = state.table_rows().iter().map(|s| s.name.clone()).collect();
    let keep = state.selected.as_ref().is_some_and(|s| rows.contains(s));
    if !keep {
        select_service(state, rows.first().cloned(), cmds);
    }
}

pub(super) fn set_tab(state: &mut State, tab: Tab, cmds: &mut Vec<Command>) {
    if state.tab != tab {
        state.text_scroll = 0;
    }
    state.tab = tab;
    load_tab(state, cmds);
}

/// Asks for what the current tab shows about the selected service.
pub(super) fn load_tab(state: &mut State, cmds: &mut Vec<Command>) {
    match state.tab {
        Tab::Events => load_events(state, cmds),
        Tab::Plan => {
            if let Some(s) = state.selected.clone()
                && state.service(&s).is_some_and(|s| s.deployable)
                && !state.plans.contains_key(&s)
            {
                cmds.push(Command::LoadPlan { service: s });
            }
        }
        Tab::Logs => follow_selected(state, cmds),
        Tab::Details => {}
    }
}

/// Loads the history of the selected service (the workspace's when none is selected).
fn load_events(state: &mut State, cmds: &mut Vec<Command>) {
    state.events_job.loading = true;
    state.events_job.again = false;
    state.events_job.requested_ms = state.now_ms;
    cmds.push(Command::LoadEvents {
        service: state.selected.clone(),
    });
}

/// Something happened to `service` (an operation ended, the engine reported): a shown Events tab
/// of it (or of the workspace) reloads, once the load in flight has answered.
pub(super) fn refresh_events(state: &mut State, service: &str, cmds: &mut Vec<Command>) {
    let concerned = state.selected.as_deref().is_none_or(|s| s == service);
    if !state.events_shown() || !concerned {
        return;
    }
    if state.events_job.loading {
        state.events_job.again = true;
    } else if state.now_ms - state.events_job.requested_ms >= EVENTS_MIN_GAP_MS {
        load_events(state, cmds);
    }
}

/// A shown Events tab reloads every [`EVENTS_RELOAD_MS`] (nothing else tells this cockpit about
/// events another kyozo process wrote without touching the engine).
pub(super) fn refresh_events_if_due(state: &mut State, cmds: &mut Vec<Command>) {
    if state.events_shown()
        && !state.events_job.loading
        && state.now_ms - state.events_job.requested_ms >= EVENTS_RELOAD_MS
    {
        load_events(state, cmds);
    }
}

/// The history arrived: shown when it is the selection's (and redrawn only when it changed).
pub(super) fn on_events(
    state: &mut State,
    service: Option<String>,
    result: Result<Vec<EventRow>, String>,
    cmds: &mut Vec<Command>,
) {
    if service != state.selected {
        return;
    }
    state.events_job.loading = false;
    let fresh = Some((service, result));
    if state.events != fresh {
        // the cursor stays on its event when newer ones arrive above it
        let under_cursor = state
            .shown_events()
            .get(state.events_view.cursor)
            .map(|e| e.id.clone());
        state.events = fresh;
        let shown = state.shown_events();
        let cursor = under_cursor
            .and_then(|id| shown.iter().position(|e| e.id == id))
            .unwrap_or(state.events_view.cursor)
            .min(shown.len().saturating_sub(1));
        state.events_view.cursor = cursor;
        state.dirty = true;
    }
    if state.events_job.again && state.events_shown() {
        load_events(state, cmds);
    }
}

pub(super) fn follow_selected(state: &mut State, cmds: &mut Vec<Command>) {
    if let Some(s) = state.selected.clone()
        && state.engine_connected()
        && is_deployed(state, &s)
        && !state.following.contains(&s)
    {
        state.following.insert(s.clone());
        let since_s = state
            .logs
            .get(&s)
            .and_then(|b| {
                b.iter()
                    .rev()
                    .find(|l| l.source != "kyozo" && l.source != "build")
            })
            .and_then(|l| l.at_ms)
            .map(|ms| ms / 1000 + 1);
        cmds.push(Command::FollowLogs {
            service: s,
            since_s,
        });
    }
}

/// Selects a service everywhere (tree and table) and loads what the tabs need; `None` selects
/// nothing (the tree cursor is on a folder, or nothing matches the filter).
pub fn select_service(state: &mut State, name: Option<String>, cmds: &mut Vec<Command>) {
    if state.selected == name {
        return;
    }
    state.selected = name.clone();
    state.log_view.scroll = 0;
    state.log_view.follow = true;
    state.log_view.hit = None;
    state.text_scroll = 0;
    state.events_view.cursor = 0;
    state.events_view.open = None;
    state.events_view.scroll = 0;
    if let Some(n) = &name
        && let Some(path) = state.tree.path_of_service(n)
    {
        for i in 1..path.len() {
            state.tree_opened.insert(path[..i].to_vec());
        }
        state.tree_selected = path;
    }
    state.events = None;
    load_tab(state, cmds);
    follow_selected(state, cmds);
}

/// Next or previous match of the Logs search.
pub(super) fn search(state: &mut State, forward: bool) {
    let Some(svc) = state.selected.clone() else {
        return;
    };
    if state.log_view.search.is_empty() {
        state.info(format!(
            "no search: press {} in Logs to search",
            state.keymap.label(Action::Filter)
        ));
        return;
    }
    let Some(buf) = state.logs.get(&svc) else {
        return;
    };
    let hit = buf.find(&state.log_view.search, state.log_view.hit, forward);
    let len = buf.len();
    match hit {
        Some(i) => {
            state.log_view.hit = Some(i);
            state.log_view.follow = false;
            state.log_view.scroll = len - 1 - i;
        }
        None => {
            let q = state.log_view.search.clone();
            state.warn(format!("`{q}` not found"));
        }
    }
}
