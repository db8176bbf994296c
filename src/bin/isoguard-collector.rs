//! `isoguard-collector`: the security office's side. See `isoguard::collector`.
//!
//! A thin front end: parse arguments, call the library, print what it says. The exit codes
//! are decided in `isoguard::collector::exit`, the text after a pass in
//! `isoguard::collector::summary`.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use clap::{Parser, Subcommand, ValueEnum};

use isoguard::collector::exit::Exit;
use isoguard::collector::ingest::{self, Outcome};
use isoguard::collector::report;
use isoguard::collector::store::{DbSpec, Store, StoreError};
use isoguard::collector::summary::{self, ProblemTracker};
use isoguard::collector::{owner, trust, watch};
use isoguard::finding::dsse::MAX_ENVELOPE_BYTES;
use isoguard::i18n::Lang;
use isoguard::text::display_safe;

#[derive(Parser)]
#[command(
    name = "isoguard-collector",
    version,
    about = "Collects signed isoguard findings, checks them, stores them and reports on them"
)]
struct Cli {
    /// Language of the report page when it opens: zh or en (default: from the locale,
    /// LC_ALL, LC_MESSAGES, LANG). The page carries both and remembers the reader's switch.
    #[arg(long, global = true, value_parser = ["zh", "en"])]
    lang: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Take in every finding in the inbox: verified ones are stored and moved to archive/,
    /// the rest are moved to rejected/ with a .reason file. Nothing is deleted.
    Collect {
        /// Folder the findings arrive in (archive/ and rejected/ are created inside it).
        #[arg(long, value_name = "DIR")]
        inbox: PathBuf,
        /// Folder of enrolled host keys (<host>.pub).
        #[arg(long, value_name = "DIR")]
        trust: PathBuf,
        /// The findings database: an SQLite file (created if missing) or a PostgreSQL URL,
        /// postgresql://USER@HOST/DB or postgresql:///DB?host=/SOCKET/DIR.
        #[arg(long, value_name = "FILE|URL")]
        db: DbSpec,
        /// Keep taking new files in (inotify, plus a rescan every few seconds) until SIGTERM.
        #[arg(long)]
        watch: bool,
        /// Largest file accepted, in bytes (at most 4194304).
        #[arg(long, value_name = "BYTES", default_value_t = ingest::DEFAULT_MAX_SIZE)]
        max_size: u64,
        /// Files per database transaction.
        #[arg(long, value_name = "N", default_value_t = ingest::DEFAULT_BATCH, hide = true)]
        batch: usize,
        /// Seconds between full rescans with --watch.
        #[arg(long, value_name = "SECONDS", default_value_t = watch::DEFAULT_RESCAN.as_secs(), hide = true)]
        rescan_secs: u64,
    },
    /// Enrol a host's public key under its identity (machine id or hostname).
    Enroll {
        /// Folder of enrolled host keys.
        #[arg(long, value_name = "DIR")]
        trust: PathBuf,
        /// The host identity: its /etc/machine-id or its hostname.
        host: String,
        /// The host's public key (SPKI PEM, as `isoguard keygen` writes FILE.pub).
        key: PathBuf,
    },
    /// Check every stored envelope again against the trust folder.
    Reverify {
        /// The findings database to check, a file or a PostgreSQL URL (only read, never
        /// written).
        #[arg(long, value_name = "FILE|URL")]
        db: DbSpec,
        /// Folder of enrolled host keys (<host>.pub) to check the stored envelopes against.
        #[arg(long, value_name = "DIR")]
        trust: PathBuf,
    },
    /// Write the central report.
    Report {
        /// The findings database, a file or a PostgreSQL URL (only read, never written: a
        /// read-only copy will do).
        #[arg(long, value_name = "FILE|URL")]
        db: DbSpec,
        /// html: one self-contained page for people; csv: one row per failed rule and
        /// device, for spreadsheets; json: the whole report, for other tools.
        #[arg(long, value_enum, default_value = "html")]
        format: FormatArg,
        /// Output file, or - for standard output.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A host with no finding for this many days is stale.
        #[arg(long, value_name = "N", default_value_t = 7)]
        stale_days: u32,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Html,
    Csv,
    Json,
}

struct Failure {
    message: String,
    exit: Exit,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            exit: Exit::Usage,
        }
    }
    fn io(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            exit: Exit::Io,
        }
    }
}

fn store_failure(err: StoreError) -> Failure {
    Failure {
        exit: Exit::for_store(&err),
        message: err.to_string(),
    }
}

fn trust_failure(err: trust::TrustError) -> Failure {
    Failure {
        exit: Exit::for_trust(&err),
        message: err.to_string(),
    }
}

fn main() -> ExitCode {
    isoguard::cli::init_logging(0);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            let exit = if err.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            return ExitCode::from(exit.code());
        }
    };
    let lang = Lang::choose(cli.lang.as_deref());
    let result = match cli.command {
        Command::Collect {
            inbox,
            trust,
            db,
            watch,
            max_size,
            batch,
            rescan_secs,
        } => collect(&inbox, &trust, &db, watch, max_size, batch, rescan_secs),
        Command::Enroll { trust, host, key } => enroll(&trust, &host, &key),
        Command::Reverify { db, trust } => reverify(&db, &trust),
        Command::Report {
            db,
            format,
            out,
            stale_days,
        } => write_report(&db, format, &out, stale_days, lang),
    };
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(failure) => {
            eprintln!("isoguard-collector: {}", failure.message);
            ExitCode::from(failure.exit.code())
        }
    }
}

fn print(text: &str) -> Result<(), Failure> {
    isoguard::cli::print_stdout(text).map_err(|e| Failure::io(e.to_string()))
}

/// Report and reverify only read: they never write the database, nor anything beside it.
fn open_existing_db(db: &DbSpec) -> Result<Store, Failure> {
    if let Some(file) = db.file().filter(|file| !file.is_file()) {
        return Err(Failure::io(format!(
            "--db {}: no such database file",
            file.display()
        )));
    }
    Store::open_read_only(db).map_err(store_failure)
}

fn collect(
    inbox: &Path,
    trust_dir: &Path,
    db: &DbSpec,
    watch_mode: bool,
    max_size: u64,
    batch: usize,
    rescan_secs: u64,
) -> Result<Exit, Failure> {
    if max_size > MAX_ENVELOPE_BYTES as u64 {
        return Err(Failure::usage(format!(
            "--max-size {max_size}: at most {MAX_ENVELOPE_BYTES} bytes (the largest envelope a \
             finding may be)"
        )));
    }
    if batch == 0 || rescan_secs == 0 {
        return Err(Failure::usage(
            "--batch and --rescan-secs must be at least 1",
        ));
    }
    let trusted = trust::load(trust_dir).map_err(trust_failure)?;
    if trusted.is_empty() {
        tracing::warn!(
            "no keys enrolled in {}: every finding will be rejected as from an unknown key",
            trust_dir.display()
        );
    }
    let inbox_meta = std::fs::metadata(inbox)
        .map_err(|e| Failure::io(format!("--inbox {}: {e}", inbox.display())))?;
    if !inbox_meta.is_dir() {
        return Err(Failure::usage(format!(
            "--inbox {}: not a folder",
            inbox.display()
        )));
    }
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let (Some(first), Ok(exe)) = (argv.first_mut(), std::env::current_exe()) {
        *first = exe.into_os_string();
    }
    let euid = rustix::process::geteuid().as_raw();
    match owner::check_collect(euid, inbox, db.file(), &argv) {
        Ok(None) => {}
        Ok(Some(foreign)) => return Err(Failure::usage(foreign.to_string())),
        Err(e) => return Err(Failure::io(format!("checking who owns the inbox: {e}"))),
    }
    let mut store = Store::open(db).map_err(store_failure)?;
    let now = isoguard::time::rfc3339_utc(SystemTime::now());
    store.sync_enrolled(&trusted, &now).map_err(store_failure)?;
    let mut tracker = ProblemTracker::start(&store).map_err(store_failure)?;

    let mut options = ingest::Options::new(inbox);
    options.max_size = max_size;
    options.batch = batch;
    options.progress = std::io::stderr().is_terminal();

    if watch_mode {
        let after_pass = |store: &mut Store, outcome: &Outcome| {
            let new = tracker.newly_revealed(store)?;
            if summary::worth_telling(outcome, &new) {
                let _ = isoguard::cli::print_stdout(&summary::describe_pass(outcome, &new));
            }
            Ok(())
        };
        watch::run(
            &mut store,
            &trusted,
            &options,
            Duration::from_secs(rescan_secs),
            after_pass,
        )
        .map_err(|e| Failure {
            exit: Exit::for_watch(&e),
            message: e.to_string(),
        })?;
        return Ok(Exit::Ok);
    }

    let stop = AtomicBool::new(false);
    let outcome =
        ingest::collect(&mut store, &trusted, &options, &HashSet::new(), &stop).map_err(|e| {
            Failure {
                exit: Exit::for_ingest(&e),
                message: e.to_string(),
            }
        })?;
    let new = tracker.newly_revealed(&store).map_err(store_failure)?;
    print(&summary::describe_pass(&outcome, &new))?;
    Ok(Exit::after_pass(&outcome, new.len()))
}

fn enroll(trust_dir: &Path, host: &str, key: &Path) -> Result<Exit, Failure> {
    match trust::enroll(trust_dir, host, key) {
        Ok(trust::Enrolled::New { path, keyid }) => {
            print(&format!(
                "enrolled {host}: key {keyid} in {}\n",
                path.display()
            ))?;
            Ok(Exit::Ok)
        }
        Ok(trust::Enrolled::AlreadyEnrolled { path, keyid }) => {
            print(&format!(
                "{host} is already enrolled with this key ({keyid}, {})\n",
                path.display()
            ))?;
            Ok(Exit::Ok)
        }
        Err(err) => Err(trust_failure(err)),
    }
}

fn reverify(db: &DbSpec, trust_dir: &Path) -> Result<Exit, Failure> {
    let trusted = trust::load(trust_dir).map_err(trust_failure)?;
    let store = open_existing_db(db)?;
    let mut failed = 0u64;
    let mut out = String::new();
    let checked = store
        .reverify(&trusted, |failure| {
            failed += 1;
            out.push_str(&format!(
                "FAIL finding {} host {} ({}): {}\n",
                failure.id,
                display_safe(&failure.host_id, 64),
                display_safe(&failure.file, 120),
                display_safe(&failure.reason, 400)
            ));
        })
        .map_err(store_failure)?;
    out.push_str(&format!(
        "reverified {checked} finding(s): {} ok, {failed} failed\n",
        checked - failed
    ));
    print(&out)?;
    Ok(Exit::after_reverify(failed))
}

fn write_report(
    db: &DbSpec,
    format: FormatArg,
    out: &Path,
    stale_days: u32,
    lang: Lang,
) -> Result<Exit, Failure> {
    let store = open_existing_db(db)?;
    let data = store
        .report_data(SystemTime::now(), stale_days)
        .map_err(store_failure)?;
    let format = match format {
        FormatArg::Html => report::Format::Html,
        FormatArg::Csv => report::Format::Csv,
        FormatArg::Json => report::Format::Json,
    };
    let text = report::render(&data, format, lang);
    if out == Path::new("-") {
        print(&text)?;
        return Ok(Exit::Ok);
    }
    isoguard::files::replace_file(out, text.as_bytes(), 0o644)
        .map_err(|e| Failure::io(format!("--out {}: {e}", out.display())))?;
    Ok(Exit::Ok)
}
