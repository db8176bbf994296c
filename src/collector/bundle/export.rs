//! Writing a bundle: the findings a selection picks, the keys the unit trusts, the signed
//! manifest, into a new file; then recording it, so the next `since-last` export starts
//! after it and the next bundle names it.
//!
//! Order: the file is written, synced and linked into place before the record commits, so
//! a finding is never marked exported without a bundle holding it. A crash between the two
//! leaves a complete bundle that is not recorded; the next export carries the same findings
//! again under the same number, which the level above shows as two bundles with one number
//! (it stores nothing twice).
//!
//! What it must not do: replace an existing file, or change anything in the store but the
//! record of the export.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::collector::store::{NewExport, Selection, Store};
use crate::files::{parent_and_name, write_durably_with, Placement};
use crate::finding::keys::{hex, PrivateKey, TrustedKeys};
use crate::time::rfc3339_utc;

use super::format::{self, FindingLine, Header, KeyLine, Line, Manifest};
use super::BundleError;

/// Findings read from the store at a time while the bundle is written.
const CHUNK: usize = 256;

/// Bundles hold what hosts reported; only their owner reads them until they are carried.
const BUNDLE_MODE: u32 = 0o600;

/// What to export, and as whom.
pub struct ExportRequest<'a> {
    /// This collector's unit: the name its key is enrolled under at the level above.
    pub unit: &'a str,
    pub key: &'a PrivateKey,
    /// The keys this collector trusts, listed in the bundle (ids only).
    pub trusted: &'a TrustedKeys,
    pub selection: Selection,
    /// The new bundle file; never replaced.
    pub out: &'a Path,
}

/// A bundle written and recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub path: PathBuf,
    pub sequence: u64,
    /// Hex SHA-256 of the bundle file.
    pub digest: String,
    pub findings: u64,
    pub keys: u64,
}

pub fn export(store: &mut Store, request: &ExportRequest<'_>) -> Result<Exported, BundleError> {
    let (dir, name) = parent_and_name(request.out).map_err(|failure| BundleError::Write {
        path: request.out.to_path_buf(),
        failure,
    })?;
    let mut batch = store.batch()?;
    let last = batch.last_export()?;
    let sequence = last.as_ref().map_or(1, |(seq, _)| seq + 1);
    let previous = last.map(|(_, digest)| digest);
    let ids = batch.export_candidates(&request.selection)?;
    let keys: Vec<KeyLine> = request
        .trusted
        .iter()
        .map(|key| KeyLine {
            host_id: key.label.clone(),
            keyid: key.key.keyid(),
        })
        .collect();
    let created_at = rfc3339_utc(SystemTime::now());
    let selection = describe(&request.selection);

    let name = name.to_os_string();
    let mut file_digest = String::new();
    let mut manifest_line = Vec::new();
    let mut store_failure = None;
    let written = write_durably_with(&dir, &name, BUNDLE_MODE, Placement::NoClobber, |file| {
        let mut out = Hashing::new(BufWriter::with_capacity(1 << 20, file));
        out.write_all(&format::line(&Header {
            schema: format::SCHEMA.to_string(),
        }))?;
        for key in &keys {
            out.write_all(&format::line(&Line::Key(key.clone())))?;
        }
        for chunk in ids.chunks(CHUNK) {
            let items = match batch.export_items(chunk) {
                Ok(items) => items,
                Err(err) => {
                    store_failure = Some(err);
                    return Err(io::Error::other("reading the findings to export"));
                }
            };
            for item in items {
                out.write_all(&format::line(&Line::Finding(FindingLine {
                    host_id: item.host_id,
                    received_at: item.received_at,
                    inbox_name: item.inbox_name,
                    envelope: BASE64.encode(&item.envelope),
                })))?;
            }
        }
        let manifest = Manifest {
            schema: format::SCHEMA.to_string(),
            unit: request.unit.to_string(),
            sequence: u64::try_from(sequence).unwrap_or(0),
            previous: previous.clone(),
            created_at: created_at.clone(),
            selection: selection.clone(),
            keys: count(keys.len()),
            findings: count(ids.len()),
            body_sha256: hex(&out.body.clone().finalize()),
            collector_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        manifest_line = format::sign_manifest(&manifest, request.key);
        out.write_all(&manifest_line)?;
        out.write_all(b"\n")?;
        file_digest = hex(&out.whole.clone().finalize());
        out.inner.flush()
    });
    let path = match written {
        Ok(path) => path,
        Err(failure) => {
            return Err(match store_failure {
                Some(err) => BundleError::Store(err),
                None => BundleError::Write {
                    path: request.out.to_path_buf(),
                    failure,
                },
            })
        }
    };
    let recorded = batch
        .insert_export(
            &NewExport {
                unit: request.unit,
                sequence,
                digest: &file_digest,
                previous: previous.as_deref(),
                created_at: &created_at,
                selection: &selection,
                file: &request.out.display().to_string(),
                manifest: &manifest_line,
            },
            &ids,
        )
        .and_then(|()| batch.commit());
    if let Err(err) = recorded {
        // Not recorded, so not published: the next export carries these findings.
        let _ = std::fs::remove_file(&path);
        return Err(err.into());
    }
    Ok(Exported {
        path,
        sequence: u64::try_from(sequence).unwrap_or(0),
        digest: file_digest,
        findings: count(ids.len()),
        keys: count(keys.len()),
    })
}

/// `since-last`, or the period in the words the manifest carries.
fn describe(selection: &Selection) -> String {
    match selection {
        Selection::SinceLast => "since-last".to_string(),
        Selection::Period { from, to } => format!(
            "stored from {} to {}",
            from.as_deref().unwrap_or("the beginning"),
            to.as_deref().unwrap_or("now")
        ),
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A writer that hashes what passes through twice: `body` is read before the manifest is
/// written, `whole` after.
struct Hashing<W> {
    inner: W,
    body: Sha256,
    whole: Sha256,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            body: Sha256::new(),
            whole: Sha256::new(),
        }
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let done = buf.get(..n).unwrap_or_default();
        self.body.update(done);
        self.whole.update(done);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
