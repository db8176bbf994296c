//! Enforcement, opt-in per rule (`enforce = true` in a site override): what to do about a
//! failing rule, decided here from the finding and the inventory alone (pure, unit-tested),
//! carried out through the platform backend (so `--root DIR` redirects every write into the
//! tree), and recorded, every step, in the finding's `actions`.
//!
//! - removable-storage, wireless, camera, audio-capture: the offending USB interface is
//!   deauthorized (`authorized` = 0), or the whole device when the evidence names the device
//!   and not one of its interfaces. HID interfaces (keyboards, mice) are never touched: a
//!   device-level target with an HID interface is cut down to its other interfaces.
//! - wireless: the radio's rfkill switches are soft-blocked (`soft` = 1).
//! - external-network with `enforce_interface_down = true` too: the offending interface is
//!   taken down (rtnetlink, live system only; needs CAP_NET_ADMIN).
//! - While watching with any USB rule enforced, the root hubs' `authorized_default` is 0 so a
//!   new device is not usable before it is judged; a held device that no enforced rule
//!   objects to is then authorized. Both are undone on exit.
//!
//! A step that fails makes its rule `error`, never silently `fail`.

use crate::finding::v1;
use crate::inventory::Inventory;
use crate::policy::Policy;

/// The rules whose failures deauthorize USB devices.
const USB_RULES: &[&str] = &["removable-storage", "wireless", "camera", "audio-capture"];
/// USB interface class of keyboards, mice and other human interface devices.
const HID_CLASS: &str = "03";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The `actions[].action` name.
    pub action: &'static str,
    /// `/sys/devices/...` (or the interface name for link-down).
    pub device: String,
    pub attribute: &'static str,
    pub value: &'static str,
    pub rule: Option<String>,
}

fn is_interface_name(part: &str) -> bool {
    // `1-4.2:1.0`: port, then configuration.interface.
    match part.split_once(':') {
        Some((port, ci)) => {
            is_port_name(port)
                && ci
                    .split('.')
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        }
        None => false,
    }
}

fn is_port_name(part: &str) -> bool {
    // `1-4`, `1-4.2.1`: bus, then the chain of hub ports.
    match part.split_once('-') {
        Some((bus, ports)) => {
            !bus.is_empty()
                && bus.bytes().all(|b| b.is_ascii_digit())
                && ports
                    .split('.')
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        }
        None => false,
    }
}

/// The USB device or interface a device path hangs off: the deepest interface folder in it,
/// else the deepest device folder. `(path, is_interface)`.
pub fn usb_target(device_path: &str) -> Option<(String, bool)> {
    let parts: Vec<&str> = device_path.split('/').collect();
    if let Some(i) = parts.iter().rposition(|p| is_interface_name(p)) {
        return Some((parts[..=i].join("/"), true));
    }
    let i = parts.iter().rposition(|p| is_port_name(p))?;
    Some((parts[..=i].join("/"), false))
}

fn deauthorize(device: String, rule: &str) -> Planned {
    Planned {
        action: "deauthorize",
        device,
        attribute: "authorized",
        value: "0",
        rule: Some(rule.to_string()),
    }
}

/// The interfaces of the USB device at `device_path`, as (path, class).
fn interfaces_of(inventory: &Inventory, device_path: &str) -> Vec<(String, String)> {
    inventory
        .usb
        .devices
        .iter()
        .filter(|d| d.device_path == device_path)
        .flat_map(|d| {
            d.interfaces.iter().filter_map(move |i| {
                let number = i.number.as_ref()?;
                Some((
                    format!("{}/{}:{number}", d.device_path, d.port),
                    i.class.clone(),
                ))
            })
        })
        .collect()
}

/// What enforcement would do about this finding.
pub fn plan(policy: &Policy, finding: &v1::Finding, inventory: &Inventory) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::new();
    for result in &finding.results {
        if result.status != v1::Open::Known(v1::Status::Fail) {
            continue;
        }
        let Some(rule) = policy.rules.iter().find(|r| r.id == result.rule) else {
            continue;
        };
        if !rule.enforce.on {
            continue;
        }
        let check = rule.check.name();
        for evidence in &result.evidence {
            if check == "external-network" && rule.enforce.interface_down {
                // The interface a route, address or link evidence is about (a resolver is
                // about none).
                let name = evidence.name.clone().or_else(|| {
                    let path = evidence.device_path.as_deref()?;
                    inventory
                        .network
                        .interfaces
                        .iter()
                        .find(|i| i.device_path == path)
                        .map(|i| i.name.clone())
                });
                if let Some(name) = name {
                    out.push(Planned {
                        action: "link-down",
                        device: name,
                        attribute: "",
                        value: "",
                        rule: Some(rule.id.clone()),
                    });
                }
                continue;
            }
            let Some(path) = evidence.device_path.as_deref() else {
                continue;
            };
            if USB_RULES.contains(&check) {
                match usb_target(path) {
                    Some((iface, true)) => {
                        let hid =
                            interfaces_of(inventory, iface.rsplit_once('/').map_or("", |(d, _)| d))
                                .iter()
                                .any(|(p, class)| {
                                    *p == iface && class.eq_ignore_ascii_case(HID_CLASS)
                                });
                        if !hid {
                            out.push(deauthorize(iface, &rule.id));
                        }
                    }
                    Some((device, false)) => {
                        let interfaces = interfaces_of(inventory, &device);
                        if interfaces
                            .iter()
                            .any(|(_, c)| c.eq_ignore_ascii_case(HID_CLASS))
                        {
                            // A keyboard with a storage or radio function: only the rest goes.
                            for (iface, class) in interfaces {
                                if !class.eq_ignore_ascii_case(HID_CLASS) {
                                    out.push(deauthorize(iface, &rule.id));
                                }
                            }
                        } else {
                            out.push(deauthorize(device, &rule.id));
                        }
                    }
                    None => {}
                }
            }
            if check == "wireless" {
                for switch in &inventory.wireless.rfkill {
                    if switch.device_path.starts_with(path) && switch.soft_blocked != Some(true) {
                        out.push(Planned {
                            action: "rfkill-block",
                            device: switch.device_path.clone(),
                            attribute: "soft",
                            value: "1",
                            rule: Some(rule.id.clone()),
                        });
                    }
                }
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|p| seen.insert((p.action, p.device.clone())));
    out
}

/// Whether any enforced rule deauthorizes USB devices (then new devices are held at the hub).
pub fn holds_usb(policy: &Policy) -> bool {
    policy
        .rules
        .iter()
        .any(|r| r.enabled && r.enforce.on && USB_RULES.contains(&r.check.name()))
}

/// Carries out one planned step through the platform backend.
pub fn carry_out(machine: &crate::platform::Machine, step: &Planned) -> v1::Action {
    let result = if step.action == "link-down" {
        crate::platform::enforce_link_down(machine, &step.device)
    } else {
        crate::platform::enforce_write(machine, &step.device, step.attribute, step.value)
    };
    record(step.action, &step.device, step.rule.as_deref(), result)
}

pub fn record(
    action: &str,
    device: &str,
    rule: Option<&str>,
    result: Result<(), String>,
) -> v1::Action {
    v1::Action {
        action: action.to_string(),
        device: crate::watch::event::clean(device),
        rule: rule.map(str::to_string),
        result: if result.is_ok() { "done" } else { "failed" }.to_string(),
        error: result.err().map(|e| crate::watch::event::clean(&e)),
    }
}

/// A rule whose enforcement failed becomes `error`, with the reason; the summary follows.
pub fn mark_failures(finding: &mut v1::Finding, actions: &[v1::Action]) {
    for action in actions.iter().filter(|a| a.result == "failed") {
        let Some(rule) = &action.rule else { continue };
        for result in finding.results.iter_mut().filter(|r| &r.rule == rule) {
            if result.status == v1::Open::Known(v1::Status::Fail) {
                result.status = v1::Open::Known(v1::Status::Error);
                finding.summary.fail = finding.summary.fail.saturating_sub(1);
                finding.summary.error += 1;
            }
            let error = action.error.clone().unwrap_or_default();
            let phrase = crate::i18n::Msg::WatchEnforceFailed.with("error", &error);
            result.message = Some(phrase.en());
            result.message_zh = Some(phrase.zh());
        }
    }
    if finding.summary.fail == 0 && finding.summary.error > 0 {
        finding.verdict = v1::Open::Known(v1::Verdict::Error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deepest_usb_interface_or_device_is_the_target() {
        let block = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2.3/1-2.3:1.0/host6/target6:0:0/6:0:0:0/block/sdb";
        assert_eq!(
            usb_target(block),
            Some((
                "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2.3/1-2.3:1.0".into(),
                true
            ))
        );
        assert_eq!(
            usb_target("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2"),
            Some((
                "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2".into(),
                false
            ))
        );
        assert_eq!(
            usb_target("/sys/devices/pci0000:00/0000:00:1f.3/sound/card0"),
            None
        );
        assert_eq!(usb_target("/sys/devices/virtual/block/zram0"), None);
    }

    use crate::policy::checks::testing;

    fn enforced(rule: &str) -> Policy {
        let text = crate::policy::BUILTIN
            .iter()
            .find(|(n, _)| *n == "classified")
            .unwrap()
            .1;
        let mut policy = crate::policy::load_str("builtin:classified", text).unwrap();
        let site = format!("[[rule]]\nid = \"{rule}\"\nenforce = true\n");
        crate::policy::apply_override(&mut policy, "site.toml", &site).unwrap();
        policy
    }

    fn judged(policy: &Policy, inventory: &Inventory) -> v1::Finding {
        let results = crate::policy::evaluate::evaluate(policy, inventory, None);
        let judged = crate::finding::build::Judged {
            policy,
            inventory,
            verdict: crate::policy::evaluate::verdict(&results),
            results: &results,
            probes: None,
        };
        let chain = crate::finding::build::ChainPosition {
            sequence: 0,
            previous: None,
            reset_reason: None,
        };
        crate::finding::build::finding(&judged, String::new(), v1::Trigger::Hotplug, &chain)
    }

    #[test]
    fn an_unregistered_stick_is_deauthorized_only_where_a_rule_enforces() {
        let mut inv = testing::machine();
        let (stick, disk) = testing::stick("sdb", "1-2", "S1");
        inv.usb.devices.push(stick);
        inv.storage.devices.push(disk);
        let policy = enforced("removable-storage");
        let plan = plan(&policy, &judged(&policy, &inv), &inv);
        assert_eq!(
            plan,
            [deauthorize(
                "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2".into(),
                "removable-storage"
            )]
        );
        // Without `enforce = true` nothing is done, whatever fails.
        let report_only = enforced("camera");
        assert!(plan_is_empty(&report_only, &inv));
    }

    fn plan_is_empty(policy: &Policy, inv: &Inventory) -> bool {
        plan(policy, &judged(policy, inv), inv).is_empty()
    }

    #[test]
    fn a_keyboard_with_a_storage_function_keeps_its_keyboard() {
        let mut inv = testing::machine();
        let (_, disk) = testing::stick("sdb", "1-3", "S2");
        let combo = testing::usb(
            "1-3",
            ("1234", "5678"),
            Some("K1"),
            &[
                ("03", "01", "01", Some("usbhid")),
                ("08", "06", "50", Some("usb-storage")),
            ],
        );
        inv.usb.devices.push(combo);
        inv.storage.devices.push(disk);
        let policy = enforced("removable-storage");
        let plan = plan(&policy, &judged(&policy, &inv), &inv);
        assert_eq!(
            plan,
            [deauthorize(
                "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.1".into(),
                "removable-storage"
            )],
            "only the storage interface (1.1), never the HID one (1.0)"
        );
    }

    #[test]
    fn ports_and_interfaces_are_told_apart() {
        assert!(is_port_name("1-4.2.1"));
        assert!(!is_port_name("usb1"));
        assert!(!is_port_name("0000:00:14.0"));
        assert!(is_interface_name("1-4:1.0"));
        assert!(!is_interface_name("6:0:0:0"));
    }

    #[test]
    fn failed_enforcement_makes_the_rule_an_error() {
        let mut finding: v1::Finding = serde_json::from_value(serde_json::json!({
            "schema": "isoguard.finding/v1",
            "host": {"hostname": null, "machine_id": null, "boot_id": null, "os": null, "kernel": null, "agent_version": "0"},
            "time": "2026-12-02T00:00:00Z", "trigger": "hotplug",
            "policy": {"id": null, "version": null, "sha256": null, "source": "x"},
            "verdict": "violation", "summary": {"pass": 0, "fail": 1, "error": 0, "skip": 0},
            "results": [{"rule": "camera", "check": "camera", "title": {"zh": "", "en": ""},
                "severity": "high", "status": "fail", "evidence": [], "remediation": {"zh": "", "en": ""}}],
            "sequence": 0, "previous": null
        }))
        .unwrap();
        let failed = record(
            "deauthorize",
            "/sys/devices/x/1-1:1.0",
            Some("camera"),
            Err("EACCES".into()),
        );
        mark_failures(&mut finding, &[failed]);
        assert_eq!(
            finding.results[0].status,
            v1::Open::Known(v1::Status::Error)
        );
        assert_eq!(finding.verdict, v1::Open::Known(v1::Verdict::Error));
        assert!(finding.results[0]
            .message_zh
            .as_deref()
            .unwrap()
            .contains("强制措施"));
    }
}
