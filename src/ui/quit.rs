//! The quit prompt while operations run: what runs, and wait, cancel them, or leave.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::Theme;
use super::fmt::cut;
use super::help::centered;
use crate::app::State;
use crate::app::dialog::leaving_question;
use crate::app::fmt::elapsed;

/// Operations listed before the rest is summed up as `and N more`.
const LISTED: usize = 5;

pub fn lines(state: &State, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let n = state.progress.len();
    let mut out = vec![Line::from(leaving_question(n)), Line::from("")];
    for (svc, p) in state.progress.iter().take(LISTED) {
        let what = format!("{} · {}", p.describe(), elapsed(state.now_ms - p.since_ms));
        out.push(Line::from(vec![
            Span::styled(format!("  {:<12} ", cut(svc, 12)), theme.title()),
            Span::raw(cut(&what, width.saturating_sub(16))),
        ]));
    }
    if n > LISTED {
        out.push(Line::from(Span::styled(
            format!("  and {} more", n - LISTED),
            theme.dim(),
        )));
    }
    out.push(Line::from(""));
    out.push(Line::from(vec![
        Span::styled(" w ", theme.key()),
        Span::raw("wait   "),
        Span::styled(" c ", theme.key()),
        Span::raw(if n == 1 {
            "cancel it   "
        } else {
            "cancel them   "
        }),
        Span::styled(" l ", theme.key()),
        Span::raw("leave now   "),
        Span::styled(" esc ", theme.key()),
        Span::raw("stay"),
    ]));
    out
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame) {
    let shown = state.progress.len().min(LISTED) + usize::from(state.progress.len() > LISTED);
    let area = centered(frame.area(), 64, (shown + 6) as u16);
    let text = lines(state, theme, area.width.saturating_sub(2) as usize);
    let block = Block::bordered()
        .title(Span::styled(" Quit ", theme.warn()))
        .border_style(theme.warn());
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        area,
    );
}
