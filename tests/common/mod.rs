//! Shared helpers for integration tests: build a fixture tree, read it, find devices.
// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

#[cfg(feature = "collector")]
pub mod backends;
pub mod pg_server;

use isoguard::inventory::network::NetInterface;
use isoguard::inventory::storage::BlockDevice;
use isoguard::inventory::usb::UsbDevice;
use isoguard::inventory::Inventory;
use isoguard::platform::linux::fixture::{materialize_temp, Materialized};
use isoguard::platform::linux::HostRoot;

pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn build(name: &str) -> Materialized {
    materialize_temp(&fixture_dir(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Where trees are built: tmpfs when there is one (thousands of small files build in a tenth
/// of a second there, seconds on a disk file system), else the target folder.
fn tree_base() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
    }
}

/// A fixture tree built once per test process and shared by its tests (building the larger
/// recordings takes seconds). Trees live under the target folder and are rebuilt each run.
pub fn tree(name: &str) -> PathBuf {
    static TREES: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let trees = TREES.get_or_init(|| {
        // Trees of earlier runs.
        if let Ok(entries) = std::fs::read_dir(tree_base()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // Only trees whose test process has ended: other test binaries may be running.
                if let Some(pid) = name.strip_prefix("fixture-trees-") {
                    if !Path::new("/proc").join(pid).exists() {
                        let _ = std::fs::remove_dir_all(entry.path());
                    }
                }
            }
        }
        Mutex::new(HashMap::new())
    });
    // A plain root tree (links and all, no recording to build) is used as it is.
    if !fixture_dir(name).join("fixture.toml").is_file() {
        return fixture_dir(name);
    }
    let mut trees = trees.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = trees.get(name) {
        return path.clone();
    }
    let base = tree_base().join(format!("fixture-trees-{}", std::process::id()));
    let out = base.join(name);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&base).unwrap();
    isoguard::platform::linux::fixture::materialize(&fixture_dir(name), &out)
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    trees.insert(name.to_string(), out.clone());
    out
}

pub fn inventory(name: &str) -> Inventory {
    isoguard::platform::collect(&HostRoot::at(tree(name)))
}

pub fn disk<'a>(inv: &'a Inventory, name: &str) -> &'a BlockDevice {
    inv.storage
        .devices
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no block device {name}"))
}

pub fn iface<'a>(inv: &'a Inventory, name: &str) -> &'a NetInterface {
    inv.network
        .interfaces
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no interface {name}"))
}

pub fn usb<'a>(inv: &'a Inventory, vid_pid: &str) -> &'a UsbDevice {
    inv.usb
        .devices
        .iter()
        .find(|u| {
            format!(
                "{}:{}",
                u.vendor_id.as_deref().unwrap_or(""),
                u.product_id.as_deref().unwrap_or("")
            ) == vid_pid
        })
        .unwrap_or_else(|| panic!("no USB device {vid_pid}"))
}

/// Names of block devices that the removable-storage rule would count, sorted.
pub fn removable_names(inv: &Inventory) -> Vec<String> {
    let settings = isoguard::policy::checks::removable_storage::Settings {
        mode: isoguard::policy::checks::Mode::Forbid,
        include_optical: true,
    };
    let mut names: Vec<String> = inv
        .storage
        .devices
        .iter()
        .filter(|d| settings.is_removable(d))
        .map(|d| d.name.clone())
        .collect();
    names.sort();
    names
}

pub fn kinds(inv: &Inventory) -> Vec<(String, String)> {
    inv.network
        .interfaces
        .iter()
        .map(|i| (i.name.clone(), i.kind.as_str().to_string()))
        .collect()
}

pub fn radio_names(list: &[isoguard::inventory::wireless::Radio]) -> Vec<String> {
    list.iter().map(|r| r.name.clone()).collect()
}

/// A scratch folder under the target folder, unique to this test binary and name, removed
/// when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_default();
        // Numbered too: one scenario run on two backends at once asks for the same name.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{binary}-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// A sub-folder, created.
    pub fn dir(&self, name: &str) -> PathBuf {
        let dir = self.path(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Names of the plain entries of a folder (not its subfolders), sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The agent binary with a fixed, non-Chinese locale and no standard input.
pub fn agent() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_isoguard"));
    cmd.stdin(std::process::Stdio::null())
        .env("LANG", "C")
        .env_remove("LC_ALL");
    cmd
}

/// The collector binary, like [`agent`].
#[cfg(feature = "collector")]
pub fn collector() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_isoguard-collector"));
    cmd.stdin(std::process::Stdio::null())
        .env("LANG", "C")
        .env_remove("LC_ALL");
    cmd
}

/// A finished command's exit status and both outputs, for assertion messages.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The machine id a recorded machine's `etc/machine-id` gives.
pub fn machine_id(fixture: &str) -> String {
    std::fs::read_to_string(fixture_dir(fixture).join("etc/machine-id"))
        .unwrap()
        .trim()
        .to_string()
}

/// Starts `collect` and SIGKILLs it as soon as the first file reached `archive` (the first
/// batch committed); returns how many files were archived then. Fails if the collector
/// finished first or made no progress in two minutes.
pub fn kill_after_first_archived(collect: &mut std::process::Command, archive: &Path) -> usize {
    use std::time::{Duration, Instant};
    let mut child = collect
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let archived_at_kill = loop {
        let archived = std::fs::read_dir(archive).map(|d| d.count()).unwrap_or(0);
        if archived >= 1 {
            child.kill().unwrap();
            break archived;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the collector finished before it could be killed"
        );
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(2));
    };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    archived_at_kill
}

/// Runs a prepared command to completion.
pub fn run(cmd: &mut std::process::Command) -> std::process::Output {
    cmd.output().expect("run a binary")
}

/// The chain state files in a state folder (`chain-<machine>-<keyid>.json`).
pub fn chain_files(state: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(state)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("chain-") && n.ends_with(".json"))
        })
        .collect();
    found.sort();
    found
}

/// Whether this process runs as root (network namespaces, package and container tests).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Fails the test, saying why, when it cannot run here: a test that cannot check what it
/// claims must not pass.
pub fn require_root(what: &str) {
    assert!(
        is_root(),
        "{what} need root (CI runs the tests as root); run the tests as root"
    );
}

/// Fails the test when a command it relies on is missing.
pub fn require_command(program: &str, args: &[&str], package: &str) {
    let found = std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{program}` is needed and not installed (Debian package {package}; .ci/install-test-deps installs it)"
    );
}

/// Runs a command that must succeed (setting up a namespace, a device, a route).
pub fn sh(args: &[&str]) {
    let out = std::process::Command::new(args[0])
        .args(&args[1..])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", args[0]));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
