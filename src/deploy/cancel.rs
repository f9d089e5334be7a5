//! Cancellation of operations: one token per service of a running operation, cancelled from
//! outside (the cockpit's `ctrl-x`), checked by the operation at its safe points.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// One operation's cancellation: cheap to clone; every clone sees the cancel.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<Flag>);

#[derive(Debug, Default)]
struct Flag {
    set: AtomicBool,
    notify: Notify,
}

impl Cancel {
    /// Asks the operation to stop at its next safe point.
    pub fn cancel(&self) {
        self.0.set.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.set.load(Ordering::SeqCst)
    }

    /// Resolves once cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// The tokens of the services that operations run on, shared by the operations and whoever may
/// cancel them.
#[derive(Debug, Clone, Default)]
pub struct Cancels(Arc<Mutex<HashMap<String, Cancel>>>);

impl Cancels {
    /// The token of `service` (a new one when none is registered).
    pub fn token(&self, service: &str) -> Cancel {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(service.to_string())
            .or_default()
            .clone()
    }

    /// Cancels the operations of these services (all when empty); returns those it found.
    pub fn cancel(&self, services: &[String]) -> Vec<String> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut hit = Vec::new();
        for (name, c) in map.iter() {
            if services.is_empty() || services.contains(name) {
                c.cancel();
                hit.push(name.clone());
            }
        }
        hit.sort();
        hit
    }

    /// Forgets the token of a service whose operation ended.
    pub fn forget(&self, service: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(service);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancel_reaches_every_clone_and_waiter() {
        let cancels = Cancels::default();
        let api = cancels.token("api");
        let db = cancels.token("db");
        let waiter = {
            let api = api.clone();
            tokio::spawn(async move { api.cancelled().await })
        };
        assert_eq!(cancels.cancel(&["api".into()]), vec!["api"]);
        waiter.await.unwrap();
        assert!(api.is_cancelled() && cancels.token("api").is_cancelled());
        assert!(!db.is_cancelled());
        assert_eq!(cancels.cancel(&[]), vec!["api", "db"]);
        assert!(db.is_cancelled());
        cancels.forget("api");
        assert!(!cancels.token("api").is_cancelled());
    }
}
