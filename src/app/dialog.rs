//! The modes that take the keyboard before the keymap: a line being typed (filter, search), the
//! command palette, and the dialogs that ask before acting.

/// A line of text being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Filter of tree and table.
    Filter,
    /// Search in the logs.
    Search,
    /// The file `w` saves the logs to ([`SavePrompt`]).
    SavePath,
}

/// `w` asks where to save a service's logs; the path starts as the default under the state folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavePrompt {
    pub service: String,
    pub path: String,
}

/// The command palette.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Palette {
    pub input: String,
    /// Completions of the word under the cursor (the last word).
    pub completions: Vec<String>,
    /// Index into `completions` of the highlighted one.
    pub selected: usize,
}

/// A destructive action waiting for a yes (gitui's ConfirmAction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmAction {
    Remove(Vec<String>),
    /// `:down`: every deployed service.
    RemoveAll(Vec<String>),
    StopAll(Vec<String>),
}

impl ConfirmAction {
    pub fn question(&self) -> String {
        match self {
            ConfirmAction::Remove(s) => format!(
                "Remove {}? Its containers are stopped and deleted; history is kept.",
                list(s)
            ),
            ConfirmAction::RemoveAll(s) => format!(
                "Remove all {} deployed services ({})? Their containers are stopped and deleted; \
                 history is kept.",
                s.len(),
                list(s)
            ),
            ConfirmAction::StopAll(s) => {
                format!("Stop all {} running services ({})?", s.len(), list(s))
            }
        }
    }
    pub fn title(&self) -> &'static str {
        match self {
            ConfirmAction::Remove(_) => "Remove",
            ConfirmAction::RemoveAll(_) => "Remove all",
            ConfirmAction::StopAll(_) => "Stop all",
        }
    }
}

fn list(s: &[String]) -> String {
    if s.len() <= 4 {
        s.join(", ")
    } else {
        format!("{} and {} more", s[..3].join(", "), s.len() - 3)
    }
}

/// Quitting while operations run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaving {
    /// The prompt asks: wait, cancel them, or leave.
    Asking,
    /// Leave once every operation has reported.
    Waiting,
    /// They were asked to cancel; leave once every one has reported.
    Cancelling,
}

/// The quit prompt's question for `n` operations in flight.
pub fn leaving_question(n: usize) -> String {
    if n == 1 {
        "1 operation running: wait, cancel it, or leave".to_string()
    } else {
        format!("{n} operations running: wait, cancel them, or leave")
    }
}
