//! The top line: workspace, engine, running/total, health score, modes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::{EngineConn, State};

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let sep = || Span::styled(" · ", theme.dim());
    let mut spans = vec![
        Span::styled(" kyozo", theme.title()),
        sep(),
        Span::raw(state.workspace_display.clone()),
        sep(),
    ];
    match &state.engine {
        EngineConn::Connected { endpoint } => {
            spans.push(Span::raw(format!("engine {endpoint}")));
        }
        EngineConn::Unreachable { endpoint, .. } => {
            spans.push(Span::styled("engine unreachable", theme.error()));
            if !endpoint.is_empty() {
                spans.push(Span::styled(format!(" ({endpoint})"), theme.dim()));
            }
        }
        EngineConn::Connecting => spans.push(Span::styled("engine connecting…", theme.dim())),
    }
    let (running, total) = state.counts();
    spans.push(sep());
    spans.push(Span::raw(format!("{running}/{total} running")));
    spans.push(sep());
    match state.health_score() {
        Some(h) => {
            let style = if h >= 80 {
                theme.ok()
            } else if h >= 50 {
                theme.warn()
            } else {
                theme.error()
            };
            spans.push(Span::styled(format!("health {h}%"), style));
        }
        None => spans.push(Span::styled("health -", theme.dim())),
    }
    if state.detect_job.running {
        spans.push(sep());
        spans.push(Span::styled("detecting…", theme.warn()));
    }
    if state.auto_deploy {
        spans.push(sep());
        spans.push(Span::styled("auto-deploy", theme.warn()));
    }
    if state.readonly {
        spans.push(sep());
        spans.push(Span::styled("read-only", theme.warn()));
    }
    if !state.mouse {
        spans.push(sep());
        spans.push(Span::styled("mouse off", theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
