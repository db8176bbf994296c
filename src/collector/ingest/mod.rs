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

mod batch;
mod examine;
mod folders;
mod outcome;

use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::collector::store::{Store, StoreError};
use crate::finding::dsse::MAX_ENVELOPE_BYTES;
use crate::finding::keys::TrustedKeys;
use crate::i18n::{self, Msg, Phrase};

pub(crate) use batch::Arrival;
pub(crate) use examine::{check_arrival, Accepted};
pub use examine::{examine_bytes, TRUNCATED_GRACE};
pub use folders::prepare_inbox;
pub use outcome::{kind_counts, Outcome, Refused};

use batch::run_batch;
use examine::{examine_all, Examined, Examiner};
use folders::{InboxDirs, Kind, Names};

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

impl RejectKind {
    /// What the kind means, for people.
    pub fn said(self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            RejectKind::NotRegularFile => Msg::RejectNotRegularFile,
            RejectKind::TooLarge => Msg::RejectTooLarge,
            RejectKind::Unreadable => Msg::RejectUnreadable,
            RejectKind::Malformed => Msg::RejectMalformed,
            RejectKind::UnknownSchema => Msg::RejectUnknownSchema,
            RejectKind::UnknownKey => Msg::RejectUnknownKey,
            RejectKind::BadSignature => Msg::RejectBadSignature,
            RejectKind::HostMismatch => Msg::RejectHostMismatch,
        }
    }
}

/// How to run one pass over the inbox.
#[derive(Debug, Clone)]
pub struct Options {
    pub inbox: PathBuf,
    /// Files larger than this are refused unread; at most [`MAX_ENVELOPE_BYTES`].
    pub max_size: u64,
    /// Files per transaction, at most: the first and last batches of a pass are smaller.
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

impl IngestError {
    pub fn phrase(&self) -> Phrase {
        match self {
            IngestError::Io { path, step, source } => Phrase::new(Msg::CollectorFileStep)
                .arg("path", path.display())
                .arg("step", step)
                .nest("error", i18n::os_error(source)),
            IngestError::Store(err) => err.phrase(),
        }
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.phrase().en())
    }
}

impl std::error::Error for IngestError {}

impl From<StoreError> for IngestError {
    fn from(err: StoreError) -> Self {
        IngestError::Store(err)
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
    // Opened once: whatever happens to these names during the pass, the pass keeps using
    // the folders it opened.
    let dirs = InboxDirs::open(&options.inbox)?;
    let files = dirs.list()?;
    let examiner = Examiner {
        dirs: &dirs,
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
    let mut names = Names::default();
    let mut outcome = Outcome::default();
    let batches = split_batches(&files, options.batch);
    // The next batch is examined while this one is recorded and moved: examining is CPU work
    // on every core, recording is one thread mostly waiting on SQLite and the file system.
    let examiner = &examiner;
    let result = std::thread::scope(|scope| -> Result<(), IngestError> {
        let examine = |batch: &'_ [(OsString, Kind)]| {
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
            let done = run_batch(store, &dirs, batch, examined, &mut names)?;
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

/// The pass's files cut into transactions of [`batch_sizes`].
fn split_batches<T>(files: &[T], batch: usize) -> Vec<&[T]> {
    let mut rest = files;
    batch_sizes(files.len(), batch)
        .into_iter()
        .map(|size| {
            let (this, after) = rest.split_at(size);
            rest = after;
            this
        })
        .collect()
}

/// How many files each transaction of a pass of `total` files takes: `batch` at most, but
/// the first and last few batches smaller, doubling from an eighth of `batch` on the way in
/// and halving on the way out. Examining a batch overlaps recording the one before it, so
/// the first batch's examination and the last one's recording are the only steps that run
/// alone; with 1,000 files in two batches of 500 they were a third of the pass. A few more
/// commits (each a few fsyncs) cost far less.
fn batch_sizes(total: usize, batch: usize) -> Vec<usize> {
    let batch = batch.max(1);
    let (mut front, mut back) = (Vec::new(), Vec::new());
    let mut left = total;
    let mut size = (batch / 8).max(1);
    while size < batch && left > 0 {
        for side in [&mut front, &mut back] {
            let take = size.min(left);
            if take > 0 {
                side.push(take);
                left -= take;
            }
        }
        size *= 2;
    }
    while left > 0 {
        let take = batch.min(left);
        front.push(take);
        left -= take;
    }
    front.extend(back.into_iter().rev());
    front
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_the_pass_in_order_and_keep_to_the_limit() {
        for batch in [1, 2, 3, 7, 8, 100, 500] {
            for total in [0, 1, 2, 5, 63, 64, 999, 1000, 1001, 10_000] {
                let sizes = batch_sizes(total, batch);
                assert_eq!(sizes.iter().sum::<usize>(), total, "{total} in {batch}");
                assert!(sizes.iter().all(|&n| (1..=batch).contains(&n)), "{sizes:?}");
                let files: Vec<usize> = (0..total).collect();
                let joined: Vec<usize> = split_batches(&files, batch).concat();
                assert_eq!(joined, files);
            }
        }
        assert_eq!(batch_sizes(1000, 500), [62, 124, 248, 132, 248, 124, 62]);
        // A long pass is nearly all full batches.
        let long = batch_sizes(100_000, 500);
        assert!(long.len() < 100_000 / 500 + 6, "{}", long.len());
        assert_eq!(batch_sizes(0, 0), Vec::<usize>::new());
    }
}
