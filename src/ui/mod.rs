//! Rendering: a pure function of [`State`]. One file per pane; no I/O in here. The geometry (which
//! pane goes where) is `app::layout`'s, shared with the mouse handling.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::layout::{layout_in, tab_titles, tab_titles_width};
use crate::app::{Leaving, Pane, State, Tab};

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
pub mod quit;
pub mod services;
pub mod theme;
pub mod tree;

#[cfg(test)]
mod tests;

pub use theme::Theme;

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
    if state.leaving == Some(Leaving::Asking) {
        quit::render(state, &theme, frame);
    }
}

/// The bordered block of the bottom pane with the tab titles in its top border; returns the inside.
fn tabs_block(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) -> Rect {
    use ratatui::text::{Line, Span};
    use ratatui::widgets::Block;
    let focused = state.focus == Pane::Bottom;
    let mut spans = Vec::new();
    for (i, (t, _, _)) in tab_titles(area).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("│", theme.border(focused)));
        }
        let style = if t == state.tab {
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
    let room = (area.width as usize).saturating_sub(tab_titles_width() + 2);
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
    let short = match state.tab {
        // the filter is what the narrow title keeps: it changes what the rows mean
        Tab::Events if !state.events_view.filter.is_all() => {
            format!(" {} ", state.events_view.filter.name())
        }
        _ => format!(" {} ", state.selected.as_deref()?),
    };
    (short.chars().count() <= room).then_some(short)
}

/// The Events tab's title: whose history, the active filter, the open event.
fn events_info(state: &State) -> String {
    let whose = state.selected.as_deref().unwrap_or("workspace");
    let mut parts = vec![whose.to_string()];
    let v = &state.events_view;
    if !v.filter.is_all() {
        parts.push(format!("events {}", v.filter.name()));
    }
    if let Some((_, Ok(all))) = &state.events {
        let shown = state.shown_events().len();
        if v.filter.is_all() {
            parts.push(format!("{} events", all.len()));
        } else {
            parts.push(format!("{shown} of {}", all.len()));
        }
    }
    if v.open.is_some() {
        parts.push("esc back".into());
    }
    format!(" {} ", parts.join(" · "))
}

fn tab_info_full(state: &State) -> Option<String> {
    if state.tab == Tab::Events {
        return Some(events_info(state));
    }
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
