//! What one pass over the inbox did, counted for the summary line and the exit code.
//!
//! What it must not do: decide anything about the files; it only adds up what the pass did.

use std::collections::BTreeMap;

use super::RejectKind;

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
    pub rejected_files: Vec<(String, String)>,
    /// Files left for a later pass (still settling).
    pub deferred: u64,
    /// The pass stopped early because a stop was requested.
    pub stopped: bool,
}

impl Outcome {
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// `stored 3, duplicates 1, rejected 2 (bad-signature 1, host-mismatch 1)`.
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "stored {}, duplicates {}, rejected {}",
            self.stored,
            self.duplicates,
            self.rejected_total()
        );
        if !self.rejected.is_empty() {
            let parts: Vec<String> = self
                .rejected
                .iter()
                .map(|(kind, n)| format!("{} {n}", kind.as_str()))
                .collect();
            line.push_str(&format!(" ({})", parts.join(", ")));
        }
        if self.deferred > 0 {
            line.push_str(&format!(
                "; {} left for a later pass (still being written)",
                self.deferred
            ));
        }
        if self.completed > 0 {
            line.push_str(&format!(
                "; {} already stored by an interrupted run, now archived",
                self.completed
            ));
        }
        line
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
            outcome.summary_line(),
            "stored 3, duplicates 1, rejected 3 (bad-signature 2, host-mismatch 1)"
        );
    }
}
