//! Operations in flight as the cockpit tracks them: at most one per service ([`InFlight`]), and
//! the batches that ran one operation over several services ([`Batch`]), whose outcomes are
//! counted into one summary line when the last one reports.

use std::collections::BTreeSet;

use super::fmt;
use super::msg::{Op, Outcome};
use super::state::Level;

/// What runs on a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Op(Op),
    /// Setting the replica count.
    Scale {
        to: u32,
    },
}

impl Job {
    /// `deploy`, `scale to 3`.
    pub fn name(self) -> String {
        match self {
            Job::Op(op) => op.as_str().to_string(),
            Job::Scale { to } => format!("scale to {to}"),
        }
    }
}

/// The operation in flight on one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    pub job: Job,
    /// The current step as the STATUS column shows it (`queued…`, `building…`, `cancelling…`).
    pub step: String,
    /// When this cockpit asked for it, ms since the epoch.
    pub since_ms: i64,
    /// A cancel was asked for; the worker reports when it stopped.
    pub cancelling: bool,
}

impl InFlight {
    pub fn new(job: Job, step: impl Into<String>, since_ms: i64) -> InFlight {
        InFlight {
            job,
            step: step.into(),
            since_ms,
            cancelling: false,
        }
    }

    /// `deploy (building…)`.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.job.name(), self.step)
    }
}

/// How the members of a batch ended so far.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    pub changed: usize,
    pub unchanged: usize,
    /// Failed services with their error.
    pub failed: Vec<(String, String)>,
    /// Failures after which the previous version was restored (counted in `failed` too).
    pub rolled_back: usize,
    pub cancelled: usize,
    /// Never reached: an earlier wave failed.
    pub skipped: usize,
    /// Refused by the worker: another operation (maybe of another kyozo process) holds them.
    pub refused: usize,
    /// Left out at the start: this cockpit already ran an operation on them.
    pub busy: usize,
}

/// One operation over several services (deploy all, stop all, marked services).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// How the summary starts (`deploy all`, `restart 3 services`).
    pub label: String,
    pub op: Op,
    pub started_ms: i64,
    /// Members that have not reported yet.
    pub pending: BTreeSet<String>,
    pub tally: Tally,
}

/// How a member's report counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report<'a> {
    Done(&'a Outcome),
    Skipped,
    Refused,
}

impl Batch {
    pub fn new(label: impl Into<String>, op: Op, services: &[String], now_ms: i64) -> Batch {
        Batch {
            label: label.into(),
            op,
            started_ms: now_ms,
            pending: services.iter().cloned().collect(),
            tally: Tally::default(),
        }
    }

    /// Counts a member's report; false when `service` is not a pending member.
    pub fn record(&mut self, service: &str, report: Report<'_>) -> bool {
        if !self.pending.remove(service) {
            return false;
        }
        let t = &mut self.tally;
        match report {
            Report::Done(Outcome::Changed(_)) => t.changed += 1,
            Report::Done(Outcome::Unchanged(_)) => t.unchanged += 1,
            Report::Done(Outcome::Failed { error, rolled_back }) => {
                t.failed.push((service.to_string(), error.clone()));
                if *rolled_back {
                    t.rolled_back += 1;
                }
            }
            Report::Done(Outcome::Cancelled(_)) => t.cancelled += 1,
            Report::Skipped => t.skipped += 1,
            Report::Refused => t.refused += 1,
        }
        true
    }

    pub fn finished(&self) -> bool {
        self.pending.is_empty()
    }

    /// Members that reported so far.
    pub fn reported(&self) -> usize {
        let t = &self.tally;
        t.changed + t.unchanged + t.failed.len() + t.cancelled + t.skipped + t.refused
    }

    /// The summary line: `deploy all: 6 deployed, 1 unchanged, 0 failed in 15.5 s`, with rolled
    /// back, cancelled, skipped, refused and busy members named when there are any, and the first
    /// failure's error. Its level is an error when anything failed, a warning when anything was
    /// left undone.
    pub fn summary(&self, now_ms: i64) -> (Level, String) {
        let t = &self.tally;
        let mut parts = vec![format!("{} {}", t.changed, self.op.past())];
        if matches!(self.op, Op::Deploy | Op::Rebuild) || t.unchanged > 0 {
            parts.push(format!("{} unchanged", t.unchanged));
        }
        let mut failed = format!("{} failed", t.failed.len());
        if t.rolled_back > 0 {
            failed.push_str(&format!(" ({} rolled back)", t.rolled_back));
        }
        parts.push(failed);
        for (n, what) in [
            (t.cancelled, "cancelled"),
            (t.skipped, "skipped"),
            (t.refused, "refused"),
            (t.busy, "busy"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        let mut text = format!(
            "{}: {} in {}",
            self.label,
            parts.join(", "),
            fmt::elapsed(now_ms - self.started_ms)
        );
        if let Some((svc, err)) = t.failed.first() {
            text.push_str(&format!("; {svc}: {err}"));
        }
        let level = if !t.failed.is_empty() {
            Level::Error
        } else if t.cancelled + t.skipped + t.refused + t.busy > 0 {
            Level::Warn
        } else {
            Level::Info
        };
        (level, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn summary_counts_every_outcome() {
        let mut b = Batch::new(
            "deploy all",
            Op::Deploy,
            &names(&["a", "b", "c", "d"]),
            1000,
        );
        assert!(b.record("a", Report::Done(&Outcome::Changed("deployed".into()))));
        assert!(!b.record("a", Report::Done(&Outcome::Changed(String::new()))));
        assert!(!b.record("zz", Report::Skipped));
        assert!(b.record("b", Report::Done(&Outcome::Unchanged(String::new()))));
        assert!(!b.finished());
        assert!(b.record(
            "c",
            Report::Done(&Outcome::Failed {
                error: "port 80 in use".into(),
                rolled_back: true
            })
        ));
        assert!(b.record("d", Report::Done(&Outcome::Cancelled(String::new()))));
        assert!(b.finished());
        assert_eq!(b.reported(), 4);
        let (level, text) = b.summary(16_500);
        assert_eq!(level, Level::Error);
        assert_eq!(
            text,
            "deploy all: 1 deployed, 1 unchanged, 1 failed (1 rolled back), 1 cancelled in 15.5 s; \
             c: port 80 in use"
        );
    }

    #[test]
    fn a_clean_batch_is_info_and_other_ops_skip_unchanged() {
        let mut b = Batch::new("stop all", Op::Stop, &names(&["a", "b"]), 0);
        b.record("a", Report::Done(&Outcome::Changed("stopped".into())));
        b.record("b", Report::Done(&Outcome::Changed("stopped".into())));
        assert_eq!(
            b.summary(42),
            (Level::Info, "stop all: 2 stopped, 0 failed in 42 ms".into())
        );
        let mut b = Batch::new("deploy all", Op::Deploy, &names(&["a", "b"]), 0);
        b.tally.busy = 1;
        b.record("a", Report::Skipped);
        b.record("b", Report::Refused);
        let (level, text) = b.summary(2000);
        assert_eq!(level, Level::Warn);
        assert_eq!(
            text,
            "deploy all: 0 deployed, 0 unchanged, 0 failed, 1 skipped, 1 refused, 1 busy in 2.0 s"
        );
    }
}
