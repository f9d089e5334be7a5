//! Every palette command, run from a line, does what its action does; and each one is covered.

use super::*;
use crate::app::Action;

type Check = fn(&State, &[Command]) -> Result<(), String>;

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what.to_string()) }
}

fn one_engine(cmds: &[Command], op: Op, services: &[&str]) -> Result<(), String> {
    let want = Command::Engine {
        op,
        services: services.iter().map(|s| s.to_string()).collect(),
    };
    expect(
        cmds == [want.clone()],
        &format!("want {want:?}, got {cmds:?}"),
    )
}

/// (line, check). Each line runs on a fresh live state with api selected.
const CASES: &[(&str, Check)] = &[
    ("deploy auth", |_, c| one_engine(c, Op::Deploy, &["auth"])),
    ("deploy", |_, c| one_engine(c, Op::Deploy, &["api"])),
    ("start worker", |_, c| one_engine(c, Op::Start, &["worker"])),
    ("stop api db", |_, c| {
        one_engine(c, Op::Stop, &["api", "db"])
    }),
    ("restart db", |_, c| one_engine(c, Op::Restart, &["db"])),
    ("rebuild api", |_, c| one_engine(c, Op::Rebuild, &["api"])),
    ("remove api", |s, c| {
        expect(
            c.is_empty() && s.confirm == Some(ConfirmAction::Remove(vec!["api".into()])),
            "remove asks first",
        )
    }),
    ("scale api 1", |_, c| {
        expect(
            c == [Command::Scale {
                service: "api".into(),
                replicas: 1,
            }],
            "scale",
        )
    }),
    ("cancel", |s, c| {
        expect(
            c.is_empty() && status_text(s) == "nothing to cancel: no operation is running",
            "cancel with nothing running",
        )
    }),
    ("up", |_, c| {
        one_engine(c, Op::Deploy, &["auth", "db", "worker", "api", "web"])
    }),
    ("stop-all", |s, c| {
        expect(
            c.is_empty()
                && s.confirm == Some(ConfirmAction::StopAll(vec!["api".into(), "db".into()])),
            "stop all asks first",
        )
    }),
    ("down", |s, c| {
        expect(
            c.is_empty()
                && s.confirm
                    == Some(ConfirmAction::RemoveAll(vec![
                        "db".into(),
                        "worker".into(),
                        "api".into(),
                    ])),
            "down asks first",
        )
    }),
    ("auto-deploy on", |s, c| {
        expect(
            s.auto_deploy && c == [Command::SetAutoDeploy(true)],
            "auto-deploy on",
        )
    }),
    ("open api", |_, c| {
        expect(
            c == [Command::OpenUrl {
                url: "http://localhost:4000".into(),
            }],
            "open",
        )
    }),
    ("save-logs worker", |s, c| {
        expect(
            !c.iter().any(|c| matches!(c, Command::SaveLogs { .. }))
                && s.selected.as_deref() == Some("worker")
                && status_text(s) == "no logs for worker yet",
            "save-logs selects and saves",
        )
    }),
    ("logs db", |s, _| {
        expect(
            s.selected.as_deref() == Some("db") && s.tab == Tab::Logs,
            "logs db",
        )
    }),
    ("filter wor", |s, _| {
        expect(
            s.filter == "wor" && s.selected.as_deref() == Some("worker"),
            "filter",
        )
    }),
    ("sort cpu desc", |s, _| {
        expect(s.sort == SortColumn::Cpu && s.sort_desc, "sort cpu desc")
    }),
    ("tab events", |s, c| {
        expect(
            s.tab == Tab::Events
                && c == [Command::LoadEvents {
                    service: Some("api".into()),
                }],
            "tab events",
        )
    }),
    ("events failed", |s, c| {
        expect(
            s.tab == Tab::Events
                && s.events_view.filter == crate::app::view::EventFilter::parse("failed").unwrap()
                && c == [Command::LoadEvents {
                    service: Some("api".into()),
                }],
            "events failed",
        )
    }),
    ("mouse off", |s, c| {
        expect(!s.mouse && c == [Command::SetMouse(false)], "mouse off")
    }),
    ("redetect", |_, c| {
        expect(c == [Command::Detect { folders: None }], "redetect")
    }),
    ("help", |s, _| expect(s.help, "help")),
    ("quit", |_, c| expect(c == [Command::Quit], "quit")),
];

#[test]
fn every_palette_command_does_what_its_action_does() {
    for (line, check) in CASES {
        let mut s = live_state();
        s.status = None;
        let mut cmds = Vec::new();
        palette_line(&mut s, line, &mut cmds);
        if let Err(e) = check(&s, &cmds) {
            panic!(":{line}: {e} (status {:?})", s.status);
        }
    }
    for (_, c) in Action::commands() {
        assert!(
            CASES
                .iter()
                .any(|(line, _)| line.split_whitespace().next() == Some(c.name)),
            "palette command `{}` has no case",
            c.name
        );
    }
}

#[test]
fn every_new_key_is_bound_by_default_and_named_in_the_keymap() {
    let km = Keymap::default();
    assert_eq!(km.label(Action::Cancel), "ctrl-x");
    assert_eq!(
        km.action(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL)),
        Some(Action::Cancel)
    );
    assert_eq!(Action::from_name("cancel"), Some(Action::Cancel));
    // the palette-only actions can be bound from the config too
    let mut keys = std::collections::BTreeMap::new();
    keys.insert("stop".to_string(), "S".to_string());
    keys.insert("remove_all".to_string(), "alt-x".to_string());
    let (km, warnings) = Keymap::from_config(&keys).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut s = live_state();
    s.keymap = km;
    assert_eq!(
        engine_services(&update(&mut s, key('S'))),
        [vec!["api".to_string()]]
    );
    let _ = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::ALT)),
    );
    assert!(matches!(s.confirm, Some(ConfirmAction::RemoveAll(_))));
}
