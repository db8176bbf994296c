//! Root-relative, bounded file access.
//!
//! Every read names a path relative to the root (`sys/class/net`), never an absolute one, so
//! the same code reads `/` or a fixture tree. Reads are bounded in size, never follow a
//! symlink at the last component of an attribute, never block on a FIFO, and resolve links
//! with a hop limit so a symlink loop costs a few syscalls, not a hang.
//!
//! "Absent" and "unreadable" are different answers: a missing file is `Ok(None)` (the kernel
//! did not create it, so there is nothing there), while a file that exists but cannot be read
//! is recorded as a [`Problem`] so the rules that needed it report `error`, never `pass`.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io;
use std::path::PathBuf;

use crate::files::{self, Links, ReadError};

pub use crate::inventory::{Fact, Problem};
use crate::text;

mod open;
pub use open::OpenFile;

/// How many symlinks one resolution may pass through before we call it a loop.
const MAX_LINK_HOPS: usize = 40;
/// Largest directory listing we accept; sysfs class folders hold far fewer entries.
const MAX_DIR_ENTRIES: usize = 65_536;
/// Largest procfs/etc file we read whole: mountinfo of a busy container host (tens of
/// thousands of overlay mounts) stays below it; anything larger is read in part and noted.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Debug)]
pub struct HostRoot {
    root: PathBuf,
    live: bool,
    problems: RefCell<Vec<Problem>>,
    /// The fact being read, recorded with each problem (see [`HostRoot::reading`]).
    fact: Cell<Option<Fact>>,
}

impl HostRoot {
    /// The running system.
    pub fn live() -> Self {
        HostRoot {
            root: PathBuf::from("/"),
            live: true,
            problems: RefCell::default(),
            fact: Cell::new(None),
        }
    }

    /// A tree laid out like `/` (a fixture, or a mounted image).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        HostRoot {
            root: dir.into(),
            live: false,
            problems: RefCell::default(),
            fact: Cell::new(None),
        }
    }

    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Hands over the problems noted since the last call, so each inventory section owns
    /// exactly the failures met while reading it.
    pub fn take_problems(&self) -> Vec<Problem> {
        std::mem::take(&mut self.problems.borrow_mut())
    }

    /// Runs `read` with every problem it meets attributed to `fact`, so a rule only turns
    /// `error` when a fact it depends on could not be read.
    pub fn reading<T>(&self, fact: Fact, read: impl FnOnce() -> T) -> T {
        let outer = self.fact.replace(Some(fact));
        let result = read();
        self.fact.set(outer);
        result
    }

    /// Records a failure that is not a file read (a live API that returned an error).
    pub fn note(&self, path: &str, error: impl Into<String>) {
        self.problems.borrow_mut().push(Problem {
            path: display_path(path),
            error: error.into(),
            error_zh: None,
            fact: self.fact.get(),
        });
    }

    /// Writes `value` into an existing attribute file, never following a link and never
    /// creating a file: enforcement (`authorized`, `authorized_default`, rfkill `soft`) goes
    /// through here, so `--root DIR` sends it into the tree.
    pub fn write_attr(&self, rel: &str, value: &str) -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(self.full(rel))?;
        file.write_all(value.as_bytes())
    }

    fn full(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }

    /// Reads up to `limit` bytes of a regular file. `Ok(None)` when it does not exist.
    ///
    /// A sysfs attribute is never a link, so one there is refused. Anywhere else (`etc/`,
    /// `proc/`, `run/`) links are what every distribution has (`/etc/os-release` links to
    /// `../usr/lib/os-release`, `/etc/resolv.conf` to systemd-resolved's file, `/proc/net` into
    /// `/proc/self`), so they are followed, inside the root, and the file type is checked on
    /// what they lead to.
    fn read_raw(&self, rel: &str, limit: u64) -> Result<Option<Vec<u8>>, String> {
        let Some((file, meta)) = self.open_regular(rel)? else {
            return Ok(None);
        };
        // sysfs reports 4096 for every attribute; a right-sized buffer saves read calls.
        let expected = usize::try_from(meta.len().min(limit)).unwrap_or(0);
        files::read_prefix(file, limit, expected + 1)
            .map(Some)
            .map_err(|err| describe(&err))
    }

    /// Opens a regular file for reading, links followed as [`HostRoot::read_raw`] says.
    /// `Ok(None)` when it does not exist.
    fn open_regular(
        &self,
        rel: &str,
    ) -> Result<Option<(std::fs::File, std::fs::Metadata)>, String> {
        let rel = if rel.trim_start_matches('/').starts_with("sys/") {
            normalize(rel)
        } else {
            match self.resolve_in_root(rel) {
                Resolved::Found(path) => Cow::Owned(path),
                Resolved::Absent => return Ok(None),
                Resolved::Unreadable(why) => return Err(why),
            }
        };
        match files::open_regular(&self.full(&rel), Links::Refuse) {
            Ok(opened) => Ok(Some(opened)),
            Err(ReadError::NotFound) => Ok(None),
            Err(ReadError::Io { source, .. }) if is_absent(&source) => Ok(None),
            Err(ReadError::Io { source, .. }) => Err(describe(&source)),
            Err(ReadError::Symlink) => {
                Err("is a symbolic link where a file was expected".to_string())
            }
            Err(other) => Err(other.to_string()),
        }
    }

    /// Reads a file, noting a failure. `None` when absent or unreadable.
    pub fn read_bytes(&self, rel: &str, limit: u64) -> Option<Vec<u8>> {
        match self.read_raw(rel, limit) {
            Ok(found) => found,
            Err(err) => {
                self.note(rel, err);
                None
            }
        }
    }

    /// A sysfs attribute: one bounded value, trailing newline removed, invalid UTF-8 escaped.
    pub fn read_attr(&self, rel: &str) -> Option<String> {
        self.read_bytes(rel, text::MAX_VALUE_BYTES as u64)
            .map(|bytes| text::attribute_value(&bytes))
    }

    /// A text file such as `/proc/net/route` or `/etc/os-release`. A file larger than
    /// [`MAX_FILE_BYTES`] is read up to the bound and noted as incomplete, since a table cut
    /// short would silently lose its last rows.
    pub fn read_text(&self, rel: &str) -> Option<String> {
        let bytes = self.read_bytes(rel, MAX_FILE_BYTES + 1)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            self.note(
                rel,
                format!("larger than {MAX_FILE_BYTES} bytes: read incompletely"),
            );
        }
        let kept = &bytes[..bytes.len().min(MAX_FILE_BYTES as usize)];
        Some(String::from_utf8_lossy(kept).into_owned())
    }

    /// Like [`HostRoot::read_text`], for a source with a fallback: a failure is not noted
    /// (the caller reads the fallback, whose failure is).
    pub fn read_text_quiet(&self, rel: &str) -> Option<String> {
        let bytes = self.read_raw(rel, MAX_FILE_BYTES).ok().flatten()?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Whether a path exists (as anything, links not followed).
    pub fn exists(&self, rel: &str) -> bool {
        std::fs::symlink_metadata(self.full(rel)).is_ok()
    }

    /// Whether a path is a directory (links followed, as `test -d`).
    pub fn is_dir(&self, rel: &str) -> bool {
        std::fs::metadata(self.full(rel)).is_ok_and(|m| m.is_dir())
    }

    /// Sorted entry names of a directory; `None` when it does not exist.
    pub fn list_dir(&self, rel: &str) -> Option<Vec<String>> {
        let entries = match std::fs::read_dir(self.full(rel)) {
            Ok(entries) => entries,
            Err(err) if is_absent(&err) => return None,
            Err(err) => {
                self.note(rel, describe(&err));
                return None;
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => {
                    let name = entry.file_name();
                    let Some(name) = name.to_str() else {
                        // Paths here are text; a name that is not cannot be read back by name,
                        // so it is reported rather than silently turned into another name.
                        self.note(
                            &format!(
                                "{rel}/{}",
                                crate::text::decode_bytes(name.as_encoded_bytes())
                            ),
                            "entry name is not valid UTF-8: cannot be read",
                        );
                        continue;
                    };
                    names.push(name.to_string());
                    if names.len() >= MAX_DIR_ENTRIES {
                        self.note(rel, format!("more than {MAX_DIR_ENTRIES} entries"));
                        break;
                    }
                }
                Err(err) => {
                    self.note(rel, describe(&err));
                    break;
                }
            }
        }
        names.sort();
        Some(names)
    }

    /// The target of a symlink as written; `None` when absent or not a link.
    pub fn read_link(&self, rel: &str) -> Option<String> {
        match std::fs::read_link(self.full(rel)) {
            Ok(target) => Some(target.to_string_lossy().into_owned()),
            Err(err) if is_absent(&err) || err.kind() == io::ErrorKind::InvalidInput => None,
            Err(err) => {
                self.note(rel, describe(&err));
                None
            }
        }
    }

    /// The last component of a link's target (`driver` -> `usb-storage`).
    pub fn link_name(&self, rel: &str) -> Option<String> {
        self.read_link(rel)
            .and_then(|target| target.rsplit('/').next().map(str::to_string))
            .filter(|name| !name.is_empty())
    }

    /// Follows a chain of symlinks at the last component, resolving each target inside the
    /// root (`..` never climbs above it, absolute targets are taken as root-relative).
    /// Intermediate components are taken as the directories sysfs makes them.
    pub fn resolve(&self, rel: &str) -> Option<String> {
        let mut current = normalize(rel).into_owned();
        for _ in 0..MAX_LINK_HOPS {
            match std::fs::symlink_metadata(self.full(&current)) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    let target = self.read_link(&current)?;
                    current = if target.starts_with('/') {
                        normalize(&target).into_owned()
                    } else {
                        let parent = current.rsplit_once('/').map_or("", |(dir, _)| dir);
                        normalize(&format!("{parent}/{target}")).into_owned()
                    };
                }
                Ok(_) => return Some(current),
                // The entry itself missing is absence; a link whose target is missing is an
                // entry that exists but cannot be read.
                Err(err) if is_absent(&err) && current == *normalize(rel) => return None,
                Err(err) if is_absent(&err) => {
                    self.note(
                        rel,
                        format!("link target {} does not exist", display_path(&current)),
                    );
                    return None;
                }
                Err(err) => {
                    self.note(&current, describe(&err));
                    return None;
                }
            }
        }
        self.note(rel, "too many levels of symbolic links");
        None
    }
}

/// Where a path leads once every link in it is followed inside the root.
enum Resolved {
    Found(String),
    /// Nothing is there (and no link pointed at it).
    Absent,
    /// Something is there but leads nowhere readable (a dangling link, a loop).
    Unreadable(String),
}

impl HostRoot {
    /// Resolves every component of `rel` inside the root, the way the kernel would on the
    /// machine the tree came from: absolute link targets start at the root, `..` is clamped at
    /// it, and at most [`MAX_LINK_HOPS`] links are followed in all.
    fn resolve_in_root(&self, rel: &str) -> Resolved {
        // Each component remembers whether a link's target put it there: a missing one of
        // those is a dangling link (something there, leading nowhere); a missing one of the
        // path asked for is plain absence, even inside a linked folder (`/proc/net/x`).
        let mut pending: VecDeque<(String, bool)> = normalize(rel)
            .split('/')
            .map(|part| (part.to_string(), false))
            .collect();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0usize;
        while let Some((part, from_link)) = pending.pop_front() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let candidate = if done.is_empty() {
                part.clone()
            } else {
                format!("{}/{part}", done.join("/"))
            };
            match std::fs::symlink_metadata(self.full(&candidate)) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return Resolved::Unreadable("too many levels of symbolic links".into());
                    }
                    let target = match std::fs::read_link(self.full(&candidate)) {
                        Ok(target) => target,
                        Err(err) => return Resolved::Unreadable(describe(&err)),
                    };
                    let Some(target) = target.to_str() else {
                        return Resolved::Unreadable(format!(
                            "link {} has a target that is not UTF-8",
                            display_path(&candidate)
                        ));
                    };
                    if target.starts_with('/') {
                        done.clear();
                    }
                    for component in target.split('/').rev() {
                        pending.push_front((component.to_string(), true));
                    }
                }
                Ok(_) => done.push(part),
                Err(err) if is_absent(&err) && !from_link => return Resolved::Absent,
                Err(err) if is_absent(&err) => {
                    return Resolved::Unreadable(format!(
                        "link target {} does not exist",
                        display_path(&candidate)
                    ))
                }
                Err(err) => return Resolved::Unreadable(describe(&err)),
            }
        }
        Resolved::Found(done.join("/"))
    }
}

/// Only "no such file" (and sysfs's ENODEV for attributes a device does not support) mean
/// absent. ENOTDIR is not: a class folder replaced by a file must not read as "no devices".
fn is_absent(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::NotFound || err.raw_os_error() == Some(libc::ENODEV)
}

fn describe(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(libc::ELOOP) => "is a symbolic link where a file was expected".to_string(),
        Some(libc::EACCES) | Some(libc::EPERM) => "permission denied".to_string(),
        _ => err.to_string(),
    }
}

/// Lexically normalises a root-relative path: no leading slash, no `.`, `..` clamped at the
/// root. Sysfs links are relative paths between real directories, so this equals what the
/// kernel would resolve.
pub fn normalize(path: &str) -> Cow<'_, str> {
    // Nearly every path the backend builds is already normal (`sys/class/net/eth0/address`):
    // checking it is one pass over the bytes, rebuilding it allocations per attribute read.
    if is_normal(path.as_bytes()) {
        return Cow::Borrowed(path);
    }
    let mut kept: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            other => kept.push(other),
        }
    }
    Cow::Owned(kept.join("/"))
}

/// Not empty, and no component empty, `.` or `..`.
fn is_normal(path: &[u8]) -> bool {
    !path.is_empty()
        && !path
            .split(|&b| b == b'/')
            .any(|part| matches!(part, b"" | b"." | b".."))
}

/// How a root-relative path is shown to people: as it would be on the live system.
pub fn display_path(rel: &str) -> String {
    format!("/{}", rel.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_clamps_at_root() {
        assert_eq!(normalize("sys/class/net/../../devices/x"), "sys/devices/x");
        assert_eq!(normalize("../../../etc/shadow"), "etc/shadow");
        assert_eq!(normalize("/sys//./block/"), "sys/block");
        assert_eq!(normalize("sys/block/sda"), "sys/block/sda");
        assert_eq!(normalize("sys/..."), "sys/...");
        assert_eq!(normalize("."), "");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn oversized_text_file_is_read_in_part_and_noted() {
        let dir = std::env::temp_dir().join(format!("isoguard-root-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("proc")).unwrap();
        let file = std::fs::File::create(dir.join("proc/mounts")).unwrap();
        file.set_len(MAX_FILE_BYTES + 10).unwrap();
        let host = HostRoot::at(&dir);
        let text = host.read_text("proc/mounts").unwrap();
        assert_eq!(text.len() as u64, MAX_FILE_BYTES);
        let problems = host.take_problems();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].error.contains("read incompletely"),
            "{problems:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn display_path_is_absolute() {
        assert_eq!(display_path("sys/block/sda"), "/sys/block/sda");
    }
}
