//! The bottom line: the text being typed, the wait for operations before leaving, the status
//! message when there is one, or the key hints, which come from the action table
//! (`app::action`) with the active keymap's keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::action::HintWhen;
use crate::app::{Action, InputKind, Leaving, Level, Pane, State, Tab};

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let line = if let Some(kind) = state.input {
        let (label, text) = match kind {
            InputKind::Filter => ("filter", &state.filter),
            InputKind::Search => ("search logs", &state.log_view.search),
            InputKind::SavePath => {
                let (service, path) = state
                    .save_prompt
                    .as_ref()
                    .map_or(("", ""), |p| (p.service.as_str(), p.path.as_str()));
                let line = save_prompt(theme, service, path, area.width as usize);
                frame.render_widget(Paragraph::new(line), area);
                return;
            }
        };
        Line::from(vec![
            Span::styled(format!(" {label}: /"), theme.key()),
            Span::raw(text.clone()),
            Span::styled("▏", theme.key()),
            Span::styled("   enter keep · esc clear", theme.dim()),
        ])
    } else if let Some(mode @ (Leaving::Waiting | Leaving::Cancelling)) = state.leaving {
        let n = state.progress.len();
        let what = if mode == Leaving::Cancelling {
            "cancelled operation"
        } else {
            "operation"
        };
        let names: Vec<String> = state
            .progress
            .iter()
            .map(|(s, p)| format!("{} {s}", p.job.name()))
            .collect();
        Line::from(vec![
            Span::styled(
                format!(" leaving after {n} {what}{}", plural(n)),
                theme.warn(),
            ),
            Span::styled(
                format!(
                    " · {} now · {} stay · ",
                    state.keymap.label(Action::Quit),
                    state.keymap.label(Action::Back)
                ),
                theme.dim(),
            ),
            Span::raw(names.join(", ")),
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

/// `save api logs to: PATH▏  enter save · esc cancel · ctrl-u clear`; a path too long for the line
/// shows its end (where the typing happens) after `…`, and the help goes first.
fn save_prompt(theme: &Theme, service: &str, path: &str, width: usize) -> Line<'static> {
    let label = format!(" save {service} logs to: ");
    let help = "   enter save · esc cancel · ctrl-u clear";
    let used = label.chars().count() + 1;
    let room = width.saturating_sub(used);
    let len = path.chars().count();
    let shown = if len <= room {
        path.to_string()
    } else {
        let tail: String = path.chars().skip(len + 1 - room.max(1)).collect();
        format!("…{tail}")
    };
    let mut spans = vec![
        Span::styled(label, theme.key()),
        Span::raw(shown.clone()),
        Span::styled("▏", theme.key()),
    ];
    if used + shown.chars().count() + help.chars().count() <= width {
        spans.push(Span::styled(help, theme.dim()));
    }
    Line::from(spans)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn hints(state: &State, theme: &Theme, width: usize) -> Line<'static> {
    let km = &state.keymap;
    let in_logs = state.focus == Pane::Bottom && state.tab == Tab::Logs;
    let in_events = state.focus == Pane::Bottom && state.tab == Tab::Events;
    let busy = !state.progress.is_empty();
    let mut items: Vec<(u8, String, &str)> = Vec::new();
    // Help and quit are always shown, at the end.
    let mut tail: Vec<(u8, String, &str)> = Vec::new();
    for a in Action::all() {
        let Some(h) = a.spec().hint else {
            continue;
        };
        if state.readonly && a.mutating() {
            continue;
        }
        let shown = match h.when {
            HintWhen::Always | HintWhen::Pinned => true,
            HintWhen::InLogs => in_logs,
            HintWhen::InEvents => in_events,
            HintWhen::Busy => busy,
        };
        if !shown {
            continue;
        }
        let key = match h.pair {
            Some(b) => format!("{}/{}", km.label(a), km.label(b)),
            None => km.label(a),
        };
        let label = match h.in_logs {
            Some(l) if in_logs => l,
            _ => h.label,
        };
        if h.when == HintWhen::Pinned {
            tail.push((h.rank, key, label));
        } else {
            items.push((h.rank, key, label));
        }
    }
    items.sort_by_key(|i| i.0);
    tail.sort_by_key(|i| i.0);
    let w_of = |k: &str, what: &str| k.chars().count() + what.len() + 3;
    let tail_w: usize = tail.iter().map(|(_, k, w)| w_of(k, w)).sum();
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1 + tail_w;
    for (_, k, what) in items {
        let w = w_of(&k, what);
        if used + w > width {
            break;
        }
        used += w;
        spans.push(Span::styled(k, theme.key()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
    }
    for (_, k, what) in tail {
        spans.push(Span::styled(k, theme.key()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
    }
    Line::from(spans)
}
