//! Detection results, file changes and drift. One detection runs at a time with one pending
//! request (newest wins, folders merged); a change in a deployed service's folder marks it drifted,
//! and with auto-deploy on it is rebuilt once the re-detection lands.

use std::collections::BTreeSet;

use super::nav::{load_tab, select_service};
use super::ops::{self, is_deployed};
use crate::app::fmt;
use crate::app::msg::Command;
use crate::app::state::State;
use crate::app::tree::TreeNode;
use crate::app::view::Tab;

pub(super) fn request_detect(
    state: &mut State,
    folders: Option<BTreeSet<String>>,
    cmds: &mut Vec<Command>,
) {
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
    job.started_ms = state.now_ms;
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

/// A detection failed: said, and the pending request (if any) runs.
pub(super) fn on_failed(state: &mut State, e: String, cmds: &mut Vec<Command>) {
    state.detect_job.running = false;
    state.detect_job.in_flight = None;
    state.detect_job.announce = false;
    state.detect_error = Some(e.clone());
    state.error(format!("detection failed: {e}"));
    state.dirty = true;
    start_pending_detect(state, cmds);
}

/// Debounced file changes: drift marks on deployed services, and a detection of those folders.
pub(super) fn on_fs_changed(state: &mut State, folders: Vec<String>, cmds: &mut Vec<Command>) {
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

/// A detection finished: the tree, the selection, drift bookkeeping, the record in the store.
pub(super) fn on_detected(
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
    let full = state.detect_job.in_flight.is_none();
    let started_ms = state.detect_job.started_ms;
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
    // Keep the selection when the service still exists; pick the first row at the start or when
    // the selected service went away; with the tree cursor on a folder nothing stays selected.
    match state.selected.clone() {
        Some(s) if state.service(&s).is_some() => {
            if let Some(path) = state.tree.path_of_service(&s) {
                state.tree_selected = path;
            }
        }
        Some(_) => {
            state.selected = None;
            let first_row = state.table_rows().first().map(|s| s.name.clone());
            select_service(state, first_row, cmds);
        }
        None if first => {
            let first_row = state.table_rows().first().map(|s| s.name.clone());
            select_service(state, first_row, cmds);
        }
        None => {}
    }
    if state.tree.node_at(&state.tree_selected).is_none() {
        state.tree_selected = vec![".".to_string()];
        if state.selected.is_none() {
            let svc = state.tree.service.clone();
            select_service(state, svc, cmds);
        }
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
        .collect();
    if !rebuild.is_empty() && state.engine_connected() {
        ops::auto_rebuild(state, rebuild, cmds);
    }
    if full && state.detect_job.announce {
        state.detect_job.announce = false;
        let t = state.topology.as_ref();
        let n = t.map(|t| t.services.len()).unwrap_or(0);
        let diags = t.map(|t| t.diagnostics.len()).unwrap_or(0);
        let mut text = format!(
            "detected {n} services in {}",
            fmt::elapsed(state.now_ms - started_ms)
        );
        if diags > 0 {
            text.push_str(&format!(" · {diags} diagnostics (see Details)"));
        }
        state.info(text);
    }
    start_pending_detect(state, cmds);
}
