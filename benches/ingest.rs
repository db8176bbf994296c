//! Collector throughput (issue 5: ingest of 10,000 signed findings from 1,000 hosts at
//! 5,000 findings/s or more on a 2-core machine), and the time to build the report from the
//! resulting database.
//!
//! Run with `cargo bench --features collector --bench ingest`. The findings are made once per
//! run, in-process (1,000 keys, 10 chained findings each, a few KiB with an inventory), under
//! Cargo's per-target scratch folder. Each timed iteration is the real `isoguard-collector
//! collect` process on a fresh inbox (hard links to the generated files) and a fresh database,
//! so it includes start-up, trust store loading, chain checks and every fsync.

// why: a benchmark is not shipped code; a failed setup should stop it loudly, and clippy.toml's
// allow-unwrap-in-tests does not cover benches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/synthetic/mod.rs"]
mod synthetic;

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use isoguard::collector::store::Store;

const HOSTS: usize = 1_000;
const PER_HOST: u64 = 10;
const FINDINGS: u64 = HOSTS as u64 * PER_HOST;

struct Setup {
    base: PathBuf,
    source: PathBuf,
    trust: PathBuf,
}

fn setup() -> Setup {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-ingest");
    let _ = fs::remove_dir_all(&base);
    let (source, trust) = (base.join("source"), base.join("trust"));
    let started = Instant::now();
    let mut hosts = synthetic::hosts(HOSTS);
    synthetic::enroll(&trust, &hosts);
    let written = synthetic::write_chains(&source, &mut hosts, PER_HOST);
    let bytes: u64 = written.iter().map(|p| fs::metadata(p).unwrap().len()).sum();
    eprintln!(
        "generated {} findings from {HOSTS} hosts, {} bytes on average, in {:.1?}",
        written.len(),
        bytes / FINDINGS,
        started.elapsed()
    );
    Setup {
        base,
        source,
        trust,
    }
}

/// A fresh inbox of hard links to the generated files, and a fresh database path.
fn fresh(setup: &Setup) -> (PathBuf, PathBuf) {
    let run = setup.base.join("run");
    let _ = fs::remove_dir_all(&run);
    let inbox = run.join("inbox");
    fs::create_dir_all(&inbox).unwrap();
    for entry in fs::read_dir(&setup.source).unwrap() {
        let entry = entry.unwrap();
        fs::hard_link(entry.path(), inbox.join(entry.file_name())).unwrap();
    }
    // The previous iteration's deletions and these links are written back now, not during
    // the timed run, which should pay only for its own I/O.
    let _ = Command::new("sync").status();
    (inbox, run.join("collector.db"))
}

/// One `isoguard-collector collect` of the whole inbox; returns its wall time.
fn collect(setup: &Setup, inbox: &Path, db: &Path) -> Duration {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_isoguard-collector"))
        .args(["collect", "--inbox"])
        .arg(inbox)
        .arg("--trust")
        .arg(&setup.trust)
        .arg("--db")
        .arg(db)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = started.elapsed();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{shown}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        shown.contains(&format!("stored {FINDINGS}, duplicates 0, rejected 0")),
        "{shown}"
    );
    took
}

fn benches(c: &mut Criterion) {
    let setup = setup();

    // One plain, readable figure first.
    let (inbox, db) = fresh(&setup);
    let took = collect(&setup, &inbox, &db);
    eprintln!(
        "collect: {FINDINGS} findings in {took:.2?} = {:.0} findings/s",
        FINDINGS as f64 / took.as_secs_f64()
    );

    let mut group = c.benchmark_group("collect");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(FINDINGS));
    group.bench_function("10000_findings_1000_hosts", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (inbox, db) = fresh(&setup);
                total += collect(&setup, &inbox, &db);
            }
            total
        })
    });
    group.finish();

    // The report from the last database: 1,000 hosts, 10,000 findings.
    let (inbox, db) = fresh(&setup);
    collect(&setup, &inbox, &db);
    let store = Store::open(&db).unwrap();
    let started = Instant::now();
    let data = store.report_data(SystemTime::now(), 7).unwrap();
    eprintln!(
        "report_data: {} hosts, {} findings, {} violations in {:.2?}",
        data.totals.hosts,
        data.totals.findings,
        data.violations.len(),
        started.elapsed()
    );
    let mut group = c.benchmark_group("report_data");
    group.sample_size(10);
    group.bench_function("10000_findings_1000_hosts", |b| {
        b.iter(|| black_box(&store).report_data(SystemTime::now(), 7).unwrap())
    });
    group.finish();
    // The folder is left for inspection; the next run starts by removing it.
}

criterion_group!(ingest, benches);
criterion_main!(ingest);
