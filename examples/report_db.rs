// Builds a findings database at province scale for scripts/bench-report.sh, writing rows
// straight through the store's batch API (running `collect` on a million files would take
// longer than the report it is meant to time):
// `cargo run --release --features collector --example report_db -- DB HOSTS PER_HOST REAL...`
// REAL are envelopes the real agent wrote (recorded machines scanned by `isoguard scan`).
//
// Each host gets its own key, identity and chain of PER_HOST findings, each one a real payload
// (taken in turn from REAL) with the host's name, machine id, time, sequence and previous
// link put in, then signed. The host's latest finding carries the whole payload (~50 KB
// envelope, what the report decodes); the earlier ones carry it without the inventory and
// the evidence (a few KB), because a million 52 KB envelopes do not fit on the test
// machine's disk and the report reads only their chain columns. Every twentieth host's
// findings are 30 days old (stale), every fiftieth has a gap before its latest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use isoguard::collector::brief;
use isoguard::collector::identity::Identity;
use isoguard::collector::store::{decode_payload, NewFinding, Store};
use isoguard::finding::chain_state::{digest_hex, REASON_FIRST_RUN};
use isoguard::finding::dsse;
use isoguard::finding::keys::PrivateKey;

/// One finding ready for `insert_finding`.
struct Row {
    identity: Identity,
    digest: String,
    host_id: String,
    keyid: String,
    hostname: String,
    sequence: i64,
    previous: Option<String>,
    reset: bool,
    time: String,
    verdict: String,
    name: String,
    envelope: Vec<u8>,
    brief: Option<brief::Written>,
}

/// The real payloads, and the same without inventory and evidence.
fn templates(paths: &[String]) -> Vec<(serde_json::Value, serde_json::Value)> {
    paths
        .iter()
        .map(|path| {
            let envelope = std::fs::read(path).unwrap();
            let finding = decode_payload(&envelope).unwrap();
            let full = serde_json::to_value(&finding).unwrap();
            let mut lean = full.clone();
            lean["inventory"] = serde_json::Value::Null;
            for result in lean["results"].as_array_mut().unwrap() {
                result["evidence"] = serde_json::json!([]);
            }
            (full, lean)
        })
        .collect()
}

fn host_rows(
    n: u64,
    per_host: u64,
    templates: &[(serde_json::Value, serde_json::Value)],
    now: SystemTime,
) -> Vec<Row> {
    let key = PrivateKey::generate().unwrap();
    let keyid = key.public_key().keyid();
    let hostname = format!("ws{n:06}");
    let machine_id = format!("{n:032x}");
    let age = if n.is_multiple_of(20) {
        30 * 86_400
    } else {
        3_600
    };
    let mut previous: Option<String> = None;
    let mut rows = Vec::new();
    for i in 0..per_host {
        let sequence = i + 1;
        let latest = sequence == per_host;
        if latest && n.is_multiple_of(50) && per_host > 2 {
            // A finding that never arrived: the latest names a digest nobody stored.
            previous = Some(digest_hex(format!("lost {n}").as_bytes()));
        }
        let (full, lean) = &templates[usize::try_from((n + i) % templates.len() as u64).unwrap()];
        let mut value = if latest { full.clone() } else { lean.clone() };
        let when = now - Duration::from_secs(age + (per_host - i) * 3_600);
        let time = isoguard::time::rfc3339_utc(when);
        value["host"]["hostname"] = hostname.clone().into();
        value["host"]["machine_id"] = machine_id.clone().into();
        value["time"] = time.clone().into();
        value["sequence"] = sequence.into();
        value["previous"] = previous.clone().into();
        value["chain_reset"] = if i == 0 {
            serde_json::json!({ "reason": REASON_FIRST_RUN })
        } else {
            serde_json::Value::Null
        };
        let verdict = value["verdict"].as_str().unwrap_or("error").to_string();
        let payload = serde_json::to_vec(&value).unwrap();
        let envelope = dsse::sign(&payload, &key).to_json().into_bytes();
        let brief = brief::of_payload(&payload);
        let digest = digest_hex(&envelope);
        let identity = Identity::of_verified(&envelope, &payload, &digest);
        let named = previous.replace(identity.link.clone());
        rows.push(Row {
            name: format!("{hostname}-{sequence:010}-{}.finding.json", &digest[..12]),
            identity,
            digest,
            host_id: machine_id.clone(),
            keyid: keyid.clone(),
            hostname: hostname.clone(),
            sequence: i64::try_from(sequence).unwrap(),
            previous: named,
            reset: i == 0,
            time,
            verdict,
            envelope,
            brief,
        });
    }
    rows
}

fn store(db: &mut Store, rows: &[Row], received_at: &str) {
    let mut batch = db.batch().unwrap();
    for row in rows {
        let inserted = batch
            .insert_finding(&NewFinding {
                identity: &row.identity.payload,
                digest: &row.digest,
                link_digest: &row.identity.link,
                host_id: &row.host_id,
                keyid: &row.keyid,
                hostname: Some(&row.hostname),
                machine_id: Some(&row.host_id),
                sequence: row.sequence,
                previous: row.previous.as_deref(),
                reset_reason: row.reset.then_some(REASON_FIRST_RUN),
                time: &row.time,
                verdict: &row.verdict,
                inbox_name: row.name.as_bytes(),
                archived_as: format!("archive/{}", row.name).as_bytes(),
                file_id: None,
                received_at,
                envelope: &row.envelope,
                brief: row.brief.as_ref(),
            })
            .unwrap();
        assert!(inserted, "{} stored twice", row.name);
    }
    batch.commit().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, hosts, per_host, real @ ..] = args.as_slice() else {
        panic!("usage: report_db DB HOSTS PER_HOST REAL_ENVELOPE...");
    };
    assert!(!real.is_empty(), "at least one real envelope");
    let hosts: u64 = hosts.parse().unwrap();
    let per_host: u64 = per_host.parse().unwrap();
    let templates = templates(real);
    let now = SystemTime::now();
    let received_at = isoguard::time::rfc3339_utc(now);
    let mut db = Store::open(std::path::Path::new(db)).unwrap();

    // Two threads make and sign the findings of alternate chunks of hosts while this one
    // writes the previous chunk.
    const CHUNK: u64 = 1_000;
    let (send, receive) = std::sync::mpsc::sync_channel::<(u64, Vec<Row>)>(4);
    std::thread::scope(|scope| {
        for worker in 0..2u64 {
            let send = send.clone();
            let templates = &templates;
            scope.spawn(move || {
                let mut start = worker * CHUNK;
                while start < hosts {
                    let rows = (start..(start + CHUNK).min(hosts))
                        .flat_map(|n| host_rows(n, per_host, templates, now))
                        .collect();
                    send.send((start, rows)).unwrap();
                    start += 2 * CHUNK;
                }
            });
        }
        drop(send);
        let started = std::time::Instant::now();
        for (start, rows) in receive {
            store(&mut db, &rows, &received_at);
            if start % 10_000 == 0 {
                eprintln!("hosts from {start}: {:.1?}", started.elapsed());
            }
        }
    });
}
