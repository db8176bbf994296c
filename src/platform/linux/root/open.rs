//! Open files for reads that do not fit "read it whole": a journal file is read at the
//! offsets its own index points to, and a log larger than a bound is read from its end, so
//! bounds cut the oldest records rather than the newest.
//!
//! The same rules as every other read apply: root-relative paths, no symlink followed at
//! the last component, no blocking on a FIFO, only regular files, and "absent" is not a
//! problem while "unreadable" is.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::time::SystemTime;

use super::HostRoot;

/// A regular file opened for positioned reads. Reading is the caller's business, and so is
/// bounding it: nothing here reads more than asked.
#[derive(Debug)]
pub struct OpenFile {
    file: File,
    len: u64,
    modified: Option<SystemTime>,
}

impl OpenFile {
    /// Size when opened; a file that grows later is read up to this size.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn modified(&self) -> Option<SystemTime> {
        self.modified
    }

    /// Reads up to `buf.len()` bytes at `offset`; fewer only at the end of the file.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.file.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        Ok(done)
    }
}

impl HostRoot {
    /// Opens a regular file. `None` when it does not exist; any other failure is noted.
    pub fn open_file(&self, rel: &str) -> Option<OpenFile> {
        let (file, meta) = match self.open_regular(rel) {
            Ok(Some(opened)) => opened,
            Ok(None) => return None,
            Err(why) => {
                self.note(rel, why);
                return None;
            }
        };
        Some(OpenFile {
            file,
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}
