//! The contract between the collector and a database: the few operations ingest, the report
//! and reverify need, and the guarantees every backend must keep.
//!
//! Ingest, the chain analysis, the report and reverify are written against these traits only;
//! `sqlite/` and `postgres/` (several collectors writing into one database at once) implement
//! them, and neither is known to any caller.
//!
//! What every backend must guarantee:
//! - **exactly once**: a finding's identity (see [`NewFinding::identity`]) is unique in the
//!   store, enforced by the database itself (a unique index), so two batches racing to store
//!   the same finding, in one process or in two collectors, store it once; the loser's
//!   [`Batch::insert_finding`] returns `false` and records nothing;
//! - **all or nothing per batch**: nothing a [`Batch`] wrote is visible to others until
//!   [`Batch::commit`] returns, and it is durable when it does (the caller moves inbox files
//!   only after that);
//! - **verbatim envelopes**: the bytes given are the bytes read back, never re-encoded;
//! - **bound parameters only**: nothing a workstation wrote is ever part of SQL text.
//!
//! What it must not do: decide anything. Which finding is a host's latest, what is a gap or a
//! replay, what a report shows: that is the backend-neutral code beside this file.

use std::collections::BTreeMap;

pub use crate::collector::brief::Written;
use crate::collector::chain::Link;
use crate::collector::model::RejectedFile;

use super::StoreError;

/// A verified finding about to be stored.
#[derive(Debug, Clone)]
pub struct NewFinding<'a> {
    /// What makes two arrivals the same finding (`Identity::payload`); unique in the store.
    pub identity: &'a str,
    /// Hex SHA-256 of `envelope`, the bytes as they arrived.
    pub digest: &'a str,
    /// What the host's next finding names as `previous` (`Identity::link`).
    pub link_digest: &'a str,
    pub host_id: &'a str,
    pub keyid: &'a str,
    pub hostname: Option<&'a str>,
    pub machine_id: Option<&'a str>,
    pub sequence: i64,
    pub previous: Option<&'a str>,
    pub reset_reason: Option<&'a str>,
    pub time: &'a str,
    pub verdict: &'a str,
    /// File names as bytes: the file system's names need not be UTF-8.
    pub inbox_name: &'a [u8],
    pub archived_as: &'a [u8],
    /// (device, inode) of the inbox file that was read; none for a finding imported from a
    /// bundle.
    pub file_id: Option<(u64, u64)>,
    pub received_at: &'a str,
    pub envelope: &'a [u8],
    /// What the report reads of it (`collector::brief`), stored beside the envelope; without
    /// one the report reads the envelope.
    pub brief: Option<&'a Written>,
}

/// Where an already stored finding came from and went.
///
/// Names are kept twice: as bytes, which is what is compared and unique, and as text for
/// people (bytes that are not UTF-8 shown as `\xNN`), which two different names may share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRef {
    pub inbox_name: Vec<u8>,
    pub archived_as: Vec<u8>,
    /// (device, inode) of the file it was read from; unknown for findings stored before
    /// schema version 4.
    pub file_id: Option<(u64, u64)>,
}

/// A stored finding that arrived again.
#[derive(Debug, Clone)]
pub struct NewReplay<'a> {
    /// The identity of the stored finding it repeats.
    pub identity: &'a str,
    pub file: &'a [u8],
    pub archived_as: &'a [u8],
    pub noticed_at: &'a str,
    /// The envelope as it arrived this time, kept as evidence of what was delivered.
    pub envelope: &'a [u8],
}

/// A file refused at ingest.
#[derive(Debug, Clone)]
pub struct NewRejected<'a> {
    pub file: &'a [u8],
    /// `rejected/<name>`.
    pub stored_as: &'a [u8],
    pub kind: &'a str,
    pub reason: &'a str,
    pub rejected_at: &'a str,
}

/// A bundle from a unit below, as it is recorded when its import starts.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    pub unit: &'a str,
    pub sequence: i64,
    /// Hex SHA-256 of the bundle file.
    pub digest: &'a str,
    /// The digest of the unit's bundle before it, as its manifest names it.
    pub previous: Option<&'a str>,
    pub created_at: &'a str,
    /// How many findings the manifest says the bundle carries.
    pub findings: i64,
    /// The bundle's file name, for people.
    pub file: &'a str,
    pub imported_at: &'a str,
    /// The signed manifest, verbatim: the unit's own statement of what it sent.
    pub manifest: &'a [u8],
}

/// A bundle this collector wrote, recorded with the findings it carried.
#[derive(Debug, Clone)]
pub struct NewExport<'a> {
    pub unit: &'a str,
    pub sequence: i64,
    pub digest: &'a str,
    pub previous: Option<&'a str>,
    pub created_at: &'a str,
    /// What was asked for, in words (`since-last`, or the period).
    pub selection: &'a str,
    pub file: &'a str,
    pub manifest: &'a [u8],
}

/// Which stored findings an export carries, by when this collector stored them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every finding no earlier bundle carried.
    SinceLast,
    /// Stored at or after `from` and before `to` (RFC 3339 UTC; either end open).
    Period {
        from: Option<String>,
        to: Option<String>,
    },
}

/// A stored finding as an export carries it.
#[derive(Debug, Clone)]
pub struct ExportItem {
    pub id: i64,
    pub host_id: String,
    pub inbox_name: String,
    pub received_at: String,
    pub envelope: Vec<u8>,
}

/// A recorded import, as the report lists a unit's bundles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub unit: String,
    pub sequence: i64,
    pub digest: String,
    pub previous: Option<String>,
    pub created_at: String,
    pub findings: i64,
    pub stored: i64,
    pub refused: i64,
    pub file: String,
    pub imported_at: String,
}

/// A recorded replay, with the host and sequence of the finding it repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayRow {
    pub host_id: String,
    pub hostname: Option<String>,
    pub sequence: i64,
    /// Inbox name of the stored original.
    pub original: String,
    pub digest: String,
    pub file: String,
    pub archived_as: String,
    pub noticed_at: String,
}

/// A stored finding as reverify reads it.
#[derive(Debug, Clone)]
pub struct StoredFinding {
    pub id: i64,
    pub digest: String,
    pub host_id: String,
    pub sequence: i64,
    pub previous: Option<String>,
    pub payload_digest: Option<String>,
    pub link_digest: Option<String>,
    pub inbox_name: String,
    pub envelope: Vec<u8>,
    /// Its stored brief and evidence, each as found (either may be missing).
    pub brief: Option<Vec<u8>>,
    pub evidence: Option<Vec<u8>>,
}

/// A key of the trust store, as the report remembers it.
#[derive(Debug, Clone)]
pub struct EnrolledKey {
    pub keyid: String,
    pub host_id: String,
    pub public_key_pem: String,
}

/// One transaction of ingest: look-ups and inserts that become visible together at commit.
pub trait Batch {
    /// The stored finding with this identity, if any (including ones stored earlier in this
    /// batch).
    fn find(&mut self, identity: &str) -> Result<Option<StoredRef>, StoreError>;
    /// Stores a finding; `false` when its identity was already stored (nothing changed).
    fn insert_finding(&mut self, finding: &NewFinding<'_>) -> Result<bool, StoreError>;
    /// Records a replay; recording the same archived file twice is a no-op.
    fn insert_replay(&mut self, replay: &NewReplay<'_>) -> Result<(), StoreError>;
    /// Records a refused file; recording the same `stored_as` twice is a no-op.
    fn insert_rejected(&mut self, rejected: &NewRejected<'_>) -> Result<(), StoreError>;
    /// When the bundle with this digest was imported, if it was.
    fn imported_at(&mut self, digest: &str) -> Result<Option<String>, StoreError>;
    /// Records an import about to be stored; its id, or `None` when a bundle with this
    /// digest is already recorded (another import of it committed first).
    fn insert_import(&mut self, import: &NewImport<'_>) -> Result<Option<i64>, StoreError>;
    /// Notes that the stored finding with this identity arrived in this import, unless an
    /// earlier import already brought it.
    fn attach_to_import(&mut self, identity: &str, import_id: i64) -> Result<(), StoreError>;
    /// An import's final counts.
    fn finish_import(
        &mut self,
        import_id: i64,
        stored: i64,
        refused: i64,
    ) -> Result<(), StoreError>;
    /// The last bundle this collector wrote: its sequence and digest.
    fn last_export(&mut self) -> Result<Option<(i64, String)>, StoreError>;
    /// Ids of the findings `selection` picks, in storage order.
    fn export_candidates(&mut self, selection: &Selection) -> Result<Vec<i64>, StoreError>;
    /// The findings with these ids, in the same order.
    fn export_items(&mut self, ids: &[i64]) -> Result<Vec<ExportItem>, StoreError>;
    /// Records a written bundle and the findings it carried (a finding keeps the first
    /// bundle that carried it).
    fn insert_export(&mut self, export: &NewExport<'_>, findings: &[i64])
        -> Result<(), StoreError>;
    /// Makes the batch durable and visible.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Which stored bytes of a finding [`Backend::blobs`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blob {
    Envelope,
    /// Its brief (`collector::brief`), for findings stored at schema 6 or later.
    Brief,
    /// The evidence stored with its brief.
    Evidence,
}

/// What [`Backend::blobs`] calls with each finding's id and envelope (borrowed: the
/// caller copies what it keeps).
pub type EachEnvelope<'a> = dyn FnMut(i64, &[u8]) -> Result<(), StoreError> + 'a;

/// A findings database.
pub trait Backend {
    /// Starts a batch; dropping it without `commit` rolls it back.
    fn batch(&mut self) -> Result<Box<dyn Batch + '_>, StoreError>;
    /// Remembers the keys of the trust store (insert or update by key id).
    fn sync_enrolled(&mut self, keys: &[EnrolledKey], now: &str) -> Result<(), StoreError>;
    /// The schema version of the database.
    fn schema_version(&self) -> Result<i64, StoreError>;
    /// Every stored finding as the chain sees it, by host, each host's in arrival order.
    fn links_by_host(&self) -> Result<BTreeMap<String, Vec<Link>>, StoreError>;
    /// The host name a stored finding claims.
    fn hostname_of(&self, id: i64) -> Result<Option<String>, StoreError>;
    /// Recorded replays, by host, then in the order they were noticed.
    fn replays(&self) -> Result<Vec<ReplayRow>, StoreError>;
    /// The stored envelope of a finding.
    fn envelope(&self, id: i64) -> Result<Vec<u8>, StoreError>;
    /// Calls `each` with the `kind` blob of every finding in `ids` that has one, in any
    /// order: the report reads one per host, and one round trip per host is what a server
    /// database makes slow.
    fn blobs(&self, kind: Blob, ids: &[i64], each: &mut EachEnvelope<'_>)
        -> Result<(), StoreError>;
    /// Host identities of every key ever enrolled.
    fn enrolled_hosts(&self) -> Result<Vec<String>, StoreError>;
    /// Refused files, in the order they were refused.
    fn rejected(&self) -> Result<Vec<RejectedFile>, StoreError>;
    /// Imported bundles, by unit, then sequence, then import order.
    fn imports(&self) -> Result<Vec<ImportRow>, StoreError>;
    /// The unit each imported finding first came through, by finding id.
    fn units_by_finding(&self) -> Result<BTreeMap<i64, String>, StoreError>;
    /// Calls `each` for every stored finding in storage order; returns how many.
    fn for_each_finding(
        &self,
        each: &mut dyn FnMut(StoredFinding) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError>;
}
