//! `isoguard scan`: collect, evaluate, print, and leave a signed finding in the spool.
//!
//! Failure is loud. A policy that cannot be loaded still yields a signed finding with
//! verdict `error` when a key is available, so a broken policy at boot shows up centrally.
//! The chain state advances only after the finding is durable in the spool; a spool that
//! cannot be written is exit 3 with nothing half-written left behind.

pub mod config;
pub mod report;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::finding::build::{self, ChainPosition, Judged, PolicyFailure};
use crate::finding::chain_state::{self, Binding, ChainStart};
use crate::finding::keys::{self, PrivateKey};
use crate::finding::{dsse, spool, v1};
use crate::i18n::{Lang, Msg, Said};
use crate::platform;
use crate::policy::checks::Check;
use crate::policy::evaluate::{evaluate, verdict};
use crate::policy::{self, Policy, PolicyErrors};
use crate::probe::{self, ProbeReport};

pub use crate::finding::v1::{Trigger, Verdict};

pub const DEFAULT_POLICY: &str = "classified";
pub const DEFAULT_STATE: &str = "/var/lib/isoguard/state";

/// Why a scan could not run or could not leave its finding.
#[derive(Debug)]
pub enum ScanError {
    /// The command line or config asked for something impossible (a key without a spool).
    Usage(Said),
    /// The key could not be loaded.
    Key(keys::KeyError),
    /// `--root` names nothing readable.
    Root(platform::OpenError),
    /// The finding could not be encoded or written, or the chain state not saved.
    Seal(Said),
}

impl ScanError {
    pub fn said(&self) -> Said {
        match self {
            ScanError::Usage(message) | ScanError::Seal(message) => message.clone(),
            ScanError::Key(err) => err.phrase().into(),
            ScanError::Root(err) => err.0.clone(),
        }
    }
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.said().en)
    }
}

impl std::error::Error for ScanError {}

/// Whether the scan itself can tell its caller "compliant", "violation" or "error", or whether
/// the policy was refused (a usage problem the operator must fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conclusion {
    Verdict(Verdict),
    PolicyRefused,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub root: Option<PathBuf>,
    pub policy: Option<String>,
    pub override_file: Option<PathBuf>,
    pub json: bool,
    pub key: Option<PathBuf>,
    pub spool: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub trigger: Trigger,
    pub lang: Lang,
    pub color: bool,
}

/// What a scan produced, for the caller to print and log.
pub struct Outcome {
    pub output: String,
    pub finding: v1::Finding,
    pub written: Option<PathBuf>,
    /// Why the signed finding could not be left in the spool; the report was still made.
    pub seal_error: Option<ScanError>,
    pub conclusion: Conclusion,
    /// Shown on stderr after the report (policy diagnostics).
    pub diagnostics: Option<String>,
}

pub fn load_policy(opts: &Options) -> Result<Policy, PolicyErrors> {
    let name = opts.policy.as_deref().unwrap_or(DEFAULT_POLICY);
    let (source, text) = policy::locate(name)?;
    let mut loaded = policy::load_str(&source, &text)?;
    if let Some(path) = &opts.override_file {
        let override_text = policy::read_policy_file(path)?;
        policy::apply_override(&mut loaded, &path.display().to_string(), &override_text)?;
    }
    Ok(loaded)
}

/// The probe targets of every enabled `external-network` rule, and the shortest deadline.
fn probe_plan(policy: &Policy) -> Option<(Vec<probe::ProbeTarget>, Duration)> {
    let mut targets = Vec::new();
    let mut deadline: Option<u64> = None;
    for rule in policy.rules.iter().filter(|r| r.enabled) {
        if let Check::ExternalNetwork(s) = &rule.check {
            targets.extend(s.probes.iter().cloned());
            deadline = Some(deadline.map_or(s.probe_deadline_ms, |d| d.min(s.probe_deadline_ms)));
        }
    }
    let deadline = Duration::from_millis(deadline?);
    Some((targets, deadline))
}

fn chain_position(start: ChainStart) -> ChainPosition {
    match start {
        ChainStart::Continue { sequence, previous } => ChainPosition {
            sequence,
            previous: Some(previous),
            reset_reason: None,
        },
        ChainStart::NewChain { sequence, reason } => ChainPosition {
            sequence,
            previous: None,
            reset_reason: Some(reason),
        },
    }
}

/// The one line a boot or timer scan leaves in the journal: the verdict, the counts, and
/// where the finding went.
pub fn summary(outcome: &Outcome) -> crate::i18n::Phrase {
    let f = &outcome.finding;
    let finding = match &outcome.written {
        Some(path) => crate::i18n::Phrase::verbatim(path.display()),
        None => Msg::SummaryNoKey.into(),
    };
    Msg::ScanSummary
        .with("verdict", f.verdict.as_str())
        .arg("fail", f.summary.fail)
        .arg("error", f.summary.error)
        .arg("pass", f.summary.pass)
        .arg("skip", f.summary.skip)
        .nest("finding", finding)
}

/// How long a scan waits for another one sharing its state folder (the boot scan and a
/// person's scan, say) before giving up with an error.
pub const CHAIN_LOCK_WAIT: Duration = Duration::from_secs(60);

/// Takes the finding's place in this machine's chain, signs it, spools it, then advances the
/// chain: under the chain lock, with the sequence reserved before the spool write so it is
/// never handed out twice. Returns the file written.
pub fn seal(
    finding: &mut v1::Finding,
    key: &PrivateKey,
    spool_dir: &Path,
    state_dir: &Path,
    live: bool,
    now: SystemTime,
) -> Result<PathBuf, ScanError> {
    let binding = Binding {
        machine: finding
            .host
            .machine_id
            .clone()
            .or_else(|| finding.host.hostname.clone())
            .unwrap_or_else(|| "unknown".to_string()),
        keyid: key.public_key().keyid(),
        live,
    };
    let not_written =
        |e: &dyn fmt::Display| ScanError::Seal(Msg::NotWritten.with("error", e).into());
    let _lock = chain_state::lock(state_dir, CHAIN_LOCK_WAIT).map_err(|e| not_written(&e))?;
    let start = chain_state::load(state_dir, &binding);
    build::place_in_chain(finding, &chain_position(start.clone()));
    crate::files::create_dir_all(spool_dir, 0o700).map_err(|e| {
        ScanError::Seal(
            Msg::SpoolNotCreated
                .with("spool", spool_dir.display())
                .nest("error", crate::i18n::os_error(&e))
                .into(),
        )
    })?;
    chain_state::reserve(state_dir, &binding, &start).map_err(|e| not_written(&e))?;
    let payload = serde_json::to_vec(&*finding)
        .map_err(|e| ScanError::Seal(Msg::CannotEncodeFinding.with("error", e).into()))?;
    let envelope = dsse::sign(&payload, key);
    let bytes = envelope.to_json().into_bytes();
    let host = finding.host.hostname.as_deref().unwrap_or("unknown-host");
    let digest = chain_state::digest_hex(&bytes);
    let name = spool::with_tag(
        &spool::file_name(now, host, finding.sequence),
        &digest[..12],
    );
    let path = spool::write(spool_dir, &name, &bytes).map_err(|e| not_written(&e))?;
    chain_state::commit(state_dir, &binding, finding.sequence, &digest).map_err(|e| {
        ScanError::Seal(
            Msg::ChainNotSaved
                .with("path", path.display())
                .arg("error", e)
                .into(),
        )
    })?;
    Ok(path)
}

/// A finding made but not yet sealed, with what it was made from.
pub struct Judgement {
    pub finding: v1::Finding,
    /// Policy diagnostics, when the policy could not be loaded.
    pub diagnostics: Option<String>,
    /// The inventory the rules judged (none when the policy could not be loaded).
    pub inventory: Option<crate::inventory::Inventory>,
}

/// Reads the machine and judges it against the loaded policy (or records why there is none):
/// the finding, still outside the chain. Shared by `scan` and `watch`.
pub fn judge(
    opts: &Options,
    loaded: &Result<Policy, PolicyErrors>,
    machine: &platform::Machine,
    now: SystemTime,
) -> Judgement {
    judge_keeping_history(opts, loaded, machine, now, None)
}

/// [`judge`], with the logs' history taken from `earlier` instead of read again (watch).
pub fn judge_keeping_history(
    opts: &Options,
    loaded: &Result<Policy, PolicyErrors>,
    machine: &platform::Machine,
    now: SystemTime,
    earlier: Option<&crate::inventory::Inventory>,
) -> Judgement {
    let time = crate::time::rfc3339_utc(now);
    // The finding's place in the chain is taken when it is sealed, under the chain lock.
    let chain = ChainPosition {
        sequence: 0,
        previous: None,
        reset_reason: None,
    };
    match loaded {
        Err(errors) => {
            let identity = platform::identity(machine);
            let failure = PolicyFailure {
                source: errors.file.clone(),
                sha256: (!errors.source.is_empty())
                    .then(|| policy::sha256_hex(errors.source.as_bytes())),
                message: Msg::PolicyUnloadable
                    .with("diagnostics", errors.render_in(Lang::En))
                    .en(),
                message_zh: Msg::PolicyUnloadable
                    .with("diagnostics", errors.render_in(Lang::Zh))
                    .zh(),
            };
            let finding =
                build::policy_error_finding(&identity, &failure, time, opts.trigger, &chain);
            Judgement {
                finding,
                diagnostics: Some(errors.render_in(opts.lang)),
                inventory: None,
            }
        }
        Ok(policy) => {
            let inventory = match earlier {
                Some(earlier) => {
                    platform::collect_keeping_history(machine, earlier.history.clone())
                }
                None => platform::collect(machine),
            };
            let probes: Option<ProbeReport> = probe_plan(policy).map(|(targets, deadline)| {
                if targets.is_empty() {
                    return ProbeReport::default();
                }
                let mut report = probe::run(&targets, deadline);
                for result in &mut report.results {
                    result.interface = result.local_address.as_deref().and_then(|local| {
                        inventory
                            .network
                            .interfaces
                            .iter()
                            .find(|i| i.addresses.iter().any(|a| a.address.to_string() == local))
                            .map(|i| i.name.clone())
                    });
                }
                report
            });
            let results = evaluate(policy, &inventory, probes.as_ref());
            let judged = Judged {
                policy,
                inventory: &inventory,
                verdict: verdict(&results),
                results: &results,
                probes: probes.as_ref(),
            };
            let finding = build::finding(&judged, time, opts.trigger, &chain);
            Judgement {
                finding,
                diagnostics: None,
                inventory: Some(inventory),
            }
        }
    }
}

pub fn run(opts: &Options) -> Result<Outcome, ScanError> {
    let key = match &opts.key {
        Some(path) => Some(keys::load_private_key(path).map_err(ScanError::Key)?),
        None => None,
    };
    if key.is_some() && opts.spool.is_none() {
        return Err(ScanError::Usage(Msg::KeyNeedsSpool.into()));
    }
    if key.is_none() && opts.spool.is_some() {
        return Err(ScanError::Usage(Msg::SpoolNeedsKey.into()));
    }
    let state_dir = opts
        .state
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE));
    let opened = platform::open(opts.root.as_deref()).map_err(ScanError::Root)?;
    let now = SystemTime::now();
    let loaded = load_policy(opts);
    let Judgement {
        mut finding,
        diagnostics,
        ..
    } = judge(opts, &loaded, &opened.machine, now);

    build::fit(&mut finding, build::MAX_PAYLOAD_BYTES);
    let live = opened.machine.is_live();
    let (written, seal_error) = match (&key, &opts.spool) {
        (Some(key), Some(spool_dir)) => {
            match seal(&mut finding, key, spool_dir, &state_dir, live, now) {
                Ok(path) => (Some(path), None),
                Err(err) => (None, Some(err)),
            }
        }
        _ => (None, None),
    };
    let output = if opts.json {
        let mut text = serde_json::to_string_pretty(&finding)
            .map_err(|e| ScanError::Seal(Msg::CannotEncodeFinding.with("error", e).into()))?;
        text.push('\n');
        text
    } else {
        let failed = seal_error
            .as_ref()
            .map(|e| e.said().get(opts.lang).to_string());
        let spooled = match (&written, &failed) {
            (Some(path), _) => report::Spooled::Written(path),
            (None, Some(error)) => report::Spooled::Failed(error),
            (None, None) => report::Spooled::NoKey,
        };
        report::render(&finding, &spooled, opts.lang, opts.color)
    };
    let conclusion = match (&diagnostics, finding.verdict.known()) {
        (Some(_), _) => Conclusion::PolicyRefused,
        (None, Some(verdict)) => Conclusion::Verdict(verdict),
        // This program only writes known verdicts.
        (None, None) => Conclusion::Verdict(Verdict::Error),
    };
    Ok(Outcome {
        output,
        finding,
        written,
        seal_error,
        conclusion,
        diagnostics,
    })
}
