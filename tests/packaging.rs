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
//! It all happens inside a fresh Debian bookworm tree (tests/debian: the boot test's cached
//! tree, commands run in it with systemd-nspawn), so the dpkg database, /etc, /var/lib and
//! the system users of this machine are never touched, and a machine that has isoguard
//! installed or its folders from an earlier run does not matter. Slow, so `#[ignore]`d: it
//! runs as root with `--ignored` (.ci/run runs it), and fails without root. Needs cargo-deb,
//! debootstrap (first run only) and systemd-nspawn.

// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod debian;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine;
use serde_json::Value;

use debian::{fresh_tree, in_tree, in_tree_output, require_root, said_inside, text, Scratch};

const KEY: &str = "/etc/isoguard/host.key";
const PUB: &str = "/etc/isoguard/host.key.pub";
const OUTBOX: &str = "/var/lib/isoguard/outbox";
const STATE: &str = "/var/lib/isoguard/state";
const COLLECTOR_USER: &str = "isoguard-collector";
const COLLECTOR_LIB: &str = "/var/lib/isoguard-collector";
const COLLECTOR_TRUST: &str = "/etc/isoguard-collector/trust";

/// The Debian machine the packages are installed on: a tree, its paths seen from here, and
/// commands run inside it.
struct Machine {
    tree: PathBuf,
}

impl Machine {
    /// `/etc/isoguard` inside, as a path here.
    fn path(&self, inside: &str) -> PathBuf {
        self.tree.join(inside.trim_start_matches('/'))
    }

    /// A path here, as the machine sees it.
    fn inside(&self, here: &Path) -> String {
        format!("/{}", here.strip_prefix(&self.tree).unwrap().display())
    }

    fn exists(&self, inside: &str) -> bool {
        self.path(inside).symlink_metadata().is_ok()
    }

    fn is_file(&self, inside: &str) -> bool {
        self.path(inside).is_file()
    }

    fn read(&self, inside: &str) -> Vec<u8> {
        std::fs::read(self.path(inside)).unwrap_or_else(|e| panic!("{inside}: {e}"))
    }

    /// Runs and requires success; stdout and stderr together.
    fn ok(&self, args: &[&str]) -> String {
        in_tree(&self.tree, args)
    }

    fn run(&self, args: &[&str]) -> Output {
        in_tree_output(&self.tree, args)
    }

    fn mode(&self, inside: &str) -> u32 {
        std::fs::metadata(self.path(inside))
            .unwrap_or_else(|e| panic!("{inside}: {e}"))
            .permissions()
            .mode()
            & 0o7777
    }

    /// dpkg's status of a package (`install ok installed`), or what dpkg-query says of one
    /// it does not know.
    fn package_status(&self, name: &str) -> String {
        said_inside(&self.run(&["dpkg-query", "-W", "-f=${Status}", name]))
    }

    fn user_exists(&self, name: &str) -> bool {
        self.run(&["getent", "passwd", name]).status.success()
    }

    /// The findings in a folder of the machine, as paths here, sorted.
    fn findings(&self, inside: &str) -> Vec<PathBuf> {
        let dir = self.path(inside);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{inside}: {e}"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".finding.json"))
            .collect();
        files.sort();
        files
    }
}

/// Builds a package with cargo-deb and returns its path (cargo-deb prints it last).
fn build_deb(variant: Option<&str>) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let probe = debian::run(&cargo, &["deb", "--version"]);
    assert!(
        probe.status.success(),
        "cargo-deb is not installed (cargo install cargo-deb --locked; .ci/install-packaging-tools does)"
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
    assert!(out.status.success(), "cargo deb {args:?}: {}", text(&out));
    let path = String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find(|l| l.ends_with(".deb"))
        .map(PathBuf::from)
        .expect("cargo deb printed no .deb path");
    assert!(path.is_file(), "{}", path.display());
    path
}

/// The signed payload of a finding file (the signature is checked with `isoguard verify`).
fn payload(file: &Path) -> Value {
    let envelope: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
#[ignore = "installs the packages in a Debian container (cached tree in /var/cache/isoguard-test, systemd-nspawn): run as root with `cargo test --all-features --test packaging -- --ignored` (.ci/run does)"]
fn deb_install_scan_collect_remove_purge() {
    require_root();
    let agent_deb = build_deb(None);
    let collector_deb = build_deb(Some("collector"));
    let scratch = Scratch::new("packaging");
    let m = Machine {
        tree: scratch.0.join("tree"),
    };
    fresh_tree(&m.tree);
    // Not /tmp: systemd-nspawn mounts a fresh tmpfs there.
    let debs = m.path("/var/tmp/isoguard-test/debs");
    std::fs::create_dir_all(&debs).unwrap();
    let copy_in = |deb: &Path| {
        let to = debs.join(deb.file_name().unwrap());
        std::fs::copy(deb, &to).unwrap();
        m.inside(&to)
    };
    let (agent_deb, collector_deb) = (copy_in(&agent_deb), copy_in(&collector_deb));

    // Install: binary, policies, config, man pages, completions, units; key, folders, enabled
    // boot unit from the postinst.
    let installed = m.ok(&["dpkg", "-i", &agent_deb]);
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
        assert!(m.is_file(file), "{file} not installed");
    }
    assert_eq!(m.mode(KEY), 0o600, "private key mode");
    assert_eq!(std::fs::metadata(m.path(KEY)).unwrap().uid(), 0);
    assert_eq!(m.mode(OUTBOX), 0o750);
    assert_eq!(m.mode(STATE), 0o700);
    let wants = "/etc/systemd/system/multi-user.target.wants/isoguard-boot.service";
    assert!(m.exists(wants), "the boot unit is not enabled");
    assert!(
        m.exists("/etc/systemd/system/multi-user.target.wants/isoguard-watch.service"),
        "the watch unit is not enabled"
    );
    assert!(
        !m.exists("/etc/systemd/system/timers.target.wants/isoguard-scan.timer"),
        "the timer must stay optional (disabled)"
    );
    let key_before = m.read(KEY);

    // The installed agent, with the installed config (policy, key, spool, state), on a
    // recorded machine. Packages carry no fixture builder; this test's own build of the agent
    // makes the tree, inside the machine.
    let t61 = m.path("/var/tmp/isoguard-test/thinkpad-t61");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/thinkpad-t61");
    debian::ok(
        env!("CARGO_BIN_EXE_isoguard"),
        &[
            "fixture",
            "build",
            fixture.to_str().unwrap(),
            "--out",
            t61.to_str().unwrap(),
        ],
    );
    let t61 = m.inside(&t61);
    let scan_t61 = || {
        m.run(&[
            "/usr/bin/isoguard",
            "-q",
            "scan",
            "--root",
            &t61,
            "--trigger",
            "manual",
        ])
    };
    let scan = scan_t61();
    assert_eq!(
        scan.status.code(),
        Some(1),
        "the T61 has violations: {}",
        text(&scan)
    );
    let spooled = m.findings(OUTBOX);
    assert_eq!(spooled.len(), 1, "{spooled:?}");
    let first = &spooled[0];
    let verified = m.ok(&[
        "/usr/bin/isoguard",
        "verify",
        "--key",
        PUB,
        &m.inside(first),
    ]);
    assert!(verified.starts_with("OK "), "{verified}");
    assert!(
        verified.contains("verdict violation sequence 1 policy classified"),
        "{verified}"
    );
    let finding = payload(first);
    assert_eq!(finding["trigger"], "manual");
    assert_eq!(finding["host"]["hostname"], "t61");

    // The installed collector takes that finding in.
    let installed = m.ok(&["dpkg", "-i", &collector_deb]);
    assert!(m.user_exists(COLLECTOR_USER), "{installed}");
    assert!(!installed.contains("Warning"), "{installed}");
    let inbox = format!("{COLLECTOR_LIB}/inbox");
    assert_eq!(m.mode(&inbox), 0o2770);
    assert!(m.path(COLLECTOR_TRUST).is_dir());
    for page in [
        "/usr/share/man/man1/isoguard-collector.1",
        "/usr/share/man/man1/isoguard-collector-report.1",
        "/usr/share/man/zh_CN/man1/isoguard-collector.1",
        "/usr/share/bash-completion/completions/isoguard-collector",
        "/usr/share/zsh/vendor-completions/_isoguard-collector",
        "/usr/share/fish/vendor_completions.d/isoguard-collector.fish",
    ] {
        assert!(m.is_file(page), "{page} not installed");
    }
    // The agent's pages are the agent package's: the collector must not bring them along.
    let listed = String::from_utf8(m.read("/var/lib/dpkg/info/isoguard-collector.list")).unwrap();
    assert!(
        !listed
            .lines()
            .any(|l| l == "/usr/share/man/man1/isoguard-scan.1"),
        "{listed}"
    );
    assert!(
        !m.exists("/etc/systemd/system/multi-user.target.wants/isoguard-collector.service"),
        "the collector service must wait for enrolment (not enabled at install)"
    );
    let machine_id = finding["host"]["machine_id"].as_str().unwrap().to_string();
    m.ok(&[
        "/usr/bin/isoguard-collector",
        "enroll",
        "--trust",
        COLLECTOR_TRUST,
        &machine_id,
        PUB,
    ]);
    let delivered = m.path(&inbox).join(first.file_name().unwrap());
    std::fs::copy(first, &delivered).unwrap();
    let db = format!("{COLLECTOR_LIB}/findings.db");
    // As the service runs it (same user, same flags less --watch).
    let collected = m.ok(&[
        "runuser",
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
    ]);
    assert!(
        !delivered.exists(),
        "the finding stayed in the inbox: {collected}"
    );
    assert!(m.is_file(&db), "{collected}");
    let rejected = format!("{inbox}/rejected");
    assert!(
        !m.exists(&rejected) || m.findings(&rejected).is_empty(),
        "the finding was rejected: {collected}"
    );

    // Every installed unit passes systemd-analyze verify, run by the machine's own systemd
    // (binaries present; the minimal tree has no man, so man pages are checked above).
    let verify = m.run(&[
        "systemd-analyze",
        "verify",
        "--man=no",
        "/usr/lib/systemd/system/isoguard-boot.service",
        "/usr/lib/systemd/system/isoguard-scan.service",
        "/usr/lib/systemd/system/isoguard-scan.timer",
        "/usr/lib/systemd/system/isoguard-watch.service",
        "/usr/lib/systemd/system/isoguard-collector.service",
    ]);
    assert!(
        verify.status.success() && said_inside(&verify).trim().is_empty(),
        "systemd-analyze verify: {}",
        text(&verify)
    );

    // Remove: the binary goes; key, config, findings and chain state stay.
    m.ok(&["dpkg", "-r", "isoguard"]);
    assert!(!m.exists("/usr/bin/isoguard"));
    assert!(!m.exists("/usr/lib/systemd/system/isoguard-boot.service"));
    assert_eq!(m.read(KEY), key_before, "key changed on remove");
    assert!(m.is_file(PUB));
    assert!(m.is_file("/etc/isoguard/config.toml"));
    assert_eq!(m.findings(OUTBOX), spooled);
    let chains: Vec<_> = std::fs::read_dir(m.path(STATE))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("chain-"))
        .collect();
    assert_eq!(chains.len(), 1, "one chain state for this machine and key");

    // Reinstall: the same key (never regenerated), the chain continues.
    let reinstalled = m.ok(&["dpkg", "-i", &agent_deb]);
    assert!(
        !reinstalled.contains("wrote /etc/isoguard/host.key"),
        "{reinstalled}"
    );
    assert_eq!(m.read(KEY), key_before, "key replaced on reinstall");
    let scan = scan_t61();
    assert_eq!(scan.status.code(), Some(1), "{}", text(&scan));
    let spooled = m.findings(OUTBOX);
    assert_eq!(spooled.len(), 2, "{spooled:?}");
    assert_eq!(payload(&spooled[1])["sequence"], 2);

    // Purge: config and the package's own key (and its chain state) go; findings stay.
    let purged = m.ok(&["dpkg", "--purge", "isoguard"]);
    assert!(
        purged.contains("deleted the host key this package generated"),
        "{purged}"
    );
    assert!(purged.contains("kept the findings"), "{purged}");
    assert!(!m.exists("/etc/isoguard"), "{purged}");
    assert!(!m.exists(STATE));
    assert_eq!(
        m.findings(OUTBOX),
        spooled,
        "purge deleted uncollected findings"
    );
    let status = m.package_status("isoguard");
    assert!(
        !status.contains("installed") || status.contains("not-installed"),
        "{status}"
    );
    assert!(!m.exists(wants), "enable symlink left after purge");

    // A key the site provided is never deleted, even by a purge.
    std::fs::create_dir_all(m.path("/etc/isoguard")).unwrap();
    debian::ok(
        env!("CARGO_BIN_EXE_isoguard"),
        &["keygen", "--out", m.path(KEY).to_str().unwrap()],
    );
    let site_key = m.read(KEY);
    let installed = m.ok(&["dpkg", "-i", &agent_deb]);
    assert!(
        !installed.contains("wrote /etc/isoguard/host.key"),
        "{installed}"
    );
    let purged = m.ok(&["dpkg", "--purge", "isoguard"]);
    assert!(purged.contains("kept /etc/isoguard/host.key"), "{purged}");
    assert_eq!(m.read(KEY), site_key);

    // The collector's purge keeps the security office's records.
    m.ok(&["dpkg", "--purge", "isoguard-collector"]);
    assert!(!m.exists("/usr/bin/isoguard-collector"));
    assert!(m.is_file(&db), "purge deleted the findings database");
    assert!(m.is_file(&format!("{COLLECTOR_TRUST}/{machine_id}.pub")));
}
