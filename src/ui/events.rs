//! The Events tab: the deployment history of the selected service, newest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::Theme;
use crate::app::State;
use crate::app::update::fmt_time;

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(svc) = state.selected.as_deref() else {
        frame.render_widget(Paragraph::new("Select a service.").style(theme.dim()), area);
        return;
    };
    let events = match &state.events {
        None => {
            frame.render_widget(Paragraph::new("loading history…").style(theme.dim()), area);
            return;
        }
        Some((_, Err(e))) => {
            frame.render_widget(
                Paragraph::new(format!("history unavailable: {e}")).style(theme.warn()),
                area,
            );
            return;
        }
        Some((_, Ok(ev))) => ev,
    };
    if events.is_empty() {
        frame.render_widget(
            Paragraph::new(format!("No deployment events for {svc} yet.")).style(theme.dim()),
            area,
        );
        return;
    }
    let header = Row::new(["TIME", "EVENT", "TOOK", "BY", "ERROR"]).style(theme.title());
    let rows: Vec<Row> = events
        .iter()
        .skip(state.text_scroll)
        .map(|e| {
            let kind_style = if e.error.is_some() || e.kind.contains("failed") {
                theme.error()
            } else {
                Default::default()
            };
            Row::new(vec![
                Cell::from(fmt_time(Some(e.at_ms))),
                Cell::from(Span::styled(e.kind.clone(), kind_style)),
                Cell::from(
                    e.duration_ms
                        .map(|d| format!("{:.1}s", d as f64 / 1000.0))
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::from(e.triggered_by.clone()),
                Cell::from(Span::styled(
                    e.error.clone().unwrap_or_default(),
                    theme.error(),
                )),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(8),
            Constraint::Length(20),
            Constraint::Length(6),
            Constraint::Length(16),
            Constraint::Min(10),
        ],
    )
    .header(header)
    .column_spacing(1);
    frame.render_widget(table, area);
}
