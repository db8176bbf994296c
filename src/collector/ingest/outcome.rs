//! What one pass over the inbox did, counted for the summary line and the exit code.
//!
//! What it must not do: decide anything about the files; it only adds up what the pass did.

use std::collections::BTreeMap;

use super::RejectKind;
use crate::i18n::{Lang, Msg, Phrase};

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Findings stored for the first time.
    pub stored: u64,
    /// Files whose finding an interrupted earlier run had already stored; now archived.
    pub completed: u64,
    /// Findings that were already stored (replays), archived under a suffixed name.
    pub duplicates: u64,
    pub rejected: BTreeMap<RejectKind, u64>,
    /// Each refused file and why, in inbox order.
    pub rejected_files: Vec<Refused>,
    /// Files left for a later pass (still settling).
    pub deferred: u64,
    /// The pass stopped early because a stop was requested.
    pub stopped: bool,
}

/// A refused file: its name as shown, the kind of refusal, the verifier's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub file: String,
    pub kind: RejectKind,
    pub reason: String,
}

impl Outcome {
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// `stored 3, duplicates 1, rejected 2 (bad-signature 1, host-mismatch 1)`, with what
    /// was left for later or finished from an interrupted run; `new_problems` and the early
    /// stop are added when there are any.
    pub fn summary(&self, new_problems: usize) -> Phrase {
        let kinds = kind_counts(&self.rejected);
        let positive = |n: u64| (n > 0).then_some(n);
        let mut phrase = Phrase::new(Msg::CollectSummary)
            .arg("stored", self.stored)
            .arg("duplicates", self.duplicates)
            .arg("rejected", self.rejected_total())
            .list("kinds", kinds)
            .maybe("deferred", positive(self.deferred))
            .maybe("completed", positive(self.completed))
            .maybe("problems", positive(new_problems as u64));
        if self.stopped {
            phrase = phrase.nest("stopped", Msg::CollectStoppedEarly);
        }
        phrase
    }

    /// Adds another pass's counts to this one.
    pub fn add(&mut self, other: Outcome) {
        self.stored += other.stored;
        self.completed += other.completed;
        self.duplicates += other.duplicates;
        for (kind, n) in other.rejected {
            *self.rejected.entry(kind).or_default() += n;
        }
        self.rejected_files.extend(other.rejected_files);
        self.deferred += other.deferred;
        self.stopped |= other.stopped;
    }
}

/// `bad-signature 2, host-mismatch 1`, each kind in the reader's language.
pub fn kind_counts(rejected: &BTreeMap<RejectKind, u64>) -> Vec<Phrase> {
    rejected
        .iter()
        .map(|(kind, n)| {
            Phrase::new(Msg::CollectKindCount)
                .both(
                    "kind",
                    kind.as_str().to_string(),
                    kind.said().text(Lang::Zh),
                )
                .arg("count", n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_groups_reasons() {
        let mut outcome = Outcome {
            stored: 3,
            duplicates: 1,
            ..Outcome::default()
        };
        outcome.rejected.insert(RejectKind::HostMismatch, 1);
        outcome.rejected.insert(RejectKind::BadSignature, 2);
        assert_eq!(
            outcome.summary(0).en(),
            "stored 3, duplicates 1, rejected 3 (bad-signature 2, host-mismatch 1)"
        );
        assert_eq!(
            outcome.summary(0).zh(),
            "新存 3 份，重复 1 份，拒收 3 份（签名验证失败 2 份、使用了其他主机的密钥签名 1 份）"
        );
        outcome.deferred = 2;
        assert_eq!(
            outcome.summary(1).en(),
            "stored 3, duplicates 1, rejected 3 (bad-signature 2, host-mismatch 1); 2 left for a \
             later pass (still being written), new chain problems 1"
        );
    }
}
