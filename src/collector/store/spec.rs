//! Which database `--db` names: a PostgreSQL URL or an SQLite file.
//!
//! The value is taken as given (a file path need not be UTF-8), and only a value that starts
//! with `postgresql://` or `postgres://` is a server; anything else stays the file path it
//! always was, so no existing command line changes meaning.
//!
//! What it must not do: show a password. The URL is kept whole for connecting, but every
//! message names the database through [`Display`](fmt::Display), which masks it.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where the findings are kept.
#[derive(Clone, PartialEq, Eq)]
pub enum DbSpec {
    /// An SQLite database file (created on the first collect).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, as libpq takes it.
    Postgres(String),
}

const SCHEMES: [&str; 2] = ["postgresql://", "postgres://"];

impl DbSpec {
    pub fn parse(value: &OsStr) -> DbSpec {
        match value.to_str() {
            Some(url) if SCHEMES.iter().any(|s| url.starts_with(s)) => {
                DbSpec::Postgres(url.to_string())
            }
            _ => DbSpec::Sqlite(PathBuf::from(value)),
        }
    }

    /// The database file, for an SQLite database.
    pub fn file(&self) -> Option<&Path> {
        match self {
            DbSpec::Sqlite(path) => Some(path),
            DbSpec::Postgres(_) => None,
        }
    }
}

impl From<OsString> for DbSpec {
    fn from(value: OsString) -> DbSpec {
        DbSpec::parse(&value)
    }
}

impl From<&Path> for DbSpec {
    fn from(path: &Path) -> DbSpec {
        DbSpec::Sqlite(path.to_path_buf())
    }
}

impl From<&PathBuf> for DbSpec {
    fn from(path: &PathBuf) -> DbSpec {
        DbSpec::Sqlite(path.clone())
    }
}

impl From<&DbSpec> for DbSpec {
    fn from(spec: &DbSpec) -> DbSpec {
        spec.clone()
    }
}

impl fmt::Display for DbSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbSpec::Sqlite(path) => write!(f, "{}", path.display()),
            DbSpec::Postgres(url) => f.write_str(&masked(url)),
        }
    }
}

impl fmt::Debug for DbSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbSpec({self})")
    }
}

/// `url` with the password of its user part and any `password=` parameter replaced by `***`.
fn masked(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(at) => before_query.split_at(at),
        None => (before_query, ""),
    };
    let mut out = format!("{scheme}://");
    // The last '@' ends the user part: a password may itself hold an unescaped '@'.
    match authority.rsplit_once('@') {
        Some((user, hosts)) => {
            match user.split_once(':') {
                Some((name, _)) => out.push_str(&format!("{name}:***")),
                None => out.push_str(user),
            }
            out.push('@');
            out.push_str(hosts);
        }
        None => out.push_str(authority),
    }
    out.push_str(path);
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => param.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(value: &str) -> DbSpec {
        DbSpec::parse(OsStr::new(value))
    }

    #[test]
    fn only_a_postgresql_url_is_a_server() {
        assert!(matches!(spec("postgresql://h/db"), DbSpec::Postgres(_)));
        assert!(matches!(
            spec("postgres:///db?host=/run/pg"),
            DbSpec::Postgres(_)
        ));
        for file in [
            "findings.db",
            "/var/lib/x.db",
            "postgresql:/x",
            "./postgres://x",
        ] {
            assert_eq!(spec(file), DbSpec::Sqlite(PathBuf::from(file)), "{file}");
        }
        use std::os::unix::ffi::OsStrExt;
        let odd = OsStr::from_bytes(b"caf\xe9.db");
        assert_eq!(DbSpec::parse(odd).file(), Some(Path::new(odd)));
    }

    #[test]
    fn a_password_is_never_shown() {
        let cases = [
            (
                "postgresql://u:s3cret@h:5432/db",
                "postgresql://u:***@h:5432/db",
            ),
            ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
            (
                "postgresql:///db?host=/run/pg&password=s3cret&user=u",
                "postgresql:///db?host=/run/pg&password=***&user=u",
            ),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("postgresql://h", "postgresql://h"),
        ];
        for (url, shown) in cases {
            assert_eq!(spec(url).to_string(), shown);
            assert!(!format!("{:?}", spec(url)).contains("s3cret"));
        }
    }
}
