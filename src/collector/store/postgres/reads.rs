//! Reading PostgreSQL for the chain analysis, the report and reverify.
//!
//! Host ids are ordered by their bytes (`COLLATE "C"`), as SQLite orders them, so a report
//! lists the same rows in the same order whichever database it came from; the server's
//! locale would otherwise decide.
//!
//! What it must not do: write, or interpret what it reads (that is the backend-neutral
//! code's job); it only turns rows into the plain types of `backend.rs`.

use std::collections::BTreeMap;

use postgres::{Client, Row};

use crate::collector::chain::Link;
use crate::collector::model::RejectedFile;
use crate::collector::store::backend::{Blob, EachEnvelope, ReplayRow, StoredFinding};
use crate::collector::store::StoreError;

/// Findings read per round trip by `for_each_finding`: enough to amortise the trip, few
/// enough that a page of 10 KiB envelopes stays a few MiB.
const PAGE: i64 = 256;

/// A row's failure as the store reports it.
type RowError = Box<dyn std::error::Error + Send + Sync>;

/// A `bytea` column that holds UTF-8 text (see `schema.rs`).
fn text(row: &Row, index: usize) -> Result<String, RowError> {
    let bytes: Vec<u8> = row.try_get(index)?;
    Ok(String::from_utf8(bytes)?)
}

fn opt_text(row: &Row, index: usize) -> Result<Option<String>, RowError> {
    let bytes: Option<Vec<u8>> = row.try_get(index)?;
    Ok(bytes.map(String::from_utf8).transpose()?)
}

fn failed(what: &'static str) -> impl Fn(RowError) -> StoreError {
    move |source| StoreError::Database { what, source }
}

pub fn links_by_host(client: &mut Client) -> Result<BTreeMap<String, Vec<Link>>, StoreError> {
    let what = "reading the chains";
    let rows = client
        .query(
            "SELECT host_id, id, digest, sequence, previous, reset_reason, time, received_at,
                    inbox_name, COALESCE(link_digest, digest)
             FROM findings ORDER BY host_id COLLATE \"C\", id",
            &[],
        )
        .map_err(StoreError::at(what))?;
    let mut out: BTreeMap<String, Vec<Link>> = BTreeMap::new();
    for row in rows {
        let read = || -> Result<(String, Link), RowError> {
            let sequence: i64 = row.try_get(3)?;
            Ok((
                row.try_get(0)?,
                Link {
                    id: row.try_get(1)?,
                    digest: row.try_get(2)?,
                    // Stored only when it fitted an i64 and was not negative.
                    sequence: u64::try_from(sequence).unwrap_or(0),
                    previous: opt_text(&row, 4)?,
                    reset_reason: opt_text(&row, 5)?,
                    time: text(&row, 6)?,
                    received_at: row.try_get(7)?,
                    file: row.try_get(8)?,
                    link_digest: row.try_get(9)?,
                },
            ))
        };
        let (host, link) = read().map_err(failed(what))?;
        out.entry(host).or_default().push(link);
    }
    Ok(out)
}

pub fn hostname_of(client: &mut Client, id: i64) -> Result<Option<String>, StoreError> {
    let what = "reading host names";
    let row = client
        .query_one("SELECT hostname FROM findings WHERE id = $1", &[&id])
        .map_err(StoreError::at(what))?;
    opt_text(&row, 0).map_err(failed(what))
}

pub fn replays(client: &mut Client) -> Result<Vec<ReplayRow>, StoreError> {
    let what = "reading replays";
    let rows = client
        .query(
            "SELECT f.host_id, f.hostname, f.sequence, f.inbox_name, f.digest, r.file,
                    r.archived_as, r.noticed_at
             FROM replays r JOIN findings f ON f.digest = r.digest
             ORDER BY f.host_id COLLATE \"C\", r.id",
            &[],
        )
        .map_err(StoreError::at(what))?;
    rows.iter()
        .map(|row| -> Result<ReplayRow, RowError> {
            Ok(ReplayRow {
                host_id: row.try_get(0)?,
                hostname: opt_text(row, 1)?,
                sequence: row.try_get(2)?,
                original: row.try_get(3)?,
                digest: row.try_get(4)?,
                file: row.try_get(5)?,
                archived_as: row.try_get(6)?,
                noticed_at: row.try_get(7)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed(what))
}

pub fn envelope(client: &mut Client, id: i64) -> Result<Vec<u8>, StoreError> {
    client
        .query_one("SELECT envelope FROM findings WHERE id = $1", &[&id])
        .and_then(|row| row.try_get(0))
        .map_err(StoreError::at("reading a finding"))
}

/// [`PAGE`] blobs per round trip.
pub fn blobs(
    client: &mut Client,
    kind: Blob,
    ids: &[i64],
    each: &mut EachEnvelope<'_>,
) -> Result<(), StoreError> {
    let (sql, what) = match kind {
        Blob::Envelope => (
            "SELECT id, envelope FROM findings WHERE id = ANY($1)",
            "reading findings",
        ),
        Blob::Brief => (
            "SELECT finding_id, brief FROM finding_briefs WHERE finding_id = ANY($1)",
            "reading briefs",
        ),
        Blob::Evidence => (
            "SELECT finding_id, evidence FROM finding_evidence WHERE finding_id = ANY($1)",
            "reading evidence",
        ),
    };
    blobs_by_id(client, sql, what, ids, each)
}

/// The (id, blob) rows `sql` (with an array of ids as `$1`) finds, a page of ids at a time.
fn blobs_by_id(
    client: &mut Client,
    sql: &str,
    what: &'static str,
    ids: &[i64],
    each: &mut EachEnvelope<'_>,
) -> Result<(), StoreError> {
    let page = usize::try_from(PAGE).unwrap_or(1);
    let statement = client.prepare(sql).map_err(StoreError::at(what))?;
    for chunk in ids.chunks(page) {
        let rows = client
            .query(&statement, &[&chunk])
            .map_err(StoreError::at(what))?;
        for row in rows {
            let id: i64 = row.try_get(0).map_err(StoreError::at(what))?;
            let envelope: &[u8] = row.try_get(1).map_err(StoreError::at(what))?;
            each(id, envelope)?;
        }
    }
    Ok(())
}

pub fn enrolled_hosts(client: &mut Client) -> Result<Vec<String>, StoreError> {
    let what = "reading enrolled hosts";
    client
        .query("SELECT DISTINCT host_id FROM enrolled_keys", &[])
        .map_err(StoreError::at(what))?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::at(what))
}

pub fn rejected(client: &mut Client) -> Result<Vec<RejectedFile>, StoreError> {
    let what = "reading rejected files";
    let rows = client
        .query(
            "SELECT file, stored_as, reason, rejected_at, kind FROM rejected ORDER BY id",
            &[],
        )
        .map_err(StoreError::at(what))?;
    rows.iter()
        .map(|row| -> Result<RejectedFile, RowError> {
            Ok(RejectedFile {
                file: row.try_get(0)?,
                stored_as: row.try_get(1)?,
                reason: text(row, 2)?,
                rejected_at: row.try_get(3)?,
                kind: row.try_get(4)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed(what))
}

/// Every finding in id order, a page at a time: the whole table never sits in memory, and
/// pages by id need no cursor (so this works inside the reader's one long transaction).
pub fn for_each_finding(
    client: &mut Client,
    each: &mut dyn FnMut(StoredFinding) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let what = "reading findings";
    let page = client
        .prepare(
            "SELECT f.id, f.digest, f.host_id, f.sequence, f.previous, f.inbox_name, f.envelope,
                    f.payload_digest, f.link_digest, b.brief, e.evidence
             FROM findings f
             LEFT JOIN finding_briefs b ON b.finding_id = f.id
             LEFT JOIN finding_evidence e ON e.finding_id = f.id
             WHERE f.id > $1 ORDER BY f.id LIMIT $2",
        )
        .map_err(StoreError::at(what))?;
    let mut after = 0i64;
    let mut count = 0u64;
    loop {
        let rows = client
            .query(&page, &[&after, &PAGE])
            .map_err(StoreError::at(what))?;
        if rows.is_empty() {
            return Ok(count);
        }
        for row in rows {
            let read = || -> Result<StoredFinding, RowError> {
                Ok(StoredFinding {
                    id: row.try_get(0)?,
                    digest: row.try_get(1)?,
                    host_id: row.try_get(2)?,
                    sequence: row.try_get(3)?,
                    previous: opt_text(&row, 4)?,
                    inbox_name: row.try_get(5)?,
                    envelope: row.try_get(6)?,
                    payload_digest: row.try_get(7)?,
                    link_digest: row.try_get(8)?,
                    brief: row.try_get(9)?,
                    evidence: row.try_get(10)?,
                })
            };
            let finding = read().map_err(failed(what))?;
            after = finding.id;
            count += 1;
            each(finding)?;
        }
    }
}
