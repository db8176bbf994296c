//! The collector's reader: what a pass makes of one inbox file's bytes
//! (`isoguard::collector::ingest::examine_bytes`: DSSE verification against the trust store,
//! the v1 finding check, the signer's binding to the host it names). It must never panic,
//! hang or read out of bounds, whatever the bytes.
//!
//! The trust store holds one fuzz-only key, enrolled for the ThinkPad T61 fixture's machine
//! id, and the seed corpus holds real findings the agent signed with it. A mutation of an
//! envelope almost always breaks its signature, which would keep the fuzzer out of everything
//! after the signature check; so each input whose payload decodes is also re-signed with the
//! same key and examined again, letting mutated payloads reach the finding checks. A finding
//! accepted comes with the brief ingest writes from its own parse of the payload, which must
//! be the brief `brief::of_payload` writes from the payload alone, byte for byte.
#![no_main]

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

use isoguard::collector::brief;
use isoguard::collector::ingest::examine_bytes;
use isoguard::finding::dsse::{self, Envelope};
use isoguard::finding::keys::{PrivateKey, PublicKey, TrustedKeys};

/// `tests/fixtures/thinkpad-t61/etc/machine-id`: the host the seed findings name.
const HOST: &str = "5f3c1e9a8b2d4c7e9f0a1b2c3d4e5f60";

fn keys() -> &'static (TrustedKeys, PrivateKey) {
    static KEYS: OnceLock<(TrustedKeys, PrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let public = PublicKey::from_pem(include_str!("../keys/fuzz-only.key.pub"))
            .expect("fuzz public key");
        let private =
            PrivateKey::from_pem(include_str!("../keys/fuzz-only.key")).expect("fuzz private key");
        let trusted =
            TrustedKeys::from_keys(vec![(HOST.to_string(), public)]).expect("fuzz trust store");
        (trusted, private)
    })
}

fuzz_target!(|data: &[u8]| {
    let (trusted, key) = keys();
    let payload = serde_json::from_slice::<Envelope>(data)
        .ok()
        .and_then(|envelope| BASE64.decode(envelope.payload).ok());
    if let (Ok((_, written)), Some(payload)) = (examine_bytes(data, trusted), &payload) {
        assert_eq!(brief::of_payload(payload), Some(written));
    }
    if let Some(payload) = payload {
        let resigned = dsse::sign(&payload, key).to_json();
        if let Ok((_, written)) = examine_bytes(resigned.as_bytes(), trusted) {
            assert_eq!(brief::of_payload(&payload), Some(written));
        }
    }
});
