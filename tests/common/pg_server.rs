//! A private PostgreSQL server for one test: `initdb` into a temporary folder, listening
//! only on a unix socket inside it (no TCP at all), stopped and removed when dropped.
//!
//! The server binaries come from Debian's `postgresql` package (.ci/install-test-deps
//! installs it); a test that needs them fails when they are missing, saying so, rather than
//! passing without a server. initdb and the server refuse to run as root, so under root
//! (CI) they run as the `postgres` system user, or `nobody` when there is none.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The database role every test connects as (trust authentication on the private socket).
const ROLE: &str = "isoguard";

pub struct PgServer {
    dir: PathBuf,
    bindir: PathBuf,
    run_as: Option<String>,
}

/// The folder of `initdb`, `pg_ctl` and `postgres`.
fn bindir() -> PathBuf {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("ISOGUARD_PG_BINDIR").map(PathBuf::from) {
        assert!(
            has_server(&dir),
            "ISOGUARD_PG_BINDIR={}: no initdb and pg_ctl there",
            dir.display()
        );
        return dir;
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if let Some(dir) = from_pg_config.filter(|dir| has_server(dir)) {
        return dir;
    }
    // Debian installs each major version beside the others; the newest is taken.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let dir = entry.path().join("bin");
            has_server(&dir).then_some((version, dir))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, dir)) => dir,
        None => panic!(
            "PostgreSQL server binaries (initdb, pg_ctl) not found via pg_config or under \
             /usr/lib/postgresql/*/bin: install the Debian package postgresql \
             (.ci/install-test-deps does), or set ISOGUARD_PG_BINDIR"
        ),
    }
}

fn is_root() -> bool {
    super::is_root()
}

/// The unprivileged user the server runs as when the tests run as root.
fn server_user() -> String {
    for user in ["postgres", "nobody"] {
        let known = Command::new("id")
            .arg("-u")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if known {
            return user.to_string();
        }
    }
    panic!("running as root, and neither a postgres nor a nobody user exists to run the server");
}

fn id_of(user: &str, flag: &str) -> u32 {
    let out = Command::new("id").arg(flag).arg(user).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn checked(what: &str, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{what}: exit {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl PgServer {
    /// Creates and starts a server; blocks until it accepts connections.
    pub fn start() -> PgServer {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let bindir = bindir();
        // Under /tmp, not the target folder: the server's user must reach it, and a socket's
        // path must stay under about 100 bytes.
        let dir = std::env::temp_dir().join(format!(
            "isoguard-pg-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let run_as = is_root().then(server_user);
        if let Some(user) = &run_as {
            std::os::unix::fs::chown(&dir, Some(id_of(user, "-u")), Some(id_of(user, "-g")))
                .unwrap();
        }
        let server = PgServer {
            dir,
            bindir,
            run_as,
        };
        let data = server.dir.join("data");
        checked(
            "initdb",
            server
                .server_command("initdb")
                .args(["--no-sync", "--auth=trust", "--encoding=UTF8", "--locale=C"])
                .args(["--username", ROLE, "--pgdata"])
                .arg(&data)
                .output()
                .unwrap(),
        );
        // No TCP listener at all; fsync off because these servers hold test data only (what
        // is tested is the collector being killed, never the server).
        let options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c fsync=off \
             -c max_connections=40",
            server.dir.display()
        );
        checked(
            "pg_ctl start",
            server
                .server_command("pg_ctl")
                .args(["--wait", "--timeout", "120", "--pgdata"])
                .arg(&data)
                .arg("--log")
                .arg(server.dir.join("server.log"))
                .args(["--options", &options, "start"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .output()
                .unwrap(),
        );
        server
    }

    fn server_command(&self, program: &str) -> Command {
        let path = self.bindir.join(program);
        match &self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(path);
                cmd
            }
            None => Command::new(path),
        }
    }

    /// The URL of database `name` on this server, through its socket.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgresql:///{name}?host={}&user={ROLE}",
            self.dir.display()
        )
    }

    /// Creates database `name` (UTF-8) and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql(
            "postgres",
            &format!("CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"),
        );
        self.url(name)
    }

    /// Runs `sql` in database `name` with psql; returns its unaligned output.
    pub fn psql(&self, name: &str, sql: &str) -> String {
        let out = checked(
            &format!("psql {sql}"),
            Command::new(self.bindir.join("psql"))
                .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
                .arg(self.url(name))
                .args(["-c", sql])
                .stdin(Stdio::null())
                .output()
                .unwrap(),
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .server_command("pg_ctl")
            .args(["--mode", "immediate", "--wait", "--pgdata"])
            .arg(self.dir.join("data"))
            .arg("stop")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
