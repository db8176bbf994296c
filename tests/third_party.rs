//! Our outputs checked by other people's tools, as the sites that run those tools will read
//! them: `report --format ocsf` of a real store by the py-ocsf-models OCSF classes, and real
//! agent findings by securesystemslib's DSSE `Envelope.verify` and by `openssl pkeyutl`.
//! Each tool must accept the real thing and refuse a tampered or broken one; a missing tool
//! fails the test (CI installs them: .ci/install-test-deps), it never passes silently.
#![cfg(feature = "collector")]
// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use serde_json::Value;

use common::{agent, collector, machine_id, run, text, Scratch};
use isoguard::collector::model::{
    Evidence, EvidenceKind, HostRow, ReportData, RuleCount, Severity, Title, Totals, Verdict,
    Violation, REPORT_SCHEMA,
};
use isoguard::collector::report::{render, Format};
use isoguard::i18n::Lang;

const HP: &str = "hp-elitebook-835-g10";
const T61: &str = "thinkpad-t61";
const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The pip packages the checks need, as .ci/install-test-deps pins them.
const PIP_PACKAGES: &str = "py-ocsf-models==0.10.0 'securesystemslib[crypto]==1.6.0'";

/// A python3 that can import `module`, or a failure that says how to get it.
fn python_with(module: &str) -> String {
    for candidate in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(candidate)
            .args(["-c", &format!("import {module}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return candidate.to_string();
        }
    }
    panic!(
        "no python3 here can import `{module}`: install it with \
         `python3 -m pip install --break-system-packages {PIP_PACKAGES}` \
         (.ci/install-test-deps does)"
    );
}

/// A key pair by `isoguard keygen`: (private key, public key).
fn keygen(dir: &Scratch, name: &str) -> (PathBuf, PathBuf) {
    let key = dir.path(name);
    let out = run(agent().args(["keygen", "--out"]).arg(&key));
    assert!(out.status.success(), "{}", text(&out));
    (key, dir.path(&format!("{name}.pub")))
}

/// `isoguard scan` of a fixture machine with the classified policy, signed into `spool`.
fn scan(fixture: &str, key: &Path, spool: &Path, state: &Path) {
    fs::create_dir_all(spool).unwrap();
    let out = run(agent()
        .args([
            "scan",
            "--policy",
            "classified",
            "--trigger",
            "boot",
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

fn collect(inbox: &Path, trust: &Path, db: &Path) {
    let out = run(collector()
        .args(["collect", "--inbox"])
        .arg(inbox)
        .arg("--trust")
        .arg(trust)
        .arg("--db")
        .arg(db));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// `report --format FORMAT --out -`: what it printed.
fn report(db: &Path, format: &str) -> String {
    let out = run(collector()
        .args([
            "report",
            "--stale-days",
            "36500",
            "--format",
            format,
            "--out",
            "-",
            "--db",
        ])
        .arg(db));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs tests/tools/ocsf_validate.py (py-ocsf-models) on a file of events.
fn ocsf_validate(events: &Path) -> Output {
    let python = python_with("py_ocsf_models");
    run(Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/tools/ocsf_validate.py"
        ))
        .arg(events)
        .stdin(Stdio::null()))
}

fn assert_validates(events: &Path, lines: usize) {
    let out = ocsf_validate(events);
    assert!(
        out.status.success()
            && String::from_utf8_lossy(&out.stdout).trim() == format!("OK {lines}"),
        "py-ocsf-models refused the events:\n{}",
        text(&out)
    );
}

fn lines(events: &str) -> Vec<Value> {
    assert!(events.is_empty() || events.ends_with('\n'), "{events:?}");
    events
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// OCSF severity_id of our severity words, written out here rather than taken from the
/// writer, so a wrong mapping there fails.
fn ocsf_severity(ours: &str) -> u64 {
    match ours {
        "critical" => 5,
        "high" => 4,
        "medium" => 3,
        "low" => 2,
        "info" => 1,
        _ => 99,
    }
}

fn uid_of(event: &Value) -> String {
    event["finding_info"]["uid"].as_str().unwrap().to_string()
}

/// Events by (host id, rule) with their finding_info.uid.
fn uids(events: &[Value]) -> BTreeMap<(String, String), String> {
    events
        .iter()
        .map(|e| {
            (
                (
                    e["device"]["uid"].as_str().unwrap().to_string(),
                    e["compliance"]["control"].as_str().unwrap().to_string(),
                ),
                uid_of(e),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// OCSF

#[test]
fn ocsf_report_of_a_real_store_is_valid_ocsf_one_event_per_failed_rule() {
    let dir = Scratch::new("ocsf-real");
    let inbox = dir.dir("inbox");
    let trust = dir.path("trust");
    let db = dir.path("collector.db");
    let mut keys = BTreeMap::new();
    for fixture in [HP, T61] {
        let (key, public) = keygen(&dir, &format!("{fixture}.key"));
        let out = run(collector()
            .args(["enroll", "--trust"])
            .arg(&trust)
            .arg(machine_id(fixture))
            .arg(&public));
        assert!(out.status.success(), "{}", text(&out));
        scan(
            fixture,
            &key,
            &inbox,
            &dir.path(&format!("state-{fixture}")),
        );
        keys.insert(fixture, key);
    }
    collect(&inbox, &trust, &db);

    // What the failures are, from the JSON report (the store's own model), not from OCSF.
    let data: ReportData = serde_json::from_str(&report(&db, "json")).unwrap();
    assert!(
        data.violations.len() >= 2,
        "both fixtures fail rules under the classified policy: {:?}",
        data.violations
    );
    let ocsf = report(&db, "ocsf");
    let events_file = dir.path("events.jsonl");
    fs::write(&events_file, &ocsf).unwrap();
    assert_validates(&events_file, data.violations.len());

    let events = lines(&ocsf);
    assert_eq!(events.len(), data.violations.len(), "{ocsf}");
    for (event, violation) in events.iter().zip(&data.violations) {
        let context = format!("{event:#}");
        assert_eq!(event["class_uid"], 2003, "{context}");
        assert_eq!(event["category_uid"], 2, "{context}");
        assert_eq!(event["activity_id"], 1, "{context}");
        assert_eq!(event["type_uid"], 200301, "{context}");
        assert_eq!(event["metadata"]["version"], "1.8.0", "{context}");
        assert_eq!(
            event["metadata"]["product"]["name"], "isoguard",
            "{context}"
        );
        assert_eq!(event["compliance"]["status_id"], 3, "{context}");
        assert_eq!(event["compliance"]["control"], violation.rule.as_str());
        assert_eq!(event["device"]["uid"], violation.host_id.as_str());
        assert_eq!(
            event["device"]["hostname"].as_str(),
            violation.hostname.as_deref()
        );
        assert_eq!(
            event["severity_id"],
            ocsf_severity(violation.severity.as_str()),
            "{context}"
        );
        let seconds = isoguard::time::parse_rfc3339_utc(&violation.time).unwrap();
        assert_eq!(event["time"], seconds * 1000, "{context}");
        let host = data
            .hosts
            .iter()
            .find(|h| h.host_id == violation.host_id)
            .unwrap();
        let standards = event["compliance"]["standards"][0].as_str().unwrap();
        assert!(
            standards.contains(host.policy_id.as_deref().unwrap()),
            "{context}"
        );
        let evidences = event["evidences"].as_array().map(Vec::len).unwrap_or(0);
        assert_eq!(evidences, violation.evidence.len().min(32), "{context}");
        for (shown, ours) in event["evidences"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(&violation.evidence)
        {
            assert_eq!(shown["data"]["kind"], ours.kind.as_str());
            assert_eq!(shown["data"]["serial"].as_str(), ours.serial.as_deref());
        }
    }
    let first = uids(&events);
    assert_eq!(
        first.values().collect::<BTreeSet<_>>().len(),
        events.len(),
        "one uid per failed rule and host: {first:?}"
    );

    // The same store reported again: the same uids, so a SIEM de-duplicates.
    assert_eq!(uids(&lines(&report(&db, "ocsf"))), first);

    // A new finding from one host: its failures are new events, the other host's are not.
    scan(T61, &keys[T61], &inbox, &dir.path(&format!("state-{T61}")));
    collect(&inbox, &trust, &db);
    let again = uids(&lines(&report(&db, "ocsf")));
    let t61 = machine_id(T61);
    assert!(again.keys().any(|(host, _)| *host == t61), "{again:?}");
    for ((host, rule), uid) in &again {
        let before = first.get(&(host.clone(), rule.clone()));
        if *host == t61 {
            assert_ne!(Some(uid), before, "{host} {rule}: a new finding, a new uid");
        } else {
            assert_eq!(
                Some(uid),
                before,
                "{host} {rule}: the same finding, the same uid"
            );
        }
    }
}

const SCRIPT_PRODUCT: &str = "<script>alert(1)</script>";
const IMG_SERIAL: &str = "\"><img src=x onerror=alert(1)>\n{\"class_uid\":1}";
/// `&`, a quote, an ESC sequence and a right-to-left override in a host name.
const ODD_HOSTNAME: &str = "ws-01&\"lab\u{1b}[31m\u{202e}gpj.exe";

fn hostile_data() -> ReportData {
    let stick = |n: usize| Evidence {
        serial: Some(format!("{IMG_SERIAL}-{n}")),
        product: Some(SCRIPT_PRODUCT.to_string()),
        vendor_id: Some("0781".to_string()),
        product_id: Some("5567".to_string()),
        mac: Some("02:00:00:00:00:01".to_string()),
        name: Some("sdb".to_string()),
        ..Evidence::new(
            EvidenceKind::BlockDevice,
            isoguard::i18n::Phrase::verbatim("unregistered USB storage"),
        )
    };
    let mut evidence: Vec<Evidence> = (0..40).map(stick).collect();
    evidence[0].detail = "x".repeat(10_000);
    let host = HostRow {
        host_id: "a1b2c3".to_string(),
        hostname: Some(ODD_HOSTNAME.to_string()),
        machine_id: Some("a1b2c3".to_string()),
        last_time: Some("2025-03-01T08:00:00Z".to_string()),
        last_verdict: Some(Verdict::Violation.into()),
        policy_id: Some("classified".to_string()),
        policy_version: Some("1.0.0".to_string()),
        agent_version: Some("0.1.0".to_string()),
        last_sequence: Some(7),
        findings: 7,
        stale: false,
        failed_rules: vec!["removable-storage".to_string(), "odd-rule".to_string()],
        unit: Some("unit-\u{1b}a".to_string()),
    };
    let title = |zh: &str, en: &str| Title {
        zh: zh.to_string(),
        en: en.to_string(),
    };
    let violation = |rule: &str, severity, evidence| Violation {
        host_id: "a1b2c3".to_string(),
        hostname: Some(ODD_HOSTNAME.to_string()),
        time: "2025-03-01T08:00:00Z".to_string(),
        sequence: 7,
        rule: rule.to_string(),
        title: title(
            "只使用登记的移动存储介质",
            "Only registered removable media",
        ),
        severity,
        evidence,
        evidence_left_out: 0,
    };
    ReportData {
        schema: REPORT_SCHEMA.to_string(),
        generated_at: "2025-03-02T10:00:00Z".to_string(),
        stale_days: 7,
        totals: Totals::default(),
        hosts: vec![host],
        violations: vec![
            violation("removable-storage", Severity::High.into(), evidence),
            violation(
                "odd-rule",
                isoguard::collector::model::Open::Other("catastrophic".to_string()),
                Vec::new(),
            ),
        ],
        by_rule: vec![RuleCount {
            rule: "removable-storage".to_string(),
            title: title(
                "只使用登记的移动存储介质",
                "Only registered removable media",
            ),
            severity: Severity::High.into(),
            hosts: 1,
            remediation: Some(title("拔除未登记的介质", "Remove the unregistered medium")),
        }],
        chain_problems: Vec::new(),
        units: Vec::new(),
        rejected: Vec::new(),
    }
}

#[test]
fn ocsf_keeps_hostile_strings_as_json_text_and_bounds_each_event() {
    let dir = Scratch::new("ocsf-hostile");
    let ocsf = render(&hostile_data(), Format::Ocsf, Lang::En);
    let events_file = dir.path("events.jsonl");
    fs::write(&events_file, &ocsf).unwrap();
    assert_validates(&events_file, 2);

    // Control characters are JSON escapes, never raw bytes that could end a line or drive a
    // terminal; the serial's newline and braces did not make an event of their own.
    assert!(!ocsf.contains('\u{1b}'), "{ocsf}");
    assert_eq!(ocsf.matches('\n').count(), 2, "{ocsf}");
    let events = lines(&ocsf);
    let stick = &events[0];
    assert_eq!(stick["device"]["hostname"], ODD_HOSTNAME);
    assert_eq!(stick["severity_id"], 4);
    let evidences = stick["evidences"].as_array().unwrap();
    assert_eq!(evidences.len(), 32, "bounded");
    assert_eq!(stick["unmapped"]["isoguard"]["evidence_total"], 40);
    assert_eq!(stick["unmapped"]["isoguard"]["evidence_omitted"], 8);
    assert_eq!(stick["unmapped"]["isoguard"]["unit"], "unit-\u{1b}a");
    assert_eq!(evidences[1]["data"]["serial"], format!("{IMG_SERIAL}-1"));
    assert_eq!(evidences[1]["data"]["product"], SCRIPT_PRODUCT);
    let detail = evidences[0]["data"]["detail"].as_str().unwrap();
    assert!(
        detail.chars().count() <= 513 && detail.ends_with('…'),
        "{detail}"
    );
    assert_eq!(
        stick["remediation"]["desc"],
        "Remove the unregistered medium"
    );
    assert!(ocsf.len() < 64 * 1024, "{} bytes", ocsf.len());

    let odd = &events[1];
    assert_eq!(odd["severity_id"], 99);
    assert_eq!(odd["severity"], "catastrophic");
    assert!(odd.get("evidences").is_none(), "{odd:#}");
    assert_ne!(uid_of(stick), uid_of(odd));
    assert_eq!(
        stick["time"], 1_740_816_000_000_i64,
        "2025-03-01T08:00:00Z in epoch milliseconds"
    );

    // The validator is not a rubber stamp: it refuses events that break OCSF.
    for (what, break_it) in [
        (
            "another class",
            (|e: &mut Value| e["class_uid"] = 2004.into()) as fn(&mut Value),
        ),
        ("a wrong type_uid", |e| e["type_uid"] = 200302.into()),
        ("no finding uid", |e| {
            e["finding_info"].as_object_mut().unwrap().remove("uid");
        }),
        ("no compliance", |e| {
            e.as_object_mut().unwrap().remove("compliance");
        }),
        ("time in seconds", |e| e["time"] = 1_740_816_000.into()),
        ("time as text", |e| e["time"] = "1740816000000".into()),
        ("an unknown severity id", |e| e["severity_id"] = 7.into()),
        ("no metadata.product", |e| {
            e["metadata"].as_object_mut().unwrap().remove("product");
        }),
        ("an unknown compliance status", |e| {
            e["compliance"]["status_id"] = 4.into()
        }),
    ] {
        let mut broken = stick.clone();
        break_it(&mut broken);
        let file = dir.path("broken.jsonl");
        fs::write(&file, format!("{broken}\n")).unwrap();
        let out = ocsf_validate(&file);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{what} was accepted: {}",
            text(&out)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// DSSE

/// A real agent finding: a scan of a fixture machine, signed with a fresh key. Returns the
/// envelope file and the public key.
fn real_finding(dir: &Scratch) -> (PathBuf, PathBuf) {
    let (key, public) = keygen(dir, "host.key");
    let spool = dir.dir("outbox");
    scan(T61, &key, &spool, &dir.path("state"));
    let mut files: Vec<PathBuf> = fs::read_dir(&spool)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    (files.remove(0), public)
}

/// The envelope with one byte of its payload changed (still valid base64 and JSON).
fn tampered(envelope: &Path, dir: &Scratch) -> PathBuf {
    let mut value: Value = serde_json::from_slice(&fs::read(envelope).unwrap()).unwrap();
    let mut payload = BASE64.decode(value["payload"].as_str().unwrap()).unwrap();
    let at = payload
        .windows(9)
        .position(|w| w == b"violation")
        .expect("the verdict in the payload");
    payload[at] = b'V';
    value["payload"] = BASE64.encode(&payload).into();
    let path = dir.path("tampered.finding.json");
    fs::write(&path, value.to_string()).unwrap();
    path
}

/// securesystemslib's DSSE verification, with the key id computed here from the public key
/// (SHA-256 of its SPKI DER, as docs/finding-v1.md says): it only tries keys whose id the
/// signature names. Exit 0 "OK", 2 "REJECTED" when the signature does not verify.
const SSLIB_VERIFY: &str = r#"
import hashlib, json, sys
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat, load_pem_public_key)
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey

with open(sys.argv[2], "rb") as f:
    public = load_pem_public_key(f.read())
keyid = hashlib.sha256(
    public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).hexdigest()
key = SSlibKey.from_crypto(public, keyid=keyid)
with open(sys.argv[1], "rb") as f:
    envelope = Envelope.from_dict(json.load(f))
try:
    envelope.verify([key], 1)
except VerificationError as err:
    print("REJECTED", err)
    sys.exit(2)
print("OK", keyid)
"#;

fn sslib_verify(envelope: &Path, public: &Path) -> Output {
    let python = python_with("securesystemslib.dsse, securesystemslib.signer");
    run(Command::new(python)
        .args(["-c", SSLIB_VERIFY])
        .arg(envelope)
        .arg(public)
        .stdin(Stdio::null()))
}

#[test]
fn securesystemslib_accepts_a_real_finding_and_rejects_a_tampered_one() {
    let dir = Scratch::new("sslib");
    let (envelope, public) = real_finding(&dir);
    let keyid = {
        let value: Value = serde_json::from_slice(&fs::read(&envelope).unwrap()).unwrap();
        value["signatures"][0]["keyid"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let out = sslib_verify(&envelope, &public);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("OK {keyid}"),
        "the envelope's keyid is the SHA-256 of the key's SPKI"
    );

    let out = sslib_verify(&tampered(&envelope, &dir), &public);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("REJECTED"),
        "{}",
        text(&out)
    );

    // Another host's key, enrolled under this keyid by mistake, does not verify either.
    let (_, other) = keygen(&dir, "other.key");
    let out = sslib_verify(&envelope, &other);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
}

/// DSSE's pre-authentication encoding, built here from the envelope's fields.
fn pae(envelope: &Path) -> (Vec<u8>, Vec<u8>) {
    let value: Value = serde_json::from_slice(&fs::read(envelope).unwrap()).unwrap();
    let payload_type = value["payloadType"].as_str().unwrap();
    let payload = BASE64.decode(value["payload"].as_str().unwrap()).unwrap();
    let signatures = value["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 1, "{signatures:?}");
    let sig = BASE64
        .decode(signatures[0]["sig"].as_str().unwrap())
        .unwrap();
    let mut pae = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    pae.extend_from_slice(&payload);
    (pae, sig)
}

fn openssl_verify(envelope: &Path, public: &Path, dir: &Scratch) -> Output {
    common::require_command("openssl", &["version"], "openssl");
    let (pae, sig) = pae(envelope);
    let (pae_file, sig_file) = (dir.path("pae.bin"), dir.path("sig.bin"));
    fs::write(&pae_file, pae).unwrap();
    fs::write(&sig_file, sig).unwrap();
    run(Command::new("openssl")
        .args(["pkeyutl", "-verify", "-rawin", "-pubin", "-inkey"])
        .arg(public)
        .arg("-sigfile")
        .arg(&sig_file)
        .arg("-in")
        .arg(&pae_file)
        .stdin(Stdio::null()))
}

#[test]
fn openssl_accepts_a_real_finding_and_rejects_a_tampered_one() {
    let dir = Scratch::new("openssl");
    let (envelope, public) = real_finding(&dir);

    let out = openssl_verify(&envelope, &public, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully"),
        "{}",
        text(&out)
    );

    let out = openssl_verify(&tampered(&envelope, &dir), &public, &dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Signature Verification Failure"),
        "{}",
        text(&out)
    );
}
