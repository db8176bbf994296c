//! CSV output for spreadsheet programs: one row per (host, failed rule, evidence item), and
//! one row for each host without violations, so a filter on any column answers "which
//! machines have this device" without joining tables.
//!
//! Written for the way spreadsheets actually open files: UTF-8 with a byte-order mark (or
//! Excel guesses a legacy code page and the Chinese text turns to mojibake), CRLF line ends,
//! RFC 4180 quoting. Device strings are attacker-chosen, so a field that a spreadsheet would
//! read as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading apostrophe, as OWASP
//! advises against CSV injection. The header row is bilingual, Chinese then English.
//!
//! Chain problems and rejected files are not rows here (they are not about a host's
//! devices); they are in the HTML and JSON outputs.

use std::collections::{HashMap, HashSet};

use crate::collector::model::{Evidence, HostRow, ReportData, Violation};

use super::clean;

const BOM: &str = "\u{feff}";

const HEADER: [&str; 28] = [
    "主机 Host ID",
    "主机名 Hostname",
    "最后上报 Last finding",
    "结论 Verdict",
    "超期 Stale",
    "策略 Policy",
    "策略版本 Policy version",
    "代理版本 Agent version",
    "规则 Rule",
    "规则名称 Title (zh)",
    "Title (en)",
    "级别 Severity",
    "检查时间 Finding time",
    "序号 Sequence",
    "证据类型 Evidence kind",
    "设备 Name",
    "厂商ID Vendor ID",
    "产品ID Product ID",
    "制造商 Manufacturer",
    "产品 Product",
    "序列号 Serial",
    "MAC",
    "端口 Port",
    "设备路径 Device path",
    "驱动 Driver",
    "总线 Bus",
    "详情 Detail",
    // Last, so the columns a spreadsheet already uses keep their places.
    "单位 Unit",
];

/// Text gathered before it is written out: enough to make each write worth it, little enough
/// that a report of millions of rows is never held whole.
const FLUSH_AT: usize = 1 << 20;

pub(super) fn write(data: &ReportData, sink: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut out = String::from(BOM);
    push_row(&mut out, HEADER.iter().map(|s| s.to_string()));

    // Each host's violations, in the data's order, found once: looking them up by scanning
    // every violation for every host is 30 billion comparisons at 100,000 hosts.
    let mut by_host: HashMap<&str, Vec<&Violation>> = HashMap::new();
    for violation in &data.violations {
        by_host
            .entry(violation.host_id.as_str())
            .or_default()
            .push(violation);
    }
    let mut shown: HashSet<&str> = HashSet::new();
    for host in &data.hosts {
        shown.insert(host.host_id.as_str());
        let violations = by_host.get(host.host_id.as_str()).map(Vec::as_slice);
        match violations {
            Some(violations) if !violations.is_empty() => {
                for violation in violations {
                    violation_rows(&mut out, Some(host), violation);
                }
            }
            _ => push_row(&mut out, row(Some(host), None, None)),
        }
        if out.len() >= FLUSH_AT {
            sink.write_all(out.as_bytes())?;
            out.clear();
        }
    }
    // Violations of a host the host list does not name (should not happen; never drop them).
    for violation in data
        .violations
        .iter()
        .filter(|v| !shown.contains(v.host_id.as_str()))
    {
        violation_rows(&mut out, None, violation);
    }
    sink.write_all(out.as_bytes())
}

fn violation_rows(out: &mut String, host: Option<&HostRow>, violation: &Violation) {
    if violation.evidence.is_empty() {
        push_row(out, row(host, Some(violation), None));
    }
    for evidence in &violation.evidence {
        push_row(out, row(host, Some(violation), Some(evidence)));
    }
}

fn row(
    host: Option<&HostRow>,
    violation: Option<&Violation>,
    evidence: Option<&Evidence>,
) -> impl Iterator<Item = String> {
    let opt = |v: Option<&String>| v.cloned().unwrap_or_default();
    let name = |v: Option<&dyn std::fmt::Display>| v.map(|v| v.to_string()).unwrap_or_default();
    let host_id = host
        .map(|h| h.host_id.clone())
        .or_else(|| violation.map(|v| v.host_id.clone()))
        .unwrap_or_default();
    let hostname = host
        .and_then(|h| h.hostname.clone())
        .or_else(|| violation.and_then(|v| v.hostname.clone()))
        .unwrap_or_default();
    let fields: [String; 28] = [
        host_id,
        hostname,
        opt(host.and_then(|h| h.last_time.as_ref())),
        name(
            host.and_then(|h| h.last_verdict.as_ref())
                .map(|v| v as &dyn std::fmt::Display),
        ),
        match host.map(|h| h.stale) {
            Some(true) => "yes".to_string(),
            Some(false) => "no".to_string(),
            None => String::new(),
        },
        opt(host.and_then(|h| h.policy_id.as_ref())),
        opt(host.and_then(|h| h.policy_version.as_ref())),
        opt(host.and_then(|h| h.agent_version.as_ref())),
        opt(violation.map(|v| &v.rule)),
        opt(violation.map(|v| &v.title.zh)),
        opt(violation.map(|v| &v.title.en)),
        name(violation.map(|v| &v.severity as &dyn std::fmt::Display)),
        opt(violation.map(|v| &v.time)),
        violation
            .map(|v| v.sequence.to_string())
            .unwrap_or_default(),
        name(evidence.map(|e| &e.kind as &dyn std::fmt::Display)),
        opt(evidence.and_then(|e| e.name.as_ref())),
        opt(evidence.and_then(|e| e.vendor_id.as_ref())),
        opt(evidence.and_then(|e| e.product_id.as_ref())),
        opt(evidence.and_then(|e| e.manufacturer.as_ref())),
        opt(evidence.and_then(|e| e.product.as_ref())),
        opt(evidence.and_then(|e| e.serial.as_ref())),
        opt(evidence.and_then(|e| e.mac.as_ref())),
        opt(evidence.and_then(|e| e.port.as_ref())),
        opt(evidence.and_then(|e| e.device_path.as_ref())),
        opt(evidence.and_then(|e| e.driver.as_ref())),
        opt(evidence.and_then(|e| e.bus.as_ref())),
        opt(evidence.map(|e| &e.detail)),
        opt(host.and_then(|h| h.unit.as_ref())),
    ];
    fields.into_iter()
}

fn push_row(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field_text(&field));
    }
    out.push_str("\r\n");
}

/// One field: control characters made visible and length bounded, the formula guard, then
/// RFC 4180 quoting.
fn field_text(raw: &str) -> String {
    let mut value = clean(raw);
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        value.insert(0, '\'');
    }
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::field_text;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(field_text("plain"), "plain");
        assert_eq!(field_text("a,b"), "\"a,b\"");
        assert_eq!(field_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field_text("中文"), "中文");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(field_text("=1+1"), "'=1+1");
        assert_eq!(field_text("+1"), "'+1");
        assert_eq!(field_text("-1"), "'-1");
        assert_eq!(field_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field_text("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(
            field_text("=HYPERLINK(\"x\",\"y\")"),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""
        );
    }

    #[test]
    fn control_characters_do_not_break_rows() {
        // A tab or newline is shown as an escape, so it neither starts a formula nor a row.
        assert_eq!(field_text("\tx"), "\\x09x");
        assert_eq!(field_text("a\r\nb"), "a\\x0d\\x0ab");
    }
}
