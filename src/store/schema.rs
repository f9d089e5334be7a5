//! The layout of the store file: tables, value envelope, schema version and forward migrations.
//!
//! Layout (schema version 2):
//! - `meta`: `&str -> u64`, holds `schema_version`;
//! - `workspaces`: id -> record; `workspace_by_path`: canonical path -> id;
//! - `detections`: id -> record; `detections_by_workspace`: (workspace, id) -> ();
//! - `services`: id -> record; `services_by_name`: (workspace, name) -> id;
//! - `events`: id -> record; `events_by_service`: (workspace, service, at_ms, id) -> ();
//!   `events_by_workspace` (added in v2): (workspace, at_ms, id) -> ().
//!
//! Ids are UUID v7 as `u128` (big-endian value, so they sort by time). Records are
//! [`encode`]d: one envelope byte, then JSON, so adding a field is not a schema change.

use redb::{ReadableTable, TableDefinition, TableHandle, WriteTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(super) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(super) const WORKSPACES: TableDefinition<u128, &[u8]> = TableDefinition::new("workspaces");
pub(super) const WORKSPACE_BY_PATH: TableDefinition<&str, u128> =
    TableDefinition::new("workspace_by_path");
pub(super) const DETECTIONS: TableDefinition<u128, &[u8]> = TableDefinition::new("detections");
pub(super) const DETECTIONS_BY_WORKSPACE: TableDefinition<(u128, u128), ()> =
    TableDefinition::new("detections_by_workspace");
pub(super) const SERVICES: TableDefinition<u128, &[u8]> = TableDefinition::new("services");
pub(super) const SERVICES_BY_NAME: TableDefinition<(u128, &str), u128> =
    TableDefinition::new("services_by_name");
pub(super) const EVENTS: TableDefinition<u128, &[u8]> = TableDefinition::new("events");
pub(super) const EVENTS_BY_SERVICE: TableDefinition<(u128, &str, i64, u128), ()> =
    TableDefinition::new("events_by_service");
pub(super) const EVENTS_BY_WORKSPACE: TableDefinition<(u128, i64, u128), ()> =
    TableDefinition::new("events_by_workspace");

/// The key of the schema version in `meta`.
pub(super) const VERSION_KEY: &str = "schema_version";

/// The schema version this build writes.
pub const SCHEMA_VERSION: u64 = 2;

/// Envelope byte of a JSON-encoded record.
const ENVELOPE_JSON: u8 = 1;

/// One forward migration: turns a file at version `from` into version `from + 1`, inside the
/// write transaction that also records the new version.
pub(super) struct Migration {
    pub from: u64,
    pub what: &'static str,
    pub run: fn(&WriteTransaction) -> std::result::Result<(), redb::Error>,
}

/// Every migration, in order; `MIGRATIONS[i].from == i + 1`.
pub(super) const MIGRATIONS: &[Migration] = &[Migration {
    from: 1,
    what: "build the events_by_workspace index",
    run: v1_to_v2,
}];

/// v1 had no per-workspace event index: build it from the events table.
fn v1_to_v2(txn: &WriteTransaction) -> std::result::Result<(), redb::Error> {
    let events = txn.open_table(EVENTS)?;
    let mut by_ws = txn.open_table(EVENTS_BY_WORKSPACE)?;
    for entry in events.iter()? {
        let (id, bytes) = entry?;
        let id = id.value();
        let ev: IndexFields = decode(bytes.value()).map_err(|message| {
            redb::Error::Corrupted(format!("event {}: {message}", uuid::Uuid::from_u128(id)))
        })?;
        by_ws.insert((ev.workspace_id.as_u128(), ev.at_ms, id), ())?;
    }
    Ok(())
}

/// The fields of an event record an index needs.
#[derive(serde::Deserialize)]
struct IndexFields {
    workspace_id: uuid::Uuid,
    at_ms: i64,
}

/// Creates every table of the current layout that is missing.
pub(super) fn create_tables(txn: &WriteTransaction) -> std::result::Result<(), redb::Error> {
    txn.open_table(META)?;
    txn.open_table(WORKSPACES)?;
    txn.open_table(WORKSPACE_BY_PATH)?;
    txn.open_table(DETECTIONS)?;
    txn.open_table(DETECTIONS_BY_WORKSPACE)?;
    txn.open_table(SERVICES)?;
    txn.open_table(SERVICES_BY_NAME)?;
    txn.open_table(EVENTS)?;
    txn.open_table(EVENTS_BY_SERVICE)?;
    txn.open_table(EVENTS_BY_WORKSPACE)?;
    Ok(())
}

/// What the file says about its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Found {
    /// No table at all: a new file.
    Empty,
    /// Tables but no schema version: another program's redb file.
    Foreign(Vec<String>),
    Version(u64),
}

/// Reads the schema version inside a write transaction (so the answer holds until commit).
pub(super) fn found_in_write(txn: &WriteTransaction) -> std::result::Result<Found, redb::Error> {
    let names = txn.list_tables()?.map(|t| t.name().to_string()).collect();
    classify(names, || {
        let meta = txn.open_table(META)?;
        let version = meta.get(VERSION_KEY)?.map(|v| v.value());
        Ok(version)
    })
}

/// Reads the schema version in a read transaction, without writing anything.
pub(super) fn found_in_read(
    txn: &redb::ReadTransaction,
) -> std::result::Result<Found, redb::Error> {
    let names = txn.list_tables()?.map(|t| t.name().to_string()).collect();
    classify(names, || {
        let meta = txn.open_table(META)?;
        let version = meta.get(VERSION_KEY)?.map(|v| v.value());
        Ok(version)
    })
}

/// What the table `names` and the version in `meta` (read only if there is a `meta`) say.
fn classify(
    names: Vec<String>,
    version: impl FnOnce() -> std::result::Result<Option<u64>, redb::Error>,
) -> std::result::Result<Found, redb::Error> {
    if names.is_empty() {
        return Ok(Found::Empty);
    }
    if !names.iter().any(|n| n == META.name()) {
        return Ok(Found::Foreign(names));
    }
    Ok(match version()? {
        Some(v) => Found::Version(v),
        None => Found::Foreign(names),
    })
}

/// Encodes a record: the envelope byte, then its JSON.
pub(super) fn encode<T: Serialize>(value: &T) -> std::result::Result<Vec<u8>, String> {
    let mut out = vec![ENVELOPE_JSON];
    serde_json::to_writer(&mut out, value).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Decodes a record written by [`encode`].
pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> std::result::Result<T, String> {
    match bytes.split_first() {
        Some((&ENVELOPE_JSON, json)) => serde_json::from_slice(json).map_err(|e| e.to_string()),
        Some((other, _)) => Err(format!("unknown record envelope {other}")),
        None => Err("empty record".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_contiguous_and_end_at_the_current_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.from, i as u64 + 1, "{}", m.what);
        }
        assert_eq!(MIGRATIONS.len() as u64 + 1, SCHEMA_VERSION);
    }

    #[test]
    fn envelope_round_trips_and_rejects_garbage() {
        let bytes = encode(&serde_json::json!({"a": 1})).unwrap();
        assert_eq!(bytes[0], ENVELOPE_JSON);
        let back: serde_json::Value = decode(&bytes).unwrap();
        assert_eq!(back, serde_json::json!({"a": 1}));
        assert!(decode::<serde_json::Value>(&[]).is_err());
        assert!(
            decode::<serde_json::Value>(&[9, b'{', b'}'])
                .unwrap_err()
                .contains("envelope 9")
        );
        assert!(decode::<serde_json::Value>(&[ENVELOPE_JSON, b'{']).is_err());
    }
}
