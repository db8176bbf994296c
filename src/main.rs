//! The `isoguard` command: parse arguments, call the library, map outcomes to exit codes.
//!
//! Exit codes are part of the interface: 0 compliant (or complete), 1 violations, 2 usage or
//! configuration error, 3 scan error (something could not be read or written).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use std::io::IsTerminal;

use isoguard::cli::{exit, CliError};
use isoguard::inventory::{render, Inventory};
use isoguard::scan::Trigger;

#[derive(Parser)]
#[command(
    name = "isoguard",
    version,
    about = "Checks this workstation against the three-in-one rules (三合一)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// List what was found on this machine, without judging it.
    Inventory {
        /// Read DIR/sys, DIR/proc, DIR/run/udev, DIR/etc instead of the live system. A fixture
        /// folder (with fixture.toml) is built into a temporary tree first.
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Judge this machine against a policy, print the result, and (with a key) write a
    /// signed finding into the spool.
    Scan {
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// A bundled policy name (classified, internet-in-secure-area, dual-use) or a file.
        #[arg(long, value_name = "NAME|FILE")]
        policy: Option<String>,
        /// Site override file: switch rules off, change severities, register media.
        #[arg(long = "override", value_name = "FILE")]
        override_file: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Private key (PKCS#8 PEM, mode 0600) that signs the finding.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Folder the signed finding is written into.
        #[arg(long, value_name = "DIR")]
        spool: Option<PathBuf>,
        /// Folder holding the per-host chain state (sequence, previous digest).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "manual")]
        trigger: TriggerArg,
        /// Config file (default /etc/isoguard/config.toml, used when present).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Report language: zh or en (default: from the locale).
        #[arg(long, value_parser = ["zh", "en"])]
        lang: Option<String>,
    },
    /// Create a host key pair: FILE (private, 0600) and FILE.pub (public).
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Check signed findings and show what they hold.
    Verify {
        /// A public key (SPKI PEM).
        #[arg(
            long,
            value_name = "PUB",
            conflicts_with = "trust",
            required_unless_present = "trust"
        )]
        key: Option<PathBuf>,
        /// A folder of enrolled public keys (*.pub).
        #[arg(long, value_name = "DIR")]
        trust: Option<PathBuf>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Policy files.
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
    /// Print allowlist entries for the storage devices attached now, to paste into a policy.
    RegisteredMedia {
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Work with fixture recordings (udevadm --export-db, umockdev, flattened sysfs).
    Fixture {
        #[command(subcommand)]
        action: FixtureAction,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TriggerArg {
    Boot,
    Manual,
    Timer,
}

#[derive(Subcommand)]
enum PolicyAction {
    /// Report every problem in a policy (or a site override with --override) at once.
    Check {
        /// Policy name or file.
        policy: String,
        #[arg(long = "override", value_name = "FILE")]
        override_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum FixtureAction {
    /// Build a root tree from a fixture folder, to inspect it or to pass as --root.
    Build {
        /// Folder holding fixture.toml and its recordings.
        fixture: PathBuf,
        /// Where to build the tree (must not exist yet, or be empty).
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    isoguard::cli::init_logging();
    let cli = match Cli::try_parse() {
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
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("isoguard: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Inventory { root, format } => {
            let opened = isoguard::cli::open_root(root.as_deref())?;
            let inventory = Inventory::collect(&opened.host);
            let out = match format {
                Format::Json => isoguard::cli::to_json(&inventory)?,
                Format::Text => render::render(&inventory),
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
            lang,
        } => {
            let file = isoguard::scan::config::load(config.as_deref())
                .map_err(|e| CliError::usage(e.render()))?;
            let lang = isoguard::scan::lang_from(lang.as_deref().or(file.lang.as_deref()));
            let opts = isoguard::scan::Options {
                root,
                policy: policy.or(file.policy),
                override_file: override_file.or(file.override_file),
                json: matches!(format, Format::Json),
                key: key.or(file.key),
                spool: spool.or(file.spool),
                state: state.or(file.state),
                trigger: match trigger {
                    TriggerArg::Boot => Trigger::Boot,
                    TriggerArg::Manual => Trigger::Manual,
                    TriggerArg::Timer => Trigger::Timer,
                },
                lang,
                color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
            let outcome = isoguard::scan::run(&opts)?;
            isoguard::cli::print_stdout(&outcome.output)?;
            if let Some(diagnostics) = &outcome.diagnostics {
                eprint!("{diagnostics}");
            }
            let f = &outcome.finding;
            let summary = format!(
                "verdict={} fail={} error={} pass={} skip={} finding={}",
                f.verdict,
                f.summary.fail,
                f.summary.error,
                f.summary.pass,
                f.summary.skip,
                outcome
                    .written
                    .as_ref()
                    .map_or("not written (no key)".to_string(), |p| p
                        .display()
                        .to_string())
            );
            tracing::info!(target: "isoguard::summary", "{summary}");
            if matches!(trigger, TriggerArg::Boot | TriggerArg::Timer) {
                eprintln!("isoguard: {summary}");
            }
            Ok(outcome.exit_code)
        }
        Command::Keygen { out } => {
            let public = isoguard::finding::keys::keygen(&out)
                .map_err(|e| CliError::usage(e.to_string()))?;
            isoguard::cli::print_stdout(&format!(
                "wrote {} (private, 0600) and {}.pub\nkeyid {}\n",
                out.display(),
                out.display(),
                public.keyid()
            ))?;
            Ok(exit::OK)
        }
        Command::Verify { key, trust, files } => {
            isoguard::cli::verify_files(key.as_deref(), trust.as_deref(), &files)
        }
        Command::Policy {
            action:
                PolicyAction::Check {
                    policy,
                    override_file,
                },
        } => isoguard::cli::check_policy(&policy, override_file.as_deref()),
        Command::RegisteredMedia { root } => {
            let opened = isoguard::cli::open_root(root.as_deref())?;
            let inventory = Inventory::collect(&opened.host);
            isoguard::cli::print_stdout(&isoguard::cli::registered_media(&inventory))?;
            Ok(
                if inventory.storage.problems.is_empty() && inventory.usb.problems.is_empty() {
                    exit::OK
                } else {
                    exit::SCAN_ERROR
                },
            )
        }
        Command::Fixture {
            action: FixtureAction::Build { fixture, out },
        } => {
            isoguard::fixture::materialize(&fixture, &out)
                .map_err(|e| CliError::usage(format!("{}: {e}", fixture.display())))?;
            let _ = writeln!(std::io::stdout(), "{}", out.display());
            Ok(exit::OK)
        }
    }
}
