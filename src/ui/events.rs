//! The Events tab: the deployment history of the selected service, newest first; with no service
//! selected (the tree cursor on a folder), the workspace's, with a SERVICE column.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::Theme;
use crate::app::State;
use crate::app::fmt::clock;

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let svc = state.selected.as_deref();
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
        let text = match svc {
            Some(s) => format!("No deployment events for {s} yet."),
            None => "No deployment events in this workspace yet.".to_string(),
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()), area);
        return;
    }
    // Narrow panes drop the BY column.
    let wide = area.width >= 70;
    let all = svc.is_none();
    let mut titles = vec!["TIME"];
    if all {
        titles.push("SERVICE");
    }
    titles.extend(["EVENT", "TOOK"]);
    if wide {
        titles.push("BY");
    }
    titles.push("ERROR");
    let header = Row::new(titles).style(theme.title());
    let rows: Vec<Row> = events
        .iter()
        .skip(state.text_scroll)
        .map(|e| {
            let kind_style = if e.error.is_some() || e.kind.contains("failed") {
                theme.error()
            } else {
                Default::default()
            };
            let mut cells = vec![Cell::from(clock(Some(e.at_ms)))];
            if all {
                cells.push(Cell::from(e.service.clone()));
            }
            cells.push(Cell::from(Span::styled(e.kind.clone(), kind_style)));
            cells.push(Cell::from(
                e.duration_ms
                    .map(|d| format!("{:.1}s", d as f64 / 1000.0))
                    .unwrap_or_else(|| "-".into()),
            ));
            if wide {
                cells.push(Cell::from(e.triggered_by.clone()));
            }
            cells.push(Cell::from(Span::styled(
                e.error.clone().unwrap_or_default(),
                theme.error(),
            )));
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![Constraint::Length(8)];
    if all {
        widths.push(Constraint::Length(12));
    }
    widths.extend([Constraint::Length(20), Constraint::Length(6)]);
    if wide {
        widths.push(Constraint::Length(16));
    }
    widths.push(Constraint::Min(6));
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, area);
}
