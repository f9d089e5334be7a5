//! Short human formats for narrow columns.

use crate::app::{PortMap, RunStatus, ServiceRuntime, State};
use crate::detect::Service;

/// `80M`, `1.5G`, `512K`.
pub fn mem(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    if b >= K * K * K {
        format!("{:.1}G", b / (K * K * K))
    } else if b >= K * K {
        format!("{:.0}M", b / (K * K))
    } else {
        format!("{:.0}K", b / K)
    }
}

/// `3%`, `0.4%`, `120%`.
pub fn cpu(p: f64) -> String {
    if p < 10.0 && p.fract() != 0.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// `45s`, `5m`, `3h`, `2d`.
pub fn duration_s(s: i64) -> String {
    let s = s.max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

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
        (RunStatus::Running, Some(t)) => duration_s((state.now_ms - t) / 1000),
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
