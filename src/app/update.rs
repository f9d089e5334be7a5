//! `update(&mut State, Msg) -> Vec<Command>`: the only place the cockpit state changes. Synchronous,
//! no I/O: work for the outside world is returned as commands. One file per message family:
//! - [`keys`]: key presses and the modes that take them first (dialogs, palette, typed input);
//! - [`actions`]: what an [`Invocation`] (from a key or a palette line) does;
//! - [`ops`]: starting lifecycle operations (one per service at a time), cancelling, quitting;
//! - [`reports`]: how operations end: outcomes, refusals, batch summaries;
//! - [`nav`]: selection, panes, tabs, scrolling;
//! - [`mouse`]: clicks and the wheel, mapped with the layout geometry;
//! - [`detect`]: detection results, file changes, drift;
//! - [`engine`]: what the engine worker reports.

use super::fmt;
use super::msg::{Command, Msg, ServiceState};
use super::state::State;

mod actions;
mod detect;
mod engine;
mod keys;
mod mouse;
mod nav;
mod ops;
mod reports;

pub use super::action::Invocation;
pub use actions::apply;
pub use detect::detection_changes;
pub use nav::select_service;

/// The commands to run when the cockpit starts.
pub fn init(state: &mut State) -> Vec<Command> {
    let mut cmds = Vec::new();
    detect::request_detect(state, None, &mut cmds);
    cmds
}

/// Applies one message.
pub fn update(state: &mut State, msg: Msg) -> Vec<Command> {
    let mut cmds = Vec::new();
    match msg {
        Msg::Key(key) => keys::on_key(state, key, &mut cmds),
        Msg::Mouse(m) => mouse::on_mouse(state, m, &mut cmds),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            state.dirty = true;
        }
        Msg::Tick(now) => on_tick(state, now, &mut cmds),
        Msg::Signal(signal) => {
            state.status = None;
            state.quit = true;
            state.exit_signal = Some(signal);
            tracing::info!("leaving on {}", signal.name());
            cmds.push(Command::Quit);
        }
        Msg::Detected {
            topology,
            folders,
            changed,
        } => detect::on_detected(state, *topology, folders, changed, &mut cmds),
        Msg::DetectFailed(e) => detect::on_failed(state, e, &mut cmds),
        Msg::FsChanged(folders) => detect::on_fs_changed(state, folders, &mut cmds),
        Msg::Engine(e) => engine::on_engine(state, e, &mut cmds),
        Msg::Events { service, result } => nav::on_events(state, service, result, &mut cmds),
        Msg::Plan { service, result } => {
            state.plans.insert(service, result);
            state.dirty = true;
        }
        Msg::AutoDeployLoaded(on) => {
            state.auto_deploy = on;
            state.dirty = true;
        }
        Msg::Info(text) => {
            state.info(text);
            state.dirty = true;
        }
        Msg::Error(text) => {
            state.error(text);
            state.dirty = true;
        }
    }
    cmds
}

/// The clock moved on: redraw only when a shown uptime changes (every second for the first minute,
/// then every minute...), a health start period ends, or an operation is in progress; reload the Events tab now and then while
/// it is shown, so events other kyozo processes write appear.
fn on_tick(state: &mut State, now: i64, cmds: &mut Vec<Command>) {
    let before = state.drawn_ms;
    state.now_ms = now;
    let uptime_moved = state.runtime.values().any(|rt| {
        rt.status == ServiceState::Running
            && rt.started_at_ms.is_some_and(|t| {
                fmt::duration_s((before - t) / 1000) != fmt::duration_s((now - t) / 1000)
            })
    });
    // a start period that ended turns a `start` health into `bad`
    let period_ended = state.services().iter().any(|s| {
        state.started_ms(&s.name).is_some_and(|t| {
            let end = t + state.start_period_ms(&s.name);
            before < end && end <= now
        })
    });
    if !state.progress.is_empty() || uptime_moved || period_ended {
        state.dirty = true;
    }
    nav::refresh_events_if_due(state, cmds);
}

#[cfg(test)]
mod tests;
