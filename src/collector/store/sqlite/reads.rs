//! Reading SQLite for the chain analysis, the report and reverify.
//!
//! What it must not do: write, or interpret what it reads (that is the backend-neutral
//! code's job); it only turns rows into the plain types of `backend.rs`.

use std::collections::BTreeMap;

use rusqlite::Connection;

use crate::collector::chain::Link;
use crate::collector::model::RejectedFile;
use crate::collector::store::backend::{Blob, EachEnvelope, ReplayRow, StoredFinding};
use crate::collector::store::StoreError;

/// Host by host from the chain index (schema 6), which holds every column read here, so the
/// table pages with the envelopes are never read: 1.1 s instead of 2.6 at 1,000,000
/// findings. Without that index (a database a version behind, read in place), in row id
/// order, the table's own: ordering by host would walk the host index and jump to every row
/// (20 s instead of 3).
pub fn links_by_host(conn: &Connection) -> Result<BTreeMap<String, Vec<Link>>, StoreError> {
    let indexed: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'index' AND name = 'findings_chain'",
            [],
            |row| row.get(0),
        )
        .map_err(StoreError::at("reading the chains"))?;
    let order = if indexed { "host_id, id" } else { "id" };
    let mut stmt = conn
        .prepare(&format!(
            "SELECT host_id, id, digest, sequence, previous, reset_reason, time, received_at,
                    inbox_name, COALESCE(link_digest, digest)
             FROM findings ORDER BY {order}"
        ))
        .map_err(StoreError::at("reading the chains"))?;
    let mut rows = stmt
        .query([])
        .map_err(StoreError::at("reading the chains"))?;
    let mut hosts: Vec<(String, Vec<Link>)> = Vec::new();
    let link_of = |row: &rusqlite::Row<'_>| -> rusqlite::Result<Link> {
        let sequence: i64 = row.get(3)?;
        Ok(Link {
            id: row.get(1)?,
            digest: row.get(2)?,
            // Stored only when it fitted an i64 and was not negative.
            sequence: u64::try_from(sequence).unwrap_or(0),
            previous: row.get(4)?,
            reset_reason: row.get(5)?,
            time: row.get(6)?,
            received_at: row.get(7)?,
            file: row.get(8)?,
            link_digest: row.get(9)?,
        })
    };
    while let Some(row) = rows.next().map_err(StoreError::at("reading the chains"))? {
        let link = link_of(row).map_err(StoreError::at("reading the chains"))?;
        // Rows come host by host (from the index); the host is borrowed from the row, so a
        // million findings of 100,000 hosts need only 100,000 host strings.
        let host = row
            .get_ref(0)
            .and_then(|value| Ok(value.as_str()?))
            .map_err(StoreError::at("reading the chains"))?;
        match hosts.last_mut() {
            Some((last, links)) if last == host => links.push(link),
            _ => hosts.push((host.to_string(), vec![link])),
        }
    }
    // A host comes again only in row id order, each time with later links than before.
    let mut out: BTreeMap<String, Vec<Link>> = BTreeMap::new();
    for (host, mut links) in hosts {
        out.entry(host).or_default().append(&mut links);
    }
    Ok(out)
}

pub fn hostname_of(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT hostname FROM findings WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([id], |row| row.get::<_, Option<String>>(0)))
        .map_err(StoreError::at("reading host names"))
}

pub fn replays(conn: &Connection) -> Result<Vec<ReplayRow>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT f.host_id, f.hostname, f.sequence, f.inbox_name, f.digest, r.file,
                    r.archived_as, r.noticed_at
             FROM replays r JOIN findings f ON f.digest = r.digest
             ORDER BY f.host_id, r.id",
        )
        .map_err(StoreError::at("reading replays"))?;
    let rows = stmt
        .query_map([], |row| {
            Ok(ReplayRow {
                host_id: row.get(0)?,
                hostname: row.get(1)?,
                sequence: row.get(2)?,
                original: row.get(3)?,
                digest: row.get(4)?,
                file: row.get(5)?,
                archived_as: row.get(6)?,
                noticed_at: row.get(7)?,
            })
        })
        .map_err(StoreError::at("reading replays"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::at("reading replays"))
}

pub fn envelope(conn: &Connection, id: i64) -> Result<Vec<u8>, StoreError> {
    conn.prepare_cached("SELECT envelope FROM findings WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([id], |row| row.get(0)))
        .map_err(StoreError::at("reading a finding"))
}

/// One cached statement per id: SQLite is in this process, so a query costs microseconds and
/// there is no round trip to save.
pub fn blobs(
    conn: &Connection,
    kind: Blob,
    ids: &[i64],
    each: &mut EachEnvelope<'_>,
) -> Result<(), StoreError> {
    let (sql, what) = match kind {
        Blob::Envelope => (
            "SELECT envelope FROM findings WHERE id = ?1",
            "reading findings",
        ),
        Blob::Brief => (
            "SELECT brief FROM finding_briefs WHERE finding_id = ?1",
            "reading briefs",
        ),
        Blob::Evidence => (
            "SELECT evidence FROM finding_evidence WHERE finding_id = ?1",
            "reading evidence",
        ),
    };
    blobs_by_id(conn, sql, what, ids, each)
}

/// One blob per id that `sql` (with the id as `?1`) finds.
fn blobs_by_id(
    conn: &Connection,
    sql: &str,
    what: &'static str,
    ids: &[i64],
    each: &mut EachEnvelope<'_>,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(StoreError::at(what))?;
    for &id in ids {
        let mut rows = stmt.query([id]).map_err(StoreError::at(what))?;
        if let Some(row) = rows.next().map_err(StoreError::at(what))? {
            let envelope = row
                .get_ref(0)
                .map_err(StoreError::at(what))?
                .as_blob()
                .map_err(StoreError::at(what))?;
            each(id, envelope)?;
        }
    }
    Ok(())
}

pub fn enrolled_hosts(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn
        .prepare("SELECT DISTINCT host_id FROM enrolled_keys")
        .map_err(StoreError::at("reading enrolled hosts"))?;
    let rows = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(StoreError::at("reading enrolled hosts"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::at("reading enrolled hosts"))
}

pub fn rejected(conn: &Connection) -> Result<Vec<RejectedFile>, StoreError> {
    let mut stmt = conn
        .prepare("SELECT file, stored_as, reason, rejected_at, kind FROM rejected ORDER BY id")
        .map_err(StoreError::at("reading rejected files"))?;
    let rows = stmt
        .query_map([], |row| {
            Ok(RejectedFile {
                file: row.get(0)?,
                stored_as: row.get(1)?,
                reason: row.get(2)?,
                rejected_at: row.get(3)?,
                kind: row.get(4)?,
            })
        })
        .map_err(StoreError::at("reading rejected files"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::at("reading rejected files"))
}

pub fn for_each_finding(
    conn: &Connection,
    each: &mut dyn FnMut(StoredFinding) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT f.id, f.digest, f.host_id, f.sequence, f.previous, f.inbox_name, f.envelope,
                    f.payload_digest, f.link_digest, b.brief, e.evidence
             FROM findings f
             LEFT JOIN finding_briefs b ON b.finding_id = f.id
             LEFT JOIN finding_evidence e ON e.finding_id = f.id
             ORDER BY f.id",
        )
        .map_err(StoreError::at("reading findings"))?;
    let mut rows = stmt.query([]).map_err(StoreError::at("reading findings"))?;
    let mut count = 0u64;
    while let Some(row) = rows.next().map_err(StoreError::at("reading findings"))? {
        let read = |row: &rusqlite::Row<'_>| -> rusqlite::Result<StoredFinding> {
            Ok(StoredFinding {
                id: row.get(0)?,
                digest: row.get(1)?,
                host_id: row.get(2)?,
                sequence: row.get(3)?,
                previous: row.get(4)?,
                inbox_name: row.get(5)?,
                envelope: row.get(6)?,
                payload_digest: row.get(7)?,
                link_digest: row.get(8)?,
                brief: row.get(9)?,
                evidence: row.get(10)?,
            })
        };
        let finding = read(row).map_err(StoreError::at("reading findings"))?;
        count += 1;
        each(finding)?;
    }
    Ok(count)
}
