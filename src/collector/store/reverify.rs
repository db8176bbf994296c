//! `reverify`: every stored envelope checked again, as if it had just arrived.
//!
//! The columns beside a stored envelope, and its brief, are copies for querying; this is what
//! proves they still match the envelope and that the envelope still verifies against today's trust store
//! (a key removed since, or an envelope edited in the database file, shows here).
//!
//! What it must not do: change anything it finds, or trust any column over the envelope.

use crate::collector::brief;
use crate::collector::identity::Identity;
use crate::collector::trust;
use crate::finding::chain_state::digest_hex;
use crate::finding::dsse;
use crate::finding::keys::TrustedKeys;
use crate::finding::v1;

use super::backend::{Backend, StoredFinding};
use super::StoreError;

/// One stored finding that no longer checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReverifyFailure {
    pub id: i64,
    pub host_id: String,
    pub file: String,
    pub reason: String,
}

/// Re-checks every stored envelope against `trusted`: its digest, its signature, that the key
/// is still enrolled for the host it was filed under, that it may speak for the host it
/// names, and that the stored copies of its chain fields match. Calls `failed` for each one
/// that does not, and returns how many were checked.
pub(super) fn reverify(
    db: &dyn Backend,
    trusted: &TrustedKeys,
    failed: &mut dyn FnMut(ReverifyFailure),
) -> Result<u64, StoreError> {
    db.for_each_finding(&mut |stored: StoredFinding| {
        if let Err(reason) = check_stored(&stored, trusted) {
            failed(ReverifyFailure {
                id: stored.id,
                host_id: stored.host_id,
                file: stored.inbox_name,
                reason,
            });
        }
        Ok(())
    })
}

fn check_stored(stored: &StoredFinding, trusted: &TrustedKeys) -> Result<(), String> {
    if digest_hex(&stored.envelope) != stored.digest {
        return Err("stored envelope does not match its recorded digest".to_string());
    }
    let verified = dsse::verify(&stored.envelope, trusted).map_err(|e| e.to_string())?;
    let identity = Identity::of_verified(&stored.envelope, &verified.payload, &stored.digest);
    if stored.payload_digest.as_deref() != Some(identity.payload.as_str())
        || stored.link_digest.as_deref() != Some(identity.link.as_str())
    {
        return Err("stored payload or link digest differs from the envelope".to_string());
    }
    if verified.label != stored.host_id {
        return Err(format!(
            "signed by key enrolled as {}, but stored for host {}",
            verified.label, stored.host_id
        ));
    }
    let finding: v1::Finding = serde_json::from_slice(&verified.payload)
        .map_err(|e| format!("payload is not a v1 finding: {e}"))?;
    if finding.schema != v1::SCHEMA {
        return Err(format!(
            "unknown schema {}",
            crate::text::display_safe(&finding.schema, 64)
        ));
    }
    trust::check_binding(&verified.label, &finding.host)?;
    if i64::try_from(finding.sequence).ok() != Some(stored.sequence)
        || finding.previous != stored.previous
    {
        return Err("stored sequence or previous digest differs from the signed payload".into());
    }
    // The report believes the brief; it must say what the payload says. A half missing is
    // a change too: the report would read the other half alone.
    match (&stored.brief, &stored.evidence) {
        (None, None) => {}
        (Some(stored_brief), Some(evidence)) => {
            let read = brief::read(stored_brief).zip(brief::read_evidence(evidence));
            if read.is_none() || read != brief::from_payload(&verified.payload) {
                return Err("stored brief differs from the signed payload".into());
            }
        }
        _ => return Err("stored brief or its evidence is missing".into()),
    }
    Ok(())
}
