//! Screen geometry as pure functions of the state: where each pane goes, which rows a list shows,
//! where the tab titles sit. The renderer draws into these areas and `update` maps mouse clicks
//! with the same functions, so a click always lands on what is drawn there.

use ratatui::layout::{Constraint, Layout, Rect};

use super::state::State;
use super::view::{Pane, Tab};

/// Where each part of the screen goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub header: Rect,
    pub tree: Rect,
    pub services: Rect,
    pub bottom: Rect,
    pub hints: Rect,
}

/// The layout for the state's terminal size.
pub fn layout(state: &State) -> Areas {
    layout_in(Rect::new(0, 0, state.size.0, state.size.1), state)
}

/// The layout of `area`: header, tree | (services / tabs), hint line. A zoomed pane takes the body.
pub fn layout_in(area: Rect, state: &State) -> Areas {
    let [header, body, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut a = Areas {
        header,
        hints,
        ..Areas::default()
    };
    if state.zoom {
        match state.focus {
            Pane::Tree => a.tree = body,
            Pane::Services => a.services = body,
            Pane::Bottom => a.bottom = body,
        }
        return a;
    }
    let tree_w = if area.width < 100 {
        (area.width / 3).clamp(18, 28)
    } else {
        (area.width * 28 / 100).clamp(28, 44)
    };
    let [tree, right] =
        Layout::horizontal([Constraint::Length(tree_w), Constraint::Min(10)]).areas(body);
    let rows = state.table_rows().len() as u16;
    let max_table = (body.height * 45 / 100).max(5);
    let table_h = (rows + 3).clamp(5, max_table);
    let [services, bottom] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Min(3)]).areas(right);
    a.tree = tree;
    a.services = services;
    a.bottom = bottom;
    a
}

/// First visible row of a list of `height` rows so that row `selected` is visible (the rule the tree
/// and table widgets follow when they start from the top).
pub fn list_offset(selected: usize, height: usize) -> usize {
    if height == 0 {
        0
    } else {
        (selected + 1).saturating_sub(height)
    }
}

/// The tab titles in the bottom pane's top border: each tab with the first column of its title
/// (` Logs `) and the title's width; titles are separated by one `│`.
pub fn tab_titles(bottom: Rect) -> Vec<(Tab, u16, u16)> {
    let mut cur = bottom.x + 1;
    Tab::all()
        .map(|t| {
            let w = t.title().len() as u16 + 2;
            let at = cur;
            cur += w + 1;
            (t, at, w)
        })
        .collect()
}

/// Columns the tab titles take in the border, separators included.
pub fn tab_titles_width() -> usize {
    Tab::all().map(|t| t.title().len() + 3).sum::<usize>() + 2
}

/// The tab whose title is at column `x` of the bottom pane's top border.
pub fn tab_at(bottom: Rect, x: u16) -> Option<Tab> {
    tab_titles(bottom)
        .into_iter()
        .find(|(_, at, w)| x >= *at && x < at + w)
        .map(|(t, _, _)| t)
}

/// The help overlay: centred, at most 92 columns wide, the screen's height less 4 (at least 10).
pub fn help_area(area: Rect) -> Rect {
    let h = area.height.saturating_sub(4).max(10);
    area.centered(
        Constraint::Length(92.min(area.width)),
        Constraint::Length(h.min(area.height)),
    )
}

/// The notes under the help overlay's table of actions (the renderer writes them).
pub const HELP_NOTES: usize = 3;

/// How far the help overlay scrolls: its lines (a header, one per action shown, the notes) less
/// the rows inside its border.
pub fn help_max_scroll(state: &State) -> usize {
    let inner = help_area(Rect::new(0, 0, state.size.0, state.size.1))
        .height
        .saturating_sub(2) as usize;
    let lines = 1 + state.help_actions().count() + HELP_NOTES;
    lines.saturating_sub(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::live_state;

    #[test]
    fn layout_is_responsive() {
        let mut s = live_state();
        s.size = (80, 24);
        let a = layout(&s);
        assert_eq!(a.tree.width, 26);
        assert_eq!(a.header.height, 1);
        assert_eq!(a.hints.y, 23);
        s.size = (160, 48);
        let a = layout(&s);
        assert_eq!(a.tree.width, 44);
        s.zoom = true;
        s.focus = Pane::Tree;
        let a = layout(&s);
        assert_eq!(a.tree.width, 160);
        assert_eq!(a.services.area(), 0);
    }

    #[test]
    fn tab_titles_are_where_the_border_draws_them() {
        let r = Rect::new(10, 5, 80, 10);
        // "┌ Logs │ Events │ ..." : Logs from x 11 for 6 columns, then the separator
        assert_eq!(tab_at(r, 11), Some(Tab::Logs));
        assert_eq!(tab_at(r, 16), Some(Tab::Logs));
        assert_eq!(tab_at(r, 17), None);
        assert_eq!(tab_at(r, 18), Some(Tab::Events));
        assert_eq!(tab_at(r, 10), None);
        assert_eq!(list_offset(3, 2), 2);
        assert_eq!(list_offset(0, 0), 0);
    }
}
