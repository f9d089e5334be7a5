//! `update(&mut State, Msg) -> Vec<Command>`: the only place the cockpit state changes. Synchronous,
//! no I/O: work for the outside world is returned as commands.

use std::collections::BTreeSet;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use ratatui::layout::Position;

use super::fmt;
use super::keymap::Action;
use super::logs::LogLine;
use super::msg::{Command, EngineMsg, Msg, Op, Outcome, ServiceState};
use super::palette::{self, ArgKind};
use super::state::{ConfirmAction, EngineConn, InputKind, Palette, Pane, SortColumn, State, Tab};
use super::tree::TreeNode;

/// Scaling bounds (the seed's defaults: min 1, max 3).
pub const SCALE_MIN: u32 = 1;
pub const SCALE_MAX: u32 = 3;

/// The commands to run when the cockpit starts.
pub fn init(state: &mut State) -> Vec<Command> {
    let mut cmds = Vec::new();
    request_detect(state, None, &mut cmds);
    cmds
}

/// Applies one message.
pub fn update(state: &mut State, msg: Msg) -> Vec<Command> {
    let mut cmds = Vec::new();
    match msg {
        Msg::Key(key) => {
            if key.kind == KeyEventKind::Press || key.kind == KeyEventKind::Repeat {
                state.dirty = true;
                on_key(state, key, &mut cmds);
            }
        }
        Msg::Mouse(m) => on_mouse(state, m, &mut cmds),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            state.dirty = true;
        }
        Msg::Tick(now) => {
            let before = state.now_ms;
            state.now_ms = now;
            // redraw only when a shown uptime moves on (every second for the first minute, then
            // every minute...) or an operation is in progress
            let uptime_moved = state.runtime.values().any(|rt| {
                rt.status == ServiceState::Running
                    && rt.started_at_ms.is_some_and(|t| {
                        fmt::duration_s((before - t) / 1000) != fmt::duration_s((now - t) / 1000)
                    })
            });
            if !state.progress.is_empty() || uptime_moved {
                state.dirty = true;
            }
        }
        Msg::Signal(name) => {
            state.status = None;
            state.quit = true;
            tracing::info!("leaving on {name}");
            cmds.push(Command::Quit);
        }
        Msg::Detected {
            topology,
            folders,
            changed,
        } => on_detected(state, *topology, folders, changed, &mut cmds),
        Msg::DetectFailed(e) => {
            state.detect_job.running = false;
            state.detect_job.in_flight = None;
            state.detect_error = Some(e.clone());
            state.error(format!("detection failed: {e}"));
            state.dirty = true;
            start_pending_detect(state, &mut cmds);
        }
        Msg::FsChanged(folders) => on_fs_changed(state, folders, &mut cmds),
        Msg::Engine(e) => on_engine(state, e, &mut cmds),
        Msg::Events { service, result } => {
            if service == state.selected || service.is_none() {
                state.events = Some((service, result));
                state.dirty = true;
            }
        }
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

// ---------------------------------------------------------------------------------------------
// Keys

fn is_force_quit(state: &State, key: &KeyEvent) -> bool {
    state.keymap.action(key) == Some(Action::ForceQuit)
        || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL))
}

fn on_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Command>) {
    if is_force_quit(state, &key) {
        quit(state, cmds);
        return;
    }
    if let Some(confirm) = state.confirm.clone() {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                state.confirm = None;
                confirmed(state, confirm, cmds);
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                state.confirm = None;
                state.info("cancelled");
            }
            _ => {}
        }
        return;
    }
    if state.palette.is_some() {
        palette_key(state, key, cmds);
        return;
    }
    if let Some(kind) = state.input {
        input_key(state, kind, key, cmds);
        return;
    }
    if state.help {
        match state.keymap.action(&key) {
            Some(Action::Up) => state.help_scroll = state.help_scroll.saturating_sub(1),
            Some(Action::Down) => state.help_scroll += 1,
            Some(Action::PageUp) => state.help_scroll = state.help_scroll.saturating_sub(10),
            Some(Action::PageDown) => state.help_scroll += 10,
            Some(Action::Quit) | Some(Action::Help) | Some(Action::Back) => state.help = false,
            _ => {}
        }
        return;
    }
    state.status = None;
    if let Some(action) = state.keymap.action(&key) {
        on_action(state, action, cmds);
    }
}

fn input_key(state: &mut State, kind: InputKind, key: KeyEvent, cmds: &mut Vec<Command>) {
    let text = match kind {
        InputKind::Filter => &mut state.filter,
        InputKind::Search => &mut state.log_view.search,
    };
    match key.code {
        KeyCode::Esc => {
            text.clear();
            state.input = None;
        }
        KeyCode::Enter => state.input = None,
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
        _ => {}
    }
    match kind {
        InputKind::Filter => after_filter_change(state, cmds),
        InputKind::Search => {
            state.log_view.hit = None;
            if !state.log_view.search.is_empty() {
                search(state, true);
            }
        }
    }
}

/// Keeps the selection on a visible row after the filter changed.
fn after_filter_change(state: &mut State, cmds: &mut Vec<Command>) {
    let rows: Vec<String> = state.table_rows().iter().map(|s| s.name.clone()).collect();
    let keep = state.selected.as_ref().is_some_and(|s| rows.contains(s));
    if !keep && let Some(first) = rows.first().cloned() {
        select_service(state, Some(first), cmds);
    }
}

fn palette_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Command>) {
    let services: Vec<String> = state.services().iter().map(|s| s.name.clone()).collect();
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    let readonly = state.readonly;
    let Some(p) = state.palette.as_mut() else {
        return;
    };
    match key.code {
        KeyCode::Esc => {
            state.palette = None;
            return;
        }
        KeyCode::Enter => {
            let line = p.input.trim().to_string();
            state.palette = None;
            if !line.is_empty() {
                run_palette(state, &line, cmds);
            }
            return;
        }
        KeyCode::Tab => {
            if let Some(c) = p.completions.get(p.selected).cloned() {
                p.input = palette::apply_completion(&p.input, &c);
            }
        }
        KeyCode::Up | KeyCode::BackTab => {
            let n = p.completions.len().max(1);
            p.selected = (p.selected + n - 1) % n;
            return;
        }
        KeyCode::Down => {
            let n = p.completions.len().max(1);
            p.selected = (p.selected + 1) % n;
            return;
        }
        KeyCode::Backspace => {
            p.input.pop();
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => p.input.push(c),
        _ => return,
    }
    p.completions = palette::complete(&p.input, &names, readonly);
    p.selected = 0;
}

/// Runs one palette line (`scale api 3`, `deploy api worker`, `quit`).
pub fn run_palette(state: &mut State, line: &str, cmds: &mut Vec<Command>) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some((&name, args)) = words.split_first() else {
        return;
    };
    let Some(spec) = palette::spec(name) else {
        state.error(format!(
            "unknown command `{name}` (press : then tab to list commands)"
        ));
        return;
    };
    if state.readonly && spec.mutating {
        state.warn(format!("read-only: `{name}` is disabled"));
        return;
    }
    let services_arg = |state: &mut State| -> Option<Vec<String>> {
        if args.is_empty() {
            return Some(state.targets());
        }
        let unknown: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| state.service(a).is_none())
            .collect();
        if unknown.is_empty() {
            Some(args.iter().map(|s| s.to_string()).collect())
        } else {
            state.error(format!("unknown service: {}", unknown.join(", ")));
            None
        }
    };
    let on_off = |state: &mut State, current: bool| -> Option<bool> {
        match args.first().copied() {
            None => Some(!current),
            Some("on") | Some("true") => Some(true),
            Some("off") | Some("false") => Some(false),
            Some(other) => {
                state.error(format!("`{name}` takes on or off, not `{other}`"));
                None
            }
        }
    };
    match (name, spec.args) {
        ("deploy", _)
        | ("rebuild", _)
        | ("restart", _)
        | ("start", _)
        | ("stop", _)
        | ("remove", _) => {
            if let Some(targets) = services_arg(state) {
                let op = match name {
                    "deploy" => Op::Deploy,
                    "rebuild" => Op::Rebuild,
                    "restart" => Op::Restart,
                    "start" => Op::Start,
                    "stop" => Op::Stop,
                    _ => Op::Remove,
                };
                lifecycle(state, op, targets, cmds);
            }
        }
        ("scale", ArgKind::ServiceAndCount) => {
            let (Some(svc), Some(n)) = (args.first(), args.get(1)) else {
                state.error("usage: scale SERVICE N");
                return;
            };
            if state.service(svc).is_none() {
                state.error(format!("unknown service: {svc}"));
                return;
            }
            match n.parse::<u32>() {
                Ok(n) => scale_to(state, svc, n, cmds),
                Err(_) => state.error(format!("scale: `{n}` is not a replica count")),
            }
        }
        ("up", _) => on_action(state, Action::DeployAll, cmds),
        ("stop-all", _) => on_action(state, Action::StopAll, cmds),
        ("down", _) => {
            let deployed: Vec<String> = deployable_names(state)
                .into_iter()
                .filter(|n| is_deployed(state, n))
                .collect();
            if deployed.is_empty() {
                state.info("nothing is deployed");
            } else if require_engine(state, "remove") {
                state.confirm = Some(ConfirmAction::Remove(deployed));
            }
        }
        ("auto-deploy", _) => {
            if let Some(on) = on_off(state, state.auto_deploy) {
                set_auto_deploy(state, on, cmds);
            }
        }
        ("mouse", _) => {
            if let Some(on) = on_off(state, state.mouse) {
                state.mouse = on;
                cmds.push(Command::SetMouse(on));
            }
        }
        ("save-logs" | "open" | "logs", _) => {
            if let Some(targets) = services_arg(state) {
                if let Some(first) = targets.first().cloned() {
                    select_service(state, Some(first), cmds);
                }
                match name {
                    "save-logs" => on_action(state, Action::SaveLogs, cmds),
                    "open" => on_action(state, Action::OpenBrowser, cmds),
                    _ => set_tab(state, Tab::Logs, cmds),
                }
            }
        }
        ("filter", _) => {
            state.filter = args.join(" ");
            after_filter_change(state, cmds);
        }
        ("sort", _) => {
            let col = args.first().and_then(|c| SortColumn::from_name(c));
            match col {
                Some(c) => {
                    state.sort = c;
                    state.sort_desc = args.get(1) == Some(&"desc");
                }
                None => state.error(
                    "usage: sort name|type|status|health|replicas|cpu|memory|ports|uptime [desc]",
                ),
            }
        }
        ("tab", _) => {
            let tab = match args.first().map(|s| s.to_ascii_lowercase()).as_deref() {
                Some("logs") => Some(Tab::Logs),
                Some("events") => Some(Tab::Events),
                Some("details") => Some(Tab::Details),
                Some("plan") => Some(Tab::Plan),
                _ => None,
            };
            match tab {
                Some(t) => set_tab(state, t, cmds),
                None => state.error("usage: tab logs|events|details|plan"),
            }
        }
        ("redetect", _) => on_action(state, Action::Redetect, cmds),
        ("help", _) => state.help = true,
        ("quit", _) => quit(state, cmds),
        _ => state.error(format!("`{name}` cannot run here")),
    }
}

fn quit(state: &mut State, cmds: &mut Vec<Command>) {
    state.quit = true;
    cmds.push(Command::Quit);
}

/// Runs a bound action.
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Command>) {
    if state.readonly && action.mutating() {
        state.warn(format!("read-only: {} is disabled", action.name()));
        return;
    }
    match action {
        Action::Quit | Action::ForceQuit => quit(state, cmds),
        Action::Help => {
            state.help = !state.help;
            state.help_scroll = 0;
        }
        Action::Palette => {
            let names: Vec<String> = state.services().iter().map(|s| s.name.clone()).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            state.palette = Some(Palette {
                input: String::new(),
                completions: palette::complete("", &names, state.readonly),
                selected: 0,
            });
        }
        Action::Filter => {
            if state.focus == Pane::Bottom && state.tab == Tab::Logs {
                state.log_view.search.clear();
                state.log_view.hit = None;
                state.input = Some(InputKind::Search);
            } else {
                state.input = Some(InputKind::Filter);
            }
        }
        Action::Back => {
            if state.zoom {
                state.zoom = false;
            } else if !state.filter.is_empty() {
                state.filter.clear();
            } else if !state.log_view.search.is_empty() {
                state.log_view.search.clear();
                state.log_view.hit = None;
            } else if !state.marks.is_empty() {
                state.marks.clear();
            } else if state.focus != Pane::Tree {
                state.focus = Pane::Tree;
            }
        }
        Action::Zoom => state.zoom = !state.zoom,
        Action::NextPane => state.focus = state.focus.next(),
        Action::PrevPane => state.focus = state.focus.prev(),
        Action::Up => move_by(state, -1, cmds),
        Action::Down => move_by(state, 1, cmds),
        Action::PageUp => move_by(state, -(page(state) as i64), cmds),
        Action::PageDown => move_by(state, page(state) as i64, cmds),
        Action::Top => move_by(state, i64::MIN / 2, cmds),
        Action::Bottom => move_by(state, i64::MAX / 2, cmds),
        Action::Left => match state.focus {
            Pane::Tree => tree_left(state, cmds),
            Pane::Bottom => prev_tab(state, cmds),
            Pane::Services => {}
        },
        Action::Right => match state.focus {
            Pane::Tree => {
                if !state.tree_selected.is_empty() {
                    state.tree_opened.insert(state.tree_selected.clone());
                }
            }
            Pane::Bottom => next_tab(state, cmds),
            Pane::Services => {}
        },
        Action::Select => match state.focus {
            Pane::Tree => {
                let sel = state.tree_selected.clone();
                let has_children = state
                    .tree
                    .node_at(&sel)
                    .is_some_and(|n| !n.children.is_empty());
                if has_children && !state.tree_opened.remove(&sel) {
                    state.tree_opened.insert(sel);
                }
            }
            Pane::Services => {
                state.focus = Pane::Bottom;
            }
            Pane::Bottom => {}
        },
        Action::Mark => {
            if let Some(s) = state.selected.clone() {
                if !state.marks.remove(&s) {
                    state.marks.insert(s);
                }
                if state.focus == Pane::Services {
                    move_by(state, 1, cmds);
                }
            }
        }
        Action::SortNext => state.sort = state.sort.next(),
        Action::SortReverse => state.sort_desc = !state.sort_desc,
        Action::NextTab => next_tab(state, cmds),
        Action::PrevTab => prev_tab(state, cmds),
        Action::TabLogs => set_tab(state, Tab::Logs, cmds),
        Action::TabEvents => set_tab(state, Tab::Events, cmds),
        Action::TabDetails => set_tab(state, Tab::Details, cmds),
        Action::TabPlan => set_tab(state, Tab::Plan, cmds),
        Action::SearchNext => search(state, true),
        Action::SearchPrev => search(state, false),
        Action::Follow => {
            state.log_view.follow = !state.log_view.follow;
            if state.log_view.follow {
                state.log_view.scroll = 0;
            }
        }
        Action::Wrap => state.log_view.wrap = !state.log_view.wrap,
        Action::Timestamps => state.log_view.timestamps = !state.log_view.timestamps,
        Action::ToggleMouse => {
            state.mouse = !state.mouse;
            cmds.push(Command::SetMouse(state.mouse));
            state.info(if state.mouse {
                "mouse capture on"
            } else {
                "mouse capture off: select text with the mouse"
            });
        }
        Action::Redetect => {
            request_detect(state, None, cmds);
            state.info("detecting…");
        }
        Action::OpenBrowser => open_browser(state, cmds),
        Action::SaveLogs => save_logs(state, cmds),
        Action::Deploy => lifecycle(state, Op::Deploy, state.targets(), cmds),
        Action::Rebuild => lifecycle(state, Op::Rebuild, state.targets(), cmds),
        Action::Restart => lifecycle(state, Op::Restart, state.targets(), cmds),
        Action::Remove => lifecycle(state, Op::Remove, state.targets(), cmds),
        Action::ToggleStart => {
            let targets = state.targets();
            let (running, other): (Vec<String>, Vec<String>) = targets
                .into_iter()
                .partition(|s| state.status_of(s) == ServiceState::Running);
            if !running.is_empty() {
                lifecycle(state, Op::Stop, running, cmds);
            }
            if !other.is_empty() {
                lifecycle(state, Op::Start, other, cmds);
            }
            if state.targets().is_empty() {
                state.warn("select a service first");
            }
        }
        Action::ScaleUp | Action::ScaleDown => {
            let Some(svc) = state.selected.clone() else {
                state.warn("select a service first");
                return;
            };
            let rt = state.rt(&svc);
            let current = rt.desired.max(rt.running);
            let want = if action == Action::ScaleUp {
                current + 1
            } else {
                current.saturating_sub(1)
            };
            scale_to(state, &svc, want, cmds);
        }
        Action::DeployAll => {
            let all = deployable_names(state);
            if all.is_empty() {
                state.info("no deployable service");
                return;
            }
            if !require_engine(state, "deploy all") {
                return;
            }
            let label = Op::Deploy.queued(all.len());
            for s in &all {
                state
                    .progress
                    .insert(s.clone(), (Op::Deploy, label.to_string()));
            }
            state.info(format!(
                "deploying {} services in dependency order",
                all.len()
            ));
            cmds.push(Command::Engine {
                op: Op::Deploy,
                services: all,
            });
        }
        Action::StopAll => {
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
        Action::AutoDeploy => set_auto_deploy(state, !state.auto_deploy, cmds),
    }
}

fn set_auto_deploy(state: &mut State, on: bool, cmds: &mut Vec<Command>) {
    state.auto_deploy = on;
    cmds.push(Command::SetAutoDeploy(on));
    state.info(if on {
        "auto-deploy on: changed services are rebuilt and replaced"
    } else {
        "auto-deploy off"
    });
}

fn page(state: &State) -> usize {
    (state.size.1 as usize / 3).max(3)
}

/// Deployable services in deployment order (then the rest by name).
fn deployable_names(state: &State) -> Vec<String> {
    let Some(t) = state.topology.as_ref() else {
        return Vec::new();
    };
    let mut out: Vec<String> = t.deployment_order.iter().flatten().cloned().collect();
    for s in &t.services {
        if s.deployable && !out.contains(&s.name) {
            out.push(s.name.clone());
        }
    }
    out
}

fn is_deployed(state: &State, name: &str) -> bool {
    state
        .runtime
        .get(name)
        .is_some_and(|r| r.status != ServiceState::Deployable || !r.containers.is_empty())
}

fn require_engine(state: &mut State, what: &str) -> bool {
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

/// Deploy / start / stop / restart / remove / rebuild on `targets`.
fn lifecycle(state: &mut State, op: Op, targets: Vec<String>, cmds: &mut Vec<Command>) {
    if targets.is_empty() {
        state.warn("select a service first");
        return;
    }
    let mut ok = Vec::new();
    let mut refused = Vec::new();
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
        if state.progress.contains_key(&name) {
            refused.push(format!(
                "{name}: {} already running",
                state.progress[&name].1
            ));
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
        state.warn(refused.join("; "));
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
    dispatch(state, op, ok, cmds);
}

fn dispatch(state: &mut State, op: Op, services: Vec<String>, cmds: &mut Vec<Command>) {
    let label = op.queued(services.len());
    for s in &services {
        state.progress.insert(s.clone(), (op, label.to_string()));
        let at = state.now_ms;
        state.log_buffer(s).push(LogLine::new(
            Some(at),
            "kyozo",
            format!("{} requested", op.as_str()),
        ));
    }
    if state.status.is_none() {
        state.info(format!("{} {}", op.progress(), services.join(", ")));
    }
    cmds.push(Command::Engine { op, services });
}

fn confirmed(state: &mut State, action: ConfirmAction, cmds: &mut Vec<Command>) {
    if state.readonly {
        return;
    }
    match action {
        ConfirmAction::Remove(s) => dispatch(state, Op::Remove, s, cmds),
        ConfirmAction::StopAll(s) => dispatch(state, Op::Stop, s, cmds),
    }
}

fn scale_to(state: &mut State, svc: &str, want: u32, cmds: &mut Vec<Command>) {
    if !is_deployed(state, svc) {
        state.warn(format!(
            "{svc} is not deployed (press {} to deploy)",
            state.keymap.label(Action::Deploy)
        ));
        return;
    }
    if !(SCALE_MIN..=SCALE_MAX).contains(&want) {
        state.warn(format!(
            "{svc}: replicas stay between {SCALE_MIN} and {SCALE_MAX} (asked {want})"
        ));
        return;
    }
    if state.progress.contains_key(svc) {
        state.warn(format!("{svc}: {} already running", state.progress[svc].1));
        return;
    }
    if !require_engine(state, "scale") {
        return;
    }
    state
        .progress
        .insert(svc.to_string(), (Op::Start, format!("scaling to {want}…")));
    state.info(format!("scaling {svc} to {want}"));
    cmds.push(Command::Scale {
        service: svc.to_string(),
        replicas: want,
    });
}

fn open_browser(state: &mut State, cmds: &mut Vec<Command>) {
    let Some(svc) = state.selected.clone() else {
        state.warn("select a service first");
        return;
    };
    let rt = state.rt(&svc);
    let host = rt.ports.iter().find_map(|p| p.host);
    match host {
        Some(port) => cmds.push(Command::OpenUrl {
            url: format!("http://localhost:{port}"),
        }),
        None if rt.status == ServiceState::Running => {
            state.warn(format!("{svc} publishes no port"));
        }
        None => state.warn(format!("{svc} is not running; no port to open")),
    }
}

fn save_logs(state: &mut State, cmds: &mut Vec<Command>) {
    let Some(svc) = state.selected.clone() else {
        state.warn("select a service first");
        return;
    };
    let lines: Vec<String> = match state.logs.get(&svc) {
        Some(b) if !b.is_empty() => b
            .iter()
            .map(|l| format!("{} {} | {}", fmt_time(l.at_ms), l.source, l.text))
            .collect(),
        _ => {
            state.info(format!("no logs for {svc} yet"));
            return;
        }
    };
    cmds.push(Command::SaveLogs {
        service: svc,
        lines,
    });
}

/// `HH:MM:SS` (UTC) of a time in ms, or `--:--:--`.
pub fn fmt_time(at_ms: Option<i64>) -> String {
    match at_ms {
        Some(ms) => {
            let s = ms.div_euclid(1000).rem_euclid(86_400);
            format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
        }
        None => "--:--:--".into(),
    }
}

fn search(state: &mut State, forward: bool) {
    let Some(svc) = state.selected.clone() else {
        return;
    };
    if state.log_view.search.is_empty() {
        state.info(format!(
            "no search: press {} in Logs to search",
            state.keymap.label(Action::Filter)
        ));
        return;
    }
    let Some(buf) = state.logs.get(&svc) else {
        return;
    };
    let hit = buf.find(&state.log_view.search, state.log_view.hit, forward);
    let len = buf.len();
    match hit {
        Some(i) => {
            state.log_view.hit = Some(i);
            state.log_view.follow = false;
            state.log_view.scroll = len - 1 - i;
        }
        None => {
            let q = state.log_view.search.clone();
            state.warn(format!("`{q}` not found"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Navigation

fn move_by(state: &mut State, delta: i64, cmds: &mut Vec<Command>) {
    match state.focus {
        Pane::Tree => {
            let Some(tree) = state.shown_tree() else {
                return;
            };
            let all_open = !state.filter.is_empty();
            let rows = tree.visible(&state.tree_opened, all_open);
            if rows.is_empty() {
                return;
            }
            let cur = rows
                .iter()
                .position(|r| r.id == state.tree_selected)
                .unwrap_or(0) as i64;
            let next = (cur + delta).clamp(0, rows.len() as i64 - 1) as usize;
            let id = rows[next].id.clone();
            let svc = rows[next].node.service.clone();
            state.tree_selected = id;
            if svc.is_some() {
                select_service(state, svc, cmds);
            }
        }
        Pane::Services => {
            let rows: Vec<String> = state.table_rows().iter().map(|s| s.name.clone()).collect();
            if rows.is_empty() {
                return;
            }
            let cur = state
                .selected
                .as_ref()
                .and_then(|s| rows.iter().position(|r| r == s))
                .unwrap_or(0) as i64;
            let next = (cur + delta).clamp(0, rows.len() as i64 - 1) as usize;
            select_service(state, Some(rows[next].clone()), cmds);
        }
        Pane::Bottom => {
            if state.help {
                return;
            }
            if state.tab == Tab::Logs {
                let len = state
                    .selected
                    .as_ref()
                    .and_then(|s| state.logs.get(s))
                    .map(|b| b.len())
                    .unwrap_or(0);
                let max = len.saturating_sub(1) as i64;
                let scroll = (state.log_view.scroll as i64 - delta).clamp(0, max) as usize;
                state.log_view.scroll = scroll;
                state.log_view.follow = scroll == 0;
            } else {
                state.text_scroll = (state.text_scroll as i64 + delta).clamp(0, 10_000) as usize;
            }
        }
    }
}

fn tree_left(state: &mut State, cmds: &mut Vec<Command>) {
    let sel = state.tree_selected.clone();
    if state.tree_opened.remove(&sel) {
        return;
    }
    if sel.len() > 1 {
        state.tree_selected.pop();
        let svc = state
            .tree
            .node_at(&state.tree_selected)
            .and_then(|n| n.service.clone());
        if svc.is_some() {
            select_service(state, svc, cmds);
        }
    }
}

fn next_tab(state: &mut State, cmds: &mut Vec<Command>) {
    let i = (state.tab.index() + 1) % Tab::ALL.len();
    set_tab(state, Tab::ALL[i], cmds);
}

fn prev_tab(state: &mut State, cmds: &mut Vec<Command>) {
    let i = (state.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len();
    set_tab(state, Tab::ALL[i], cmds);
}

fn set_tab(state: &mut State, tab: Tab, cmds: &mut Vec<Command>) {
    if state.tab != tab {
        state.text_scroll = 0;
    }
    state.tab = tab;
    load_tab(state, cmds);
}

/// Asks for what the current tab shows about the selected service.
fn load_tab(state: &mut State, cmds: &mut Vec<Command>) {
    match state.tab {
        Tab::Events => cmds.push(Command::LoadEvents {
            service: state.selected.clone(),
        }),
        Tab::Plan => {
            if let Some(s) = state.selected.clone()
                && state.service(&s).is_some_and(|s| s.deployable)
                && !state.plans.contains_key(&s)
            {
                cmds.push(Command::LoadPlan { service: s });
            }
        }
        Tab::Logs => follow_selected(state, cmds),
        Tab::Details => {}
    }
}

fn follow_selected(state: &mut State, cmds: &mut Vec<Command>) {
    if let Some(s) = state.selected.clone()
        && state.engine_connected()
        && is_deployed(state, &s)
        && !state.following.contains(&s)
    {
        state.following.insert(s.clone());
        let since_s = state
            .logs
            .get(&s)
            .and_then(|b| {
                b.iter()
                    .rev()
                    .find(|l| l.source != "kyozo" && l.source != "build")
            })
            .and_then(|l| l.at_ms)
            .map(|ms| ms / 1000 + 1);
        cmds.push(Command::FollowLogs {
            service: s,
            since_s,
        });
    }
}

/// Selects a service everywhere (tree and table) and loads what the tabs need.
pub fn select_service(state: &mut State, name: Option<String>, cmds: &mut Vec<Command>) {
    if state.selected == name {
        return;
    }
    state.selected = name.clone();
    state.log_view.scroll = 0;
    state.log_view.follow = true;
    state.log_view.hit = None;
    state.text_scroll = 0;
    if let Some(n) = &name
        && let Some(path) = state.tree.path_of_service(n)
    {
        for i in 1..path.len() {
            state.tree_opened.insert(path[..i].to_vec());
        }
        state.tree_selected = path;
    }
    state.events = None;
    load_tab(state, cmds);
    follow_selected(state, cmds);
}

// ---------------------------------------------------------------------------------------------
// Mouse

fn on_mouse(state: &mut State, m: crossterm::event::MouseEvent, cmds: &mut Vec<Command>) {
    let pos = Position::new(m.column, m.row);
    let areas = crate::ui::layout(state);
    let pane = if areas.tree.contains(pos) {
        Some(Pane::Tree)
    } else if areas.services.contains(pos) {
        Some(Pane::Services)
    } else if areas.bottom.contains(pos) {
        Some(Pane::Bottom)
    } else {
        None
    };
    match m.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            if let Some(p) = pane {
                state.focus = p;
                let d = if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                move_by(state, d, cmds);
                state.dirty = true;
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            if state.confirm.is_some() || state.palette.is_some() || state.help {
                return;
            }
            let Some(p) = pane else {
                return;
            };
            state.focus = p;
            state.dirty = true;
            match p {
                Pane::Tree => {
                    let Some(tree) = state.shown_tree() else {
                        return;
                    };
                    let rows = tree.visible(&state.tree_opened, !state.filter.is_empty());
                    let sel = rows
                        .iter()
                        .position(|r| r.id == state.tree_selected)
                        .unwrap_or(0);
                    let inner_h = areas.tree.height.saturating_sub(2) as usize;
                    let offset = crate::ui::list_offset(sel, inner_h);
                    let idx = offset + (m.row.saturating_sub(areas.tree.y + 1)) as usize;
                    if m.row > areas.tree.y
                        && let Some(row) = rows.get(idx)
                    {
                        let id = row.id.clone();
                        let svc = row.node.service.clone();
                        if id == state.tree_selected
                            && !row.node.children.is_empty()
                            && !state.tree_opened.remove(&id)
                        {
                            state.tree_opened.insert(id.clone());
                        }
                        state.tree_selected = id;
                        if svc.is_some() {
                            select_service(state, svc, cmds);
                        }
                    }
                }
                Pane::Services => {
                    let rows: Vec<String> =
                        state.table_rows().iter().map(|s| s.name.clone()).collect();
                    let sel = state
                        .selected
                        .as_ref()
                        .and_then(|s| rows.iter().position(|r| r == s))
                        .unwrap_or(0);
                    let inner_h = areas.services.height.saturating_sub(3) as usize;
                    let offset = crate::ui::list_offset(sel, inner_h);
                    let first = areas.services.y + 2;
                    if m.row >= first {
                        let idx = offset + (m.row - first) as usize;
                        if let Some(name) = rows.get(idx).cloned() {
                            select_service(state, Some(name), cmds);
                        }
                    }
                }
                Pane::Bottom => {
                    if m.row == areas.bottom.y
                        && let Some(tab) = crate::ui::tab_at(areas.bottom, m.column)
                    {
                        set_tab(state, tab, cmds);
                    }
                }
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Detection and watching

fn request_detect(state: &mut State, folders: Option<BTreeSet<String>>, cmds: &mut Vec<Command>) {
    let job = &mut state.detect_job;
    if job.running {
        job.pending = Some(match (job.pending.take(), folders) {
            (Some(None), _) | (_, None) => None,
            (Some(Some(mut a)), Some(b)) => {
                a.extend(b);
                Some(a)
            }
            (None, Some(b)) => Some(b),
        });
        return;
    }
    job.running = true;
    job.in_flight = folders.clone();
    cmds.push(Command::Detect {
        folders: folders.map(|f| f.into_iter().collect()),
    });
}

fn start_pending_detect(state: &mut State, cmds: &mut Vec<Command>) {
    if let Some(p) = state.detect_job.pending.take() {
        request_detect(state, p, cmds);
    }
}

/// Whether a changed folder lies in a service's folder.
fn folder_in(service_path: &str, changed: &str) -> bool {
    service_path == "."
        || changed == service_path
        || changed
            .strip_prefix(service_path)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Services present in both detections whose detection changed, with the changed field names.
pub fn detection_changes(
    old: &crate::detect::Topology,
    new: &crate::detect::Topology,
) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for n in &new.services {
        let Some(o) = old.service(&n.name) else {
            continue;
        };
        let mut fields = Vec::new();
        let mut check = |name: &str, differs: bool| {
            if differs {
                fields.push(name.to_string());
            }
        };
        check("type", o.kind != n.kind);
        check("path", o.path != n.path);
        check("indicators", o.indicators != n.indicators);
        check("technologies", o.technologies != n.technologies);
        check("port", o.port != n.port || o.ports != n.ports);
        check("start_command", o.start_command != n.start_command);
        check("env", o.env != n.env);
        check("depends_on", o.depends_on != n.depends_on);
        check("members", o.members != n.members);
        check("dockerfile", o.dockerfile != n.dockerfile);
        check(
            "deployable",
            o.deployable != n.deployable || o.stack != n.stack,
        );
        if !fields.is_empty() {
            out.push((n.name.clone(), fields));
        }
    }
    out
}

fn on_fs_changed(state: &mut State, folders: Vec<String>, cmds: &mut Vec<Command>) {
    if folders.is_empty() {
        return;
    }
    let mut drifted = Vec::new();
    for s in state.services() {
        if folders.iter().any(|f| folder_in(&s.path, f)) && is_deployed(state, &s.name) {
            drifted.push(s.name.clone());
        }
    }
    for name in &drifted {
        if let Some(rt) = state.runtime.get_mut(name) {
            rt.drifted = true;
        }
    }
    if state.auto_deploy && !state.readonly {
        state.auto_rebuild.extend(drifted.iter().cloned());
    }
    state.dirty = true;
    request_detect(state, Some(folders.into_iter().collect()), cmds);
}

fn on_detected(
    state: &mut State,
    topology: crate::detect::Topology,
    folders: Vec<String>,
    _changed: Vec<String>,
    cmds: &mut Vec<Command>,
) {
    let first = state.topology.is_none();
    let changed_services = match &state.topology {
        Some(old) => detection_changes(old, &topology),
        None => Vec::new(),
    };
    if first
        || !changed_services.is_empty()
        || state.topology.as_ref().map(|t| t.services.len()) != Some(topology.services.len())
    {
        cmds.push(Command::RecordDetection {
            topology: Box::new(topology.clone()),
            changed: changed_services,
        });
    }
    state.detect_job.running = false;
    state.detect_job.in_flight = None;
    state.detect_error = None;
    let folders_changed = !folders.is_empty() && folders != state.folders;
    if !folders.is_empty() {
        state.folders = folders;
    }
    state.tree = TreeNode::build(&topology, &state.folders);
    state.topology = Some(topology);
    state.plans.clear();
    state.dirty = true;
    if first {
        state.tree_opened = state.tree.service_ancestors();
        state.tree_opened.insert(vec![".".to_string()]);
        state.tree_selected = vec![".".to_string()];
    }
    // Keep the selection when the service still exists, else pick the first row.
    let still = state
        .selected
        .as_ref()
        .is_some_and(|s| state.service(s).is_some());
    if !still {
        state.selected = None;
        let first_row = state.table_rows().first().map(|s| s.name.clone());
        select_service(state, first_row, cmds);
    } else if let Some(s) = state.selected.clone()
        && let Some(path) = state.tree.path_of_service(&s)
        && state.focus != Pane::Tree
    {
        state.tree_selected = path;
    }
    if state.tree.node_at(&state.tree_selected).is_none() {
        state.tree_selected = vec![".".to_string()];
    }
    state.marks.retain(|m| {
        state
            .topology
            .as_ref()
            .is_some_and(|t| t.service(m).is_some())
    });
    if folders_changed {
        cmds.push(Command::Watch {
            folders: state.folders.clone(),
        });
    }
    if state.tab == Tab::Plan {
        load_tab(state, cmds);
    }
    // Auto-deploy: rebuild what drifted, now that detection saw the change.
    let rebuild: Vec<String> = std::mem::take(&mut state.auto_rebuild)
        .into_iter()
        .filter(|s| state.service(s).is_some_and(|s| s.deployable))
        .filter(|s| !state.progress.contains_key(s))
        .collect();
    if !rebuild.is_empty() && state.engine_connected() {
        for s in &rebuild {
            let at = state.now_ms;
            state.log_buffer(s).push(LogLine::new(
                Some(at),
                "kyozo",
                "folder changed: auto-deploy rebuilds and replaces",
            ));
        }
        state.info(format!("auto-deploy: rebuilding {}", rebuild.join(", ")));
        dispatch(state, Op::Rebuild, rebuild, cmds);
    }
    start_pending_detect(state, cmds);
}

// ---------------------------------------------------------------------------------------------
// Engine

fn on_engine(state: &mut State, msg: EngineMsg, cmds: &mut Vec<Command>) {
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
            for (svc, (op, _)) in std::mem::take(&mut state.progress) {
                let at = state.now_ms;
                state.log_buffer(&svc).push(LogLine::new(
                    Some(at),
                    "kyozo",
                    format!("{} interrupted: engine lost", op.as_str()),
                ));
            }
            state.dirty |= changed;
        }
        EngineMsg::Snapshot(map) => {
            let old = std::mem::replace(&mut state.runtime, map);
            // A follower streams the containers it started with: follow again when they changed.
            let changed: Vec<String> = state
                .following
                .iter()
                .filter(|s| {
                    old.get(*s).map(|r| &r.containers)
                        != state.runtime.get(*s).map(|r| &r.containers)
                })
                .cloned()
                .collect();
            for s in changed {
                state.following.remove(&s);
            }
            for (name, rt) in &mut state.runtime {
                if let Some(o) = old.get(name) {
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
            state.dirty = true;
            follow_selected(state, cmds);
        }
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
                    state.log_view.scroll += n;
                    if let Some(h) = state.log_view.hit {
                        // Keep the hit on the same line while old lines fall off.
                        let len = state.logs.get(&service).map(|b| b.len()).unwrap_or(0);
                        state.log_view.scroll = state.log_view.scroll.min(len.saturating_sub(1));
                        let _ = h;
                    }
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
            if let Some(p) = state.progress.get_mut(&service) {
                p.1 = text;
                state.dirty = true;
            }
        }
        EngineMsg::Done {
            service,
            op,
            outcome,
        } => {
            state.progress.remove(&service);
            let at = state.now_ms;
            match outcome {
                Outcome::Failed { error: e, .. } => {
                    state.log_buffer(&service).push(LogLine::new(
                        Some(at),
                        "kyozo",
                        format!("{} failed: {e}", op.as_str()),
                    ));
                    if let Some(rt) = state.runtime.get_mut(&service) {
                        rt.error = Some(e.clone());
                    }
                    state.error(format!("{} {service} failed: {e}", op.as_str()));
                }
                ok => {
                    let text = ok.text();
                    if matches!(op, Op::Deploy | Op::Rebuild)
                        && !matches!(ok, Outcome::Cancelled(_))
                        && let Some(rt) = state.runtime.get_mut(&service)
                    {
                        rt.drifted = false;
                    }
                    let line = if text.is_empty() {
                        format!("{service}: {} done", op.as_str())
                    } else {
                        format!("{service}: {text}")
                    };
                    state
                        .log_buffer(&service)
                        .push(LogLine::new(Some(at), "kyozo", line.clone()));
                    state.info(line);
                }
            }
            if op == Op::Remove {
                state.following.remove(&service);
            }
            state.dirty = true;
            if state.tab == Tab::Events && state.selected.as_deref() == Some(service.as_str()) {
                load_tab(state, cmds);
            }
            follow_selected(state, cmds);
        }
        EngineMsg::Refused {
            service,
            op,
            reason,
        } => {
            state.progress.remove(&service);
            state.warn(format!("{} {service}: {reason}", op.as_str()));
        }
        EngineMsg::Skipped { service, op, cause } => {
            state.progress.remove(&service);
            let at = state.now_ms;
            state.log_buffer(&service).push(LogLine::new(
                Some(at),
                "kyozo",
                format!("{}: not done, {cause} failed first", op.as_str()),
            ));
            state.dirty = true;
        }
        EngineMsg::Scaled {
            service,
            replicas,
            result,
        } => {
            state.progress.remove(&service);
            match result {
                Ok(()) => state.info(format!("{service} scaled to {replicas}")),
                Err(e) => state.error(format!("scale {service} to {replicas} failed: {e}")),
            }
            state.dirty = true;
        }
    }
}

#[cfg(test)]
mod tests;
