//! The services table: name, type, status, health, replicas, CPU, memory, ports, uptime. Sortable;
//! narrow terminals hide the type and uptime columns.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use super::{Theme, fmt};
use crate::app::fmt::{cpu, mem};
use crate::app::layout::list_offset;
use crate::app::{Pane, SortColumn, State};

/// The columns shown at a given inner width.
pub fn columns(width: u16) -> Vec<SortColumn> {
    SortColumn::all()
        .filter(|c| width >= 70 || !matches!(c, SortColumn::Type | SortColumn::Uptime))
        .collect()
}

/// Width of the name column: the longest name (with its mark and drift sign), at least the title,
/// at most 32 cells; the table's spare width goes to the last column rather than to the names.
fn name_width<'a>(names: impl Iterator<Item = &'a str>) -> u16 {
    let longest = names.map(|n| n.chars().count()).max().unwrap_or(0);
    (longest + 3).clamp(6, 32) as u16
}

fn width_of(c: SortColumn, narrow: bool, name: u16) -> Constraint {
    match c {
        // narrow: what the longest values need (`deployable`, `1.5G`, `65535`)
        SortColumn::Ports if narrow => Constraint::Length(5),
        SortColumn::Status if narrow => Constraint::Length(10),
        SortColumn::Memory if narrow => Constraint::Length(4),
        SortColumn::Name => Constraint::Length(name),
        // the longest type name (`infrastructure`) and health (`unhealthy`), as JSON names them
        SortColumn::Type => Constraint::Length(14),
        SortColumn::Status => Constraint::Length(11),
        SortColumn::Health => Constraint::Length(9),
        SortColumn::Replicas => Constraint::Length(4),
        SortColumn::Cpu => Constraint::Length(5),
        SortColumn::Memory => Constraint::Length(5),
        SortColumn::Ports => Constraint::Length(9),
        SortColumn::Uptime => Constraint::Min(4),
    }
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let focused = state.focus == Pane::Services;
    let arrow = if state.sort_desc { "▼" } else { "▲" };
    let mut title = vec![Span::styled(" Services ", theme.title())];
    if !state.marks.is_empty() {
        title.push(Span::styled(
            format!("{} marked ", state.marks.len()),
            theme.mark(),
        ));
    }
    let block = Block::bordered()
        .title(Line::from(title))
        .title(
            Line::from(Span::styled(
                format!(" sort {} {arrow} ", state.sort.name()),
                theme.dim(),
            ))
            .right_aligned(),
        )
        .border_style(theme.border(focused));
    let rows = state.table_rows();
    if rows.is_empty() {
        let msg = if state.topology.is_none() {
            "detecting…".to_string()
        } else if !state.filter.is_empty() {
            format!("no service matches /{}", state.filter)
        } else {
            "no service found in this workspace".to_string()
        };
        frame.render_widget(Paragraph::new(msg).style(theme.dim()).block(block), area);
        return;
    }
    let inner_w = area.width.saturating_sub(2);
    let cols = columns(inner_w);
    let narrow = inner_w < 70;
    let header = Row::new(cols.iter().map(|c| {
        let mut t = c.title().to_string();
        if *c == state.sort {
            t.push_str(arrow);
        }
        Cell::from(t)
    }))
    .style(theme.title().add_modifier(Modifier::UNDERLINED));
    let body: Vec<Row> = rows
        .iter()
        .map(|svc| {
            let rt = state.rt(&svc.name);
            let status = state.status_of(&svc.name);
            let cells = cols.iter().map(|c| match c {
                SortColumn::Name => {
                    let mut spans = Vec::new();
                    if state.marks.contains(&svc.name) {
                        spans.push(Span::styled("*", theme.mark()));
                    }
                    spans.push(Span::raw(svc.name.clone()));
                    if rt.drifted {
                        spans.push(Span::styled(" Δ", theme.warn()));
                    }
                    Cell::from(Line::from(spans))
                }
                SortColumn::Type => Cell::from(Span::styled(svc.kind.as_str(), theme.dim())),
                SortColumn::Status => {
                    let text = match state.progress.get(&svc.name) {
                        Some(p) => p.step.clone(),
                        None if !svc.deployable => match &svc.stack {
                            Some(st) => format!("in {st}"),
                            None => "-".to_string(),
                        },
                        None => status.as_str().to_string(),
                    };
                    let style = if state.progress.contains_key(&svc.name) {
                        theme.warn()
                    } else {
                        theme.status(status)
                    };
                    Cell::from(Span::styled(text, style))
                }
                SortColumn::Health => {
                    let h = state.health_view(&svc.name);
                    Cell::from(Span::styled(h.label(), theme.health(h)))
                }
                SortColumn::Replicas => {
                    if !state.runtime.contains_key(&svc.name) {
                        Cell::from(Span::styled("-", theme.dim()))
                    } else {
                        Cell::from(format!("{}/{}", rt.running, rt.desired.max(rt.running)))
                    }
                }
                SortColumn::Cpu => {
                    Cell::from(rt.cpu_percent.map(cpu).unwrap_or_else(|| "-".into()))
                }
                SortColumn::Memory => {
                    Cell::from(rt.memory_bytes.map(mem).unwrap_or_else(|| "-".into()))
                }
                SortColumn::Ports => {
                    let published = rt.ports.iter().any(|p| p.host.is_some());
                    let style = if published {
                        Default::default()
                    } else {
                        theme.dim()
                    };
                    Cell::from(Span::styled(fmt::ports(&rt, svc), style))
                }
                SortColumn::Uptime => Cell::from(fmt::uptime(state, &rt)),
            });
            Row::new(cells.collect::<Vec<_>>())
        })
        .collect();
    let selected = state
        .selected
        .as_ref()
        .and_then(|s| rows.iter().position(|r| &r.name == s));
    let inner_h = area.height.saturating_sub(3) as usize;
    let mut ts = TableState::default()
        .with_offset(list_offset(selected.unwrap_or(0), inner_h))
        .with_selected(selected);
    let name_w = name_width(rows.iter().map(|r| r.name.as_str()));
    let table = Table::new(body, cols.iter().map(|c| width_of(*c, narrow, name_w)))
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selected(focused));
    frame.render_stateful_widget(table, area, &mut ts);
}
