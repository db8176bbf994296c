//! The command line of `isoguard`, kept in a file of its own that depends only on clap and
//! std, so `build.rs` can include it to generate the man page and shell completions from the
//! same definition the binary parses.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "isoguard",
    version,
    about = "Checks this workstation against the three-in-one rules (三合一)"
)]
pub struct Cli {
    /// More detail on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Language of reports and messages: zh or en (default: `lang` in the config file for
    /// scan, then the locale: LC_ALL, LC_MESSAGES, LANG).
    #[arg(long, global = true, value_parser = ["zh", "en"])]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// List what was found on this machine, without judging it.
    Inventory {
        /// Read DIR/sys, DIR/proc, DIR/run/udev, DIR/etc instead of the live system. A fixture
        /// folder (with fixture.toml) is built into a temporary tree first.
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// text: a listing for a person; json: the inventory document.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Judge this machine against a policy, print the result, and (with a key) write a
    /// signed finding into the spool.
    Scan {
        /// Read DIR/sys, DIR/proc, DIR/run/udev, DIR/etc instead of the live system (a
        /// fixture folder with fixture.toml is built into a temporary tree first).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// A bundled policy name (classified, internet-in-secure-area, dual-use) or a file.
        #[arg(long, value_name = "NAME|FILE")]
        policy: Option<String>,
        /// Site override file: switch rules off, change severities or settings, register media.
        #[arg(long = "override", value_name = "FILE")]
        override_file: Option<PathBuf>,
        /// text: a report for a person; json: the finding payload.
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
        /// What started this scan; recorded in the finding. boot and timer runs log a
        /// one-line summary.
        #[arg(long, value_enum, default_value = "manual")]
        trigger: TriggerArg,
        /// Config file (default /etc/isoguard/config.toml, used when present).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
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
        /// Read a recorded machine instead of the live system (as for scan).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Work with fixture recordings (udevadm --export-db, umockdev, flattened sysfs).
    #[cfg(feature = "fixture")]
    Fixture {
        #[command(subcommand)]
        action: FixtureAction,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TriggerArg {
    Boot,
    Manual,
    Timer,
}

#[derive(Subcommand)]
pub enum PolicyAction {
    /// Report every problem in a policy (or a site override with --override) at once.
    Check {
        /// Policy name or file.
        policy: String,
        #[arg(long = "override", value_name = "FILE")]
        override_file: Option<PathBuf>,
    },
}

#[cfg(feature = "fixture")]
#[derive(Subcommand)]
pub enum FixtureAction {
    /// Build a root tree from a fixture folder, to inspect it or to pass as --root.
    Build {
        /// Folder holding fixture.toml and its recordings.
        fixture: PathBuf,
        /// Where to build the tree (must not exist yet, or be empty).
        #[arg(long)]
        out: PathBuf,
    },
}
