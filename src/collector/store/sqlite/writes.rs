//! Writing to SQLite: one ingest batch as one transaction, and the enrolled keys.
//!
//! A finding counts as stored once its batch has committed; the unique index on the
//! finding's identity is what keeps a finding from being stored twice when two collectors
//! race, and `ON CONFLICT DO NOTHING` turns the loser's insert into a no-op it can see.
//!
//! What it must not do: put anything a workstation wrote into SQL text (every value is a
//! bound parameter), or update or delete a stored finding.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::collector::store::backend::{
    Batch, EnrolledKey, ExportItem, NewExport, NewFinding, NewImport, NewRejected, NewReplay,
    Selection, StoredRef,
};

use super::bundles;
use crate::collector::store::StoreError;

/// An ingest batch: one SQLite transaction.
pub struct SqliteBatch<'conn> {
    pub(super) tx: Transaction<'conn>,
}

impl Batch for SqliteBatch<'_> {
    fn find(&mut self, identity: &str) -> Result<Option<StoredRef>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT inbox_name_bytes, archived_as_bytes, file_dev, file_ino
                 FROM findings WHERE payload_digest = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([identity], |row| {
                    let dev: Option<i64> = row.get(2)?;
                    let ino: Option<i64> = row.get(3)?;
                    Ok(StoredRef {
                        inbox_name: row.get(0)?,
                        archived_as: row.get(1)?,
                        file_id: dev.zip(ino).map(|(d, i)| (from_sql(d), from_sql(i))),
                    })
                })
                .optional()
            })
            .map_err(StoreError::at("looking up a digest"))
    }

    fn insert_finding(&mut self, f: &NewFinding<'_>) -> Result<bool, StoreError> {
        let changed = self
            .tx
            .prepare_cached(
                "INSERT INTO findings (payload_digest, digest, link_digest, host_id, keyid,
                    hostname, machine_id, sequence, previous, reset_reason, time, verdict,
                    inbox_name, archived_as, received_at, envelope, inbox_name_bytes,
                    archived_as_bytes, file_dev, file_ino)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19, ?20)
                 ON CONFLICT DO NOTHING",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    f.identity,
                    f.digest,
                    f.link_digest,
                    f.host_id,
                    f.keyid,
                    f.hostname,
                    f.machine_id,
                    f.sequence,
                    f.previous,
                    f.reset_reason,
                    f.time,
                    f.verdict,
                    shown(f.inbox_name),
                    shown(f.archived_as),
                    f.received_at,
                    f.envelope,
                    f.inbox_name,
                    f.archived_as,
                    f.file_id.map(|id| to_sql(id.0)),
                    f.file_id.map(|id| to_sql(id.1))
                ])
            })
            .map_err(StoreError::at("storing a finding"))?;
        if changed != 1 {
            return Ok(false);
        }
        if let Some(brief) = f.brief {
            let id = self.tx.last_insert_rowid();
            self.tx
                .prepare_cached("INSERT INTO finding_briefs (finding_id, brief) VALUES (?1, ?2)")
                .and_then(|mut stmt| stmt.execute(params![id, brief.brief]))
                .and_then(|_| {
                    self.tx.prepare_cached(
                        "INSERT INTO finding_evidence (finding_id, evidence) VALUES (?1, ?2)",
                    )
                })
                .and_then(|mut stmt| stmt.execute(params![id, brief.evidence]))
                .map_err(StoreError::at("storing a finding's brief"))?;
        }
        Ok(true)
    }

    fn insert_replay(&mut self, r: &NewReplay<'_>) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO replays (digest, file, file_bytes, archived_as, archived_as_bytes,
                    noticed_at, envelope)
                 SELECT digest, ?2, ?3, ?4, ?5, ?6, ?7 FROM findings WHERE payload_digest = ?1
                 ON CONFLICT (archived_as_bytes) DO NOTHING",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    r.identity,
                    shown(r.file),
                    r.file,
                    shown(r.archived_as),
                    r.archived_as,
                    r.noticed_at,
                    r.envelope
                ])
            })
            .map_err(StoreError::at("recording a replay"))?;
        Ok(())
    }

    fn insert_rejected(&mut self, r: &NewRejected<'_>) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO rejected (file, file_bytes, stored_as, stored_as_bytes, kind,
                    reason, rejected_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (stored_as_bytes) DO NOTHING",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    shown(r.file),
                    r.file,
                    shown(r.stored_as),
                    r.stored_as,
                    r.kind,
                    r.reason,
                    r.rejected_at
                ])
            })
            .map_err(StoreError::at("recording a rejected file"))?;
        Ok(())
    }

    fn imported_at(&mut self, digest: &str) -> Result<Option<String>, StoreError> {
        bundles::imported_at(&self.tx, digest)
    }

    fn insert_import(&mut self, import: &NewImport<'_>) -> Result<Option<i64>, StoreError> {
        bundles::insert_import(&self.tx, import)
    }

    fn attach_to_import(&mut self, identity: &str, import_id: i64) -> Result<(), StoreError> {
        bundles::attach_to_import(&self.tx, identity, import_id)
    }

    fn finish_import(
        &mut self,
        import_id: i64,
        stored: i64,
        refused: i64,
    ) -> Result<(), StoreError> {
        bundles::finish_import(&self.tx, import_id, stored, refused)
    }

    fn last_export(&mut self) -> Result<Option<(i64, String)>, StoreError> {
        bundles::last_export(&self.tx)
    }

    fn export_candidates(&mut self, selection: &Selection) -> Result<Vec<i64>, StoreError> {
        bundles::export_candidates(&self.tx, selection)
    }

    fn export_items(&mut self, ids: &[i64]) -> Result<Vec<ExportItem>, StoreError> {
        bundles::export_items(&self.tx, ids)
    }

    fn insert_export(
        &mut self,
        export: &NewExport<'_>,
        findings: &[i64],
    ) -> Result<(), StoreError> {
        bundles::insert_export(&self.tx, export, findings)
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx
            .commit()
            .map_err(StoreError::at("committing a batch"))
    }
}

/// A file name for people: bytes that are not UTF-8 as `\xNN`.
fn shown(name: &[u8]) -> String {
    crate::text::decode_bytes(name)
}

/// SQLite integers are signed; device and inode numbers are kept bit for bit.
fn to_sql(value: u64) -> i64 {
    i64::from_ne_bytes(value.to_ne_bytes())
}

fn from_sql(value: i64) -> u64 {
    u64::from_ne_bytes(value.to_ne_bytes())
}

/// Remembers the keys in the trust store, so the report can list enrolled hosts that never
/// reported. Keys removed from the folder stay listed: their findings are still in the store.
pub fn sync_enrolled(
    conn: &mut Connection,
    keys: &[EnrolledKey],
    now: &str,
) -> Result<(), StoreError> {
    let tx = conn
        .transaction()
        .map_err(StoreError::at("starting to record enrolled keys"))?;
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO enrolled_keys (keyid, host_id, public_key, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (keyid) DO UPDATE SET host_id = excluded.host_id,
                    public_key = excluded.public_key, last_seen = excluded.last_seen",
            )
            .map_err(StoreError::at("recording enrolled keys"))?;
        for key in keys {
            stmt.execute(params![key.keyid, key.host_id, key.public_key_pem, now])
                .map_err(StoreError::at("recording enrolled keys"))?;
        }
    }
    tx.commit()
        .map_err(StoreError::at("recording enrolled keys"))
}
