//! Starting lifecycle operations, at most one per service at a time: a request for a service with
//! an operation in flight is refused with the name of the running one (deploy-all leaves those
//! services out and says so), as the engine worker refuses one that another kyozo process holds.
//! Also cancelling, and quitting while operations run. Their reports are in [`super::reports`].

use super::reports;
use crate::app::action::{Action, Args};
use crate::app::dialog::{ConfirmAction, Leaving};
use crate::app::inflight::{Batch, InFlight, Job};
use crate::app::msg::{Command, Op, ServiceState};
use crate::app::state::{EngineConn, State};

/// Deployable services in deployment order (then the rest by name).
pub(super) fn deployable_names(state: &State) -> Vec<String> {
    let Some(t) = state.topology.as_ref() else {
        return Vec::new();
    };
    let deployable = |n: &str| t.service(n).is_some_and(|s| s.deployable);
    let mut out: Vec<String> = Vec::new();
    for n in t.deployment_order.iter().flatten() {
        if deployable(n) && !out.contains(n) {
            out.push(n.clone());
        }
    }
    for s in &t.services {
        if s.deployable && !out.contains(&s.name) {
            out.push(s.name.clone());
        }
    }
    out
}

pub(super) fn is_deployed(state: &State, name: &str) -> bool {
    state
        .runtime
        .get(name)
        .is_some_and(|r| r.status != ServiceState::Deployable || !r.containers.is_empty())
}

pub(super) fn require_engine(state: &mut State, what: &str) -> bool {
    match &state.engine {
        EngineConn::Connected { .. } => true,
        EngineConn::Unreachable { reason, .. } => {
            let msg = format!("cannot {what}: engine unreachable ({reason})");
            state.error(msg);
            false
        }
        EngineConn::Connecting => {
            state.error(format!("cannot {what}: not connected to the engine yet"));
            false
        }
    }
}

/// Why `name` cannot take another operation now: `api: deploy running (building…)`.
fn busy(state: &State, name: &str) -> Option<String> {
    state
        .progress
        .get(name)
        .map(|p| format!("{name}: {} running", p.describe()))
}

/// The hint that follows a refusal because of a running operation.
fn cancel_hint(state: &State) -> String {
    if state.readonly {
        String::new()
    } else {
        format!(" ({} cancels)", state.keymap.label(Action::Cancel))
    }
}

/// Splits `services` into those without an operation in flight and the refusals of the others.
fn split_busy(state: &State, services: Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut free = Vec::new();
    let mut refused = Vec::new();
    for s in services {
        match busy(state, &s) {
            Some(why) => refused.push(why),
            None => free.push(s),
        }
    }
    (free, refused)
}

/// Deploy / start / stop / restart / remove / rebuild on `targets`.
pub(super) fn lifecycle(state: &mut State, op: Op, targets: Vec<String>, cmds: &mut Vec<Command>) {
    if targets.is_empty() {
        state.warn(format!("{}: select a service first", op.as_str()));
        return;
    }
    let mut ok = Vec::new();
    let mut refused = Vec::new();
    let mut busy_refused = false;
    for name in targets {
        let Some(svc) = state.service(&name) else {
            refused.push(format!("{name}: unknown"));
            continue;
        };
        if !svc.deployable {
            let why = match &svc.stack {
                Some(stack) => format!("{name}: deployed through stack {stack}"),
                None => format!("{name}: {} is shown, never deployed", svc.kind),
            };
            refused.push(why);
            continue;
        }
        if let Some(why) = busy(state, &name) {
            refused.push(why);
            busy_refused = true;
            continue;
        }
        let deployed = is_deployed(state, &name);
        match op {
            Op::Start | Op::Stop | Op::Restart | Op::Remove if !deployed => {
                refused.push(format!(
                    "{name}: not deployed (press {} to deploy)",
                    state.keymap.label(Action::Deploy)
                ));
                continue;
            }
            _ => {}
        }
        ok.push(name);
    }
    if !refused.is_empty() {
        let hint = if busy_refused {
            cancel_hint(state)
        } else {
            String::new()
        };
        state.warn(format!("{}{hint}", refused.join("; ")));
    }
    if ok.is_empty() {
        return;
    }
    if !require_engine(state, op.as_str()) {
        return;
    }
    state.marks.clear();
    if op == Op::Remove {
        state.confirm = Some(ConfirmAction::Remove(ok));
        return;
    }
    let label = (ok.len() > 1).then(|| format!("{} {} services", op.as_str(), ok.len()));
    dispatch(state, op, ok, label, 0, cmds);
}

/// Deploys every deployable service in dependency order, leaving out those with an operation in
/// flight (the status line names them).
pub(super) fn deploy_all(state: &mut State, cmds: &mut Vec<Command>) {
    let all = deployable_names(state);
    if all.is_empty() {
        state.info("no deployable service");
        return;
    }
    if !require_engine(state, "deploy all") {
        return;
    }
    let (free, refused) = split_busy(state, all);
    if free.is_empty() {
        state.warn(format!(
            "deploy all: nothing to start, every service has an operation running ({})",
            refused.join("; ")
        ));
        return;
    }
    let n = free.len();
    let busy = refused.len();
    dispatch(
        state,
        Op::Deploy,
        free,
        Some("deploy all".into()),
        busy,
        cmds,
    );
    if refused.is_empty() {
        state.info(format!("deploying {n} services in dependency order"));
    } else {
        state.warn(format!(
            "deploying {n} services in dependency order; left out {}",
            refused.join("; ")
        ));
    }
}

/// Asks to stop every running service.
pub(super) fn stop_all(state: &mut State) {
    let running: Vec<String> = state
        .services()
        .iter()
        .filter(|s| state.status_of(&s.name) == ServiceState::Running)
        .map(|s| s.name.clone())
        .collect();
    if running.is_empty() {
        state.info("nothing is running");
    } else if require_engine(state, "stop all") {
        state.confirm = Some(ConfirmAction::StopAll(running));
    }
}

/// Asks to remove every deployed service (`:down`).
pub(super) fn remove_all(state: &mut State) {
    let deployed: Vec<String> = deployable_names(state)
        .into_iter()
        .filter(|n| is_deployed(state, n))
        .collect();
    if deployed.is_empty() {
        state.info("nothing is deployed");
    } else if require_engine(state, "remove") {
        state.confirm = Some(ConfirmAction::RemoveAll(deployed));
    }
}

/// A confirmed destructive action; services that took an operation meanwhile are left out.
pub(super) fn confirmed(state: &mut State, action: ConfirmAction, cmds: &mut Vec<Command>) {
    if state.readonly {
        return;
    }
    let (op, services, label) = match action {
        ConfirmAction::Remove(s) => (Op::Remove, s, None),
        ConfirmAction::RemoveAll(s) => (Op::Remove, s, Some("remove all")),
        ConfirmAction::StopAll(s) => (Op::Stop, s, Some("stop all")),
    };
    let (free, refused) = split_busy(state, services);
    if !refused.is_empty() {
        state.warn(format!("left out {}", refused.join("; ")));
    }
    if free.is_empty() {
        return;
    }
    let label = label
        .map(str::to_string)
        .or_else(|| (free.len() > 1).then(|| format!("{} {} services", op.as_str(), free.len())));
    let busy = refused.len();
    dispatch(state, op, free, label, busy, cmds);
}

/// Marks the services busy and sends the operation; a `label` makes a batch whose outcomes are
/// summed up when the last one reports.
fn dispatch(
    state: &mut State,
    op: Op,
    services: Vec<String>,
    label: Option<String>,
    busy: usize,
    cmds: &mut Vec<Command>,
) {
    let step = op.queued(services.len());
    let now = state.now_ms;
    for s in &services {
        state
            .progress
            .insert(s.clone(), InFlight::new(Job::Op(op), step, now));
        state.note(s, format!("{} requested", op.as_str()));
    }
    if let Some(label) = label {
        let mut batch = Batch::new(label, op, &services, now);
        batch.tally.busy = busy;
        state.batches.push(batch);
    }
    if state.status.is_none() {
        state.info(format!("{} {}", op.progress(), services.join(", ")));
    }
    cmds.push(Command::Engine { op, services });
}

/// Rebuilds drifted services (auto-deploy). Those with an operation in flight are rebuilt when it
/// ends (it may have built the content from before the change).
pub(super) fn auto_rebuild(state: &mut State, services: Vec<String>, cmds: &mut Vec<Command>) {
    let (free, busy): (Vec<String>, Vec<String>) = services
        .into_iter()
        .partition(|s| !state.progress.contains_key(s));
    state.auto_rebuild.extend(busy);
    if free.is_empty() {
        return;
    }
    for s in &free {
        state.note(s, "folder changed: auto-deploy rebuilds and replaces");
    }
    state.info(format!("auto-deploy: rebuilding {}", free.join(", ")));
    let label = (free.len() > 1).then(|| format!("auto-deploy of {} services", free.len()));
    dispatch(state, Op::Rebuild, free, label, 0, cmds);
}

/// Sets the replica count: 0 stops the service (it stays deployed); otherwise the count stays
/// within the service's scaling limits.
pub(super) fn scale_to(state: &mut State, svc: &str, want: u32, cmds: &mut Vec<Command>) {
    let Some(service) = state.service(svc) else {
        state.error(format!("unknown service: {svc}"));
        return;
    };
    let limits = service.scaling;
    if !crate::app::query::can_scale(service) {
        let why = if service.kind == crate::detect::ServiceType::ComposeStack {
            "is a compose stack: set its members' replicas in its compose file"
        } else {
            "is not deployed by kyozo, so it does not scale"
        };
        state.warn(format!("{svc} {why}"));
        return;
    }
    if !is_deployed(state, svc) {
        state.warn(format!(
            "{svc} is not deployed (press {} to deploy)",
            state.keymap.label(Action::Deploy)
        ));
        return;
    }
    if want != 0 && !(limits.min..=limits.max).contains(&want) {
        state.warn(format!(
            "{svc}: replicas stay between {} and {} (its scaling limits), or 0 to stop it; asked {want}",
            limits.min, limits.max
        ));
        return;
    }
    if let Some(why) = busy(state, svc) {
        let hint = cancel_hint(state);
        state.warn(format!("{why}{hint}"));
        return;
    }
    if !require_engine(state, "scale") {
        return;
    }
    let now = state.now_ms;
    state.progress.insert(
        svc.to_string(),
        InFlight::new(Job::Scale { to: want }, format!("scaling to {want}…"), now),
    );
    state.info(format!("scaling {svc} to {want}"));
    cmds.push(Command::Scale {
        service: svc.to_string(),
        replicas: want,
    });
}

/// Cancels operations in flight: of the named services, of all (`:cancel all`), or of the marked
/// or selected ones. Each stops at its next safe point and reports `cancelled`.
pub(super) fn cancel(state: &mut State, args: &Args, cmds: &mut Vec<Command>) {
    let all = *args == Args::All;
    let names: Vec<String> = match args {
        Args::All => state.progress.keys().cloned().collect(),
        Args::Services(v) => v.clone(),
        _ => state.targets(),
    };
    if !all && names.is_empty() {
        state.warn("cancel: select a service first");
        return;
    }
    let (todo, already): (Vec<String>, Vec<String>) = names
        .into_iter()
        .filter(|n| state.progress.contains_key(n))
        .partition(|n| state.progress.get(n).is_some_and(|p| !p.cancelling));
    if todo.is_empty() {
        if !already.is_empty() {
            state.info(format!("already cancelling {}", already.join(", ")));
        } else if all || state.progress.is_empty() {
            state.info("nothing to cancel: no operation is running");
        } else {
            let t = state.targets().join(", ");
            state.info(format!("nothing to cancel: no operation running on {t}"));
        }
        return;
    }
    let mut what = Vec::new();
    for n in &todo {
        if let Some(p) = state.progress.get_mut(n) {
            what.push(format!("{} of {n}", p.job.name()));
            p.cancelling = true;
            p.step = "cancelling…".into();
        }
        state.note(n, "cancel requested");
    }
    state.info(format!(
        "cancelling {}: stops at the next safe point and restores the previous state",
        what.join(", ")
    ));
    cmds.push(Command::Cancel {
        services: if all { Vec::new() } else { todo },
    });
}

/// Quit: at once when nothing runs; otherwise the prompt asks (a second ctrl-c, or quit while
/// waiting, leaves at once).
pub(super) fn request_quit(state: &mut State, force: bool, cmds: &mut Vec<Command>) {
    if state.progress.is_empty() {
        leave(state, cmds);
        return;
    }
    match state.leaving {
        Some(Leaving::Asking) if force => leave(state, cmds),
        Some(Leaving::Waiting | Leaving::Cancelling) => leave(state, cmds),
        _ => {
            state.leaving = Some(Leaving::Asking);
            state.help = false;
            state.palette = None;
            state.input = None;
        }
    }
}

/// Leaves now, whatever runs.
pub(super) fn leave(state: &mut State, cmds: &mut Vec<Command>) {
    if !state.progress.is_empty() {
        tracing::warn!(
            "leaving with {} operations in flight: {}",
            state.progress.len(),
            state
                .progress
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    state.leaving = None;
    state.quit = true;
    cmds.push(Command::Quit);
}

/// Leaves once every operation has reported (at once when they all did meanwhile).
pub(super) fn leave_when_done(state: &mut State, cmds: &mut Vec<Command>) {
    state.leaving = Some(Leaving::Waiting);
    state.status = None;
    reports::after_report(state, cmds);
}

/// Cancels every operation and leaves once each has reported.
pub(super) fn cancel_all_and_leave(state: &mut State, cmds: &mut Vec<Command>) {
    cancel(state, &Args::All, cmds);
    state.leaving = Some(Leaving::Cancelling);
    state.status = None;
    reports::after_report(state, cmds);
}
