//! What flows into the state owner (`Msg`) and out of `update` (`Command`).

use std::collections::BTreeMap;

use crossterm::event::{KeyEvent, MouseEvent};

use super::logs::LogLine;
use crate::deploy::Plan;
use crate::detect::Topology;

pub use crate::store::{Health, ServiceState};

/// One published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortMap {
    pub container: u16,
    pub host: Option<u16>,
}

/// What the engine says about one service.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceRuntime {
    pub status: ServiceState,
    pub health: Health,
    pub running: u32,
    pub desired: u32,
    pub cpu_percent: Option<f64>,
    pub memory_bytes: Option<u64>,
    pub ports: Vec<PortMap>,
    /// When the oldest running replica started, ms since the epoch.
    pub started_at_ms: Option<i64>,
    pub containers: Vec<String>,
    /// Folder changed since the image was built.
    pub drifted: bool,
    /// The last error of the engine for this service.
    pub error: Option<String>,
}

/// A lifecycle operation on services. One table (strum): `deploy`, `start`, `stop`, `restart`,
/// `remove`, `rebuild` name, parse and list it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::EnumIter,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Op {
    Deploy,
    Start,
    Stop,
    Restart,
    Remove,
    Rebuild,
}

impl Op {
    /// The operation's name (`deploy`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The operation called `name`.
    pub fn parse(name: &str) -> Option<Op> {
        name.parse().ok()
    }

    /// What a service it changed is, in a summary (`6 deployed`).
    pub fn past(self) -> &'static str {
        match self {
            Op::Deploy => "deployed",
            Op::Start => "started",
            Op::Stop => "stopped",
            Op::Restart => "restarted",
            Op::Remove => "removed",
            Op::Rebuild => "rebuilt",
        }
    }

    /// The progress label of a service waiting for its turn in an operation on several services
    /// (a later wave of a deploy); its first step replaces it.
    pub fn queued(self, services: usize) -> &'static str {
        if services > 1 && matches!(self, Op::Deploy | Op::Rebuild) {
            "queued…"
        } else {
            self.progress()
        }
    }

    /// The progress label shown on the service while the operation runs.
    pub fn progress(self) -> &'static str {
        match self {
            Op::Deploy => "deploying…",
            Op::Start => "starting…",
            Op::Stop => "stopping…",
            Op::Restart => "restarting…",
            Op::Remove => "removing…",
            Op::Rebuild => "building…",
        }
    }
}

/// How an operation ended for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It did what was asked (`deployed in 2.1s`, `started`, `removed`).
    Changed(String),
    /// Nothing needed doing (`unchanged: already deployed with this content`).
    Unchanged(String),
    /// It failed. `rolled_back`: the previous version was restored and keeps running.
    Failed { error: String, rolled_back: bool },
    /// Cancelled at a safe point; the previous state was restored (the text says what is left).
    Cancelled(String),
}

impl Outcome {
    /// The one-line text of the outcome (empty for a plain success without detail).
    pub fn text(&self) -> &str {
        match self {
            Outcome::Changed(t) | Outcome::Unchanged(t) | Outcome::Cancelled(t) => t,
            Outcome::Failed { error, .. } => error,
        }
    }

    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }
}

/// One deployment event from the store, ready for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: String,
    pub service: String,
    pub kind: String,
    pub at_ms: i64,
    pub duration_ms: Option<u64>,
    pub error: Option<String>,
    pub triggered_by: String,
    /// The event's data, pretty-printed JSON; `None` when it has none.
    pub data: Option<String>,
}

/// Messages from the engine worker.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineMsg {
    /// Connected to the engine at this endpoint.
    Connected { endpoint: String },
    /// The engine cannot be reached; the worker retries on its own.
    Unreachable { endpoint: String, reason: String },
    /// The full state of every kyozo-managed service of this workspace.
    Snapshot(BTreeMap<String, ServiceRuntime>),
    /// CPU and memory of a running service.
    Stats {
        service: String,
        cpu_percent: f64,
        memory_bytes: u64,
    },
    /// New log lines of a service (container output, build output).
    Logs {
        service: String,
        lines: Vec<LogLine>,
    },
    /// A log follower dropped lines it could not hand over in time (a flood).
    LogsDropped { service: String, count: u64 },
    /// The log stream of a service ended (container gone, engine lost).
    LogsEnded { service: String },
    /// A step of a running operation (`building…`, `starting 2/3…`).
    Progress { service: String, text: String },
    /// An operation finished for one service.
    Done {
        service: String,
        op: Op,
        outcome: Outcome,
    },
    /// An operation was not started for this service because another one holds it (in this
    /// process or another kyozo process on the workspace); `reason` names the running one
    /// (`deploy by ana@build1, pid 4242, since 12:00:01`).
    Refused {
        service: String,
        op: Op,
        reason: String,
    },
    /// An operation never reached this service because `cause` failed first (a later wave of a
    /// deploy): the service keeps its state, only its progress mark goes.
    Skipped {
        service: String,
        op: Op,
        cause: String,
    },
    /// A scale finished.
    Scaled {
        service: String,
        replicas: u32,
        result: Result<(), String>,
    },
}

/// A signal that ends the cockpit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Term,
    Hup,
    Int,
}

impl Signal {
    /// `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "SIGTERM",
            Signal::Hup => "SIGHUP",
            Signal::Int => "SIGINT",
        }
    }

    /// The signal's number (15, 1, 2).
    pub fn number(self) -> i32 {
        match self {
            Signal::Term => libc::SIGTERM,
            Signal::Hup => libc::SIGHUP,
            Signal::Int => libc::SIGINT,
        }
    }

    /// The exit status after it, as shells report a process killed by it: 128 + its number.
    pub fn exit_status(self) -> u8 {
        (128 + self.number()).clamp(0, 255) as u8
    }
}

/// Everything the state owner reacts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Wall clock, ms since the epoch (sent once a second only while something needs it).
    Tick(i64),
    /// SIGTERM, SIGHUP, SIGINT: leave now, with the exit status shells expect.
    Signal(Signal),
    /// A detection finished. `folders` lists the kept folders (workspace-relative) for the tree and
    /// the watches; `changed` the folders whose analysis changed (for drift), empty on a full run.
    Detected {
        topology: Box<Topology>,
        folders: Vec<String>,
        changed: Vec<String>,
    },
    DetectFailed(String),
    /// Debounced file changes, workspace-relative folder paths.
    FsChanged(Vec<String>),
    Engine(EngineMsg),
    /// Event history of a service (or of the workspace, `service == None`), newest first.
    Events {
        service: Option<String>,
        result: Result<Vec<EventRow>, String>,
    },
    /// The build and run plan of a service (the Plan tab renders it).
    Plan {
        service: String,
        result: Result<Box<Plan>, String>,
    },
    /// The stored auto-deploy setting of the workspace.
    AutoDeployLoaded(bool),
    /// A one-line report from a worker (file saved, browser opened, ...).
    Info(String),
    /// A one-line failure from a worker.
    Error(String),
}

/// Work for the workers. `update` returns these; it never does I/O itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Detect the workspace: everything, or only these workspace-relative folders.
    Detect {
        folders: Option<Vec<String>>,
    },
    /// Watch exactly these workspace-relative folders (non-recursively).
    Watch {
        folders: Vec<String>,
    },
    /// Run a lifecycle operation on services, in dependency order.
    Engine {
        op: Op,
        services: Vec<String>,
    },
    /// Cancel the operations in flight on these services (all of them when empty): each stops at
    /// its next safe point and restores the previous state, then reports `Outcome::Cancelled`.
    Cancel {
        services: Vec<String>,
    },
    /// Set the replica count.
    Scale {
        service: String,
        replicas: u32,
    },
    /// Start following the logs of a service (at most one follower per service; a new request
    /// replaces the old follower). `since_s`: only lines newer than this (Unix seconds), used when
    /// the buffer already holds the older ones; otherwise the last lines of history come first.
    FollowLogs {
        service: String,
        since_s: Option<i64>,
    },
    /// Load the event history of a service.
    LoadEvents {
        service: Option<String>,
    },
    /// Compute the plan of a service.
    LoadPlan {
        service: String,
    },
    /// Open a URL in the browser (or report it when no browser is available).
    OpenUrl {
        url: String,
    },
    /// Write log lines of a service to the file at `path` (typed at the prompt: `~/` is the home
    /// folder, a relative path is relative to the current directory), creating its folder, never
    /// overwriting a file (`-1`, `-2`... before the extension instead).
    SaveLogs {
        service: String,
        lines: Vec<String>,
        path: String,
    },
    /// Store a detection (the topology changed) and one `detection_changed` event per service whose
    /// detection changed, with the names of the fields that changed.
    RecordDetection {
        topology: Box<Topology>,
        changed: Vec<(String, Vec<String>)>,
    },
    /// Persist the workspace's auto-deploy setting.
    SetAutoDeploy(bool),
    /// Turn mouse capture on or off.
    SetMouse(bool),
    Quit,
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn ops_name_parse_and_list_from_one_table() {
        let names: Vec<&str> = Op::iter().map(Op::as_str).collect();
        assert_eq!(
            names,
            ["deploy", "start", "stop", "restart", "remove", "rebuild"]
        );
        for op in Op::iter() {
            assert_eq!(Op::parse(op.as_str()), Some(op));
            assert!(!op.past().is_empty() && !op.progress().is_empty());
        }
        assert_eq!(Op::parse("scale"), None);
    }

    #[test]
    fn outcomes_say_what_they_are() {
        let f = Outcome::Failed {
            error: "boom".into(),
            rolled_back: true,
        };
        assert!(f.is_failure());
        assert_eq!(f.text(), "boom");
        assert!(!Outcome::Cancelled("kept".into()).is_failure());
    }
}
