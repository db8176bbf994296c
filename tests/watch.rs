//! `isoguard watch` end to end, with real kernel events: the watcher runs inside a network
//! namespace the test makes (`ip netns exec`), the test creates and deletes veth devices and
//! routes there, and reads the signed findings the watcher leaves in its spool, verified with
//! the project's own DSSE verifier. Every address belongs to the test's own veth ends inside
//! the namespace; no packet is sent anywhere. The namespace, its /etc/netns entry and the
//! watcher are removed when the test ends, pass or fail (a Drop guard).
//!
//! Needs root and iproute2 (CI has both): without them each test fails, saying why.

// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use isoguard::finding::{dsse, keys};
use serde_json::Value;

mod common;

static NEXT: AtomicU32 = AtomicU32::new(1);

/// How long a finding may take to appear (the watcher answers in milliseconds; CI is slow).
const PATIENCE: Duration = Duration::from_secs(20);

fn require_lab() {
    common::require_root("watch tests (network namespaces)");
    common::require_command("ip", &["-V"], "iproute2");
}

use common::sh;

/// A namespace with a watcher in it; removed on drop.
struct Watched {
    ns: String,
    tag: String,
    dir: PathBuf,
    watcher: Option<Child>,
    lines: mpsc::Receiver<String>,
    public: keys::TrustedKeys,
}

impl Watched {
    fn start(extra: &[&str]) -> Watched {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id() % 100_000;
        let ns = format!("igwatch{pid}x{n}");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("watch-{pid}-{n}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        sh(&["ip", "netns", "add", &ns]);
        // From here on the guard owns the namespace, whatever fails next.
        let (tx, lines) = mpsc::channel();
        let mut watched = Watched {
            ns,
            tag: format!("w{n}"),
            dir,
            watcher: None,
            lines,
            public: keys::TrustedKeys::from_keys(vec![]).unwrap(),
        };
        // `ip netns exec` puts /etc/netns/NAME/resolv.conf over /etc/resolv.conf: the
        // watcher sees no resolver of the machine the test runs on.
        std::fs::create_dir_all(format!("/etc/netns/{}", watched.ns)).unwrap();
        std::fs::write(
            format!("/etc/netns/{}/resolv.conf", watched.ns),
            "# no resolvers\n",
        )
        .unwrap();
        let key = watched.dir.join("host.key");
        let out = common::run(common::agent().arg("keygen").arg("--out").arg(&key));
        assert!(out.status.success(), "{}", common::stderr(&out));
        let public = keys::load_public_key(&watched.dir.join("host.key.pub")).unwrap();
        watched.public = keys::TrustedKeys::from_keys(vec![("ws".into(), public)]).unwrap();
        std::fs::write(watched.dir.join("config.toml"), "").unwrap();
        watched.exec(&["ip", "link", "set", "lo", "up"]);
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &watched.ns,
                env!("CARGO_BIN_EXE_isoguard"),
                "watch",
            ])
            .arg("--key")
            .arg(&key)
            .arg("--spool")
            .arg(watched.dir.join("spool"))
            .arg("--state")
            .arg(watched.dir.join("state"))
            .arg("--config")
            .arg(watched.dir.join("config.toml"))
            .args(extra)
            .env("LANG", "C")
            .env_remove("LC_ALL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        watched.watcher = Some(child);
        watched.expect_line("watching for device and network changes");
        watched
    }

    fn exec(&self, args: &[&str]) {
        let mut all = vec!["ip", "netns", "exec", &self.ns];
        all.extend_from_slice(args);
        sh(&all);
    }

    /// A veth pair, both ends up, `10.231.NET.1/24` on the first and a default route via
    /// `.2` on it: a path out. Returns the first end's name.
    fn route_out(&self, first: &str, second: &str, net: u8) -> String {
        let (a, b) = (self.name(first), self.name(second));
        self.exec(&["ip", "link", "add", &a, "type", "veth", "peer", "name", &b]);
        self.exec(&["ip", "link", "set", &a, "up"]);
        self.exec(&["ip", "link", "set", &b, "up"]);
        self.exec(&[
            "ip",
            "addr",
            "add",
            &format!("10.231.{net}.1/24"),
            "dev",
            &a,
        ]);
        let gateway = format!("10.231.{net}.2");
        self.exec(&["ip", "route", "add", "default", "via", &gateway, "dev", &a]);
        a
    }

    fn name(&self, what: &str) -> String {
        format!("{what}{}", self.tag)
    }

    fn expect_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => panic!("the watcher never logged {needle:?}"),
            }
        }
    }

    fn spool_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("spool"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".finding.json"))
            .collect();
        files.sort();
        files
    }

    /// Waits for finding number `count` (1-based) and returns its verified payload.
    fn finding(&self, count: usize) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let files = self.spool_files();
            if files.len() >= count {
                let bytes = std::fs::read(&files[count - 1]).unwrap();
                let verified = dsse::verify(&bytes, &self.public).expect("finding verifies");
                return serde_json::from_slice(&verified.payload).unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "finding {count} never appeared ({} in the spool)",
                files.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The first finding (in spool order) that `wanted` accepts.
    fn finding_where(&self, wanted: impl Fn(&Value) -> bool) -> Value {
        let mut n = 1;
        loop {
            let f = self.finding(n);
            if wanted(&f) {
                return f;
            }
            n += 1;
        }
    }

    fn stop(&mut self) -> std::process::ExitStatus {
        let child = self.watcher.as_mut().unwrap();
        // `ip netns exec` execs the watcher: the child's pid is the watcher's.
        sh(&["kill", "-TERM", &child.id().to_string()]);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.watcher = None;
                return status;
            }
            assert!(Instant::now() < deadline, "the watcher ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Some(child) = &mut self.watcher {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.ns])
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.ns));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn failing_details(finding: &Value) -> Vec<String> {
    finding["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .flat_map(|r| r["evidence"].as_array().unwrap().clone())
        .map(|e| e["detail"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn events_name(finding: &Value, name: &str) -> bool {
    finding["events"]
        .as_array()
        .is_some_and(|events| events.iter().any(|e| e["name"] == name))
}

#[test]
fn a_route_out_is_a_signed_violation_and_removing_it_is_compliant_again() {
    require_lab();
    let mut w = Watched::start(&[]);
    let a = w.route_out("va", "vb", 90);
    // Findings appear as the machine changes; wait for the one with the route.
    let mut n = 1;
    let violation = loop {
        let f = w.finding(n);
        if failing_details(&f)
            .iter()
            .any(|d| d.contains("default route"))
        {
            break f;
        }
        n += 1;
    };
    assert_eq!(violation["verdict"], "violation", "{violation}");
    assert!(
        matches!(violation["trigger"].as_str(), Some("network-change")),
        "{}",
        violation["trigger"]
    );
    assert!(
        failing_details(&violation).iter().any(|d| d.contains(&a)),
        "the route's interface is named: {:?}",
        failing_details(&violation)
    );
    assert!(violation["events"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));

    w.exec(&["ip", "link", "del", &a]);
    let compliant = loop {
        n += 1;
        let f = w.finding(n);
        // Other tests' block devices reach every namespace: wait for this change's finding.
        if f["verdict"] == "compliant" && events_name(&f, &a) {
            break f;
        }
    };
    // One chain: each finding names the previous one.
    assert_eq!(compliant["sequence"].as_u64().unwrap(), n as u64);
    assert!(compliant["previous"].is_string());

    let status = w.stop();
    assert_eq!(status.code(), Some(0), "clean exit on SIGTERM");
    w.expect_line("stopped");
    // The scan lock is free again: a scan sharing the state folder runs at once.
    let started = Instant::now();
    let out = common::run(
        common::agent()
            .args(["scan", "--format", "json", "--config"])
            .arg(w.dir.join("config.toml"))
            .arg("--key")
            .arg(w.dir.join("host.key"))
            .arg("--spool")
            .arg(w.dir.join("spool"))
            .arg("--state")
            .arg(w.dir.join("state")),
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        common::stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_device_that_comes_and_goes_within_the_debounce_window_is_recorded() {
    require_lab();
    // A long window so both changes surely fall in it.
    let mut w = Watched::start(&["--debounce-ms", "1500"]);
    let (a, b) = (w.name("ta"), w.name("tb"));
    w.exec(&["ip", "link", "add", &a, "type", "veth", "peer", "name", &b]);
    w.exec(&["ip", "link", "del", &a]);
    // Other tests' block devices reach every namespace: look for this test's finding.
    let f = w.finding_where(|f| events_name(f, &a));
    assert_eq!(f["verdict"], "compliant", "{f}");
    let events = f["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["name"] == a.as_str() && e["transient"] == true),
        "{events:?}"
    );
    assert_eq!(w.stop().code(), Some(0));
}

/// A zram device made and removed again (`/sys/class/zram-control`): block uevents, which
/// reach every network namespace. The watcher records it as a transient device, trigger
/// `hotplug`. The device is removed by a guard even if the test fails.
#[test]
fn a_block_device_that_comes_and_goes_is_a_hotplug_finding() {
    require_lab();
    let control = Path::new("/sys/class/zram-control");
    assert!(
        control.join("hot_add").exists(),
        "this kernel has no zram-control (CONFIG_ZRAM): the block-event test cannot run"
    );
    struct Zram(String);
    impl Drop for Zram {
        fn drop(&mut self) {
            let _ = std::fs::write("/sys/class/zram-control/hot_remove", &self.0);
        }
    }
    let mut w = Watched::start(&["--debounce-ms", "1500"]);
    let id = std::fs::read_to_string(control.join("hot_add")).unwrap();
    let zram = Zram(id.trim().to_string());
    std::fs::write(control.join("hot_remove"), &zram.0).unwrap();
    let name = format!("zram{}", zram.0);
    let f = w.finding_where(|f| {
        f["events"].as_array().is_some_and(|events| {
            events
                .iter()
                .any(|e| e["device"].as_str().is_some_and(|d| d.ends_with(&name)))
        })
    });
    assert_eq!(f["trigger"], "hotplug", "{f}");
    let events = f["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["subsystem"] == "block"
            && e["device"].as_str().is_some_and(|d| d.ends_with(&name))
            && e["transient"] == true),
        "{events:?}"
    );
    assert_eq!(w.stop().code(), Some(0));
}

/// Lost messages are never a silent miss: with a tiny receive buffer and the watcher held on
/// the scan lock (the test holds it, as a long boot scan would), a burst of address changes
/// overflows the socket; once the lock is free the watcher re-reads everything and records
/// an `overflow` event.
#[test]
fn lost_netlink_messages_are_recorded_and_answered_with_a_full_reread() {
    require_lab();
    let mut w = Watched::start(&["--receive-buffer", "1"]);
    let state = w.dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(state.join("scan.lock"))
        .unwrap();
    lock.lock().unwrap();
    let (a, b) = (w.name("oa"), w.name("ob"));
    // A change that needs a finding: the watcher now waits for the lock.
    w.exec(&["ip", "link", "add", &a, "type", "veth", "peer", "name", &b]);
    w.exec(&["ip", "link", "set", &a, "up"]);
    w.exec(&["ip", "addr", "add", "10.231.92.1/24", "dev", &a]);
    w.exec(&[
        "ip",
        "route",
        "add",
        "default",
        "via",
        "10.231.92.2",
        "dev",
        &a,
    ]);
    std::thread::sleep(Duration::from_millis(300));
    // Hundreds of notifications while nobody reads: far more than a tiny buffer holds.
    let batch = w.dir.join("burst.ip");
    let lines: String = (1..=250)
        .map(|i| format!("addr add 10.231.93.{i}/32 dev lo\n"))
        .collect();
    std::fs::write(&batch, lines).unwrap();
    w.exec(&["ip", "-batch", batch.to_str().unwrap()]);
    drop(lock);
    let f = w.finding_where(|f| {
        f["events"]
            .as_array()
            .is_some_and(|events| events.iter().any(|e| e["source"] == "overflow"))
    });
    w.expect_line("the kernel dropped events");
    assert_eq!(
        f["verdict"], "violation",
        "the full re-read still sees the route: {f}"
    );
    assert_eq!(w.stop().code(), Some(0));
}

/// Enforcement on the real kernel: a site that asks for it (`enforce = true` and
/// `enforce_interface_down = true` on external-network) has the interface with the route out
/// taken down; the finding records the action, and the next one is compliant again.
#[test]
fn an_enforced_external_network_rule_takes_the_interface_down() {
    require_lab();
    let site = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("watch-site-{}.toml", std::process::id()));
    std::fs::write(
        &site,
        "[[rule]]\nid = \"external-network\"\nenforce = true\nenforce_interface_down = true\n",
    )
    .unwrap();
    let mut w = Watched::start(&["--override", site.to_str().unwrap()]);
    let a = w.route_out("ea", "eb", 94);
    let acted = w.finding_where(|f| {
        f["actions"]
            .as_array()
            .is_some_and(|actions| actions.iter().any(|x| x["device"] == a.as_str()))
    });
    let action = acted["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["device"] == a.as_str())
        .unwrap()
        .clone();
    assert_eq!(action["action"], "link-down", "{action}");
    assert_eq!(action["result"], "done", "{action}");
    assert_eq!(action["rule"], "external-network", "{action}");
    w.expect_line("link-down");
    let _ = std::fs::remove_file(&site);
    // Down, the interface no longer carries the route out.
    w.finding_where(|f| f["verdict"] == "compliant");
    let out = Command::new("ip")
        .args(["netns", "exec", &w.ns, "ip", "-o", "link", "show", &a])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!shown.contains(",UP"), "{shown}");
    assert_eq!(w.stop().code(), Some(0));
}
