//! What the central report says: the data the HTML, CSV and JSON outputs render.
//!
//! Built from the store by `Store::report_data`, rendered by `report::*`. The JSON output is
//! this structure as it is, versioned (`isoguard.report/v1`), so it is kept stable like the
//! finding format: add fields, never change their meaning.
//!
//! Every string that came from a workstation (host names, device names, serials, evidence)
//! is untrusted: the renderers escape it for their format.

use serde::{Deserialize, Serialize};

pub use crate::finding::v1::{Evidence, EvidenceKind, Open, Severity, Verdict};

pub const REPORT_SCHEMA: &str = "isoguard.report/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub schema: String,
    /// RFC 3339 UTC.
    pub generated_at: String,
    pub stale_days: u32,
    pub totals: Totals,
    /// One row per enrolled host that sent at least one finding, plus enrolled hosts that
    /// never did (with no last finding), sorted by host name.
    pub hosts: Vec<HostRow>,
    /// Failed rules of each host's latest finding, with their evidence.
    pub violations: Vec<Violation>,
    /// For each rule id: how many hosts fail it in their latest finding.
    pub by_rule: Vec<RuleCount>,
    pub chain_problems: Vec<ChainProblem>,
    pub rejected: Vec<RejectedFile>,
    /// The units whose bundles were imported here, by name (absent from reports written
    /// before bundles existed).
    #[serde(default)]
    pub units: Vec<UnitRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub hosts: u64,
    pub compliant: u64,
    pub violation: u64,
    pub error: u64,
    /// Hosts whose latest finding is older than `stale_days`, or that never sent one.
    pub stale: u64,
    pub findings: u64,
    pub rejected: u64,
    pub chain_problems: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRow {
    /// The identity the host's key is enrolled under (machine id or hostname).
    pub host_id: String,
    pub hostname: Option<String>,
    pub machine_id: Option<String>,
    /// Time of the latest finding (RFC 3339 UTC), by sequence order.
    pub last_time: Option<String>,
    /// None when no finding arrived.
    pub last_verdict: Option<Open<Verdict>>,
    pub policy_id: Option<String>,
    pub policy_version: Option<String>,
    pub agent_version: Option<String>,
    pub last_sequence: Option<u64>,
    pub findings: u64,
    pub stale: bool,
    /// Rule ids failed in the latest finding.
    pub failed_rules: Vec<String>,
    /// The unit the latest finding came through (imported in its bundle); none when it came
    /// straight into this collector's inbox.
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub host_id: String,
    pub hostname: Option<String>,
    pub time: String,
    pub sequence: u64,
    pub rule: String,
    pub title: Title,
    pub severity: Open<Severity>,
    pub evidence: Vec<Evidence>,
    /// Devices this violation names that `evidence` does not carry: the report data was read
    /// for a page that shows only the first rows of evidence (`Store::report_data_for_page`).
    /// Always 0 in a full report.
    #[serde(skip)]
    pub evidence_left_out: u64,
}

impl Violation {
    /// The order a report lists violations in: by host as people know it (its name, else its
    /// id), then its id, then rule.
    pub fn display_order(&self, other: &Violation) -> std::cmp::Ordering {
        fn shown(v: &Violation) -> &str {
            match &v.hostname {
                Some(name) if !name.is_empty() => name,
                _ => &v.host_id,
            }
        }
        shown(self)
            .cmp(shown(other))
            .then_with(|| self.host_id.cmp(&other.host_id))
            .then_with(|| self.rule.cmp(&other.rule))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCount {
    pub rule: String,
    pub title: Title,
    pub severity: Open<Severity>,
    pub hosts: u64,
    /// How to fix a failure, as the policy says (from the latest finding naming the rule).
    #[serde(default)]
    pub remediation: Option<Title>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChainProblemKind {
    /// Sequence numbers missing between two findings: findings that never arrived.
    Gap,
    /// The same finding (the same signed payload, however formatted) arrived again.
    Replay,
    /// Two different findings with the same sequence number.
    Fork,
    /// A finding whose `previous` is not the digest of the finding before it.
    BrokenLink,
    /// The host declared a new chain (state lost or corrupt), with its reason.
    Reset,
}

crate::vocab::unit_names!(ChainProblemKind);

impl ChainProblemKind {
    /// The likely causes of such a problem and what to do about it.
    pub fn hint(self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            ChainProblemKind::Gap => Msg::HintGap,
            ChainProblemKind::Replay => Msg::HintReplay,
            ChainProblemKind::Fork => Msg::HintFork,
            ChainProblemKind::BrokenLink => Msg::HintBrokenLink,
            ChainProblemKind::Reset => Msg::HintReset,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainProblem {
    pub host_id: String,
    pub hostname: Option<String>,
    pub kind: ChainProblemKind,
    /// The sequence number concerned (for a gap: the first missing one).
    pub sequence: Option<u64>,
    pub detail: String,
    /// `detail` in Chinese (absent from reports written before it existed).
    #[serde(default)]
    pub detail_zh: String,
    /// When the collector noticed it (RFC 3339 UTC).
    pub noticed_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedFile {
    /// File name as it arrived in the inbox.
    pub file: String,
    /// Where it is now (under rejected/).
    pub stored_as: String,
    pub reason: String,
    pub rejected_at: String,
    /// Why, as one word of the closed list `RejectKind` (`bad-signature`...); `reason` has
    /// the particulars, in English.
    #[serde(default)]
    pub kind: String,
}

/// A unit whose bundles were imported: how many, the latest, and what is wrong with their
/// numbering.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRow {
    /// The name the unit's collector key is enrolled under here.
    pub unit: String,
    /// Bundles imported.
    pub bundles: u64,
    /// Findings stored from its bundles (not counting ones already held).
    pub findings_stored: u64,
    /// Envelopes refused from its bundles.
    pub refused: u64,
    /// Hosts whose latest finding came through this unit.
    pub hosts: u64,
    pub last_sequence: Option<u64>,
    /// When the unit wrote its latest bundle (its clock).
    pub last_created_at: Option<String>,
    /// When a bundle of it was last imported here.
    pub last_imported_at: Option<String>,
    /// Bundle numbers below the latest that never arrived.
    pub missing_bundles: Vec<u64>,
    /// Numbers under which two different bundles arrived.
    pub duplicated_bundles: Vec<u64>,
    /// Bundles that do not name the bundle before them.
    pub unlinked_bundles: Vec<u64>,
}
