//! The PostgreSQL schema, versioned with the same numbers as SQLite's.
//!
//! A version names one set of tables and columns whatever the database, so a version in an
//! error or a note means the same on both. PostgreSQL came at version 4: a new database is
//! created at that version in one step, and each later version is one more step here and one
//! more in `sqlite/schema.rs`. The version is a row of `isoguard_schema`; every step runs in
//! its own transaction under an advisory lock, so two collectors starting at once against a
//! new database create it once, and a crash mid-step leaves the previous version intact. A
//! database newer than this program is refused rather than guessed at.
//!
//! Text that a workstation's bytes can reach (host names, the finding's own fields, reasons
//! that quote it) is kept as `bytea` holding UTF-8: PostgreSQL `text` cannot hold U+0000,
//! which a signed payload may carry, and a finding the database refused would stop every
//! later batch. Text the collector makes itself (digests, ids, times, shown file names) is
//! `text`.
//!
//! What it must not do: edit a step that has shipped (add one instead), or change or drop a
//! stored envelope while migrating.

use postgres::{Client, GenericClient};

use crate::collector::store::StoreError;

/// The version the first step creates.
const FIRST: usize = 4;

/// Key of the advisory lock migrations run under (any constant the site's other
/// applications are unlikely to use: "isoguard" in ASCII, cut to 63 bits).
const MIGRATION_LOCK: i64 = 0x6973_6f67_7561_7264 & i64::MAX;

/// `STEPS[0]` creates the schema at version [`FIRST`]; `STEPS[i]` takes `FIRST + i - 1` to
/// `FIRST + i`.
const STEPS: &[&str] = &[
    // 4: findings (verbatim envelopes, the fields the chain and report query, identity by
    // payload, names as bytes, the inode a finding was read from), replays, refused files
    // and enrolled keys, as SQLite has them at version 4.
    "CREATE TABLE findings (
         id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         payload_digest TEXT UNIQUE,
         digest TEXT NOT NULL UNIQUE,
         link_digest TEXT,
         host_id TEXT NOT NULL,
         keyid TEXT NOT NULL,
         hostname BYTEA,
         machine_id BYTEA,
         sequence BIGINT NOT NULL,
         previous BYTEA,
         reset_reason BYTEA,
         time BYTEA NOT NULL,
         verdict BYTEA NOT NULL,
         inbox_name TEXT NOT NULL,
         inbox_name_bytes BYTEA NOT NULL,
         archived_as TEXT NOT NULL,
         archived_as_bytes BYTEA NOT NULL,
         file_dev BIGINT,
         file_ino BIGINT,
         received_at TEXT NOT NULL,
         envelope BYTEA NOT NULL
     );
     CREATE INDEX findings_by_host ON findings (host_id, sequence);
     CREATE INDEX findings_by_link ON findings (link_digest);
     CREATE TABLE replays (
         id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         digest TEXT NOT NULL REFERENCES findings (digest),
         file TEXT NOT NULL,
         file_bytes BYTEA NOT NULL,
         archived_as TEXT NOT NULL,
         archived_as_bytes BYTEA NOT NULL UNIQUE,
         noticed_at TEXT NOT NULL,
         envelope BYTEA
     );
     CREATE TABLE rejected (
         id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         file TEXT NOT NULL,
         file_bytes BYTEA NOT NULL,
         stored_as TEXT NOT NULL,
         stored_as_bytes BYTEA NOT NULL UNIQUE,
         kind TEXT NOT NULL,
         reason BYTEA NOT NULL,
         rejected_at TEXT NOT NULL
     );
     CREATE TABLE enrolled_keys (
         keyid TEXT PRIMARY KEY,
         host_id TEXT NOT NULL,
         public_key TEXT,
         first_seen TEXT NOT NULL,
         last_seen TEXT NOT NULL
     );",
    // 5: bundles carried up the hierarchy, as SQLite's migration 5: the bundles written
    // (`exports`, `export_items`) and taken in (`imports`, `finding_units`).
    "CREATE TABLE exports (
         id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         unit TEXT NOT NULL,
         sequence BIGINT NOT NULL UNIQUE,
         digest TEXT NOT NULL UNIQUE,
         previous TEXT,
         created_at TEXT NOT NULL,
         selection TEXT NOT NULL,
         findings BIGINT NOT NULL,
         file TEXT NOT NULL,
         manifest BYTEA NOT NULL
     );
     CREATE TABLE export_items (
         finding_id BIGINT PRIMARY KEY REFERENCES findings (id),
         export_id BIGINT NOT NULL REFERENCES exports (id)
     );
     CREATE TABLE imports (
         id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         unit TEXT NOT NULL,
         sequence BIGINT NOT NULL,
         digest TEXT NOT NULL UNIQUE,
         previous TEXT,
         created_at TEXT NOT NULL,
         findings BIGINT NOT NULL,
         stored BIGINT NOT NULL,
         refused BIGINT NOT NULL,
         file TEXT NOT NULL,
         imported_at TEXT NOT NULL,
         manifest BYTEA NOT NULL
     );
     CREATE INDEX imports_by_unit ON imports (unit, sequence);
     CREATE TABLE finding_units (
         finding_id BIGINT PRIMARY KEY REFERENCES findings (id),
         import_id BIGINT NOT NULL REFERENCES imports (id)
     );",
    // 6: each finding's brief and its failed rules' evidence (see SQLite's step 6).
    "CREATE TABLE finding_briefs (
         finding_id BIGINT PRIMARY KEY REFERENCES findings (id),
         brief BYTEA NOT NULL
     );
     CREATE TABLE finding_evidence (
         finding_id BIGINT PRIMARY KEY REFERENCES findings (id),
         evidence BYTEA NOT NULL
     );",
];

/// Steps that only add tables, as a reader stands them in (see SQLite's `STAND_INS`): the
/// tables created empty as the session's temporary tables, which names resolve in first.
/// Temporary tables cannot reference others, so these name no foreign keys. `(version, SQL)`.
const STAND_INS: &[(usize, &str)] = &[(
    6,
    "CREATE TEMP TABLE finding_briefs (finding_id BIGINT PRIMARY KEY, brief BYTEA NOT NULL);
     CREATE TEMP TABLE finding_evidence (finding_id BIGINT PRIMARY KEY, evidence BYTEA NOT NULL)",
)];

/// The SQL that stands in, for a reader, for the steps from `found` to the latest version;
/// `None` when one of them does more than add tables.
pub fn stand_ins(found: usize) -> Option<String> {
    let tables = crate::collector::store::stand_ins_after(found, latest_version(), STAND_INS)?;
    Some(tables.join(";\n") + ";")
}

/// The schema version this program writes; the same as SQLite's.
pub fn latest_version() -> usize {
    FIRST + STEPS.len() - 1
}

/// The schema version of a database: 0 when it has no isoguard schema yet.
pub fn version(client: &mut impl GenericClient) -> Result<i64, StoreError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('isoguard_schema') IS NOT NULL", &[])
        .and_then(|row| row.try_get(0))
        .map_err(StoreError::at("reading the schema version"))?;
    if !exists {
        return Ok(0);
    }
    client
        .query_opt("SELECT version FROM isoguard_schema", &[])
        .and_then(|row| row.map(|row| row.try_get::<_, i64>(0)).transpose())
        .map(|found| found.unwrap_or(0))
        .map_err(StoreError::at("reading the schema version"))
}

/// Applies the steps the database lacks, up to version `up_to` (at most the latest).
pub fn migrate(client: &mut Client, up_to: usize) -> Result<(), StoreError> {
    let known = latest_version();
    let up_to = up_to.min(known);
    loop {
        let mut tx = client
            .transaction()
            .map_err(StoreError::at("starting a migration"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(StoreError::at("waiting for another collector's migration"))?;
        // Read under the lock: another collector may have migrated while this one waited.
        let found = version(&mut tx)?;
        let current = usize::try_from(found).map_err(|_| StoreError::TooNew { found, known })?;
        if current > known {
            return Err(StoreError::TooNew { found, known });
        }
        if current >= up_to {
            return Ok(());
        }
        let (step, next) = if current == 0 {
            (STEPS[0], FIRST)
        } else if current >= FIRST {
            (STEPS[current + 1 - FIRST], current + 1)
        } else {
            return Err(StoreError::at("migrating")(std::io::Error::other(format!(
                "schema version {found} was never written by a PostgreSQL collector"
            ))));
        };
        let next = i64::try_from(next).map_err(StoreError::at("recording the schema version"))?;
        tx.batch_execute(step)
            .map_err(StoreError::at("applying a schema migration"))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS isoguard_schema (version BIGINT NOT NULL);
             DELETE FROM isoguard_schema;",
        )
        .and_then(|()| {
            tx.execute(
                "INSERT INTO isoguard_schema (version) VALUES ($1)",
                &[&next],
            )
        })
        .map_err(StoreError::at("recording the schema version"))?;
        tx.commit()
            .map_err(StoreError::at("committing a migration"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One version number means one schema on both databases.
    #[test]
    fn versions_are_numbered_as_sqlites() {
        assert_eq!(
            latest_version(),
            crate::collector::store::sqlite::schema::latest_version()
        );
    }
}
