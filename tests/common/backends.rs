//! One scenario, both databases: a test written against [`TestDb`] runs on an SQLite file and
//! on a private PostgreSQL server alike (`on_both_backends!` makes `sqlite::name` and
//! `postgresql::name` of it), so what the store must guarantee is checked on each.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::PathBuf;

use isoguard::collector::model::ReportData;
use isoguard::collector::store::{DbSpec, Store};

use super::pg_server::PgServer;
use super::Scratch;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgresql,
}

/// A findings database of either kind; passes to `--db` as it is (`.arg(&db)`).
pub struct TestDb {
    spec: String,
    file: Option<PathBuf>,
    // Dropped last: the server outlives every use of it.
    pg: Option<(PgServer, String)>,
}

impl TestDb {
    /// A new database `name` (an SQLite file in `dir`, or a database on a server of its own).
    pub fn new(backend: Backend, dir: &Scratch, name: &str) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let file = dir.path(&format!("{name}.db"));
                TestDb {
                    spec: file.display().to_string(),
                    file: Some(file),
                    pg: None,
                }
            }
            Backend::Postgresql => {
                let pg = PgServer::start();
                let spec = pg.create_database(name);
                TestDb {
                    spec,
                    file: None,
                    pg: Some((pg, name.to_string())),
                }
            }
        }
    }

    /// What `--db` is given.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// The strings of the first column of `sql`'s rows.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        match (&self.file, &self.pg) {
            (Some(file), _) => {
                // Opened through the store first, so the schema is current.
                drop(Store::open(file.as_path()).unwrap());
                let conn = rusqlite::Connection::open(file).unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let rows = stmt
                    .query_map([], |row| {
                        Ok(match row.get_ref(0)? {
                            rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                            other => other.as_str().unwrap().to_string(),
                        })
                    })
                    .unwrap();
                rows.map(Result::unwrap).collect()
            }
            (None, Some((pg, name))) => pg.psql(name, sql).lines().map(str::to_string).collect(),
            (None, None) => unreachable!("a TestDb is a file or a server"),
        }
    }

    /// `SELECT count(*) …` and the like.
    pub fn count(&self, sql: &str) -> i64 {
        self.strings(sql)[0].parse().unwrap()
    }

    pub fn set(&self, sql: &str) -> BTreeSet<String> {
        self.strings(sql).into_iter().collect()
    }

    /// The report as the store builds it, stale after 100 years.
    pub fn report(&self) -> ReportData {
        self.reader()
            .report_data(std::time::SystemTime::now(), 36_500)
            .unwrap()
    }

    /// The report as the store builds it for a page showing `rows` rows of evidence.
    pub fn report_for_page(&self, rows: usize) -> ReportData {
        self.reader()
            .report_data_for_page(std::time::SystemTime::now(), 36_500, rows)
            .unwrap()
    }

    fn reader(&self) -> Store {
        Store::open_read_only(DbSpec::parse(OsStr::new(&self.spec))).unwrap()
    }
}

impl AsRef<OsStr> for TestDb {
    fn as_ref(&self) -> &OsStr {
        OsStr::new(&self.spec)
    }
}

/// Each named scenario `fn name(backend: Backend)` of the calling file, once per backend:
/// `sqlite::name` and `postgresql::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $scenario() {
                super::$scenario($crate::common::backends::Backend::Sqlite)
            })*
        }
        mod postgresql {
            $(#[test]
            fn $scenario() {
                super::$scenario($crate::common::backends::Backend::Postgresql)
            })*
        }
    };
}
