//! The scan report for a person at a terminal: verdict first, then each failed rule with the
//! devices a technician must act on, then errors and skips, then what passed.
//!
//! Device strings are escaped and cut ([`display_safe`]); colour is used only when stdout is
//! a terminal and `NO_COLOR` is not set.

use std::fmt::Write as _;

use crate::finding::v1::{self, Status, Verdict};
use crate::policy::Lang;
use crate::text::{display_safe, DISPLAY_CHARS};

struct Labels {
    verdict: &'static str,
    compliant: &'static str,
    violation: &'static str,
    error: &'static str,
    fix: &'static str,
    passed: &'static str,
    host: &'static str,
    policy: &'static str,
    counts: &'static str,
}

const EN: Labels = Labels {
    verdict: "Verdict",
    compliant: "COMPLIANT",
    violation: "VIOLATION",
    error: "ERROR (not everything could be checked)",
    fix: "fix",
    passed: "Passed",
    host: "Host",
    policy: "Policy",
    counts: "failed / errors / passed / skipped",
};

const ZH: Labels = Labels {
    verdict: "结论",
    compliant: "合规",
    violation: "违规",
    error: "错误（部分项目无法检查）",
    fix: "处理",
    passed: "通过",
    host: "主机",
    policy: "策略",
    counts: "违规 / 错误 / 通过 / 跳过",
};

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}

fn safe(value: &str) -> String {
    display_safe(value, DISPLAY_CHARS)
}

fn evidence_line(e: &v1::Evidence) -> String {
    let mut parts = vec![safe(&e.detail)];
    let labelled = |label: &str, value: &Option<String>| {
        value.as_ref().map(|v| format!("{label} {}", safe(v)))
    };
    parts.extend(labelled("name", &e.name));
    if let (Some(v), Some(p)) = (&e.vendor_id, &e.product_id) {
        parts.push(format!("id {}:{}", safe(v), safe(p)));
    }
    let product: Vec<String> = [&e.manufacturer, &e.product]
        .into_iter()
        .flatten()
        .map(|s| safe(s))
        .collect();
    if !product.is_empty() {
        parts.push(format!("\"{}\"", product.join(" ")));
    }
    for (label, value) in [
        ("serial", &e.serial),
        ("mac", &e.mac),
        ("port", &e.port),
        ("driver", &e.driver),
        ("at", &e.device_path),
    ] {
        parts.extend(labelled(label, value));
    }
    parts.join("  ")
}

pub fn render(f: &v1::Finding, lang: Lang, color: bool) -> String {
    let l = match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    };
    let pick = |t: &v1::Title| match lang {
        Lang::Zh => t.zh.clone(),
        Lang::En => t.en.clone(),
    };
    let mut o = String::new();
    let verdict = match f.verdict.known() {
        Some(Verdict::Compliant) => paint(l.compliant, "1;32", color),
        Some(Verdict::Violation) => paint(l.violation, "1;31", color),
        _ => paint(l.error, "1;33", color),
    };
    let _ = writeln!(o, "{}: {verdict}", l.verdict);
    let s = &f.summary;
    let _ = writeln!(
        o,
        "  {}: {} / {} / {} / {}",
        l.counts, s.fail, s.error, s.pass, s.skip
    );
    let _ = writeln!(
        o,
        "  {}: {}  machine-id {}  {}",
        l.host,
        safe(f.host.hostname.as_deref().unwrap_or("-")),
        safe(f.host.machine_id.as_deref().unwrap_or("-")),
        f.time
    );
    let _ = writeln!(
        o,
        "  {}: {} {} ({})",
        l.policy,
        safe(f.policy.id.as_deref().unwrap_or("-")),
        safe(f.policy.version.as_deref().unwrap_or("")),
        safe(&f.policy.source)
    );
    for err in &f.errors {
        let _ = writeln!(
            o,
            "\n{} {}",
            paint("ERROR", "1;33", color),
            display_safe(err, 4000)
        );
    }
    for (status, tag, code) in [
        (Status::Fail, "FAIL", "1;31"),
        (Status::Error, "ERROR", "1;33"),
        (Status::Skip, "SKIP", "2"),
    ] {
        for r in f.results.iter().filter(|r| r.status.is(status)) {
            let _ = writeln!(
                o,
                "\n{} [{}] {} — {}",
                paint(tag, code, color),
                r.severity,
                r.rule,
                pick(&r.title)
            );
            if let Some(message) = &r.message {
                let _ = writeln!(o, "  {}", safe(message));
            }
            for e in &r.evidence {
                let _ = writeln!(o, "  - {}", evidence_line(e));
            }
            if status == Status::Fail {
                let _ = writeln!(o, "  {}: {}", l.fix, pick(&r.remediation));
            }
        }
    }
    let passed: Vec<String> = f
        .results
        .iter()
        .filter(|r| r.status.is(Status::Pass))
        .map(|r| {
            let mut line = format!("{} — {}", r.rule, pick(&r.title));
            if let Some(m) = &r.message {
                line.push_str(&format!(" ({})", safe(m)));
            }
            for e in &r.evidence {
                line.push_str(&format!("\n    · {}", evidence_line(e)));
            }
            line
        })
        .collect();
    if !passed.is_empty() {
        let _ = writeln!(o, "\n{}:", paint(l.passed, "32", color));
        for line in passed {
            let _ = writeln!(o, "  {line}");
        }
    }
    o
}
