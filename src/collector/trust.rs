//! The trust store: which public keys the collector accepts, and which host each may speak for.
//!
//! A signature only proves which key signed; it says nothing about which machine the finding
//! describes, because the payload names its own host. Binding each key to one host identity
//! (the workstation's machine id or hostname, the key file's name) is what stops a compromised
//! or careless workstation from filing clean findings for its neighbour. The folder is plain
//! files, `<host>.pub` in SPKI PEM, so enrolment can be reviewed with `ls` and `openssl pkey`.
//!
//! What it must not do: let a host name choose a path outside the folder or a hidden file the
//! loader would skip, replace an enrolled key (a different key for a host is a new identity and
//! needs a person to remove the old one first), enrol one key under two hosts, or accept a
//! finding whose claimed host is not the one its key was enrolled for.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::files::{self, Placement, WriteFailure};
use crate::finding::keys::{self, KeyError, PublicKey, TrustedKeys};
use crate::finding::v1;
use crate::i18n::{self, Msg, Phrase};

/// Longest host identity accepted at enrolment; a machine id is 32 characters.
pub const MAX_HOST_ID_CHARS: usize = 64;

/// The key files are public; anyone on the collector may read them.
const PUBLIC_KEY_MODE: u32 = 0o644;

/// Why enrolment or loading the trust store failed.
#[derive(Debug)]
pub enum TrustError {
    /// The host identity is empty, too long, hidden, or has characters outside `[A-Za-z0-9._-]`.
    BadHostId { host: String, reason: &'static str },
    /// The given public key file is unreadable or not an ed25519 SPKI PEM key.
    Key(KeyError),
    /// A different key is already enrolled for this host.
    HostTaken { host: String, path: PathBuf },
    /// This key is already enrolled for another host.
    KeyTaken { keyid: String, host: String },
    Io {
        path: PathBuf,
        step: &'static str,
        source: io::Error,
    },
}

impl TrustError {
    pub fn phrase(&self) -> Phrase {
        match self {
            TrustError::BadHostId { host, reason } => Phrase::new(Msg::TrustBadHostId)
                .arg(
                    "host",
                    format!(
                        "{:?}",
                        crate::text::display_safe(host, MAX_HOST_ID_CHARS + 8)
                    ),
                )
                .arg("reason", reason),
            TrustError::Key(err) => err.phrase(),
            TrustError::HostTaken { host, path } => Phrase::new(Msg::TrustHostTaken)
                .arg("host", host)
                .arg("path", path.display()),
            TrustError::KeyTaken { keyid, host } => Phrase::new(Msg::TrustKeyTaken)
                .arg("keyid", keyid)
                .arg("host", host),
            TrustError::Io { path, step, source } => Phrase::new(Msg::TrustFolderStep)
                .arg("path", path.display())
                .arg("step", step)
                .nest("error", i18n::os_error(source)),
        }
    }
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.phrase().en())
    }
}

impl std::error::Error for TrustError {}

/// Checks a host identity as used for a key file name and as the chain's host label.
pub fn check_host_id(host: &str) -> Result<(), TrustError> {
    let reason = if host.is_empty() {
        Some("empty")
    } else if host.chars().count() > MAX_HOST_ID_CHARS {
        Some("longer than 64 characters")
    } else if host.starts_with('.') {
        Some("starts with a dot (the key file would be hidden and never loaded)")
    } else if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        Some("only letters, digits, '.', '_' and '-' are allowed")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(TrustError::BadHostId {
            host: host.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// What `enroll` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enrolled {
    /// The key file was written.
    New { path: PathBuf, keyid: String },
    /// The same key was already enrolled for this host; nothing changed.
    AlreadyEnrolled { path: PathBuf, keyid: String },
}

/// Enrols the public key in `key_file` for `host`, as `<trust_dir>/<host>.pub`.
///
/// The key is re-encoded from what was parsed, so the folder holds only canonical PEM whatever
/// the input looked like. The folder is created if missing.
pub fn enroll(trust_dir: &Path, host: &str, key_file: &Path) -> Result<Enrolled, TrustError> {
    check_host_id(host)?;
    let key = keys::load_public_key(key_file).map_err(TrustError::Key)?;
    let keyid = key.keyid();
    std::fs::create_dir_all(trust_dir).map_err(|source| TrustError::Io {
        path: trust_dir.to_path_buf(),
        step: "creating the folder",
        source,
    })?;
    let path = trust_dir.join(format!("{host}.pub"));
    if let Some(existing) = existing_key(&path)? {
        if existing == key {
            return Ok(Enrolled::AlreadyEnrolled { path, keyid });
        }
        return Err(TrustError::HostTaken {
            host: host.to_string(),
            path,
        });
    }
    let current = TrustedKeys::from_dir(trust_dir).map_err(TrustError::Key)?;
    if let Some(other) = current.get(&keyid) {
        return Err(TrustError::KeyTaken {
            keyid,
            host: other.label.clone(),
        });
    }
    let name = OsString::from(format!("{host}.pub"));
    files::write_durably(
        trust_dir,
        &name,
        key.to_pem().as_bytes(),
        PUBLIC_KEY_MODE,
        Placement::NoClobber,
    )
    .map_err(|failure| match failure {
        // Another enrolment won the race for this name.
        WriteFailure::Exists { path } => TrustError::HostTaken {
            host: host.to_string(),
            path,
        },
        WriteFailure::Io { step, source } => TrustError::Io {
            path: path.clone(),
            step,
            source,
        },
    })?;
    Ok(Enrolled::New { path, keyid })
}

fn existing_key(path: &Path) -> Result<Option<PublicKey>, TrustError> {
    match std::fs::symlink_metadata(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(TrustError::Io {
            path: path.to_path_buf(),
            step: "checking for an enrolled key",
            source,
        }),
        // Something is there; if it is not a readable key it still blocks the name.
        Ok(_) => keys::load_public_key(path)
            .map(Some)
            .map_err(|_| TrustError::HostTaken {
                host: path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path: path.to_path_buf(),
            }),
    }
}

/// Loads every enrolled key. Labels are the file stems, i.e. the host identities.
pub fn load(trust_dir: &Path) -> Result<TrustedKeys, TrustError> {
    TrustedKeys::from_dir(trust_dir).map_err(TrustError::Key)
}

/// Whether a finding signed by the key enrolled as `label` may speak for the host it names.
///
/// The label must equal the finding's machine id or its hostname, exactly: a near match is
/// still another machine.
pub fn check_binding(label: &str, host: &v1::Host) -> Result<(), String> {
    let claims = |value: &Option<String>| value.as_deref() == Some(label);
    if claims(&host.machine_id) || claims(&host.hostname) {
        return Ok(());
    }
    let shown = |value: &Option<String>| {
        value.as_deref().map_or("(none)".to_string(), |v| {
            crate::text::display_safe(v, MAX_HOST_ID_CHARS)
        })
    };
    Err(format!(
        "host mismatch: signed by key enrolled as {label}, finding claims machine-id {} hostname {}",
        shown(&host.machine_id),
        shown(&host.hostname)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::keys::PrivateKey;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("isoguard-trust-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn host(machine_id: Option<&str>, hostname: Option<&str>) -> v1::Host {
        v1::Host {
            hostname: hostname.map(str::to_string),
            machine_id: machine_id.map(str::to_string),
            boot_id: None,
            os: None,
            kernel: None,
            agent_version: "0".into(),
            os_release: None,
        }
    }

    #[test]
    fn host_ids() {
        for good in ["ws-0042", "5f3c1e9a8b2d4c7e9f0a1b2c3d4e5f60", "a.b_c-d"] {
            check_host_id(good).unwrap();
        }
        let long = "a".repeat(65);
        for bad in [
            "",
            ".hidden",
            "a/b",
            "../x",
            "a b",
            "ü",
            long.as_str(),
            "x\n",
        ] {
            assert!(check_host_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn enroll_is_idempotent_and_never_replaces() {
        let dir = temp_dir("enroll");
        let trust = dir.join("trust");
        let (a, b) = (
            PrivateKey::generate().unwrap(),
            PrivateKey::generate().unwrap(),
        );
        let (a_pub, b_pub) = (dir.join("a.pub"), dir.join("b.pub"));
        std::fs::write(&a_pub, a.public_key().to_pem()).unwrap();
        std::fs::write(&b_pub, b.public_key().to_pem()).unwrap();

        assert!(matches!(
            enroll(&trust, "ws-1", &a_pub).unwrap(),
            Enrolled::New { .. }
        ));
        assert!(matches!(
            enroll(&trust, "ws-1", &a_pub).unwrap(),
            Enrolled::AlreadyEnrolled { .. }
        ));
        assert!(matches!(
            enroll(&trust, "ws-1", &b_pub),
            Err(TrustError::HostTaken { .. })
        ));
        assert!(matches!(
            enroll(&trust, "ws-2", &a_pub),
            Err(TrustError::KeyTaken { .. })
        ));
        assert!(matches!(
            enroll(&trust, "../ws", &b_pub),
            Err(TrustError::BadHostId { .. })
        ));
        let loaded = load(&trust).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded.get(&a.public_key().keyid()).unwrap().label, "ws-1");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn binding() {
        check_binding("m1", &host(Some("m1"), Some("h"))).unwrap();
        check_binding("h", &host(Some("m1"), Some("h"))).unwrap();
        let err = check_binding("m2", &host(Some("m1"), None)).unwrap_err();
        assert_eq!(
            err,
            "host mismatch: signed by key enrolled as m2, finding claims machine-id m1 hostname (none)"
        );
    }
}
