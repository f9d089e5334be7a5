//! The top line: workspace, engine, running/total, health score, modes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::app::{EngineConn, State};

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let full = line(state, theme, false);
    let l = if full.width() > area.width as usize {
        line(state, theme, true)
    } else {
        full
    };
    frame.render_widget(Paragraph::new(l), area);
}

/// The header line; `compact` shortens the workspace to its name and the endpoint to its tail.
fn line(state: &State, theme: &Theme, compact: bool) -> Line<'static> {
    let sep = || Span::styled(" · ", theme.dim());
    let mut spans = vec![
        Span::styled(" kyozo", theme.title()),
        sep(),
        Span::raw(if compact {
            state
                .workspace
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| state.workspace_display.clone())
        } else {
            state.workspace_display.clone()
        }),
        sep(),
    ];
    match &state.engine {
        EngineConn::Connected { endpoint } => {
            let ep = if compact {
                endpoint.rsplit('/').next().unwrap_or(endpoint).to_string()
            } else {
                endpoint.clone()
            };
            spans.push(Span::raw(format!("engine {ep}")));
        }
        EngineConn::Unreachable { endpoint, .. } => {
            spans.push(Span::styled("engine unreachable", theme.error()));
            if !endpoint.is_empty() && !compact {
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
    Line::from(spans)
}
