//! The `isoguard` command: parse arguments, call the library, map outcomes to exit codes.
//!
//! Exit codes are part of the interface: 0 compliant (or complete), 1 violations, 2 usage or
//! configuration error, 3 scan error (something could not be read or written).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use std::io::IsTerminal;

mod args;

#[cfg(feature = "fixture")]
use args::FixtureAction;
use args::{Cli, Command, Format, PolicyAction, TriggerArg};

use isoguard::cli::{exit, CliError};
use isoguard::i18n::{Lang, Msg};
use isoguard::inventory::render;
use isoguard::platform;
use isoguard::scan::{Conclusion, ScanError, Trigger, Verdict};

/// The language asked for on the command line (`--lang zh`, `--lang=zh`) or by the locale,
/// before the command line is parsed: it decides the language of `--help` itself.
fn help_lang() -> Lang {
    let argv: Vec<String> = std::env::args().collect();
    Lang::choose(args::help_zh::asked_lang(&argv).as_deref())
}

fn main() -> ExitCode {
    let mut command = Cli::command();
    if help_lang() == Lang::Zh {
        command = args::in_chinese(command);
    }
    let parsed = command
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    isoguard::cli::init_logging(if cli.quiet {
        -1
    } else {
        cli.verbose.min(8) as i8
    });
    let lang = Lang::choose(cli.lang.as_deref());
    match run(cli, lang) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("isoguard: {}", err.message.get(lang));
            ExitCode::from(err.exit_code())
        }
    }
}

/// What `scan` and `watch` take from the command line that the config file may also set.
struct ScanFlags {
    root: Option<PathBuf>,
    policy: Option<String>,
    override_file: Option<PathBuf>,
    key: Option<PathBuf>,
    spool: Option<PathBuf>,
    state: Option<PathBuf>,
    config: Option<PathBuf>,
}

/// The scan's options: each flag, else the config file's value; the language from `--lang`,
/// then the config file, then the locale. Plain text without colour until the caller says.
fn scan_options(
    flags: ScanFlags,
    asked_lang: Option<&str>,
    trigger: Trigger,
) -> Result<isoguard::scan::Options, CliError> {
    let file = isoguard::scan::config::load(flags.config.as_deref())
        .map_err(|e| CliError::usage(e.said()))?;
    Ok(isoguard::scan::Options {
        root: flags.root,
        policy: flags.policy.or(file.policy),
        override_file: flags.override_file.or(file.override_file),
        json: false,
        key: flags.key.or(file.key),
        spool: flags.spool.or(file.spool),
        state: flags.state.or(file.state),
        trigger,
        lang: Lang::choose(asked_lang.or(file.lang.as_deref())),
        color: false,
    })
}

fn run(cli: Cli, lang: Lang) -> Result<u8, CliError> {
    let asked = cli.lang.clone();
    match cli.command {
        Command::Inventory { root, format } => {
            let opened = isoguard::cli::open_root(root.as_deref())?;
            let inventory = platform::collect(&opened.machine);
            let out = match format {
                Format::Json => isoguard::cli::to_json(&inventory)?,
                Format::Text => render::render(&inventory, lang),
            };
            isoguard::cli::print_stdout(&out)?;
            Ok(if inventory.problems().is_empty() {
                exit::OK
            } else {
                exit::SCAN_ERROR
            })
        }
        Command::Scan {
            root,
            policy,
            override_file,
            format,
            key,
            spool,
            state,
            trigger,
            config,
        } => {
            let mut opts = scan_options(
                ScanFlags {
                    root,
                    policy,
                    override_file,
                    key,
                    spool,
                    state,
                    config,
                },
                asked.as_deref(),
                trigger_of(trigger),
            )?;
            opts.json = matches!(format, Format::Json);
            opts.color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let lang = opts.lang;
            let outcome = isoguard::scan::run(&opts).map_err(scan_failure)?;
            isoguard::cli::print_stdout(&outcome.output)?;
            if let Some(diagnostics) = &outcome.diagnostics {
                eprint!("{diagnostics}");
            }
            if let Some(err) = outcome.seal_error {
                // The report above stands; the finding it describes did not reach the spool.
                return Err(scan_failure(err));
            }
            let summary = isoguard::scan::summary(&outcome).render(lang);
            // One line per boot or timer run for the journal; a person at a terminal has
            // just read the whole report.
            if matches!(trigger, TriggerArg::Boot | TriggerArg::Timer) {
                tracing::info!(target: "isoguard::summary", "{summary}");
            } else {
                tracing::debug!("{summary}");
            }
            Ok(match outcome.conclusion {
                Conclusion::PolicyRefused => exit::USAGE,
                Conclusion::Verdict(Verdict::Compliant) => exit::OK,
                Conclusion::Verdict(Verdict::Violation) => exit::VIOLATION,
                Conclusion::Verdict(Verdict::Error) => exit::SCAN_ERROR,
            })
        }
        Command::Watch {
            root,
            policy,
            override_file,
            key,
            spool,
            state,
            config,
            debounce_ms,
            max_findings,
            receive_buffer,
        } => {
            let opts = isoguard::watch::WatchOptions {
                scan: scan_options(
                    ScanFlags {
                        root,
                        policy,
                        override_file,
                        key,
                        spool,
                        state,
                        config,
                    },
                    asked.as_deref(),
                    Trigger::NetworkChange,
                )?,
                debounce: std::time::Duration::from_millis(debounce_ms),
                max_findings,
                receive_buffer,
            };
            isoguard::watch::run(&opts).map_err(scan_failure)?;
            Ok(exit::OK)
        }
        Command::Keygen { out } => {
            let public =
                isoguard::finding::keys::keygen(&out).map_err(|e| CliError::usage(e.phrase()))?;
            let wrote = Msg::KeygenWrote
                .with("path", out.display())
                .arg("keyid", public.keyid());
            isoguard::cli::print_stdout(&format!("{}\n", wrote.render(lang)))?;
            Ok(exit::OK)
        }
        Command::Verify { key, trust, files } => {
            isoguard::cli::verify_files(key.as_deref(), trust.as_deref(), &files, lang)
        }
        Command::Policy {
            action:
                PolicyAction::Check {
                    policy,
                    override_file,
                },
        } => isoguard::cli::check_policy(&policy, override_file.as_deref(), lang),
        Command::RegisteredMedia { root } => {
            let opened = isoguard::cli::open_root(root.as_deref())?;
            let inventory = platform::collect(&opened.machine);
            isoguard::cli::print_stdout(&isoguard::cli::registered_media(&inventory, lang))?;
            Ok(
                if inventory.storage.problems.is_empty() && inventory.usb.problems.is_empty() {
                    exit::OK
                } else {
                    exit::SCAN_ERROR
                },
            )
        }
        #[cfg(feature = "fixture")]
        Command::Fixture {
            action: FixtureAction::Build { fixture, out },
        } => {
            isoguard::platform::linux::fixture::materialize(&fixture, &out).map_err(|e| {
                CliError::usage(isoguard::i18n::Said::untranslated(format!(
                    "{}: {e}",
                    fixture.display()
                )))
            })?;
            let _ = std::io::Write::write_all(
                &mut std::io::stdout(),
                format!("{}\n", out.display()).as_bytes(),
            );
            Ok(exit::OK)
        }
    }
}

fn trigger_of(arg: TriggerArg) -> Trigger {
    match arg {
        TriggerArg::Boot => Trigger::Boot,
        TriggerArg::Manual => Trigger::Manual,
        TriggerArg::Timer => Trigger::Timer,
    }
}

/// Exit codes of a scan that could not run or could not leave its finding: asking for the
/// impossible is a usage error (2); failing to read or write what should work is 3.
fn scan_failure(err: ScanError) -> CliError {
    let message = err.said();
    match err {
        ScanError::Usage(_) | ScanError::Key(_) | ScanError::Root(_) => CliError::usage(message),
        ScanError::Seal(_) => CliError::scan(message),
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    /// Every command and argument is described, in English and in Chinese, and the Chinese
    /// table names nothing that does not exist.
    #[test]
    fn every_argument_has_help_in_both_languages() {
        // Without the fixture feature its subcommand is not there, but its help stays.
        let gaps = args::help_zh::gaps(&Cli::command(), args::HELP_ZH, |k| {
            !cfg!(feature = "fixture") && k.starts_with("fixture")
        });
        assert_eq!(gaps, Default::default());
        // The Chinese command line parses like the English one.
        let zh = args::in_chinese(Cli::command());
        let matches = zh
            .try_get_matches_from(["isoguard", "scan", "--lang", "zh", "--format", "json"])
            .unwrap();
        assert!(Cli::from_arg_matches(&matches).is_ok());
    }

    /// `--trigger` names are clap's (args.rs depends on clap alone, for build.rs); they must be
    /// the names the finding writes.
    #[test]
    fn trigger_names_match_the_finding() {
        for arg in TriggerArg::value_variants() {
            let name = arg.to_possible_value().map(|v| v.get_name().to_string());
            assert_eq!(name.as_deref(), Some(trigger_of(*arg).as_str()));
        }
    }
}
