//! Where this host's chain of findings stands: the last sequence number and the digest of the
//! last envelope written, for one machine and one signing key.
//!
//! Each finding carries the next sequence number and the SHA-256 of the previous envelope, so a
//! collector can see a deleted, held-back or replayed finding as a gap or a fork. That only
//! works if the agent never quietly forgets where the chain was, and never continues a chain
//! that is not its own. So:
//! - a chain belongs to one machine (its machine id) and one key (its key id): each has its
//!   own file, `chain-<machine>-<keyid>.json`, so a scan of a recorded machine (`--root`) or a
//!   reinstalled package's new key never advances another chain, and a new key starts a new
//!   chain whose reason says the key changed;
//! - loading never fails and never resets silently: a missing, unreadable or corrupt state
//!   starts a new chain and says why, and the finding declares that reason;
//! - a sequence number is never used twice: it is reserved (written as `pending`) before the
//!   finding is written, and only a commit after the finding is durable clears the reservation.
//!   A state that could not be saved after its finding leaves the reservation behind, and the
//!   next scan starts a new chain after it;
//! - scans that share a state folder take turns ([`lock`]): boot, timer and a person's scan
//!   may run at once.
//!
//! What it must not do: advance the chain before the finding it describes is durable, leave a
//! torn state file (every write is an atomic replace), or treat damage as a first run.

use std::ffi::OsStr;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keys::hex;
use crate::files::{self, Links, Placement, ReadError, WriteFailure};

/// Where the agent keeps its state unless told otherwise.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/isoguard/state";

/// The state file of agents before chains were bound to a machine and key; a live scan adopts
/// it once, so an upgrade does not break the chain.
pub const LEGACY_STATE_FILE: &str = "chain.json";

/// The lock scans sharing this folder take turns on.
pub const LOCK_FILE: &str = "scan.lock";

/// The state file is a few fields; anything near this size is not ours.
const MAX_STATE_BYTES: u64 = 64 * 1024;

/// Reason given when there is no state for this machine and key, and no other chain either.
pub const REASON_FIRST_RUN: &str = "no state file (first run)";

/// Whose chain: the machine a finding describes and the key that signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The machine id (else the hostname) of the machine scanned.
    pub machine: String,
    /// The signing key's id.
    pub keyid: String,
    /// A scan of this machine itself (not of a recorded tree): only it may adopt the state of
    /// an older agent, which did not say whose it was.
    pub live: bool,
}

impl Binding {
    /// `chain-<machine>-<first 16 digits of the key id>.json`.
    pub fn file_name(&self) -> String {
        format!(
            "chain-{}-{}.json",
            super::spool::sanitize_host(&self.machine),
            self.keyid.chars().take(16).collect::<String>()
        )
    }
}

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
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    /// Absent in the files of older agents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    machine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keyid: Option<String>,
    /// The last finding known durable (0: none yet in this chain).
    sequence: u64,
    previous: Option<String>,
    /// A sequence handed to a finding whose write was not confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending: Option<u64>,
}

/// Why the chain state could not be locked or saved.
#[derive(Debug)]
pub enum StateError {
    /// The digest handed to `commit` is not 64 lower-case hex digits.
    InvalidDigest(String),
    /// Another scan held the lock for longer than the wait allows.
    Busy { dir: PathBuf, waited: Duration },
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
            StateError::Busy { dir, waited } => write!(
                f,
                "another scan has held the chain state in '{}' for {} s; try again when it \
                 has finished (two scans at once would number their findings alike)",
                dir.display(),
                waited.as_secs()
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
            _ => None,
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

/// Held while a scan reads, reserves and commits the chain; released when dropped.
#[derive(Debug)]
pub struct ChainLock {
    _file: File,
}

/// Waits (at most `wait`) until no other scan using `state_dir` holds the chain. The folder is
/// created (mode 0700) if missing.
pub fn lock(state_dir: &Path, wait: Duration) -> Result<ChainLock, StateError> {
    let io_error = |step: &'static str| {
        move |source: io::Error| StateError::Io {
            dir: state_dir.to_path_buf(),
            step,
            source,
        }
    };
    files::create_dir_all(state_dir, 0o700).map_err(io_error("creating the state folder"))?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(state_dir.join(LOCK_FILE))
        .map_err(io_error("opening the lock file"))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(ChainLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StateError::Busy {
                    dir: state_dir.to_path_buf(),
                    waited: start.elapsed(),
                })
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(io_error("locking the chain state")(source))
            }
        }
    }
}

/// Reads a state file: `Ok(None)` when there is none.
fn read_state(path: &Path) -> Result<Option<StateFile>, String> {
    let bytes = match files::read_regular(path, MAX_STATE_BYTES, Links::Follow) {
        Ok(bytes) => bytes,
        Err(ReadError::NotFound) => return Ok(None),
        Err(failure) => {
            return Err(format!(
                "state file unreadable: '{}': {failure}",
                path.display()
            ))
        }
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|err| {
        // A damaged file may still say how far the chain got; the caller carries the number
        // on, so sequence numbers do not repeat (which would look like a replay).
        let salvaged = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| {
                let last = v.get("sequence").and_then(serde_json::Value::as_u64);
                let pending = v.get("pending").and_then(serde_json::Value::as_u64);
                last.max(pending)
            });
        format!(
            "state file corrupt: '{}': {err}{}",
            path.display(),
            salvaged.map_or(String::new(), |n| format!(" (last sequence {n})"))
        )
    })
}

/// The sequence a damaged state's message names, so a new chain can follow it.
fn salvaged_sequence(reason: &str) -> u64 {
    reason
        .rsplit_once("(last sequence ")
        .and_then(|(_, n)| n.trim_end_matches(')').parse::<u64>().ok())
        .and_then(|n| n.checked_add(1))
        .unwrap_or(1)
}

/// Where the next finding of this machine and key starts. Never fails: trouble becomes a
/// `NewChain` reason.
pub fn load(state_dir: &Path, binding: &Binding) -> ChainStart {
    let new_chain = |sequence: u64, reason: String| ChainStart::NewChain { sequence, reason };
    let path = state_dir.join(binding.file_name());
    let legacy = state_dir.join(LEGACY_STATE_FILE);
    let (state, shown) = match read_state(&path) {
        Ok(Some(state)) => (state, path.display().to_string()),
        Err(reason) => return new_chain(salvaged_sequence(&reason), reason),
        Ok(None) if binding.live => match read_state(&legacy) {
            Ok(Some(state)) if state.machine.is_none() => (state, legacy.display().to_string()),
            Err(reason) => return new_chain(salvaged_sequence(&reason), reason),
            _ => return first_finding(state_dir, binding),
        },
        Ok(None) => return first_finding(state_dir, binding),
    };
    if let Some(pending) = state.pending {
        let next = pending.max(state.sequence).saturating_add(1);
        return new_chain(
            next,
            format!(
                "finding {pending} may have been written, but the chain state was not saved \
                 after it ('{shown}'); a new chain starts after it"
            ),
        );
    }
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

/// No chain for this machine and key: a first run, or a key that replaced another one.
fn first_finding(state_dir: &Path, binding: &Binding) -> ChainStart {
    let machine_prefix = format!("chain-{}-", super::spool::sanitize_host(&binding.machine));
    let mine = binding.file_name();
    let other_key = std::fs::read_dir(state_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .find(|name| name.starts_with(&machine_prefix) && *name != mine);
    let reason = match other_key {
        Some(name) => {
            let old = read_state(&state_dir.join(&name)).ok().flatten();
            format!(
                "host key changed: the chain of key {} ended at sequence {}; key {} starts a \
                 new chain",
                old.as_ref()
                    .and_then(|s| s.keyid.as_deref())
                    .map_or("?".to_string(), |k| k.chars().take(16).collect()),
                old.map_or(0, |s| s.sequence),
                binding.keyid.chars().take(16).collect::<String>()
            )
        }
        None => REASON_FIRST_RUN.to_string(),
    };
    ChainStart::NewChain {
        sequence: 1,
        reason,
    }
}

fn save(state_dir: &Path, binding: &Binding, state: &StateFile) -> Result<(), StateError> {
    let io_error = |step: &'static str| {
        move |source: io::Error| StateError::Io {
            dir: state_dir.to_path_buf(),
            step,
            source,
        }
    };
    files::create_dir_all(state_dir, 0o700).map_err(io_error("creating the state folder"))?;
    let mut text = serde_json::to_string(state).map_err(|e| StateError::Io {
        dir: state_dir.to_path_buf(),
        step: "encoding the state",
        source: io::Error::other(e),
    })?;
    text.push('\n');
    files::write_durably(
        state_dir,
        OsStr::new(&binding.file_name()),
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

/// Records that `start.sequence()` is handed out, before the finding that carries it is
/// written: if what follows fails, the number is not given out again.
pub fn reserve(state_dir: &Path, binding: &Binding, start: &ChainStart) -> Result<(), StateError> {
    save(
        state_dir,
        binding,
        &StateFile {
            machine: Some(binding.machine.clone()),
            keyid: Some(binding.keyid.clone()),
            sequence: start.sequence().saturating_sub(1),
            previous: start.previous().map(str::to_string),
            pending: Some(start.sequence()),
        },
    )
}

/// Records that the finding with `sequence`, whose envelope bytes hash to
/// `envelope_digest_hex`, is durably in the spool. Call it only after the spool write
/// succeeded. The file is replaced atomically, so a crash leaves the old state or the new one;
/// an older agent's state file, adopted by this chain, is removed.
pub fn commit(
    state_dir: &Path,
    binding: &Binding,
    sequence: u64,
    envelope_digest_hex: &str,
) -> Result<(), StateError> {
    if !is_digest_hex(envelope_digest_hex) {
        return Err(StateError::InvalidDigest(envelope_digest_hex.to_string()));
    }
    save(
        state_dir,
        binding,
        &StateFile {
            machine: Some(binding.machine.clone()),
            keyid: Some(binding.keyid.clone()),
            sequence,
            previous: Some(envelope_digest_hex.to_string()),
            pending: None,
        },
    )?;
    if binding.live {
        let _ = std::fs::remove_file(state_dir.join(LEGACY_STATE_FILE));
    }
    Ok(())
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

    fn binding(machine: &str, keyid: &str, live: bool) -> Binding {
        Binding {
            machine: machine.to_string(),
            keyid: keyid.repeat(64 / keyid.len().max(1)),
            live,
        }
    }

    #[test]
    fn commit_refuses_a_bad_digest() {
        let dir = temp_dir("bad-digest");
        let me = binding("m1", "a", true);
        for digest in ["", "ABC", &"A".repeat(64), &"0".repeat(63)] {
            assert!(matches!(
                commit(&dir, &me, 1, digest),
                Err(StateError::InvalidDigest(_))
            ));
        }
        assert_eq!(load(&dir, &me).new_chain_reason(), Some(REASON_FIRST_RUN));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn damaged_states_keep_the_sequence_when_they_can() {
        let dir = temp_dir("salvage");
        let me = binding("m1", "a", false);
        let path = dir.join(me.file_name());
        std::fs::write(&path, r#"{"sequence": 41, "previous": "nothex"}"#).unwrap();
        let start = load(&dir, &me);
        assert_eq!(start.sequence(), 42);
        assert!(start.new_chain_reason().unwrap().contains("corrupt"));

        std::fs::write(&path, r#"{"sequence": 9, "previous": null}"#).unwrap();
        let start = load(&dir, &me);
        assert_eq!(start.sequence(), 10);
        assert_eq!(start.previous(), None);
        assert!(start.new_chain_reason().unwrap().contains("corrupt"));

        std::fs::write(&path, r#"{"sequence": 9, "previous": null, "x": 1}"#).unwrap();
        assert_eq!(load(&dir, &me).sequence(), 10);

        std::fs::write(
            &path,
            format!(r#"{{"sequence": {}, "previous": null}}"#, u64::MAX),
        )
        .unwrap();
        assert_eq!(load(&dir, &me).sequence(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// See: issue "Nothing lost, nothing forged", item 8. A state that could not be saved
    /// after its finding was written used to leave the old state, and the next scan handed
    /// out the same sequence again.
    #[test]
    fn a_reserved_sequence_is_never_handed_out_twice() {
        let dir = temp_dir("reserve");
        let me = binding("m1", "a", false);
        commit(&dir, &me, 4, &digest_hex(b"four")).unwrap();
        let start = load(&dir, &me);
        assert_eq!(start.sequence(), 5);
        reserve(&dir, &me, &start).unwrap();
        // The finding with sequence 5 is written; saving the state after it fails (the
        // commit never happens).
        let next = load(&dir, &me);
        assert_eq!(next.sequence(), 6, "{next:?}");
        assert!(next
            .new_chain_reason()
            .unwrap()
            .starts_with("finding 5 may have been written"));
        // Once committed, the chain simply continues.
        commit(&dir, &me, 6, &digest_hex(b"six")).unwrap();
        assert_eq!(load(&dir, &me).sequence(), 7);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// See: issue "Right on the machines it is for", item 4.
    #[test]
    fn chains_belong_to_one_machine_and_one_key() {
        let dir = temp_dir("binding");
        let live = binding("m1", "a", true);
        commit(&dir, &live, 7, &digest_hex(b"seven")).unwrap();
        // A recorded machine scanned into the same folder has its own chain ...
        let other_root = binding("fixture", "a", false);
        assert_eq!(
            load(&dir, &other_root).new_chain_reason(),
            Some(REASON_FIRST_RUN)
        );
        commit(&dir, &other_root, 1, &digest_hex(b"one")).unwrap();
        // ... and the live chain goes on where it was.
        assert_eq!(load(&dir, &live).sequence(), 8);
        // A new key for the same machine starts a new chain and says why.
        let new_key = binding("m1", "b", true);
        let start = load(&dir, &new_key);
        assert_eq!(start.sequence(), 1);
        let reason = start.new_chain_reason().unwrap();
        assert!(
            reason.starts_with(
                "host key changed: the chain of key aaaaaaaaaaaaaaaa ended at sequence 7"
            ),
            "{reason}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_live_scan_adopts_an_older_agents_state_once() {
        let dir = temp_dir("legacy");
        let digest = digest_hex(b"legacy");
        std::fs::write(
            dir.join(LEGACY_STATE_FILE),
            format!(r#"{{"sequence": 12, "previous": "{digest}"}}"#),
        )
        .unwrap();
        let recorded = binding("fixture", "a", false);
        assert_eq!(
            load(&dir, &recorded).sequence(),
            1,
            "a --root scan never adopts it"
        );
        let live = binding("m1", "a", true);
        assert_eq!(
            load(&dir, &live),
            ChainStart::Continue {
                sequence: 13,
                previous: digest
            }
        );
        commit(&dir, &live, 13, &digest_hex(b"13")).unwrap();
        assert!(!dir.join(LEGACY_STATE_FILE).exists());
        assert_eq!(load(&dir, &live).sequence(), 14);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_held_lock_makes_the_second_scan_wait_then_give_up() {
        let dir = temp_dir("lock");
        let held = lock(&dir, Duration::from_secs(1)).unwrap();
        assert!(matches!(
            lock(&dir, Duration::from_millis(100)),
            Err(StateError::Busy { .. })
        ));
        drop(held);
        lock(&dir, Duration::from_millis(100)).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
