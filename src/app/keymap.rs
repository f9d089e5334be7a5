//! Keys are data: every user-facing action has a snake_case name, a default key list, and can be rebound
//! from the config file's `[keys]` table (`deploy = "D"`, `quit = "ctrl-q"`, `help = "f1"`).

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key can do. Text input (filter, search, palette, confirm dialog) is handled before the
/// keymap and is not rebindable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Quit,
    ForceQuit,
    Help,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextPane,
    PrevPane,
    Select,
    Filter,
    Palette,
    Back,
    Zoom,
    Mark,
    SortNext,
    SortReverse,
    NextTab,
    PrevTab,
    TabLogs,
    TabEvents,
    TabDetails,
    TabPlan,
    SearchNext,
    SearchPrev,
    Follow,
    Wrap,
    Timestamps,
    ToggleMouse,
    Redetect,
    OpenBrowser,
    SaveLogs,
    Deploy,
    ToggleStart,
    Restart,
    ScaleUp,
    ScaleDown,
    Remove,
    DeployAll,
    StopAll,
    Rebuild,
    AutoDeploy,
}

impl Action {
    /// Every action, in the order the help overlay lists them.
    pub const ALL: [Action; 46] = [
        Action::Deploy,
        Action::ToggleStart,
        Action::Restart,
        Action::ScaleUp,
        Action::ScaleDown,
        Action::Remove,
        Action::Rebuild,
        Action::DeployAll,
        Action::StopAll,
        Action::AutoDeploy,
        Action::OpenBrowser,
        Action::SaveLogs,
        Action::Mark,
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::NextPane,
        Action::PrevPane,
        Action::Select,
        Action::Zoom,
        Action::NextTab,
        Action::PrevTab,
        Action::TabLogs,
        Action::TabEvents,
        Action::TabDetails,
        Action::TabPlan,
        Action::Filter,
        Action::SearchNext,
        Action::SearchPrev,
        Action::Follow,
        Action::Wrap,
        Action::Timestamps,
        Action::SortNext,
        Action::SortReverse,
        Action::Palette,
        Action::Redetect,
        Action::ToggleMouse,
        Action::Help,
        Action::Back,
        Action::Quit,
        Action::ForceQuit,
    ];

    /// The name used in the config file and the command palette.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::ForceQuit => "force_quit",
            Action::Help => "help",
            Action::Up => "up",
            Action::Down => "down",
            Action::Left => "left",
            Action::Right => "right",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Select => "select",
            Action::Filter => "filter",
            Action::Palette => "palette",
            Action::Back => "back",
            Action::Zoom => "zoom",
            Action::Mark => "mark",
            Action::SortNext => "sort_next",
            Action::SortReverse => "sort_reverse",
            Action::NextTab => "next_tab",
            Action::PrevTab => "prev_tab",
            Action::TabLogs => "tab_logs",
            Action::TabEvents => "tab_events",
            Action::TabDetails => "tab_details",
            Action::TabPlan => "tab_plan",
            Action::SearchNext => "search_next",
            Action::SearchPrev => "search_prev",
            Action::Follow => "follow",
            Action::Wrap => "wrap",
            Action::Timestamps => "timestamps",
            Action::ToggleMouse => "toggle_mouse",
            Action::Redetect => "redetect",
            Action::OpenBrowser => "open_browser",
            Action::SaveLogs => "save_logs",
            Action::Deploy => "deploy",
            Action::ToggleStart => "start_stop",
            Action::Restart => "restart",
            Action::ScaleUp => "scale_up",
            Action::ScaleDown => "scale_down",
            Action::Remove => "remove",
            Action::DeployAll => "deploy_all",
            Action::StopAll => "stop_all",
            Action::Rebuild => "rebuild",
            Action::AutoDeploy => "auto_deploy",
        }
    }

    /// The action with this config name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// A short description for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::ForceQuit => "quit (always)",
            Action::Help => "this help",
            Action::Up => "move up / scroll up",
            Action::Down => "move down / scroll down",
            Action::Left => "collapse folder / previous tab",
            Action::Right => "expand folder / next tab",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first row / oldest log line",
            Action::Bottom => "last row / follow logs",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Select => "open folder / show details",
            Action::Filter => "filter tree and table; search in Logs",
            Action::Palette => "command palette",
            Action::Back => "back: close, clear filter",
            Action::Zoom => "zoom the focused pane",
            Action::Mark => "mark service for a group action",
            Action::SortNext => "sort by next column",
            Action::SortReverse => "reverse sort order",
            Action::NextTab => "next tab",
            Action::PrevTab => "previous tab",
            Action::TabLogs => "Logs tab",
            Action::TabEvents => "Events tab",
            Action::TabDetails => "Details tab",
            Action::TabPlan => "Plan tab",
            Action::SearchNext => "next search match",
            Action::SearchPrev => "previous search match",
            Action::Follow => "follow logs on/off",
            Action::Wrap => "wrap log lines on/off",
            Action::Timestamps => "log timestamps on/off",
            Action::ToggleMouse => "mouse capture on/off (text selection)",
            Action::Redetect => "detect the workspace again",
            Action::OpenBrowser => "open the service's port in a browser",
            Action::SaveLogs => "save the service's logs to a file",
            Action::Deploy => "deploy (build + run)",
            Action::ToggleStart => "start / stop",
            Action::Restart => "restart",
            Action::ScaleUp => "one replica more",
            Action::ScaleDown => "one replica less",
            Action::Remove => "remove (stop and delete containers)",
            Action::DeployAll => "deploy all, in dependency order",
            Action::StopAll => "stop all",
            Action::Rebuild => "rebuild the image and replace",
            Action::AutoDeploy => "auto-deploy on file change on/off",
        }
    }

    /// Whether the action changes anything (hidden and refused in `--readonly`).
    pub fn mutating(self) -> bool {
        matches!(
            self,
            Action::Deploy
                | Action::ToggleStart
                | Action::Restart
                | Action::ScaleUp
                | Action::ScaleDown
                | Action::Remove
                | Action::DeployAll
                | Action::StopAll
                | Action::Rebuild
                | Action::AutoDeploy
                | Action::SaveLogs
        )
    }

    fn default_keys(self) -> &'static [&'static str] {
        match self {
            Action::Quit => &["q"],
            Action::ForceQuit => &["ctrl-c"],
            Action::Help => &["?"],
            Action::Up => &["up", "k"],
            Action::Down => &["down", "j"],
            Action::Left => &["left", "h"],
            Action::Right => &["right", "l"],
            Action::PageUp => &["pageup", "ctrl-u"],
            Action::PageDown => &["pagedown", "ctrl-d"],
            Action::Top => &["home", "g"],
            Action::Bottom => &["end", "G"],
            Action::NextPane => &["tab"],
            Action::PrevPane => &["shift-tab"],
            Action::Select => &["enter"],
            Action::Filter => &["/"],
            Action::Palette => &[":"],
            Action::Back => &["esc"],
            Action::Zoom => &["z"],
            Action::Mark => &["space"],
            Action::SortNext => &[">"],
            Action::SortReverse => &["<"],
            Action::NextTab => &["]"],
            Action::PrevTab => &["["],
            Action::TabLogs => &["1"],
            Action::TabEvents => &["2"],
            Action::TabDetails => &["3"],
            Action::TabPlan => &["4"],
            Action::SearchNext => &["n"],
            Action::SearchPrev => &["N"],
            Action::Follow => &["f"],
            Action::Wrap => &["W"],
            Action::Timestamps => &["T"],
            Action::ToggleMouse => &["m"],
            Action::Redetect => &["ctrl-r"],
            Action::OpenBrowser => &["o"],
            Action::SaveLogs => &["w"],
            Action::Deploy => &["d"],
            Action::ToggleStart => &["s"],
            Action::Restart => &["r"],
            Action::ScaleUp => &["+"],
            Action::ScaleDown => &["-"],
            Action::Remove => &["x"],
            Action::DeployAll => &["a"],
            Action::StopAll => &["A"],
            Action::Rebuild => &["b"],
            Action::AutoDeploy => &["u"],
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One key chord: a key code and its modifiers, normalised so that `D` and `shift-d` are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

/// A key string in the config that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("[keys]: unknown action `{0}` (known: {known})", known = known_actions())]
    UnknownAction(String),
    #[error("[keys]: cannot parse key `{key}` for action `{action}`: {reason}")]
    BadKey {
        action: String,
        key: String,
        reason: String,
    },
}

fn known_actions() -> String {
    Action::ALL
        .iter()
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        Key::normalise(code, mods)
    }

    fn normalise(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // Shift is carried by the character itself.
            KeyCode::Char(c) => {
                if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() {
                    mods.remove(KeyModifiers::SHIFT);
                    KeyCode::Char(c.to_ascii_uppercase())
                } else {
                    mods.remove(KeyModifiers::SHIFT);
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    /// The key of a terminal key event.
    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::normalise(ev.code, ev.modifiers)
    }

    /// Parses `d`, `D`, `ctrl-c`, `alt-x`, `shift-tab`, `f5`, `enter`, `space`, `pageup`, `?`, `+`.
    pub fn parse(s: &str) -> Result<Key, String> {
        if s.is_empty() {
            return Err("empty key".into());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        // A single character is always a key, even `-` or `+`.
        while rest.chars().count() > 1 {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            mods |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdown" | "pgdn" => KeyCode::PageDown,
                other => {
                    let n = other
                        .strip_prefix('f')
                        .and_then(|n| n.parse::<u8>().ok())
                        .filter(|n| (1..=24).contains(n));
                    match n {
                        Some(n) => KeyCode::F(n),
                        None => return Err(format!("unknown key name `{rest}`")),
                    }
                }
            },
        };
        if let KeyCode::Char(c) = code
            && mods.contains(KeyModifiers::CONTROL)
        {
            // ctrl-C and ctrl-c are the same chord for terminals.
            return Ok(Key::normalise(
                KeyCode::Char(c.to_ascii_lowercase()),
                mods - KeyModifiers::SHIFT,
            ));
        }
        Ok(Key::normalise(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Action → keys, and the reverse lookup.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = BTreeMap::new();
        for a in Action::ALL {
            let keys = a
                .default_keys()
                .iter()
                .filter_map(|k| Key::parse(k).ok())
                .collect();
            bindings.insert(a, keys);
        }
        Keymap { bindings }
    }
}

impl Keymap {
    /// The default keymap with the user's `[keys]` overrides. An unknown action or an unparsable key is
    /// an error; a key already bound to another action keeps the default binding of the overridden
    /// action and yields a warning.
    pub fn from_config(
        keys: &BTreeMap<String, String>,
    ) -> Result<(Keymap, Vec<String>), KeymapError> {
        let mut map = Keymap::default();
        let mut wanted: Vec<(Action, Key, String)> = Vec::new();
        for (name, key) in keys {
            let action =
                Action::from_name(name).ok_or_else(|| KeymapError::UnknownAction(name.clone()))?;
            let k = Key::parse(key.trim()).map_err(|reason| KeymapError::BadKey {
                action: name.clone(),
                key: key.clone(),
                reason,
            })?;
            wanted.push((action, k, key.clone()));
        }
        // Apply every override, then resolve clashes against the final bindings of other actions.
        for (action, k, _) in &wanted {
            map.bindings.insert(*action, vec![*k]);
        }
        let mut warnings = Vec::new();
        for (action, k, text) in &wanted {
            let clash = map
                .bindings
                .iter()
                .find(|(other, keys)| *other != action && keys.contains(k))
                .map(|(other, _)| *other);
            if let Some(other) = clash {
                let defaults: Vec<Key> = action
                    .default_keys()
                    .iter()
                    .filter_map(|d| Key::parse(d).ok())
                    .collect();
                map.bindings.insert(*action, defaults);
                warnings.push(format!(
                    "[keys] {action} = \"{text}\" clashes with {other}; {action} keeps its default"
                ));
            }
        }
        Ok((map, warnings))
    }

    /// The action bound to a key event.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev);
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(a, _)| *a)
    }

    /// The keys of an action.
    pub fn keys(&self, action: Action) -> &[Key] {
        self.bindings.get(&action).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first key of an action as text (`d`, `ctrl-c`), or `-` when unbound.
    pub fn label(&self, action: Action) -> String {
        self.keys(action)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "-".into())
    }

    /// Every key of an action joined by `/`.
    pub fn labels(&self, action: Action) -> String {
        let v: Vec<String> = self.keys(action).iter().map(|k| k.to_string()).collect();
        v.join("/")
    }
}

#[cfg(test)]
mod tests {
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
        assert!(Key::parse("ctrl-").is_err() || Key::parse("ctrl-").is_ok());
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
        for a in Action::ALL {
            assert!(!km.keys(a).is_empty(), "{a} has no default key");
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
}
