//! The SQLite schema and how an old database is brought up to date.
//!
//! The schema is versioned with `PRAGMA user_version`: `MIGRATIONS[i]` takes a database from
//! version `i` to `i + 1`, each step in its own transaction, so an old database is brought up
//! to date on open and a crash mid-migration leaves the previous version intact. A database
//! newer than this program is refused rather than guessed at.
//!
//! What it must not do: edit a step that has shipped (add one instead), or change or drop a
//! stored envelope while migrating.

use rusqlite::Connection;

use crate::collector::store::StoreError;

/// Schema steps, in order. Never edit a step that has shipped; add one.
pub const MIGRATIONS: &[&str] = &[
    // 1: findings (verbatim envelopes and the fields the chain and report query),
    // refused files, replay events.
    "CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        digest TEXT NOT NULL UNIQUE,
        host_id TEXT NOT NULL,
        keyid TEXT NOT NULL,
        hostname TEXT,
        machine_id TEXT,
        sequence INTEGER NOT NULL,
        previous TEXT,
        reset_reason TEXT,
        time TEXT NOT NULL,
        verdict TEXT NOT NULL,
        inbox_name TEXT NOT NULL,
        archived_as TEXT NOT NULL,
        received_at TEXT NOT NULL,
        envelope BLOB NOT NULL
    );
    CREATE INDEX findings_by_host ON findings (host_id, sequence);
    CREATE TABLE rejected (
        id INTEGER PRIMARY KEY,
        file TEXT NOT NULL,
        stored_as TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        rejected_at TEXT NOT NULL
    );
    CREATE TABLE replays (
        id INTEGER PRIMARY KEY,
        digest TEXT NOT NULL REFERENCES findings (digest),
        file TEXT NOT NULL,
        archived_as TEXT NOT NULL UNIQUE,
        noticed_at TEXT NOT NULL
    );",
    // 2: enrolled keys, so the report lists hosts that never sent a finding without needing
    // the trust folder; filled from the keys findings were already stored under.
    "CREATE TABLE enrolled_keys (
        keyid TEXT PRIMARY KEY,
        host_id TEXT NOT NULL,
        public_key TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    INSERT OR IGNORE INTO enrolled_keys (keyid, host_id, public_key, first_seen, last_seen)
        SELECT keyid, host_id, NULL, MIN(received_at), MAX(received_at)
        FROM findings GROUP BY keyid, host_id;",
];

/// The schema version this program writes.
pub fn latest_version() -> usize {
    MIGRATIONS.len()
}

/// The schema version of an open database.
pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(StoreError::at("reading the schema version"))
}

/// Applies the migrations the database lacks, up to version `up_to` (at most the latest).
pub fn migrate(conn: &mut Connection, up_to: usize) -> Result<(), StoreError> {
    let found = version(conn)?;
    let known = latest_version();
    let current = usize::try_from(found).map_err(|_| StoreError::TooNew { found, known })?;
    if current > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (index, step) in MIGRATIONS
        .iter()
        .enumerate()
        .take(up_to.min(known))
        .skip(current)
    {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::at("starting a migration"))?;
        // Another process may have migrated while this one waited for the lock.
        let now: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(StoreError::at("reading the schema version"))?;
        if usize::try_from(now).map_or(true, |now| now > index) {
            continue;
        }
        tx.execute_batch(step)
            .map_err(StoreError::at("applying a schema migration"))?;
        // PRAGMA takes no bound parameters; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", index + 1))
            .map_err(StoreError::at("recording the schema version"))?;
        tx.commit()
            .map_err(StoreError::at("committing a migration"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::store::sqlite::configure;
    use crate::collector::store::Store;

    fn temp_db(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("isoguard-store-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("collector.db")
    }

    /// A database left at schema version 1, with a finding in it, is brought to the latest
    /// version on open, keeps its data, and gains the enrolled key its finding was stored under.
    #[test]
    fn version_1_database_migrates() {
        let path = temp_db("migrate");
        {
            let mut conn = Connection::open(&path).unwrap();
            configure(&conn).unwrap();
            migrate(&mut conn, 1).unwrap();
            assert_eq!(version(&conn).unwrap(), 1);
            conn.execute(
                "INSERT INTO findings (digest, host_id, keyid, hostname, machine_id, sequence,
                    previous, reset_reason, time, verdict, inbox_name, archived_as,
                    received_at, envelope)
                 VALUES ('d1', 'ws-1', 'k1', 'h', 'ws-1', 1, NULL, NULL,
                    '2026-01-01T00:00:00Z', 'compliant', 'a.finding.json', 'a.finding.json',
                    '2026-01-02T00:00:00Z', x'7b7d')",
                [],
            )
            .unwrap();
            let missing = conn.query_row("SELECT count(*) FROM enrolled_keys", [], |r| {
                r.get::<_, i64>(0)
            });
            assert!(missing.is_err(), "v1 has no enrolled_keys table");
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            i64::try_from(latest_version()).unwrap()
        );
        drop(store);
        let conn = Connection::open(&path).unwrap();
        let (count, envelope): (i64, Vec<u8>) = conn
            .query_row("SELECT count(*), envelope FROM findings", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((count, envelope.as_slice()), (1, b"{}".as_slice()));
        let enrolled: (String, String) = conn
            .query_row("SELECT keyid, host_id FROM enrolled_keys", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(enrolled, ("k1".to_string(), "ws-1".to_string()));
        drop(conn);
        // Opening again is a no-op.
        Store::open(&path).unwrap();
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn newer_database_is_refused() {
        let path = temp_db("newer");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA user_version = 999").unwrap();
        }
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 999, .. })
        ));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
