//! The SQLite schema and how an old database is brought up to date.
//!
//! The schema is versioned with `PRAGMA user_version`: `MIGRATIONS[i]` takes a database from
//! version `i` to `i + 1`, each step in its own transaction, so an old database is brought up
//! to date on open and a crash mid-migration leaves the previous version intact. A database
//! newer than this program is refused rather than guessed at.
//!
//! What it must not do: edit a step that has shipped (add one instead), or change or drop a
//! stored envelope while migrating.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::collector::identity::Identity;
use crate::collector::store::StoreError;

/// One part of a migration: SQL, or a computation SQLite cannot do (a SHA-256) in Rust.
pub enum Step {
    Sql(&'static str),
    Rust(fn(&Transaction<'_>) -> Result<(), StoreError>),
}

/// Schema migrations, in order; each runs in one transaction. Never edit a migration that
/// has shipped; add one.
pub const MIGRATIONS: &[&[Step]] = &[
    // 1: findings (verbatim envelopes and the fields the chain and report query),
    // refused files, replay events.
    &[Step::Sql(
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
    )],
    // 2: enrolled keys, so the report lists hosts that never sent a finding without needing
    // the trust folder; filled from the keys findings were already stored under.
    &[Step::Sql(
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
    )],
    // 3: a finding's identity is its signed payload, not its envelope's formatting: the
    // payload digest is unique, and the digest of the envelope in the agent's own form is
    // what chains link by. Findings an older collector stored twice (the same payload in two
    // formattings) become one finding and a replay, the second envelope kept with the replay.
    &[
        Step::Sql(
            "ALTER TABLE findings ADD COLUMN payload_digest TEXT;
             ALTER TABLE findings ADD COLUMN link_digest TEXT;
             ALTER TABLE replays ADD COLUMN envelope BLOB;",
        ),
        Step::Rust(fill_identities),
        Step::Rust(merge_same_payload),
        Step::Sql(
            "CREATE UNIQUE INDEX findings_by_payload ON findings (payload_digest);
             CREATE INDEX findings_by_link ON findings (link_digest);",
        ),
    ],
    // 4: file names as the bytes they are (a name need not be UTF-8, and two names can look
    // the same as text), unique by those bytes; and the (device, inode) of the file a finding
    // was read from, which is what tells the tail of an interrupted run from a replay under
    // the same name. Earlier rows keep their names' text as bytes and have no inode.
    // The findings table is rebuilt with the envelope as its last column: SQLite reads a row's
    // columns in order, and a column added after a 10 KiB envelope would make every chain
    // query walk that envelope's overflow pages.
    &[Step::Sql(
        "CREATE TABLE findings_v4 (
             id INTEGER PRIMARY KEY,
             payload_digest TEXT UNIQUE,
             digest TEXT NOT NULL UNIQUE,
             link_digest TEXT,
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
             inbox_name_bytes BLOB NOT NULL,
             archived_as TEXT NOT NULL,
             archived_as_bytes BLOB NOT NULL,
             file_dev INTEGER,
             file_ino INTEGER,
             received_at TEXT NOT NULL,
             envelope BLOB NOT NULL
         );
         INSERT INTO findings_v4 (id, payload_digest, digest, link_digest, host_id, keyid,
                hostname, machine_id, sequence, previous, reset_reason, time, verdict,
                inbox_name, inbox_name_bytes, archived_as, archived_as_bytes, received_at,
                envelope)
             SELECT id, payload_digest, digest, link_digest, host_id, keyid, hostname,
                machine_id, sequence, previous, reset_reason, time, verdict, inbox_name,
                CAST(inbox_name AS BLOB), archived_as, CAST(archived_as AS BLOB), received_at,
                envelope
             FROM findings;
         DROP TABLE findings;
         ALTER TABLE findings_v4 RENAME TO findings;
         CREATE INDEX findings_by_host ON findings (host_id, sequence);
         CREATE INDEX findings_by_link ON findings (link_digest);
         CREATE TABLE replays_v4 (
             id INTEGER PRIMARY KEY,
             digest TEXT NOT NULL REFERENCES findings (digest),
             file TEXT NOT NULL,
             file_bytes BLOB NOT NULL,
             archived_as TEXT NOT NULL,
             archived_as_bytes BLOB NOT NULL UNIQUE,
             noticed_at TEXT NOT NULL,
             envelope BLOB
         );
         INSERT INTO replays_v4 (id, digest, file, file_bytes, archived_as, archived_as_bytes,
                noticed_at, envelope)
             SELECT id, digest, file, CAST(file AS BLOB), archived_as,
                CAST(archived_as AS BLOB), noticed_at, envelope
             FROM replays;
         DROP TABLE replays;
         ALTER TABLE replays_v4 RENAME TO replays;
         CREATE TABLE rejected_v4 (
             id INTEGER PRIMARY KEY,
             file TEXT NOT NULL,
             file_bytes BLOB NOT NULL,
             stored_as TEXT NOT NULL,
             stored_as_bytes BLOB NOT NULL UNIQUE,
             kind TEXT NOT NULL,
             reason TEXT NOT NULL,
             rejected_at TEXT NOT NULL
         );
         INSERT INTO rejected_v4 (id, file, file_bytes, stored_as, stored_as_bytes, kind,
                reason, rejected_at)
             SELECT id, file, CAST(file AS BLOB), stored_as, CAST(stored_as AS BLOB), kind,
                reason, rejected_at
             FROM rejected;
         DROP TABLE rejected;
         ALTER TABLE rejected_v4 RENAME TO rejected;",
    )],
    // 5: bundles carried up the hierarchy. `exports` are the bundles this collector wrote
    // (numbered, each naming the one before) and `export_items` which findings went into
    // which bundle first, so "since the last export" is exact however ids were committed;
    // `imports` are the bundles taken in from units below, and `finding_units` the bundle
    // each imported finding first arrived in. Kept beside `findings` rather than as new
    // columns: a column after the envelope would slow every chain query (see 4).
    &[Step::Sql(SQL_V5)],
    // 6: each finding's brief and the evidence of its failed rules, what the report reads of
    // it (`collector::brief`), so a report at 100,000 hosts does not decode 100,000 full
    // envelopes. Findings stored before have none and are read from their envelopes. Beside
    // `findings` for the reason given at 5, and apart from each other so the briefs of every
    // host are read without the device lists a page shows a few of.
    // And the chain columns in an index of their own, host by host: the chains are read from
    // it alone rather than from table pages that hold the envelopes.
    &[
        Step::Sql(SQL_V6),
        Step::Sql(
            "CREATE INDEX findings_chain ON findings (host_id, id, digest, sequence, previous,
                 reset_reason, time, received_at, inbox_name, link_digest);",
        ),
    ],
];

/// Migration 6 (PostgreSQL's step 6 is the same table with its own types).
const SQL_V6: &str = "CREATE TABLE finding_briefs (
         finding_id INTEGER PRIMARY KEY REFERENCES findings (id),
         brief BLOB NOT NULL
     );
     CREATE TABLE finding_evidence (
         finding_id INTEGER PRIMARY KEY REFERENCES findings (id),
         evidence BLOB NOT NULL
     );";

/// Migration 5 (PostgreSQL's step 5 creates the same tables with its own types).
const SQL_V5: &str = "CREATE TABLE exports (
         id INTEGER PRIMARY KEY,
         unit TEXT NOT NULL,
         sequence INTEGER NOT NULL UNIQUE,
         digest TEXT NOT NULL UNIQUE,
         previous TEXT,
         created_at TEXT NOT NULL,
         selection TEXT NOT NULL,
         findings INTEGER NOT NULL,
         file TEXT NOT NULL,
         manifest BLOB NOT NULL
     );
     CREATE TABLE export_items (
         finding_id INTEGER PRIMARY KEY REFERENCES findings (id),
         export_id INTEGER NOT NULL REFERENCES exports (id)
     );
     CREATE TABLE imports (
         id INTEGER PRIMARY KEY,
         unit TEXT NOT NULL,
         sequence INTEGER NOT NULL,
         digest TEXT NOT NULL UNIQUE,
         previous TEXT,
         created_at TEXT NOT NULL,
         findings INTEGER NOT NULL,
         stored INTEGER NOT NULL,
         refused INTEGER NOT NULL,
         file TEXT NOT NULL,
         imported_at TEXT NOT NULL,
         manifest BLOB NOT NULL
     );
     CREATE INDEX imports_by_unit ON imports (unit, sequence);
     CREATE TABLE finding_units (
         finding_id INTEGER PRIMARY KEY REFERENCES findings (id),
         import_id INTEGER NOT NULL REFERENCES imports (id)
     );";

/// Migration 3: the payload and link digests of every stored finding. An envelope that no
/// longer decodes keeps no payload digest (reverify names it) and links by its own digest.
fn fill_identities(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let rows: Vec<(i64, String, Vec<u8>)> = {
        let mut stmt = tx
            .prepare("SELECT id, digest, envelope FROM findings")
            .map_err(StoreError::at("reading findings to migrate"))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .map_err(StoreError::at("reading findings to migrate"))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::at("reading findings to migrate"))?
    };
    let mut update = tx
        .prepare("UPDATE findings SET payload_digest = ?2, link_digest = ?3 WHERE id = ?1")
        .map_err(StoreError::at("migrating findings"))?;
    for (id, digest, envelope) in rows {
        let (payload, link) = match Identity::of_stored(&envelope) {
            Some(identity) => (Some(identity.payload), identity.link),
            None => (None, digest),
        };
        update
            .execute(params![id, payload, link])
            .map_err(StoreError::at("migrating findings"))?;
    }
    Ok(())
}

/// Migration 3: of several stored findings with one payload, the first stored stays; each
/// later one becomes a replay of it (its envelope moved to the replay, its own replays
/// re-pointed), so no envelope is lost and the chain sees the finding once.
fn merge_same_payload(tx: &Transaction<'_>) -> Result<(), StoreError> {
    struct Later {
        id: i64,
        digest: String,
        kept: String,
        file: String,
        archived_as: String,
        received_at: String,
        envelope: Vec<u8>,
    }
    let later: Vec<Later> = {
        let mut stmt = tx
            .prepare(
                "SELECT f.id, f.digest, k.digest, f.inbox_name, f.archived_as, f.received_at,
                        f.envelope
                 FROM findings f
                 JOIN (SELECT payload_digest, MIN(id) AS first FROM findings
                       WHERE payload_digest IS NOT NULL GROUP BY payload_digest) g
                   ON g.payload_digest = f.payload_digest AND f.id > g.first
                 JOIN findings k ON k.id = g.first
                 ORDER BY f.id",
            )
            .map_err(StoreError::at("finding findings stored twice"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(Later {
                    id: row.get(0)?,
                    digest: row.get(1)?,
                    kept: row.get(2)?,
                    file: row.get(3)?,
                    archived_as: row.get(4)?,
                    received_at: row.get(5)?,
                    envelope: row.get(6)?,
                })
            })
            .map_err(StoreError::at("finding findings stored twice"))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::at("finding findings stored twice"))?
    };
    for Later {
        id,
        digest,
        kept,
        file,
        archived_as,
        received_at,
        envelope,
    } in later
    {
        let merge = || -> rusqlite::Result<()> {
            tx.execute(
                "UPDATE replays SET digest = ?2 WHERE digest = ?1",
                params![digest, kept],
            )?;
            tx.execute(
                "INSERT INTO replays (digest, file, archived_as, noticed_at, envelope)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![kept, file, archived_as, received_at, envelope],
            )?;
            tx.execute("DELETE FROM findings WHERE id = ?1", params![id])?;
            Ok(())
        };
        merge().map_err(StoreError::at("merging a finding stored twice"))?;
    }
    Ok(())
}

/// Migrations that only add tables (and indexes, which a reader does without), as a reader
/// stands them in: the tables created empty in the connection's temporary schema, which
/// names resolve in first. A report on a database that no collector of this version has
/// opened yet then reads it where it lies, rather than copying a database of many GB into
/// memory to migrate the copy. `(version, the tables' SQL)`.
const STAND_INS: &[(usize, &str)] = &[(6, SQL_V6)];

/// The SQL that stands in, for a reader, for migrating from `found` to the latest version;
/// `None` when a migration in between does more than add tables.
pub fn stand_ins(found: usize) -> Option<String> {
    let tables = crate::collector::store::stand_ins_after(found, latest_version(), STAND_INS)?;
    Some(tables.concat().replace("CREATE TABLE", "CREATE TEMP TABLE"))
}

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
    // Rebuilding a table that others reference is only possible with foreign keys off (the
    // pragma is a no-op inside a transaction); each migration checks them before it commits.
    conn.execute_batch("PRAGMA foreign_keys = OFF")
        .map_err(StoreError::at("setting pragmas"))?;
    let applied = apply_migrations(conn, current, up_to.min(known));
    conn.execute_batch("PRAGMA foreign_keys = ON")
        .map_err(StoreError::at("setting pragmas"))?;
    applied
}

fn apply_migrations(conn: &mut Connection, current: usize, up_to: usize) -> Result<(), StoreError> {
    for (index, steps) in MIGRATIONS.iter().enumerate().take(up_to).skip(current) {
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
        for step in *steps {
            match step {
                Step::Sql(sql) => tx
                    .execute_batch(sql)
                    .map_err(StoreError::at("applying a schema migration"))?,
                Step::Rust(apply) => apply(&tx)?,
            }
        }
        let dangling: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
            .optional()
            .map_err(StoreError::at("checking foreign keys"))?;
        if let Some(table) = dangling {
            return Err(StoreError::at("checking foreign keys")(
                std::io::Error::other(format!(
                    "a row of {table} refers to nothing after the migration"
                )),
            ));
        }
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
        // The envelope stays the last column: the chain queries read every column before it.
        let last: String = conn
            .query_row(
                "SELECT name FROM pragma_table_info('findings') ORDER BY cid DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(last, "envelope");
        drop(conn);
        // Opening again is a no-op.
        Store::open(&path).unwrap();
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A version 2 database in which an older collector stored one finding twice (once as
    /// written, once re-indented by an inbox writer) migrates to one finding and a replay:
    /// the re-indented envelope is kept with the replay, and the replay recorded against the
    /// second copy now points at the first.
    #[test]
    fn version_2_database_with_a_reformatted_duplicate_migrates() {
        use crate::finding::chain_state::digest_hex;
        let path = temp_db("migrate-3");
        let key = crate::finding::keys::PrivateKey::generate().unwrap();
        let written = crate::finding::dsse::sign(br#"{"n":1}"#, &key)
            .to_json()
            .into_bytes();
        let value: serde_json::Value = serde_json::from_slice(&written).unwrap();
        let pretty = serde_json::to_vec_pretty(&value).unwrap();
        let other = crate::finding::dsse::sign(br#"{"n":2}"#, &key)
            .to_json()
            .into_bytes();
        {
            let mut conn = Connection::open(&path).unwrap();
            configure(&conn).unwrap();
            migrate(&mut conn, 2).unwrap();
            for (name, envelope) in [("a", &written), ("b", &other), ("c", &pretty)] {
                conn.execute(
                    "INSERT INTO findings (digest, host_id, keyid, hostname, machine_id,
                        sequence, previous, reset_reason, time, verdict, inbox_name,
                        archived_as, received_at, envelope)
                     VALUES (?1, 'ws-1', 'k1', 'h', 'ws-1', 1, NULL, NULL,
                        '2026-01-01T00:00:00Z', 'compliant', ?2, ?2, '2026-01-02T00:00:00Z',
                        ?3)",
                    params![digest_hex(envelope), name, envelope],
                )
                .unwrap();
            }
            conn.execute(
                "INSERT INTO replays (digest, file, archived_as, noticed_at)
                 VALUES (?1, 'c', 'c.1', '2026-01-03T00:00:00Z')",
                [digest_hex(&pretty)],
            )
            .unwrap();
        }
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        let findings: Vec<(String, Option<String>, Option<String>)> = conn
            .prepare("SELECT inbox_name, payload_digest, link_digest FROM findings ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            findings,
            vec![
                (
                    "a".to_string(),
                    Some(digest_hex(br#"{"n":1}"#)),
                    Some(digest_hex(&written))
                ),
                (
                    "b".to_string(),
                    Some(digest_hex(br#"{"n":2}"#)),
                    Some(digest_hex(&other))
                ),
            ]
        );
        let replays: Vec<(String, String, Option<Vec<u8>>)> = conn
            .prepare("SELECT digest, archived_as, envelope FROM replays ORDER BY archived_as")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            replays,
            vec![
                (digest_hex(&written), "c".to_string(), Some(pretty.clone())),
                (digest_hex(&written), "c.1".to_string(), None),
            ]
        );
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A reader never migrates the file: an older database opened read-only is read through
    /// a migrated copy in memory and left exactly as it was.
    #[test]
    fn an_older_database_opened_read_only_stays_as_it_was() {
        let path = temp_db("read-only-old");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate(&mut conn, 2).unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let store = Store::open_read_only(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            i64::try_from(latest_version()).unwrap()
        );
        let data = store.report_data(std::time::SystemTime::now(), 7).unwrap();
        assert_eq!(data.totals.findings, 0);
        drop(store);
        assert_eq!(std::fs::read(&path).unwrap(), before);
        let conn = Connection::open(&path).unwrap();
        assert_eq!(version(&conn).unwrap(), 2);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A database whose later migrations only add tables is read where it lies, with those
    /// tables stood in for (empty): not copied, not migrated, and its findings are there.
    #[test]
    fn a_database_a_table_behind_is_read_in_place() {
        let path = temp_db("read-only-stand-in");
        {
            let mut store = Store::open(&path).unwrap();
            let mut batch = store.batch().unwrap();
            let envelope = b"{}";
            let brief = crate::collector::brief::Written {
                brief: b"{}".to_vec(),
                evidence: b"[]".to_vec(),
            };
            assert!(batch
                .insert_finding(&crate::collector::store::NewFinding {
                    identity: "p",
                    digest: "d",
                    link_digest: "d",
                    host_id: "ws-1",
                    keyid: "k",
                    hostname: None,
                    machine_id: None,
                    sequence: 1,
                    previous: None,
                    reset_reason: None,
                    time: "2026-01-01T00:00:00Z",
                    verdict: "compliant",
                    inbox_name: b"a",
                    archived_as: b"archive/a",
                    file_id: None,
                    received_at: "2026-01-01T00:00:00Z",
                    envelope,
                    brief: Some(&brief),
                })
                .unwrap());
            batch.commit().unwrap();
        }
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "DROP TABLE finding_briefs; DROP TABLE finding_evidence; PRAGMA user_version = 5",
            )
            .unwrap();
        }
        assert!(stand_ins(5).is_some());
        assert!(stand_ins(4).is_none(), "migration 5 is not stood in for");
        let before = std::fs::read(&path).unwrap();
        let store = Store::open_read_only(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 5, "not a migrated copy");
        let data = store.report_data(std::time::SystemTime::now(), 7).unwrap();
        assert_eq!(data.totals.findings, 1);
        drop(store);
        assert_eq!(std::fs::read(&path).unwrap(), before);
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
