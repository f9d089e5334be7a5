//! The deployment history: workspaces, detections, services and events in one redb file.
//!
//! One file per user (see [`Store::default_path`]), shared by every kyozo process at once: the
//! database is opened in redb's `MultiWriter` concurrency mode, where any number of processes
//! hold it open for reading and writing, with byte-range locks serialising write transactions
//! (a writer waits for the one in progress, in any process). Every write is one transaction
//! committed with `Durability::Immediate`, so a crash or `kill -9` loses nothing committed.
//!
//! A new file is built under a temporary name and linked into place once complete, so a process
//! killed while creating it leaves no half-initialised file. A damaged file is a
//! [`StoreError::Corrupt`] ("the history file is damaged: <path> (move it away to start a new
//! one)") when redb can tell (not a database, truncated, failed commit checksums after a crash);
//! redb does not checksum pages on every read, so damage inflicted on a cleanly closed file from
//! outside (disk fault, editing) can make a read panic inside redb: every redb call runs under
//! `catch_unwind`, and such a panic is the same error.
//!
//! No redb type leaves this module. Calls block (a write waits for an fsync and for writers of
//! other processes): call them from `tokio::task::spawn_blocking` in async code.

mod error;
mod schema;
mod types;

use std::path::{Path, PathBuf};

use redb::{ConcurrencyMode, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

pub use error::{Result, StoreError};
pub use schema::SCHEMA_VERSION;
pub use types::{
    DetectionRecord, Event, EventKind, Health, NewEvent, ServiceRecord, ServiceState,
    UnknownEventKind, Workspace, now_ms, whoami,
};

use schema::{
    DETECTIONS, DETECTIONS_BY_WORKSPACE, EVENTS, EVENTS_BY_SERVICE, EVENTS_BY_WORKSPACE, Found,
    META, SERVICES, SERVICES_BY_NAME, VERSION_KEY, WORKSPACE_BY_PATH, WORKSPACES,
};
use types::uuid_ms;

/// Page cache of one open store. redb's default (1 GiB) is far more than a history needs.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The history store. `Send + Sync`: share it in an `Arc`; every method takes `&self`.
pub struct Store {
    db: redb::Database,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Adds the store path and the operation to a redb error.
trait Ctx<T> {
    fn ctx(self, path: &Path, operation: &'static str) -> Result<T>;
}

impl<T, E: Into<redb::Error>> Ctx<T> for std::result::Result<T, E> {
    fn ctx(self, path: &Path, operation: &'static str) -> Result<T> {
        self.map_err(|e| StoreError::redb(path, operation, e))
    }
}

impl Store {
    /// `$KYOZO_DB` if set, else `$XDG_DATA_HOME/kyozo/kyozo.redb`, else
    /// `~/.local/share/kyozo/kyozo.redb`. `None` when neither XDG_DATA_HOME nor HOME is set.
    /// (`--db` is handled by the CLI, which passes its path to [`Store::open`].)
    pub fn default_path() -> Option<PathBuf> {
        default_path_from(|name| std::env::var_os(name))
    }

    /// Opens the store at `path`, creating it (and its parent folders) if missing, and migrates
    /// its schema forward. A file of a newer schema is refused with [`StoreError::Schema`]
    /// without being written to.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        }
        if path.is_dir() {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                message: "it is a directory".to_string(),
            });
        }
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(name) = path.file_name() {
            remove_stale_creations(path, &name.to_string_lossy());
        }
        if !path.try_exists().map_err(io)? {
            Self::create_new(path)?;
        }
        Self::open_file(path, path)
    }

    /// Opens the redb file at `file` (reported as `shown`) and prepares its schema.
    fn open_file(file: &Path, shown: &Path) -> Result<Store> {
        let mut builder = redb::Builder::new();
        builder
            .set_concurrency_mode(ConcurrencyMode::MultiWriter)
            .set_cache_size(CACHE_BYTES);
        let db = guard(shown, "open", || builder.create(file).ctx(shown, "open"))?;
        let store = Store {
            db,
            path: shown.to_path_buf(),
        };
        store.prepare_schema()?;
        Ok(store)
    }

    /// Creates a new store at `path` atomically: a process killed while redb initialises a file
    /// leaves a file that is not a database, so the file is built under a temporary name beside
    /// `path` and linked into place only once complete. If another process created `path`
    /// meanwhile, its file wins.
    fn create_new(path: &Path) -> Result<()> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "kyozo.redb".to_string());
        // Unique per call: threads of one process may create the same store at once.
        let tmp = path.with_file_name(format!(
            ".{name}.{}.{}.creating",
            std::process::id(),
            Uuid::now_v7().simple()
        ));
        let store = Self::open_file(&tmp, path)?;
        store.db.close().ctx(path, "close new store")?;
        // hard_link never replaces an existing file; rename is the fallback for file systems
        // without hard links.
        let linked = match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => {
                if path.try_exists().map_err(io)? {
                    Ok(())
                } else {
                    std::fs::rename(&tmp, path).map_err(|_| io(e))
                }
            }
        };
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
        linked?;
        // Make the new name durable too (a power loss, not only a kill).
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::File::open(parent)
                .and_then(|dir| dir.sync_all())
                .map_err(io)?;
        }
        Ok(())
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the file (after [`Store::open`] it is [`SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<u64> {
        self.read("read schema version", |txn| {
            match schema::found_in_read(txn).ctx(&self.path, "read schema version")? {
                Found::Version(v) => Ok(v),
                Found::Empty | Found::Foreign(_) => Ok(0),
            }
        })
    }

    /// Creates the tables of a new file, or migrates an older one; refuses newer or foreign files.
    fn prepare_schema(&self) -> Result<()> {
        let found = self.read("read schema version", |txn| {
            schema::found_in_read(txn).ctx(&self.path, "read schema version")
        })?;
        match found {
            Found::Version(SCHEMA_VERSION) => return Ok(()),
            other => self.check_found(&other)?,
        }
        // Another process may be doing the same: decide again inside the write transaction.
        self.write("migrate schema", |txn| {
            let found = schema::found_in_write(txn).ctx(&self.path, "read schema version")?;
            self.check_found(&found)?;
            if found == Found::Version(SCHEMA_VERSION) {
                return Ok(());
            }
            let mut version = match found {
                Found::Empty => SCHEMA_VERSION,
                Found::Version(v) => v,
                Found::Foreign(_) => 0,
            };
            while version < SCHEMA_VERSION {
                let step = schema::MIGRATIONS
                    .iter()
                    .find(|m| m.from == version)
                    .ok_or(StoreError::Schema {
                        path: self.path.clone(),
                        found: version,
                        supported: SCHEMA_VERSION,
                    })?;
                (step.run)(txn).ctx(&self.path, step.what)?;
                version += 1;
            }
            schema::create_tables(txn).ctx(&self.path, "create tables")?;
            let mut meta = txn.open_table(META).ctx(&self.path, "open meta")?;
            meta.insert(VERSION_KEY, SCHEMA_VERSION)
                .ctx(&self.path, "write schema version")?;
            Ok(())
        })
    }

    fn check_found(&self, found: &Found) -> Result<()> {
        match found {
            Found::Version(v) if *v > SCHEMA_VERSION || *v == 0 => Err(StoreError::Schema {
                path: self.path.clone(),
                found: *v,
                supported: SCHEMA_VERSION,
            }),
            Found::Foreign(tables) => Err(StoreError::Open {
                path: self.path.clone(),
                message: format!(
                    "not a kyozo history store (a redb file with tables {} but no schema version)",
                    tables.join(", ")
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Runs `f` in one write transaction and commits it durably; an error aborts it.
    fn write<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&WriteTransaction) -> Result<T>,
    ) -> Result<T> {
        guard(&self.path, operation, || {
            let mut txn = self.db.begin_write().ctx(&self.path, operation)?;
            txn.set_quick_repair(true);
            let out = f(&txn)?;
            txn.commit().ctx(&self.path, operation)?;
            Ok(out)
        })
    }

    /// Runs `f` in one read transaction (a snapshot of the latest commit of any process).
    fn read<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&ReadTransaction) -> Result<T>,
    ) -> Result<T> {
        guard(&self.path, operation, || {
            let txn = self.db.begin_read().ctx(&self.path, operation)?;
            f(&txn)
        })
    }

    fn enc<T: Serialize>(&self, what: &str, value: &T) -> Result<Vec<u8>> {
        schema::encode(value).map_err(|e| StoreError::encode(&self.path, what, e))
    }

    fn dec<T: DeserializeOwned>(&self, what: &str, id: u128, bytes: &[u8]) -> Result<T> {
        schema::decode(bytes).map_err(|e| {
            StoreError::encode(&self.path, format!("{what} {}", Uuid::from_u128(id)), e)
        })
    }

    fn invalid(&self, message: String) -> StoreError {
        StoreError::Invalid {
            path: self.path.clone(),
            message,
        }
    }

    // ----- workspaces -----

    /// The workspace at `canonical_path`, created (id v7, name = folder name, development,
    /// no auto-deploy) if it is not in the store yet.
    pub fn workspace(&self, canonical_path: &str) -> Result<Workspace> {
        if canonical_path.is_empty() {
            return Err(self.invalid("a workspace path cannot be empty".to_string()));
        }
        let op = "read workspace";
        let found = self.read(op, |txn| {
            let by_path = txn.open_table(WORKSPACE_BY_PATH).ctx(&self.path, op)?;
            let Some(id) = by_path.get(canonical_path).ctx(&self.path, op)? else {
                return Ok(None);
            };
            let id = id.value();
            let table = txn.open_table(WORKSPACES).ctx(&self.path, op)?;
            match table.get(id).ctx(&self.path, op)? {
                Some(bytes) => self.dec("workspace", id, bytes.value()).map(Some),
                None => Ok(None),
            }
        })?;
        if let Some(ws) = found {
            return Ok(ws);
        }
        let op = "create workspace";
        self.write(op, |txn| {
            let mut by_path = txn.open_table(WORKSPACE_BY_PATH).ctx(&self.path, op)?;
            let mut table = txn.open_table(WORKSPACES).ctx(&self.path, op)?;
            let existing = by_path
                .get(canonical_path)
                .ctx(&self.path, op)?
                .map(|g| g.value());
            if let Some(id) = existing
                && let Some(bytes) = table.get(id).ctx(&self.path, op)?
            {
                // Created by another process meanwhile.
                return self.dec("workspace", id, bytes.value());
            }
            let name = Path::new(canonical_path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| canonical_path.to_string());
            let ws = Workspace {
                id: Uuid::now_v7(),
                path: canonical_path.to_string(),
                name,
                deployment_environment: "development".to_string(),
                auto_deploy: false,
                registry: None,
                created_at_ms: now_ms(),
            };
            let bytes = self.enc("workspace", &ws)?;
            table
                .insert(ws.id.as_u128(), bytes.as_slice())
                .ctx(&self.path, op)?;
            by_path
                .insert(canonical_path, ws.id.as_u128())
                .ctx(&self.path, op)?;
            Ok(ws)
        })
    }

    /// Saves the settings of an existing workspace (its path may change, to one not in use).
    pub fn update_workspace(&self, ws: &Workspace) -> Result<()> {
        if ws.path.is_empty() {
            return Err(self.invalid("a workspace path cannot be empty".to_string()));
        }
        let op = "update workspace";
        self.write(op, |txn| {
            let mut by_path = txn.open_table(WORKSPACE_BY_PATH).ctx(&self.path, op)?;
            let mut table = txn.open_table(WORKSPACES).ctx(&self.path, op)?;
            let id = ws.id.as_u128();
            let old: Workspace = match table.get(id).ctx(&self.path, op)? {
                Some(bytes) => self.dec("workspace", id, bytes.value())?,
                None => return Err(self.invalid(format!("no workspace with id {}", ws.id))),
            };
            if old.path != ws.path {
                let holder = by_path
                    .get(ws.path.as_str())
                    .ctx(&self.path, op)?
                    .map(|g| g.value());
                if holder.is_some_and(|h| h != id) {
                    return Err(self.invalid(format!(
                        "another workspace already has the path {}",
                        ws.path
                    )));
                }
                by_path.remove(old.path.as_str()).ctx(&self.path, op)?;
                by_path.insert(ws.path.as_str(), id).ctx(&self.path, op)?;
            }
            let bytes = self.enc("workspace", ws)?;
            table.insert(id, bytes.as_slice()).ctx(&self.path, op)?;
            Ok(())
        })
    }

    /// Every workspace, sorted by path.
    pub fn workspaces(&self) -> Result<Vec<Workspace>> {
        let op = "list workspaces";
        let mut all: Vec<Workspace> = self.read(op, |txn| {
            let table = txn.open_table(WORKSPACES).ctx(&self.path, op)?;
            let mut out = Vec::new();
            for entry in table.iter().ctx(&self.path, op)? {
                let (id, bytes) = entry.ctx(&self.path, op)?;
                out.push(self.dec("workspace", id.value(), bytes.value())?);
            }
            Ok(out)
        })?;
        all.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(all)
    }

    // ----- detections -----

    /// Records one detection result (the topology as JSON).
    pub fn record_detection(
        &self,
        workspace_id: Uuid,
        topology: &serde_json::Value,
    ) -> Result<DetectionRecord> {
        let id = Uuid::now_v7();
        let rec = DetectionRecord {
            id,
            workspace_id,
            at_ms: uuid_ms(id),
            topology: topology.clone(),
        };
        let bytes = self.enc("detection", &rec)?;
        let op = "record detection";
        self.write(op, |txn| {
            let mut table = txn.open_table(DETECTIONS).ctx(&self.path, op)?;
            let mut index = txn
                .open_table(DETECTIONS_BY_WORKSPACE)
                .ctx(&self.path, op)?;
            table
                .insert(id.as_u128(), bytes.as_slice())
                .ctx(&self.path, op)?;
            index
                .insert((workspace_id.as_u128(), id.as_u128()), ())
                .ctx(&self.path, op)?;
            Ok(())
        })?;
        Ok(rec)
    }

    /// The newest detection of the workspace.
    pub fn latest_detection(&self, workspace_id: Uuid) -> Result<Option<DetectionRecord>> {
        let op = "read latest detection";
        let ws = workspace_id.as_u128();
        self.read(op, |txn| {
            let index = txn
                .open_table(DETECTIONS_BY_WORKSPACE)
                .ctx(&self.path, op)?;
            let last = index
                .range((ws, 0u128)..=(ws, u128::MAX))
                .ctx(&self.path, op)?
                .next_back()
                .transpose()
                .ctx(&self.path, op)?;
            let Some((key, _)) = last else {
                return Ok(None);
            };
            let id = key.value().1;
            let table = txn.open_table(DETECTIONS).ctx(&self.path, op)?;
            match table.get(id).ctx(&self.path, op)? {
                Some(bytes) => self.dec("detection", id, bytes.value()).map(Some),
                None => Err(StoreError::Corrupt {
                    path: self.path.clone(),
                    message: format!("indexed detection {} is missing", Uuid::from_u128(id)),
                }),
            }
        })
    }

    // ----- services -----

    /// Inserts or replaces the service named `svc.name` in its workspace. Saving with
    /// `deleted_at_ms: None` un-deletes a soft-deleted one.
    pub fn save_service(&self, svc: &ServiceRecord) -> Result<()> {
        if svc.name.is_empty() {
            return Err(self.invalid("a service name cannot be empty".to_string()));
        }
        let bytes = self.enc("service", svc)?;
        let op = "save service";
        let ws = svc.workspace_id.as_u128();
        let id = svc.id.as_u128();
        self.write(op, |txn| {
            let mut table = txn.open_table(SERVICES).ctx(&self.path, op)?;
            let mut by_name = txn.open_table(SERVICES_BY_NAME).ctx(&self.path, op)?;
            let holder = by_name
                .get((ws, svc.name.as_str()))
                .ctx(&self.path, op)?
                .map(|g| g.value());
            if let Some(old) = holder.filter(|&old| old != id) {
                table.remove(old).ctx(&self.path, op)?;
            }
            // The same id under another name or workspace: a rename, drop the old name.
            let previous: Option<ServiceRecord> = match table.get(id).ctx(&self.path, op)? {
                Some(b) => Some(self.dec("service", id, b.value())?),
                None => None,
            };
            if let Some(prev) = previous
                && (prev.workspace_id != svc.workspace_id || prev.name != svc.name)
            {
                let key = (prev.workspace_id.as_u128(), prev.name.as_str());
                let points_here =
                    by_name.get(key).ctx(&self.path, op)?.map(|g| g.value()) == Some(id);
                if points_here {
                    by_name.remove(key).ctx(&self.path, op)?;
                }
            }
            table.insert(id, bytes.as_slice()).ctx(&self.path, op)?;
            by_name
                .insert((ws, svc.name.as_str()), id)
                .ctx(&self.path, op)?;
            Ok(())
        })
    }

    /// The service named `name`, unless it is soft-deleted.
    pub fn service(&self, workspace_id: Uuid, name: &str) -> Result<Option<ServiceRecord>> {
        let op = "read service";
        let rec = self.read(op, |txn| self.service_in(txn, workspace_id, name, op))?;
        Ok(rec.filter(|s| !s.is_deleted()))
    }

    fn service_in(
        &self,
        txn: &ReadTransaction,
        workspace_id: Uuid,
        name: &str,
        op: &'static str,
    ) -> Result<Option<ServiceRecord>> {
        let by_name = txn.open_table(SERVICES_BY_NAME).ctx(&self.path, op)?;
        let Some(id) = by_name
            .get((workspace_id.as_u128(), name))
            .ctx(&self.path, op)?
            .map(|g| g.value())
        else {
            return Ok(None);
        };
        let table = txn.open_table(SERVICES).ctx(&self.path, op)?;
        match table.get(id).ctx(&self.path, op)? {
            Some(bytes) => self.dec("service", id, bytes.value()).map(Some),
            None => Err(StoreError::Corrupt {
                path: self.path.clone(),
                message: format!(
                    "indexed service {name} ({}) is missing",
                    Uuid::from_u128(id)
                ),
            }),
        }
    }

    /// The services of the workspace, sorted by name; soft-deleted ones only if asked.
    pub fn services(
        &self,
        workspace_id: Uuid,
        include_deleted: bool,
    ) -> Result<Vec<ServiceRecord>> {
        let op = "list services";
        let ws = workspace_id.as_u128();
        self.read(op, |txn| {
            let by_name = txn.open_table(SERVICES_BY_NAME).ctx(&self.path, op)?;
            let table = txn.open_table(SERVICES).ctx(&self.path, op)?;
            let mut out = Vec::new();
            for entry in by_name.range((ws, "")..).ctx(&self.path, op)? {
                let (key, id) = entry.ctx(&self.path, op)?;
                if key.value().0 != ws {
                    break;
                }
                let id = id.value();
                let Some(bytes) = table.get(id).ctx(&self.path, op)? else {
                    return Err(StoreError::Corrupt {
                        path: self.path.clone(),
                        message: format!("indexed service {} is missing", Uuid::from_u128(id)),
                    });
                };
                let rec: ServiceRecord = self.dec("service", id, bytes.value())?;
                if include_deleted || !rec.is_deleted() {
                    out.push(rec);
                }
            }
            Ok(out)
        })
    }

    /// Marks the service removed, keeping its record and history. `false` if there was no
    /// such (undeleted) service.
    pub fn soft_delete_service(&self, workspace_id: Uuid, name: &str) -> Result<bool> {
        let op = "delete service";
        let ws = workspace_id.as_u128();
        self.write(op, |txn| {
            let by_name = txn.open_table(SERVICES_BY_NAME).ctx(&self.path, op)?;
            let mut table = txn.open_table(SERVICES).ctx(&self.path, op)?;
            let Some(id) = by_name
                .get((ws, name))
                .ctx(&self.path, op)?
                .map(|g| g.value())
            else {
                return Ok(false);
            };
            let mut rec: ServiceRecord = match table.get(id).ctx(&self.path, op)? {
                Some(bytes) => self.dec("service", id, bytes.value())?,
                None => return Ok(false),
            };
            if rec.is_deleted() {
                return Ok(false);
            }
            let now = now_ms();
            rec.deleted_at_ms = Some(now);
            rec.updated_at_ms = now;
            let bytes = self.enc("service", &rec)?;
            table.insert(id, bytes.as_slice()).ctx(&self.path, op)?;
            Ok(true)
        })
    }

    // ----- events -----

    /// Appends one event (id v7, time now) in its own committed transaction.
    pub fn append_event(&self, workspace_id: Uuid, ev: NewEvent) -> Result<Event> {
        let mut out = self.append_events(workspace_id, [ev])?;
        out.pop()
            .ok_or_else(|| self.invalid("appending one event returned none".to_string()))
    }

    /// Appends events in one committed transaction, in order (their ids increase).
    pub fn append_events(
        &self,
        workspace_id: Uuid,
        events: impl IntoIterator<Item = NewEvent>,
    ) -> Result<Vec<Event>> {
        let events: Vec<Event> = events
            .into_iter()
            .map(|ev| {
                let id = Uuid::now_v7();
                Event {
                    id,
                    workspace_id,
                    service: ev.service,
                    kind: ev.kind,
                    at_ms: uuid_ms(id),
                    duration_ms: ev.duration_ms,
                    error: ev.error,
                    data: ev.data,
                    triggered_by: ev.triggered_by,
                }
            })
            .collect();
        if events.is_empty() {
            return Ok(events);
        }
        let encoded = events
            .iter()
            .map(|ev| self.enc("event", ev))
            .collect::<Result<Vec<_>>>()?;
        let op = "append event";
        let ws = workspace_id.as_u128();
        self.write(op, |txn| {
            let mut table = txn.open_table(EVENTS).ctx(&self.path, op)?;
            let mut by_service = txn.open_table(EVENTS_BY_SERVICE).ctx(&self.path, op)?;
            let mut by_ws = txn.open_table(EVENTS_BY_WORKSPACE).ctx(&self.path, op)?;
            for (ev, bytes) in events.iter().zip(&encoded) {
                let id = ev.id.as_u128();
                table.insert(id, bytes.as_slice()).ctx(&self.path, op)?;
                by_service
                    .insert((ws, ev.service.as_str(), ev.at_ms, id), ())
                    .ctx(&self.path, op)?;
                by_ws.insert((ws, ev.at_ms, id), ()).ctx(&self.path, op)?;
            }
            Ok(())
        })?;
        Ok(events)
    }

    /// One event by id.
    pub fn event(&self, id: Uuid) -> Result<Option<Event>> {
        let op = "read event";
        self.read(op, |txn| {
            let table = txn.open_table(EVENTS).ctx(&self.path, op)?;
            match table.get(id.as_u128()).ctx(&self.path, op)? {
                Some(bytes) => self.dec("event", id.as_u128(), bytes.value()).map(Some),
                None => Ok(None),
            }
        })
    }

    /// Events of the workspace (of one service if `service` is given), newest first, at most
    /// `limit`. `before`: only events strictly older than that event (a paging cursor: pass the
    /// id of the last event of the previous page).
    pub fn events(
        &self,
        workspace_id: Uuid,
        service: Option<&str>,
        limit: usize,
        before: Option<Uuid>,
    ) -> Result<Vec<Event>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let op = "read events";
        let ws = workspace_id.as_u128();
        self.read(op, |txn| {
            let table = txn.open_table(EVENTS).ctx(&self.path, op)?;
            // The cursor: (time, id) of `before`; an unknown id stands for its own v7 time.
            let cursor = match before {
                None => None,
                Some(b) => {
                    let at = match table.get(b.as_u128()).ctx(&self.path, op)? {
                        Some(bytes) => {
                            let ev: Event = self.dec("event", b.as_u128(), bytes.value())?;
                            ev.at_ms
                        }
                        None => uuid_ms(b),
                    };
                    Some((at, b.as_u128()))
                }
            };
            let mut ids = Vec::with_capacity(limit.min(1024));
            match service {
                Some(svc) => {
                    let index = txn.open_table(EVENTS_BY_SERVICE).ctx(&self.path, op)?;
                    let low = (ws, svc, i64::MIN, 0u128);
                    let range = match cursor {
                        Some((at, id)) => index.range(low..(ws, svc, at, id)),
                        None => index.range(low..=(ws, svc, i64::MAX, u128::MAX)),
                    }
                    .ctx(&self.path, op)?;
                    for entry in range.rev().take(limit) {
                        let (key, _) = entry.ctx(&self.path, op)?;
                        ids.push(key.value().3);
                    }
                }
                None => {
                    let index = txn.open_table(EVENTS_BY_WORKSPACE).ctx(&self.path, op)?;
                    let low = (ws, i64::MIN, 0u128);
                    let range = match cursor {
                        Some((at, id)) => index.range(low..(ws, at, id)),
                        None => index.range(low..=(ws, i64::MAX, u128::MAX)),
                    }
                    .ctx(&self.path, op)?;
                    for entry in range.rev().take(limit) {
                        let (key, _) = entry.ctx(&self.path, op)?;
                        ids.push(key.value().2);
                    }
                }
            }
            ids.into_iter()
                .map(|id| match table.get(id).ctx(&self.path, op)? {
                    Some(bytes) => self.dec("event", id, bytes.value()),
                    None => Err(StoreError::Corrupt {
                        path: self.path.clone(),
                        message: format!("indexed event {} is missing", Uuid::from_u128(id)),
                    }),
                })
                .collect()
        })
    }
}

thread_local! {
    /// Set while a store call runs on this thread: its panics are caught and reported as a
    /// damaged file, so the panic hook stays quiet.
    static IN_STORE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a redb call; a panic inside redb (a file damaged from outside, which redb does not
/// checksum on every read) becomes [`StoreError::Corrupt`] instead of taking the process down.
fn guard<T>(path: &Path, operation: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_STORE.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let outer = IN_STORE.with(|f| f.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_STORE.with(|f| f.set(outer));
    match r {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unreadable page");
            Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                message: format!("{operation}: {what}"),
            })
        }
    }
}

/// Removes the temporary files (`.NAME.PID.UNIQUE.creating`) that processes killed while creating the
/// store left beside it, when `/proc` shows their process is gone. Best effort.
fn remove_stale_creations(path: &Path, name: &str) {
    let Some(dir) = path.parent() else { return };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".creating"))
            .and_then(|rest| rest.split('.').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// [`Store::default_path`] over an environment lookup.
fn default_path_from(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let env = |name: &str| var(name).filter(|v| !v.is_empty());
    if let Some(db) = env("KYOZO_DB") {
        return Some(PathBuf::from(db));
    }
    let data = env("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".local").join("share")))?;
    Some(data.join("kyozo").join("kyozo.redb"))
}

#[cfg(test)]
mod tests;
