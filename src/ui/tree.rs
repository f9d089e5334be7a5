//! The left pane: the workspace folder tree (tui-tree-widget), service folders marked with their type,
//! a live status glyph and a drift mark.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use tui_tree_widget::{Tree, TreeItem, TreeState};

use super::Theme;
use super::fmt::cut;
use crate::app::tree::TreeNode;
use crate::app::{Pane, ServiceState, State};
use crate::detect::ServiceType;

/// The glyph of a service folder: ● running, ○ stopped or not deployed, ◆ compose stack, ✗ error,
/// ◌ work in progress, · shown but never deployed.
pub fn glyph(state: &State, name: &str) -> (&'static str, ServiceState) {
    let status = state.status_of(name);
    let svc = state.service(name);
    let busy = state.progress.contains_key(name);
    let g = match (busy, status) {
        (true, _) => "◌",
        (_, ServiceState::Error) => "✗",
        _ if svc.is_some_and(|s| s.kind == ServiceType::ComposeStack) => "◆",
        (_, ServiceState::Running) => "●",
        (_, ServiceState::Deploying | ServiceState::Scaling) => "◌",
        _ if svc.is_some_and(|s| !s.deployable) => "·",
        _ => "○",
    };
    (g, status)
}

/// The tree item of a folder. Only opened folders get their real children: a closed folder gets
/// one placeholder child (never shown) so the widget draws it as closed, which keeps a frame's cost
/// proportional to the visible rows, not to the workspace size.
fn item(
    state: &State,
    theme: &Theme,
    n: &TreeNode,
    path: &mut Vec<String>,
    all_open: bool,
    width: usize,
) -> TreeItem<'static, String> {
    let mut spans = Vec::new();
    if let Some(name) = &n.service {
        let (g, status) = glyph(state, name);
        spans.push(Span::styled(format!("{g} "), theme.status(status)));
        let name_style = if state.marks.contains(name) {
            theme.mark()
        } else {
            ratatui::style::Style::default()
        };
        spans.push(Span::styled(n.name.clone(), name_style));
        let drifted = state.runtime.get(name).is_some_and(|r| r.drifted);
        let marked = state.marks.contains(name);
        if let Some(svc) = state.service(name) {
            let mut t = format!(" {}", svc.kind.as_str());
            if svc.kind == ServiceType::ComposeStack {
                t.push_str(&format!(" {}", svc.members.len()));
            }
            // the type is cut (…) rather than the marks after it: indent and fold symbol (2 per
            // level, 2), glyph (2), name, then the marks
            let used = path.len() * 2 + 2 + 2 + n.name.chars().count();
            let marks = 2 * (usize::from(drifted) + usize::from(marked));
            let room = width.saturating_sub(used + marks);
            if room >= 4 {
                spans.push(Span::styled(cut(&t, room), theme.dim()));
            }
        }
        if drifted {
            spans.push(Span::styled(" Δ", theme.warn()));
        }
        if marked {
            spans.push(Span::styled(" *", theme.mark()));
        }
    } else {
        spans.push(Span::raw(n.name.clone()));
    }
    path.push(n.rel.clone());
    let open = all_open || state.tree_opened.contains(path.as_slice());
    let children: Vec<TreeItem<'static, String>> = if n.children.is_empty() {
        Vec::new()
    } else if open {
        n.children
            .iter()
            .map(|c| item(state, theme, c, path, all_open, width))
            .collect()
    } else {
        vec![TreeItem::new_leaf(format!("{}/…", n.rel), "…")]
    };
    path.pop();
    let text = Line::from(spans);
    if children.is_empty() {
        TreeItem::new_leaf(n.rel.clone(), text)
    } else {
        // Identifiers are workspace-relative paths: unique among siblings by construction.
        TreeItem::new(n.rel.clone(), text.clone(), children)
            .unwrap_or_else(|_| TreeItem::new_leaf(n.rel.clone(), text))
    }
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let focused = state.focus == Pane::Tree;
    let title = if state.filter.is_empty() {
        " Workspace ".to_string()
    } else {
        format!(" Workspace /{} ", state.filter)
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme.title()))
        .border_style(theme.border(focused));
    let shown = state.shown_tree();
    let Some(root) = shown else {
        let msg = if state.topology.is_none() {
            "detecting…".to_string()
        } else {
            format!("nothing matches /{}", state.filter)
        };
        frame.render_widget(Paragraph::new(msg).style(theme.dim()).block(block), area);
        return;
    };
    let all_open = !state.filter.is_empty();
    let width = area.width.saturating_sub(2) as usize;
    let items = vec![item(state, theme, &root, &mut Vec::new(), all_open, width)];
    let mut ts: TreeState<String> = TreeState::default();
    for row in root.visible(&state.tree_opened, all_open) {
        if all_open || state.tree_opened.contains(&row.id) {
            ts.open(row.id.clone());
        }
    }
    ts.select(state.tree_selected.clone());
    match Tree::new(&items) {
        Ok(tree) => {
            let tree = tree
                .block(block)
                .highlight_style(theme.selected(focused))
                .node_closed_symbol("▸ ")
                .node_open_symbol("▾ ")
                .node_no_children_symbol("  ");
            frame.render_stateful_widget(tree, area, &mut ts);
        }
        Err(e) => {
            frame.render_widget(
                Paragraph::new(format!("cannot draw the tree: {e}"))
                    .style(theme.error())
                    .block(block),
                area,
            );
        }
    }
}
