//! Judging an inventory against a policy: a plain function from data to results.
//!
//! The verdict is `violation` if any rule fails, else `error` if any rule could not be
//! evaluated, else `compliant`. A switched-off rule is reported as `skip` with the reason,
//! never silently left out.

use super::checks::{Context, Evidence, Status};
use super::model::{Policy, Severity, Title};
use crate::inventory::Inventory;
use crate::probe::ProbeReport;

pub use crate::finding::v1::Verdict;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleResult {
    pub rule: String,
    pub check: String,
    pub title: Title,
    pub severity: Severity,
    pub status: Status,
    pub evidence: Vec<Evidence>,
    pub message: Option<crate::i18n::Phrase>,
    pub remediation: Title,
}

pub fn evaluate(
    policy: &Policy,
    inventory: &Inventory,
    probes: Option<&ProbeReport>,
) -> Vec<RuleResult> {
    let ctx = Context {
        inventory,
        media: &policy.media,
        probes,
    };
    policy
        .rules
        .iter()
        .map(|rule| {
            let outcome = if rule.enabled {
                rule.check.evaluate(&ctx)
            } else {
                super::checks::Outcome {
                    status: Status::Skip,
                    evidence: Vec::new(),
                    message: Some(crate::i18n::Msg::SwitchedOff.into()),
                }
            };
            RuleResult {
                rule: rule.id.clone(),
                check: rule.check.name().to_string(),
                title: rule.title.clone(),
                severity: rule.severity,
                status: outcome.status,
                evidence: outcome.evidence,
                message: outcome.message,
                remediation: rule.remediation.clone(),
            }
        })
        .collect()
}

pub fn verdict(results: &[RuleResult]) -> Verdict {
    if results.iter().any(|r| r.status == Status::Fail) {
        Verdict::Violation
    } else if results.iter().any(|r| r.status == Status::Error) {
        Verdict::Error
    } else {
        Verdict::Compliant
    }
}
