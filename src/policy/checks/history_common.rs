//! What the two history rules share: the look-back, and whether the history was read far
//! enough back to say "nothing there" (a bound that stopped a log inside the window leaves it
//! unverified, and the rule says `error` rather than pass what it did not read).

use crate::i18n::{Msg, Phrase};
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
            t.diags().error(
                days.span(),
                Msg::Between
                    .with("key", "days")
                    .arg("min", 1)
                    .arg("max", 3650),
            );
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
        return vec![Problem::said(
            "history",
            &Msg::HistoryUnsupported.into(),
            Some(Fact::History),
        )];
    };
    history
        .sources
        .iter()
        .filter(|s| matches!(s.coverage, Coverage::Partial | Coverage::NotRead))
        .filter(|s| s.oldest.is_none_or(|t| t.unix_micros > start))
        .map(|s| {
            let why = match history.truncated.iter().find(|t| t.path == s.path) {
                Some(t) => Phrase::new(Msg::HistoryShortOfWindow).arg("why", &t.detail),
                None => Phrase::new(Msg::HistoryShortOfWindow).nest("why", Msg::HistoryNotToTheEnd),
            };
            Problem::said(s.path.clone(), &why, Some(Fact::History))
        })
        .collect()
}
