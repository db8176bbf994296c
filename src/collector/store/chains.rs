//! Chain problems as the store knows them: each host's stored set judged by
//! `collector::chain`, plus the replays recorded as they arrived.
//!
//! What it must not do: judge a chain itself (that is `chain::analyse`, pure and tested
//! alone) or depend on which database holds the rows.

use std::collections::BTreeSet;

use crate::collector::chain;
use crate::collector::model::{ChainProblem, ChainProblemKind};
use crate::i18n::Msg;

use super::backend::{Backend, ReplayRow};
use super::StoreError;

/// A replay event as a chain problem.
pub(super) fn replay_problem(row: ReplayRow) -> ChainProblem {
    let ReplayRow {
        host_id,
        hostname,
        sequence,
        original,
        digest,
        file,
        archived_as,
        noticed_at,
    } = row;
    let detail = Msg::ChainReplayed
        .with("file", file)
        .arg("original", original)
        .arg("digest", digest.get(..12).unwrap_or(&digest))
        .arg("archived_as", archived_as);
    ChainProblem {
        host_id,
        hostname,
        kind: ChainProblemKind::Replay,
        sequence: u64::try_from(sequence).ok(),
        detail: detail.en(),
        detail_zh: detail.zh(),
        noticed_at,
    }
}

/// All chain problems: computed from the stored set, plus recorded replays, by host.
pub(super) fn chain_problems(db: &dyn Backend) -> Result<Vec<ChainProblem>, StoreError> {
    let links = db.links_by_host()?;
    let mut out = Vec::new();
    for (host, host_links) in &links {
        let analysis = chain::analyse(host_links);
        let hostname = match analysis.latest.and_then(|i| host_links.get(i)) {
            Some(latest) => db.hostname_of(latest.id)?,
            None => None,
        };
        for p in analysis.problems {
            out.push(ChainProblem {
                host_id: host.clone(),
                hostname: hostname.clone(),
                kind: p.kind,
                sequence: p.sequence,
                detail: p.detail.en,
                detail_zh: p.detail.zh,
                noticed_at: p.noticed_at,
            });
        }
    }
    out.extend(db.replays()?.into_iter().map(replay_problem));
    sort(&mut out);
    Ok(out)
}

pub(super) fn sort(problems: &mut [ChainProblem]) {
    problems.sort_by(|a, b| (&a.host_id, a.sequence).cmp(&(&b.host_id, b.sequence)));
}

/// A stable key for "the same problem", to tell problems a collect run newly revealed.
pub type ProblemKey = (String, &'static str, Option<u64>, String);

pub fn problem_key(p: &ChainProblem) -> ProblemKey {
    (
        p.host_id.clone(),
        p.kind.as_str(),
        p.sequence,
        p.detail.clone(),
    )
}

pub fn problem_keys(problems: &[ChainProblem]) -> BTreeSet<ProblemKey> {
    problems.iter().map(problem_key).collect()
}
