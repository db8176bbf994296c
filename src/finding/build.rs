//! Turning a scan's internal results into the frozen v1 document.

use super::v1::{self, Status, Trigger, Verdict};
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

/// What the policy part of a finding says when the policy could not be loaded.
pub struct PolicyFailure {
    pub source: String,
    pub sha256: Option<String>,
    pub message: String,
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
                message: r.message.clone(),
                remediation: title(&r.remediation),
            })
            .collect(),
        errors: Vec::new(),
        inventory: serde_json::to_value(judged.inventory).ok(),
        probes: judged.probes.and_then(|p| serde_json::to_value(p).ok()),
        sequence: chain.sequence,
        previous: chain.previous.clone(),
        chain_reset: chain
            .reset_reason
            .clone()
            .map(|reason| v1::ChainReset { reason }),
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
        inventory: None,
        probes: None,
        sequence: chain.sequence,
        previous: chain.previous.clone(),
        chain_reset: chain
            .reset_reason
            .clone()
            .map(|reason| v1::ChainReset { reason }),
    }
}
