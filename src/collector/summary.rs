//! What `collect` tells the person (or the journal) after a pass: each refused file, each
//! chain problem the pass newly revealed, and one summary line.
//!
//! Chain problems are recomputed from the whole store after every pass (a late finding can
//! close a gap as well as open one), so "new" means "not in the set known before the pass":
//! a problem already reported is not repeated, one that went away and came back is.
//!
//! What it must not do: print (the binary does), or show anything a workstation wrote without
//! `display_safe` (control characters made visible, length bounded).

use std::collections::{BTreeMap, BTreeSet};

use crate::collector::bundle::Imported;
use crate::collector::ingest::{kind_counts, Outcome, Refused};
use crate::collector::model::ChainProblem;
use crate::collector::store::{problem_key, problem_keys, ProblemKey, Store, StoreError};
use crate::i18n::{Lang, Msg, Phrase};
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
pub fn describe_pass(outcome: &Outcome, new: &[ChainProblem], lang: Lang) -> String {
    let mut text = String::new();
    refused_lines(&outcome.rejected_files, lang, &mut text);
    text.push_str(&describe_problems(new, lang));
    text.push_str(&outcome.summary(new.len()).render(lang));
    text.push('\n');
    text
}

/// The text printed after one bundle's import: each refused envelope, the summary line,
/// and what the unit trusts that this collector does not.
pub fn describe_import(done: &Imported, lang: Lang) -> String {
    let short = done.digest.get(..16).unwrap_or(&done.digest);
    if let Some(at) = &done.imported_before {
        let line = Msg::ImportBefore
            .with("sequence", done.sequence)
            .arg("unit", &done.unit)
            .arg("digest", short)
            .arg("at", at);
        return format!("{}\n", line.render(lang));
    }
    let mut text = String::new();
    refused_lines(&done.refused, lang, &mut text);
    let mut kinds = BTreeMap::new();
    for refused in &done.refused {
        *kinds.entry(refused.kind).or_insert(0u64) += 1;
    }
    let line = Phrase::new(Msg::ImportStored)
        .arg("sequence", done.sequence)
        .arg("unit", &done.unit)
        .arg("stored", done.stored)
        .arg("already", done.already)
        .arg("refused", done.refused.len())
        .list("kinds", kind_counts(&kinds));
    text.push_str(&line.render(lang));
    text.push('\n');
    if done.keys_not_enrolled + done.keys_other_host > 0 {
        let line = Msg::ImportKeys
            .with("absent", done.keys_not_enrolled)
            .arg("other", done.keys_other_host);
        text.push_str(&line.render(lang));
        text.push('\n');
    }
    text
}

/// One line per refused file or envelope.
fn refused_lines(refused: &[Refused], lang: Lang, text: &mut String) {
    for refused in refused {
        let line = Phrase::new(Msg::CollectRejectedFile)
            .arg("file", display_safe(&refused.file, 120))
            .both(
                "kind",
                refused.kind.as_str().to_string(),
                refused.kind.said().text(Lang::Zh),
            )
            .arg("reason", display_safe(&refused.reason, 400));
        text.push_str(&line.render(lang));
        text.push('\n');
    }
}

/// One line per newly revealed chain problem.
pub fn describe_problems(new: &[ChainProblem], lang: Lang) -> String {
    let mut text = String::new();
    for p in new {
        let detail_zh = if p.detail_zh.is_empty() {
            &p.detail
        } else {
            &p.detail_zh
        };
        let line = Phrase::new(Msg::CollectChainProblem)
            .arg("kind", p.kind.as_str())
            .arg("host", display_safe(&p.host_id, 64))
            .maybe("sequence", p.sequence)
            .both(
                "detail",
                display_safe(&p.detail, 400).to_string(),
                display_safe(detail_zh, 400).to_string(),
            );
        text.push_str(&line.render(lang));
        text.push('\n');
    }
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
        outcome.rejected_files.push(Refused {
            file: "x\u{1b}[31m.json".into(),
            kind: RejectKind::Malformed,
            reason: "eof".into(),
        });
        let mut gap = problem(ChainProblemKind::Gap, 2, "sequence 2 never arrived");
        gap.detail_zh = "序号 2 未送达".into();
        let new = [gap];
        assert_eq!(
            describe_pass(&outcome, &new, Lang::Zh),
            "已拒收 x\\x1b[31m.json：不是格式正确的签名检查结果（eof）\n\
             链问题：缺号，主机 ws-1，序号 2：序号 2 未送达\n\
             新存 2 份，重复 0 份，拒收 1 份（不是格式正确的签名检查结果 1 份），新发现链问题 1 个\
             （提前停止）\n"
        );
        assert_eq!(
            describe_pass(&outcome, &new, Lang::En),
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
