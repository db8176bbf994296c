//! The PostgreSQL backend: one database that several collectors write into at once (each
//! with its own inbox), on a server the site already runs and backs up.
//!
//! Collectors never coordinate with each other except through the database: the unique
//! index on a finding's identity keeps it stored once, an advisory lock per batch keeps two
//! batches from interleaving (see `writes.rs`), and another advisory lock keeps two
//! collectors that start at once from migrating the schema twice (see `schema.rs`).
//!
//! What it must not do: hold any logic beyond storing and reading rows (see `backend.rs`),
//! or name the password of the URL it was given in any message.

mod bundles;
mod reads;
pub mod schema;
mod writes;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::str::FromStr;

use postgres::{Client, Config, NoTls};

use crate::collector::chain::Link;
use crate::collector::model::RejectedFile;

use super::backend::{Backend, Batch, EnrolledKey, ImportRow, ReplayRow, StoredFinding};
use super::StoreError;

pub struct PostgresBackend {
    // The client's queries take `&mut`; the read half of `Backend` takes `&self`, and a
    // backend is only ever used from one thread at a time.
    client: RefCell<Client>,
    statements: Option<writes::Statements>,
}

impl PostgresBackend {
    /// Connects to `url`, then creates or migrates the schema.
    pub fn open(url: &str) -> Result<PostgresBackend, StoreError> {
        let mut client = connect(url)?;
        // A file is moved out of the inbox right after its commit: a commit the server only
        // acknowledged from memory (a site's synchronous_commit = off) could lose the finding.
        client
            .batch_execute("SET synchronous_commit = on")
            .map_err(StoreError::at("setting synchronous_commit"))?;
        // Envelopes are JSON of tens of KiB, compressed as they are stored: with pglz, the
        // server's default, that took more time than verifying them (934 against 2,706
        // findings/s with lz4 for the same 10,000). lz4 where the server has it (14 and later,
        // built with it, as Debian's is); a server without it keeps its default, and the
        // schema is the same either way.
        if client
            .batch_execute("SET default_toast_compression = lz4")
            .is_err()
        {
            tracing::debug!(
                "the database server has no lz4; envelopes are stored with its default compression"
            );
        }
        schema::migrate(&mut client, schema::latest_version())?;
        let statements = writes::Statements::prepare(&mut client)?;
        Ok(PostgresBackend {
            client: RefCell::new(client),
            statements: Some(statements),
        })
    }

    /// Connects to `url` for reading only (report, reverify): every transaction of the
    /// session is read-only, and all reads see one snapshot, so a report taken while
    /// collectors write is still one consistent moment. The schema is never migrated by a
    /// reader: tables that later versions only add are stood in for, empty, as temporary
    /// tables (`schema::stand_ins`); an older schema than that is refused until a collect has
    /// migrated it.
    pub fn open_read_only(url: &str) -> Result<PostgresBackend, StoreError> {
        let mut client = connect(url)?;
        // Read before the snapshot: should a collect migrate in between, the stand-ins hide
        // the new tables' rows, and what they would add (briefs) is read another way.
        let found = schema::version(&mut client)?;
        let known = schema::latest_version();
        match usize::try_from(found) {
            Ok(current) if current == known => {}
            Ok(current) if current < known => {
                let Some(sql) = schema::stand_ins(current) else {
                    return Err(StoreError::at("opening for reading")(
                        std::io::Error::other(format!(
                            "the database has schema version {found}, not {known}; an \
                             isoguard-collector collect on it creates or migrates the schema"
                        )),
                    ));
                };
                client
                    .batch_execute(&sql)
                    .map_err(StoreError::at("standing in for newer tables"))?;
            }
            _ => return Err(StoreError::TooNew { found, known }),
        }
        client
            .batch_execute(
                "SET default_transaction_read_only = on;
                 START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            )
            .map_err(StoreError::at("starting a read-only transaction"))?;
        Ok(PostgresBackend {
            client: RefCell::new(client),
            statements: None,
        })
    }
}

fn connect(url: &str) -> Result<Client, StoreError> {
    let config = Config::from_str(url)
        .map_err(|e| StoreError::at("reading the database URL")(with_cause(&e)))?;
    let mut client = config
        .connect(NoTls)
        .map_err(|e| StoreError::at("connecting to the database")(with_cause(&e)))?;
    // Names and reasons are stored as text; a server encoding other than UTF-8 would refuse
    // (or alter) the characters it lacks, mid-batch.
    let encoding: String = client
        .query_one("SHOW server_encoding", &[])
        .and_then(|row| row.try_get(0))
        .map_err(StoreError::at("reading the server encoding"))?;
    if encoding != "UTF8" {
        return Err(StoreError::at("checking the server encoding")(
            std::io::Error::other(format!(
                "the database's encoding is {encoding}; create it with ENCODING 'UTF8'"
            )),
        ));
    }
    Ok(client)
}

/// The client's message with the reason under it ("invalid connection string" alone does
/// not say which part). Its reasons name an option, never its value, so no password shows.
fn with_cause(err: &postgres::Error) -> std::io::Error {
    use std::error::Error;
    let mut message = err.to_string();
    if let Some(cause) = err.source() {
        let cause = cause.to_string();
        if !message.contains(&cause) {
            message = format!("{message}: {cause}");
        }
    }
    std::io::Error::other(message)
}

impl Backend for PostgresBackend {
    fn batch(&mut self) -> Result<Box<dyn Batch + '_>, StoreError> {
        let statements = self.statements.as_ref().ok_or_else(read_only)?;
        writes::begin(self.client.get_mut(), statements)
    }

    fn sync_enrolled(&mut self, keys: &[EnrolledKey], now: &str) -> Result<(), StoreError> {
        if self.statements.is_none() {
            return Err(read_only());
        }
        writes::sync_enrolled(self.client.get_mut(), keys, now)
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        schema::version(&mut *self.client.borrow_mut())
    }

    fn links_by_host(&self) -> Result<BTreeMap<String, Vec<Link>>, StoreError> {
        reads::links_by_host(&mut self.client.borrow_mut())
    }

    fn hostname_of(&self, id: i64) -> Result<Option<String>, StoreError> {
        reads::hostname_of(&mut self.client.borrow_mut(), id)
    }

    fn replays(&self) -> Result<Vec<ReplayRow>, StoreError> {
        reads::replays(&mut self.client.borrow_mut())
    }

    fn envelope(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        reads::envelope(&mut self.client.borrow_mut(), id)
    }

    fn blobs(
        &self,
        kind: crate::collector::store::backend::Blob,
        ids: &[i64],
        each: &mut crate::collector::store::backend::EachEnvelope<'_>,
    ) -> Result<(), StoreError> {
        reads::blobs(&mut self.client.borrow_mut(), kind, ids, each)
    }

    fn enrolled_hosts(&self) -> Result<Vec<String>, StoreError> {
        reads::enrolled_hosts(&mut self.client.borrow_mut())
    }

    fn rejected(&self) -> Result<Vec<RejectedFile>, StoreError> {
        reads::rejected(&mut self.client.borrow_mut())
    }

    fn imports(&self) -> Result<Vec<ImportRow>, StoreError> {
        bundles::imports(&mut self.client.borrow_mut())
    }

    fn units_by_finding(&self) -> Result<BTreeMap<i64, String>, StoreError> {
        bundles::units_by_finding(&mut self.client.borrow_mut())
    }

    fn for_each_finding(
        &self,
        each: &mut dyn FnMut(StoredFinding) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        reads::for_each_finding(&mut self.client.borrow_mut(), each)
    }
}

fn read_only() -> StoreError {
    StoreError::at("writing")(std::io::Error::other("the database was opened read-only"))
}
