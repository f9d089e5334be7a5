//! Progress of operations: the steps, the messages a caller receives as things happen, and the
//! per-service context an operation reports through (progress, its lease's step, its cancel
//! token).

use std::time::Instant;

use serde::Serialize;
use tokio::sync::mpsc;

use super::cancel::Cancel;
use super::lock::Lease;

/// A deploy step, for progress messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Plan,
    Build,
    Create,
    Start,
    Wait,
    Stop,
    Remove,
    Compose,
    Rollback,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Plan => "plan",
            Step::Build => "build",
            Step::Create => "create",
            Step::Start => "start",
            Step::Wait => "wait",
            Step::Stop => "stop",
            Step::Remove => "remove",
            Step::Compose => "compose",
            Step::Rollback => "rollback",
        }
    }

    /// The label of a service while the step runs (`building…`).
    pub fn label(self) -> &'static str {
        match self {
            Step::Plan => "planning…",
            Step::Build => "building…",
            Step::Create => "creating…",
            Step::Start => "starting…",
            Step::Wait => "waiting…",
            Step::Stop => "stopping…",
            Step::Remove => "removing…",
            Step::Compose => "composing…",
            Step::Rollback => "rolling back…",
        }
    }
}

/// Progress of a long operation, in the order things happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A wave begins (0-based index).
    Wave { index: usize, services: Vec<String> },
    StepStarted {
        service: String,
        step: Step,
        detail: String,
    },
    StepFinished {
        service: String,
        step: Step,
        ms: u64,
    },
    /// One line of build (or compose) output.
    Output { service: String, line: String },
    /// The image with this content hash exists already.
    Cached { service: String, image: String },
    /// Deployed content and replica count already match: nothing to do.
    Unchanged { service: String },
    /// The service is deployed and ready.
    Done { service: String, ms: u64 },
    /// The service failed, with the engine's message. `rolled_back`: what ran before keeps
    /// running.
    Failed {
        service: String,
        error: String,
        rolled_back: bool,
    },
    /// The operation was cancelled for this service; what ran before runs again.
    Cancelled { service: String, detail: String },
    /// Another operation holds the service: not touched (`reason` names the running one).
    Refused { service: String, reason: String },
}

/// Milliseconds since `t`.
pub(crate) fn elapsed_ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// Runs `work` while handing every progress message it sends to `progress`, as it comes; returns
/// once the work is done and every message is handed on.
pub(crate) async fn forward<T>(
    work: impl std::future::Future<Output = T>,
    mut rx: mpsc::UnboundedReceiver<Progress>,
    progress: &mut (impl FnMut(Progress) + Send),
) -> T {
    tokio::pin!(work);
    let mut results = None;
    let mut open = true;
    loop {
        tokio::select! {
            r = &mut work, if results.is_none() => results = Some(r),
            p = rx.recv(), if open => match p {
                Some(p) => progress(p),
                None => open = false,
            },
        }
        if !open && let Some(r) = results.take() {
            return r;
        }
    }
}

/// The context of one operation on one service: where its progress goes, the lease that holds
/// the service (its step is shown to other processes), and its cancel token.
pub struct OpCx {
    pub service: String,
    tx: mpsc::UnboundedSender<Progress>,
    lease: std::sync::Mutex<Option<Lease>>,
    pub cancel: Cancel,
    pub started: Instant,
}

impl OpCx {
    pub(crate) fn new(
        service: &str,
        tx: mpsc::UnboundedSender<Progress>,
        lease: Option<Lease>,
        cancel: Cancel,
    ) -> OpCx {
        OpCx {
            service: service.to_string(),
            tx,
            lease: std::sync::Mutex::new(lease),
            cancel,
            started: Instant::now(),
        }
    }

    pub(crate) fn send(&self, p: Progress) {
        let _ = self.tx.send(p);
    }

    /// A step begins: progress, and the lease shows it.
    pub(crate) fn step(&self, step: Step, detail: impl Into<String>) {
        self.with_lease(|l| l.set_step(step.label()));
        self.send(Progress::StepStarted {
            service: self.service.clone(),
            step,
            detail: detail.into(),
        });
    }

    pub(crate) fn finished(&self, step: Step, since: Instant) {
        self.send(Progress::StepFinished {
            service: self.service.clone(),
            step,
            ms: elapsed_ms(since),
        });
    }

    pub(crate) fn output(&self, line: impl Into<String>) {
        self.send(Progress::Output {
            service: self.service.clone(),
            line: line.into(),
        });
    }

    /// Records in the journal which containers ran before, so that an interrupted operation can
    /// be repaired.
    pub(crate) fn journal_previous(&self, ids: Vec<String>) {
        self.with_lease(|l| l.set_previous(ids));
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    fn with_lease(&self, f: impl FnOnce(&mut Lease)) {
        if let Some(l) = self
            .lease
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            f(l);
        }
    }
}
