//! The SQLite backend: one file that is easy to back up and carry, whose transactions are
//! what makes ingest crash-safe.
//!
//! What it must not do: hold any logic beyond storing and reading rows (see `backend.rs`).

mod bundles;
mod reads;
pub mod schema;
mod writes;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::collector::chain::Link;
use crate::collector::model::RejectedFile;

use super::backend::{Backend, Batch, EnrolledKey, ImportRow, ReplayRow, StoredFinding};
use super::StoreError;

pub struct SqliteBackend {
    conn: Connection,
}

impl SqliteBackend {
    /// Opens (creating if missing) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteBackend, StoreError> {
        let mut conn = Connection::open(path).map_err(StoreError::at("opening"))?;
        configure(&conn)?;
        schema::migrate(&mut conn, schema::latest_version())?;
        Ok(SqliteBackend { conn })
    }

    /// Opens the database at `path` for reading only: the database file is never written or
    /// migrated, so a database on read-only media, or one the service owns, can be read by
    /// anyone who may read it. (In a writable folder SQLite may leave its `-wal` and `-shm`
    /// beside the file, owned like the database; on read-only media it writes nothing.)
    ///
    /// SQLite cannot read a WAL database read-only when it can neither find nor create its
    /// `-shm` file (read-only media): then the file is opened as immutable, which is what
    /// it is there. A database of an older schema is never migrated by a reader: tables that
    /// later versions only add are stood in for, empty (`schema::stand_ins`); a database
    /// older than that is copied into memory and the copy migrated.
    pub fn open_read_only(path: &Path) -> Result<SqliteBackend, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = |uri: String| -> Result<(Connection, i64), StoreError> {
            let conn =
                Connection::open_with_flags(uri, flags).map_err(StoreError::at("opening"))?;
            conn.busy_timeout(Duration::from_secs(30))
                .map_err(StoreError::at("setting the busy timeout"))?;
            // Opening is lazy: this first read is what meets a missing -shm.
            let found = schema::version(&conn)?;
            Ok((conn, found))
        };
        let (conn, found) = match open(uri(path, "mode=ro")) {
            Ok(opened) => opened,
            Err(_) => open(uri(path, "immutable=1"))?,
        };
        let known = schema::latest_version();
        match usize::try_from(found) {
            Ok(current) if current == known => Ok(SqliteBackend { conn }),
            Ok(current) if current < known => match schema::stand_ins(current) {
                Some(sql) => {
                    conn.execute_batch(&sql)
                        .map_err(StoreError::at("standing in for newer tables"))?;
                    Ok(SqliteBackend { conn })
                }
                None => {
                    let mut copy =
                        Connection::open_in_memory().map_err(StoreError::at("opening a copy"))?;
                    rusqlite::backup::Backup::new(&conn, &mut copy)
                        .and_then(|b| b.run_to_completion(1024, Duration::ZERO, None))
                        .map_err(StoreError::at("copying an older database into memory"))?;
                    copy.execute_batch("PRAGMA foreign_keys = ON;")
                        .map_err(StoreError::at("setting pragmas"))?;
                    schema::migrate(&mut copy, known)?;
                    Ok(SqliteBackend { conn: copy })
                }
            },
            _ => Err(StoreError::TooNew { found, known }),
        }
    }
}

/// An SQLite URI for `path` with `query` (the path percent-encoded, so a `?` or `#` in a
/// folder name stays part of the name).
fn uri(path: &Path, query: &str) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::from("file:");
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out.push('?');
    out.push_str(query);
    out
}

/// Connection settings every writer uses.
pub fn configure(conn: &Connection) -> Result<(), StoreError> {
    // Another collector (a --watch next to a manual run) may hold the write lock briefly.
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(StoreError::at("setting the busy timeout"))?;
    // WAL lets a report read while a collector writes. synchronous=FULL syncs the log at each
    // commit: a file is moved out of the inbox right after its commit, so a commit lost to a
    // power cut would lose the finding.
    // Envelopes are tens of KiB: with 32 KiB pages one spans two or three pages instead of
    // thirteen, which took recording's system calls and page copies down by a third (1,000
    // real findings: 2,565 -> 1,931 samples of the recording thread, database 8 % larger).
    // Only a new database takes it; an existing one keeps its page size.
    conn.execute_batch("PRAGMA page_size = 32768")
        .map_err(StoreError::at("setting pragmas"))?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .map_err(StoreError::at("switching to WAL"))?;
    // A batch of findings is a few MiB; a cache that holds it keeps SQLite from spilling
    // pages to the log before the commit and writing them twice.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768;",
    )
    .map_err(StoreError::at("setting pragmas"))?;
    Ok(())
}

impl Backend for SqliteBackend {
    fn batch(&mut self) -> Result<Box<dyn Batch + '_>, StoreError> {
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::at("starting a batch"))?;
        Ok(Box::new(writes::SqliteBatch { tx }))
    }

    fn sync_enrolled(&mut self, keys: &[EnrolledKey], now: &str) -> Result<(), StoreError> {
        writes::sync_enrolled(&mut self.conn, keys, now)
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        schema::version(&self.conn)
    }

    fn links_by_host(&self) -> Result<BTreeMap<String, Vec<Link>>, StoreError> {
        reads::links_by_host(&self.conn)
    }

    fn hostname_of(&self, id: i64) -> Result<Option<String>, StoreError> {
        reads::hostname_of(&self.conn, id)
    }

    fn replays(&self) -> Result<Vec<ReplayRow>, StoreError> {
        reads::replays(&self.conn)
    }

    fn envelope(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        reads::envelope(&self.conn, id)
    }

    fn blobs(
        &self,
        kind: crate::collector::store::backend::Blob,
        ids: &[i64],
        each: &mut crate::collector::store::backend::EachEnvelope<'_>,
    ) -> Result<(), StoreError> {
        reads::blobs(&self.conn, kind, ids, each)
    }

    fn enrolled_hosts(&self) -> Result<Vec<String>, StoreError> {
        reads::enrolled_hosts(&self.conn)
    }

    fn rejected(&self) -> Result<Vec<RejectedFile>, StoreError> {
        reads::rejected(&self.conn)
    }

    fn imports(&self) -> Result<Vec<ImportRow>, StoreError> {
        bundles::imports(&self.conn)
    }

    fn units_by_finding(&self) -> Result<BTreeMap<i64, String>, StoreError> {
        bundles::units_by_finding(&self.conn)
    }

    fn for_each_finding(
        &self,
        each: &mut dyn FnMut(StoredFinding) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        reads::for_each_finding(&self.conn, each)
    }
}
