//! The Plan tab: how the selected service is built and run. The deploy plan (with the generated
//! Dockerfile) when the engine worker made one, rendered here and only here; before that, the run
//! configuration detection derived. Secret values are masked unless `--show-secrets`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use crate::app::State;
use crate::deploy::Plan;
use crate::deploy::plan::DockerfileSource;
use crate::secrets::{mask_line, mask_value};

/// The text of a deploy plan, secrets masked unless `show_secrets`.
pub fn plan_lines(p: &Plan, show_secrets: bool) -> Vec<String> {
    let env = |k: &str, v: &str| {
        if show_secrets {
            v.to_string()
        } else {
            mask_value(k, v)
        }
    };
    let mut out = Vec::new();
    out.push(format!("service     {} ({})", p.service, p.kind));
    out.push(format!("folder      {}", p.path));
    if let Some(c) = &p.compose {
        out.push(format!(
            "compose     {} (project {})",
            c.file.display(),
            c.project
        ));
    } else {
        out.push(format!("image       {}:<content hash>", p.image_repo));
    }
    if !p.ports.is_empty() {
        let ports: Vec<String> = p.ports.iter().map(u16::to_string).collect();
        out.push(format!("ports       {}", ports.join(", ")));
    }
    out.push(format!("limits      memory {} · cpu {}", p.memory, p.cpu));
    out.push(format!("health      {}", p.health_text()));
    for (k, v) in &p.env {
        out.push(format!("env         {k}={}", env(k, v)));
    }
    if !p.depends_on.is_empty() {
        out.push(format!("after       {}", p.depends_on.join(", ")));
    }
    let dockerfile = |out: &mut Vec<String>, text: &str| {
        out.push(String::new());
        out.extend(text.lines().map(|l| {
            if show_secrets {
                l.to_string()
            } else {
                mask_line(l)
            }
        }));
    };
    match (&p.dockerfile_source, &p.dockerfile) {
        (Some(DockerfileSource::Folder { name }), Some(text)) => {
            out.push(format!("dockerfile  {name} (from the folder)"));
            dockerfile(&mut out, text);
        }
        (Some(DockerfileSource::Generated), Some(text)) => {
            out.push("dockerfile  generated (in the build context only, never written)".into());
            dockerfile(&mut out, text);
        }
        _ => {}
    }
    out
}

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
        let v = if state.show_secrets {
            v.clone()
        } else {
            mask_value(k, v)
        };
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
        Some(Ok(plan)) => plan_lines(plan, state.show_secrets)
            .into_iter()
            .map(Line::from)
            .collect(),
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
