//! Re-detection after one file changes: what the cockpit does on a file-watcher event. Detects the
//! workspace once into a `DetectCache`, then edits one file at a time (a Dockerfile, a source
//! file, a new folder) and times `detect_cached` with the changed folder named, as the watcher
//! names it. Prints the median and the worst time of each kind of change.
//!
//!     cargo run --release --example redetect_bench -- WORKSPACE [ROUNDS]
//!
//! `benches/redetect_bench.sh` generates the benchmark's 100,000-file tree and runs this.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kyozo::detect::{self, DetectCache, DetectOptions};

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[v.len() - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(
        args.next()
            .expect("usage: redetect_bench WORKSPACE [ROUNDS]"),
    );
    let rounds: usize = args
        .next()
        .map_or(30, |r| r.parse().expect("ROUNDS is a number"));
    let opts = DetectOptions::default();
    let mut cache = DetectCache::new();
    let start = Instant::now();
    let first = detect::detect_cached(&root, &opts, &mut cache, &[]).expect("first detection");
    println!(
        "first detection: {} ({} folders, {} services)",
        ms(start.elapsed()),
        first.folders.len(),
        first.topology.services.len()
    );
    let services: Vec<String> = first
        .topology
        .services
        .iter()
        .filter(|s| s.dockerfile.is_some())
        .map(|s| s.path.clone())
        .collect();
    assert!(!services.is_empty(), "no containerized service to edit");
    let rel_join = |a: &str, b: &str| {
        if a == "." {
            b.to_string()
        } else {
            format!("{a}/{b}")
        }
    };
    let abs = |rel: &str| -> PathBuf { root.join(rel) };

    // 1. A Dockerfile's content changes (its port): the folder and its ancestors are analyzed again.
    let mut manifest = Vec::new();
    for i in 0..rounds {
        let svc = &services[i % services.len()];
        let path = abs(&rel_join(svc, "Dockerfile"));
        let old = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{old}EXPOSE {}\n", 9000 + i)).unwrap();
        let t = Instant::now();
        let d = detect::detect_cached(&root, &opts, &mut cache, std::slice::from_ref(svc)).unwrap();
        manifest.push(t.elapsed());
        assert!(
            d.analysed.len() <= svc.split('/').count() + 2,
            "{:?}",
            d.analysed
        );
        std::fs::write(&path, old).unwrap();
        detect::detect_cached(&root, &opts, &mut cache, std::slice::from_ref(svc)).unwrap();
    }
    // 2. A source file deep in a service changes.
    let mut source = Vec::new();
    for i in 0..rounds {
        let svc = &services[i % services.len()];
        let folder = rel_join(svc, "src/mod0");
        if !abs(&folder).is_dir() {
            continue;
        }
        let path = abs(&rel_join(&folder, "file0.txt"));
        std::fs::write(&path, format!("x{i}\n")).unwrap();
        let t = Instant::now();
        detect::detect_cached(&root, &opts, &mut cache, std::slice::from_ref(&folder)).unwrap();
        source.push(t.elapsed());
    }
    // 3. A folder with a Dockerfile appears (the watcher names its parent), then goes.
    let mut created = Vec::new();
    for i in 0..rounds {
        let svc = &services[i % services.len()];
        let new = rel_join(svc, &format!("extra-{i}"));
        std::fs::create_dir_all(abs(&new)).unwrap();
        std::fs::write(
            abs(&rel_join(&new, "Dockerfile")),
            "FROM alpine\nEXPOSE 1234\n",
        )
        .unwrap();
        let t = Instant::now();
        let d = detect::detect_cached(&root, &opts, &mut cache, std::slice::from_ref(svc)).unwrap();
        created.push(t.elapsed());
        assert!(
            d.topology.services.iter().any(|s| s.path == new),
            "{new} not found"
        );
        std::fs::remove_dir_all(abs(&new)).unwrap();
        detect::detect_cached(&root, &opts, &mut cache, std::slice::from_ref(svc)).unwrap();
    }
    let check = detect::detect_cached(&root, &opts, &mut cache, &[]).unwrap();
    assert_eq!(
        check.topology,
        detect::detect(Path::new(&root), &opts).unwrap(),
        "the cached detection drifted from a full one"
    );
    for (what, times) in [
        ("a Dockerfile changed", manifest),
        ("a source file changed", source),
        ("a service folder created", created),
    ] {
        let (m, worst) = median(times);
        println!(
            "re-detection, {what}: median {}, worst {}",
            ms(m),
            ms(worst)
        );
    }
}
