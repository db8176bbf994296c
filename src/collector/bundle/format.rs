//! The bundle file (`isoguard.bundle/v1`, docs/bundle-v1.md): JSON lines, so a plain text
//! tool can look inside, ending in the unit collector's signed manifest.
//!
//! ```text
//! {"schema":"isoguard.bundle/v1"}
//! {"key":{"host_id":"…","keyid":"…"}}                 one per key the unit trusts
//! {"finding":{"host_id":"…","received_at":"…","inbox_name":"…","envelope":"<base64>"}}
//! <DSSE envelope of the manifest, payload type MANIFEST_TYPE>
//! ```
//!
//! Everything before the last line is the body; the manifest names the body's SHA-256, how
//! many key and finding lines it has, the unit, the bundle's number and the digest of the
//! unit's bundle before it. The envelopes travel verbatim (base64 of their bytes as stored),
//! so every host signature is checked again where the bundle arrives.
//!
//! What it must not do: trust anything in a bundle before the manifest's signature, its
//! body digest and (for each envelope) the host's own signature have been checked; read a
//! line without a bound; panic on any byte sequence.

use serde::{Deserialize, Serialize};

use crate::finding::dsse;
use crate::finding::keys::PrivateKey;

/// The first line of every bundle.
pub const SCHEMA: &str = "isoguard.bundle/v1";

/// The DSSE payload type of a bundle's manifest: not a finding's, so neither signature can
/// stand for the other.
pub const MANIFEST_TYPE: &str = "application/vnd.isoguard.bundle-manifest+json";

/// Longest line a reader accepts: a finding line holds one envelope (at most
/// `MAX_ENVELOPE_BYTES`, 4 MiB) in base64, plus its few fields.
pub const MAX_LINE_BYTES: usize = 6 * 1024 * 1024;

/// The unit collector's signed statement of what the bundle holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    /// The unit the bundle comes from: the name its collector's key is enrolled under above.
    pub unit: String,
    /// The unit's bundles are numbered from 1, each naming the one before.
    pub sequence: u64,
    /// Hex SHA-256 of the unit's previous bundle file; none for its first.
    pub previous: Option<String>,
    /// When the bundle was written (RFC 3339 UTC, the unit collector's clock).
    pub created_at: String,
    /// What was exported, in words: `since-last`, or `from … to …` (when the unit stored
    /// the findings).
    pub selection: String,
    /// Number of key lines.
    pub keys: u64,
    /// Number of finding lines.
    pub findings: u64,
    /// Hex SHA-256 of every byte before the manifest line.
    pub body_sha256: String,
    /// The version of the collector that wrote it.
    pub collector_version: String,
}

/// The first line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub schema: String,
}

/// A line of the body after the first.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Line {
    Key(KeyLine),
    Finding(FindingLine),
}

/// A key the unit's collector trusts, as its trust folder holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyLine {
    pub host_id: String,
    pub keyid: String,
}

/// A finding as the unit stored it: the envelope verbatim, and where the unit had it from.
/// Only the envelope is the host's word; the rest is the unit's (signed by its manifest).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingLine {
    pub host_id: String,
    pub received_at: String,
    pub inbox_name: String,
    /// Standard base64 of the envelope's bytes as stored.
    pub envelope: String,
}

/// The manifest signed by the unit's collector key: the DSSE envelope the bundle's last line
/// holds, without its newline.
pub fn sign_manifest(manifest: &Manifest, key: &PrivateKey) -> Vec<u8> {
    // A struct of strings and numbers always serialises.
    let payload = serde_json::to_vec(manifest).unwrap_or_default();
    dsse::sign_as(MANIFEST_TYPE, &payload, key)
        .to_json()
        .into_bytes()
}

/// One line as written: compact JSON and a newline.
pub fn line(value: &impl Serialize) -> Vec<u8> {
    // Plain structs of strings and numbers always serialise.
    let mut out = serde_json::to_vec(value).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_json_object_each() {
        let key = line(&Line::Key(KeyLine {
            host_id: "ws-1".into(),
            keyid: "ab".into(),
        }));
        assert_eq!(key, b"{\"key\":{\"host_id\":\"ws-1\",\"keyid\":\"ab\"}}\n");
        let parsed: Line = serde_json::from_slice(&key).unwrap();
        assert!(matches!(parsed, Line::Key(k) if k.host_id == "ws-1"));
        assert!(serde_json::from_slice::<Line>(b"{\"key\":{\"host_id\":\"a\"}}").is_err());
        assert!(serde_json::from_slice::<Line>(b"{\"other\":{}}").is_err());
        assert_eq!(
            line(&Header {
                schema: SCHEMA.into()
            }),
            b"{\"schema\":\"isoguard.bundle/v1\"}\n"
        );
    }
}
