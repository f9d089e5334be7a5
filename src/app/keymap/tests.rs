use super::*;

fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, mods)
}

#[test]
fn parses_key_strings() {
    assert_eq!(
        Key::parse("d").unwrap(),
        Key::new(KeyCode::Char('d'), KeyModifiers::NONE)
    );
    assert_eq!(Key::parse("D").unwrap(), Key::parse("shift-d").unwrap());
    assert_eq!(
        Key::parse("ctrl-c").unwrap(),
        Key::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
    );
    assert_eq!(Key::parse("ctrl-C").unwrap(), Key::parse("ctrl-c").unwrap());
    assert_eq!(
        Key::parse("shift-tab").unwrap(),
        Key::new(KeyCode::BackTab, KeyModifiers::NONE)
    );
    assert_eq!(
        Key::parse("f5").unwrap(),
        Key::new(KeyCode::F(5), KeyModifiers::NONE)
    );
    assert_eq!(
        Key::parse("-").unwrap(),
        Key::new(KeyCode::Char('-'), KeyModifiers::NONE)
    );
    assert_eq!(
        Key::parse("space").unwrap(),
        Key::new(KeyCode::Char(' '), KeyModifiers::NONE)
    );
    assert!(Key::parse("f99").is_err());
    let e = Key::parse("ctrl-").unwrap_err();
    assert!(e.contains("no key after the modifier"), "{e}");
    assert!(Key::parse("alt-shift-").is_err());
    // a lone `-` is a key, `ctrl--` is ctrl and `-`
    assert_eq!(
        Key::parse("ctrl--").unwrap(),
        Key::new(KeyCode::Char('-'), KeyModifiers::CONTROL)
    );
    assert!(Key::parse("hyper-x").is_err());
    assert!(Key::parse("").is_err());
}

#[test]
fn key_display_round_trips() {
    for s in [
        "d",
        "D",
        "ctrl-c",
        "shift-tab",
        "f5",
        "enter",
        "space",
        "?",
        "+",
        "alt-x",
    ] {
        let k = Key::parse(s).unwrap();
        assert_eq!(Key::parse(&k.to_string()).unwrap(), k, "{s}");
    }
}

#[test]
fn events_map_to_actions() {
    let km = Keymap::default();
    assert_eq!(
        km.action(&ev(KeyCode::Char('d'), KeyModifiers::NONE)),
        Some(Action::Deploy)
    );
    assert_eq!(
        km.action(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
        Some(Action::Bottom)
    );
    assert_eq!(
        km.action(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Some(Action::PrevPane)
    );
    assert_eq!(
        km.action(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Action::ForceQuit)
    );
    assert_eq!(
        km.action(&ev(KeyCode::Char('k'), KeyModifiers::NONE)),
        Some(Action::Up)
    );
    assert_eq!(
        km.action(&ev(KeyCode::Char('Z'), KeyModifiers::SHIFT)),
        None
    );
}

#[test]
fn defaults_have_no_clash() {
    let km = Keymap::default();
    let mut seen = std::collections::HashMap::new();
    for a in Action::all() {
        assert_eq!(
            km.keys(a).len(),
            a.default_keys().len(),
            "a default key of {a} does not parse"
        );
        for k in km.keys(a) {
            if let Some(prev) = seen.insert(*k, a) {
                panic!("{k} bound to {prev} and {a}");
            }
        }
    }
}

#[test]
fn config_overrides_apply() {
    let mut keys = BTreeMap::new();
    keys.insert("deploy".to_string(), "D".to_string());
    keys.insert("help".to_string(), "f1".to_string());
    let (km, warnings) = Keymap::from_config(&keys).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        km.action(&ev(KeyCode::Char('D'), KeyModifiers::SHIFT)),
        Some(Action::Deploy)
    );
    assert_eq!(km.action(&ev(KeyCode::Char('d'), KeyModifiers::NONE)), None);
    assert_eq!(
        km.action(&ev(KeyCode::F(1), KeyModifiers::NONE)),
        Some(Action::Help)
    );
    assert_eq!(km.label(Action::Help), "f1");
}

#[test]
fn config_errors_name_the_culprit() {
    let mut keys = BTreeMap::new();
    keys.insert("deploy_everything".to_string(), "d".to_string());
    let e = Keymap::from_config(&keys).unwrap_err();
    assert!(e.to_string().contains("deploy_everything"), "{e}");
    let mut keys = BTreeMap::new();
    keys.insert("deploy".to_string(), "ctrl-banana".to_string());
    let e = Keymap::from_config(&keys).unwrap_err();
    assert!(
        e.to_string().contains("ctrl-banana") && e.to_string().contains("deploy"),
        "{e}"
    );
}

#[test]
fn clash_falls_back_to_default_with_warning() {
    let mut keys = BTreeMap::new();
    keys.insert("deploy".to_string(), "q".to_string());
    let (km, warnings) = Keymap::from_config(&keys).unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("deploy") && warnings[0].contains("quit"),
        "{warnings:?}"
    );
    assert_eq!(
        km.action(&ev(KeyCode::Char('q'), KeyModifiers::NONE)),
        Some(Action::Quit)
    );
    assert_eq!(
        km.action(&ev(KeyCode::Char('d'), KeyModifiers::NONE)),
        Some(Action::Deploy)
    );
}
