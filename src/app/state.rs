//! The cockpit state: everything the screen shows and `update` changes. Owned by one task. The
//! views derived from it (table rows, the shown tree, counts, health) are in [`super::query`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::dialog::{ConfirmAction, InputKind, Leaving, Palette, SavePrompt};
use super::inflight::{Batch, InFlight};
use super::keymap::Keymap;
use super::logs::LogBuffer;
use super::msg::{EventRow, ServiceRuntime, Signal};
use super::tree::TreeNode;
use super::view::{EventFilter, Pane, SortColumn, Tab};
use crate::config::Config;
use crate::deploy::Plan;
use crate::detect::{Service, Topology};

/// Severity of the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// How the Logs tab shows a service's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogView {
    /// Lines scrolled up from the newest (0 follows the tail).
    pub scroll: usize,
    pub follow: bool,
    pub wrap: bool,
    pub timestamps: bool,
    pub search: String,
    /// Buffer index of the current search match.
    pub hit: Option<usize>,
}

impl Default for LogView {
    fn default() -> Self {
        LogView {
            scroll: 0,
            follow: true,
            wrap: false,
            timestamps: true,
            search: String::new(),
            hit: None,
        }
    }
}

/// How the Events tab shows the history: which events, the row under the cursor, and the event
/// opened in full.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventsView {
    pub filter: EventFilter,
    /// Row of the cursor among the shown (filtered) events.
    pub cursor: usize,
    /// The id of the event shown in full (`enter`), if any.
    pub open: Option<String>,
    /// Lines scrolled in the open event.
    pub scroll: usize,
}

/// Engine connection as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineConn {
    /// Not tried yet.
    Connecting,
    Connected {
        endpoint: String,
    },
    Unreachable {
        endpoint: String,
        reason: String,
    },
}

/// Re-detection bookkeeping: one run at a time, one pending request (newest wins, folders merged).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DetectJob {
    pub running: bool,
    /// `Some(None)`: a full detection is pending; `Some(Some(folders))`: these folders.
    pub pending: Option<Option<BTreeSet<String>>>,
    /// Folders of the run in flight (for drift marking), `None` for a full run.
    pub in_flight: Option<BTreeSet<String>>,
    /// When the run in flight was asked for, ms since the epoch.
    pub started_ms: i64,
    /// The user asked for a full detection (ctrl-r): say when it finished.
    pub announce: bool,
}

/// The Events tab's loading: one request at a time, a reload now and then while it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventsJob {
    pub loading: bool,
    /// Something happened while a load was in flight: load again when it answers.
    pub again: bool,
    /// When the last request went out, ms since the epoch.
    pub requested_ms: i64,
}

/// `path` as the header shows it: under `home` as `~/...`.
pub fn display_path(path: &Path, home: Option<&Path>) -> String {
    match home {
        Some(home) if !home.as_os_str().is_empty() && path.starts_with(home) => {
            let rest = path.strip_prefix(home).unwrap_or(path);
            if rest.as_os_str().is_empty() {
                "~".to_string()
            } else {
                format!("~/{}", rest.display())
            }
        }
        _ => path.display().to_string(),
    }
}

/// Event history as loaded: for which service, and the rows or why there are none.
pub type LoadedEvents = (Option<String>, Result<Vec<EventRow>, String>);

/// Everything the cockpit knows.
#[derive(Debug)]
pub struct State {
    pub workspace: PathBuf,
    pub readonly: bool,
    pub keymap: Keymap,
    pub log_buffer_lines: usize,
    pub mono: bool,
    pub mouse: bool,
    pub auto_deploy: bool,

    /// Secret values show in Details and Plan (`--show-secrets`); masked otherwise.
    pub show_secrets: bool,

    pub size: (u16, u16),
    /// The clock, ms since the epoch: set by the main loop before each batch of messages and by
    /// ticks, so `update` reads time without asking for it.
    pub now_ms: i64,
    /// When the screen was last drawn (what the uptimes on it were computed from).
    pub drawn_ms: i64,
    pub dirty: bool,
    /// Leave now.
    pub quit: bool,
    /// Leaving was asked for while operations run: the prompt, or waiting for them to end.
    pub leaving: Option<Leaving>,
    /// The signal that ended the cockpit (its exit status is 128 + the signal's number).
    pub exit_signal: Option<Signal>,

    pub topology: Option<Topology>,
    pub detect_error: Option<String>,
    pub folders: Vec<String>,
    pub tree: TreeNode,
    pub tree_opened: HashSet<Vec<String>>,
    pub tree_selected: Vec<String>,

    pub engine: EngineConn,
    pub runtime: BTreeMap<String, ServiceRuntime>,
    /// The operation in flight per service (at most one), with its current step.
    pub progress: BTreeMap<String, InFlight>,
    /// Operations over several services, summed up when their last member reports.
    pub batches: Vec<Batch>,
    /// When this cockpit last saw replicas of a service start (its health start period runs from
    /// there), ms since the epoch.
    pub started: HashMap<String, i64>,
    pub logs: HashMap<String, LogBuffer>,
    pub log_view: LogView,
    /// Services with a log follower running.
    pub following: HashSet<String>,
    pub events: Option<LoadedEvents>,
    pub events_job: EventsJob,
    pub events_view: EventsView,
    pub plans: HashMap<String, Result<Box<Plan>, String>>,

    pub focus: Pane,
    pub tab: Tab,
    pub zoom: bool,
    pub selected: Option<String>,
    pub marks: BTreeSet<String>,
    pub sort: SortColumn,
    pub sort_desc: bool,
    pub filter: String,
    pub input: Option<InputKind>,
    /// Where `w` saves the logs, while the path is being typed.
    pub save_prompt: Option<SavePrompt>,
    /// The folder saved logs go to unless another path is typed
    /// (`$XDG_STATE_HOME/kyozo/logs`, else `~/.local/state/kyozo/logs`); `None` when neither is
    /// known, and then the prompt starts with a bare file name.
    pub log_dir: Option<PathBuf>,
    pub palette: Option<Palette>,
    pub confirm: Option<ConfirmAction>,
    pub help: bool,
    pub help_scroll: usize,
    pub status: Option<(Level, String)>,
    pub detect_job: DetectJob,
    /// Scroll of the Events/Details/Plan tabs.
    pub text_scroll: usize,
    /// Drifted services to rebuild once the running re-detection lands (auto-deploy).
    pub auto_rebuild: BTreeSet<String>,
    /// The workspace path as the header shows it (`~/src/harbor`).
    pub workspace_display: String,
}

impl State {
    /// A state from the configuration; `no_color` (`NO_COLOR` set) forces the mono theme and
    /// `home` shortens the workspace path in the header (`~/src/harbor`). The caller reads the
    /// environment ([`super::start`]); nothing here does.
    pub fn new(
        workspace: PathBuf,
        readonly: bool,
        config: &Config,
        keymap: Keymap,
        no_color: bool,
        home: Option<&Path>,
    ) -> State {
        let mono = config.ui.theme == "mono" || no_color;
        let mut s = State::with_options(
            workspace,
            readonly,
            keymap,
            config.ui.log_buffer_lines,
            mono,
            config.ui.mouse,
        );
        s.workspace_display = display_path(&s.workspace, home);
        s
    }

    /// A state with its settings given one by one (tests).
    pub fn with_options(
        workspace: PathBuf,
        readonly: bool,
        keymap: Keymap,
        log_buffer_lines: usize,
        mono: bool,
        mouse: bool,
    ) -> State {
        let name = workspace
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| workspace.display().to_string());
        let workspace_display = workspace.display().to_string();
        State {
            workspace,
            readonly,
            keymap,
            log_buffer_lines,
            mono,
            mouse,
            auto_deploy: false,
            show_secrets: false,
            size: (80, 24),
            now_ms: 0,
            drawn_ms: 0,
            dirty: true,
            quit: false,
            leaving: None,
            exit_signal: None,
            topology: None,
            detect_error: None,
            folders: Vec::new(),
            tree: TreeNode {
                name,
                rel: ".".into(),
                service: None,
                children: Vec::new(),
            },
            tree_opened: HashSet::new(),
            tree_selected: Vec::new(),
            engine: EngineConn::Connecting,
            runtime: BTreeMap::new(),
            progress: BTreeMap::new(),
            batches: Vec::new(),
            started: HashMap::new(),
            logs: HashMap::new(),
            log_view: LogView::default(),
            following: HashSet::new(),
            events: None,
            events_job: EventsJob::default(),
            events_view: EventsView::default(),
            plans: HashMap::new(),
            focus: Pane::Tree,
            tab: Tab::Logs,
            zoom: false,
            selected: None,
            marks: BTreeSet::new(),
            sort: SortColumn::Name,
            sort_desc: false,
            filter: String::new(),
            input: None,
            save_prompt: None,
            log_dir: None,
            palette: None,
            confirm: None,
            help: false,
            help_scroll: 0,
            status: None,
            detect_job: DetectJob::default(),
            text_scroll: 0,
            auto_rebuild: BTreeSet::new(),
            workspace_display,
        }
    }

    pub fn services(&self) -> &[Service] {
        self.topology
            .as_ref()
            .map(|t| t.services.as_slice())
            .unwrap_or(&[])
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services().iter().find(|s| s.name == name)
    }

    /// The runtime of a service; a default (deployable, unknown) one when the engine knows nothing.
    pub fn rt(&self, name: &str) -> ServiceRuntime {
        self.runtime.get(name).cloned().unwrap_or_default()
    }

    pub fn engine_connected(&self) -> bool {
        matches!(self.engine, EngineConn::Connected { .. })
    }

    /// Adds kyozo's own line (`deploy requested`, `restart failed: ...`) to a service's logs, at
    /// the state's time.
    pub fn note(&mut self, service: &str, text: impl Into<String>) {
        let at = self.now_ms;
        self.log_buffer(service)
            .push(super::logs::LogLine::new(Some(at), "kyozo", text));
    }

    /// The log buffer of a service, created on first use.
    pub fn log_buffer(&mut self, service: &str) -> &mut LogBuffer {
        let cap = self.log_buffer_lines;
        self.logs
            .entry(service.to_string())
            .or_insert_with(|| LogBuffer::new(cap))
    }

    /// Whether anything shown changes with the clock (uptime, progress, the Events tab's reload).
    pub fn wants_tick(&self) -> bool {
        !self.progress.is_empty()
            || self.events_shown()
            || self
                .runtime
                .values()
                .any(|r| r.status == super::msg::ServiceState::Running)
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some((Level::Info, text.into()));
    }
    pub fn warn(&mut self, text: impl Into<String>) {
        self.status = Some((Level::Warn, text.into()));
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some((Level::Error, text.into()));
    }
}
