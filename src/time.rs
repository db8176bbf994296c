//! Time as the agent and collector write and read it: RFC 3339 in UTC at whole seconds
//! (`2026-11-28T03:46:18Z`), the compact form spool file names start with
//! (`20261128T034618Z`), and seconds since the epoch.
//!
//! One calendar (Howard Hinnant's days-from-civil and its inverse) and one rounding rule:
//! seconds are counted towards the past, before and after 1970 alike, so no text ever claims a
//! later second than the clock read. That is all the project needs of a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// `time` as `20261128T034618Z` (UTC), for file names that sort by time.
pub fn compact_utc(time: SystemTime) -> String {
    let t = UtcTime::from_system_time(time);
    format!(
        "{}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year_text(),
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second
    )
}

/// `time` in UTC as RFC 3339 at whole seconds, e.g. `2026-11-28T03:46:18Z`.
///
/// Sub-second digits are dropped (not rounded) so the text never claims a later second than the
/// clock read. Times before 1970 are handled; years past 9999 print with more digits.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let t = UtcTime::from_system_time(time);
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year_text(),
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second
    )
}

/// A broken-down UTC time at second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UtcTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl UtcTime {
    fn from_system_time(time: SystemTime) -> Self {
        Self::from_unix_seconds(unix_seconds(time))
    }

    fn from_unix_seconds(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // of_day is in 0..86400, so these all fit in u32.
        let of_day = u32::try_from(of_day).unwrap_or(0);
        UtcTime {
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
        }
    }

    fn year_text(&self) -> String {
        if (0..=9999).contains(&self.year) {
            format!("{:04}", self.year)
        } else {
            self.year.to_string()
        }
    }
}

/// Whole seconds since the Unix epoch, rounded towards the past, saturating far from it.
pub fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(err) => {
            let before = err.duration();
            let mut secs = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            if before.subsec_nanos() > 0 {
                secs = secs.saturating_add(1);
            }
            -secs
        }
    }
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
///
/// It works in 400-year eras (146097 days), inside which the leap-year pattern repeats, and
/// counts years from March so that the leap day falls at the end of the year.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // shift the epoch to 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era, 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of March-based year, 0..=365
    let mp = (5 * doy + 2) / 153; // March-based month, 0..=11
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // day is 1..=31 and month 1..=12 by construction.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// Parses the agent's RFC 3339 UTC form (`2026-11-28T03:46:18Z`, optionally with fractional
/// seconds) into seconds since the epoch.
pub fn parse_rfc3339_utc(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if bytes.len() < 20
        || bytes.get(4) != Some(&b'-')
        || bytes.get(7) != Some(&b'-')
        || !matches!(bytes.get(10), Some(b'T' | b't'))
        || bytes.get(13) != Some(&b':')
        || bytes.get(16) != Some(&b':')
        || !matches!(bytes.last(), Some(b'Z' | b'z'))
    {
        return None;
    }
    let rest = text.get(19..text.len() - 1)?;
    if !(rest.is_empty()
        || (rest.starts_with('.')
            && rest.len() > 1
            && rest[1..].bytes().all(|b| b.is_ascii_digit())))
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)?;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Howard Hinnant's `days_from_civil`, the inverse of `civil_from_days`: a proleptic
/// Gregorian date to days since 1970-01-01. `None` for a date that does not exist.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// The time `secs` seconds after (or before) the epoch.
pub fn from_unix_seconds(secs: i64) -> SystemTime {
    let magnitude = std::time::Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        UNIX_EPOCH.checked_add(magnitude).unwrap_or(UNIX_EPOCH)
    } else {
        UNIX_EPOCH.checked_sub(magnitude).unwrap_or(UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: i64) -> SystemTime {
        if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339_utc(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(at(1_795_837_578)), "2026-11-28T03:46:18Z");
        assert_eq!(rfc3339_utc(at(-1)), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(at(253_402_300_799)), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(at(4_107_542_400)), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn sub_seconds_are_dropped_towards_the_past() {
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_millis(999)),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH - Duration::from_millis(1)),
            "1969-12-31T23:59:59Z"
        );
    }

    /// Walks day by day across four centuries, checking each date follows the previous one by
    /// the Gregorian rules, which is an independent statement of what civil_from_days computes.
    #[test]
    fn calendar_is_continuous_over_400_years() {
        fn days_in_month(y: i64, m: u32) -> u32 {
            match m {
                4 | 6 | 9 | 11 => 30,
                2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
                2 => 28,
                _ => 31,
            }
        }
        let start = -25_567; // 1900-01-01
        let (mut y, mut m, mut d) = civil_from_days(start);
        assert_eq!((y, m, d), (1900, 1, 1));
        for days in start + 1..start + 146_097 + 1 {
            let next = civil_from_days(days);
            let expected = if d < days_in_month(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            assert_eq!(next, expected, "day {days}");
            (y, m, d) = next;
        }
        assert_eq!((y, m, d), (2300, 1, 1));
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -1, 0, 1, 11_016, 19_787, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days), "{y}-{m}-{d}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2024, 2, 29), Some(19_782));
        assert_eq!(days_from_civil(2023, 2, 29), None);
        assert_eq!(days_from_civil(2024, 13, 1), None);
    }

    #[test]
    fn extreme_times_do_not_panic() {
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        let _ = rfc3339_utc(far);
        let _ = compact_utc(far);
        if let Some(long_ago) = UNIX_EPOCH.checked_sub(Duration::from_secs(1 << 40)) {
            let _ = rfc3339_utc(long_ago);
        }
    }

    #[test]
    fn pre_epoch_rounds_towards_the_past_both_ways() {
        let t = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(unix_seconds(t), -2);
        assert_eq!(parse_rfc3339_utc(&rfc3339_utc(t)), Some(-2));
        assert_eq!(
            compact_utc(from_unix_seconds(1_795_837_578)),
            "20261128T034618Z"
        );
    }

    #[test]
    fn rfc3339_round_trip() {
        for secs in [
            0i64,
            951_782_400,
            1_795_837_578,
            253_402_300_799,
            -1,
            -86_400 * 400,
        ] {
            let t = if secs >= 0 {
                UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
            } else {
                UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            };
            assert_eq!(parse_rfc3339_utc(&rfc3339_utc(t)), Some(secs), "{secs}");
        }
        assert_eq!(
            parse_rfc3339_utc("2026-11-28T03:46:18.25Z"),
            Some(1_795_837_578)
        );
        for bad in [
            "",
            "2026-11-28 03:46:18Z",
            "2026-11-28T03:46:18",
            "2026-13-28T03:46:18Z",
            "2026-11-28T03:46:18+01:00",
            "2026-11-28T03:46:18.Z",
            "２026-11-28T03:46:18Z",
        ] {
            assert_eq!(parse_rfc3339_utc(bad), None, "{bad}");
        }
    }
}
