//! What only PostgreSQL has, each test against a private server of its own (unix socket
//! only): the schema created once and versioned as SQLite's, the same inbox giving the same
//! report on both databases, two collectors ingesting into one database at once, two
//! batches racing to store one finding, bundles moving between the two databases. The
//! scenarios every store must pass (replays, gaps, forks, a collector killed mid-batch, both
//! crash windows, `--watch`) run on both backends in tests/collector.rs and tests/bundle.rs.
#![cfg(feature = "collector")]
// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod synthetic;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, SystemTime};

use common::pg_server::PgServer;
use common::{collector, names, stdout, text, Scratch};
use isoguard::collector::model::ChainProblemKind;
use isoguard::collector::store::{latest_version, DbSpec, NewFinding, Store, StoreError};

fn collect(inbox: &Path, trust: &Path, db: &str) -> Output {
    collector()
        .args(["collect", "--inbox"])
        .arg(inbox)
        .arg("--trust")
        .arg(trust)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap()
}

/// `report --format json` on standard output, parsed.
fn report_json(db: &str) -> serde_json::Value {
    let out = collector()
        .args([
            "report",
            "--format",
            "json",
            "--out",
            "-",
            "--stale-days",
            "36500",
            "--db",
        ])
        .arg(db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The report with the moments of this run (when it was written, when each file came in)
/// blanked: everything else must be the same whichever database it came from.
fn without_times(mut value: serde_json::Value) -> serde_json::Value {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, field) in map.iter_mut() {
                    if [
                        "generated_at",
                        "received_at",
                        "noticed_at",
                        "rejected_at",
                        "last_imported_at",
                    ]
                    .contains(&key.as_str())
                    {
                        *field = serde_json::Value::Null;
                    } else {
                        walk(field);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

fn copy_files(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for name in names(from) {
        fs::copy(from.join(&name), to.join(&name)).unwrap();
    }
}

fn count(pg: &PgServer, db: &str, sql: &str) -> i64 {
    pg.psql(db, sql).parse().unwrap()
}

/// The digests of every file in `paths`.
fn digests(paths: &[PathBuf]) -> BTreeSet<String> {
    paths
        .iter()
        .map(|p| isoguard::finding::chain_state::digest_hex(&fs::read(p).unwrap()))
        .collect()
}

fn stored_digests(pg: &PgServer, db: &str) -> BTreeSet<String> {
    pg.psql(db, "SELECT digest FROM findings")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_schema_is_created_once_versioned_as_sqlites_and_a_newer_one_is_refused() {
    let pg = PgServer::start();
    let url = pg.create_database("isoguard");
    // Collectors starting at once against an empty database: one creates the schema.
    let opened: Vec<Result<i64, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    Store::open(DbSpec::Postgres(url.clone()))
                        .and_then(|store| store.schema_version())
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let latest = i64::try_from(latest_version()).unwrap();
    assert!(opened.iter().all(|v| v == &Ok(latest)), "{opened:?}");
    assert_eq!(
        pg.psql("isoguard", "SELECT version FROM isoguard_schema"),
        latest.to_string(),
        "one row, the latest version"
    );
    // Opening again changes nothing.
    let spec = DbSpec::Postgres(url.clone());
    assert_eq!(
        Store::open(&spec).unwrap().schema_version().unwrap(),
        latest
    );
    assert_eq!(
        count(&pg, "isoguard", "SELECT count(*) FROM isoguard_schema"),
        1
    );
    assert_eq!(
        Store::open_read_only(&spec)
            .unwrap()
            .schema_version()
            .unwrap(),
        latest
    );

    // A reader never creates the schema: an empty database is refused, and left empty.
    let empty = pg.create_database("empty");
    let refused = Store::open_read_only(DbSpec::Postgres(empty));
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("schema version 0"), "{message}");
    assert_eq!(
        pg.psql("empty", "SELECT to_regclass('isoguard_schema') IS NULL"),
        "t"
    );

    pg.psql("isoguard", "UPDATE isoguard_schema SET version = 999");
    for opened in [Store::open(&spec), Store::open_read_only(&spec)] {
        assert!(
            matches!(opened, Err(StoreError::TooNew { found: 999, .. })),
            "{:?}",
            opened.err()
        );
    }
    // The binary says the same, with the exit code of an I/O failure.
    let dir = Scratch::new("pg-too-new");
    let out = collector()
        .args(["report", "--format", "json", "--out"])
        .arg(dir.path("r.json"))
        .arg("--db")
        .arg(&url)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        common::stderr(&out).contains("newer than this collector knows"),
        "{}",
        text(&out)
    );
}

/// A database one step behind, where the step only adds a table (version 5, before briefs):
/// a report reads it as it is (the briefs' table stood in for, the findings read from their
/// envelopes), the same report as once a collect has migrated it, and it stays at version 5.
#[test]
fn a_reader_stands_in_for_a_table_no_collect_has_added_yet() {
    let pg = PgServer::start();
    let url = pg.create_database("behind");
    let dir = Scratch::new("pg-behind");
    let (inbox, trust) = (dir.dir("inbox"), dir.path("trust"));
    let mut hosts = synthetic::hosts(2);
    synthetic::enroll(&trust, &hosts);
    synthetic::write_chains(&inbox, &mut hosts, 2);
    assert_eq!(collect(&inbox, &trust, &url).status.code(), Some(0));
    let current = report_json(&url);
    pg.psql(
        "behind",
        "DROP TABLE finding_briefs; DROP TABLE finding_evidence; \
         UPDATE isoguard_schema SET version = 5",
    );
    let behind = report_json(&url);
    assert_eq!(behind["totals"]["findings"], 4);
    assert_eq!(without_times(behind), without_times(current.clone()));
    assert_eq!(
        count(&pg, "behind", "SELECT version FROM isoguard_schema"),
        5
    );
    assert_eq!(collect(&inbox, &trust, &url).status.code(), Some(0));
    let latest = i64::try_from(latest_version()).unwrap();
    assert_eq!(
        count(&pg, "behind", "SELECT version FROM isoguard_schema"),
        latest
    );
    assert_eq!(without_times(report_json(&url)), without_times(current));
}

#[test]
fn a_password_in_the_url_is_never_printed() {
    let dir = Scratch::new("pg-password");
    let no_server = format!(
        "postgresql://isoguard:s3cret-pass@/isoguard?host={}",
        dir.path("no-server-here").display()
    );
    let trust = dir.dir("trust");
    let cases = [
        (no_server.as_str(), "connecting to the database"),
        (
            "postgresql://isoguard:s3cret-pass@h:no-port/isoguard",
            "invalid value for option `port`",
        ),
    ];
    for (url, said) in cases {
        for args in [
            vec!["report", "--format", "json", "--out", "-"],
            vec!["reverify", "--trust", trust.to_str().unwrap()],
        ] {
            let out = collector()
                .args(&args)
                .arg("--db")
                .arg(url)
                .output()
                .unwrap();
            assert!(!out.status.success(), "{}", text(&out));
            assert!(!text(&out).contains("s3cret"), "{}", text(&out));
            assert!(common::stderr(&out).contains(said), "{}", text(&out));
        }
    }
}

/// Two batches storing one finding at the same moment: one stores it, the other's insert
/// reports it was already there, and the database holds it once.
#[test]
fn two_batches_racing_store_a_finding_once() {
    let pg = PgServer::start();
    let spec = DbSpec::Postgres(pg.create_database("race"));
    drop(Store::open(&spec).unwrap());
    let barrier = std::sync::Barrier::new(2);
    let inserted: Vec<bool> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let (spec, barrier) = (&spec, &barrier);
                scope.spawn(move || {
                    let mut store = Store::open(spec).unwrap();
                    barrier.wait();
                    let mut batch = store.batch().unwrap();
                    let name = format!("copy-{i}.finding.json");
                    let stored = batch
                        .insert_finding(&NewFinding {
                            identity: "payload-digest",
                            digest: "envelope-digest",
                            link_digest: "envelope-digest",
                            host_id: "ws-1",
                            keyid: "k1",
                            hostname: Some("h\0with a nul"),
                            machine_id: None,
                            sequence: 1,
                            previous: None,
                            reset_reason: None,
                            time: "2026-01-01T00:00:00Z",
                            verdict: "compliant",
                            inbox_name: name.as_bytes(),
                            archived_as: name.as_bytes(),
                            file_id: Some((u64::MAX, 7)),
                            received_at: "2026-01-02T00:00:00Z",
                            envelope: b"{\"verbatim\": true}\n",
                            brief: None,
                        })
                        .unwrap();
                    // Held open a while, so the other batch has to wait for this commit.
                    std::thread::sleep(Duration::from_millis(200));
                    batch.commit().unwrap();
                    stored
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        inserted.iter().filter(|&&stored| stored).count(),
        1,
        "{inserted:?}"
    );
    assert_eq!(count(&pg, "race", "SELECT count(*) FROM findings"), 1);
    let store = Store::open_read_only(&spec).unwrap();
    let checked = store
        .reverify(&isoguard::finding::keys::TrustedKeys::default(), |_| {})
        .unwrap();
    assert_eq!(checked, 1, "the one stored finding was read back");
    assert_eq!(
        pg.psql("race", "SELECT encode(hostname, 'escape') FROM findings"),
        "h\\000with a nul"
    );
    assert_eq!(
        pg.psql("race", "SELECT encode(envelope, 'escape') FROM findings"),
        "{\"verbatim\": true}\n".trim_end(),
    );
    assert_eq!(
        pg.psql("race", "SELECT file_dev FROM findings"),
        "-1",
        "device and inode kept bit for bit"
    );
}

#[test]
fn the_same_inbox_gives_the_same_report_on_sqlite_and_postgresql() {
    let pg = PgServer::start();
    let url = pg.create_database("same");
    let dir = Scratch::new("pg-same");
    let trust = dir.path("trust");
    let mut hosts = synthetic::hosts(6);
    // A host name no PostgreSQL text column could hold.
    hosts[1].hostname = "nul\0name".to_string();
    synthetic::enroll(&trust, &hosts);
    let spool = dir.path("spool");
    let written = synthetic::write_chains(&spool, &mut hosts, 4);
    let written_digests = digests(&written);
    // One finding held back (a gap until it arrives), one file that is no finding.
    let held_back = dir.dir("held-back");
    let late = written[2 * 6 + 3].file_name().unwrap().to_os_string();
    fs::rename(spool.join(&late), held_back.join(&late)).unwrap();
    fs::write(spool.join("garbage.finding.json"), b"not json\0at all").unwrap();
    let sqlite = dir.path("collector.db");
    let sqlite = sqlite.to_str().unwrap();
    let (inbox_sqlite, inbox_pg) = (dir.path("inbox-sqlite"), dir.path("inbox-pg"));

    // First pass: a gap and a rejected file; second: the late finding and a replay.
    for (pass, exit) in [(1, 1), (2, 1)] {
        if pass == 2 {
            fs::rename(held_back.join(&late), spool.join(&late)).unwrap();
            let replayed = written[0].file_name().unwrap();
            let archived = inbox_sqlite.join("archive").join(replayed);
            fs::copy(archived, spool.join(replayed)).unwrap();
        }
        copy_files(&spool, &inbox_sqlite);
        copy_files(&spool, &inbox_pg);
        for name in names(&spool) {
            fs::remove_file(spool.join(name)).unwrap();
        }
        let on_sqlite = collect(&inbox_sqlite, &trust, sqlite);
        let on_pg = collect(&inbox_pg, &trust, &url);
        assert_eq!(on_sqlite.status.code(), Some(exit), "{}", text(&on_sqlite));
        assert_eq!(on_pg.status.code(), Some(exit), "{}", text(&on_pg));
        assert_eq!(stdout(&on_pg), stdout(&on_sqlite), "pass {pass}");
        let (a, b) = (report_json(sqlite), report_json(&url));
        assert_eq!(without_times(b.clone()), without_times(a), "pass {pass}");
        let kinds: Vec<&str> = b["chain_problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["kind"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if pass == 1 { &["gap"] } else { &["replay"] };
        assert_eq!(kinds, expected, "pass {pass}");
        assert_eq!(b["rejected"].as_array().unwrap().len(), 1);
    }
    assert_eq!(count(&pg, "same", "SELECT count(*) FROM findings"), 24);
    assert_eq!(count(&pg, "same", "SELECT count(*) FROM replays"), 1);
    assert_eq!(stored_digests(&pg, "same"), written_digests);
    // Envelopes compressed with lz4, not the server's slower default (Debian's has lz4).
    assert_eq!(
        pg.psql(
            "same",
            "SELECT string_agg(DISTINCT pg_column_compression(envelope), ',') FROM findings"
        ),
        "lz4"
    );
    let report = report_json(&url);
    let nul_host = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host_id"] == hosts[1].machine_id.as_str())
        .unwrap();
    assert_eq!(nul_host["hostname"], "nul\0name");

    // Reverify reads every envelope back, byte for byte, and finds them all sound.
    for db in [sqlite, url.as_str()] {
        let out = collector()
            .args(["reverify", "--trust"])
            .arg(&trust)
            .arg("--db")
            .arg(db)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(stdout(&out).contains("24"), "{}", text(&out));
    }
}

#[test]
fn two_collectors_ingesting_at_once_store_each_finding_once() {
    let pg = PgServer::start();
    let url = pg.create_database("shared");
    let dir = Scratch::new("pg-shared");
    let trust = dir.path("trust");
    let mut hosts = synthetic::hosts(12);
    synthetic::enroll(&trust, &hosts);
    let spool = dir.path("spool");
    let written = synthetic::write_chains(&spool, &mut hosts, 20);
    // Inbox a gets hosts 0-7, inbox b hosts 4-11: hosts 4-7 arrive at both collectors.
    let (a, b) = (dir.dir("inbox-a"), dir.dir("inbox-b"));
    let mut overlap = 0;
    for path in &written {
        let name = path.file_name().unwrap();
        let host: usize = hosts
            .iter()
            .position(|h| name.to_string_lossy().contains(&h.hostname))
            .unwrap();
        if host < 8 {
            fs::copy(path, a.join(name)).unwrap();
        }
        if host >= 4 {
            fs::copy(path, b.join(name)).unwrap();
        }
        overlap += usize::from((4..8).contains(&host));
    }
    assert_eq!(overlap, 80);
    // Small batches, so the two collectors' batches take turns many times.
    let spawn = |inbox: &Path| {
        collector()
            .args(["collect", "--batch", "10", "--inbox"])
            .arg(inbox)
            .arg("--trust")
            .arg(&trust)
            .arg("--db")
            .arg(&url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(&a), spawn(&b));
    let outs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for out in &outs {
        // 1: the copies the other collector stored first are replays.
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(out));
    }
    eprintln!(
        "a: {}\nb: {}",
        stdout(&outs[0]).trim(),
        stdout(&outs[1]).trim()
    );
    assert_eq!(names(&a), Vec::<String>::new());
    assert_eq!(names(&b), Vec::<String>::new());
    assert_eq!(count(&pg, "shared", "SELECT count(*) FROM findings"), 240);
    assert_eq!(stored_digests(&pg, "shared"), digests(&written));
    assert_eq!(count(&pg, "shared", "SELECT count(*) FROM replays"), 80);
    // Every chain is whole: each overlapping finding is stored once and seen once more.
    let report = report_json(&url);
    let problems = report["chain_problems"].as_array().unwrap();
    assert_eq!(problems.len(), 80, "{problems:?}");
    assert!(
        problems.iter().all(|p| p["kind"] == "replay"),
        "{problems:?}"
    );
    let report_hosts = report["hosts"].as_array().unwrap();
    assert_eq!(report_hosts.len(), 12);
    assert!(
        report_hosts.iter().all(|h| h["last_sequence"] == 20),
        "{report_hosts:?}"
    );
    // The same data through the library: no gap, fork or reset anywhere.
    let store = Store::open_read_only(DbSpec::Postgres(url)).unwrap();
    let data = store.report_data(SystemTime::now(), 36_500).unwrap();
    assert!(data
        .chain_problems
        .iter()
        .all(|p| p.kind == ChainProblemKind::Replay));
    assert_eq!(data.totals.findings, 240);
}

/// `export` and `import` on PostgreSQL: a unit whose store is a server exports what it
/// stored since its last bundle; a province on a server and one on SQLite import the same
/// bundles, twice and out of order, and show the same report, each finding stored once.
#[test]
fn bundles_travel_between_postgresql_and_sqlite_alike() {
    let pg = PgServer::start();
    let unit_db = pg.create_database("unit");
    let province_pg = pg.create_database("province");
    let dir = Scratch::new("pg-bundles");
    let trust = dir.path("trust");
    let mut hosts = synthetic::hosts(4);
    synthetic::enroll(&trust, &hosts);
    let inbox = dir.path("inbox");
    synthetic::write_chains(&inbox, &mut hosts, 3);
    let unit_key = dir.path("unit.key");
    let units = dir.path("units");
    let keygen = collector()
        .args(["keygen", "--out"])
        .arg(&unit_key)
        .output()
        .unwrap();
    assert!(keygen.status.success(), "{}", text(&keygen));
    let enroll = collector()
        .args(["enroll", "--trust"])
        .arg(&units)
        .arg("unit-a")
        .arg(dir.path("unit.key.pub"))
        .output()
        .unwrap();
    assert!(enroll.status.success(), "{}", text(&enroll));
    let export = |out: &Path| {
        let done = collector()
            .args(["export", "--db", &unit_db, "--trust"])
            .arg(&trust)
            .arg("--key")
            .arg(&unit_key)
            .args(["--unit", "unit-a", "--out"])
            .arg(out)
            .output()
            .unwrap();
        assert_eq!(done.status.code(), Some(0), "{}", text(&done));
        stdout(&done)
    };

    assert_eq!(collect(&inbox, &trust, &unit_db).status.code(), Some(0));
    let b1 = dir.path("b1.bundle");
    assert!(export(&b1).contains("bundle 1 of unit unit-a: 12 finding(s)"));
    synthetic::write_chains(&inbox, &mut hosts, 1);
    assert_eq!(collect(&inbox, &trust, &unit_db).status.code(), Some(0));
    let b2 = dir.path("b2.bundle");
    assert!(export(&b2).contains("bundle 2 of unit unit-a: 4 finding(s)"));
    assert_eq!(
        pg.psql("unit", "SELECT count(*) FROM export_items"),
        "16",
        "every finding recorded as carried once"
    );

    let sqlite = dir.path("province.db");
    let sqlite = sqlite.to_str().unwrap();
    for db in [province_pg.as_str(), sqlite] {
        for (bundles, said) in [
            (vec![&b2, &b1], "stored 12, already held 0"),
            (vec![&b1], "was already imported"),
        ] {
            let done = collector()
                .args(["import", "--db", db, "--trust"])
                .arg(&trust)
                .arg("--units")
                .arg(&units)
                .args(bundles)
                .output()
                .unwrap();
            // b2 first: its hosts' earlier findings are a gap until b1 arrives.
            assert!(stdout(&done).contains(said), "{db}: {}", text(&done));
        }
    }
    assert_eq!(pg.psql("province", "SELECT count(*) FROM findings"), "16");
    assert_eq!(pg.psql("province", "SELECT count(*) FROM imports"), "2");
    assert_eq!(
        pg.psql("province", "SELECT count(*) FROM finding_units"),
        "16"
    );
    let on_pg = without_times(report_json(&province_pg));
    assert_eq!(on_pg, without_times(report_json(sqlite)));
    assert_eq!(on_pg["totals"]["findings"], 16);
    assert_eq!(on_pg["chain_problems"], serde_json::json!([]));
}
