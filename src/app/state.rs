//! The cockpit state: everything `ui::render` draws and `update` changes. Owned by one task.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use super::keymap::Keymap;
use super::logs::LogBuffer;
use super::msg::{EventRow, Health, Op, ServiceRuntime, ServiceState};
use super::tree::TreeNode;
use crate::config::Config;
use crate::detect::{Service, Topology};

/// The three panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Tree,
    Services,
    Bottom,
}

impl Pane {
    pub fn next(self) -> Pane {
        match self {
            Pane::Tree => Pane::Services,
            Pane::Services => Pane::Bottom,
            Pane::Bottom => Pane::Tree,
        }
    }
    pub fn prev(self) -> Pane {
        match self {
            Pane::Tree => Pane::Bottom,
            Pane::Services => Pane::Tree,
            Pane::Bottom => Pane::Services,
        }
    }
}

/// The bottom tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Logs,
    Events,
    Details,
    Plan,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Logs, Tab::Events, Tab::Details, Tab::Plan];
    pub fn title(self) -> &'static str {
        match self {
            Tab::Logs => "Logs",
            Tab::Events => "Events",
            Tab::Details => "Details",
            Tab::Plan => "Plan",
        }
    }
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// Sortable columns of the services table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortColumn {
    Name,
    Type,
    Status,
    Health,
    Replicas,
    Cpu,
    Memory,
    Ports,
    Uptime,
}

impl SortColumn {
    pub const ALL: [SortColumn; 9] = [
        SortColumn::Name,
        SortColumn::Type,
        SortColumn::Status,
        SortColumn::Health,
        SortColumn::Replicas,
        SortColumn::Cpu,
        SortColumn::Memory,
        SortColumn::Ports,
        SortColumn::Uptime,
    ];
    pub fn title(self) -> &'static str {
        match self {
            SortColumn::Name => "NAME",
            SortColumn::Type => "TYPE",
            SortColumn::Status => "STATUS",
            SortColumn::Health => "HEALTH",
            SortColumn::Replicas => "REPL",
            SortColumn::Cpu => "CPU",
            SortColumn::Memory => "MEM",
            SortColumn::Ports => "PORTS",
            SortColumn::Uptime => "UP",
        }
    }
    pub fn from_name(s: &str) -> Option<SortColumn> {
        let s = s.to_ascii_lowercase();
        SortColumn::ALL.into_iter().find(|c| {
            c.title().eq_ignore_ascii_case(&s)
                || matches!(
                    (c, s.as_str()),
                    (SortColumn::Replicas, "replicas")
                        | (SortColumn::Memory, "memory")
                        | (SortColumn::Uptime, "uptime")
                )
        })
    }
    pub fn next(self) -> SortColumn {
        let i = SortColumn::ALL.iter().position(|c| *c == self).unwrap_or(0);
        SortColumn::ALL[(i + 1) % SortColumn::ALL.len()]
    }
}

/// A line of text being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Filter of tree and table.
    Filter,
    /// Search in the logs.
    Search,
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
    StopAll(Vec<String>),
}

impl ConfirmAction {
    pub fn question(&self) -> String {
        match self {
            ConfirmAction::Remove(s) => format!(
                "Remove {}? Its containers are stopped and deleted; history is kept.",
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

    pub size: (u16, u16),
    pub now_ms: i64,
    pub dirty: bool,
    pub quit: bool,

    pub topology: Option<Topology>,
    pub detect_error: Option<String>,
    pub folders: Vec<String>,
    pub tree: TreeNode,
    pub tree_opened: HashSet<Vec<String>>,
    pub tree_selected: Vec<String>,

    pub engine: EngineConn,
    pub runtime: BTreeMap<String, ServiceRuntime>,
    /// Operation in flight per service, with its current progress text.
    pub progress: BTreeMap<String, (Op, String)>,
    pub logs: HashMap<String, LogBuffer>,
    pub log_view: LogView,
    /// Services with a log follower running.
    pub following: HashSet<String>,
    pub events: Option<LoadedEvents>,
    pub plans: HashMap<String, Result<String, String>>,

    pub focus: Pane,
    pub tab: Tab,
    pub zoom: bool,
    pub selected: Option<String>,
    pub marks: BTreeSet<String>,
    pub sort: SortColumn,
    pub sort_desc: bool,
    pub filter: String,
    pub input: Option<InputKind>,
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
    pub fn new(workspace: PathBuf, readonly: bool, config: &Config, keymap: Keymap) -> State {
        let mono = config.ui.theme == "mono"
            || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let mut s = State::with_options(
            workspace,
            readonly,
            keymap,
            config.ui.log_buffer_lines,
            mono,
            config.ui.mouse,
        );
        s.workspace_display = match std::env::var_os("HOME").map(PathBuf::from) {
            Some(home) if !home.as_os_str().is_empty() && s.workspace.starts_with(&home) => {
                let rest = s.workspace.strip_prefix(&home).unwrap_or(&s.workspace);
                if rest.as_os_str().is_empty() {
                    "~".to_string()
                } else {
                    format!("~/{}", rest.display())
                }
            }
            _ => s.workspace.display().to_string(),
        };
        s
    }

    /// A state without reading the environment (tests).
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
            size: (80, 24),
            now_ms: 0,
            dirty: true,
            quit: false,
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
            logs: HashMap::new(),
            log_view: LogView::default(),
            following: HashSet::new(),
            events: None,
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

    /// Status including operations in flight.
    pub fn status_of(&self, name: &str) -> ServiceState {
        match self.progress.get(name) {
            Some((Op::Deploy | Op::Rebuild, _)) => ServiceState::Deploying,
            _ => self.runtime.get(name).map(|r| r.status).unwrap_or_default(),
        }
    }

    pub fn engine_connected(&self) -> bool {
        matches!(self.engine, EngineConn::Connected { .. })
    }

    /// (running, total deployable) services.
    pub fn counts(&self) -> (usize, usize) {
        let total = self.services().iter().filter(|s| s.deployable).count();
        let running = self
            .services()
            .iter()
            .filter(|s| self.status_of(&s.name) == ServiceState::Running)
            .count();
        (running, total)
    }

    /// Share of running services that are healthy, in percent; `None` when nothing runs.
    pub fn health_score(&self) -> Option<u32> {
        let running: Vec<&ServiceRuntime> = self
            .services()
            .iter()
            .filter_map(|s| self.runtime.get(&s.name))
            .filter(|r| r.status == ServiceState::Running)
            .collect();
        if running.is_empty() {
            return None;
        }
        let healthy = running
            .iter()
            .filter(|r| r.health == Health::Healthy)
            .count();
        Some(((healthy * 100 + running.len() / 2) / running.len()) as u32)
    }

    /// Whether `s` passes the current filter.
    pub fn matches_filter(&self, s: &Service) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        let f = self.filter.to_lowercase();
        s.name.to_lowercase().contains(&f)
            || s.path.to_lowercase().contains(&f)
            || s.kind.as_str().contains(&f)
    }

    /// The services table rows, filtered and sorted.
    pub fn table_rows(&self) -> Vec<&Service> {
        let mut rows: Vec<&Service> = self
            .services()
            .iter()
            .filter(|s| self.matches_filter(s))
            .collect();
        let key = |s: &Service| -> (i64, String) {
            let rt = self.runtime.get(&s.name);
            match self.sort {
                SortColumn::Name => (0, s.name.clone()),
                SortColumn::Type => (0, s.kind.as_str().to_string()),
                SortColumn::Status => (self.status_of(&s.name) as i64, String::new()),
                SortColumn::Health => (rt.map(|r| r.health as i64).unwrap_or(9), String::new()),
                SortColumn::Replicas => (rt.map(|r| r.running as i64).unwrap_or(-1), String::new()),
                SortColumn::Cpu => (
                    rt.and_then(|r| r.cpu_percent)
                        .map(|c| (c * 100.0) as i64)
                        .unwrap_or(-1),
                    String::new(),
                ),
                SortColumn::Memory => (
                    rt.and_then(|r| r.memory_bytes)
                        .map(|m| m as i64)
                        .unwrap_or(-1),
                    String::new(),
                ),
                SortColumn::Ports => (s.port.map(i64::from).unwrap_or(-1), String::new()),
                SortColumn::Uptime => (
                    rt.and_then(|r| r.started_at_ms)
                        .map(|t| self.now_ms - t)
                        .unwrap_or(-1),
                    String::new(),
                ),
            }
        };
        rows.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name)));
        if self.sort_desc {
            rows.reverse();
        }
        rows
    }

    /// The tree as shown: pruned to the filter when one is set.
    pub fn shown_tree(&self) -> Option<std::borrow::Cow<'_, TreeNode>> {
        if self.filter.is_empty() {
            return Some(std::borrow::Cow::Borrowed(&self.tree));
        }
        self.tree
            .pruned(&|n: &TreeNode| {
                n.service
                    .as_deref()
                    .and_then(|name| self.service(name))
                    .is_some_and(|s| self.matches_filter(s))
            })
            .map(std::borrow::Cow::Owned)
    }

    /// Services an action applies to: the marked ones, else the selected one.
    pub fn targets(&self) -> Vec<String> {
        if !self.marks.is_empty() {
            return self.marks.iter().cloned().collect();
        }
        self.selected.iter().cloned().collect()
    }

    /// The log buffer of a service, created on first use.
    pub fn log_buffer(&mut self, service: &str) -> &mut LogBuffer {
        let cap = self.log_buffer_lines;
        self.logs
            .entry(service.to_string())
            .or_insert_with(|| LogBuffer::new(cap))
    }

    /// Whether anything shown changes with the clock (uptime, progress).
    pub fn wants_tick(&self) -> bool {
        !self.progress.is_empty()
            || self
                .runtime
                .values()
                .any(|r| r.status == ServiceState::Running)
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
