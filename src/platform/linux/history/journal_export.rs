//! Journal recordings in export format (`journalctl -o export`), systemd's documented
//! serialization of journal entries: `FIELD=value` lines, or for values with control
//! characters `FIELD`, a newline, a little-endian 64-bit length, the bytes and a newline;
//! entries end with an empty line.
//!
//! Naming convention for recordings: a file ending in `.export` in a journal folder
//! (`var/log/journal/NAME.export`, `var/log/journal/MACHINE-ID/NAME.export`, and the same
//! under `run/log/journal`), made with `journalctl -o export > NAME.export`. A recording is
//! what a user can send of a machine whose binary journal cannot be shared; it is read the
//! way the journal is: kernel entries (`_TRANSPORT=kernel`) and udev's mtp-probe.

use std::sync::Arc;

use super::budget::Budget;
use super::episodes::Record;
use super::kernel;
use crate::inventory::history::{Coverage, SourceFormat, Timestamp};
use crate::platform::linux::root::display_path;
use crate::platform::linux::root::OpenFile;
use crate::platform::linux::HostRoot;
use crate::text::decode_bytes;

pub const DIRS: [&str; 2] = ["var/log/journal", "run/log/journal"];

/// Every recording, admitted and opened.
pub fn plan(host: &HostRoot, budget: &mut Budget<'_>) -> Vec<(String, OpenFile)> {
    let mut out = Vec::new();
    for rel in recordings(host) {
        if !budget.admit(&rel, SourceFormat::JournalExport) {
            continue;
        }
        if let Some(file) = host.open_file(&rel) {
            out.push((rel, file));
        }
    }
    out
}

/// One record stream per recording.
pub fn read(
    host: &HostRoot,
    budget: &mut Budget<'_>,
    recordings: Vec<(String, OpenFile)>,
) -> Vec<Vec<Record>> {
    recordings
        .iter()
        .map(|(rel, file)| read_one(host, budget, rel, file))
        .collect()
}

fn recordings(host: &HostRoot) -> Vec<String> {
    let mut out = Vec::new();
    for dir in DIRS {
        for name in host.list_dir(dir).unwrap_or_default() {
            let rel = format!("{dir}/{name}");
            if name.ends_with(".export") {
                out.push(rel);
            } else if host.is_dir(&rel) {
                for inner in host.list_dir(&rel).unwrap_or_default() {
                    if inner.ends_with(".export") {
                        out.push(format!("{rel}/{inner}"));
                    }
                }
            }
        }
    }
    out
}

fn read_one(host: &HostRoot, budget: &mut Budget<'_>, rel: &str, file: &OpenFile) -> Vec<Record> {
    let format = SourceFormat::JournalExport;
    let (allowance, bound) = budget.allowance();
    // Entries are in time order, so a bound keeps the end of the recording.
    let start = file.len().saturating_sub(allowance);
    let mut bytes = vec![0u8; (file.len() - start) as usize];
    let n = match file.read_at(start, &mut bytes) {
        Ok(n) => n,
        Err(err) => {
            host.note(rel, err.to_string());
            return Vec::new();
        }
    };
    bytes.truncate(n);
    budget.charge(n as u64);
    let mut body: &[u8] = &bytes;
    let mut coverage = Coverage::Whole;
    if start > 0 {
        // Resume at the next entry boundary; line numbers are unknown from here.
        match memchr::memmem::find(body, b"\n\n") {
            Some(at) => body = &body[at + 2..],
            None => body = &[],
        }
        budget.truncate(
            rel,
            bound,
            format!(
                "first {start} bytes (the oldest entries) not read: bound of {}",
                budget.describe(bound)
            ),
        );
        coverage = Coverage::Partial;
    }
    let parsed = parse(body, start == 0);
    let source: Arc<str> = Arc::from(display_path(rel));
    let since = budget.since_micros;
    let mut records = Vec::new();
    for entry in &parsed.entries {
        if let Some(mut record) = entry_record(entry) {
            if record.time.is_some_and(|t| t.unix_micros < since) {
                continue;
            }
            record.source = source.clone();
            records.push(record);
        }
    }
    if let Some(err) = &parsed.error {
        host.note(rel, err.clone());
        coverage = Coverage::Partial;
    }
    let time = |e: &Entry| e.realtime.map(Timestamp::exact);
    budget.source(
        rel,
        format,
        coverage,
        n as u64,
        parsed.entries.len() as u64,
        parsed.entries.first().and_then(time),
        parsed.entries.last().and_then(time),
    );
    records
}

/// The fields of one entry that matter here.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Entry {
    pub cursor: Option<String>,
    pub realtime: Option<i64>,
    pub monotonic: Option<u64>,
    pub source_monotonic: Option<u64>,
    pub boot_id: Option<String>,
    pub transport: Option<String>,
    pub identifier: Option<String>,
    pub message: Option<Vec<u8>>,
    /// 1-based line of the MESSAGE field, when line numbers are known.
    pub message_line: Option<u64>,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    /// Why parsing stopped early, after the entries before.
    pub error: Option<String>,
}

/// Largest field value kept; messages are cut to it (the rest is skipped, not kept).
const MAX_FIELD: usize = 64 << 10;

/// Parses export format. `numbered` says whether `data` starts at the file's first line.
pub fn parse(data: &[u8], numbered: bool) -> Parsed {
    let mut out = Parsed::default();
    let mut entry = Entry::default();
    let mut has_fields = false;
    let mut pos = 0usize;
    let mut line = 1u64;
    while pos < data.len() {
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
        let field = &data[pos..end];
        let field_line = line;
        line += 1;
        pos = end + 1;
        if field.is_empty() {
            if has_fields {
                out.entries.push(std::mem::take(&mut entry));
                has_fields = false;
            }
            continue;
        }
        has_fields = true;
        let (name, value): (&[u8], &[u8]) = match memchr::memchr(b'=', field) {
            Some(eq) => (&field[..eq], &field[eq + 1..]),
            None => {
                // Binary field: NAME\n, le64 length, data, \n.
                let Some(len_bytes) = data.get(pos..pos + 8) else {
                    out.error = Some(format!(
                        "line {field_line}: binary field {} has no length",
                        decode_bytes(field)
                    ));
                    break;
                };
                let mut le = [0u8; 8];
                le.copy_from_slice(len_bytes);
                let len = u64::from_le_bytes(le);
                let Some(value_end) = usize::try_from(len)
                    .ok()
                    .and_then(|l| (pos + 8).checked_add(l))
                    .filter(|&e| e < data.len() || (e == data.len()))
                else {
                    out.error = Some(format!(
                        "line {field_line}: binary field {} claims {len} bytes, past the end of the recording",
                        decode_bytes(field)
                    ));
                    break;
                };
                let value = &data[pos + 8..value_end];
                line += memchr::memchr_iter(b'\n', value).count() as u64 + 1;
                pos = value_end + 1;
                (field, value)
            }
        };
        let value = &value[..value.len().min(MAX_FIELD)];
        let text = || std::str::from_utf8(value).ok().map(str::to_string);
        match name {
            b"__CURSOR" => entry.cursor = text().map(|c| c.chars().take(512).collect()),
            b"__REALTIME_TIMESTAMP" => entry.realtime = text().and_then(|t| t.parse().ok()),
            b"__MONOTONIC_TIMESTAMP" => entry.monotonic = text().and_then(|t| t.parse().ok()),
            b"_SOURCE_MONOTONIC_TIMESTAMP" => {
                entry.source_monotonic = text().and_then(|t| t.parse().ok());
            }
            b"_BOOT_ID" => entry.boot_id = text().filter(|b| b.len() <= 64),
            b"_TRANSPORT" => entry.transport = text(),
            b"SYSLOG_IDENTIFIER" => entry.identifier = text(),
            b"MESSAGE" => {
                entry.message = Some(value.to_vec());
                entry.message_line = numbered.then_some(field_line);
            }
            _ => {}
        }
    }
    if has_fields {
        out.entries.push(entry);
    }
    out
}

/// A kernel or mtp-probe entry as a record (without its source, which the caller sets).
pub fn entry_record(entry: &Entry) -> Option<Record> {
    let message = decode_bytes(entry.message.as_deref()?);
    let kernel_entry = match entry.transport.as_deref() {
        Some(t) => t == "kernel",
        None => entry.identifier.as_deref() == Some("kernel"),
    };
    let event = if kernel_entry {
        kernel::parse(&message)?
    } else if entry.identifier.as_deref() == Some("mtp-probe") {
        kernel::parse_mtp_probe(&message)?
    } else {
        return None;
    };
    Some(Record {
        source: Arc::from(""),
        line: entry.message_line,
        offset: None,
        cursor: entry.cursor.clone(),
        time: entry.realtime.map(Timestamp::exact),
        uptime: entry.source_monotonic.or(entry.monotonic),
        boot: entry.boot_id.clone(),
        message,
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::Event;

    const TWO: &[u8] = b"__CURSOR=s=abc;i=1\n__REALTIME_TIMESTAMP=1709633472000000\n__MONOTONIC_TIMESTAMP=6387251489\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=usb 4-2: new SuperSpeed USB device number 3 using xhci_hcd\n\n__CURSOR=s=abc;i=2\n__REALTIME_TIMESTAMP=1709633473000000\n_TRANSPORT=syslog\nSYSLOG_IDENTIFIER=sudo\nMESSAGE=usb 4-2: SerialNumber: forged\n\n";

    #[test]
    fn text_fields_and_line_numbers() {
        let parsed = parse(TWO, true);
        assert_eq!(parsed.entries.len(), 2);
        assert!(parsed.error.is_none());
        let r = entry_record(&parsed.entries[0]).unwrap();
        assert_eq!(r.line, Some(7));
        assert_eq!(r.cursor.as_deref(), Some("s=abc;i=1"));
        assert_eq!(r.time.unwrap().unix_seconds(), 1_709_633_472);
        assert_eq!(r.uptime, Some(6_387_251_489));
        assert!(matches!(r.event, Event::Connect { .. }));
        // A program's syslog message that looks like the kernel's is not the kernel's.
        assert!(entry_record(&parsed.entries[1]).is_none());
    }

    #[test]
    fn binary_fields() {
        let mut data = b"__CURSOR=c\n_TRANSPORT=kernel\nMESSAGE\n".to_vec();
        let msg = b"usb 1-2: Product: Evil\x1b[2J\nDisk\xff";
        data.extend_from_slice(&(msg.len() as u64).to_le_bytes());
        data.extend_from_slice(msg);
        data.extend_from_slice(b"\n__REALTIME_TIMESTAMP=5\n\n__CURSOR=next\n\n");
        let parsed = parse(&data, true);
        assert_eq!(parsed.entries.len(), 2, "{parsed:?}");
        assert_eq!(parsed.entries[0].realtime, Some(5));
        let r = entry_record(&parsed.entries[0]).unwrap();
        assert_eq!(
            r.event,
            Event::Product {
                port: "1-2".into(),
                value: "Evil\u{1b}[2J\nDisk\\xff".into()
            }
        );
        assert_eq!(r.line, Some(3));
        assert_eq!(parsed.entries[1].cursor.as_deref(), Some("next"));
    }

    #[test]
    fn a_lying_length_stops_with_an_error() {
        let mut data = b"_TRANSPORT=kernel\nMESSAGE=usb 1-2: SerialNumber: A\n\nMESSAGE\n".to_vec();
        data.extend_from_slice(&u64::MAX.to_le_bytes());
        data.extend_from_slice(b"xx");
        let parsed = parse(&data, true);
        assert_eq!(parsed.entries.len(), 2);
        assert!(parsed.error.unwrap().contains("past the end"));
        let cut = parse(b"MESSAGE\n\x01\x00", true);
        assert!(cut.error.unwrap().contains("no length"));
    }
}
