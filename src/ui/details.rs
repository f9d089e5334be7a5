//! The Details tab: detection evidence and configuration of the selected service. Secret values
//! (env, URLs in evidence) are masked unless `--show-secrets`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use crate::app::State;
use crate::detect::EdgeKind;
use crate::secrets::{mask_line, mask_value};

fn kv(theme: &Theme, k: &str, v: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{k:<13}"), theme.dim()),
        Span::raw(v.into()),
    ])
}

/// What marks a value the workspace's overrides file set.
pub const SET_BY: &str = " · set by .kyozo.toml";

/// `line` with the overrides mark when `set` (the value came from `.kyozo.toml`).
fn marked(theme: &Theme, mut line: Line<'static>, set: bool) -> Line<'static> {
    if set {
        line.spans.push(Span::styled(SET_BY, theme.warn()));
    }
    line
}

/// The lines of the Details tab (also used by tests).
pub fn lines(state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let Some(name) = state.selected.as_deref() else {
        return vec![Line::from(Span::styled("Select a service.", theme.dim()))];
    };
    let Some(s) = state.service(name) else {
        return vec![Line::from(Span::styled(
            format!("{name} is gone"),
            theme.dim(),
        ))];
    };
    let none = || "-".to_string();
    // secret values are masked unless --show-secrets
    let shown = |k: &str, v: &str| {
        if state.show_secrets {
            v.to_string()
        } else {
            mask_value(k, v)
        }
    };
    let mut out = vec![
        marked(
            theme,
            kv(theme, "service", format!("{} ({})", s.name, s.path)),
            s.overridden("name"),
        ),
        marked(
            theme,
            kv(
                theme,
                "type",
                format!("{} · confidence {:.0}%", s.kind, s.confidence * 100.0),
            ),
            s.overridden("type"),
        ),
        kv(
            theme,
            "indicators",
            if s.indicators.is_empty() {
                none()
            } else {
                s.indicators.join(", ")
            },
        ),
        kv(
            theme,
            "technologies",
            if s.technologies.is_empty() {
                none()
            } else {
                s.technologies.join(", ")
            },
        ),
        marked(
            theme,
            kv(
                theme,
                "port",
                match (s.port, s.ports.len()) {
                    (Some(p), n) if n > 1 => format!(
                        "{p} (also {})",
                        s.ports
                            .iter()
                            .skip(1)
                            .map(|p| p.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    (Some(p), _) => p.to_string(),
                    (None, _) => "unknown".into(),
                },
            ),
            s.overridden("port"),
        ),
        marked(
            theme,
            kv(theme, "start", s.start_command.clone().unwrap_or_else(none)),
            s.overridden("start"),
        ),
    ];
    if let Some(df) = &s.dockerfile {
        out.push(kv(theme, "dockerfile", df.clone()));
    }
    // the plan knows the settings in force and an image's own HEALTHCHECK; detection's otherwise
    let health = match state.plans.get(name) {
        Some(Ok(plan)) => plan.health_text(),
        _ => format!(
            "GET {} every {}s, timeout {}s, {} retries",
            s.health_check.path,
            s.health_check.interval_s,
            s.health_check.timeout_s,
            s.health_check.retries
        ),
    };
    out.push(marked(
        theme,
        kv(theme, "health", health),
        s.overridden("health"),
    ));
    out.push(marked(
        theme,
        kv(
            theme,
            "limits",
            format!(
                "memory {} · cpu {} · storage {}",
                s.resource_limits.memory, s.resource_limits.cpu, s.resource_limits.storage
            ),
        ),
        s.overridden("limits"),
    ));
    if s.overridden("scaling") || s.overridden("autoscale") {
        out.push(marked(
            theme,
            kv(
                theme,
                "scaling",
                format!(
                    "{}-{} replicas · target cpu {}% · autoscale {}",
                    s.scaling.min,
                    s.scaling.max,
                    s.scaling.target_cpu,
                    if s.autoscale { "on" } else { "off" }
                ),
            ),
            true,
        ));
    }
    out.push(kv(
        theme,
        "deployable",
        match (&s.stack, s.deployable) {
            (Some(st), _) => format!("through compose stack {st}"),
            (None, true) => "yes".into(),
            (None, false) => "no (shown only)".into(),
        },
    ));
    if !s.env.is_empty() {
        out.push(marked(
            theme,
            Line::from(Span::styled("env", theme.title())),
            s.overridden("env"),
        ));
        for (k, v) in &s.env {
            out.push(Line::from(format!("  {k}={}", shown(k, v))));
        }
    }
    if !s.dependencies.is_empty() || !s.depends_on.is_empty() {
        out.push(marked(
            theme,
            Line::from(Span::styled("dependencies", theme.title())),
            s.overridden("depends_on"),
        ));
        if s.dependencies.is_empty() {
            for d in &s.depends_on {
                out.push(Line::from(format!("  {d}")));
            }
        }
        for d in &s.dependencies {
            let kind = match d.kind {
                EdgeKind::Hard => "hard",
                EdgeKind::Soft => "soft",
            };
            let evidence = if state.show_secrets {
                d.evidence.clone()
            } else {
                mask_line(&d.evidence)
            };
            out.push(Line::from(vec![
                Span::raw(format!("  {} ", d.name)),
                Span::styled(format!("({kind}) {evidence}"), theme.dim()),
            ]));
        }
    }
    if !s.members.is_empty() {
        out.push(Line::from(Span::styled("members", theme.title())));
        for m in &s.members {
            let what = m
                .image
                .clone()
                .or_else(|| m.build.as_ref().map(|b| format!("build {b}")))
                .unwrap_or_else(none);
            let ports: Vec<String> = m.ports.iter().map(|p| p.to_string()).collect();
            let mut t = format!("  {} · {what}", m.name);
            if !ports.is_empty() {
                t.push_str(&format!(" · ports {}", ports.join(",")));
            }
            if !m.depends_on.is_empty() {
                t.push_str(&format!(" · after {}", m.depends_on.join(",")));
            }
            out.push(Line::from(t));
        }
    }
    if let Some(rt) = state.runtime.get(name) {
        if !rt.containers.is_empty() {
            let ids: Vec<String> = rt
                .containers
                .iter()
                .map(|c| c.chars().take(12).collect())
                .collect();
            out.push(kv(theme, "containers", ids.join(", ")));
        }
        if rt.drifted {
            out.push(Line::from(Span::styled(
                "drifted: the folder changed since the image was built",
                theme.warn(),
            )));
        }
        if let Some(e) = &rt.error {
            out.push(Line::from(Span::styled(
                format!("last error: {e}"),
                theme.error(),
            )));
        }
    }
    let diags: Vec<_> = state
        .topology
        .iter()
        .flat_map(|t| t.diagnostics.iter())
        .filter(|d| {
            s.path == "."
                || d.path == s.path
                || d.path
                    .strip_prefix(&s.path)
                    .is_some_and(|r| r.starts_with('/'))
        })
        .collect();
    if !diags.is_empty() {
        out.push(Line::from(Span::styled("diagnostics", theme.title())));
        for d in diags {
            out.push(Line::from(Span::styled(
                format!("  {}: {}", d.path, d.message),
                theme.warn(),
            )));
        }
    }
    out
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let p = Paragraph::new(lines(state, theme))
        .wrap(Wrap { trim: false })
        .scroll((state.text_scroll.min(u16::MAX as usize) as u16, 0));
    frame.render_widget(p, area);
}
