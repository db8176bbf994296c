//! A finding's brief: the part of it the central report reads, written when the finding is
//! stored and kept beside its envelope, in two pieces:
//! - the **brief** proper: who, when, under which policy, the verdict, and the failed rules
//!   with how many devices each names (about 1.4 KB with each rule's title and remedy in
//!   both languages);
//! - the **evidence**: the failed rules' evidence, copied verbatim (up to 19 KB for a
//!   recorded machine), read only for the rows a report shows.
//!
//! At 100,000 hosts the report would otherwise read and decode 100,000 envelopes of about
//! 50 KB, nearly all of it inventory and device lists the page never shows at once.
//!
//! A brief is a copy, not evidence: it is made by this collector from a payload whose
//! signature had just checked out, `reverify` compares each one with its envelope, and a
//! finding stored without one (before schema version 6) is read from its envelope instead.
//!
//! What it must not do: say anything its payload does not (every field is the payload's own),
//! or be read as a finding anywhere but the report.

use std::borrow::Cow;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::finding::v1::{self, Open, Severity, Status, Verdict};

/// Written into every brief; a brief of another version is not read (the envelope is).
const VERSION: u32 = 1;

/// A finding's brief and evidence, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub brief: Vec<u8>,
    pub evidence: Vec<u8>,
}

/// What a brief says besides the failed rules, borrowed from a verified payload.
pub(crate) struct Header<'a> {
    pub(crate) hostname: Option<&'a str>,
    pub(crate) machine_id: Option<&'a str>,
    pub(crate) agent_version: &'a str,
    pub(crate) time: &'a str,
    pub(crate) policy_id: Option<&'a str>,
    pub(crate) policy_version: Option<&'a str>,
    pub(crate) verdict: &'a str,
    pub(crate) sequence: u64,
}

/// A failed rule result, borrowed where its strings have no escapes.
#[derive(Deserialize)]
struct FailedIn<'a> {
    #[serde(borrow)]
    rule: Cow<'a, str>,
    #[serde(borrow)]
    title: TitleIn<'a>,
    #[serde(borrow)]
    severity: Cow<'a, str>,
    #[serde(borrow)]
    remediation: TitleIn<'a>,
    #[serde(borrow)]
    evidence: &'a RawValue,
}

#[derive(Deserialize, Serialize)]
struct TitleIn<'a> {
    #[serde(borrow)]
    zh: Cow<'a, str>,
    #[serde(borrow)]
    en: Cow<'a, str>,
}

#[derive(Serialize)]
struct BriefOut<'a> {
    brief: u32,
    host: HostOut<'a>,
    time: &'a str,
    policy: PolicyOut<'a>,
    verdict: &'a str,
    sequence: u64,
    results: Vec<ResultOut<'a>>,
}

#[derive(Serialize)]
struct HostOut<'a> {
    hostname: Option<&'a str>,
    machine_id: Option<&'a str>,
    agent_version: &'a str,
}

#[derive(Serialize)]
struct PolicyOut<'a> {
    id: Option<&'a str>,
    version: Option<&'a str>,
}

#[derive(Serialize)]
struct ResultOut<'a> {
    rule: &'a str,
    title: &'a TitleIn<'a>,
    severity: &'a str,
    remediation: &'a TitleIn<'a>,
    /// How many devices its evidence names.
    evidence: usize,
}

/// The brief and evidence of a finding whose failed rule results are `failed` (each the
/// JSON the payload holds, already checked to be a v1 rule result).
pub(crate) fn write(header: &Header<'_>, failed: &[&RawValue]) -> serde_json::Result<Written> {
    let parsed = failed
        .iter()
        .map(|raw| serde_json::from_str::<FailedIn<'_>>(raw.get()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut results = Vec::with_capacity(parsed.len());
    for result in &parsed {
        let devices: Vec<IgnoredAny> = serde_json::from_str(result.evidence.get())?;
        results.push(ResultOut {
            rule: &result.rule,
            title: &result.title,
            severity: &result.severity,
            remediation: &result.remediation,
            evidence: devices.len(),
        });
    }
    let brief = serde_json::to_vec(&BriefOut {
        brief: VERSION,
        host: HostOut {
            hostname: header.hostname,
            machine_id: header.machine_id,
            agent_version: header.agent_version,
        },
        time: header.time,
        policy: PolicyOut {
            id: header.policy_id,
            version: header.policy_version,
        },
        verdict: header.verdict,
        sequence: header.sequence,
        results,
    })?;
    let evidence: Vec<&RawValue> = parsed.iter().map(|r| r.evidence).collect();
    Ok(Written {
        brief,
        evidence: serde_json::to_vec(&evidence)?,
    })
}

/// The fields of a payload a brief is written from.
#[derive(Deserialize)]
struct Source<'a> {
    #[serde(borrow)]
    host: SourceHost<'a>,
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(borrow)]
    policy: SourcePolicy<'a>,
    #[serde(borrow)]
    verdict: Cow<'a, str>,
    sequence: u64,
    #[serde(borrow)]
    results: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct SourceHost<'a> {
    #[serde(borrow)]
    hostname: Option<Cow<'a, str>>,
    #[serde(borrow)]
    machine_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    agent_version: Cow<'a, str>,
}

#[derive(Deserialize)]
struct SourcePolicy<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct StatusOnly {
    status: Open<Status>,
}

/// The brief of a payload whose signature has been checked, for tools that store findings
/// another way than ingest (ingest writes its brief from the parse it checks the payload
/// with); `None` when the payload is not shaped as a finding.
pub fn of_payload(payload: &[u8]) -> Option<Written> {
    let source: Source<'_> = serde_json::from_slice(payload).ok()?;
    let mut failed = Vec::new();
    for &raw in &source.results {
        let result: StatusOnly = serde_json::from_str(raw.get()).ok()?;
        if result.status.is(Status::Fail) {
            failed.push(raw);
        }
    }
    let header = Header {
        hostname: source.host.hostname.as_deref(),
        machine_id: source.host.machine_id.as_deref(),
        agent_version: &source.host.agent_version,
        time: &source.time,
        policy_id: source.policy.id.as_deref(),
        policy_version: source.policy.version.as_deref(),
        verdict: &source.verdict,
        sequence: source.sequence,
    };
    write(&header, &failed).ok()
}

/// What the report reads of a finding's brief.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Brief {
    /// The brief's version; none when read from a payload.
    #[serde(default, rename = "brief")]
    pub(crate) version: Option<u32>,
    pub(crate) host: BriefHost,
    pub(crate) time: String,
    pub(crate) policy: BriefPolicy,
    pub(crate) verdict: Open<Verdict>,
    /// The failed rules, in the payload's order.
    pub(crate) results: Vec<BriefResult>,
    pub(crate) sequence: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct BriefHost {
    pub(crate) hostname: Option<String>,
    pub(crate) machine_id: Option<String>,
    pub(crate) agent_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct BriefPolicy {
    pub(crate) id: Option<String>,
    pub(crate) version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct BriefResult {
    pub(crate) rule: String,
    pub(crate) title: v1::Title,
    pub(crate) severity: Open<Severity>,
    pub(crate) remediation: v1::Title,
    /// How many devices its evidence names.
    pub(crate) evidence: usize,
}

/// Each failed rule's evidence, in the brief's order.
pub(crate) type FailedEvidence = Vec<Vec<v1::Evidence>>;

/// A stored brief, if it is one of this version and reads as one (a brief of another
/// version that does not read as this one's fields is `None` all the same).
pub(crate) fn read(bytes: &[u8]) -> Option<Brief> {
    let mut brief: Brief = serde_json::from_slice(bytes).ok()?;
    if brief.version != Some(VERSION) {
        return None;
    }
    // Compared with what a payload says, which has no version.
    brief.version = None;
    Some(brief)
}

/// Stored evidence, if it reads as such.
pub(crate) fn read_evidence(bytes: &[u8]) -> Option<FailedEvidence> {
    serde_json::from_slice(bytes).ok()
}

/// A payload as the brief reads it, in one pass (the inventory and the rest stepped over).
#[derive(Deserialize)]
struct PayloadView {
    host: BriefHost,
    time: String,
    policy: BriefPolicy,
    verdict: Open<Verdict>,
    results: Vec<PayloadResult>,
    sequence: u64,
}

#[derive(Deserialize)]
struct PayloadResult {
    rule: String,
    title: v1::Title,
    severity: Open<Severity>,
    status: Open<Status>,
    remediation: v1::Title,
    evidence: Vec<v1::Evidence>,
}

/// What a verified payload's brief and evidence say, read from the payload itself.
pub(crate) fn from_payload(payload: &[u8]) -> Option<(Brief, FailedEvidence)> {
    let view: PayloadView = serde_json::from_slice(payload).ok()?;
    let (mut results, mut evidence) = (Vec::new(), Vec::new());
    for result in view.results {
        if result.status.is(Status::Fail) {
            results.push(BriefResult {
                rule: result.rule,
                title: result.title,
                severity: result.severity,
                remediation: result.remediation,
                evidence: result.evidence.len(),
            });
            evidence.push(result.evidence);
        }
    }
    let brief = Brief {
        version: None,
        host: view.host,
        time: view.time,
        policy: view.policy,
        verdict: view.verdict,
        results,
        sequence: view.sequence,
    };
    Some((brief, evidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A brief written from a payload's failed results reads back as what the payload says,
    /// strings with escapes included; a brief of another version does not read.
    #[test]
    fn a_written_brief_reads_as_its_payload() {
        let failed = r#"{"rule":"no-wifi","check":"wifi","title":{"zh":"无线","en":"Wi\"Fi"},
            "severity":"high","status":"fail","evidence":[{"kind":"wifi","detail":"wlan0\u001b"},
            {"kind":"usb-device","detail":"x"}],"remediation":{"zh":"拆","en":"remove"}}"#;
        let passed = failed.replace("\"fail\"", "\"pass\"");
        let payload = format!(
            r#"{{"host":{{"hostname":"ws\n1","machine_id":null,"agent_version":"0.3.0","os":"x"}},
               "time":"2026-12-03T00:00:00Z","policy":{{"id":"classified","version":"2"}},
               "verdict":"violation","results":[{passed},{failed}],"sequence":7,
               "inventory":{{"usb":[1,2,3]}}}}"#
        );
        let written = of_payload(payload.as_bytes()).unwrap();
        let (brief, evidence) = from_payload(payload.as_bytes()).unwrap();
        assert_eq!(brief.results.len(), 1);
        assert_eq!(brief.results[0].evidence, 2);
        assert_eq!(brief.host.hostname.as_deref(), Some("ws\n1"));
        assert_eq!(evidence[0][0].detail, "wlan0\u{1b}");
        assert_eq!(read(&written.brief), Some(brief));
        assert_eq!(read_evidence(&written.evidence), Some(evidence));
        assert!(written.brief.len() < 400, "{}", written.brief.len());

        let text = String::from_utf8(written.brief).unwrap();
        let other = text.replacen("\"brief\":1", "\"brief\":2", 1);
        assert_ne!(other, text);
        assert_eq!(read(other.as_bytes()), None);
        assert_eq!(read(b"not json"), None);
    }
}
