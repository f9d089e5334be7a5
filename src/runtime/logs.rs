//! Container logs, split into lines, with the engine's timestamps.

use std::collections::HashMap;

use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::{Stream, StreamExt};

use super::{Engine, LogLine, LogOptions, LogStream, RuntimeError, short};

impl Engine {
    /// The last `n` log lines of a container, both streams, as text.
    pub async fn tail_text(&self, id: &str, n: usize) -> String {
        let opts = LogOptions {
            follow: false,
            tail: Some(n),
            since: None,
        };
        let lines: Vec<String> = self
            .logs(id, &opts)
            .filter_map(|l| async move { l.ok().map(|l| l.text) })
            .collect()
            .await;
        lines.join("\n")
    }

    /// Log lines of one container.
    pub fn logs(
        &self,
        id: &str,
        opts: &LogOptions,
    ) -> impl Stream<Item = Result<LogLine, RuntimeError>> + Send + use<> {
        let mut b = LogsOptionsBuilder::new()
            .follow(opts.follow)
            .timestamps(true)
            .stdout(true)
            .stderr(true);
        b = match opts.tail {
            Some(n) => b.tail(&n.to_string()),
            None => b.tail("all"),
        };
        if let Some(since) = opts.since {
            b = b.since(i32::try_from(since).unwrap_or(i32::MAX));
        }
        let container = id.to_string();
        let docker = self.docker.clone();
        let stream = docker.logs(id, Some(b.build()));
        // split chunks into lines, keeping partial lines until their end arrives
        let mut partial: HashMap<bool, String> = HashMap::new();
        stream.flat_map(move |item| {
            let out: Vec<Result<LogLine, RuntimeError>> = match item {
                Err(e) => vec![Err(RuntimeError::engine(
                    format!("logs of {}", short(&container)),
                    e,
                ))],
                Ok(chunk) => {
                    let (is_err, bytes) = match &chunk {
                        bollard::container::LogOutput::StdErr { message } => (true, message),
                        bollard::container::LogOutput::StdOut { message }
                        | bollard::container::LogOutput::Console { message }
                        | bollard::container::LogOutput::StdIn { message } => (false, message),
                    };
                    let buf = partial.entry(is_err).or_default();
                    buf.push_str(&String::from_utf8_lossy(bytes));
                    let mut lines = Vec::new();
                    while let Some(i) = buf.find('\n') {
                        let line: String = buf.drain(..=i).collect();
                        let (time_ms, text) = split_timestamp(&line);
                        lines.push(Ok(LogLine {
                            container: container.clone(),
                            time_ms,
                            stream: if is_err {
                                LogStream::Stderr
                            } else {
                                LogStream::Stdout
                            },
                            text: text.trim_end_matches(['\n', '\r']).to_string(),
                        }));
                    }
                    lines
                }
            };
            futures_util::stream::iter(out)
        })
    }
}

/// Splits the engine's timestamp (`2024-05-01T12:00:01.123456789Z `, asked for with
/// `timestamps`) from a log line: its time in ms since the epoch, and the text after it. A line
/// without one comes back whole, with no time.
pub fn split_timestamp(line: &str) -> (Option<i64>, &str) {
    match line.split_once(' ') {
        Some((stamp, rest)) => match parse_timestamp(stamp) {
            Some(ms) => (Some(ms), rest),
            None => (None, line),
        },
        None => match parse_timestamp(line.trim_end()) {
            Some(ms) => (Some(ms), ""),
            None => (None, line),
        },
    }
}

/// An RFC 3339 time in UTC with up to nine fraction digits (`2024-05-01T12:00:01.123456789Z`,
/// as the engine writes it) to ms since the epoch.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if whole.len() != 19 || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = humantime::parse_rfc3339(&format!("{whole}Z")).ok()?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    let millis: i64 = format!("{frac:0<3}").get(..3)?.parse().ok()?;
    Some(i64::try_from(secs).ok()? * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_timestamps_are_split_and_parsed() {
        assert_eq!(
            split_timestamp("2024-05-01T12:00:01.123456789Z listening on 3000\n"),
            (Some(1_714_564_801_123), "listening on 3000\n")
        );
        assert_eq!(parse_timestamp("1970-01-01T00:00:02Z"), Some(2000));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00.5Z"), Some(500));
        assert_eq!(split_timestamp("no stamp here"), (None, "no stamp here"));
        assert_eq!(
            split_timestamp("2024-05-01T12:00:01.1Z"),
            (Some(1_714_564_801_100), "")
        );
        assert_eq!(parse_timestamp("2024-05-01T12:00:01+02:00"), None);
        assert_eq!(parse_timestamp("2024-05-01T12:00:01.1234567890Z"), None);
    }
}
