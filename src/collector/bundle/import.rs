//! Taking a bundle in: check the unit's manifest against the enrolled unit keys and the body
//! against the manifest, then verify and store every envelope as ingest would, all in one
//! transaction, so a bundle is stored whole or not at all.
//!
//! The file is read twice: once to check the manifest and the body digest before anything
//! is written, once to store; the second reading is hashed again and the transaction rolled
//! back if the file changed in between. A bundle already imported (by its digest) stores
//! nothing and is said so. A finding already stored, by an earlier bundle or straight from
//! its host, is counted as already held, not as a replay: overlapping exports are normal,
//! and the unit's own collector already judged replays where the files arrived.
//!
//! What it must not do: store anything from a bundle whose manifest or body does not check
//! out, take any host's envelope on the unit's word, or panic on any byte of the file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::Path;
use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::collector::cores::map_on_cores;
use crate::collector::ingest::{check_arrival, Accepted, Arrival, Refused, RejectKind};
use crate::collector::store::{Batch, NewImport, NewRejected, Store};
use crate::files::{self, Links};
use crate::finding::dsse;
use crate::finding::keys::{hex, TrustedKeys};
use crate::time::{parse_rfc3339_utc, rfc3339_utc};

use super::format::{
    FindingLine, Header, KeyLine, Line, Manifest, MANIFEST_TYPE, MAX_LINE_BYTES, SCHEMA,
};
use super::{BundleError, Counted, Refusal};

/// Envelopes verified together, across the cores, before they are stored in order.
const CHUNK: usize = 256;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub unit: String,
    pub sequence: u64,
    /// Hex SHA-256 of the bundle file.
    pub digest: String,
    /// When this very bundle was imported before; then nothing was done now.
    pub imported_before: Option<String>,
    pub findings: u64,
    pub stored: u64,
    /// Findings this store already held.
    pub already: u64,
    /// Envelopes refused one by one (kept in the bundle file; recorded as rejected).
    pub refused: Vec<Refused>,
    /// Keys the unit trusts that are not enrolled here.
    pub keys_not_enrolled: u64,
    /// Keys the unit trusts for another host than they are enrolled for here.
    pub keys_other_host: u64,
}

/// What the first reading learnt.
struct Checked {
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    unit: String,
    digest: String,
    body_digest: String,
    body_lines: u64,
}

pub fn import(
    store: &mut Store,
    hosts: &TrustedKeys,
    units: &TrustedKeys,
    path: &Path,
) -> Result<Imported, BundleError> {
    let read_error = |step: &'static str| {
        move |source: io::Error| BundleError::Read {
            path: path.to_path_buf(),
            step,
            source,
        }
    };
    let refused = |refusal: Refusal| BundleError::Refused {
        path: path.to_path_buf(),
        refusal,
    };
    let mut file = open(path)?;
    let checked = check(&mut file, units)
        .map_err(read_error("reading the bundle"))?
        .map_err(refused)?;
    file.rewind().map_err(read_error("reading the bundle"))?;

    let mut outcome = Imported {
        unit: checked.unit.clone(),
        sequence: checked.manifest.sequence,
        digest: checked.digest.clone(),
        findings: checked.manifest.findings,
        ..Imported::default()
    };
    let now = rfc3339_utc(SystemTime::now());
    let shown_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut batch = store.batch()?;
    if let Some(at) = batch.imported_at(&checked.digest)? {
        outcome.imported_before = Some(at);
        return Ok(outcome);
    }
    let new_import = NewImport {
        unit: &checked.unit,
        sequence: i64::try_from(checked.manifest.sequence).unwrap_or(i64::MAX),
        digest: &checked.digest,
        previous: checked.manifest.previous.as_deref(),
        created_at: &checked.manifest.created_at,
        findings: i64::try_from(checked.manifest.findings).unwrap_or(i64::MAX),
        file: &shown_name,
        imported_at: &now,
        manifest: &checked.manifest_bytes,
    };
    let Some(import_id) = batch.insert_import(&new_import)? else {
        // Another import of this very bundle committed while this one read it.
        outcome.imported_before = batch.imported_at(&checked.digest)?;
        return Ok(outcome);
    };
    let mut storing = Storing {
        path,
        batch: batch.as_mut(),
        hosts,
        import_id,
        unit: &checked.unit,
        bundle: &shown_name,
        digest: &checked.digest,
        now: &now,
        outcome: &mut outcome,
    };
    store_body(&mut file, &checked, &mut storing).map_err(read_error("reading the bundle"))??;
    let stored = i64::try_from(outcome.stored).unwrap_or(i64::MAX);
    let refused_count = i64::try_from(outcome.refused.len()).unwrap_or(i64::MAX);
    batch.finish_import(import_id, stored, refused_count)?;
    batch.commit()?;
    Ok(outcome)
}

fn open(path: &Path) -> Result<File, BundleError> {
    files::open_regular(path, Links::Follow)
        .map(|(file, _)| file)
        .map_err(|error| BundleError::Open {
            path: path.to_path_buf(),
            error,
        })
}

/// Reads lines of at most [`MAX_LINE_BYTES`], each with its newline.
struct Lines<R> {
    reader: BufReader<R>,
}

enum Next {
    Line,
    End,
    TooLong,
}

impl<R: Read> Lines<R> {
    fn new(inner: R) -> Self {
        Lines {
            reader: BufReader::with_capacity(1 << 20, inner),
        }
    }

    fn next(&mut self, line: &mut Vec<u8>) -> io::Result<Next> {
        line.clear();
        let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX) + 1;
        let n = (&mut self.reader).take(limit).read_until(b'\n', line)?;
        Ok(if n == 0 {
            Next::End
        } else if line.len() > MAX_LINE_BYTES {
            Next::TooLong
        } else {
            Next::Line
        })
    }
}

/// The first reading: the header, the manifest (the last line) and its signature, the body's
/// digest against the manifest's.
fn check(file: impl Read, units: &TrustedKeys) -> io::Result<Result<Checked, Refusal>> {
    let mut lines = Lines::new(file);
    let mut whole = Sha256::new();
    let mut body = Sha256::new();
    let (mut line, mut last) = (Vec::new(), Vec::new());
    let mut count = 0u64;
    loop {
        match lines.next(&mut line)? {
            Next::End => break,
            Next::TooLong => {
                return Ok(Err(Refusal::BadLine {
                    line: count + 1,
                    detail: format!("longer than {MAX_LINE_BYTES} bytes"),
                }))
            }
            Next::Line => {}
        }
        count += 1;
        whole.update(&line);
        if count == 1 && !is_header(&line) {
            return Ok(Err(Refusal::NotABundle(format!(
                "its first line is not {{\"schema\":\"{SCHEMA}\"}}"
            ))));
        }
        body.update(&last);
        std::mem::swap(&mut line, &mut last);
    }
    if count < 2 {
        return Ok(Err(Refusal::NotABundle(
            "it ends before its manifest".to_string(),
        )));
    }
    let Some(manifest_bytes) = last.strip_suffix(b"\n") else {
        return Ok(Err(Refusal::NotABundle(
            "its last line is cut short (no newline at the end)".to_string(),
        )));
    };
    let verified = match dsse::verify_as(MANIFEST_TYPE, manifest_bytes, units) {
        Ok(verified) => verified,
        Err(err) => return Ok(Err(Refusal::Manifest(err))),
    };
    let manifest: Manifest = match serde_json::from_slice(&verified.payload) {
        Ok(manifest) => manifest,
        Err(err) => return Ok(Err(Refusal::NotABundle(format!("its manifest: {err}")))),
    };
    if manifest.schema != SCHEMA {
        return Ok(Err(Refusal::NotABundle(format!(
            "its manifest is {:?}; this collector reads {SCHEMA}",
            crate::text::display_safe(&manifest.schema, 64)
        ))));
    }
    if manifest.unit != verified.label {
        return Ok(Err(Refusal::UnitMismatch {
            signer: verified.label,
            claimed: manifest.unit,
        }));
    }
    let body_digest = hex(&body.finalize());
    if body_digest != manifest.body_sha256 {
        return Ok(Err(Refusal::BodyAltered));
    }
    Ok(Ok(Checked {
        unit: verified.label,
        manifest_bytes: manifest_bytes.to_vec(),
        manifest,
        digest: hex(&whole.finalize()),
        body_digest,
        body_lines: count - 1,
    }))
}

/// What an import would make of a bundle's bytes, storing nothing: the manifest if the
/// bundle would be taken in, with each finding line's verdict against `hosts` in order, or
/// why it would be refused whole (for fuzzing and for tools).
pub fn dry_run(
    bytes: &[u8],
    hosts: &TrustedKeys,
    units: &TrustedKeys,
) -> Result<(Manifest, Vec<Result<String, RejectKind>>), Refusal> {
    let checked = match check(bytes, units) {
        Ok(checked) => checked?,
        Err(err) => return Err(Refusal::NotABundle(err.to_string())),
    };
    let body = bytes.split_inclusive(|b| *b == b'\n').skip(1);
    let lines: Vec<(u64, Vec<u8>)> = (2..)
        .zip(body.map(<[u8]>::to_vec))
        .take(usize::try_from(checked.body_lines.saturating_sub(1)).unwrap_or(usize::MAX))
        .collect();
    let parsed = examine_chunk(lines, hosts).ok_or(Refusal::ChangedWhileRead)?;
    let mut verdicts = Vec::new();
    let mut counts = (0u64, 0u64);
    for Parsed { number, item } in parsed {
        match item {
            Item::Key(_) => counts.0 += 1,
            Item::Finding(_, verdict) => {
                counts.1 += 1;
                verdicts.push(
                    verdict
                        .map(|found| found.identity.payload)
                        .map_err(|(k, _)| k),
                );
            }
            Item::Bad(detail) => {
                return Err(Refusal::BadLine {
                    line: number,
                    detail,
                })
            }
        }
    }
    check_counts(&checked.manifest, counts)?;
    Ok((checked.manifest, verdicts))
}

/// The body holds as many key and finding lines as the manifest says.
fn check_counts(manifest: &Manifest, (keys, findings): (u64, u64)) -> Result<(), Refusal> {
    for (lines, said, found) in [
        (Counted::Keys, manifest.keys, keys),
        (Counted::Findings, manifest.findings, findings),
    ] {
        if said != found {
            return Err(Refusal::Counts { lines, said, found });
        }
    }
    Ok(())
}

fn is_header(line: &[u8]) -> bool {
    serde_json::from_slice::<Header>(line).is_ok_and(|h| h.schema == SCHEMA)
}

/// Where the second reading stores what it verifies.
struct Storing<'a, 'b> {
    path: &'a Path,
    batch: &'a mut (dyn Batch + 'b),
    hosts: &'a TrustedKeys,
    import_id: i64,
    unit: &'a str,
    bundle: &'a str,
    digest: &'a str,
    now: &'a str,
    outcome: &'a mut Imported,
}

/// The second reading: every body line again, hashed again, each key compared with this
/// collector's enrolment, each envelope verified and stored. Lines are read and hashed here;
/// a chunk of them is parsed, decoded and verified on other threads while the chunk before
/// it is stored.
fn store_body(
    file: &mut File,
    checked: &Checked,
    storing: &mut Storing<'_, '_>,
) -> io::Result<Result<(), BundleError>> {
    let mut lines = Lines::new(&mut *file);
    let mut body = Sha256::new();
    let mut counts = (0u64, 0u64);
    let hosts = storing.hosts;
    let stored = std::thread::scope(|scope| -> io::Result<Result<(), BundleError>> {
        let mut examining: Option<std::thread::ScopedJoinHandle<'_, Option<Vec<Parsed>>>> = None;
        let mut pending: Vec<(u64, Vec<u8>)> = Vec::with_capacity(CHUNK);
        let mut number = 0u64;
        loop {
            let more = number < checked.body_lines;
            if more {
                number += 1;
                let mut line = Vec::new();
                if !matches!(lines.next(&mut line)?, Next::Line) {
                    return Ok(Err(changed(storing)));
                }
                body.update(&line);
                if number > 1 {
                    pending.push((number, line));
                }
            }
            if pending.len() < CHUNK && more {
                continue;
            }
            let chunk = std::mem::take(&mut pending);
            let next = scope.spawn(move || examine_chunk(chunk, hosts));
            if let Some(done) = examining.replace(next) {
                if let Err(err) = store_parsed(done.join().ok().flatten(), storing, &mut counts) {
                    return Ok(Err(err));
                }
            }
            if !more {
                break;
            }
        }
        if let Some(done) = examining {
            if let Err(err) = store_parsed(done.join().ok().flatten(), storing, &mut counts) {
                return Ok(Err(err));
            }
        }
        Ok(Ok(()))
    })?;
    if let Err(err) = stored {
        return Ok(Err(err));
    }
    if hex(&body.finalize()) != checked.body_digest {
        return Ok(Err(changed(storing)));
    }
    Ok(check_counts(&checked.manifest, counts).map_err(|refusal| refuse(storing, refusal)))
}

/// One body line as the examining threads leave it.
struct Parsed {
    number: u64,
    item: Item,
}

enum Item {
    Key(KeyLine),
    Finding(Box<FindingLine>, Verdict),
    /// Not a key or finding line, or an envelope that is not base64: the bundle's fault.
    Bad(String),
}

/// Parses a chunk of body lines and verifies their envelopes; `None` if a verifying thread
/// panicked.
fn examine_chunk(chunk: Vec<(u64, Vec<u8>)>, hosts: &TrustedKeys) -> Option<Vec<Parsed>> {
    enum Read {
        Key(KeyLine),
        Finding(Box<FindingLine>),
        Bad(String),
    }
    let mut read = Vec::with_capacity(chunk.len());
    let mut envelopes = Vec::with_capacity(chunk.len());
    for (number, line) in chunk {
        let item = match serde_json::from_slice::<Line>(&line) {
            Ok(Line::Key(key)) => Read::Key(key),
            // The unit signed this line with its manifest: a line that does not decode is
            // the bundle's fault, not a host's.
            Ok(Line::Finding(mut found)) => match BASE64.decode(found.envelope.as_bytes()) {
                Ok(envelope) => {
                    envelopes.push(envelope);
                    found.envelope = String::new();
                    Read::Finding(Box::new(found))
                }
                Err(err) => Read::Bad(format!("envelope is not base64: {err}")),
            },
            Err(err) => Read::Bad(err.to_string()),
        };
        read.push((number, item));
    }
    let mut verdicts = verify_all(envelopes, hosts)?.into_iter();
    let mut parsed = Vec::with_capacity(read.len());
    for (number, item) in read {
        let item = match item {
            Read::Key(key) => Item::Key(key),
            Read::Finding(found) => Item::Finding(found, verdicts.next()?),
            Read::Bad(detail) => Item::Bad(detail),
        };
        parsed.push(Parsed { number, item });
    }
    Some(parsed)
}

/// Stores a chunk in line order.
fn store_parsed(
    parsed: Option<Vec<Parsed>>,
    storing: &mut Storing<'_, '_>,
    (keys, findings): &mut (u64, u64),
) -> Result<(), BundleError> {
    let parsed = parsed.ok_or_else(|| BundleError::Read {
        path: storing.path.to_path_buf(),
        step: "verifying the envelopes",
        source: io::Error::other("a verifying thread stopped"),
    })?;
    for Parsed { number, item } in parsed {
        match item {
            Item::Key(key) => {
                *keys += 1;
                compare_key(&key, storing);
            }
            Item::Finding(found, verdict) => {
                *findings += 1;
                store_one(number, &found, verdict, storing)?;
            }
            Item::Bad(detail) => return Err(bad_line(storing, number, detail)),
        }
    }
    Ok(())
}

fn refuse(storing: &Storing<'_, '_>, refusal: Refusal) -> BundleError {
    BundleError::Refused {
        path: storing.path.to_path_buf(),
        refusal,
    }
}

fn changed(storing: &Storing<'_, '_>) -> BundleError {
    refuse(storing, Refusal::ChangedWhileRead)
}

fn bad_line(storing: &Storing<'_, '_>, line: u64, detail: String) -> BundleError {
    refuse(storing, Refusal::BadLine { line, detail })
}

fn compare_key(key: &KeyLine, storing: &mut Storing<'_, '_>) {
    match storing.hosts.get(&key.keyid) {
        None => storing.outcome.keys_not_enrolled += 1,
        Some(here) if here.label != key.host_id => storing.outcome.keys_other_host += 1,
        Some(_) => {}
    }
}

type Verdict = Result<Box<Accepted>, (RejectKind, String)>;

fn store_one(
    number: u64,
    found: &FindingLine,
    verdict: Verdict,
    storing: &mut Storing<'_, '_>,
) -> Result<(), BundleError> {
    let place = format!("{}#{number}", storing.bundle);
    let accepted = match verdict {
        Ok(accepted) => accepted,
        Err((kind, reason)) => {
            let stored_as = format!("bundle {} line {number}", storing.digest);
            storing.batch.insert_rejected(&NewRejected {
                file: place.as_bytes(),
                stored_as: stored_as.as_bytes(),
                kind: kind.as_str(),
                reason: &reason,
                rejected_at: storing.now,
            })?;
            storing.outcome.refused.push(Refused {
                file: place,
                kind,
                reason,
            });
            return Ok(());
        }
    };
    if storing.batch.find(&accepted.identity.payload)?.is_some() {
        storing.outcome.already += 1;
        return Ok(());
    }
    // Where the unit had it from: a name no inbox file can have (it holds a `/`), so a copy
    // arriving here straight from the host is never taken for this row's own file.
    let inbox_name = format!("{}/{}", storing.unit, found.inbox_name);
    let received_at = if parse_rfc3339_utc(&found.received_at).is_some() {
        found.received_at.as_str()
    } else {
        storing.now
    };
    let inserted = storing
        .batch
        .insert_finding(&accepted.as_new_finding(Arrival {
            inbox_name: inbox_name.as_bytes(),
            archived_as: place.as_bytes(),
            file_id: None,
            received_at,
        }))?;
    if inserted {
        storing
            .batch
            .attach_to_import(&accepted.identity.payload, storing.import_id)?;
        storing.outcome.stored += 1;
    } else {
        storing.outcome.already += 1;
    }
    Ok(())
}

/// Verifies envelopes on every core; the verdicts come back in order, or not at all if a
/// verifying thread panicked.
fn verify_all(envelopes: Vec<Vec<u8>>, hosts: &TrustedKeys) -> Option<Vec<Verdict>> {
    map_on_cores(envelopes, |envelope| check_arrival(envelope, hosts))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::bundle::format::{self, FindingLine, Header, Line};
    use crate::finding::keys::PrivateKey;

    fn bundle(body: &[u8], unit_key: &PrivateKey, findings: u64) -> Vec<u8> {
        let manifest = Manifest {
            schema: SCHEMA.into(),
            unit: "u".into(),
            sequence: 1,
            previous: None,
            created_at: "2026-12-01T00:00:00Z".into(),
            selection: "since-last".into(),
            keys: 0,
            findings,
            body_sha256: hex(&Sha256::digest(body)),
            collector_version: "0".into(),
        };
        [body, &format::sign_manifest(&manifest, unit_key), b"\n"].concat()
    }

    #[test]
    fn a_dry_run_judges_like_an_import() {
        let unit_key = PrivateKey::generate().unwrap();
        let units = TrustedKeys::from_keys(vec![("u".into(), unit_key.public_key())]).unwrap();
        let hosts = TrustedKeys::from_keys(vec![]).unwrap();
        let finding = |envelope: &[u8]| {
            format::line(&Line::Finding(FindingLine {
                host_id: "h".into(),
                received_at: "2026-12-01T00:00:00Z".into(),
                inbox_name: "x.finding.json".into(),
                envelope: BASE64.encode(envelope),
            }))
        };
        let header = format::line(&Header {
            schema: SCHEMA.into(),
        });
        let body = [header.clone(), finding(b"{}")].concat();
        let (manifest, verdicts) = dry_run(&bundle(&body, &unit_key, 1), &hosts, &units).unwrap();
        assert_eq!(manifest.findings, 1);
        assert_eq!(verdicts, vec![Err(RejectKind::Malformed)]);
        assert_eq!(
            dry_run(&bundle(&body, &unit_key, 2), &hosts, &units).unwrap_err(),
            Refusal::Counts {
                lines: Counted::Findings,
                said: 2,
                found: 1
            }
        );
        let stranger = PrivateKey::generate().unwrap();
        assert!(matches!(
            dry_run(&bundle(&body, &stranger, 1), &hosts, &units),
            Err(Refusal::Manifest(_))
        ));
        let bad = [header, b"{\"finding\":{\"envelope\":1}}\n".to_vec()].concat();
        assert!(matches!(
            dry_run(&bundle(&bad, &unit_key, 1), &hosts, &units),
            Err(Refusal::BadLine { line: 2, .. })
        ));
        assert!(matches!(
            dry_run(b"", &hosts, &units),
            Err(Refusal::NotABundle(_))
        ));
    }
}
