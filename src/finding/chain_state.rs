//! Where this host's chain of findings stands: the last sequence number and the digest of the
//! last envelope written.
//!
//! Each finding carries the next sequence number and the SHA-256 of the previous envelope, so a
//! collector can see a deleted, held-back or replayed finding as a gap or a fork. That only
//! works if the agent never quietly forgets where the chain was. So loading never fails and
//! never resets silently: a missing, unreadable or corrupt state file starts a new chain and
//! says why, and the finding declares that reason for the collector to judge.
//!
//! What it must not do: advance the chain before the finding it describes is durable (the
//! caller commits only after the spool write succeeded, and the commit itself is an atomic
//! replace), leave a torn state file, or treat damage as a first run.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::keys::hex;
use crate::files::{self, Links, Placement, ReadError, WriteFailure};

/// Where the agent keeps its state unless told otherwise.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/isoguard/state";

/// The state file's name inside the state folder.
pub const STATE_FILE: &str = "chain.json";

/// The state file is two fields; anything near this size is not ours.
const MAX_STATE_BYTES: u64 = 64 * 1024;

/// Reason given when there is no state file at all.
pub const REASON_FIRST_RUN: &str = "no state file (first run)";

/// How the next finding links to the ones before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStart {
    /// The state was intact: the next finding has `sequence` and names `previous`.
    Continue { sequence: u64, previous: String },
    /// The chain starts over at `sequence` with no previous digest, for `reason`. `sequence`
    /// continues from the old one when the damaged state still told it, else it is 1.
    NewChain { sequence: u64, reason: String },
}

impl ChainStart {
    /// The sequence number the next finding carries.
    pub fn sequence(&self) -> u64 {
        match self {
            ChainStart::Continue { sequence, .. } | ChainStart::NewChain { sequence, .. } => {
                *sequence
            }
        }
    }

    /// The digest of the previous envelope, or `None` for the first finding of a chain.
    pub fn previous(&self) -> Option<&str> {
        match self {
            ChainStart::Continue { previous, .. } => Some(previous),
            ChainStart::NewChain { .. } => None,
        }
    }

    /// Why a new chain starts, for the finding to declare; `None` when the chain continues.
    pub fn new_chain_reason(&self) -> Option<&str> {
        match self {
            ChainStart::Continue { .. } => None,
            ChainStart::NewChain { reason, .. } => Some(reason),
        }
    }
}

/// The state file as stored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    sequence: u64,
    previous: Option<String>,
}

/// Why the chain state could not be saved.
#[derive(Debug)]
pub enum StateError {
    /// The digest handed to `commit` is not 64 lower-case hex digits.
    InvalidDigest(String),
    /// The operating system refused a step; the previous state file is still in place.
    Io {
        dir: PathBuf,
        step: &'static str,
        source: io::Error,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::InvalidDigest(digest) => write!(
                f,
                "refusing to record {:?} as the previous finding: not a hex sha256 digest",
                digest.chars().take(80).collect::<String>()
            ),
            StateError::Io { dir, step, source } => write!(
                f,
                "cannot save chain state in '{}': {step}: {}",
                dir.display(),
                files::os_reason(source)
            ),
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Io { source, .. } => Some(source),
            StateError::InvalidDigest(_) => None,
        }
    }
}

/// Hex SHA-256 of `bytes`: the digest of an envelope as written, for the next finding to name.
pub fn digest_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn is_digest_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Where the next finding's chain starts. Never fails: trouble becomes a `NewChain` reason.
pub fn load(state_dir: &Path) -> ChainStart {
    let path = state_dir.join(STATE_FILE);
    let new_chain = |sequence: u64, reason: String| ChainStart::NewChain { sequence, reason };
    let shown = path.display();

    let (file, _) = match files::open_regular(&path, Links::Follow) {
        Ok(opened) => opened,
        Err(ReadError::NotFound) => {
            return new_chain(1, REASON_FIRST_RUN.to_string());
        }
        Err(failure) => {
            return new_chain(
                1,
                format!("state file unreadable: '{shown}': {}", describe(&failure)),
            )
        }
    };
    let mut bytes = Vec::new();
    if let Err(failure) = files::read_into(file, MAX_STATE_BYTES, &mut bytes) {
        return new_chain(
            1,
            format!("state file unreadable: '{shown}': {}", describe(&failure)),
        );
    }

    let state: StateFile = match serde_json::from_slice(&bytes) {
        Ok(state) => state,
        Err(err) => {
            // A damaged file may still say how far the chain got; carrying the number on keeps
            // sequence numbers from repeating, which would look like a replay.
            let salvaged = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|value| value.get("sequence").and_then(serde_json::Value::as_u64))
                .and_then(|last| last.checked_add(1))
                .unwrap_or(1);
            return new_chain(salvaged, format!("state file corrupt: '{shown}': {err}"));
        }
    };
    let Some(sequence) = state.sequence.checked_add(1) else {
        return new_chain(
            1,
            format!(
                "state file corrupt: '{shown}': sequence {} cannot be followed",
                state.sequence
            ),
        );
    };
    match state.previous {
        Some(previous) if is_digest_hex(&previous) => ChainStart::Continue { sequence, previous },
        Some(previous) => new_chain(
            sequence,
            format!(
                "state file corrupt: '{shown}': previous {:?} is not a hex sha256 digest",
                previous.chars().take(80).collect::<String>()
            ),
        ),
        None => new_chain(
            sequence,
            format!(
                "state file corrupt: '{shown}': sequence {} recorded without a previous digest",
                state.sequence
            ),
        ),
    }
}

fn describe(failure: &ReadError) -> String {
    failure.to_string()
}

/// Records that the finding with `sequence`, whose envelope bytes hash to
/// `envelope_digest_hex`, is durably in the spool. Call it only after the spool write
/// succeeded. The state folder is created (mode 0700) if missing; the file is replaced
/// atomically, so a crash leaves the old state or the new one.
pub fn commit(
    state_dir: &Path,
    sequence: u64,
    envelope_digest_hex: &str,
) -> Result<(), StateError> {
    if !is_digest_hex(envelope_digest_hex) {
        return Err(StateError::InvalidDigest(envelope_digest_hex.to_string()));
    }
    let io_error = |step: &'static str| {
        move |source: io::Error| StateError::Io {
            dir: state_dir.to_path_buf(),
            step,
            source,
        }
    };
    files::create_dir_all(state_dir, 0o700).map_err(io_error("creating the state folder"))?;
    let mut text =
        serde_json::json!({"sequence": sequence, "previous": envelope_digest_hex}).to_string();
    text.push('\n');
    files::write_durably(
        state_dir,
        OsStr::new(STATE_FILE),
        text.as_bytes(),
        0o600,
        Placement::Replace,
    )
    .map(|_| ())
    .map_err(|failure| match failure {
        WriteFailure::Io { step, source } => io_error(step)(source),
        // Replace never reports an existing file; kept as an error rather than a panic.
        WriteFailure::Exists { path } => StateError::Io {
            dir: state_dir.to_path_buf(),
            step: "replacing the state file",
            source: io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("'{}' exists", path.display()),
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "isoguard-chain-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            digest_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn commit_refuses_a_bad_digest() {
        let dir = temp_dir("bad-digest");
        for digest in ["", "ABC", &"A".repeat(64), &"0".repeat(63)] {
            assert!(matches!(
                commit(&dir, 1, digest),
                Err(StateError::InvalidDigest(_))
            ));
        }
        assert_eq!(load(&dir).new_chain_reason(), Some(REASON_FIRST_RUN));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn damaged_states_keep_the_sequence_when_they_can() {
        let dir = temp_dir("salvage");
        let path = dir.join(STATE_FILE);
        std::fs::write(&path, r#"{"sequence": 41, "previous": "nothex"}"#).unwrap();
        let start = load(&dir);
        assert_eq!(start.sequence(), 42);
        assert!(start.new_chain_reason().unwrap().contains("corrupt"));

        std::fs::write(&path, r#"{"sequence": 9, "previous": null}"#).unwrap();
        let start = load(&dir);
        assert_eq!(start.sequence(), 10);
        assert_eq!(start.previous(), None);
        assert!(start.new_chain_reason().unwrap().contains("corrupt"));

        std::fs::write(&path, r#"{"sequence": 9, "previous": null, "x": 1}"#).unwrap();
        assert_eq!(load(&dir).sequence(), 10);

        std::fs::write(
            &path,
            format!(r#"{{"sequence": {}, "previous": null}}"#, u64::MAX),
        )
        .unwrap();
        assert_eq!(load(&dir).sequence(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
