//! Crash and multi-process tests of the history store.
//!
//! This test binary has no libtest harness (`harness = false` in Cargo.toml) so that it can
//! re-invoke itself as a writer child: with `KYOZO_STORE_TEST_CHILD=writer` it appends events to
//! a store and prints the id of each event once its commit returned. The parent kills such
//! children with SIGKILL at random moments and checks that every printed event survived, or runs
//! two of them at once and checks that nothing is lost.
//!
//! Run: `cargo test --test store_crash` (optionally with a name filter).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use kyozo::store::{EventKind, NewEvent, Store};
use uuid::Uuid;

const CHILD_ENV: &str = "KYOZO_STORE_TEST_CHILD";
const DB_ENV: &str = "KYOZO_STORE_TEST_DB";
const SERVICE_ENV: &str = "KYOZO_STORE_TEST_SERVICE";
const COUNT_ENV: &str = "KYOZO_STORE_TEST_COUNT";
const WORKSPACE: &str = "/kyozo-test/crash-workspace";

fn main() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("writer") {
        writer_child();
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let tests: [(&str, fn()); 3] = [
        (
            "sigkill_loses_nothing_committed",
            sigkill_loses_nothing_committed,
        ),
        (
            "sigkill_while_creating_the_file",
            sigkill_while_creating_the_file,
        ),
        (
            "two_processes_append_concurrently",
            two_processes_append_concurrently,
        ),
    ];
    let mut ran = 0;
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let started = Instant::now();
        println!("test {name} ...");
        test();
        println!(
            "test {name} ... ok ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
        ran += 1;
    }
    println!("\ntest result: ok. {ran} passed");
}

/// The child: appends events to the store at `$KYOZO_STORE_TEST_DB`, printing each committed
/// event id on its own line, `$KYOZO_STORE_TEST_COUNT` times (default: until killed).
fn writer_child() {
    let db = PathBuf::from(std::env::var_os(DB_ENV).expect("KYOZO_STORE_TEST_DB"));
    let service = std::env::var(SERVICE_ENV).unwrap_or_else(|_| "writer".to_string());
    let count: u64 = std::env::var(COUNT_ENV)
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(u64::MAX);
    let store = Store::open(&db).unwrap_or_else(|e| panic!("child open: {e}"));
    let ws = store.workspace(WORKSPACE).unwrap().id;
    let stdout = std::io::stdout();
    for seq in 0..count {
        let ev = NewEvent::new(&service, EventKind::ServiceStarted)
            .data(serde_json::json!({ "seq": seq, "pid": std::process::id() }));
        let ev = store
            .append_event(ws, ev)
            .unwrap_or_else(|e| panic!("child append: {e}"));
        // One write per line; a broken pipe (parent gone) ends the child.
        let mut out = stdout.lock();
        if writeln!(out, "{}", ev.id)
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}

fn spawn_writer(db: &Path, service: &str, count: Option<u64>) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(CHILD_ENV, "writer")
        .env(DB_ENV, db)
        .env(SERVICE_ENV, service)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(n) = count {
        cmd.env(COUNT_ENV, n.to_string());
    }
    cmd.spawn().unwrap()
}

/// Reads the child's stdout to its end in a thread; yields the complete (newline-ended) lines.
fn collect_ids(child: &mut Child) -> thread::JoinHandle<Vec<Uuid>> {
    let stdout = child.stdout.take().unwrap();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut ids = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.ends_with('\n') => ids.push(Uuid::parse_str(line.trim()).unwrap()),
                // A line cut by the kill: its event may or may not be committed.
                Ok(_) => break,
            }
        }
        ids
    })
}

/// How long a writer child takes, on this machine under its current load, from spawn to its
/// first committed event on a new store: the kill windows below are scaled by it.
fn time_to_first_event(dir: &Path) -> Duration {
    let db = dir.join("calibrate.redb");
    let started = Instant::now();
    let mut child = spawn_writer(&db, "calibrate", Some(1));
    let ids = collect_ids(&mut child);
    assert!(child.wait().unwrap().success(), "calibration writer failed");
    assert_eq!(ids.join().unwrap().len(), 1);
    let took = started.elapsed();
    std::fs::remove_file(&db).unwrap();
    println!(
        "  a writer commits its first event {} ms after spawn",
        took.as_millis()
    );
    took
}

/// A small xorshift generator; the seed is printed so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn from_env_or_clock() -> Rng {
        let seed = std::env::var("KYOZO_STORE_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        println!("  seed {seed} (set KYOZO_STORE_TEST_SEED to replay)");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn all_events(store: &Store, ws: Uuid, service: Option<&str>) -> Vec<kyozo::store::Event> {
    store.events(ws, service, usize::MAX, None).unwrap()
}

/// 30 rounds: a writer appends in a loop and is SIGKILLed at a random moment. After each round
/// the file opens, and every event the writer printed (committed) is in it.
fn sigkill_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.redb");
    // A long-lived handle in this process, open while the children write and die.
    let watcher = Store::open(&db).unwrap();
    let ws = watcher.workspace(WORKSPACE).unwrap().id;
    let mut rng = Rng::from_env_or_clock();
    let mut committed: Vec<Uuid> = Vec::new();
    let mut rounds_with_events = 0;
    let startup = time_to_first_event(dir.path());
    const ROUNDS: usize = 30;
    for round in 0..ROUNDS {
        let mut child = spawn_writer(&db, "crashy", None);
        let reader = collect_ids(&mut child);
        thread::sleep(startup + Duration::from_millis(rng.below(150)));
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the writer was not killed"
        );
        let printed = reader.join().unwrap();
        if !printed.is_empty() {
            rounds_with_events += 1;
        }
        committed.extend(&printed);

        // A fresh handle opens the file after every crash.
        let fresh = Store::open(&db)
            .unwrap_or_else(|e| panic!("round {round}: reopen after SIGKILL failed: {e}"));
        for id in &printed {
            assert!(
                fresh.event(*id).unwrap().is_some(),
                "round {round}: committed event {id} is missing"
            );
        }
        // At most one event per round may be committed without having been printed.
        let stored = all_events(&fresh, ws, None);
        assert!(
            stored.len() >= committed.len() && stored.len() <= committed.len() + round + 1,
            "round {round}: {} stored, {} printed",
            stored.len(),
            committed.len()
        );
        drop(fresh);
    }
    // The handle that stayed open throughout sees everything too.
    let seen: HashSet<Uuid> = all_events(&watcher, ws, Some("crashy"))
        .into_iter()
        .map(|e| e.id)
        .collect();
    for id in &committed {
        assert!(
            seen.contains(id),
            "event {id} missing from the long-lived handle"
        );
    }
    println!(
        "  {ROUNDS} kills, {} committed events checked, {rounds_with_events} rounds had events",
        committed.len()
    );
    assert!(
        rounds_with_events >= ROUNDS / 2,
        "too few rounds got to write anything ({rounds_with_events}/{ROUNDS}): the test proves little"
    );
    // A final write from this process still works.
    watcher
        .append_event(ws, NewEvent::new("crashy", EventKind::ServiceStopped))
        .unwrap();
}

/// 20 rounds: a writer is SIGKILLed within its first milliseconds, while it may be creating
/// the file and its tables. The next open still works and the store is usable.
fn sigkill_while_creating_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::from_env_or_clock();
    let (mut no_file, mut no_event) = (0, 0);
    // Kill anywhere from spawn to a little after the first commit.
    let window = time_to_first_event(dir.path()).as_micros() as u64 * 5 / 4;
    for round in 0..20 {
        let db = dir.path().join(format!("fresh-{round}.redb"));
        let mut child = spawn_writer(&db, "early", None);
        let reader = collect_ids(&mut child);
        thread::sleep(Duration::from_micros(rng.below(window.max(1))));
        child.kill().unwrap();
        child.wait().unwrap();
        let printed = reader.join().unwrap();
        if !db.exists() {
            no_file += 1;
        } else if printed.is_empty() {
            no_event += 1;
        }
        let store = Store::open(&db)
            .unwrap_or_else(|e| panic!("round {round}: open after an early SIGKILL failed: {e}"));
        let ws = store.workspace(WORKSPACE).unwrap().id;
        for id in &printed {
            assert!(
                store.event(*id).unwrap().is_some(),
                "round {round}: {id} missing"
            );
        }
        store
            .append_event(ws, NewEvent::new("early", EventKind::ServiceStarted))
            .unwrap();
    }
    println!(
        "  20 early kills: {no_file} before the file existed, {no_event} before the first event"
    );
    // The temporary files of killed creations were removed by the opens that followed.
    let strays: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".redb"))
        .collect();
    assert!(strays.is_empty(), "stray files: {strays:?}");
}

/// Two writer processes append 500 events each at the same time, while this process reads;
/// all 1000 are there, in order, per service and for the workspace.
fn two_processes_append_concurrently() {
    const EACH: u64 = 500;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.redb");
    let reader = Store::open(&db).unwrap();
    let ws = reader.workspace(WORKSPACE).unwrap().id;

    let mut a = spawn_writer(&db, "alpha", Some(EACH));
    let mut b = spawn_writer(&db, "beta", Some(EACH));
    let ids_a = collect_ids(&mut a);
    let ids_b = collect_ids(&mut b);
    // Read while they write: every page is newest-first and never shrinks.
    let mut last_len = 0;
    let mut reads = 0;
    while reads < 10_000 {
        let page = reader.events(ws, None, 50, None).unwrap();
        assert!(
            page.windows(2)
                .all(|w| (w[0].at_ms, w[0].id) > (w[1].at_ms, w[1].id))
        );
        assert!(page.len() >= last_len);
        last_len = page.len();
        reads += 1;
        if a.try_wait().unwrap().is_some() && b.try_wait().unwrap().is_some() {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    assert!(a.wait().unwrap().success(), "writer alpha failed");
    assert!(b.wait().unwrap().success(), "writer beta failed");
    let ids_a = ids_a.join().unwrap();
    let ids_b = ids_b.join().unwrap();
    assert_eq!(ids_a.len() as u64, EACH);
    assert_eq!(ids_b.len() as u64, EACH);

    let all = all_events(&reader, ws, None);
    assert_eq!(all.len() as u64, 2 * EACH);
    let stored: HashSet<Uuid> = all.iter().map(|e| e.id).collect();
    for id in ids_a.iter().chain(&ids_b) {
        assert!(stored.contains(id), "event {id} lost");
    }
    // Each service's history is exactly its writer's appends, newest first.
    for (service, ids) in [("alpha", &ids_a), ("beta", &ids_b)] {
        let hist: Vec<Uuid> = all_events(&reader, ws, Some(service))
            .into_iter()
            .map(|e| e.id)
            .collect();
        let expected: Vec<Uuid> = ids.iter().rev().copied().collect();
        assert_eq!(hist, expected, "history of {service}");
    }
    // Both really ran at once: their events interleave in the workspace history.
    let switches = all
        .windows(2)
        .filter(|w| w[0].service != w[1].service)
        .count();
    println!(
        "  {} events, {switches} service switches, {reads} concurrent reads",
        all.len()
    );
    assert!(switches > 1, "the two writers did not overlap");
}
