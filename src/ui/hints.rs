//! The bottom line: the status message when there is one, the text being typed, or key hints built
//! from the active keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::{Action, InputKind, Level, Pane, State, Tab};

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let line = if let Some(kind) = state.input {
        let (label, text) = match kind {
            InputKind::Filter => ("filter", &state.filter),
            InputKind::Search => ("search logs", &state.log_view.search),
        };
        Line::from(vec![
            Span::styled(format!(" {label}: /"), theme.key()),
            Span::raw(text.clone()),
            Span::styled("▏", theme.key()),
            Span::styled("   enter keep · esc clear", theme.dim()),
        ])
    } else if let Some((level, text)) = &state.status {
        let style = match level {
            Level::Info => ratatui::style::Style::default(),
            Level::Warn => theme.warn(),
            Level::Error => theme.error(),
        };
        Line::from(Span::styled(format!(" {text}"), style))
    } else {
        hints(state, theme, area.width as usize)
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn hints(state: &State, theme: &Theme, width: usize) -> Line<'static> {
    let km = &state.keymap;
    let mut items: Vec<(String, &str)> = Vec::new();
    if !state.readonly {
        items.push((km.label(Action::Deploy), "deploy"));
        items.push((km.label(Action::ToggleStart), "start/stop"));
        items.push((km.label(Action::Restart), "restart"));
        items.push((
            format!(
                "{}/{}",
                km.label(Action::ScaleUp),
                km.label(Action::ScaleDown)
            ),
            "scale",
        ));
    }
    if state.focus == Pane::Bottom && state.tab == Tab::Logs {
        items.push((km.label(Action::Filter), "search"));
        items.push((
            format!(
                "{}/{}",
                km.label(Action::SearchNext),
                km.label(Action::SearchPrev)
            ),
            "next/prev",
        ));
        items.push((km.label(Action::Follow), "follow"));
    } else {
        items.push((km.label(Action::Filter), "filter"));
    }
    if !state.readonly {
        items.push((km.label(Action::Remove), "remove"));
        items.push((km.label(Action::DeployAll), "deploy all"));
    }
    items.push((km.label(Action::Palette), "cmd"));
    // Help and quit are always shown, at the end.
    let tail = [
        (km.label(Action::Help), "help"),
        (km.label(Action::Quit), "quit"),
    ];
    let w_of = |k: &str, what: &str| k.chars().count() + what.len() + 3;
    let tail_w: usize = tail.iter().map(|(k, w)| w_of(k, w)).sum();
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1 + tail_w;
    for (k, what) in items {
        let w = w_of(&k, what);
        if used + w > width {
            break;
        }
        used += w;
        spans.push(Span::styled(k, theme.key()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
    }
    for (k, what) in tail {
        spans.push(Span::styled(k, theme.key()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
    }
    Line::from(spans)
}
