//! One operation per service at a time, across every kyozo process on the workspace, and the
//! journal that lets the next process close what a killed one left half done.
//!
//! Each service has a lock file, `<store folder>/kyozo-ops/<workspace id>/<service>.lock`. An
//! operation takes an exclusive `flock` on it without waiting (held: the request is refused with
//! the holder's description, read from the file) and writes its [`Holder`] into it: operation,
//! step, process, user and host, and the containers that ran before. The kernel drops the lock
//! when the process ends, however it ends, so a dead holder never blocks. A clean end empties
//! the file before unlocking; a file found unlocked but not empty is the journal of an
//! operation whose process is gone ([`Locks::leftovers`]).
//!
//! `workspace.lock` in the same folder is taken (waiting) around short workspace-wide steps: the
//! find-or-create and the removal of the workspace network.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, flock};
use serde::{Deserialize, Serialize};

use crate::store::{now_ms, whoami};

/// Who holds a service, as written into its lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The operation (`deploy`, `remove`, `scale`...).
    pub op: String,
    /// Its current step (`building…`), empty before the first.
    #[serde(default)]
    pub step: String,
    pub pid: u32,
    /// `user@host` of the process.
    pub by: String,
    pub since_ms: i64,
    /// Ids of the containers that ran before the operation began.
    #[serde(default)]
    pub previous: Vec<String>,
}

impl Holder {
    /// `deploy (building…) running for 12s (kyozo pid 4242, ana@build1)`.
    pub fn describe(&self, now_ms: i64) -> String {
        let step = if self.step.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.step)
        };
        let secs = ((now_ms - self.since_ms).max(0) / 1000) as u64;
        format!(
            "{}{step} running for {} (kyozo pid {}, {})",
            self.op,
            humantime::format_duration(std::time::Duration::from_secs(secs)),
            self.pid,
            self.by
        )
    }
}

/// The lock folder of one workspace.
#[derive(Debug, Clone)]
pub struct Locks {
    dir: PathBuf,
}

/// An operation's hold on a service. Dropping it ends the operation: the journal is emptied and
/// the lock released.
#[derive(Debug)]
pub struct Lease {
    file: File,
    holder: Holder,
}

/// The workspace-wide lock, held while it lives.
#[derive(Debug)]
pub struct WorkspaceGuard {
    _file: File,
}

/// Why a lease was not granted.
#[derive(Debug)]
pub enum Refusal {
    /// Another operation holds the service (`None`: it has not said what it is yet).
    Held(Option<Holder>),
    /// The lock file could not be used.
    Io(std::io::Error),
}

impl Locks {
    /// The locks of workspace `workspace_id` of the store at `store_path`.
    pub fn new(store_path: &Path, workspace_id: &str) -> Locks {
        let base = store_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        Locks {
            dir: base.join("kyozo-ops").join(workspace_id),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn open(&self, name: &str) -> std::io::Result<File> {
        std::fs::create_dir_all(&self.dir)?;
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.dir.join(name))
    }

    /// Takes `service` for operation `op`, or says who holds it. Never waits.
    pub fn acquire(&self, service: &str, op: &str) -> Result<Lease, Refusal> {
        let mut file = self.open(&format!("{service}.lock")).map_err(Refusal::Io)?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                return Err(Refusal::Held(read_holder(&mut file)));
            }
            Err(e) => return Err(Refusal::Io(e.into())),
        }
        let lease = Lease {
            file,
            holder: Holder {
                op: op.to_string(),
                step: String::new(),
                pid: std::process::id(),
                by: whoami(),
                since_ms: now_ms(),
                previous: Vec::new(),
            },
        };
        lease.write().map_err(Refusal::Io)?;
        Ok(lease)
    }

    /// Waits for the workspace-wide lock (blocking: call it off the async workers).
    pub fn workspace(&self) -> std::io::Result<WorkspaceGuard> {
        let file = self.open("workspace.lock")?;
        flock(&file, FlockOperation::LockExclusive)?;
        Ok(WorkspaceGuard { _file: file })
    }

    /// The journals of operations whose process ended before they did: each comes with the lease
    /// now held on its service (drop it once the service is repaired) and what the journal said.
    pub fn leftovers(&self) -> Vec<(String, Lease, Holder)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(service) = name.strip_suffix(".lock") else {
                continue;
            };
            if service == "workspace" || e.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
                continue;
            }
            let Ok(mut file) = self.open(&name) else {
                continue;
            };
            if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
                continue; // its operation still runs
            }
            let Some(old) = read_holder(&mut file) else {
                let _ = file.set_len(0);
                continue;
            };
            let lease = Lease {
                file,
                holder: Holder {
                    op: "repair".into(),
                    step: String::new(),
                    pid: std::process::id(),
                    by: whoami(),
                    since_ms: now_ms(),
                    previous: Vec::new(),
                },
            };
            if lease.write().is_ok() {
                out.push((service.to_string(), lease, old));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(text.trim()).ok()
}

impl Lease {
    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    /// Shows the current step to other processes.
    pub fn set_step(&mut self, step: &str) {
        if self.holder.step != step {
            self.holder.step = step.to_string();
            let _ = self.write();
        }
    }

    /// Journals the containers that ran before (durably: a kill may follow).
    pub fn set_previous(&mut self, ids: Vec<String>) {
        self.holder.previous = ids;
        if self.write().is_ok() {
            let _ = self.file.sync_data();
        }
    }

    fn write(&self) -> std::io::Result<()> {
        let text = serde_json::to_string(&self.holder).map_err(std::io::Error::other)?;
        let mut f = &self.file;
        f.set_len(0)?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // empty journal: the operation ended; the lock goes with the file
        let _ = self.file.set_len(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_per_service_and_dead_holders_leave_a_journal() {
        let tmp = tempfile::tempdir().unwrap();
        let locks = Locks::new(&tmp.path().join("kyozo.redb"), "ws1");
        let mut a = locks.acquire("api", "deploy").unwrap();
        a.set_step("building…");
        // a second request (another open file, as another process would have) is refused
        match locks.acquire("api", "remove") {
            Err(Refusal::Held(Some(h))) => {
                assert_eq!((h.op.as_str(), h.step.as_str()), ("deploy", "building…"));
                let text = h.describe(h.since_ms + 12_000);
                assert!(
                    text.starts_with("deploy (building…) running for 12s (kyozo pid "),
                    "{text}"
                );
            }
            other => panic!("{other:?}"),
        }
        // another service is free
        let b = locks.acquire("web", "deploy").unwrap();
        drop(b);
        assert!(
            locks.leftovers().is_empty(),
            "a clean end leaves no journal"
        );
        // a held lock is not a leftover
        a.set_previous(vec!["c1".into()]);
        assert!(locks.leftovers().is_empty());
        // a process that dies keeps its journal but not its lock: simulate with a file the
        // kernel no longer locks (forget the lease without its drop)
        let text = std::fs::read_to_string(locks.dir().join("api.lock")).unwrap();
        drop(a);
        std::fs::write(locks.dir().join("api.lock"), text).unwrap();
        let left = locks.leftovers();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].0, "api");
        assert_eq!(left[0].2.previous, vec!["c1"]);
        // while the repair holds it, others are refused
        assert!(matches!(
            locks.acquire("api", "deploy"),
            Err(Refusal::Held(_))
        ));
        drop(left);
        assert!(locks.acquire("api", "deploy").is_ok());
        // the workspace lock
        let g = locks.workspace().unwrap();
        drop(g);
    }
}
