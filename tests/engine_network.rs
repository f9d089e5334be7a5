//! One wave of services deployed in parallel shares one workspace network.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{TestWs, docker_lines, engine_ready, stderr};

#[test]
fn a_parallel_wave_creates_one_network() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-wave");
    let out = ws.kyozo(&["up"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(ws.containers().len(), 6, "{}", stderr(&out));
    // kyozo-<workspace>-<short workspace id>
    let prefix = format!("kyozo-{}-", ws.slug);
    let nets: Vec<String> = docker_lines(&["network", "ls", "--format", "{{.Name}}"])
        .into_iter()
        .filter(|n| n.starts_with(&prefix))
        .collect();
    assert_eq!(nets.len(), 1, "exactly one network {prefix}…: {nets:?}");
    let name = nets[0].clone();

    let out = ws.kyozo(&["down"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(ws.containers().is_empty());
    let left = docker_lines(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(!left.contains(&name), "network {name} removed by down");
}
