//! The confirm dialog of destructive actions.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::Theme;
use super::help::centered;
use crate::app::State;

pub fn render(state: &State, theme: &Theme, frame: &mut Frame) {
    let Some(c) = &state.confirm else {
        return;
    };
    let area = centered(frame.area(), 60, 7);
    let block = Block::bordered()
        .title(Span::styled(format!(" {} ", c.title()), theme.error()))
        .border_style(theme.error());
    let text = vec![
        Line::from(c.question()),
        Line::from(""),
        Line::from(vec![
            Span::styled(" y ", theme.key()),
            Span::raw("yes   "),
            Span::styled(" n ", theme.key()),
            Span::raw("no"),
        ]),
    ];
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
        area,
    );
}
