//! The `:` command palette: the line being typed and its completions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::Theme;
use crate::app::State;
use crate::app::palette::describe;

pub fn render(state: &State, theme: &Theme, frame: &mut Frame) {
    let Some(p) = &state.palette else {
        return;
    };
    let full = frame.area();
    let w = full.width.saturating_sub(8).clamp(20, 70);
    let shown = p.completions.len().min(8) as u16;
    let h = (shown + 3).min(full.height);
    let area = Rect::new(
        full.x + (full.width.saturating_sub(w)) / 2,
        full.y + 2.min(full.height),
        w,
        h,
    )
    .intersection(full);
    let mut lines = vec![Line::from(vec![
        Span::styled(":", theme.key()),
        Span::raw(p.input.clone()),
        Span::styled("▏", theme.key()),
    ])];
    let start = p.selected.saturating_sub(7);
    for (i, c) in p.completions.iter().enumerate().skip(start).take(8) {
        let style = if i == p.selected {
            theme.selected(true)
        } else {
            Default::default()
        };
        let help = if p.input.contains(' ') {
            String::new()
        } else {
            describe(c).unwrap_or_default().to_string()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {c:<12}"), style),
            Span::styled(format!(" {help}"), theme.dim()),
        ]));
    }
    let block = Block::bordered()
        .title(Span::styled(" Command ", theme.title()))
        .title_bottom(
            Line::from(Span::styled(
                " tab complete · enter run · esc close ",
                theme.dim(),
            ))
            .right_aligned(),
        )
        .border_style(theme.border(true));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
