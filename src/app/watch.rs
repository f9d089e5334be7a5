//! File watching (notify 8): one non-recursive watch per folder the walk keeps, so ignored trees
//! (`target/`, `node_modules/`, ...) are never watched. The notify callback only forwards paths into
//! a channel (never blocks); a debounce task turns bursts into one [`Msg::FsChanged`] of
//! workspace-relative folders after [`DEBOUNCE`] of quiet.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::msg::Msg;

/// Quiet time before a burst of changes is reported.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// Whether a notify event is a change worth a re-detection (open, close and access are not).
pub fn is_change(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any
    ) && !matches!(
        kind,
        EventKind::Modify(notify::event::ModifyKind::Metadata(
            notify::event::MetadataKind::AccessTime
        ))
    )
}

/// The workspace-relative folder a changed path belongs to: its parent folder (a file's content or
/// a folder's listing changed), `.` for the root.
pub fn folder_of(root: &Path, path: &Path) -> Option<String> {
    let parent = path.parent()?;
    let rel = parent.strip_prefix(root).ok()?;
    let s = rel.to_str()?.replace('\\', "/");
    Some(if s.is_empty() { ".".to_string() } else { s })
}

/// The watches of one workspace.
pub struct FolderWatcher {
    root: PathBuf,
    watcher: RecommendedWatcher,
    watched: BTreeSet<String>,
}

impl FolderWatcher {
    pub fn new(root: PathBuf, tx: UnboundedSender<Msg>) -> Result<FolderWatcher, notify::Error> {
        let (raw_tx, mut raw_rx) = unbounded_channel::<PathBuf>();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res
                && is_change(&ev.kind)
            {
                for p in ev.paths {
                    // Unbounded send never blocks the notify thread.
                    let _ = raw_tx.send(p);
                }
            }
        })?;
        let debounce_root = root.clone();
        tokio::spawn(async move {
            while let Some(first) = raw_rx.recv().await {
                let mut folders = BTreeSet::new();
                folders.extend(folder_of(&debounce_root, &first));
                loop {
                    match tokio::time::timeout(DEBOUNCE, raw_rx.recv()).await {
                        Ok(Some(p)) => folders.extend(folder_of(&debounce_root, &p)),
                        Ok(None) => return,
                        Err(_) => break,
                    }
                }
                if !folders.is_empty()
                    && tx
                        .send(Msg::FsChanged(folders.into_iter().collect()))
                        .is_err()
                {
                    return;
                }
            }
        });
        Ok(FolderWatcher {
            root,
            watcher,
            watched: BTreeSet::new(),
        })
    }

    /// Watches exactly `folders` (workspace-relative). Returns a one-line report when some could not
    /// be watched (the inotify limit, a folder gone).
    pub fn set(&mut self, folders: &[String]) -> Option<String> {
        let want: BTreeSet<String> = folders.iter().cloned().collect();
        let gone: Vec<String> = self.watched.difference(&want).cloned().collect();
        for rel in gone {
            let _ = self.watcher.unwatch(&self.abs(&rel));
            self.watched.remove(&rel);
        }
        let mut failed = 0usize;
        let mut first_error = None;
        for rel in want.difference(&self.watched.clone()) {
            match self
                .watcher
                .watch(&self.abs(rel), RecursiveMode::NonRecursive)
            {
                Ok(()) => {
                    self.watched.insert(rel.clone());
                }
                Err(e) => {
                    failed += 1;
                    first_error.get_or_insert_with(|| format!("{rel}: {e}"));
                }
            }
        }
        first_error.map(|e| {
            format!("cannot watch {failed} folders (first: {e}); their changes are missed")
        })
    }

    fn abs(&self, rel: &str) -> PathBuf {
        if rel == "." {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }

    pub fn watched(&self) -> usize {
        self.watched.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_of_maps_to_parent() {
        let root = Path::new("/ws");
        assert_eq!(
            folder_of(root, Path::new("/ws/a/b/package.json")).as_deref(),
            Some("a/b")
        );
        assert_eq!(
            folder_of(root, Path::new("/ws/Dockerfile")).as_deref(),
            Some(".")
        );
        assert_eq!(folder_of(root, Path::new("/elsewhere/x")), None);
    }

    #[test]
    fn access_events_are_not_changes() {
        use notify::event::{AccessKind, CreateKind};
        assert!(!is_change(&EventKind::Access(AccessKind::Any)));
        assert!(is_change(&EventKind::Create(CreateKind::File)));
    }

    #[tokio::test]
    async fn changes_are_debounced_into_one_message() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        let (tx, mut rx) = unbounded_channel();
        let mut w = FolderWatcher::new(root.clone(), tx).unwrap();
        assert!(w.set(&[".".to_string(), "a".to_string()]).is_none());
        assert_eq!(w.watched(), 2);
        for i in 0..5 {
            std::fs::write(root.join(format!("a/f{i}")), "x").unwrap();
        }
        // Not watched: an ignored tree.
        std::fs::write(root.join("target/out"), "x").unwrap();
        let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(msg, Msg::FsChanged(vec!["a".to_string()]));
        // Nothing else arrives: the burst was one message and target/ is not watched.
        let more = tokio::time::timeout(Duration::from_millis(800), rx.recv()).await;
        assert!(more.is_err(), "{more:?}");
    }
}
