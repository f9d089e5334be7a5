//! The `?` overlay: every active binding (read-only hides the actions that change anything).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::Theme;
use crate::app::{Action, State};

/// Centered rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    )
}

/// One line per action of the table, in its order: its keys (or, without one, its palette
/// command) and its description.
pub fn lines(state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for a in Action::all() {
        if state.readonly && a.mutating() {
            continue;
        }
        let keys = state.keymap.labels(a);
        let keys = match a.spec().command {
            Some(c) if keys.is_empty() => format!(":{}", c.name),
            _ => keys,
        };
        out.push(Line::from(vec![
            Span::styled(format!(" {keys:<16}"), theme.key()),
            Span::raw(a.describe().to_string()),
        ]));
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(
        " Keys are remappable in [keys] of the config file (action = \"key\").",
        theme.dim(),
    )));
    out.push(Line::from(Span::styled(
        " Every action also runs from the palette by its name (:zoom).",
        theme.dim(),
    )));
    out
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame) {
    let area = centered(
        frame.area(),
        64,
        frame.area().height.saturating_sub(4).max(10),
    );
    let all = lines(state, theme);
    let inner_h = area.height.saturating_sub(2) as usize;
    let max_scroll = all.len().saturating_sub(inner_h);
    let scroll = state.help_scroll.min(max_scroll);
    let title = if state.readonly {
        " Help (read-only) "
    } else {
        " Help "
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme.title()))
        .title_bottom(
            Line::from(Span::styled(" ↑↓ scroll · esc close ", theme.dim())).right_aligned(),
        )
        .border_style(theme.border(true));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(all).block(block).scroll((scroll as u16, 0)),
        area,
    );
}
