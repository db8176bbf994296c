//! Writing to PostgreSQL: one ingest batch as one transaction, and the enrolled keys.
//!
//! Every batch takes one advisory lock for its transaction, so batches of different
//! collectors follow one another instead of interleaving. Without it two batches holding
//! overlapping findings in different orders would each wait on a row the other inserted,
//! and the server would abort one of them as a deadlock; and with it a batch's look-ups see
//! every batch committed before it, so a finding another collector stored is recognised as
//! a replay before the insert. Only the writes are serialised: verifying files, the bulk of
//! ingest, runs before the batch starts. The unique index on the identity stays the
//! authority: `ON CONFLICT DO NOTHING` and the rows it changed are what `insert_finding`
//! answers from.
//!
//! What it must not do: put anything a workstation wrote into SQL text (every value is a
//! bound parameter), or update or delete a stored finding.

use postgres::types::ToSql;
use postgres::{Client, Statement, Transaction};

use crate::collector::store::backend::{
    Batch, EnrolledKey, ExportItem, NewExport, NewFinding, NewImport, NewRejected, NewReplay,
    Selection, StoredRef,
};

use super::bundles;
use crate::collector::store::StoreError;

/// Key of the advisory lock each batch holds until it commits or rolls back ("isoguard"
/// plus one, so it is not the migration lock).
const BATCH_LOCK: i64 = (0x6973_6f67_7561_7264 & i64::MAX) + 1;

const INSERT_FINDING: &str = "INSERT INTO findings (payload_digest, digest, link_digest,
        host_id, keyid, hostname, machine_id, sequence, previous, reset_reason, time, verdict,
        inbox_name, archived_as, received_at, envelope, inbox_name_bytes, archived_as_bytes,
        file_dev, file_ino)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
        $19, $20)";

/// The statements of a batch, prepared once per connection: each then costs one round trip.
pub struct Statements {
    find: Statement,
    insert_finding: Statement,
    /// `insert_finding` with the finding's brief: one round trip for both.
    insert_finding_with_brief: Statement,
    insert_replay: Statement,
    insert_rejected: Statement,
}

impl Statements {
    pub fn prepare(client: &mut Client) -> Result<Statements, StoreError> {
        let mut prepare = |sql: &str| {
            client
                .prepare(sql)
                .map_err(StoreError::at("preparing the statements"))
        };
        Ok(Statements {
            find: prepare(
                "SELECT inbox_name_bytes, archived_as_bytes, file_dev, file_ino
                 FROM findings WHERE payload_digest = $1",
            )?,
            insert_finding: prepare(&format!("{INSERT_FINDING} ON CONFLICT DO NOTHING"))?,
            // The outer insert changes a row only when the finding's did.
            insert_finding_with_brief: prepare(&format!(
                "WITH stored AS ({INSERT_FINDING} ON CONFLICT DO NOTHING RETURNING id),
                      brief AS (INSERT INTO finding_briefs (finding_id, brief)
                                SELECT id, $21 FROM stored)
                 INSERT INTO finding_evidence (finding_id, evidence) SELECT id, $22 FROM stored"
            ))?,
            insert_replay: prepare(
                "INSERT INTO replays (digest, file, file_bytes, archived_as, archived_as_bytes,
                    noticed_at, envelope)
                 SELECT digest, $2, $3, $4, $5, $6, $7 FROM findings WHERE payload_digest = $1
                 ON CONFLICT (archived_as_bytes) DO NOTHING",
            )?,
            insert_rejected: prepare(
                "INSERT INTO rejected (file, file_bytes, stored_as, stored_as_bytes, kind,
                    reason, rejected_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (stored_as_bytes) DO NOTHING",
            )?,
        })
    }
}

/// An ingest batch: one PostgreSQL transaction holding the batch lock.
pub struct PostgresBatch<'conn> {
    tx: Transaction<'conn>,
    statements: &'conn Statements,
}

pub fn begin<'conn>(
    client: &'conn mut Client,
    statements: &'conn Statements,
) -> Result<Box<dyn Batch + 'conn>, StoreError> {
    let mut tx = client
        .transaction()
        .map_err(StoreError::at("starting a batch"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BATCH_LOCK])
        .map_err(StoreError::at("waiting for another collector's batch"))?;
    Ok(Box::new(PostgresBatch { tx, statements }))
}

impl Batch for PostgresBatch<'_> {
    fn find(&mut self, identity: &str) -> Result<Option<StoredRef>, StoreError> {
        let row = self
            .tx
            .query_opt(&self.statements.find, &[&identity])
            .map_err(StoreError::at("looking up a digest"))?;
        let Some(row) = row else { return Ok(None) };
        let read = || -> Result<StoredRef, postgres::Error> {
            let dev: Option<i64> = row.try_get(2)?;
            let ino: Option<i64> = row.try_get(3)?;
            Ok(StoredRef {
                inbox_name: row.try_get(0)?,
                archived_as: row.try_get(1)?,
                file_id: dev.zip(ino).map(|(d, i)| (from_sql(d), from_sql(i))),
            })
        };
        read()
            .map(Some)
            .map_err(StoreError::at("looking up a digest"))
    }

    fn insert_finding(&mut self, f: &NewFinding<'_>) -> Result<bool, StoreError> {
        let (hostname, machine_id) = (as_bytes(f.hostname), as_bytes(f.machine_id));
        let (previous, reset_reason) = (as_bytes(f.previous), as_bytes(f.reset_reason));
        let (time, verdict) = (f.time.as_bytes(), f.verdict.as_bytes());
        let (inbox_shown, archived_shown) = (shown(f.inbox_name), shown(f.archived_as));
        let file_dev = f.file_id.map(|id| to_sql(id.0));
        let file_ino = f.file_id.map(|id| to_sql(id.1));
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![
            &f.identity,
            &f.digest,
            &f.link_digest,
            &f.host_id,
            &f.keyid,
            &hostname,
            &machine_id,
            &f.sequence,
            &previous,
            &reset_reason,
            &time,
            &verdict,
            &inbox_shown,
            &archived_shown,
            &f.received_at,
            &f.envelope,
            &f.inbox_name,
            &f.archived_as,
            &file_dev,
            &file_ino,
        ];
        let statement = match &f.brief {
            Some(brief) => {
                params.push(&brief.brief);
                params.push(&brief.evidence);
                &self.statements.insert_finding_with_brief
            }
            None => &self.statements.insert_finding,
        };
        let changed = self
            .tx
            .execute(statement, &params)
            .map_err(StoreError::at("storing a finding"))?;
        Ok(changed == 1)
    }

    fn insert_replay(&mut self, r: &NewReplay<'_>) -> Result<(), StoreError> {
        self.tx
            .execute(
                &self.statements.insert_replay,
                &[
                    &r.identity,
                    &shown(r.file),
                    &r.file,
                    &shown(r.archived_as),
                    &r.archived_as,
                    &r.noticed_at,
                    &r.envelope,
                ],
            )
            .map_err(StoreError::at("recording a replay"))?;
        Ok(())
    }

    fn insert_rejected(&mut self, r: &NewRejected<'_>) -> Result<(), StoreError> {
        self.tx
            .execute(
                &self.statements.insert_rejected,
                &[
                    &shown(r.file),
                    &r.file,
                    &shown(r.stored_as),
                    &r.stored_as,
                    &r.kind,
                    &r.reason.as_bytes(),
                    &r.rejected_at,
                ],
            )
            .map_err(StoreError::at("recording a rejected file"))?;
        Ok(())
    }

    fn imported_at(&mut self, digest: &str) -> Result<Option<String>, StoreError> {
        bundles::imported_at(&mut self.tx, digest)
    }

    fn insert_import(&mut self, import: &NewImport<'_>) -> Result<Option<i64>, StoreError> {
        bundles::insert_import(&mut self.tx, import)
    }

    fn attach_to_import(&mut self, identity: &str, import_id: i64) -> Result<(), StoreError> {
        bundles::attach_to_import(&mut self.tx, identity, import_id)
    }

    fn finish_import(
        &mut self,
        import_id: i64,
        stored: i64,
        refused: i64,
    ) -> Result<(), StoreError> {
        bundles::finish_import(&mut self.tx, import_id, stored, refused)
    }

    fn last_export(&mut self) -> Result<Option<(i64, String)>, StoreError> {
        bundles::last_export(&mut self.tx)
    }

    fn export_candidates(&mut self, selection: &Selection) -> Result<Vec<i64>, StoreError> {
        bundles::export_candidates(&mut self.tx, selection)
    }

    fn export_items(&mut self, ids: &[i64]) -> Result<Vec<ExportItem>, StoreError> {
        bundles::export_items(&mut self.tx, ids)
    }

    fn insert_export(
        &mut self,
        export: &NewExport<'_>,
        findings: &[i64],
    ) -> Result<(), StoreError> {
        bundles::insert_export(&mut self.tx, export, findings)
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx
            .commit()
            .map_err(StoreError::at("committing a batch"))
    }
}

fn as_bytes(text: Option<&str>) -> Option<&[u8]> {
    text.map(str::as_bytes)
}

/// A file name for people: bytes that are not UTF-8 as `\xNN`.
fn shown(name: &[u8]) -> String {
    crate::text::decode_bytes(name)
}

/// PostgreSQL integers are signed; device and inode numbers are kept bit for bit.
fn to_sql(value: u64) -> i64 {
    i64::from_ne_bytes(value.to_ne_bytes())
}

fn from_sql(value: i64) -> u64 {
    u64::from_ne_bytes(value.to_ne_bytes())
}

/// Remembers the keys in the trust store (see `Store::sync_enrolled`).
pub fn sync_enrolled(
    client: &mut Client,
    keys: &[EnrolledKey],
    now: &str,
) -> Result<(), StoreError> {
    let mut tx = client
        .transaction()
        .map_err(StoreError::at("starting to record enrolled keys"))?;
    // Two collectors upserting the same keys in different orders would deadlock, as batches.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BATCH_LOCK])
        .map_err(StoreError::at("waiting for another collector's batch"))?;
    let upsert = tx
        .prepare(
            "INSERT INTO enrolled_keys (keyid, host_id, public_key, first_seen, last_seen)
             VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (keyid) DO UPDATE SET host_id = excluded.host_id,
                public_key = excluded.public_key, last_seen = excluded.last_seen",
        )
        .map_err(StoreError::at("recording enrolled keys"))?;
    for key in keys {
        tx.execute(
            &upsert,
            &[&key.keyid, &key.host_id, &key.public_key_pem, &now],
        )
        .map_err(StoreError::at("recording enrolled keys"))?;
    }
    tx.commit()
        .map_err(StoreError::at("recording enrolled keys"))
}
