//! The collector's bundle reader: what an import makes of a bundle's bytes
//! (`isoguard::collector::bundle::import::dry_run`: the header line, the manifest's DSSE
//! signature against the unit keys, the body digest, each line's parse and base64, every
//! envelope verified as a finding against the host keys, the line counts; nothing stored). It
//! must never panic, hang or misjudge, whatever the bytes.
//!
//! Both trust stores hold the one fuzz-only key (`fuzz/keys/`): `hosts` under the ThinkPad T61
//! fixture's machine id (as in `collector_examine`), `units` under [`UNIT`]. A mutated bundle
//! almost always breaks its manifest's signature, which would keep the fuzzer out of
//! everything after it; so each input is read three ways:
//!
//! 1. as it is;
//! 2. as a bundle body (the input without its last line if that looks like a manifest, else
//!    all of it) under a fresh manifest signed with the fuzz key, which names the body's
//!    digest and counts its key and finding lines by their first bytes (an approximation, so
//!    a count mismatch is reached too);
//! 3. if some finding line's envelope decodes, with those envelopes re-signed with the fuzz
//!    key (as findings) and the manifest counting the lines exactly, so mutated findings reach
//!    the finding checks.
//!
//! What dry_run says is checked against what this target reads from the same bytes itself
//! (see [`judge`]): under a manifest that checks out, a body whose first line is the header is
//! taken exactly when every line parses and the counts match; otherwise the refusal is the
//! first bad line's or the first count's that differs, never the manifest's or the digest's;
//! each finding's verdict, when accepted, names the SHA-256 of that envelope's payload; an
//! envelope re-signed with the host key is never refused for its key or signature.
#![no_main]

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

use isoguard::collector::bundle::format::{
    self, FindingLine, Header, Line, Manifest, MANIFEST_TYPE, MAX_LINE_BYTES, SCHEMA,
};
use isoguard::collector::bundle::import::dry_run;
use isoguard::collector::bundle::{Counted, Refusal};
use isoguard::collector::ingest::RejectKind;
use isoguard::finding::dsse::{self, Envelope};
use isoguard::finding::keys::{PrivateKey, PublicKey, TrustedKeys};

/// `tests/fixtures/thinkpad-t61/etc/machine-id`: the host the seed findings name.
const HOST: &str = "5f3c1e9a8b2d4c7e9f0a1b2c3d4e5f60";

/// The name the fuzz key is enrolled under as a unit (the seeds' manifests name it).
const UNIT: &str = "fuzz-unit";

struct Keys {
    hosts: TrustedKeys,
    units: TrustedKeys,
    key: PrivateKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let public = PublicKey::from_pem(include_str!("../keys/fuzz-only.key.pub"))
            .expect("fuzz public key");
        let key =
            PrivateKey::from_pem(include_str!("../keys/fuzz-only.key")).expect("fuzz private key");
        let hosts = TrustedKeys::from_keys(vec![(HOST.to_string(), public.clone())])
            .expect("fuzz host trust store");
        let units =
            TrustedKeys::from_keys(vec![(UNIT.to_string(), public)]).expect("fuzz unit store");
        Keys { hosts, units, key }
    })
}

type DryRun = Result<(Manifest, Vec<Result<String, RejectKind>>), Refusal>;

/// A body line after the first, as this target reads it.
enum Kind {
    Key,
    /// The line, and its envelope's bytes.
    Finding(Box<FindingLine>, Vec<u8>),
    /// Not a key or finding line, or an envelope that is not base64.
    Bad,
}

/// A bundle body (everything before the manifest line), read independently of the importer.
struct Body {
    /// Its first line is the bundle header.
    header: bool,
    /// Some line is longer than a reader accepts.
    too_long: bool,
    /// The lines after the first, numbered as the importer numbers them (the header is 1).
    lines: Vec<(u64, Kind)>,
    /// Lines starting `{"key"` and `{"finding"`: what the re-signed manifest claims.
    prefix_counts: (u64, u64),
}

impl Body {
    fn read(body: &[u8]) -> Body {
        let mut all = body.split_inclusive(|b| *b == b'\n');
        let first = all.next();
        let mut out = Body {
            header: first.is_some_and(is_header),
            too_long: first.is_some_and(|l| l.len() > MAX_LINE_BYTES),
            lines: Vec::new(),
            prefix_counts: (0, 0),
        };
        for (number, line) in (2..).zip(all) {
            out.too_long |= line.len() > MAX_LINE_BYTES;
            if line.starts_with(b"{\"key\"") {
                out.prefix_counts.0 += 1;
            } else if line.starts_with(b"{\"finding\"") {
                out.prefix_counts.1 += 1;
            }
            let kind = match serde_json::from_slice::<Line>(line) {
                Ok(Line::Key(_)) => Kind::Key,
                Ok(Line::Finding(found)) => match BASE64.decode(found.envelope.as_bytes()) {
                    Ok(envelope) => Kind::Finding(Box::new(found), envelope),
                    Err(_) => Kind::Bad,
                },
                Err(_) => Kind::Bad,
            };
            out.lines.push((number, kind));
        }
        out
    }

    /// The key and finding lines it really has.
    fn counts(&self) -> (u64, u64) {
        let mut counts = (0, 0);
        for (_, kind) in &self.lines {
            match kind {
                Kind::Key => counts.0 += 1,
                Kind::Finding(..) => counts.1 += 1,
                Kind::Bad => {}
            }
        }
        counts
    }

    fn envelopes(&self) -> impl Iterator<Item = &[u8]> {
        self.lines.iter().filter_map(|(_, kind)| match kind {
            Kind::Finding(_, envelope) => Some(envelope.as_slice()),
            _ => None,
        })
    }
}

fn is_header(line: &[u8]) -> bool {
    serde_json::from_slice::<Header>(line).is_ok_and(|h| h.schema == SCHEMA)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The payload an envelope's bytes carry, if they are an envelope and it decodes.
fn payload_of(envelope: &[u8]) -> Option<Vec<u8>> {
    let envelope: Envelope = serde_json::from_slice(envelope).ok()?;
    BASE64.decode(envelope.payload.as_bytes()).ok()
}

/// `body` with a manifest signed by the fuzz key that names its digest and these counts.
fn signed_bundle(body: &[u8], (keys, findings): (u64, u64), key: &PrivateKey) -> Vec<u8> {
    let manifest = Manifest {
        schema: SCHEMA.to_string(),
        unit: UNIT.to_string(),
        sequence: 1,
        previous: None,
        created_at: "2026-12-03T00:00:00Z".to_string(),
        selection: "since-last".to_string(),
        keys,
        findings,
        body_sha256: sha256_hex(body),
        collector_version: "fuzz".to_string(),
    };
    [body, &format::sign_manifest(&manifest, key), b"\n"].concat()
}

/// What dry_run must say of `body` under a manifest that checks out and claims `said`.
#[derive(Debug)]
enum Expect {
    Taken,
    NotABundle,
    /// A line too long (any number), or the first line that is not a key or finding line.
    BadLine(Option<u64>),
    Counts(Counted, u64, u64),
}

fn expect(body: &Body, said: (u64, u64)) -> Expect {
    if body.too_long {
        return Expect::BadLine(None);
    }
    if !body.header {
        return Expect::NotABundle;
    }
    if let Some((number, _)) = body.lines.iter().find(|(_, k)| matches!(k, Kind::Bad)) {
        return Expect::BadLine(Some(*number));
    }
    let found = body.counts();
    if said.0 != found.0 {
        return Expect::Counts(Counted::Keys, said.0, found.0);
    }
    if said.1 != found.1 {
        return Expect::Counts(Counted::Findings, said.1, found.1);
    }
    Expect::Taken
}

/// Checks dry_run's answer for `body` under a manifest that checks out and claims `said`;
/// `resigned[i]` says the i-th finding line's envelope was signed with the host key here.
fn judge(body: &Body, said: (u64, u64), result: &DryRun, resigned: &[bool]) {
    let expected = expect(body, said);
    match (&expected, result) {
        (Expect::NotABundle, Err(Refusal::NotABundle(_))) => {}
        (Expect::BadLine(None), Err(Refusal::BadLine { .. })) => {}
        (Expect::BadLine(Some(n)), Err(Refusal::BadLine { line, .. })) if line == n => {}
        (Expect::Counts(c, s, f), Err(Refusal::Counts { lines, said, found }))
            if (c, s, f) == (lines, said, found) => {}
        (Expect::Taken, Ok((manifest, verdicts))) => {
            assert_eq!(manifest.schema, SCHEMA);
            assert_eq!(manifest.unit, UNIT);
            assert_eq!((manifest.keys, manifest.findings), said);
            assert_eq!(
                u64::try_from(verdicts.len()).ok(),
                Some(manifest.findings),
                "one verdict per finding line the manifest counts"
            );
            for (i, (verdict, envelope)) in verdicts.iter().zip(body.envelopes()).enumerate() {
                match verdict {
                    Ok(identity) => assert_eq!(
                        Some(identity),
                        payload_of(envelope).map(|p| sha256_hex(&p)).as_ref(),
                        "finding {i} was taken: its identity is its payload's SHA-256"
                    ),
                    Err(kind) => assert!(
                        !(resigned.get(i) == Some(&true)
                            && matches!(kind, RejectKind::UnknownKey | RejectKind::BadSignature)),
                        "finding {i}, signed with the host key here, refused as {kind:?}"
                    ),
                }
            }
        }
        _ => panic!("expected {expected:?}, dry_run said {result:?}"),
    }
}

/// Step 1: the input as it is. Whenever dry_run got past the manifest (taken, or refused
/// for a line or a count), the manifest must really check out and the body be judged so.
fn as_it_is(data: &[u8], keys: &Keys) {
    let result = dry_run(data, &keys.hosts, &keys.units);
    if !matches!(
        result,
        Ok(_) | Err(Refusal::BadLine { .. } | Refusal::Counts { .. })
    ) {
        return;
    }
    if data
        .split_inclusive(|b| *b == b'\n')
        .any(|line| line.len() > MAX_LINE_BYTES)
    {
        assert!(matches!(result, Err(Refusal::BadLine { .. })), "{result:?}");
        return;
    }
    let Some(manifest_line) = data.strip_suffix(b"\n") else {
        panic!("a bundle without a final newline got past its manifest: {result:?}");
    };
    let start = manifest_line
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let (body, manifest_line) = data.split_at(start);
    let manifest_line = &manifest_line[..manifest_line.len() - 1];
    let verified = dsse::verify_as(MANIFEST_TYPE, manifest_line, &keys.units)
        .unwrap_or_else(|err| panic!("{result:?} with a manifest that does not verify: {err}"));
    let manifest: Manifest = serde_json::from_slice(&verified.payload)
        .unwrap_or_else(|err| panic!("{result:?} with a manifest that does not parse: {err}"));
    assert_eq!(manifest.schema, SCHEMA, "{result:?}");
    assert_eq!(manifest.unit, verified.label, "{result:?}");
    assert_eq!(manifest.body_sha256, sha256_hex(body), "{result:?}");
    judge(
        &Body::read(body),
        (manifest.keys, manifest.findings),
        &result,
        &[],
    );
}

/// The input as a bundle body: without its last line if that looks like a manifest (a DSSE
/// envelope: a body line never holds `"payloadType"` outside base64), ending in a newline.
fn body_of(data: &[u8]) -> Vec<u8> {
    let trimmed = data.strip_suffix(b"\n").unwrap_or(data);
    let mut body = match trimmed.iter().rposition(|b| *b == b'\n') {
        Some(i) if contains(&trimmed[i + 1..], b"\"payloadType\"") => data[..=i].to_vec(),
        _ => data.to_vec(),
    };
    if !body.is_empty() && !body.ends_with(b"\n") {
        body.push(b'\n');
    }
    body
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Step 3: the body with each finding line whose envelope's payload decodes signed again
/// with the host key, the rest kept as they are; `None` if there is no such line.
fn resign_findings(
    body_bytes: &[u8],
    body: Body,
    key: &PrivateKey,
) -> Option<(Vec<u8>, Vec<bool>)> {
    let mut lines = body_bytes.split_inclusive(|b| *b == b'\n');
    let mut out = lines.next()?.to_vec();
    let mut resigned = Vec::new();
    for (line, (_, kind)) in lines.zip(body.lines) {
        let Kind::Finding(found, envelope) = kind else {
            out.extend_from_slice(line);
            continue;
        };
        let Some(payload) = payload_of(&envelope) else {
            resigned.push(false);
            out.extend_from_slice(line);
            continue;
        };
        resigned.push(true);
        let FindingLine {
            host_id,
            received_at,
            inbox_name,
            ..
        } = *found;
        out.extend_from_slice(&format::line(&Line::Finding(FindingLine {
            host_id,
            received_at,
            inbox_name,
            envelope: BASE64.encode(dsse::sign(&payload, key).to_json()),
        })));
    }
    resigned.contains(&true).then_some((out, resigned))
}

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    as_it_is(data, keys);

    let body_bytes = body_of(data);
    let body = Body::read(&body_bytes);
    let said = body.prefix_counts;
    let bundle = signed_bundle(&body_bytes, said, &keys.key);
    let result = dry_run(&bundle, &keys.hosts, &keys.units);
    if body.header {
        assert!(
            !matches!(result, Err(Refusal::Manifest(_) | Refusal::BodyAltered)),
            "a re-signed bundle refused for its manifest: {result:?}"
        );
    }
    judge(&body, said, &result, &[]);

    if !body.header || body.too_long {
        return;
    }
    if let Some((body_bytes, resigned)) = resign_findings(&body_bytes, body, &keys.key) {
        let body = Body::read(&body_bytes);
        let said = body.counts();
        let bundle = signed_bundle(&body_bytes, said, &keys.key);
        let result = dry_run(&bundle, &keys.hosts, &keys.units);
        judge(&body, said, &result, &resigned);
    }
});
