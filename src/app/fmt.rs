//! Short human formats of the figures and times the cockpit shows, in one place: the renderer uses
//! them to draw, `update` to tell whether a new figure changes what is on screen (and skip the redraw
//! when not) and to word its status messages.

/// `80M`, `1.5G`, `512K`: at most four characters below 10 G (1000M and more read as `1.0G`).
pub fn mem(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    if b >= 1000.0 * K * K {
        format!("{:.1}G", b / (K * K * K))
    } else if b >= 1000.0 * K {
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

/// The UTC calendar date and time of ms since the epoch: (year, month, day, hour, minute, second,
/// millisecond).
pub fn civil(ms: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    // days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let s = in_day / 1000;
    (
        year,
        month,
        day,
        (s / 3600) as u32,
        ((s / 60) % 60) as u32,
        (s % 60) as u32,
        (in_day % 1000) as u32,
    )
}

/// `2023-11-14` (UTC).
pub fn date(ms: i64) -> String {
    let (y, m, d, ..) = civil(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// When something happened, as a table shows it: `22:13:20` today (UTC, as [`clock`]), with the
/// date before it on other days (`2023-11-13 22:13:20`).
pub fn when(at_ms: i64, now_ms: i64) -> String {
    if at_ms.div_euclid(86_400_000) == now_ms.div_euclid(86_400_000) {
        clock(Some(at_ms))
    } else {
        format!("{} {}", date(at_ms), clock(Some(at_ms)))
    }
}

/// The full time: `2023-11-14 22:13:20.123 UTC`.
pub fn stamp(ms: i64) -> String {
    let (.., milli) = civil(ms);
    format!("{} {}.{milli:03} UTC", date(ms), clock(Some(ms)))
}

/// A time for a file name: `20231114-221320` (UTC).
pub fn file_stamp(ms: i64) -> String {
    let (y, mo, d, h, mi, s, _) = civil(ms);
    format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}")
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
        assert_eq!(mem(1010 * 1024 * 1024), "1.0G");
        assert_eq!(mem(1536 * 1024 * 1024), "1.5G");
        assert_eq!(mem(999 * 1024 * 1024), "999M");
        assert_eq!(mem(1010 * 1024), "1M");
        assert_eq!(mem(512 * 1024), "512K");
        assert_eq!(cpu(0.42), "0.4%");
        assert_eq!(cpu(12.0), "12%");
    }

    #[test]
    fn dates_are_utc_calendar_dates() {
        // 1_700_000_000 s is 2023-11-14 22:13:20 UTC
        let t = 1_700_000_000_123;
        assert_eq!(civil(t), (2023, 11, 14, 22, 13, 20, 123));
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(date(4_107_542_400_000), "2100-03-01");
        assert_eq!(stamp(t), "2023-11-14 22:13:20.123 UTC");
        assert_eq!(file_stamp(t), "20231114-221320");
        assert_eq!(when(t - 3_600_000, t), "21:13:20");
        assert_eq!(when(t - 86_400_000, t), "2023-11-13 22:13:20");
        // past midnight UTC is another day, however close
        assert_eq!(when(t + 7_000_000, t + 7_000_001), "00:10:00");
        assert_eq!(when(t, t + 7_000_000), "2023-11-14 22:13:20");
    }
}
