//! Syslog text files: `var/log/kern.log`, `messages`, `syslog`, and their rotations.
//!
//! logrotate keeps old logs as `kern.log.1`, `kern.log.2.gz`, ... (Debian) or
//! `messages-20240305[.gz]` (RPM distributions). Files are read newest first, so a bound
//! cuts the oldest history: a plain file larger than its allowance is read from its end
//! (lines then carry byte offsets, not numbers), a gzip file up to its allowance. A
//! truncated or corrupt `.gz` keeps the lines read before the damage and records a problem.
//!
//! Only lines tagged `kernel` (and udev's `mtp-probe`, which says which devices were
//! phones) are looked at. Any program may log under the tag `kernel` through syslog, so
//! text logs are weaker evidence than the journal, whose `_TRANSPORT=kernel` a program
//! cannot forge; both are kept as evidence and the source says which is which.

use std::io::{self, Read};
use std::sync::Arc;
use std::time::SystemTime;

use flate2::read::MultiGzDecoder;

use super::budget::{Budget, Meter};
use super::episodes::Record;
use super::kernel;
use super::lines::{for_each_line, Stats};
use super::time::{parse_line_time, settle, strip_uptime, LocalZone};
use crate::inventory::history::{Coverage, LimitKind, SourceFormat, Timestamp};
use crate::platform::linux::root::display_path;
use crate::platform::linux::root::OpenFile;
use crate::platform::linux::HostRoot;
use crate::text::decode_bytes;

const LOG_DIR: &str = "var/log";
const FAMILIES: [&str; 3] = ["kern.log", "syslog", "messages"];

/// A log file and where it stands among its family's rotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    pub rel: String,
    pub family: usize,
    /// 0 for the live file, then older: `.1` is 1, `.2.gz` is 2; date suffixes sort by date.
    pub age: u64,
    pub gzip: bool,
}

/// Names in `var/log` that are rotations of a family, newest first across all families.
pub fn discover(names: &[String]) -> Vec<LogFile> {
    let mut files: Vec<LogFile> = names.iter().filter_map(|n| classify(n)).collect();
    files.sort_by(|a, b| (a.age, a.family, &a.rel).cmp(&(b.age, b.family, &b.rel)));
    files
}

fn classify(name: &str) -> Option<LogFile> {
    let (family, rest) = FAMILIES
        .iter()
        .enumerate()
        .find_map(|(i, f)| name.strip_prefix(f).map(|rest| (i, rest)))?;
    let (rest, gzip) = match rest.strip_suffix(".gz") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let age = if rest.is_empty() {
        0
    } else if let Some(n) = rest.strip_prefix('.') {
        n.parse::<u64>().ok().filter(|&n| n < 1_000_000)?
    } else if let Some(date) = rest.strip_prefix('-') {
        // dateext: newer dates are younger. YYYYMMDD (optionally with -HH or more digits).
        let digits: String = date.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 8 || digits.len() != date.replace('-', "").len() {
            return None;
        }
        let value: u64 = digits.get(..8)?.parse().ok()?;
        1_000_000 + (99_991_231 - value.min(99_991_231))
    } else {
        return None;
    };
    Some(LogFile {
        rel: format!("{LOG_DIR}/{name}"),
        family,
        age,
        gzip,
    })
}

/// Where a syslog line's tag starts: after the time (`Mmm dd HH:MM:SS` or an ISO 8601 word)
/// and the host name. Two short byte searches per line, since logs hold millions of lines.
fn tag_start(bytes: &[u8]) -> Option<usize> {
    let time_end = if bytes.first().is_some_and(u8::is_ascii_digit) {
        memchr::memchr(b' ', &bytes[..bytes.len().min(40)])?
    } else if bytes.len() > 16 && bytes[15] == b' ' {
        15
    } else {
        return None;
    };
    let host = time_end + 1;
    let host_len = memchr::memchr(b' ', &bytes[host..bytes.len().min(host + 256)])?;
    Some(host + host_len + 1)
}

/// A log file admitted and opened, ready to be read on any thread.
pub struct Job {
    pub file: LogFile,
    opened: OpenFile,
    format: SourceFormat,
    /// No line is newer than its file, nor than the scan (Unix seconds).
    reference: i64,
}

/// Admits and opens a file, or records why it is not read.
pub fn plan(host: &HostRoot, budget: &mut Budget<'_>, file: &LogFile) -> Option<Job> {
    let format = if file.gzip {
        SourceFormat::GzipTextLog
    } else {
        SourceFormat::TextLog
    };
    if !budget.admit(&file.rel, format) {
        return None;
    }
    // Listed a moment ago, gone or unreadable now: `open_file` noted what it could.
    let opened = host.open_file(&file.rel)?;
    let mtime_micros = opened
        .modified()
        .map(system_micros)
        .unwrap_or(budget.now_micros);
    if mtime_micros < budget.since_micros {
        budget.source(&file.rel, format, Coverage::OutsideWindow, 0, 0, None, None);
        return None;
    }
    Some(Job {
        file: file.clone(),
        opened,
        format,
        reference: mtime_micros.min(budget.now_micros).div_euclid(1_000_000),
    })
}

/// What reading one file gave, for the thread that owns the host to record.
pub struct Outcome {
    records: Vec<Record>,
    stats: Stats,
    start: u64,
    bound: LimitKind,
    oldest: Option<Timestamp>,
    newest: Option<Timestamp>,
    undated: u64,
}

/// Reads a file within the bounds left. Touches no shared state but the meter, so files
/// can be read on several threads.
pub fn run(job: &Job, meter: &Meter, zone: &LocalZone) -> Outcome {
    let source: Arc<str> = Arc::from(display_path(&job.file.rel));
    let (allowance, bound) = meter.allowance();
    let (since, reference) = (meter.since_micros, job.reference);
    let max_line = meter.limits.max_line_bytes;
    let mut oldest: Option<Timestamp> = None;
    let mut first_line_seen = false;
    let mut undated = 0u64;
    let mut kept = Vec::new();
    let deadline = || !meter.expired();
    let mut on_line = |number: Option<u64>, offset: u64, bytes: &[u8]| {
        if !first_line_seen {
            first_line_seen = true;
            oldest = line_time(bytes, reference, zone);
        }
        if let Some(record) = kernel_record(bytes, reference, zone, since, &mut undated) {
            kept.push(Record {
                source: source.clone(),
                line: number,
                offset: Some(offset),
                ..record
            });
        }
    };
    let opened = &job.opened;
    let (stats, start) = if job.file.gzip {
        let reader = MultiGzDecoder::new(At::new(opened, 0));
        let stats = for_each_line(reader, 0, allowance, max_line, false, &deadline, |l| {
            on_line(Some(l.number), l.offset, l.bytes)
        });
        (stats, 0)
    } else {
        let start = opened.len().saturating_sub(allowance);
        let stats = for_each_line(
            At::new(opened, start),
            start,
            allowance,
            max_line,
            start > 0,
            &deadline,
            |l| on_line((start == 0).then_some(l.number), l.offset, l.bytes),
        );
        (stats, start)
    };
    meter.charge(stats.bytes);
    let newest = line_time(&stats.last_line, reference, zone);
    Outcome {
        records: kept,
        stats,
        start,
        bound,
        oldest,
        newest,
        undated,
    }
}

/// Records what a read met (bounds, damage) and returns its records.
pub fn report(
    host: &HostRoot,
    budget: &mut Budget<'_>,
    job: &Job,
    outcome: Outcome,
) -> Vec<Record> {
    let rel = &job.file.rel;
    if outcome.undated > 0 {
        host.note(
            rel,
            format!(
                "{} lines tagged kernel have no readable time: not used",
                outcome.undated
            ),
        );
    }
    let stats = &outcome.stats;
    let coverage = record_bounds(
        budget,
        host,
        rel,
        job.file.gzip,
        stats,
        outcome.start,
        outcome.bound,
    );
    budget.source(
        rel,
        job.format,
        coverage,
        stats.bytes,
        stats.lines,
        outcome.oldest,
        outcome.newest,
    );
    outcome.records
}

/// Records the bounds and damage met while reading; returns the coverage.
fn record_bounds(
    budget: &mut Budget<'_>,
    host: &HostRoot,
    rel: &str,
    gzip: bool,
    stats: &Stats,
    start: u64,
    bound: LimitKind,
) -> Coverage {
    let mut coverage = Coverage::Whole;
    if start > 0 {
        let detail = format!(
            "first {start} bytes (the oldest lines) not read: bound of {}",
            budget.describe(bound)
        );
        budget.truncate(rel, bound, detail);
        coverage = Coverage::Partial;
    }
    if stats.hit_limit {
        let detail = format!(
            "lines after line {} (the newest of this file) not read: bound of {}",
            stats.lines,
            budget.describe(bound)
        );
        budget.truncate(rel, bound, detail);
        coverage = Coverage::Partial;
    }
    if stats.stopped {
        let detail = format!(
            "reading stopped after {} bytes: {} used up",
            stats.bytes,
            budget.describe(LimitKind::TimeBudget)
        );
        budget.truncate(rel, LimitKind::TimeBudget, detail);
        coverage = Coverage::Partial;
    }
    if stats.cut > 0 {
        let detail = format!(
            "{} lines longer than the bound were read only in part: bound of {}",
            stats.cut,
            budget.describe(LimitKind::LineBytes)
        );
        budget.truncate(rel, LimitKind::LineBytes, detail);
    }
    if let Some(err) = &stats.error {
        let what = if gzip && err.kind() == io::ErrorKind::UnexpectedEof {
            "compressed data ends early (truncated .gz)".to_string()
        } else if gzip {
            format!("damaged compressed data: {err}")
        } else {
            err.to_string()
        };
        host.note(
            rel,
            format!("{what}: read stopped after line {}", stats.lines),
        );
        coverage = Coverage::Partial;
    }
    coverage
}

/// The time at the start of a syslog line.
fn line_time(bytes: &[u8], reference: i64, zone: &LocalZone) -> Option<Timestamp> {
    let head = &bytes[..bytes.len().min(40)];
    let text = std::str::from_utf8(head)
        .ok()
        .map(std::borrow::Cow::Borrowed)
        .unwrap_or_else(|| String::from_utf8_lossy(head));
    let (time, _) = parse_line_time(&text)?;
    settle(time, reference, zone)
}

/// A line's kernel (or mtp-probe) message as a record, when it says something about a
/// device and falls in the window.
fn kernel_record(
    bytes: &[u8],
    reference: i64,
    zone: &LocalZone,
    since: i64,
    undated: &mut u64,
) -> Option<Record> {
    let tag = &bytes[tag_start(bytes)?..];
    let mtp = match tag.strip_prefix(b"kernel: ") {
        Some(message) => {
            // Most kernel lines are not about USB devices: look at the message's first
            // bytes before decoding and dating the line.
            let message = match message.strip_prefix(b"[") {
                Some(rest) => match memchr::memchr(b']', &rest[..rest.len().min(24)]) {
                    Some(end) => rest[end + 1..]
                        .strip_prefix(b" ")
                        .unwrap_or(&rest[end + 1..]),
                    None => message,
                },
                None => message,
            };
            if !kernel::might_matter(message) {
                return None;
            }
            false
        }
        None if tag.starts_with(b"mtp-probe") => true,
        None => return None,
    };
    let text = decode_line(bytes);
    let Some((time, after_time)) = parse_line_time(&text) else {
        *undated += 1;
        return None;
    };
    // `host kernel: message` or `host mtp-probe[123]: message`.
    let (_, tagged) = after_time.split_once(' ')?;
    let message = if mtp {
        let (tag, message) = tagged.split_once(": ")?;
        if tag != "mtp-probe" && !(tag.starts_with("mtp-probe[") && tag.ends_with(']')) {
            return None;
        }
        message
    } else {
        tagged.strip_prefix("kernel: ")?
    };
    let (uptime, message) = strip_uptime(message);
    let event = if mtp {
        kernel::parse_mtp_probe(message)?
    } else {
        kernel::parse(message)?
    };
    let Some(time) = settle(time, reference, zone) else {
        *undated += 1;
        return None;
    };
    if time.unix_micros < since {
        return None;
    }
    Some(Record {
        source: Arc::from(""),
        line: None,
        offset: None,
        cursor: None,
        time: Some(time),
        uptime,
        boot: None,
        message: message.to_string(),
        event,
    })
}

/// Log lines are mostly UTF-8; anything else keeps its bytes visible as `\xNN`.
fn decode_line(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.len() <= crate::text::MAX_VALUE_BYTES => text.to_string(),
        _ => decode_bytes(bytes),
    }
}

pub fn system_micros(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

/// Sequential reads of an open file from an offset.
pub struct At<'f> {
    file: &'f OpenFile,
    pos: u64,
}

impl<'f> At<'f> {
    pub fn new(file: &'f OpenFile, pos: u64) -> At<'f> {
        At { file, pos }
    }
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let end = self.file.len();
        if self.pos >= end {
            return Ok(0);
        }
        let want = buf
            .len()
            .min((end - self.pos).min(usize::MAX as u64) as usize);
        let n = self.file.read_at(self.pos, &mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::history::DeviceKind;
    use kernel::Event;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rotations_sort_newest_first_across_families() {
        let found = discover(&names(&[
            "kern.log.2.gz",
            "syslog",
            "kern.log",
            "kern.log.1",
            "syslog.10.gz",
            "syslog.2.gz",
            "messages-20240301.gz",
            "messages-20240305",
            "messages",
            "kern.log.old",
            "syslog.gz.bak",
            "auth.log",
            "messages-2024",
        ]));
        let order: Vec<&str> = found.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            order,
            [
                "var/log/kern.log",
                "var/log/syslog",
                "var/log/messages",
                "var/log/kern.log.1",
                "var/log/kern.log.2.gz",
                "var/log/syslog.2.gz",
                "var/log/syslog.10.gz",
                "var/log/messages-20240305",
                "var/log/messages-20240301.gz",
            ]
        );
        assert!(
            found
                .iter()
                .find(|f| f.rel.ends_with(".2.gz"))
                .unwrap()
                .gzip
        );
    }

    fn record(line: &str) -> Option<Record> {
        kernel_record(line.as_bytes(), 1_709_640_000, &LocalZone::utc(), 0, &mut 0)
    }

    #[test]
    fn kernel_lines_in_both_time_formats() {
        let r = record("Mar  5 10:13:05 S5350 kernel: [ 6387.271931] usb 4-2: New USB device found, idVendor=1f75, idProduct=0621").unwrap();
        assert_eq!(r.uptime, Some(6_387_271_931));
        assert_eq!(r.time.unwrap().to_rfc3339(), "2024-03-05T10:13:05Z");
        assert!(matches!(r.event, Event::Ids { .. }));
        let r = record("2024-03-05T18:13:05.123456+08:00 pc kernel: usb-storage 4-2:1.0: USB Mass Storage device detected").unwrap();
        assert_eq!(r.time.unwrap().to_rfc3339(), "2024-03-05T10:13:05Z");
        assert_eq!(r.uptime, None);
        assert!(matches!(
            r.event,
            Event::Kind {
                kind: DeviceKind::Storage,
                ..
            }
        ));
    }

    #[test]
    fn only_kernel_and_mtp_probe_tags_count() {
        assert!(record("Mar  5 10:13:05 h sudo: usb 4-2: SerialNumber: X").is_none());
        assert!(record("Mar  5 10:13:05 h kernelx: usb 4-2: SerialNumber: X").is_none());
        assert!(record("Mar  5 10:13:05 h kernel: usb 4-2: SerialNumber: X").is_some());
        let r = record("Mar  5 10:13:05 h mtp-probe[812]: bus: 4, device: 3 was an MTP device")
            .unwrap();
        assert_eq!(r.event, Event::Mtp { bus: 4, number: 3 });
        assert!(
            record("Mar  5 10:13:05 h mtp-probe: bus: 4, device: 3 was not an MTP device")
                .is_none()
        );
    }

    #[test]
    fn lines_before_the_window_are_dropped() {
        let line = "Mar  5 10:13:05 h kernel: usb 4-2: SerialNumber: X";
        let r = kernel_record(
            line.as_bytes(),
            1_709_640_000,
            &LocalZone::utc(),
            1_709_640_000_000_000,
            &mut 0,
        );
        assert!(r.is_none());
    }

    #[test]
    fn undatable_kernel_lines_are_counted() {
        let mut undated = 0;
        let line = b"Foo 99 99:99:99 h kernel: usb 1-4: SerialNumber: x";
        let r = kernel_record(line, 0, &LocalZone::utc(), 0, &mut undated);
        assert!(r.is_none());
        assert_eq!(undated, 1);
    }

    #[test]
    fn hostile_bytes_stay_visible() {
        let line = b"Mar  5 10:13:05 h kernel: usb 4-2: Product: Disk\xff\xfe\x1b[2J";
        let r = kernel_record(line, 1_709_640_000, &LocalZone::utc(), 0, &mut 0).unwrap();
        assert_eq!(
            r.event,
            Event::Product {
                port: "4-2".into(),
                value: "Disk\\xff\\xfe\u{1b}[2J".into()
            }
        );
    }
}
