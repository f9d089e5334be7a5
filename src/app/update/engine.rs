//! What the engine worker reports: the connection, status snapshots, stats, log lines and the
//! steps of running operations. Their ends (done, refused, skipped, scaled) are in
//! [`super::reports`].

use std::collections::BTreeMap;

use super::nav::{follow_selected, refresh_events};
use super::reports;
use crate::app::fmt;
use crate::app::msg::{Command, EngineMsg, ServiceRuntime, ServiceState};
use crate::app::state::{EngineConn, State};
use crate::app::view::Tab;

pub(super) fn on_engine(state: &mut State, msg: EngineMsg, cmds: &mut Vec<Command>) {
    match msg {
        EngineMsg::Connected { endpoint } => {
            state.engine = EngineConn::Connected { endpoint };
            state.dirty = true;
            follow_selected(state, cmds);
        }
        EngineMsg::Unreachable { endpoint, reason } => {
            let changed = !matches!(&state.engine, EngineConn::Unreachable { endpoint: e, reason: r } if *e == endpoint && *r == reason);
            state.engine = EngineConn::Unreachable { endpoint, reason };
            state.following.clear();
            let busy = !state.progress.is_empty();
            reports::on_engine_lost(state, cmds);
            state.dirty |= changed || busy;
        }
        EngineMsg::Snapshot(map) => on_snapshot(state, map, cmds),
        EngineMsg::Stats {
            service,
            cpu_percent,
            memory_bytes,
        } => {
            if let Some(rt) = state.runtime.get_mut(&service) {
                // a sample that shows as before (`0.1%`, `12M`) costs no redraw
                let shown = |c: Option<f64>, m: Option<u64>| (c.map(fmt::cpu), m.map(fmt::mem));
                let was = shown(rt.cpu_percent, rt.memory_bytes);
                rt.cpu_percent = Some(cpu_percent);
                rt.memory_bytes = Some(memory_bytes);
                if shown(rt.cpu_percent, rt.memory_bytes) != was {
                    state.dirty = true;
                }
            }
        }
        EngineMsg::Logs { service, lines } => {
            let n = lines.len();
            let buf = state.log_buffer(&service);
            for l in lines {
                buf.push(l);
            }
            if state.selected.as_deref() == Some(service.as_str()) {
                if !state.log_view.follow {
                    // keep the view on the same lines while new ones arrive below
                    let len = state.logs.get(&service).map(|b| b.len()).unwrap_or(0);
                    state.log_view.scroll = (state.log_view.scroll + n).min(len.saturating_sub(1));
                }
                if state.tab == Tab::Logs {
                    state.dirty = true;
                }
            }
        }
        EngineMsg::LogsDropped { service, count } => {
            state.log_buffer(&service).count_dropped(count);
            if state.selected.as_deref() == Some(service.as_str()) {
                state.dirty = true;
            }
        }
        EngineMsg::LogsEnded { service } => {
            state.following.remove(&service);
        }
        EngineMsg::Progress { service, text } => {
            if let Some(p) = state.progress.get_mut(&service)
                && !p.cancelling
            {
                p.step = text;
                state.dirty = true;
            }
        }
        EngineMsg::Done {
            service,
            op,
            outcome,
        } => reports::on_done(state, service, op, outcome, cmds),
        EngineMsg::Refused {
            service,
            op,
            reason,
        } => reports::on_refused(state, service, op, reason, cmds),
        EngineMsg::Skipped { service, op, cause } => {
            reports::on_skipped(state, service, op, cause, cmds)
        }
        EngineMsg::Scaled {
            service,
            replicas,
            result,
        } => reports::on_scaled(state, service, replicas, result, cmds),
    }
}

/// A new status of every service. Figures the snapshot lacks keep their last sample; followers
/// whose containers changed start again; replicas that started since the last snapshot begin
/// their health start period. Engine events (other kyozo processes' deploys too) come as
/// snapshots, so a shown Events tab reloads.
fn on_snapshot(state: &mut State, map: BTreeMap<String, ServiceRuntime>, cmds: &mut Vec<Command>) {
    let old = std::mem::replace(&mut state.runtime, map);
    // A follower streams the containers it started with: follow again when they changed.
    let changed: Vec<String> = state
        .following
        .iter()
        .filter(|s| {
            old.get(*s).map(|r| &r.containers) != state.runtime.get(*s).map(|r| &r.containers)
        })
        .cloned()
        .collect();
    for s in changed {
        state.following.remove(&s);
    }
    let now = state.now_ms;
    for (name, rt) in &mut state.runtime {
        let before = old.get(name);
        if rt.status == ServiceState::Running
            && before.is_none_or(|o| o.status != ServiceState::Running || rt.running > o.running)
        {
            state.started.insert(name.clone(), now);
        }
        if let Some(o) = before {
            rt.drifted |= o.drifted;
            if rt.cpu_percent.is_none() {
                rt.cpu_percent = o.cpu_percent;
            }
            if rt.memory_bytes.is_none() {
                rt.memory_bytes = o.memory_bytes;
            }
        }
        if rt.status != ServiceState::Running {
            rt.cpu_percent = None;
            rt.memory_bytes = None;
        }
    }
    // the first snapshot after connecting sees what ran before: no start period from it
    if old.is_empty() {
        for (name, rt) in &state.runtime {
            if rt
                .started_at_ms
                .is_some_and(|t| now - t >= state.start_period_ms(name))
            {
                state.started.remove(name);
            }
        }
    }
    state.dirty = true;
    follow_selected(state, cmds);
    if let Some(s) = state.selected.clone() {
        refresh_events(state, &s, cmds);
    }
}
