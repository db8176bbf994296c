//! Taking findings in: each file in the inbox is checked, then stored and archived, or refused
//! and set aside with its reason.
//!
//! The inbox may be a share or carried media that anyone along the way could have written to,
//! so every file is treated as hostile until its signature, its signer's enrolment and its
//! claimed host agree. Order is what makes a crash harmless: a file is verified, its row is
//! committed, and only then is it moved to `archive/` (or `rejected/`). A crash before the
//! commit leaves the file in the inbox to be taken again; a crash after it leaves a file whose
//! digest is already stored under the same inbox name while its archive name is still free
//! (or already holds this very file), which the next run recognises and simply finishes moving,
//! so every finding is stored exactly once and none is lost. Commits cover a batch of files to
//! keep SQLite's per-commit sync off the per-file cost; the moves of a batch follow its commit.
//!
//! What it must not do: delete anything (a file leaves the inbox only by being moved, and
//! `archive/` and `rejected/` are never overwritten: a taken name gets a numeric suffix),
//! follow a symlink or open a FIFO or device put in the inbox, read more than the size limit,
//! touch the agent's hidden temporary files, or store a finding whose signer may not speak
//! for the host it names.

use std::collections::{BTreeMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, FileType, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::collector::store::{NewFinding, NewRejected, NewReplay, Store, StoreError};
use crate::collector::trust;
use crate::files::{self, Links, ReadError};
use crate::finding::chain_state::digest_hex;
use crate::finding::dsse::{self, VerifyError, MAX_ENVELOPE_BYTES};
use crate::finding::keys::TrustedKeys;
use crate::finding::v1;
use crate::time::rfc3339_utc;

/// Default size limit of one inbox file.
pub const DEFAULT_MAX_SIZE: u64 = 4 * 1024 * 1024;

/// Files per transaction: large enough that SQLite's commit sync is a small share of the
/// work, small enough that a batch is verified in a fraction of a second, so a stop request
/// is honoured quickly.
pub const DEFAULT_BATCH: usize = 500;

/// Subfolders of the inbox; they are never scanned as inbox files.
pub const ARCHIVE_DIR: &str = "archive";
pub const REJECTED_DIR: &str = "rejected";

/// Why a file was refused. The name starts the `.reason` file and groups the summary.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum RejectKind {
    #[serde(rename = "not-a-regular-file")]
    NotRegularFile,
    TooLarge,
    Unreadable,
    Malformed,
    UnknownSchema,
    UnknownKey,
    BadSignature,
    HostMismatch,
}

crate::vocab::unit_names!(RejectKind);

/// How to run one pass over the inbox.
#[derive(Debug, Clone)]
pub struct Options {
    pub inbox: PathBuf,
    /// Files larger than this are refused unread; at most [`MAX_ENVELOPE_BYTES`].
    pub max_size: u64,
    /// Files per transaction.
    pub batch: usize,
    /// When set, files modified more recently than this are left for a later pass unless they
    /// are known complete: a copy that is not atomic (`cp` onto a share) may still be growing.
    pub settle: Option<Duration>,
    /// Show a progress bar (on stderr) when the pass has more than 50 files.
    pub progress: bool,
}

impl Options {
    pub fn new(inbox: impl Into<PathBuf>) -> Options {
        Options {
            inbox: inbox.into(),
            max_size: DEFAULT_MAX_SIZE,
            batch: DEFAULT_BATCH,
            settle: None,
            progress: false,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Findings stored for the first time.
    pub stored: u64,
    /// Files whose finding an interrupted earlier run had already stored; now archived.
    pub completed: u64,
    /// Findings that were already stored (replays), archived under a suffixed name.
    pub duplicates: u64,
    pub rejected: BTreeMap<RejectKind, u64>,
    /// Each refused file and why, in inbox order.
    pub rejected_files: Vec<(String, String)>,
    /// Files left for a later pass (still settling).
    pub deferred: u64,
    /// The pass stopped early because a stop was requested.
    pub stopped: bool,
}

impl Outcome {
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// `stored 3, duplicates 1, rejected 2 (bad-signature 1, host-mismatch 1)`.
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "stored {}, duplicates {}, rejected {}",
            self.stored,
            self.duplicates,
            self.rejected_total()
        );
        if !self.rejected.is_empty() {
            let parts: Vec<String> = self
                .rejected
                .iter()
                .map(|(kind, n)| format!("{} {n}", kind.as_str()))
                .collect();
            line.push_str(&format!(" ({})", parts.join(", ")));
        }
        if self.completed > 0 {
            line.push_str(&format!(
                "; {} already stored by an interrupted run, now archived",
                self.completed
            ));
        }
        line
    }

    /// Adds another pass's counts to this one.
    pub fn add(&mut self, other: Outcome) {
        self.stored += other.stored;
        self.completed += other.completed;
        self.duplicates += other.duplicates;
        for (kind, n) in other.rejected {
            *self.rejected.entry(kind).or_default() += n;
        }
        self.rejected_files.extend(other.rejected_files);
        self.deferred += other.deferred;
        self.stopped |= other.stopped;
    }
}

/// Why a pass could not go on. Files already handled stay handled.
#[derive(Debug)]
pub enum IngestError {
    Io {
        path: PathBuf,
        step: &'static str,
        source: io::Error,
    },
    Store(StoreError),
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IngestError::Io { path, step, source } => write!(
                f,
                "'{}': {step}: {}",
                path.display(),
                files::os_reason(source)
            ),
            IngestError::Store(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for IngestError {}

impl From<StoreError> for IngestError {
    fn from(err: StoreError) -> Self {
        IngestError::Store(err)
    }
}

fn io_err<'a>(path: &'a Path, step: &'static str) -> impl FnOnce(io::Error) -> IngestError + 'a {
    move |source| IngestError::Io {
        path: path.to_path_buf(),
        step,
        source,
    }
}

/// Creates `archive/` and `rejected/` in the inbox if missing.
pub fn prepare_inbox(inbox: &Path) -> Result<(), IngestError> {
    for sub in [ARCHIVE_DIR, REJECTED_DIR] {
        let dir = inbox.join(sub);
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                let meta = fs::symlink_metadata(&dir).map_err(io_err(&dir, "inspecting"))?;
                if !meta.is_dir() {
                    return Err(IngestError::Io {
                        path: dir,
                        step: "expected a folder",
                        source: io::Error::new(io::ErrorKind::AlreadyExists, "not a directory"),
                    });
                }
            }
            Err(source) => {
                return Err(IngestError::Io {
                    path: dir,
                    step: "creating",
                    source,
                })
            }
        }
    }
    Ok(())
}

/// The inbox files a pass looks at, sorted by name (the agent's names sort by time).
fn list_inbox(inbox: &Path) -> Result<Vec<(OsString, Option<FileType>)>, IngestError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(inbox).map_err(io_err(inbox, "listing the inbox"))? {
        let entry = entry.map_err(io_err(inbox, "listing the inbox"))?;
        let name = entry.file_name();
        if name.as_encoded_bytes().first() == Some(&b'.') {
            continue;
        }
        let file_type = entry.file_type().ok();
        if (name == ARCHIVE_DIR || name == REJECTED_DIR) && file_type.is_some_and(|t| t.is_dir()) {
            continue;
        }
        names.push((name, file_type));
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(names)
}

/// A file that passed every check.
#[derive(Debug)]
struct Accepted {
    digest: String,
    envelope: Vec<u8>,
    label: String,
    keyid: String,
    hostname: Option<String>,
    machine_id: Option<String>,
    sequence: i64,
    previous: Option<String>,
    reset_reason: Option<String>,
    time: String,
    verdict: String,
    /// (device, inode) of the inbox file as read.
    identity: (u64, u64),
}

#[derive(Debug)]
enum Examined {
    /// Gone between listing and opening (another collector took it).
    Gone,
    Deferred,
    Rejected(RejectKind, String),
    Accepted(Box<Accepted>),
}

/// `v1::Finding` as ingest checks it: every field with the same types and defaults, except
/// that the embedded inventory and probe results are checked to be JSON and skipped rather
/// than built into trees. v1 is frozen, so the two cannot drift apart; building and freeing
/// those trees was most of the cost of taking a finding in. The report decodes the full
/// `v1::Finding` from the stored envelope.
#[derive(Deserialize)]
#[allow(dead_code)] // why: fields are read only to check their shape
struct FindingCheck {
    schema: String,
    host: v1::Host,
    time: String,
    trigger: v1::Open<v1::Trigger>,
    policy: v1::PolicyRef,
    verdict: v1::Open<v1::Verdict>,
    summary: v1::Summary,
    results: Vec<v1::RuleResult>,
    #[serde(default)]
    errors: Vec<String>,
    #[serde(default)]
    inventory: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    probes: Option<serde::de::IgnoredAny>,
    sequence: u64,
    previous: Option<String>,
    #[serde(default)]
    chain_reset: Option<v1::ChainReset>,
}

/// The `schema` field alone, read before the full document so a future schema is named as
/// such rather than reported as a malformed v1 finding.
#[derive(Deserialize)]
struct SchemaOnly {
    schema: Option<serde_json::Value>,
}

struct Examiner<'a> {
    inbox: &'a Path,
    trusted: &'a TrustedKeys,
    max_size: u64,
    settle: Option<Duration>,
    complete: &'a HashSet<OsString>,
    now: SystemTime,
}

impl Examiner<'_> {
    fn examine(&self, name: &OsStr, file_type: Option<FileType>) -> Examined {
        let path = self.inbox.join(name);
        let file_type = match file_type {
            Some(t) => t,
            None => match fs::symlink_metadata(&path) {
                Ok(meta) => meta.file_type(),
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Examined::Gone,
                Err(err) => {
                    return Examined::Rejected(
                        RejectKind::Unreadable,
                        format!("cannot inspect: {}", files::os_reason(&err)),
                    )
                }
            },
        };
        if !file_type.is_file() {
            return Examined::Rejected(RejectKind::NotRegularFile, not_regular(file_type));
        }
        if let Some(settle) = self.settle {
            if !self.complete.contains(name) {
                let fresh = fs::symlink_metadata(&path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|m| self.now.duration_since(m).ok())
                    .is_none_or(|age| age < settle);
                if fresh {
                    return Examined::Deferred;
                }
            }
        }
        match self.read(&path) {
            Ok((bytes, identity)) => self.check(bytes, identity),
            Err(examined) => examined,
        }
    }

    fn read(&self, path: &Path) -> Result<(Vec<u8>, (u64, u64)), Examined> {
        // Refusing links: a symlink swapped in after the listing is refused, not followed;
        // the non-blocking open means a FIFO swapped in does not hang the collector.
        let (file, meta) = match files::open_regular(path, Links::Refuse) {
            Ok(opened) => opened,
            Err(ReadError::NotFound) => return Err(Examined::Gone),
            Err(ReadError::Symlink) => {
                return Err(Examined::Rejected(
                    RejectKind::NotRegularFile,
                    "a symbolic link (its target was not read or moved)".to_string(),
                ))
            }
            Err(ReadError::NotRegular(what)) => {
                return Err(Examined::Rejected(
                    RejectKind::NotRegularFile,
                    format!("not a regular file: {what}"),
                ))
            }
            Err(err) => {
                return Err(Examined::Rejected(
                    RejectKind::Unreadable,
                    format!("cannot open: {err}"),
                ))
            }
        };
        if meta.len() > self.max_size {
            return Err(too_large(meta.len(), self.max_size));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        match files::read_into(file, self.max_size, &mut bytes) {
            Ok(()) => {}
            Err(ReadError::TooLarge { .. }) => {
                return Err(too_large(
                    u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                    self.max_size,
                ))
            }
            Err(err) => {
                return Err(Examined::Rejected(
                    RejectKind::Unreadable,
                    format!("cannot read: {err}"),
                ))
            }
        }
        Ok((bytes, files::identity_of(&meta)))
    }

    fn check(&self, envelope: Vec<u8>, identity: (u64, u64)) -> Examined {
        let verified = match dsse::verify(&envelope, self.trusted) {
            Ok(verified) => verified,
            Err(err) => return Examined::Rejected(verify_kind(&err), err.to_string()),
        };
        // The full document first: that is what nearly every file is, and parsing a few KiB
        // twice would cost more than the signature check. Only a failure asks what it was.
        let finding = match serde_json::from_slice::<FindingCheck>(&verified.payload) {
            Ok(f) if f.schema == v1::SCHEMA => f,
            Ok(f) => return unknown_schema(Some(&f.schema)),
            Err(err) => {
                return match serde_json::from_slice::<SchemaOnly>(&verified.payload) {
                    Err(_) => Examined::Rejected(
                        RejectKind::Malformed,
                        format!("signed payload is not a JSON object: {err}"),
                    ),
                    Ok(s) => match s.schema.as_ref().map(serde_json::Value::as_str) {
                        Some(Some(v1::SCHEMA)) => Examined::Rejected(
                            RejectKind::Malformed,
                            format!(
                                "signed payload is not a valid {} finding: {err}",
                                v1::SCHEMA
                            ),
                        ),
                        Some(Some(other)) => unknown_schema(Some(other)),
                        _ => unknown_schema(None),
                    },
                }
            }
        };
        if let Err(mismatch) = trust::check_binding(&verified.label, &finding.host) {
            return Examined::Rejected(RejectKind::HostMismatch, mismatch);
        }
        let Ok(sequence) = i64::try_from(finding.sequence) else {
            return Examined::Rejected(
                RejectKind::Malformed,
                format!("sequence {} is out of range", finding.sequence),
            );
        };
        Examined::Accepted(Box::new(Accepted {
            digest: digest_hex(&envelope),
            envelope,
            label: verified.label,
            keyid: verified.keyid,
            hostname: finding.host.hostname,
            machine_id: finding.host.machine_id,
            sequence,
            previous: finding.previous,
            reset_reason: finding.chain_reset.map(|r| r.reason),
            time: finding.time,
            verdict: finding.verdict.as_str().to_string(),
            identity,
        }))
    }
}

fn unknown_schema(schema: Option<&str>) -> Examined {
    let reason = match schema {
        Some(schema) => format!(
            "unknown schema {:?}; this collector reads {}",
            crate::text::display_safe(schema, 64),
            v1::SCHEMA
        ),
        None => "signed payload names no schema".to_string(),
    };
    Examined::Rejected(RejectKind::UnknownSchema, reason)
}

fn not_regular(file_type: FileType) -> String {
    let what = if file_type.is_symlink() {
        "a symbolic link (its target was not read or moved)"
    } else {
        files::describe_type(file_type)
    };
    format!("not a regular file: {what}")
}

fn too_large(len: u64, limit: u64) -> Examined {
    Examined::Rejected(
        RejectKind::TooLarge,
        format!("file is {len} bytes or more, over the limit of {limit} bytes"),
    )
}

fn verify_kind(err: &VerifyError) -> RejectKind {
    match err {
        VerifyError::TooLarge(_) => RejectKind::TooLarge,
        VerifyError::UnknownKey(_) => RejectKind::UnknownKey,
        VerifyError::BadSignature(_) => RejectKind::BadSignature,
        VerifyError::MalformedEnvelope(_)
        | VerifyError::WrongPayloadType(_)
        | VerifyError::NoSignatures
        | VerifyError::MultipleSignatures(_)
        | VerifyError::PayloadNotBase64
        | VerifyError::SignatureNotDecodable(_) => RejectKind::Malformed,
    }
}

/// Examines files on up to four threads; signature checks and JSON parsing dominate a pass.
fn examine_all(examiner: &Examiner<'_>, files: &[(OsString, Option<FileType>)]) -> Vec<Examined> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 4);
    if threads == 1 || files.len() < 16 {
        return files
            .iter()
            .map(|(name, t)| examiner.examine(name, *t))
            .collect();
    }
    let per_thread = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(per_thread)
            .map(|part| {
                let handle = scope.spawn(move || {
                    part.iter()
                        .map(|(name, t)| examiner.examine(name, *t))
                        .collect::<Vec<_>>()
                });
                (handle, part.len())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(handle, len)| {
                // A panicking examiner leaves its files in the inbox for the next pass.
                handle
                    .join()
                    .unwrap_or_else(|_| (0..len).map(|_| Examined::Gone).collect())
            })
            .collect()
    })
}

/// What to do with an inbox file once its batch has committed.
enum Action {
    Archive {
        name: OsString,
        to: OsString,
    },
    Reject {
        name: OsString,
        to: OsString,
        reason: String,
    },
    /// The file is already in `archive/` under another link; drop the inbox link.
    DropLink {
        name: OsString,
    },
}

/// Picks names in `archive/` and `rejected/` that are free and not promised to another file
/// of this pass: `name`, then `name.1`, `name.2`, ...
struct Names {
    reserved: HashSet<PathBuf>,
}

impl Names {
    fn reserve(
        &mut self,
        dir: &Path,
        name: &OsStr,
        with_reason: bool,
    ) -> Result<OsString, IngestError> {
        for n in 0u32..100_000 {
            let mut candidate = name.to_os_string();
            if n > 0 {
                candidate.push(format!(".{n}"));
            }
            let path = dir.join(&candidate);
            let mut reason = candidate.clone();
            reason.push(".reason");
            let reason_path = dir.join(reason);
            if self.reserved.contains(&path)
                || (with_reason && self.reserved.contains(&reason_path))
            {
                continue;
            }
            if exists(&path)? || (with_reason && exists(&reason_path)?) {
                continue;
            }
            self.reserved.insert(path);
            if with_reason {
                self.reserved.insert(reason_path);
            }
            return Ok(candidate);
        }
        Err(IngestError::Io {
            path: dir.join(name),
            step: "finding a free name",
            source: io::Error::new(io::ErrorKind::AlreadyExists, "every suffix is taken"),
        })
    }
}

fn exists(path: &Path) -> Result<bool, IngestError> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(IngestError::Io {
            path: path.to_path_buf(),
            step: "checking whether a name is free",
            source,
        }),
    }
}

/// Moves `from` to `to` without ever replacing `to`. A hard link fails if `to` exists, which
/// makes the check and the move one step; file systems without hard links (FAT media, some
/// shares) and folders fall back to check-then-rename.
fn move_no_clobber(from: &Path, to: &Path) -> Result<(), IngestError> {
    match fs::hard_link(from, to) {
        Ok(()) => {
            fs::remove_file(from).map_err(io_err(from, "removing the inbox name after linking"))
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Err(IngestError::Io {
            path: to.to_path_buf(),
            step: "moving a file (the name is taken)",
            source: err,
        }),
        Err(err) if err.kind() == io::ErrorKind::NotFound && !exists(from)? => {
            Err(IngestError::Io {
                path: from.to_path_buf(),
                step: "moving a file (it disappeared)",
                source: err,
            })
        }
        Err(_) => {
            if exists(to)? {
                return Err(IngestError::Io {
                    path: to.to_path_buf(),
                    step: "moving a file (the name is taken)",
                    source: io::Error::new(io::ErrorKind::AlreadyExists, "exists"),
                });
            }
            fs::rename(from, to).map_err(io_err(from, "moving a file"))
        }
    }
}

/// One pass over the inbox. Stops between batches when `stop` is set.
///
/// `complete` names files known to be whole (inotify saw them closed or moved in); with
/// `options.settle` set, other recently modified files wait for a later pass.
pub fn collect(
    store: &mut Store,
    trusted: &TrustedKeys,
    options: &Options,
    complete: &HashSet<OsString>,
    stop: &AtomicBool,
) -> Result<Outcome, IngestError> {
    prepare_inbox(&options.inbox)?;
    let files = list_inbox(&options.inbox)?;
    let examiner = Examiner {
        inbox: &options.inbox,
        trusted,
        max_size: options.max_size.min(MAX_ENVELOPE_BYTES as u64),
        settle: options.settle,
        complete,
        now: SystemTime::now(),
    };
    let progress = (options.progress && files.len() > 50).then(|| {
        let bar = indicatif::ProgressBar::new(u64::try_from(files.len()).unwrap_or(u64::MAX));
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} findings  {per_sec}  eta {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let mut names = Names {
        reserved: HashSet::new(),
    };
    let mut outcome = Outcome::default();
    let batches: Vec<&[(OsString, Option<FileType>)]> =
        files.chunks(options.batch.max(1)).collect();
    // The next batch is examined while this one is recorded and moved: examining is CPU work
    // on every core, recording is one thread mostly waiting on SQLite and the file system.
    let examiner = &examiner;
    let result = std::thread::scope(|scope| -> Result<(), IngestError> {
        let examine = |batch: &'_ [(OsString, Option<FileType>)]| {
            let batch = batch.to_vec();
            scope.spawn(move || examine_all(examiner, &batch))
        };
        let mut next = batches.first().map(|batch| examine(batch));
        for (i, batch) in batches.iter().enumerate() {
            let Some(handle) = next.take() else {
                break;
            };
            let examined = handle
                .join()
                .unwrap_or_else(|_| batch.iter().map(|_| Examined::Gone).collect());
            if stop.load(Ordering::SeqCst) {
                outcome.stopped = true;
            } else if let Some(following) = batches.get(i + 1) {
                next = Some(examine(following));
            }
            let done = run_batch(store, &options.inbox, batch, examined, &mut names)?;
            outcome.add(done);
            if let Some(bar) = &progress {
                bar.inc(u64::try_from(batch.len()).unwrap_or(0));
            }
        }
        Ok(())
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    result?;
    Ok(outcome)
}

/// Records one batch in one transaction, then moves its files.
fn run_batch(
    store: &mut Store,
    inbox: &Path,
    files: &[(OsString, Option<FileType>)],
    examined: Vec<Examined>,
    names: &mut Names,
) -> Result<Outcome, IngestError> {
    let archive = inbox.join(ARCHIVE_DIR);
    let rejected = inbox.join(REJECTED_DIR);
    let now = rfc3339_utc(SystemTime::now());
    let mut outcome = Outcome::default();
    let mut actions = Vec::with_capacity(files.len());

    let mut tx = store.batch()?;
    for ((name, _), result) in files.iter().zip(examined) {
        let shown = name.to_string_lossy();
        match result {
            Examined::Gone => {}
            Examined::Deferred => outcome.deferred += 1,
            Examined::Rejected(kind, reason) => {
                let to = names.reserve(&rejected, name, true)?;
                let stored_as = format!("{REJECTED_DIR}/{}", to.to_string_lossy());
                tx.insert_rejected(&NewRejected {
                    file: &shown,
                    stored_as: &stored_as,
                    kind: kind.as_str(),
                    reason: &reason,
                    rejected_at: &now,
                })?;
                *outcome.rejected.entry(kind).or_default() += 1;
                outcome
                    .rejected_files
                    .push((shown.to_string(), format!("{}: {reason}", kind.as_str())));
                actions.push(Action::Reject {
                    name: name.clone(),
                    to,
                    reason: format!(
                        "{}: {reason}\nfile: {shown}\nrejected_at: {now}\n",
                        kind.as_str()
                    ),
                });
            }
            Examined::Accepted(found) => {
                if let Some(previous) = tx.find(&found.digest)? {
                    if previous.inbox_name == shown {
                        let target = archive.join(&previous.archived_as);
                        match fs::symlink_metadata(&target) {
                            Err(err)
                                if err.kind() == io::ErrorKind::NotFound
                                    && names.reserved.insert(target.clone()) =>
                            {
                                // Committed, then interrupted before the move.
                                outcome.completed += 1;
                                actions.push(Action::Archive {
                                    name: name.clone(),
                                    to: OsString::from(&previous.archived_as),
                                });
                                continue;
                            }
                            Ok(meta) if (meta.dev(), meta.ino()) == found.identity => {
                                // Interrupted between linking into archive/ and unlinking.
                                outcome.completed += 1;
                                actions.push(Action::DropLink { name: name.clone() });
                                continue;
                            }
                            _ => {}
                        }
                    }
                    let to = names.reserve(&archive, name, false)?;
                    tx.insert_replay(&NewReplay {
                        identity: &found.digest,
                        file: &shown,
                        archived_as: &to.to_string_lossy(),
                        noticed_at: &now,
                    })?;
                    outcome.duplicates += 1;
                    actions.push(Action::Archive {
                        name: name.clone(),
                        to,
                    });
                    continue;
                }
                let to = names.reserve(&archive, name, false)?;
                let inserted = tx.insert_finding(&NewFinding {
                    identity: &found.digest,
                    host_id: &found.label,
                    keyid: &found.keyid,
                    hostname: found.hostname.as_deref(),
                    machine_id: found.machine_id.as_deref(),
                    sequence: found.sequence,
                    previous: found.previous.as_deref(),
                    reset_reason: found.reset_reason.as_deref(),
                    time: &found.time,
                    verdict: &found.verdict,
                    inbox_name: &shown,
                    archived_as: &to.to_string_lossy(),
                    received_at: &now,
                    envelope: &found.envelope,
                })?;
                if inserted {
                    outcome.stored += 1;
                } else {
                    // Another collector stored it between the lookup and the insert.
                    tx.insert_replay(&NewReplay {
                        identity: &found.digest,
                        file: &shown,
                        archived_as: &to.to_string_lossy(),
                        noticed_at: &now,
                    })?;
                    outcome.duplicates += 1;
                }
                actions.push(Action::Archive {
                    name: name.clone(),
                    to,
                });
            }
        }
    }
    tx.commit()?;

    // Only now may files leave the inbox: everything above is durable.
    for action in actions {
        match action {
            Action::Archive { name, to } => {
                move_no_clobber(&inbox.join(&name), &archive.join(&to))?;
            }
            Action::Reject { name, to, reason } => {
                move_no_clobber(&inbox.join(&name), &rejected.join(&to))?;
                let mut reason_name = to;
                reason_name.push(".reason");
                let reason_path = rejected.join(reason_name);
                let written = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o644)
                    .open(&reason_path)
                    .and_then(|mut file| io::Write::write_all(&mut file, reason.as_bytes()));
                written.map_err(io_err(&reason_path, "writing the reason"))?;
            }
            Action::DropLink { name } => {
                let path = inbox.join(&name);
                fs::remove_file(&path).map_err(io_err(&path, "removing a second link"))?;
            }
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape ingest checks is the shape of `v1::Finding`: the same documents pass and fail.
    #[test]
    fn finding_check_accepts_what_v1_accepts() {
        let full = serde_json::json!({
            "schema": v1::SCHEMA,
            "host": {"hostname": "h", "machine_id": "m", "boot_id": null, "os": null,
                     "kernel": null, "agent_version": "0.1.0"},
            "time": "2026-01-01T00:00:00Z", "trigger": "boot",
            "policy": {"id": "classified", "version": "1", "sha256": null, "source": "builtin"},
            "verdict": "violation",
            "summary": {"pass": 1, "fail": 1, "error": 0, "skip": 0},
            "results": [{"rule": "r", "check": "c", "title": {"zh": "z", "en": "e"},
                         "severity": "high", "status": "fail",
                         "evidence": [{"kind": "k", "detail": "d", "serial": "s"}],
                         "remediation": {"zh": "z", "en": "e"}}],
            "inventory": {"schema": "isoguard.inventory/v1", "storage": [1, 2, {"a": null}]},
            "sequence": 3, "previous": null, "chain_reset": {"reason": "x"}
        });
        let mut cases = vec![full.clone()];
        for (field, value) in [
            ("inventory", serde_json::Value::Null),
            ("sequence", serde_json::json!(-1)),
            ("sequence", serde_json::json!("3")),
            ("results", serde_json::json!([{"rule": "r"}])),
            ("host", serde_json::json!({"hostname": "h"})),
            ("chain_reset", serde_json::json!({"why": "x"})),
            ("previous", serde_json::json!(7)),
        ] {
            let mut changed = full.clone();
            changed[field] = value;
            cases.push(changed);
        }
        for field in ["inventory", "errors", "chain_reset", "previous", "verdict"] {
            let mut removed = full.clone();
            removed.as_object_mut().unwrap().remove(field);
            cases.push(removed);
        }
        for case in cases {
            let bytes = serde_json::to_vec(&case).unwrap();
            assert_eq!(
                serde_json::from_slice::<FindingCheck>(&bytes).is_ok(),
                serde_json::from_slice::<v1::Finding>(&bytes).is_ok(),
                "{case}"
            );
        }
    }

    #[test]
    fn summary_line_groups_reasons() {
        let mut outcome = Outcome {
            stored: 3,
            duplicates: 1,
            ..Outcome::default()
        };
        outcome.rejected.insert(RejectKind::HostMismatch, 1);
        outcome.rejected.insert(RejectKind::BadSignature, 2);
        assert_eq!(
            outcome.summary_line(),
            "stored 3, duplicates 1, rejected 3 (bad-signature 2, host-mismatch 1)"
        );
    }
}
