//! Signed findings made in-process, for tests and benchmarks that need hundreds or thousands
//! of them: running the agent that often would take minutes. Each is a complete
//! `isoguard.finding/v1` document with results, evidence and an inventory of realistic size,
//! chained per host exactly as the agent chains them (sequence, digest of the envelope bytes).
// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use isoguard::finding::chain_state::{digest_hex, REASON_FIRST_RUN};
use isoguard::finding::keys::PrivateKey;
use isoguard::finding::{dsse, spool, v1};

pub struct Host {
    /// The identity the key is enrolled under: the host's machine id.
    pub machine_id: String,
    pub hostname: String,
    pub key: PrivateKey,
    pub sequence: u64,
    pub previous: Option<String>,
}

pub fn hosts(count: usize) -> Vec<Host> {
    (0..count)
        .map(|i| Host {
            machine_id: format!("{:032x}", 0x5eed_0000_u64 + i as u64),
            hostname: format!("ws-{i:04}"),
            key: PrivateKey::generate().unwrap(),
            sequence: 0,
            previous: None,
        })
        .collect()
}

/// Writes `<trust>/<machine id>.pub` for each host.
pub fn enroll(trust: &Path, hosts: &[Host]) {
    std::fs::create_dir_all(trust).unwrap();
    for host in hosts {
        std::fs::write(
            trust.join(format!("{}.pub", host.machine_id)),
            host.key.public_key().to_pem(),
        )
        .unwrap();
    }
}

fn evidence(i: u64) -> v1::Evidence {
    v1::Evidence {
        kind: v1::EvidenceKind::BlockDevice.into(),
        detail: format!("USB mass storage sdb on port 1-{i}: unregistered medium"),
        detail_zh: None,
        name: Some("sdb".into()),
        device_path: Some(format!(
            "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-{i}/1-{i}:1.0/host6/target6:0:0/6:0:0:0/block/sdb"
        )),
        vendor_id: Some("13fe".into()),
        product_id: Some("6700".into()),
        manufacturer: Some("Kingston".into()),
        product: Some("DataTraveler 3.0".into()),
        serial: Some(format!("071C395B848D{i:04}")),
        mac: None,
        port: Some(format!("1-{i}")),
        driver: Some("usb-storage".into()),
        bus: Some("usb".into()),
    }
}

fn rule(id: &str, status: v1::Status, evidence: Vec<v1::Evidence>) -> v1::RuleResult {
    v1::RuleResult {
        rule: id.into(),
        check: id.into(),
        title: v1::Title {
            zh: format!("规则 {id}"),
            en: format!("Rule {id}"),
        },
        severity: v1::Severity::High.into(),
        status: status.into(),
        evidence,
        message: None,
        message_zh: None,
        remediation: v1::Title {
            zh: "移除设备".into(),
            en: "Remove the device".into(),
        },
    }
}

/// An inventory of a few KiB, shaped like the agent's.
fn inventory(host: &Host) -> serde_json::Value {
    let disks: Vec<serde_json::Value> = (0..6)
        .map(|i| {
            serde_json::json!({
                "name": format!("sd{}", (b'a' + i) as char),
                "sysfs_path": format!("/sys/devices/pci0000:00/0000:00:17.0/ata{i}/host{i}/target{i}:0:0/{i}:0:0:0/block/sd{}", (b'a' + i) as char),
                "bus": if i < 2 { "sata" } else { "usb" },
                "removable": i >= 2,
                "size_bytes": 256_060_514_304u64 + u64::from(i),
                "model": "Samsung SSD 860 EVO 250GB",
                "serial": format!("S3YHNX0K{i:06}"),
                "usb": {"vendor_id": "13fe", "product_id": "6700", "serial": format!("071C395B848D{i:04}")},
            })
        })
        .collect();
    let nics: Vec<serde_json::Value> = (0..4)
        .map(|i| {
            serde_json::json!({
                "name": format!("enp{i}s0"),
                "kind": "ethernet",
                "mac": format!("3c:52:82:{i:02x}:aa:bb"),
                "driver": "e1000e",
                "addresses": [format!("10.20.{i}.17/24"), "fe80::3e52:82ff:fe00:aabb/64"],
                "sysfs_path": format!("/sys/devices/pci0000:00/0000:00:1f.{i}/net/enp{i}s0"),
            })
        })
        .collect();
    let usb: Vec<serde_json::Value> = (0..8)
        .map(|i| {
            serde_json::json!({
                "port": format!("1-{i}"),
                "vendor_id": "046d",
                "product_id": format!("c{i:03}"),
                "manufacturer": "Logitech",
                "product": "USB Optical Mouse",
                "interfaces": [{"class": "03", "subclass": "01", "protocol": "02", "driver": "usbhid"}],
            })
        })
        .collect();
    serde_json::json!({
        "schema": "isoguard.inventory/v1",
        "host": {"hostname": host.hostname, "machine_id": host.machine_id},
        "storage": {"devices": disks},
        "network": {"interfaces": nics, "routes": [{"destination": "0.0.0.0/0", "gateway": "10.20.0.1", "interface": "enp0s0"}]},
        "usb": {"devices": usb},
        "audio": {"cards": [{"name": "card0", "driver": "snd_hda_intel", "capture": false}]},
        "video": {"devices": []},
        "wireless": {"radios": []},
    })
}

/// The host's next finding, with a few failing rules naming devices.
pub fn next_finding(host: &Host, time: SystemTime) -> v1::Finding {
    let sequence = host.sequence + 1;
    let violation = !sequence.is_multiple_of(3);
    let results = vec![
        rule(
            "removable-storage",
            if violation {
                v1::Status::Fail
            } else {
                v1::Status::Pass
            },
            if violation {
                vec![evidence(1), evidence(2)]
            } else {
                vec![]
            },
        ),
        rule("wireless", v1::Status::Pass, vec![]),
        rule("external-network", v1::Status::Pass, vec![]),
        rule("audio-capture", v1::Status::Pass, vec![]),
        rule("camera", v1::Status::Pass, vec![]),
    ];
    v1::Finding {
        schema: v1::SCHEMA.into(),
        host: v1::Host {
            hostname: Some(host.hostname.clone()),
            machine_id: Some(host.machine_id.clone()),
            boot_id: Some(format!("{:032x}", sequence)),
            os: Some("Kylin V10 SP1".into()),
            kernel: Some("5.4.18-85-generic".into()),
            agent_version: "0.1.0".into(),
            os_release: None,
        },
        time: isoguard::time::rfc3339_utc(time),
        trigger: v1::Trigger::Boot.into(),
        policy: v1::PolicyRef {
            id: Some("classified".into()),
            version: Some("1".into()),
            sha256: Some("0".repeat(64)),
            source: "builtin:classified".into(),
            override_sha256: None,
        },
        verdict: if violation {
            v1::Verdict::Violation
        } else {
            v1::Verdict::Compliant
        }
        .into(),
        summary: v1::Summary {
            pass: if violation { 4 } else { 5 },
            fail: u32::from(violation),
            error: 0,
            skip: 0,
        },
        results,
        errors: vec![],
        errors_zh: vec![],
        truncated: vec![],
        inventory: Some(inventory(host)),
        probes: None,
        sequence,
        previous: host.previous.clone(),
        chain_reset: host.previous.is_none().then(|| v1::ChainReset {
            reason: REASON_FIRST_RUN.into(),
        }),
        events: vec![],
        events_dropped: 0,
        actions: vec![],
    }
}

/// Signs the host's next finding and advances its chain; returns (file name, envelope bytes).
pub fn sign_next(host: &mut Host, time: SystemTime) -> (String, Vec<u8>) {
    let finding = next_finding(host, time);
    let payload = serde_json::to_vec(&finding).unwrap();
    let bytes = dsse::sign(&payload, &host.key).to_json().into_bytes();
    host.sequence = finding.sequence;
    host.previous = Some(digest_hex(&bytes));
    (
        spool::file_name(time, &host.hostname, finding.sequence),
        bytes,
    )
}

/// Writes `per_host` chained findings for every host into `dir`; the n-th findings of all
/// hosts share a time, so names sort by sequence first. Returns the paths written.
pub fn write_chains(dir: &Path, hosts: &mut [Host], per_host: u64) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let base = UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    let mut paths = Vec::new();
    for n in 0..per_host {
        let time = base + Duration::from_secs(3600 * n);
        for host in hosts.iter_mut() {
            let (name, bytes) = sign_next(host, time);
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            paths.push(path);
        }
    }
    paths
}
