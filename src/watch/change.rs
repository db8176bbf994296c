//! Deciding whether a re-read is worth a finding: the verdict and the set of failing
//! evidence are compared with the last finding's, and a batch of events that held a device
//! the re-read no longer sees (or a lost-message report) is recorded even when nothing else
//! changed, because then the events are the only trace of it.

use std::collections::BTreeSet;

use crate::finding::v1;
use crate::watch::event::{Event, Source};

/// The most events one finding carries; the rest are counted in `events_dropped`.
pub const MAX_EVENTS: usize = 64;

/// What a finding's outcome is, for comparison: the verdict and every failing or erroring
/// rule's evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signature {
    pub verdict: String,
    pub failing: BTreeSet<(String, String, String)>,
}

impl Signature {
    pub fn of(finding: &v1::Finding) -> Signature {
        let mut failing = BTreeSet::new();
        for result in &finding.results {
            let status = match &result.status {
                v1::Open::Known(v1::Status::Fail) => "fail",
                v1::Open::Known(v1::Status::Error) => "error",
                _ => continue,
            };
            if result.evidence.is_empty() {
                failing.insert((result.rule.clone(), status.to_string(), String::new()));
            }
            for e in &result.evidence {
                failing.insert((result.rule.clone(), status.to_string(), e.detail.clone()));
            }
        }
        for error in &finding.errors {
            failing.insert(("-".into(), "error".into(), error.clone()));
        }
        Signature {
            verdict: finding.verdict.to_string(),
            failing,
        }
    }

    /// Failing evidence in `self` that `before` did not have: a new violation.
    pub fn new_failures(&self, before: &Signature) -> Vec<String> {
        self.failing
            .difference(&before.failing)
            .map(|(rule, _, detail)| {
                if detail.is_empty() {
                    rule.clone()
                } else {
                    format!("{rule}: {detail}")
                }
            })
            .collect()
    }
}

/// A batch of events, each marked transient when what it added was gone by the re-read.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub events: Vec<(Event, bool)>,
    pub dropped: u64,
}

impl Batch {
    pub fn push(&mut self, event: Event) {
        // Duplicates (a link flapping a hundred times) add nothing after the first few.
        if self.events.len() >= MAX_EVENTS {
            self.dropped += 1;
        } else {
            self.events.push((event, false));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.dropped == 0
    }

    pub fn overflowed(&self) -> bool {
        self.events
            .iter()
            .any(|(e, _)| e.source == Source::Overflow)
    }

    /// Marks an arrival transient when the same thing departs later in the batch, or when
    /// `still_there` says it is gone now.
    pub fn mark_transient(&mut self, still_there: impl Fn(&Event) -> bool) {
        let n = self.events.len();
        for i in 0..n {
            if !self.events[i].0.is_arrival() {
                continue;
            }
            let subject = self.events[i].0.subject();
            let subject = (subject.0.to_string(), subject.1.to_string());
            let departs = (i + 1..n).find(|&j| {
                let e = &self.events[j].0;
                e.is_departure() && e.subject() == (subject.0.as_str(), subject.1.as_str())
            });
            let gone = departs.is_some() || !still_there(&self.events[i].0);
            if gone {
                self.events[i].1 = true;
                if let Some(j) = departs {
                    self.events[j].1 = true;
                }
            }
        }
    }

    pub fn has_transient(&self) -> bool {
        self.events.iter().any(|(_, t)| *t)
    }

    /// `hotplug` when a device other than a network interface was added or removed,
    /// `network-change` otherwise.
    pub fn trigger(&self) -> v1::Trigger {
        let hotplug = self
            .events
            .iter()
            .any(|(e, _)| e.source == Source::Uevent && !e.is_network());
        if hotplug {
            v1::Trigger::Hotplug
        } else {
            v1::Trigger::NetworkChange
        }
    }

    pub fn to_v1(&self) -> Vec<v1::ChangeEvent> {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        self.events
            .iter()
            .map(|(e, transient)| v1::ChangeEvent {
                source: e.source.as_str().to_string(),
                action: e.action.clone(),
                subsystem: some(&e.subsystem),
                device: some(&e.device),
                name: some(&e.name),
                transient: *transient,
            })
            .collect()
    }

    /// The first event, in a few words, for the journal line.
    pub fn first(&self) -> String {
        self.events
            .first()
            .map(|(e, _)| {
                let what = if e.name.is_empty() {
                    &e.device
                } else {
                    &e.name
                };
                format!("{} {} {}", e.source.as_str(), e.action, what)
            })
            .unwrap_or_default()
    }
}

/// Whether this re-read gets a finding.
pub fn worth_a_finding(before: &Signature, now: &Signature, batch: &Batch) -> bool {
    before != now || batch.has_transient() || batch.overflowed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(source: Source, action: &str, name: &str) -> Event {
        Event::new(source, action, "net", "", name)
    }

    #[test]
    fn an_interface_added_and_removed_in_one_batch_is_transient() {
        let mut b = Batch::default();
        b.push(ev(Source::Link, "new", "tap0"));
        b.push(ev(Source::Link, "new", "eth0"));
        b.push(ev(Source::Link, "del", "tap0"));
        b.mark_transient(|_| true);
        let flags: Vec<bool> = b.events.iter().map(|(_, t)| *t).collect();
        assert_eq!(flags, [true, false, true]);
        let same = Signature::default();
        assert!(worth_a_finding(&same, &same, &b));
        assert_eq!(b.trigger(), v1::Trigger::NetworkChange);
    }

    #[test]
    fn an_arrival_gone_by_the_reread_is_transient_and_a_quiet_batch_is_not_recorded() {
        let mut b = Batch::default();
        b.push(Event::new(
            Source::Uevent,
            "add",
            "block",
            "/devices/virtual/block/zram9",
            "zram9",
        ));
        b.mark_transient(|_| true);
        let same = Signature::default();
        assert!(!worth_a_finding(&same, &same, &b));
        b.mark_transient(|_| false);
        assert!(worth_a_finding(&same, &same, &b));
        assert_eq!(b.trigger(), v1::Trigger::Hotplug);
    }

    #[test]
    fn lost_messages_are_always_recorded_and_batches_are_bounded() {
        let mut b = Batch::default();
        b.push(Event::overflow("uevent"));
        let same = Signature::default();
        assert!(worth_a_finding(&same, &same, &b));
        for _ in 0..1000 {
            b.push(ev(Source::Route, "new", "eth0"));
        }
        assert_eq!(b.events.len(), MAX_EVENTS);
        assert_eq!(b.dropped, 1001 - MAX_EVENTS as u64);
    }

    #[test]
    fn new_failures_name_the_rule_and_evidence() {
        let before = Signature::default();
        let mut now = Signature {
            verdict: "violation".into(),
            ..Default::default()
        };
        now.failing.insert((
            "external-network".into(),
            "fail".into(),
            "default route via v0".into(),
        ));
        assert_eq!(
            now.new_failures(&before),
            ["external-network: default route via v0"]
        );
        assert!(before.new_failures(&now).is_empty());
    }
}
