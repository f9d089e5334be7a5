//! What the engine worker reports about operations: done (with its [`Outcome`]), refused (another
//! operation holds the service), skipped (an earlier wave failed), scaled. Each clears the
//! service's progress mark, counts into its batch (the batch's summary replaces the per-service
//! messages when its last member reports), and lets a waiting quit go once nothing runs.

use super::nav::{follow_selected, refresh_events};
use super::ops;
use crate::app::inflight::Report;
use crate::app::msg::{Command, Op, Outcome};
use crate::app::state::{Level, State};

pub(super) fn on_done(
    state: &mut State,
    service: String,
    op: Op,
    outcome: Outcome,
    cmds: &mut Vec<Command>,
) {
    state.progress.remove(&service);
    let at = state.now_ms;
    let (level, line) = match &outcome {
        Outcome::Failed { error, rolled_back } => {
            if let Some(rt) = state.runtime.get_mut(&service) {
                rt.error = Some(error.clone());
            }
            let kept = if *rolled_back {
                " (rolled back: the previous version keeps running)"
            } else {
                ""
            };
            state.note(&service, format!("{} failed: {error}{kept}", op.as_str()));
            (
                Level::Error,
                format!("{} {service} failed: {error}{kept}", op.as_str()),
            )
        }
        Outcome::Cancelled(text) => {
            let line = if text.is_empty() {
                format!("{service}: {} cancelled", op.as_str())
            } else {
                format!("{service}: {} cancelled: {text}", op.as_str())
            };
            state.note(&service, line.clone());
            (Level::Warn, line)
        }
        Outcome::Changed(text) | Outcome::Unchanged(text) => {
            if matches!(op, Op::Deploy | Op::Rebuild)
                && let Some(rt) = state.runtime.get_mut(&service)
            {
                rt.drifted = false;
            }
            if matches!(outcome, Outcome::Changed(_))
                && matches!(op, Op::Deploy | Op::Rebuild | Op::Start | Op::Restart)
            {
                // new replicas: their health start period runs from now
                state.started.insert(service.clone(), at);
            }
            let line = if text.is_empty() {
                format!("{service}: {} done", op.as_str())
            } else {
                format!("{service}: {text}")
            };
            state.note(&service, line.clone());
            (Level::Info, line)
        }
    };
    report(state, &service, Report::Done(&outcome), level, line);
    if op == Op::Remove {
        state.following.remove(&service);
        state.started.remove(&service);
    }
    refresh_events(state, &service, cmds);
    follow_selected(state, cmds);
    // its folder changed while it ran: auto-deploy rebuilds it now
    if state.auto_rebuild.remove(&service)
        && state.auto_deploy
        && !state.readonly
        && state.engine_connected()
        && state.leaving.is_none()
        && op != Op::Remove
    {
        ops::auto_rebuild(state, vec![service], cmds);
    }
    after_report(state, cmds);
}

pub(super) fn on_refused(
    state: &mut State,
    service: String,
    op: Op,
    reason: String,
    cmds: &mut Vec<Command>,
) {
    state.progress.remove(&service);
    let line = format!("{} {service} refused: {reason}", op.as_str());
    state.note(&service, line.clone());
    report(state, &service, Report::Refused, Level::Warn, line);
    after_report(state, cmds);
}

pub(super) fn on_skipped(
    state: &mut State,
    service: String,
    op: Op,
    cause: String,
    cmds: &mut Vec<Command>,
) {
    state.progress.remove(&service);
    state.note(
        &service,
        format!("{}: not done, {cause} failed first", op.as_str()),
    );
    // the status line keeps naming the failure, not the services it kept from running
    count(state, &service, Report::Skipped);
    state.dirty = true;
    after_report(state, cmds);
}

pub(super) fn on_scaled(
    state: &mut State,
    service: String,
    replicas: u32,
    result: Result<(), String>,
    cmds: &mut Vec<Command>,
) {
    state.progress.remove(&service);
    match result {
        Ok(()) => {
            if replicas > 0 {
                state.started.insert(service.clone(), state.now_ms);
            }
            state.info(format!("{service} scaled to {replicas}"));
        }
        Err(e) => state.error(format!("scale {service} to {replicas} failed: {e}")),
    }
    state.dirty = true;
    refresh_events(state, &service, cmds);
    after_report(state, cmds);
}

/// Counts a member's report into its batch, and says what happened: the batch's progress or
/// summary for a member, `line` otherwise. A failure inside a running batch shows at once and
/// stays until the summary.
fn report(state: &mut State, service: &str, r: Report<'_>, level: Level, line: String) {
    state.dirty = true;
    let Some(i) = count(state, service, r) else {
        state.status = Some((level, line));
        return;
    };
    let batch = &state.batches[i];
    if batch.finished() {
        let summary = batch.summary(state.now_ms);
        state.batches.remove(i);
        state.status = Some(summary);
    } else if level == Level::Error {
        state.status = Some((level, line));
    } else if !matches!(state.status, Some((Level::Error, _))) {
        let total = batch.reported() + batch.pending.len();
        let text = format!(
            "{}: {} of {total} done · {line}",
            batch.label,
            batch.reported()
        );
        state.info(text);
    }
}

/// Counts into the batch `service` belongs to; its index. A finished batch is summed up (and
/// removed) here when its last report is a skip, which says nothing itself.
fn count(state: &mut State, service: &str, r: Report<'_>) -> Option<usize> {
    let i = state
        .batches
        .iter_mut()
        .position(|b| b.record(service, r))?;
    if matches!(r, Report::Skipped) && state.batches[i].finished() {
        let summary = state.batches[i].summary(state.now_ms);
        state.batches.remove(i);
        state.status = Some(summary);
        return None;
    }
    Some(i)
}

/// Leaves once nothing runs, when quitting waits for that, or the quit prompt still asks (the
/// user asked to quit, and nothing is left to ask about).
pub(super) fn after_report(state: &mut State, cmds: &mut Vec<Command>) {
    if state.leaving.is_some() && state.progress.is_empty() {
        ops::leave(state, cmds);
    }
}

/// The engine went away: whatever was in flight is interrupted, and no batch will finish.
pub(super) fn on_engine_lost(state: &mut State, cmds: &mut Vec<Command>) {
    for (svc, p) in std::mem::take(&mut state.progress) {
        state.note(&svc, format!("{} interrupted: engine lost", p.job.name()));
    }
    state.batches.clear();
    after_report(state, cmds);
}
