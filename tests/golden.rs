//! Golden files: the inventory and the finding payload of two recorded machines, exactly as
//! `isoguard inventory --format json` and `isoguard scan --format json` print them. A renamed,
//! dropped or re-typed field shows up here as a diff, so a change to what other tools read is
//! a decision someone makes, not an accident of a refactor.
//!
//! On a mismatch the test writes `<name>.actual` beside the golden file and fails; after
//! checking the difference is intended, `ISOGUARD_BLESS=1 cargo test --all-features --test
//! golden` rewrites the golden files.

// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use serde_json::Value;

const MACHINES: &[&str] = &["thinkpad-t61", "hp-elitebook-835-g10"];

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Replaces what differs from run to run (or release to release) with a placeholder.
fn mask(value: &mut Value, pointer: &str, placeholder: &str) {
    if let Some(slot) = value.pointer_mut(pointer) {
        *slot = Value::String(placeholder.to_string());
    }
}

fn compare(name: &str, value: &Value) {
    let mut text = serde_json::to_string_pretty(value).unwrap();
    text.push('\n');
    let path = golden(name);
    if std::env::var_os("ISOGUARD_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with ISOGUARD_BLESS=1)", path.display()));
    if expected != text {
        let actual = path.with_extension("actual");
        std::fs::write(&actual, &text).unwrap();
        panic!(
            "{} differs from the golden file; see `diff {} {}`, and bless with ISOGUARD_BLESS=1 \
             if the change is intended",
            name,
            path.display(),
            actual.display()
        );
    }
}

fn json_of(args: &[&str]) -> Value {
    let out = common::run(common::agent().args(args));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", common::stderr(&out)))
}

#[test]
fn inventory_json_is_unchanged() {
    for machine in MACHINES {
        let root = common::fixture_dir(machine);
        let mut inv = json_of(&[
            "inventory",
            "--root",
            root.to_str().unwrap(),
            "--format",
            "json",
        ]);
        mask(&mut inv, "/host/agent_version", "<agent version>");
        mask(&mut inv, "/history/window", "<the look-back from now>");
        compare(&format!("{machine}.inventory.json"), &inv);
    }
}

#[test]
fn finding_payload_is_unchanged() {
    for machine in MACHINES {
        let root = common::fixture_dir(machine);
        let mut finding = json_of(&[
            "scan",
            "--root",
            root.to_str().unwrap(),
            "--policy",
            "classified",
            "--format",
            "json",
        ]);
        mask(&mut finding, "/time", "<time>");
        mask(&mut finding, "/host/agent_version", "<agent version>");
        mask(
            &mut finding,
            "/inventory/host/agent_version",
            "<agent version>",
        );
        mask(
            &mut finding,
            "/inventory/history/window",
            "<the look-back from now>",
        );
        // builtin:classified, or the packaged copy on a machine that has isoguard installed.
        mask(&mut finding, "/policy/source", "<policy source>");
        compare(&format!("{machine}.finding.json"), &finding);
    }
}
