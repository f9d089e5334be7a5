//! The health start period: right after replicas start, a failed check reads as starting.

use super::*;
use crate::app::HealthView;

fn snapshot_with(s: &State, name: &str, f: impl Fn(&mut ServiceRuntime)) -> Msg {
    let mut map = s.runtime.clone();
    let rt = map.entry(name.to_string()).or_default();
    f(rt);
    Msg::Engine(EngineMsg::Snapshot(map))
}

#[test]
fn unhealthy_right_after_a_start_is_starting_until_the_period_ends() {
    let mut s = live_state();
    let now = s.now_ms;
    // auth (interval 30 s) starts now, and its first check fails 0.3 s later
    let m = snapshot_with(&s, "auth", |rt| {
        rt.status = ServiceState::Running;
        rt.health = Health::Unhealthy;
        rt.running = 1;
        rt.desired = 1;
        rt.started_at_ms = Some(now);
    });
    s.now_ms = now + 300;
    let _ = update(&mut s, m);
    assert_eq!(s.health_view("auth"), HealthView::Starting);
    assert_eq!(s.health_view("auth").label(), "starting");
    // the header's score leaves it out instead of counting it as bad
    assert_eq!(s.health_score(), Some(50), "api ok, db bad, auth not yet");
    // 29 s later it still has time; at 30 s the failure counts
    s.dirty = false;
    let _ = update(&mut s, Msg::Tick(now + 29_000));
    assert_eq!(s.health_view("auth"), HealthView::Starting);
    let _ = update(&mut s, Msg::Tick(now + 30_500));
    assert_eq!(s.health_view("auth"), HealthView::Unhealthy);
    assert_eq!(s.health_view("auth").label(), "unhealthy");
    assert!(s.dirty, "the end of the start period redraws");
    // a healthy answer within the period shows at once
    let mut s = live_state();
    let m = snapshot_with(&s, "auth", |rt| {
        rt.status = ServiceState::Running;
        rt.health = Health::Healthy;
        rt.running = 1;
        rt.started_at_ms = Some(now);
    });
    let _ = update(&mut s, m);
    assert_eq!(s.health_view("auth"), HealthView::Healthy);
}

#[test]
fn the_start_period_is_the_services_health_interval() {
    let mut s = live_state();
    let mut topo = s.topology.clone().unwrap();
    topo.services
        .iter_mut()
        .find(|x| x.name == "auth")
        .unwrap()
        .health_check
        .interval_s = 5;
    let _ = detected(&mut s, Some(topo));
    let now = s.now_ms;
    let m = snapshot_with(&s, "auth", |rt| {
        rt.status = ServiceState::Running;
        rt.health = Health::Unhealthy;
        rt.running = 1;
        rt.started_at_ms = Some(now);
    });
    let _ = update(&mut s, m);
    assert_eq!(s.start_period_ms("auth"), 5_000);
    let _ = update(&mut s, Msg::Tick(now + 4_000));
    assert_eq!(s.health_view("auth"), HealthView::Starting);
    let _ = update(&mut s, Msg::Tick(now + 5_000));
    assert_eq!(s.health_view("auth"), HealthView::Unhealthy);
}

#[test]
fn a_scale_up_starts_the_period_again_though_the_oldest_replica_is_old() {
    let mut s = live_state();
    let now = s.now_ms;
    // api runs for 5 minutes, healthy; scaled to 3, the new replicas fail their first check
    let m = snapshot_with(&s, "api", |rt| {
        rt.health = Health::Unhealthy;
        rt.running = 3;
        rt.desired = 3;
    });
    let _ = update(&mut s, m);
    assert_eq!(s.health_view("api"), HealthView::Starting);
    s.dirty = false;
    let _ = update(&mut s, Msg::Tick(now + 20_000));
    assert!(!s.dirty, "uptimes in minutes did not move");
    s.drawn_ms = now + 20_000;
    let _ = update(&mut s, Msg::Tick(now + 31_000));
    assert_eq!(s.health_view("api"), HealthView::Unhealthy);
    assert!(s.dirty, "the end of the start period redraws");
    // a successful scale (reported before the snapshot) starts it too
    let mut s = live_state();
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Scaled {
            service: "db".into(),
            replicas: 3,
            result: Ok(()),
        }),
    );
    assert_eq!(s.health_view("db"), HealthView::Starting);
}

#[test]
fn a_service_unhealthy_before_the_cockpit_opened_is_bad_at_once() {
    // db has run for 3 hours and is unhealthy: the first snapshot shows it bad
    let s = live_state();
    assert_eq!(s.health_view("db"), HealthView::Unhealthy);
    assert_eq!(s.health_view("api"), HealthView::Healthy);
    assert_eq!(s.health_view("worker"), HealthView::Unknown);
    assert_eq!(s.health_view("auth"), HealthView::Unknown, "not deployed");
}

#[test]
fn a_deploy_or_restart_that_changed_something_starts_the_period() {
    let mut s = live_state();
    select(&mut s, "db");
    let _ = update(&mut s, key('r'));
    let _ = update(
        &mut s,
        done("db", Op::Restart, Outcome::Changed(String::new())),
    );
    assert_eq!(s.health_view("db"), HealthView::Starting);
    let later = s.now_ms + 31_000;
    let _ = update(&mut s, Msg::Tick(later));
    assert_eq!(s.health_view("db"), HealthView::Unhealthy);
    // an unchanged deploy started nothing
    let mut s = live_state();
    select(&mut s, "db");
    let _ = update(&mut s, key('d'));
    let _ = update(
        &mut s,
        done("db", Op::Deploy, Outcome::Unchanged(String::new())),
    );
    assert_eq!(s.health_view("db"), HealthView::Unhealthy);
}
