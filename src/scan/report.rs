//! The scan report for a person at a terminal: verdict first, then each failed rule with the
//! devices a technician must act on, then errors and skips, then what passed, then where the
//! signed finding went. Every word is the reader's language (the catalogue, `crate::i18n`).
//!
//! Device strings are escaped and cut ([`display_safe`]); colour is used only when stdout is
//! a terminal and `NO_COLOR` is not set.

use std::fmt::Write as _;
use std::path::Path;

use crate::finding::v1::{self, Status, Verdict};
use crate::i18n::{Lang, Msg, Phrase};
use crate::text::{display_safe, DISPLAY_CHARS};

/// What became of the signed finding, for the report's last line.
pub enum Spooled<'a> {
    Written(&'a Path),
    /// No key was given: nothing was meant to be written.
    NoKey,
    /// A key was given but the finding could not be left in the spool.
    Failed(&'a str),
}

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

/// Text from the policy (titles, remediation) or this program: longer than a device string,
/// still escaped.
fn prose(value: &str) -> String {
    display_safe(value, 1000)
}

fn evidence_line(e: &v1::Evidence, lang: Lang) -> String {
    let mut parts = vec![safe(e.detail_in(lang))];
    let labelled = |msg: Msg, value: &Option<String>| {
        value
            .as_ref()
            .map(|v| msg.with("value", safe(v)).render(lang))
    };
    parts.extend(labelled(Msg::EvidenceName, &e.name));
    if let (Some(v), Some(p)) = (&e.vendor_id, &e.product_id) {
        parts.push(
            Msg::EvidenceId
                .with("vendor", safe(v))
                .arg("product", safe(p))
                .render(lang),
        );
    }
    let product: Vec<String> = [&e.manufacturer, &e.product]
        .into_iter()
        .flatten()
        .map(|s| safe(s))
        .collect();
    if !product.is_empty() {
        parts.push(format!("\"{}\"", product.join(" ")));
    }
    for (msg, value) in [
        (Msg::EvidenceSerial, &e.serial),
        (Msg::EvidenceMac, &e.mac),
        (Msg::EvidencePort, &e.port),
        (Msg::EvidenceDriver, &e.driver),
        (Msg::EvidenceAt, &e.device_path),
    ] {
        parts.extend(labelled(msg, value));
    }
    parts.join("  ")
}

pub fn render(f: &v1::Finding, spooled: &Spooled, lang: Lang, color: bool) -> String {
    let say = |phrase: Phrase| phrase.render(lang);
    let mut o = String::new();
    let verdict = match f.verdict.known() {
        Some(Verdict::Compliant) => paint(&Msg::VerdictCompliant.text(lang), "1;32", color),
        Some(Verdict::Violation) => paint(&Msg::VerdictViolation.text(lang), "1;31", color),
        _ => paint(&Msg::VerdictError.text(lang), "1;33", color),
    };
    let _ = writeln!(o, "{}", say(Msg::ReportVerdict.with("verdict", verdict)));
    let s = &f.summary;
    let counts = Msg::ReportCounts
        .with("fail", s.fail)
        .arg("error", s.error)
        .arg("pass", s.pass)
        .arg("skip", s.skip);
    let _ = writeln!(o, "  {}", say(counts));
    let host = Msg::ReportHost
        .with("hostname", safe(f.host.hostname.as_deref().unwrap_or("-")))
        .arg(
            "machine_id",
            safe(f.host.machine_id.as_deref().unwrap_or("-")),
        )
        .arg("time", safe(&f.time));
    let _ = writeln!(o, "  {}", say(host));
    let policy = Msg::ReportPolicy
        .with("id", safe(f.policy.id.as_deref().unwrap_or("-")))
        .arg("version", safe(f.policy.version.as_deref().unwrap_or("")))
        .arg("source", safe(&f.policy.source));
    let _ = writeln!(o, "  {}", say(policy));
    let errors = f.errors_in(lang);
    if !errors.is_empty() {
        let _ = writeln!(
            o,
            "\n{} {}",
            paint(&Msg::TagError.text(lang), "1;33", color),
            Msg::ReportPolicyErrors.text(lang)
        );
        for err in errors {
            let _ = writeln!(o, "{}", display_safe(err, 4000));
        }
    }
    for (status, tag, code) in [
        (Status::Fail, Msg::TagFail, "1;31"),
        (Status::Error, Msg::TagError, "1;33"),
        (Status::Skip, Msg::TagSkip, "2"),
    ] {
        for r in f.results.iter().filter(|r| r.status.is(status)) {
            let heading = Msg::ReportRuleHeading
                .with("tag", paint(&tag.text(lang), code, color))
                .arg("severity", r.severity.as_str())
                .arg("rule", safe(&r.rule))
                .arg("title", prose(r.title.pick(lang)));
            let _ = writeln!(o, "\n{}", say(heading));
            if let Some(message) = r.message_in(lang) {
                let _ = writeln!(o, "  {}", prose(message));
            }
            for e in &r.evidence {
                let _ = writeln!(o, "  - {}", evidence_line(e, lang));
            }
            if status == Status::Fail {
                let fix = Msg::ReportFix.with("remediation", prose(r.remediation.pick(lang)));
                let _ = writeln!(o, "  {}", say(fix));
            }
        }
    }
    let passed: Vec<String> = f
        .results
        .iter()
        .filter(|r| r.status.is(Status::Pass))
        .map(|r| {
            let mut line = format!("{} — {}", safe(&r.rule), prose(r.title.pick(lang)));
            if let Some(m) = r.message_in(lang) {
                line.push_str(&format!(" ({})", prose(m)));
            }
            for e in &r.evidence {
                line.push_str(&format!("\n    · {}", evidence_line(e, lang)));
            }
            line
        })
        .collect();
    if !passed.is_empty() {
        let _ = writeln!(o, "\n{}", paint(&Msg::ReportPassed.text(lang), "32", color));
        for line in passed {
            let _ = writeln!(o, "  {line}");
        }
    }
    let last = match spooled {
        Spooled::Written(path) => {
            Msg::ReportFindingWritten.with("path", safe(&path.display().to_string()))
        }
        Spooled::NoKey => Msg::ReportNoFinding.into(),
        Spooled::Failed(error) => Msg::ReportFindingNotWritten.with("error", prose(error)),
    };
    let _ = writeln!(o, "\n{}", say(last));
    o
}
