//! Examining one inbox file: open it without following links or blocking, read at most the
//! size limit, verify its DSSE signature against the trust store, check that it is a v1
//! finding and that its signer may speak for the host it names.
//!
//! What it must not do: touch the database or move anything (the batch does, after its
//! commit), or trust anything in the file before the signature has checked out.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::Metadata;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::collector::brief;
use crate::collector::cores::map_on_cores;
use crate::collector::identity::Identity;
use crate::collector::trust;
use crate::files::{self, ReadError};
use crate::finding::chain_state::digest_hex;
use crate::finding::dsse::{self, VerifyError};
use crate::finding::keys::TrustedKeys;
use crate::finding::v1;

use super::folders::{InboxDirs, Kind};
use super::RejectKind;

/// A file that passed every check.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub(crate) identity: Identity,
    /// Hex SHA-256 of the envelope as it arrived.
    pub(crate) digest: String,
    pub(crate) envelope: Vec<u8>,
    pub(crate) label: String,
    pub(crate) keyid: String,
    pub(crate) hostname: Option<String>,
    pub(crate) machine_id: Option<String>,
    pub(crate) sequence: i64,
    pub(crate) previous: Option<String>,
    pub(crate) reset_reason: Option<String>,
    pub(crate) time: String,
    pub(crate) verdict: String,
    /// (device, inode) of the inbox file as read.
    pub(crate) file_id: (u64, u64),
    /// What the report reads of it (`collector::brief`).
    pub(crate) brief: brief::Written,
}

#[derive(Debug)]
pub(super) enum Examined {
    /// Gone between listing and opening (another collector took it).
    Gone,
    Deferred,
    Rejected(RejectKind, String),
    Accepted(Box<Accepted>),
}

/// `v1::Finding` as ingest checks it: every field with the same types and defaults, except
/// that the embedded inventory and probe results are checked to be JSON and skipped rather
/// than built into trees, and the strings of the rule results are checked to be strings and
/// not copied. v1 is frozen, so the two cannot drift apart; building and freeing those trees
/// and strings was most of the cost of taking a finding in. The rule results are kept as the
/// JSON they are, each checked as a [`ResultCheck`], so the failed ones go into the brief
/// verbatim.
#[derive(Deserialize)]
#[allow(dead_code)] // why: fields are read only to check their shape
struct FindingCheck<'a> {
    schema: String,
    host: v1::Host,
    time: String,
    trigger: v1::Open<v1::Trigger>,
    policy: v1::PolicyRef,
    verdict: v1::Open<v1::Verdict>,
    summary: v1::Summary,
    #[serde(borrow)]
    results: Vec<&'a RawValue>,
    #[serde(default)]
    errors: Vec<Text>,
    #[serde(default)]
    errors_zh: Vec<Text>,
    #[serde(default)]
    truncated: Vec<Text>,
    #[serde(default)]
    inventory: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    probes: Option<serde::de::IgnoredAny>,
    sequence: u64,
    previous: Option<String>,
    #[serde(default)]
    chain_reset: Option<v1::ChainReset>,
    // Usually empty (only `watch` writes them): checked as they are, so a finding the
    // report could not decode is never stored.
    #[serde(default)]
    events: Vec<v1::ChangeEvent>,
    #[serde(default)]
    events_dropped: u64,
    #[serde(default)]
    actions: Vec<v1::Action>,
}

/// `v1::RuleResult` with its strings checked, not kept.
#[derive(Deserialize)]
#[allow(dead_code)] // why: fields are read only to check their shape
struct ResultCheck {
    rule: Text,
    check: Text,
    title: TitleCheck,
    severity: v1::Open<v1::Severity>,
    status: v1::Open<v1::Status>,
    evidence: Vec<EvidenceCheck>,
    #[serde(default)]
    message: Option<Text>,
    #[serde(default)]
    message_zh: Option<Text>,
    remediation: TitleCheck,
}

/// `v1::Title` with its strings checked, not kept.
#[derive(Deserialize)]
#[allow(dead_code)] // why: fields are read only to check their shape
struct TitleCheck {
    zh: Text,
    en: Text,
}

/// `v1::Evidence` with its strings checked, not kept.
#[derive(Deserialize)]
#[allow(dead_code)] // why: fields are read only to check their shape
struct EvidenceCheck {
    kind: v1::Open<v1::EvidenceKind>,
    detail: Text,
    #[serde(default)]
    detail_zh: Option<Text>,
    #[serde(default)]
    name: Option<Text>,
    #[serde(default)]
    device_path: Option<Text>,
    #[serde(default)]
    vendor_id: Option<Text>,
    #[serde(default)]
    product_id: Option<Text>,
    #[serde(default)]
    manufacturer: Option<Text>,
    #[serde(default)]
    product: Option<Text>,
    #[serde(default)]
    serial: Option<Text>,
    #[serde(default)]
    mac: Option<Text>,
    #[serde(default)]
    port: Option<Text>,
    #[serde(default)]
    driver: Option<Text>,
    #[serde(default)]
    bus: Option<Text>,
}

/// A string where `v1` has a `String`: accepts exactly what a `String` accepts, keeps nothing.
struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
        deserializer.deserialize_string(TextVisitor)
    }
}

struct TextVisitor;

impl serde::de::Visitor<'_> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Text, E> {
        Ok(Text)
    }

    /// As `String` does: bytes that are UTF-8 are a string.
    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Text, E> {
        std::str::from_utf8(bytes)
            .map(|_| Text)
            .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(bytes), &self))
    }
}

/// The `schema` field alone, read before the full document so a future schema is named as
/// such rather than reported as a malformed v1 finding.
#[derive(Deserialize)]
struct SchemaOnly {
    schema: Option<serde_json::Value>,
}

pub(super) struct Examiner<'a> {
    pub(super) dirs: &'a InboxDirs,
    pub(super) trusted: &'a TrustedKeys,
    pub(super) max_size: u64,
    pub(super) settle: Option<Duration>,
    pub(super) complete: &'a HashSet<OsString>,
    pub(super) now: SystemTime,
}

impl Examiner<'_> {
    pub(super) fn examine(&self, name: &OsStr, kind: Kind) -> Examined {
        let kind = match kind {
            Kind::Unknown => match self.dirs.kind_of(name) {
                Ok(Some(kind)) => kind,
                Ok(None) => return Examined::Gone,
                Err(err) => {
                    return Examined::Rejected(
                        RejectKind::Unreadable,
                        format!("cannot inspect: {}", files::os_reason(&err)),
                    )
                }
            },
            known => known,
        };
        match kind {
            Kind::Regular | Kind::Unknown => {}
            Kind::Symlink => return symlink(),
            Kind::Other(what) => {
                return Examined::Rejected(
                    RejectKind::NotRegularFile,
                    format!("not a regular file: {what}"),
                )
            }
        }
        match self.read(name) {
            Ok(read) => check(self.trusted, read),
            Err(examined) => examined,
        }
    }

    fn read(&self, name: &OsStr) -> Result<Read, Examined> {
        // Refusing links: a symlink swapped in after the listing is refused, not followed;
        // the non-blocking open means a FIFO swapped in does not hang the collector.
        let (file, meta) = match self.dirs.open_file(name) {
            Ok(opened) => opened,
            Err(ReadError::NotFound) => return Err(Examined::Gone),
            Err(ReadError::Symlink) => return Err(symlink()),
            Err(ReadError::NotRegular(what)) => {
                return Err(Examined::Rejected(
                    RejectKind::NotRegularFile,
                    format!("not a regular file: {what}"),
                ))
            }
            Err(err) => {
                return Err(Examined::Rejected(
                    RejectKind::Unreadable,
                    format!("cannot open: {err}"),
                ))
            }
        };
        if let Some(settle) = self.settle {
            if !self.complete.contains(name) && self.is_fresh(&meta, settle) {
                return Err(Examined::Deferred);
            }
        }
        if meta.len() > self.max_size {
            return Err(too_large(meta.len(), self.max_size));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        match files::read_into(file, self.max_size, &mut bytes) {
            Ok(()) => {}
            Err(ReadError::TooLarge { .. }) => {
                return Err(too_large(
                    u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                    self.max_size,
                ))
            }
            Err(err) => {
                return Err(Examined::Rejected(
                    RejectKind::Unreadable,
                    format!("cannot read: {err}"),
                ))
            }
        }
        let may_be_growing = self.is_fresh(&meta, TRUNCATED_GRACE)
            || u64::try_from(bytes.len()).is_ok_and(|n| n != meta.len());
        Ok(Read {
            bytes,
            file_id: files::identity_of(&meta),
            may_be_growing,
        })
    }

    /// Modified less than `window` ago (or in the future, or at an unknown time).
    fn is_fresh(&self, meta: &Metadata, window: Duration) -> bool {
        meta.modified()
            .ok()
            .and_then(|m| self.now.duration_since(m).ok())
            .is_none_or(|age| age < window)
    }
}

/// What the collector makes of one inbox file's bytes, as a pass would (signature against
/// `trusted`, the finding's shape and schema, the signer's binding to the host it names), for
/// fuzzing and for tools: the finding's identity and the brief it would be stored with, or
/// why it would be refused. A document cut short is refused as malformed here (a pass would
/// wait for a file still being written).
pub fn examine_bytes(
    bytes: &[u8],
    trusted: &TrustedKeys,
) -> Result<(Identity, brief::Written), (RejectKind, String)> {
    check_arrival(bytes.to_vec(), trusted).map(|found| (found.identity, found.brief))
}

/// The checks of a pass for an envelope that arrived another way than through the inbox (a
/// bundle from a unit below): the finding as it would be stored, or why it would be refused.
pub(crate) fn check_arrival(
    envelope: Vec<u8>,
    trusted: &TrustedKeys,
) -> Result<Box<Accepted>, (RejectKind, String)> {
    let read = Read {
        bytes: envelope,
        file_id: (0, 0),
        may_be_growing: false,
    };
    match check(trusted, read) {
        Examined::Accepted(found) => Ok(found),
        Examined::Rejected(kind, reason) => Err((kind, reason)),
        Examined::Deferred | Examined::Gone => Err((RejectKind::Malformed, "not examined".into())),
    }
}

fn check(trusted: &TrustedKeys, read: Read) -> Examined {
    let Read {
        bytes: envelope,
        file_id,
        may_be_growing,
    } = read;
    let (verified, rewritten) = match dsse::verify_in_agent_form(&envelope, trusted) {
        Ok(checked) => checked,
        // A document cut short whose file was written moments ago (or grew while it was
        // read) is a copy still under way, not a broken finding: `cp` onto a share writes
        // the final name from the first byte.
        Err(VerifyError::MalformedEnvelope(_)) if may_be_growing && is_truncated(&envelope) => {
            return Examined::Deferred
        }
        Err(err) => return Examined::Rejected(verify_kind(&err), err.to_string()),
    };
    // The full document first: that is what nearly every file is, and parsing a few KiB
    // twice would cost more than the signature check. Only a failure asks what it was.
    let finding = match serde_json::from_slice::<FindingCheck>(&verified.payload) {
        Ok(f) if f.schema == v1::SCHEMA => f,
        Ok(f) => return unknown_schema(Some(&f.schema)),
        Err(err) => {
            return match serde_json::from_slice::<SchemaOnly>(&verified.payload) {
                Err(_) => Examined::Rejected(
                    RejectKind::Malformed,
                    format!("signed payload is not a JSON object: {err}"),
                ),
                Ok(s) => match s.schema.as_ref().map(serde_json::Value::as_str) {
                    Some(Some(v1::SCHEMA)) => Examined::Rejected(
                        RejectKind::Malformed,
                        format!(
                            "signed payload is not a valid {} finding: {err}",
                            v1::SCHEMA
                        ),
                    ),
                    Some(Some(other)) => unknown_schema(Some(other)),
                    _ => unknown_schema(None),
                },
            }
        }
    };
    let failed = match failed_results(&finding.results) {
        Ok(failed) => failed,
        Err(err) => return malformed_results(&err),
    };
    if let Err(mismatch) = trust::check_binding(&verified.label, &finding.host) {
        return Examined::Rejected(RejectKind::HostMismatch, mismatch);
    }
    let Ok(sequence) = i64::try_from(finding.sequence) else {
        return Examined::Rejected(
            RejectKind::Malformed,
            format!("sequence {} is out of range", finding.sequence),
        );
    };
    let header = brief::Header {
        hostname: finding.host.hostname.as_deref(),
        machine_id: finding.host.machine_id.as_deref(),
        agent_version: &finding.host.agent_version,
        time: &finding.time,
        policy_id: finding.policy.id.as_deref(),
        policy_version: finding.policy.version.as_deref(),
        verdict: finding.verdict.as_str(),
        sequence: finding.sequence,
    };
    let brief = match brief::write(&header, &failed) {
        Ok(brief) => brief,
        Err(err) => return malformed_results(&err),
    };
    let digest = digest_hex(&envelope);
    Examined::Accepted(Box::new(Accepted {
        identity: Identity::of_checked(&verified.payload, &digest, rewritten.as_deref()),
        digest,
        envelope,
        label: verified.label,
        keyid: verified.keyid,
        hostname: finding.host.hostname,
        machine_id: finding.host.machine_id,
        sequence,
        previous: finding.previous,
        reset_reason: finding.chain_reset.map(|r| r.reason),
        time: finding.time,
        verdict: finding.verdict.as_str().to_string(),
        file_id,
        brief,
    }))
}

fn malformed_results(err: &serde_json::Error) -> Examined {
    Examined::Rejected(
        RejectKind::Malformed,
        format!(
            "signed payload is not a valid {} finding: {err}",
            v1::SCHEMA
        ),
    )
}

/// Checks each rule result's shape; the failed ones.
fn failed_results<'a>(results: &[&'a RawValue]) -> Result<Vec<&'a RawValue>, serde_json::Error> {
    let mut failed = Vec::new();
    for &raw in results {
        let result: ResultCheck = serde_json::from_str(raw.get())?;
        if result.status.is(v1::Status::Fail) {
            failed.push(raw);
        }
    }
    Ok(failed)
}

fn unknown_schema(schema: Option<&str>) -> Examined {
    let reason = match schema {
        Some(schema) => format!(
            "unknown schema {:?}; this collector reads {}",
            crate::text::display_safe(schema, 64),
            v1::SCHEMA
        ),
        None => "signed payload names no schema".to_string(),
    };
    Examined::Rejected(RejectKind::UnknownSchema, reason)
}

/// How long a truncated document is taken for a copy still under way: long enough for a slow
/// share to stall between writes, short enough that a copy that died is reported soon.
pub const TRUNCATED_GRACE: Duration = Duration::from_secs(60);

/// What was read of an inbox file.
struct Read {
    bytes: Vec<u8>,
    file_id: (u64, u64),
    /// Written within [`TRUNCATED_GRACE`], or grew while it was read: if it is cut short,
    /// a later pass looks at it again.
    may_be_growing: bool,
}

/// Whether `bytes` end before the JSON document they start is complete (an empty file too).
fn is_truncated(bytes: &[u8]) -> bool {
    match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        Ok(_) => false,
        Err(err) => err.is_eof(),
    }
}

fn symlink() -> Examined {
    Examined::Rejected(
        RejectKind::NotRegularFile,
        "not a regular file: a symbolic link (its target was not read or moved)".to_string(),
    )
}

fn too_large(len: u64, limit: u64) -> Examined {
    Examined::Rejected(
        RejectKind::TooLarge,
        format!("file is {len} bytes or more, over the limit of {limit} bytes"),
    )
}

fn verify_kind(err: &VerifyError) -> RejectKind {
    match err {
        VerifyError::TooLarge(_) => RejectKind::TooLarge,
        VerifyError::UnknownKey(_) => RejectKind::UnknownKey,
        VerifyError::BadSignature(_) => RejectKind::BadSignature,
        VerifyError::MalformedEnvelope(_)
        | VerifyError::WrongPayloadType { .. }
        | VerifyError::NoSignatures
        | VerifyError::MultipleSignatures(_)
        | VerifyError::PayloadNotBase64
        | VerifyError::SignatureNotDecodable(_) => RejectKind::Malformed,
    }
}

/// Examines files on up to four threads; signature checks and JSON parsing dominate a pass.
pub(super) fn examine_all(examiner: &Examiner<'_>, files: &[(OsString, Kind)]) -> Vec<Examined> {
    map_on_cores(files.iter().collect(), |(name, kind)| {
        examiner.examine(name, *kind)
    })
    .into_iter()
    // A panicking examiner leaves its files in the inbox for the next pass.
    .map(|examined| examined.unwrap_or(Examined::Gone))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `examine_bytes` gives the verdict a pass would: stored (with the payload's identity),
    /// or refused with the kind the pass would file it under.
    #[test]
    fn examine_bytes_judges_like_a_pass() {
        let key = crate::finding::keys::PrivateKey::generate().unwrap();
        let trusted = TrustedKeys::from_keys(vec![("m".into(), key.public_key())]).unwrap();
        let finding = serde_json::json!({
            "schema": v1::SCHEMA,
            "host": {"hostname": "h", "machine_id": "m", "boot_id": null, "os": null,
                     "kernel": null, "agent_version": "0.1.0"},
            "time": "2026-01-01T00:00:00Z", "trigger": "boot",
            "policy": {"id": "classified", "version": "1", "sha256": null, "source": "builtin"},
            "verdict": "compliant",
            "summary": {"pass": 0, "fail": 0, "error": 0, "skip": 0},
            "results": [], "sequence": 1, "previous": null
        });
        let payload = serde_json::to_vec(&finding).unwrap();
        let envelope = dsse::sign(&payload, &key).to_json().into_bytes();
        assert_eq!(
            examine_bytes(&envelope, &trusted).map(|(i, brief)| (i.payload, brief)),
            Ok((digest_hex(&payload), brief::of_payload(&payload).unwrap()))
        );
        let half = &envelope[..envelope.len() / 2];
        assert_eq!(
            examine_bytes(half, &trusted).map_err(|(kind, _)| kind),
            Err(RejectKind::Malformed)
        );
        let stranger = TrustedKeys::from_keys(vec![("x".into(), key.public_key())]).unwrap();
        assert_eq!(
            examine_bytes(&envelope, &stranger).map_err(|(kind, _)| kind),
            Err(RejectKind::HostMismatch)
        );
    }

    /// The shape ingest checks is the shape of `v1::Finding`: the same documents pass and fail.
    #[test]
    fn finding_check_accepts_what_v1_accepts() {
        let full = serde_json::json!({
            "schema": v1::SCHEMA,
            "host": {"hostname": "h", "machine_id": "m", "boot_id": null, "os": null,
                     "kernel": null, "agent_version": "0.1.0"},
            "time": "2026-01-01T00:00:00Z", "trigger": "boot",
            "policy": {"id": "classified", "version": "1", "sha256": null, "source": "builtin"},
            "verdict": "violation",
            "summary": {"pass": 1, "fail": 1, "error": 0, "skip": 0},
            "results": [{"rule": "r", "check": "c", "title": {"zh": "z", "en": "e"},
                         "severity": "high", "status": "fail",
                         "evidence": [{"kind": "k", "detail": "d", "serial": "s"}],
                         "remediation": {"zh": "z", "en": "e"}}],
            "inventory": {"schema": "isoguard.inventory/v1", "storage": [1, 2, {"a": null}]},
            "sequence": 3, "previous": null, "chain_reset": {"reason": "x"}
        });
        let mut cases = vec![full.clone()];
        for (field, value) in [
            ("inventory", serde_json::Value::Null),
            ("sequence", serde_json::json!(-1)),
            ("sequence", serde_json::json!("3")),
            ("results", serde_json::json!([{"rule": "r"}])),
            ("host", serde_json::json!({"hostname": "h"})),
            ("chain_reset", serde_json::json!({"why": "x"})),
            ("previous", serde_json::json!(7)),
            ("errors", serde_json::json!(["a", "\u{e9}\n"])),
            ("errors", serde_json::json!([1])),
            ("errors_zh", serde_json::json!("a")),
            ("truncated", serde_json::json!([null])),
            ("events", serde_json::json!("x")),
            ("events", serde_json::json!([{"x": 1}])),
            ("events", serde_json::json!([])),
            ("events_dropped", serde_json::json!(-1)),
            ("events_dropped", serde_json::json!(4)),
            ("actions", serde_json::json!([{"x": 1}])),
            ("actions", serde_json::json!([])),
        ] {
            let mut changed = full.clone();
            changed[field] = value;
            cases.push(changed);
        }
        for field in ["inventory", "errors", "chain_reset", "previous", "verdict"] {
            let mut removed = full.clone();
            removed.as_object_mut().unwrap().remove(field);
            cases.push(removed);
        }
        // Each field of a rule result, of its title and of its evidence: changed to another
        // type, to null, to an escaped string, or left out.
        let result = full["results"][0].clone();
        let mut changed_results = Vec::new();
        for (path, keys) in [
            (
                vec![],
                result
                    .as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
            (vec!["title"], vec!["zh".into(), "en".into()]),
            (vec!["remediation"], vec!["zh".into(), "en".into()]),
            (
                vec!["evidence", "0"],
                [
                    "kind",
                    "detail",
                    "detail_zh",
                    "name",
                    "device_path",
                    "vendor_id",
                    "product_id",
                    "manufacturer",
                    "product",
                    "serial",
                    "mac",
                    "port",
                    "driver",
                    "bus",
                    "extra",
                ]
                .map(String::from)
                .to_vec(),
            ),
        ] {
            for key in keys {
                for value in [
                    Some(serde_json::json!(1)),
                    Some(serde_json::Value::Null),
                    Some(serde_json::json!("\"\u{4e2d}\\")),
                    Some(serde_json::json!({"fail": null})),
                    Some(serde_json::json!([])),
                    None,
                ] {
                    let mut r = result.clone();
                    let mut target = &mut r;
                    for step in &path {
                        target = match step.parse::<usize>() {
                            Ok(i) => &mut target[i],
                            Err(_) => &mut target[*step],
                        };
                    }
                    let object = target.as_object_mut().unwrap();
                    match value {
                        Some(v) => object.insert(key.clone(), v),
                        None => object.remove(&key),
                    };
                    changed_results.push(r);
                }
            }
        }
        for r in changed_results {
            let mut changed = full.clone();
            changed["results"] = serde_json::json!([r]);
            cases.push(changed);
        }
        let (mut accepted, mut refused) = (0, 0);
        for case in &cases {
            let bytes = serde_json::to_vec(case).unwrap();
            if serde_json::from_slice::<v1::Finding>(&bytes).is_ok() {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
        assert!(accepted > 20 && refused > 20, "{accepted} {refused}");
        for case in cases {
            let bytes = serde_json::to_vec(&case).unwrap();
            let checked = serde_json::from_slice::<FindingCheck>(&bytes)
                .is_ok_and(|f| failed_results(&f.results).is_ok());
            assert_eq!(
                checked,
                serde_json::from_slice::<v1::Finding>(&bytes).is_ok(),
                "{case}"
            );
        }
    }
}
