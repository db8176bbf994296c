//! SQLite rows of the bundles carried up the hierarchy: the ones this collector wrote
//! (`exports`, `export_items`) and the ones it took in (`imports`, `finding_units`).
//!
//! What it must not do: decide anything about a bundle (that is `collector::bundle`), or
//! put anything a bundle or a workstation wrote into SQL text.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};

use crate::collector::store::backend::{ExportItem, ImportRow, NewExport, NewImport, Selection};
use crate::collector::store::StoreError;

pub fn imported_at(conn: &Connection, digest: &str) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT imported_at FROM imports WHERE digest = ?1")
        .and_then(|mut stmt| stmt.query_row([digest], |row| row.get(0)).optional())
        .map_err(StoreError::at("looking up a bundle"))
}

pub fn insert_import(conn: &Connection, i: &NewImport<'_>) -> Result<Option<i64>, StoreError> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO imports (unit, sequence, digest, previous, created_at, findings,
                stored, refused, file, imported_at, manifest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?7, ?8, ?9)
             ON CONFLICT (digest) DO NOTHING",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                i.unit,
                i.sequence,
                i.digest,
                i.previous,
                i.created_at,
                i.findings,
                i.file,
                i.imported_at,
                i.manifest
            ])
        })
        .map_err(StoreError::at("recording a bundle"))?;
    Ok((changed == 1).then(|| conn.last_insert_rowid()))
}

pub fn attach_to_import(
    conn: &Connection,
    identity: &str,
    import_id: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO finding_units (finding_id, import_id)
         SELECT id, ?2 FROM findings WHERE payload_digest = ?1
         ON CONFLICT (finding_id) DO NOTHING",
    )
    .and_then(|mut stmt| stmt.execute(params![identity, import_id]))
    .map_err(StoreError::at("recording where a finding came from"))?;
    Ok(())
}

pub fn finish_import(
    conn: &Connection,
    import_id: i64,
    stored: i64,
    refused: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE imports SET stored = ?2, refused = ?3 WHERE id = ?1",
        params![import_id, stored, refused],
    )
    .map_err(StoreError::at("recording a bundle"))?;
    Ok(())
}

pub fn last_export(conn: &Connection) -> Result<Option<(i64, String)>, StoreError> {
    conn.query_row(
        "SELECT sequence, digest FROM exports ORDER BY sequence DESC LIMIT 1",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
    .map_err(StoreError::at("reading the last export"))
}

pub fn export_candidates(conn: &Connection, selection: &Selection) -> Result<Vec<i64>, StoreError> {
    let ids = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<Vec<i64>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map(args, |row| row.get(0))?;
        rows.collect()
    };
    match selection {
        Selection::SinceLast => ids(
            "SELECT f.id FROM findings f
             WHERE NOT EXISTS (SELECT 1 FROM export_items e WHERE e.finding_id = f.id)
             ORDER BY f.id",
            &[],
        ),
        Selection::Period { from, to } => ids(
            "SELECT id FROM findings
             WHERE (?1 IS NULL OR received_at >= ?1) AND (?2 IS NULL OR received_at < ?2)
             ORDER BY id",
            &[from, to],
        ),
    }
    .map_err(StoreError::at("choosing the findings to export"))
}

pub fn export_items(conn: &Connection, ids: &[i64]) -> Result<Vec<ExportItem>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, host_id, inbox_name, received_at, envelope FROM findings WHERE id = ?1",
        )
        .map_err(StoreError::at("reading findings to export"))?;
    ids.iter()
        .map(|id| {
            stmt.query_row([id], |row| {
                Ok(ExportItem {
                    id: row.get(0)?,
                    host_id: row.get(1)?,
                    inbox_name: row.get(2)?,
                    received_at: row.get(3)?,
                    envelope: row.get(4)?,
                })
            })
        })
        .collect::<Result<_, _>>()
        .map_err(StoreError::at("reading findings to export"))
}

pub fn insert_export(
    conn: &Connection,
    e: &NewExport<'_>,
    findings: &[i64],
) -> Result<(), StoreError> {
    let count = i64::try_from(findings.len()).unwrap_or(i64::MAX);
    conn.execute(
        "INSERT INTO exports (unit, sequence, digest, previous, created_at, selection,
            findings, file, manifest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            e.unit,
            e.sequence,
            e.digest,
            e.previous,
            e.created_at,
            e.selection,
            count,
            e.file,
            e.manifest
        ],
    )
    .map_err(StoreError::at("recording an export"))?;
    let export_id = conn.last_insert_rowid();
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO export_items (finding_id, export_id) VALUES (?1, ?2)
             ON CONFLICT (finding_id) DO NOTHING",
        )
        .map_err(StoreError::at("recording an export"))?;
    for id in findings {
        stmt.execute(params![id, export_id])
            .map_err(StoreError::at("recording an export"))?;
    }
    Ok(())
}

pub fn imports(conn: &Connection) -> Result<Vec<ImportRow>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT unit, sequence, digest, previous, created_at, findings, stored, refused,
                    file, imported_at
             FROM imports ORDER BY unit, sequence, id",
        )
        .map_err(StoreError::at("reading imported bundles"))?;
    let rows = stmt
        .query_map([], |row| {
            Ok(ImportRow {
                unit: row.get(0)?,
                sequence: row.get(1)?,
                digest: row.get(2)?,
                previous: row.get(3)?,
                created_at: row.get(4)?,
                findings: row.get(5)?,
                stored: row.get(6)?,
                refused: row.get(7)?,
                file: row.get(8)?,
                imported_at: row.get(9)?,
            })
        })
        .map_err(StoreError::at("reading imported bundles"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::at("reading imported bundles"))
}

pub fn units_by_finding(conn: &Connection) -> Result<BTreeMap<i64, String>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT fu.finding_id, i.unit FROM finding_units fu
             JOIN imports i ON i.id = fu.import_id",
        )
        .map_err(StoreError::at("reading where findings came from"))?;
    let rows = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(StoreError::at("reading where findings came from"))?;
    rows.collect::<Result<_, _>>()
        .map_err(StoreError::at("reading where findings came from"))
}
