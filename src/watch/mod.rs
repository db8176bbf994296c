//! `isoguard watch`: stays running, listens to the kernel's device (uevent) and network
//! (rtnetlink) notifications, and after each burst of them re-reads and re-judges the whole
//! machine (a full read takes milliseconds, and a partial one could miss what a change
//! implies). When the verdict or the set of failing evidence changes, or the burst held a
//! device that was gone again before the re-read, a signed finding with trigger `hotplug` or
//! `network-change` and the events goes into the spool, on the same chain and under the same
//! lock as boot and timer scans.
//!
//! Nothing is missed silently: the sockets are opened before the first read, so a change
//! during it is seen afterwards; a kernel that dropped messages (ENOBUFS) is answered with a
//! full re-read that is recorded. SIGTERM and SIGINT end the loop between bursts.

pub mod change;
pub mod enforce;
pub mod event;

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant, SystemTime};

use crate::finding::build;
use crate::finding::keys;
use crate::i18n::{Lang, Msg};
use crate::platform::{self, EventSource};
use crate::scan::{self, Options, ScanError};
use change::{Batch, Signature};

/// How long the kernel must stay quiet before the machine is re-read: plugging in one USB
/// device is a burst of a dozen uevents within a few milliseconds.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(10);
/// A burst that never goes quiet (a flapping link) is re-read at least this often.
const MAX_BATCH_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub scan: Options,
    pub debounce: Duration,
    /// Stop after writing this many findings (for scripts and tests).
    pub max_findings: Option<u64>,
    /// Kernel receive buffer per event socket, bytes (default 4 MiB).
    pub receive_buffer: Option<usize>,
}

/// Why watching stopped.
pub struct Stopped {
    pub findings: u64,
}

/// The self-pipe SIGTERM and SIGINT write to, so the poll wakes up without a race.
fn signal_pipe() -> std::io::Result<UnixStream> {
    let (reader, writer) = UnixStream::pair()?;
    reader.set_nonblocking(true)?;
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::low_level::pipe::register(signal, writer.try_clone()?)?;
    }
    Ok(reader)
}

pub fn run(opts: &WatchOptions) -> Result<Stopped, ScanError> {
    let key = match &opts.scan.key {
        Some(path) => keys::load_private_key(path).map_err(ScanError::Key)?,
        None => return Err(ScanError::Usage(Msg::WatchNeedsKey.into())),
    };
    let Some(spool_dir) = opts.scan.spool.clone() else {
        return Err(ScanError::Usage(Msg::WatchNeedsKey.into()));
    };
    let state_dir = opts
        .scan
        .state
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from(scan::DEFAULT_STATE));
    let opened = platform::open(opts.scan.root.as_deref()).map_err(ScanError::Root)?;
    let loaded = scan::load_policy(&opts.scan);
    // A policy that does not load is a configuration error to fix, not something to watch.
    let policy = match &loaded {
        Ok(policy) => policy.clone(),
        Err(errors) => {
            return Err(ScanError::Usage(crate::i18n::Said::untranslated(
                errors.render_in(opts.scan.lang),
            )))
        }
    };
    let no_events = |e: std::io::Error| {
        ScanError::Seal(
            Msg::WatchNoEvents
                .nest("error", crate::i18n::os_error(&e))
                .into(),
        )
    };
    let mut signals = signal_pipe().map_err(no_events)?;
    // Subscribed before the first read: a change while reading is seen afterwards.
    let mut source = EventSource::open(opts.receive_buffer).map_err(no_events)?;
    let live = opened.machine.is_live();
    let lang = opts.scan.lang;

    let mut enforcer = Enforcer::start(&opened.machine, &policy, lang);

    let first = scan::judge(&opts.scan, &loaded, &opened.machine, SystemTime::now());
    let mut last = Signature::of(&first.finding);
    tracing::info!(
        target: "isoguard::summary",
        "{}",
        Msg::WatchStarted
            .with("verdict", first.finding.verdict.to_string())
            .arg("fail", first.finding.summary.fail)
            .arg("error", first.finding.summary.error)
            .render(lang)
    );

    let mut written = 0u64;
    let mut pending: Vec<event::Event> = Vec::new();
    loop {
        if opts.max_findings.is_some_and(|max| written >= max) {
            break;
        }
        if source.wait(&signals, None).map_err(no_events)? && stop_requested(&mut signals) {
            break;
        }
        pending.clear();
        source.drain(&mut pending).map_err(no_events)?;
        if pending.is_empty() {
            continue;
        }
        let mut batch = Batch::default();
        let started = Instant::now();
        loop {
            for e in pending.drain(..) {
                if e.source == event::Source::Overflow {
                    tracing::warn!(
                        "{}",
                        Msg::WatchEventsLost.with("source", &e.device).render(lang)
                    );
                }
                batch.push(e);
            }
            let left = MAX_BATCH_WINDOW.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            let quiet = opts.debounce.min(left);
            let signalled = source.wait(&signals, Some(quiet)).map_err(no_events)?;
            source.drain(&mut pending).map_err(no_events)?;
            if pending.is_empty() && !signalled {
                break;
            }
            if signalled && pending.is_empty() {
                break;
            }
        }
        let now = SystemTime::now();
        let mut options = opts.scan.clone();
        options.trigger = batch.trigger();
        let mut judged = scan::judge_keeping_history(
            &options,
            &loaded,
            &opened.machine,
            now,
            first.inventory.as_ref(),
        );
        let interfaces: Vec<String> = judged
            .inventory
            .as_ref()
            .map(|i| {
                i.network
                    .interfaces
                    .iter()
                    .map(|n| n.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        batch.mark_transient(|e| match e.source {
            event::Source::Uevent => platform::device_present(&opened.machine, &e.device),
            event::Source::Link => e.name.starts_with("ifindex ") || interfaces.contains(&e.name),
            _ => true,
        });
        let actions = match &judged.inventory {
            Some(inventory) => {
                enforcer.act(&opened.machine, &policy, &judged.finding, inventory, lang)
            }
            None => Vec::new(),
        };
        enforce::mark_failures(&mut judged.finding, &actions);
        let signature = Signature::of(&judged.finding);
        if actions.is_empty() && !change::worth_a_finding(&last, &signature, &batch) {
            tracing::debug!("{} event(s), nothing changed", batch.events.len());
            continue;
        }
        let finding = &mut judged.finding;
        finding.events = batch.to_v1();
        finding.events_dropped = batch.dropped;
        finding.actions = actions;
        build::fit(finding, build::MAX_PAYLOAD_BYTES);
        match scan::seal(finding, &key, &spool_dir, &state_dir, live, now) {
            Ok(path) => {
                written += 1;
                let new = signature.new_failures(&last);
                log_change(finding, &batch, &new, &path.display().to_string(), lang);
                last = signature;
            }
            Err(err) => {
                // `last` is kept, so the next burst compares against what was recorded.
                tracing::error!(
                    "{}",
                    Msg::WatchSealFailed
                        .with("error", err.said().get(lang))
                        .render(lang)
                );
            }
        }
    }
    enforcer.stop(&opened.machine, lang);
    tracing::info!(
        target: "isoguard::summary",
        "{}",
        Msg::WatchStopped.with("findings", written).render(lang)
    );
    Ok(Stopped { findings: written })
}

/// The state enforcement keeps while watching: what it changed at the root hubs (to restore
/// on exit) and which devices it already deauthorized (so they are neither written again at
/// every burst nor authorized as "held").
struct Enforcer {
    hubs: Vec<(String, String)>,
    denied: std::collections::BTreeSet<String>,
    /// Actions taken at start, recorded in the first finding written.
    pending: Vec<crate::finding::v1::Action>,
}

impl Enforcer {
    fn start(machine: &platform::Machine, policy: &crate::policy::Policy, lang: Lang) -> Enforcer {
        let mut enforcer = Enforcer {
            hubs: Vec::new(),
            denied: Default::default(),
            pending: Vec::new(),
        };
        if !enforce::holds_usb(policy) {
            return enforcer;
        }
        for hub in platform::usb_root_hubs(machine) {
            let before = platform::enforce_read(machine, &hub, "authorized_default");
            let result = platform::enforce_write(machine, &hub, "authorized_default", "0");
            if result.is_ok() {
                enforcer
                    .hubs
                    .push((hub.clone(), before.unwrap_or_else(|| "1".into())));
            }
            let action = enforce::record("authorized-default-off", &hub, None, result);
            log_action(&action, lang);
            enforcer.pending.push(action);
        }
        enforcer
    }

    fn act(
        &mut self,
        machine: &platform::Machine,
        policy: &crate::policy::Policy,
        finding: &crate::finding::v1::Finding,
        inventory: &crate::inventory::Inventory,
        lang: Lang,
    ) -> Vec<crate::finding::v1::Action> {
        let mut actions = std::mem::take(&mut self.pending);
        let plan = enforce::plan(policy, finding, inventory);
        for step in &plan {
            if self.denied.contains(&step.device) {
                continue;
            }
            let action = enforce::carry_out(machine, step);
            if action.result == "done" {
                self.denied.insert(step.device.clone());
            }
            log_action(&action, lang);
            actions.push(action);
        }
        if !self.hubs.is_empty() {
            // Held at the hub and not objected to: let it in; its interfaces are judged at
            // the next burst (the bind events that follow) and cut off if they fail.
            for device in platform::usb_unauthorized(machine) {
                if self.denied.contains(&device) || plan.iter().any(|p| p.device == device) {
                    continue;
                }
                let result = platform::enforce_write(machine, &device, "authorized", "1");
                let action = enforce::record("authorize", &device, None, result);
                log_action(&action, lang);
                actions.push(action);
            }
        }
        actions
    }

    /// Puts the root hubs back as they were.
    fn stop(&mut self, machine: &platform::Machine, lang: Lang) {
        for (hub, before) in std::mem::take(&mut self.hubs) {
            let result = platform::enforce_write(machine, &hub, "authorized_default", &before);
            log_action(
                &enforce::record("authorized-default-restore", &hub, None, result),
                lang,
            );
        }
    }
}

fn log_action(action: &crate::finding::v1::Action, lang: Lang) {
    let result = match &action.error {
        Some(error) => format!("{} ({error})", action.result),
        None => action.result.clone(),
    };
    let line = Msg::WatchAction
        .with("action", &action.action)
        .arg("device", &action.device)
        .arg("rule", action.rule.as_deref().unwrap_or("-"))
        .arg("result", result)
        .render(lang);
    if action.result == "done" {
        tracing::info!(target: "isoguard::summary", "{line}");
    } else {
        tracing::error!(target: "isoguard::summary", "{line}");
    }
}

/// Empties the signal pipe; a byte in it means SIGTERM or SIGINT arrived.
fn stop_requested(signals: &mut UnixStream) -> bool {
    let mut buf = [0u8; 16];
    matches!(signals.read(&mut buf), Ok(n) if n > 0)
}

/// One journal line per recorded change; a new violation is a warning.
fn log_change(
    finding: &crate::finding::v1::Finding,
    batch: &Batch,
    new_failures: &[String],
    path: &str,
    lang: Lang,
) {
    let trigger = finding.trigger.to_string();
    let events = batch.events.len() as u64 + batch.dropped;
    if new_failures.is_empty() {
        let line = Msg::WatchChange
            .with("trigger", &trigger)
            .arg("events", events)
            .arg("first", batch.first())
            .arg("verdict", finding.verdict.to_string())
            .arg("fail", finding.summary.fail)
            .arg("error", finding.summary.error)
            .arg("finding", path)
            .render(lang);
        tracing::info!(target: "isoguard::summary", "{line}");
    } else {
        let failing = crate::text::display_safe(&new_failures.join("; "), 400);
        let line = Msg::WatchNewViolation
            .with("trigger", &trigger)
            .arg("events", events)
            .arg("first", batch.first())
            .arg("failing", failing)
            .arg("finding", path)
            .render(lang);
        tracing::warn!(target: "isoguard::summary", "{line}");
    }
}

/// Enforcement against a tree laid out like sysfs. The layout is the kernel's own, as
/// documented in Documentation/ABI/testing/sysfs-bus-usb (`authorized` on USB devices and
/// interfaces, `authorized_default` on root hubs, `/sys/bus/usb/devices/*` links into
/// `/sys/devices`) and sysfs-class-rfkill (`soft`), with the device names of an Intel xHCI
/// laptop (`0000:00:14.0`, `usb1`, `1-2`, `1-2:1.0`).
#[cfg(test)]
#[cfg(all(target_os = "linux", not(isoguard_platform = "unsupported")))]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    const HUB: &str = "sys/devices/pci0000:00/0000:00:14.0/usb1";

    fn tree(tag: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("isoguard-enforce-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let put = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        put(&format!("{HUB}/authorized_default"), "1\n");
        put(&format!("{HUB}/1-2/authorized"), "1\n");
        put(&format!("{HUB}/1-2/1-2:1.0/authorized"), "1\n");
        put(&format!("{HUB}/1-3/authorized"), "0\n");
        put(
            "sys/devices/pci0000:00/0000:00:14.3/ieee80211/phy0/rfkill0/soft",
            "0\n",
        );
        std::fs::create_dir_all(root.join("sys/bus/usb/devices")).unwrap();
        for (link, target) in [("usb1", ""), ("1-2", "/1-2"), ("1-3", "/1-3")] {
            std::os::unix::fs::symlink(
                format!("../../../devices/pci0000:00/0000:00:14.0/usb1{target}"),
                root.join("sys/bus/usb/devices").join(link),
            )
            .unwrap();
        }
        root
    }

    fn read(root: &Path, rel: &str) -> String {
        std::fs::read_to_string(root.join(rel))
            .unwrap()
            .trim()
            .to_string()
    }

    fn enforcing_policy() -> crate::policy::Policy {
        let mut policy = crate::policy::load_str(
            "builtin:classified",
            crate::policy::BUILTIN
                .iter()
                .find(|(n, _)| *n == "classified")
                .unwrap()
                .1,
        )
        .unwrap();
        crate::policy::apply_override(
            &mut policy,
            "site.toml",
            "[[rule]]\nid = \"removable-storage\"\nenforce = true\n",
        )
        .unwrap();
        policy
    }

    #[test]
    fn root_hubs_hold_new_devices_while_watching_and_are_restored_on_exit() {
        let root = tree("hubs");
        let machine = platform::Machine::at(&root);
        let policy = enforcing_policy();
        let mut enforcer = Enforcer::start(&machine, &policy, Lang::En);
        assert_eq!(read(&root, &format!("{HUB}/authorized_default")), "0");
        assert_eq!(enforcer.pending.len(), 1);
        assert_eq!(enforcer.pending[0].action, "authorized-default-off");
        assert_eq!(enforcer.pending[0].result, "done");
        // A held device nobody objects to is let in.
        let inventory = platform::collect(&machine);
        let finding = scan::judge(
            &test_options(),
            &Ok(policy.clone()),
            &machine,
            SystemTime::now(),
        )
        .finding;
        let actions = enforcer.act(&machine, &policy, &finding, &inventory, Lang::En);
        assert!(actions
            .iter()
            .any(|a| a.action == "authorize" && a.device.ends_with("/1-3")));
        assert_eq!(read(&root, &format!("{HUB}/1-3/authorized")), "1");
        enforcer.stop(&machine, Lang::En);
        assert_eq!(read(&root, &format!("{HUB}/authorized_default")), "1");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn deauthorizing_an_interface_and_soft_blocking_a_radio_write_the_tree() {
        let root = tree("writes");
        let machine = platform::Machine::at(&root);
        let step = enforce::Planned {
            action: "deauthorize",
            device: format!("/{HUB}/1-2/1-2:1.0"),
            attribute: "authorized",
            value: "0",
            rule: Some("removable-storage".into()),
        };
        let action = enforce::carry_out(&machine, &step);
        assert_eq!(action.result, "done", "{action:?}");
        assert_eq!(read(&root, &format!("{HUB}/1-2/1-2:1.0/authorized")), "0");
        // The device itself (and so any keyboard function of it) is untouched.
        assert_eq!(read(&root, &format!("{HUB}/1-2/authorized")), "1");
        let radio = enforce::Planned {
            action: "rfkill-block",
            device: "/sys/devices/pci0000:00/0000:00:14.3/ieee80211/phy0/rfkill0".into(),
            attribute: "soft",
            value: "1",
            rule: Some("wireless".into()),
        };
        assert_eq!(enforce::carry_out(&machine, &radio).result, "done");
        assert_eq!(
            read(
                &root,
                "sys/devices/pci0000:00/0000:00:14.3/ieee80211/phy0/rfkill0/soft"
            ),
            "1"
        );
        // Nothing outside /sys/devices, no other attribute, no file that is not there.
        for (device, attribute) in [
            ("/etc/passwd", "authorized"),
            ("/sys/devices/../../etc", "authorized"),
            ("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2", "remove"),
            (
                "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-9",
                "authorized",
            ),
        ] {
            let bad = enforce::Planned {
                device: device.into(),
                attribute,
                ..step.clone()
            };
            let action = enforce::carry_out(&machine, &bad);
            assert_eq!(action.result, "failed", "{device} {attribute}");
            assert!(action.error.is_some());
        }
        assert!(!root
            .join("sys/devices/pci0000:00/0000:00:14.0/usb1/1-9")
            .exists());
        // A recorded tree has no kernel whose interfaces could be taken down: refused, said.
        let down = enforce::Planned {
            action: "link-down",
            device: "eth0".into(),
            attribute: "",
            value: "",
            rule: Some("external-network".into()),
        };
        assert_eq!(enforce::carry_out(&machine, &down).result, "failed");
        let _ = std::fs::remove_dir_all(&root);
    }

    fn test_options() -> Options {
        Options {
            root: None,
            policy: None,
            override_file: None,
            json: false,
            key: None,
            spool: None,
            state: None,
            trigger: crate::finding::v1::Trigger::Hotplug,
            lang: Lang::En,
            color: false,
        }
    }
}
