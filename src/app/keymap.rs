//! Keys are data: every action of [`super::action`] has a snake_case name and default keys, and can be
//! rebound from the config file's `[keys]` table (`deploy = "D"`, `quit = "ctrl-q"`, `help = "f1"`).

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

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
    #[error("[keys]: `{0}` needs arguments, so no key can run it (use the palette: `:{0} ...`)")]
    NeedsArguments(String),
}

fn known_actions() -> String {
    Action::all()
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
        if rest.is_empty() {
            return Err(format!("no key after the modifier in `{s}`"));
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
        for a in Action::all() {
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
            if action.needs_args() {
                return Err(KeymapError::NeedsArguments(name.clone()));
            }
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
mod tests;
