//! The inbox's folders: listing what arrived, choosing free names in `archive/` and
//! `rejected/`, and moving a file there without ever replacing one.
//!
//! The inbox is writable by whoever delivers findings, so its entries, `archive` and
//! `rejected` included, can be renamed or replaced by a symlink at any moment. The three
//! folders are therefore opened once per pass, `archive/` and `rejected/` refusing a symlink,
//! and every open, link, rename, create and unlink afterwards is relative to those handles
//! (`openat(2)` and friends, through rustix): a folder swapped mid-pass is simply no longer
//! the one the pass writes to, and nothing can be steered outside.
//!
//! What it must not do: follow a link below the inbox, delete a file (a second link to an
//! archived file is the only thing ever unlinked), overwrite a name, or look at the agent's
//! hidden temporary files.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::io::{self, Write as _};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::files::{self, ReadError};

use super::{IngestError, ARCHIVE_DIR, REJECTED_DIR};

/// Which of the pass's folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Folder {
    Inbox,
    Archive,
    Rejected,
}

/// What a listed inbox entry is, as the listing says (no extra look-up per file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Regular,
    Symlink,
    /// A folder, FIFO, socket or device, in words.
    Other(&'static str),
    /// The file system did not say; look.
    Unknown,
}

impl Kind {
    fn of(file_type: FileType) -> Kind {
        match file_type {
            FileType::RegularFile => Kind::Regular,
            FileType::Symlink => Kind::Symlink,
            FileType::Directory => Kind::Other("a folder"),
            FileType::Fifo => Kind::Other("a FIFO"),
            FileType::Socket => Kind::Other("a socket"),
            FileType::CharacterDevice | FileType::BlockDevice => Kind::Other("a device node"),
            FileType::Unknown => Kind::Unknown,
        }
    }
}

/// The inbox, `archive/` and `rejected/`, open for one pass.
#[derive(Debug)]
pub(super) struct InboxDirs {
    path: PathBuf,
    inbox: OwnedFd,
    archive: OwnedFd,
    rejected: OwnedFd,
}

fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC
}

impl InboxDirs {
    /// Opens the inbox (the operator's path; a symlink there is the operator's choice) and
    /// `archive/` and `rejected/` inside it, creating them if missing and refusing them if
    /// they are anything but folders.
    pub(super) fn open(inbox: &Path) -> Result<InboxDirs, IngestError> {
        let io_at = |path: PathBuf, step: &'static str| {
            move |errno: Errno| IngestError::Io {
                path,
                step,
                source: errno.into(),
            }
        };
        let inbox_fd = rustix::fs::open(inbox, dir_flags(), Mode::empty())
            .map_err(io_at(inbox.to_path_buf(), "opening the inbox"))?;
        let sub = |name: &str| -> Result<OwnedFd, IngestError> {
            let path = inbox.join(name);
            match rustix::fs::mkdirat(&inbox_fd, name, Mode::from_raw_mode(0o777)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(errno) => return Err(io_at(path, "creating")(errno)),
            }
            match rustix::fs::openat(
                &inbox_fd,
                name,
                dir_flags() | OFlags::NOFOLLOW,
                Mode::empty(),
            ) {
                Ok(fd) => Ok(fd),
                Err(Errno::LOOP | Errno::NOTDIR) => Err(IngestError::Io {
                    path,
                    step: "checking it is a folder",
                    source: io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "not a directory (a symbolic link or a file is never followed)",
                    ),
                }),
                Err(errno) => Err(io_at(path, "opening")(errno)),
            }
        };
        Ok(InboxDirs {
            path: inbox.to_path_buf(),
            archive: sub(ARCHIVE_DIR)?,
            rejected: sub(REJECTED_DIR)?,
            inbox: inbox_fd,
        })
    }

    fn fd(&self, folder: Folder) -> &OwnedFd {
        match folder {
            Folder::Inbox => &self.inbox,
            Folder::Archive => &self.archive,
            Folder::Rejected => &self.rejected,
        }
    }

    /// The path of `name` in `folder`, for messages.
    pub(super) fn shown(&self, folder: Folder, name: &OsStr) -> PathBuf {
        match folder {
            Folder::Inbox => self.path.join(name),
            Folder::Archive => self.path.join(ARCHIVE_DIR).join(name),
            Folder::Rejected => self.path.join(REJECTED_DIR).join(name),
        }
    }

    fn io_err(
        &self,
        folder: Folder,
        name: &OsStr,
        step: &'static str,
        errno: Errno,
    ) -> IngestError {
        IngestError::Io {
            path: self.shown(folder, name),
            step,
            source: errno.into(),
        }
    }

    /// The inbox files a pass looks at, sorted by name (the agent's names sort by time).
    pub(super) fn list(&self) -> Result<Vec<(OsString, Kind)>, IngestError> {
        let failed = |errno: Errno| IngestError::Io {
            path: self.path.clone(),
            step: "listing the inbox",
            source: errno.into(),
        };
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.inbox).map_err(failed)? {
            let entry = entry.map_err(failed)?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name.as_bytes().first() == Some(&b'.') {
                continue;
            }
            let kind = Kind::of(entry.file_type());
            let ours = name == ARCHIVE_DIR || name == REJECTED_DIR;
            if ours && matches!(kind, Kind::Other("a folder") | Kind::Unknown) {
                // The pass's own folders (or what took their names since; never followed).
                continue;
            }
            names.push((name.to_os_string(), kind));
        }
        names.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(names)
    }

    /// What an inbox entry is, looked up without following a link; `None` when it is gone.
    pub(super) fn kind_of(&self, name: &OsStr) -> io::Result<Option<Kind>> {
        match rustix::fs::statat(&self.inbox, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some(Kind::of(FileType::from_raw_mode(stat.st_mode)))),
            Err(Errno::NOENT) => Ok(None),
            Err(errno) => Err(errno.into()),
        }
    }

    /// Opens an inbox file for reading: never through a symlink, never blocking on a FIFO.
    pub(super) fn open_file(&self, name: &OsStr) -> Result<(File, Metadata), ReadError> {
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rustix::fs::openat(&self.inbox, name, flags, Mode::empty()) {
            Ok(fd) => files::check_regular(File::from(fd)),
            Err(Errno::NOENT) => Err(ReadError::NotFound),
            Err(Errno::LOOP) => Err(ReadError::Symlink),
            Err(errno) => Err(ReadError::Io {
                step: "opening",
                source: errno.into(),
            }),
        }
    }

    /// (device, inode) of `name` in `folder`, not following a link; `None` when absent.
    pub(super) fn file_id(
        &self,
        folder: Folder,
        name: &OsStr,
    ) -> Result<Option<(u64, u64)>, IngestError> {
        match rustix::fs::statat(self.fd(folder), name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some((stat.st_dev, stat.st_ino))),
            Err(Errno::NOENT) => Ok(None),
            Err(errno) => Err(self.io_err(folder, name, "checking whether a name is free", errno)),
        }
    }

    fn exists(&self, folder: Folder, name: &OsStr) -> Result<bool, IngestError> {
        Ok(self.file_id(folder, name)?.is_some())
    }

    /// Moves inbox `name` to `to` in `folder` without ever replacing `to`. A hard link fails
    /// if `to` exists, which makes the check and the move one step; file systems without hard
    /// links (FAT media, some shares) and folders fall back to check-then-rename.
    pub(super) fn move_no_clobber(
        &self,
        name: &OsStr,
        folder: Folder,
        to: &OsStr,
    ) -> Result<(), IngestError> {
        let target = self.fd(folder);
        match rustix::fs::linkat(&self.inbox, name, target, to, AtFlags::empty()) {
            Ok(()) => rustix::fs::unlinkat(&self.inbox, name, AtFlags::empty()).map_err(|e| {
                self.io_err(
                    Folder::Inbox,
                    name,
                    "removing the inbox name after linking",
                    e,
                )
            }),
            Err(Errno::EXIST) => Err(self.io_err(
                folder,
                to,
                "moving a file (the name is taken)",
                Errno::EXIST,
            )),
            Err(Errno::NOENT) if !self.exists(Folder::Inbox, name)? => Err(self.io_err(
                Folder::Inbox,
                name,
                "moving a file (it disappeared)",
                Errno::NOENT,
            )),
            Err(_) => {
                if self.exists(folder, to)? {
                    return Err(self.io_err(
                        folder,
                        to,
                        "moving a file (the name is taken)",
                        Errno::EXIST,
                    ));
                }
                rustix::fs::renameat(&self.inbox, name, target, to)
                    .map_err(|e| self.io_err(Folder::Inbox, name, "moving a file", e))
            }
        }
    }

    /// Drops an inbox name whose file is already in `archive/` under another link.
    pub(super) fn remove_second_link(&self, name: &OsStr) -> Result<(), IngestError> {
        rustix::fs::unlinkat(&self.inbox, name, AtFlags::empty())
            .map_err(|e| self.io_err(Folder::Inbox, name, "removing a second link", e))
    }

    /// Writes a new file `name` in `rejected/` (never replacing one, never through a link).
    pub(super) fn write_reason(&self, name: &OsStr, text: &str) -> Result<(), IngestError> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let failed = |source: io::Error| IngestError::Io {
            path: self.shown(Folder::Rejected, name),
            step: "writing the reason",
            source,
        };
        let fd = rustix::fs::openat(&self.rejected, name, flags, Mode::from_raw_mode(0o644))
            .map_err(|e| failed(e.into()))?;
        File::from(fd).write_all(text.as_bytes()).map_err(failed)
    }
}

/// Picks names in `archive/` and `rejected/` that are free and not promised to another file
/// of this pass: `name`, then `name.1`, `name.2`, ...
#[derive(Default)]
pub(super) struct Names {
    reserved: HashSet<(Folder, OsString)>,
}

impl Names {
    pub(super) fn reserve(
        &mut self,
        dirs: &InboxDirs,
        folder: Folder,
        name: &OsStr,
        with_reason: bool,
    ) -> Result<OsString, IngestError> {
        for n in 0u32..100_000 {
            let mut candidate = name.to_os_string();
            if n > 0 {
                candidate.push(format!(".{n}"));
            }
            let mut reason = candidate.clone();
            reason.push(".reason");
            let taken = |names: &Self, entry: &OsStr| -> Result<bool, IngestError> {
                Ok(names.reserved.contains(&(folder, entry.to_os_string()))
                    || dirs.exists(folder, entry)?)
            };
            if taken(self, &candidate)? || (with_reason && taken(self, &reason)?) {
                continue;
            }
            if with_reason {
                self.reserved.insert((folder, reason));
            }
            self.reserved.insert((folder, candidate.clone()));
            return Ok(candidate);
        }
        Err(IngestError::Io {
            path: dirs.shown(folder, name),
            step: "finding a free name",
            source: io::Error::new(io::ErrorKind::AlreadyExists, "every suffix is taken"),
        })
    }

    /// Promises `name` in `folder` to a file of this pass; false if it already was.
    pub(super) fn claim(&mut self, folder: Folder, name: &OsStr) -> bool {
        self.reserved.insert((folder, name.to_os_string()))
    }
}

/// Creates `archive/` and `rejected/` in the inbox if missing (and checks what is there).
pub fn prepare_inbox(inbox: &Path) -> Result<(), IngestError> {
    InboxDirs::open(inbox).map(drop)
}
