//! The folder tree of the left pane: folders on the way to services (and the other folders the walk
//! kept), each service folder carrying its service name. Pure data; rendering is in `ui::tree`.

use std::collections::{BTreeMap, HashSet};

use crate::detect::Topology;

/// One folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode {
    /// Display name (the folder name; the workspace name for the root).
    pub name: String,
    /// Workspace-relative path with `/` separators; `.` for the root. Used as the tree identifier.
    pub rel: String,
    /// The service detected in this folder.
    pub service: Option<String>,
    pub children: Vec<TreeNode>,
}

/// A visible row of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow<'a> {
    /// Identifier path from the root (`[".", "services", "services/api"]`).
    pub id: Vec<String>,
    pub depth: usize,
    pub node: &'a TreeNode,
}

impl TreeNode {
    fn leaf(name: &str, rel: &str) -> Self {
        TreeNode {
            name: name.to_string(),
            rel: rel.to_string(),
            service: None,
            children: Vec::new(),
        }
    }

    /// Builds the tree of a topology: every service folder and its ancestors, plus `folders` (other
    /// kept folders, workspace-relative) when given.
    pub fn build(topology: &Topology, folders: &[String]) -> TreeNode {
        let root_name = std::path::Path::new(&topology.workspace)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| topology.workspace.clone());
        let mut by_rel: BTreeMap<String, Option<String>> = BTreeMap::new();
        for f in folders {
            by_rel.entry(f.clone()).or_insert(None);
        }
        for s in &topology.services {
            by_rel.insert(s.path.clone(), Some(s.name.clone()));
        }
        let mut root = TreeNode::leaf(&root_name, ".");
        for (rel, service) in by_rel {
            if rel == "." || rel.is_empty() {
                if service.is_some() {
                    root.service = service;
                }
                continue;
            }
            let mut node = &mut root;
            let mut acc = String::new();
            for seg in rel.split('/').filter(|s| !s.is_empty()) {
                if !acc.is_empty() {
                    acc.push('/');
                }
                acc.push_str(seg);
                let idx = match node.children.iter().position(|c| c.rel == acc) {
                    Some(i) => i,
                    None => {
                        node.children.push(TreeNode::leaf(seg, &acc));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[idx];
            }
            if service.is_some() {
                node.service = service;
            }
        }
        root.sort();
        root
    }

    fn sort(&mut self) {
        self.children.sort_by(|a, b| a.name.cmp(&b.name));
        for c in &mut self.children {
            c.sort();
        }
    }

    fn has_service(&self) -> bool {
        self.service.is_some() || self.children.iter().any(TreeNode::has_service)
    }

    /// The tree pruned to the folders whose service matches `pred`, with their ancestors. `None`
    /// when nothing matches.
    pub fn pruned(&self, pred: &dyn Fn(&TreeNode) -> bool) -> Option<TreeNode> {
        let children: Vec<TreeNode> = self
            .children
            .iter()
            .filter_map(|c| c.pruned(pred))
            .collect();
        if pred(self) || !children.is_empty() {
            Some(TreeNode {
                name: self.name.clone(),
                rel: self.rel.clone(),
                service: self.service.clone(),
                children,
            })
        } else {
            None
        }
    }

    /// The identifier paths of every folder that leads to a service (opened at start).
    pub fn service_ancestors(&self) -> HashSet<Vec<String>> {
        let mut out = HashSet::new();
        fn walk(n: &TreeNode, path: &mut Vec<String>, out: &mut HashSet<Vec<String>>) {
            path.push(n.rel.clone());
            if n.children.iter().any(TreeNode::has_service) {
                out.insert(path.clone());
            }
            for c in &n.children {
                walk(c, path, out);
            }
            path.pop();
        }
        walk(self, &mut Vec::new(), &mut out);
        out
    }

    /// The identifier path of the folder of a service.
    pub fn path_of_service(&self, service: &str) -> Option<Vec<String>> {
        fn walk(n: &TreeNode, path: &mut Vec<String>, service: &str) -> bool {
            path.push(n.rel.clone());
            if n.service.as_deref() == Some(service) {
                return true;
            }
            for c in &n.children {
                if walk(c, path, service) {
                    return true;
                }
            }
            path.pop();
            false
        }
        let mut path = Vec::new();
        walk(self, &mut path, service).then_some(path)
    }

    /// The node at an identifier path.
    pub fn node_at(&self, id: &[String]) -> Option<&TreeNode> {
        let (first, rest) = id.split_first()?;
        if *first != self.rel {
            return None;
        }
        let mut node = self;
        for seg in rest {
            node = node.children.iter().find(|c| &c.rel == seg)?;
        }
        Some(node)
    }

    /// The visible rows: the root and, below every opened folder, its children. With `all_open`
    /// every folder counts as opened (used while filtering).
    pub fn visible<'a>(
        &'a self,
        opened: &HashSet<Vec<String>>,
        all_open: bool,
    ) -> Vec<TreeRow<'a>> {
        let mut out = Vec::new();
        fn walk<'a>(
            n: &'a TreeNode,
            path: &mut Vec<String>,
            opened: &HashSet<Vec<String>>,
            all_open: bool,
            out: &mut Vec<TreeRow<'a>>,
        ) {
            path.push(n.rel.clone());
            out.push(TreeRow {
                id: path.clone(),
                depth: path.len() - 1,
                node: n,
            });
            if all_open || opened.contains(path.as_slice()) {
                for c in &n.children {
                    walk(c, path, opened, all_open, out);
                }
            }
            path.pop();
        }
        walk(self, &mut Vec::new(), opened, all_open, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::topology;

    #[test]
    fn builds_folders_and_ancestors() {
        let t = topology();
        let tree = TreeNode::build(&t, &["docs".to_string()]);
        assert_eq!(tree.name, "harbor");
        let names: Vec<&str> = tree.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["db", "docs", "infra", "services", "web"]);
        let api = tree.path_of_service("api").unwrap();
        assert_eq!(api, [".", "services", "services/api"]);
        assert_eq!(tree.node_at(&api).unwrap().service.as_deref(), Some("api"));
    }

    #[test]
    fn visible_respects_opened_and_pruning() {
        let tree = TreeNode::build(&topology(), &[]);
        let opened = tree.service_ancestors();
        let rows = tree.visible(&opened, false);
        assert!(
            rows.iter()
                .any(|r| r.node.service.as_deref() == Some("worker"))
        );
        let closed = tree.visible(&HashSet::new(), false);
        assert_eq!(closed.len(), 1);
        let only_api = tree
            .pruned(&|n: &TreeNode| n.service.as_deref() == Some("api"))
            .unwrap();
        let rows = only_api.visible(&HashSet::new(), true);
        let rels: Vec<&str> = rows.iter().map(|r| r.node.rel.as_str()).collect();
        assert_eq!(rels, [".", "services", "services/api"]);
    }
}
