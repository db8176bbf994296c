//! In-process benchmarks of the read-and-judge path (issue 2: inventory under 5 ms on the
//! ThinkPad T61 fixture tree).
//!
//! Run with `cargo bench --bench inventory`; see docs/benchmarks.md. The T61 tree is built
//! once at start (removed and rebuilt, so a stale tree from an older fixture is never timed),
//! under Cargo's per-target scratch folder (`target/tmp/bench-trees/thinkpad-t61`).

// why: a benchmark is not shipped code; a failed setup (fixture, policy) should stop it loudly,
// and clippy.toml's allow-unwrap-in-tests does not cover benches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};

use isoguard::platform::linux::HostRoot;
use isoguard::policy::{self, evaluate::evaluate};

const FIXTURE: &str = "tests/fixtures/thinkpad-t61";

/// Builds the T61 tree afresh and returns where it is.
fn t61_tree() -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-trees/thinkpad-t61");
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("remove the old bench tree");
    }
    std::fs::create_dir_all(out.parent().expect("bench tree has a parent"))
        .expect("create target/tmp/bench-trees");
    isoguard::platform::linux::fixture::materialize(&fixture, &out)
        .expect("materialize the T61 fixture");
    out
}

fn classified_text() -> &'static str {
    policy::BUILTIN
        .iter()
        .find(|(name, _)| *name == "classified")
        .map(|(_, text)| *text)
        .expect("the classified policy is bundled")
}

fn benches(c: &mut Criterion) {
    let tree = t61_tree();

    // The CLI makes one HostRoot per run, so each iteration does too (a PathBuf clone).
    c.bench_function("inventory_collect/t61", |b| {
        b.iter(|| isoguard::platform::collect(&HostRoot::at(black_box(tree.clone()))))
    });

    let inventory = isoguard::platform::collect(&HostRoot::at(tree.clone()));
    c.bench_function("inventory_to_json/t61", |b| {
        b.iter(|| serde_json::to_vec(black_box(&inventory)).unwrap())
    });

    let text = classified_text();
    c.bench_function("policy_load/classified", |b| {
        b.iter(|| policy::load_str("classified", black_box(text)).unwrap())
    });

    let classified = policy::load_str("classified", text).unwrap();
    c.bench_function("policy_evaluate/classified_t61", |b| {
        b.iter(|| evaluate(black_box(&classified), black_box(&inventory), None))
    });

    // The live machine: what this runs on varies, so compare figures from one host only.
    c.bench_function("inventory_collect/live", |b| {
        b.iter(|| isoguard::platform::collect(&HostRoot::live()))
    });
}

criterion_group!(inventory_benches, benches);
criterion_main!(inventory_benches);
