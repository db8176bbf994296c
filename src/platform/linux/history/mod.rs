//! Linux's records of what a machine has been through: kernel messages about USB devices
//! (journal files, journal recordings, syslog text files), saved network profiles
//! (NetworkManager, wpa_supplicant, iwd), DHCP leases (NetworkManager, dhclient,
//! systemd-networkd) and BlueZ pairing records.
//!
//! Everything is read through [`HostRoot`], so `--root DIR` reads a recorded machine the
//! same way. Each source format has its own small module whose parser takes bytes or text
//! and is tested on strings; this module only finds the files and hands them over. Bounds
//! ([`Limits`]) apply to everything read, newest records first, and whatever a bound left
//! unread is written down ([`Budget`]).
//!
//! Small configuration records (profiles, leases, pairings) are read before logs, so a
//! time budget spent on years of logs never hides a saved Wi-Fi profile.

mod bluetooth;
mod budget;
mod episodes;
mod iwd;
mod journal_export;
mod journal_file;
mod kernel;
mod keyfile;
mod leases;
mod lines;
mod lookup3;
mod network_manager;
mod text_log;
mod time;
mod wpa_supplicant;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::SystemTime;

use budget::{Budget, Meter};
use episodes::{Aggregator, Record};
use time::LocalZone;

use crate::inventory::history::{
    DeviceSighting, HistorySection, LimitKind, Limits, Timestamp, Window,
};
use crate::platform::linux::HostRoot;

pub use text_log::system_micros;

/// Reads the machine's history, bounded by `limits`, with the look-back window ending at
/// `now` (the scan's time: passed in, so a recorded machine reads the same every time).
///
/// Text logs are read on a second thread while this one reads the journal (the host, which
/// notes problems, stays on this thread: files are opened here and handed over).
pub fn collect(host: &HostRoot, now: SystemTime, limits: &Limits) -> HistorySection {
    let now_micros = system_micros(now);
    let meter = Meter::new(limits, now_micros);
    let mut budget = Budget::new(&meter);
    let zone = LocalZone::read(host);

    let mut profiles = network_manager::collect(host, &mut budget);
    profiles.extend(wpa_supplicant::collect(host, &mut budget));
    profiles.extend(iwd::collect(host, &mut budget));
    let leases = leases::collect(host, &mut budget, &zone);
    let pairings = bluetooth::collect(host, &mut budget);

    // The journal first: it is indexed, so cheap to read newest first, and its kernel
    // messages cannot be forged by programs. Its files are admitted before the text logs'.
    let journal = journal_file::plan(host, &mut budget);
    let recordings = journal_export::plan(host, &mut budget);
    let names = host.list_dir("var/log").unwrap_or_default();
    let jobs: Vec<text_log::Job> = text_log::discover(&names)
        .iter()
        .filter_map(|file| text_log::plan(host, &mut budget, file))
        .collect();

    let next = AtomicUsize::new(0);
    let outcomes: Vec<Mutex<Option<text_log::Outcome>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let read_logs = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = jobs.get(i) else { break };
        let outcome = text_log::run(job, &meter, &zone);
        if let Ok(mut slot) = outcomes[i].lock() {
            *slot = Some(outcome);
        }
    };
    let mut sightings = Vec::new();
    std::thread::scope(|scope| {
        scope.spawn(read_logs);
        for stream in journal_file::read(host, &mut budget, journal) {
            sightings.extend(replay(stream, limits));
        }
        for stream in journal_export::read(host, &mut budget, recordings) {
            sightings.extend(replay(stream, limits));
        }
        // Then help with the logs that are left.
        read_logs();
    });

    // Every rotation of a family read newest first; each family replayed oldest first.
    let mut by_family: BTreeMap<usize, Vec<Vec<Record>>> = BTreeMap::new();
    for (job, slot) in jobs.iter().zip(outcomes) {
        let outcome = slot.into_inner().ok().flatten();
        if let Some(outcome) = outcome {
            let records = text_log::report(host, &mut budget, job, outcome);
            by_family.entry(job.file.family).or_default().push(records);
        }
    }
    for (_, newest_first) in by_family {
        let stream: Vec<Record> = newest_first.into_iter().rev().flatten().collect();
        sightings.extend(replay(stream, limits));
    }
    let devices = finish(sightings, &mut budget);

    HistorySection {
        window: Window {
            since: Timestamp::exact(budget.since_micros),
            until: Timestamp::exact(now_micros),
            days: limits.look_back_days,
        },
        devices,
        profiles,
        leases,
        pairings,
        sources: budget.sources,
        truncated: budget.truncated,
        problems: host.take_problems(),
    }
}

fn replay(records: Vec<Record>, limits: &Limits) -> Vec<DeviceSighting> {
    let mut agg = Aggregator::new(limits.max_evidence);
    for record in records {
        agg.push(record);
    }
    agg.finish()
}

/// Joins the same connection seen in several records, keeps the newest sightings within
/// the bound, newest first.
fn finish(sightings: Vec<DeviceSighting>, budget: &mut Budget<'_>) -> Vec<DeviceSighting> {
    let meter = budget.meter;
    let limits = &meter.limits;
    let mut devices = episodes::merge(sightings, limits.max_evidence);
    devices.sort_by(|a, b| {
        let key = |s: &DeviceSighting| s.last_seen.or(s.first_seen).map(|t| t.unix_micros);
        key(b).cmp(&key(a))
    });
    if devices.len() > limits.max_sightings {
        let dropped = devices.len() - limits.max_sightings;
        devices.truncate(limits.max_sightings);
        budget.truncate(
            "",
            LimitKind::Records,
            format!(
                "{dropped} older device sightings not kept: bound of {}",
                budget.describe(LimitKind::Records)
            ),
        );
    }
    devices
}

/// Reads one small record (a profile, a lease, a pairing) whole, within the bounds. The
/// source is recorded; the caller sets how many records it held.
fn read_record(
    host: &HostRoot,
    budget: &mut Budget<'_>,
    rel: &str,
    format: crate::inventory::history::SourceFormat,
) -> Option<(Vec<u8>, usize)> {
    use crate::inventory::history::Coverage;
    if !budget.admit(rel, format) {
        return None;
    }
    let (allowance, bound) = budget.allowance();
    let mut bytes = host.read_bytes(rel, allowance.saturating_add(1))?;
    let mut coverage = Coverage::Whole;
    if bytes.len() as u64 > allowance {
        bytes.truncate(allowance as usize);
        let detail = format!(
            "read only the first {allowance} bytes: bound of {}",
            budget.describe(bound)
        );
        budget.truncate(rel, bound, detail);
        coverage = Coverage::Partial;
    }
    budget.charge(bytes.len() as u64);
    budget.source(rel, format, coverage, bytes.len() as u64, 0, None, None);
    Some((bytes, budget.sources.len() - 1))
}

/// Files of a folder, sorted, for readers of one record per file.
fn files_in(host: &HostRoot, dir: &str) -> Vec<String> {
    host.list_dir(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|name| !name.starts_with('.'))
        .map(|name| format!("{dir}/{name}"))
        .collect()
}

/// Bytes as an SSID: exact hex, and text for people with invalid UTF-8 as `\xNN`.
fn ssid(bytes: &[u8]) -> crate::inventory::history::Ssid {
    use std::fmt::Write as _;
    let bytes = &bytes[..bytes.len().min(256)];
    let mut hex = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(hex, "{b:02x}");
    }
    crate::inventory::history::Ssid {
        text: crate::text::decode_bytes(bytes),
        hex,
    }
}

/// A whole file's bytes as text, with invalid UTF-8 kept visible as `\xNN` (as
/// [`crate::text::decode_bytes`] does for one value), so two records that differ only in
/// bytes that are not text stay different.
fn decode_file(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(err) => {
                let (valid, after) = rest.split_at(err.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = err.error_len().unwrap_or(after.len()).clamp(1, after.len());
                for byte in &after[..bad] {
                    let _ = write!(out, "\\x{byte:02x}");
                }
                rest = &after[bad..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_files_keep_bad_bytes_visible() {
        assert_eq!(decode_file(b"Name=Ph\xffone\n"), "Name=Ph\\xffone\n");
        assert_eq!(decode_file("中".as_bytes()), "中");
        assert_eq!(decode_file(b"\xe4\xb8"), "\\xe4\\xb8");
    }
}
