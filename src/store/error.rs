//! Errors of the history store. Every message names the store file.

use std::path::{Path, PathBuf};

/// What went wrong with the history store, and in which file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened as a store (lock protocol, repair refused...).
    #[error("cannot open history store {}: {message}", path.display())]
    Open { path: PathBuf, message: String },

    /// Another process holds the file in a mode that excludes this one (an older kyozo, or a
    /// redb tool opening it exclusively).
    #[error("history store {} is locked by another process: {message}", path.display())]
    Locked { path: PathBuf, message: String },

    /// Reading or writing the file failed.
    #[error("I/O error on history store {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file is not a redb database, or its content is damaged (redb reported it, or
    /// panicked reading it: caught at the store's boundary).
    #[error(
        "the history file is damaged: {} (move it away to start a new one): {message}",
        path.display()
    )]
    Corrupt { path: PathBuf, message: String },

    /// The file was written by a newer kyozo (or is not a kyozo store at all).
    #[error(
        "history store {} has schema version {found}; this kyozo supports up to {supported} (upgrade kyozo or use another --db)",
        path.display()
    )]
    Schema {
        path: PathBuf,
        found: u64,
        supported: u64,
    },

    /// A record could not be encoded or decoded.
    #[error("history store {}: cannot encode or decode {what}: {message}", path.display())]
    Encode {
        path: PathBuf,
        what: String,
        message: String,
    },

    /// A transaction, table or commit failed.
    #[error("history store {}: {operation} failed: {message}", path.display())]
    Storage {
        path: PathBuf,
        operation: &'static str,
        message: String,
    },

    /// The caller asked for something the store refuses (e.g. an empty name).
    #[error("history store {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// `Result` of the store.
pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// The store file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            StoreError::Open { path, .. }
            | StoreError::Locked { path, .. }
            | StoreError::Io { path, .. }
            | StoreError::Corrupt { path, .. }
            | StoreError::Schema { path, .. }
            | StoreError::Encode { path, .. }
            | StoreError::Storage { path, .. }
            | StoreError::Invalid { path, .. } => path,
        }
    }

    /// Maps any redb error, met while doing `operation` on the store at `path`.
    pub(crate) fn redb(path: &Path, operation: &'static str, err: impl Into<redb::Error>) -> Self {
        let path = path.to_path_buf();
        match err.into() {
            redb::Error::Io(source) if source.kind() == std::io::ErrorKind::InvalidData => {
                StoreError::Corrupt {
                    path,
                    message: source.to_string(),
                }
            }
            redb::Error::Io(source) => StoreError::Io { path, source },
            redb::Error::Corrupted(message) => StoreError::Corrupt { path, message },
            redb::Error::DatabaseAlreadyOpen => StoreError::Locked {
                path,
                message: "the file is open exclusively elsewhere".to_string(),
            },
            redb::Error::LockProtocolMismatch => StoreError::Locked {
                path,
                message: "another process uses an incompatible redb locking protocol".to_string(),
            },
            redb::Error::UpgradeRequired(v) => StoreError::Open {
                path,
                message: format!("redb file format {v} must be upgraded first"),
            },
            redb::Error::RepairAborted => StoreError::Open {
                path,
                message: "the file needs a repair that was refused".to_string(),
            },
            other => StoreError::Storage {
                path,
                operation,
                message: other.to_string(),
            },
        }
    }

    pub(crate) fn encode(
        path: &Path,
        what: impl Into<String>,
        err: impl std::fmt::Display,
    ) -> Self {
        StoreError::Encode {
            path: path.to_path_buf(),
            what: what.into(),
            message: err.to_string(),
        }
    }
}
