//! The Debian packages on a real machine, the way an administrator meets them: build the
//! agent and collector `.deb`s (cargo-deb), install them here, run the installed agent against
//! a fixture tree with the installed config, verify its finding with the installed key, hand
//! the finding to the installed collector, check the installed units with
//! `systemd-analyze verify`, then remove, reinstall and purge, checking what each step keeps.
//!
//! What a purge keeps is a decision documented in `packaging/debian/postrm` and the operator
//! guide: the key this package generated goes (with its chain state), a key the site provided
//! stays, and findings still in the outbox always stay.
//!
//! This changes the machine (the dpkg database, /etc, /var/lib, a system user), so it is
//! `#[ignore]`d: it runs as root with `--ignored` (.ci/run runs it), and fails without root. It refuses to start if isoguard is already installed or its folders exist, and
//! puts the machine back as it found it, pass or fail. Needs cargo-deb and systemd-analyze.

// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine;
use serde_json::Value;

const KEY: &str = "/etc/isoguard/host.key";
const PUB: &str = "/etc/isoguard/host.key.pub";
const OUTBOX: &str = "/var/lib/isoguard/outbox";
const STATE: &str = "/var/lib/isoguard/state";
const COLLECTOR_USER: &str = "isoguard-collector";
const COLLECTOR_LIB: &str = "/var/lib/isoguard-collector";
const COLLECTOR_TRUST: &str = "/etc/isoguard-collector/trust";
/// Everything the packages or this test may create, removed at the end.
const OWNED_PATHS: &[&str] = &[
    "/etc/isoguard",
    "/var/lib/isoguard",
    "/etc/isoguard-collector",
    "/var/lib/isoguard-collector",
];

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

/// Runs and requires success; returns stdout and stderr together, for messages.
fn ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{program} {args:?}: {text}");
    text
}

fn package_status(name: &str) -> String {
    let out = run("dpkg-query", &["-W", "-f=${Status}", name]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn user_exists(name: &str) -> bool {
    run("getent", &["passwd", name]).status.success()
}

/// Builds a package with cargo-deb and returns its path (cargo-deb prints it last).
fn build_deb(variant: Option<&str>) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let probe = run(&cargo, &["deb", "--version"]);
    assert!(
        probe.status.success(),
        "cargo-deb is not installed (cargo install cargo-deb --locked; .ci/install-test-deps does)"
    );
    let mut args = vec!["deb", "--locked"];
    if let Some(v) = variant {
        args.extend(["--variant", v]);
    }
    let out = Command::new(&cargo)
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo deb {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find(|l| l.ends_with(".deb"))
        .map(PathBuf::from)
        .expect("cargo deb printed no .deb path");
    assert!(path.is_file(), "{}", path.display());
    path
}

fn mode(path: &str) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .permissions()
        .mode()
        & 0o7777
}

fn findings(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".finding.json"))
        .collect();
    files.sort();
    files
}

/// The signed payload of a finding file (the signature is checked with `isoguard verify`).
fn payload(file: &Path) -> Value {
    let envelope: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Puts the machine back on drop: purges both packages, removes the folders and the system
/// user they created (none of which existed before: the test refuses to start otherwise).
struct Restore {
    scratch: PathBuf,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = run("dpkg", &["--purge", "isoguard", "isoguard-collector"]);
        for path in OWNED_PATHS {
            let _ = std::fs::remove_dir_all(path);
        }
        if user_exists(COLLECTOR_USER) {
            let _ = run("userdel", &[COLLECTOR_USER]);
        }
        if run("getent", &["group", COLLECTOR_USER]).status.success() {
            let _ = run("groupdel", &[COLLECTOR_USER]);
        }
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

#[test]
#[ignore = "installs the packages on this machine (dpkg -i, a system user): run as root with `cargo test --all-features --test packaging -- --ignored` (.ci/run does)"]
fn deb_install_scan_collect_remove_purge() {
    assert!(is_root(), "the package test needs root (dpkg -i)");
    // From here on a missing tool or a machine in use is a failure, not a skip.
    for pkg in ["isoguard", "isoguard-collector"] {
        let status = package_status(pkg);
        assert!(
            status.is_empty() || status.contains("not-installed"),
            "refusing to run: package {pkg} is on this machine ({status}); purge it first"
        );
    }
    for path in OWNED_PATHS {
        assert!(
            !Path::new(path).exists(),
            "refusing to run: {path} exists and would be changed or removed"
        );
    }
    assert!(
        !user_exists(COLLECTOR_USER),
        "refusing to run: user {COLLECTOR_USER} exists"
    );
    let agent_deb = build_deb(None);
    let collector_deb = build_deb(Some("collector"));
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("packaging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let _restore = Restore {
        scratch: scratch.clone(),
    };

    // Install: binary, policies, config, man pages, completions, units; key, folders, enabled
    // boot unit from the postinst.
    let installed = ok("dpkg", &["-i", agent_deb.to_str().unwrap()]);
    assert!(
        installed.contains("enrol /etc/isoguard/host.key.pub"),
        "{installed}"
    );
    for file in [
        "/usr/bin/isoguard",
        "/usr/share/isoguard/policies/classified.toml",
        "/usr/share/isoguard/policies/dual-use.toml",
        "/usr/share/isoguard/policies/internet-in-secure-area.toml",
        "/etc/isoguard/config.toml",
        "/usr/lib/systemd/system/isoguard-boot.service",
        "/usr/lib/systemd/system/isoguard-scan.service",
        "/usr/lib/systemd/system/isoguard-scan.timer",
        "/usr/lib/systemd/system/isoguard-watch.service",
        "/usr/share/man/man1/isoguard.1",
        "/usr/share/man/man1/isoguard-scan.1",
        "/usr/share/man/zh_CN/man1/isoguard.1",
        "/usr/share/man/zh_CN/man1/isoguard-scan.1",
        "/usr/share/bash-completion/completions/isoguard",
        "/usr/share/zsh/vendor-completions/_isoguard",
        "/usr/share/fish/vendor_completions.d/isoguard.fish",
        "/usr/share/doc/isoguard/operator-guide.zh.md",
    ] {
        assert!(Path::new(file).is_file(), "{file} not installed");
    }
    assert_eq!(mode(KEY), 0o600, "private key mode");
    assert_eq!(std::fs::metadata(KEY).unwrap().uid(), 0);
    assert_eq!(mode(OUTBOX), 0o750);
    assert_eq!(mode(STATE), 0o700);
    let wants = Path::new("/etc/systemd/system/multi-user.target.wants/isoguard-boot.service");
    assert!(
        wants.symlink_metadata().is_ok(),
        "the boot unit is not enabled"
    );
    assert!(
        Path::new("/etc/systemd/system/multi-user.target.wants/isoguard-watch.service")
            .symlink_metadata()
            .is_ok(),
        "the watch unit is not enabled"
    );
    assert!(
        !Path::new("/etc/systemd/system/timers.target.wants/isoguard-scan.timer").exists(),
        "the timer must stay optional (disabled)"
    );
    let key_before = std::fs::read(KEY).unwrap();

    // The installed agent, with the installed config (policy, key, spool, state), on a
    // recorded machine.
    // Packages carry no fixture builder; this test's own build of the agent makes the tree.
    let tree = scratch.join("thinkpad-t61");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/thinkpad-t61");
    ok(
        env!("CARGO_BIN_EXE_isoguard"),
        &[
            "fixture",
            "build",
            fixture.to_str().unwrap(),
            "--out",
            tree.to_str().unwrap(),
        ],
    );
    let scan = run(
        "/usr/bin/isoguard",
        &[
            "-q",
            "scan",
            "--root",
            tree.to_str().unwrap(),
            "--trigger",
            "manual",
        ],
    );
    assert_eq!(
        scan.status.code(),
        Some(1),
        "the T61 has violations: {}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let spooled = findings(OUTBOX);
    assert_eq!(spooled.len(), 1, "{spooled:?}");
    let first = &spooled[0];
    let verified = ok(
        "/usr/bin/isoguard",
        &["verify", "--key", PUB, first.to_str().unwrap()],
    );
    assert!(verified.starts_with("OK "), "{verified}");
    assert!(
        verified.contains("verdict violation sequence 1 policy classified"),
        "{verified}"
    );
    let finding = payload(first);
    assert_eq!(finding["trigger"], "manual");
    assert_eq!(finding["host"]["hostname"], "t61");

    // The installed collector takes that finding in.
    let installed = ok("dpkg", &["-i", collector_deb.to_str().unwrap()]);
    assert!(user_exists(COLLECTOR_USER), "{installed}");
    assert!(!installed.contains("Warning"), "{installed}");
    let inbox = format!("{COLLECTOR_LIB}/inbox");
    assert_eq!(mode(&inbox), 0o2770);
    assert!(Path::new(COLLECTOR_TRUST).is_dir());
    for page in [
        "/usr/share/man/man1/isoguard-collector.1",
        "/usr/share/man/man1/isoguard-collector-report.1",
        "/usr/share/man/zh_CN/man1/isoguard-collector.1",
        "/usr/share/bash-completion/completions/isoguard-collector",
        "/usr/share/zsh/vendor-completions/_isoguard-collector",
        "/usr/share/fish/vendor_completions.d/isoguard-collector.fish",
    ] {
        assert!(Path::new(page).is_file(), "{page} not installed");
    }
    // The agent's pages are the agent package's: the collector must not bring them along.
    assert!(
        !std::fs::read_to_string("/var/lib/dpkg/info/isoguard-collector.list")
            .unwrap()
            .lines()
            .any(|l| l == "/usr/share/man/man1/isoguard-scan.1")
    );
    assert!(
        !Path::new("/etc/systemd/system/multi-user.target.wants/isoguard-collector.service")
            .exists(),
        "the collector service must wait for enrolment (not enabled at install)"
    );
    let machine_id = finding["host"]["machine_id"].as_str().unwrap().to_string();
    ok(
        "/usr/bin/isoguard-collector",
        &["enroll", "--trust", COLLECTOR_TRUST, &machine_id, PUB],
    );
    let delivered = Path::new(&inbox).join(first.file_name().unwrap());
    std::fs::copy(first, &delivered).unwrap();
    let db = format!("{COLLECTOR_LIB}/findings.db");
    // As the service runs it (same user, same flags less --watch).
    let collected = ok(
        "runuser",
        &[
            "-u",
            COLLECTOR_USER,
            "--",
            "/usr/bin/isoguard-collector",
            "collect",
            "--inbox",
            &inbox,
            "--trust",
            COLLECTOR_TRUST,
            "--db",
            &db,
        ],
    );
    assert!(
        !delivered.exists(),
        "the finding stayed in the inbox: {collected}"
    );
    assert!(Path::new(&db).is_file(), "{collected}");
    assert!(
        !Path::new(&inbox).join("rejected").exists()
            || findings(&format!("{inbox}/rejected")).is_empty(),
        "the finding was rejected: {collected}"
    );

    // Every installed unit passes systemd-analyze verify (with man pages and binaries present).
    let units = [
        "/usr/lib/systemd/system/isoguard-boot.service",
        "/usr/lib/systemd/system/isoguard-scan.service",
        "/usr/lib/systemd/system/isoguard-scan.timer",
        "/usr/lib/systemd/system/isoguard-watch.service",
        "/usr/lib/systemd/system/isoguard-collector.service",
    ];
    let mut args = vec!["verify"];
    args.extend(units);
    let verify = run("systemd-analyze", &args);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        verify.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );

    // Remove: the binary goes; key, config, findings and chain state stay.
    ok("dpkg", &["-r", "isoguard"]);
    assert!(!Path::new("/usr/bin/isoguard").exists());
    assert!(!Path::new("/usr/lib/systemd/system/isoguard-boot.service").exists());
    assert_eq!(
        std::fs::read(KEY).unwrap(),
        key_before,
        "key changed on remove"
    );
    assert!(Path::new(PUB).is_file());
    assert!(Path::new("/etc/isoguard/config.toml").is_file());
    assert_eq!(findings(OUTBOX), spooled);
    let chains: Vec<_> = std::fs::read_dir(STATE)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("chain-"))
        .collect();
    assert_eq!(chains.len(), 1, "one chain state for this machine and key");

    // Reinstall: the same key (never regenerated), the chain continues.
    let reinstalled = ok("dpkg", &["-i", agent_deb.to_str().unwrap()]);
    assert!(
        !reinstalled.contains("wrote /etc/isoguard/host.key"),
        "{reinstalled}"
    );
    assert_eq!(
        std::fs::read(KEY).unwrap(),
        key_before,
        "key replaced on reinstall"
    );
    let scan = run(
        "/usr/bin/isoguard",
        &[
            "-q",
            "scan",
            "--root",
            tree.to_str().unwrap(),
            "--trigger",
            "manual",
        ],
    );
    assert_eq!(scan.status.code(), Some(1));
    let spooled = findings(OUTBOX);
    assert_eq!(spooled.len(), 2, "{spooled:?}");
    assert_eq!(payload(&spooled[1])["sequence"], 2);

    // Purge: config and the package's own key (and its chain state) go; findings stay.
    let purged = ok("dpkg", &["--purge", "isoguard"]);
    assert!(
        purged.contains("deleted the host key this package generated"),
        "{purged}"
    );
    assert!(purged.contains("kept the findings"), "{purged}");
    assert!(!Path::new("/etc/isoguard").exists(), "{purged}");
    assert!(!Path::new(STATE).exists());
    assert_eq!(
        findings(OUTBOX),
        spooled,
        "purge deleted uncollected findings"
    );
    assert!(
        package_status("isoguard").is_empty()
            || package_status("isoguard").contains("not-installed")
    );
    assert!(
        wants.symlink_metadata().is_err(),
        "enable symlink left after purge"
    );

    // A key the site provided is never deleted, even by a purge.
    std::fs::create_dir_all("/etc/isoguard").unwrap();
    ok(env!("CARGO_BIN_EXE_isoguard"), &["keygen", "--out", KEY]);
    let site_key = std::fs::read(KEY).unwrap();
    let installed = ok("dpkg", &["-i", agent_deb.to_str().unwrap()]);
    assert!(
        !installed.contains("wrote /etc/isoguard/host.key"),
        "{installed}"
    );
    let purged = ok("dpkg", &["--purge", "isoguard"]);
    assert!(purged.contains("kept /etc/isoguard/host.key"), "{purged}");
    assert_eq!(std::fs::read(KEY).unwrap(), site_key);

    // The collector's purge keeps the security office's records.
    ok("dpkg", &["--purge", "isoguard-collector"]);
    assert!(!Path::new("/usr/bin/isoguard-collector").exists());
    assert!(
        Path::new(&db).is_file(),
        "purge deleted the findings database"
    );
    assert!(Path::new(COLLECTOR_TRUST)
        .join(format!("{machine_id}.pub"))
        .is_file());
}
