//! What the two history rules share: the look-back, and whether the history was read far
//! enough back to say "nothing there" (a bound that stopped a log inside the window leaves it
//! unverified, and the rule says `error` rather than pass what it did not read).

use crate::inventory::history::{Coverage, HistorySection, Timestamp};
use crate::inventory::{Fact, Inventory, Problem};
use crate::policy::reader::Table;

/// `days = N` in a history rule's settings, 1 to 3650.
pub fn parse_days(t: &Table, default: u32) -> u32 {
    match t.integer("days") {
        Some(days) if (1..=3650).contains(days.get_ref()) => {
            u32::try_from(*days.get_ref()).unwrap_or(default)
        }
        Some(days) => {
            t.diags()
                .error(days.span(), "`days` must be between 1 and 3650");
            default
        }
        None => default,
    }
}

/// The start of the look-back, in microseconds since the epoch.
pub fn window_start(history: &HistorySection, days: u32) -> i64 {
    history
        .window
        .until
        .unix_micros
        .saturating_sub(i64::from(days) * 86_400 * 1_000_000)
}

pub fn within(time: Option<&Timestamp>, start: i64) -> bool {
    time.is_some_and(|t| t.unix_micros >= start)
}

/// The problems that keep a history rule from passing: none read at all, problems met while
/// reading, or a source a bound stopped before it reached back to `start`.
pub fn unverified(inventory: &Inventory, start: i64) -> Vec<Problem> {
    let Some(history) = &inventory.history else {
        return vec![Problem {
            path: "history".to_string(),
            error: "this platform does not read the machine's history".to_string(),
            fact: Some(Fact::History),
        }];
    };
    history
        .sources
        .iter()
        .filter(|s| matches!(s.coverage, Coverage::Partial | Coverage::NotRead))
        .filter(|s| s.oldest.is_none_or(|t| t.unix_micros > start))
        .map(|s| {
            let why = history
                .truncated
                .iter()
                .find(|t| t.path == s.path)
                .map_or("not read to the end".to_string(), |t| t.detail.clone());
            Problem {
                path: s.path.clone(),
                error: format!("not read back to the start of the look-back: {why}"),
                fact: Some(Fact::History),
            }
        })
        .collect()
}
