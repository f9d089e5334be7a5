//! Views derived from the [`State`]: the table rows as sorted and filtered, the tree as shown, the
//! counts and health the header shows, what an action applies to.

use super::inflight::Job;
use super::msg::{Health, Op, ServiceState};
use super::state::State;
use super::tree::TreeNode;
use super::view::{HealthView, Pane, SortColumn, Tab};
use crate::detect::{Service, ServiceType};

/// Whether kyozo can set a service's replicas: it deploys the service, and the service is not a
/// compose stack (whose compose file sets its members' replicas).
pub fn can_scale(svc: &Service) -> bool {
    svc.deployable && svc.stack.is_none() && svc.kind != ServiceType::ComposeStack
}

impl State {
    /// The loaded events the Events tab's filter lets through, newest first.
    pub fn shown_events(&self) -> Vec<&super::msg::EventRow> {
        let filter = self.events_view.filter;
        match &self.events {
            Some((_, Ok(rows))) => rows
                .iter()
                .filter(|e| filter.matches(&e.kind, e.error.is_some()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The event shown in full (`enter` on it in the Events tab), when it is still loaded.
    pub fn opened_event(&self) -> Option<&super::msg::EventRow> {
        let id = self.events_view.open.as_deref()?;
        match &self.events {
            Some((_, Ok(rows))) => rows.iter().find(|e| e.id == id),
            _ => None,
        }
    }

    /// The actions the help overlay lists, in the table's order: all of them, less those that
    /// change anything in read-only mode.
    pub fn help_actions(&self) -> impl Iterator<Item = super::action::Action> + '_ {
        super::action::Action::all().filter(|a| !(self.readonly && a.mutating()))
    }

    /// Status including operations in flight.
    pub fn status_of(&self, name: &str) -> ServiceState {
        match self.progress.get(name).map(|p| p.job) {
            Some(Job::Op(Op::Deploy | Op::Rebuild)) => ServiceState::Deploying,
            Some(Job::Scale { .. }) => ServiceState::Scaling,
            _ => self.runtime.get(name).map(|r| r.status).unwrap_or_default(),
        }
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

    /// Share of running services that are healthy, in percent, leaving out those still in their
    /// start period; `None` when nothing counts.
    pub fn health_score(&self) -> Option<u32> {
        let shown: Vec<HealthView> = self
            .services()
            .iter()
            .filter(|s| {
                self.runtime
                    .get(&s.name)
                    .is_some_and(|r| r.status == ServiceState::Running)
            })
            .map(|s| self.health_view(&s.name))
            .filter(|h| *h != HealthView::Starting)
            .collect();
        if shown.is_empty() {
            return None;
        }
        let healthy = shown.iter().filter(|h| **h == HealthView::Healthy).count();
        Some(((healthy * 100 + shown.len() / 2) / shown.len()) as u32)
    }

    /// How long after its replicas start a service's failed health checks do not count yet: the
    /// service's health interval (the engine's default start period is one interval too).
    pub fn start_period_ms(&self, name: &str) -> i64 {
        let s = self
            .service(name)
            .map(|s| s.health_check.interval_s)
            .unwrap_or(30);
        i64::from(s.max(1)) * 1000
    }

    /// When the service's start period began: the later of its oldest replica's start and the
    /// last start this cockpit saw (a scale-up or a restart).
    pub fn started_ms(&self, name: &str) -> Option<i64> {
        let engine = self.runtime.get(name).and_then(|r| r.started_at_ms);
        let seen = self.started.get(name).copied();
        engine.max(seen)
    }

    /// Whether the service is within its start period now.
    pub fn in_start_period(&self, name: &str) -> bool {
        self.started_ms(name)
            .is_some_and(|t| self.now_ms - t < self.start_period_ms(name))
    }

    /// The health as the HEALTH column shows it: a running service that is not healthy yet within
    /// its start period is starting, not bad.
    pub fn health_view(&self, name: &str) -> HealthView {
        let Some(rt) = self.runtime.get(name) else {
            return HealthView::Unknown;
        };
        match rt.health {
            Health::Healthy => HealthView::Healthy,
            _ if rt.status == ServiceState::Running && self.in_start_period(name) => {
                HealthView::Starting
            }
            Health::Unhealthy => HealthView::Unhealthy,
            Health::Unknown => HealthView::Unknown,
        }
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
                SortColumn::Health => (self.health_view(&s.name) as i64, String::new()),
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

    /// Whether the Events tab is on screen.
    pub fn events_shown(&self) -> bool {
        self.tab == Tab::Events && (!self.zoom || self.focus == Pane::Bottom)
    }

    /// Services an action applies to: the marked ones, else the selected one.
    pub fn targets(&self) -> Vec<String> {
        if !self.marks.is_empty() {
            return self.marks.iter().cloned().collect();
        }
        self.selected.iter().cloned().collect()
    }
}
