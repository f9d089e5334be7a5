//! What the screen is made of, as values: the three panes, the bottom tabs and the sortable columns of
//! the services table. Each enum is one table (strum derives): it names its values for the palette
//! and the config, parses them back, and lists them in screen order.

use strum::{EnumIter, EnumString, IntoEnumIterator, IntoStaticStr};

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

/// Sortable columns of the services table, in column order. Named `name`, `type`, `status`, `health`,
/// `replicas` (or `repl`), `cpu`, `memory` (or `mem`), `ports`, `uptime` (or `up`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, EnumString, IntoStaticStr)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum SortColumn {
    Name,
    Type,
    Status,
    Health,
    #[strum(to_string = "replicas", serialize = "repl")]
    Replicas,
    Cpu,
    #[strum(to_string = "memory", serialize = "mem")]
    Memory,
    Ports,
    #[strum(to_string = "uptime", serialize = "up")]
    Uptime,
}

impl SortColumn {
    /// Every column in table order.
    pub fn all() -> impl Iterator<Item = SortColumn> {
        SortColumn::iter()
    }
    /// The name the palette takes (`replicas`).
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
    /// `ok`, `start`, `bad`, `-`.
    pub fn label(self) -> &'static str {
        match self {
            HealthView::Healthy => "ok",
            HealthView::Starting => "start",
            HealthView::Unhealthy => "bad",
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
        assert_eq!(SortColumn::from_name("memory"), Some(SortColumn::Memory));
        assert_eq!(SortColumn::from_name("colour"), None);
        assert_eq!(Tab::parse("nope"), None);
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
