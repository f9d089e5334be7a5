//! Unit tests of the store: CRUD, soft delete, paging, schema migration and refusal, bad files.

use super::*;
use serde_json::json;
use std::sync::Arc;

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nested").join("kyozo.redb")).unwrap();
    (dir, store)
}

fn raw_db(path: &Path) -> redb::Database {
    let mut builder = redb::Builder::new();
    builder.set_concurrency_mode(ConcurrencyMode::MultiWriter);
    builder.create(path).unwrap()
}

#[test]
fn open_creates_parent_folders_and_sets_the_schema_version() {
    let (dir, store) = temp_store();
    assert!(dir.path().join("nested/kyozo.redb").is_file());
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.path(), dir.path().join("nested/kyozo.redb"));
    drop(store);
    // Reopening an up-to-date file is a no-op.
    let store = Store::open(&dir.path().join("nested/kyozo.redb")).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
}

#[test]
fn workspace_is_found_or_created_once() {
    let (_dir, store) = temp_store();
    let ws = store.workspace("/home/ada/shop").unwrap();
    assert_eq!(ws.name, "shop");
    assert_eq!(ws.path, "/home/ada/shop");
    assert_eq!(ws.deployment_environment, "development");
    assert!(!ws.auto_deploy);
    assert_eq!(ws.registry, None);
    assert_eq!(ws.id.get_version_num(), 7);
    assert_eq!(store.workspace("/home/ada/shop").unwrap(), ws);
    let other = store.workspace("/srv/blog").unwrap();
    assert_ne!(other.id, ws.id);
    let all = store.workspaces().unwrap();
    assert_eq!(all, vec![ws, other]);
    assert!(matches!(
        store.workspace(""),
        Err(StoreError::Invalid { .. })
    ));
}

#[test]
fn update_workspace_saves_settings_and_moves_the_path_index() {
    let (_dir, store) = temp_store();
    let mut ws = store.workspace("/w/a").unwrap();
    ws.auto_deploy = true;
    ws.deployment_environment = "staging".into();
    ws.registry = Some("127.0.0.1:5000".into());
    store.update_workspace(&ws).unwrap();
    assert_eq!(store.workspace("/w/a").unwrap(), ws);

    ws.path = "/w/b".into();
    store.update_workspace(&ws).unwrap();
    assert_eq!(store.workspace("/w/b").unwrap(), ws);
    // The old path is free again: a new workspace.
    assert_ne!(store.workspace("/w/a").unwrap().id, ws.id);

    // A path held by another workspace is refused.
    ws.path = "/w/a".into();
    let err = store.update_workspace(&ws).unwrap_err();
    assert!(err.to_string().contains("already has the path"), "{err}");

    let ghost = Workspace {
        id: Uuid::now_v7(),
        ..ws
    };
    let err = store.update_workspace(&ghost).unwrap_err();
    assert!(err.to_string().contains("no workspace with id"), "{err}");
}

#[test]
fn detections_latest_wins_per_workspace() {
    let (_dir, store) = temp_store();
    let a = store.workspace("/a").unwrap().id;
    let b = store.workspace("/b").unwrap().id;
    assert_eq!(store.latest_detection(a).unwrap(), None);
    store.record_detection(a, &json!({"n": 1})).unwrap();
    let second = store.record_detection(a, &json!({"n": 2})).unwrap();
    let other = store.record_detection(b, &json!({"n": 3})).unwrap();
    assert_eq!(store.latest_detection(a).unwrap(), Some(second));
    assert_eq!(store.latest_detection(b).unwrap(), Some(other));
}

#[test]
fn services_crud_sorted_by_name() {
    let (_dir, store) = temp_store();
    let ws = store.workspace("/w").unwrap().id;
    let other_ws = store.workspace("/x").unwrap().id;
    let mut web = ServiceRecord::new(ws, "web", "/w/web", "nodejs");
    assert_eq!(web.status, ServiceState::Deployable);
    assert_eq!(web.health, Health::Unknown);
    assert_eq!(web.desired_replicas, 1);
    let api = ServiceRecord::new(ws, "api", "/w/api", "python");
    let elsewhere = ServiceRecord::new(other_ws, "api", "/x/api", "golang");
    store.save_service(&web).unwrap();
    store.save_service(&api).unwrap();
    store.save_service(&elsewhere).unwrap();

    assert_eq!(store.service(ws, "web").unwrap(), Some(web.clone()));
    assert_eq!(store.service(ws, "nope").unwrap(), None);
    let names: Vec<_> = store
        .services(ws, false)
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["api", "web"]);
    assert_eq!(store.services(other_ws, false).unwrap(), vec![elsewhere]);

    web.status = ServiceState::Running;
    web.containers = vec!["c1".into(), "c2".into()];
    web.ports = vec![(3000, 43000)];
    web.config = json!({"env": {"A": "1"}, "memory": "512Mi"});
    store.save_service(&web).unwrap();
    assert_eq!(store.service(ws, "web").unwrap(), Some(web.clone()));

    // A new record under the same name replaces the old one.
    let fresh = ServiceRecord::new(ws, "web", "/w/web2", "static");
    store.save_service(&fresh).unwrap();
    assert_eq!(store.service(ws, "web").unwrap(), Some(fresh.clone()));
    assert_eq!(store.services(ws, true).unwrap().len(), 2);

    // The same id under a new name is a rename.
    let mut renamed = fresh.clone();
    renamed.name = "site".into();
    store.save_service(&renamed).unwrap();
    assert_eq!(store.service(ws, "web").unwrap(), None);
    assert_eq!(store.service(ws, "site").unwrap(), Some(renamed));

    let empty = ServiceRecord::new(ws, "", "/w", "static");
    assert!(matches!(
        store.save_service(&empty),
        Err(StoreError::Invalid { .. })
    ));
}

#[test]
fn soft_delete_hides_and_resave_undeletes() {
    let (_dir, store) = temp_store();
    let ws = store.workspace("/w").unwrap().id;
    let svc = ServiceRecord::new(ws, "api", "/w/api", "rust");
    store.save_service(&svc).unwrap();
    assert!(store.soft_delete_service(ws, "api").unwrap());
    assert!(
        !store.soft_delete_service(ws, "api").unwrap(),
        "already deleted"
    );
    assert!(!store.soft_delete_service(ws, "ghost").unwrap());
    assert_eq!(store.service(ws, "api").unwrap(), None);
    assert!(store.services(ws, false).unwrap().is_empty());
    let deleted = store.services(ws, true).unwrap();
    assert_eq!(deleted.len(), 1);
    assert!(deleted[0].deleted_at_ms.is_some());

    let mut back = deleted[0].clone();
    back.deleted_at_ms = None;
    store.save_service(&back).unwrap();
    assert_eq!(store.service(ws, "api").unwrap(), Some(back));
}

#[test]
fn events_page_newest_first_with_before_cursor() {
    let (_dir, store) = temp_store();
    let ws = store.workspace("/w").unwrap().id;
    let other = store.workspace("/o").unwrap().id;
    let mut all = Vec::new();
    for i in 0..25 {
        let svc = if i % 2 == 0 { "api" } else { "web" };
        let ev = NewEvent::new(svc, EventKind::ServiceStarted)
            .duration_ms(i)
            .data(json!({ "i": i }));
        all.push(store.append_event(ws, ev).unwrap());
    }
    store
        .append_event(other, NewEvent::new("api", EventKind::ServiceStopped))
        .unwrap();
    for w in all.windows(2) {
        assert!(w[0].id < w[1].id);
        assert!(w[0].at_ms <= w[1].at_ms);
    }
    let newest_first: Vec<Event> = all.iter().rev().cloned().collect();

    // Whole workspace, in pages of 10.
    let p1 = store.events(ws, None, 10, None).unwrap();
    assert_eq!(p1, newest_first[..10]);
    let p2 = store.events(ws, None, 10, Some(p1[9].id)).unwrap();
    assert_eq!(p2, newest_first[10..20]);
    let p3 = store.events(ws, None, 10, Some(p2[9].id)).unwrap();
    assert_eq!(p3, newest_first[20..]);
    assert!(
        store
            .events(ws, None, 10, Some(p3[4].id))
            .unwrap()
            .is_empty()
    );

    // One service.
    let api: Vec<Event> = newest_first
        .iter()
        .filter(|e| e.service == "api")
        .cloned()
        .collect();
    assert_eq!(api.len(), 13);
    let q1 = store.events(ws, Some("api"), 5, None).unwrap();
    assert_eq!(q1, api[..5]);
    let q2 = store.events(ws, Some("api"), 100, Some(q1[4].id)).unwrap();
    assert_eq!(q2, api[5..]);
    assert!(store.events(ws, Some("nope"), 5, None).unwrap().is_empty());
    assert!(store.events(ws, None, 0, None).unwrap().is_empty());

    // A cursor that is not an event stands for its own time.
    let future = Uuid::now_v7();
    assert_eq!(
        store.events(ws, None, 3, Some(future)).unwrap(),
        newest_first[..3]
    );

    assert_eq!(store.event(all[3].id).unwrap(), Some(all[3].clone()));
    assert_eq!(store.event(Uuid::now_v7()).unwrap(), None);
    assert_eq!(store.events(other, None, 10, None).unwrap().len(), 1);
}

#[test]
fn event_fields_round_trip() {
    let (_dir, store) = temp_store();
    let ws = store.workspace("/w").unwrap().id;
    let ev = store
        .append_event(
            ws,
            NewEvent::new("api", EventKind::DeploymentFailed)
                .duration_ms(1234)
                .error("build failed: exit 1")
                .data(json!({"image": "kyozo/api:abc"}))
                .triggered_by("kyozo"),
        )
        .unwrap();
    assert_eq!(ev.id.get_version_num(), 7);
    assert_eq!(ev.workspace_id, ws);
    let back = store.events(ws, Some("api"), 1, None).unwrap();
    assert_eq!(back, vec![ev.clone()]);
    assert_eq!(back[0].error.as_deref(), Some("build failed: exit 1"));
    assert_eq!(back[0].triggered_by, "kyozo");
    assert!(
        NewEvent::new("x", EventKind::ServiceScaled)
            .triggered_by
            .contains('@')
    );
}

#[test]
fn batch_append_is_ordered() {
    let (_dir, store) = temp_store();
    let ws = store.workspace("/w").unwrap().id;
    let batch: Vec<NewEvent> = (0..100)
        .map(|i| {
            NewEvent::new(
                if i % 3 == 0 { "a" } else { "b" },
                EventKind::HealthRecovered,
            )
        })
        .collect();
    let written = store.append_events(ws, batch).unwrap();
    assert_eq!(written.len(), 100);
    let read = store.events(ws, None, 1000, None).unwrap();
    assert_eq!(read.len(), 100);
    assert_eq!(read.first(), written.last());
    assert!(store.append_events(ws, Vec::new()).unwrap().is_empty());
}

#[test]
fn threads_share_one_store() {
    let (_dir, store) = temp_store();
    let store = Arc::new(store);
    let ws = store.workspace("/w").unwrap().id;
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for _ in 0..25 {
                    store
                        .append_event(
                            ws,
                            NewEvent::new(&format!("s{t}"), EventKind::ServiceStarted),
                        )
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.events(ws, None, 1000, None).unwrap().len(), 100);
    assert_eq!(store.events(ws, Some("s2"), 1000, None).unwrap().len(), 25);
}

#[test]
fn two_handles_on_one_file_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.redb");
    let a = Store::open(&path).unwrap();
    let b = Store::open(&path).unwrap();
    let ws = a.workspace("/w").unwrap();
    assert_eq!(b.workspace("/w").unwrap(), ws);
    let ev = b
        .append_event(ws.id, NewEvent::new("api", EventKind::DeploymentStarted))
        .unwrap();
    assert_eq!(a.events(ws.id, None, 5, None).unwrap(), vec![ev]);
}

/// Writes a file with the layout of schema version 1 (no `events_by_workspace` index).
fn write_v1_file(path: &Path, ws: Uuid, n: usize) -> Vec<Event> {
    let db = raw_db(path);
    let txn = db.begin_write().unwrap();
    let mut events = Vec::new();
    {
        let mut meta = txn.open_table(META).unwrap();
        meta.insert(VERSION_KEY, 1u64).unwrap();
        txn.open_table(WORKSPACES).unwrap();
        txn.open_table(WORKSPACE_BY_PATH).unwrap();
        txn.open_table(DETECTIONS).unwrap();
        txn.open_table(DETECTIONS_BY_WORKSPACE).unwrap();
        txn.open_table(SERVICES).unwrap();
        txn.open_table(SERVICES_BY_NAME).unwrap();
        let mut table = txn.open_table(EVENTS).unwrap();
        let mut by_service = txn.open_table(EVENTS_BY_SERVICE).unwrap();
        for i in 0..n {
            let id = Uuid::now_v7();
            let ev = Event {
                id,
                workspace_id: ws,
                service: format!("s{}", i % 2),
                kind: EventKind::ServiceStarted,
                at_ms: uuid_ms(id),
                duration_ms: None,
                error: None,
                data: json!(i),
                triggered_by: "kyozo".into(),
            };
            let bytes = schema::encode(&ev).unwrap();
            table.insert(id.as_u128(), bytes.as_slice()).unwrap();
            by_service
                .insert(
                    (ws.as_u128(), ev.service.as_str(), ev.at_ms, id.as_u128()),
                    (),
                )
                .unwrap();
            events.push(ev);
        }
    }
    txn.commit().unwrap();
    events
}

#[test]
fn a_v1_file_is_migrated_forward() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.redb");
    let ws = Uuid::now_v7();
    let events = write_v1_file(&path, ws, 7);
    {
        let db = raw_db(&path);
        let txn = db.begin_read().unwrap();
        assert!(
            txn.open_table(EVENTS_BY_WORKSPACE).is_err(),
            "v1 has no such index"
        );
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let newest: Vec<Event> = events.iter().rev().cloned().collect();
    assert_eq!(store.events(ws, None, 100, None).unwrap(), newest);
    assert_eq!(store.events(ws, Some("s0"), 100, None).unwrap().len(), 4);
    // New appends land in both indexes.
    let ev = store
        .append_event(ws, NewEvent::new("s1", EventKind::ServiceStopped))
        .unwrap();
    assert_eq!(store.events(ws, None, 1, None).unwrap(), vec![ev]);
}

#[test]
fn a_newer_schema_is_refused_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.redb");
    drop(Store::open(&path).unwrap());
    {
        let db = raw_db(&path);
        let txn = db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert(VERSION_KEY, 99u64)
            .unwrap();
        txn.commit().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::Schema {
            found, supported, ..
        } => {
            assert_eq!(*found, 99);
            assert_eq!(*supported, SCHEMA_VERSION);
        }
        other => panic!("expected a schema error, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("future.redb") && message.contains("99"),
        "{message}"
    );
    let db = raw_db(&path);
    let txn = db.begin_read().unwrap();
    let version = txn
        .open_table(META)
        .unwrap()
        .get(VERSION_KEY)
        .unwrap()
        .unwrap()
        .value();
    assert_eq!(version, 99, "the version was not rewritten");
}

#[test]
fn a_garbage_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.redb");
    let junk: Vec<u8> = (0..16384u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&path, &junk).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("garbage.redb"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        junk,
        "the file was not touched"
    );
}

#[test]
fn a_text_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "just some notes\n").unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(err.to_string().contains("notes.txt"), "{err}");
}

#[test]
fn a_foreign_redb_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.redb");
    {
        let db = raw_db(&path);
        let txn = db.begin_write().unwrap();
        let def: redb::TableDefinition<u64, u64> = redb::TableDefinition::new("their_data");
        txn.open_table(def).unwrap().insert(1, 2).unwrap();
        txn.commit().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("not a kyozo history store") && message.contains("their_data"),
        "{message}"
    );
}

#[test]
fn a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");
}

#[test]
fn default_path_follows_the_environment() {
    use std::ffi::OsString;
    let lookup = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    };
    let db = default_path_from(lookup(&[("KYOZO_DB", "/tmp/x.redb"), ("HOME", "/home/a")]));
    assert_eq!(db, Some(PathBuf::from("/tmp/x.redb")));
    let xdg = default_path_from(lookup(&[("XDG_DATA_HOME", "/data"), ("HOME", "/home/a")]));
    assert_eq!(xdg, Some(PathBuf::from("/data/kyozo/kyozo.redb")));
    // A relative or empty XDG_DATA_HOME is ignored, as the XDG spec says.
    let home = default_path_from(lookup(&[
        ("XDG_DATA_HOME", "rel"),
        ("KYOZO_DB", ""),
        ("HOME", "/home/a"),
    ]));
    assert_eq!(
        home,
        Some(PathBuf::from("/home/a/.local/share/kyozo/kyozo.redb"))
    );
    assert_eq!(default_path_from(lookup(&[])), None);
}

#[test]
fn a_truncated_store_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.redb");
    {
        let store = Store::open(&path).unwrap();
        let ws = store.workspace("/w").unwrap().id;
        let batch =
            (0..3000).map(|i| NewEvent::new(&format!("s{}", i % 7), EventKind::ServiceStarted));
        store.append_events(ws, batch).unwrap();
    }
    let len = std::fs::metadata(&path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len / 2).unwrap();
    drop(file);
    let outcome = Store::open(&path).and_then(|s| {
        let ws = s.workspace("/w")?.id;
        s.events(ws, None, usize::MAX, None).map(|e| e.len())
    });
    let err = outcome.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("cut.redb"), "{err}");
}

#[test]
fn threads_creating_one_store_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("race.redb"));
    let barrier = Arc::new(std::sync::Barrier::new(6));
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let (path, barrier) = (Arc::clone(&path), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let store = Store::open(&path).unwrap();
                let ws = store.workspace("/race").unwrap();
                store
                    .append_event(
                        ws.id,
                        NewEvent::new(&format!("t{i}"), EventKind::ServiceStarted),
                    )
                    .unwrap();
                ws.id
            })
        })
        .collect();
    let ids: Vec<Uuid> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "one workspace: {ids:?}"
    );
    let store = Store::open(&path).unwrap();
    assert_eq!(store.events(ids[0], None, 100, None).unwrap().len(), 6);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["race.redb"], "no temporary file is left");
}

#[test]
fn stale_creation_files_of_dead_processes_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.redb");
    // pid 0 is never a user process; the live one is ours.
    let dead = dir.path().join(".k.redb.0.abc.creating");
    let live = dir
        .path()
        .join(format!(".k.redb.{}.abc.creating", std::process::id()));
    let unrelated = dir.path().join(".other.redb.0.abc.creating");
    for f in [&dead, &live, &unrelated] {
        std::fs::write(f, b"partial").unwrap();
    }
    drop(Store::open(&path).unwrap());
    assert!(!dead.exists());
    assert!(live.exists());
    assert!(unrelated.exists());
}

#[test]
fn concurrent_opens_migrate_a_v1_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("old.redb"));
    let ws = Uuid::now_v7();
    let events = write_v1_file(&path, ws, 40);
    let barrier = Arc::new(std::sync::Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (path, barrier) = (Arc::clone(&path), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let store = Store::open(&path).unwrap();
                store.events(ws, None, 1000, None).unwrap().len()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), events.len());
    }
}
