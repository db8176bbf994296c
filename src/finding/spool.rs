//! The spool: the folder where finished findings wait for the collector.
//!
//! The collector takes every file in the spool whose name does not start with a dot, at any
//! moment, so a file that shows up under its final name must already be complete and on disk.
//! Writes therefore go to a hidden temporary file in the same folder, are synced, and are then
//! linked into place, and the folder itself is synced. A crash, a full disk or a read-only
//! folder leaves either the whole finding or nothing under the final name.
//!
//! What this module must not do: overwrite a finding that is already waiting (the collector may
//! be reading it, and the chain of findings would silently lose a link), leave a half-written
//! file under a final name, leave its temporary file behind after an error it saw, or let a
//! hostname choose a path. It never reads the spool back: that is the collector's business.
//!
//! It also holds the small durable-file helpers that the key and chain-state modules share, so
//! "write, fsync, put in place, fsync the folder" has one implementation, and the UTC calendar
//! arithmetic for timestamps (days-from-civil), which is all the agent needs of a date library.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, File, Metadata, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Every finding file name ends with this, so the collector can tell findings from other files.
pub const FINDING_SUFFIX: &str = ".finding.json";

/// How much of a hostname goes into a file name; enough to tell hosts apart, far from NAME_MAX.
pub const MAX_HOST_CHARS: usize = 64;

/// Longest name `write` accepts, so the temporary name built from it stays under NAME_MAX (255).
pub const MAX_NAME_BYTES: usize = 200;

/// Mode of a finding file: the collector may run as another user and must be able to read it.
const FINDING_MODE: u32 = 0o644;

/// Why a finding could not be put into the spool.
#[derive(Debug)]
pub enum SpoolError {
    /// The name is not a plain, visible file name (it would escape the folder, be hidden from
    /// the collector, or be too long).
    BadName { name: String, reason: &'static str },
    /// A file of that name is already waiting; it was left untouched.
    AlreadyExists { path: PathBuf },
    /// The operating system refused a step; nothing was left under the final name.
    Io {
        dir: PathBuf,
        step: &'static str,
        source: io::Error,
    },
}

impl fmt::Display for SpoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpoolError::BadName { name, reason } => {
                write!(f, "refusing spool file name {name:?}: {reason}")
            }
            SpoolError::AlreadyExists { path } => write!(
                f,
                "'{}' already exists in the spool; refusing to overwrite a finding",
                path.display()
            ),
            SpoolError::Io { dir, step, source } => write!(
                f,
                "cannot write a finding into spool folder '{}': {step}: {}",
                dir.display(),
                os_reason(source)
            ),
        }
    }
}

impl std::error::Error for SpoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpoolError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Writes `bytes` as `spool_dir/name`, durably, and returns the final path.
///
/// The file appears under `name` only once its contents and the folder entry are on disk. On
/// any error the temporary file is removed and nothing is left under `name`; an existing file
/// of that name is an error and is never touched.
pub fn write(spool_dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, SpoolError> {
    check_name(name)?;
    write_durably(
        spool_dir,
        OsStr::new(name),
        bytes,
        FINDING_MODE,
        Placement::NoClobber,
    )
    .map_err(|failure| match failure {
        WriteFailure::Exists { path } => SpoolError::AlreadyExists { path },
        WriteFailure::Io { step, source } => SpoolError::Io {
            dir: spool_dir.to_path_buf(),
            step,
            source,
        },
    })
}

fn check_name(name: &str) -> Result<(), SpoolError> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name.starts_with('.') {
        Some("starts with a dot, so the collector would never see it")
    } else if name.contains('/') || name.contains('\0') {
        Some("contains a path separator or NUL")
    } else if name.len() > MAX_NAME_BYTES {
        Some("longer than 200 bytes")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(SpoolError::BadName {
            name: name.chars().take(MAX_NAME_BYTES).collect(),
            reason,
        }),
        None => Ok(()),
    }
}

/// The spool file name of a finding: `20261128T034618Z-<host>-<sequence:010>.finding.json`.
///
/// The timestamp comes first and has a fixed width, so names sort by time (for years 0 to
/// 9999); the zero-padded sequence keeps two findings of the same second apart and in order.
pub fn file_name(time: SystemTime, host: &str, sequence: u64) -> String {
    let t = UtcTime::from_system_time(time);
    format!(
        "{}{:02}{:02}T{:02}{:02}{:02}Z-{}-{sequence:010}{FINDING_SUFFIX}",
        t.year_text(),
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        sanitize_host(host)
    )
}

/// Adds a tag (the start of the envelope's digest) before the suffix: a host whose chain
/// restarts at sequence 1 within the same second as an earlier finding must not collide
/// with it, and the tag makes that impossible unless the contents are identical.
pub fn with_tag(name: &str, tag: &str) -> String {
    let tag: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect();
    match name.strip_suffix(FINDING_SUFFIX) {
        Some(stem) if !tag.is_empty() => format!("{stem}-{tag}{FINDING_SUFFIX}"),
        _ => name.to_string(),
    }
}

/// A hostname reduced to `[A-Za-z0-9._-]`, at most [`MAX_HOST_CHARS`] long, never empty.
///
/// The hostname is chosen by whoever administers the machine (or by DHCP), so it must not be
/// able to put a `/` or a newline into a file name. Every other character becomes `_` rather
/// than disappearing, so `a/b` and `ab` stay different names.
pub fn sanitize_host(host: &str) -> String {
    let cleaned: String = host
        .chars()
        .take(MAX_HOST_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "unknown-host".to_string()
    } else {
        cleaned
    }
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
fn unix_seconds(time: SystemTime) -> i64 {
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
fn civil_from_days(days: i64) -> (i64, u32, u32) {
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

/// How `write_durably` puts the finished temporary file in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Link it in, failing if the name exists: for findings and keys, which are never replaced.
    NoClobber,
    /// Rename it over the old file: for state that is meant to be replaced whole.
    Replace,
}

/// Why `write_durably` failed. The temporary file is already gone when this is returned.
#[derive(Debug)]
pub(crate) enum WriteFailure {
    /// With `Placement::NoClobber`, the final name was taken.
    Exists { path: PathBuf },
    Io {
        step: &'static str,
        source: io::Error,
    },
}

/// Numbers the temporary files of this process, so two writes of the same name never share one.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `dir/name` with exactly `mode`, through a hidden temporary file in `dir`.
///
/// Steps: create `.tmp-<name>-<pid>-<n>` (O_EXCL), write, fsync, put in place (link or rename),
/// fsync `dir`. Linking rather than renaming is what makes `NoClobber` atomic: `link(2)` fails
/// if the name exists, where `rename(2)` would replace it. If the final folder sync fails after
/// a `NoClobber` link, the new file is removed again, so an error always means "not published".
pub(crate) fn write_durably(
    dir: &Path,
    name: &OsStr,
    bytes: &[u8],
    mode: u32,
    placement: Placement,
) -> Result<PathBuf, WriteFailure> {
    let final_path = dir.join(name);
    let mut temp_name = OsString::from(".tmp-");
    temp_name.push(name);
    temp_name.push(format!(
        "-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let temp_path = dir.join(temp_name);

    let io_failure =
        |step: &'static str| move |source: io::Error| WriteFailure::Io { step, source };

    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temp_path)
        .map_err(io_failure("creating a temporary file"))?;

    let filled = (|| {
        let mut file = file;
        // The umask may have taken bits away from `mode`; the caller asked for exactly `mode`.
        file.set_permissions(Permissions::from_mode(mode))
            .map_err(io_failure("setting permissions"))?;
        file.write_all(bytes).map_err(io_failure("writing"))?;
        file.sync_all().map_err(io_failure("syncing the file"))?;
        Ok(())
    })();
    if let Err(failure) = filled {
        let _ = fs::remove_file(&temp_path);
        return Err(failure);
    }

    match placement {
        Placement::NoClobber => {
            let linked = fs::hard_link(&temp_path, &final_path);
            // The temporary name is no longer needed whether or not the link worked; if removing
            // it fails after a good link, only a hidden duplicate remains, which the collector skips.
            let _ = fs::remove_file(&temp_path);
            match linked {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(WriteFailure::Exists { path: final_path });
                }
                Err(source) => {
                    return Err(WriteFailure::Io {
                        step: "linking the file into place",
                        source,
                    })
                }
            }
            if let Err(source) = sync_dir(dir) {
                let _ = fs::remove_file(&final_path);
                return Err(WriteFailure::Io {
                    step: "syncing the folder",
                    source,
                });
            }
        }
        Placement::Replace => {
            if let Err(source) = fs::rename(&temp_path, &final_path) {
                let _ = fs::remove_file(&temp_path);
                return Err(WriteFailure::Io {
                    step: "renaming the file into place",
                    source,
                });
            }
            sync_dir(dir).map_err(io_failure("syncing the folder"))?;
        }
    }
    Ok(final_path)
}

/// Makes a folder's entries durable: a renamed or linked file is not on disk until its folder is.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Why a file could not be read by `open_regular` / `read_bounded`.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    Io {
        step: &'static str,
        source: io::Error,
    },
    NotRegular,
    TooLarge {
        limit: u64,
    },
}

/// Opens `path` for reading and checks that it is a regular file, without blocking on a FIFO
/// or a device that was put where a file was expected. Symlinks are followed, as `ssh` does for
/// its keys; the checks apply to what the link points at.
pub(crate) fn open_regular(path: &Path) -> Result<(File, Metadata), ReadFailure> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|source| ReadFailure::Io {
            step: "opening",
            source,
        })?;
    let meta = file.metadata().map_err(|source| ReadFailure::Io {
        step: "inspecting",
        source,
    })?;
    if !meta.is_file() {
        return Err(ReadFailure::NotRegular);
    }
    Ok((file, meta))
}

/// Reads all of `file` into `buf`, refusing more than `limit` bytes. The caller chooses `buf`
/// (and its capacity) so secret contents can land in memory that is wiped afterwards.
pub(crate) fn read_bounded(file: File, limit: u64, buf: &mut Vec<u8>) -> Result<(), ReadFailure> {
    file.take(limit.saturating_add(1))
        .read_to_end(buf)
        .map_err(|source| ReadFailure::Io {
            step: "reading",
            source,
        })?;
    if u64::try_from(buf.len()).unwrap_or(u64::MAX) > limit {
        return Err(ReadFailure::TooLarge { limit });
    }
    Ok(())
}

/// The OS's own words for an error ("No space left on device (os error 28)"), which is what an
/// operator needs to see; the kind name alone ("StorageFull") is less familiar.
pub(crate) fn os_reason(err: &io::Error) -> String {
    err.to_string()
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
    fn extreme_times_do_not_panic() {
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        let _ = rfc3339_utc(far);
        let _ = file_name(far, "h", u64::MAX);
        if let Some(long_ago) = UNIX_EPOCH.checked_sub(Duration::from_secs(1 << 40)) {
            let _ = rfc3339_utc(long_ago);
        }
    }

    #[test]
    fn file_name_shape() {
        assert_eq!(
            file_name(at(1_795_837_578), "ws-0042.example", 7),
            "20261128T034618Z-ws-0042.example-0000000007.finding.json"
        );
        assert_eq!(
            file_name(at(0), "", 0),
            "19700101T000000Z-unknown-host-0000000000.finding.json"
        );
    }

    #[test]
    fn bad_names_are_refused() {
        let dir = Path::new("/nonexistent-isoguard-spool");
        for name in ["", ".hidden", "a/b", "../x", "nul\0byte"] {
            assert!(
                matches!(write(dir, name, b"x"), Err(SpoolError::BadName { .. })),
                "{name:?}"
            );
        }
        let long = "a".repeat(MAX_NAME_BYTES + 1);
        assert!(matches!(
            write(dir, &long, b"x"),
            Err(SpoolError::BadName { .. })
        ));
    }
}
