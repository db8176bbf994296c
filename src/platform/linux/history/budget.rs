//! The bounds of one history read, and the record of what they stopped.
//!
//! Every reader asks here before opening a file and reports what it read, so "a bound was
//! hit" is written down in one place, always with what was left unread. A bound is never a
//! silent stop: it is a [`Truncation`], and the file it stopped is a [`SourceRead`] whose
//! coverage says so.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::inventory::history::{
    Coverage, LimitKind, Limits, SourceFormat, SourceRead, Timestamp, Truncation,
};
use crate::platform::linux::root::display_path;

/// The bounds every reader shares, also from other threads: the limits, the clock, and the
/// bytes read so far.
pub struct Meter {
    pub limits: Limits,
    started: Instant,
    /// Start of the look-back window, UTC microseconds.
    pub since_micros: i64,
    /// The scan's `now`, UTC microseconds.
    pub now_micros: i64,
    total: AtomicU64,
}

impl Meter {
    pub fn new(limits: &Limits, now_micros: i64) -> Meter {
        let window = i64::from(limits.look_back_days) * 86_400 * 1_000_000;
        Meter {
            limits: limits.clone(),
            started: Instant::now(),
            since_micros: now_micros.saturating_sub(window),
            now_micros,
            total: AtomicU64::new(0),
        }
    }

    pub fn expired(&self) -> bool {
        self.started.elapsed() >= self.limits.time_budget
    }

    /// Bytes the next file may still read, and the bound that sets it.
    pub fn allowance(&self) -> (u64, LimitKind) {
        let used = self.total.load(Ordering::Relaxed);
        let left = self.limits.max_total_bytes.saturating_sub(used);
        if left < self.limits.max_file_bytes {
            (left, LimitKind::TotalBytes)
        } else {
            (self.limits.max_file_bytes, LimitKind::FileBytes)
        }
    }

    pub fn charge(&self, bytes: u64) {
        self.total.fetch_add(bytes, Ordering::Relaxed);
    }

    fn used_up(&self) -> bool {
        self.total.load(Ordering::Relaxed) >= self.limits.max_total_bytes
    }

    /// Explains a bound for a truncation's detail.
    pub fn describe(&self, limit: LimitKind) -> String {
        match limit {
            LimitKind::FileBytes => format!("{} bytes per file", self.limits.max_file_bytes),
            LimitKind::TotalBytes => format!("{} bytes in all", self.limits.max_total_bytes),
            LimitKind::TimeBudget => format!("time budget of {:?}", self.limits.time_budget),
            LimitKind::Files => format!("{} files", self.limits.max_files),
            LimitKind::LineBytes => format!("{} bytes per line", self.limits.max_line_bytes),
            LimitKind::Records => format!("{} sightings", self.limits.max_sightings),
        }
    }
}

/// The record of one read, kept by the thread that owns the host: files admitted, what was
/// read of each, what the bounds stopped.
pub struct Budget<'m> {
    pub meter: &'m Meter,
    files: usize,
    pub sources: Vec<SourceRead>,
    pub truncated: Vec<Truncation>,
}

impl Deref for Budget<'_> {
    type Target = Meter;

    fn deref(&self) -> &Meter {
        self.meter
    }
}

impl<'m> Budget<'m> {
    pub fn new(meter: &'m Meter) -> Budget<'m> {
        Budget {
            meter,
            files: 0,
            sources: Vec::new(),
            truncated: Vec::new(),
        }
    }

    /// Whether another file may be read. When not, the file is recorded as not read and
    /// the bound that refused it as a truncation.
    pub fn admit(&mut self, rel: &str, format: SourceFormat) -> bool {
        let refusal = if self.expired() {
            Some((
                LimitKind::TimeBudget,
                format!(
                    "time budget of {:?} used up before this file",
                    self.limits.time_budget
                ),
            ))
        } else if self.files >= self.limits.max_files {
            Some((
                LimitKind::Files,
                format!("{} files already read", self.limits.max_files),
            ))
        } else if self.used_up() {
            Some((
                LimitKind::TotalBytes,
                format!(
                    "{} bytes already read from all records",
                    self.limits.max_total_bytes
                ),
            ))
        } else {
            None
        };
        match refusal {
            None => {
                self.files += 1;
                true
            }
            Some((limit, detail)) => {
                self.truncate(rel, limit, format!("not read: {detail}"));
                self.source(rel, format, Coverage::NotRead, 0, 0, None, None);
                false
            }
        }
    }

    pub fn truncate(&mut self, rel: &str, limit: LimitKind, detail: impl Into<String>) {
        self.truncated.push(Truncation {
            path: display_path(rel),
            limit,
            detail: detail.into(),
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub fn source(
        &mut self,
        rel: &str,
        format: SourceFormat,
        coverage: Coverage,
        bytes_read: u64,
        records: u64,
        oldest: Option<Timestamp>,
        newest: Option<Timestamp>,
    ) {
        self.sources.push(SourceRead {
            path: display_path(rel),
            format,
            coverage,
            bytes_read,
            records,
            oldest,
            newest,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn refusals_are_recorded_with_their_bound() {
        let limits = Limits {
            max_files: 1,
            ..Limits::default()
        };
        let meter = Meter::new(&limits, 0);
        let mut budget = Budget::new(&meter);
        assert!(budget.admit("var/log/syslog", SourceFormat::TextLog));
        assert!(!budget.admit("var/log/syslog.1", SourceFormat::TextLog));
        assert_eq!(budget.truncated.len(), 1);
        assert_eq!(budget.truncated[0].limit, LimitKind::Files);
        assert_eq!(budget.truncated[0].path, "/var/log/syslog.1");
        assert_eq!(budget.sources[0].coverage, Coverage::NotRead);
    }

    #[test]
    fn allowance_shrinks_to_what_is_left_in_all() {
        let limits = Limits {
            max_file_bytes: 100,
            max_total_bytes: 150,
            ..Limits::default()
        };
        let meter = Meter::new(&limits, 0);
        let mut budget = Budget::new(&meter);
        assert_eq!(budget.allowance(), (100, LimitKind::FileBytes));
        budget.charge(100);
        assert_eq!(budget.allowance(), (50, LimitKind::TotalBytes));
        budget.charge(50);
        assert!(!budget.admit("x", SourceFormat::TextLog));
        assert_eq!(budget.truncated[0].limit, LimitKind::TotalBytes);
    }

    #[test]
    fn an_expired_budget_reads_nothing_more() {
        let limits = Limits {
            time_budget: Duration::ZERO,
            ..Limits::default()
        };
        let meter = Meter::new(&limits, 0);
        let mut budget = Budget::new(&meter);
        assert!(!budget.admit("x", SourceFormat::JournalFile));
        assert_eq!(budget.truncated[0].limit, LimitKind::TimeBudget);
    }
}
