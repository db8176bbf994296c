//! `isoguard-collector`: the security office's side. See `isoguard::collector`.
//!
//! A thin front end: parse arguments, call the library, print what it says. The exit codes
//! are decided in `isoguard::collector::exit`, the text after a pass in
//! `isoguard::collector::summary`.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use clap::{CommandFactory, FromArgMatches};

use isoguard::collector::bundle::{self, BundleError};
use isoguard::collector::exit::Exit;
use isoguard::collector::ingest::{self, Outcome};
use isoguard::collector::report;
use isoguard::collector::store::{DbSpec, Selection, Store, StoreError};
use isoguard::collector::summary::{self, ProblemTracker};
use isoguard::collector::{owner, trust, watch};
use isoguard::finding::dsse::MAX_ENVELOPE_BYTES;
use isoguard::i18n::{self, Lang, Msg, Phrase, Said};
use isoguard::text::display_safe;

// The clap definition lives beside the agent's `src/args.rs`, where build.rs reads it too.
#[path = "../collector_args.rs"]
mod collector_args;

use collector_args::{Cli, CollectArgs, Command, ExportArgs, FormatArg, ImportArgs};

/// Why a command failed, said in the reader's language when it is printed.
struct Failure {
    message: Said,
    exit: Exit,
}

impl Failure {
    fn usage(message: impl Into<Said>) -> Failure {
        Failure {
            message: message.into(),
            exit: Exit::Usage,
        }
    }
    fn io(message: impl Into<Said>) -> Failure {
        Failure {
            message: message.into(),
            exit: Exit::Io,
        }
    }
}

fn store_failure(err: StoreError) -> Failure {
    Failure {
        exit: Exit::for_store(&err),
        message: err.phrase().into(),
    }
}

fn trust_failure(err: trust::TrustError) -> Failure {
    Failure {
        exit: Exit::for_trust(&err),
        message: err.phrase().into(),
    }
}

/// `--inbox DIR: <why>`, and the like.
fn path_failure(option: &str, path: &Path, error: Phrase) -> Failure {
    Failure::io(
        Phrase::new(Msg::CollectorPathError)
            .arg("option", option)
            .arg("path", path.display())
            .nest("error", error),
    )
}

fn main() -> ExitCode {
    isoguard::cli::init_logging(0);
    let argv: Vec<String> = std::env::args().collect();
    let mut command = Cli::command();
    // --help itself is in the language asked for, before clap has parsed --lang.
    if Lang::choose(collector_args::help_zh::asked_lang(&argv).as_deref()) == Lang::Zh {
        command = collector_args::help_zh::in_chinese(command, collector_args::HELP_ZH);
    }
    let parsed = command
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
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
        Command::Collect(args) => collect(&args, lang),
        Command::Enroll { trust, host, key } => enroll(&trust, &host, &key, lang),
        Command::Reverify { db, trust } => reverify(&DbSpec::parse(db.as_os_str()), &trust, lang),
        Command::Export(args) => export(&args, lang),
        Command::Import(args) => import(&args, lang),
        Command::Keygen { out } => keygen(&out, lang),
        Command::Report {
            db,
            format,
            out,
            stale_days,
        } => write_report(
            &DbSpec::parse(db.as_os_str()),
            format,
            &out,
            stale_days,
            lang,
        ),
    };
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(failure) => {
            eprintln!("isoguard-collector: {}", failure.message.get(lang));
            ExitCode::from(failure.exit.code())
        }
    }
}

fn print(text: &str) -> Result<(), Failure> {
    isoguard::cli::print_stdout(text).map_err(|e| Failure::io(e.message))
}

/// Report and reverify only read: they never write the database, nor anything beside it.
fn open_existing_db(db: &DbSpec) -> Result<Store, Failure> {
    if let Some(file) = db.file().filter(|file| !file.is_file()) {
        return Err(Failure::io(
            Msg::CollectorNoDatabase.with("path", file.display()),
        ));
    }
    Store::open_read_only(db).map_err(store_failure)
}

fn collect(args: &CollectArgs, lang: Lang) -> Result<Exit, Failure> {
    let CollectArgs {
        inbox,
        trust: trust_dir,
        db,
        watch: watch_mode,
        max_size,
        batch,
        rescan_secs,
    } = args;
    let (max_size, batch, rescan_secs) = (*max_size, *batch, *rescan_secs);
    let db = &DbSpec::parse(db.as_os_str());
    if max_size > MAX_ENVELOPE_BYTES as u64 {
        return Err(Failure::usage(
            Msg::CollectorMaxSize
                .with("size", max_size)
                .arg("limit", MAX_ENVELOPE_BYTES),
        ));
    }
    if batch == 0 || rescan_secs == 0 {
        return Err(Failure::usage(Msg::CollectorAtLeastOne));
    }
    let trusted = trust::load(trust_dir).map_err(trust_failure)?;
    if trusted.is_empty() {
        let said = Msg::CollectNoKeys.with("dir", trust_dir.display());
        tracing::warn!("{}", said.render(lang));
    }
    let inbox_meta =
        std::fs::metadata(inbox).map_err(|e| path_failure("--inbox", inbox, i18n::os_error(&e)))?;
    if !inbox_meta.is_dir() {
        return Err(Failure::usage(
            Msg::CollectorNotFolder
                .with("option", "--inbox")
                .arg("path", inbox.display()),
        ));
    }
    refuse_foreign_owner(|euid, argv| owner::check_collect(euid, inbox, db.file(), argv))?;
    let mut store = Store::open(db).map_err(store_failure)?;
    let now = isoguard::time::rfc3339_utc(SystemTime::now());
    store.sync_enrolled(&trusted, &now).map_err(store_failure)?;
    let mut tracker = ProblemTracker::start(&store).map_err(store_failure)?;

    let mut options = ingest::Options::new(inbox);
    options.max_size = max_size;
    options.batch = batch;
    options.progress = std::io::stderr().is_terminal();

    if *watch_mode {
        let after_pass = |store: &mut Store, outcome: &Outcome| {
            let new = tracker.newly_revealed(store)?;
            if summary::worth_telling(outcome, &new) {
                let _ = isoguard::cli::print_stdout(&summary::describe_pass(outcome, &new, lang));
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
            message: e.phrase().into(),
        })?;
        return Ok(Exit::Ok);
    }

    let stop = AtomicBool::new(false);
    let outcome =
        ingest::collect(&mut store, &trusted, &options, &HashSet::new(), &stop).map_err(|e| {
            Failure {
                exit: Exit::for_ingest(&e),
                message: e.phrase().into(),
            }
        })?;
    let new = tracker.newly_revealed(&store).map_err(store_failure)?;
    print(&summary::describe_pass(&outcome, &new, lang))?;
    Ok(Exit::after_pass(&outcome, new.len()))
}

fn enroll(trust_dir: &Path, host: &str, key: &Path, lang: Lang) -> Result<Exit, Failure> {
    let (msg, path, keyid) = match trust::enroll(trust_dir, host, key) {
        Ok(trust::Enrolled::New { path, keyid }) => (Msg::EnrollNew, path, keyid),
        Ok(trust::Enrolled::AlreadyEnrolled { path, keyid }) => (Msg::EnrollAlready, path, keyid),
        Err(err) => return Err(trust_failure(err)),
    };
    let said = msg
        .with("host", host)
        .arg("keyid", keyid)
        .arg("path", path.display());
    print(&format!("{}\n", said.render(lang)))?;
    Ok(Exit::Ok)
}

fn bundle_failure(err: BundleError) -> Failure {
    let exit = match &err {
        BundleError::Store(err) => Exit::for_store(err),
        BundleError::Refused { .. } => Exit::Attention,
        BundleError::Open { .. } | BundleError::Read { .. } | BundleError::Write { .. } => Exit::Io,
    };
    Failure {
        exit,
        message: err.phrase().into(),
    }
}

/// `--from`/`--to` as the store compares them: RFC 3339 UTC, as received times are kept.
fn parse_time(option: &str, text: &str) -> Result<String, Failure> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    isoguard::time::parse_rfc3339_utc(&full)
        .map(|secs| isoguard::time::rfc3339_utc(isoguard::time::from_unix_seconds(secs)))
        .ok_or_else(|| {
            Failure::usage(
                Msg::CollectorBadTime
                    .with("option", option)
                    .arg("value", display_safe(text, 64)),
            )
        })
}

/// Refuses a root run on files another user owns (`check` is one of `owner`'s checks, given
/// the effective uid and this command line with the program's full path first).
fn refuse_foreign_owner(
    check: impl FnOnce(u32, &[std::ffi::OsString]) -> std::io::Result<Option<owner::ForeignOwner>>,
) -> Result<(), Failure> {
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let (Some(first), Ok(exe)) = (argv.first_mut(), std::env::current_exe()) {
        *first = exe.into_os_string();
    }
    let euid = rustix::process::geteuid().as_raw();
    match check(euid, &argv) {
        Ok(None) => Ok(()),
        Ok(Some(foreign)) => Err(Failure::usage(foreign.phrase())),
        Err(e) => Err(Failure::io(
            Msg::CollectorOwnerCheck.nest("error", i18n::os_error(&e)),
        )),
    }
}

fn export(args: &ExportArgs, lang: Lang) -> Result<Exit, Failure> {
    trust::check_host_id(&args.unit).map_err(trust_failure)?;
    let from = args
        .from
        .as_deref()
        .map(|t| parse_time("--from", t))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|t| parse_time("--to", t))
        .transpose()?;
    let selection = if from.is_none() && to.is_none() {
        Selection::SinceLast
    } else {
        Selection::Period { from, to }
    };
    let key = isoguard::finding::keys::load_private_key(&args.key)
        .map_err(|e| Failure::usage(e.phrase()))?;
    let trusted = trust::load(&args.trust).map_err(trust_failure)?;
    let db = DbSpec::parse(args.db.as_os_str());
    if let Some(file) = db.file().filter(|file| !file.is_file()) {
        return Err(Failure::io(
            Msg::CollectorNoDatabase.with("path", file.display()),
        ));
    }
    refuse_foreign_owner(|euid, argv| owner::check_database(euid, db.file(), argv))?;
    let mut store = Store::open(&db).map_err(store_failure)?;
    let done = bundle::export(
        &mut store,
        &bundle::ExportRequest {
            unit: &args.unit,
            key: &key,
            trusted: &trusted,
            selection,
            out: &args.out,
        },
    )
    .map_err(bundle_failure)?;
    let said = Msg::ExportWrote
        .with("sequence", done.sequence)
        .arg("unit", &args.unit)
        .arg("findings", done.findings)
        .arg("keys", done.keys)
        .arg("path", done.path.display())
        .arg("digest", &done.digest);
    print(&format!("{}\n", said.render(lang)))?;
    Ok(Exit::Ok)
}

fn import(args: &ImportArgs, lang: Lang) -> Result<Exit, Failure> {
    let hosts = trust::load(&args.trust).map_err(trust_failure)?;
    let units = trust::load(&args.units).map_err(trust_failure)?;
    let db = DbSpec::parse(args.db.as_os_str());
    refuse_foreign_owner(|euid, argv| owner::check_database(euid, db.file(), argv))?;
    let mut store = Store::open(&db).map_err(store_failure)?;
    let now = isoguard::time::rfc3339_utc(SystemTime::now());
    store.sync_enrolled(&hosts, &now).map_err(store_failure)?;
    let mut tracker = ProblemTracker::start(&store).map_err(store_failure)?;
    let mut exit = Exit::Ok;
    let mut refused_bundles = 0usize;
    for path in &args.bundles {
        let done = match bundle::import(&mut store, &hosts, &units, path) {
            Ok(done) => done,
            Err(err @ BundleError::Refused { .. }) => {
                // One bad bundle does not stop the others; it is said and the exit says so.
                eprintln!("isoguard-collector: {}", err.phrase().render(lang));
                refused_bundles += 1;
                continue;
            }
            Err(err) => return Err(bundle_failure(err)),
        };
        print(&summary::describe_import(&done, lang))?;
        if !done.refused.is_empty() {
            exit = Exit::Attention;
        }
    }
    let new = tracker.newly_revealed(&store).map_err(store_failure)?;
    print(&summary::describe_problems(&new, lang))?;
    if refused_bundles > 0 || !new.is_empty() {
        exit = Exit::Attention;
    }
    Ok(exit)
}

fn keygen(out: &Path, lang: Lang) -> Result<Exit, Failure> {
    let public = isoguard::finding::keys::keygen(out).map_err(|e| Failure::usage(e.phrase()))?;
    let wrote = Msg::KeygenWrote
        .with("path", out.display())
        .arg("keyid", public.keyid());
    print(&format!("{}\n", wrote.render(lang)))?;
    Ok(Exit::Ok)
}

fn reverify(db: &DbSpec, trust_dir: &Path, lang: Lang) -> Result<Exit, Failure> {
    let trusted = trust::load(trust_dir).map_err(trust_failure)?;
    let store = open_existing_db(db)?;
    let mut failed = 0u64;
    let mut out = String::new();
    let checked = store
        .reverify(&trusted, |failure| {
            failed += 1;
            let line = Msg::ReverifyFailed
                .with("id", failure.id)
                .arg("host", display_safe(&failure.host_id, 64))
                .arg("file", display_safe(&failure.file, 120))
                .arg("reason", display_safe(&failure.reason, 400));
            out.push_str(&line.render(lang));
            out.push('\n');
        })
        .map_err(store_failure)?;
    let total = Msg::ReverifyTotal
        .with("checked", checked)
        .arg("ok", checked - failed)
        .arg("failed", failed);
    out.push_str(&total.render(lang));
    out.push('\n');
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
    let started = std::time::Instant::now();
    let format = match format {
        FormatArg::Html => report::Format::Html,
        FormatArg::Csv => report::Format::Csv,
        FormatArg::Json => report::Format::Json,
        FormatArg::Ocsf => report::Format::Ocsf,
    };
    let now = SystemTime::now();
    // The page carries only its first rows of device evidence; the other formats carry all.
    let data = match format {
        report::Format::Html => store.report_data_for_page(now, stale_days, report::EVIDENCE_ROWS),
        _ => store.report_data(now, stale_days),
    }
    .map_err(store_failure)?;
    tracing::debug!(ms = started.elapsed().as_millis(), "report: data read");
    let write = |sink: &mut dyn std::io::Write| report::write(&data, format, lang, sink);
    if out == Path::new("-") {
        isoguard::cli::write_stdout(write).map_err(|e| Failure::io(e.message))?;
    } else {
        isoguard::files::replace_file_with(out, 0o644, |file| {
            let mut sink = std::io::BufWriter::with_capacity(1 << 20, file);
            write(&mut sink)?;
            std::io::Write::flush(&mut sink)
        })
        .map_err(|e| path_failure("--out", out, e.phrase()))?;
    }
    tracing::debug!(ms = started.elapsed().as_millis(), "report: written");
    // The process ends after this: freeing 100,000 hosts' rows one string at a time would
    // take longer than rendering them.
    std::mem::forget(data);
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// build.rs cannot link the library, so the command line repeats its defaults.
    #[test]
    fn every_argument_has_help_in_both_languages() {
        let gaps =
            collector_args::help_zh::gaps(&Cli::command(), collector_args::HELP_ZH, |_| false);
        assert_eq!(gaps, Default::default());
        let zh = collector_args::help_zh::in_chinese(Cli::command(), collector_args::HELP_ZH);
        let matches = zh
            .try_get_matches_from([
                "isoguard-collector",
                "--lang",
                "zh",
                "report",
                "--db",
                "x",
                "--out",
                "-",
            ])
            .unwrap();
        assert!(Cli::from_arg_matches(&matches).is_ok());
        let mut zh = collector_args::help_zh::in_chinese(Cli::command(), collector_args::HELP_ZH);
        let help = zh
            .find_subcommand_mut("report")
            .unwrap()
            .render_help()
            .to_string();
        assert!(
            help.contains("用法：") && help.contains("只读副本即可"),
            "{help}"
        );
    }

    #[test]
    fn the_command_line_defaults_are_the_librarys() {
        assert_eq!(collector_args::DEFAULT_MAX_SIZE, ingest::DEFAULT_MAX_SIZE);
        assert_eq!(collector_args::DEFAULT_BATCH, ingest::DEFAULT_BATCH);
        assert_eq!(
            Duration::from_secs(collector_args::DEFAULT_RESCAN_SECS),
            watch::DEFAULT_RESCAN
        );
    }
}
