//! Short human formats of the figures and times the cockpit shows, in one place: the renderer uses
//! them to draw, `update` to tell whether a new figure changes what is on screen (and skip the redraw
//! when not) and to word its status messages.

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

/// `HH:MM:SS` (UTC) of a time in ms since the epoch, or `--:--:--`.
pub fn clock(at_ms: Option<i64>) -> String {
    match at_ms {
        Some(ms) => {
            let s = ms.div_euclid(1000).rem_euclid(86_400);
            format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
        }
        None => "--:--:--".into(),
    }
}

/// An elapsed time for a message: `42 ms` under a second, else `15.5 s`, `2m 05s` from a minute.
pub fn elapsed(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(clock(Some(3_600_000 + 61_000)), "01:01:01");
        assert_eq!(clock(Some(-1000)), "23:59:59");
        assert_eq!(clock(None), "--:--:--");
        assert_eq!(elapsed(42), "42 ms");
        assert_eq!(elapsed(15_500), "15.5 s");
        assert_eq!(elapsed(125_000), "2m 05s");
        assert_eq!(duration_s(59), "59s");
        assert_eq!(duration_s(3600), "1h");
        assert_eq!(mem(80 * 1024 * 1024), "80M");
        assert_eq!(cpu(0.42), "0.4%");
        assert_eq!(cpu(12.0), "12%");
    }
}
