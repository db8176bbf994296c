//! `isoguard-collector` end to end: findings written by the real agent (`isoguard scan` on
//! fixture machines, with real keys) are enrolled, collected, verified, stored and reported;
//! tampered, forged, replayed, missing, forked and reset findings are each caught and shown;
//! a collector killed mid-batch loses nothing and stores nothing twice; `--watch` picks new
//! files up and stops cleanly on SIGTERM. What the store guarantees (replays, gaps, forks and
//! resets, a kill mid-batch, both crash windows, `--watch`) runs on SQLite and on PostgreSQL
//! alike (`sqlite::…`, `postgresql::…`, each with a private server).
#![cfg(feature = "collector")]
// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::backends::{Backend, TestDb};
use common::{
    agent, collector, kill_after_first_archived, machine_id, names, run, stderr, stdout, text,
    Scratch,
};
mod synthetic;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use isoguard::collector::model::{ChainProblemKind, ReportData};
use isoguard::collector::store::Store;

const HP: &str = "hp-elitebook-835-g10";
const T61: &str = "thinkpad-t61";
const T430S: &str = "lenovo-t430s";

/// A host key pair made by `isoguard keygen`; returns the private key path.
fn keygen(dir: &Scratch, name: &str) -> PathBuf {
    let key = dir.path(name);
    let out = run(agent().args(["keygen", "--out"]).arg(&key));
    assert!(out.status.success(), "{}", text(&out));
    key
}

fn public(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_os_string();
    name.push(".pub");
    PathBuf::from(name)
}

fn enroll(trust: &Path, host: &str, key: &Path) -> Output {
    run(collector()
        .args(["enroll", "--trust"])
        .arg(trust)
        .arg(host)
        .arg(public(key)))
}

/// `isoguard scan` of a fixture machine, signed with `key`, into `spool`.
fn scan(fixture: &str, key: &Path, spool: &Path, state: &Path, trigger: &str) {
    fs::create_dir_all(spool).unwrap();
    let out = run(agent()
        .args([
            "scan",
            "--policy",
            "classified",
            "--trigger",
            trigger,
            "--root",
        ])
        .arg(common::tree(fixture))
        .arg("--key")
        .arg(key)
        .arg("--spool")
        .arg(spool)
        .arg("--state")
        .arg(state));
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan {fixture}: {}",
        text(&out)
    );
}

fn collect(inbox: &Path, trust: &Path, db: &(impl AsRef<OsStr> + ?Sized)) -> Output {
    run(collector()
        .args(["collect", "--inbox"])
        .arg(inbox)
        .arg("--trust")
        .arg(trust)
        .arg("--db")
        .arg(db))
}

fn report(db: &Path) -> ReportData {
    let store = Store::open(db).unwrap();
    store.report_data(SystemTime::now(), 36_500).unwrap()
}

fn count(db: &Path, sql: &str) -> i64 {
    // Opened read-write through the store first, so the schema is current.
    drop(Store::open(db).unwrap());
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

/// Moves every file of `from` into `to`, with `prefix` before its name.
fn deliver(from: &Path, to: &Path, prefix: &str) -> Vec<String> {
    let mut delivered = Vec::new();
    for name in names(from) {
        let new = format!("{prefix}{name}");
        fs::rename(from.join(&name), to.join(&new)).unwrap();
        delivered.push(new);
    }
    delivered
}

#[test]
fn three_machines_are_collected_verified_and_reported() {
    let dir = Scratch::new("three");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = dir.path("collector.db");
    for fixture in [HP, T61, T430S] {
        let key = keygen(&dir, &format!("{fixture}.key"));
        let out = enroll(&trust, &machine_id(fixture), &key);
        assert!(out.status.success(), "{}", text(&out));
        scan(
            fixture,
            &key,
            &inbox,
            &dir.path(&format!("state-{fixture}")),
            "boot",
        );
    }
    // Enrolled, never reported.
    let quiet = keygen(&dir, "quiet.key");
    assert!(enroll(&trust, "quiet-host", &quiet).status.success());

    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).contains("stored 3, duplicates 0, rejected 0"),
        "{}",
        text(&out)
    );
    assert_eq!(names(&inbox), Vec::<String>::new(), "inbox emptied");
    assert_eq!(names(&inbox.join("archive")).len(), 3);
    assert_eq!(names(&inbox.join("rejected")), Vec::<String>::new());

    let data = report(&db);
    assert_eq!(data.schema, "isoguard.report/v1");
    assert_eq!(data.totals.hosts, 4);
    assert_eq!(data.totals.findings, 3);
    assert_eq!(data.totals.violation, 3);
    assert_eq!(data.totals.chain_problems, 0, "{:?}", data.chain_problems);
    let hp = data
        .hosts
        .iter()
        .find(|h| h.host_id == machine_id(HP))
        .unwrap();
    assert_eq!(hp.hostname.as_deref(), Some("elitebook-835"));
    assert_eq!(
        hp.last_verdict.as_ref().map(|v| v.as_str()),
        Some("violation")
    );
    assert_eq!(hp.last_sequence, Some(1));
    assert_eq!(hp.policy_id.as_deref(), Some("classified"));
    assert!(hp.failed_rules.contains(&"removable-storage".to_string()));
    assert!(!hp.stale);
    let quiet_row = data
        .hosts
        .iter()
        .find(|h| h.host_id == "quiet-host")
        .unwrap();
    assert_eq!(
        (quiet_row.last_verdict.as_ref(), quiet_row.stale),
        (None, true)
    );
    assert_eq!(data.totals.stale, 1);

    // The HP's unregistered USB stick, named by its identifiers.
    let sdb = data
        .violations
        .iter()
        .filter(|v| v.host_id == machine_id(HP) && v.rule == "removable-storage")
        .flat_map(|v| v.evidence.iter())
        .find(|e| e.name.as_deref() == Some("sdb"))
        .expect("sdb in the HP's removable-storage violation");
    assert_eq!(sdb.serial.as_deref(), Some("071C395B848D2017"));
    assert_eq!(
        (sdb.vendor_id.as_deref(), sdb.product_id.as_deref()),
        (Some("13fe"), Some("6700"))
    );
    let wireless = data.by_rule.iter().find(|r| r.rule == "wireless").unwrap();
    assert_eq!(wireless.hosts, 3);

    // The report command writes what report_data says.
    let json = dir.path("report.json");
    let out = run(collector()
        .args(["report", "--format", "json", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&json));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let written: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    assert_eq!(written["schema"], "isoguard.report/v1");
    assert_eq!(written["totals"]["findings"], 3);
    assert!(written.to_string().contains("071C395B848D2017"));
    for format in ["html", "csv"] {
        let file = dir.path(&format!("report.{format}"));
        let out = run(collector()
            .args(["report", "--format", format, "--db"])
            .arg(&db)
            .arg("--out")
            .arg(&file));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(fs::read_to_string(&file).unwrap().contains("elitebook-835"));
    }

    // Everything stored still verifies; a second run finds nothing to do.
    let out = run(collector()
        .args(["reverify", "--db"])
        .arg(&db)
        .arg("--trust")
        .arg(&trust));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains("reverified 3 finding(s): 3 ok, 0 failed"));
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains("stored 0, duplicates 0, rejected 0"));
}

/// Reads `rejected/<name>.reason`.
fn reason(inbox: &Path, name: &str) -> String {
    fs::read_to_string(inbox.join("rejected").join(format!("{name}.reason")))
        .unwrap_or_else(|e| panic!("{name}.reason: {e}"))
}

#[test]
fn tampered_forged_unknown_and_malformed_files_are_rejected_with_their_reason() {
    let dir = Scratch::new("rejects");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = dir.path("collector.db");

    let t61_key = keygen(&dir, "t61.key");
    let hp_key = keygen(&dir, "hp.key");
    let stranger = keygen(&dir, "stranger.key");
    assert!(enroll(&trust, &machine_id(T61), &t61_key).status.success());
    assert!(enroll(&trust, &machine_id(HP), &hp_key).status.success());

    // A genuine finding, and a copy with one payload character changed.
    let genuine = dir.path("genuine");
    scan(T61, &t61_key, &genuine, &dir.path("state-t61"), "boot");
    let original = names(&genuine).remove(0);
    let bytes = fs::read(genuine.join(&original)).unwrap();
    let mut envelope: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let mut payload = envelope["payload"].as_str().unwrap().to_string();
    let at = payload.len() / 2;
    let flipped = if &payload[at..=at] == "A" { "B" } else { "A" };
    payload.replace_range(at..=at, flipped);
    envelope["payload"] = payload.into();
    fs::write(inbox.join("tampered.finding.json"), envelope.to_string()).unwrap();
    deliver(&genuine, &inbox, "");

    // The T61's finding signed with the HP's key: the HP speaking for the T61.
    let forged = dir.path("forged");
    scan(T61, &hp_key, &forged, &dir.path("state-forged"), "boot");
    let forged_name = deliver(&forged, &inbox, "forged-").remove(0);
    // Signed by a key nobody enrolled.
    let unknown = dir.path("unknown");
    scan(
        T61,
        &stranger,
        &unknown,
        &dir.path("state-stranger"),
        "boot",
    );
    let unknown_name = deliver(&unknown, &inbox, "unknown-").remove(0);
    // A correctly signed document of a schema this collector does not know.
    let key = isoguard::finding::keys::load_private_key(&t61_key).unwrap();
    let future = serde_json::json!({"schema": "isoguard.finding/v9", "host": {}});
    let signed = isoguard::finding::dsse::sign(future.to_string().as_bytes(), &key);
    fs::write(inbox.join("future.finding.json"), signed.to_json()).unwrap();
    // Not JSON at all; too large; a symlink; the agent's temporary file.
    fs::write(inbox.join("garbage.finding.json"), "{not json").unwrap();
    fs::write(
        inbox.join("huge.finding.json"),
        vec![b' '; 4 * 1024 * 1024 + 1],
    )
    .unwrap();
    let target = dir.path("outside.txt");
    fs::write(&target, "not to be moved").unwrap();
    std::os::unix::fs::symlink(&target, inbox.join("link.finding.json")).unwrap();
    fs::write(inbox.join(".tmp-x.finding.json-1-0"), "half a finding").unwrap();

    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = stdout(&out);
    assert!(
        shown.contains(
            "stored 1, duplicates 0, rejected 7 (not-a-regular-file 1, too-large 1, malformed 1, \
             unknown-schema 1, unknown-key 1, bad-signature 1, host-mismatch 1)"
        ),
        "{shown}"
    );

    assert!(reason(&inbox, "tampered.finding.json").contains("signature"));
    let forged_reason = reason(&inbox, &forged_name);
    assert!(
        forged_reason.starts_with(&format!(
            "host-mismatch: host mismatch: signed by key enrolled as {}, finding claims \
             machine-id {} hostname t61",
            machine_id(HP),
            machine_id(T61)
        )),
        "{forged_reason}"
    );
    assert!(reason(&inbox, &unknown_name).starts_with("unknown-key:"));
    assert!(reason(&inbox, "future.finding.json").contains("isoguard.finding/v9"));
    assert!(reason(&inbox, "garbage.finding.json").starts_with("malformed:"));
    assert!(reason(&inbox, "huge.finding.json").starts_with("too-large:"));
    assert!(reason(&inbox, "link.finding.json").contains("symbolic link"));

    // The symlink itself was moved; its target is untouched.
    let moved = fs::symlink_metadata(inbox.join("rejected/link.finding.json")).unwrap();
    assert!(moved.file_type().is_symlink());
    assert_eq!(fs::read_to_string(&target).unwrap(), "not to be moved");
    // Only the temporary file is left, untouched; nothing was deleted.
    assert_eq!(names(&inbox), vec![".tmp-x.finding.json-1-0".to_string()]);
    assert_eq!(names(&inbox.join("archive")), vec![original.clone()]);
    assert_eq!(
        names(&inbox.join("rejected")).len(),
        14,
        "7 files and 7 reasons"
    );

    let data = report(&db);
    assert_eq!(data.totals.rejected, 7);
    let files: BTreeSet<&str> = data.rejected.iter().map(|r| r.file.as_str()).collect();
    assert!(files.contains("tampered.finding.json"));
    let tampered = data
        .rejected
        .iter()
        .find(|r| r.file == "tampered.finding.json")
        .unwrap();
    assert_eq!(tampered.stored_as, "rejected/tampered.finding.json");
    assert!(tampered.reason.contains("signature"));

    // The same name arriving again is rejected again, beside the first, not over it.
    fs::write(inbox.join("garbage.finding.json"), "{still not json").unwrap();
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        fs::read_to_string(inbox.join("rejected/garbage.finding.json.1")).unwrap(),
        "{still not json"
    );
    assert_eq!(
        fs::read_to_string(inbox.join("rejected/garbage.finding.json")).unwrap(),
        "{not json"
    );
}

fn a_replayed_finding_is_stored_once_and_reported(backend: Backend) {
    let dir = Scratch::new("replay");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = TestDb::new(backend, &dir, "collector");
    let key = keygen(&dir, "t61.key");
    assert!(enroll(&trust, &machine_id(T61), &key).status.success());
    let state = dir.path("state");
    scan(T61, &key, &inbox, &state, "boot");
    scan(T61, &key, &inbox, &state, "manual");
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let first = names(&inbox.join("archive")).remove(0);
    fs::copy(inbox.join("archive").join(&first), inbox.join(&first)).unwrap();
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("stored 0, duplicates 1, rejected 0"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains("chain replay host"), "{}", text(&out));

    assert_eq!(db.count("SELECT count(*) FROM findings"), 2);
    let archived = names(&inbox.join("archive"));
    assert_eq!(archived.len(), 3, "{archived:?}");
    assert!(archived.contains(&format!("{first}.1")), "{archived:?}");
    let data = db.report();
    let replays: Vec<_> = data
        .chain_problems
        .iter()
        .filter(|p| p.kind == ChainProblemKind::Replay)
        .collect();
    assert_eq!(replays.len(), 1, "{:?}", data.chain_problems);
    assert_eq!(replays[0].sequence, Some(1));
    assert_eq!(replays[0].host_id, machine_id(T61));
    assert_eq!(replays[0].hostname.as_deref(), Some("t61"));

    // Nothing new on a quiet rerun.
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// The host's next finding, signed, with the verdict chosen (compliant: every rule passes);
/// advances the host's chain as the agent does. Returns (file name, envelope bytes).
fn signed(host: &mut synthetic::Host, compliant: bool, hour: u64) -> (String, Vec<u8>) {
    use isoguard::finding::{chain_state::digest_hex, dsse, spool, v1};
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000 + 3600 * hour);
    let mut finding = synthetic::next_finding(host, time);
    let failing: u32 = if compliant { 0 } else { 1 };
    for (i, result) in finding.results.iter_mut().enumerate() {
        if i >= failing as usize {
            result.status = v1::Status::Pass.into();
            result.evidence.clear();
        } else {
            result.status = v1::Status::Fail.into();
        }
    }
    finding.verdict = if compliant {
        v1::Verdict::Compliant
    } else {
        v1::Verdict::Violation
    }
    .into();
    finding.summary = v1::Summary {
        pass: 5 - failing,
        fail: failing,
        error: 0,
        skip: 0,
    };
    let bytes = dsse::sign(&serde_json::to_vec(&finding).unwrap(), &host.key)
        .to_json()
        .into_bytes();
    host.sequence = finding.sequence;
    host.previous = Some(digest_hex(&bytes));
    (
        spool::file_name(time, &host.hostname, finding.sequence),
        bytes,
    )
}

/// The same envelope, formatted otherwise: pretty-printed, with a trailing newline.
fn reindented(envelope: &[u8]) -> Vec<u8> {
    let value: serde_json::Value = serde_json::from_slice(envelope).unwrap();
    let mut out = serde_json::to_vec_pretty(&value).unwrap();
    out.push(b'\n');
    out
}

/// Someone who can write to the inbox, but holds no key, copies a host's old compliant
/// finding back in with a newline appended, or re-indented. The signed payload is the same,
/// so it is the same finding: a replay, never stored again, never the host's latest. And a
/// genuine finding that was re-indented on its way in still links to its successor.
fn a_reformatted_replay_is_a_replay_and_never_the_hosts_latest(backend: Backend) {
    let dir = Scratch::new("reformatted");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = TestDb::new(backend, &dir, "collector");
    let mut hosts = synthetic::hosts(2);
    synthetic::enroll(&trust, &hosts);

    let (first_name, first) = signed(&mut hosts[0], true, 0);
    fs::write(inbox.join(&first_name), &first).unwrap();
    assert_eq!(collect(&inbox, &trust, &db).status.code(), Some(0));
    for hour in [1, 2] {
        let (name, bytes) = signed(&mut hosts[0], false, hour);
        fs::write(inbox.join(name), bytes).unwrap();
    }
    assert_eq!(collect(&inbox, &trust, &db).status.code(), Some(0));

    let mut with_newline = first.clone();
    with_newline.push(b'\n');
    fs::write(inbox.join("again-newline.finding.json"), with_newline).unwrap();
    fs::write(inbox.join("again-pretty.finding.json"), reindented(&first)).unwrap();
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("stored 0, duplicates 2, rejected 0"),
        "{}",
        text(&out)
    );
    assert_eq!(db.count("SELECT count(*) FROM findings"), 3);

    let data = db.report();
    let row = data
        .hosts
        .iter()
        .find(|h| h.host_id == hosts[0].machine_id)
        .unwrap();
    assert_eq!(
        (
            row.last_verdict.as_ref().map(|v| v.as_str()),
            row.last_sequence
        ),
        (Some("violation"), Some(3)),
        "{row:?}"
    );
    let kinds: Vec<_> = data
        .chain_problems
        .iter()
        .map(|p| (p.kind, p.sequence))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (ChainProblemKind::Replay, Some(1)),
            (ChainProblemKind::Replay, Some(1))
        ],
        "{:?}",
        data.chain_problems
    );

    // The second host's first finding arrives re-indented, its second as written.
    let (name, bytes) = signed(&mut hosts[1], true, 0);
    fs::write(inbox.join(name), reindented(&bytes)).unwrap();
    let (name, bytes) = signed(&mut hosts[1], false, 1);
    fs::write(inbox.join(name), bytes).unwrap();
    let out = collect(&inbox, &trust, &db);
    assert!(
        stdout(&out).contains("stored 2, duplicates 0"),
        "{}",
        text(&out)
    );
    let data = db.report();
    let problems: Vec<_> = data
        .chain_problems
        .iter()
        .filter(|p| p.host_id == hosts[1].machine_id)
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// A replay under a file name that is not UTF-8 is a replay, not the tail of an interrupted
/// run; and two refused files whose names differ only in bytes that are not UTF-8 are both
/// recorded (a lossy name would make them one).
#[test]
fn names_that_are_not_utf8_are_told_apart() {
    use std::os::unix::ffi::OsStrExt;
    let dir = Scratch::new("non-utf8");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = dir.path("collector.db");
    let mut hosts = synthetic::hosts(1);
    synthetic::enroll(&trust, &hosts);
    let name = std::ffi::OsStr::from_bytes(b"ws-\xff.finding.json");
    let (_, bytes) = signed(&mut hosts[0], true, 0);
    fs::write(inbox.join(name), &bytes).unwrap();
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    fs::copy(inbox.join("archive").join(name), inbox.join(name)).unwrap();
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("stored 0, duplicates 1, rejected 0")
            && !stdout(&out).contains("interrupted"),
        "{}",
        text(&out)
    );
    assert_eq!(count(&db, "SELECT count(*) FROM replays"), 1);
    assert_eq!(fs::read_dir(inbox.join("archive")).unwrap().count(), 2);

    for raw in [&b"bad-\xfe.finding.json"[..], &b"bad-\xfd.finding.json"[..]] {
        fs::write(inbox.join(std::ffi::OsStr::from_bytes(raw)), "{not json").unwrap();
    }
    let out = collect(&inbox, &trust, &db);
    assert!(stdout(&out).contains("rejected 2"), "{}", text(&out));
    assert_eq!(count(&db, "SELECT count(*) FROM rejected"), 2);
    let data = report(&db);
    let files: BTreeSet<&str> = data.rejected.iter().map(|r| r.file.as_str()).collect();
    assert_eq!(
        files,
        BTreeSet::from(["bad-\\xfe.finding.json", "bad-\\xfd.finding.json"]),
        "names shown with their bytes"
    );
}

/// Someone who can write the inbox replaces `archive/` and `rejected/` with symlinks to a
/// folder of their choosing while a pass runs. The collector keeps moving files (and writing
/// `.reason` files) into the folders it opened at the start: nothing lands outside.
#[test]
fn folders_swapped_for_links_mid_pass_are_not_followed() {
    let dir = Scratch::new("swap");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = dir.path("collector.db");
    let outside = dir.dir("outside");
    let mut hosts = synthetic::hosts(4);
    synthetic::enroll(&trust, &hosts);
    let written = synthetic::write_chains(&inbox, &mut hosts, 40);
    for path in &written {
        let mut bad = path.as_os_str().to_os_string();
        bad.push("-bad");
        fs::write(bad, "{not json").unwrap();
    }
    let mut child = collector()
        .args(["collect", "--batch", "1", "--inbox"])
        .arg(&inbox)
        .arg("--trust")
        .arg(&trust)
        .arg("--db")
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while fs::read_dir(inbox.join("archive")).map_or(0, |d| d.count()) == 0 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(1));
    }
    for sub in ["archive", "rejected"] {
        fs::rename(inbox.join(sub), inbox.join(format!("{sub}-real"))).unwrap();
        let target = outside.join(sub);
        fs::create_dir(&target).unwrap();
        std::os::unix::fs::symlink(&target, inbox.join(sub)).unwrap();
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the pass ended before the folders were swapped"
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    for sub in ["archive", "rejected"] {
        let landed = names(&outside.join(sub));
        assert!(landed.is_empty(), "{} files in outside/{sub}", landed.len());
    }
    assert_eq!(names(&inbox.join("archive-real")).len(), written.len());
    assert_eq!(names(&inbox.join("rejected-real")).len(), 2 * written.len());
    assert_eq!(count(&db, "SELECT count(*) FROM findings"), 160);
}

/// A finding copied into the inbox slowly, under its final name (`cp` onto a share), is met
/// half-written by a one-pass collect: it is left for the next pass, not rejected, and taken
/// in once complete. A truncated file nobody has touched for long is refused as before.
#[test]
fn a_finding_still_being_copied_in_is_left_for_the_next_pass() {
    let dir = Scratch::new("slow-copy");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = dir.path("collector.db");
    let mut hosts = synthetic::hosts(1);
    synthetic::enroll(&trust, &hosts);
    let (name, bytes) = signed(&mut hosts[0], false, 0);
    let (head, tail) = bytes.split_at(bytes.len() / 2);
    fs::write(inbox.join(&name), head).unwrap();
    fs::write(inbox.join("empty.finding.json"), "").unwrap();

    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).contains("stored 0, duplicates 0, rejected 0; 2 left for a later pass"),
        "{}",
        text(&out)
    );
    assert_eq!(names(&inbox.join("rejected")), Vec::<String>::new());

    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(inbox.join(&name))
        .unwrap();
    std::io::Write::write_all(&mut file, tail).unwrap();
    drop(file);
    let out = collect(&inbox, &trust, &db);
    assert!(stdout(&out).contains("stored 1, "), "{}", text(&out));
    assert_eq!(names(&inbox.join("archive")), vec![name]);

    // Truncated and untouched for an hour: not a copy in progress.
    let empty = fs::File::options()
        .write(true)
        .open(inbox.join("empty.finding.json"))
        .unwrap();
    empty
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("rejected 1 (malformed 1)"),
        "{}",
        text(&out)
    );
}

/// A read-only copy of `db` in `dir`: on a tmpfs mounted read-only when running as root
/// (root ignores file modes, a read-only mount it cannot), else by file modes. Returns the
/// copy and the mount point to unmount, if any.
fn read_only_copy(db: &Path, dir: &Path) -> (PathBuf, Option<PathBuf>) {
    fs::create_dir_all(dir).unwrap();
    let copy = dir.join("archived.db");
    if rustix::process::geteuid().is_root() {
        let mount = |args: &[&str]| {
            let out = run(Command::new("mount").args(args).arg(dir));
            assert!(out.status.success(), "mount {args:?}: {}", text(&out));
        };
        mount(&["-t", "tmpfs", "-o", "size=64m", "tmpfs"]);
        fs::copy(db, &copy).unwrap();
        mount(&["-o", "remount,ro"]);
        assert!(
            fs::write(dir.join("probe"), "x").is_err(),
            "mount is not read-only"
        );
        (copy, Some(dir.to_path_buf()))
    } else {
        use std::os::unix::fs::PermissionsExt;
        fs::copy(db, &copy).unwrap();
        fs::set_permissions(&copy, fs::Permissions::from_mode(0o444)).unwrap();
        fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
        (copy, None)
    }
}

/// A database on read-only media (an archive DVD, a read-only share) can be reported on and
/// re-verified: reading needs no write access, not even for SQLite's WAL files.
#[test]
fn report_and_reverify_read_a_database_on_read_only_media() {
    let dir = Scratch::new("read-only");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = dir.path("collector.db");
    let mut hosts = synthetic::hosts(2);
    synthetic::enroll(&trust, &hosts);
    synthetic::write_chains(&inbox, &mut hosts, 3);
    assert_eq!(collect(&inbox, &trust, &db).status.code(), Some(0));

    let (copy, mounted) = read_only_copy(&db, &dir.path("media"));
    let report = run(collector()
        .args(["report", "--format", "json", "--out", "-", "--db"])
        .arg(&copy));
    let reverify = run(collector()
        .args(["reverify", "--db"])
        .arg(&copy)
        .arg("--trust")
        .arg(&trust));
    let listing = names(copy.parent().unwrap());
    if let Some(point) = mounted {
        let _ = run(Command::new("umount").arg(point));
    }
    assert_eq!(report.status.code(), Some(0), "{}", text(&report));
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(json["totals"]["findings"], 6);
    assert_eq!(reverify.status.code(), Some(0), "{}", text(&reverify));
    assert!(
        stdout(&reverify).contains("6 ok, 0 failed"),
        "{}",
        text(&reverify)
    );
    assert_eq!(
        listing,
        vec!["archived.db".to_string()],
        "nothing written beside it"
    );
}

/// A security officer follows the guide and runs one `collect` as root on the service's
/// inbox: had it gone ahead, the database, archive/ and rejected/ would be root's and the
/// service (its own user) locked out. It refuses, and says the exact command to run instead,
/// which works and leaves everything owned by the service's user.
#[test]
fn root_on_the_services_inbox_is_refused_with_the_command_to_run() {
    use std::os::unix::fs::PermissionsExt;
    if !rustix::process::geteuid().is_root() {
        println!("SKIP root_on_the_services_inbox_is_refused_with_the_command_to_run: not root");
        return;
    }
    let dir = Scratch::new("root-trap");
    let mut hosts = synthetic::hosts(1);
    let trust = dir.path("trust");
    synthetic::enroll(&trust, &hosts);
    let lib = dir.dir("lib");
    let inbox = lib.join("inbox");
    fs::create_dir(&inbox).unwrap();
    synthetic::write_chains(&inbox, &mut hosts, 2);
    let nobody = 65534;
    for path in [&lib, &inbox] {
        std::os::unix::fs::chown(path, Some(nobody), Some(nobody)).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    for entry in fs::read_dir(&inbox).unwrap() {
        std::os::unix::fs::chown(entry.unwrap().path(), Some(nobody), Some(nobody)).unwrap();
    }
    let db = lib.join("findings.db");

    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        !db.exists() && !inbox.join("archive").exists(),
        "{}",
        text(&out)
    );
    let said = common::stderr(&out);
    let command = said
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("runuser -u nobody -- "))
        .unwrap_or_else(|| panic!("no runuser command in:\n{said}"))
        .to_string();
    assert!(command.contains(" collect --inbox "), "{command}");

    let out = run(Command::new("sh").arg("-c").arg(&command));
    assert_eq!(out.status.code(), Some(0), "{command}\n{}", text(&out));
    assert!(stdout(&out).contains("stored 2"), "{}", text(&out));
    for path in [db.clone(), inbox.join("archive"), inbox.join("rejected")] {
        let owner = fs::metadata(&path).unwrap().uid();
        assert_eq!(owner, nobody, "{} is owned by {owner}", path.display());
    }

    // Export and import write the database too: refused alike, the database untouched.
    let before = fs::read(&db).unwrap();
    let key = dir.path("unit.key");
    assert!(run(collector().args(["keygen", "--out"]).arg(&key))
        .status
        .success());
    let export = run(collector()
        .args(["export", "--unit", "unit-a", "--db"])
        .arg(&db)
        .arg("--trust")
        .arg(&trust)
        .arg("--key")
        .arg(&key)
        .arg("--out")
        .arg(dir.path("bundle")));
    let import = run(collector()
        .args(["import", "--db"])
        .arg(&db)
        .arg("--trust")
        .arg(&trust)
        .arg("--units")
        .arg(dir.dir("units"))
        .arg(dir.path("no-such-bundle")));
    for (what, out) in [("export", export), ("import", import)] {
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out));
        let said = common::stderr(&out);
        assert!(
            said.contains("runuser -u nobody -- ") && said.contains(&format!(" {what} ")),
            "{what}: {said}"
        );
    }
    assert!(!dir.path("bundle").exists());
    assert_eq!(fs::read(&db).unwrap(), before);
}

fn a_missing_finding_is_a_gap_until_it_arrives(backend: Backend) {
    let dir = Scratch::new("gap");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = TestDb::new(backend, &dir, "collector");
    let key = keygen(&dir, "hp.key");
    assert!(enroll(&trust, &machine_id(HP), &key).status.success());
    let (spool, state) = (dir.path("spool"), dir.path("state"));
    for trigger in ["boot", "manual", "timer"] {
        scan(HP, &key, &spool, &state, trigger);
    }
    let files = names(&spool);
    assert_eq!(files.len(), 3);
    let held_back = dir.dir("held-back");
    fs::rename(spool.join(&files[1]), held_back.join(&files[1])).unwrap();
    deliver(&spool, &inbox, "");

    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout(&out).contains("chain gap"), "{}", text(&out));
    let data = db.report();
    assert_eq!(data.chain_problems.len(), 1, "{:?}", data.chain_problems);
    let gap = &data.chain_problems[0];
    assert_eq!((gap.kind, gap.sequence), (ChainProblemKind::Gap, Some(2)));
    assert!(
        gap.detail.contains("sequence 2 never arrived"),
        "{}",
        gap.detail
    );
    assert_eq!(data.hosts[0].last_sequence, Some(3));

    // The late finding closes the gap.
    deliver(&held_back, &inbox, "");
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let data = db.report();
    assert!(data.chain_problems.is_empty(), "{:?}", data.chain_problems);
    assert_eq!(data.totals.findings, 3);
}

fn a_fork_and_a_chain_reset_are_recorded(backend: Backend) {
    let dir = Scratch::new("fork");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = TestDb::new(backend, &dir, "collector");
    let key = keygen(&dir, "t430s.key");
    assert!(enroll(&trust, &machine_id(T430S), &key).status.success());
    let state = dir.path("state");

    let spool = dir.path("spool");
    scan(T430S, &key, &spool, &state, "boot");
    let chain_file = common::chain_files(&state)
        .pop()
        .expect("a chain state file");
    let after_first = fs::read(&chain_file).unwrap();
    scan(T430S, &key, &spool, &state, "boot");
    deliver(&spool, &inbox, "");
    // The state put back as it was after the first scan: a second, different sequence 2.
    fs::write(&chain_file, &after_first).unwrap();
    scan(T430S, &key, &spool, &state, "manual");
    deliver(&spool, &inbox, "branch-");
    // A damaged state file: the agent starts a new chain and says why.
    fs::write(
        &chain_file,
        r#"{"sequence": 2, "previous": "not-a-digest"}"#,
    )
    .unwrap();
    scan(T430S, &key, &spool, &state, "timer");
    deliver(&spool, &inbox, "");

    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout(&out).contains("stored 4"), "{}", text(&out));
    let data = db.report();
    let kinds: Vec<(ChainProblemKind, Option<u64>)> = data
        .chain_problems
        .iter()
        .map(|p| (p.kind, p.sequence))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (ChainProblemKind::Fork, Some(2)),
            (ChainProblemKind::Reset, Some(3))
        ],
        "{:?}",
        data.chain_problems
    );
    assert!(data.chain_problems[0].detail.contains("branch-"));
    let reset = &data.chain_problems[1].detail;
    assert!(
        reset.contains("state file corrupt") && reset.contains("not-a-digest"),
        "{reset}"
    );
    assert_eq!(data.hosts[0].last_sequence, Some(3));
}

#[test]
fn enroll_refuses_bad_names_and_a_second_key() {
    let dir = Scratch::new("enroll");
    let trust = dir.path("trust");
    let (a, b) = (keygen(&dir, "a.key"), keygen(&dir, "b.key"));
    assert_eq!(enroll(&trust, "ws-1", &a).status.code(), Some(0));
    let again = enroll(&trust, "ws-1", &a);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(stdout(&again).contains("already enrolled"));
    let other = enroll(&trust, "ws-1", &b);
    assert_eq!(other.status.code(), Some(2), "{}", text(&other));
    assert!(text(&other).contains("different key"), "{}", text(&other));
    assert_eq!(enroll(&trust, "ws-2", &a).status.code(), Some(2));
    for bad in ["../escape", ".hidden", "a b", &"x".repeat(65)] {
        assert_eq!(enroll(&trust, bad, &b).status.code(), Some(2), "{bad}");
    }
    assert_eq!(names(&trust), vec!["ws-1.pub".to_string()]);
}

#[test]
fn reverify_names_a_stored_envelope_that_was_altered() {
    let dir = Scratch::new("reverify");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = dir.path("collector.db");
    let mut hosts = synthetic::hosts(2);
    synthetic::enroll(&trust, &hosts);
    synthetic::write_chains(&inbox, &mut hosts, 2);
    assert_eq!(collect(&inbox, &trust, &db).status.code(), Some(0));
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "UPDATE findings SET envelope = CAST(replace(CAST(envelope AS TEXT), \
                 '\"payload\":\"', '\"payload\":\"AAAA') AS BLOB) WHERE id = 2",
            [],
        )
        .unwrap();
    }
    let out = run(collector()
        .args(["reverify", "--db"])
        .arg(&db)
        .arg("--trust")
        .arg(&trust));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("FAIL finding 2 host"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains("3 ok, 1 failed"), "{}", text(&out));
}

#[test]
fn usage_and_io_errors_have_their_exit_codes() {
    let dir = Scratch::new("errors");
    let inbox = dir.dir("inbox");
    let trust = dir.dir("trust");
    let out = collect(&inbox, &trust, Path::new("/nonexistent-isoguard/x.db"));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let out = collect(&dir.path("no-inbox"), &trust, &dir.path("db"));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    fs::write(trust.join("broken.pub"), "not a key").unwrap();
    let out = collect(&inbox, &trust, &dir.path("db"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = run(collector().args(["collect", "--inbox"]).arg(&inbox));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = run(collector()
        .args(["report", "--format", "json", "--out", "-", "--db"])
        .arg(dir.path("missing.db")));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

/// What the collector tells a person is in Chinese when `--lang zh` or the locale asks for it:
/// the pass, reverify, enrolment and errors alike.
#[test]
fn the_collector_speaks_chinese_when_asked() {
    let dir = Scratch::new("zh");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = dir.path("collector.db");
    let mut hosts = synthetic::hosts(1);
    synthetic::enroll(&trust, &hosts);
    synthetic::write_chains(&inbox, &mut hosts, 2);
    fs::write(inbox.join("junk.finding.json"), "[]").unwrap();
    let out = run(collector()
        .args(["--lang", "zh", "collect", "--inbox"])
        .arg(&inbox)
        .arg("--trust")
        .arg(&trust)
        .arg("--db")
        .arg(&db));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = stdout(&out);
    assert!(
        said.contains("已拒收 junk.finding.json：不是格式正确的签名检查结果（"),
        "{said}"
    );
    assert!(
        said.ends_with("新存 2 份，重复 0 份，拒收 1 份（不是格式正确的签名检查结果 1 份）\n"),
        "{said}"
    );

    // The locale alone is enough.
    let out = run(collector()
        .env("LANG", "zh_CN.UTF-8")
        .args(["reverify", "--db"])
        .arg(&db)
        .arg("--trust")
        .arg(&trust));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        stdout(&out),
        "已重新核验 2 份检查结果：2 份通过，0 份未通过\n"
    );
    let key = keygen(&dir, "new.key");
    let out = run(collector()
        .args(["--lang", "zh", "enroll", "--trust"])
        .arg(&trust)
        .arg("ws-new")
        .arg(public(&key)));
    assert!(
        stdout(&out).starts_with("已登记 ws-new：密钥 "),
        "{}",
        text(&out)
    );

    // Errors too, with the system's reason in Chinese.
    let out = run(collector()
        .args(["--lang", "zh", "report", "--out", "-", "--db"])
        .arg(dir.path("missing.db")));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("数据库文件不存在"), "{}", text(&out));
    let out = run(collector()
        .args(["--lang", "zh", "collect", "--inbox"])
        .arg(dir.path("no-inbox"))
        .arg("--trust")
        .arg(&trust)
        .arg("--db")
        .arg(&db));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("没有那个文件或目录（os error 2）"),
        "{}",
        text(&out)
    );
    // English stays as it was.
    let out = collect(&inbox, &trust, &db);
    assert!(
        stdout(&out).ends_with("stored 0, duplicates 0, rejected 0\n"),
        "{}",
        text(&out)
    );
}

/// Kills the collector with SIGKILL while it works through 300 findings, then reruns it:
/// every finding ends up stored exactly once, nothing is left behind or lost.
fn a_collector_killed_mid_batch_loses_nothing_and_stores_nothing_twice(backend: Backend) {
    let dir = Scratch::new("sigkill");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = TestDb::new(backend, &dir, "collector");
    let mut hosts = synthetic::hosts(10);
    synthetic::enroll(&trust, &hosts);
    let written = synthetic::write_chains(&inbox, &mut hosts, 30);
    assert_eq!(written.len(), 300);
    let digests: BTreeSet<String> = written
        .iter()
        .map(|p| isoguard::finding::chain_state::digest_hex(&fs::read(p).unwrap()))
        .collect();
    fs::write(inbox.join(".tmp-in-progress"), "agent still writing").unwrap();

    let archive = inbox.join("archive");
    let archived_at_kill = kill_after_first_archived(
        collector()
            .args(["collect", "--batch", "100", "--inbox"])
            .arg(&inbox)
            .arg("--trust")
            .arg(&trust)
            .arg("--db")
            .arg(&db),
        &archive,
    );
    assert!(
        archived_at_kill < 300,
        "killed mid-batch: {archived_at_kill}"
    );

    let before_rerun = db.count("SELECT count(*) FROM findings");
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    eprintln!(
        "killed with {archived_at_kill} archive entries and {before_rerun} findings stored; \
         rerun: {}",
        stdout(&out).trim()
    );

    assert_eq!(db.count("SELECT count(*) FROM findings"), 300);
    assert_eq!(db.count("SELECT count(DISTINCT digest) FROM findings"), 300);
    assert_eq!(db.count("SELECT count(*) FROM replays"), 0);
    assert_eq!(db.count("SELECT count(*) FROM rejected"), 0);
    assert_eq!(db.set("SELECT digest FROM findings"), digests);
    assert_eq!(names(&inbox), vec![".tmp-in-progress".to_string()]);
    let archived = names(&archive);
    assert_eq!(archived.len(), 300);
    let expected: Vec<String> = {
        let mut n: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(archived, expected, "every file archived under its own name");
    let data = db.report();
    assert!(data.chain_problems.is_empty(), "{:?}", data.chain_problems);
    assert_eq!(data.totals.hosts, 10);
}

/// The two moments a crash can leave a stored finding in the inbox, set up exactly: after the
/// commit but before the move (the file is in the inbox, its archive name free), and halfway
/// through the move (the same file linked in both places). Neither is a replay.
fn both_crash_windows_are_finished_on_rerun_not_counted_as_replays(backend: Backend) {
    let dir = Scratch::new("windows");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = TestDb::new(backend, &dir, "collector");
    let mut hosts = synthetic::hosts(1);
    synthetic::enroll(&trust, &hosts);
    synthetic::write_chains(&inbox, &mut hosts, 3);
    assert_eq!(collect(&inbox, &trust, &db).status.code(), Some(0));
    let archive = inbox.join("archive");
    let files = names(&archive);
    fs::rename(archive.join(&files[0]), inbox.join(&files[0])).unwrap();
    fs::hard_link(archive.join(&files[1]), inbox.join(&files[1])).unwrap();

    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out)
            .contains("stored 0, duplicates 0, rejected 0; 2 already stored by an interrupted run"),
        "{}",
        text(&out)
    );
    assert_eq!(names(&inbox), Vec::<String>::new());
    assert_eq!(names(&archive), files);
    assert_eq!(db.count("SELECT count(*) FROM replays"), 0);

    // A copy of an archived file (another inode, its archive name taken) is a replay.
    fs::copy(archive.join(&files[0]), inbox.join(&files[0])).unwrap();
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("stored 0, duplicates 1"),
        "{}",
        text(&out)
    );
    assert_eq!(db.count("SELECT count(*) FROM findings"), 3);
}

fn watch_takes_new_files_in_and_stops_cleanly_on_sigterm(backend: Backend) {
    let dir = Scratch::new("watch");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = TestDb::new(backend, &dir, "collector");
    let mut hosts = synthetic::hosts(1);
    synthetic::enroll(&trust, &hosts);
    let staging = dir.dir("staging");
    let first = synthetic::write_chains(&staging, &mut hosts, 1);

    let mut child = collector()
        .args(["collect", "--watch", "--inbox"])
        .arg(&inbox)
        .arg("--trust")
        .arg(&trust)
        .arg("--db")
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let wait_archived = |n: usize| {
        let started = Instant::now();
        while fs::read_dir(inbox.join("archive")).map_or(0, |d| d.count()) < n {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "not archived within 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // Delivered the way the agent writes: a hidden name, then a rename.
    let name = first[0].file_name().unwrap();
    fs::copy(&first[0], inbox.join(".incoming")).unwrap();
    fs::rename(inbox.join(".incoming"), inbox.join(name)).unwrap();
    wait_archived(1);
    // A second one, written in place.
    let second = synthetic::write_chains(&staging, &mut hosts, 1);
    fs::write(
        inbox.join(second[0].file_name().unwrap()),
        fs::read(&second[0]).unwrap(),
    )
    .unwrap();
    wait_archived(2);

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains("stored 1"), "{}", text(&out));
    assert_eq!(db.count("SELECT count(*) FROM findings"), 2);
    // The archived files are the very files that arrived (same inode, moved not copied).
    let archived = fs::metadata(inbox.join("archive").join(name)).unwrap();
    assert_eq!(archived.nlink(), 1);
}

/// Each stored finding has its brief, a fraction of its envelope's size, and the report read
/// from the briefs is the report read from the envelopes (a database whose findings were
/// stored before briefs existed). Read for a page, only the evidence of its first rows is
/// there, the rest counted. A brief edited in the database is named by reverify.
fn briefs_say_what_the_envelopes_say(backend: Backend) {
    let dir = Scratch::new("briefs");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = TestDb::new(backend, &dir, "collector");
    for fixture in [HP, T61, T430S] {
        let key = keygen(&dir, &format!("{fixture}.key"));
        assert!(enroll(&trust, &machine_id(fixture), &key).status.success());
        let state = dir.path(&format!("state-{fixture}"));
        scan(fixture, &key, &inbox, &state, "boot");
    }
    // Enough violations that the page's evidence table has more than a page of rows.
    let mut hosts = synthetic::hosts(60);
    synthetic::enroll(&trust, &hosts);
    synthetic::write_chains(&inbox, &mut hosts, 2);
    let out = collect(&inbox, &trust, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(db.count("SELECT count(*) FROM findings"), 123);
    assert_eq!(db.count("SELECT count(*) FROM finding_briefs"), 123);
    assert_eq!(db.count("SELECT count(*) FROM finding_evidence"), 123);
    let briefs = db.count("SELECT sum(length(brief)) FROM finding_briefs");
    let envelopes = db.count("SELECT sum(length(envelope)) FROM findings");
    assert!(
        briefs * 20 < envelopes,
        "briefs {briefs} bytes, envelopes {envelopes}"
    );

    let from_briefs = db.report();
    let serials: BTreeSet<&str> = from_briefs
        .violations
        .iter()
        .flat_map(|v| v.evidence.iter())
        .filter_map(|e| e.serial.as_deref())
        .collect();
    assert!(serials.contains("071C395B848D2017"), "{serials:?}");
    assert!(serials.contains("071C395B848D0001"), "{serials:?}");

    // The page's markup shows its first 100 rows whatever it carries, so a page's data is
    // read for at least that many.
    let rows = 101;
    let page = db.report_for_page(rows);
    let key = |v: &isoguard::collector::model::Violation| (v.host_id.clone(), v.rule.clone());
    assert_eq!(
        page.violations.iter().map(key).collect::<Vec<_>>(),
        from_briefs.violations.iter().map(key).collect::<Vec<_>>()
    );
    let (mut shown, mut left_out) = (0, 0);
    for (on_page, full) in page.violations.iter().zip(&from_briefs.violations) {
        assert_eq!(full.evidence_left_out, 0);
        if shown < rows {
            assert_eq!(on_page.evidence, full.evidence, "{}", full.rule);
            assert_eq!(on_page.evidence_left_out, 0);
            shown += full.evidence.len().max(1);
        } else {
            assert!(on_page.evidence.is_empty(), "{}", full.rule);
            assert_eq!(on_page.evidence_left_out, full.evidence.len() as u64);
            left_out += full.evidence.len();
        }
    }
    assert!(left_out > 10, "{left_out} devices left out");
    // The page is the same whether its data was read for it or whole.
    let page_of = |data: &ReportData| {
        let mut data = data.clone();
        data.generated_at = "2026-12-03T00:00:00Z".into();
        isoguard::collector::report::html_carrying(&data, isoguard::i18n::Lang::En, rows)
    };
    assert_eq!(page_of(&page), page_of(&from_briefs));
    assert_eq!(
        (page.hosts.clone(), page.by_rule.clone()),
        (from_briefs.hosts.clone(), from_briefs.by_rule.clone())
    );

    let edit = match backend {
        Backend::Sqlite => {
            "UPDATE finding_evidence SET evidence = CAST(replace(CAST(evidence AS TEXT), \
             '071C395B848D2017', '000000000000BEEF') AS BLOB)"
        }
        Backend::Postgresql => {
            "UPDATE finding_evidence SET evidence = \
             convert_to(replace(convert_from(evidence, 'UTF8'), \
             '071C395B848D2017', '000000000000BEEF'), 'UTF8')"
        }
    };
    db.strings(edit);
    // The report believes the brief (which is why reverify checks it).
    let edited = db.report();
    assert!(edited
        .violations
        .iter()
        .flat_map(|v| v.evidence.iter())
        .any(|e| e.serial.as_deref() == Some("000000000000BEEF")));
    let reverify = || {
        run(collector()
            .args(["reverify", "--db"])
            .arg(&db)
            .arg("--trust")
            .arg(&trust))
    };
    let out = reverify();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("stored brief differs from the signed payload"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains("122 ok, 1 failed"), "{}", text(&out));
    // Half a brief is named too (the report would read the other half alone).
    db.strings(
        "DELETE FROM finding_evidence WHERE finding_id = (SELECT max(finding_id) FROM finding_evidence)",
    );
    let out = reverify();
    assert!(
        stdout(&out).contains("stored brief or its evidence is missing"),
        "{}",
        text(&out)
    );

    db.strings("DELETE FROM finding_briefs");
    db.strings("DELETE FROM finding_evidence");
    let from_envelopes = db.report();
    let shown = |data: &ReportData| {
        let mut value = serde_json::to_value(data).unwrap();
        value["generated_at"] = serde_json::Value::Null;
        value
    };
    assert_eq!(shown(&from_envelopes), shown(&from_briefs));
    let out = reverify();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

on_both_backends!(
    briefs_say_what_the_envelopes_say,
    a_replayed_finding_is_stored_once_and_reported,
    a_reformatted_replay_is_a_replay_and_never_the_hosts_latest,
    a_missing_finding_is_a_gap_until_it_arrives,
    a_fork_and_a_chain_reset_are_recorded,
    a_collector_killed_mid_batch_loses_nothing_and_stores_nothing_twice,
    both_crash_windows_are_finished_on_rerun_not_counted_as_replays,
    watch_takes_new_files_in_and_stops_cleanly_on_sigterm,
);
