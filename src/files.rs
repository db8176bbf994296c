//! Files the agent and collector read and write themselves: keys, chain state, policies,
//! config, findings in the spool, envelopes in the inbox, reports.
//!
//! One implementation of each of the three things that must never go subtly wrong:
//! - **bounded reads of a regular file**: never block on a FIFO or device put where a file was
//!   expected (open `O_NONBLOCK`, check the type of what was opened), never read more than the
//!   caller's limit (a bigger file is an error, not silently cut), optionally refuse a symlink
//!   at the last component (`O_NOFOLLOW`);
//! - **durable writes**: write a hidden temporary file in the same folder, set its mode exactly,
//!   fsync it, link (never replacing) or rename (replacing) it into place, fsync the folder;
//! - **file modes**: the permission bits a key or state file must have, checked and set here.
//!
//! The Unix specifics (`O_NOFOLLOW`, modes, hard links) stay in this file; a Windows port
//! changes this module, not its callers.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Whether a symlink at the last path component is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Follow it and check what it points at, as `ssh` does for its keys.
    Follow,
    /// Refuse it: the name itself must be the file (an inbox someone else can write).
    Refuse,
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Nothing of that name.
    NotFound,
    /// A symlink, with [`Links::Refuse`].
    Symlink,
    /// A folder, FIFO, socket or device where a file was expected.
    NotRegular(&'static str),
    /// Larger than the caller's limit; nothing was returned.
    TooLarge { limit: u64 },
    /// The operating system refused a step.
    Io {
        step: &'static str,
        source: io::Error,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("no such file"),
            ReadError::Symlink => f.write_str("is a symbolic link (not followed)"),
            ReadError::NotRegular(what) => write!(f, "not a regular file: {what}"),
            ReadError::TooLarge { limit } => write!(f, "larger than {limit} bytes"),
            ReadError::Io { step, source } => write!(f, "{step}: {}", os_reason(source)),
        }
    }
}

impl std::error::Error for ReadError {}

impl ReadError {
    /// The same in the reader's language.
    pub fn phrase(&self) -> crate::i18n::Phrase {
        use crate::i18n::{Msg, Phrase};
        match self {
            ReadError::NotFound => Phrase::new(Msg::NoSuchFile),
            ReadError::Symlink => Phrase::new(Msg::IsSymlink),
            ReadError::NotRegular(what) => Msg::NotRegular.with("what", what),
            ReadError::TooLarge { limit } => Msg::LargerThan.with("limit", limit),
            ReadError::Io { step, source } => Msg::StepFailed
                .with("step", step)
                .nest("error", crate::i18n::os_error(source)),
        }
    }
}

/// What kind of thing a non-regular file is, in words.
pub fn describe_type(file_type: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_dir() {
        "a folder"
    } else if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() || file_type.is_char_device() {
        "a device node"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading and checks that it is a regular file, without blocking on a FIFO
/// or a device that was put where a file was expected.
pub fn open_regular(path: &Path, links: Links) -> Result<(File, Metadata), ReadError> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    let file = match OpenOptions::new().read(true).custom_flags(flags).open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(ReadError::NotFound),
        Err(err) if links == Links::Refuse && err.raw_os_error() == Some(libc::ELOOP) => {
            return Err(ReadError::Symlink)
        }
        Err(source) => {
            return Err(ReadError::Io {
                step: "opening",
                source,
            })
        }
    };
    check_regular(file)
}

/// Checks that an opened file is a regular file, for callers that open it themselves (the
/// collector opens inbox files relative to a folder handle).
pub fn check_regular(file: File) -> Result<(File, Metadata), ReadError> {
    let meta = file.metadata().map_err(|source| ReadError::Io {
        step: "inspecting",
        source,
    })?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(describe_type(meta.file_type())));
    }
    Ok((file, meta))
}

/// Reads all of `file` into `buf`, refusing more than `limit` bytes. The caller chooses `buf`
/// (and its capacity) so secret contents can land in memory that is wiped afterwards.
pub fn read_into(file: File, limit: u64, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    match file.take(limit.saturating_add(1)).read_to_end(buf) {
        Ok(_) => {}
        // An O_NONBLOCK regular file never blocks; this only guards odd special files.
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
        Err(source) => {
            return Err(ReadError::Io {
                step: "reading",
                source,
            })
        }
    }
    if u64::try_from(buf.len()).unwrap_or(u64::MAX) > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(())
}

/// Reads a whole regular file of at most `limit` bytes.
pub fn read_regular(path: &Path, limit: u64, links: Links) -> Result<Vec<u8>, ReadError> {
    let (file, meta) = open_regular(path, links)?;
    if meta.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    read_into(file, limit, &mut buf)?;
    Ok(buf)
}

/// Reads up to `limit` bytes of a regular file, keeping what fits: for tables where the
/// caller notes the cut itself (sysfs attributes, a huge mount table).
pub fn read_prefix(file: File, limit: u64, capacity: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(capacity);
    match file.take(limit).read_to_end(&mut buf) {
        Ok(_) => Ok(buf),
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(buf),
        Err(err) => Err(err),
    }
}

/// The permission bits of a file (`0o600`).
pub fn mode_of(meta: &Metadata) -> u32 {
    meta.mode() & 0o7777
}

/// Whether group or others may do anything with a file: a private key must not allow it.
pub fn is_open_to_others(meta: &Metadata) -> bool {
    mode_of(meta) & 0o077 != 0
}

/// Creates a folder (and its parents) with `mode` for the folders it creates.
pub fn create_dir_all(dir: &Path, mode: u32) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(mode).create(dir)
}

/// The owner and group ids of a file.
pub fn owner_of(meta: &Metadata) -> (u32, u32) {
    (meta.uid(), meta.gid())
}

/// The (device, inode) pair that identifies a file whatever its name.
pub fn identity_of(meta: &Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

/// How `write_durably` puts the finished temporary file in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Link it in, failing if the name exists: for findings and keys, which are never replaced.
    NoClobber,
    /// Rename it over the old file: for state and reports that are meant to be replaced whole.
    Replace,
}

/// Why `write_durably` failed. The temporary file is already gone when this is returned.
#[derive(Debug)]
pub enum WriteFailure {
    /// With `Placement::NoClobber`, the final name was taken.
    Exists { path: PathBuf },
    Io {
        step: &'static str,
        source: io::Error,
    },
}

impl std::fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteFailure::Exists { path } => write!(f, "'{}' already exists", path.display()),
            WriteFailure::Io { step, source } => write!(f, "{step}: {}", os_reason(source)),
        }
    }
}

impl WriteFailure {
    /// The same in the reader's language.
    pub fn phrase(&self) -> crate::i18n::Phrase {
        use crate::i18n::Msg;
        match self {
            WriteFailure::Exists { path } => Msg::AlreadyExists.with("path", path.display()),
            WriteFailure::Io { step, source } => Msg::StepFailed
                .with("step", step)
                .nest("error", crate::i18n::os_error(source)),
        }
    }
}

/// Numbers the temporary files of this process, so two writes of the same name never share one.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `dir/name` with exactly `mode`, through a hidden temporary file in `dir`.
///
/// Steps: create `.tmp-<name>-<pid>-<n>` (O_EXCL), write, fsync, put in place (link or rename),
/// fsync `dir`. Linking rather than renaming is what makes `NoClobber` atomic: `link(2)` fails
/// if the name exists, where `rename(2)` would replace it. If the final folder sync fails after
/// a `NoClobber` link, the new file is removed again, so an error always means "not published".
pub fn write_durably(
    dir: &Path,
    name: &OsStr,
    bytes: &[u8],
    mode: u32,
    placement: Placement,
) -> Result<PathBuf, WriteFailure> {
    write_durably_with(dir, name, mode, placement, |file| file.write_all(bytes))
}

/// [`write_durably`] for content written piece by piece (a bundle of many findings), which
/// `fill` writes into the temporary file; an error from it is a failed write, and the
/// temporary file is removed.
pub fn write_durably_with(
    dir: &Path,
    name: &OsStr,
    mode: u32,
    placement: Placement,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
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
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&temp_path)
        .map_err(io_failure("creating a temporary file"))?;

    let filled = (|| {
        let mut file = file;
        // The umask may have taken bits away from `mode`; the caller asked for exactly `mode`.
        file.set_permissions(Permissions::from_mode(mode))
            .map_err(io_failure("setting permissions"))?;
        fill(&mut file).map_err(io_failure("writing"))?;
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
            // it fails after a good link, only a hidden duplicate remains, which readers skip.
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

/// Replaces the file at `path` whole (for reports): the folder is the path's parent.
pub fn replace_file(path: &Path, bytes: &[u8], mode: u32) -> Result<PathBuf, WriteFailure> {
    replace_file_with(path, mode, |file| file.write_all(bytes))
}

/// [`replace_file`] for content `fill` writes piece by piece.
pub fn replace_file_with(
    path: &Path,
    mode: u32,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<PathBuf, WriteFailure> {
    let (dir, name) = parent_and_name(path)?;
    write_durably_with(&dir, name, mode, Placement::Replace, fill)
}

/// The folder a file is written in (`.` for a bare name) and its name.
pub fn parent_and_name(path: &Path) -> Result<(PathBuf, &OsStr), WriteFailure> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| WriteFailure::Io {
        step: "naming the file",
        source: io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
    })?;
    Ok((dir, name))
}

/// Makes a folder's entries durable: a renamed or linked file is not on disk until its folder is.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The OS's own words for an error ("No space left on device (os error 28)"), which is what an
/// operator needs to see; the kind name alone ("StorageFull") is less familiar.
pub fn os_reason(err: &io::Error) -> String {
    err.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("isoguard-files-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_are_bounded_and_refuse_special_files() {
        let dir = scratch("read");
        let file = dir.join("f");
        fs::write(&file, b"12345").unwrap();
        assert_eq!(read_regular(&file, 5, Links::Follow).unwrap(), b"12345");
        assert!(matches!(
            read_regular(&file, 4, Links::Follow),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        assert!(matches!(
            read_regular(&dir.join("none"), 4, Links::Follow),
            Err(ReadError::NotFound)
        ));
        assert!(matches!(
            read_regular(&dir, 4, Links::Follow),
            Err(ReadError::NotRegular("a folder"))
        ));
        std::os::unix::fs::symlink(&file, dir.join("link")).unwrap();
        assert!(read_regular(&dir.join("link"), 9, Links::Follow).is_ok());
        assert!(matches!(
            read_regular(&dir.join("link"), 9, Links::Refuse),
            Err(ReadError::Symlink)
        ));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn durable_writes_never_clobber_and_set_the_mode() {
        let dir = scratch("write");
        let name = OsStr::new("x");
        let path = write_durably(&dir, name, b"a", 0o600, Placement::NoClobber).unwrap();
        assert_eq!(mode_of(&fs::metadata(&path).unwrap()), 0o600);
        assert!(matches!(
            write_durably(&dir, name, b"b", 0o600, Placement::NoClobber),
            Err(WriteFailure::Exists { .. })
        ));
        write_durably(&dir, name, b"c", 0o644, Placement::Replace).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"c");
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        let _ = fs::remove_dir_all(&dir);
    }
}
