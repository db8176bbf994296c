//! What `collect` tells the person (or the journal) after a pass: each refused file, each
//! chain problem the pass newly revealed, and one summary line.
//!
//! Chain problems are recomputed from the whole store after every pass (a late finding can
//! close a gap as well as open one), so "new" means "not in the set known before the pass":
//! a problem already reported is not repeated, one that went away and came back is.
//!
//! What it must not do: print (the binary does), or show anything a workstation wrote without
//! `display_safe` (control characters made visible, length bounded).

use std::collections::BTreeSet;

use crate::collector::ingest::Outcome;
use crate::collector::model::ChainProblem;
use crate::collector::store::{problem_key, problem_keys, ProblemKey, Store, StoreError};
use crate::text::display_safe;

/// The chain problems known so far, to tell which ones a pass revealed.
#[derive(Debug, Default)]
pub struct ProblemTracker {
    known: BTreeSet<ProblemKey>,
}

impl ProblemTracker {
    /// Starts from what the store shows now.
    pub fn start(store: &Store) -> Result<ProblemTracker, StoreError> {
        Ok(ProblemTracker {
            known: problem_keys(&store.chain_problems()?),
        })
    }

    /// Chain problems the store shows now that were not known; they become known.
    pub fn newly_revealed(&mut self, store: &Store) -> Result<Vec<ChainProblem>, StoreError> {
        Ok(self.update(store.chain_problems()?))
    }

    /// `current` is every problem there is now; returns those not known before.
    pub fn update(&mut self, current: Vec<ChainProblem>) -> Vec<ChainProblem> {
        let keys = problem_keys(&current);
        let fresh = current
            .into_iter()
            .filter(|p| !self.known.contains(&problem_key(p)))
            .collect();
        self.known = keys;
        fresh
    }
}

/// Whether a `--watch` pass is worth a line: it did something, or revealed something.
pub fn worth_telling(outcome: &Outcome, new: &[ChainProblem]) -> bool {
    outcome.rejected_total() + outcome.stored + outcome.duplicates + outcome.completed > 0
        || !new.is_empty()
}

/// The text printed after a pass, ending with the summary line and a newline.
pub fn describe_pass(outcome: &Outcome, new: &[ChainProblem]) -> String {
    let mut text = String::new();
    for (file, reason) in &outcome.rejected_files {
        text.push_str(&format!(
            "rejected {}: {}\n",
            display_safe(file, 120),
            display_safe(reason, 400)
        ));
    }
    for p in new {
        text.push_str(&format!(
            "chain {} host {}{}: {}\n",
            p.kind.as_str(),
            display_safe(&p.host_id, 64),
            p.sequence
                .map(|s| format!(" sequence {s}"))
                .unwrap_or_default(),
            display_safe(&p.detail, 400)
        ));
    }
    text.push_str(&outcome.summary_line());
    if !new.is_empty() {
        text.push_str(&format!(", new chain problems {}", new.len()));
    }
    if outcome.stopped {
        text.push_str(" (stopped early)");
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::ingest::RejectKind;
    use crate::collector::model::ChainProblemKind;

    fn problem(kind: ChainProblemKind, sequence: u64, detail: &str) -> ChainProblem {
        ChainProblem {
            host_id: "ws-1".into(),
            hostname: None,
            kind,
            sequence: Some(sequence),
            detail: detail.into(),
            detail_zh: String::new(),
            noticed_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn only_problems_not_known_before_are_new() {
        let gap = problem(ChainProblemKind::Gap, 2, "sequence 2 never arrived");
        let fork = problem(ChainProblemKind::Fork, 5, "2 different findings");
        let mut tracker = ProblemTracker::default();
        assert_eq!(tracker.update(vec![gap.clone()]), vec![gap.clone()]);
        assert_eq!(tracker.update(vec![gap.clone(), fork.clone()]), vec![fork]);
        // The gap closed, then opened again: said again.
        assert!(tracker.update(vec![]).is_empty());
        assert_eq!(tracker.update(vec![gap.clone()]), vec![gap]);
    }

    #[test]
    fn a_pass_is_described_file_by_file_then_summed_up() {
        let mut outcome = Outcome {
            stored: 2,
            stopped: true,
            ..Outcome::default()
        };
        outcome.rejected.insert(RejectKind::Malformed, 1);
        outcome
            .rejected_files
            .push(("x\u{1b}[31m.json".into(), "malformed: eof".into()));
        let new = [problem(
            ChainProblemKind::Gap,
            2,
            "sequence 2 never arrived",
        )];
        assert_eq!(
            describe_pass(&outcome, &new),
            "rejected x\\x1b[31m.json: malformed: eof\n\
             chain gap host ws-1 sequence 2: sequence 2 never arrived\n\
             stored 2, duplicates 0, rejected 1 (malformed 1), new chain problems 1 \
             (stopped early)\n"
        );
        assert!(worth_telling(&outcome, &[]));
        assert!(!worth_telling(&Outcome::default(), &[]));
        assert!(worth_telling(&Outcome::default(), &new));
    }
}
