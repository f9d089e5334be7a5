//! Freshness: the Events tab reloads while shown, detection says when it finished; and the exit
//! status after a signal.

use super::*;
use crate::app::update::nav::EVENTS_RELOAD_MS;

fn events(s: &State, rows: usize) -> Msg {
    Msg::Events {
        service: s.selected.clone(),
        result: Ok((0..rows)
            .map(|i| crate::app::EventRow {
                id: format!("e{i}"),
                service: "api".into(),
                kind: "deployment_completed".into(),
                at_ms: i as i64,
                duration_ms: None,
                error: None,
                triggered_by: "ana@box".into(),
                data: None,
            })
            .collect()),
    }
}

/// The history of the selected service arrives with `rows` rows.
fn answer(s: &mut State, rows: usize) -> Vec<Command> {
    let m = events(s, rows);
    update(s, m)
}

fn loads(cmds: &[Command]) -> usize {
    cmds.iter()
        .filter(|c| matches!(c, Command::LoadEvents { .. }))
        .count()
}

#[test]
fn a_shown_events_tab_reloads_now_and_then_one_load_at_a_time() {
    let mut s = live_state();
    let now = s.now_ms;
    let cmds = update(&mut s, key('2'));
    assert_eq!(loads(&cmds), 1);
    assert!(s.wants_tick(), "a shown Events tab needs the clock");
    // no answer yet: ticks do not pile loads up
    assert_eq!(
        loads(&update(&mut s, Msg::Tick(now + EVENTS_RELOAD_MS + 1))),
        0
    );
    let _ = answer(&mut s, 2);
    assert!(!s.events_job.loading);
    // within the interval nothing; after it one reload
    assert_eq!(loads(&update(&mut s, Msg::Tick(now + 1000))), 0);
    let cmds = update(&mut s, Msg::Tick(now + EVENTS_RELOAD_MS));
    assert_eq!(
        cmds,
        [Command::LoadEvents {
            service: Some("api".into())
        }]
    );
    // the same rows again cost no redraw; a new row (another process deployed) redraws
    s.dirty = false;
    let _ = answer(&mut s, 2);
    assert!(!s.dirty);
    let _ = update(&mut s, Msg::Tick(now + 2 * EVENTS_RELOAD_MS));
    let _ = answer(&mut s, 3);
    assert!(s.dirty);
    assert_eq!(s.events.as_ref().unwrap().1.as_ref().unwrap().len(), 3);
    // on another tab nothing reloads
    let _ = update(&mut s, key('1'));
    assert_eq!(
        loads(&update(&mut s, Msg::Tick(now + 10 * EVENTS_RELOAD_MS))),
        0
    );
}

#[test]
fn engine_activity_and_finished_operations_reload_a_shown_events_tab() {
    let mut s = live_state();
    let _ = update(&mut s, key('2'));
    let _ = answer(&mut s, 1);
    // a snapshot (the engine saw containers change, maybe another kyozo's deploy)
    s.now_ms += 2000;
    let map = s.runtime.clone();
    let cmds = update(&mut s, Msg::Engine(EngineMsg::Snapshot(map)));
    assert_eq!(loads(&cmds), 1);
    // a Done while that load runs: one more load once it answers
    let _ = update(&mut s, key('r'));
    let cmds = update(
        &mut s,
        done("api", Op::Restart, Outcome::Changed(String::new())),
    );
    assert_eq!(loads(&cmds), 0, "a second load while one runs");
    assert!(s.events_job.again);
    let cmds = answer(&mut s, 2);
    assert_eq!(loads(&cmds), 1);
    // snapshots right after a load wait a little (no fast polling)
    let _ = answer(&mut s, 2);
    let map = s.runtime.clone();
    assert_eq!(
        loads(&update(&mut s, Msg::Engine(EngineMsg::Snapshot(map)))),
        0
    );
    // another service's operation does not reload api's history
    let mut s = live_state();
    let _ = update(&mut s, key('2'));
    let _ = answer(&mut s, 1);
    s.now_ms += 2000;
    let cmds = update(
        &mut s,
        done("db", Op::Restart, Outcome::Changed(String::new())),
    );
    assert_eq!(loads(&cmds), 0);
}

#[test]
fn an_answer_for_another_selection_is_dropped() {
    let mut s = live_state();
    let _ = update(&mut s, key('2'));
    let stale = events(&s, 4);
    select(&mut s, "worker");
    let _ = update(&mut s, stale);
    assert!(s.events.is_none(), "api's history shown for worker");
}

#[test]
fn ctrl_r_says_when_detection_finished() {
    let mut s = live_state();
    let start = s.now_ms;
    let cmds = update(&mut s, ctrl('r'));
    assert_eq!(cmds, [Command::Detect { folders: None }]);
    assert_eq!(status_text(&s), "detecting…");
    s.now_ms = start + 42;
    let _ = detected(&mut s, None);
    assert_eq!(
        status_text(&s),
        "detected 6 services in 42 ms · 1 diagnostics (see Details)"
    );
    // a re-detection after a file change says nothing
    s.status = None;
    let _ = update(&mut s, Msg::FsChanged(vec!["web".into()]));
    let _ = detected(&mut s, None);
    assert!(s.status.is_none(), "{:?}", s.status);
    // a failure says so, and the next run does not claim success for it
    let _ = update(&mut s, ctrl('r'));
    let _ = update(&mut s, Msg::DetectFailed("cannot read /ws".into()));
    assert_eq!(status_text(&s), "detection failed: cannot read /ws");
    assert!(!s.detect_job.announce);
}

#[test]
fn ctrl_r_while_a_partial_run_is_in_flight_announces_the_full_one() {
    let mut s = live_state();
    let _ = update(&mut s, Msg::FsChanged(vec!["web".into()]));
    let _ = update(&mut s, ctrl('r'));
    assert_eq!(s.detect_job.pending, Some(None));
    let cmds = detected(&mut s, None);
    assert_eq!(cmds, [Command::Detect { folders: None }]);
    assert_eq!(
        status_text(&s),
        "detecting…",
        "the partial run is not the full one"
    );
    let _ = detected(&mut s, None);
    assert!(status_text(&s).starts_with("detected 6 services in "));
}

#[test]
fn signals_leave_with_128_plus_their_number() {
    for (sig, status) in [(Signal::Term, 143), (Signal::Hup, 129), (Signal::Int, 130)] {
        let mut s = live_state();
        // even with an operation in flight: a signal cannot be asked
        let _ = update(&mut s, key('a'));
        assert_eq!(update(&mut s, Msg::Signal(sig)), [Command::Quit]);
        assert!(s.quit);
        assert_eq!(s.exit_signal, Some(sig));
        assert_eq!(sig.exit_status(), status);
    }
    assert_eq!(Signal::Term.name(), "SIGTERM");
}
