//! Who a `collect` (or an `export` or `import`, which write the database too) must run as:
//! the owner of the inbox and database, never root on files another user owns.
//!
//! The service runs as its own user. A security officer who runs one `collect` by hand as
//! root would otherwise leave behind a root-owned database (created if missing), `archive/`
//! and `rejected/`, and the service would fail from then on ("attempt to write a readonly
//! database", "permission denied"). Rather than guess, such a run is refused with the exact
//! command that runs it as the owner (`runuser -u <owner> -- ...`), which keeps every file
//! it creates owned by that user.
//!
//! What it must not do: refuse a root run on root's own files, or change any owner itself.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::collector::ingest::{ARCHIVE_DIR, REJECTED_DIR};
use crate::i18n::{Msg, Phrase};

/// A file a root run would write into (or beside) that another user owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignOwner {
    pub path: PathBuf,
    pub uid: u32,
    /// The owner's user name, from /etc/passwd.
    pub name: Option<String>,
    /// The command that runs the same collect as that user.
    pub command: String,
}

impl ForeignOwner {
    pub fn phrase(&self) -> Phrase {
        let who = match &self.name {
            Some(name) => format!("{name} (uid {})", self.uid),
            None => format!("uid {}", self.uid),
        };
        Phrase::new(Msg::CollectorForeignOwner)
            .arg("path", self.path.display())
            .arg("who", who)
            .arg("command", &self.command)
    }
}

impl fmt::Display for ForeignOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.phrase().en())
    }
}

/// For a `collect` by `euid` on `inbox` and `db` (the database file; none for a database
/// server, whose files are the server's): the first file a root run must not touch, with the
/// command to use instead (`argv` is the command line as given, program first).
pub fn check_collect(
    euid: u32,
    inbox: &Path,
    db: Option<&Path>,
    argv: &[OsString],
) -> io::Result<Option<ForeignOwner>> {
    let mut candidates = vec![
        inbox.to_path_buf(),
        inbox.join(ARCHIVE_DIR),
        inbox.join(REJECTED_DIR),
    ];
    candidates.extend(database_files(db));
    first_foreign(euid, candidates, argv)
}

/// [`check_collect`] for a command that writes only the database (`export`, `import`).
pub fn check_database(
    euid: u32,
    db: Option<&Path>,
    argv: &[OsString],
) -> io::Result<Option<ForeignOwner>> {
    first_foreign(euid, database_files(db), argv)
}

/// The database file and the folder SQLite writes its journal into.
fn database_files(db: Option<&Path>) -> Vec<PathBuf> {
    let Some(db) = db else { return Vec::new() };
    let db_parent = match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    vec![db.to_path_buf(), db_parent]
}

fn first_foreign(
    euid: u32,
    candidates: Vec<PathBuf>,
    argv: &[OsString],
) -> io::Result<Option<ForeignOwner>> {
    if euid != 0 {
        return Ok(None);
    }
    for path in candidates {
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        if meta.uid() != 0 {
            let name = std::fs::read_to_string("/etc/passwd")
                .ok()
                .and_then(|passwd| user_name(&passwd, meta.uid()));
            let command = run_as(name.as_deref(), meta.uid(), meta.gid(), argv);
            return Ok(Some(ForeignOwner {
                path,
                uid: meta.uid(),
                name,
                command,
            }));
        }
    }
    Ok(None)
}

/// The name of `uid` in a passwd file's text.
fn user_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let found: u32 = fields.nth(1)?.parse().ok()?;
        (found == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// `runuser -u NAME -- ARGV...`, quoted for a shell; `setpriv` when the uid has no name.
fn run_as(name: Option<&str>, uid: u32, gid: u32, argv: &[OsString]) -> String {
    let mut words: Vec<String> = match name {
        Some(name) => vec!["runuser".into(), "-u".into(), quote(name), "--".into()],
        None => vec![
            "setpriv".into(),
            format!("--reuid={uid}"),
            format!("--regid={gid}"),
            "--clear-groups".into(),
            "--".into(),
        ],
    };
    words.extend(argv.iter().map(|arg| quote(&arg.to_string_lossy())));
    words.join(" ")
}

/// A word for `sh`: as it is when it is plainly safe, else in single quotes.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./=:@%+,-".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_passwd() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      isoguard-collector:x:998:998:isoguard collector:/var/lib/x:/usr/sbin/nologin\n";
        assert_eq!(
            user_name(passwd, 998).as_deref(),
            Some("isoguard-collector")
        );
        assert_eq!(user_name(passwd, 5), None);
    }

    #[test]
    fn the_command_is_quoted_for_a_shell() {
        let argv: Vec<OsString> = [
            "/usr/bin/isoguard-collector",
            "collect",
            "--inbox",
            "/srv/in box",
            "--db",
            "it's.db",
        ]
        .map(OsString::from)
        .to_vec();
        assert_eq!(
            run_as(Some("isoguard-collector"), 998, 998, &argv),
            "runuser -u isoguard-collector -- /usr/bin/isoguard-collector collect --inbox \
             '/srv/in box' --db 'it'\\''s.db'"
        );
        assert_eq!(
            run_as(None, 1234, 1234, &argv[..2]),
            "setpriv --reuid=1234 --regid=1234 --clear-groups -- /usr/bin/isoguard-collector \
             collect"
        );
    }

    #[test]
    fn only_root_on_foreign_files_is_refused() {
        let argv = [OsString::from("isoguard-collector")];
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        // Not root: never refused here (the OS decides what it may write).
        assert_eq!(
            check_collect(1000, here, Some(&here.join("x.db")), &argv).unwrap(),
            None
        );
    }
}
