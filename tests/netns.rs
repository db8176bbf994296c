//! Outbound connectivity (违规外联) with real sockets, in network namespaces the test makes.
//!
//! Each test builds a "workstation" namespace and an "outside" namespace joined by a veth
//! pair, starts listeners in "outside", and runs the real `isoguard scan` inside
//! "workstation" with `ip netns exec`. Traffic never leaves these namespaces: every address
//! used here is assigned by the test to one of its own veth ends. Namespaces, /etc/netns
//! entries and listener processes are removed when the test ends, pass or fail.
//!
//! Needs root and iproute2 (CI has both); elsewhere each test says why it skips.

// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use serde_json::Value;

mod common;

static NEXT: AtomicU32 = AtomicU32::new(1);

/// These tests make network namespaces: they need root and iproute2, and fail without them.
fn require_lab() {
    common::require_root("network-namespace tests");
    common::require_command("ip", &["-V"], "iproute2");
}

use common::sh;

/// Two namespaces and a veth pair; everything is torn down on drop.
struct Lab {
    ws: String,
    out: String,
    n: u32,
    children: Vec<Child>,
    dir: PathBuf,
}

impl Lab {
    /// `ws_addr`/`out_addr` are the two ends' addresses (same /24 unless a test wants no route).
    fn new(ws_net: &str, out_net: &str) -> Lab {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id() % 100_000;
        let lab = Lab {
            ws: format!("igws{pid}x{n}"),
            out: format!("igout{pid}x{n}"),
            n,
            children: Vec::new(),
            dir: Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("netns-{pid}-{n}")),
        };
        let _ = std::fs::remove_dir_all(&lab.dir);
        std::fs::create_dir_all(&lab.dir).unwrap();
        sh(&["ip", "netns", "add", &lab.ws]);
        sh(&["ip", "netns", "add", &lab.out]);
        let (vw, vo) = (lab.vw(), format!("igo{pid}x{n}"));
        sh(&[
            "ip", "link", "add", &vw, "netns", &lab.ws, "type", "veth", "peer", "name", &vo,
            "netns", &lab.out,
        ]);
        lab.exec_ok(&lab.ws, &["ip", "link", "set", "lo", "up"]);
        lab.exec_ok(&lab.out, &["ip", "link", "set", "lo", "up"]);
        lab.exec_ok(
            &lab.ws,
            &["ip", "addr", "add", &format!("{ws_net}.1/24"), "dev", &vw],
        );
        lab.exec_ok(
            &lab.out,
            &["ip", "addr", "add", &format!("{out_net}.2/24"), "dev", &vo],
        );
        lab.exec_ok(&lab.ws, &["ip", "link", "set", &vw, "up"]);
        lab.exec_ok(&lab.out, &["ip", "link", "set", &vo, "up"]);
        // `ip netns exec` puts /etc/netns/NAME/resolv.conf over /etc/resolv.conf, so the
        // scan inside sees no resolver of the host it runs on.
        std::fs::create_dir_all(format!("/etc/netns/{}", lab.ws)).unwrap();
        std::fs::write(
            format!("/etc/netns/{}/resolv.conf", lab.ws),
            "# no resolvers\n",
        )
        .unwrap();
        lab
    }

    fn vw(&self) -> String {
        format!("igw{}x{}", std::process::id() % 100_000, self.n)
    }

    fn exec_ok(&self, ns: &str, args: &[&str]) {
        let mut full = vec!["ip", "netns", "exec", ns];
        full.extend_from_slice(args);
        sh(&full);
    }

    /// Starts a small server in "outside" and waits until it listens.
    fn serve(&mut self, script: &str, args: &[&str]) {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.out, "python3", "-c", script])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "READY", "listener did not start");
        self.children.push(child);
    }

    fn policy(&self, settings: &str) -> PathBuf {
        let path = self.dir.join("policy.toml");
        std::fs::write(
            &path,
            format!(
                "[policy]\nid = \"netns-test\"\nversion = \"1\"\ntitle = {{ zh = \"测试\", en = \"test\" }}\n\n\
                 [[rule]]\nid = \"external-network\"\nseverity = \"critical\"\n\
                 title = {{ zh = \"禁止违规外联\", en = \"No outside connection\" }}\n\
                 remediation = {{ zh = \"断开\", en = \"Disconnect\" }}\n[rule.settings]\n{settings}\n"
            ),
        )
        .unwrap();
        path
    }

    /// Runs the scan inside "workstation"; returns (exit code, finding, wall time).
    fn scan(&self, policy: &Path) -> (i32, Value, std::time::Duration) {
        let started = Instant::now();
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ws,
                env!("CARGO_BIN_EXE_isoguard"),
                "scan",
                "--format",
                "json",
                "--policy",
            ])
            .arg(policy)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let elapsed = started.elapsed();
        let finding: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), finding, elapsed)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in [&self.ws, &self.out] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.ws));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Accepts TCP connections (and answers HTTP/1.0) on the given ports; answers DNS queries on
/// UDP with a minimal response. Prints READY once every socket listens.
const SERVER: &str = r#"
import socket, sys, threading
host = sys.argv[1]
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(16)
    return s
def serve_tcp(s):
    while True:
        c, _ = s.accept()
        try:
            c.settimeout(1); c.recv(1024)
            c.sendall(b"HTTP/1.0 204 No Content\r\n\r\n")
        except Exception:
            pass
        c.close()
def serve_dns(u):
    while True:
        q, a = u.recvfrom(512)
        u.sendto(q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x00\x00\x00\x00\x00" + q[12:], a)
socks = [tcp(int(p)) for p in sys.argv[2].split(",")]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((host, int(sys.argv[3])))
for s in socks: threading.Thread(target=serve_tcp, args=(s,), daemon=True).start()
threading.Thread(target=serve_dns, args=(u,), daemon=True).start()
print("READY", flush=True)
threading.Event().wait()
"#;

fn rule(f: &Value) -> &Value {
    &f["results"][0]
}

fn probe_statuses(f: &Value) -> Vec<(String, String)> {
    f["probes"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn reachable_listener_fails_with_the_target_in_the_evidence() {
    require_lab();
    let mut lab = Lab::new("10.231.1", "10.231.1");
    lab.serve(SERVER, &["10.231.1.2", "8080,8088", "5353"]);
    let policy = lab.policy(
        "check_dns = false\nprobes = [\"tcp://10.231.1.2:8080\", \"http://10.231.1.2:8088/health\", \"dns://10.231.1.2:5353/monitor.test\"]\nprobe_deadline_ms = 2000",
    );
    let (code, f, _) = lab.scan(&policy);
    assert_eq!(code, 1, "{f}");
    assert_eq!(rule(&f)["status"], "fail");
    assert_eq!(
        probe_statuses(&f),
        [
            ("tcp://10.231.1.2:8080".to_string(), "reachable".to_string()),
            (
                "http://10.231.1.2:8088/health".to_string(),
                "reachable".to_string()
            ),
            (
                "dns://10.231.1.2:5353/monitor.test".to_string(),
                "reachable".to_string()
            ),
        ]
    );
    let first = &f["probes"]["results"][0];
    assert_eq!(first["local_address"], "10.231.1.1");
    assert_eq!(first["interface"], lab.vw().as_str());
    assert!(first["latency_ms"].as_u64().is_some());
    let evidence: Vec<&str> = rule(&f)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert!(evidence.contains(&"tcp://10.231.1.2:8080"), "{evidence:?}");
    assert!(f["probes"]["results"][1]["detail"]
        .as_str()
        .unwrap()
        .contains("204"));
}

#[test]
fn refused_connection_proves_a_path() {
    require_lab();
    let lab = Lab::new("10.231.2", "10.231.2");
    // Nothing listens on port 9 in "outside": the kernel there answers with a reset.
    let policy = lab.policy("check_dns = false\nprobes = [\"tcp://10.231.2.2:9\"]");
    let (code, f, _) = lab.scan(&policy);
    assert_eq!(code, 1, "{f}");
    assert_eq!(
        probe_statuses(&f),
        [("tcp://10.231.2.2:9".to_string(), "refused".to_string())]
    );
    assert_eq!(rule(&f)["status"], "fail");
}

#[test]
fn no_route_passes() {
    require_lab();
    // The two ends are on different subnets and "workstation" has no route to "outside".
    let lab = Lab::new("10.231.3", "10.232.3");
    let policy = lab.policy("check_dns = false\nprobes = [\"tcp://10.232.3.2:8080\"]");
    let (code, f, _) = lab.scan(&policy);
    assert_eq!(
        probe_statuses(&f),
        [(
            "tcp://10.232.3.2:8080".to_string(),
            "unreachable".to_string()
        )]
    );
    assert_eq!(rule(&f)["status"], "pass", "{f}");
    assert_eq!(code, 0);
}

#[test]
fn dropped_packets_time_out_within_the_deadline() {
    require_lab();
    let nft = Command::new("nft")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        nft,
        "nftables is required for this test (CI installs it: apt-get install nftables)"
    );
    let mut lab = Lab::new("10.231.4", "10.231.4");
    lab.serve(SERVER, &["10.231.4.2", "8081", "5354"]);
    let out_ns = lab.out.clone();
    lab.exec_ok(&out_ns, &["nft", "add", "table", "inet", "isoguard_test"]);
    lab.exec_ok(&out_ns, &["nft", "add chain inet isoguard_test input { type filter hook input priority 0; policy accept; }"]);
    lab.exec_ok(
        &out_ns,
        &[
            "nft",
            "add",
            "rule",
            "inet",
            "isoguard_test",
            "input",
            "tcp",
            "dport",
            "8081",
            "drop",
        ],
    );
    let deadline_ms = 700;
    let policy = lab.policy(&format!(
        "check_dns = false\nprobes = [\"tcp://10.231.4.2:8081\"]\nprobe_deadline_ms = {deadline_ms}"
    ));
    let (code, f, wall) = lab.scan(&policy);
    assert_eq!(
        probe_statuses(&f),
        [("tcp://10.231.4.2:8081".to_string(), "timeout".to_string())]
    );
    assert_eq!(rule(&f)["status"], "pass", "a timeout proves no path: {f}");
    assert_eq!(code, 0);
    let elapsed = f["probes"]["elapsed_ms"].as_u64().unwrap();
    eprintln!(
        "dropped probe: deadline {deadline_ms} ms, probe round {elapsed} ms, whole scan {} ms",
        wall.as_millis()
    );
    assert!(elapsed + 50 >= deadline_ms, "gave up early: {elapsed} ms");
    assert!(
        elapsed <= deadline_ms + 300,
        "overran the deadline: {elapsed} ms"
    );
}

#[test]
fn default_route_without_probes_is_a_passive_failure() {
    require_lab();
    let lab = Lab::new("10.231.5", "10.231.5");
    let ws = lab.ws.clone();
    lab.exec_ok(&ws, &["ip", "route", "add", "default", "via", "10.231.5.2"]);
    let policy = lab.policy("check_dns = false");
    let (code, f, _) = lab.scan(&policy);
    assert_eq!(code, 1, "{f}");
    let evidence = &rule(&f)["evidence"];
    let route = evidence
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "default-route")
        .expect("default route evidence");
    assert_eq!(route["name"], lab.vw().as_str());
    assert!(route["detail"].as_str().unwrap().contains("via 10.231.5.2"));
    assert!(rule(&f)["message"]
        .as_str()
        .unwrap()
        .starts_with("probes were not configured"));

    // The same machine passes once the policy names its LAN.
    let policy = lab.policy("check_dns = false\nallowed_prefixes = [\"10.231.5.0/24\"]");
    let (code, f, _) = lab.scan(&policy);
    assert_eq!(
        (code, rule(&f)["status"].as_str()),
        (0, Some("pass")),
        "{f}"
    );
}

#[test]
fn resolvers_outside_the_lan_are_a_passive_signal() {
    require_lab();
    let lab = Lab::new("10.231.6", "10.231.6");
    std::fs::write(
        format!("/etc/netns/{}/resolv.conf", lab.ws),
        "nameserver 10.231.6.2\n",
    )
    .unwrap();
    let (code, f, _) = lab.scan(&lab.policy(""));
    assert_eq!(code, 1, "{f}");
    let dns: Vec<&Value> = rule(&f)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "dns-resolver")
        .collect();
    assert_eq!(dns.len(), 1);
    assert_eq!(dns[0]["name"], "10.231.6.2");
    let (code, _, _) = lab.scan(&lab.policy("allowed_prefixes = [\"10.231.6.0/24\"]"));
    assert_eq!(code, 0);
}

/// The routes of `forms`, each in a fresh lab, judged with no probes and no allowed LAN.
fn route_forms_fail(net: &str, forms: &[&[&str]], expect_kind: &str, expect_detail: &str) {
    let lab = Lab::new(net, net);
    let ws = lab.ws.clone();
    for form in forms {
        lab.exec_ok(&ws, form);
    }
    let (code, f, _) = lab.scan(&lab.policy("check_dns = false"));
    assert_eq!(code, 1, "{f}");
    let evidence = rule(&f)["evidence"].as_array().unwrap().clone();
    let found: Vec<(&str, &str)> = evidence
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["detail"].as_str().unwrap()))
        .collect();
    assert!(
        found
            .iter()
            .any(|(k, d)| *k == expect_kind && d.contains(expect_detail)),
        "expected {expect_kind} `{expect_detail}` in {found:?}"
    );
    assert_eq!(f["inventory"]["network"]["route_source"], "netlink");
    // The site's LAN, once named, allows the same routes through its own gateway.
    let (code, f, _) = lab.scan(&lab.policy(&format!(
        "check_dns = false\nallowed_prefixes = [\"{net}.0/24\"]"
    )));
    assert_eq!(
        (code, rule(&f)["status"].as_str()),
        (0, Some("pass")),
        "{f}"
    );
}

#[test]
fn a_split_default_route_like_openvpn_def1_fails() {
    require_lab();
    route_forms_fail(
        "10.231.7",
        &[
            &["ip", "route", "add", "0.0.0.0/1", "via", "10.231.7.2"],
            &["ip", "route", "add", "128.0.0.0/1", "via", "10.231.7.2"],
        ],
        "route",
        "IPv4 route 128.0.0.0/1 via 10.231.7.2 dev",
    );
}

#[test]
fn a_default_route_in_a_table_a_rule_selects_fails() {
    require_lab();
    route_forms_fail(
        "10.231.8",
        &[
            &[
                "ip",
                "route",
                "add",
                "default",
                "via",
                "10.231.8.2",
                "table",
                "100",
            ],
            &["ip", "rule", "add", "from", "all", "lookup", "100"],
        ],
        "route",
        "in table 100 (selected by rule 32765: from all lookup 100)",
    );
}

#[test]
fn a_route_to_one_public_prefix_fails() {
    require_lab();
    route_forms_fail(
        "10.231.9",
        &[&["ip", "route", "add", "8.0.0.0/8", "via", "10.231.9.2"]],
        "route",
        "IPv4 route 8.0.0.0/8 via 10.231.9.2 dev",
    );
}

#[test]
fn a_table_no_rule_selects_is_not_a_path() {
    require_lab();
    let lab = Lab::new("10.231.10", "10.231.10");
    let ws = lab.ws.clone();
    lab.exec_ok(
        &ws,
        &[
            "ip",
            "route",
            "add",
            "default",
            "via",
            "10.231.10.2",
            "table",
            "100",
        ],
    );
    let (code, f, _) = lab.scan(&lab.policy("check_dns = false"));
    assert_eq!(
        (code, rule(&f)["status"].as_str()),
        (0, Some("pass")),
        "{f}"
    );
}

/// Accepts connections and never answers: the handshake completes, no HTTP comes back.
const SILENT: &str = r#"
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
held = []
def accept():
    while True:
        c, _ = s.accept(); held.append(c)
threading.Thread(target=accept, daemon=True).start()
print("READY", flush=True)
threading.Event().wait()
"#;

#[test]
fn an_http_listener_that_never_answers_still_proves_a_path() {
    require_lab();
    let mut lab = Lab::new("10.231.11", "10.231.11");
    lab.serve(SILENT, &["10.231.11.2", "8090"]);
    let policy = lab.policy(
        "check_dns = false\nprobes = [\"http://10.231.11.2:8090/health\"]\nprobe_deadline_ms = 800",
    );
    let (code, f, _) = lab.scan(&policy);
    assert_eq!(code, 1, "{f}");
    let result = &f["probes"]["results"][0];
    assert_eq!(result["status"], "reachable", "{f}");
    assert_eq!(result["local_address"], "10.231.11.1", "{f}");
    assert_eq!(result["interface"], lab.vw().as_str(), "{f}");
    let probe = rule(&f)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "probe")
        .cloned()
        .expect("probe evidence");
    assert!(
        probe["detail"].as_str().unwrap().contains("no HTTP answer"),
        "{probe}"
    );
}
