//! What makes two arrivals the same finding, and what the next finding of a host names.
//!
//! A finding is its signed payload: the same payload in an envelope re-indented, with a
//! newline appended or its fields reordered is the same statement by the same host, so its
//! identity is the SHA-256 of the payload bytes, never of the envelope's formatting (an
//! inbox writer without a key can change the formatting, not the payload). Chains link
//! differently: the agent's `previous` is the SHA-256 of the previous envelope exactly as it
//! wrote it to the spool, which is the envelope's canonical form (`Envelope::to_json`), so
//! that is the link digest, whatever became of the copy on its way in.
//!
//! What it must not do: trust anything here to be verified; callers verify first (ingest) or
//! verified before storing (migrations).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use crate::finding::chain_state::digest_hex;
use crate::finding::dsse::{self, Envelope};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Hex SHA-256 of the payload bytes: unique per finding in the store.
    pub payload: String,
    /// Hex SHA-256 of the envelope in the agent's form: what the next finding names.
    pub link: String,
}

impl Identity {
    /// The identity of an envelope whose signature over `payload` has been verified;
    /// `digest` is the hex SHA-256 of `envelope` as it is, which is the link whenever the
    /// envelope is already in the agent's form (the usual case: hashing ~70 KB again is a
    /// third of what ingest spends on SHA-256).
    pub fn of_verified(envelope: &[u8], payload: &[u8], digest: &str) -> Identity {
        match dsse::agent_form(envelope) {
            Ok(rewritten) => Identity::of_checked(payload, digest, rewritten.as_deref()),
            // A verified envelope always parses; if not, its own bytes are the best link.
            Err(_) => Identity::of_checked(payload, digest, None),
        }
    }

    /// [`Identity::of_verified`] once verification has told whether the envelope was in the
    /// agent's form: `rewritten` is that form when the envelope as read was not.
    pub fn of_checked(payload: &[u8], digest: &str, rewritten: Option<&str>) -> Identity {
        Identity {
            payload: digest_hex(payload),
            link: rewritten.map_or_else(|| digest.to_string(), |form| digest_hex(form.as_bytes())),
        }
    }

    /// The identity of a stored envelope, or `None` when it no longer decodes.
    pub fn of_stored(envelope: &[u8]) -> Option<Identity> {
        let parsed: Envelope = serde_json::from_slice(envelope).ok()?;
        let payload = BASE64.decode(parsed.payload.as_bytes()).ok()?;
        Some(Identity {
            payload: digest_hex(&payload),
            link: digest_hex(parsed.to_json().as_bytes()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::keys::PrivateKey;

    #[test]
    fn formatting_changes_neither_identity_nor_link() {
        let key = PrivateKey::generate().unwrap();
        let written = dsse::sign(br#"{"a":1}"#, &key).to_json().into_bytes();
        let value: serde_json::Value = serde_json::from_slice(&written).unwrap();
        let mut pretty = serde_json::to_vec_pretty(&value).unwrap();
        pretty.push(b'\n');
        let original = Identity::of_stored(&written).unwrap();
        assert_eq!(Identity::of_stored(&pretty), Some(original.clone()));
        assert_eq!(
            Identity::of_verified(&pretty, br#"{"a":1}"#, &digest_hex(&pretty)),
            original
        );
        assert_eq!(
            Identity::of_verified(&written, br#"{"a":1}"#, &digest_hex(&written)),
            original
        );
        // The link is what the agent's chain state records for the next finding.
        assert_eq!(original.link, digest_hex(&written));
        assert_eq!(original.payload, digest_hex(br#"{"a":1}"#));
        assert_eq!(Identity::of_stored(b"{}"), None);
    }
}
