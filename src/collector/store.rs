//! The collector's database: every accepted finding, kept verbatim, plus what was refused and
//! what was replayed, and the report built from it.
//!
//! SQLite, because one file is easy to back up and carry, and its transactions are what makes
//! ingest crash-safe: a finding counts as stored once its transaction has committed, and the
//! inbox file is moved only after that. The envelope bytes are stored exactly as they arrived,
//! so a finding can be re-verified later against the trust store (`reverify`) and its digest
//! is what the next finding of the host names. The columns beside it (host, sequence, verdict)
//! are copies for querying, never the authority.
//!
//! The schema is versioned with `PRAGMA user_version`: `MIGRATIONS[i]` takes a database from
//! version `i` to `i + 1`, each step in its own transaction, so an old database is brought up
//! to date on open and a crash mid-migration leaves the previous version intact. A database
//! newer than this program is refused rather than guessed at.
//!
//! What it must not do: store a finding twice (the envelope digest is unique), change or drop
//! a stored envelope, or let anything a workstation wrote reach SQL other than as a bound
//! parameter.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::collector::chain::{self, Link};
use crate::collector::model::{
    ChainProblem, ChainProblemKind, HostRow, RejectedFile, ReportData, RuleCount, Title, Totals,
    Violation, REPORT_SCHEMA,
};
use crate::collector::trust;
use crate::finding::chain_state::digest_hex;
use crate::finding::dsse::{self, Envelope};
use crate::finding::keys::TrustedKeys;
use crate::finding::v1::{self, Status, Verdict};
use crate::time::{parse_rfc3339_utc, rfc3339_utc, unix_seconds};

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

#[derive(Debug)]
pub enum StoreError {
    /// SQLite refused; `what` says what the collector was doing.
    Sqlite {
        what: &'static str,
        source: rusqlite::Error,
    },
    /// The database was written by a newer collector.
    TooNew { found: i64, known: usize },
}

impl StoreError {
    fn at(what: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |source| StoreError::Sqlite { what, source }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite { what, source } => write!(f, "database: {what}: {source}"),
            StoreError::TooNew { found, known } => write!(
                f,
                "database schema version {found} is newer than this collector knows ({known}); \
                 use a newer isoguard-collector"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Sqlite { source, .. } => Some(source),
            StoreError::TooNew { .. } => None,
        }
    }
}

/// An open, migrated database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if missing) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path).map_err(StoreError::at("opening"))?;
        configure(&conn)?;
        migrate(&mut conn, latest_version())?;
        Ok(Store { conn })
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// Connection settings every opener uses.
pub fn configure(conn: &Connection) -> Result<(), StoreError> {
    // Another collector (a --watch next to a manual run) may hold the write lock briefly.
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(StoreError::at("setting the busy timeout"))?;
    // WAL lets a report read while a collector writes. synchronous=FULL syncs the log at each
    // commit: a file is moved out of the inbox right after its commit, so a commit lost to a
    // power cut would lose the finding.
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

/// A verified finding about to be stored.
#[derive(Debug, Clone)]
pub struct NewFinding<'a> {
    pub digest: &'a str,
    pub host_id: &'a str,
    pub keyid: &'a str,
    pub hostname: Option<&'a str>,
    pub machine_id: Option<&'a str>,
    pub sequence: i64,
    pub previous: Option<&'a str>,
    pub reset_reason: Option<&'a str>,
    pub time: &'a str,
    pub verdict: &'a str,
    pub inbox_name: &'a str,
    pub archived_as: &'a str,
    pub received_at: &'a str,
    pub envelope: &'a [u8],
}

/// Where an already stored finding came from and went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRef {
    pub inbox_name: String,
    pub archived_as: String,
}

/// The stored finding with this envelope digest, if any.
pub fn find_digest(conn: &Connection, digest: &str) -> Result<Option<StoredRef>, StoreError> {
    conn.prepare_cached("SELECT inbox_name, archived_as FROM findings WHERE digest = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([digest], |row| {
                Ok(StoredRef {
                    inbox_name: row.get(0)?,
                    archived_as: row.get(1)?,
                })
            })
            .optional()
        })
        .map_err(StoreError::at("looking up a digest"))
}

/// Stores a finding; false when its digest was already there (nothing changed).
pub fn insert_finding(tx: &Transaction<'_>, f: &NewFinding<'_>) -> Result<bool, StoreError> {
    let changed = tx
        .prepare_cached(
            "INSERT INTO findings (digest, host_id, keyid, hostname, machine_id, sequence,
                previous, reset_reason, time, verdict, inbox_name, archived_as, received_at,
                envelope)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (digest) DO NOTHING",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                f.digest,
                f.host_id,
                f.keyid,
                f.hostname,
                f.machine_id,
                f.sequence,
                f.previous,
                f.reset_reason,
                f.time,
                f.verdict,
                f.inbox_name,
                f.archived_as,
                f.received_at,
                f.envelope
            ])
        })
        .map_err(StoreError::at("storing a finding"))?;
    Ok(changed == 1)
}

/// Records that a stored finding arrived again. Recording the same archived file twice (a
/// rerun after a crash before the move) is a no-op.
pub fn insert_replay(
    tx: &Transaction<'_>,
    digest: &str,
    file: &str,
    archived_as: &str,
    noticed_at: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO replays (digest, file, archived_as, noticed_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (archived_as) DO NOTHING",
    )
    .and_then(|mut stmt| stmt.execute(params![digest, file, archived_as, noticed_at]))
    .map_err(StoreError::at("recording a replay"))?;
    Ok(())
}

/// Records a refused file under its name in `rejected/`; again a no-op when repeated.
pub fn insert_rejected(
    tx: &Transaction<'_>,
    file: &str,
    stored_as: &str,
    kind: &str,
    reason: &str,
    rejected_at: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO rejected (file, stored_as, kind, reason, rejected_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (stored_as) DO NOTHING",
    )
    .and_then(|mut stmt| stmt.execute(params![file, stored_as, kind, reason, rejected_at]))
    .map_err(StoreError::at("recording a rejected file"))?;
    Ok(())
}

/// Remembers the keys in the trust store, so the report can list enrolled hosts that never
/// reported. Keys removed from the folder stay listed: their findings are still in the store.
pub fn sync_enrolled(
    conn: &mut Connection,
    trusted: &TrustedKeys,
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
        for key in trusted.iter() {
            stmt.execute(params![key.key.keyid(), key.label, key.key.to_pem(), now])
                .map_err(StoreError::at("recording enrolled keys"))?;
        }
    }
    tx.commit()
        .map_err(StoreError::at("recording enrolled keys"))
}

/// Every stored finding as the chain sees it, by host.
pub fn links_by_host(conn: &Connection) -> Result<BTreeMap<String, Vec<Link>>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT host_id, id, digest, sequence, previous, reset_reason, time, received_at,
                    inbox_name
             FROM findings ORDER BY host_id, id",
        )
        .map_err(StoreError::at("reading the chains"))?;
    let rows = stmt
        .query_map([], |row| {
            let sequence: i64 = row.get(3)?;
            Ok((
                row.get::<_, String>(0)?,
                Link {
                    id: row.get(1)?,
                    digest: row.get(2)?,
                    // Stored only when it fitted an i64 and was not negative.
                    sequence: u64::try_from(sequence).unwrap_or(0),
                    previous: row.get(4)?,
                    reset_reason: row.get(5)?,
                    time: row.get(6)?,
                    received_at: row.get(7)?,
                    file: row.get(8)?,
                },
            ))
        })
        .map_err(StoreError::at("reading the chains"))?;
    let mut out: BTreeMap<String, Vec<Link>> = BTreeMap::new();
    for row in rows {
        let (host, link) = row.map_err(StoreError::at("reading the chains"))?;
        out.entry(host).or_default().push(link);
    }
    Ok(out)
}

/// Replay events with the host and sequence of the finding replayed.
fn replays(conn: &Connection) -> Result<Vec<(String, ChainProblem)>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT f.host_id, f.hostname, f.sequence, f.inbox_name, f.digest, r.file,
                    r.archived_as, r.noticed_at
             FROM replays r JOIN findings f ON f.digest = r.digest
             ORDER BY f.host_id, r.id",
        )
        .map_err(StoreError::at("reading replays"))?;
    let rows = stmt
        .query_map([], |row| {
            let host_id: String = row.get(0)?;
            let sequence: i64 = row.get(2)?;
            let original: String = row.get(3)?;
            let digest: String = row.get(4)?;
            let file: String = row.get(5)?;
            let archived_as: String = row.get(6)?;
            Ok((
                host_id.clone(),
                ChainProblem {
                    host_id,
                    hostname: row.get(1)?,
                    kind: ChainProblemKind::Replay,
                    sequence: u64::try_from(sequence).ok(),
                    detail: format!(
                        "{file} is the finding already stored from {original} (digest {}); \
                         kept as archive/{archived_as}, not stored again",
                        digest.get(..12).unwrap_or(&digest)
                    ),
                    noticed_at: row.get(7)?,
                },
            ))
        })
        .map_err(StoreError::at("reading replays"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::at("reading replays"))
}

/// All chain problems: computed from the stored set, plus recorded replays, by host.
pub fn chain_problems(conn: &Connection) -> Result<Vec<ChainProblem>, StoreError> {
    let links = links_by_host(conn)?;
    let mut hostname_stmt = conn
        .prepare_cached("SELECT hostname FROM findings WHERE id = ?1")
        .map_err(StoreError::at("reading host names"))?;
    let mut out = Vec::new();
    for (host, host_links) in &links {
        let analysis = chain::analyse(host_links);
        let hostname = match analysis.latest.and_then(|i| host_links.get(i)) {
            Some(latest) => hostname_stmt
                .query_row([latest.id], |row| row.get::<_, Option<String>>(0))
                .map_err(StoreError::at("reading host names"))?,
            None => None,
        };
        for p in analysis.problems {
            out.push(ChainProblem {
                host_id: host.clone(),
                hostname: hostname.clone(),
                kind: p.kind,
                sequence: p.sequence,
                detail: p.detail,
                noticed_at: p.noticed_at,
            });
        }
    }
    out.extend(replays(conn)?.into_iter().map(|(_, p)| p));
    out.sort_by(|a, b| (&a.host_id, a.sequence).cmp(&(&b.host_id, b.sequence)));
    Ok(out)
}

/// A stable key for "the same problem", to tell problems a collect run newly revealed.
pub type ProblemKey = (String, &'static str, Option<u64>, String);

pub fn problem_key(p: &ChainProblem) -> ProblemKey {
    (
        p.host_id.clone(),
        p.kind.as_str(),
        p.sequence,
        p.detail.clone(),
    )
}

pub fn problem_keys(problems: &[ChainProblem]) -> BTreeSet<ProblemKey> {
    problems.iter().map(problem_key).collect()
}

/// Decodes a stored envelope's payload without re-checking the signature (it was checked
/// before the envelope was stored; `reverify` checks again).
pub fn decode_payload(envelope: &[u8]) -> Result<v1::Finding, String> {
    let env: Envelope = serde_json::from_slice(envelope).map_err(|e| e.to_string())?;
    let payload = BASE64
        .decode(env.payload.as_bytes())
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&payload).map_err(|e| e.to_string())
}

fn title(t: &v1::Title) -> Title {
    Title {
        zh: t.zh.clone(),
        en: t.en.clone(),
    }
}

/// Everything the report shows, from the database alone.
///
/// Hosts are those whose keys were enrolled when a collect ran (remembered in the database,
/// so the trust folder is not needed here) together with every host that has stored findings.
/// A host's latest finding is the one with the highest sequence in its most recent chain (see
/// `chain::analyse`); its verdict, failed rules and evidence are what the report shows. A host
/// is stale when that finding's time (the host's clock) is more than `stale_days` before
/// `now`, or when it never sent one.
pub fn report_data(
    conn: &Connection,
    now: SystemTime,
    stale_days: u32,
) -> Result<ReportData, StoreError> {
    let links = links_by_host(conn)?;
    let mut host_ids: BTreeSet<String> = links.keys().cloned().collect();
    {
        let mut stmt = conn
            .prepare("SELECT DISTINCT host_id FROM enrolled_keys")
            .map_err(StoreError::at("reading enrolled hosts"))?;
        let rows = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(StoreError::at("reading enrolled hosts"))?;
        for row in rows {
            host_ids.insert(row.map_err(StoreError::at("reading enrolled hosts"))?);
        }
    }

    let now_secs = unix_seconds(now);
    let stale_after = i64::from(stale_days) * 86_400;
    let mut envelope_stmt = conn
        .prepare_cached("SELECT envelope FROM findings WHERE id = ?1")
        .map_err(StoreError::at("reading a finding"))?;

    let mut totals = Totals::default();
    let mut hosts = Vec::with_capacity(host_ids.len());
    let mut violations = Vec::new();
    let mut by_rule: BTreeMap<String, RuleCount> = BTreeMap::new();
    let mut chain_problems = Vec::new();

    for host_id in &host_ids {
        let host_links = links.get(host_id).map(Vec::as_slice).unwrap_or_default();
        let analysis = chain::analyse(host_links);
        let latest = match analysis.latest.and_then(|i| host_links.get(i)) {
            Some(link) => {
                let envelope: Vec<u8> = envelope_stmt
                    .query_row([link.id], |row| row.get(0))
                    .map_err(StoreError::at("reading a finding"))?;
                // Stored envelopes were decoded before they were stored; one that no longer
                // decodes is shown as a host with an unreadable latest finding, and reverify
                // names it.
                decode_payload(&envelope).ok().map(|f| (link, f))
            }
            None => None,
        };

        let mut row = HostRow {
            host_id: host_id.clone(),
            hostname: None,
            machine_id: None,
            last_time: None,
            last_verdict: None,
            policy_id: None,
            policy_version: None,
            agent_version: None,
            last_sequence: None,
            findings: u64::try_from(host_links.len()).unwrap_or(u64::MAX),
            stale: true,
            failed_rules: Vec::new(),
        };
        if let Some((link, finding)) = &latest {
            let when =
                parse_rfc3339_utc(&finding.time).or_else(|| parse_rfc3339_utc(&link.received_at));
            row.stale = when.is_none_or(|t| now_secs.saturating_sub(t) > stale_after);
            row.hostname = finding.host.hostname.clone();
            row.machine_id = finding.host.machine_id.clone();
            row.last_time = Some(finding.time.clone());
            row.last_verdict = Some(finding.verdict.clone());
            row.policy_id = finding.policy.id.clone();
            row.policy_version = finding.policy.version.clone();
            row.agent_version = Some(finding.host.agent_version.clone());
            row.last_sequence = Some(finding.sequence);
            match finding.verdict.known() {
                Some(Verdict::Compliant) => totals.compliant += 1,
                Some(Verdict::Violation) => totals.violation += 1,
                // An error, or a verdict this collector does not know: not compliant.
                _ => totals.error += 1,
            }
            for result in finding.results.iter().filter(|r| r.status.is(Status::Fail)) {
                row.failed_rules.push(result.rule.clone());
                violations.push(Violation {
                    host_id: host_id.clone(),
                    hostname: finding.host.hostname.clone(),
                    time: finding.time.clone(),
                    sequence: finding.sequence,
                    rule: result.rule.clone(),
                    title: title(&result.title),
                    severity: result.severity.clone(),
                    evidence: result.evidence.clone(),
                });
                by_rule
                    .entry(result.rule.clone())
                    .or_insert_with(|| RuleCount {
                        rule: result.rule.clone(),
                        title: title(&result.title),
                        severity: result.severity.clone(),
                        hosts: 0,
                        remediation: Some(title(&result.remediation)),
                    })
                    .hosts += 1;
            }
        }
        if row.stale {
            totals.stale += 1;
        }
        for p in analysis.problems {
            chain_problems.push(ChainProblem {
                host_id: host_id.clone(),
                hostname: row.hostname.clone(),
                kind: p.kind,
                sequence: p.sequence,
                detail: p.detail,
                noticed_at: p.noticed_at,
            });
        }
        hosts.push(row);
    }

    chain_problems.extend(replays(conn)?.into_iter().map(|(_, p)| p));
    chain_problems.sort_by(|a, b| (&a.host_id, a.sequence).cmp(&(&b.host_id, b.sequence)));

    let rejected = {
        let mut stmt = conn
            .prepare("SELECT file, stored_as, reason, rejected_at FROM rejected ORDER BY id")
            .map_err(StoreError::at("reading rejected files"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(RejectedFile {
                    file: row.get(0)?,
                    stored_as: row.get(1)?,
                    reason: row.get(2)?,
                    rejected_at: row.get(3)?,
                })
            })
            .map_err(StoreError::at("reading rejected files"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::at("reading rejected files"))?
    };

    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    totals.hosts = count(hosts.len());
    totals.findings = count(links.values().map(Vec::len).sum());
    totals.rejected = count(rejected.len());
    totals.chain_problems = count(chain_problems.len());

    let mut by_rule: Vec<RuleCount> = by_rule.into_values().collect();
    by_rule.sort_by(|a, b| b.hosts.cmp(&a.hosts).then_with(|| a.rule.cmp(&b.rule)));

    Ok(ReportData {
        schema: REPORT_SCHEMA.to_string(),
        generated_at: rfc3339_utc(now),
        stale_days,
        totals,
        hosts,
        violations,
        by_rule,
        chain_problems,
        rejected,
    })
}

/// One stored finding that no longer checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReverifyFailure {
    pub id: i64,
    pub host_id: String,
    pub file: String,
    pub reason: String,
}

/// Re-checks every stored envelope against `trusted`: its digest, its signature, that the key
/// is still enrolled for the host it was filed under, that it may speak for the host it
/// names, and that the stored copies of its chain fields match. Calls `failed` for each one
/// that does not, and returns how many were checked.
pub fn reverify(
    conn: &Connection,
    trusted: &TrustedKeys,
    mut failed: impl FnMut(ReverifyFailure),
) -> Result<u64, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT id, digest, host_id, sequence, previous, inbox_name, envelope
             FROM findings ORDER BY id",
        )
        .map_err(StoreError::at("reading findings"))?;
    let mut rows = stmt.query([]).map_err(StoreError::at("reading findings"))?;
    let mut checked = 0u64;
    while let Some(row) = rows.next().map_err(StoreError::at("reading findings"))? {
        let read = |row: &rusqlite::Row<'_>| -> rusqlite::Result<_> {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, Vec<u8>>(6)?,
            ))
        };
        let (id, digest, host_id, sequence, previous, file, envelope) =
            read(row).map_err(StoreError::at("reading findings"))?;
        checked += 1;
        let problem = check_stored(&envelope, trusted, &digest, &host_id, sequence, &previous);
        if let Err(reason) = problem {
            failed(ReverifyFailure {
                id,
                host_id,
                file,
                reason,
            });
        }
    }
    Ok(checked)
}

fn check_stored(
    envelope: &[u8],
    trusted: &TrustedKeys,
    digest: &str,
    host_id: &str,
    sequence: i64,
    previous: &Option<String>,
) -> Result<(), String> {
    if digest_hex(envelope) != digest {
        return Err("stored envelope does not match its recorded digest".to_string());
    }
    let verified = dsse::verify(envelope, trusted).map_err(|e| e.to_string())?;
    if verified.label != host_id {
        return Err(format!(
            "signed by key enrolled as {}, but stored for host {host_id}",
            verified.label
        ));
    }
    let finding: v1::Finding = serde_json::from_slice(&verified.payload)
        .map_err(|e| format!("payload is not a v1 finding: {e}"))?;
    if finding.schema != v1::SCHEMA {
        return Err(format!(
            "unknown schema {}",
            crate::text::display_safe(&finding.schema, 64)
        ));
    }
    trust::check_binding(&verified.label, &finding.host)?;
    if i64::try_from(finding.sequence).ok() != Some(sequence) || &finding.previous != previous {
        return Err("stored sequence or previous digest differs from the signed payload".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let conn = store.conn();
        assert_eq!(
            version(conn).unwrap(),
            i64::try_from(latest_version()).unwrap()
        );
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
        // Opening again is a no-op.
        drop(store);
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
