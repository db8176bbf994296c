//! The units findings came through, as the report lists them: each unit's imported bundles,
//! and what is wrong with their numbering (a bundle never imported, two different bundles
//! under one number, a bundle that does not name the one before it).
//!
//! A unit numbers its bundles from 1 and each names the digest of the one before, so the
//! level above can tell a bundle that never arrived (its number is missing below the
//! highest) from one that was replaced (another digest under a known number), as the chain
//! of a host's findings tells a gap from a fork.
//!
//! What it must not do: touch the database itself (it gets the rows), or trust a bundle's
//! word about any finding (that is verified per envelope at import).

use std::collections::{BTreeMap, BTreeSet};

use crate::collector::model::UnitRow;

use super::backend::ImportRow;

/// One row per unit, by unit name; `hosts` is filled by the caller.
pub fn unit_rows(imports: &[ImportRow]) -> Vec<UnitRow> {
    let mut by_unit: BTreeMap<&str, Vec<&ImportRow>> = BTreeMap::new();
    for row in imports {
        by_unit.entry(row.unit.as_str()).or_default().push(row);
    }
    by_unit
        .into_iter()
        .map(|(unit, rows)| unit_row(unit, &rows))
        .collect()
}

fn unit_row(unit: &str, rows: &[&ImportRow]) -> UnitRow {
    let mut digests: BTreeMap<i64, BTreeSet<&str>> = BTreeMap::new();
    for row in rows {
        digests
            .entry(row.sequence)
            .or_default()
            .insert(row.digest.as_str());
    }
    let highest = digests.keys().next_back().copied().unwrap_or(0);
    let missing = (1..highest)
        .filter(|n| !digests.contains_key(n))
        .filter_map(|n| u64::try_from(n).ok())
        .collect();
    let duplicated = digests
        .iter()
        .filter(|(_, d)| d.len() > 1)
        .filter_map(|(n, _)| u64::try_from(*n).ok())
        .collect();
    // A bundle whose predecessor is here but is not the one it names.
    let unlinked = rows
        .iter()
        .filter(|row| match digests.get(&row.sequence.saturating_sub(1)) {
            Some(before) => row
                .previous
                .as_deref()
                .is_none_or(|previous| !before.contains(previous)),
            None => false,
        })
        .filter_map(|row| u64::try_from(row.sequence).ok())
        .collect::<BTreeSet<u64>>()
        .into_iter()
        .collect();
    let last = rows.iter().max_by(|a, b| {
        a.sequence
            .cmp(&b.sequence)
            .then_with(|| a.imported_at.cmp(&b.imported_at))
    });
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    UnitRow {
        unit: unit.to_string(),
        bundles: u64::try_from(rows.len()).unwrap_or(u64::MAX),
        findings_stored: rows.iter().map(|r| count(r.stored)).sum(),
        refused: rows.iter().map(|r| count(r.refused)).sum(),
        last_sequence: last.and_then(|r| u64::try_from(r.sequence).ok()),
        last_created_at: last.map(|r| r.created_at.clone()),
        last_imported_at: rows.iter().map(|r| r.imported_at.clone()).max(),
        missing_bundles: missing,
        duplicated_bundles: duplicated,
        unlinked_bundles: unlinked,
        hosts: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(unit: &str, sequence: i64, digest: &str, previous: Option<&str>) -> ImportRow {
        ImportRow {
            unit: unit.into(),
            sequence,
            digest: digest.into(),
            previous: previous.map(str::to_string),
            created_at: format!("2026-11-0{sequence}T00:00:00Z"),
            findings: 2,
            stored: 2,
            refused: 0,
            file: format!("{unit}-{sequence}.bundle"),
            imported_at: format!("2026-12-0{sequence}T00:00:00Z"),
        }
    }

    #[test]
    fn missing_replaced_and_unlinked_bundles_are_named() {
        let rows = vec![
            import("a", 1, "d1", None),
            import("a", 2, "d2", Some("d1")),
            import("a", 4, "d4", Some("d3")),
            import("b", 1, "e1", None),
            import("b", 2, "e2", Some("e1")),
            import("b", 2, "e2x", Some("e1")),
            import("b", 3, "e3", Some("zz")),
        ];
        let units = unit_rows(&rows);
        assert_eq!(units.len(), 2);
        let a = &units[0];
        assert_eq!(
            (a.unit.as_str(), a.bundles, a.last_sequence),
            ("a", 3, Some(4))
        );
        assert_eq!(a.missing_bundles, vec![3]);
        assert!(a.duplicated_bundles.is_empty() && a.unlinked_bundles.is_empty());
        assert_eq!(a.findings_stored, 6);
        let b = &units[1];
        assert!(b.missing_bundles.is_empty());
        assert_eq!(b.duplicated_bundles, vec![2]);
        assert_eq!(b.unlinked_bundles, vec![3]);
        assert_eq!(b.last_imported_at.as_deref(), Some("2026-12-03T00:00:00Z"));
        assert!(unit_rows(&[]).is_empty());
    }
}
