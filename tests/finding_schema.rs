//! Findings the agent writes match the published JSON Schema (docs/finding-v1.schema.json),
//! checked by an independent validator (Python's jsonschema, Draft 2020-12).

// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

const VALIDATE: &str = r#"
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    for e in v.iter_errors(json.load(open(path))):
        bad += 1
        print(path, "/".join(map(str, e.absolute_path)), e.message)
sys.exit(1 if bad else 0)
"#;

fn python_with_jsonschema() -> &'static str {
    for python in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(python)
            .args(["-c", "import jsonschema"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return python;
        }
    }
    panic!(
        "python3 with `jsonschema` is required (apt-get install -y python3-jsonschema; CI does)"
    );
}

#[test]
fn findings_match_the_published_schema() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    let cases: [(&str, &str); 5] = [
        ("thinkpad-t61", "classified"),
        ("hp-elitebook-835-g10", "classified"),
        ("android-rndis-tether", "dual-use"),
        ("usb-hdd-uas-removable0", "internet-in-secure-area"),
        ("node-exporter-udev-data", "classified"),
    ];
    for (fixture, policy) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_isoguard"))
            .args(["scan", "--format", "json", "--policy", policy, "--root"])
            .arg(common::tree(fixture))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let path = dir.join(format!("{fixture}.json"));
        std::fs::write(&path, &out.stdout).unwrap();
        files.push(path);
    }
    // A finding for a policy that failed to load.
    let broken = dir.join("broken.toml");
    std::fs::write(&broken, "[policy]\nid = 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_isoguard"))
        .args(["scan", "--format", "json", "--policy"])
        .arg(&broken)
        .arg("--root")
        .arg(common::tree("usb-headset"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let path = dir.join("policy-error.json");
    std::fs::write(&path, &out.stdout).unwrap();
    files.push(path);

    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/finding-v1.schema.json");
    let out = Command::new(python_with_jsonschema())
        .args(["-c", VALIDATE, schema])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "schema violations:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The validator is not a rubber stamp: a finding with an unknown verdict fails it.
    let mut finding: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    finding["verdict"] = "fine".into();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, finding.to_string()).unwrap();
    let out = Command::new(python_with_jsonschema())
        .args(["-c", VALIDATE, schema])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The schema names every check and evidence kind this agent writes, and no other: a check
/// added without its schema entry fails here, not at a site's validator.
#[test]
fn the_schema_lists_exactly_the_checks_and_evidence_kinds_of_the_code() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/finding-v1.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let names = |pointer: &str| -> Vec<String> {
        let mut names: Vec<String> = schema
            .pointer(pointer)
            .and_then(|v| v.as_array())
            .unwrap_or_else(|| panic!("no enum at {pointer}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    let mut checks: Vec<String> = isoguard::policy::checks::CHECKS
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    checks.sort();
    assert_eq!(names("/$defs/result/properties/check/enum"), checks);
    let mut kinds: Vec<String> = isoguard::finding::v1::EvidenceKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    kinds.sort();
    assert_eq!(names("/$defs/evidence/properties/kind/enum"), kinds);
}
