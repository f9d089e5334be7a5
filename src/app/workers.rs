//! The workers: they run [`Command`]s off the state task and send their results back as [`Msg`]s on
//! the one channel. Blocking work (detection, the store, processes) runs in `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::sync::mpsc::UnboundedSender;

use super::engine::{EngineWorker, SharedTopology};
use super::msg::{Command, EventRow, Msg};
use crate::detect::{self, DetectOptions};
use crate::store::{EventKind, NewEvent, Store};

/// Sends a message; a closed channel means the cockpit is leaving, which is fine.
fn send(tx: &UnboundedSender<Msg>, msg: Msg) {
    let _ = tx.send(msg);
}

pub use crate::detect::{DetectCache, Detection};

/// Runs a detection: everything (`changed == None`, cache cleared) or with these folders changed
/// (the library's incremental detector, [`detect::detect_cached`]).
pub fn run_detect(
    root: &Path,
    changed: Option<&[String]>,
    cache: &mut DetectCache,
) -> Result<Detection, detect::DetectError> {
    if changed.is_none() {
        cache.clear();
    }
    detect::detect_cached(
        root,
        &DetectOptions::default(),
        cache,
        changed.unwrap_or(&[]),
    )
}

/// The history store and this workspace's id in it.
pub struct StoreHandle {
    pub store: Arc<Store>,
    pub workspace: crate::store::Workspace,
}

/// Runs commands. Lives in the state task; everything slow is spawned.
pub struct Workers {
    tx: UnboundedSender<Msg>,
    root: PathBuf,
    cache: Arc<Mutex<DetectCache>>,
    watcher: Option<super::watch::FolderWatcher>,
    store: Result<Arc<StoreHandle>, String>,
    topology: SharedTopology,
    engine: EngineWorker,
}

impl Workers {
    /// Starts the engine worker too (it connects in the background).
    pub fn new(
        tx: UnboundedSender<Msg>,
        root: PathBuf,
        config: crate::config::Config,
        store: Result<Arc<StoreHandle>, String>,
    ) -> Workers {
        let topology: SharedTopology = Arc::new(Mutex::new(None));
        let engine = EngineWorker::start(
            tx.clone(),
            root.clone(),
            config,
            store
                .as_ref()
                .map(|h| Arc::clone(&h.store))
                .map_err(Clone::clone),
            Arc::clone(&topology),
        );
        Workers {
            tx,
            root,
            cache: Arc::new(Mutex::new(DetectCache::new())),
            watcher: None,
            store,
            topology,
            engine,
        }
    }

    pub fn run(&mut self, cmd: Command) {
        match cmd {
            Command::Detect { folders } => {
                let tx = self.tx.clone();
                let root = self.root.clone();
                let cache = Arc::clone(&self.cache);
                let shared = Arc::clone(&self.topology);
                let refresh = self.engine.refresher();
                tokio::task::spawn_blocking(move || {
                    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
                    match run_detect(&root, folders.as_deref(), &mut cache) {
                        Ok(d) => {
                            *shared.lock().unwrap_or_else(|p| p.into_inner()) =
                                Some(Arc::new(d.topology.clone()));
                            let _ = refresh.send(());
                            send(
                                &tx,
                                Msg::Detected {
                                    topology: Box::new(d.topology),
                                    folders: d.folders,
                                    changed: d.analysed,
                                },
                            );
                        }
                        Err(e) => send(&tx, Msg::DetectFailed(e.to_string())),
                    }
                });
            }
            Command::Watch { folders } => {
                if self.watcher.is_none() {
                    match super::watch::FolderWatcher::new(self.root.clone(), self.tx.clone()) {
                        Ok(w) => self.watcher = Some(w),
                        Err(e) => {
                            send(&self.tx, Msg::Error(format!("file watching is off: {e}")));
                            return;
                        }
                    }
                }
                if let Some(w) = self.watcher.as_mut() {
                    let failed = w.set(&folders);
                    if let Some(e) = failed {
                        send(&self.tx, Msg::Error(e));
                    }
                }
            }
            Command::LoadEvents { service } => {
                let tx = self.tx.clone();
                match &self.store {
                    Err(e) => send(
                        &tx,
                        Msg::Events {
                            service,
                            result: Err(e.clone()),
                        },
                    ),
                    Ok(h) => {
                        let h = Arc::clone(h);
                        tokio::task::spawn_blocking(move || {
                            let result = h
                                .store
                                .events(h.workspace.id, service.as_deref(), 500, None)
                                .map(|evs| {
                                    evs.into_iter()
                                        .map(|e| EventRow {
                                            id: e.id.to_string(),
                                            service: e.service,
                                            kind: e.kind.as_str().to_string(),
                                            at_ms: e.at_ms,
                                            duration_ms: e.duration_ms,
                                            error: e.error,
                                            triggered_by: e.triggered_by,
                                        })
                                        .collect()
                                })
                                .map_err(|e| e.to_string());
                            send(&tx, Msg::Events { service, result });
                        });
                    }
                }
            }
            Command::RecordDetection { topology, changed } => {
                if let Ok(h) = &self.store {
                    let h = Arc::clone(h);
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        if let Err(e) = record_detection(&h, &topology, &changed) {
                            send(&tx, Msg::Error(format!("detection not recorded: {e}")));
                        }
                    });
                }
            }
            Command::SetAutoDeploy(on) => {
                if let Ok(h) = &self.store {
                    let h = Arc::clone(h);
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let mut ws = h.workspace.clone();
                        ws.auto_deploy = on;
                        if let Err(e) = h.store.update_workspace(&ws) {
                            send(&tx, Msg::Error(format!("auto-deploy not saved: {e}")));
                        }
                    });
                }
            }
            Command::OpenUrl { url } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || send(&tx, open_url(&url)));
            }
            Command::SaveLogs { service, lines } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
                    send(&tx, save_logs(&dir, &service, &lines, SystemTime::now()));
                });
            }
            Command::Engine { .. }
            | Command::Scale { .. }
            | Command::Cancel { .. }
            | Command::FollowLogs { .. }
            | Command::LoadPlan { .. } => self.engine.run(cmd),
            Command::SetMouse(_) | Command::Quit => {}
        }
    }
}

/// Stores a detection and its `detection_changed` events (triggered by `kyozo`).
fn record_detection(
    h: &StoreHandle,
    topology: &detect::Topology,
    changed: &[(String, Vec<String>)],
) -> Result<(), crate::store::StoreError> {
    let json = serde_json::to_value(topology).unwrap_or(serde_json::Value::Null);
    h.store.record_detection(h.workspace.id, &json)?;
    for (service, fields) in changed {
        let ev = NewEvent::new(service, EventKind::DetectionChanged)
            .data(serde_json::json!({ "changed": fields }))
            .triggered_by(crate::deploy::deployer::AUTOMATIC);
        h.store.append_event(h.workspace.id, ev)?;
    }
    Ok(())
}

/// Opens `url` with `$BROWSER` or `xdg-open` when a display (or `$BROWSER`) is there; otherwise,
/// or when that fails, reports the URL in the status line.
fn open_url(url: &str) -> Msg {
    let browser = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty());
    let display = std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty());
    let program = match (browser, display) {
        (Some(b), _) => b,
        (None, true) => "xdg-open".to_string(),
        (None, false) => {
            return Msg::Info(format!(
                "open {url} (no browser: no display and no $BROWSER)"
            ));
        }
    };
    let mut parts = program.split_whitespace();
    let Some(bin) = parts.next() else {
        return Msg::Info(format!("open {url}"));
    };
    let status = std::process::Command::new(bin)
        .args(parts)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => Msg::Info(format!("opened {url} with {bin}")),
        Ok(s) => Msg::Info(format!("open {url} ({bin} exited with {s})")),
        Err(e) => Msg::Info(format!("open {url} ({bin}: {e})")),
    }
}

/// Writes the lines to `kyozo-<service>-<time>.log` in `dir` (never overwriting a file).
pub fn save_logs(dir: &Path, service: &str, lines: &[String], now: SystemTime) -> Msg {
    let stamp: String = humantime::format_rfc3339_seconds(now)
        .to_string()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect::<String>()
        .replace('T', "-");
    let mut text = lines.join("\n");
    text.push('\n');
    for n in 0..100 {
        let name = if n == 0 {
            format!("kyozo-{service}-{stamp}.log")
        } else {
            format!("kyozo-{service}-{stamp}-{n}.log")
        };
        let path = dir.join(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path);
        match file {
            Ok(mut f) => {
                use std::io::Write;
                return match f.write_all(text.as_bytes()) {
                    Ok(()) => Msg::Info(format!(
                        "saved {} lines of {service} to {}",
                        lines.len(),
                        path.display()
                    )),
                    Err(e) => Msg::Error(format!("cannot write {}: {e}", path.display())),
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Msg::Error(format!("cannot create {}: {e}", path.display())),
        }
    }
    Msg::Error(format!(
        "cannot save logs of {service} in {}: too many files",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn save_logs_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let lines = vec!["a".to_string(), "b".to_string()];
        let Msg::Info(m1) = save_logs(dir.path(), "api", &lines, now) else {
            panic!("first save failed")
        };
        let Msg::Info(m2) = save_logs(dir.path(), "api", &lines, now) else {
            panic!("second save failed")
        };
        assert_ne!(m1, m2);
        let first = dir.path().join("kyozo-api-20231114-221320.log");
        assert_eq!(std::fs::read_to_string(first).unwrap(), "a\nb\n");
        assert!(dir.path().join("kyozo-api-20231114-221320-1.log").exists());
    }

    #[test]
    fn partial_detection_reanalyses_only_changed_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join("a/Dockerfile"), "FROM scratch\nEXPOSE 80\n").unwrap();
        std::fs::write(root.join("b/Dockerfile"), "FROM scratch\nEXPOSE 81\n").unwrap();
        let mut cache = DetectCache::new();
        let d = run_detect(root, None, &mut cache).unwrap();
        assert_eq!(d.topology.services.len(), 2);
        assert_eq!(d.analysed.len(), 3);
        // A content change in b: only b and the root are analysed again.
        std::fs::write(root.join("b/Dockerfile"), "FROM scratch\nEXPOSE 82\n").unwrap();
        let d = run_detect(root, Some(&["b".to_string()]), &mut cache).unwrap();
        assert_eq!(d.analysed, [".", "b"]);
        assert_eq!(d.topology.service("b").unwrap().port, Some(82));
        // A new folder: the watcher names its parent, whose listing changed.
        std::fs::create_dir_all(root.join("c")).unwrap();
        std::fs::write(root.join("c/Dockerfile"), "FROM scratch\n").unwrap();
        let d = run_detect(root, Some(&[".".to_string()]), &mut cache).unwrap();
        assert!(d.topology.service("c").is_some());
        assert!(d.analysed.contains(&"c".to_string()));
        assert!(!d.analysed.contains(&"b".to_string()));
        // An edit of `.kyozo.toml` (the watcher names the root) is assembled in.
        std::fs::write(root.join(".kyozo.toml"), "[services.b]\nport = 9000\n").unwrap();
        let d = run_detect(root, Some(&[".".to_string()]), &mut cache).unwrap();
        let b = d.topology.service("b").unwrap();
        assert_eq!(b.port, Some(9000));
        assert!(b.overridden("port"));
    }
}
