//! What the narrow columns show that needs the state or the detection (ports, uptime) and the cut
//! of long text. Figures and times are formatted by `app::fmt`, the one place for them.

use crate::app::fmt::duration_s;
use crate::app::{PortMap, ServiceRuntime, ServiceState, State};
use crate::detect::Service;

/// Host ports when published (`4000`, `8080,8081`), else the detected container port.
pub fn ports(rt: &ServiceRuntime, svc: &Service) -> String {
    let host: Vec<String> = rt
        .ports
        .iter()
        .filter_map(|p: &PortMap| p.host)
        .map(|p| p.to_string())
        .collect();
    if !host.is_empty() {
        return host.join(",");
    }
    svc.port
        .map(|p| p.to_string())
        .unwrap_or_else(|| "-".into())
}

/// Uptime of a service, `-` when not running.
pub fn uptime(state: &State, rt: &ServiceRuntime) -> String {
    match (rt.status, rt.started_at_ms) {
        (ServiceState::Running, Some(t)) => duration_s((state.now_ms - t) / 1000),
        _ => "-".into(),
    }
}

/// Cuts `s` to `w` display columns, ending with `…` when cut.
pub fn cut(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(w - 1).collect();
    out.push('…');
    out
}
