//! Short human formats of the figures the cockpit shows. They live here, beside the state, so that
//! `update` can tell whether a new figure changes what is on screen (and skip the redraw when not).

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
