//! What one real finding costs to take in, step by step, on this CPU (issue 16 §1): the whole
//! examination of an inbox file (`examine_bytes`: DSSE verification, the v1 shape check, the
//! identity), and each step it cannot avoid, so the floor of `isoguard-collector collect` can
//! be read off per byte. Also the cost of one durable commit on this file system (a small
//! write and fsync), which bounds how small a batch may be.
//!
//! Run `scripts/bench-ingest-real.sh` first (it writes real signed findings under
//! target/bench-ingest-real/inbox), then `cargo bench --features collector --bench
//! ingest_floor`; `ISOGUARD_FINDING=path` picks another envelope. The finding is re-signed
//! with a key made here, so no trust store is needed.

// why: a benchmark is not shipped code; a failed setup should stop it loudly, and clippy.toml's
// allow-unwrap-in-tests does not cover benches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sha2::{Digest, Sha256, Sha512};

use isoguard::collector::ingest::examine_bytes;
use isoguard::finding::dsse;
use isoguard::finding::keys::{PrivateKey, TrustedKeys};

/// A real envelope: `ISOGUARD_FINDING`, else the first file the real-findings bench wrote.
fn real_envelope() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ISOGUARD_FINDING") {
        return Some(PathBuf::from(path));
    }
    let inbox = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-ingest-real/inbox");
    let mut names: Vec<PathBuf> = fs::read_dir(inbox)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".finding.json"))
        .collect();
    names.sort();
    names.into_iter().next()
}

struct Sample {
    envelope: Vec<u8>,
    payload: Vec<u8>,
    trusted: TrustedKeys,
}

/// The real payload, signed anew by a key enrolled under the machine id it names.
fn sample(path: &Path) -> Sample {
    let original: dsse::Envelope = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    let payload = BASE64.decode(original.payload.as_bytes()).unwrap();
    let finding: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let machine_id = finding["host"]["machine_id"].as_str().unwrap().to_string();
    let key = PrivateKey::generate().unwrap();
    let trusted = TrustedKeys::from_keys(vec![(machine_id, key.public_key())]).unwrap();
    let envelope = dsse::sign(&payload, &key).to_json().into_bytes();
    Sample {
        envelope,
        payload,
        trusted,
    }
}

fn per_byte(c: &mut Criterion, s: &Sample) {
    let b64 = dsse::sign(&s.payload, &PrivateKey::generate().unwrap()).payload;
    let mut group = c.benchmark_group("floor");
    group.throughput(Throughput::Bytes(s.envelope.len() as u64));
    group.bench_function("examine_bytes (whole check, bytes of envelope)", |b| {
        b.iter(|| examine_bytes(black_box(&s.envelope), &s.trusted).unwrap())
    });
    group.bench_function("sha256 of the envelope", |b| {
        b.iter(|| Sha256::digest(black_box(&s.envelope)))
    });
    group.bench_function("json: envelope skipped (IgnoredAny)", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&s.envelope)).unwrap())
    });
    group.throughput(Throughput::Bytes(b64.len() as u64));
    group.bench_function("base64 decode of the payload field", |b| {
        b.iter(|| BASE64.decode(black_box(b64.as_bytes())).unwrap())
    });
    group.throughput(Throughput::Bytes(s.payload.len() as u64));
    group.bench_function("sha256 of the payload", |b| {
        b.iter(|| Sha256::digest(black_box(&s.payload)))
    });
    group.bench_function("sha512 of the payload (inside ed25519)", |b| {
        b.iter(|| Sha512::digest(black_box(&s.payload)))
    });
    group.bench_function("json: payload skipped (IgnoredAny)", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&s.payload)).unwrap())
    });
    group.bench_function("json: payload as v1::Finding", |b| {
        b.iter(|| {
            serde_json::from_slice::<isoguard::finding::v1::Finding>(black_box(&s.payload)).unwrap()
        })
    });
    group.finish();
}

fn fixed(c: &mut Criterion) {
    let key = PrivateKey::generate().unwrap();
    let trusted = TrustedKeys::from_keys(vec![("m".into(), key.public_key())]).unwrap();
    let tiny = dsse::sign(b"{}", &key).to_json().into_bytes();
    let mut group = c.benchmark_group("fixed");
    group.bench_function(
        "dsse verify of a 2-byte payload (ed25519 without hashing)",
        |b| b.iter(|| dsse::verify(black_box(&tiny), &trusted).unwrap()),
    );
    // One durable commit's worth of syncing: the page written and fsync'd on the file system
    // the benches' scratch folder is on (the same as target/bench-ingest-real's).
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("floor-fsync");
    let mut file = fs::File::create(&path).unwrap();
    group.sample_size(20);
    group.bench_function("4 KiB write + fsync", |b| {
        b.iter(|| {
            file.write_all(&[0u8; 4096]).unwrap();
            file.sync_all().unwrap();
        })
    });
    group.finish();
    let _ = fs::remove_file(path);
}

fn benches(c: &mut Criterion) {
    fixed(c);
    let Some(path) = real_envelope() else {
        eprintln!("no real finding: run scripts/bench-ingest-real.sh or set ISOGUARD_FINDING");
        return;
    };
    let s = sample(&path);
    eprintln!(
        "{}: envelope {} bytes, payload {} bytes",
        path.display(),
        s.envelope.len(),
        s.payload.len()
    );
    per_byte(c, &s);
}

criterion_group!(floor, benches);
criterion_main!(floor);
