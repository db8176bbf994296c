//! `isoguard watch`: stays running, listens to the kernel's device (uevent) and network
//! (rtnetlink) notifications, and after each burst of them re-reads and re-judges the whole
//! machine (a full read takes milliseconds, and a partial one could miss what a change
//! implies). When the verdict or the set of failing evidence changes, or the burst held a
//! device that was gone again before the re-read, a signed finding with trigger `hotplug` or
//! `network-change` and the events goes into the spool, on the same chain and under the same
//! lock as boot and timer scans.
//!
//! Nothing is missed silently: the sockets are opened before the first read, so a change
//! during it is seen afterwards; a kernel that dropped messages (ENOBUFS) is answered with a
//! full re-read that is recorded. SIGTERM and SIGINT end the loop between bursts.

pub mod change;
pub mod event;

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant, SystemTime};

use crate::finding::build;
use crate::finding::keys;
use crate::i18n::{Lang, Msg};
use crate::platform::{self, EventSource};
use crate::scan::{self, Options, ScanError};
use change::{Batch, Signature};

/// How long the kernel must stay quiet before the machine is re-read: plugging in one USB
/// device is a burst of a dozen uevents within a few milliseconds.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(10);
/// A burst that never goes quiet (a flapping link) is re-read at least this often.
const MAX_BATCH_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub scan: Options,
    pub debounce: Duration,
    /// Stop after writing this many findings (for scripts and tests).
    pub max_findings: Option<u64>,
}

/// Why watching stopped.
pub struct Stopped {
    pub findings: u64,
}

/// The self-pipe SIGTERM and SIGINT write to, so the poll wakes up without a race.
fn signal_pipe() -> std::io::Result<UnixStream> {
    let (reader, writer) = UnixStream::pair()?;
    reader.set_nonblocking(true)?;
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::low_level::pipe::register(signal, writer.try_clone()?)?;
    }
    Ok(reader)
}

pub fn run(opts: &WatchOptions) -> Result<Stopped, ScanError> {
    let key = match &opts.scan.key {
        Some(path) => keys::load_private_key(path).map_err(ScanError::Key)?,
        None => return Err(ScanError::Usage(Msg::WatchNeedsKey.into())),
    };
    let Some(spool_dir) = opts.scan.spool.clone() else {
        return Err(ScanError::Usage(Msg::WatchNeedsKey.into()));
    };
    let state_dir = opts
        .scan
        .state
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from(scan::DEFAULT_STATE));
    let opened = platform::open(opts.scan.root.as_deref()).map_err(ScanError::Root)?;
    let loaded = scan::load_policy(&opts.scan);
    if let Err(errors) = &loaded {
        return Err(ScanError::Usage(crate::i18n::Said::untranslated(
            errors.render_in(opts.scan.lang),
        )));
    }
    let no_events = |e: std::io::Error| {
        ScanError::Seal(
            Msg::WatchNoEvents
                .nest("error", crate::i18n::os_error(&e))
                .into(),
        )
    };
    let mut signals = signal_pipe().map_err(no_events)?;
    // Subscribed before the first read: a change while reading is seen afterwards.
    let mut source = EventSource::open().map_err(no_events)?;
    let live = opened.machine.is_live();
    let lang = opts.scan.lang;

    let first = scan::judge(&opts.scan, &loaded, &opened.machine, SystemTime::now());
    let mut last = Signature::of(&first.finding);
    tracing::info!(
        target: "isoguard::summary",
        "{}",
        Msg::WatchStarted
            .with("verdict", first.finding.verdict.to_string())
            .arg("fail", first.finding.summary.fail)
            .arg("error", first.finding.summary.error)
            .render(lang)
    );

    let mut written = 0u64;
    let mut pending: Vec<event::Event> = Vec::new();
    loop {
        if opts.max_findings.is_some_and(|max| written >= max) {
            break;
        }
        if source.wait(&signals, None).map_err(no_events)? && stop_requested(&mut signals) {
            break;
        }
        pending.clear();
        source.drain(&mut pending).map_err(no_events)?;
        if pending.is_empty() {
            continue;
        }
        let mut batch = Batch::default();
        let started = Instant::now();
        loop {
            for e in pending.drain(..) {
                if e.source == event::Source::Overflow {
                    tracing::warn!(
                        "{}",
                        Msg::WatchEventsLost.with("source", &e.device).render(lang)
                    );
                }
                batch.push(e);
            }
            let left = MAX_BATCH_WINDOW.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            let quiet = opts.debounce.min(left);
            let signalled = source.wait(&signals, Some(quiet)).map_err(no_events)?;
            source.drain(&mut pending).map_err(no_events)?;
            if pending.is_empty() && !signalled {
                break;
            }
            if signalled && pending.is_empty() {
                break;
            }
        }
        let now = SystemTime::now();
        let mut options = opts.scan.clone();
        options.trigger = batch.trigger();
        let mut judged = scan::judge(&options, &loaded, &opened.machine, now);
        let interfaces: Vec<String> = judged
            .inventory
            .as_ref()
            .map(|i| {
                i.network
                    .interfaces
                    .iter()
                    .map(|n| n.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        batch.mark_transient(|e| match e.source {
            event::Source::Uevent => platform::device_present(&opened.machine, &e.device),
            event::Source::Link => e.name.starts_with("ifindex ") || interfaces.contains(&e.name),
            _ => true,
        });
        let signature = Signature::of(&judged.finding);
        if !change::worth_a_finding(&last, &signature, &batch) {
            tracing::debug!("{} event(s), nothing changed", batch.events.len());
            continue;
        }
        let finding = &mut judged.finding;
        finding.events = batch.to_v1();
        finding.events_dropped = batch.dropped;
        build::fit(finding, build::MAX_PAYLOAD_BYTES);
        match scan::seal(finding, &key, &spool_dir, &state_dir, live, now) {
            Ok(path) => {
                written += 1;
                let new = signature.new_failures(&last);
                log_change(finding, &batch, &new, &path.display().to_string(), lang);
                last = signature;
            }
            Err(err) => {
                // `last` is kept, so the next burst compares against what was recorded.
                tracing::error!(
                    "{}",
                    Msg::WatchSealFailed
                        .with("error", err.said().get(lang))
                        .render(lang)
                );
            }
        }
    }
    tracing::info!(
        target: "isoguard::summary",
        "{}",
        Msg::WatchStopped.with("findings", written).render(lang)
    );
    Ok(Stopped { findings: written })
}

/// Empties the signal pipe; a byte in it means SIGTERM or SIGINT arrived.
fn stop_requested(signals: &mut UnixStream) -> bool {
    let mut buf = [0u8; 16];
    matches!(signals.read(&mut buf), Ok(n) if n > 0)
}

/// One journal line per recorded change; a new violation is a warning.
fn log_change(
    finding: &crate::finding::v1::Finding,
    batch: &Batch,
    new_failures: &[String],
    path: &str,
    lang: Lang,
) {
    let trigger = finding.trigger.to_string();
    let events = batch.events.len() as u64 + batch.dropped;
    if new_failures.is_empty() {
        let line = Msg::WatchChange
            .with("trigger", &trigger)
            .arg("events", events)
            .arg("first", batch.first())
            .arg("verdict", finding.verdict.to_string())
            .arg("fail", finding.summary.fail)
            .arg("error", finding.summary.error)
            .arg("finding", path)
            .render(lang);
        tracing::info!(target: "isoguard::summary", "{line}");
    } else {
        let failing = crate::text::display_safe(&new_failures.join("; "), 400);
        let line = Msg::WatchNewViolation
            .with("trigger", &trigger)
            .arg("events", events)
            .arg("first", batch.first())
            .arg("failing", failing)
            .arg("finding", path)
            .render(lang);
        tracing::warn!(target: "isoguard::summary", "{line}");
    }
}
