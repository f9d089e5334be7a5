//! The `?` overlay: every active binding (read-only hides the actions that change anything).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::Theme;
use crate::app::layout::{HELP_NOTES, help_area};
use crate::app::{Action, State};

/// Centered rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    )
}

/// Width of the action-name column: the longest name and a space.
fn name_width() -> usize {
    Action::all().map(|a| a.name().len()).max().unwrap_or(0) + 1
}

/// A header, then one line per action of the table, in its order: its name (what `[keys]` in the
/// config binds), its keys (or, without one, its palette command) and its description; then the
/// notes ([`HELP_NOTES`] lines).
pub fn lines(state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let nw = name_width();
    let mut out = vec![Line::from(Span::styled(
        format!(" {:<nw$}{:<14}WHAT", "ACTION", "KEYS"),
        theme.title(),
    ))];
    for a in state.help_actions() {
        let keys = state.keymap.labels(a);
        let keys = match a.spec().command {
            Some(c) if keys.is_empty() => format!(":{}", c.name),
            _ => keys,
        };
        out.push(Line::from(vec![
            Span::styled(format!(" {:<nw$}", a.name()), theme.dim()),
            Span::styled(format!("{keys:<13} "), theme.key()),
            Span::raw(a.describe().to_string()),
        ]));
    }
    let notes = [
        "",
        " Rebind in [keys] of config.toml by ACTION: deploy = \"D\", quit = \"ctrl-q\".",
        " The palette runs any action by name (:zoom) or command (:up, :scale api 2).",
    ];
    debug_assert_eq!(notes.len(), HELP_NOTES);
    out.extend(
        notes
            .into_iter()
            .map(|n| Line::from(Span::styled(n, theme.dim()))),
    );
    out
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame) {
    let area = help_area(frame.area());
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
            Line::from(Span::styled(
                " ↑↓ scroll · g G first / last · esc close ",
                theme.dim(),
            ))
            .right_aligned(),
        )
        .border_style(theme.border(true));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(all).block(block).scroll((scroll as u16, 0)),
        area,
    );
}
