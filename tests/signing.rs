//! Signing, keys, spool and chain state, tested from outside the crate.
//!
//! The envelope format is checked against independent implementations (Python's
//! `cryptography` package and the openssl command line), because a verifier written alongside
//! the signer would happily share its bugs. Those tools are required: CI installs them, and a
//! missing one fails the test with instructions instead of letting it pass unchecked.

// clippy.toml allows unwrap inside #[test] functions only; the helpers here are test code too,
// and a panic with the error is exactly how they should fail.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use isoguard::finding::chain_state::{self, Binding, ChainStart};

/// The chain of one machine and key, as a scan of this machine would have it.
fn me() -> Binding {
    Binding {
        machine: "ws-0042".into(),
        keyid: "ab".repeat(32),
        live: true,
    }
}
use isoguard::finding::dsse::{self, Envelope, VerifyError, PAYLOAD_TYPE};
use isoguard::finding::keys::{self, KeyError, PrivateKey, PublicKey, TrustedKeys};
use isoguard::finding::spool::{self, SpoolError};

const PAYLOAD: &[u8] = br#"{"host":"ws-0042","verdict":"compliant","sequence":1}"#;

// ---------------------------------------------------------------------------------------------
// helpers

/// A scratch folder removed on drop (also when the test panics).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "isoguard-signing-{}-{}-{tag}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A tmpfs mounted for one test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a 64 KiB tmpfs (with extra options) on a fresh folder under `parent`, or says why
    /// it cannot (not root, no mount privilege in a container).
    fn mount(parent: &TempDir, options: &str) -> Result<Tmpfs, String> {
        let dir = parent.join("mnt");
        fs::create_dir_all(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|err| format!("cannot run mount: {err}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Makes a key pair on disk and loads both halves back.
fn keypair(dir: &TempDir, name: &str) -> (PathBuf, PrivateKey, PublicKey) {
    let path = dir.join(name);
    let generated = keys::keygen(&path).unwrap();
    let private = keys::load_private_key(&path).unwrap();
    let public = keys::load_public_key(&pub_path(&path)).unwrap();
    assert_eq!(private.public_key(), generated);
    assert_eq!(public, generated);
    (path, private, public)
}

fn pub_path(key: &Path) -> PathBuf {
    let mut p = key.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

fn trust(label: &str, key: &PublicKey) -> TrustedKeys {
    TrustedKeys::from_keys(vec![(label.to_string(), key.clone())]).unwrap()
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {cmd:?}: {err}"))
}

/// A python3 that has the `cryptography` package, or a failure that says how to get one.
fn python_with_cryptography() -> String {
    for candidate in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(candidate)
            .args([
                "-c",
                "import cryptography.hazmat.primitives.asymmetric.ed25519",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return candidate.to_string();
        }
    }
    panic!(
        "python3 with the `cryptography` package is required to check envelopes independently; \
         install it with `apt-get install -y python3-cryptography` (CI does)"
    );
}

/// The openssl command, or a failure that says how to get it.
fn openssl() -> Command {
    let found = Command::new("openssl")
        .arg("version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "the openssl command is required to check key files independently; install it with \
         `apt-get install -y openssl` (CI does)"
    );
    Command::new("openssl")
}

// ---------------------------------------------------------------------------------------------
// DSSE sign / verify

#[test]
fn sign_then_verify_round_trip() {
    let dir = TempDir::new("roundtrip");
    let (_, private, public) = keypair(&dir, "ws-0042.key");
    let envelope = dsse::sign(PAYLOAD, &private);
    assert_eq!(envelope.payload_type, PAYLOAD_TYPE);
    assert_eq!(envelope.signatures.len(), 1);
    assert_eq!(envelope.signatures[0].keyid, public.keyid());
    assert_eq!(BASE64.decode(&envelope.payload).unwrap(), PAYLOAD);

    let verified = dsse::verify(envelope.to_json().as_bytes(), &trust("ws-0042", &public)).unwrap();
    assert_eq!(verified.payload, PAYLOAD);
    assert_eq!(verified.keyid, public.keyid());
    assert_eq!(verified.label, "ws-0042");

    // The JSON uses DSSE's field names and nothing else.
    let value: serde_json::Value = serde_json::from_str(&envelope.to_json()).unwrap();
    let mut fields: Vec<&String> = value.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["payload", "payloadType", "signatures"]);
    let mut sig_fields: Vec<&String> = value["signatures"][0].as_object().unwrap().keys().collect();
    sig_fields.sort();
    assert_eq!(sig_fields, ["keyid", "sig"]);
}

#[test]
fn one_byte_change_of_the_payload_is_refused() {
    let private = PrivateKey::generate().unwrap();
    let trusted = trust("ws-1", &private.public_key());
    let mut envelope = dsse::sign(PAYLOAD, &private);
    let mut payload = BASE64.decode(&envelope.payload).unwrap();
    // "compliant" -> "compliang": still valid JSON, still plausible.
    let at = payload.len() - 16;
    payload[at] ^= 0x13;
    envelope.payload = BASE64.encode(&payload);
    assert_eq!(
        dsse::verify(envelope.to_json().as_bytes(), &trusted),
        Err(VerifyError::BadSignature(private.public_key().keyid()))
    );
}

#[test]
fn one_byte_change_of_the_payload_type_is_refused() {
    let private = PrivateKey::generate().unwrap();
    let trusted = trust("ws-1", &private.public_key());
    let mut envelope = dsse::sign(PAYLOAD, &private);
    envelope.payload_type = PAYLOAD_TYPE.replace("finding", "findinh");
    assert_eq!(
        dsse::verify(envelope.to_json().as_bytes(), &trusted),
        Err(VerifyError::WrongPayloadType {
            found: "application/vnd.isoguard.findinh+json".to_string(),
            expected: PAYLOAD_TYPE,
        })
    );
}

#[test]
fn one_byte_change_of_the_signature_is_refused() {
    let private = PrivateKey::generate().unwrap();
    let trusted = trust("ws-1", &private.public_key());
    for position in [0, 31, 32, 63] {
        let mut envelope = dsse::sign(PAYLOAD, &private);
        let mut sig = BASE64.decode(&envelope.signatures[0].sig).unwrap();
        assert_eq!(sig.len(), 64);
        sig[position] ^= 0x01;
        envelope.signatures[0].sig = BASE64.encode(&sig);
        assert_eq!(
            dsse::verify(envelope.to_json().as_bytes(), &trusted),
            Err(VerifyError::BadSignature(private.public_key().keyid())),
            "flipped a bit of byte {position}"
        );
    }
}

#[test]
fn a_key_from_another_host_with_the_same_label_is_refused() {
    let enrolled = PrivateKey::generate().unwrap();
    let impostor = PrivateKey::generate().unwrap();
    let trusted = trust("ws-0042", &enrolled.public_key());

    // The impostor signs honestly under its own key id: that key is not trusted.
    let envelope = dsse::sign(PAYLOAD, &impostor);
    assert_eq!(
        dsse::verify(envelope.to_json().as_bytes(), &trusted),
        Err(VerifyError::UnknownKey(impostor.public_key().keyid()))
    );

    // The impostor claims the enrolled key id: only the enrolled key is tried, and it says no.
    let mut claimed = dsse::sign(PAYLOAD, &impostor);
    claimed.signatures[0].keyid = enrolled.public_key().keyid();
    assert_eq!(
        dsse::verify(claimed.to_json().as_bytes(), &trusted),
        Err(VerifyError::BadSignature(enrolled.public_key().keyid()))
    );
}

#[test]
fn a_valid_signature_is_never_accepted_under_another_identity() {
    // Both keys are trusted, under different names. An envelope signed by host B but claiming
    // host A's key id must not be accepted at all, neither as A nor (by trying keys) as B.
    let a = PrivateKey::generate().unwrap();
    let b = PrivateKey::generate().unwrap();
    let trusted = TrustedKeys::from_keys(vec![
        ("host-a".to_string(), a.public_key()),
        ("host-b".to_string(), b.public_key()),
    ])
    .unwrap();
    let mut envelope = dsse::sign(PAYLOAD, &b);
    envelope.signatures[0].keyid = a.public_key().keyid();
    assert_eq!(
        dsse::verify(envelope.to_json().as_bytes(), &trusted),
        Err(VerifyError::BadSignature(a.public_key().keyid()))
    );
    // With its own key id it is B's, and labelled so.
    let honest = dsse::sign(PAYLOAD, &b);
    let verified = dsse::verify(honest.to_json().as_bytes(), &trusted).unwrap();
    assert_eq!(verified.label, "host-b");
}

#[test]
fn an_unknown_keyid_is_refused() {
    let private = PrivateKey::generate().unwrap();
    let trusted = trust("ws-1", &private.public_key());
    let mut envelope = dsse::sign(PAYLOAD, &private);
    let unknown = "00".repeat(32);
    envelope.signatures[0].keyid = unknown.clone();
    let err = dsse::verify(envelope.to_json().as_bytes(), &trusted).unwrap_err();
    assert_eq!(err, VerifyError::UnknownKey(unknown.clone()));
    assert!(err.to_string().contains(&unknown), "{err}");
    // Key ids are compared exactly; the upper-case spelling of a trusted id is not that id.
    let mut upper = dsse::sign(PAYLOAD, &private);
    upper.signatures[0].keyid = private.public_key().keyid().to_uppercase();
    assert!(matches!(
        dsse::verify(upper.to_json().as_bytes(), &trusted),
        Err(VerifyError::UnknownKey(_))
    ));
}

#[test]
fn malformed_envelopes_are_errors() {
    let private = PrivateKey::generate().unwrap();
    let trusted = trust("ws-1", &private.public_key());
    for bytes in [
        &b""[..],
        b"null",
        b"[]",
        b"{}",
        b"{\"payloadType\":1,\"payload\":\"\",\"signatures\":[]}",
        b"\xff\xfe",
    ] {
        assert!(
            matches!(
                dsse::verify(bytes, &trusted),
                Err(VerifyError::MalformedEnvelope(_))
            ),
            "{bytes:?}"
        );
    }
    let empty = Envelope {
        payload_type: PAYLOAD_TYPE.to_string(),
        payload: String::new(),
        signatures: vec![],
    };
    assert_eq!(
        dsse::verify(empty.to_json().as_bytes(), &trusted),
        Err(VerifyError::NoSignatures)
    );
}

// ---------------------------------------------------------------------------------------------
// independent verifiers

const PYTHON_VERIFIER: &str = include_str!("tools/dsse_verify.py");

#[test]
fn python_cryptography_verifies_our_envelopes() {
    let python = python_with_cryptography();
    let dir = TempDir::new("python");
    let (key_path, private, public) = keypair(&dir, "ws.key");
    let envelope = dsse::sign(PAYLOAD, &private);
    let env_path = dir.join("good.json");
    fs::write(&env_path, envelope.to_json()).unwrap();

    let out = run(Command::new(&python)
        .args(["-c", PYTHON_VERIFIER])
        .arg(&env_path)
        .arg(pub_path(&key_path)));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python verifier refused our envelope: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), format!("OK {}", public.keyid()));

    // The same script must refuse a tampered payload, and for the signature, not something else.
    let mut tampered = envelope.clone();
    let mut payload = BASE64.decode(&tampered.payload).unwrap();
    payload[2] ^= 0x20;
    tampered.payload = BASE64.encode(&payload);
    let bad_path = dir.join("bad.json");
    fs::write(&bad_path, tampered.to_json()).unwrap();
    let out = run(Command::new(&python)
        .args(["-c", PYTHON_VERIFIER])
        .arg(&bad_path)
        .arg(pub_path(&key_path)));
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected INVALID, got: {} {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "INVALID");
}

#[test]
fn openssl_reads_keygen_output_and_agrees_on_the_keyid() {
    let dir = TempDir::new("openssl");
    let (key_path, _, public) = keypair(&dir, "ws.key");
    let pub_file = pub_path(&key_path);

    let out = run(openssl().args(["pkey", "-noout", "-in"]).arg(&key_path));
    assert!(
        out.status.success(),
        "openssl cannot read the private key: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(openssl()
        .args(["pkey", "-pubin", "-noout", "-in"])
        .arg(&pub_file));
    assert!(
        out.status.success(),
        "openssl cannot read the public key: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // openssl pkey -pubin -in KEY.pub -outform DER | sha256sum
    let der = run(openssl()
        .args(["pkey", "-pubin", "-outform", "DER", "-in"])
        .arg(&pub_file));
    assert!(der.status.success());
    assert_eq!(der.stdout.len(), 44);
    let mut sha = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    sha.stdin.take().unwrap().write_all(&der.stdout).unwrap();
    let sum = sha.wait_with_output().unwrap();
    let sum = String::from_utf8(sum.stdout).unwrap();
    assert_eq!(sum.split_whitespace().next(), Some(public.keyid().as_str()));

    // openssl derives the same public key from our private key file, byte for byte.
    let derived = run(openssl().args(["pkey", "-pubout", "-in"]).arg(&key_path));
    assert!(derived.status.success());
    assert_eq!(derived.stdout, fs::read(&pub_file).unwrap());
}

#[test]
fn openssl_generated_keys_and_signatures_are_accepted() {
    let dir = TempDir::new("openssl-gen");
    let key_path = dir.join("os.pem");
    let out = run(openssl()
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&key_path));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::set_permissions(&key_path, fs::Permissions::from_mode(0o600)).unwrap();
    let private = keys::load_private_key(&key_path).unwrap();

    let pub_file = dir.join("os.pub");
    let out = run(openssl()
        .args(["pkey", "-pubout", "-in"])
        .arg(&key_path)
        .arg("-out")
        .arg(&pub_file));
    assert!(out.status.success());
    let public = keys::load_public_key(&pub_file).unwrap();
    assert_eq!(private.public_key(), public);

    // Sign the PAE with openssl itself, wrap it by hand, and let our verifier judge.
    let pae_path = dir.join("pae.bin");
    fs::write(&pae_path, dsse::pae(PAYLOAD_TYPE, PAYLOAD)).unwrap();
    let sig = run(openssl()
        .args(["pkeyutl", "-sign", "-rawin", "-inkey"])
        .arg(&key_path)
        .arg("-in")
        .arg(&pae_path));
    assert!(
        sig.status.success(),
        "{}",
        String::from_utf8_lossy(&sig.stderr)
    );
    assert_eq!(sig.stdout.len(), 64);
    let envelope = Envelope {
        payload_type: PAYLOAD_TYPE.to_string(),
        payload: BASE64.encode(PAYLOAD),
        signatures: vec![dsse::Signature {
            keyid: public.keyid(),
            sig: BASE64.encode(&sig.stdout),
        }],
    };
    let verified = dsse::verify(envelope.to_json().as_bytes(), &trust("os", &public)).unwrap();
    assert_eq!(verified.payload, PAYLOAD);
    // Ed25519 is deterministic: our signature over the same bytes is the same.
    assert_eq!(dsse::sign(PAYLOAD, &private), envelope);
}

// ---------------------------------------------------------------------------------------------
// keys

#[test]
fn keygen_writes_0600_and_0644() {
    let dir = TempDir::new("modes");
    let (key_path, _, _) = keypair(&dir, "ws.key");
    assert_eq!(mode_of(&key_path), 0o600);
    assert_eq!(mode_of(&pub_path(&key_path)), 0o644);
    let text = fs::read_to_string(&key_path).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
    let text = fs::read_to_string(pub_path(&key_path)).unwrap();
    assert!(text.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{text}");
    // Only the two key files remain: no temporary files.
    assert_eq!(names_in(dir.path()), ["ws.key", "ws.key.pub"]);
}

#[test]
fn keygen_never_overwrites() {
    let dir = TempDir::new("overwrite");
    let key_path = dir.join("ws.key");
    keys::keygen(&key_path).unwrap();
    let before = fs::read(&key_path).unwrap();
    let before_pub = fs::read(pub_path(&key_path)).unwrap();
    let err = keys::keygen(&key_path).unwrap_err();
    assert!(matches!(err, KeyError::AlreadyExists { .. }), "{err}");
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
    assert_eq!(fs::read(&key_path).unwrap(), before);
    assert_eq!(fs::read(pub_path(&key_path)).unwrap(), before_pub);

    // Only the .pub exists: refused before anything is written.
    let other = dir.join("other.key");
    fs::write(pub_path(&other), "stale").unwrap();
    let err = keys::keygen(&other).unwrap_err();
    assert!(matches!(err, KeyError::AlreadyExists { .. }), "{err}");
    assert!(!other.exists());
    assert_eq!(fs::read_to_string(pub_path(&other)).unwrap(), "stale");

    // A dangling symlink is a name that is taken, too.
    let link = dir.join("link.key");
    std::os::unix::fs::symlink(dir.join("nowhere"), &link).unwrap();
    assert!(matches!(
        keys::keygen(&link),
        Err(KeyError::AlreadyExists { .. })
    ));
    assert!(!dir.join("nowhere").exists());
}

#[test]
fn keygen_needs_an_existing_folder() {
    let dir = TempDir::new("parent");
    let err = keys::keygen(&dir.join("missing/ws.key")).unwrap_err();
    assert!(matches!(err, KeyError::ParentMissing { .. }), "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!dir.join("missing").exists());
}

#[test]
fn private_keys_readable_by_others_are_refused() {
    let dir = TempDir::new("perms");
    let (key_path, _, _) = keypair(&dir, "ws.key");
    for mode in [0o640, 0o604, 0o620, 0o602, 0o644, 0o660] {
        fs::set_permissions(&key_path, fs::Permissions::from_mode(mode)).unwrap();
        let err = keys::load_private_key(&key_path).unwrap_err();
        assert!(
            matches!(err, KeyError::PermissionsTooOpen { mode: m, .. } if m == mode),
            "{mode:o}: {err}"
        );
        let shown = err.to_string();
        let expected = format!(
            "permissions {mode:04o} for '{}' are too open; the private key must be readable by \
             its owner only (chmod 600)",
            key_path.display()
        );
        assert_eq!(shown, expected);
    }
    for mode in [0o600, 0o400] {
        fs::set_permissions(&key_path, fs::Permissions::from_mode(mode)).unwrap();
        keys::load_private_key(&key_path).unwrap();
    }
}

#[test]
fn key_files_must_be_regular_small_and_well_formed() {
    let dir = TempDir::new("regular");
    // A folder.
    let sub = dir.join("folder.key");
    fs::create_dir(&sub).unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o700)).unwrap();
    assert!(matches!(
        keys::load_private_key(&sub),
        Err(KeyError::NotRegularFile { .. })
    ));
    // A FIFO: must be refused without blocking on it.
    let fifo = dir.join("fifo.key");
    let made = Command::new("mkfifo")
        .arg("-m")
        .arg("600")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    assert!(matches!(
        keys::load_private_key(&fifo),
        Err(KeyError::NotRegularFile { .. })
    ));
    assert!(matches!(
        keys::load_public_key(&fifo),
        Err(KeyError::NotRegularFile { .. })
    ));
    // Too large.
    let big = dir.join("big.key");
    fs::write(&big, vec![b'A'; 64 * 1024 + 1]).unwrap();
    fs::set_permissions(&big, fs::Permissions::from_mode(0o600)).unwrap();
    assert!(matches!(
        keys::load_private_key(&big),
        Err(KeyError::TooLarge { .. })
    ));
    // Not a key, and a public key where the private key should be.
    let junk = dir.join("junk.key");
    fs::write(&junk, b"\x00\xffnot pem").unwrap();
    fs::set_permissions(&junk, fs::Permissions::from_mode(0o600)).unwrap();
    assert!(matches!(
        keys::load_private_key(&junk),
        Err(KeyError::Parse { .. })
    ));
    let (key_path, _, _) = keypair(&dir, "ws.key");
    let swapped = dir.join("swapped.key");
    fs::copy(pub_path(&key_path), &swapped).unwrap();
    fs::set_permissions(&swapped, fs::Permissions::from_mode(0o600)).unwrap();
    let err = keys::load_private_key(&swapped).unwrap_err();
    assert!(err.to_string().contains("BEGIN PRIVATE KEY"), "{err}");
    assert!(matches!(
        keys::load_public_key(&key_path),
        Err(KeyError::Parse { .. })
    ));
    // Missing.
    let err = keys::load_private_key(&dir.join("absent.key")).unwrap_err();
    assert!(matches!(err, KeyError::Io { .. }), "{err}");
    assert!(err.to_string().contains("absent.key"), "{err}");
}

#[test]
fn trusted_keys_from_a_folder() {
    let keys_dir = TempDir::new("trusted");
    let scratch = TempDir::new("trusted-src");
    let (a_path, a, _) = keypair(&scratch, "a.key");
    let (b_path, b, _) = keypair(&scratch, "b.key");
    fs::copy(pub_path(&a_path), keys_dir.join("ws-0001.pub")).unwrap();
    fs::copy(pub_path(&b_path), keys_dir.join("ws-0002.pub")).unwrap();
    fs::write(keys_dir.join("README"), "not a key").unwrap();
    fs::write(keys_dir.join("ws-0003.pub.bak"), "not a key either").unwrap();
    fs::write(
        keys_dir.join(".hidden.pub"),
        "ignored like a shell glob would",
    )
    .unwrap();

    let trusted = TrustedKeys::from_dir(keys_dir.path()).unwrap();
    assert_eq!(trusted.len(), 2);
    assert_eq!(
        trusted.get(&a.public_key().keyid()).unwrap().label,
        "ws-0001"
    );
    assert_eq!(
        trusted.get(&b.public_key().keyid()).unwrap().label,
        "ws-0002"
    );
    let verified = dsse::verify(dsse::sign(PAYLOAD, &b).to_json().as_bytes(), &trusted).unwrap();
    assert_eq!(verified.label, "ws-0002");

    // One broken .pub file is an error that names it.
    fs::write(
        keys_dir.join("ws-0004.pub"),
        "-----BEGIN PUBLIC KEY-----\nAAAA\n",
    )
    .unwrap();
    let err = TrustedKeys::from_dir(keys_dir.path()).unwrap_err();
    assert!(err.to_string().contains("ws-0004.pub"), "{err}");

    let err = TrustedKeys::from_dir(&keys_dir.join("absent")).unwrap_err();
    assert!(err.to_string().contains("absent"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// spool

#[test]
fn spool_write_is_exact_and_leaves_no_temporary_file() {
    let dir = TempDir::new("spool");
    let name = "20261128T034618Z-ws-0000000001.finding.json";
    let path = spool::write(dir.path(), name, PAYLOAD).unwrap();
    assert_eq!(path, dir.join(name));
    assert_eq!(fs::read(&path).unwrap(), PAYLOAD);
    assert_eq!(names_in(dir.path()), [name]);
    assert_eq!(mode_of(&path), 0o644);

    // A second write of the same name is refused and the first finding is untouched.
    let err = spool::write(dir.path(), name, b"something else").unwrap_err();
    assert!(matches!(err, SpoolError::AlreadyExists { .. }), "{err}");
    assert_eq!(fs::read(&path).unwrap(), PAYLOAD);
    assert_eq!(names_in(dir.path()), [name]);

    // An empty finding is still written whole (zero bytes), not skipped.
    let empty = spool::write(dir.path(), "empty.finding.json", b"").unwrap();
    assert_eq!(fs::read(empty).unwrap(), b"");
}

#[test]
fn spool_that_is_not_a_folder_is_an_error_and_leaves_nothing() {
    // Tests run as root, which ignores permission bits, so an unwritable spool is made by
    // putting a regular file where the folder should be.
    let dir = TempDir::new("notdir");
    let spool_path = dir.join("spool");
    fs::write(&spool_path, "i am a file").unwrap();
    let err = spool::write(&spool_path, "x.finding.json", PAYLOAD).unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, SpoolError::Io { .. }), "{shown}");
    assert!(shown.contains(&spool_path.display().to_string()), "{shown}");
    assert!(shown.contains("Not a directory"), "{shown}");
    assert_eq!(names_in(dir.path()), ["spool"]);
    assert_eq!(fs::read_to_string(&spool_path).unwrap(), "i am a file");

    let missing = dir.join("missing");
    let err = spool::write(&missing, "x.finding.json", PAYLOAD).unwrap_err();
    assert!(
        err.to_string().contains("No such file or directory"),
        "{err}"
    );
    assert_eq!(names_in(dir.path()), ["spool"]);
}

#[test]
fn spool_on_a_full_disk_is_an_error_and_leaves_nothing() {
    let dir = TempDir::new("full");
    let mnt = match Tmpfs::mount(&dir, "size=64k") {
        Ok(mnt) => mnt,
        Err(reason) => {
            println!("SKIPPED full-disk spool case: {reason}");
            return;
        }
    };
    let filler = mnt.0.join("filler");
    let mut file = fs::File::create(&filler).unwrap();
    let chunk = [0u8; 4096];
    let mut filled = false;
    for _ in 0..64 {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(err) => {
                assert_eq!(err.raw_os_error(), Some(28), "{err}");
                filled = true;
                break;
            }
        }
    }
    drop(file);
    assert!(filled, "the 64k tmpfs never filled up");

    let name = "20261128T034618Z-ws-0000000001.finding.json";
    let err = spool::write(&mnt.0, name, &vec![b'x'; 8192]).unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, SpoolError::Io { .. }), "{shown}");
    assert!(shown.contains("No space left on device"), "{shown}");
    assert!(shown.contains(&mnt.0.display().to_string()), "{shown}");
    assert_eq!(names_in(&mnt.0), ["filler"]);

    // With the space back, the same write goes through: the failure was the disk.
    fs::remove_file(&filler).unwrap();
    spool::write(&mnt.0, name, &vec![b'x'; 8192]).unwrap();
    assert_eq!(names_in(&mnt.0), [name]);
}

#[test]
fn spool_on_a_read_only_filesystem_is_an_error_and_leaves_nothing() {
    let dir = TempDir::new("rofs");
    let mnt = match Tmpfs::mount(&dir, "ro,size=64k") {
        Ok(mnt) => mnt,
        Err(reason) => {
            println!("SKIPPED read-only spool case: {reason}");
            return;
        }
    };
    let err = spool::write(&mnt.0, "x.finding.json", PAYLOAD).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("Read-only file system"), "{shown}");
    assert!(names_in(&mnt.0).is_empty());
}

#[test]
fn file_names_cannot_be_steered_by_the_hostname() {
    let t = UNIX_EPOCH + Duration::from_secs(1_795_837_578);
    let long = "h".repeat(300);
    for (host, expected_host) in [
        ("ws-0042.example.org", "ws-0042.example.org".to_string()),
        ("../../etc", ".._.._etc".to_string()),
        ("host\nname", "host_name".to_string()),
        ("/", "_".to_string()),
        ("ümlaut", "_mlaut".to_string()),
        (long.as_str(), "h".repeat(64)),
        ("", "unknown-host".to_string()),
    ] {
        let name = spool::file_name(t, host, 42);
        assert_eq!(
            name,
            format!("20261128T034618Z-{expected_host}-0000000042.finding.json")
        );
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "{name:?}"
        );
        assert!(!name.starts_with('.'));
        // One plain component: no separator, no "..", nothing hidden.
        assert_eq!(Path::new(&name).file_name().unwrap(), name.as_str());
        // And the spool accepts it.
        assert!(name.len() <= spool::MAX_NAME_BYTES);
    }
}

#[test]
fn file_names_sort_by_time_then_sequence() {
    let base = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let names = [
        spool::file_name(base, "ws", 9),
        spool::file_name(base, "ws", 10),
        spool::file_name(base + Duration::from_secs(1), "ws", 1),
        spool::file_name(base + Duration::from_secs(86_400 * 400), "ws", 1),
    ];
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, names);
}

#[test]
fn rfc3339_utc_known_values_and_date_agrees() {
    let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
    assert_eq!(isoguard::time::rfc3339_utc(at(0)), "1970-01-01T00:00:00Z");
    assert_eq!(
        isoguard::time::rfc3339_utc(at(951_782_400)),
        "2000-02-29T00:00:00Z"
    );
    assert_eq!(
        isoguard::time::rfc3339_utc(at(1_795_837_578)),
        "2026-11-28T03:46:18Z"
    );
    // A cross-check against coreutils for a few more points, including today.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for secs in [1_795_837_578, 68_256_000, 4_102_444_799, now] {
        let out = run(Command::new("date")
            .env("TZ", "UTC")
            .arg("-u")
            .arg("-d")
            .arg(format!("@{secs}"))
            .arg("+%Y-%m-%dT%H:%M:%SZ"));
        assert!(out.status.success(), "date failed");
        assert_eq!(
            isoguard::time::rfc3339_utc(at(secs)),
            String::from_utf8_lossy(&out.stdout).trim(),
            "epoch {secs}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// chain state

#[test]
fn chain_state_missing_is_a_declared_first_run() {
    let dir = TempDir::new("chain-missing");
    let start = chain_state::load(dir.path(), &me());
    assert_eq!(
        start,
        ChainStart::NewChain {
            sequence: 1,
            reason: "no state file (first run)".to_string()
        }
    );
    assert_eq!(start.previous(), None);
    // A state folder that does not exist at all is a first run too.
    let start = chain_state::load(&dir.join("absent"), &me());
    assert_eq!(start.new_chain_reason(), Some("no state file (first run)"));
}

#[test]
fn chain_state_corrupt_is_declared_not_silent() {
    let dir = TempDir::new("chain-corrupt");
    fs::write(
        dir.join(&me().file_name()),
        "{\"sequence\": 12, \"previous\": ",
    )
    .unwrap();
    let start = chain_state::load(dir.path(), &me());
    let ChainStart::NewChain { sequence, reason } = &start else {
        panic!("corrupt state continued the chain: {start:?}");
    };
    assert_eq!(*sequence, 1);
    assert!(reason.starts_with("state file corrupt: "), "{reason}");
    assert!(reason.contains(&me().file_name()), "{reason}");

    fs::write(dir.join(&me().file_name()), b"\xff\x00garbage").unwrap();
    let reason = chain_state::load(dir.path(), &me())
        .new_chain_reason()
        .unwrap()
        .to_string();
    assert!(reason.contains("corrupt"), "{reason}");
}

#[test]
fn chain_state_unreadable_is_declared() {
    let dir = TempDir::new("chain-unreadable");
    fs::create_dir(dir.join(&me().file_name())).unwrap();
    let start = chain_state::load(dir.path(), &me());
    let reason = start.new_chain_reason().unwrap();
    assert!(reason.starts_with("state file unreadable: "), "{reason}");
    assert_eq!(start.sequence(), 1);
}

#[test]
fn chain_state_commit_then_load_continues() {
    let dir = TempDir::new("chain-commit");
    let state = dir.join("state");
    let digest = chain_state::digest_hex(b"envelope one");
    chain_state::commit(&state, &me(), 7, &digest).unwrap();
    assert_eq!(
        chain_state::load(&state, &me()),
        ChainStart::Continue {
            sequence: 8,
            previous: digest.clone()
        }
    );
    let stored: serde_json::Value =
        serde_json::from_slice(&fs::read(state.join(me().file_name())).unwrap()).unwrap();
    assert_eq!(
        stored,
        serde_json::json!({"machine": "ws-0042", "keyid": "ab".repeat(32), "sequence": 7, "previous": digest})
    );

    // A second commit replaces the first, atomically, leaving no temporary file.
    let digest2 = chain_state::digest_hex(b"envelope two");
    chain_state::commit(&state, &me(), 8, &digest2).unwrap();
    let start = chain_state::load(&state, &me());
    assert_eq!(start.sequence(), 9);
    assert_eq!(start.previous(), Some(digest2.as_str()));
    assert_eq!(names_in(&state), [me().file_name()]);
}

#[test]
fn finding_flow_sign_spool_commit_continue() {
    let dir = TempDir::new("flow");
    let (_, private, public) = keypair(&dir, "agent.key");
    let spool_dir = dir.join("spool");
    let state_dir = dir.join("state");
    fs::create_dir(&spool_dir).unwrap();

    let start = chain_state::load(&state_dir, &me());
    assert_eq!(start.sequence(), 1);
    let now = SystemTime::now();
    let envelope = dsse::sign(PAYLOAD, &private);
    let bytes = envelope.to_json().into_bytes();
    let name = spool::file_name(now, "ws-0042", start.sequence());
    let written = spool::write(&spool_dir, &name, &bytes).unwrap();
    chain_state::commit(
        &state_dir,
        &me(),
        start.sequence(),
        &chain_state::digest_hex(&bytes),
    )
    .unwrap();

    // What the collector sees: the file verifies, and the next finding links to it.
    let on_disk = fs::read(&written).unwrap();
    let verified = dsse::verify(&on_disk, &trust("ws-0042", &public)).unwrap();
    assert_eq!(verified.payload, PAYLOAD);
    let next = chain_state::load(&state_dir, &me());
    assert_eq!(next.sequence(), 2);
    assert_eq!(
        next.previous(),
        Some(chain_state::digest_hex(&on_disk).as_str())
    );
}
