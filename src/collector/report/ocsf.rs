//! OCSF output for SIEMs: one OCSF 1.8 Compliance Finding (class 2003, category 2 Findings,
//! activity 1 Create) per failed rule of each host's latest finding, one JSON object a line,
//! the rows the CSV has (without its one-row-per-device split: the devices are the event's
//! evidences).
//!
//! Only failed rules become events. A stale host or a chain problem is not a compliance
//! result of any rule, and OCSF has no Compliance Finding without a control; forcing them in
//! (as `Warning`, say) would put them on dashboards as if a rule had been judged. They stay in
//! the HTML and JSON outputs.
//!
//! `finding_info.uid` is what a SIEM de-duplicates on, so it depends only on what identifies
//! the failure: the host, the finding (its sequence and time: a chain that restarts at 1
//! still differs in time) and the rule. Running the report again gives the same uid for the
//! same finding; the host's next finding gives a new one.
//!
//! Workstation strings (host names, device names, serials) are kept as sent, cut to
//! [`CELL_CHARS`] characters, and reach the output only through serde's JSON escaping, like
//! the JSON report. An event carries at most [`MAX_EVIDENCE`] evidence items, so one host
//! with thousands of devices cannot produce an event a SIEM refuses; `unmapped.isoguard`
//! says how many were left out, and (`unit`) which unit below a host's finding came up
//! through, when it came in a bundle.

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::collector::model::{Evidence, HostRow, ReportData, Severity, Title, Violation};
use crate::vocab::Open;

use super::CELL_CHARS;

/// The OCSF schema version the events follow.
pub(crate) const OCSF_VERSION: &str = "1.8.0";
const CLASS_UID: u32 = 2003;
const CATEGORY_UID: u32 = 2;
/// Create: each report states the failures as they are now; a SIEM that keeps state merges
/// repeated events by `finding_info.uid`.
const ACTIVITY_ID: u32 = 1;
/// Compliance status "Fail".
const COMPLIANCE_FAIL: u32 = 3;
/// Evidence items per event; the finding itself is at most 2.5 MiB, a SIEM event far less.
pub(crate) const MAX_EVIDENCE: usize = 32;

pub(super) fn write(data: &ReportData, sink: &mut dyn std::io::Write) -> std::io::Result<()> {
    let hosts: HashMap<&str, &HostRow> =
        data.hosts.iter().map(|h| (h.host_id.as_str(), h)).collect();
    let remediation: HashMap<&str, &Title> = data
        .by_rule
        .iter()
        .filter_map(|r| r.remediation.as_ref().map(|t| (r.rule.as_str(), t)))
        .collect();
    let fallback_ms = crate::time::parse_rfc3339_utc(&data.generated_at).map(|s| s * 1000);
    let mut out = String::new();
    for violation in &data.violations {
        let event = event(
            violation,
            hosts.get(violation.host_id.as_str()).copied(),
            remediation.get(violation.rule.as_str()).copied(),
            fallback_ms,
        );
        // Built from strings, integers and string-keyed maps only, which always serialise.
        if let Ok(line) = serde_json::to_string(&event) {
            out.push_str(&line);
            out.push('\n');
        }
        if out.len() >= 1 << 20 {
            sink.write_all(out.as_bytes())?;
            out.clear();
        }
    }
    sink.write_all(out.as_bytes())
}

/// OCSF `severity_id` and its caption for one of our severities. A severity this collector
/// does not know is OCSF's "Other" (99), with our word as the caption, as OCSF asks.
pub(crate) fn severity(severity: &Open<Severity>) -> (u32, String) {
    match severity {
        Open::Known(Severity::Critical) => (5, "Critical".to_string()),
        Open::Known(Severity::High) => (4, "High".to_string()),
        Open::Known(Severity::Medium) => (3, "Medium".to_string()),
        Open::Known(Severity::Low) => (2, "Low".to_string()),
        Open::Known(Severity::Info) => (1, "Informational".to_string()),
        Open::Other(word) => (99, bound(word)),
    }
}

/// The stable identity of one failed rule of one finding (hex SHA-256). Each part is length
/// prefixed so no two different triples hash the same bytes, whatever the strings hold.
pub(crate) fn finding_uid(host_id: &str, sequence: u64, time: &str, rule: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"isoguard.ocsf/v1\0");
    let sequence = sequence.to_string();
    for part in [host_id, sequence.as_str(), time, rule] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    crate::finding::keys::hex(&hasher.finalize())
}

fn event(
    violation: &Violation,
    host: Option<&HostRow>,
    remediation: Option<&Title>,
    fallback_ms: Option<i64>,
) -> Value {
    let (severity_id, severity_name) = severity(&violation.severity);
    let uid = finding_uid(
        &violation.host_id,
        violation.sequence,
        &violation.time,
        &violation.rule,
    );
    let parsed_ms = crate::time::parse_rfc3339_utc(&violation.time).map(|s| s * 1000);
    // `time` is required; a finding time that does not parse (the collector stores what was
    // signed) falls back to the report's own time, and the raw text stays in original_time.
    let time_ms = parsed_ms.or(fallback_ms).unwrap_or(0);
    let hostname = violation
        .hostname
        .as_deref()
        .or_else(|| host.and_then(|h| h.hostname.as_deref()));
    let policy_id = host.and_then(|h| h.policy_id.as_deref());
    let policy_version = host.and_then(|h| h.policy_version.as_deref());
    let standard = match (policy_id, policy_version) {
        (Some(id), Some(version)) => format!("isoguard policy {id} {version}"),
        (Some(id), None) => format!("isoguard policy {id}"),
        _ => "isoguard policy".to_string(),
    };
    let standard = bound(&standard);
    let rule = bound(&violation.rule);
    let title_en = bound(&violation.title.en);

    let shown = &violation.evidence[..violation.evidence.len().min(MAX_EVIDENCE)];
    let evidences: Vec<Value> = shown.iter().map(evidence).collect();

    let mut observables = Vec::new();
    if let Some(name) = hostname {
        observables.push(json!({
            "name": "device.hostname", "type_id": 1, "type": "Hostname", "value": bound(name),
        }));
    }
    observables.push(json!({
        "name": "device.uid", "type_id": 10, "type": "Resource UID",
        "value": bound(&violation.host_id),
    }));
    let mut macs: Vec<&str> = shown.iter().filter_map(|e| e.mac.as_deref()).collect();
    // A Wi-Fi card and its monitor interface share one MAC: one observable is enough.
    macs.sort_unstable();
    macs.dedup();
    for mac in macs {
        observables.push(json!({
            "name": "evidences.data.mac", "type_id": 3, "type": "MAC Address", "value": bound(mac),
        }));
    }

    let mut device = json!({
        "type_id": 0,
        "type": "Unknown",
        "uid": bound(&violation.host_id),
        "name": bound(hostname.unwrap_or(&violation.host_id)),
        // It fails a rule, so by our policy it is not compliant.
        "is_compliant": false,
    });
    if let Some(name) = hostname {
        device["hostname"] = json!(bound(name));
    }
    if let Some(machine) = host.and_then(|h| h.machine_id.as_deref()) {
        if machine != violation.host_id {
            device["uid_alt"] = json!(bound(machine));
        }
    }
    if let Some(version) = host.and_then(|h| h.agent_version.as_deref()) {
        device["agent_list"] = json!([{ "name": "isoguard", "version": bound(version) }]);
    }

    let mut isoguard = json!({
        "host_id": bound(&violation.host_id),
        "rule": rule,
        "sequence": violation.sequence,
        "title_zh": bound(&violation.title.zh),
        "evidence_total": violation.evidence.len(),
    });
    if violation.evidence.len() > shown.len() {
        isoguard["evidence_omitted"] = json!(violation.evidence.len() - shown.len());
    }
    if parsed_ms.is_none() {
        isoguard["time_unparsed"] = json!(true);
    }
    if let Some(id) = policy_id {
        isoguard["policy_id"] = json!(bound(id));
    }
    if let Some(version) = policy_version {
        isoguard["policy_version"] = json!(bound(version));
    }
    if let Some(text) = remediation {
        isoguard["remediation_zh"] = json!(bound(&text.zh));
    }
    // The unit below whose bundle brought the host's latest finding up to this collector.
    if let Some(unit) = host.and_then(|h| h.unit.as_deref()) {
        isoguard["unit"] = json!(bound(unit));
    }

    let mut analytic = json!({ "uid": rule, "name": rule, "type_id": 1, "type": "Rule" });
    if let Some(version) = policy_version {
        analytic["version"] = json!(bound(version));
    }
    let mut check = json!({
        "uid": rule,
        "name": title_en,
        "severity": bound(violation.severity.as_str()),
        "severity_id": severity_id,
        "standards": [standard],
        "status": "Fail",
        "status_id": COMPLIANCE_FAIL,
    });
    if let Some(version) = policy_version {
        check["version"] = json!(bound(version));
    }

    let mut event = json!({
        "activity_id": ACTIVITY_ID,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_ID,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id,
        "severity": severity_name,
        "time": time_ms,
        "timezone_offset": 0,
        "message": bound(&format!(
            "{}: rule {} failed: {}",
            hostname.unwrap_or(&violation.host_id),
            violation.rule,
            violation.title.en
        )),
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "isoguard",
                "vendor_name": "isoguard",
                "version": env!("CARGO_PKG_VERSION"),
                "feature": { "name": "isoguard-collector report" },
            },
            "original_time": bound(&violation.time),
            "sequence": violation.sequence,
        },
        "finding_info": {
            "uid": uid,
            "title": title_en,
            "desc": bound(&violation.title.zh),
            "created_time": time_ms,
            "analytic": analytic,
            "data_sources": ["isoguard.finding/v1"],
        },
        "compliance": {
            "control": rule,
            "desc": title_en,
            "standards": [standard],
            "status": "Fail",
            "status_id": COMPLIANCE_FAIL,
            "checks": [check],
        },
        "device": device,
        "observables": observables,
        "unmapped": { "isoguard": isoguard },
    });
    if !evidences.is_empty() {
        event["evidences"] = Value::Array(evidences);
    }
    if let Some(text) = remediation {
        event["remediation"] = json!({ "desc": bound(&text.en) });
    }
    event
}

/// One evidence item as an OCSF evidence artifact: its kind as the name, our fields as data.
fn evidence(item: &Evidence) -> Value {
    let mut data = Map::new();
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(value) = value {
            data.insert(key.to_string(), Value::String(bound(value)));
        }
    };
    put("kind", Some(item.kind.as_str()));
    put("detail", Some(&item.detail));
    put("detail_zh", item.detail_zh.as_deref());
    put("name", item.name.as_deref());
    put("device_path", item.device_path.as_deref());
    put("vendor_id", item.vendor_id.as_deref());
    put("product_id", item.product_id.as_deref());
    put("manufacturer", item.manufacturer.as_deref());
    put("product", item.product.as_deref());
    put("serial", item.serial.as_deref());
    put("mac", item.mac.as_deref());
    put("port", item.port.as_deref());
    put("driver", item.driver.as_deref());
    put("bus", item.bus.as_deref());
    json!({ "name": bound(item.kind.as_str()), "data": data })
}

/// A workstation string cut to [`CELL_CHARS`] characters; otherwise exactly as sent (JSON
/// escaping, done by serde, is all it needs).
fn bound(value: &str) -> String {
    match value.char_indices().nth(CELL_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_to_ocsf_ids() {
        let id = |s: Severity| severity(&Open::Known(s)).0;
        assert_eq!(id(Severity::Critical), 5);
        assert_eq!(id(Severity::High), 4);
        assert_eq!(id(Severity::Medium), 3);
        assert_eq!(id(Severity::Low), 2);
        assert_eq!(id(Severity::Info), 1);
        // Every known severity has its own id, in the same order as ours.
        let ids: Vec<u32> = Severity::ALL.iter().map(|s| id(*s)).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
        assert_eq!(
            severity(&Open::Other("catastrophic".to_string())),
            (99, "catastrophic".to_string())
        );
    }

    #[test]
    fn finding_uid_is_stable_and_tells_findings_apart() {
        let time = "2026-11-28T03:46:18Z";
        let uid = finding_uid("ws-01", 42, time, "wireless");
        assert_eq!(uid, finding_uid("ws-01", 42, time, "wireless"));
        assert_eq!(uid.len(), 64);
        assert!(uid.bytes().all(|b| b.is_ascii_hexdigit()));
        let others = [
            finding_uid("ws-02", 42, time, "wireless"),
            finding_uid("ws-01", 43, time, "wireless"),
            // A chain that restarted: same sequence, another time.
            finding_uid("ws-01", 42, "2026-11-28T03:46:19Z", "wireless"),
            finding_uid("ws-01", 42, time, "removable-storage"),
            // Length prefixes: moving characters between parts changes the uid.
            finding_uid("ws-0", 142, time, "wireless"),
        ];
        for other in others {
            assert_ne!(uid, other);
        }
    }

    #[test]
    fn long_strings_are_bounded_on_a_character_boundary() {
        let long = "界".repeat(CELL_CHARS + 10);
        let cut = bound(&long);
        assert_eq!(cut.chars().count(), CELL_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(bound("short"), "short");
    }
}
