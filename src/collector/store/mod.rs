//! The collector's database: every accepted finding, kept verbatim, plus what was refused and
//! what was replayed, and the report built from it.
//!
//! A finding counts as stored once its batch has committed, and the inbox file is moved only
//! after that: that order is what makes ingest crash-safe. The envelope bytes are stored
//! exactly as they arrived, so a finding can be re-verified later against the trust store
//! (`reverify`). The columns beside it (host, sequence, verdict) are copies for querying,
//! never the authority.
//!
//! How it is split: `backend.rs` is the contract a database implements (a batch of inserts,
//! a handful of reads) and the guarantees it must keep; `sqlite/` (one file, the default)
//! and `postgres/` (a server that several collectors may share) are the two backends, each
//! with its schema and migrations, writes and reads, and both at the same schema version.
//! `spec.rs` tells which one `--db` names. `chains.rs`, `report_data.rs` and `reverify.rs`
//! are the backend-neutral logic on top: whichever database holds the rows, the chain
//! problems and the report are computed by the same code.
//!
//! What it must not do: store a finding twice, change or drop a stored envelope, or let
//! anything a workstation wrote reach SQL other than as a bound parameter.

pub mod backend;
mod chains;
pub mod postgres;
mod report_data;
mod reverify;
mod spec;
pub mod sqlite;
mod units;

use std::fmt;
use std::time::SystemTime;

use crate::collector::model::{ChainProblem, ReportData};
use crate::finding::keys::TrustedKeys;
use crate::i18n::{Msg, Phrase};

pub use backend::{
    Batch, ExportItem, ImportRow, NewExport, NewFinding, NewImport, NewRejected, NewReplay,
    Selection, StoredRef,
};
pub use chains::{problem_key, problem_keys, ProblemKey};
pub use report_data::{decode_payload, EvidenceRows};
pub use reverify::ReverifyFailure;
pub use spec::DbSpec;
pub use sqlite::schema::latest_version;

use backend::{Backend, EnrolledKey};

#[derive(Debug)]
pub enum StoreError {
    /// The database refused; `what` says what the collector was doing.
    Database {
        what: &'static str,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database was written by a newer collector.
    TooNew { found: i64, known: usize },
}

impl StoreError {
    pub(crate) fn at<E: std::error::Error + Send + Sync + 'static>(
        what: &'static str,
    ) -> impl FnOnce(E) -> StoreError {
        move |source| StoreError::Database {
            what,
            source: Box::new(source),
        }
    }
}

impl StoreError {
    /// The database's own words stay as they are: they come in English only.
    pub fn phrase(&self) -> Phrase {
        match self {
            StoreError::Database { what, source } => Phrase::new(Msg::CollectorDatabase)
                .arg("step", what)
                .arg("error", source),
            StoreError::TooNew { found, known } => Phrase::new(Msg::CollectorTooNew)
                .arg("found", found)
                .arg("known", known),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.phrase().en())
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Database { source, .. } => Some(source.as_ref()),
            StoreError::TooNew { .. } => None,
        }
    }
}

/// An open, migrated findings database.
pub struct Store {
    db: Box<dyn Backend>,
}

impl Store {
    /// Opens (creating if missing) and migrates the database `db` names: an SQLite file, or
    /// a PostgreSQL database (whose schema is created on first use).
    pub fn open(db: impl Into<DbSpec>) -> Result<Store, StoreError> {
        let db: Box<dyn Backend> = match db.into() {
            DbSpec::Sqlite(path) => Box::new(sqlite::SqliteBackend::open(&path)?),
            DbSpec::Postgres(url) => Box::new(postgres::PostgresBackend::open(&url)?),
        };
        Ok(Store { db })
    }

    /// Opens the database `db` names for reading only (report, reverify): nothing is
    /// written, so read-only media, other users' databases and read-only database roles do.
    pub fn open_read_only(db: impl Into<DbSpec>) -> Result<Store, StoreError> {
        let db: Box<dyn Backend> = match db.into() {
            DbSpec::Sqlite(path) => Box::new(sqlite::SqliteBackend::open_read_only(&path)?),
            DbSpec::Postgres(url) => Box::new(postgres::PostgresBackend::open_read_only(&url)?),
        };
        Ok(Store { db })
    }

    /// Starts an ingest batch; nothing it writes is visible or durable before its commit.
    pub fn batch(&mut self) -> Result<Box<dyn Batch + '_>, StoreError> {
        self.db.batch()
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.db.schema_version()
    }

    /// Remembers the keys in the trust store, so the report can list enrolled hosts that never
    /// reported. Keys removed from the folder stay listed: their findings are still in the
    /// store.
    pub fn sync_enrolled(&mut self, trusted: &TrustedKeys, now: &str) -> Result<(), StoreError> {
        let keys: Vec<EnrolledKey> = trusted
            .iter()
            .map(|key| EnrolledKey {
                keyid: key.key.keyid(),
                host_id: key.label.clone(),
                public_key_pem: key.key.to_pem(),
            })
            .collect();
        self.db.sync_enrolled(&keys, now)
    }

    /// All chain problems: computed from the stored set, plus recorded replays, by host.
    pub fn chain_problems(&self) -> Result<Vec<ChainProblem>, StoreError> {
        chains::chain_problems(self.db.as_ref())
    }

    /// Everything the report shows, from the database alone.
    ///
    /// Hosts are those whose keys were enrolled when a collect ran (remembered in the
    /// database, so the trust folder is not needed here) together with every host that has
    /// stored findings. A host's latest finding is the one `chain::analyse` names; its
    /// verdict, failed rules and evidence are what the report shows. A host is stale when
    /// that finding's time (the host's clock) is more than `stale_days` before `now`, or when
    /// it never sent one.
    pub fn report_data(&self, now: SystemTime, stale_days: u32) -> Result<ReportData, StoreError> {
        report_data::report_data(self.db.as_ref(), now, stale_days, EvidenceRows::All)
    }

    /// [`Store::report_data`] for a page that shows the first `rows` rows of device evidence
    /// (in [`Violation::display_order`](crate::collector::model::Violation::display_order)):
    /// only those are read, and each violation after them carries its device count in
    /// `evidence_left_out` instead.
    pub fn report_data_for_page(
        &self,
        now: SystemTime,
        stale_days: u32,
        rows: usize,
    ) -> Result<ReportData, StoreError> {
        report_data::report_data(self.db.as_ref(), now, stale_days, EvidenceRows::First(rows))
    }

    /// Re-checks every stored envelope against `trusted`; calls `failed` for each that no
    /// longer checks out and returns how many were checked.
    pub fn reverify(
        &self,
        trusted: &TrustedKeys,
        mut failed: impl FnMut(ReverifyFailure),
    ) -> Result<u64, StoreError> {
        reverify::reverify(self.db.as_ref(), trusted, &mut failed)
    }
}

/// For a reader of a database at version `found`: the SQL standing in for each version after
/// it up to `latest`, from a backend's `(version, SQL)` list (`sqlite::schema::stand_ins`);
/// `None` when a version in between has none (it does more than add tables).
pub(crate) fn stand_ins_after(
    found: usize,
    latest: usize,
    stand_ins: &[(usize, &'static str)],
) -> Option<Vec<&'static str>> {
    (found + 1..=latest)
        .map(|version| {
            stand_ins
                .iter()
                .find(|(v, _)| *v == version)
                .map(|(_, sql)| *sql)
        })
        .collect()
}
