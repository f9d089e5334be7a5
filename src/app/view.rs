//! What the screen is made of, as values: the three panes, the bottom tabs and the sortable columns of
//! the services table. Each enum is one table (strum derives): it names its values for the palette
//! and the config, parses them back, and lists them in screen order.

use strum::{EnumIter, EnumString, IntoEnumIterator, IntoStaticStr};

use crate::store::EventKind;

/// The three panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter)]
pub enum Pane {
    Tree,
    Services,
    Bottom,
}

impl Pane {
    pub fn next(self) -> Pane {
        cycle(self, 1)
    }
    pub fn prev(self) -> Pane {
        cycle(self, -1)
    }
}

/// The bottom tabs, in the order of their titles. Named `logs`, `events`, `details`, `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, EnumString, IntoStaticStr)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Tab {
    Logs,
    Events,
    Details,
    Plan,
}

impl Tab {
    /// Every tab in title order.
    pub fn all() -> impl Iterator<Item = Tab> {
        Tab::iter()
    }
    /// The name the palette takes (`events`).
    pub fn name(self) -> &'static str {
        self.into()
    }
    /// The title in the bottom pane's border (`Events`).
    pub fn title(self) -> &'static str {
        match self {
            Tab::Logs => "Logs",
            Tab::Events => "Events",
            Tab::Details => "Details",
            Tab::Plan => "Plan",
        }
    }
    pub fn index(self) -> usize {
        Tab::iter().position(|t| t == self).unwrap_or(0)
    }
    pub fn next(self) -> Tab {
        cycle(self, 1)
    }
    pub fn prev(self) -> Tab {
        cycle(self, -1)
    }
    /// The tab called `name` (case-insensitive).
    pub fn parse(name: &str) -> Option<Tab> {
        name.parse().ok()
    }
}

/// Sortable columns of the services table, in column order. Named as their headers are titled
/// (`name`, `type`, `status`, `health`, `repl`, `cpu`, `mem`, `ports`, `up`), so the palette's
/// completions, the sort title and the header say one word; `replicas`, `memory` and `uptime` parse
/// too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, EnumString, IntoStaticStr)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum SortColumn {
    Name,
    Type,
    Status,
    Health,
    #[strum(to_string = "repl", serialize = "replicas")]
    Replicas,
    Cpu,
    #[strum(to_string = "mem", serialize = "memory")]
    Memory,
    Ports,
    #[strum(to_string = "up", serialize = "uptime")]
    Uptime,
}

impl SortColumn {
    /// Every column in table order.
    pub fn all() -> impl Iterator<Item = SortColumn> {
        SortColumn::iter()
    }
    /// The name the palette completes and the sort title shows (`repl`): the header, lower case.
    pub fn name(self) -> &'static str {
        self.into()
    }
    /// The column header (`REPL`).
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
    /// The column called `name` or titled so (case-insensitive).
    pub fn from_name(name: &str) -> Option<SortColumn> {
        name.parse().ok()
    }
    pub fn next(self) -> SortColumn {
        cycle(self, 1)
    }
}

/// Groups of event kinds the Events tab filters on (`:events failed`), named `all`, `failed`,
/// `deploy`, `health`, `scale`, `lifecycle`, `detection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, EnumString, IntoStaticStr)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum EventGroup {
    /// Every event.
    All,
    /// Failed deployments and health checks, and any event that carries an error.
    Failed,
    /// `deployment_started`, `deployment_completed`, `deployment_failed`.
    Deploy,
    /// `health_check_failed`, `health_recovered`.
    Health,
    /// `service_scaled`.
    Scale,
    /// `service_started`, `service_stopped`, `service_removed`.
    Lifecycle,
    /// `detection_changed`.
    Detection,
}

impl EventGroup {
    fn has(self, kind: EventKind) -> bool {
        use EventKind as K;
        match self {
            EventGroup::All => true,
            EventGroup::Failed => matches!(kind, K::DeploymentFailed | K::HealthCheckFailed),
            EventGroup::Deploy => matches!(
                kind,
                K::DeploymentStarted | K::DeploymentCompleted | K::DeploymentFailed
            ),
            EventGroup::Health => matches!(kind, K::HealthCheckFailed | K::HealthRecovered),
            EventGroup::Scale => kind == K::ServiceScaled,
            EventGroup::Lifecycle => matches!(
                kind,
                K::ServiceStarted | K::ServiceStopped | K::ServiceRemoved
            ),
            EventGroup::Detection => kind == K::DetectionChanged,
        }
    }
}

/// Which events the Events tab shows: a group of kinds, or one kind by its name
/// (`deployment_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventFilter {
    Group(EventGroup),
    Kind(EventKind),
}

impl Default for EventFilter {
    fn default() -> Self {
        EventFilter::Group(EventGroup::All)
    }
}

impl EventFilter {
    /// Every filter's name: the groups, then the kinds.
    pub fn names() -> impl Iterator<Item = &'static str> {
        EventGroup::iter()
            .map(<&'static str>::from)
            .chain(EventKind::ALL.into_iter().map(EventKind::as_str))
    }
    /// The filter called `name` (a group, case-insensitive, or an exact kind name).
    pub fn parse(name: &str) -> Option<EventFilter> {
        name.parse::<EventGroup>()
            .map(EventFilter::Group)
            .ok()
            .or_else(|| name.parse::<EventKind>().ok().map(EventFilter::Kind))
    }
    /// Its name (`failed`, `service_scaled`).
    pub fn name(self) -> &'static str {
        match self {
            EventFilter::Group(g) => g.into(),
            EventFilter::Kind(k) => k.as_str(),
        }
    }
    /// Whether every event passes.
    pub fn is_all(self) -> bool {
        self == EventFilter::Group(EventGroup::All)
    }
    /// Whether an event of `kind` (its stored name), with or without an error, passes. A kind this
    /// version does not know passes only `all`, and `failed` when it carries an error.
    pub fn matches(self, kind: &str, has_error: bool) -> bool {
        let known = kind.parse::<EventKind>().ok();
        match self {
            EventFilter::Group(EventGroup::All) => true,
            EventFilter::Group(EventGroup::Failed) if has_error => true,
            EventFilter::Group(g) => known.is_some_and(|k| g.has(k)),
            EventFilter::Kind(k) => known == Some(k),
        }
    }
}

/// A service's health as the HEALTH column shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HealthView {
    Healthy,
    /// Not healthy yet, within the start period after its replicas started: no verdict yet.
    Starting,
    Unhealthy,
    Unknown,
}

impl HealthView {
    /// `healthy`, `starting`, `unhealthy`, `-`: the words of the JSON output and of the engine
    /// (`starting` is the engine's word for a check that has no verdict yet); `-` is `unknown`, as
    /// every table shows a value it does not have.
    pub fn label(self) -> &'static str {
        match self {
            HealthView::Healthy => "healthy",
            HealthView::Starting => "starting",
            HealthView::Unhealthy => "unhealthy",
            HealthView::Unknown => "-",
        }
    }
}

/// The value `step` places after `v` in its enum's order, wrapping around.
fn cycle<T: IntoEnumIterator + PartialEq + Copy>(v: T, step: isize) -> T {
    let all: Vec<T> = T::iter().collect();
    let i = all.iter().position(|x| *x == v).unwrap_or(0) as isize;
    let n = all.len() as isize;
    all[(i + step).rem_euclid(n) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_titles_parse_too() {
        for t in Tab::all() {
            assert_eq!(Tab::parse(t.name()), Some(t));
            assert_eq!(Tab::parse(t.title()), Some(t));
        }
        for c in SortColumn::all() {
            assert_eq!(SortColumn::from_name(c.name()), Some(c));
            assert_eq!(SortColumn::from_name(c.title()), Some(c), "{}", c.title());
        }
        assert_eq!(SortColumn::from_name("MEM"), Some(SortColumn::Memory));
        assert_eq!(SortColumn::from_name("uptime"), Some(SortColumn::Uptime));
        assert_eq!(
            SortColumn::from_name("replicas"),
            Some(SortColumn::Replicas)
        );
        assert_eq!(SortColumn::from_name("memory"), Some(SortColumn::Memory));
        assert_eq!(SortColumn::from_name("colour"), None);
        assert_eq!(Tab::parse("nope"), None);
    }

    #[test]
    fn sort_names_are_the_headers_in_lower_case() {
        for c in SortColumn::all() {
            assert_eq!(c.name(), c.title().to_lowercase(), "{c:?}");
        }
    }

    #[test]
    fn event_filters_parse_and_match_groups_and_kinds() {
        for n in EventFilter::names() {
            let f = EventFilter::parse(n).unwrap();
            assert_eq!(f.name(), n);
        }
        assert_eq!(EventFilter::names().count(), 7 + EventKind::ALL.len());
        let failed = EventFilter::parse("FAILED").unwrap();
        assert!(failed.matches("deployment_failed", false));
        assert!(failed.matches("health_check_failed", false));
        assert!(
            failed.matches("service_scaled", true),
            "an error is a failure"
        );
        assert!(!failed.matches("deployment_completed", false));
        let deploy = EventFilter::parse("deploy").unwrap();
        assert!(deploy.matches("deployment_started", false));
        assert!(!deploy.matches("service_started", false));
        let kind = EventFilter::parse("service_scaled").unwrap();
        assert!(kind.matches("service_scaled", false));
        assert!(!kind.matches("service_started", false));
        assert!(EventFilter::default().is_all());
        assert!(EventFilter::default().matches("from_a_newer_kyozo", false));
        assert!(!deploy.matches("from_a_newer_kyozo", false));
        assert_eq!(EventFilter::parse("nope"), None);
        assert_eq!(
            EventFilter::parse("Deployment_Failed"),
            None,
            "kinds are exact"
        );
    }

    #[test]
    fn cycling_wraps() {
        assert_eq!(Tab::Plan.next(), Tab::Logs);
        assert_eq!(Tab::Logs.prev(), Tab::Plan);
        assert_eq!(SortColumn::Uptime.next(), SortColumn::Name);
        assert_eq!(Pane::Bottom.next(), Pane::Tree);
        assert_eq!(Pane::Tree.prev(), Pane::Bottom);
        assert_eq!(Tab::Details.index(), 2);
    }
}
