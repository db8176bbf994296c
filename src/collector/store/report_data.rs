//! What the central report shows, built from the store alone (no trust folder needed).
//!
//! What it must not do: render anything (that is `report::*`), or decide a host's latest
//! finding any other way than `chain::analyse` does.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{mpsc, Mutex};
use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Deserialize;

use crate::collector::brief::{self, Brief, FailedEvidence};
use crate::collector::chain::{self, Link};
use crate::collector::cores::map_on_cores;
use crate::collector::model::{
    ChainProblem, HostRow, ReportData, RuleCount, Title, Totals, Violation, REPORT_SCHEMA,
};
use crate::finding::dsse::Envelope;
use crate::finding::v1::{self, Open, Severity, Verdict};
use crate::time::{parse_rfc3339_utc, rfc3339_utc, unix_seconds};

use super::backend::{Backend, Blob};
use super::chains::{replay_problem, sort};
use super::StoreError;

/// Decodes a stored envelope's payload without re-checking the signature (it was checked
/// before the envelope was stored; `reverify` checks again).
pub fn decode_payload(envelope: &[u8]) -> Result<v1::Finding, String> {
    let env: Envelope = serde_json::from_slice(envelope).map_err(|e| e.to_string())?;
    let payload = BASE64
        .decode(env.payload.as_bytes())
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&payload).map_err(|e| e.to_string())
}

/// Decodes an envelope's payload into `scratch` (kept by the caller from one finding to the
/// next: allocating and zeroing fresh 50 KB buffers 100,000 times is a quarter of the time
/// otherwise) and reads its brief and evidence from it.
fn brief_of_envelope(envelope: &[u8], scratch: &mut Vec<u8>) -> Option<(Brief, FailedEvidence)> {
    // The payload's base64 has no escapes, so it is borrowed rather than copied.
    #[derive(Deserialize)]
    struct EnvelopePayload<'a> {
        #[serde(borrow)]
        payload: std::borrow::Cow<'a, str>,
    }
    let env: EnvelopePayload<'_> = serde_json::from_slice(envelope).ok()?;
    scratch.clear();
    BASE64.decode_vec(env.payload.as_bytes(), scratch).ok()?;
    brief::from_payload(scratch)
}

/// Blobs queued for the decoders: enough to keep them busy while the database reads, few
/// enough that the queue stays a few MiB.
const QUEUE: usize = 64;

/// How much device evidence the report data carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceRows {
    /// All of it (JSON, CSV, OCSF).
    All,
    /// The evidence of the violations, in the order a page shows them
    /// ([`Violation::display_order`]), up to at least this many rows; the rest is counted
    /// (`evidence_left_out`), not read.
    First(usize),
}

/// What was read of each latest finding, by finding id.
struct Latest {
    briefs: HashMap<i64, Brief>,
    /// Evidence already read (from envelopes, for findings stored without a brief).
    evidence: HashMap<i64, FailedEvidence>,
}

/// The latest findings named by `ids`: from their briefs, and from their envelopes for those
/// without one. A stored envelope was decoded before it was stored; one that no longer decodes
/// is missing from the answer (the host is shown with an unreadable latest finding, and
/// reverify names it).
fn latest_of(db: &dyn Backend, ids: &[i64]) -> Result<Latest, StoreError> {
    // In id order, which is the tables' own: each look-up lands near the last.
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    let mut briefs = decode_all(db, Blob::Brief, &ids, &|bytes, _| brief::read(bytes))?;
    let without: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !briefs.contains_key(id))
        .collect();
    let mut evidence = HashMap::new();
    if !without.is_empty() {
        let decoded = decode_all(db, Blob::Envelope, &without, &brief_of_envelope)?;
        for (id, (brief, devices)) in decoded {
            briefs.insert(id, brief);
            evidence.insert(id, devices);
        }
    }
    Ok(Latest { briefs, evidence })
}

/// How a blob is decoded, with a scratch buffer kept from one blob to the next.
type Decode<'a, T> = dyn Fn(&[u8], &mut Vec<u8>) -> Option<T> + Sync + 'a;

/// The `kind` blobs of `ids`, decoded by `decode` on every core while this thread reads;
/// blobs that do not decode are left out of the answer.
fn decode_all<T: Send>(
    db: &dyn Backend,
    kind: Blob,
    ids: &[i64],
    decode: &Decode<'_, T>,
) -> Result<HashMap<i64, T>, StoreError> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let (decoded_tx, decoded_rx) = mpsc::channel();
    let (queue_tx, queue_rx) = mpsc::sync_channel::<(i64, Vec<u8>)>(QUEUE);
    // Buffers go back to the reader once decoded, so the same few are filled again.
    let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
    let queue_rx = Mutex::new(queue_rx);
    let read = std::thread::scope(|scope| {
        let queue_tx = queue_tx;
        for _ in 0..workers {
            let (queue_rx, decoded_tx, spare_tx) =
                (&queue_rx, decoded_tx.clone(), spare_tx.clone());
            scope.spawn(move || {
                let mut scratch = Vec::new();
                loop {
                    // A poisoned lock means another decoder panicked; the scope reports that.
                    let next = match queue_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((id, bytes)) = next else { return };
                    if let Some(decoded) = decode(&bytes, &mut scratch) {
                        let _ = decoded_tx.send((id, decoded));
                    }
                    let _ = spare_tx.send(bytes);
                }
            });
        }
        // Dropping the queue's sender when reading ends (done or failed) lets the decoders
        // finish what is queued and stop.
        db.blobs(kind, ids, &mut |id, bytes: &[u8]| {
            let mut buffer = spare_rx.try_recv().unwrap_or_default();
            buffer.clear();
            buffer.extend_from_slice(bytes);
            // Decoders only stop once the queue is closed, so a send cannot fail here.
            let _ = queue_tx.send((id, buffer));
            Ok(())
        })
    });
    drop(decoded_tx);
    read?;
    Ok(decoded_rx.into_iter().collect())
}

/// Puts each violation's evidence in (`sources[i]` is the finding and failed-rule index of
/// `violations[i]`, whose `evidence_left_out` holds its device count): for all of them, or
/// for those in the first `rows` rows in display order. Evidence not yet read is read here.
fn fill_evidence(
    db: &dyn Backend,
    violations: &mut [Violation],
    sources: &[(i64, usize)],
    rows: EvidenceRows,
    mut evidence: HashMap<i64, FailedEvidence>,
) -> Result<(), StoreError> {
    let mut wanted = Vec::new();
    let mut shown = 0usize;
    for (i, violation) in violations.iter().enumerate() {
        if let EvidenceRows::First(limit) = rows {
            if shown >= limit {
                break;
            }
        }
        // Not yet filled in, so the device count is all in `evidence_left_out`.
        let rows_of = usize::try_from(violation.evidence_left_out).unwrap_or(usize::MAX);
        shown = shown.saturating_add(rows_of.max(1));
        wanted.push(i);
    }
    let mut to_read: Vec<i64> = wanted
        .iter()
        .filter_map(|&i| sources.get(i).map(|s| s.0))
        .filter(|id| !evidence.contains_key(id))
        .collect();
    to_read.sort_unstable();
    to_read.dedup();
    evidence.extend(decode_all(db, Blob::Evidence, &to_read, &|bytes, _| {
        brief::read_evidence(bytes)
    })?);
    for i in wanted {
        let (Some(violation), Some(&(id, index))) = (violations.get_mut(i), sources.get(i)) else {
            continue;
        };
        // Taken, not copied: at 100,000 hosts the evidence is millions of devices. Evidence
        // that does not read stays counted as left out (reverify names the finding).
        if let Some(devices) = evidence.get_mut(&id).and_then(|all| all.get_mut(index)) {
            violation.evidence = std::mem::take(devices);
            violation.evidence_left_out = 0;
        }
    }
    Ok(())
}

fn title(t: &v1::Title) -> Title {
    Title {
        zh: t.zh.clone(),
        en: t.en.clone(),
    }
}

/// Everything the report shows, from the database alone.
///
/// Hosts are those whose keys were enrolled when a collect ran (remembered in the database,
/// so the trust folder is not needed here) together with every host that has stored findings.
/// A host's latest finding is the one with the highest sequence in its most recent chain (see
/// `chain::analyse`); its verdict, failed rules and evidence are what the report shows. A host
/// is stale when that finding's time (the host's clock) is more than `stale_days` before
/// `now`, or when it never sent one.
/// `evidence` says how much device evidence to read (all of it for a full report).
pub(super) fn report_data(
    db: &dyn Backend,
    now: SystemTime,
    stale_days: u32,
    evidence: EvidenceRows,
) -> Result<ReportData, StoreError> {
    let started = std::time::Instant::now();
    let links = db.links_by_host()?;
    tracing::debug!(ms = started.elapsed().as_millis(), "report: chains read");
    let unit_of = db.units_by_finding()?;
    let mut units = super::units::unit_rows(&db.imports()?);
    let mut host_ids: BTreeSet<String> = links.keys().cloned().collect();
    host_ids.extend(db.enrolled_hosts()?);

    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let now_secs = unix_seconds(now);
    let stale_after = i64::from(stale_days) * 86_400;

    let mut totals = Totals::default();
    let mut hosts = Vec::with_capacity(host_ids.len());
    // Each host's violations, with the finding and failed-rule index each came from (to put
    // its evidence in later).
    let mut by_host: Vec<Vec<(Violation, (i64, usize))>> = Vec::new();
    let mut by_rule: BTreeMap<String, RuleCount> = BTreeMap::new();
    let mut chain_problems = Vec::new();

    // Hosts' chains are independent: analysed on every core.
    let analyses: Vec<(&String, &[Link], chain::Analysis)> =
        map_on_cores(host_ids.iter().collect(), |host_id: &String| {
            let host_links = links.get(host_id).map(Vec::as_slice).unwrap_or_default();
            (host_id, host_links, chain::analyse(host_links))
        })
        .into_iter()
        .collect::<Option<_>>()
        .ok_or_else(|| {
            StoreError::at("analysing the chains")(std::io::Error::other("an analysis failed"))
        })?;
    let latest_link = |links: &[Link], analysis: &chain::Analysis| {
        analysis.latest.and_then(|i| links.get(i)).map(|l| l.id)
    };
    let latest_ids: Vec<i64> = analyses
        .iter()
        .filter_map(|(_, links, analysis)| latest_link(links, analysis))
        .collect();
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "report: chains analysed"
    );
    let Latest {
        briefs: mut decoded,
        evidence: evidence_read,
    } = latest_of(db, &latest_ids)?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "report: latest findings read"
    );

    for (host_id, host_links, analysis) in analyses {
        let latest = analysis
            .latest
            .and_then(|i| host_links.get(i))
            .and_then(|link| decoded.remove(&link.id).map(|f| (link, f)));

        let mut row = HostRow {
            host_id: host_id.clone(),
            hostname: None,
            machine_id: None,
            last_time: None,
            last_verdict: None,
            policy_id: None,
            policy_version: None,
            agent_version: None,
            last_sequence: None,
            findings: u64::try_from(host_links.len()).unwrap_or(u64::MAX),
            stale: true,
            failed_rules: Vec::new(),
            unit: None,
        };
        if let Some((link, finding)) = latest {
            row.unit = unit_of.get(&link.id).cloned();
            let when =
                parse_rfc3339_utc(&finding.time).or_else(|| parse_rfc3339_utc(&link.received_at));
            row.stale = when.is_none_or(|t| now_secs.saturating_sub(t) > stale_after);
            match finding.verdict.known() {
                Some(Verdict::Compliant) => totals.compliant += 1,
                Some(Verdict::Violation) => totals.violation += 1,
                // An error, or a verdict this collector does not know: not compliant.
                _ => totals.error += 1,
            }
            let mut host_violations = Vec::with_capacity(finding.results.len());
            for (index, result) in finding.results.into_iter().enumerate() {
                row.failed_rules.push(result.rule.clone());
                by_rule
                    .entry(result.rule.clone())
                    .or_insert_with(|| RuleCount {
                        rule: result.rule.clone(),
                        title: title(&result.title),
                        severity: result.severity.clone(),
                        hosts: 0,
                        remediation: Some(title(&result.remediation)),
                    })
                    .hosts += 1;
                let violation = Violation {
                    host_id: host_id.clone(),
                    hostname: finding.host.hostname.clone(),
                    time: finding.time.clone(),
                    sequence: finding.sequence,
                    rule: result.rule,
                    title: Title {
                        zh: result.title.zh,
                        en: result.title.en,
                    },
                    severity: result.severity,
                    evidence: Vec::new(),
                    evidence_left_out: count(result.evidence),
                };
                host_violations.push((violation, (link.id, index)));
            }
            by_host.push(host_violations);
            row.hostname = finding.host.hostname;
            row.machine_id = finding.host.machine_id;
            row.last_time = Some(finding.time);
            row.last_verdict = Some(finding.verdict);
            row.policy_id = finding.policy.id;
            row.policy_version = finding.policy.version;
            row.agent_version = Some(finding.host.agent_version);
            row.last_sequence = Some(finding.sequence);
        }
        if row.stale {
            totals.stale += 1;
        }
        for p in analysis.problems {
            chain_problems.push(ChainProblem {
                host_id: host_id.clone(),
                hostname: row.hostname.clone(),
                kind: p.kind,
                sequence: p.sequence,
                detail: p.detail.en,
                detail_zh: p.detail.zh,
                noticed_at: p.noticed_at,
            });
        }
        hosts.push(row);
    }

    chain_problems.extend(db.replays()?.into_iter().map(replay_problem));
    sort(&mut chain_problems);

    let rejected = db.rejected()?;

    // The order a page shows them in, which is what `EvidenceRows::First` counts rows in:
    // the hosts put in order (100,000 of them, not every violation), then each one's.
    by_host.retain(|host| !host.is_empty());
    by_host.sort_by(|a, b| a[0].0.display_order(&b[0].0));
    let (mut violations, sources): (Vec<Violation>, Vec<(i64, usize)>) = by_host
        .into_iter()
        .flat_map(|mut host| {
            host.sort_by(|a, b| a.0.display_order(&b.0));
            host
        })
        .unzip();
    fill_evidence(db, &mut violations, &sources, evidence, evidence_read)?;
    tracing::debug!(ms = started.elapsed().as_millis(), "report: evidence read");

    for unit in &mut units {
        unit.hosts = count(
            hosts
                .iter()
                .filter(|h| h.unit.as_deref() == Some(unit.unit.as_str()))
                .count(),
        );
    }
    totals.hosts = count(hosts.len());
    totals.findings = count(links.values().map(Vec::len).sum());
    totals.rejected = count(rejected.len());
    totals.chain_problems = count(chain_problems.len());

    let mut by_rule: Vec<RuleCount> = by_rule.into_values().collect();
    // Most serious first, then the most hosts: a critical rule on one host comes before a
    // high one on many. Severities from newer agents sort after the known ones.
    let rank = |s: &Open<Severity>| match s {
        Open::Known(s) => (0, Some(*s)),
        Open::Other(_) => (1, None),
    };
    by_rule.sort_by(|a, b| {
        rank(&a.severity)
            .cmp(&rank(&b.severity))
            .then_with(|| b.hosts.cmp(&a.hosts))
            .then_with(|| a.rule.cmp(&b.rule))
    });

    Ok(ReportData {
        schema: REPORT_SCHEMA.to_string(),
        generated_at: rfc3339_utc(now),
        stale_days,
        totals,
        hosts,
        violations,
        by_rule,
        chain_problems,
        rejected,
        units,
    })
}
