//! The Logs tab: the selected service's buffer, following the tail or scrolled, with search hits.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::fmt::clock;
use crate::app::{Action, LogLine, State};

fn empty(state: &State, svc: &str) -> String {
    if !state.engine_connected() {
        return "The engine is not connected: logs appear once kyozo reaches it.".into();
    }
    if let Some(p) = state.progress.get(svc) {
        return format!("{svc}: {} Build output and logs appear here.", p.step);
    }
    match state.service(svc) {
        Some(s) if !s.deployable => format!("{svc} is not deployed by kyozo."),
        _ if !state.runtime.contains_key(svc) => format!(
            "{svc} is not deployed. Press {} to deploy it.",
            state.keymap.label(Action::Deploy)
        ),
        _ => format!("No log lines from {svc} yet."),
    }
}

fn line_text(state: &State, l: &LogLine) -> String {
    if state.log_view.timestamps {
        format!("{} {} | {}", clock(l.at_ms), l.source, l.text)
    } else {
        format!("{} | {}", l.source, l.text)
    }
}

/// Splits `s` into chunks of `w` characters (at least one chunk).
fn wrap(s: &str, w: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    if w == 0 || chars.is_empty() {
        return vec![s.to_string()];
    }
    chars.chunks(w).map(|c| c.iter().collect()).collect()
}

fn styled<'a>(theme: &Theme, text: String, needle: &str, current: bool) -> Line<'a> {
    if current {
        return Line::from(Span::styled(text, theme.search_hit()));
    }
    if needle.is_empty() {
        return Line::from(text);
    }
    let lower = text.to_lowercase();
    let n = needle.to_lowercase();
    let mut spans = Vec::new();
    let mut last = 0;
    // Byte offsets of the lowercase string match the original for ASCII; fall back to no highlight
    // when lowercasing changed lengths.
    if lower.len() != text.len() {
        return Line::from(text);
    }
    for (i, _) in lower.match_indices(&n) {
        if i < last {
            continue;
        }
        spans.push(Span::raw(text[last..i].to_string()));
        spans.push(Span::styled(
            text[i..i + n.len()].to_string(),
            theme.warn().add_modifier(ratatui::style::Modifier::BOLD),
        ));
        last = i + n.len();
    }
    spans.push(Span::raw(text[last..].to_string()));
    Line::from(spans)
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(svc) = state.selected.as_deref() else {
        frame.render_widget(
            Paragraph::new("Select a service in the tree or the table.").style(theme.dim()),
            area,
        );
        return;
    };
    let Some(buf) = state.logs.get(svc).filter(|b| !b.is_empty()) else {
        frame.render_widget(Paragraph::new(empty(state, svc)).style(theme.dim()), area);
        return;
    };
    let h = area.height as usize;
    let w = area.width as usize;
    let end = buf.len().saturating_sub(state.log_view.scroll);
    let needle = state.log_view.search.as_str();
    // Walk back from `end` until the screen is full.
    let mut rows: Vec<Line> = Vec::new();
    let mut i = end;
    while i > 0 && rows.len() < h {
        i -= 1;
        let Some(l) = buf.get(i) else { break };
        let text = line_text(state, l);
        let current = state.log_view.hit == Some(i);
        let pieces = if state.log_view.wrap {
            wrap(&text, w)
        } else {
            vec![text]
        };
        for p in pieces.into_iter().rev() {
            rows.push(styled(theme, p, needle, current));
        }
    }
    rows.reverse();
    if rows.len() > h {
        rows.drain(..rows.len() - h);
    }
    frame.render_widget(Paragraph::new(rows), area);
}
