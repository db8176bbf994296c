//! `isoguard.finding/v1`: the signed document, frozen.
//!
//! These types are the wire format other tools read (the collector, a site's SIEM, a DSSE
//! verifier). They are kept apart from the internal types on purpose: refactoring the policy
//! or inventory code must never change what a v1 reader sees. A change of meaning is a new
//! schema (`v2`), with its own module; `docs/finding-v1.md` and `docs/finding-v1.schema.json`
//! describe this one.
//!
//! The inventory the rules judged is embedded as it was collected, under its own schema tag
//! (`isoguard.inventory/v1`), as plain JSON.

use serde::{Deserialize, Serialize};

pub use crate::vocab::Open;

pub const SCHEMA: &str = "isoguard.finding/v1";

/// What started a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    Boot,
    Manual,
    Timer,
    /// `isoguard watch`: a device was added, removed or changed (a uevent).
    Hotplug,
    /// `isoguard watch`: an interface, address, route or rule changed (rtnetlink).
    NetworkChange,
}

/// The scan's conclusion: `violation` if any rule failed, else `error` if any rule could not
/// be evaluated, else `compliant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Compliant,
    Violation,
    Error,
}

/// One rule's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Error,
    Skip,
}

/// How serious a rule's failure is; sorts most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
}

/// What a piece of evidence names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    BlockDevice,
    UsbDevice,
    NetworkInterface,
    DefaultRoute,
    /// A route other than a main-table default route that leads to public addresses.
    Route,
    Address,
    Radio,
    SoundCard,
    VideoDevice,
    Mount,
    Probe,
    DnsResolver,
    /// A USB device the machine's logs show was used here.
    UsbHistory,
    /// A network the machine was on: a saved profile, a pairing, a lease.
    NetworkHistory,
    /// A part of the machine that exists but could not be read.
    Unreadable,
}

impl EvidenceKind {
    pub const ALL: [EvidenceKind; 15] = [
        EvidenceKind::BlockDevice,
        EvidenceKind::UsbDevice,
        EvidenceKind::NetworkInterface,
        EvidenceKind::DefaultRoute,
        EvidenceKind::Route,
        EvidenceKind::Address,
        EvidenceKind::Radio,
        EvidenceKind::SoundCard,
        EvidenceKind::VideoDevice,
        EvidenceKind::Mount,
        EvidenceKind::Probe,
        EvidenceKind::DnsResolver,
        EvidenceKind::UsbHistory,
        EvidenceKind::NetworkHistory,
        EvidenceKind::Unreadable,
    ];
}

crate::vocab::unit_names!(Trigger, Verdict, Status, Severity, EvidenceKind);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub schema: String,
    pub host: Host,
    /// RFC 3339, UTC (`2026-11-28T03:46:18Z`).
    pub time: String,
    pub trigger: Open<Trigger>,
    pub policy: PolicyRef,
    pub verdict: Open<Verdict>,
    pub summary: Summary,
    pub results: Vec<RuleResult>,
    /// Problems that stopped rules from running at all (an unreadable policy, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// `errors` in Chinese, item by item (agents before 0.2 wrote English only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors_zh: Vec<String>,
    /// What was left out to keep the finding under its size bound (the results never are).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub truncated: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes: Option<serde_json::Value>,
    /// Per-host counter, one more than the previous finding's.
    pub sequence: u64,
    /// Hex SHA-256 of the previous finding's envelope, as written to the spool.
    pub previous: Option<String>,
    /// Present when this finding starts a new chain, with the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_reset: Option<ChainReset>,
    /// `isoguard watch`: the kernel events that led to this finding, oldest first (agents
    /// before 0.2 and scans write none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ChangeEvent>,
    /// How many more events there were than `events` holds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub events_dropped: u64,
    /// What enforcement did (or failed to do) because of this finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One kernel event as the watcher received it. Strings are the kernel's (a device's own
/// names among them), escaped and cut to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// `uevent`, `link`, `address`, `route`, `rule`, or `overflow` (the kernel dropped
    /// messages and everything was re-read).
    pub source: String,
    /// `add`, `remove`, `change`, `bind`... (uevent); `new`, `del` (rtnetlink); `lost`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsystem: Option<String>,
    /// sysfs device path, or what the address or route is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Device node or interface name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The thing appeared and was gone again before the machine was re-read: this event is
    /// the only record of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transient: bool,
}

/// One enforcement step: what was done to which device, for which rule, and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// `deauthorize`, `authorize`, `authorized-default-off`, `authorized-default-restore`,
    /// `rfkill-block`, `link-down`.
    pub action: String,
    /// sysfs device path, rfkill name or interface.
    pub device: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// `done` or `failed`.
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    pub hostname: Option<String>,
    pub machine_id: Option<String>,
    pub boot_id: Option<String>,
    pub os: Option<String>,
    pub kernel: Option<String>,
    pub agent_version: String,
    /// os-release `ID`, `ID_LIKE`, `VERSION_ID`, `PRETTY_NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_release: Option<OsReleaseRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsReleaseRef {
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    pub version_id: Option<String>,
    pub pretty_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    pub id: Option<String>,
    pub version: Option<String>,
    /// Hex SHA-256 of the policy file's bytes.
    pub sha256: Option<String>,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub pass: u32,
    pub fail: u32,
    pub error: u32,
    pub skip: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    pub rule: String,
    pub check: String,
    pub title: Title,
    pub severity: Open<Severity>,
    pub status: Open<Status>,
    pub evidence: Vec<Evidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `message` in Chinese (agents before 0.2 wrote English only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_zh: Option<String>,
    pub remediation: Title,
}

/// One offending (or, for report-only rules, observed) thing, named by what identifies it.
/// The one evidence type: checks build it, findings carry it, the collector shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: Open<EvidenceKind>,
    pub detail: String,
    /// `detail` in Chinese (agents before 0.2 wrote English only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReset {
    pub reason: String,
}

/// The text of a finding in a reader's language; Chinese falls back to the English an older
/// agent wrote.
impl Evidence {
    pub fn detail_in(&self, lang: crate::i18n::Lang) -> &str {
        match (lang, &self.detail_zh) {
            (crate::i18n::Lang::Zh, Some(zh)) => zh,
            _ => &self.detail,
        }
    }
}

impl RuleResult {
    pub fn message_in(&self, lang: crate::i18n::Lang) -> Option<&str> {
        match (lang, &self.message_zh) {
            (crate::i18n::Lang::Zh, Some(zh)) => Some(zh),
            _ => self.message.as_deref(),
        }
    }
}

impl Finding {
    pub fn errors_in(&self, lang: crate::i18n::Lang) -> &[String] {
        if lang == crate::i18n::Lang::Zh && self.errors_zh.len() == self.errors.len() {
            &self.errors_zh
        } else {
            &self.errors
        }
    }
}

impl Title {
    pub fn pick(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::Zh => &self.zh,
            crate::i18n::Lang::En => &self.en,
        }
    }
}
