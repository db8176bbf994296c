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
//! The durable write itself ("write, fsync, put in place, fsync the folder") is
//! `crate::files::write_durably`, shared with keys, chain state and the collector.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::files::{os_reason, write_durably, Placement, WriteFailure};

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
    format!(
        "{}-{}-{sequence:010}{FINDING_SUFFIX}",
        crate::time::compact_utc(time),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
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
