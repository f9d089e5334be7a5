//! The cockpit's first state, from the configuration, the command line and the environment
//! (`NO_COLOR`, `HOME`, `XDG_STATE_HOME`): the keymap with the user's `[keys]` overrides (a clash keeps the default
//! and becomes a warning on the status line), the theme, `--readonly` and `--show-secrets`.

use std::path::PathBuf;

use super::keymap::{Keymap, KeymapError};
use super::state::State;
use crate::config::Config;

/// The command-line switches the state carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// Hide every action that changes anything.
    pub readonly: bool,
    /// Show secret values in Details and Plan.
    pub show_secrets: bool,
}

/// A configuration the cockpit cannot start with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Keymap(#[from] KeymapError),
    #[error("[ui] theme = \"{0}\" is not a theme (default or mono)")]
    Theme(String),
}

/// The state of a cockpit on `workspace`, and the configuration's warnings (also on its status
/// line, so the first frame shows them).
pub fn state_from_config(
    workspace: PathBuf,
    flags: Flags,
    config: &Config,
) -> Result<(State, Vec<String>), StartError> {
    let (keymap, warnings) = Keymap::from_config(&config.keys)?;
    if !matches!(config.ui.theme.as_str(), "default" | "mono") {
        return Err(StartError::Theme(config.ui.theme.clone()));
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let xdg_state = std::env::var_os("XDG_STATE_HOME").map(PathBuf::from);
    let mut state = State::new(
        workspace,
        flags.readonly,
        config,
        keymap,
        no_color,
        home.as_deref(),
    );
    state.show_secrets = flags.show_secrets;
    state.log_dir = super::workers::default_log_dir(xdg_state.as_deref(), home.as_deref());
    if !warnings.is_empty() {
        state.warn(warnings.join("; "));
    }
    Ok((state, warnings))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::app::action::Action;
    use crate::app::state::Level;

    fn config(text: &str) -> Config {
        Config::parse(text, Path::new("test.toml")).unwrap()
    }

    #[test]
    fn a_clashing_key_keeps_the_default_and_warns_on_the_status_line() {
        let c = config("[keys]\ndeploy = \"q\"\nhelp = \"f1\"\n");
        let (s, warnings) = state_from_config("/ws/harbor".into(), Flags::default(), &c).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let (level, text) = s.status.clone().unwrap();
        assert_eq!(level, Level::Warn);
        assert!(
            text.contains("deploy = \"q\"") && text.contains("clashes with quit"),
            "{text}"
        );
        let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(s.keymap.action(&key('q')), Some(Action::Quit));
        assert_eq!(s.keymap.action(&key('d')), Some(Action::Deploy));
        assert_eq!(
            s.keymap.label(Action::Help),
            "f1",
            "the other override holds"
        );
    }

    #[test]
    fn a_clean_config_starts_quietly_with_the_flags() {
        let c = config("[ui]\ntheme = \"mono\"\nmouse = false\n");
        let flags = Flags {
            readonly: true,
            show_secrets: true,
        };
        let (s, warnings) = state_from_config("/ws/harbor".into(), flags, &c).unwrap();
        assert!(warnings.is_empty());
        assert!(s.status.is_none());
        assert!(s.readonly && s.show_secrets && s.mono && !s.mouse);
    }

    #[test]
    fn the_header_shortens_paths_under_home() {
        use crate::app::state::display_path;
        let home = Path::new("/home/ana");
        assert_eq!(
            display_path(Path::new("/home/ana/src/x"), Some(home)),
            "~/src/x"
        );
        assert_eq!(display_path(Path::new("/home/ana"), Some(home)), "~");
        assert_eq!(display_path(Path::new("/srv/x"), Some(home)), "/srv/x");
        assert_eq!(display_path(Path::new("/srv/x"), None), "/srv/x");
    }

    #[test]
    fn bad_keys_and_themes_are_errors_that_name_them() {
        let e = state_from_config(
            "/ws".into(),
            Flags::default(),
            &config("[keys]\ndeploy = \"ctrl-banana\"\n"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("ctrl-banana"), "{e}");
        let e = state_from_config(
            "/ws".into(),
            Flags::default(),
            &config("[keys]\nscale = \"S\"\n"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("`scale` needs arguments"), "{e}");
        let e = state_from_config(
            "/ws".into(),
            Flags::default(),
            &config("[ui]\ntheme = \"neon\"\n"),
        )
        .unwrap_err();
        assert_eq!(e, StartError::Theme("neon".into()));
    }
}
