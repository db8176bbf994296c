//! PostgreSQL rows of the bundles carried up the hierarchy, as `sqlite/bundles.rs` keeps
//! them: the bundles written (`exports`, `export_items`) and taken in (`imports`,
//! `finding_units`).
//!
//! Exports and imports run inside a batch, so they hold the batch lock like ingest: two
//! collectors exporting at once take the next sequence number one after the other.
//!
//! What it must not do: decide anything about a bundle, or put anything a bundle or a
//! workstation wrote into SQL text.

use std::collections::BTreeMap;

use postgres::{Client, GenericClient};

use crate::collector::store::backend::{ExportItem, ImportRow, NewExport, NewImport, Selection};
use crate::collector::store::StoreError;

pub fn imported_at(
    client: &mut impl GenericClient,
    digest: &str,
) -> Result<Option<String>, StoreError> {
    client
        .query_opt(
            "SELECT imported_at FROM imports WHERE digest = $1",
            &[&digest],
        )
        .and_then(|row| row.map(|row| row.try_get(0)).transpose())
        .map_err(StoreError::at("looking up a bundle"))
}

pub fn insert_import(
    client: &mut impl GenericClient,
    i: &NewImport<'_>,
) -> Result<Option<i64>, StoreError> {
    client
        .query_opt(
            "INSERT INTO imports (unit, sequence, digest, previous, created_at, findings,
                stored, refused, file, imported_at, manifest)
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, $9)
             ON CONFLICT (digest) DO NOTHING RETURNING id",
            &[
                &i.unit,
                &i.sequence,
                &i.digest,
                &i.previous,
                &i.created_at,
                &i.findings,
                &i.file,
                &i.imported_at,
                &i.manifest,
            ],
        )
        .and_then(|row| row.map(|row| row.try_get(0)).transpose())
        .map_err(StoreError::at("recording a bundle"))
}

pub fn attach_to_import(
    client: &mut impl GenericClient,
    identity: &str,
    import_id: i64,
) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO finding_units (finding_id, import_id)
             SELECT id, $2 FROM findings WHERE payload_digest = $1
             ON CONFLICT (finding_id) DO NOTHING",
            &[&identity, &import_id],
        )
        .map_err(StoreError::at("recording where a finding came from"))?;
    Ok(())
}

pub fn finish_import(
    client: &mut impl GenericClient,
    import_id: i64,
    stored: i64,
    refused: i64,
) -> Result<(), StoreError> {
    client
        .execute(
            "UPDATE imports SET stored = $2, refused = $3 WHERE id = $1",
            &[&import_id, &stored, &refused],
        )
        .map_err(StoreError::at("recording a bundle"))?;
    Ok(())
}

pub fn last_export(client: &mut impl GenericClient) -> Result<Option<(i64, String)>, StoreError> {
    client
        .query_opt(
            "SELECT sequence, digest FROM exports ORDER BY sequence DESC LIMIT 1",
            &[],
        )
        .and_then(|row| {
            row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .transpose()
        })
        .map_err(StoreError::at("reading the last export"))
}

pub fn export_candidates(
    client: &mut impl GenericClient,
    selection: &Selection,
) -> Result<Vec<i64>, StoreError> {
    let rows = match selection {
        Selection::SinceLast => client.query(
            "SELECT f.id FROM findings f
             WHERE NOT EXISTS (SELECT 1 FROM export_items e WHERE e.finding_id = f.id)
             ORDER BY f.id",
            &[],
        ),
        Selection::Period { from, to } => client.query(
            "SELECT id FROM findings
             WHERE ($1::text IS NULL OR received_at >= $1)
               AND ($2::text IS NULL OR received_at < $2)
             ORDER BY id",
            &[from, to],
        ),
    };
    rows.and_then(|rows| rows.iter().map(|row| row.try_get(0)).collect())
        .map_err(StoreError::at("choosing the findings to export"))
}

pub fn export_items(
    client: &mut impl GenericClient,
    ids: &[i64],
) -> Result<Vec<ExportItem>, StoreError> {
    let rows = client
        .query(
            "SELECT f.id, f.host_id, f.inbox_name, f.received_at, f.envelope
             FROM unnest($1::bigint[]) WITH ORDINALITY AS wanted (id, n)
             JOIN findings f ON f.id = wanted.id
             ORDER BY wanted.n",
            &[&ids],
        )
        .map_err(StoreError::at("reading findings to export"))?;
    rows.iter()
        .map(|row| {
            Ok(ExportItem {
                id: row.try_get(0)?,
                host_id: row.try_get(1)?,
                inbox_name: row.try_get(2)?,
                received_at: row.try_get(3)?,
                envelope: row.try_get(4)?,
            })
        })
        .collect::<Result<_, postgres::Error>>()
        .map_err(StoreError::at("reading findings to export"))
}

pub fn insert_export(
    client: &mut impl GenericClient,
    e: &NewExport<'_>,
    findings: &[i64],
) -> Result<(), StoreError> {
    let count = i64::try_from(findings.len()).unwrap_or(i64::MAX);
    let export_id: i64 = client
        .query_one(
            "INSERT INTO exports (unit, sequence, digest, previous, created_at, selection,
                findings, file, manifest)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                &e.unit,
                &e.sequence,
                &e.digest,
                &e.previous,
                &e.created_at,
                &e.selection,
                &count,
                &e.file,
                &e.manifest,
            ],
        )
        .and_then(|row| row.try_get(0))
        .map_err(StoreError::at("recording an export"))?;
    client
        .execute(
            "INSERT INTO export_items (finding_id, export_id)
             SELECT id, $2 FROM unnest($1::bigint[]) AS carried (id)
             ON CONFLICT (finding_id) DO NOTHING",
            &[&findings, &export_id],
        )
        .map_err(StoreError::at("recording an export"))?;
    Ok(())
}

pub fn imports(client: &mut Client) -> Result<Vec<ImportRow>, StoreError> {
    let rows = client
        .query(
            "SELECT unit, sequence, digest, previous, created_at, findings, stored, refused,
                    file, imported_at
             FROM imports ORDER BY unit, sequence, id",
            &[],
        )
        .map_err(StoreError::at("reading imported bundles"))?;
    rows.iter()
        .map(|row| {
            Ok(ImportRow {
                unit: row.try_get(0)?,
                sequence: row.try_get(1)?,
                digest: row.try_get(2)?,
                previous: row.try_get(3)?,
                created_at: row.try_get(4)?,
                findings: row.try_get(5)?,
                stored: row.try_get(6)?,
                refused: row.try_get(7)?,
                file: row.try_get(8)?,
                imported_at: row.try_get(9)?,
            })
        })
        .collect::<Result<_, postgres::Error>>()
        .map_err(StoreError::at("reading imported bundles"))
}

pub fn units_by_finding(client: &mut Client) -> Result<BTreeMap<i64, String>, StoreError> {
    let rows = client
        .query(
            "SELECT fu.finding_id, i.unit FROM finding_units fu
             JOIN imports i ON i.id = fu.import_id",
            &[],
        )
        .map_err(StoreError::at("reading where findings came from"))?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<_, postgres::Error>>()
        .map_err(StoreError::at("reading where findings came from"))
}
