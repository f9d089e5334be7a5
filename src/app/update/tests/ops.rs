//! One operation per service, cancelling, quitting while operations run, batch summaries.

use super::*;
use crate::app::Leaving;
use crate::app::action::{Args, Invocation};

#[test]
fn a_second_deploy_all_starts_nothing_and_says_why() {
    let mut s = live_state();
    let first = update(&mut s, key('a'));
    assert_eq!(engine_services(&first).len(), 1);
    assert_eq!(s.progress.len(), 5);
    let second = update(&mut s, key('a'));
    assert!(
        second.is_empty(),
        "a second deploy-all was sent: {second:?}"
    );
    assert_eq!(level(&s), Some(Level::Warn));
    let t = status_text(&s);
    assert!(
        t.starts_with("deploy all: nothing to start, every service has an operation running (")
            && t.contains("api: deploy (queued…) running"),
        "{t}"
    );
    // neither `d` nor the palette gets around it
    select(&mut s, "api");
    assert!(update(&mut s, key('d')).is_empty());
    let mut cmds = Vec::new();
    palette_line(&mut s, "deploy api", &mut cmds);
    assert!(cmds.is_empty());
    assert_eq!(
        status_text(&s),
        "api: deploy (queued…) running (ctrl-x cancels)"
    );
}

#[test]
fn deploy_all_leaves_out_what_is_in_flight_and_says_so() {
    let mut s = live_state();
    select(&mut s, "auth");
    let _ = update(&mut s, key('d'));
    select(&mut s, "api");
    let _ = update(&mut s, key('r'));
    let cmds = update(&mut s, key('a'));
    assert_eq!(
        engine_services(&cmds),
        [vec!["db".to_string(), "worker".into(), "web".into()]]
    );
    let t = status_text(&s);
    assert_eq!(level(&s), Some(Level::Warn));
    assert!(
        t.starts_with("deploying 3 services in dependency order; left out ")
            && t.contains("auth: deploy (deploying…) running")
            && t.contains("api: restart (restarting…) running"),
        "{t}"
    );
    // the running ones keep their own operation
    assert_eq!(
        s.progress["api"].job,
        crate::app::inflight::Job::Op(Op::Restart)
    );
}

#[test]
fn marked_services_with_an_operation_are_refused_the_rest_go() {
    let mut s = live_state();
    select(&mut s, "api");
    let _ = update(&mut s, key('r'));
    s.marks.insert("api".into());
    s.marks.insert("worker".into());
    let cmds = update(&mut s, key('r'));
    assert_eq!(engine_services(&cmds), [vec!["worker".to_string()]]);
    assert!(status_text(&s).contains("api: restart (restarting…) running"));
    // scale of a busy service is refused too
    select(&mut s, "api");
    assert!(update(&mut s, key('+')).is_empty());
    assert!(status_text(&s).contains("api: restart (restarting…) running"));
}

#[test]
fn refused_by_the_worker_shows_the_reason_and_clears_the_mark() {
    let mut s = live_state();
    select(&mut s, "api");
    let _ = update(&mut s, key('r'));
    assert!(s.progress.contains_key("api"));
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Refused {
            service: "api".into(),
            op: Op::Restart,
            reason: "deploy by ana@build1, pid 4242, since 12:00:01".into(),
        }),
    );
    assert!(s.progress.is_empty());
    assert_eq!(level(&s), Some(Level::Warn));
    assert_eq!(
        status_text(&s),
        "restart api refused: deploy by ana@build1, pid 4242, since 12:00:01"
    );
    let last = s.logs["api"].iter().last().unwrap();
    assert!(last.text.contains("pid 4242"), "{}", last.text);
    // and the service takes an operation again
    assert_eq!(engine_services(&update(&mut s, key('r'))).len(), 1);
}

#[test]
fn deploy_all_ends_with_one_summary_counting_every_outcome() {
    let mut s = live_state();
    let start = s.now_ms;
    let _ = update(&mut s, key('a'));
    s.now_ms = start + 4_000;
    let _ = update(
        &mut s,
        done(
            "auth",
            Op::Deploy,
            Outcome::Changed("deployed in 2.0s".into()),
        ),
    );
    assert_eq!(
        status_text(&s),
        "deploy all: 1 of 5 done · auth: deployed in 2.0s"
    );
    let _ = update(
        &mut s,
        done("db", Op::Deploy, Outcome::Unchanged("unchanged".into())),
    );
    let _ = update(
        &mut s,
        done(
            "worker",
            Op::Deploy,
            Outcome::Failed {
                error: "health check failed".into(),
                rolled_back: true,
            },
        ),
    );
    // the failure shows at once and stays while the others go on
    assert_eq!(level(&s), Some(Level::Error));
    assert!(
        status_text(&s).contains("rolled back"),
        "{}",
        status_text(&s)
    );
    let _ = update(
        &mut s,
        done(
            "api",
            Op::Deploy,
            Outcome::Cancelled("kept the old one".into()),
        ),
    );
    assert!(status_text(&s).contains("worker failed"));
    s.now_ms = start + 15_500;
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Skipped {
            service: "web".into(),
            op: Op::Deploy,
            cause: "api".into(),
        }),
    );
    assert!(s.batches.is_empty());
    assert_eq!(level(&s), Some(Level::Error));
    assert_eq!(
        status_text(&s),
        "deploy all: 1 deployed, 1 unchanged, 1 failed (1 rolled back), 1 cancelled, 1 skipped \
         in 15.5 s; worker: health check failed"
    );
}

#[test]
fn a_clean_deploy_all_sums_up_as_info() {
    let mut s = live_state();
    let start = s.now_ms;
    let _ = update(&mut s, key('a'));
    for (i, svc) in ["auth", "db", "worker", "api", "web"].iter().enumerate() {
        s.now_ms = start + 1000 * (i as i64 + 1);
        let o = if *svc == "db" {
            Outcome::Unchanged(String::new())
        } else {
            Outcome::Changed(String::new())
        };
        let _ = update(&mut s, done(svc, Op::Deploy, o));
    }
    assert_eq!(level(&s), Some(Level::Info));
    assert_eq!(
        status_text(&s),
        "deploy all: 4 deployed, 1 unchanged, 0 failed in 5.0 s"
    );
}

#[test]
fn ctrl_x_cancels_the_selected_services_operation() {
    let mut s = live_state();
    select(&mut s, "api");
    assert_eq!(
        update(&mut s, ctrl('x')),
        Vec::<Command>::new(),
        "nothing runs"
    );
    assert_eq!(
        status_text(&s),
        "nothing to cancel: no operation is running"
    );
    let _ = update(&mut s, key('r'));
    let cmds = update(&mut s, ctrl('x'));
    assert_eq!(
        cmds,
        [Command::Cancel {
            services: vec!["api".into()]
        }]
    );
    assert!(s.progress["api"].cancelling);
    assert_eq!(s.progress["api"].step, "cancelling…");
    assert!(status_text(&s).starts_with("cancelling restart of api"));
    // a later step of the worker does not hide that it is cancelling
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Progress {
            service: "api".into(),
            text: "starting…".into(),
        }),
    );
    assert_eq!(s.progress["api"].step, "cancelling…");
    // asking again says so and sends nothing
    assert!(update(&mut s, ctrl('x')).is_empty());
    assert_eq!(status_text(&s), "already cancelling api");
    let _ = update(
        &mut s,
        done(
            "api",
            Op::Restart,
            Outcome::Cancelled("the previous containers keep running".into()),
        ),
    );
    assert!(s.progress.is_empty());
    assert_eq!(level(&s), Some(Level::Warn));
    assert_eq!(
        status_text(&s),
        "api: restart cancelled: the previous containers keep running"
    );
}

#[test]
fn cancel_from_the_palette_names_services_or_all() {
    let mut s = live_state();
    let _ = update(&mut s, key('a'));
    let mut cmds = Vec::new();
    palette_line(&mut s, "cancel db worker", &mut cmds);
    assert_eq!(
        cmds,
        [Command::Cancel {
            services: vec!["db".into(), "worker".into()]
        }]
    );
    let mut cmds = Vec::new();
    palette_line(&mut s, "cancel all", &mut cmds);
    // every service not cancelling yet, as "all in flight"
    assert_eq!(cmds, [Command::Cancel { services: vec![] }]);
    assert!(s.progress.values().all(|p| p.cancelling));
    let mut cmds = Vec::new();
    palette_line(&mut s, "cancel nope", &mut cmds);
    assert!(cmds.is_empty());
    assert_eq!(status_text(&s), "unknown service: nope");
    // the palette and the key reach the same handler
    let mut a = live_state();
    let mut b = live_state();
    select(&mut a, "api");
    select(&mut b, "api");
    let _ = update(&mut a, key('r'));
    let _ = update(&mut b, key('r'));
    let by_key = update(&mut a, ctrl('x'));
    let mut by_line = Vec::new();
    palette_line(&mut b, "cancel", &mut by_line);
    assert_eq!(by_key, by_line);
    assert_eq!(a.progress, b.progress);
    let mut direct = live_state();
    select(&mut direct, "api");
    let _ = update(&mut direct, key('r'));
    let mut cmds = Vec::new();
    apply(
        &mut direct,
        Invocation {
            action: crate::app::Action::Cancel,
            args: Args::Services(vec!["api".into()]),
        },
        &mut cmds,
    );
    assert_eq!(cmds, by_key);
}

#[test]
fn quit_with_operations_asks_and_wait_leaves_when_they_end() {
    let mut s = live_state();
    select(&mut s, "api");
    let _ = update(&mut s, key('r'));
    select(&mut s, "worker");
    let _ = update(&mut s, key('s'));
    assert!(update(&mut s, key('q')).is_empty(), "left at once");
    assert_eq!(s.leaving, Some(Leaving::Asking));
    assert!(!s.quit);
    // the prompt takes the keys: `d` does nothing, esc stays
    assert!(update(&mut s, key('d')).is_empty());
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert_eq!(s.leaving, None);
    // wait: the cockpit goes on and leaves once both reported
    let _ = update(&mut s, key('q'));
    assert!(update(&mut s, key('w')).is_empty());
    assert_eq!(s.leaving, Some(Leaving::Waiting));
    assert!(
        update(
            &mut s,
            done("api", Op::Restart, Outcome::Changed(String::new()))
        )
        .is_empty()
    );
    assert!(!s.quit);
    let cmds = update(
        &mut s,
        done("worker", Op::Start, Outcome::Changed(String::new())),
    );
    assert_eq!(cmds.last(), Some(&Command::Quit));
    assert!(s.quit);
}

#[test]
fn quit_then_cancel_sends_cancel_and_leaves_when_all_report() {
    let mut s = live_state();
    let _ = update(&mut s, key('a'));
    let _ = update(&mut s, key('q'));
    let cmds = update(&mut s, key('c'));
    assert_eq!(cmds, [Command::Cancel { services: vec![] }]);
    assert_eq!(s.leaving, Some(Leaving::Cancelling));
    let names: Vec<String> = s.progress.keys().cloned().collect();
    let (last, rest) = names.split_last().unwrap();
    for n in rest {
        let c = update(
            &mut s,
            done(n, Op::Deploy, Outcome::Cancelled(String::new())),
        );
        assert!(!c.contains(&Command::Quit));
    }
    let c = update(
        &mut s,
        done(last, Op::Deploy, Outcome::Cancelled(String::new())),
    );
    assert_eq!(c.last(), Some(&Command::Quit));
}

#[test]
fn leave_now_and_ctrl_c_twice_leave_at_once() {
    let mut s = live_state();
    let _ = update(&mut s, key('a'));
    let _ = update(&mut s, key('q'));
    assert_eq!(update(&mut s, key('l')), [Command::Quit]);

    let mut s = live_state();
    let _ = update(&mut s, key('a'));
    assert!(update(&mut s, ctrl('c')).is_empty());
    assert_eq!(s.leaving, Some(Leaving::Asking));
    assert_eq!(update(&mut s, ctrl('c')), [Command::Quit]);

    // while waiting, quit leaves now and esc stays
    let mut s = live_state();
    let _ = update(&mut s, key('a'));
    let _ = update(&mut s, key('q'));
    let _ = update(&mut s, key('w'));
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert_eq!(s.leaving, None);
    assert_eq!(status_text(&s), "staying: the operations go on");
    let _ = update(&mut s, key('q'));
    let _ = update(&mut s, key('w'));
    assert_eq!(update(&mut s, key('q')), [Command::Quit]);

    // nothing running: quit is immediate, from the key and the palette
    let mut s = live_state();
    assert_eq!(update(&mut s, key('q')), [Command::Quit]);
    let mut s = live_state();
    let mut cmds = Vec::new();
    palette_line(&mut s, "quit", &mut cmds);
    assert_eq!(cmds, [Command::Quit]);
}

#[test]
fn losing_the_engine_while_waiting_to_quit_leaves() {
    let mut s = live_state();
    let _ = update(&mut s, key('a'));
    let _ = update(&mut s, key('q'));
    let _ = update(&mut s, key('w'));
    let cmds = update(
        &mut s,
        Msg::Engine(EngineMsg::Unreachable {
            endpoint: "unix:///var/run/docker.sock".into(),
            reason: "connection refused".into(),
        }),
    );
    assert_eq!(cmds.last(), Some(&Command::Quit));
    assert!(s.batches.is_empty());
    assert!(
        s.logs["api"]
            .iter()
            .last()
            .unwrap()
            .text
            .contains("interrupted")
    );
}

#[test]
fn readonly_cannot_cancel() {
    let mut s = live_state();
    s.readonly = true;
    assert!(update(&mut s, ctrl('x')).is_empty());
    assert!(status_text(&s).contains("read-only: cancel is disabled"));
}

#[test]
fn stop_all_confirmed_later_leaves_out_what_started_meanwhile() {
    let mut s = live_state();
    let _ = update(&mut s, key('A'));
    assert!(s.confirm.is_some());
    // an auto-deploy started on api while the dialog was open
    s.progress.insert(
        "api".into(),
        crate::app::inflight::InFlight::new(
            crate::app::inflight::Job::Op(Op::Rebuild),
            "building…",
            0,
        ),
    );
    let cmds = update(&mut s, key('y'));
    assert_eq!(engine_services(&cmds), [vec!["db".to_string()]]);
    assert!(status_text(&s).contains("left out api: rebuild (building…) running"));
    assert_eq!(s.batches[0].tally.busy, 1);
}

#[test]
fn operations_that_end_while_the_prompt_asks_let_the_cockpit_go() {
    // the last report arrives while the prompt is open: nothing left to ask about, it leaves
    let mut s = live_state();
    select(&mut s, "api");
    let _ = update(&mut s, key('r'));
    let _ = update(&mut s, key('q'));
    assert_eq!(s.leaving, Some(Leaving::Asking));
    let cmds = update(
        &mut s,
        done("api", Op::Restart, Outcome::Changed(String::new())),
    );
    assert_eq!(cmds.last(), Some(&Command::Quit));
    // they ended between the prompt and `w`: `w` leaves at once
    let mut s = live_state();
    select(&mut s, "api");
    let _ = update(&mut s, key('r'));
    let _ = update(&mut s, key('q'));
    s.progress.clear();
    assert_eq!(update(&mut s, key('w')), [Command::Quit]);
}

#[test]
fn a_change_during_an_operation_is_rebuilt_when_it_ends() {
    let mut s = live_state();
    let _ = update(&mut s, key('u'));
    select(&mut s, "api");
    let _ = update(&mut s, key('r'));
    let _ = update(&mut s, Msg::FsChanged(vec!["services/api".into()]));
    let cmds = detected(&mut s, None);
    assert!(
        engine_services(&cmds).is_empty(),
        "a second operation on api"
    );
    let cmds = update(
        &mut s,
        done("api", Op::Restart, Outcome::Changed(String::new())),
    );
    assert_eq!(
        cmds.iter()
            .find(|c| matches!(c, Command::Engine { .. }))
            .cloned(),
        Some(Command::Engine {
            op: Op::Rebuild,
            services: vec!["api".into()]
        })
    );
    assert!(s.auto_rebuild.is_empty());
}
