//! The packaged systemd units pass `systemd-analyze verify`, without installing anything:
//! each unit is copied into a scratch folder with `/usr/bin/isoguard` pointed at the binary
//! this build made (verify checks that ExecStart= is executable), and the folder is put first
//! on the unit search path so `After=`/`Wants=` find their siblings. Man pages are not looked
//! up (`--man=no`): they are generated at build time and checked by the packaging test.
//!
//! Needs systemd-analyze (CI installs systemd); without it the test fails, saying so.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

mod common;

#[test]
fn the_watch_unit_passes_systemd_analyze_verify() {
    common::require_command("systemd-analyze", &["--version"], "systemd");
    let scratch =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("units-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let units = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/systemd");
    for name in ["isoguard-boot.service", "isoguard-watch.service"] {
        let text = std::fs::read_to_string(units.join(name)).unwrap();
        let text = text.replace("/usr/bin/isoguard", env!("CARGO_BIN_EXE_isoguard"));
        std::fs::write(scratch.join(name), text).unwrap();
    }
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(scratch.join("isoguard-watch.service"))
        // A trailing ':' keeps the default search path after ours.
        .env("SYSTEMD_UNIT_PATH", format!("{}:", scratch.display()))
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );
}
