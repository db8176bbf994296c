//! The agent's signing key and the public keys a collector trusts.
//!
//! A finding is only worth as much as the secrecy of the key that signed it, so this module is
//! strict about key files: private keys are PKCS#8 PEM and public keys SPKI PEM (the formats
//! `openssl pkey` reads, so operators can inspect and provision keys with standard tools), a
//! private key that group or others may read or write is refused the way `ssh` refuses one,
//! and reads are bounded and never block on a FIFO placed where a key should be.
//!
//! What it must not do: overwrite an existing key (a key that has been enrolled with the
//! collector is the host's identity; replacing it silently cuts the host off), leave half a
//! key on disk after a crash, show secret material in `Debug` output or error messages, or
//! panic on whatever bytes a key file holds. A key is identified by its key id, the hex SHA-256
//! of its SPKI DER encoding, which anyone can recompute from the public key file.

use crate::i18n::{Msg, Phrase};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, KeypairBytes};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::files::{self, Links, Placement, ReadError, WriteFailure};

/// Mode of a private key file: owner read/write only.
pub const PRIVATE_KEY_MODE: u32 = 0o600;

/// Mode of a public key file: anyone may read it, that is its purpose.
pub const PUBLIC_KEY_MODE: u32 = 0o644;

/// Largest key file read. An ed25519 PEM key is about 120 bytes; the bound only stops a
/// misplaced log file or device from being read into memory whole.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// The DER prefix of an ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE { SEQUENCE { OID
/// 1.3.101.112 }, BIT STRING (0 unused bits) }, followed by the 32 key bytes. It is fixed, so
/// key ids can be computed without a fallible encoder.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Everything that can go wrong with a key file. Each variant names the file.
#[derive(Debug)]
pub enum KeyError {
    /// The operating system refused a step.
    Io {
        path: PathBuf,
        step: &'static str,
        source: io::Error,
    },
    /// The path names no file (it ends in `/` or `..`).
    BadPath { path: PathBuf },
    /// The folder a new key should go into does not exist.
    ParentMissing { path: PathBuf, parent: PathBuf },
    /// A key or public key file is already there; nothing was written.
    AlreadyExists { path: PathBuf },
    /// A private key file that group or others may read or write.
    PermissionsTooOpen { path: PathBuf, mode: u32 },
    /// A FIFO, device or folder where a key file was expected.
    NotRegularFile { path: PathBuf },
    /// Larger than [`MAX_KEY_FILE_BYTES`].
    TooLarge { path: PathBuf, limit: u64 },
    /// The contents are not a key of the expected kind.
    Parse { path: PathBuf, detail: String },
    /// The kernel gave no random bytes for a new key.
    Random(String),
    /// A key could not be encoded (not expected with valid keys; kept so it cannot panic).
    Encode(String),
    /// The same public key was given twice under different labels, which would make the
    /// identity of its findings ambiguous.
    DuplicateKey {
        keyid: String,
        first_label: String,
        second_label: String,
    },
}

impl KeyError {
    /// The error in the reader's language.
    pub fn phrase(&self) -> Phrase {
        match self {
            KeyError::Io { path, step, source } => Msg::KeyIo
                .with("path", path.display())
                .arg("step", step)
                .nest("error", crate::i18n::os_error(source)),
            KeyError::BadPath { path } => Msg::KeyBadPath.with("path", path.display()),
            KeyError::ParentMissing { path, parent } => Msg::KeyParentMissing
                .with("path", path.display())
                .arg("parent", parent.display()),
            KeyError::AlreadyExists { path } => Msg::KeyExists.with("path", path.display()),
            KeyError::PermissionsTooOpen { path, mode } => Msg::KeyTooOpen
                .with("path", path.display())
                .arg("mode", format!("{mode:04o}")),
            KeyError::NotRegularFile { path } => Msg::KeyNotRegular.with("path", path.display()),
            KeyError::TooLarge { path, limit } => Msg::KeyTooLarge
                .with("path", path.display())
                .arg("limit", limit),
            KeyError::Parse { path, detail } => Msg::KeyParse
                .with("path", path.display())
                .arg("detail", detail),
            KeyError::Random(detail) => Msg::KeyRandom.with("detail", detail),
            KeyError::Encode(detail) => Msg::KeyEncode.with("detail", detail),
            KeyError::DuplicateKey {
                keyid,
                first_label,
                second_label,
            } => Msg::KeyTrustedTwice
                .with("keyid", keyid)
                .arg("first", first_label)
                .arg("second", second_label),
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.phrase().en())
    }
}

impl std::error::Error for KeyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An ed25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PublicKey {
    /// Hex SHA-256 of the SPKI DER encoding: the same value as
    /// `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum`.
    pub fn keyid(&self) -> String {
        hex(&Sha256::digest(self.spki_der()))
    }

    /// The SubjectPublicKeyInfo DER encoding (44 bytes).
    pub fn spki_der(&self) -> Vec<u8> {
        let mut der = Vec::with_capacity(ED25519_SPKI_PREFIX.len() + 32);
        der.extend_from_slice(&ED25519_SPKI_PREFIX);
        der.extend_from_slice(self.key.as_bytes());
        der
    }

    /// The key as SPKI PEM, byte for byte what `openssl pkey -pubout` prints.
    pub fn to_pem(&self) -> String {
        use base64::Engine as _;
        // 44 DER bytes are 60 base64 characters: one line, under PEM's 64-character limit.
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(self.spki_der())
        )
    }

    /// Parses SPKI PEM. Small-order ("weak") keys are refused: a signature under one proves
    /// nothing about who made it.
    pub fn from_pem(text: &str) -> Result<Self, String> {
        let key =
            VerifyingKey::from_public_key_pem(text).map_err(|err| match foreign_key(text) {
                Some(kind) => unsupported(&kind),
                None => format!(
                    "not an ed25519 public key in SPKI PEM (-----BEGIN PUBLIC KEY-----): {err}"
                ),
            })?;
        if key.is_weak() {
            return Err("ed25519 public key is a small-order (weak) point".to_string());
        }
        Ok(PublicKey { key })
    }

    /// Checks an ed25519 signature with the strict rules (canonical encodings, no small-order
    /// components), so one message has one valid signature per key.
    pub(crate) fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.key.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.keyid())
    }
}

/// An ed25519 private key. Its memory is wiped when dropped; `Debug` shows only the key id.
pub struct PrivateKey {
    key: SigningKey,
}

impl PrivateKey {
    /// A new key from the kernel's random source.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|err| KeyError::Random(err.to_string()))?;
        Ok(PrivateKey {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key: self.key.verifying_key(),
        }
    }

    /// Parses PKCS#8 PEM (version 1 as openssl writes it, or version 2 with the public key, in
    /// which case the two halves must match).
    pub fn from_pem(text: &str) -> Result<Self, String> {
        SigningKey::from_pkcs8_pem(text)
            .map(|key| PrivateKey { key })
            .map_err(|err| match foreign_key(text) {
                Some(kind) => unsupported(&kind),
                None => format!(
                    "not an ed25519 private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----): {err}"
                ),
            })
    }

    /// The key as PKCS#8 version 1 PEM, the form `openssl genpkey -algorithm ed25519` writes;
    /// version 2 (with the public key inside) is not read by every tool.
    pub fn to_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let bytes = KeypairBytes {
            secret_key: self.key.to_bytes(),
            public_key: None,
        };
        bytes
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|err| KeyError::Encode(err.to_string()))
    }

    /// Signs raw bytes. Crate-private so that everything signed leaves through DSSE's
    /// pre-authentication encoding, and a signature can never be replayed as another type.
    pub(crate) fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(public {})", self.public_key().keyid())
    }
}

/// The error for a key of another kind: name it, say what is wanted instead.
fn unsupported(kind: &str) -> String {
    format!(
        "this is {kind}; isoguard signs findings with Ed25519 keys only (make one with \
         `isoguard keygen --out FILE`, or `openssl genpkey -algorithm ed25519`)"
    )
}

/// What kind of key a PEM text holds when it is not an Ed25519 one; `None` when it is (or
/// claims to be) Ed25519, so its own error stands.
fn foreign_key(text: &str) -> Option<String> {
    use pkcs8::der::pem;
    use pkcs8::{PrivateKeyInfo, SubjectPublicKeyInfoRef};
    let (label, der) = pem::decode_vec(text.as_bytes()).ok()?;
    let oid = match label {
        "PRIVATE KEY" => PrivateKeyInfo::try_from(der.as_slice()).ok()?.algorithm.oid,
        "PUBLIC KEY" => {
            SubjectPublicKeyInfoRef::try_from(der.as_slice())
                .ok()?
                .algorithm
                .oid
        }
        "RSA PRIVATE KEY" | "RSA PUBLIC KEY" => return Some("an RSA key (PKCS#1)".into()),
        "EC PRIVATE KEY" => return Some("an EC key (SEC1)".into()),
        "OPENSSH PRIVATE KEY" => return Some("an OpenSSH private key".into()),
        "ENCRYPTED PRIVATE KEY" => return Some("an encrypted private key".into()),
        other => return Some(format!("a PEM block labelled `{other}`, not a key")),
    };
    let kind = match oid.to_string().as_str() {
        "1.3.101.112" => return None,
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => "an RSA key",
        "1.2.840.10045.2.1" => "an EC (ECDSA) key",
        "1.3.101.113" => "an Ed448 key",
        "1.3.101.110" => "an X25519 key",
        "1.3.101.111" => "an X448 key",
        "1.2.840.10040.4.1" => "a DSA key",
        other => return Some(format!("a key of algorithm {other}")),
    };
    Some(kind.to_string())
}

/// Creates a new key pair: the private key at `out` (mode 0600) and the public key at
/// `out.pub` (mode 0644), and returns the public key.
///
/// Refuses, before writing anything, if either file exists; each file appears whole or not at
/// all. If the public key cannot be written, the private key just written is removed again, so
/// a failed keygen can simply be retried.
pub fn keygen(out: &Path) -> Result<PublicKey, KeyError> {
    let name = out
        .file_name()
        .ok_or_else(|| KeyError::BadPath {
            path: out.to_path_buf(),
        })?
        .to_os_string();
    let parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(KeyError::ParentMissing {
            path: out.to_path_buf(),
            parent,
        });
    }
    let mut pub_name = name.clone();
    pub_name.push(".pub");
    let pub_path = parent.join(&pub_name);
    for path in [out, pub_path.as_path()] {
        match fs::symlink_metadata(path) {
            Ok(_) => {
                return Err(KeyError::AlreadyExists {
                    path: path.to_path_buf(),
                })
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(KeyError::Io {
                    path: path.to_path_buf(),
                    step: "checking whether it exists",
                    source,
                })
            }
        }
    }

    let key = PrivateKey::generate()?;
    let public = key.public_key();
    let private_pem = key.to_pem()?;
    let public_pem = public.to_pem();

    write_key_file(&parent, &name, private_pem.as_bytes(), PRIVATE_KEY_MODE)?;
    if let Err(err) = write_key_file(&parent, &pub_name, public_pem.as_bytes(), PUBLIC_KEY_MODE) {
        let _ = fs::remove_file(parent.join(&name));
        return Err(err);
    }
    Ok(public)
}

fn write_key_file(dir: &Path, name: &OsString, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    files::write_durably(dir, name, bytes, mode, Placement::NoClobber)
        .map(|_| ())
        .map_err(|failure| match failure {
            WriteFailure::Exists { path } => KeyError::AlreadyExists { path },
            WriteFailure::Io { step, source } => KeyError::Io {
                path: dir.join(name),
                step,
                source,
            },
        })
}

/// Loads a private key, refusing one that group or others may read or write.
pub fn load_private_key(path: &Path) -> Result<PrivateKey, KeyError> {
    let (file, meta) = files::open_regular(path, Links::Follow).map_err(|f| read_error(path, f))?;
    // Checked before reading, like ssh: a key others could read is compromised whatever it holds.
    if files::is_open_to_others(&meta) {
        return Err(KeyError::PermissionsTooOpen {
            path: path.to_path_buf(),
            mode: files::mode_of(&meta),
        });
    }
    // Room for the whole bound up front, so the secret is never copied by a reallocation into
    // memory that would not be wiped.
    let mut buf = Zeroizing::new(Vec::with_capacity(
        usize::try_from(MAX_KEY_FILE_BYTES + 1).unwrap_or(usize::MAX),
    ));
    files::read_into(file, MAX_KEY_FILE_BYTES, &mut buf).map_err(|f| read_error(path, f))?;
    let text = std::str::from_utf8(&buf).map_err(|_| KeyError::Parse {
        path: path.to_path_buf(),
        detail: "not text, so not a PEM private key".to_string(),
    })?;
    PrivateKey::from_pem(text).map_err(|detail| KeyError::Parse {
        path: path.to_path_buf(),
        detail,
    })
}

/// Loads an SPKI PEM public key.
pub fn load_public_key(path: &Path) -> Result<PublicKey, KeyError> {
    let buf = files::read_regular(path, MAX_KEY_FILE_BYTES, Links::Follow)
        .map_err(|f| read_error(path, f))?;
    let text = std::str::from_utf8(&buf).map_err(|_| KeyError::Parse {
        path: path.to_path_buf(),
        detail: "not text, so not a PEM public key".to_string(),
    })?;
    PublicKey::from_pem(text).map_err(|detail| KeyError::Parse {
        path: path.to_path_buf(),
        detail,
    })
}

fn read_error(path: &Path, failure: ReadError) -> KeyError {
    let path = path.to_path_buf();
    match failure {
        ReadError::Io { step, source } => KeyError::Io { path, step, source },
        ReadError::NotFound => KeyError::Io {
            path,
            step: "opening",
            source: io::Error::from_raw_os_error(libc::ENOENT),
        },
        ReadError::NotRegular(_) | ReadError::Symlink => KeyError::NotRegularFile { path },
        ReadError::TooLarge { limit } => KeyError::TooLarge { path, limit },
    }
}

/// A public key the collector accepts, with the name findings signed by it are filed under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    pub label: String,
    pub key: PublicKey,
}

/// The set of public keys a verifier accepts, looked up by key id.
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    by_keyid: BTreeMap<String, TrustedKey>,
}

impl TrustedKeys {
    /// Trusts the given keys. Several keys may share a label (a host whose key was rotated),
    /// but one key may not carry two labels.
    pub fn from_keys(keys: Vec<(String, PublicKey)>) -> Result<Self, KeyError> {
        let mut by_keyid: BTreeMap<String, TrustedKey> = BTreeMap::new();
        for (label, key) in keys {
            let keyid = key.keyid();
            if let Some(existing) = by_keyid.get(&keyid) {
                if existing.label != label {
                    return Err(KeyError::DuplicateKey {
                        keyid,
                        first_label: existing.label.clone(),
                        second_label: label,
                    });
                }
                continue;
            }
            by_keyid.insert(keyid, TrustedKey { label, key });
        }
        Ok(TrustedKeys { by_keyid })
    }

    /// Trusts every `*.pub` file in `dir`, labelled by its file stem (`ws-0042.pub` is
    /// `ws-0042`). Hidden files are skipped, as a shell's `*.pub` would; other files are
    /// ignored; a `.pub` file that does not parse is an error naming it, because silently
    /// dropping a key would make that host's findings look forged.
    pub fn from_dir(dir: &Path) -> Result<Self, KeyError> {
        let entries = fs::read_dir(dir).map_err(|source| KeyError::Io {
            path: dir.to_path_buf(),
            step: "listing the trusted keys folder",
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| KeyError::Io {
                path: dir.to_path_buf(),
                step: "listing the trusted keys folder",
                source,
            })?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let is_pub = path.extension().is_some_and(|ext| ext == "pub");
            if hidden || !is_pub {
                continue;
            }
            if let Some(stem) = path.file_stem() {
                files.push((stem.to_string_lossy().into_owned(), path));
            }
        }
        files.sort();
        let mut keys = Vec::with_capacity(files.len());
        for (label, path) in files {
            keys.push((label, load_public_key(&path)?));
        }
        Self::from_keys(keys)
    }

    /// The trusted key with this key id, if any. Only an exact key id matches.
    pub fn get(&self, keyid: &str) -> Option<&TrustedKey> {
        self.by_keyid.get(keyid)
    }

    pub fn len(&self) -> usize {
        self.by_keyid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_keyid.is_empty()
    }

    /// All trusted keys, in key id order.
    pub fn iter(&self) -> impl Iterator<Item = &TrustedKey> {
        self.by_keyid.values()
    }
}

/// Lower-case hex, the form key ids and digests take in envelopes and state files.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::pkcs8::EncodePublicKey;

    #[test]
    fn spki_prefix_matches_the_encoder() {
        let key = PrivateKey::generate().unwrap().public_key();
        let der = key.key.to_public_key_der().unwrap();
        assert_eq!(der.as_bytes(), key.spki_der().as_slice());
        let pem = key
            .key
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap();
        assert_eq!(pem, key.to_pem());
    }

    #[test]
    fn pem_round_trip() {
        let key = PrivateKey::generate().unwrap();
        let pem = key.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let again = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let public = PublicKey::from_pem(&key.public_key().to_pem()).unwrap();
        assert_eq!(public, key.public_key());
        assert_eq!(public.keyid().len(), 64);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "",
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "\u{0}\u{1}garbage",
        ] {
            assert!(PrivateKey::from_pem(text).is_err());
            assert!(PublicKey::from_pem(text).is_err());
        }
        // A public key where a private key is expected, and the other way round.
        let key = PrivateKey::generate().unwrap();
        assert!(PrivateKey::from_pem(&key.public_key().to_pem()).is_err());
        assert!(PublicKey::from_pem(&key.to_pem().unwrap()).is_err());
    }

    #[test]
    fn weak_public_keys_are_refused() {
        // The identity point (0, 1) encodes as 1 followed by zeros: small order.
        let mut der = ED25519_SPKI_PREFIX.to_vec();
        let mut point = [0u8; 32];
        point[0] = 1;
        der.extend_from_slice(&point);
        use base64::Engine as _;
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        let err = PublicKey::from_pem(&pem).unwrap_err();
        assert!(err.contains("weak"), "{err}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let key = PrivateKey::generate().unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(&key.public_key().keyid()));
        assert!(!shown.contains(&hex(&key.key.to_bytes())));
    }

    #[test]
    fn duplicate_keys_with_two_labels_are_refused() {
        let key = PrivateKey::generate().unwrap().public_key();
        let same =
            TrustedKeys::from_keys(vec![("a".into(), key.clone()), ("a".into(), key.clone())])
                .unwrap();
        assert_eq!(same.len(), 1);
        let err =
            TrustedKeys::from_keys(vec![("a".into(), key.clone()), ("b".into(), key)]).unwrap_err();
        assert!(matches!(err, KeyError::DuplicateKey { .. }), "{err}");
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0x9f, 0xff]), "009fff");
    }
}
