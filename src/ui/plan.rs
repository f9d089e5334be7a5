//! The Plan tab: how the selected service is built and run. The engine's plan (with the generated
//! Dockerfile) when it has one; before that, the run configuration detection derived.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use crate::app::State;

/// The run configuration detection alone gives.
pub fn detected_plan(state: &State, name: &str) -> Vec<String> {
    let Some(s) = state.service(name) else {
        return vec![format!("{name} is gone")];
    };
    let ws = state
        .workspace
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = vec![format!(
        "# run configuration of {} (from detection)",
        s.name
    )];
    out.push(format!(
        "build      {}",
        match &s.dockerfile {
            Some(df) => format!("{}/{df}", s.path),
            None if s.kind == crate::detect::ServiceType::ComposeStack =>
                "docker compose (the stack's compose file)".to_string(),
            None => format!("generated Dockerfile for {} (context {})", s.kind, s.path),
        }
    ));
    out.push(format!("image      kyozo/{ws}-{}:<content hash>", s.name));
    out.push(format!("container  kyozo-{ws}-{}-<replica>", s.name));
    out.push(format!("network    kyozo-{ws} (alias {})", s.name));
    if let Some(cmd) = &s.start_command {
        out.push(format!("command    {cmd}"));
    }
    match s.port {
        Some(p) => out.push(format!("ports      {p} -> host {p} (replica 1)")),
        None => out.push("ports      none detected".to_string()),
    }
    for (k, v) in &s.env {
        out.push(format!("env        {k}={v}"));
    }
    out.push(format!(
        "limits     memory {} · cpu {}",
        s.resource_limits.memory, s.resource_limits.cpu
    ));
    out.push(format!(
        "health     GET {} every {}s (timeout {}s, {} retries)",
        s.health_check.path,
        s.health_check.interval_s,
        s.health_check.timeout_s,
        s.health_check.retries
    ));
    out.push("restart    unless-stopped".to_string());
    if let Some(t) = &state.topology
        && let Some(w) = t.deployment_order.iter().position(|w| w.contains(&s.name))
    {
        out.push(format!(
            "order      wave {} of {}",
            w + 1,
            t.deployment_order.len()
        ));
    }
    out
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(name) = state.selected.as_deref() else {
        frame.render_widget(Paragraph::new("Select a service.").style(theme.dim()), area);
        return;
    };
    let lines: Vec<Line> = match state.plans.get(name) {
        Some(Ok(text)) => text.lines().map(|l| Line::from(l.to_string())).collect(),
        Some(Err(e)) => {
            let mut v = vec![Line::from(Span::styled(
                format!("no plan: {e}"),
                theme.error(),
            ))];
            v.extend(detected_plan(state, name).into_iter().map(Line::from));
            v
        }
        None => detected_plan(state, name)
            .into_iter()
            .map(Line::from)
            .collect(),
    };
    let p = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((state.text_scroll.min(u16::MAX as usize) as u16, 0));
    frame.render_widget(p, area);
}
