//! The workers: they run [`Command`]s off the state task and send their results back as [`Msg`]s on
//! the one channel. Blocking work (detection, the store, processes) runs in `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
                                            data: pretty_data(&e.data),
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
            Command::SaveLogs {
                service,
                lines,
                path,
            } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let home = std::env::var_os("HOME").map(PathBuf::from);
                    let path = expand_home(&path, home.as_deref());
                    send(&tx, save_logs(&path, &service, &lines));
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
            .triggered_by(crate::deploy::AUTOMATIC);
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

/// An event's data as the Events tab shows it: pretty JSON, `None` for no data.
fn pretty_data(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::Object(m) if m.is_empty() => None,
        v => serde_json::to_string_pretty(v).ok(),
    }
}

/// The folder saved logs go to by default: `$XDG_STATE_HOME/kyozo/logs`, else
/// `$HOME/.local/state/kyozo/logs` (XDG's default state folder).
pub fn default_log_dir(xdg_state_home: Option<&Path>, home: Option<&Path>) -> Option<PathBuf> {
    let state = match xdg_state_home.filter(|p| p.is_absolute()) {
        Some(p) => p.to_path_buf(),
        None => home
            .filter(|h| !h.as_os_str().is_empty())?
            .join(".local/state"),
    };
    Some(state.join("kyozo").join("logs"))
}

/// A typed path with a leading `~` (`~/x.log`) read as the home folder.
pub fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    let path = path.trim();
    match (path.strip_prefix('~'), home) {
        (Some(""), Some(h)) => h.to_path_buf(),
        (Some(rest), Some(h)) if rest.starts_with('/') => h.join(rest.trim_start_matches('/')),
        _ => PathBuf::from(path),
    }
}

/// Writes the lines to `path`, creating its folder; a file already there is never overwritten:
/// the lines go to `name-1.log`, `name-2.log`... instead. The message says where they went.
pub fn save_logs(path: &Path, service: &str, lines: &[String]) -> Msg {
    if path.as_os_str().is_empty() {
        return Msg::Error(format!("logs of {service} not saved: no file name given"));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        return Msg::Error(format!("cannot create {}: {e}", dir.display()));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    for n in 0..100 {
        let candidate = if n == 0 {
            path.to_path_buf()
        } else {
            path.with_file_name(format!("{stem}-{n}{ext}"))
        };
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate);
        match file {
            Ok(mut f) => {
                use std::io::Write;
                return match f.write_all(text.as_bytes()) {
                    Ok(()) => Msg::Info(format!(
                        "saved {} lines of {service} to {}",
                        lines.len(),
                        absolute(&candidate).display()
                    )),
                    Err(e) => Msg::Error(format!("cannot write {}: {e}", candidate.display())),
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Msg::Error(format!("cannot create {}: {e}", candidate.display())),
        }
    }
    Msg::Error(format!(
        "cannot save logs of {service} to {}: it and 99 numbered files beside it exist",
        path.display()
    ))
}

/// `path` made absolute against the current directory, for a message that says where a file went.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_logs_creates_the_folder_says_where_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir
            .path()
            .join("state/kyozo/logs/harbor-api-20231114-221320.log");
        let lines = vec!["a".to_string(), "b".to_string()];
        let Msg::Info(m1) = save_logs(&path, "api", &lines) else {
            panic!("first save failed")
        };
        assert_eq!(
            m1,
            format!("saved 2 lines of api to {}", path.display()),
            "the status line says where"
        );
        let Msg::Info(m2) = save_logs(&path, "api", &lines) else {
            panic!("second save failed")
        };
        assert!(m2.ends_with("harbor-api-20231114-221320-1.log"), "{m2}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\nb\n");
        assert!(
            path.with_file_name("harbor-api-20231114-221320-1.log")
                .exists()
        );
        let Msg::Error(e) = save_logs(Path::new(""), "api", &lines) else {
            panic!("an empty path saved")
        };
        assert!(e.contains("no file name"), "{e}");
        // a folder that cannot be made is an error that names it
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let Msg::Error(e) = save_logs(&blocker.join("sub/x.log"), "api", &lines) else {
            panic!("saved under a file")
        };
        assert!(e.contains("cannot create"), "{e}");
    }

    #[test]
    fn the_default_log_folder_follows_xdg_and_home_expands() {
        let home = Path::new("/home/ana");
        assert_eq!(
            default_log_dir(Some(Path::new("/st")), Some(home)),
            Some(PathBuf::from("/st/kyozo/logs"))
        );
        assert_eq!(
            default_log_dir(None, Some(home)),
            Some(PathBuf::from("/home/ana/.local/state/kyozo/logs"))
        );
        // a relative XDG_STATE_HOME is invalid and ignored, as the spec says
        assert_eq!(
            default_log_dir(Some(Path::new("rel")), Some(home)),
            Some(PathBuf::from("/home/ana/.local/state/kyozo/logs"))
        );
        assert_eq!(default_log_dir(None, None), None);
        assert_eq!(
            expand_home("~/x.log", Some(home)),
            PathBuf::from("/home/ana/x.log")
        );
        assert_eq!(expand_home("~", Some(home)), PathBuf::from("/home/ana"));
        assert_eq!(expand_home("x.log", Some(home)), PathBuf::from("x.log"));
        assert_eq!(expand_home("~bob/x", Some(home)), PathBuf::from("~bob/x"));
        assert_eq!(expand_home("~/x", None), PathBuf::from("~/x"));
    }

    #[test]
    fn event_data_is_pretty_json_or_none() {
        assert_eq!(pretty_data(&serde_json::Value::Null), None);
        assert_eq!(pretty_data(&serde_json::json!({})), None);
        assert_eq!(
            pretty_data(&serde_json::json!({"replicas": 2})).as_deref(),
            Some("{\n  \"replicas\": 2\n}")
        );
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
