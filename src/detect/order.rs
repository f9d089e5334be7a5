//! Deployment order: waves of deployable services (Kahn layering). Hard edges first; a hard cycle is a
//! diagnostic and its services share a wave. Soft edges are then added one by one, in a deterministic
//! order, only when they close no cycle.

use std::collections::{BTreeSet, VecDeque};

use super::deps::Edge;
use super::model::{Diagnostic, EdgeKind, Service};

/// The deployment waves of `services` under `edges`, and diagnostics for cycles.
pub fn waves(services: &[Service], edges: &[Edge]) -> (Vec<Vec<String>>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    // The unit that deploys a service: itself, or the stack that builds it.
    let unit = |i: usize| -> Option<usize> {
        let s = &services[i];
        if s.deployable {
            return Some(i);
        }
        let st = s.stack.as_deref()?;
        services.iter().position(|x| x.name == st && x.deployable)
    };
    let nodes: Vec<usize> = (0..services.len())
        .filter(|i| services[*i].deployable)
        .collect();
    let mut node_of = vec![usize::MAX; services.len()];
    for (n, i) in nodes.iter().enumerate() {
        node_of[*i] = n;
    }
    let n = nodes.len();
    let mut hard: BTreeSet<(usize, usize)> = BTreeSet::new();
    // Late edges (callbacks stated once the others are defined) come last.
    let mut soft: BTreeSet<(bool, String, String, usize, usize)> = BTreeSet::new();
    for e in edges {
        let (Some(a), Some(b)) = (unit(e.from), unit(e.to)) else {
            continue;
        };
        if a == b {
            continue;
        }
        let (a, b) = (node_of[a], node_of[b]);
        match e.kind {
            EdgeKind::Hard => {
                hard.insert((a, b));
            }
            EdgeKind::Soft => {
                soft.insert((
                    e.late,
                    services[nodes[a]].name.clone(),
                    services[nodes[b]].name.clone(),
                    a,
                    b,
                ));
            }
        }
    }
    // "needs" adjacency: a -> b means a deploys after b.
    let mut needs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (a, b) in &hard {
        needs[*a].push(*b);
    }
    let comp = scc(&needs);
    let comps = comp.iter().copied().max().map_or(0, |m| m + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); comps];
    for (v, c) in comp.iter().enumerate() {
        members[*c].push(v);
    }
    for m in members.iter().filter(|m| m.len() > 1) {
        let names: Vec<String> = cycle_in(m, &needs)
            .iter()
            .map(|v| services[nodes[*v]].name.clone())
            .collect();
        let first = m
            .iter()
            .map(|v| &services[nodes[*v]])
            .min_by(|a, b| a.name.cmp(&b.name));
        diags.push(Diagnostic::new(
            first.map_or(".".to_string(), |s| s.path.clone()),
            format!(
                "dependency cycle: {}; these services share a deployment wave",
                names.join(" -> ")
            ),
        ));
    }
    // Condensed graph.
    let mut cneeds: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); comps];
    for (a, b) in &hard {
        if comp[*a] != comp[*b] {
            cneeds[comp[*a]].insert(comp[*b]);
        }
    }
    for (_, an, bn, a, b) in soft {
        let (ca, cb) = (comp[a], comp[b]);
        if ca == cb || cneeds[ca].contains(&cb) {
            continue;
        }
        if reaches(&cneeds, cb, ca) {
            diags.push(Diagnostic::new(
                services[nodes[a]].path.clone(),
                format!(
                    "soft dependency {an} -> {bn} is not used for ordering: it would close a cycle"
                ),
            ));
            continue;
        }
        cneeds[ca].insert(cb);
    }
    // Kahn layering: a component's wave is one after the latest wave it needs.
    let mut pending: Vec<usize> = cneeds.iter().map(BTreeSet::len).collect();
    let mut needed_by: Vec<Vec<usize>> = vec![Vec::new(); comps];
    for (c, ns) in cneeds.iter().enumerate() {
        for d in ns {
            needed_by[*d].push(c);
        }
    }
    let mut level = vec![0usize; comps];
    let mut queue: VecDeque<usize> = (0..comps).filter(|c| pending[*c] == 0).collect();
    while let Some(c) = queue.pop_front() {
        for &up in &needed_by[c] {
            level[up] = level[up].max(level[c] + 1);
            pending[up] -= 1;
            if pending[up] == 0 {
                queue.push_back(up);
            }
        }
    }
    let depth = level.iter().copied().max().map_or(0, |m| m + 1);
    let mut waves: Vec<Vec<String>> = vec![Vec::new(); depth];
    for (v, c) in comp.iter().enumerate() {
        waves[level[*c]].push(services[nodes[v]].name.clone());
    }
    for w in &mut waves {
        w.sort();
    }
    waves.retain(|w| !w.is_empty());
    (waves, diags)
}

/// Whether `to` is reachable from `from` along `adj`.
fn reaches(adj: &[BTreeSet<usize>], from: usize, to: usize) -> bool {
    let mut seen = vec![false; adj.len()];
    let mut stack = vec![from];
    while let Some(v) = stack.pop() {
        if v == to {
            return true;
        }
        if std::mem::replace(&mut seen[v], true) {
            continue;
        }
        stack.extend(adj[v].iter().copied());
    }
    false
}

/// Strongly connected components (iterative Tarjan); returns the component id of each vertex.
fn scc(adj: &[Vec<usize>]) -> Vec<usize> {
    let n = adj.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut comp = vec![usize::MAX; n];
    let mut next_index = 0;
    let mut next_comp = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut child)) = call.last_mut() {
            if *child < adj[v].len() {
                let w = adj[v][*child];
                *child += 1;
                if index[w] == usize::MAX {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = next_comp;
                        if w == v {
                            break;
                        }
                    }
                    next_comp += 1;
                }
            }
        }
    }
    comp
}

/// One cycle through the smallest vertex of a strongly connected component, closed (`a b a`).
fn cycle_in(members: &[usize], adj: &[Vec<usize>]) -> Vec<usize> {
    let inside: BTreeSet<usize> = members.iter().copied().collect();
    let Some(&start) = inside.iter().next() else {
        return Vec::new();
    };
    // BFS from start's successors back to start, inside the component.
    let mut prev: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    let mut queue: VecDeque<usize> = VecDeque::new();
    for &w in &adj[start] {
        if inside.contains(&w) && !prev.contains_key(&w) {
            prev.insert(w, start);
            queue.push_back(w);
        }
    }
    while let Some(v) = queue.pop_front() {
        if v == start {
            break;
        }
        for &w in &adj[v] {
            if inside.contains(&w) && !prev.contains_key(&w) {
                prev.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    let mut path = vec![start];
    let mut cur = start;
    while let Some(&p) = prev.get(&cur) {
        path.push(p);
        if p == start || path.len() > members.len() + 1 {
            break;
        }
        cur = p;
    }
    // `path` walks the cycle backwards: start <- ... <- start. Reverse it to follow the edges.
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::model::ServiceType;

    fn svc(name: &str) -> Service {
        Service::new(name, name, ServiceType::Nodejs, 0.8)
    }

    fn edge(from: usize, to: usize, kind: EdgeKind) -> Edge {
        Edge {
            from,
            to,
            kind,
            name: String::new(),
            evidence: String::new(),
            late: false,
        }
    }

    #[test]
    fn a_late_soft_edge_yields_to_the_other_direction() {
        let s: Vec<Service> = ["api", "web"].iter().map(|n| svc(n)).collect();
        let mut callback = edge(0, 1, EdgeKind::Soft);
        callback.late = true;
        let (w, d) = waves(&s, &[callback, edge(1, 0, EdgeKind::Soft)]);
        assert_eq!(w, vec![vec!["api".to_string()], vec!["web".to_string()]]);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("api -> web"), "{d:?}");
    }

    #[test]
    fn layers_hard_then_soft() {
        let s: Vec<Service> = ["api", "auth", "db", "web"]
            .iter()
            .map(|n| svc(n))
            .collect();
        let e = vec![
            edge(0, 1, EdgeKind::Hard),
            edge(1, 2, EdgeKind::Hard),
            // Soft edges are taken in name order: db -> web first, so web -> api closes a cycle.
            edge(3, 0, EdgeKind::Soft),
            edge(2, 3, EdgeKind::Soft),
        ];
        let (w, d) = waves(&s, &e);
        assert_eq!(w, vec![vec!["web"], vec!["db"], vec!["auth"], vec!["api"]]);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("web -> api"));
    }

    #[test]
    fn hard_cycle_is_a_diagnostic_not_a_hang() {
        let s: Vec<Service> = ["a", "b", "c", "d"].iter().map(|n| svc(n)).collect();
        let e = vec![
            edge(0, 1, EdgeKind::Hard),
            edge(1, 2, EdgeKind::Hard),
            edge(2, 0, EdgeKind::Hard),
            edge(3, 0, EdgeKind::Hard),
        ];
        let (w, d) = waves(&s, &e);
        assert_eq!(w, vec![vec!["a", "b", "c"], vec!["d"]]);
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.contains("dependency cycle: a -> b -> c -> a"),
            "{d:?}"
        );
    }
}
