//! The Events tab: the deployment history of the selected service, newest first; with no service
//! selected (the tree cursor on a folder), the workspace's, with a SERVICE column. The rows the
//! filter (`:events failed`) lets through, a cursor over them, and the event under it opened in
//! full with `enter`: type, service, time with its date, duration, who triggered it, the whole
//! error and the data. Times carry their date when they are not today's (UTC, as every time the
//! cockpit shows); a cut error ends with `…`. Secret values are masked unless `--show-secrets`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Theme, fmt::cut};
use crate::app::fmt::{duration_s, elapsed, stamp, when};
use crate::app::layout::list_offset;
use crate::app::{EventRow, Pane, State};
use crate::secrets::{mask_line, mask_url_passwords};

/// Whether an event is a failure (shown in the error colour).
fn failed(e: &EventRow) -> bool {
    e.error.is_some() || e.kind.ends_with("failed")
}

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
    if state.events_view.open.is_some() {
        render_detail(state, theme, frame, area);
        return;
    }
    let shown = state.shown_events();
    if shown.is_empty() {
        let text = format!(
            "No {} events among the {} loaded (:events all shows every one).",
            state.events_view.filter.name(),
            events.len()
        );
        frame.render_widget(Paragraph::new(text).style(theme.dim()), area);
        return;
    }
    let now = state.now_ms;
    // Narrow panes drop the BY and TOOK columns (the open event has them).
    let wide = area.width >= 70;
    let all = svc.is_none();
    let time_w = shown
        .iter()
        .map(|e| when(e.at_ms, now).len())
        .max()
        .unwrap_or(8) as u16;
    let mut titles = vec!["TIME"];
    let mut widths = vec![time_w];
    if all {
        titles.push("SERVICE");
        widths.push(12);
    }
    let kind_w = shown
        .iter()
        .map(|e| e.kind.len())
        .max()
        .unwrap_or(5)
        .clamp(5, 20) as u16;
    titles.push("EVENT");
    widths.push(kind_w);
    if wide {
        titles.extend(["TOOK", "BY"]);
        widths.extend([6, 16]);
    }
    titles.push("ERROR");
    let used: u16 = widths.iter().sum::<u16>() + widths.len() as u16;
    let error_w = area.width.saturating_sub(used).max(6);
    widths.push(error_w);
    let header = Row::new(titles).style(theme.title());
    let rows: Vec<Row> = shown
        .iter()
        .map(|e| {
            let kind_style = if failed(e) {
                theme.error()
            } else {
                Default::default()
            };
            let mut cells = vec![Cell::from(when(e.at_ms, now))];
            if all {
                cells.push(Cell::from(e.service.clone()));
            }
            cells.push(Cell::from(Span::styled(
                cut(&e.kind, kind_w as usize),
                kind_style,
            )));
            if wide {
                cells.push(Cell::from(
                    e.duration_ms
                        .map(|d| format!("{:.1}s", d as f64 / 1000.0))
                        .unwrap_or_else(|| "-".into()),
                ));
                cells.push(Cell::from(e.triggered_by.clone()));
            }
            // one line of the error, cut with … (enter shows it whole)
            let error = e
                .error
                .as_deref()
                .map(|t| {
                    let t = masked_error(state, t);
                    let first = t.lines().next().unwrap_or("").to_string();
                    if t.lines().nth(1).is_some() {
                        cut(&format!("{first} …"), error_w as usize)
                    } else {
                        cut(&first, error_w as usize)
                    }
                })
                .unwrap_or_default();
            cells.push(Cell::from(Span::styled(error, theme.error())));
            Row::new(cells)
        })
        .collect();
    let cursor = state.events_view.cursor.min(shown.len() - 1);
    let body_h = area.height.saturating_sub(1) as usize;
    let mut ts = TableState::default()
        .with_offset(list_offset(cursor, body_h))
        .with_selected(Some(cursor));
    let table = Table::new(rows, widths.into_iter().map(Constraint::Length))
        .header(header)
        .column_spacing(1)
        .row_highlight_style(theme.selected(state.focus == Pane::Bottom));
    frame.render_stateful_widget(table, area, &mut ts);
}

fn masked_error(state: &State, text: &str) -> String {
    if state.show_secrets {
        text.to_string()
    } else {
        mask_url_passwords(text)
    }
}

fn kv(theme: &Theme, k: &str, v: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{k:<10}"), theme.dim()),
        Span::raw(v.into()),
    ])
}

/// The lines of an event shown in full.
pub fn detail_lines(state: &State, theme: &Theme, e: &EventRow) -> Vec<Line<'static>> {
    let kind_style = if failed(e) {
        theme.error()
    } else {
        theme.title()
    };
    let ago = duration_s((state.now_ms - e.at_ms) / 1000);
    let mut out = vec![
        Line::from(Span::styled(e.kind.clone(), kind_style)),
        kv(theme, "service", e.service.clone()),
        kv(theme, "time", format!("{} ({ago} ago)", stamp(e.at_ms))),
        kv(
            theme,
            "took",
            e.duration_ms
                .map(|d| elapsed(i64::try_from(d).unwrap_or(i64::MAX)))
                .unwrap_or_else(|| "-".into()),
        ),
        kv(theme, "by", e.triggered_by.clone()),
        kv(theme, "id", e.id.clone()),
    ];
    if let Some(err) = &e.error {
        out.push(Line::from(""));
        out.push(Line::from(Span::styled("error", theme.title())));
        for l in masked_error(state, err).lines() {
            out.push(Line::from(Span::styled(format!("  {l}"), theme.error())));
        }
    }
    out.push(Line::from(""));
    match &e.data {
        Some(data) => {
            out.push(Line::from(Span::styled("data", theme.title())));
            for l in data.lines() {
                let l = if state.show_secrets {
                    l.to_string()
                } else {
                    mask_line(l)
                };
                out.push(Line::from(format!("  {l}")));
            }
        }
        None => out.push(Line::from(Span::styled("no data", theme.dim()))),
    }
    out
}

fn render_detail(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(e) = state.opened_event() else {
        frame.render_widget(
            Paragraph::new("This event is no longer in the loaded history (esc: back).")
                .style(theme.dim()),
            area,
        );
        return;
    };
    let lines = detail_lines(state, theme, e);
    let p = Paragraph::new(lines).wrap(Wrap { trim: false });
    // the scroll stops where the text's end reaches the pane's bottom
    let total = p.line_count(area.width);
    let max = total.saturating_sub(area.height as usize);
    let scroll = state.events_view.scroll.min(max);
    frame.render_widget(p.scroll((scroll as u16, 0)), area);
}
