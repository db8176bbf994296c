//! The inbox's folders: listing what arrived, choosing free names in `archive/` and
//! `rejected/`, and moving a file there without ever replacing one.
//!
//! What it must not do: delete a file, overwrite a name, or look at the agent's hidden
//! temporary files.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::{self, FileType};
use std::io;
use std::path::{Path, PathBuf};

use super::{io_err, IngestError, ARCHIVE_DIR, REJECTED_DIR};

/// Creates `archive/` and `rejected/` in the inbox if missing.
pub fn prepare_inbox(inbox: &Path) -> Result<(), IngestError> {
    for sub in [ARCHIVE_DIR, REJECTED_DIR] {
        let dir = inbox.join(sub);
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                let meta = fs::symlink_metadata(&dir).map_err(io_err(&dir, "inspecting"))?;
                if !meta.is_dir() {
                    return Err(IngestError::Io {
                        path: dir,
                        step: "expected a folder",
                        source: io::Error::new(io::ErrorKind::AlreadyExists, "not a directory"),
                    });
                }
            }
            Err(source) => {
                return Err(IngestError::Io {
                    path: dir,
                    step: "creating",
                    source,
                })
            }
        }
    }
    Ok(())
}

/// The inbox files a pass looks at, sorted by name (the agent's names sort by time).
pub(super) fn list_inbox(inbox: &Path) -> Result<Vec<(OsString, Option<FileType>)>, IngestError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(inbox).map_err(io_err(inbox, "listing the inbox"))? {
        let entry = entry.map_err(io_err(inbox, "listing the inbox"))?;
        let name = entry.file_name();
        if name.as_encoded_bytes().first() == Some(&b'.') {
            continue;
        }
        let file_type = entry.file_type().ok();
        if (name == ARCHIVE_DIR || name == REJECTED_DIR) && file_type.is_some_and(|t| t.is_dir()) {
            continue;
        }
        names.push((name, file_type));
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(names)
}

/// Picks names in `archive/` and `rejected/` that are free and not promised to another file
/// of this pass: `name`, then `name.1`, `name.2`, ...
pub(super) struct Names {
    pub(super) reserved: HashSet<PathBuf>,
}

impl Names {
    pub(super) fn reserve(
        &mut self,
        dir: &Path,
        name: &OsStr,
        with_reason: bool,
    ) -> Result<OsString, IngestError> {
        for n in 0u32..100_000 {
            let mut candidate = name.to_os_string();
            if n > 0 {
                candidate.push(format!(".{n}"));
            }
            let path = dir.join(&candidate);
            let mut reason = candidate.clone();
            reason.push(".reason");
            let reason_path = dir.join(reason);
            if self.reserved.contains(&path)
                || (with_reason && self.reserved.contains(&reason_path))
            {
                continue;
            }
            if exists(&path)? || (with_reason && exists(&reason_path)?) {
                continue;
            }
            self.reserved.insert(path);
            if with_reason {
                self.reserved.insert(reason_path);
            }
            return Ok(candidate);
        }
        Err(IngestError::Io {
            path: dir.join(name),
            step: "finding a free name",
            source: io::Error::new(io::ErrorKind::AlreadyExists, "every suffix is taken"),
        })
    }
}

fn exists(path: &Path) -> Result<bool, IngestError> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(IngestError::Io {
            path: path.to_path_buf(),
            step: "checking whether a name is free",
            source,
        }),
    }
}

/// Moves `from` to `to` without ever replacing `to`. A hard link fails if `to` exists, which
/// makes the check and the move one step; file systems without hard links (FAT media, some
/// shares) and folders fall back to check-then-rename.
pub(super) fn move_no_clobber(from: &Path, to: &Path) -> Result<(), IngestError> {
    match fs::hard_link(from, to) {
        Ok(()) => {
            fs::remove_file(from).map_err(io_err(from, "removing the inbox name after linking"))
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Err(IngestError::Io {
            path: to.to_path_buf(),
            step: "moving a file (the name is taken)",
            source: err,
        }),
        Err(err) if err.kind() == io::ErrorKind::NotFound && !exists(from)? => {
            Err(IngestError::Io {
                path: from.to_path_buf(),
                step: "moving a file (it disappeared)",
                source: err,
            })
        }
        Err(_) => {
            if exists(to)? {
                return Err(IngestError::Io {
                    path: to.to_path_buf(),
                    step: "moving a file (the name is taken)",
                    source: io::Error::new(io::ErrorKind::AlreadyExists, "exists"),
                });
            }
            fs::rename(from, to).map_err(io_err(from, "moving a file"))
        }
    }
}
