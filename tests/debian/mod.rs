//! A Debian tree to install packages into and boot, shared by the boot and packaging tests:
//! a minimal bookworm (debootstrap minbase with systemd, udev, dbus, systemd-resolved and
//! NetworkManager) cached as a tarball under /var/cache/isoguard-test/, keyed by suite,
//! package list and mirror, so only the first run downloads anything (from the Debian mirror
//! apt uses here); each test unpacks a fresh copy into its own scratch folder and runs
//! commands in it with systemd-nspawn (no network inside). Nothing on this machine outside
//! the cache and the target folder is changed, so a machine that has isoguard installed, or
//! its folders from an earlier run, does not matter.

// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const SUITE: &str = "bookworm";
/// systemd-resolved and NetworkManager because desktops have them: resolved turns
/// /etc/resolv.conf into a link to its stub file, which the agent must follow. libpam-systemd
/// provides the `default-logind` NetworkManager's polkitd needs (debootstrap does not resolve
/// virtual packages).
pub const INCLUDE: &str =
    "systemd,systemd-sysv,dbus,udev,libpam-systemd,systemd-resolved,network-manager";
pub const CACHE_DIR: &str = "/var/cache/isoguard-test";
pub const FALLBACK_MIRROR: &str = "http://deb.debian.org/debian";
/// The cached tree is made once per test process, whichever test gets there first.
static CACHE: Mutex<()> = Mutex::new(());

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

pub fn require_root() {
    assert!(
        is_root(),
        "this test needs root (debootstrap, systemd-nspawn, dpkg in a container)"
    );
}

pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("{program}: {e} (is it installed? .ci/install-test-deps installs it)")
        })
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs and requires success; returns stdout and stderr together.
pub fn ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(out.status.success(), "{program} {args:?}: {}", text(&out));
    text(&out)
}

/// A command inside the (not booted) tree, without network; requires success.
pub fn in_tree(tree: &Path, args: &[&str]) -> String {
    let out = in_tree_output(tree, args);
    assert!(
        out.status.success(),
        "in {}: {args:?}: {}",
        tree.display(),
        text(&out)
    );
    text(&out)
}

/// What the command inside said, without what systemd-nspawn itself adds on leaving (a
/// notice about its propagation folder on some hosts).
pub fn said_inside(out: &Output) -> String {
    text(out)
        .lines()
        .filter(|l| {
            !l.starts_with("Attempted to remove disk file system under \"/run/systemd/nspawn/")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A command inside the (not booted) tree, without network, whatever its exit status.
pub fn in_tree_output(tree: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "-D",
        tree.to_str().unwrap(),
        "--register=no",
        "--keep-unit",
        "--private-network",
        "--quiet",
    ];
    all.extend(args);
    run("systemd-nspawn", &all)
}

pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

pub fn cargo_in_repo(args: &[&str]) -> String {
    let out = Command::new(cargo())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn last_line_ending(output: &str, suffix: &str) -> PathBuf {
    let path = output
        .lines()
        .rev()
        .find(|l| l.trim().ends_with(suffix))
        .map(|l| PathBuf::from(l.trim()))
        .unwrap_or_else(|| panic!("no {suffix} path in: {output}"));
    assert!(path.is_file(), "{}", path.display());
    path
}

/// The Debian mirror apt uses on this machine for the suite (so the test reaches no other
/// host), or deb.debian.org. ISOGUARD_DEBIAN_MIRROR overrides.
pub fn mirror() -> String {
    if let Ok(m) = std::env::var("ISOGUARD_DEBIAN_MIRROR") {
        return m;
    }
    let mut sources = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(entries) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        more.sort();
        sources.extend(more);
    }
    for path in sources {
        let Ok(body) = std::fs::read_to_string(&path) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "sources") {
            // deb822: stanzas separated by blank lines.
            for stanza in body.split("\n\n") {
                let field = |name: &str| {
                    stanza
                        .lines()
                        .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
                };
                let suites = field("Suites:").unwrap_or_default();
                let uris = field("URIs:").unwrap_or_default();
                if suites.split_whitespace().any(|s| s == SUITE) {
                    if let Some(uri) = uris.split_whitespace().find(|u| u.ends_with("/debian")) {
                        return uri.to_string();
                    }
                }
            }
        } else {
            for line in body.lines() {
                let words: Vec<&str> = line
                    .split_whitespace()
                    .filter(|w| !w.starts_with('['))
                    .collect();
                if words.len() >= 3
                    && words[0] == "deb"
                    && words[2] == SUITE
                    && words[1].ends_with("/debian")
                {
                    return words[1].to_string();
                }
            }
        }
    }
    FALLBACK_MIRROR.to_string()
}

/// Unpacks a fresh copy of the cached tree into `dest`, debootstrapping it first when the
/// cache has none for this suite, package list and mirror.
pub fn fresh_tree(dest: &Path) {
    let mirror = mirror();
    let key = Sha256::digest(format!("{SUITE} minbase {INCLUDE} {mirror}").as_bytes());
    let key: String = key.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let tarball = Path::new(CACHE_DIR).join(format!("debootstrap-{SUITE}-minbase-{key}.tar"));
    {
        let _guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if !tarball.is_file() {
            std::fs::create_dir_all(CACHE_DIR).unwrap();
            let work = Path::new(CACHE_DIR).join(format!("build-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&work);
            let started = Instant::now();
            ok(
                "debootstrap",
                &[
                    "--variant=minbase",
                    &format!("--include={INCLUDE}"),
                    SUITE,
                    work.to_str().unwrap(),
                    &mirror,
                ],
            );
            eprintln!(
                "debootstrap {SUITE} from {mirror}: {:.0} s",
                started.elapsed().as_secs_f64()
            );
            let partial = tarball.with_extension(format!("tar.partial-{}", std::process::id()));
            ok(
                "tar",
                &[
                    "--numeric-owner",
                    "-C",
                    work.to_str().unwrap(),
                    "-cf",
                    partial.to_str().unwrap(),
                    ".",
                ],
            );
            std::fs::rename(&partial, &tarball).unwrap();
            let _ = run("rm", &["-rf", "--one-file-system", work.to_str().unwrap()]);
        }
    }
    std::fs::create_dir_all(dest).unwrap();
    ok(
        "tar",
        &[
            "--numeric-owner",
            "-C",
            dest.to_str().unwrap(),
            "-xpf",
            tarball.to_str().unwrap(),
        ],
    );
}

/// A scratch folder under the target folder, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{name}-{}", std::process::id()));
        let _ = run("rm", &["-rf", "--one-file-system", dir.to_str().unwrap()]);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = run(
            "rm",
            &["-rf", "--one-file-system", self.0.to_str().unwrap()],
        );
    }
}

pub fn findings(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".finding.json"))
        .collect();
    files.sort();
    files
}

pub fn payload(file: &Path) -> Value {
    let envelope: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
