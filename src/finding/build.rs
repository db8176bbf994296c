//! Turning a scan's internal results into the frozen v1 document.

use super::v1::{self, Status, Trigger, Verdict};
use crate::i18n::Msg;
use crate::inventory::{HostIdentity, Inventory};
use crate::policy::evaluate::RuleResult;
use crate::policy::{Policy, Title};
use crate::probe::ProbeReport;

/// Where the chain stands for the finding being built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPosition {
    pub sequence: u64,
    pub previous: Option<String>,
    pub reset_reason: Option<String>,
}

/// Largest payload a finding may have: its base64 in the envelope (4/3 of it) stays under the
/// collector's default 4 MiB limit with room for the signature.
pub const MAX_PAYLOAD_BYTES: usize = 2_560 * 1024;

/// Writes the chain fields of a finding.
pub fn place_in_chain(finding: &mut v1::Finding, chain: &ChainPosition) {
    finding.sequence = chain.sequence;
    finding.previous = chain.previous.clone();
    finding.chain_reset = chain
        .reset_reason
        .clone()
        .map(|reason| v1::ChainReset { reason });
}

/// The length the finding's JSON will have, counted without building it.
fn payload_len(finding: &v1::Finding) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, finding).map_or(usize::MAX, |()| count.0)
}

/// Keeps a finding under `limit` bytes so it always reaches the collector: results and their
/// evidence stay; the embedded inventory goes first, section by section, largest first; then
/// the probe details; and only if the results alone are too large, the longest evidence lists
/// are cut, each with an item saying how many were left out. Everything left out is named in
/// `truncated`.
pub fn fit(finding: &mut v1::Finding, limit: usize) {
    if payload_len(finding) <= limit {
        return;
    }
    let sizes: Vec<(String, usize)> = match &finding.inventory {
        Some(serde_json::Value::Object(sections)) => {
            let mut sizes: Vec<(String, usize)> = sections
                .iter()
                .filter(|(name, _)| name.as_str() != "schema" && name.as_str() != "host")
                .map(|(name, value)| {
                    (
                        name.clone(),
                        serde_json::to_vec(value).map_or(0, |v| v.len()),
                    )
                })
                .collect();
            sizes.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
            sizes
        }
        _ => Vec::new(),
    };
    for (name, size) in sizes {
        if let Some(serde_json::Value::Object(sections)) = finding.inventory.as_mut() {
            sections.remove(&name);
        }
        finding.truncated.push(format!(
            "inventory section `{name}` ({size} bytes) left out to keep the finding under \
             {limit} bytes"
        ));
        if payload_len(finding) <= limit {
            return;
        }
    }
    if finding.probes.take().is_some() {
        finding
            .truncated
            .push("probe details left out (their evidence is in the results)".to_string());
        if payload_len(finding) <= limit {
            return;
        }
    }
    let mut keep = 1024usize;
    while payload_len(finding) > limit && keep > 0 {
        for result in &mut finding.results {
            if result.evidence.len() > keep {
                let left_out = result.evidence.len() - keep;
                result.evidence.truncate(keep);
                result.evidence.push(v1::Evidence::new(
                    v1::EvidenceKind::Unreadable,
                    Msg::EvidenceLeftOut.with("count", left_out),
                ));
                finding.truncated.push(format!(
                    "rule `{}`: {left_out} evidence item(s) left out",
                    result.rule
                ));
            }
        }
        keep /= 2;
    }
}

/// What the policy part of a finding says when the policy could not be loaded.
pub struct PolicyFailure {
    pub source: String,
    pub sha256: Option<String>,
    pub message: String,
    pub message_zh: String,
}

fn title(t: &Title) -> v1::Title {
    v1::Title {
        zh: t.zh.clone(),
        en: t.en.clone(),
    }
}

pub fn host(h: &HostIdentity) -> v1::Host {
    v1::Host {
        hostname: h.hostname.clone(),
        machine_id: h.machine_id.clone(),
        boot_id: h.boot_id.clone(),
        os: h.os.clone(),
        kernel: h.kernel.clone(),
        agent_version: h.agent_version.clone(),
        os_release: h.os_release.as_ref().map(|r| v1::OsReleaseRef {
            id: r.id.clone(),
            id_like: r.id_like.clone(),
            version_id: r.version_id.clone(),
            pretty_name: r.pretty_name.clone(),
        }),
    }
}

fn summary(results: &[RuleResult]) -> v1::Summary {
    let count = |s: Status| {
        u32::try_from(results.iter().filter(|r| r.status == s).count()).unwrap_or(u32::MAX)
    };
    v1::Summary {
        pass: count(Status::Pass),
        fail: count(Status::Fail),
        error: count(Status::Error),
        skip: count(Status::Skip),
    }
}

pub struct Judged<'a> {
    pub policy: &'a Policy,
    pub inventory: &'a Inventory,
    pub results: &'a [RuleResult],
    pub verdict: Verdict,
    pub probes: Option<&'a ProbeReport>,
}

pub fn finding(
    judged: &Judged,
    time: String,
    trigger: Trigger,
    chain: &ChainPosition,
) -> v1::Finding {
    let p = judged.policy;
    v1::Finding {
        schema: v1::SCHEMA.to_string(),
        host: host(&judged.inventory.host),
        time,
        trigger: trigger.into(),
        policy: v1::PolicyRef {
            id: Some(p.id.clone()),
            version: Some(p.version.clone()),
            sha256: Some(p.sha256.clone()),
            source: p.source.clone(),
            override_sha256: p.override_sha256.clone(),
        },
        verdict: judged.verdict.into(),
        summary: summary(judged.results),
        results: judged
            .results
            .iter()
            .map(|r| v1::RuleResult {
                rule: r.rule.clone(),
                check: r.check.clone(),
                title: title(&r.title),
                severity: r.severity.into(),
                status: r.status.into(),
                evidence: r.evidence.clone(),
                message: r.message.as_ref().map(|m| m.en()),
                message_zh: r.message.as_ref().map(|m| m.zh()),
                remediation: title(&r.remediation),
            })
            .collect(),
        errors: Vec::new(),
        errors_zh: Vec::new(),
        truncated: Vec::new(),
        inventory: serde_json::to_value(judged.inventory).ok(),
        probes: judged.probes.and_then(|p| serde_json::to_value(p).ok()),
        sequence: chain.sequence,
        previous: chain.previous.clone(),
        chain_reset: chain
            .reset_reason
            .clone()
            .map(|reason| v1::ChainReset { reason }),
        events: Vec::new(),
        events_dropped: 0,
        actions: Vec::new(),
    }
}

/// The finding written when no policy could be loaded: verdict `error`, the reason, and the
/// host it happened on, so a broken policy at boot is seen centrally instead of silently.
pub fn policy_error_finding(
    host_identity: &HostIdentity,
    failure: &PolicyFailure,
    time: String,
    trigger: Trigger,
    chain: &ChainPosition,
) -> v1::Finding {
    v1::Finding {
        schema: v1::SCHEMA.to_string(),
        host: host(host_identity),
        time,
        trigger: trigger.into(),
        policy: v1::PolicyRef {
            id: None,
            version: None,
            sha256: failure.sha256.clone(),
            source: failure.source.clone(),
            override_sha256: None,
        },
        verdict: Verdict::Error.into(),
        summary: v1::Summary::default(),
        results: Vec::new(),
        errors: vec![failure.message.clone()],
        errors_zh: vec![failure.message_zh.clone()],
        truncated: Vec::new(),
        inventory: None,
        probes: None,
        sequence: chain.sequence,
        previous: chain.previous.clone(),
        chain_reset: chain
            .reset_reason
            .clone()
            .map(|reason| v1::ChainReset { reason }),
        events: Vec::new(),
        events_dropped: 0,
        actions: Vec::new(),
    }
}
