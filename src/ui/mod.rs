//! Rendering: a pure function of [`State`]. One file per pane; no I/O in here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::{Pane, State, Tab};

pub mod confirm;
pub mod details;
pub mod events;
pub mod fmt;
pub mod header;
pub mod help;
pub mod hints;
pub mod logs;
pub mod palette;
pub mod plan;
pub mod services;
pub mod theme;
pub mod tree;

#[cfg(test)]
mod tests;

pub use theme::Theme;

/// Where each part of the screen goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub header: Rect,
    pub tree: Rect,
    pub services: Rect,
    pub bottom: Rect,
    pub hints: Rect,
}

/// The layout for the state's terminal size (used by `update` to map mouse clicks).
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

/// The tab whose title is at column `x` of the bottom pane's top border.
pub fn tab_at(bottom: Rect, x: u16) -> Option<Tab> {
    let mut cur = bottom.x + 1;
    for t in Tab::ALL {
        let w = t.title().len() as u16 + 2;
        if x >= cur && x < cur + w {
            return Some(t);
        }
        cur += w + 1;
    }
    None
}

/// Draws the whole cockpit.
pub fn render(state: &State, frame: &mut Frame) {
    let theme = Theme::new(state.mono);
    let a = layout_in(frame.area(), state);
    header::render(state, &theme, frame, a.header);
    if a.tree.area() > 0 {
        tree::render(state, &theme, frame, a.tree);
    }
    if a.services.area() > 0 {
        services::render(state, &theme, frame, a.services);
    }
    if a.bottom.area() > 0 {
        let inner = tabs_block(state, &theme, frame, a.bottom);
        match state.tab {
            Tab::Logs => logs::render(state, &theme, frame, inner),
            Tab::Events => events::render(state, &theme, frame, inner),
            Tab::Details => details::render(state, &theme, frame, inner),
            Tab::Plan => plan::render(state, &theme, frame, inner),
        }
    }
    hints::render(state, &theme, frame, a.hints);
    if state.help {
        help::render(state, &theme, frame);
    }
    if state.palette.is_some() {
        palette::render(state, &theme, frame);
    }
    if state.confirm.is_some() {
        confirm::render(state, &theme, frame);
    }
}

/// The bordered block of the bottom pane with the tab titles in its top border; returns the inside.
fn tabs_block(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) -> Rect {
    use ratatui::text::{Line, Span};
    use ratatui::widgets::Block;
    let focused = state.focus == Pane::Bottom;
    let mut spans = Vec::new();
    for (i, t) in Tab::ALL.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("│", theme.border(focused)));
        }
        let style = if *t == state.tab {
            theme
                .title()
                .add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            theme.dim()
        };
        spans.push(Span::styled(format!(" {} ", t.title()), style));
    }
    let mut block = Block::bordered()
        .border_style(theme.border(focused))
        .title(Line::from(spans));
    let tabs_w: usize = Tab::ALL.iter().map(|t| t.title().len() + 3).sum::<usize>() + 2;
    let room = (area.width as usize).saturating_sub(tabs_w + 2);
    if let Some(right) = tab_info(state, room) {
        block = block.title(Line::from(Span::styled(right, theme.dim())).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// The right side of the bottom pane's border: what the tab shows, in at most `room` columns.
fn tab_info(state: &State, room: usize) -> Option<String> {
    let full = tab_info_full(state)?;
    if full.chars().count() <= room {
        return Some(full);
    }
    let short = format!(" {} ", state.selected.as_deref()?);
    (short.chars().count() <= room).then_some(short)
}

fn tab_info_full(state: &State) -> Option<String> {
    let svc = state.selected.as_ref()?;
    match state.tab {
        Tab::Logs => {
            let mut parts = vec![svc.clone()];
            let v = &state.log_view;
            parts.push(if v.follow {
                "follow".into()
            } else {
                format!("↑{}", v.scroll)
            });
            if v.wrap {
                parts.push("wrap".into());
            }
            if let Some(b) = state.logs.get(svc) {
                parts.push(format!("{} lines", b.len()));
                if b.dropped() > 0 {
                    parts.push(format!("{} dropped", b.dropped()));
                }
            }
            Some(format!(" {} ", parts.join(" · ")))
        }
        _ => Some(format!(" {svc} ")),
    }
}
