//! `collect --watch`: keep taking findings in as they arrive, until told to stop.
//!
//! inotify reports files closed after writing or moved into the inbox, so a new finding is
//! taken within moments without polling; a full rescan every few seconds is the safety net for
//! what inotify cannot see (network file systems, a full event queue, files that were already
//! there). SIGTERM and SIGINT only raise a flag: the pass in progress finishes its current
//! batch, commits and moves it, and the loop ends, so a service manager's stop never leaves a
//! half-handled batch (and if it did, ingest is crash-safe anyway).
//!
//! What it must not do: take a file someone is still copying in with a non-atomic copy (files
//! modified moments ago wait unless inotify saw them closed), spin when nothing happens, or
//! handle signals in any way other than setting a flag and waking the loop.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use inotify::{EventMask, Inotify, WatchMask};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::collector::ingest::{self, IngestError, Outcome};
use crate::collector::store::{Store, StoreError};
use crate::finding::keys::TrustedKeys;
use crate::i18n::{self, Msg, Phrase};

/// How often the whole inbox is looked at even without events.
pub const DEFAULT_RESCAN: Duration = Duration::from_secs(5);

/// A file modified this recently, and not seen closed by inotify, waits for a later pass.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(2);

/// After the first event, how long to gather more before a pass, so a burst of files is
/// one pass rather than one per file.
const GATHER: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub enum WatchError {
    /// inotify or the signal handler could not be set up.
    Setup {
        step: &'static str,
        source: io::Error,
    },
    Ingest(IngestError),
}

impl WatchError {
    pub fn phrase(&self) -> Phrase {
        match self {
            WatchError::Setup { step, source } => Phrase::new(Msg::CollectorWatchSetup)
                .arg("step", step)
                .nest("error", i18n::os_error(source)),
            WatchError::Ingest(err) => err.phrase(),
        }
    }
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.phrase().en())
    }
}

impl std::error::Error for WatchError {}

impl From<IngestError> for WatchError {
    fn from(err: IngestError) -> Self {
        WatchError::Ingest(err)
    }
}

enum Wake {
    /// A file was closed after writing, or moved in, under this name.
    File(OsString),
    /// inotify's queue overflowed: events were lost, look at everything.
    Rescan,
    /// The inotify reader stopped; rescans carry on alone.
    Lost(String),
    Stop,
}

/// Runs passes until SIGTERM or SIGINT. `after_pass` sees each pass's outcome (to print it
/// and its new chain problems). Returns the sum of all passes.
pub fn run(
    store: &mut Store,
    trusted: &TrustedKeys,
    options: &ingest::Options,
    rescan: Duration,
    mut after_pass: impl FnMut(&mut Store, &Outcome) -> Result<(), StoreError>,
) -> Result<Outcome, WatchError> {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<Wake>();

    // Signals first: from here on a stop request is graceful.
    let mut signals = Signals::new([SIGTERM, SIGINT]).map_err(|source| WatchError::Setup {
        step: "installing the SIGTERM/SIGINT handler",
        source,
    })?;
    let signal_handle = signals.handle();
    {
        let stop = Arc::clone(&stop);
        let tx = tx.clone();
        std::thread::spawn(move || {
            for _ in signals.forever() {
                stop.store(true, Ordering::SeqCst);
                if tx.send(Wake::Stop).is_err() {
                    return;
                }
            }
        });
    }
    ingest::prepare_inbox(&options.inbox)?;
    start_inotify(&options.inbox, tx)?;

    let mut options = options.clone();
    let settle = options.settle.unwrap_or(DEFAULT_SETTLE);
    options.settle = Some(settle);
    let mut total = Outcome::default();
    let mut complete: HashSet<OsString> = HashSet::new();
    loop {
        let outcome = ingest::collect(store, trusted, &options, &complete, &stop)?;
        complete.clear();
        after_pass(store, &outcome).map_err(IngestError::Store)?;
        let retry_soon = outcome.deferred > 0;
        total.add(outcome);
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let wait = if retry_soon {
            settle.min(rescan)
        } else {
            rescan
        };
        match rx.recv_timeout(wait) {
            Ok(Wake::Stop) => break,
            Ok(Wake::File(name)) => {
                complete.insert(name);
                if gather(&rx, &mut complete) {
                    break;
                }
            }
            Ok(Wake::Rescan) | Err(RecvTimeoutError::Timeout) => {}
            Ok(Wake::Lost(why)) => {
                tracing::warn!("inotify stopped ({why}); new files are found by rescans only");
            }
            // Every sender is gone (cannot happen while the signal thread lives); do not spin.
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(wait),
        }
    }
    signal_handle.close();
    Ok(total)
}

/// Collects the events of a burst; true when a stop arrived meanwhile.
fn gather(rx: &mpsc::Receiver<Wake>, complete: &mut HashSet<OsString>) -> bool {
    let deadline = Instant::now() + GATHER;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Wake::File(name)) => {
                complete.insert(name);
            }
            Ok(Wake::Stop) => return true,
            Ok(Wake::Rescan) => {}
            Ok(Wake::Lost(why)) => {
                tracing::warn!("inotify stopped ({why}); new files are found by rescans only");
            }
            Err(_) => return false,
        }
    }
}

fn start_inotify(inbox: &Path, tx: Sender<Wake>) -> Result<(), WatchError> {
    let mut inotify = Inotify::init().map_err(|source| WatchError::Setup {
        step: "starting inotify",
        source,
    })?;
    inotify
        .watches()
        .add(
            inbox,
            WatchMask::CLOSE_WRITE | WatchMask::MOVED_TO | WatchMask::ONLYDIR,
        )
        .map_err(|source| WatchError::Setup {
            step: "watching the inbox",
            source,
        })?;
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            let events = match inotify.read_events_blocking(&mut buffer) {
                Ok(events) => events,
                Err(err) => {
                    let _ = tx.send(Wake::Lost(err.to_string()));
                    return;
                }
            };
            for event in events {
                let wake = if event.mask.contains(EventMask::Q_OVERFLOW) {
                    Wake::Rescan
                } else if let Some(name) = event.name {
                    Wake::File(name.to_os_string())
                } else {
                    continue;
                };
                if tx.send(wake).is_err() {
                    return;
                }
            }
        }
    });
    Ok(())
}
