//! Times as logs write them.
//!
//! Traditional syslog (`Mar  5 10:11:12`) gives local wall-clock time without a year; ISO
//! 8601 (`2024-03-05T10:11:12.123456+08:00`, rsyslog's high-precision format) gives all of
//! it. Local times are turned into UTC with the machine's own zone file (`etc/localtime`,
//! which glibc also reads; absent means UTC), and a missing year is taken from a reference
//! time: the log file's modification time, or `now` when that is later, since no record
//! can be newer than the file it is in nor than the scan.

use tz::TimeZone;

use crate::inventory::history::{Timestamp, ZoneBasis};
use crate::platform::linux::HostRoot;
use crate::time::{civil_from_days, days_from_civil};

/// The machine's time zone, for local times in logs.
pub struct LocalZone {
    zone: Option<TimeZone>,
    basis: ZoneBasis,
}

/// Zone files are a few kilobytes; anything larger is not one.
const MAX_ZONE_FILE: u64 = 256 << 10;

impl LocalZone {
    pub fn utc() -> LocalZone {
        LocalZone {
            zone: None,
            basis: ZoneBasis::Local,
        }
    }

    /// Reads `etc/localtime` (usually a link into `usr/share/zoneinfo`, resolved inside the
    /// root). Absent is UTC, as glibc takes it; present but unreadable is a problem, and
    /// local times are then marked as of unknown zone.
    pub fn read(host: &HostRoot) -> LocalZone {
        let Some(path) = host.resolve("etc/localtime") else {
            return LocalZone::utc();
        };
        let Some(bytes) = host.read_bytes(&path, MAX_ZONE_FILE) else {
            return LocalZone::unknown();
        };
        match TimeZone::from_tz_data(&bytes) {
            Ok(zone) => LocalZone {
                zone: Some(zone),
                basis: ZoneBasis::Local,
            },
            Err(err) => {
                host.note("etc/localtime", format!("not a zone file: {err}"));
                LocalZone::unknown()
            }
        }
    }

    fn unknown() -> LocalZone {
        LocalZone {
            zone: None,
            basis: ZoneBasis::Unknown,
        }
    }

    /// UTC offset in seconds at a UTC time.
    fn offset_at(&self, utc: i64) -> i64 {
        self.zone
            .as_ref()
            .and_then(|z| z.find_local_time_type(utc).ok())
            .map_or(0, |t| i64::from(t.ut_offset()))
    }

    /// Local seconds since the epoch (as if the wall clock were UTC) to UTC seconds. In a
    /// repeated hour the later reading wins; a skipped hour is taken with the offset before.
    pub fn local_to_utc(&self, local: i64) -> i64 {
        let first = self.offset_at(local);
        let second = self.offset_at(local - first);
        local - second
    }

    pub fn utc_to_local(&self, utc: i64) -> i64 {
        utc + self.offset_at(utc)
    }

    pub fn basis(&self) -> ZoneBasis {
        self.basis
    }
}

/// What a syslog line's header said about its time, before a year is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineTime {
    /// Full time with offset: UTC microseconds.
    Exact(i64),
    /// `Mar  5 10:11:12`: month, day and local seconds of day.
    NoYear { month: u32, day: u32, secs: u32 },
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses the time at the start of a syslog line; returns it and the rest of the line.
pub fn parse_line_time(line: &str) -> Option<(LineTime, &str)> {
    let bytes = line.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_digit) {
        return parse_iso(line);
    }
    // `Mmm dd HH:MM:SS ` is 16 bytes; the day is space-padded.
    let head = line.get(..16)?;
    if !head.is_ascii() {
        return None;
    }
    let month = MONTHS.iter().position(|m| head.starts_with(m))? as u32 + 1;
    if head.as_bytes()[3] != b' ' || head.as_bytes()[15] != b' ' {
        return None;
    }
    let day: u32 = head[4..6].trim_start().parse().ok()?;
    let secs = hms(&head[7..15])?;
    if !(1..=31).contains(&day) {
        return None;
    }
    Some((LineTime::NoYear { month, day, secs }, &line[16..]))
}

fn hms(text: &str) -> Option<u32> {
    let b = text.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h: u32 = text[0..2].parse().ok()?;
    let m: u32 = text[3..5].parse().ok()?;
    let s: u32 = text[6..8].parse().ok()?;
    (h < 24 && m < 60 && s <= 60).then_some(h * 3600 + m * 60 + s)
}

/// `2024-03-05T10:11:12[.ffffff](Z|+08:00) `
fn parse_iso(line: &str) -> Option<(LineTime, &str)> {
    let (stamp, rest) = line.split_once(' ')?;
    let micros = parse_rfc3339(stamp)?;
    Some((LineTime::Exact(micros), rest))
}

/// An RFC 3339 time with offset, to UTC microseconds.
pub fn parse_rfc3339(stamp: &str) -> Option<i64> {
    if stamp.len() < 20 || !stamp.is_ascii() {
        return None;
    }
    let b = stamp.as_bytes();
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let year: i64 = stamp[0..4].parse().ok()?;
    let month: u32 = stamp[5..7].parse().ok()?;
    let day: u32 = stamp[8..10].parse().ok()?;
    let secs = hms(&stamp[11..19])?;
    let mut rest = &stamp[19..];
    let mut micros: i64 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let text = &frac[..digits];
        let padded = format!("{:0<6}", &text[..digits.min(6)]);
        micros = padded.parse().ok()?;
        rest = &frac[digits..];
    }
    let offset: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            if h > 23 || m > 59 || rest.len() != 6 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day)?;
    let local = days * 86_400 + i64::from(secs);
    Some((local - offset) * 1_000_000 + micros)
}

/// Settles a line's time. For a line without a year, the year is the reference's, or the
/// one before when that would put the line more than a day after the reference.
pub fn settle(time: LineTime, reference_utc: i64, zone: &LocalZone) -> Option<Timestamp> {
    match time {
        LineTime::Exact(micros) => Some(Timestamp::exact(micros)),
        LineTime::NoYear { month, day, secs } => {
            let reference_local = zone.utc_to_local(reference_utc);
            let (ref_year, _, _) = civil_from_days(reference_local.div_euclid(86_400));
            let local_in =
                |year: i64| days_from_civil(year, month, day).map(|d| d * 86_400 + i64::from(secs));
            // Feb 29 exists only in some years: try the reference year, then earlier ones.
            let mut local = None;
            for year in (ref_year - 8..=ref_year).rev() {
                if let Some(candidate) = local_in(year) {
                    if candidate <= reference_local + 86_400 {
                        local = Some(candidate);
                        break;
                    }
                }
            }
            let local = local?;
            Some(Timestamp {
                unix_micros: zone.local_to_utc(local) * 1_000_000,
                zone: zone.basis(),
                year_inferred: true,
            })
        }
    }
}

/// A dmesg-style `[  123.456789] ` stamp at the start of a message: microseconds since boot
/// and the rest.
pub fn strip_uptime(message: &str) -> (Option<u64>, &str) {
    let Some(inner) = message.strip_prefix('[') else {
        return (None, message);
    };
    let Some((stamp, rest)) = inner.split_once(']') else {
        return (None, message);
    };
    let stamp = stamp.trim_start();
    let Some((secs, frac)) = stamp.split_once('.') else {
        return (None, message);
    };
    let (Ok(secs), true) = (secs.parse::<u64>(), frac.len() <= 9 && !frac.is_empty()) else {
        return (None, message);
    };
    // Microseconds from up to six fraction digits (this runs for every kernel line).
    let mut frac_num = 0u64;
    for (i, b) in frac.bytes().enumerate() {
        if !b.is_ascii_digit() {
            return (None, message);
        }
        if i < 6 {
            frac_num = frac_num * 10 + u64::from(b - b'0');
        }
    }
    for _ in frac.len()..6 {
        frac_num *= 10;
    }
    let micros = secs.saturating_mul(1_000_000).saturating_add(frac_num);
    (Some(micros), rest.strip_prefix(' ').unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T_2024_03_05_101112: i64 = 1_709_633_472;

    #[test]
    fn traditional_syslog_time_takes_the_reference_year() {
        let (time, rest) = parse_line_time("Mar  5 10:11:12 host kernel: x").unwrap();
        assert_eq!(rest, "host kernel: x");
        let reference = T_2024_03_05_101112 + 3600;
        let t = settle(time, reference, &LocalZone::utc()).unwrap();
        assert_eq!(t.unix_seconds(), T_2024_03_05_101112);
        assert!(t.year_inferred);
        assert_eq!(t.zone, ZoneBasis::Local);
    }

    #[test]
    fn december_lines_in_a_january_file_are_last_year() {
        let (time, _) = parse_line_time("Dec 31 23:00:00 h kernel: x").unwrap();
        // Reference 2024-01-02.
        let reference = days_from_civil(2024, 1, 2).unwrap() * 86_400;
        let t = settle(time, reference, &LocalZone::utc()).unwrap();
        assert_eq!(t.to_rfc3339(), "2023-12-31T23:00:00Z");
    }

    #[test]
    fn february_29_finds_a_leap_year() {
        let (time, _) = parse_line_time("Feb 29 12:00:00 h kernel: x").unwrap();
        let reference = days_from_civil(2025, 6, 1).unwrap() * 86_400;
        let t = settle(time, reference, &LocalZone::utc()).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-02-29T12:00:00Z");
    }

    #[test]
    fn iso_times_with_offsets() {
        let (time, rest) =
            parse_line_time("2024-03-05T18:11:12.123456+08:00 host kernel: x").unwrap();
        assert_eq!(rest, "host kernel: x");
        assert_eq!(
            time,
            LineTime::Exact(T_2024_03_05_101112 * 1_000_000 + 123_456)
        );
        assert_eq!(
            parse_rfc3339("2024-03-05T10:11:12Z"),
            Some(T_2024_03_05_101112 * 1_000_000)
        );
        for bad in [
            "2024-03-05T10:11:12",
            "2024-13-05T10:11:12Z",
            "2024-03-05T25:11:12Z",
            "2024-03-05T10:11:12+8",
            "2024-03-05T10:11:12.Z",
            "2024-03-05T10:11:12+08:00x",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn malformed_headers_are_not_times() {
        for bad in [
            "",
            "Mar",
            "Mar  5 10:11:12",
            "Mar 35 10:11:12 h",
            "Foo  5 10:11:12 h k",
            "Mar  5 1O:11:12 h k",
            "中文中文中文中文中文中文",
            "Mar 中 10:11:12 h k",
            "Mar  5 10:11:1中 h k",
        ] {
            assert_eq!(parse_line_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn shanghai_local_time_is_eight_hours_ahead() {
        // A TZif v2 file for a fixed +08:00 zone, as zic writes for Asia/Shanghai since 1991
        // (no transitions, one local time type "CST").
        let zone = LocalZone {
            zone: Some(TimeZone::from_tz_data(&fixed_zone_tzif(8 * 3600, b"CST")).unwrap()),
            basis: ZoneBasis::Local,
        };
        let local = T_2024_03_05_101112 + 8 * 3600;
        assert_eq!(zone.local_to_utc(local), T_2024_03_05_101112);
        assert_eq!(zone.utc_to_local(T_2024_03_05_101112), local);
    }

    /// A minimal TZif (version 2) file with one local time type and no transitions.
    pub(crate) fn fixed_zone_tzif(offset: i32, abbr: &[u8]) -> Vec<u8> {
        let mut block = Vec::new();
        // ttinfo: utoff, isdst, desigidx
        block.extend_from_slice(&offset.to_be_bytes());
        block.push(0);
        block.push(0);
        block.extend_from_slice(abbr);
        block.push(0);
        let header = |out: &mut Vec<u8>| {
            out.extend_from_slice(b"TZif2");
            out.extend_from_slice(&[0; 15]);
            // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
            for n in [0u32, 0, 0, 0, 1, abbr.len() as u32 + 1] {
                out.extend_from_slice(&n.to_be_bytes());
            }
        };
        let mut out = Vec::new();
        header(&mut out);
        out.extend_from_slice(&block);
        header(&mut out);
        out.extend_from_slice(&block);
        let hours = -offset / 3600;
        out.extend_from_slice(format!("\n{}{}\n", String::from_utf8_lossy(abbr), hours).as_bytes());
        out
    }

    #[test]
    fn uptime_stamps() {
        assert_eq!(
            strip_uptime("[ 6387.251489] usb 4-2: x"),
            (Some(6_387_251_489), "usb 4-2: x")
        );
        assert_eq!(strip_uptime("[    0.000000] Linux"), (Some(0), "Linux"));
        assert_eq!(strip_uptime("usb 4-2: x"), (None, "usb 4-2: x"));
        assert_eq!(strip_uptime("[abc] x"), (None, "[abc] x"));
        assert_eq!(strip_uptime("[1.] x"), (None, "[1.] x"));
        assert_eq!(strip_uptime("[1.5] x"), (Some(1_500_000), "x"));
        assert_eq!(strip_uptime("[1.5x] x"), (None, "[1.5x] x"));
    }
}
