//! Binary journal files (`var/log/journal/MACHINE-ID/*.journal`, `run/log/journal/...`),
//! read directly as systemd documents them (JOURNAL_FILE_FORMAT): no libsystemd, no
//! journalctl, nothing mapped into memory.
//!
//! A journal file indexes every field value. The entries of kernel messages are found by
//! looking up the value `_TRANSPORT=kernel` in the file's data hash table (siphash24 keyed
//! by the file id, or Jenkins lookup3 in older files) and walking that value's entry
//! arrays, newest entry first, so a gigabyte of journal costs only its kernel entries, and
//! a bound cuts the oldest. udev's `SYSLOG_IDENTIFIER=mtp-probe` entries are found the same
//! way. Each entry's `MESSAGE` is usually written just before the entry, so one read around
//! the entry finds it.
//!
//! Both the regular and the compact (systemd 252+) layout are read; compressed data objects
//! (XZ, LZ4, zstd) are decompressed with pure-Rust decoders, bounded. Every offset is
//! checked against the file before use: a journal is written while it is read, and may be
//! damaged or hostile. A damaged object costs that entry (counted and noted once per
//! file), not the file.

use std::collections::HashSet;
use std::hash::Hasher;
use std::io::{Read, Write};
use std::sync::Arc;

use siphasher::sip::SipHasher24;

use super::budget::Budget;
use super::episodes::Record;
use super::kernel;
use super::lookup3::jenkins_hash64;
use crate::inventory::history::{Coverage, LimitKind, SourceFormat, Timestamp};
use crate::platform::linux::root::display_path;
use crate::platform::linux::root::OpenFile;
use crate::platform::linux::HostRoot;
use crate::text::decode_bytes;

pub const DIRS: [&str; 2] = ["var/log/journal", "run/log/journal"];

const SIGNATURE: &[u8; 8] = b"LPKSHHRH";
const HEADER_MIN: u64 = 208;

const INCOMPAT_XZ: u32 = 1;
const INCOMPAT_LZ4: u32 = 1 << 1;
const INCOMPAT_KEYED_HASH: u32 = 1 << 2;
const INCOMPAT_ZSTD: u32 = 1 << 3;
const INCOMPAT_COMPACT: u32 = 1 << 4;
const INCOMPAT_KNOWN: u32 =
    INCOMPAT_XZ | INCOMPAT_LZ4 | INCOMPAT_KEYED_HASH | INCOMPAT_ZSTD | INCOMPAT_COMPACT;

const OBJECT_DATA: u8 = 1;
const OBJECT_ENTRY: u8 = 3;
const OBJECT_ENTRY_ARRAY: u8 = 6;

const COMPRESSED_XZ: u8 = 1;
const COMPRESSED_LZ4: u8 = 1 << 1;
const COMPRESSED_ZSTD: u8 = 1 << 2;

/// Bytes read before an entry in the same call, where its newest data objects usually are.
const LOOK_BEHIND: u64 = 384;
/// First read of an object of unknown size.
const FIRST_READ: usize = 256;
/// Largest object read (a data object with a long message, an entry with many fields).
const MAX_OBJECT: u64 = 1 << 20;
/// Largest decompressed value kept.
const MAX_VALUE: usize = 64 << 10;
/// Hash chain and entry array chain hops before a file is taken as damaged.
const MAX_HOPS: usize = 4096;
/// Data objects remembered as "not a field we need", per file.
const MAX_CACHE: usize = 1 << 16;

/// A folder's journal files, admitted and opened, newest first.
pub struct Folder(Vec<(String, OpenFile, Header)>);

/// Finds, admits and opens every journal file, one folder at a time.
pub fn plan(host: &HostRoot, budget: &mut Budget<'_>) -> Vec<Folder> {
    let mut streams = Vec::new();
    for dir in DIRS {
        let Some(names) = host.list_dir(dir) else {
            continue;
        };
        let mut top = Vec::new();
        for name in names {
            let rel = format!("{dir}/{name}");
            if is_journal_name(&name) {
                top.push(rel);
            } else if host.is_dir(&rel) {
                let files: Vec<String> = host
                    .list_dir(&rel)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|n| is_journal_name(n))
                    .map(|n| format!("{rel}/{n}"))
                    .collect();
                if !files.is_empty() {
                    streams.push(open_folder(host, budget, files));
                }
            }
        }
        if !top.is_empty() {
            streams.push(open_folder(host, budget, top));
        }
    }
    streams
}

/// One stream of records per folder (a machine's files interleave by time).
pub fn read(host: &HostRoot, budget: &mut Budget<'_>, folders: Vec<Folder>) -> Vec<Vec<Record>> {
    folders
        .into_iter()
        .map(|folder| read_folder(host, budget, folder))
        .collect()
}

fn is_journal_name(name: &str) -> bool {
    name.ends_with(".journal") || name.ends_with(".journal~")
}

fn open_folder(host: &HostRoot, budget: &mut Budget<'_>, files: Vec<String>) -> Folder {
    let mut opened = Vec::new();
    for rel in files {
        if !budget.admit(&rel, SourceFormat::JournalFile) {
            continue;
        }
        let Some(file) = host.open_file(&rel) else {
            continue;
        };
        match Header::read(&file) {
            Ok(header) => opened.push((rel, file, header)),
            Err(err) => {
                host.note(&rel, err);
                budget.source(
                    &rel,
                    SourceFormat::JournalFile,
                    Coverage::NotRead,
                    0,
                    0,
                    None,
                    None,
                );
            }
        }
    }
    opened.sort_by_key(|f| std::cmp::Reverse(f.2.tail_realtime));
    Folder(opened)
}

/// Reads a folder's files newest first and returns their records oldest first.
fn read_folder(host: &HostRoot, budget: &mut Budget<'_>, folder: Folder) -> Vec<Record> {
    let mut records = Vec::new();
    for (rel, file, header) in &folder.0 {
        let newest = Some(header.tail_realtime).filter(|&t| t > 0);
        if newest.is_some_and(|t| (t as i64) < budget.since_micros) {
            budget.source(
                rel,
                SourceFormat::JournalFile,
                Coverage::OutsideWindow,
                0,
                0,
                None,
                None,
            );
            continue;
        }
        records.extend(read_file(host, budget, rel, file, header));
    }
    records.sort_by_key(|r| r.time.map(|t| t.unix_micros));
    records
}

#[derive(Debug, Clone)]
pub struct Header {
    pub incompatible: u32,
    pub file_id: [u8; 16],
    pub seqnum_id: [u8; 16],
    pub header_size: u64,
    /// End of the used part of the file (header plus arena), within the file.
    pub end: u64,
    pub data_hash_table_offset: u64,
    pub data_hash_table_size: u64,
    pub head_realtime: u64,
    pub tail_realtime: u64,
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

fn le32(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

fn id(b: &[u8], at: usize) -> [u8; 16] {
    let mut w = [0u8; 16];
    w.copy_from_slice(&b[at..at + 16]);
    w
}

impl Header {
    pub fn read(file: &OpenFile) -> Result<Header, String> {
        let mut b = [0u8; HEADER_MIN as usize];
        let n = file.read_at(0, &mut b).map_err(|e| e.to_string())?;
        Header::parse(&b[..n], file.len())
    }

    pub fn parse(b: &[u8], file_len: u64) -> Result<Header, String> {
        if b.len() < HEADER_MIN as usize || &b[..8] != SIGNATURE {
            return Err("not a journal file (no LPKSHHRH header)".to_string());
        }
        let incompatible = le32(b, 12);
        if incompatible & !INCOMPAT_KNOWN != 0 {
            return Err(format!(
                "journal file uses features this reader does not know (incompatible flags {incompatible:#x}): not read"
            ));
        }
        let header_size = le64(b, 88);
        let arena_size = le64(b, 96);
        if header_size < HEADER_MIN || header_size > file_len {
            return Err(format!("journal header size {header_size} is impossible"));
        }
        let end = header_size.saturating_add(arena_size).min(file_len);
        Ok(Header {
            incompatible,
            file_id: id(b, 24),
            seqnum_id: id(b, 72),
            header_size,
            end,
            data_hash_table_offset: le64(b, 104),
            data_hash_table_size: le64(b, 112),
            head_realtime: le64(b, 184),
            tail_realtime: le64(b, 192),
        })
    }

    fn compact(&self) -> bool {
        self.incompatible & INCOMPAT_COMPACT != 0
    }

    /// The hash the file's tables use for a field value.
    pub fn hash(&self, data: &[u8]) -> u64 {
        if self.incompatible & INCOMPAT_KEYED_HASH != 0 {
            let mut h = SipHasher24::new_with_key(&self.file_id);
            h.write(data);
            h.finish()
        } else {
            jenkins_hash64(data)
        }
    }
}

#[derive(Debug)]
enum Stop {
    /// The byte allowance is used up.
    Budget,
    /// The structure is damaged here.
    Damaged(String),
    Io(std::io::Error),
}

/// Bounded, counted positioned reads of one journal file.
struct Reader<'f> {
    file: &'f OpenFile,
    header: Header,
    read: u64,
    limit: u64,
    buf: Vec<u8>,
    /// The look-behind window of the last entry read: its file offset and bytes.
    window_at: u64,
    window: Vec<u8>,
    /// Data objects known not to be MESSAGE or _SOURCE_MONOTONIC_TIMESTAMP.
    other: HashSet<u64>,
    /// The current entry's data offsets (kept to spare an allocation per entry).
    items: Vec<u64>,
}

impl<'f> Reader<'f> {
    fn read_at(&mut self, offset: u64, len: usize) -> Result<usize, Stop> {
        if offset >= self.header.end {
            return Err(Stop::Damaged(format!(
                "offset {offset} is past the file's end"
            )));
        }
        let len = len.min((self.header.end - offset) as usize);
        if self.read.saturating_add(len as u64) > self.limit {
            return Err(Stop::Budget);
        }
        self.buf.resize(len, 0);
        let n = self.file.read_at(offset, &mut self.buf).map_err(Stop::Io)?;
        self.buf.truncate(n);
        self.read += n as u64;
        Ok(n)
    }

    fn check_offset(&self, offset: u64) -> Result<(), Stop> {
        if !offset.is_multiple_of(8)
            || offset < self.header.header_size
            || offset >= self.header.end
        {
            return Err(Stop::Damaged(format!(
                "object offset {offset} is not in the file"
            )));
        }
        Ok(())
    }

    /// Reads a whole object of the expected type into `self.buf`.
    fn object(&mut self, offset: u64, kind: u8) -> Result<(), Stop> {
        self.check_offset(offset)?;
        self.read_at(offset, FIRST_READ)?;
        self.finish_object(offset, kind)
    }

    /// Completes an object whose start is in `self.buf`.
    fn finish_object(&mut self, offset: u64, kind: u8) -> Result<(), Stop> {
        if self.buf.len() < 16 {
            return Err(Stop::Damaged(format!("object at {offset} is cut off")));
        }
        let (found, size) = (self.buf[0], le64(&self.buf, 8));
        if found != kind {
            return Err(Stop::Damaged(format!(
                "object at {offset} is of type {found}, expected {kind}"
            )));
        }
        if !(16..=MAX_OBJECT).contains(&size) || offset.saturating_add(size) > self.header.end {
            return Err(Stop::Damaged(format!(
                "object at {offset} has impossible size {size}"
            )));
        }
        if (self.buf.len() as u64) < size {
            self.read_at(offset, size as usize)?;
        }
        self.buf.truncate(size as usize);
        Ok(())
    }

    /// Finds the data object holding exactly `payload` through the hash table.
    fn find_data(&mut self, payload: &[u8]) -> Result<Option<u64>, Stop> {
        let buckets = self.header.data_hash_table_size / 16;
        if buckets == 0 {
            return Ok(None);
        }
        let hash = self.header.hash(payload);
        let item = self.header.data_hash_table_offset + (hash % buckets) * 16;
        self.read_at(item, 16)?;
        if self.buf.len() < 16 {
            return Err(Stop::Damaged("data hash table is cut off".to_string()));
        }
        let mut offset = le64(&self.buf, 0);
        for _ in 0..MAX_HOPS {
            if offset == 0 {
                return Ok(None);
            }
            self.object(offset, OBJECT_DATA)?;
            let found_hash = le64(&self.buf, 16);
            let next = le64(&self.buf, 24);
            if found_hash == hash {
                let (flags, body) = self.data_payload()?;
                if flags == 0 && body == payload {
                    return Ok(Some(offset));
                }
            }
            offset = next;
        }
        Err(Stop::Damaged("data hash chain does not end".to_string()))
    }

    /// The payload of the data object in `self.buf`, with its compression flags.
    fn data_payload(&self) -> Result<(u8, &[u8]), Stop> {
        let start = if self.header.compact() { 72 } else { 64 };
        if self.buf.len() < start {
            return Err(Stop::Damaged("data object is too short".to_string()));
        }
        Ok((self.buf[1], &self.buf[start..]))
    }

    /// Every entry offset that references the data object at `offset`, ascending.
    fn entries_of(&mut self, offset: u64) -> Result<Vec<u64>, Stop> {
        self.object(offset, OBJECT_DATA)?;
        let first = le64(&self.buf, 40);
        let mut array = le64(&self.buf, 48);
        let n_entries = le64(&self.buf, 56);
        let mut out = Vec::new();
        if n_entries == 0 {
            return Ok(out);
        }
        if first != 0 {
            out.push(first);
        }
        let item = if self.header.compact() { 4 } else { 8 };
        let mut hops = 0;
        while array != 0 && (out.len() as u64) < n_entries {
            hops += 1;
            if hops > MAX_HOPS {
                return Err(Stop::Damaged("entry array chain does not end".to_string()));
            }
            self.check_offset(array)?;
            self.read_at(array, 24)?;
            if self.buf.len() < 24 || self.buf[0] != OBJECT_ENTRY_ARRAY {
                return Err(Stop::Damaged(format!("no entry array at {array}")));
            }
            let size = le64(&self.buf, 8);
            if size < 24 || array.saturating_add(size) > self.header.end || size > (64 << 20) {
                return Err(Stop::Damaged(format!(
                    "entry array at {array} has impossible size"
                )));
            }
            let next = le64(&self.buf, 16);
            self.read_at(array, size as usize)?;
            for chunk in self.buf[24..].chunks_exact(item) {
                let value = if item == 4 {
                    u64::from(le32(chunk, 0))
                } else {
                    le64(chunk, 0)
                };
                if value == 0 || (out.len() as u64) >= n_entries {
                    break;
                }
                out.push(value);
            }
            array = next;
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Reads an entry and its MESSAGE (and the kernel's own timestamp, when it is close),
    /// in one read of the entry and the bytes before it where possible.
    fn entry(&mut self, offset: u64) -> Result<Option<RawEntry>, Stop> {
        self.check_offset(offset)?;
        let behind = LOOK_BEHIND.min(offset - self.header.header_size);
        let start = offset - behind;
        self.read_at(start, behind as usize + FIRST_READ)?;
        self.window_at = start;
        std::mem::swap(&mut self.window, &mut self.buf);
        let at = behind as usize;
        if self.window.len() < at + 64 {
            return Err(Stop::Damaged(format!("entry at {offset} is cut off")));
        }
        let size = le64(&self.window, at + 8);
        let whole = self.window[at] == OBJECT_ENTRY
            && (64..=MAX_OBJECT).contains(&size)
            && at as u64 + size <= self.window.len() as u64;
        // Usually the entry is in the window; a large one is read on its own.
        let entry: &[u8] = if whole {
            &self.window[at..at + size as usize]
        } else {
            self.object(offset, OBJECT_ENTRY)?;
            if self.buf.len() < 64 {
                return Err(Stop::Damaged(format!("entry at {offset} is too short")));
            }
            &self.buf
        };
        let mut raw = RawEntry {
            offset,
            seqnum: le64(entry, 16),
            realtime: le64(entry, 24),
            monotonic: le64(entry, 32),
            boot_id: id(entry, 40),
            xor_hash: le64(entry, 56),
            message: None,
            source_monotonic: None,
            pending: Vec::new(),
        };
        let mut items = std::mem::take(&mut self.items);
        items.clear();
        if self.header.compact() {
            items.extend(entry[64..].chunks_exact(4).map(|c| u64::from(le32(c, 0))));
        } else {
            items.extend(entry[64..].chunks_exact(16).map(|c| le64(c, 0)));
        }
        let result = self.entry_fields(&items, &mut raw);
        self.items = items;
        result.map(|()| Some(raw))
    }

    fn entry_fields(&mut self, items: &[u64], raw: &mut RawEntry) -> Result<(), Stop> {
        // Items are in offset order; the message, unique to its entry, is among the last.
        for &data in items.iter().rev() {
            if data == 0 || self.other.contains(&data) {
                continue;
            }
            let found = match self.in_window(data) {
                Some(found) => found,
                None if raw.message.is_some() => {
                    // The rest is only for the kernel's own timestamp: read later, and
                    // only if the message turns out to matter.
                    raw.pending.push(data);
                    continue;
                }
                None => self.field(data),
            };
            let (field, value) = match found {
                Ok(found) => found,
                Err(Stop::Damaged(_)) => continue,
                Err(stop) => return Err(stop),
            };
            match field {
                Field::Message => raw.message = value,
                Field::SourceMonotonic => {
                    raw.source_monotonic =
                        value.and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse().ok());
                }
                Field::Other => self.remember_other(data),
            }
            if raw.message.is_some() && raw.source_monotonic.is_some() {
                break;
            }
        }
        Ok(())
    }

    fn remember_other(&mut self, data: u64) {
        if self.other.len() >= MAX_CACHE {
            self.other.clear();
        }
        self.other.insert(data);
    }

    /// A data object that lies wholly in the last entry's window, classified without a read.
    #[allow(clippy::type_complexity)]
    fn in_window(&self, offset: u64) -> Option<Result<(Field, Option<Vec<u8>>), Stop>> {
        if offset < self.window_at || !offset.is_multiple_of(8) || offset < self.header.header_size
        {
            return None;
        }
        let at = usize::try_from(offset - self.window_at).ok()?;
        let rest = self.window.get(at..)?;
        if rest.len() < 16 {
            return None;
        }
        let size = le64(rest, 8);
        if rest[0] != OBJECT_DATA || size < 16 || size > rest.len() as u64 {
            return None;
        }
        Some(self.classify(offset, &rest[..size as usize]))
    }

    /// The kernel's own timestamp of an entry that matters, from the data objects that
    /// were not read with it.
    fn source_monotonic(&mut self, pending: &[u64]) -> Result<Option<u64>, Stop> {
        for &data in pending.iter().take(64) {
            if self.other.contains(&data) {
                continue;
            }
            match self.field(data) {
                Ok((Field::SourceMonotonic, Some(v))) => {
                    return Ok(std::str::from_utf8(&v)
                        .ok()
                        .and_then(|t| t.trim().parse().ok()));
                }
                Ok(_) => self.remember_other(data),
                Err(Stop::Damaged(_)) => {}
                Err(stop) => return Err(stop),
            }
        }
        Ok(None)
    }

    /// Which field a data object holds, and its value when it is one we need.
    fn field(&mut self, offset: u64) -> Result<(Field, Option<Vec<u8>>), Stop> {
        self.object(offset, OBJECT_DATA)?;
        let object = std::mem::take(&mut self.buf);
        let result = self.classify(offset, &object);
        self.buf = object;
        result
    }

    /// Classifies a whole data object.
    fn classify(&self, offset: u64, object: &[u8]) -> Result<(Field, Option<Vec<u8>>), Stop> {
        let start = if self.header.compact() { 72 } else { 64 };
        let (flags, payload) = match object.get(start..) {
            Some(payload) => (object[1], payload),
            None => return Err(Stop::Damaged("data object is too short".to_string())),
        };
        let plain;
        let body: &[u8] = if flags & (COMPRESSED_XZ | COMPRESSED_LZ4 | COMPRESSED_ZSTD) != 0 {
            plain = decompress(flags, payload)
                .map_err(|e| Stop::Damaged(format!("data object at {offset}: {e}")))?;
            &plain
        } else {
            payload
        };
        if let Some(message) = body.strip_prefix(b"MESSAGE=") {
            return Ok((
                Field::Message,
                Some(message[..message.len().min(MAX_VALUE)].to_vec()),
            ));
        }
        if let Some(value) = body.strip_prefix(b"_SOURCE_MONOTONIC_TIMESTAMP=") {
            return Ok((Field::SourceMonotonic, Some(value.to_vec())));
        }
        Ok((Field::Other, None))
    }
}

enum Field {
    Message,
    SourceMonotonic,
    Other,
}

struct RawEntry {
    offset: u64,
    seqnum: u64,
    realtime: u64,
    monotonic: u64,
    boot_id: [u8; 16],
    xor_hash: u64,
    message: Option<Vec<u8>>,
    source_monotonic: Option<u64>,
    /// Data objects not read yet (outside the look-behind window).
    pending: Vec<u64>,
}

fn hex(id: &[u8; 16]) -> String {
    use std::fmt::Write as _;
    id.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A journal data object's compressed payload, decompressed to at most [`MAX_VALUE`] bytes
/// (more is an error: a value that large is not a kernel message).
pub fn decompress(flags: u8, data: &[u8]) -> Result<Vec<u8>, String> {
    if flags & COMPRESSED_LZ4 != 0 {
        // systemd prefixes LZ4 blocks with the decompressed size as a 64-bit integer.
        if data.len() < 8 {
            return Err("LZ4 data is too short".to_string());
        }
        let size = le64(data, 0);
        if size > MAX_VALUE as u64 {
            return Err(format!("LZ4 data of {size} bytes is larger than kept"));
        }
        return lz4_flex::block::decompress(&data[8..], size as usize)
            .map_err(|e| format!("LZ4: {e}"));
    }
    if flags & COMPRESSED_ZSTD != 0 {
        let mut source = data;
        let decoder = ruzstd::decoding::StreamingDecoder::new(&mut source)
            .map_err(|e| format!("zstd: {e}"))?;
        let mut out = Vec::new();
        decoder
            .take(MAX_VALUE as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("zstd: {e}"))?;
        if out.len() > MAX_VALUE {
            return Err("zstd data is larger than kept".to_string());
        }
        return Ok(out);
    }
    if flags & COMPRESSED_XZ != 0 {
        let mut out = Bounded(Vec::new());
        lzma_rs::xz_decompress(&mut &data[..], &mut out).map_err(|e| format!("XZ: {e}"))?;
        return Ok(out.0);
    }
    Ok(data.to_vec())
}

/// A writer that refuses to grow past [`MAX_VALUE`], so a decompression bomb stops early.
struct Bounded(Vec<u8>);

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_VALUE {
            return Err(std::io::Error::other(
                "decompressed data is larger than kept",
            ));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const MATCHES: [(&[u8], bool); 2] = [
    (b"_TRANSPORT=kernel", false),
    (b"SYSLOG_IDENTIFIER=mtp-probe", true),
];

fn read_file(
    host: &HostRoot,
    budget: &mut Budget<'_>,
    rel: &str,
    file: &OpenFile,
    header: &Header,
) -> Vec<Record> {
    let (limit, bound) = budget.allowance();
    let mut reader = Reader {
        file,
        header: header.clone(),
        read: 0,
        limit,
        buf: Vec::with_capacity(FIRST_READ),
        window_at: 0,
        window: Vec::new(),
        other: HashSet::new(),
        items: Vec::new(),
    };
    let source: Arc<str> = Arc::from(display_path(rel));
    let mut records = Vec::new();
    let mut damaged: Vec<String> = Vec::new();
    let mut stopped: Option<(LimitKind, String)> = None;
    let mut examined = 0u64;
    let mut oldest: Option<u64> = None;

    // (entry offset, from mtp-probe)
    let mut targets: Vec<(u64, bool)> = Vec::new();
    for (payload, mtp) in MATCHES {
        match reader.find_data(payload).and_then(|found| match found {
            Some(at) => reader.entries_of(at),
            None => Ok(Vec::new()),
        }) {
            Ok(list) => targets.extend(list.into_iter().map(|o| (o, mtp))),
            Err(Stop::Budget) => {
                stopped = Some((bound, "index not read".to_string()));
                break;
            }
            Err(Stop::Damaged(why)) => damaged.push(why),
            Err(Stop::Io(err)) => {
                host.note(rel, err.to_string());
                break;
            }
        }
    }
    targets.sort_unstable();
    targets.dedup_by_key(|t| t.0);

    let seqnum_id = hex(&header.seqnum_id);
    for (n, &(offset, mtp)) in targets.iter().rev().enumerate() {
        if n % 256 == 0 && budget.expired() {
            stopped = Some((
                LimitKind::TimeBudget,
                format!("{} used up", budget.describe(LimitKind::TimeBudget)),
            ));
            break;
        }
        let raw = match reader.entry(offset) {
            Ok(Some(raw)) => raw,
            Ok(None) => continue,
            Err(Stop::Budget) => {
                stopped = Some((bound, format!("bound of {}", budget.describe(bound))));
                break;
            }
            Err(Stop::Damaged(why)) => {
                damaged.push(why);
                continue;
            }
            Err(Stop::Io(err)) => {
                host.note(rel, format!("read stopped: {err}"));
                break;
            }
        };
        examined += 1;
        oldest = Some(raw.realtime);
        if (raw.realtime as i64) < budget.since_micros {
            // Entries are in time order: the rest is older still.
            break;
        }
        let Some(message) = &raw.message else {
            continue;
        };
        // Most kernel messages are not about USB devices: a look at the bytes first.
        if !mtp && !kernel::might_matter(message) {
            continue;
        }
        let text = decode_bytes(message);
        let event = if mtp {
            kernel::parse_mtp_probe(&text)
        } else {
            kernel::parse(&text)
        };
        let Some(event) = event else {
            continue;
        };
        let mut uptime = raw.source_monotonic;
        if uptime.is_none() && !raw.pending.is_empty() {
            match reader.source_monotonic(&raw.pending) {
                Ok(found) => uptime = found,
                Err(Stop::Budget) => {
                    stopped = Some((bound, format!("bound of {}", budget.describe(bound))));
                }
                Err(Stop::Io(err)) => host.note(rel, format!("read stopped: {err}")),
                Err(Stop::Damaged(why)) => damaged.push(why),
            }
        }
        let boot = hex(&raw.boot_id);
        records.push(Record {
            source: source.clone(),
            line: None,
            offset: Some(raw.offset),
            cursor: Some(format!(
                "s={seqnum_id};i={:x};b={boot};m={:x};t={:x};x={:x}",
                raw.seqnum, raw.monotonic, raw.realtime, raw.xor_hash
            )),
            time: Some(Timestamp::exact(raw.realtime as i64)),
            uptime: uptime.or(Some(raw.monotonic)),
            boot: Some(boot),
            message: text,
            event,
        });
    }
    budget.charge(reader.read);
    let mut coverage = Coverage::Whole;
    if let Some((limit, why)) = stopped {
        let older = oldest.map_or("all entries".to_string(), |t| {
            format!(
                "entries older than {}",
                Timestamp::exact(t as i64).to_rfc3339()
            )
        });
        budget.truncate(rel, limit, format!("{older} not read: {why}"));
        coverage = Coverage::Partial;
    }
    if let Some(first) = damaged.first() {
        host.note(
            rel,
            format!(
                "{} damaged journal objects skipped, first: {first}",
                damaged.len()
            ),
        );
        coverage = Coverage::Partial;
    }
    records.reverse();
    let newest = Some(header.tail_realtime).filter(|&t| t > 0);
    budget.source(
        rel,
        SourceFormat::JournalFile,
        coverage,
        reader.read,
        examined,
        oldest
            .or(Some(header.head_realtime).filter(|&t| t > 0))
            .map(|t| Timestamp::exact(t as i64)),
        newest.map(|t| Timestamp::exact(t as i64)),
    );
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_checked() {
        assert!(Header::parse(b"LPKSHHRH", 8).is_err());
        let mut b = vec![0u8; 272];
        b[..8].copy_from_slice(SIGNATURE);
        b[88..96].copy_from_slice(&272u64.to_le_bytes());
        let h = Header::parse(&b, 4096).unwrap();
        assert_eq!(h.end, 272);
        b[12..16].copy_from_slice(&(1u32 << 7).to_le_bytes());
        assert!(Header::parse(&b, 4096)
            .unwrap_err()
            .contains("incompatible flags"));
    }

    #[test]
    fn keyed_and_jenkins_hashes() {
        let mut b = vec![0u8; 272];
        b[..8].copy_from_slice(SIGNATURE);
        b[88..96].copy_from_slice(&272u64.to_le_bytes());
        let plain = Header::parse(&b, 4096).unwrap();
        assert_eq!(plain.hash(b""), 0xdeadbeef_deadbeef);
        b[12..16].copy_from_slice(&INCOMPAT_KEYED_HASH.to_le_bytes());
        let keyed = Header::parse(&b, 4096).unwrap();
        assert_ne!(
            keyed.hash(b"_TRANSPORT=kernel"),
            plain.hash(b"_TRANSPORT=kernel")
        );
    }

    #[test]
    fn decompression_is_bounded() {
        let big = vec![b'a'; MAX_VALUE * 4];
        let mut lz = (big.len() as u64).to_le_bytes().to_vec();
        lz.extend_from_slice(&lz4_flex::block::compress(&big));
        assert!(decompress(COMPRESSED_LZ4, &lz)
            .unwrap_err()
            .contains("larger"));
        let small = b"MESSAGE=usb 1-2: Product: x";
        let mut lz = (small.len() as u64).to_le_bytes().to_vec();
        lz.extend_from_slice(&lz4_flex::block::compress(small));
        assert_eq!(decompress(COMPRESSED_LZ4, &lz).unwrap(), small);
        assert!(decompress(COMPRESSED_ZSTD, b"not zstd").is_err());
        assert!(decompress(COMPRESSED_XZ, b"not xz").is_err());
        assert!(decompress(COMPRESSED_LZ4, b"\x01").is_err());
    }
}
