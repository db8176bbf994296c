//! Judging one host's chain of findings: what is missing, forked, broken or restarted.
//!
//! Each finding names its sequence number and the digest of the envelope before it (as the
//! agent wrote it). Findings travel by share or by carried media and arrive in any order, so
//! the chain is judged from the whole stored set every time rather than frozen as files come
//! in: a gap that a later file fills simply stops being reported. Replays are not judged here;
//! a replayed finding (the same signed payload, however its envelope is formatted) is never
//! stored twice, so the store records those as events when they arrive.
//!
//! How the set is read: a finding whose `previous` is a stored digest hangs under that finding;
//! the rest are roots, either declared chain starts (`chain_reset`) or findings whose
//! predecessor never arrived. Two findings naming the same predecessor are a fork. A root with
//! a missing predecessor is a gap, placed after the latest earlier finding of the host (by the
//! host's clock, then sequence), or a broken link if that finding has the very sequence the
//! predecessor should have had. The host's first finding declaring "first run" is the normal
//! start of a chain and is not reported; every other reset is.
//!
//! A host's latest finding comes from the chains alone, never from the order of arrival:
//! within a chain the highest sequence (forks are reported, and their branches compared by
//! sequence, then the host's clock); between chains, the one whose newest finding is newest
//! by the host's clock. So a genuine but old finding delivered late, a new chain's root among
//! them, can never supersede what the host said since. Remaining ties are broken by digest.
//!
//! What it must not do: touch the database or the file system, trust one finding's claims
//! about another, or panic on any combination of sequences and digests (they are signed by
//! the host, but a compromised host signs whatever it likes).

use std::collections::{BTreeMap, HashMap};

use crate::collector::model::ChainProblemKind;
use crate::finding::chain_state::REASON_FIRST_RUN;
use crate::i18n::{Msg, Phrase, Said};

/// One stored finding as the chain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Store row id; later arrivals have larger ids.
    pub id: i64,
    /// Hex SHA-256 of the envelope as stored.
    pub digest: String,
    /// Hex SHA-256 of the envelope in the form the agent writes it, which is what the next
    /// finding's `previous` names even when this copy was re-formatted on its way in.
    pub link_digest: String,
    pub sequence: u64,
    pub previous: Option<String>,
    /// `chain_reset.reason`, when the finding declares a new chain.
    pub reset_reason: Option<String>,
    /// The host's time of the finding (RFC 3339 UTC, as the agent writes it).
    pub time: String,
    /// When the collector stored it (RFC 3339 UTC).
    pub received_at: String,
    /// The inbox file name it arrived under.
    pub file: String,
}

/// A problem found in one host's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ChainProblemKind,
    pub sequence: Option<u64>,
    /// What happened, in both languages.
    pub detail: Said,
    /// When the finding that revealed it was stored.
    pub noticed_at: String,
}

/// The verdict on one host's chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Analysis {
    /// In sequence order.
    pub problems: Vec<Problem>,
    /// Index into the input of the host's latest finding: the highest sequence of the chain
    /// whose newest finding is newest by the host's clock.
    pub latest: Option<usize>,
}

/// Shortened digest for messages: enough to find the file, short enough to read.
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// Judges one host's findings (in any order).
pub fn analyse(links: &[Link]) -> Analysis {
    if links.is_empty() {
        return Analysis::default();
    }
    let mut by_digest: HashMap<&str, usize> = HashMap::with_capacity(links.len());
    for (i, l) in links.iter().enumerate() {
        by_digest.insert(l.digest.as_str(), i);
        by_digest.insert(l.link_digest.as_str(), i);
    }
    // Ordering by the host's clock, then sequence, then digest (never arrival); RFC 3339 UTC
    // at whole seconds, as the agent writes it, sorts as text.
    let clock_key = |i: usize| {
        (
            links[i].time.as_str(),
            links[i].sequence,
            links[i].digest.as_str(),
        )
    };
    let earliest = (0..links.len()).min_by_key(|&i| clock_key(i));

    let mut problems = Vec::new();
    let mut parent: Vec<Option<usize>> = vec![None; links.len()];
    let mut children: BTreeMap<&str, Vec<usize>> = BTreeMap::new();

    for (i, link) in links.iter().enumerate() {
        if let Some(reason) = &link.reset_reason {
            let normal_start = Some(i) == earliest && reason == REASON_FIRST_RUN;
            if !normal_start {
                problems.push(Problem {
                    kind: ChainProblemKind::Reset,
                    sequence: Some(link.sequence),
                    detail: Msg::ChainResetDeclared
                        .with("sequence", link.sequence)
                        .arg("file", &link.file)
                        .arg("reason", crate::text::display_safe(reason, 300))
                        .into(),
                    noticed_at: link.received_at.clone(),
                });
            }
        }
        let Some(previous) = &link.previous else {
            continue;
        };
        children.entry(previous.as_str()).or_default().push(i);
        match by_digest.get(previous.as_str()) {
            Some(&p) if p != i => {
                parent[i] = Some(p);
                let expected = links[p].sequence.checked_add(1);
                if expected != Some(link.sequence) {
                    problems.push(Problem {
                        kind: ChainProblemKind::BrokenLink,
                        sequence: Some(link.sequence),
                        detail: Msg::ChainNamesOther
                            .with("sequence", link.sequence)
                            .arg("file", &link.file)
                            .arg("other", links[p].sequence)
                            .arg("other_file", &links[p].file)
                            .into(),
                        noticed_at: later(&link.received_at, &links[p].received_at),
                    });
                }
            }
            // A finding naming itself cannot exist (its digest covers the name), but a
            // hostile set is not assumed well-formed.
            Some(_) => {}
            None => problems.push(missing_predecessor(links, i, previous)),
        }
    }

    for (previous, kids) in &children {
        if kids.len() < 2 {
            continue;
        }
        let mut kids = kids.clone();
        kids.sort_by_key(|&k| (links[k].sequence, links[k].digest.as_str()));
        let listed: Vec<Phrase> = kids
            .iter()
            .map(|&k| {
                Msg::ChainForkMember
                    .with("sequence", links[k].sequence)
                    .arg("digest", short(&links[k].digest))
                    .arg("file", &links[k].file)
            })
            .collect();
        let noticed = kids
            .iter()
            .map(|&k| links[k].received_at.as_str())
            .max()
            .unwrap_or_default()
            .to_string();
        problems.push(Problem {
            kind: ChainProblemKind::Fork,
            sequence: kids.first().map(|&k| links[k].sequence),
            detail: Msg::ChainFork
                .with("count", kids.len())
                .arg("previous", short(previous))
                .list("members", listed)
                .into(),
            noticed_at: noticed,
        });
    }

    problems.sort_by(|a, b| {
        (a.sequence, kind_order(a.kind), &a.detail.en).cmp(&(
            b.sequence,
            kind_order(b.kind),
            &b.detail.en,
        ))
    });

    Analysis {
        problems,
        latest: latest(links, &parent),
    }
}

fn kind_order(kind: ChainProblemKind) -> u8 {
    match kind {
        ChainProblemKind::Gap => 0,
        ChainProblemKind::BrokenLink => 1,
        ChainProblemKind::Fork => 2,
        ChainProblemKind::Replay => 3,
        ChainProblemKind::Reset => 4,
    }
}

fn later(a: &str, b: &str) -> String {
    a.max(b).to_string()
}

/// The finding `i` names a predecessor that is not stored: say what is missing.
fn missing_predecessor(links: &[Link], i: usize, previous: &str) -> Problem {
    let link = &links[i];
    // The finding that came before on this host: the latest by the host's clock among those
    // with a lower sequence. After a chain reset the old chain's high numbers are earlier in
    // time, so the clock picks the right chain where the sequence alone would not.
    let before = links
        .iter()
        .enumerate()
        .filter(|(j, l)| *j != i && l.sequence < link.sequence && l.time <= link.time)
        .max_by_key(|(_, l)| (l.time.as_str(), l.sequence, l.digest.as_str()));
    let wanted = link.sequence.checked_sub(1);
    match before {
        Some((_, b)) if Some(b.sequence) == wanted => Problem {
            kind: ChainProblemKind::BrokenLink,
            sequence: Some(link.sequence),
            detail: Msg::ChainWrongPrevious
                .with("sequence", link.sequence)
                .arg("file", &link.file)
                .arg("previous", short(previous))
                .arg("other", b.sequence)
                .arg("other_file", &b.file)
                .arg("other_digest", short(&b.digest))
                .into(),
            noticed_at: later(&link.received_at, &b.received_at),
        },
        Some((_, b)) => {
            let first = b.sequence.saturating_add(1);
            let last = link.sequence.saturating_sub(1);
            let range = if first == last {
                Msg::ChainGapOne.with("first", first)
            } else {
                Msg::ChainGapRange.with("first", first).arg("last", last)
            };
            Problem {
                kind: ChainProblemKind::Gap,
                sequence: Some(first),
                detail: range
                    .arg("before", b.sequence)
                    .arg("before_file", &b.file)
                    .arg("after", link.sequence)
                    .arg("after_file", &link.file)
                    .into(),
                noticed_at: later(&link.received_at, &b.received_at),
            }
        }
        None => match wanted {
            Some(last) if last >= 1 => Problem {
                kind: ChainProblemKind::Gap,
                sequence: Some(last),
                detail: Msg::ChainGapBefore
                    .with("last", last)
                    .arg("sequence", link.sequence)
                    .arg("file", &link.file)
                    .arg("previous", short(previous))
                    .into(),
                noticed_at: link.received_at.clone(),
            },
            _ => Problem {
                kind: ChainProblemKind::BrokenLink,
                sequence: Some(link.sequence),
                detail: Msg::ChainNothingBefore
                    .with("sequence", link.sequence)
                    .arg("file", &link.file)
                    .arg("previous", short(previous))
                    .into(),
                noticed_at: link.received_at.clone(),
            },
        },
    }
}

/// The latest finding: the highest sequence (then the host's clock) in the chain whose own
/// newest finding is newest by the host's clock. Arrival order plays no part.
fn latest(links: &[Link], parent: &[Option<usize>]) -> Option<usize> {
    let root_of = |mut i: usize| {
        // Bounded walk: a cycle of digests is impossible with sha256, but not assumed.
        for _ in 0..links.len() {
            match parent[i] {
                Some(p) => i = p,
                None => break,
            }
        }
        i
    };
    let within = |i: usize| {
        let l = &links[i];
        (l.sequence, l.time.as_str(), l.digest.as_str())
    };
    // Each chain's tip, by root.
    let mut tips: HashMap<usize, usize> = HashMap::new();
    for i in 0..links.len() {
        let tip = tips.entry(root_of(i)).or_insert(i);
        if within(i) > within(*tip) {
            *tip = i;
        }
    }
    tips.into_iter()
        .max_by_key(|&(root, tip)| {
            let (t, r) = (&links[tip], &links[root]);
            (
                (t.time.as_str(), t.sequence),
                (r.time.as_str(), r.sequence),
                t.digest.as_str(),
            )
        })
        .map(|(_, tip)| tip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(id: i64, seq: u64, prev: Option<i64>, reset: Option<&str>, time: u32) -> Link {
        Link {
            id,
            digest: format!("{id:064x}"),
            link_digest: format!("{id:064x}"),
            sequence: seq,
            previous: prev.map(|p| format!("{p:064x}")),
            reset_reason: reset.map(str::to_string),
            time: format!("2026-01-01T00:{:02}:{:02}Z", time / 60, time % 60),
            received_at: "2026-02-01T00:00:00Z".into(),
            file: format!("f{id}"),
        }
    }

    fn kinds(a: &Analysis) -> Vec<(ChainProblemKind, Option<u64>)> {
        a.problems.iter().map(|p| (p.kind, p.sequence)).collect()
    }

    const FIRST: Option<&str> = Some(REASON_FIRST_RUN);

    #[test]
    fn clean_chain_in_any_order() {
        let links = vec![
            link(3, 3, Some(2), None, 3),
            link(1, 1, None, FIRST, 1),
            link(2, 2, Some(1), None, 2),
        ];
        let a = analyse(&links);
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        assert_eq!(a.latest, Some(0));
    }

    #[test]
    fn gap_then_filled() {
        let mut links = vec![
            link(1, 1, None, FIRST, 1),
            link(3, 3, Some(2), None, 3),
            link(4, 4, Some(3), None, 4),
        ];
        let a = analyse(&links);
        assert_eq!(kinds(&a), vec![(ChainProblemKind::Gap, Some(2))]);
        assert!(a.problems[0]
            .detail
            .en
            .starts_with("sequence 2 never arrived"));
        links.push(link(2, 2, Some(1), None, 2));
        assert!(analyse(&links).problems.is_empty());
    }

    #[test]
    fn wider_gap_and_missing_start() {
        let links = vec![link(1, 1, None, FIRST, 1), link(5, 5, Some(4), None, 5)];
        let a = analyse(&links);
        assert_eq!(kinds(&a), vec![(ChainProblemKind::Gap, Some(2))]);
        assert!(a.problems[0].detail.en.contains("sequences 2 to 4"));
        let a = analyse(&[link(7, 7, Some(6), None, 1)]);
        assert_eq!(kinds(&a), vec![(ChainProblemKind::Gap, Some(6))]);
    }

    #[test]
    fn fork_and_broken_link() {
        let links = vec![
            link(1, 1, None, FIRST, 1),
            link(2, 2, Some(1), None, 2),
            link(3, 2, Some(1), None, 3),
        ];
        let a = analyse(&links);
        assert_eq!(kinds(&a), vec![(ChainProblemKind::Fork, Some(2))]);
        assert_eq!(a.latest, Some(2));

        // Sequence 3 names a digest that is not the stored sequence 2.
        let links = vec![
            link(1, 1, None, FIRST, 1),
            link(2, 2, Some(1), None, 2),
            link(3, 3, Some(99), None, 3),
        ];
        assert_eq!(
            kinds(&analyse(&links)),
            vec![(ChainProblemKind::BrokenLink, Some(3))]
        );
        // Sequence numbers that skip while the digest links.
        let links = vec![link(1, 1, None, FIRST, 1), link(2, 5, Some(1), None, 2)];
        assert_eq!(
            kinds(&analyse(&links)),
            vec![(ChainProblemKind::BrokenLink, Some(5))]
        );
    }

    #[test]
    fn resets_start_new_chains_without_gaps() {
        // Old chain 1..3, state lost, new chain from 1 again, then its 3 without its 2.
        let links = vec![
            link(1, 1, None, FIRST, 1),
            link(2, 2, Some(1), None, 2),
            link(3, 3, Some(2), None, 3),
            link(11, 1, None, FIRST, 10),
            link(13, 3, Some(12), None, 12),
        ];
        let a = analyse(&links);
        assert_eq!(
            kinds(&a),
            vec![
                (ChainProblemKind::Reset, Some(1)),
                (ChainProblemKind::Gap, Some(2))
            ]
        );
        assert_eq!(a.latest, Some(4));
        // A corrupt state continues the numbers; the reset is reported with its reason.
        let links = vec![
            link(1, 1, None, FIRST, 1),
            link(2, 2, Some(1), None, 2),
            link(3, 3, None, Some("state file corrupt: x"), 3),
        ];
        let a = analyse(&links);
        assert_eq!(kinds(&a), vec![(ChainProblemKind::Reset, Some(3))]);
        assert!(a.problems[0].detail.en.contains("state file corrupt: x"));
    }

    /// Which finding is a host's latest is decided by the chains alone, never by arrival:
    /// whatever order the same findings were stored in, the same one is latest.
    #[test]
    fn latest_does_not_depend_on_arrival_order() {
        // Two chains whose roots carry the same time and sequence (a state lost twice within
        // a second), one of them continued; and an old chain's root arriving last.
        let mut old_root = link(7, 1, None, FIRST, 0);
        old_root.digest = format!("{:064x}", 0xd1);
        old_root.link_digest = old_root.digest.clone();
        let mut a = link(1, 1, None, Some("state file corrupt: x"), 10);
        a.digest = format!("{:064x}", 0xa1);
        a.link_digest = a.digest.clone();
        let mut b = link(2, 1, None, Some("state file corrupt: x"), 10);
        b.digest = format!("{:064x}", 0xb1);
        b.link_digest = b.digest.clone();
        let mut b2 = link(3, 2, None, None, 11);
        b2.previous = Some(b.digest.clone());
        let links = [old_root, a, b, b2];
        let expected = &links[3].digest;
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 0, 3, 2], [2, 3, 0, 1]] {
            let arrived: Vec<Link> = order
                .iter()
                .enumerate()
                .map(|(id, &i)| Link {
                    id: id as i64,
                    ..links[i].clone()
                })
                .collect();
            let latest = analyse(&arrived).latest.map(|i| &arrived[i].digest);
            assert_eq!(latest, Some(expected), "arrival order {order:?}");
        }
        // Without the continuation, the tie between the two roots is not broken by arrival.
        let pair = |first: &Link, second: &Link| {
            let arrived = [
                Link {
                    id: 1,
                    ..first.clone()
                },
                Link {
                    id: 2,
                    ..second.clone()
                },
            ];
            let i = analyse(&arrived).latest.unwrap();
            arrived[i].digest.clone()
        };
        assert_eq!(pair(&links[1], &links[2]), pair(&links[2], &links[1]));
    }

    #[test]
    fn hostile_sets_do_not_panic() {
        let mut looped = link(1, u64::MAX, Some(1), None, 1);
        looped.time = String::new();
        let links = vec![
            looped,
            link(2, 0, Some(2), Some("x"), 0),
            link(3, 0, Some(5), None, 0),
            link(4, u64::MAX, Some(3), None, 0),
        ];
        let _ = analyse(&links);
    }
}
