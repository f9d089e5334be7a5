//! Benchmark of the history store: append and query rates on a store of one million events.
//!
//! `cargo run --release --example store_bench [-- --events N --services S --db FILE]`
//!
//! Fills a fresh store (in a temporary folder unless `--db` is given) with N events (default
//! 1,000,000) spread over S services (default 20) of one workspace, in batches of 10,000 per
//! transaction; then measures single-event appends (one durable commit each), newest-50 pages
//! for one service and for the workspace, deep pages with a `before` cursor, and reopening.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kyozo::store::{EventKind, NewEvent, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut events: u64 = 1_000_000;
    let mut services: u64 = 20;
    let mut db: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => events = args.next().ok_or("--events needs a number")?.parse()?,
            "--services" => services = args.next().ok_or("--services needs a number")?.parse()?,
            "--db" => db = Some(args.next().ok_or("--db needs a file")?.into()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let services = services.max(1);
    let tmp = tempfile::tempdir()?;
    let path = db.unwrap_or_else(|| tmp.path().join("bench.redb"));
    let store = Store::open(&path)?;
    let ws = store.workspace("/bench/workspace")?.id;
    let service = |i: u64| format!("service-{:02}", i % services);
    let who = kyozo::store::whoami();
    let make = |i: u64| {
        let kind = EventKind::ALL[(i % EventKind::ALL.len() as u64) as usize];
        NewEvent {
            service: service(i),
            kind,
            duration_ms: Some(i % 5000),
            error: None,
            data: serde_json::json!({ "seq": i, "image": format!("kyozo/{}:{:x}", service(i), i) }),
            triggered_by: who.clone(),
        }
    };

    println!("store {}", path.display());
    println!("filling: {events} events over {services} services, batches of 10,000");
    let started = Instant::now();
    let mut i = 0;
    while i < events {
        let n = 10_000.min(events - i);
        store.append_events(ws, (i..i + n).map(make))?;
        i += n;
    }
    let fill = started.elapsed();
    println!(
        "  batch append: {} events/s ({:.1} s)",
        rate(events, fill),
        fill.as_secs_f64()
    );
    let size = std::fs::metadata(&path)?.len();
    println!(
        "  file size: {:.1} MiB ({:.0} bytes/event)",
        size as f64 / 1048576.0,
        size as f64 / events.max(1) as f64
    );

    // Single appends: each one durable write transaction.
    let singles = 1000;
    let started = Instant::now();
    for j in 0..singles {
        store.append_event(ws, make(events + j))?;
    }
    let took = started.elapsed();
    println!(
        "single append (1 commit each, Durability::Immediate): {} events/s, {:.2} ms each",
        rate(singles, took),
        ms_each(took, singles)
    );

    let rounds = 5000;
    let one = service(7);
    let started = Instant::now();
    for _ in 0..rounds {
        let page = store.events(ws, Some(&one), 50, None)?;
        assert_eq!(page.len(), 50);
    }
    let took = started.elapsed();
    println!(
        "newest-50 page, one service: {} pages/s, {:.3} ms each",
        rate(rounds, took),
        ms_each(took, rounds)
    );

    let started = Instant::now();
    for _ in 0..rounds {
        let page = store.events(ws, None, 50, None)?;
        assert_eq!(page.len(), 50);
    }
    let took = started.elapsed();
    println!(
        "newest-50 page, workspace:   {} pages/s, {:.3} ms each",
        rate(rounds, took),
        ms_each(took, rounds)
    );

    // Deep pages: walk 200 pages back through one service with the `before` cursor.
    let started = Instant::now();
    let mut cursor = None;
    let mut pages = 0;
    for _ in 0..200 {
        let page = store.events(ws, Some(&one), 50, cursor)?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.id);
        pages += 1;
    }
    let took = started.elapsed();
    println!(
        "paging back with `before`, one service: {} pages/s, {:.3} ms each ({pages} pages)",
        rate(pages, took),
        ms_each(took, pages)
    );

    let started = Instant::now();
    let mut total = 0;
    for svc in 0..services {
        total += store.events(ws, Some(&service(svc)), 1, None)?.len();
    }
    let took = started.elapsed();
    println!(
        "latest event of each of {services} services: {:.3} ms total ({total} found)",
        took.as_secs_f64() * 1000.0
    );

    drop(store);
    let started = Instant::now();
    let store = Store::open(&path)?;
    println!(
        "reopen of the filled store: {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    drop(store);
    Ok(())
}

fn rate(n: u64, took: Duration) -> String {
    let per_s = n as f64 / took.as_secs_f64().max(1e-9);
    if per_s >= 10_000.0 {
        format!("{:.0}k", per_s / 1000.0)
    } else {
        format!("{per_s:.0}")
    }
}

fn ms_each(took: Duration, n: u64) -> f64 {
    took.as_secs_f64() * 1000.0 / n.max(1) as f64
}
