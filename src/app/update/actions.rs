//! What an [`Invocation`] does: one handler for a key and for a palette line. Lifecycle
//! operations go on to [`super::ops`], moves to [`super::nav`].

use super::detect::request_detect;
use super::nav::{self, move_by, select_service, set_tab, tree_left};
use super::ops;
use crate::app::action::{Action, Args, Invocation};
use crate::app::dialog::{InputKind, Palette, SavePrompt};
use crate::app::fmt;
use crate::app::msg::{Command, Op, ServiceState};
use crate::app::state::State;
use crate::app::view::{Pane, Tab};

/// Runs an action with its arguments.
pub fn apply(state: &mut State, inv: Invocation, cmds: &mut Vec<Command>) {
    let Invocation { action, args } = inv;
    if state.readonly && action.mutating() {
        state.warn(format!("read-only: {} is disabled", action.name()));
        return;
    }
    // The services the action names, else the marked or visibly selected ones.
    let targets = |state: &State, args: &Args| match args {
        Args::Services(v) => v.clone(),
        _ => state.targets(),
    };
    match action {
        Action::Quit => ops::request_quit(state, false, cmds),
        Action::ForceQuit => ops::request_quit(state, true, cmds),
        Action::Help => {
            state.help = !state.help;
            state.help_scroll = 0;
        }
        Action::Palette => {
            state.palette = Some(Palette {
                input: String::new(),
                completions: super::keys::completions(state, ""),
                selected: 0,
            });
        }
        Action::Filter => match args {
            Args::Text(text) => {
                state.filter = text;
                nav::after_filter_change(state, cmds);
            }
            _ if state.focus == Pane::Bottom && state.tab == Tab::Logs => {
                state.log_view.search.clear();
                state.log_view.hit = None;
                state.input = Some(InputKind::Search);
            }
            _ => state.input = Some(InputKind::Filter),
        },
        Action::Back => {
            if state.events_view.open.is_some() && state.tab == Tab::Events {
                state.events_view.open = None;
                state.events_view.scroll = 0;
            } else if state.zoom {
                state.zoom = false;
            } else if !state.filter.is_empty() {
                state.filter.clear();
                nav::after_filter_change(state, cmds);
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
        Action::PageUp => move_by(state, -(nav::page(state) as i64), cmds),
        Action::PageDown => move_by(state, nav::page(state) as i64, cmds),
        Action::Top => move_by(state, i64::MIN / 2, cmds),
        Action::Bottom => move_by(state, i64::MAX / 2, cmds),
        Action::Left => match state.focus {
            Pane::Tree => tree_left(state, cmds),
            Pane::Bottom => set_tab(state, state.tab.prev(), cmds),
            Pane::Services => {}
        },
        Action::Right => match state.focus {
            Pane::Tree => {
                if !state.tree_selected.is_empty() {
                    state.tree_opened.insert(state.tree_selected.clone());
                }
            }
            Pane::Bottom => set_tab(state, state.tab.next(), cmds),
            Pane::Services => {}
        },
        Action::Select => match state.focus {
            Pane::Tree => {
                let sel = state.tree_selected.clone();
                let node = state.tree.node_at(&sel);
                let is_service = node.is_some_and(|n| n.service.is_some());
                let has_children = node.is_some_and(|n| !n.children.is_empty());
                if is_service {
                    // a service opens its Details (its folder opens with → / l)
                    set_tab(state, Tab::Details, cmds);
                    state.focus = Pane::Bottom;
                } else if has_children && !state.tree_opened.remove(&sel) {
                    state.tree_opened.insert(sel);
                }
            }
            Pane::Services => {
                set_tab(state, Tab::Details, cmds);
                state.focus = Pane::Bottom;
            }
            Pane::Bottom if state.tab == Tab::Events => nav::open_event(state),
            Pane::Bottom => {}
        },
        Action::Mark => {
            let Some(s) = state.selected.clone() else {
                state.warn("mark: select a service first");
                return;
            };
            if !state.marks.remove(&s) {
                state.marks.insert(s);
            }
            if state.focus == Pane::Services {
                move_by(state, 1, cmds);
            }
        }
        Action::SortNext => match args {
            Args::Sort { column, desc } => {
                state.sort = column;
                state.sort_desc = desc;
            }
            _ => state.sort = state.sort.next(),
        },
        Action::SortReverse => state.sort_desc = !state.sort_desc,
        Action::NextTab => match args {
            Args::Tab(t) => set_tab(state, t, cmds),
            _ => set_tab(state, state.tab.next(), cmds),
        },
        Action::PrevTab => set_tab(state, state.tab.prev(), cmds),
        Action::TabLogs => {
            if let Args::Services(v) = &args
                && let Some(first) = v.first()
            {
                select_service(state, Some(first.clone()), cmds);
            }
            set_tab(state, Tab::Logs, cmds);
        }
        Action::TabEvents => {
            if let Args::Events(filter) = args {
                nav::set_event_filter(state, filter);
            }
            set_tab(state, Tab::Events, cmds);
        }
        Action::TabDetails => set_tab(state, Tab::Details, cmds),
        Action::TabPlan => set_tab(state, Tab::Plan, cmds),
        Action::SearchNext => nav::search(state, true),
        Action::SearchPrev => nav::search(state, false),
        Action::Follow => {
            state.log_view.follow = !state.log_view.follow;
            if state.log_view.follow {
                state.log_view.scroll = 0;
            }
        }
        Action::Wrap => state.log_view.wrap = !state.log_view.wrap,
        Action::Timestamps => state.log_view.timestamps = !state.log_view.timestamps,
        Action::ToggleMouse => {
            state.mouse = match args {
                Args::Switch(on) => on,
                _ => !state.mouse,
            };
            cmds.push(Command::SetMouse(state.mouse));
            state.info(if state.mouse {
                "mouse capture on"
            } else {
                "mouse capture off: select text with the mouse"
            });
        }
        Action::Redetect => {
            state.detect_job.announce = true;
            request_detect(state, None, cmds);
            state.info("detecting…");
        }
        Action::OpenBrowser => {
            select_named(state, &args, cmds);
            open_browser(state, cmds);
        }
        Action::SaveLogs => {
            select_named(state, &args, cmds);
            save_logs(state);
        }
        Action::AutoDeploy => {
            let on = match args {
                Args::Switch(on) => on,
                _ => !state.auto_deploy,
            };
            set_auto_deploy(state, on, cmds);
        }
        Action::Deploy => ops::lifecycle(state, Op::Deploy, targets(state, &args), cmds),
        Action::Rebuild => ops::lifecycle(state, Op::Rebuild, targets(state, &args), cmds),
        Action::Restart => ops::lifecycle(state, Op::Restart, targets(state, &args), cmds),
        Action::Remove => ops::lifecycle(state, Op::Remove, targets(state, &args), cmds),
        Action::Start => ops::lifecycle(state, Op::Start, targets(state, &args), cmds),
        Action::Stop => ops::lifecycle(state, Op::Stop, targets(state, &args), cmds),
        Action::ToggleStart => {
            let targets = state.targets();
            if targets.is_empty() {
                state.warn("start/stop: select a service first");
                return;
            }
            let (running, other): (Vec<String>, Vec<String>) = targets
                .into_iter()
                .partition(|s| state.status_of(s) == ServiceState::Running);
            if !running.is_empty() {
                ops::lifecycle(state, Op::Stop, running, cmds);
            }
            if !other.is_empty() {
                ops::lifecycle(state, Op::Start, other, cmds);
            }
        }
        Action::ScaleUp | Action::ScaleDown => {
            let Some(svc) = state.selected.clone() else {
                state.warn("scale: select a service first");
                return;
            };
            let rt = state.rt(&svc);
            let current = rt.desired.max(rt.running);
            let want = if action == Action::ScaleUp {
                current + 1
            } else {
                current.saturating_sub(1)
            };
            ops::scale_to(state, &svc, want, cmds);
        }
        Action::Scale => match args {
            Args::Scale { service, replicas } => ops::scale_to(state, &service, replicas, cmds),
            _ => state.warn("usage: scale SERVICE N"),
        },
        Action::DeployAll => ops::deploy_all(state, cmds),
        Action::StopAll => ops::stop_all(state),
        Action::RemoveAll => ops::remove_all(state),
        Action::Cancel => ops::cancel(state, &args, cmds),
    }
}

/// Selects the first service the palette named (`:open api`).
fn select_named(state: &mut State, args: &Args, cmds: &mut Vec<Command>) {
    if let Args::Services(v) = args
        && let Some(first) = v.first()
    {
        select_service(state, Some(first.clone()), cmds);
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

fn open_browser(state: &mut State, cmds: &mut Vec<Command>) {
    let Some(svc) = state.selected.clone() else {
        state.warn("open: select a service first");
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

/// `w`: asks where to save the selected service's logs, with the default path under the state
/// folder (`<log_dir>/<workspace>-<service>-<time>.log`) already typed.
fn save_logs(state: &mut State) {
    let Some(svc) = state.selected.clone() else {
        state.warn("save logs: select a service first");
        return;
    };
    if state.logs.get(&svc).is_none_or(|b| b.is_empty()) {
        state.info(format!("no logs for {svc} yet"));
        return;
    }
    let name = format!(
        "{}-{svc}-{}.log",
        state.tree.name,
        fmt::file_stamp(state.now_ms)
    );
    let path = match &state.log_dir {
        Some(dir) => dir.join(name).display().to_string(),
        None => name,
    };
    state.save_prompt = Some(SavePrompt { service: svc, path });
    state.input = Some(InputKind::SavePath);
}

/// The prompt's answer: the service's log lines as they are now go to `path`.
pub(super) fn save_logs_to(state: &mut State, prompt: SavePrompt, cmds: &mut Vec<Command>) {
    let SavePrompt { service, path } = prompt;
    if path.trim().is_empty() {
        state.warn("logs not saved: no file name given");
        return;
    }
    let lines: Vec<String> = state
        .logs
        .get(&service)
        .map(|b| {
            b.iter()
                .map(|l| {
                    // a file is read on other days: the date too
                    let at = match l.at_ms {
                        Some(t) => format!("{} {}", fmt::date(t), fmt::clock(Some(t))),
                        None => "---------- --:--:--".to_string(),
                    };
                    format!("{at} {} | {}", l.source, l.text)
                })
                .collect()
        })
        .unwrap_or_default();
    state.info(format!("saving {} lines of {service}…", lines.len()));
    cmds.push(Command::SaveLogs {
        service,
        lines,
        path: path.trim().to_string(),
    });
}
