//! Everything a key or a palette command can do, as one table: [`Action::spec`] gives each action
//! its default keys, its description (help overlay and palette), whether it changes anything
//! (hidden in `--readonly`), its palette command and its place in the hint line. The config name is
//! the snake_case variant name (`deploy_all`), derived by strum, so the keymap, the palette's
//! completions, the help overlay and the hint line read one list and cannot disagree.

use strum::{EnumIter, EnumString, IntoEnumIterator, IntoStaticStr};

use super::view::{EventFilter, SortColumn, Tab};

/// Everything a key can do, in the order the help overlay lists them. Text input (filter, search,
/// palette, dialogs) is handled before the keymap and is not rebindable.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, EnumString, IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    Deploy,
    Cancel,
    #[strum(to_string = "start_stop")]
    ToggleStart,
    Start,
    Stop,
    Restart,
    ScaleUp,
    ScaleDown,
    Scale,
    Remove,
    Rebuild,
    DeployAll,
    StopAll,
    RemoveAll,
    AutoDeploy,
    OpenBrowser,
    SaveLogs,
    Mark,
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
    Zoom,
    NextTab,
    PrevTab,
    TabLogs,
    TabEvents,
    TabDetails,
    TabPlan,
    Filter,
    SearchNext,
    SearchPrev,
    Follow,
    Wrap,
    Timestamps,
    SortNext,
    SortReverse,
    Palette,
    Redetect,
    ToggleMouse,
    Help,
    Back,
    Quit,
    ForceQuit,
}

/// What the words after a palette command are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    None,
    /// Zero or more service names (none: the marked or selected services).
    Services,
    /// Zero or one service name (none: the selected service).
    Service,
    /// `all`, or zero or more service names (none: the marked or selected services).
    ServicesOrAll,
    /// A service that can scale (deployable, not a compose stack), then a replica count.
    ServiceAndCount,
    /// `on` or `off` (none: toggle).
    OnOff,
    /// A column, then `asc` or `desc` (none: the next column).
    SortColumn,
    /// A tab name (none: the next tab).
    Tab,
    /// A group of event kinds or one kind (none: the filter stays as it is).
    EventFilter,
    /// Free text (the rest of the line).
    Text,
}

impl ArgKind {
    /// The usage text after the command name.
    pub fn usage(self) -> &'static str {
        match self {
            ArgKind::None => "",
            ArgKind::Services => "[SERVICE...]",
            ArgKind::Service => "[SERVICE]",
            ArgKind::ServicesOrAll => "[SERVICE...|all]",
            ArgKind::ServiceAndCount => "SERVICE N",
            ArgKind::OnOff => "[on|off]",
            ArgKind::SortColumn => "[COLUMN [asc|desc]]",
            ArgKind::Tab => "[TAB]",
            ArgKind::EventFilter => "[all|failed|deploy|health|scale|lifecycle|detection|KIND]",
            ArgKind::Text => "TEXT",
        }
    }
}

/// When an action shows in the hint line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HintWhen {
    Always,
    /// Only while the Logs tab has the focus.
    InLogs,
    /// Only while the Events tab has the focus.
    InEvents,
    /// Only while an operation of this cockpit is in flight.
    Busy,
    /// Always, at the end of the line, whatever the width.
    Pinned,
}

/// An action's place in the hint line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    /// Place in the line (lower first); the line is cut from the end when narrow.
    pub rank: u8,
    pub label: &'static str,
    /// The label while the Logs tab has the focus, when it differs (`/` filters, or searches logs).
    pub in_logs: Option<&'static str>,
    pub when: HintWhen,
    /// Another action shown under the same label (`+/- scale`).
    pub pair: Option<Action>,
}

const fn hint(rank: u8, label: &'static str) -> Option<Hint> {
    Some(Hint {
        rank,
        label,
        in_logs: None,
        when: HintWhen::Always,
        pair: None,
    })
}

const fn hint_when(rank: u8, label: &'static str, when: HintWhen) -> Option<Hint> {
    Some(Hint {
        rank,
        label,
        in_logs: None,
        when,
        pair: None,
    })
}

/// The palette command of an action: its name and what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub name: &'static str,
    pub args: ArgKind,
}

const fn cmd(name: &'static str, args: ArgKind) -> Option<Command> {
    Some(Command { name, args })
}

/// One row of the action table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    /// Default keys (none: reachable from the palette, and bindable in `[keys]`).
    pub keys: &'static [&'static str],
    /// One line for the help overlay and the palette's completions.
    pub describe: &'static str,
    /// Changes something: hidden and refused in `--readonly`.
    pub mutating: bool,
    pub command: Option<Command>,
    pub hint: Option<Hint>,
}

const fn spec(
    keys: &'static [&'static str],
    describe: &'static str,
    mutating: bool,
    command: Option<Command>,
    hint: Option<Hint>,
) -> ActionSpec {
    ActionSpec {
        keys,
        describe,
        mutating,
        command,
        hint,
    }
}

impl Action {
    /// The table.
    pub const fn spec(self) -> ActionSpec {
        use Action::*;
        use ArgKind as A;
        const M: bool = true;
        const R: bool = false;
        match self {
            Deploy => spec(
                &["d"],
                "deploy (build + run)",
                M,
                cmd("deploy", A::Services),
                hint(0, "deploy"),
            ),
            Cancel => spec(
                &["ctrl-x"],
                "cancel the running operation (safe point)",
                M,
                cmd("cancel", A::ServicesOrAll),
                hint_when(1, "cancel", HintWhen::Busy),
            ),
            ToggleStart => spec(&["s"], "start / stop", M, None, hint(2, "start/stop")),
            Start => spec(
                &[],
                "start deployed services",
                M,
                cmd("start", A::Services),
                None,
            ),
            Stop => spec(
                &[],
                "stop services (containers are kept)",
                M,
                cmd("stop", A::Services),
                None,
            ),
            Restart => spec(
                &["r"],
                "restart",
                M,
                cmd("restart", A::Services),
                hint(3, "restart"),
            ),
            ScaleUp => spec(
                &["+"],
                "one replica more",
                M,
                None,
                Some(Hint {
                    rank: 4,
                    label: "scale",
                    in_logs: None,
                    when: HintWhen::Always,
                    pair: Some(ScaleDown),
                }),
            ),
            ScaleDown => spec(&["-"], "one replica less", M, None, None),
            Scale => spec(
                &[],
                "set the replicas: SERVICE N (0 stops it)",
                M,
                cmd("scale", A::ServiceAndCount),
                None,
            ),
            Remove => spec(
                &["x"],
                "remove (stop and delete containers)",
                M,
                cmd("remove", A::Services),
                hint(8, "remove"),
            ),
            Rebuild => spec(
                &["b"],
                "rebuild the image (no cache) and replace",
                M,
                cmd("rebuild", A::Services),
                None,
            ),
            DeployAll => spec(
                &["a"],
                "deploy all, in dependency order",
                M,
                cmd("up", A::None),
                hint(9, "deploy all"),
            ),
            StopAll => spec(
                &["A"],
                "stop every running service",
                M,
                cmd("stop-all", A::None),
                None,
            ),
            RemoveAll => spec(
                &[],
                "remove every deployed service",
                M,
                cmd("down", A::None),
                None,
            ),
            AutoDeploy => spec(
                &["u"],
                "auto-deploy on file change on/off",
                M,
                cmd("auto-deploy", A::OnOff),
                None,
            ),
            OpenBrowser => spec(
                &["o"],
                "open the service's port in a browser",
                R,
                cmd("open", A::Service),
                None,
            ),
            SaveLogs => spec(
                &["w"],
                "save the service's logs to a file",
                M,
                cmd("save-logs", A::Service),
                None,
            ),
            Mark => spec(&["space"], "mark service for a group action", R, None, None),
            Up => spec(&["up", "k"], "move up / scroll up", R, None, None),
            Down => spec(&["down", "j"], "move down / scroll down", R, None, None),
            Left => spec(
                &["left", "h"],
                "collapse folder / previous tab",
                R,
                None,
                None,
            ),
            Right => spec(&["right", "l"], "expand folder / next tab", R, None, None),
            PageUp => spec(&["pageup", "ctrl-u"], "page up", R, None, None),
            PageDown => spec(&["pagedown", "ctrl-d"], "page down", R, None, None),
            Top => spec(&["home", "g"], "first row / oldest log line", R, None, None),
            Bottom => spec(&["end", "G"], "last row / follow logs", R, None, None),
            NextPane => spec(&["tab"], "next pane", R, None, None),
            PrevPane => spec(&["shift-tab"], "previous pane", R, None, None),
            Select => spec(
                &["enter"],
                "details of a service; open a folder, an event",
                R,
                None,
                hint_when(6, "open event", HintWhen::InEvents),
            ),
            Zoom => spec(&["z"], "zoom the focused pane", R, None, None),
            NextTab => spec(&["]"], "next tab", R, cmd("tab", A::Tab), None),
            PrevTab => spec(&["["], "previous tab", R, None, None),
            TabLogs => spec(&["1"], "Logs tab", R, cmd("logs", A::Service), None),
            TabEvents => spec(
                &["2"],
                "Events tab (:events failed, deploy, health... filters it)",
                R,
                cmd("events", A::EventFilter),
                None,
            ),
            TabDetails => spec(&["3"], "Details tab", R, None, None),
            TabPlan => spec(&["4"], "Plan tab", R, None, None),
            Filter => spec(
                &["/"],
                "filter tree and table; search in Logs",
                R,
                cmd("filter", A::Text),
                Some(Hint {
                    rank: 5,
                    label: "filter",
                    in_logs: Some("search"),
                    when: HintWhen::Always,
                    pair: None,
                }),
            ),
            SearchNext => spec(
                &["n"],
                "next search match",
                R,
                None,
                Some(Hint {
                    rank: 6,
                    label: "next/prev",
                    in_logs: None,
                    when: HintWhen::InLogs,
                    pair: Some(SearchPrev),
                }),
            ),
            SearchPrev => spec(&["N"], "previous search match", R, None, None),
            Follow => spec(
                &["f"],
                "follow logs on/off",
                R,
                None,
                hint_when(7, "follow", HintWhen::InLogs),
            ),
            Wrap => spec(&["W"], "wrap log lines on/off", R, None, None),
            Timestamps => spec(&["T"], "log timestamps on/off", R, None, None),
            SortNext => spec(
                &[">"],
                "sort by next column",
                R,
                cmd("sort", A::SortColumn),
                None,
            ),
            SortReverse => spec(&["<"], "reverse sort order", R, None, None),
            Palette => spec(&[":"], "command palette", R, None, hint(10, "cmd")),
            Redetect => spec(
                &["ctrl-r"],
                "detect the workspace again",
                R,
                cmd("redetect", A::None),
                None,
            ),
            ToggleMouse => spec(
                &["m"],
                "mouse capture on/off (text selection)",
                R,
                cmd("mouse", A::OnOff),
                None,
            ),
            Help => spec(
                &["?"],
                "this help",
                R,
                cmd("help", A::None),
                hint_when(20, "help", HintWhen::Pinned),
            ),
            Back => spec(
                &["esc"],
                "back: close an event or overlay, clear filter",
                R,
                None,
                None,
            ),
            Quit => spec(
                &["q"],
                "quit (asks first while operations run)",
                R,
                cmd("quit", A::None),
                hint_when(21, "quit", HintWhen::Pinned),
            ),
            ForceQuit => spec(
                &["ctrl-c"],
                "quit; twice leaves at once, whatever runs",
                R,
                None,
                None,
            ),
        }
    }

    /// Every action, in the order the help overlay lists them.
    pub fn all() -> impl Iterator<Item = Action> {
        Action::iter()
    }

    /// The name used in the config file (`deploy_all`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The action with this config name.
    pub fn from_name(name: &str) -> Option<Action> {
        name.parse().ok()
    }

    /// A short description for the help overlay and the palette.
    pub fn describe(self) -> &'static str {
        self.spec().describe
    }

    /// Whether the action changes anything (hidden and refused in `--readonly`).
    pub fn mutating(self) -> bool {
        self.spec().mutating
    }

    /// The default keys.
    pub fn default_keys(self) -> &'static [&'static str] {
        self.spec().keys
    }

    /// Whether the action cannot run without arguments, so no key can be bound to it.
    pub fn needs_args(self) -> bool {
        matches!(
            self.spec().command,
            Some(Command {
                args: ArgKind::ServiceAndCount,
                ..
            })
        )
    }

    /// The action whose palette command is `name` (`up`, `stop-all`), or whose config name is
    /// (`deploy_all`, `deploy-all`): every action can be run from the palette by its name.
    pub fn from_command(name: &str) -> Option<Action> {
        Action::all()
            .find(|a| a.spec().command.is_some_and(|c| c.name == name))
            .or_else(|| Action::from_name(&name.replace('-', "_")))
    }

    /// The palette commands, in table order.
    pub fn commands() -> impl Iterator<Item = (Action, Command)> {
        Action::all().filter_map(|a| a.spec().command.map(|c| (a, c)))
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a palette line says beyond its action. A key press carries [`Args::Default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// Nothing given: the marked or selected services, the toggle, the next value.
    Default,
    Services(Vec<String>),
    /// `all` (`:cancel all`).
    All,
    Scale {
        service: String,
        replicas: u32,
    },
    Switch(bool),
    Sort {
        column: SortColumn,
        desc: bool,
    },
    Tab(Tab),
    Events(EventFilter),
    Text(String),
}

/// An action with its arguments: what a key press and a palette line both become, handled by one
/// function of `update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub action: Action,
    pub args: Args,
}

impl Invocation {
    /// The action as a key gives it.
    pub fn key(action: Action) -> Invocation {
        Invocation {
            action,
            args: Args::Default,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for a in Action::all() {
            assert_eq!(Action::from_name(a.name()), Some(a), "{a}");
        }
        assert_eq!(Action::ToggleStart.name(), "start_stop");
        assert_eq!(Action::DeployAll.name(), "deploy_all");
        assert_eq!(
            Action::from_name("deploy-all"),
            None,
            "config names are snake_case"
        );
        assert_eq!(Action::from_name("nope"), None);
    }

    #[test]
    fn palette_names_are_unique_and_reach_their_action() {
        let mut seen = std::collections::HashSet::new();
        for (a, c) in Action::commands() {
            assert!(seen.insert(c.name), "palette command {} twice", c.name);
            assert_eq!(Action::from_command(c.name), Some(a));
        }
        assert_eq!(Action::from_command("up"), Some(Action::DeployAll));
        assert_eq!(Action::from_command("deploy-all"), Some(Action::DeployAll));
        assert_eq!(Action::from_command("zoom"), Some(Action::Zoom));
        assert_eq!(Action::from_command("frobnicate"), None);
    }

    #[test]
    fn only_actions_that_take_arguments_lack_keys_or_have_commands() {
        for a in Action::all() {
            let s = a.spec();
            assert!(
                !s.keys.is_empty() || s.command.is_some(),
                "{a} has neither a key nor a palette command"
            );
            assert!(!s.describe.is_empty());
        }
        assert!(Action::Scale.needs_args());
        assert!(!Action::Filter.needs_args());
        assert!(!Action::Deploy.needs_args());
    }
}
