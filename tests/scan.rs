//! `isoguard scan` as a person or the boot unit runs it: the real binary, real fixture trees,
//! real keys, a real spool, and an independent signature check.

// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{agent as bin, run, stderr, stdout, Scratch};

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// `scan --format json` on a fixture, returning (exit code, finding).
fn scan_json(fixture: &str, policy: &str, extra: &[&str]) -> (i32, Value) {
    let root = common::tree(fixture);
    let out = run(bin()
        .args(["scan", "--format", "json", "--policy", policy, "--root"])
        .arg(&root)
        .args(extra));
    let finding: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap_or(-1), finding)
}

fn rule<'a>(finding: &'a Value, id: &str) -> &'a Value {
    finding["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

/// The `name` of every piece of evidence of a rule, ignoring unreadable-part notes.
fn evidence_names(finding: &Value, id: &str) -> BTreeSet<String> {
    rule(finding, id)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] != "unreadable")
        .filter_map(|e| e["name"].as_str().map(str::to_string))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn classified_on_hp_elitebook_names_each_offending_device_and_nothing_else() {
    let (code, f) = scan_json("hp-elitebook-835-g10", "classified", &[]);
    assert_eq!(code, 1, "violations exit 1");
    assert_eq!(f["schema"], "isoguard.finding/v1");
    assert_eq!(f["verdict"], "violation");
    assert_eq!(rule(&f, "wireless")["status"], "fail");
    assert_eq!(evidence_names(&f, "wireless"), set(&["wlp1s0", "hci0"]));
    assert_eq!(
        evidence_names(&f, "removable-storage"),
        set(&["sda", "sdb"]),
        "not nvme0n1"
    );
    let sdb = rule(&f, "removable-storage")["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "sdb")
        .unwrap()
        .clone();
    assert_eq!(
        (sdb["vendor_id"].as_str(), sdb["product_id"].as_str()),
        (Some("13fe"), Some("6700"))
    );
    assert_eq!(sdb["serial"], "071C395B848D2017");
    assert_eq!(sdb["port"], "1-1");
    assert_eq!(
        evidence_names(&f, "camera"),
        set(&["video0"]),
        "the metadata node video1 is no camera"
    );
    assert_eq!(
        evidence_names(&f, "audio-capture"),
        set(&["card1"]),
        "HDMI card0 is playback only"
    );
    assert_eq!(rule(&f, "one-way-import")["status"], "pass");
    assert_eq!(rule(&f, "external-network")["status"], "pass");
    assert_eq!(f["policy"]["id"], "classified");
    assert_eq!(f["policy"]["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(f["inventory"]["schema"], "isoguard.inventory/v1");
}

#[test]
fn classified_on_thinkpad_t61() {
    let (code, f) = scan_json("thinkpad-t61", "classified", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        evidence_names(&f, "removable-storage"),
        set(&["sdb", "sr0"])
    );
    assert_eq!(evidence_names(&f, "wireless"), set(&["wlan0", "4-1"]));
    assert_eq!(evidence_names(&f, "audio-capture"), set(&["card0"]));
    assert_eq!(rule(&f, "camera")["status"], "pass");
    // The default route via the LAN gateway is a path out until the policy allows the LAN.
    let kinds: Vec<&str> = rule(&f, "external-network")["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"default-route"), "{kinds:?}");
}

#[test]
fn modems_tethering_and_usb_disks() {
    let (_, f) = scan_json("lenovo-t430s", "classified", &[]);
    assert_eq!(
        evidence_names(&f, "wireless"),
        set(&["wlan0", "hci0", "wwan0"])
    );
    assert_eq!(evidence_names(&f, "camera"), set(&["video0", "video1"]));

    let (_, f) = scan_json("android-rndis-tether", "classified", &[]);
    assert_eq!(evidence_names(&f, "wireless"), set(&["usb0"]));
    assert!(evidence_names(&f, "external-network").contains("usb0"));

    let (_, f) = scan_json("usb-hdd-uas-removable0", "classified", &[]);
    assert_eq!(
        evidence_names(&f, "removable-storage"),
        set(&["sda", "sdb"])
    );

    let (_, f) = scan_json("sony-xperia-mtp", "classified", &[]);
    assert_eq!(evidence_names(&f, "removable-storage"), set(&["1-1.5.2.4"]));
    let (_, f) = scan_json("canon-powershot-ptp", "classified", &[]);
    assert_eq!(evidence_names(&f, "removable-storage"), set(&["1-1.5.2.3"]));
}

#[test]
fn compliant_machine_exits_zero() {
    // No radios, microphones or cameras on this recording: compliant under this policy.
    let (code, f) = scan_json("usb-hdd-uas-removable0", "internet-in-secure-area", &[]);
    assert_eq!((code, f["verdict"].as_str()), (0, Some("compliant")));
}

#[test]
fn registered_media_round_trip_and_one_way_import() {
    let dir = Scratch::new("media");
    let root = common::tree("usb-hdd-uas-removable0");
    let out = run(bin().args(["registered-media", "--root"]).arg(&root));
    assert!(out.status.success(), "{}", stderr(&out));
    let listing = stdout(&out);
    assert!(
        listing.contains("serial = \"575834314135313233343536\""),
        "{listing}"
    );

    // Pasted as it is, every attached medium is registered.
    let site = dir.path("site.toml");
    fs::write(&site, &listing).unwrap();
    let (_, f) = scan_json(
        "usb-hdd-uas-removable0",
        "classified",
        &["--override", site.to_str().unwrap()],
    );
    assert_eq!(rule(&f, "removable-storage")["status"], "pass");

    // The WD disk registered for one-way import while mounted read-write: fail, with the
    // mount point and options.
    let import = listing.replacen(
        "role = \"transfer\"   # or \"import\" for one-way import (read-only)\nvendor_id = \"1058\"",
        "role = \"import\"\nvendor_id = \"1058\"",
        1,
    );
    assert_ne!(
        import, listing,
        "the WD entry was not found to edit:\n{listing}"
    );
    fs::write(&site, &import).unwrap();
    let (code, f) = scan_json(
        "usb-hdd-uas-removable0",
        "classified",
        &["--override", site.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    let import_rule = rule(&f, "one-way-import");
    assert_eq!(import_rule["status"], "fail");
    let detail = import_rule["evidence"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("/media/user/Elements") && detail.contains("rw,nosuid"),
        "{detail}"
    );

    // The same medium mounted read-only passes.
    let ro_root = dir.path("ro-root");
    let status = Command::new("cp")
        .args(["-a"])
        .arg(&root)
        .arg(&ro_root)
        .status()
        .unwrap();
    assert!(status.success());
    let mounts = fs::read_to_string(ro_root.join("proc/mounts")).unwrap();
    fs::write(
        ro_root.join("proc/mounts"),
        mounts.replace("exfat rw,nosuid", "exfat ro,nosuid"),
    )
    .unwrap();
    let out = run(bin()
        .args([
            "scan",
            "--format",
            "json",
            "--policy",
            "classified",
            "--override",
        ])
        .arg(&site)
        .arg("--root")
        .arg(&ro_root));
    let f: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rule(&f, "one-way-import")["status"], "pass");
}

#[test]
fn site_override_switches_rules_off_and_changes_severity() {
    let dir = Scratch::new("override");
    let site = dir.path("site.toml");
    fs::write(&site, "[[rule]]\nid = \"camera\"\nenabled = false\n\n[[rule]]\nid = \"wireless\"\nseverity = \"low\"\n").unwrap();
    let (_, f) = scan_json(
        "hp-elitebook-835-g10",
        "classified",
        &["--override", site.to_str().unwrap()],
    );
    assert_eq!(rule(&f, "camera")["status"], "skip");
    assert_eq!(rule(&f, "wireless")["severity"], "low");
    assert_eq!(
        f["policy"]["override_sha256"].as_str().map(str::len),
        Some(64)
    );

    fs::write(&site, "[[rule]]\nid = \"no-such-rule\"\nenabled = false\n").unwrap();
    let out = run(bin()
        .args(["policy", "check", "classified", "--override"])
        .arg(&site));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("site.toml:2:6: error: policy `classified` has no rule `no-such-rule`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn policy_check_reports_every_problem_with_its_position() {
    let dir = Scratch::new("policy-check");
    let bad = dir.path("bad.toml");
    fs::write(
        &bad,
        r#"[policy]
id = "site"
version = "1"
title = { zh = "站点", en = "Site" }
colour = "blue"

[[rule]]
id = "wireless"
severity = "fatal"
title = { zh = "无线", en = "Wireless" }
remediation = { zh = "拆除", en = "Remove" }
[rule.settings]
kinds = ["wifi", "infrared"]
unknown_setting = 1

[[rule]]
id = "webcam"
check = "cameras"
severity = "high"
title = { zh = "摄像头", en = "Cameras" }
remediation = { zh = "拆除", en = "Remove" }

[[media]]
label = "no identifiers"
"#,
    )
    .unwrap();
    let out = run(bin().args(["policy", "check"]).arg(&bad));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let file = bad.display().to_string();
    for expected in [
        format!("{file}:5:1: error: unknown key `colour` in [policy]"),
        format!("{file}:9:12: error: `severity`: unknown value `fatal`"),
        format!("{file}:13:18: error: `kinds`: unknown value `infrared`"),
        format!("{file}:14:1: error: unknown key `unknown_setting` in rule `wireless` settings"),
        format!("{file}:18:9: error: `check`: unknown value `cameras`"),
        "identifies no device".to_string(),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
    assert!(err.contains("6 problem(s) found"), "{err}");

    // A syntax error is reported with its position too.
    fs::write(&bad, "[policy]\nid = \"x\"\nversion = \n").unwrap();
    let out = run(bin().args(["policy", "check"]).arg(&bad));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{file}:3:")),
        "{}",
        stderr(&out)
    );

    // The bundled ones are valid.
    for name in ["classified", "internet-in-secure-area", "dual-use"] {
        let out = run(bin().args(["policy", "check", name]));
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
}

fn keygen(dir: &Scratch) -> PathBuf {
    let key = dir.path("host.key");
    let out = run(bin().args(["keygen", "--out"]).arg(&key));
    assert!(out.status.success(), "{}", stderr(&out));
    key
}

fn spooled(spool: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(spool)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn python_verifies(envelope: &Path, public: &Path) -> Output {
    for python in ["python3", "/usr/bin/python3"] {
        let out = Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/tools/dsse_verify.py"
            ))
            .arg(envelope)
            .arg(public)
            .stdin(Stdio::null())
            .output();
        if let Ok(out) = out {
            if !String::from_utf8_lossy(&out.stderr).contains("No module named 'cryptography'") {
                return out;
            }
        }
    }
    panic!("python3 with `cryptography` is required (apt-get install -y python3-cryptography)");
}

#[test]
fn signed_findings_chain_and_verify_independently() {
    let dir = Scratch::new("signed");
    let key = keygen(&dir);
    let public = dir.path("host.key.pub");
    let spool = dir.path("outbox");
    let state = dir.path("state");
    fs::create_dir_all(&spool).unwrap();
    let root = common::tree("thinkpad-t61");
    let scan = |trigger: &str| {
        run(bin()
            .args([
                "scan",
                "--policy",
                "classified",
                "--trigger",
                trigger,
                "--root",
            ])
            .arg(&root)
            .arg("--key")
            .arg(&key)
            .arg("--spool")
            .arg(&spool)
            .arg("--state")
            .arg(&state))
    };
    let first = scan("boot");
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("verdict=violation"),
        "boot summary line: {}",
        stderr(&first)
    );
    let second = scan("manual");
    assert_eq!(second.status.code(), Some(1));

    let files = spooled(&spool);
    assert_eq!(files.len(), 2, "{files:?}");
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names[0].contains("-t61-")
            && names[0].contains("-0000000001-")
            && names[0].ends_with(".finding.json"),
        "{names:?}"
    );

    // Our own verifier, and an independent one.
    let out = run(bin().args(["verify", "--key"]).arg(&public).args(&files));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("verdict violation sequence 1"),
        "{}",
        stdout(&out)
    );
    for file in &files {
        let out = python_verifies(file, &public);
        assert!(
            out.status.success(),
            "python: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }

    // The chain: sequence 1 declares a new chain (first run), sequence 2 names its digest.
    let payload = |path: &Path| -> Value {
        use base64::Engine;
        let env: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(env["payload"].as_str().unwrap())
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let (p1, p2) = (payload(&files[0]), payload(&files[1]));
    assert_eq!(
        (p1["sequence"].as_u64(), p2["sequence"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(p1["trigger"], "boot");
    assert!(p1["chain_reset"]["reason"].as_str().is_some());
    assert!(p2.get("chain_reset").is_none());
    assert_eq!(
        p2["previous"].as_str(),
        Some(sha256_hex(&fs::read(&files[0]).unwrap()).as_str())
    );

    // A one-byte change to a spooled finding fails verification.
    let mut bytes = fs::read(&files[1]).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    let tampered = dir.path("tampered.json");
    fs::write(&tampered, &bytes).unwrap();
    let out = run(bin().args(["verify", "--key"]).arg(&public).arg(&tampered));
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));

    // A key from another host does not verify it.
    let other = Scratch::new("signed-other");
    keygen(&other);
    let out = run(bin()
        .args(["verify", "--key"])
        .arg(other.path("host.key.pub"))
        .arg(&files[0]));
    assert_ne!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("FAIL"), "{}", stdout(&out));

    // A corrupt state file starts a new chain that the finding declares.
    let chain = common::chain_files(&state);
    assert_eq!(chain.len(), 1, "{chain:?}");
    fs::write(&chain[0], "{not json").unwrap();
    scan("timer");
    let newest: Vec<PathBuf> = spooled(&spool)
        .into_iter()
        .filter(|f| !files.contains(f))
        .collect();
    assert_eq!(newest.len(), 1, "{newest:?}");
    let p3 = payload(&newest[0]);
    assert!(
        p3["chain_reset"]["reason"]
            .as_str()
            .unwrap()
            .contains("corrupt"),
        "{p3}"
    );
    assert_eq!(p3["previous"], Value::Null);
}

#[test]
fn broken_policy_at_boot_still_leaves_a_signed_error_finding() {
    let dir = Scratch::new("broken-policy");
    let key = keygen(&dir);
    let spool = dir.path("outbox");
    fs::create_dir_all(&spool).unwrap();
    let policy = dir.path("broken.toml");
    fs::write(&policy, "[policy]\nid = \"x\"\nversion = \"1\"\ntitle = { zh = \"x\", en = \"x\" }\n[[rule]]\nid = \"wireless\"\nseverity = \"high\"\n").unwrap();
    let out = run(bin()
        .args(["scan", "--trigger", "boot", "--policy"])
        .arg(&policy)
        .arg("--root")
        .arg(common::tree("thinkpad-t61"))
        .arg("--key")
        .arg(&key)
        .arg("--spool")
        .arg(&spool)
        .arg("--state")
        .arg(dir.path("state")));
    assert_eq!(out.status.code(), Some(2), "config error: {}", stderr(&out));
    assert!(
        stderr(&out).contains("is missing `title`"),
        "{}",
        stderr(&out)
    );
    let files = spooled(&spool);
    assert_eq!(files.len(), 1);
    let verify = run(bin()
        .args(["verify", "--key"])
        .arg(dir.path("host.key.pub"))
        .arg(&files[0]));
    assert!(
        stdout(&verify).contains("verdict error"),
        "{}",
        stdout(&verify)
    );
}

#[test]
fn unwritable_spool_is_exit_3_and_the_chain_does_not_advance() {
    let dir = Scratch::new("spool-fail");
    let key = keygen(&dir);
    let spool = dir.path("outbox");
    fs::write(&spool, "a file where the spool folder should be").unwrap();
    let state = dir.path("state");
    let out = run(bin()
        .args(["scan", "--policy", "classified", "--root"])
        .arg(common::tree("usb-headset"))
        .arg("--key")
        .arg(&key)
        .arg("--spool")
        .arg(&spool)
        .arg("--state")
        .arg(&state));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("finding not written"),
        "{}",
        stderr(&out)
    );
    assert!(
        common::chain_files(&state).is_empty(),
        "chain advanced without a durable finding"
    );
}

#[test]
fn loose_key_permissions_are_refused() {
    let dir = Scratch::new("key-perms");
    let key = keygen(&dir);
    assert_eq!(
        fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    fs::create_dir_all(dir.path("outbox")).unwrap();
    let out = run(bin()
        .args(["scan", "--root"])
        .arg(common::tree("usb-headset"))
        .arg("--key")
        .arg(&key)
        .arg("--spool")
        .arg(dir.path("outbox")));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("too open"), "{}", stderr(&out));
    // keygen never overwrites a key.
    let again = run(bin().args(["keygen", "--out"]).arg(&key));
    assert_ne!(again.status.code(), Some(0));
}

#[test]
fn text_report_leads_with_the_verdict_in_the_chosen_language() {
    let root = common::tree("usb-headset");
    let out = run(bin()
        .args(["scan", "--policy", "classified", "--lang", "zh", "--root"])
        .arg(&root));
    let text = stdout(&out);
    assert!(text.starts_with("结论：违规"), "{text}");
    assert!(text.contains("禁止音频采集设备"), "{text}");
    assert!(
        text.contains("编号 046d:0a44"),
        "the headset is named by its ids: {text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    let out = run(bin()
        .args(["scan", "--policy", "classified", "--lang", "en", "--root"])
        .arg(&root));
    assert!(
        stdout(&out).starts_with("Verdict: VIOLATION"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn config_file_supplies_policy_key_and_spool() {
    let dir = Scratch::new("config");
    let key = keygen(&dir);
    fs::create_dir_all(dir.path("outbox")).unwrap();
    let config = dir.path("config.toml");
    fs::write(
        &config,
        format!(
            "policy = \"internet-in-secure-area\"\nkey = \"{}\"\nspool = \"{}\"\nstate = \"{}\"\n",
            key.display(),
            dir.path("outbox").display(),
            dir.path("state").display()
        ),
    )
    .unwrap();
    let out = run(bin()
        .args(["scan", "--config"])
        .arg(&config)
        .arg("--root")
        .arg(common::tree("usb-hdd-uas-removable0")));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(spooled(&dir.path("outbox")).len(), 1);
    fs::write(&config, "polcy = \"classified\"\n").unwrap();
    let out = run(bin().args(["scan", "--config"]).arg(&config));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("config.toml:1:1: error: unknown key `polcy`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn live_scan_reports_this_machines_default_route() {
    // The routing table as iproute2 sees it, compared with what the scan reports. Reading the
    // table sends nothing; the classified policy has no probe targets.
    common::require_command("ip", &["-V"], "iproute2");
    let ip = Command::new("ip")
        .args(["-4", "route", "show", "default"])
        .output()
        .expect("run ip route");
    assert!(ip.status.success(), "ip route failed: {ip:?}");
    let routes = String::from_utf8_lossy(&ip.stdout).into_owned();
    let out = run(bin().args(["scan", "--policy", "classified", "--format", "json"]));
    let f: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reported: Vec<String> = rule(&f, "external-network")["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["kind"] == "default-route" && e["detail"].as_str().unwrap_or("").starts_with("IPv4")
        })
        .map(|e| e["detail"].as_str().unwrap().to_string())
        .collect();
    for line in routes.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let via = words.iter().position(|w| *w == "via").map(|i| words[i + 1]);
        let dev = words
            .iter()
            .position(|w| *w == "dev")
            .map(|i| words[i + 1])
            .unwrap();
        let expected = match via {
            Some(gw) => format!("IPv4 default route via {gw} dev {dev}"),
            None => format!("IPv4 default route no gateway dev {dev}"),
        };
        assert!(
            reported.contains(&expected),
            "ip says `{line}`, scan reported {reported:?}"
        );
    }
    assert_eq!(
        reported.len(),
        routes.lines().count(),
        "{reported:?} vs {routes}"
    );
    if !reported.is_empty() {
        assert_eq!(rule(&f, "external-network")["status"], "fail");
        assert_eq!(out.status.code(), Some(1));
    }
    assert_eq!(
        f["probes"]["results"].as_array().map(Vec::len),
        Some(0),
        "no probes configured"
    );
}

#[test]
fn a_scan_with_a_bundled_policy_opens_no_network_connection() {
    // The agent that looks for outbound connections must not make any itself: with the
    // bundled policies (no probe targets) no AF_INET/AF_INET6 socket is even opened, and
    // nothing is connected or sent to an internet address. Routes and rules are read over
    // netlink (AF_NETLINK), a conversation with the local kernel. strace sees every such
    // syscall, including ones a library makes on our behalf.
    let found = Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "strace is required for this test (apt-get install -y strace; CI does)"
    );
    for policy in ["classified", "internet-in-secure-area", "dual-use"] {
        let out = Command::new("strace")
            .args([
                "-f",
                "-qq",
                "-e",
                "trace=socket,connect,sendto,sendmsg,sendmmsg",
                "-o",
                "/dev/stderr",
            ])
            .arg(env!("CARGO_BIN_EXE_isoguard"))
            .args(["scan", "--format", "json", "--policy", policy])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let trace = stderr(&out);
        let inet: Vec<&str> = trace
            .lines()
            .filter(|l| l.contains("socket(AF_INET") || l.contains("sa_family=AF_INET"))
            .collect();
        assert!(inet.is_empty(), "{policy}: network syscalls: {inet:?}");
        assert!(
            trace.contains("socket(AF_NETLINK"),
            "{policy}: the trace saw no socket at all, so it proves nothing: {trace}"
        );
        assert!(
            serde_json::from_slice::<Value>(&out.stdout).is_ok(),
            "{policy}: scan did not run: {trace}"
        );
    }
}

#[test]
fn site_override_replaces_a_rules_settings() {
    let dir = Scratch::new("override-settings");
    let site = dir.path("site.toml");
    // The T61's default route goes via 192.168.1.1: a path out, until the site names its LAN.
    let (_, before) = scan_json("thinkpad-t61", "classified", &[]);
    let kinds = |f: &Value| -> Vec<String> {
        rule(f, "external-network")["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(kinds(&before).contains(&"default-route".to_string()));
    fs::write(
        &site,
        "[[rule]]\nid = \"external-network\"\n[rule.settings]\nallowed_prefixes = [\"192.168.1.0/24\"]\n",
    )
    .unwrap();
    let (_, after) = scan_json(
        "thinkpad-t61",
        "classified",
        &["--override", site.to_str().unwrap()],
    );
    assert!(
        !kinds(&after).contains(&"default-route".to_string()),
        "{:?}",
        kinds(&after)
    );
    assert!(
        kinds(&after).contains(&"network-interface".to_string()),
        "wlan0 is still up"
    );

    fs::write(
        &site,
        "[[rule]]\nid = \"external-network\"\n[rule.settings]\nallowed_prefixs = []\n",
    )
    .unwrap();
    let out = run(bin()
        .args(["policy", "check", "classified", "--override"])
        .arg(&site));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("site.toml:4:1: error: unknown key `allowed_prefixs` in rule `external-network` settings"),
        "{}",
        stderr(&out)
    );
}

/// An empty config file, so the host's /etc/isoguard/config.toml takes no part.
fn empty_config() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("empty-config.toml");
    fs::write(&path, "").unwrap();
    path
}

/// The payload of a spooled envelope.
fn envelope_payload(path: &Path) -> Value {
    use base64::Engine;
    let envelope: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A signed scan of `root` (None: this machine) into `spool`, chained in `state`.
fn signed_scan(root: Option<&Path>, key: &Path, spool: &Path, state: &Path) -> Output {
    let mut cmd = bin();
    cmd.args([
        "scan",
        "--policy",
        "classified",
        "--format",
        "json",
        "--config",
    ])
    .arg(empty_config())
    .arg("--key")
    .arg(key)
    .arg("--spool")
    .arg(spool)
    .arg("--state")
    .arg(state);
    if let Some(root) = root {
        cmd.arg("--root").arg(root);
    }
    run(&mut cmd)
}

fn newest(spool: &Path, before: &[PathBuf]) -> Value {
    let new: Vec<PathBuf> = spooled(spool)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    envelope_payload(&new[0])
}

/// See: issue "Right on the machines it is for", item 4. A scan of a recorded machine into
/// the live state folder used to advance the live chain, and a new key continued the old one.
#[test]
fn the_chain_belongs_to_one_machine_and_one_key() {
    let dir = Scratch::new("chain-binding");
    let key = keygen(&dir);
    let (spool, state) = (dir.path("outbox"), dir.path("state"));
    let live1 = signed_scan(None, &key, &spool, &state);
    assert!(
        matches!(live1.status.code(), Some(0 | 1 | 3)),
        "{}",
        stderr(&live1)
    );
    let first = newest(&spool, &[]);
    assert_eq!(first["sequence"], 1);

    let before = spooled(&spool);
    let fixture = signed_scan(Some(&common::tree("thinkpad-t61")), &key, &spool, &state);
    assert_eq!(fixture.status.code(), Some(1), "{}", stderr(&fixture));
    let recorded = newest(&spool, &before);
    assert_eq!(
        recorded["sequence"], 1,
        "the recorded machine has its own chain"
    );
    assert_eq!(
        recorded["chain_reset"]["reason"],
        "no state file (first run)"
    );

    let before = spooled(&spool);
    signed_scan(None, &key, &spool, &state);
    let live2 = newest(&spool, &before);
    assert_eq!(live2["sequence"], 2, "the live chain went on where it was");
    assert!(live2.get("chain_reset").is_none(), "{live2}");
    assert_eq!(common::chain_files(&state).len(), 2);

    // A reinstalled package's new key starts a new chain and says the key changed.
    fs::remove_file(&key).unwrap();
    fs::remove_file(dir.path("host.key.pub")).unwrap();
    let key = keygen(&dir);
    let before = spooled(&spool);
    signed_scan(None, &key, &spool, &state);
    let rekeyed = newest(&spool, &before);
    assert_eq!(rekeyed["sequence"], 1);
    let reason = rekeyed["chain_reset"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("host key changed: the chain of key ")
            && reason.contains("ended at sequence 2"),
        "{reason}"
    );
}

/// See: issue "Nothing lost, nothing forged", item 7. Twenty scans at once used to give
/// sixteen findings the same sequence number.
#[test]
fn scans_sharing_a_state_folder_take_turns() {
    let dir = Scratch::new("chain-lock");
    let key = keygen(&dir);
    let (spool, state) = (dir.path("outbox"), dir.path("state"));
    let root = common::tree("thinkpad-t61");
    let scans: Vec<std::process::Child> = (0..20)
        .map(|_| {
            bin()
                .args(["-q", "scan", "--policy", "classified", "--config"])
                .arg(empty_config())
                .arg("--root")
                .arg(&root)
                .arg("--key")
                .arg(&key)
                .arg("--spool")
                .arg(&spool)
                .arg("--state")
                .arg(&state)
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut scan in scans {
        assert_eq!(scan.wait().unwrap().code(), Some(1));
    }
    let files = spooled(&spool);
    assert_eq!(files.len(), 20);
    let mut by_sequence: Vec<(u64, Value, String)> = files
        .iter()
        .map(|f| {
            let p = envelope_payload(f);
            (
                p["sequence"].as_u64().unwrap(),
                p,
                sha256_hex(&fs::read(f).unwrap()),
            )
        })
        .collect();
    by_sequence.sort_by_key(|(s, _, _)| *s);
    let sequences: Vec<u64> = by_sequence.iter().map(|(s, _, _)| *s).collect();
    assert_eq!(sequences, (1..=20).collect::<Vec<u64>>());
    for pair in by_sequence.windows(2) {
        assert_eq!(pair[1].1["previous"].as_str(), Some(pair[0].2.as_str()));
    }
}

/// See: issue "Nothing lost, nothing forged", item 9. A FIFO where the policy, the override or
/// the config belongs used to hang the scan forever.
#[test]
fn a_fifo_where_a_policy_override_or_config_belongs_is_refused_at_once() {
    let dir = Scratch::new("fifo-config");
    let fifo = dir.path("fifo.toml");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let root = common::tree("thinkpad-t61");
    let config = empty_config();
    let config = config.to_str().unwrap();
    for args in [
        vec!["--policy", fifo.to_str().unwrap(), "--config", config],
        vec!["--override", fifo.to_str().unwrap(), "--config", config],
        vec!["--config", fifo.to_str().unwrap()],
    ] {
        let mut child = bin()
            .arg("scan")
            .args(&args)
            .arg("--root")
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let code = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status.code();
            }
            if started.elapsed() > std::time::Duration::from_secs(20) {
                let _ = child.kill();
                panic!("{args:?}: the scan hangs on a FIFO");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let out = child.wait_with_output().unwrap();
        assert_eq!(code, Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("a FIFO"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// See: issue "Nothing lost, nothing forged", item 11.
#[test]
fn keys_of_other_algorithms_are_named_for_what_they_are() {
    let dir = Scratch::new("key-types");
    for (name, args, expected) in [
        (
            "rsa.pem",
            vec![
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:1024",
            ],
            "this is an RSA key",
        ),
        (
            "ed448.pem",
            vec!["genpkey", "-algorithm", "ed448"],
            "this is an Ed448 key",
        ),
        (
            "ec.pem",
            vec![
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ],
            "this is an EC (ECDSA) key",
        ),
    ] {
        let path = dir.path(name);
        let made = Command::new("openssl")
            .args(&args)
            .arg("-out")
            .arg(&path)
            .output()
            .expect("openssl is installed (.ci/install-test-deps)");
        assert!(made.status.success(), "{}", stderr(&made));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let out = signed_scan(None, &path, &dir.path("outbox"), &dir.path("state"));
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
        assert!(!stderr(&out).contains("1.3.101.112"), "{}", stderr(&out));
    }
}

/// See: issue "Right on the machines it is for", item 1. A clean desktop as Kylin, UOS and
/// Debian lay it out (os-release, resolv.conf and /proc/net all links) used to be `error`
/// because the agent refused the links.
#[test]
fn a_clean_desktop_laid_out_like_kylin_v10_is_compliant() {
    let root = common::fixture_dir("desktop-kylin-v10");
    let site = root.join("etc/isoguard/site.toml");
    let out = run(bin()
        .args([
            "scan",
            "--policy",
            "classified",
            "--format",
            "json",
            "--config",
        ])
        .arg(empty_config())
        .arg("--root")
        .arg(&root)
        .arg("--override")
        .arg(&site));
    let f: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (out.status.code(), f["verdict"].as_str()),
        (Some(0), Some("compliant")),
        "{f}"
    );
    let inv = &f["inventory"];
    for section in [
        "host", "network", "storage", "usb", "audio", "video", "wireless",
    ] {
        assert!(
            inv[section].get("problems").is_none(),
            "{section}: {}",
            inv[section]
        );
    }
    assert_eq!(f["host"]["os_release"]["id"], "kylin");
    assert_eq!(
        f["host"]["os_release"]["id_like"],
        serde_json::json!(["debian"])
    );
    assert_eq!(
        inv["network"]["dns_servers"],
        serde_json::json!(["127.0.0.53", "10.20.0.53"])
    );
    assert_eq!(inv["network"]["route_source"], "recorded-ip-json");

    // Without the site's LAN, the same machine has a way out: the default route and the
    // resolver, nothing else.
    let (code, f) = scan_json(
        "desktop-kylin-v10",
        "classified",
        &["--config", empty_config().to_str().unwrap()],
    );
    assert_eq!(code, 1);
    let kinds: Vec<String> = rule(&f, "external-network")["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["default-route", "dns-resolver"]);
}

/// See: issue "What the machine has been through". The clean desktop, with a stick plugged in
/// last week (its kernel lines in kern.log) and a saved Wi-Fi profile: the classified policy
/// fails exactly the two history rules, and everything else still passes.
#[test]
fn a_stick_from_last_week_and_a_wifi_profile_fail_an_otherwise_clean_desktop() {
    let dir = Scratch::new("history-desktop");
    let root = dir.path("root");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(common::fixture_dir("desktop-kylin-v10"))
        .arg(&root)
        .status()
        .unwrap();
    assert!(copied.success());
    // ISO 8601 times, as rsyslog's RSYSLOG_FileFormat writes them: no year to infer.
    let last_week = std::time::SystemTime::now() - std::time::Duration::from_secs(6 * 86_400);
    let day = isoguard::time::rfc3339_utc(last_week);
    let at = |clock: &str| format!("{}T{clock}+00:00", &day[..10]);
    let lines = [
        (
            "10:15:01.100000",
            "usb 1-3: new high-speed USB device number 4 using xhci_hcd",
        ),
        (
            "10:15:01.250000",
            "usb 1-3: New USB device found, idVendor=0781, idProduct=5583, bcdDevice= 1.00",
        ),
        (
            "10:15:01.250010",
            "usb 1-3: New USB device strings: Mfr=1, Product=2, SerialNumber=3",
        ),
        ("10:15:01.250020", "usb 1-3: Product: Ultra Fit"),
        ("10:15:01.250030", "usb 1-3: Manufacturer: SanDisk"),
        (
            "10:15:01.250040",
            "usb 1-3: SerialNumber: 4C530001230518101345",
        ),
        (
            "10:15:01.300000",
            "usb-storage 1-3:1.0: USB Mass Storage device detected",
        ),
        (
            "10:15:02.400000",
            "sd 6:0:0:0: [sdb] Attached SCSI removable disk",
        ),
        (
            "11:02:40.000000",
            "usb 1-3: USB disconnect, device number 4",
        ),
    ];
    let mut log = fs::read_to_string(root.join("var/log/kern.log")).unwrap();
    for (clock, message) in lines {
        log.push_str(&format!("{} ws-kylin-0042 kernel: {message}\n", at(clock)));
    }
    fs::write(root.join("var/log/kern.log"), log).unwrap();
    fs::write(
        root.join("etc/NetworkManager/system-connections/Office-5G.nmconnection"),
        "[connection]\nid=Office-5G\nuuid=6a1f6f8e-3c1b-4b9e-9a55-0c2b7d1e4f10\ntype=wifi\n\n\
         [wifi]\nmode=infrastructure\nssid=Office-5G\n",
    )
    .unwrap();

    let out = run(bin()
        .args([
            "scan",
            "--policy",
            "classified",
            "--format",
            "json",
            "--config",
        ])
        .arg(empty_config())
        .arg("--root")
        .arg(&root)
        .arg("--override")
        .arg(root.join("etc/isoguard/site.toml")));
    let f: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{f}");
    let statuses: Vec<(String, String)> = f["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().into(),
                r["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (rule_id, status) in &statuses {
        let expected = if rule_id.ends_with("-history") {
            "fail"
        } else {
            "pass"
        };
        assert_eq!(status, expected, "{rule_id}: {f}");
    }
    let stick = &rule(&f, "usb-history")["evidence"][0];
    assert_eq!(
        (
            stick["vendor_id"].as_str(),
            stick["serial"].as_str(),
            stick["port"].as_str()
        ),
        (Some("0781"), Some("4C530001230518101345"), Some("1-3"))
    );
    let detail = stick["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("storage 0781:5583 seen on port 1-3, "),
        "{detail}"
    );
    assert!(detail.contains("kern.log:"), "{detail}");
    let wifi = &rule(&f, "network-history")["evidence"][0];
    assert!(
        wifi["detail"]
            .as_str()
            .unwrap()
            .starts_with("Wi-Fi network profile \"Office-5G\" saved"),
        "{wifi}"
    );

    // Registered, the stick is no longer a finding of the history rule.
    let site = dir.path("site.toml");
    fs::write(
        &site,
        format!(
            "{}\n[[media]]\nserial = \"4C530001230518101345\"\n",
            fs::read_to_string(root.join("etc/isoguard/site.toml")).unwrap()
        ),
    )
    .unwrap();
    let out = run(bin()
        .args([
            "scan",
            "--policy",
            "classified",
            "--format",
            "json",
            "--config",
        ])
        .arg(empty_config())
        .arg("--root")
        .arg(&root)
        .arg("--override")
        .arg(&site));
    let f: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rule(&f, "usb-history")["status"], "pass", "{f}");
}

/// Every value a device, a log or the policy put into a finding: what a Chinese report may
/// show in whatever language it came in.
fn reported_values(finding: &Value, into: &mut BTreeSet<String>) {
    match finding {
        Value::String(text) => {
            into.insert(text.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| reported_values(v, into)),
        Value::Object(fields) => {
            for (key, value) in fields {
                // The sentences themselves are what is checked.
                if !matches!(
                    key.as_str(),
                    "detail" | "message" | "detail_zh" | "message_zh" | "en"
                ) {
                    reported_values(value, into);
                }
            }
        }
        _ => {}
    }
}

/// `scan --lang zh` says everything in Chinese: after the values devices, logs and policies
/// reported are taken out, and commands in backticks, no English word is left. Technical
/// names an officer reads as they are (USB, DNS, MAC) are allowed.
#[test]
fn a_chinese_report_has_no_english_sentences() {
    const TECHNICAL: &[&str] = &[
        "USB",
        "MTP",
        "PTP",
        "MAC",
        "DNS",
        "IPv4",
        "IPv6",
        "Wi",
        "Fi",
        "WWAN",
        "NFC",
        "RNDIS",
        "rfkill",
        "APN",
        "VPN",
        "DHCP",
        "WireGuard",
        "sha256",
        "isoguard",
        "dev",
        "sys",
        "devices",
        "pci",
        "usb",
        "block",
        "net",
        "sound",
        "video4linux",
        "host",
        "target",
        "card",
        "Intel",
        "HDA",
        "etc",
        "var",
        "log",
    ];
    let mut checked = 0;
    for fixture in [
        "thinkpad-t61",
        "hp-elitebook-835-g10",
        "usb-headset",
        "android-rndis-tether",
        "sony-xperia-mtp",
        "canon-powershot-ptp",
        "history-stick-and-phone",
        "desktop-kylin-v10",
    ] {
        let root = common::tree(fixture);
        let (_, finding) = scan_json(fixture, "classified", &[]);
        let mut values = BTreeSet::new();
        reported_values(&finding, &mut values);
        let out = run(bin()
            .args(["scan", "--policy", "classified", "--lang", "zh", "--root"])
            .arg(&root));
        let mut text = stdout(&out);
        // Longest first, so a serial inside a path goes with the path.
        let mut values: Vec<String> = values.into_iter().filter(|v| v.len() > 1).collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        for value in &values {
            text = text.replace(value.as_str(), " ");
        }
        let mut outside_quotes = String::new();
        for (i, part) in text.split('`').enumerate() {
            if i % 2 == 0 {
                outside_quotes.push_str(part);
                outside_quotes.push(' ');
            }
        }
        let english: BTreeSet<&str> = outside_quotes
            .split(|c: char| !(c.is_ascii_alphanumeric() || "-_./:".contains(c)))
            .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic()))
            .filter(|w| !TECHNICAL.contains(w))
            .collect();
        assert!(
            english.is_empty(),
            "{fixture}: English words {english:?} in the Chinese report:\n{}",
            stdout(&out)
        );
        checked += 1;
    }
    assert_eq!(checked, 8);
}

/// `inventory` as text: every section is there with its column headers, an empty one says
/// "none" (不是什么也不印), and the DNS resolvers a scan judges are listed.
#[test]
fn inventory_text_has_headers_says_none_and_lists_resolvers() {
    let text = stdout(&run(bin()
        .args(["inventory", "--lang", "en", "--root"])
        .arg(common::tree("desktop-kylin-v10"))));
    for heading in [
        "Network interfaces",
        "Routes",
        "DNS resolvers",
        "Storage",
        "USB devices",
        "Sound cards",
        "Video devices",
        "Radios",
        "History",
    ] {
        assert!(
            text.contains(&format!("\n{heading}\n")),
            "no {heading}:\n{text}"
        );
    }
    assert!(
        text.contains("\nDNS resolvers\n  127.0.0.53\n  10.20.0.53\n"),
        "{text}"
    );
    assert!(
        text.contains("  name ") && text.contains(" serial"),
        "storage has no column headers:\n{text}"
    );
    let zh = stdout(&run(bin()
        .args(["inventory", "--lang", "zh", "--root"])
        .arg(common::tree("usb-headset"))));
    assert!(zh.contains("\n存储设备\n  无\n"), "{zh}");
    assert!(zh.contains("\n视频设备\n  无\n"), "{zh}");
    assert!(zh.contains("端口  编号"), "{zh}");
}
