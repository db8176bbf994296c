//! DSSE envelopes: how a finding is signed, and how a collector checks one.
//!
//! DSSE (the Dead Simple Signing Envelope used by in-toto and Sigstore) signs
//! `PAE(payloadType, payload)` rather than the payload alone, so a signature over a finding can
//! never be passed off as a signature over some other kind of document, and the payload bytes
//! are carried base64-encoded so no JSON re-serialisation can change what was signed. Using the
//! standard format means any DSSE verifier holding the public key can check a finding without
//! isoguard's code.
//!
//! What verification must not do: accept a signature under any identity other than the one
//! its key id names (a key id is looked up in the trust store and only that key is tried, so a
//! valid signature with an unknown or swapped key id is refused, never "found" under another
//! key), accept an envelope whose payload type is not a finding, read unbounded input, or panic
//! on anything it is given. Its errors are a closed set so the collector can file each case.

use crate::i18n::{Msg, Phrase};
use std::borrow::Cow;
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::keys::{PrivateKey, TrustedKeys};

/// The DSSE payload type of an isoguard finding.
pub const PAYLOAD_TYPE: &str = "application/vnd.isoguard.finding+json";

/// Largest envelope `verify` will look at. A finding is a few kilobytes; keep signed payloads
/// under 3 MiB so their base64 form fits.
pub const MAX_ENVELOPE_BYTES: usize = 4 * 1024 * 1024;

/// How much of an attacker-chosen string (payload type, key id) an error message repeats.
const MAX_ECHO_CHARS: usize = 128;

/// A DSSE envelope, with DSSE's JSON field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Standard base64, with padding, of the payload bytes.
    pub payload: String,
    pub signatures: Vec<Signature>,
}

/// One signature in an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Hex SHA-256 of the signing key's SPKI DER.
    pub keyid: String,
    /// Standard base64, with padding, of the 64-byte ed25519 signature.
    pub sig: String,
}

impl Envelope {
    /// The envelope as compact JSON, the bytes to write to the spool.
    pub fn to_json(&self) -> String {
        // Building a Value and printing it cannot fail, unlike serde_json::to_string.
        serde_json::json!({
            "payloadType": self.payload_type,
            "payload": self.payload,
            "signatures": self
                .signatures
                .iter()
                .map(|s| serde_json::json!({"keyid": s.keyid, "sig": s.sig}))
                .collect::<Vec<_>>(),
        })
        .to_string()
    }
}

/// An envelope as read for verification: its strings borrowed from the bytes read wherever
/// they hold no escape, so the ~70 KB payload field is not copied. The same fields, types and
/// refusals as [`Envelope`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeRef<'a> {
    #[serde(rename = "payloadType", borrow)]
    payload_type: Cow<'a, str>,
    #[serde(borrow)]
    payload: Cow<'a, str>,
    #[serde(borrow)]
    signatures: Vec<SignatureRef<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureRef<'a> {
    #[serde(borrow)]
    keyid: Cow<'a, str>,
    #[serde(borrow)]
    sig: Cow<'a, str>,
}

impl EnvelopeRef<'_> {
    fn to_owned(&self) -> Envelope {
        Envelope {
            payload_type: self.payload_type.to_string(),
            payload: self.payload.to_string(),
            signatures: self
                .signatures
                .iter()
                .map(|s| Signature {
                    keyid: s.keyid.to_string(),
                    sig: s.sig.to_string(),
                })
                .collect(),
        }
    }

    /// Whether `bytes` are exactly `self.to_owned().to_json()`, without building that copy:
    /// [`Envelope::to_json`] prints a `serde_json::Value`, whose object keys come out sorted
    /// and whose strings are escaped by serde_json's compact printer, so the same pieces are
    /// compared here in the same order (a test holds the two to each other).
    fn is_agent_form(&self, bytes: &[u8]) -> bool {
        let mut rest = Expect(bytes);
        let same = rest.literal("{\"payload\":")
            && rest.string(&self.payload)
            && rest.literal(",\"payloadType\":")
            && rest.string(&self.payload_type)
            && rest.literal(",\"signatures\":[")
            && self.signatures.iter().enumerate().all(|(i, s)| {
                (i == 0 || rest.literal(","))
                    && rest.literal("{\"keyid\":")
                    && rest.string(&s.keyid)
                    && rest.literal(",\"sig\":")
                    && rest.string(&s.sig)
                    && rest.literal("}")
            })
            && rest.literal("]}");
        same && rest.0.is_empty()
    }
}

/// The part of a document not yet matched against the printed form.
struct Expect<'a>(&'a [u8]);

impl Expect<'_> {
    fn literal(&mut self, text: &str) -> bool {
        match self.0.strip_prefix(text.as_bytes()) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    /// A JSON string as serde_json prints it: quoted, with only `"`, `\` and control
    /// characters escaped. A string without those (base64, hex, the payload type) prints as
    /// itself, which a byte scan decides far faster than printing it.
    fn string(&mut self, text: &str) -> bool {
        if prints_as_itself(text.as_bytes()) {
            self.literal("\"") && self.literal(text) && self.literal("\"")
        } else {
            match serde_json::to_string(text) {
                Ok(printed) => self.literal(&printed),
                Err(_) => false,
            }
        }
    }
}

/// No byte that serde_json escapes. Checked a block at a time without stopping early, which
/// the compiler turns into vector code: the payload field is ~70 KB.
fn prints_as_itself(bytes: &[u8]) -> bool {
    bytes.chunks(64).all(|block| {
        block.iter().fold(true, |plain, &b| {
            plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
        })
    })
}

/// A payload whose signature checked out, and who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The decoded payload bytes, exactly as signed.
    pub payload: Vec<u8>,
    /// Key id of the key that verified the signature.
    pub keyid: String,
    /// The trust store's label for that key (the host name it was enrolled under).
    pub label: String,
}

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// Larger than [`MAX_ENVELOPE_BYTES`]; refused before parsing.
    TooLarge(usize),
    /// Not JSON, or not an envelope (missing, unknown, duplicate or mistyped fields).
    MalformedEnvelope(String),
    /// The payload type is not the one expected ([`PAYLOAD_TYPE`] for a finding).
    WrongPayloadType {
        found: String,
        expected: &'static str,
    },
    /// The signature list is empty.
    NoSignatures,
    /// More than one signature: a finding is signed by exactly one host, and a second signature
    /// would leave open which host it speaks for.
    MultipleSignatures(usize),
    /// No trusted key has this key id.
    UnknownKey(String),
    /// The payload field is not standard padded base64.
    PayloadNotBase64,
    /// The signature field of this key id is not base64 of 64 bytes.
    SignatureNotDecodable(String),
    /// The key with this key id does not verify the signature over this payload.
    BadSignature(String),
}

impl VerifyError {
    /// The error in the reader's language.
    pub fn phrase(&self) -> Phrase {
        match self {
            VerifyError::TooLarge(size) => Msg::EnvelopeTooLarge
                .with("size", size)
                .arg("limit", MAX_ENVELOPE_BYTES),
            VerifyError::MalformedEnvelope(detail) => Msg::EnvelopeMalformed.with("detail", detail),
            VerifyError::WrongPayloadType { found, expected } => Msg::EnvelopeWrongType
                .with("found", format!("{found:?}"))
                .arg("expected", format!("{expected:?}")),
            VerifyError::NoSignatures => Msg::EnvelopeNoSignatures.into(),
            VerifyError::MultipleSignatures(count) => {
                Msg::EnvelopeManySignatures.with("count", count)
            }
            VerifyError::UnknownKey(keyid) => {
                Msg::EnvelopeUnknownKey.with("keyid", format!("{keyid:?}"))
            }
            VerifyError::PayloadNotBase64 => Msg::EnvelopePayloadNotBase64.into(),
            VerifyError::SignatureNotDecodable(keyid) => {
                Msg::EnvelopeSignatureUndecodable.with("keyid", keyid)
            }
            VerifyError::BadSignature(keyid) => Msg::EnvelopeBadSignature.with("keyid", keyid),
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.phrase().en())
    }
}

impl std::error::Error for VerifyError {}

/// DSSE's pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload`, lengths in ASCII decimal bytes.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let type_len = payload_type.len().to_string();
    let payload_len = payload.len().to_string();
    let mut out = Vec::with_capacity(
        "DSSEv1".len()
            + 4
            + type_len.len()
            + payload_type.len()
            + payload_len.len()
            + payload.len(),
    );
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(type_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Signs `payload` (the finding's JSON bytes) as an isoguard finding.
pub fn sign(payload: &[u8], key: &PrivateKey) -> Envelope {
    sign_as(PAYLOAD_TYPE, payload, key)
}

/// Signs `payload` under another payload type (a collector's bundle manifest), so a
/// signature made for one kind of statement can never be taken for another.
pub fn sign_as(payload_type: &str, payload: &[u8], key: &PrivateKey) -> Envelope {
    let signature = key.sign_bytes(&pae(payload_type, payload));
    Envelope {
        payload_type: payload_type.to_string(),
        payload: BASE64.encode(payload),
        signatures: vec![Signature {
            keyid: key.public_key().keyid(),
            sig: BASE64.encode(signature),
        }],
    }
}

/// Checks an envelope as read from disk and returns the payload and its signer.
///
/// The key is chosen by the signature's key id alone and only that key is tried.
pub fn verify(envelope_bytes: &[u8], trusted: &TrustedKeys) -> Result<Verified, VerifyError> {
    verify_as(PAYLOAD_TYPE, envelope_bytes, trusted)
}

/// [`verify`] for envelopes of another payload type (a collector's bundle manifest).
pub fn verify_as(
    payload_type: &'static str,
    envelope_bytes: &[u8],
    trusted: &TrustedKeys,
) -> Result<Verified, VerifyError> {
    verify_parsed(payload_type, envelope_bytes, trusted).map(|(verified, _)| verified)
}

/// [`verify`], and the envelope in the agent's form (`Envelope::to_json`) when
/// `envelope_bytes` are not already exactly that; `None` when they are. Parsing once serves
/// both: the collector needs the agent's form for the chain link of every finding.
pub fn verify_in_agent_form(
    envelope_bytes: &[u8],
    trusted: &TrustedKeys,
) -> Result<(Verified, Option<String>), VerifyError> {
    let (verified, envelope) = verify_parsed(PAYLOAD_TYPE, envelope_bytes, trusted)?;
    let rewritten =
        (!envelope.is_agent_form(envelope_bytes)).then(|| envelope.to_owned().to_json());
    Ok((verified, rewritten))
}

/// The envelope in the agent's form when `envelope_bytes` are an envelope not already in it;
/// `Ok(None)` when they are exactly that form. Verifies nothing.
pub fn agent_form(envelope_bytes: &[u8]) -> Result<Option<String>, serde_json::Error> {
    let envelope: EnvelopeRef<'_> = serde_json::from_slice(envelope_bytes)?;
    Ok((!envelope.is_agent_form(envelope_bytes)).then(|| envelope.to_owned().to_json()))
}

fn verify_parsed<'a>(
    payload_type: &'static str,
    envelope_bytes: &'a [u8],
    trusted: &TrustedKeys,
) -> Result<(Verified, EnvelopeRef<'a>), VerifyError> {
    if envelope_bytes.len() > MAX_ENVELOPE_BYTES {
        return Err(VerifyError::TooLarge(envelope_bytes.len()));
    }
    let envelope: EnvelopeRef<'a> = serde_json::from_slice(envelope_bytes)
        .map_err(|err| VerifyError::MalformedEnvelope(err.to_string()))?;
    if envelope.payload_type != payload_type {
        return Err(VerifyError::WrongPayloadType {
            found: echo(&envelope.payload_type),
            expected: payload_type,
        });
    }
    let signature = match envelope.signatures.as_slice() {
        [] => return Err(VerifyError::NoSignatures),
        [one] => one,
        more => return Err(VerifyError::MultipleSignatures(more.len())),
    };
    let trusted_key = trusted
        .get(signature.keyid.as_ref())
        .ok_or_else(|| VerifyError::UnknownKey(echo(&signature.keyid)))?;
    let payload = BASE64
        .decode(envelope.payload.as_bytes())
        .map_err(|_| VerifyError::PayloadNotBase64)?;
    let sig_bytes: [u8; 64] = BASE64
        .decode(signature.sig.as_bytes())
        .ok()
        .and_then(|bytes| <[u8; 64]>::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| VerifyError::SignatureNotDecodable(signature.keyid.to_string()))?;
    if !trusted_key
        .key
        .verify_strict(&pae(&envelope.payload_type, &payload), &sig_bytes)
    {
        return Err(VerifyError::BadSignature(signature.keyid.to_string()));
    }
    let verified = Verified {
        payload,
        keyid: signature.keyid.to_string(),
        label: trusted_key.label.clone(),
    };
    Ok((verified, envelope))
}

/// Cuts an untrusted string for an error message; Display quotes it with `{:?}`, which escapes
/// control characters.
fn echo(text: &str) -> String {
    if text.chars().count() <= MAX_ECHO_CHARS {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(MAX_ECHO_CHARS).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (PrivateKey, TrustedKeys) {
        let key = PrivateKey::generate().unwrap();
        let trusted = TrustedKeys::from_keys(vec![("ws-1".into(), key.public_key())]).unwrap();
        (key, trusted)
    }

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // The worked example from the DSSE protocol description.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn round_trip_through_json() {
        let (key, trusted) = setup();
        let envelope = sign(br#"{"a":1}"#, &key);
        let verified = verify(envelope.to_json().as_bytes(), &trusted).unwrap();
        assert_eq!(verified.payload, br#"{"a":1}"#);
        assert_eq!(verified.label, "ws-1");
        assert_eq!(verified.keyid, key.public_key().keyid());
        // The serde form and to_json agree.
        let parsed: Envelope = serde_json::from_str(&envelope.to_json()).unwrap();
        assert_eq!(parsed, envelope);
    }

    #[test]
    fn structural_errors() {
        let (key, trusted) = setup();
        let good = sign(b"x", &key);
        let mut none = good.clone();
        none.signatures.clear();
        assert_eq!(
            verify(none.to_json().as_bytes(), &trusted),
            Err(VerifyError::NoSignatures)
        );
        let mut two = good.clone();
        two.signatures.push(good.signatures[0].clone());
        assert_eq!(
            verify(two.to_json().as_bytes(), &trusted),
            Err(VerifyError::MultipleSignatures(2))
        );
        let mut bad_b64 = good.clone();
        bad_b64.payload = "eA".into(); // "x" without its padding
        assert_eq!(
            verify(bad_b64.to_json().as_bytes(), &trusted),
            Err(VerifyError::PayloadNotBase64)
        );
        let mut short_sig = good.clone();
        short_sig.signatures[0].sig = BASE64.encode([0u8; 63]);
        assert!(matches!(
            verify(short_sig.to_json().as_bytes(), &trusted),
            Err(VerifyError::SignatureNotDecodable(_))
        ));
        let extra = good.to_json().replacen('{', r#"{"extra":1,"#, 1);
        assert!(matches!(
            verify(extra.as_bytes(), &trusted),
            Err(VerifyError::MalformedEnvelope(_))
        ));
        let dup =
            good.to_json()
                .replacen('{', &format!(r#"{{"payload":"{}","#, BASE64.encode("y")), 1);
        assert!(matches!(
            verify(dup.as_bytes(), &trusted),
            Err(VerifyError::MalformedEnvelope(_))
        ));
        let big = vec![b' '; MAX_ENVELOPE_BYTES + 1];
        assert_eq!(
            verify(&big, &trusted),
            Err(VerifyError::TooLarge(MAX_ENVELOPE_BYTES + 1))
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let (key, trusted) = setup();
        let good = sign(b"{}", &key).to_json().into_bytes();
        // Every truncation and every single-byte substitution of a valid envelope.
        for len in 0..good.len() {
            assert!(verify(&good[..len], &trusted).is_err());
        }
        for i in 0..good.len() {
            for replacement in [0u8, b'"', b'\\', b'{', b'A', 0xff] {
                let mut bytes = good.clone();
                if bytes[i] == replacement {
                    continue;
                }
                bytes[i] = replacement;
                // Compact JSON has no insignificant bytes, so every change must be refused.
                assert!(
                    verify(&bytes, &trusted).is_err(),
                    "byte {i} -> {replacement}"
                );
            }
        }
    }

    /// Strings that print as themselves and strings that do not (quotes, backslashes, every
    /// control character, DEL, non-ASCII, the line separators JavaScript minds).
    fn tricky_strings() -> Vec<String> {
        let mut out: Vec<String> = [
            "",
            "eA==",
            "a\"b",
            "a\\b",
            "/",
            "\u{7f}",
            "é中🦀",
            "\u{2028}\u{2029}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        out.extend((0u8..0x80).map(|b| format!("x{}y", char::from(b))));
        out
    }

    /// Every way an envelope may be written that the test can think of: printed by
    /// `to_json`, re-indented, keys reordered, escapes where none are needed, extra space,
    /// a trailing newline, zero to two signatures.
    fn spellings(envelope: &Envelope) -> Vec<Vec<u8>> {
        let agent = envelope.to_json();
        let value: serde_json::Value = serde_json::from_str(&agent).unwrap();
        let reordered = format!(
            r#"{{"payloadType":{},"payload":{},"signatures":{}}}"#,
            serde_json::to_string(&envelope.payload_type).unwrap(),
            serde_json::to_string(&envelope.payload).unwrap(),
            serde_json::to_string(&value["signatures"]).unwrap(),
        );
        vec![
            agent.clone().into_bytes(),
            serde_json::to_vec_pretty(&value).unwrap(),
            reordered.into_bytes(),
            format!("{agent}\n").into_bytes(),
            format!(" {agent}").into_bytes(),
            agent.replacen(":", ": ", 1).into_bytes(),
            agent.replace('A', "\\u0041").into_bytes(),
            agent.replace('/', "\\/").into_bytes(),
            agent.replace("\\n", "\\u000a").into_bytes(),
            agent.replace("\\u001f", "\\u001F").into_bytes(),
        ]
    }

    /// The agent's form is recognised exactly when printing the parsed envelope gives back
    /// the very bytes: the fast comparison and `to_json` never disagree.
    #[test]
    fn agent_form_is_exactly_to_json() {
        let strings = tricky_strings();
        let (mut checked, mut in_agent_form) = (0, 0);
        for (i, text) in strings.iter().enumerate() {
            let other = &strings[(i * 7 + 3) % strings.len()];
            let signature = Signature {
                keyid: other.clone(),
                sig: text.clone(),
            };
            for signatures in [
                vec![],
                vec![signature.clone()],
                vec![signature.clone(), signature],
            ] {
                let envelope = Envelope {
                    payload_type: other.clone(),
                    payload: text.clone(),
                    signatures,
                };
                for bytes in spellings(&envelope) {
                    let Ok(parsed) = serde_json::from_slice::<EnvelopeRef<'_>>(&bytes) else {
                        continue;
                    };
                    let printed = parsed.to_owned().to_json();
                    assert_eq!(
                        parsed.is_agent_form(&bytes),
                        printed.as_bytes() == bytes.as_slice(),
                        "{}",
                        String::from_utf8_lossy(&bytes)
                    );
                    assert_eq!(
                        agent_form(&bytes).unwrap(),
                        (printed.as_bytes() != bytes.as_slice()).then_some(printed)
                    );
                    checked += 1;
                    in_agent_form += usize::from(parsed.is_agent_form(&bytes));
                }
            }
        }
        // Both answers are well represented: each string gives one or more agent's forms.
        assert!(
            checked > 2_000 && in_agent_form > 400,
            "{checked} {in_agent_form}"
        );
    }

    /// Every single-byte change of an envelope in the agent's form that still parses is
    /// judged as `to_json` would judge it.
    #[test]
    fn agent_form_under_byte_changes() {
        let (key, _) = setup();
        let good = sign(br#"{"a":"\u00e9"}"#, &key).to_json().into_bytes();
        for i in 0..good.len() {
            for replacement in [b' ', b'"', b'\\', b'A', b'/', b'}', b',', b'n', 0x7f] {
                let mut bytes = good.clone();
                bytes[i] = replacement;
                if let Ok(parsed) = serde_json::from_slice::<EnvelopeRef<'_>>(&bytes) {
                    assert_eq!(
                        parsed.is_agent_form(&bytes),
                        parsed.to_owned().to_json().as_bytes() == bytes.as_slice(),
                        "byte {i} -> {replacement}"
                    );
                }
            }
        }
    }

    #[test]
    fn long_hostile_strings_are_cut_in_errors() {
        let (key, trusted) = setup();
        let mut env = sign(b"x", &key);
        env.payload_type = "t\n".repeat(10_000);
        let err = verify(env.to_json().as_bytes(), &trusted).unwrap_err();
        let shown = err.to_string();
        assert!(shown.len() < 600, "{}", shown.len());
        assert!(!shown.contains('\n'));
    }
}
