//! Bounded per-service log buffers: a ring of lines with a counter of the lines it dropped.

use std::collections::VecDeque;

/// Longest line kept; the rest is cut (and marked) so one runaway line cannot eat the buffer.
pub const MAX_LINE_CHARS: usize = 2000;

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Milliseconds since the Unix epoch, when the engine gave a time.
    pub at_ms: Option<i64>,
    /// Where it came from: `api-1` for replica 1, `build` for build output, `kyozo` for our own notes.
    pub source: String,
    pub text: String,
}

impl LogLine {
    pub fn new(at_ms: Option<i64>, source: impl Into<String>, text: impl Into<String>) -> Self {
        LogLine {
            at_ms,
            source: source.into(),
            text: text.into(),
        }
    }
}

/// A ring buffer of log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    cap: usize,
    dropped: u64,
    /// Total lines ever pushed; lets views keep their position while old lines fall off.
    pushed: u64,
}

impl LogBuffer {
    pub fn new(cap: usize) -> Self {
        LogBuffer {
            lines: VecDeque::new(),
            cap: cap.max(1),
            dropped: 0,
            pushed: 0,
        }
    }

    /// Appends a line, cutting it when too long and dropping the oldest line when full.
    pub fn push(&mut self, mut line: LogLine) {
        if line.text.chars().count() > MAX_LINE_CHARS {
            let total = line.text.len();
            let cut: String = line.text.chars().take(MAX_LINE_CHARS).collect();
            line.text = format!("{cut}… [{} bytes cut]", total - cut.len());
        }
        if line.text.ends_with('\n') {
            line.text.pop();
            if line.text.ends_with('\r') {
                line.text.pop();
            }
        }
        if self.lines.len() == self.cap {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
        self.pushed += 1;
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Counts lines dropped before they reached the buffer (by a follower under a flood).
    pub fn count_dropped(&mut self, n: u64) {
        self.dropped += n;
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    pub fn get(&self, i: usize) -> Option<&LogLine> {
        self.lines.get(i)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.lines.iter()
    }

    /// Index of the next line after `from` (or before it, when `forward` is false) containing `needle`
    /// (case-insensitive), wrapping around.
    pub fn find(&self, needle: &str, from: Option<usize>, forward: bool) -> Option<usize> {
        if needle.is_empty() || self.lines.is_empty() {
            return None;
        }
        let needle = needle.to_lowercase();
        let n = self.lines.len();
        let start = match (from, forward) {
            (Some(i), true) => i + 1,
            (Some(i), false) => i + n - 1,
            (None, true) => 0,
            (None, false) => n - 1,
        };
        (0..n)
            .map(|k| {
                if forward {
                    (start + k) % n
                } else {
                    (start + n - k % n) % n
                }
            })
            .find(|&i| {
                self.lines
                    .get(i)
                    .is_some_and(|l| l.text.to_lowercase().contains(&needle))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(t: &str) -> LogLine {
        LogLine::new(None, "api-1", t)
    }

    #[test]
    fn ring_is_bounded_and_counts_drops() {
        let mut b = LogBuffer::new(3);
        for i in 0..5 {
            b.push(line(&format!("l{i}")));
        }
        assert_eq!(b.len(), 3);
        assert_eq!(b.dropped(), 2);
        let texts: Vec<&str> = b.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["l2", "l3", "l4"]);
    }

    #[test]
    fn long_lines_are_cut() {
        let mut b = LogBuffer::new(3);
        b.push(line(&"x".repeat(MAX_LINE_CHARS + 500)));
        let t = &b.get(0).unwrap().text;
        assert!(t.starts_with(&"x".repeat(MAX_LINE_CHARS)));
        assert!(t.ends_with("[500 bytes cut]"), "{}", &t[t.len() - 30..]);
    }

    #[test]
    fn find_wraps_both_ways() {
        let mut b = LogBuffer::new(10);
        for t in ["a ERROR", "b", "c error", "d"] {
            b.push(line(t));
        }
        assert_eq!(b.find("error", None, true), Some(0));
        assert_eq!(b.find("error", Some(0), true), Some(2));
        assert_eq!(b.find("error", Some(2), true), Some(0));
        assert_eq!(b.find("error", None, false), Some(2));
        assert_eq!(b.find("error", Some(2), false), Some(0));
        assert_eq!(b.find("error", Some(0), false), Some(2));
        assert_eq!(b.find("zzz", None, true), None);
    }
}
