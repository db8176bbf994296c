//! The HTML report: one self-contained page for the security office, opened from a USB stick
//! on a machine with no network.
//!
//! No template engine: the page is small and fixed, and building it by hand keeps every
//! untrusted string going through one path, [`text`] (control characters made visible,
//! length bounded, then `& < > " '` escaped). Untrusted data only ever lands in element text
//! and quoted `data-sort` attributes, never in the script (only in its JSON data, below),
//! a URL, a style or an event
//! handler; class names are picked from fixed lists, never taken from the data. The
//! Content-Security-Policy in the page forbids every load (images only `data:`) and allows
//! only the page's own style and script, by their SHA-256 hashes, so even a missed escape
//! could neither fetch or send anything nor run a script of its own.
//!
//! Short tables are complete without JavaScript; the one inline script only adds sorting,
//! filtering and the zh/en switch, and marks `<html data-ready="1">` when it has run. A
//! table longer than a page (hosts and device evidence, at a province's 100,000 hosts) has
//! its first page as markup, a note saying the rest needs the script, and all its rows (the
//! evidence up to a budget) as data in a `<script type="application/json">` element, which
//! is not a script: JSON with `<`, `>`, `&` and U+2028/2029 escaped (`script_data`), read
//! with `JSON.parse` and drawn one page at a time into text nodes. Hosts are grouped by the
//! unit their findings came through (one group for this collector's own hosts).

use std::fmt::Write as _;

use crate::collector::model::{
    ChainProblem, ChainProblemKind, Evidence, HostRow, Open, RejectedFile, ReportData, Severity,
    UnitRow, Verdict, Violation,
};

use super::script_data::{self as data, Text};
use super::{clean, clean_cow};
use crate::collector::ingest::RejectKind;
use crate::i18n::{term_text, Lang, Msg};

const CSS: &str = include_str!("assets/report.css");

/// Rows a paged table shows at a time: what a browser lays out at once without effort, and
/// what a reader without the script gets of it.
const PAGE_ROWS: usize = 100;
/// Rows of a table that is not paged (stale hosts, chain problems, rejected files) the page
/// carries at most.
const STATIC_ROWS: usize = 1_000;
/// Device evidence rows the page carries at most: at a province's scale there are millions,
/// which no page opens; the CSV and JSON reports carry them all.
pub const EVIDENCE_ROWS: usize = 50_000;
const SCRIPT: &str = include_str!("assets/report.js");

/// The inline elements exactly as the page carries them: a browser hashes the text between
/// the tags, so the policy's hashes are computed from these very strings.
fn style_element_text() -> String {
    format!("\n{CSS}")
}

fn script_element_text() -> String {
    format!("\n{SCRIPT}")
}

/// `'sha256-<base64>'`, the CSP source that allows one inline element with this text.
fn csp_hash(text: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Nothing may load: no network, no files, no frames. Only our own style and script run,
/// named by their hashes: markup smuggled in through a missed escape would carry another
/// text and be refused, where 'unsafe-inline' would run it.
/// (`frame-ancestors` is not allowed in a meta policy, so it is left out.)
fn csp() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; \
         form-action 'none'",
        csp_hash(&style_element_text()),
        csp_hash(&script_element_text())
    )
}

/// The page in both languages; `lang` is the one shown when it opens (the reader can switch,
/// and the page remembers the reader's choice).
pub(super) fn render(data: &ReportData, lang: Lang) -> String {
    render_carrying(data, lang, EVIDENCE_ROWS)
}

/// [`render`], the page carrying `evidence_rows` rows of device evidence.
pub(super) fn render_carrying(data: &ReportData, lang: Lang, evidence_rows: usize) -> String {
    // The page is bounded (a page of markup per table, data for the hosts and a budget of
    // evidence), so is its first allocation.
    let mut out = String::with_capacity(256 * 1024 + data.hosts.len().min(200_000) * 400);
    head(&mut out, data, lang);
    totals(&mut out, data);
    let groups = by_unit(data);
    units(&mut out, &groups, &data.units);
    // The two long tables, one on each core; the page is the same as written in turn.
    let (host_table, rule_tables) = std::thread::scope(|scope| {
        let host_table = scope.spawn(|| {
            let mut part = String::new();
            hosts(&mut part, &groups);
            part
        });
        let mut part = String::new();
        by_rule(&mut part, data);
        by_host(&mut part, data, evidence_rows);
        match host_table.join() {
            Ok(host_table) => (host_table, part),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    out.push_str(&host_table);
    out.push_str(&rule_tables);
    stale(&mut out, data);
    chain(&mut out, data);
    rejected(&mut out, data);
    let _ = write!(
        out,
        "<footer><p>{} <span class=\"mono\">{}</span> · {} {} · isoguard</p></footer>\n\
         <script>{}</script>\n</body>\n</html>\n",
        label("报告格式", "Report schema"),
        text(&data.schema),
        label("生成时间", "Generated"),
        text(&data.generated_at),
        script_element_text(),
    );
    out
}

// ---------------------------------------------------------------------------------------
// Escaping

/// Escapes for HTML text and for double- or single-quoted attribute values.
fn esc(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for ch in value.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Untrusted text, ready for HTML: visible control characters, bounded, escaped.
fn text(value: &str) -> String {
    esc(&clean_cow(value))
}

/// Untrusted text that came in both languages (a finding's `detail` and `detail_zh`); one
/// span when they are the same or the Chinese is missing.
fn said(en: &str, zh: Option<&str>) -> String {
    match zh.filter(|zh| !zh.is_empty() && *zh != en) {
        Some(zh) => format!(
            "<span class=\"zh\" lang=\"zh-CN\">{}</span><span class=\"en\" lang=\"en\">{}</span>",
            text(zh),
            text(en)
        ),
        None => text(en),
    }
}

/// A catalogue message in both languages.
fn msg_label(msg: Msg) -> String {
    label(&msg.text(Lang::Zh), &msg.text(Lang::En))
}

/// A fixed label in both languages; the zh/en switch hides one of them.
fn label(zh: &str, en: &str) -> String {
    format!(
        "<span class=\"zh\" lang=\"zh-CN\">{}</span> <span class=\"en\" lang=\"en\">{}</span>",
        esc(zh),
        esc(en)
    )
}

const DASH: &str = "—";

fn opt_text(value: Option<&String>) -> String {
    match value {
        Some(v) if !v.is_empty() => text(v),
        _ => DASH.to_string(),
    }
}

fn mono(value: Option<&String>) -> String {
    match value {
        Some(v) if !v.is_empty() => format!("<span class=\"mono\">{}</span>", text(v)),
        _ => DASH.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Tables

struct Cell {
    html: String,
    /// Sort key when the shown text does not sort right (badges, numbers, empty values).
    sort: Option<String>,
    class: &'static str,
}

impl Cell {
    fn html(html: String) -> Cell {
        Cell {
            html,
            sort: None,
            class: "",
        }
    }

    fn sort(mut self, key: impl Into<String>) -> Cell {
        self.sort = Some(key.into());
        self
    }

    fn class(mut self, class: &'static str) -> Cell {
        self.class = class;
        self
    }

    fn num(value: u64) -> Cell {
        Cell::html(value.to_string()).class("num")
    }
}

struct Row {
    class: &'static str,
    cells: Vec<Cell>,
}

struct Table {
    /// Element id of the table (fixed string), used by its filter box.
    id: &'static str,
    columns: &'static [(&'static str, &'static str)],
    rows: Vec<Row>,
    /// How many rows the table has in all (more than `rows` when only a page is markup).
    total: usize,
    paged: Option<Paged>,
}

impl Table {
    fn new(
        id: &'static str,
        columns: &'static [(&'static str, &'static str)],
        rows: Vec<Row>,
    ) -> Table {
        Table {
            id,
            columns,
            total: rows.len(),
            rows,
            paged: None,
        }
    }
}

/// A table too long to be markup: its first page is, and every row is data for the script,
/// which shows it page by page (see `report.js`, `paged`).
struct Paged {
    /// Which of the script's row renderers draws it (a fixed word).
    kind: &'static str,
    /// `{"page": rows per page, "rows": [...], ...}`, from `script_data::paged_rows`.
    json: String,
    /// How many rows `json` holds (fewer than the table's total when the page's budget cut it).
    carried: usize,
}

/// A section: heading with a count, an optional note, the filter box, the table.
fn section(out: &mut String, anchor: &str, zh: &str, en: &str, note: Option<String>, mut t: Table) {
    let _ = write!(
        out,
        "<section id=\"{anchor}\">\n<h2>{} <span class=\"count\">({})</span></h2>\n",
        label(zh, en),
        t.total
    );
    // A table that is not paged is still bounded: thousands of rows of markup are what makes
    // a page slow to open, and every row is in the CSV and JSON reports.
    if t.paged.is_none() && t.rows.len() > STATIC_ROWS {
        t.rows.truncate(STATIC_ROWS);
    }
    if let Some(note) = note {
        let _ = writeln!(out, "<p class=\"note\">{note}</p>");
    }
    // Hidden until the script runs: without JavaScript a filter box would do nothing.
    let _ = write!(
        out,
        "<div class=\"tools\" hidden><label>{} <input type=\"search\" class=\"filter\" \
         data-table=\"{id}\" placeholder=\"输入关键字\" data-placeholder-zh=\"输入关键字\" \
         data-placeholder-en=\"Type to filter\" autocomplete=\"off\"></label> \
         <span class=\"shown\"></span>{pager}</div>\n\
         <div class=\"wrap\"><table class=\"data{paged}\" id=\"{id}\">\n<thead><tr>",
        label("筛选", "Filter"),
        id = t.id,
        pager = if t.paged.is_some() {
            pager()
        } else {
            String::new()
        },
        paged = match &t.paged {
            Some(p) => format!(" paged\" data-kind=\"{}\" data-source=\"d-{}", p.kind, t.id),
            None => String::new(),
        },
    );
    for (zh, en) in t.columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", label(zh, en));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    if t.rows.is_empty() {
        let _ = writeln!(
            out,
            "<tr class=\"empty\"><td colspan=\"{}\">{}</td></tr>",
            t.columns.len(),
            label("无", "None")
        );
    }
    for row in &t.rows {
        if row.class.is_empty() {
            out.push_str("<tr>");
        } else {
            let _ = write!(out, "<tr class=\"{}\">", row.class);
        }
        for cell in &row.cells {
            out.push_str("<td");
            if !cell.class.is_empty() {
                let _ = write!(out, " class=\"{}\"", cell.class);
            }
            if let Some(key) = &cell.sort {
                let _ = write!(out, " data-sort=\"{}\"", esc(key));
            }
            let _ = write!(out, ">{}</td>", cell.html);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
    rest_note(out, &t);
    if let Some(paged) = &t.paged {
        let _ = writeln!(
            out,
            "<script type=\"application/json\" id=\"d-{}\">{}</script>",
            t.id, paged.json
        );
    }
    out.push_str("</section>\n");
}

/// The page buttons and the unit choice of a paged table, hidden until the script runs.
fn pager() -> String {
    format!(
        " <select class=\"unit\" hidden></select> <span class=\"pager\">\
         <button type=\"button\" data-page=\"prev\">‹ {}</button> <span class=\"page\"></span> \
         <button type=\"button\" data-page=\"next\">{} ›</button></span>",
        label("上一页", "Previous"),
        label("下一页", "Next")
    )
}

/// What the markup leaves out, said below the table (the script hides what it shows).
fn rest_note(out: &mut String, t: &Table) {
    let shown = t.rows.len();
    if shown >= t.total {
        return;
    }
    let carried = t.paged.as_ref().map_or(shown, |p| p.carried);
    let (total, more) = (t.total, t.total - shown);
    let note = if t.paged.is_some() {
        label(
            &format!("另有 {more} 行由页面脚本分页显示（需启用 JavaScript）。"),
            &format!(
                "{more} more rows are shown page by page by the page's script (JavaScript needed)."
            ),
        )
    } else {
        String::new()
    };
    let cut = if carried < total {
        label(
            &format!("本页只包含前 {carried} 行（共 {total} 行）；CSV 与 JSON 报告包含全部。"),
            &format!("This page carries the first {carried} of {total} rows; the CSV and JSON reports have them all."),
        )
    } else {
        String::new()
    };
    let _ = writeln!(out, "<p class=\"note more\">{note} {cut}</p>");
}

// ---------------------------------------------------------------------------------------
// Shared cells

fn host_name<'a>(host_id: &'a str, hostname: Option<&'a String>) -> &'a str {
    match hostname {
        Some(name) if !name.is_empty() => name,
        _ => host_id,
    }
}

/// The host as people know it (hostname), with the enrolled identity below when different.
fn host_cell(host_id: &str, hostname: Option<&String>, machine_id: Option<&String>) -> Cell {
    let shown = host_name(host_id, hostname);
    let mut html = format!("<strong>{}</strong>", text(shown));
    if shown != host_id {
        let _ = write!(
            html,
            "<span class=\"sub mono nowrap\">{}</span>",
            text(host_id)
        );
    }
    if let Some(machine) = machine_id.filter(|m| !m.is_empty() && m.as_str() != host_id) {
        let _ = write!(
            html,
            "<span class=\"sub mono nowrap\" title=\"machine-id\">{}</span>",
            text(machine)
        );
    }
    Cell::html(html).sort(clean(shown))
}

fn time_cell(time: Option<&String>) -> Cell {
    match time {
        Some(t) if !t.is_empty() => Cell::html(time_html(t)),
        _ => Cell::html(label("从未", "never")).sort(""),
    }
}

/// A time as the agent or collector wrote it (RFC 3339 UTC). The script shows it in the
/// reader's local time with the zone, the UTC text on hover; without the script it stays UTC.
fn time_html(time: &str) -> String {
    format!(
        "<time class=\"mono nowrap\" datetime=\"{t}\" title=\"{t}\">{t}</time>",
        t = text(time)
    )
}

fn verdict_cell(verdict: Option<&Open<Verdict>>) -> Cell {
    let (class, zh, en, key) = match verdict {
        Some(Open::Known(Verdict::Violation)) => ("v-violation", "违规", "violation", "0"),
        Some(Open::Known(Verdict::Error)) => ("v-error", "出错", "error", "1"),
        None => ("v-none", "无结果", "none", "2"),
        Some(Open::Known(Verdict::Compliant)) => ("v-compliant", "合规", "compliant", "3"),
        Some(Open::Other(other)) => {
            return Cell::html(format!(
                "<span class=\"badge v-other\">{}</span>",
                text(other)
            ))
            .sort(format!("4 {}", clean(other)));
        }
    };
    Cell::html(format!(
        "<span class=\"badge {class}\">{}</span>",
        label(zh, en)
    ))
    .sort(key)
}

fn severity_cell(severity: &Open<Severity>) -> Cell {
    let (class, zh, key) = match severity {
        Open::Known(Severity::Critical) => ("s-critical", "严重", "0"),
        Open::Known(Severity::High) => ("s-high", "高", "1"),
        Open::Known(Severity::Medium) => ("s-medium", "中", "2"),
        Open::Known(Severity::Low) => ("s-low", "低", "3"),
        Open::Known(Severity::Info) => ("s-info", "提示", "4"),
        Open::Other(other) => {
            return Cell::html(format!(
                "<span class=\"badge s-other\">{}</span>",
                text(other)
            ))
            .sort(format!("5 {}", clean(other)));
        }
    };
    Cell::html(format!(
        "<span class=\"badge {class}\">{}</span>",
        label(zh, severity.as_str())
    ))
    .sort(key)
}

fn rule_cell(rule: &str, zh: &str, en: &str) -> Cell {
    Cell::html(format!(
        "<span class=\"mono nowrap\">{}</span><span class=\"sub zh\" lang=\"zh-CN\">{}</span>\
         <span class=\"sub en\" lang=\"en\">{}</span>",
        text(rule),
        text(zh),
        text(en)
    ))
    .sort(clean(rule))
}

fn opt_num_cell(value: Option<u64>) -> Cell {
    match value {
        Some(n) => Cell::num(n),
        None => Cell::html(DASH.to_string()).class("num").sort(""),
    }
}

// ---------------------------------------------------------------------------------------
// Sections

fn head(out: &mut String, data: &ReportData, lang: Lang) {
    let (html_lang, code) = match lang {
        Lang::Zh => ("zh-CN", "zh"),
        Lang::En => ("en", "en"),
    };
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{html_lang}\" class=\"only-{code}\" data-lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"isoguard\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>isoguard 合规检查报告 Compliance report · {generated}</title>\n\
         <style>{style}</style>\n</head>\n<body>\n\
         <header>\n<div class=\"top\"><h1>isoguard {title}</h1>\
         <div class=\"lang\" hidden role=\"group\" aria-label=\"语言 Language\">\
         <button type=\"button\" data-lang=\"zh\">中文</button>\
         <button type=\"button\" data-lang=\"en\">English</button>\
         <button type=\"button\" data-lang=\"both\">中文 + English</button></div></div>\n\
         <p class=\"meta\">{gen_label} <span class=\"mono\">{generated}</span> · \
         {stale_label} {stale_days} {days}</p>\n",
        csp = esc(&csp()),
        style = style_element_text(),
        generated = text(&data.generated_at),
        title = label("合规检查报告", "Compliance report"),
        gen_label = label("生成时间", "Generated"),
        stale_label = label("超期阈值", "Stale after"),
        stale_days = data.stale_days,
        days = label("天", "days"),
    );
    out.push_str("<nav>");
    for (anchor, zh, en) in [
        ("totals", "总览", "Totals"),
        ("by-unit", "按单位", "By unit"),
        ("hosts", "主机", "Hosts"),
        ("by-rule", "按规则统计违规", "Violations by rule"),
        ("by-host", "按主机列出违规", "Violations by host"),
        ("stale", "超期未上报", "Stale hosts"),
        ("chain", "链问题", "Chain problems"),
        ("rejected", "被拒文件", "Rejected files"),
    ] {
        let _ = write!(out, "<a href=\"#{anchor}\">{}</a>", label(zh, en));
    }
    out.push_str("</nav>\n</header>\n");
}

fn totals(out: &mut String, data: &ReportData) {
    let t = &data.totals;
    let _ = writeln!(
        out,
        "<section id=\"totals\">\n<h2>{}</h2>\n<div class=\"totals\">",
        label("总览", "Totals")
    );
    for (value, zh, en, class) in [
        (t.hosts, "主机", "Hosts", ""),
        (t.compliant, "合规", "Compliant", "ok"),
        (t.violation, "违规", "Violation", "bad"),
        (t.error, "检查出错", "Error", "err"),
        (t.stale, "超期未上报", "Stale", "warn"),
        (t.findings, "检查结果", "Findings", ""),
        (t.chain_problems, "链问题", "Chain problems", "chain"),
        (t.rejected, "被拒文件", "Rejected files", "warn"),
    ] {
        // Zero problems is good news: colour a count only when it is not zero.
        let class = if value == 0 && class != "ok" {
            ""
        } else {
            class
        };
        let _ = writeln!(
            out,
            "<div class=\"card {class}\"><div class=\"num\">{value}</div><div class=\"lbl\">{}</div></div>",
            label(zh, en)
        );
    }
    out.push_str("</div>\n</section>\n");
}

const HOST_COLUMNS: &[(&str, &str)] = &[
    ("主机", "Host"),
    ("最后上报", "Last finding"),
    ("结论", "Verdict"),
    ("违反规则", "Failed rules"),
    ("策略", "Policy"),
    ("代理版本", "Agent version"),
    ("序号", "Sequence"),
    ("上报数", "Findings"),
    ("超期", "Stale"),
];

/// The units hosts came through, this collector's own hosts (`None`) first, and each
/// unit's hosts in the data's order.
fn by_unit(data: &ReportData) -> Vec<(Option<&String>, Vec<&HostRow>)> {
    let mut units: std::collections::BTreeMap<Option<&String>, Vec<&HostRow>> =
        std::collections::BTreeMap::new();
    for h in &data.hosts {
        units.entry(h.unit.as_ref()).or_default().push(h);
    }
    units.into_iter().collect()
}

fn unit_name(unit: Option<&String>) -> String {
    match unit {
        Some(name) => text(name),
        None => label("本收集器直接收取的主机", "This collector's own hosts"),
    }
}

/// One row per unit: how many hosts, how many of them fail or are stale, and the unit's
/// bundles (how many, the latest, numbers that never arrived, came twice or do not link).
/// A unit whose bundles brought no host's latest finding still has its row.
fn units(out: &mut String, groups: &[(Option<&String>, Vec<&HostRow>)], bundles: &[UnitRow]) {
    let count = |hosts: &[&HostRow], verdict: Verdict| {
        hosts
            .iter()
            .filter(|h| matches!(&h.last_verdict, Some(Open::Known(v)) if *v == verdict))
            .count() as u64
    };
    let mut rows: Vec<(Option<&String>, &[&HostRow])> =
        groups.iter().map(|(u, h)| (*u, h.as_slice())).collect();
    for unit in bundles {
        if !groups.iter().any(|(u, _)| *u == Some(&unit.unit)) {
            rows.push((Some(&unit.unit), &[]));
        }
    }
    let rows = rows
        .into_iter()
        .map(|(unit, hosts)| {
            let bundle = unit.and_then(|u| bundles.iter().find(|b| &b.unit == u));
            let mut cells = vec![
                Cell::html(format!("<strong>{}</strong>", unit_name(unit)))
                    .sort(unit.map_or_else(String::new, |u| clean(u))),
                Cell::num(hosts.len() as u64),
                Cell::num(count(hosts, Verdict::Compliant)),
                Cell::num(count(hosts, Verdict::Violation)),
                Cell::num(count(hosts, Verdict::Error)),
                Cell::num(hosts.iter().filter(|h| h.stale).count() as u64),
            ];
            cells.extend(bundle_cells(bundle));
            Row {
                class: if bundle.is_some_and(has_bundle_problems) {
                    "stale"
                } else {
                    ""
                },
                cells,
            }
        })
        .collect();
    section(
        out,
        "by-unit",
        "按单位",
        "By unit",
        Some(label(
            "主机按其检查结果经由的单位分组；主机表可按单位选择。数据包缺号说明该单位有数据包未送达。",
            "Hosts grouped by the unit their findings came through; the host table can show one unit. A missing bundle number means a bundle of that unit never arrived.",
        )),
        Table::new(
            "t-by-unit",
            &[
                ("单位", "Unit"),
                ("主机", "Hosts"),
                ("合规", "Compliant"),
                ("违规", "Violation"),
                ("检查出错", "Error"),
                ("超期", "Stale"),
                ("数据包", "Bundles"),
                ("最新数据包", "Latest bundle"),
                ("最近导入", "Last imported"),
                ("数据包问题", "Bundle problems"),
            ],
            rows,
        ),
    );
}

fn has_bundle_problems(unit: &UnitRow) -> bool {
    !(unit.missing_bundles.is_empty()
        && unit.duplicated_bundles.is_empty()
        && unit.unlinked_bundles.is_empty())
}

/// The bundle columns of a unit's row; dashes for this collector's own hosts.
fn bundle_cells(unit: Option<&UnitRow>) -> Vec<Cell> {
    let Some(unit) = unit else {
        return vec![
            opt_num_cell(None),
            opt_num_cell(None),
            Cell::html(DASH.to_string()).sort(""),
            Cell::html(DASH.to_string()).sort(""),
        ];
    };
    let numbers = |list: &[u64]| {
        list.iter()
            .take(20)
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
            + if list.len() > 20 { ", …" } else { "" }
    };
    let mut problems = Vec::new();
    for (list, zh, en) in [
        (&unit.missing_bundles, "缺号", "missing"),
        (
            &unit.duplicated_bundles,
            "同号不同包",
            "two bundles under one number",
        ),
        (
            &unit.unlinked_bundles,
            "未链接前一个",
            "not linked to the one before",
        ),
    ] {
        if !list.is_empty() {
            problems.push(format!("{} {}", label(zh, en), numbers(list)));
        }
    }
    let problems = if problems.is_empty() {
        Cell::html(label("无", "none")).sort("")
    } else {
        Cell::html(problems.join("; ")).sort(format!("{:08}", problems.len()))
    };
    vec![
        Cell::num(unit.bundles),
        opt_num_cell(unit.last_sequence),
        time_cell(unit.last_imported_at.as_ref()),
        problems,
    ]
}

fn hosts(out: &mut String, groups: &[(Option<&String>, Vec<&HostRow>)]) {
    let ordered: Vec<(usize, &HostRow)> = groups
        .iter()
        .enumerate()
        .flat_map(|(unit, (_, hosts))| hosts.iter().map(move |h| (unit, *h)))
        .collect();
    let paged = (ordered.len() > PAGE_ROWS).then(|| {
        let units = data::List(groups.iter().map(|(u, _)| data::opt_text(*u)).collect());
        let (json, carried) = data::paged_rows(
            PAGE_ROWS,
            Some(("units", &units)),
            ordered.iter(),
            |out, (unit, h)| host_json(out, *unit, h),
        );
        Paged {
            kind: "hosts",
            carried,
            json,
        }
    });
    let total = ordered.len();
    let rows = ordered
        .iter()
        .take(if paged.is_some() { PAGE_ROWS } else { total })
        .map(|(_, h)| host_row(h))
        .collect();
    section(
        out,
        "hosts",
        "主机",
        "Hosts",
        None,
        Table {
            total,
            paged,
            ..Table::new("t-hosts", HOST_COLUMNS, rows)
        },
    );
}

/// A host row as data for the script's `hosts` renderer (`report.js`), the fields in the
/// order it reads them.
fn host_json(out: &mut String, unit: usize, h: &HostRow) {
    data::array(
        out,
        &[
            &unit,
            &Text(&h.host_id),
            &data::opt_text(h.hostname.as_ref()),
            &data::opt_text(h.machine_id.as_ref()),
            &data::opt_text(h.last_time.as_ref()),
            &h.last_verdict.as_ref().map(|v| Text(v.as_str())),
            &data::List(h.failed_rules.iter().map(|r| Text(r)).collect()),
            &data::opt_text(h.policy_id.as_ref()),
            &data::opt_text(h.policy_version.as_ref()),
            &data::opt_text(h.agent_version.as_ref()),
            &h.last_sequence,
            &h.findings,
            &h.stale,
        ],
    );
}

fn host_row(h: &HostRow) -> Row {
    let failed = if h.failed_rules.is_empty() {
        DASH.to_string()
    } else {
        h.failed_rules
            .iter()
            .map(|r| format!("<span class=\"mono\">{}</span>", text(r)))
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let policy = match (&h.policy_id, &h.policy_version) {
        (None, None) => DASH.to_string(),
        (id, version) => format!(
            "{}<span class=\"sub\">{}</span>",
            opt_text(id.as_ref()),
            opt_text(version.as_ref())
        ),
    };
    let stale = if h.stale {
        Cell::html(format!(
            "<span class=\"badge stale-flag\">{}</span>",
            label("超期", "stale")
        ))
        .sort("0")
    } else {
        Cell::html(label("否", "no")).sort("1")
    };
    Row {
        class: if h.stale { "stale" } else { "" },
        cells: vec![
            host_cell(&h.host_id, h.hostname.as_ref(), h.machine_id.as_ref()),
            time_cell(h.last_time.as_ref()),
            verdict_cell(h.last_verdict.as_ref()),
            Cell::html(failed),
            Cell::html(policy),
            Cell::html(mono(h.agent_version.as_ref())),
            opt_num_cell(h.last_sequence),
            Cell::num(h.findings),
            stale,
        ],
    }
}

fn by_rule(out: &mut String, data: &ReportData) {
    let rows = data
        .by_rule
        .iter()
        .map(|r| Row {
            class: "",
            cells: vec![
                Cell::html(format!("<span class=\"mono\">{}</span>", text(&r.rule)))
                    .sort(clean(&r.rule)),
                Cell::html(format!(
                    "<span class=\"zh\" lang=\"zh-CN\">{}</span><span class=\"sub en\" lang=\"en\">{}</span>",
                    text(&r.title.zh),
                    text(&r.title.en)
                )),
                severity_cell(&r.severity),
                Cell::num(r.hosts),
                Cell::html(r.remediation.as_ref().map_or_else(String::new, |t| {
                    format!(
                        "<span class=\"zh\" lang=\"zh-CN\">{}</span><span class=\"sub en\" lang=\"en\">{}</span>",
                        text(&t.zh),
                        text(&t.en)
                    )
                })),
            ],
        })
        .collect();
    section(
        out,
        "by-rule",
        "按规则统计违规",
        "Violations by rule",
        Some(label(
            "各规则在各主机最新检查结果中不合规的主机数。",
            "How many hosts fail each rule in their latest finding.",
        )),
        Table::new(
            "t-by-rule",
            &[
                ("规则", "Rule"),
                ("名称", "Title"),
                ("级别", "Severity"),
                ("主机数", "Hosts"),
                ("处理", "Remediation"),
            ],
            rows,
        ),
    );
}

fn by_host(out: &mut String, data: &ReportData, evidence_rows: usize) {
    // Grouped by host, then rule; the data order is kept within a group. The store gives
    // them in this order already (it is what it counts evidence rows in).
    let mut violations: Vec<&Violation> = data.violations.iter().collect();
    violations.sort_by(|a, b| a.display_order(b));
    // One row per device (or one for a violation without any), in that order.
    let flat = violations.iter().flat_map(|v| {
        let none = v.evidence.is_empty().then_some((*v, None));
        none.into_iter()
            .chain(v.evidence.iter().map(move |e| (*v, Some(e))))
    });
    // Evidence the store did not read for this page (it is past the rows carried) still
    // counts: `total` is what the whole report holds.
    let devices = |v: &Violation| {
        usize::try_from(v.evidence_left_out)
            .unwrap_or(usize::MAX)
            .saturating_add(v.evidence.len())
    };
    let total: usize = violations.iter().map(|v| devices(v).max(1)).sum();
    let paged = (total > PAGE_ROWS).then(|| {
        let (json, carried) = data::paged_rows(
            PAGE_ROWS,
            None,
            flat.clone().take(evidence_rows),
            |out, (v, e)| violation_json(out, v, e),
        );
        Paged {
            kind: "evidence",
            carried,
            json,
        }
    });
    let rows = flat
        .take(if paged.is_some() { PAGE_ROWS } else { total })
        .map(|(v, e)| violation_row(v, e))
        .collect();
    section(
        out,
        "by-host",
        "按主机列出违规",
        "Violations by host",
        Some(label(
            "每台主机最新检查结果中不合规的规则及其证据（每行一个设备）。",
            "Failed rules of each host's latest finding, with their evidence (one device per row).",
        )),
        Table {
            total,
            paged,
            ..Table::new(
                "t-by-host",
                &[
                    ("主机", "Host"),
                    ("规则", "Rule"),
                    ("级别", "Severity"),
                    ("检查时间", "Finding time"),
                    ("设备", "Device"),
                    ("厂商:产品", "VID:PID"),
                    ("序列号 / MAC", "Serial / MAC"),
                    ("端口 / 设备路径", "Port / device path"),
                    ("详情", "Detail"),
                ],
                rows,
            )
        },
    );
}

/// A device row as data for the script's `evidence` renderer (`report.js`).
fn violation_json(out: &mut String, v: &Violation, e: Option<&Evidence>) {
    /// The device, as the script's `evidence` renderer reads it.
    struct Device<'a>(&'a Evidence);
    impl data::Value for Device<'_> {
        fn write(&self, out: &mut String) {
            let e = self.0;
            data::array(
                out,
                &[
                    &data::opt_text(e.name.as_ref()),
                    &Text(e.kind.as_str()),
                    &data::opt_text(e.manufacturer.as_ref()),
                    &data::opt_text(e.product.as_ref()),
                    &data::opt_text(e.vendor_id.as_ref()),
                    &data::opt_text(e.product_id.as_ref()),
                    &data::opt_text(e.serial.as_ref()),
                    &data::opt_text(e.mac.as_ref()),
                    &data::opt_text(e.port.as_ref()),
                    &data::opt_text(e.device_path.as_ref()),
                    &Text(&e.detail),
                    &data::opt_text(e.detail_zh.as_ref()),
                ],
            );
        }
    }
    data::array(
        out,
        &[
            &Text(host_name(&v.host_id, v.hostname.as_ref())),
            &Text(&v.host_id),
            &Text(&v.rule),
            &Text(&v.title.zh),
            &Text(&v.title.en),
            &Text(v.severity.as_str()),
            &Text(&v.time),
            &v.sequence,
            &e.map(Device),
        ],
    );
}

fn violation_row(v: &Violation, e: Option<&Evidence>) -> Row {
    let time = format!(
        "{}<span class=\"sub\">#{}</span>",
        time_html(&v.time),
        v.sequence
    );
    let mut cells = vec![
        host_cell(&v.host_id, v.hostname.as_ref(), None),
        rule_cell(&v.rule, &v.title.zh, &v.title.en),
        severity_cell(&v.severity),
        Cell::html(time).sort(clean(&v.time)),
    ];
    let Some(e) = e else {
        cells.push(Cell::html(label("无设备证据", "no device evidence")));
        cells.extend((0..4).map(|_| Cell::html(DASH.to_string())));
        return Row { class: "", cells };
    };

    // Device: name, kind, manufacturer / product.
    let mut device = format!(
        "{}<span class=\"sub mono\">{}</span>",
        opt_text(e.name.as_ref()),
        text(e.kind.as_str())
    );
    let made: Vec<String> = [&e.manufacturer, &e.product]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .map(|s| text(s))
        .collect();
    if !made.is_empty() {
        let _ = write!(device, "<span class=\"sub\">{}</span>", made.join(" / "));
    }
    let ids = match (&e.vendor_id, &e.product_id) {
        (None, None) => DASH.to_string(),
        (vid, pid) => format!(
            "<span class=\"mono nowrap\">{}:{}</span>",
            vid.as_deref().map_or_else(|| "?".to_string(), text),
            pid.as_deref().map_or_else(|| "?".to_string(), text),
        ),
    };
    // Serial and MAC: whichever identifies the device (storage has a serial, a NIC a MAC).
    let mut serial = mono(e.serial.as_ref());
    if let Some(mac) = e.mac.as_ref().filter(|m| !m.is_empty()) {
        let mac = format!("<span class=\"sub mono\">MAC {}</span>", text(mac));
        if e.serial.as_ref().is_some_and(|s| !s.is_empty()) {
            serial.push_str(&mac);
        } else {
            serial = mac;
        }
    }
    let mut place = mono(e.port.as_ref());
    if let Some(path) = e.device_path.as_ref().filter(|p| !p.is_empty()) {
        let _ = write!(place, "<span class=\"sub mono\">{}</span>", text(path));
    }
    cells.extend([
        Cell::html(device).sort(clean(e.name.as_deref().unwrap_or(e.kind.as_str()))),
        Cell::html(ids),
        Cell::html(serial),
        Cell::html(place),
        Cell::html(if e.detail.is_empty() {
            DASH.to_string()
        } else {
            said(&e.detail, e.detail_zh.as_deref())
        }),
    ]);
    Row { class: "", cells }
}

fn stale(out: &mut String, data: &ReportData) {
    let rows = data
        .hosts
        .iter()
        .filter(|h| h.stale)
        .map(|h| Row {
            class: "",
            cells: vec![
                host_cell(&h.host_id, h.hostname.as_ref(), h.machine_id.as_ref()),
                time_cell(h.last_time.as_ref()),
                verdict_cell(h.last_verdict.as_ref()),
                opt_num_cell(h.last_sequence),
                Cell::num(h.findings),
            ],
        })
        .collect();
    let days = data.stale_days;
    section(
        out,
        "stale",
        "超期未上报",
        "Stale hosts",
        Some(label(
            &format!("超过 {days} 天没有上报检查结果，或从未上报的主机。"),
            &format!("Hosts with no finding for more than {days} days, or none ever."),
        )),
        Table::new(
            "t-stale",
            &[
                ("主机", "Host"),
                ("最后上报", "Last finding"),
                ("结论", "Verdict"),
                ("序号", "Sequence"),
                ("上报数", "Findings"),
            ],
            rows,
        ),
    );
}

fn chain_kind_cell(kind: ChainProblemKind) -> Cell {
    let key = kind.as_str();
    let term = format!("chain.{key}");
    let said = |lang| term_text(&term, lang).unwrap_or(key);
    Cell::html(format!(
        "<span class=\"badge k-chain\">{}</span>",
        label(said(Lang::Zh), said(Lang::En))
    ))
    .sort(key)
}

fn chain_row(p: &ChainProblem) -> Row {
    Row {
        class: "",
        cells: vec![
            chain_kind_cell(p.kind),
            host_cell(&p.host_id, p.hostname.as_ref(), None),
            opt_num_cell(p.sequence),
            Cell::html(said(&p.detail, Some(&p.detail_zh))),
            Cell::html(msg_label(p.kind.hint())),
            time_cell(Some(&p.noticed_at)),
        ],
    }
}

fn chain(out: &mut String, data: &ReportData) {
    section(
        out,
        "chain",
        "链问题",
        "Chain problems",
        Some(label(
            "缺号：有检查结果没有送达；重放：同一结果重复送达；分叉：同一序号有两个不同结果；链接断裂：与前一结果不衔接；链重置：主机开始了新链。",
            "Gap: findings never arrived; replay: the same finding again; fork: two findings with one sequence number; broken link: does not follow the one before; reset: the host started a new chain.",
        )),
        Table::new(
            "t-chain",
            &[
                ("类型", "Kind"),
                ("主机", "Host"),
                ("序号", "Sequence"),
                ("详情", "Detail"),
                ("可能原因与处理", "Likely cause, what to do"),
                ("发现时间", "Noticed at"),
            ],
            data.chain_problems.iter().map(chain_row).collect(),
        ),
    );
}

/// Why a file was refused: the kind in the reader's language, then the particulars (the
/// verifier's own words, in English) below it.
fn reject_reason(r: &RejectedFile) -> String {
    let kind = serde_json::from_value::<RejectKind>(serde_json::Value::String(r.kind.clone()))
        .ok()
        .map(RejectKind::said);
    match kind {
        Some(kind) => format!(
            "{}<span class=\"sub\" lang=\"en\">{}</span>",
            msg_label(kind),
            text(&r.reason)
        ),
        None => text(&r.reason),
    }
}

fn rejected(out: &mut String, data: &ReportData) {
    let rows = data
        .rejected
        .iter()
        .map(|r| Row {
            class: "",
            cells: vec![
                Cell::html(format!("<span class=\"mono\">{}</span>", text(&r.file)))
                    .sort(clean(&r.file)),
                Cell::html(reject_reason(r)),
                Cell::html(format!(
                    "<span class=\"mono\">{}</span>",
                    text(&r.stored_as)
                )),
                time_cell(Some(&r.rejected_at)),
            ],
        })
        .collect();
    section(
        out,
        "rejected",
        "被拒文件",
        "Rejected files",
        Some(label(
            "未通过校验的文件已移入 rejected/ 目录，未删除。",
            "Files that failed verification, moved to rejected/ (nothing is deleted).",
        )),
        Table::new(
            "t-rejected",
            &[
                ("文件", "File"),
                ("原因", "Reason"),
                ("存放位置", "Stored as"),
                ("时间", "Time"),
            ],
            rows,
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::{esc, text};

    #[test]
    fn all_five_characters_are_escaped() {
        assert_eq!(
            esc(r#"<a href='x'>&"</a>"#),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn untrusted_text_is_made_visible_and_bounded() {
        assert_eq!(text("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        let long = "x".repeat(10_000);
        assert!(text(&long).chars().count() <= super::super::CELL_CHARS + 1);
    }
}
