//! The collector's report renderers against hostile workstation data: USB names and serials
//! carrying HTML, a host name with `&` and an escape byte, a spreadsheet formula as a product
//! name. The HTML must show all of it as text and run only its own script; the CSV must open
//! in a spreadsheet with Chinese intact and no formula evaluated; the JSON must round-trip.
#![cfg(feature = "collector")]
// Helpers build fixed test data and parse our own output; a failure there is a broken test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use isoguard::collector::model::{
    ChainProblem, ChainProblemKind, Evidence, EvidenceKind, HostRow, RejectedFile, ReportData,
    RuleCount, Severity, Title, Totals, Verdict, Violation, REPORT_SCHEMA,
};
use isoguard::collector::report::{render, Format};
use isoguard::i18n::Lang;

const SCRIPT_PRODUCT: &str = "<script>alert(1)</script>";
const IMG_SERIAL: &str = "\"><img src=x onerror=alert(1)>";
const FORMULA_PRODUCT: &str = "=cmd|' /C calc'!A0";
/// `&`, a quote and an ESC sequence in a host name.
const ODD_HOSTNAME: &str = "ws-01&\"lab\u{1b}[31m";
const STORAGE_ZH: &str = "只使用登记的移动存储介质";

fn title(zh: &str, en: &str) -> Title {
    Title {
        zh: zh.to_string(),
        en: en.to_string(),
    }
}

fn host(id: &str, hostname: &str) -> HostRow {
    HostRow {
        host_id: id.to_string(),
        hostname: Some(hostname.to_string()),
        machine_id: Some(format!("{id}-machine")),
        last_time: Some("2025-03-01T08:00:00Z".to_string()),
        last_verdict: Some(Verdict::Compliant.into()),
        policy_id: Some("classified".to_string()),
        policy_version: Some("1.0.0".to_string()),
        agent_version: Some("0.1.0".to_string()),
        last_sequence: Some(7),
        findings: 7,
        stale: false,
        failed_rules: Vec::new(),
        unit: None,
    }
}

fn data() -> ReportData {
    let mut ws01 = host("a1b2c3", ODD_HOSTNAME);
    ws01.last_verdict = Some(Verdict::Violation.into());
    ws01.failed_rules = vec!["removable-storage".to_string(), "wireless".to_string()];
    let ws02 = host("d4e5f6", "ws-02");
    let ws03 = HostRow {
        host_id: "ws-03".to_string(),
        hostname: None,
        machine_id: None,
        last_time: None,
        last_verdict: None,
        policy_id: None,
        policy_version: None,
        agent_version: None,
        last_sequence: None,
        findings: 0,
        stale: true,
        failed_rules: Vec::new(),
        unit: None,
    };

    let hostile_stick = Evidence {
        kind: EvidenceKind::BlockDevice.into(),
        detail: "unregistered USB storage 未登记的U盘".to_string(),
        detail_zh: None,
        name: Some("sdb".to_string()),
        vendor_id: Some("0781".to_string()),
        product_id: Some("5567".to_string()),
        manufacturer: Some("SanDisk".to_string()),
        product: Some(SCRIPT_PRODUCT.to_string()),
        serial: Some(IMG_SERIAL.to_string()),
        mac: None,
        port: Some("1-2".to_string()),
        device_path: Some("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2".to_string()),
        driver: None,
        bus: None,
    };
    let formula_stick = Evidence {
        kind: EvidenceKind::BlockDevice.into(),
        detail: "x".repeat(10_000),
        detail_zh: None,
        product: Some(FORMULA_PRODUCT.to_string()),
        serial: Some("+SUM(1,2)".to_string()),
        manufacturer: Some("@evil, \"quoted\"".to_string()),
        ..Evidence::new(EvidenceKind::Radio, isoguard::i18n::Phrase::verbatim(""))
    };

    let problem = |kind, sequence| ChainProblem {
        host_id: "a1b2c3".to_string(),
        hostname: Some(ODD_HOSTNAME.to_string()),
        kind,
        sequence,
        detail: format!("{kind:?} <b>detail</b>"),
        detail_zh: format!("{kind:?} <b>详情</b>"),
        noticed_at: "2025-03-01T09:00:00Z".to_string(),
    };

    ReportData {
        schema: REPORT_SCHEMA.to_string(),
        generated_at: "2025-03-02T10:00:00Z".to_string(),
        stale_days: 7,
        totals: Totals {
            hosts: 3,
            compliant: 1,
            violation: 1,
            error: 0,
            stale: 1,
            findings: 14,
            rejected: 1,
            chain_problems: 5,
        },
        hosts: vec![ws01, ws02, ws03],
        violations: vec![
            Violation {
                host_id: "a1b2c3".to_string(),
                hostname: Some(ODD_HOSTNAME.to_string()),
                time: "2025-03-01T08:00:00Z".to_string(),
                sequence: 7,
                rule: "removable-storage".to_string(),
                title: title(STORAGE_ZH, "Only registered removable media"),
                severity: Severity::High.into(),
                evidence: vec![hostile_stick, formula_stick],
                evidence_left_out: 0,
            },
            Violation {
                host_id: "a1b2c3".to_string(),
                hostname: Some(ODD_HOSTNAME.to_string()),
                time: "2025-03-01T08:00:00Z".to_string(),
                sequence: 7,
                rule: "wireless".to_string(),
                title: title("禁止无线设备", "No wireless devices"),
                severity: Severity::Critical.into(),
                evidence: Vec::new(),
                evidence_left_out: 0,
            },
        ],
        by_rule: vec![
            RuleCount {
                rule: "removable-storage".to_string(),
                title: title(STORAGE_ZH, "Only registered removable media"),
                severity: Severity::High.into(),
                hosts: 1,
                remediation: None,
            },
            RuleCount {
                rule: "wireless".to_string(),
                title: title("禁止无线设备", "No wireless devices"),
                severity: Severity::Critical.into(),
                hosts: 1,
                remediation: None,
            },
        ],
        chain_problems: vec![
            problem(ChainProblemKind::Gap, Some(3)),
            problem(ChainProblemKind::Replay, Some(5)),
            problem(ChainProblemKind::Fork, Some(6)),
            problem(ChainProblemKind::BrokenLink, Some(7)),
            problem(ChainProblemKind::Reset, None),
        ],
        units: Vec::new(),
        rejected: vec![RejectedFile {
            file: "evil<img src=x>.json".to_string(),
            stored_as: "rejected/evil<img src=x>.json".to_string(),
            reason: "unknown signer 未知签名者".to_string(),
            rejected_at: "2025-03-01T07:00:00Z".to_string(),
            kind: "bad-signature".to_string(),
        }],
    }
}

/// The `<tbody>` of the table with this id.
fn table_body<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let rest = &html[start..];
    let body = rest.find("<tbody>").unwrap();
    let end = rest.find("</tbody>").unwrap();
    &rest[body..end]
}

#[test]
fn html_shows_device_strings_as_text_only() {
    let html = render(&data(), Format::Html, Lang::Zh);

    assert!(
        !html.contains("<script>alert"),
        "raw script from a product name"
    );
    assert!(
        !html.contains("<img src=x"),
        "raw img from a serial or file name"
    );
    assert!(
        !html.contains("<b>detail"),
        "raw markup from a chain detail"
    );
    assert!(!html.contains('\u{1b}'), "raw ESC byte");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("evil&lt;img src=x&gt;.json"));
    // The host name: `&` and `"` escaped, ESC shown as text, also inside the sort attribute.
    assert!(html.contains("ws-01&amp;&quot;lab\\x1b[31m"));
    assert!(html.contains("data-sort=\"ws-01&amp;&quot;lab\\x1b[31m\""));

    // Only our own script element.
    assert_eq!(html.to_ascii_lowercase().matches("<script").count(), 1);
    assert_eq!(html.matches("</script>").count(), 1);
}

#[test]
fn html_is_a_locked_down_self_contained_page() {
    let html = render(&data(), Format::Html, Lang::Zh);
    assert!(html.starts_with("<!doctype html>\n"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; \
         style-src &#39;sha256-"
    ));
    // Nothing that could load from elsewhere.
    for needle in ["http://", "https://", "src=\"", "url(", "@import"] {
        assert!(!html.contains(needle), "page contains {needle}");
    }
    // The CSP must come before anything it governs.
    assert!(html.find("Content-Security-Policy").unwrap() < html.find("<style>").unwrap());
}

/// The text between an element's opening and closing tag, as a browser hashes it for CSP.
fn inline(html: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = html.find(&open).unwrap() + open.len();
    let end = start + html[start..].find(&format!("</{tag}>")).unwrap();
    html[start..end].to_string()
}

fn csp_hash(text: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "&#39;sha256-{}&#39;",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// An inline script runs only if the policy names its hash: a script smuggled into the page
/// by a missed escape would have another hash and be refused, where 'unsafe-inline' would
/// run it.
#[test]
fn csp_allows_the_pages_own_script_and_style_by_hash_only() {
    let html = render(&data(), Format::Html, Lang::Zh);
    let start = html.find("Content-Security-Policy\" content=\"").unwrap();
    let csp = &html[start..start + html[start..].find("\">").unwrap()];
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(html.matches("<script>").count(), 1);
    assert_eq!(html.matches("<style>").count(), 1);
    let script = format!("script-src {}", csp_hash(&inline(&html, "script")));
    let style = format!("style-src {}", csp_hash(&inline(&html, "style")));
    assert!(csp.contains(&script), "{csp}\nwanted {script}");
    assert!(csp.contains(&style), "{csp}\nwanted {style}");
    // Hashes do not cover style attributes: there must be none.
    assert!(!html.contains(" style=\""));
}

#[test]
fn html_has_every_section_with_its_rows() {
    let html = render(&data(), Format::Html, Lang::Zh);
    for (id, zh, en) in [
        ("totals", "总览", "Totals"),
        ("hosts", "主机", "Hosts"),
        ("by-rule", "按规则统计违规", "Violations by rule"),
        ("by-host", "按主机列出违规", "Violations by host"),
        ("stale", "超期未上报", "Stale hosts"),
        ("chain", "链问题", "Chain problems"),
        ("rejected", "被拒文件", "Rejected files"),
    ] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
        assert!(html.contains(zh) && html.contains(en), "{id} labels");
    }

    let hosts = table_body(&html, "t-hosts");
    assert_eq!(hosts.matches("<tr").count(), 3);
    for name in ["ws-01&amp;&quot;lab", "ws-02", "ws-03"] {
        assert!(hosts.contains(name), "{name} in the host table");
    }
    assert!(hosts.contains("v-violation") && hosts.contains("v-compliant"));
    assert!(hosts.contains("v-none"), "the host that never reported");

    // Two evidence rows for removable-storage, one evidence-less row for wireless.
    let by_host = table_body(&html, "t-by-host");
    assert_eq!(by_host.matches("<tr").count(), 3);
    for shown in [
        "0781:5567",
        "1-2",
        "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2",
        STORAGE_ZH,
    ] {
        assert!(by_host.contains(shown), "{shown}");
    }
    // A 10,000-character detail is cut.
    assert!(!by_host.contains(&"x".repeat(600)));
    assert!(by_host.contains(&format!("{}…", "x".repeat(512))));

    let stale = table_body(&html, "t-stale");
    assert_eq!(stale.matches("<tr").count(), 1);
    assert!(stale.contains("ws-03"));

    let chain = table_body(&html, "t-chain");
    assert_eq!(chain.matches("<tr").count(), 5);
    for kind in ["缺号", "重放", "分叉", "链接断裂", "链重置"] {
        assert!(chain.contains(kind), "{kind}");
    }

    let rejected = table_body(&html, "t-rejected");
    assert!(rejected.contains("unknown signer 未知签名者"));

    // Every table gets a filter box for its own id.
    for id in [
        "t-hosts",
        "t-by-rule",
        "t-by-host",
        "t-stale",
        "t-chain",
        "t-rejected",
    ] {
        assert!(
            html.contains(&format!("class=\"filter\" data-table=\"{id}\"")),
            "{id}"
        );
    }
}

#[test]
fn html_rows_have_as_many_cells_as_their_table_has_columns() {
    let html = render(&data(), Format::Html, Lang::Zh);
    for id in [
        "t-hosts",
        "t-by-rule",
        "t-by-host",
        "t-stale",
        "t-chain",
        "t-rejected",
    ] {
        let start = html.find(&format!("id=\"{id}\"")).unwrap();
        let table = &html[start..start + html[start..].find("</table>").unwrap()];
        let head = &table[..table.find("</thead>").unwrap()];
        let columns = head.matches("<th scope=").count();
        assert!(columns > 0, "{id}");
        for row in table_body(&html, id).split("<tr").skip(1) {
            assert_eq!(row.matches("<td").count(), columns, "{id}: {row}");
        }
    }
}

#[test]
fn html_of_an_empty_report_says_none() {
    let empty = ReportData {
        hosts: Vec::new(),
        violations: Vec::new(),
        by_rule: Vec::new(),
        chain_problems: Vec::new(),
        units: Vec::new(),
        rejected: Vec::new(),
        totals: Totals::default(),
        ..data()
    };
    let html = render(&empty, Format::Html, Lang::Zh);
    // Units, hosts, by rule, by host, stale, chain, rejected.
    assert_eq!(html.matches("<tr class=\"empty\">").count(), 7);
}

/// RFC 4180 reader for checking our own output: records split on CRLF outside quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        if quoted {
            match ch {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(ch),
            }
            continue;
        }
        match ch {
            '"' => {
                assert!(field.is_empty(), "quote inside an unquoted field: {field}");
                quoted = true;
            }
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            '\n' => panic!("bare LF line end"),
            _ => field.push(ch),
        }
    }
    assert!(!quoted, "unterminated quote");
    assert!(
        field.is_empty() && record.is_empty(),
        "last line without CRLF"
    );
    records
}

#[test]
fn csv_opens_in_a_spreadsheet_without_surprises() {
    let csv = render(&data(), Format::Csv, Lang::En);
    assert!(csv.as_bytes().starts_with(&[0xef, 0xbb, 0xbf]), "UTF-8 BOM");
    assert!(csv.ends_with("\r\n"));
    assert!(!csv.replace("\r\n", "").contains(['\r', '\n']));
    assert!(!csv.contains('\u{1b}'));

    let records = parse_csv(csv.trim_start_matches('\u{feff}'));
    let header = &records[0];
    assert_eq!(header[0], "主机 Host ID");
    assert!(
        records.iter().all(|r| r.len() == header.len()),
        "ragged rows"
    );
    // ws-01: two evidence rows + one evidence-less wireless row; ws-02 and ws-03: one each.
    assert_eq!(records.len(), 1 + 5);

    let column = |name: &str| header.iter().position(|h| h.ends_with(name)).unwrap();
    let (product, serial, maker, title_zh, host) = (
        column("Product"),
        column("Serial"),
        column("Manufacturer"),
        column("Title (zh)"),
        column("Hostname"),
    );

    // Quoting round-trips the hostile serial exactly; the formula is defused.
    assert_eq!(records[1][serial], IMG_SERIAL);
    assert_eq!(records[1][product], SCRIPT_PRODUCT);
    assert_eq!(records[1][title_zh], STORAGE_ZH);
    assert_eq!(records[1][host], "ws-01&\"lab\\x1b[31m");
    assert_eq!(records[2][product], format!("'{FORMULA_PRODUCT}"));
    assert_eq!(records[2][serial], "'+SUM(1,2)");
    assert_eq!(records[2][maker], "'@evil, \"quoted\"");
    assert!(csv.contains("'=cmd|' /C calc'!A0"));
    for record in &records {
        for field in record {
            assert!(
                !field.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula-like field {field:?}"
            );
        }
    }
    assert_eq!(records[4][host], "ws-02");
    assert_eq!(records[5][0], "ws-03");
    assert!(csv.contains("禁止无线设备"));
}

#[test]
fn json_round_trips() {
    let data = data();
    let json = render(&data, Format::Json, Lang::En);
    let back: ReportData = serde_json::from_str(&json).unwrap();
    assert_eq!(back, data);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema"], REPORT_SCHEMA);
    assert_eq!(value["chain_problems"][3]["kind"], "broken-link");
}
