//! The exit codes of `isoguard-collector`, decided here so the binary only reports them.
//!
//! 0 all well; 1 something needs a person (a file was rejected or a chain problem was newly
//! noticed during `collect`, a stored finding failed `reverify`); 2 usage or configuration
//! error (bad arguments, unreadable trust folder, database from a newer version, a run that
//! would lock the service out of its own files); 3 I/O error (database unwritable, inbox or
//! output unreadable or unwritable). The service unit relies on these: it treats 1 as
//! success and does not restart on 2.
//!
//! What it must not do: print anything, or call a failure that will not fix itself an I/O
//! error (the service would restart into it forever).

use crate::collector::ingest::{IngestError, Outcome};
use crate::collector::store::StoreError;
use crate::collector::trust::TrustError;
use crate::collector::watch::WatchError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok,
    Attention,
    Usage,
    Io,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Attention => 1,
            Exit::Usage => 2,
            Exit::Io => 3,
        }
    }

    /// After one `collect` pass: a person must look at rejected files and new chain problems.
    pub fn after_pass(outcome: &Outcome, new_problems: usize) -> Exit {
        if outcome.rejected_total() > 0 || new_problems > 0 {
            Exit::Attention
        } else {
            Exit::Ok
        }
    }

    pub fn after_reverify(failed: u64) -> Exit {
        if failed == 0 {
            Exit::Ok
        } else {
            Exit::Attention
        }
    }

    pub fn for_store(err: &StoreError) -> Exit {
        match err {
            StoreError::TooNew { .. } => Exit::Usage,
            StoreError::Database { .. } => Exit::Io,
        }
    }

    /// A trust folder problem: a key file that is not a key is configuration; a folder that
    /// cannot be written is I/O.
    pub fn for_trust(err: &TrustError) -> Exit {
        match err {
            TrustError::Io { .. } => Exit::Io,
            TrustError::BadHostId { .. }
            | TrustError::Key(_)
            | TrustError::HostTaken { .. }
            | TrustError::KeyTaken { .. } => Exit::Usage,
        }
    }

    pub fn for_ingest(err: &IngestError) -> Exit {
        match err {
            IngestError::Io { .. } => Exit::Io,
            IngestError::Store(err) => Exit::for_store(err),
        }
    }

    pub fn for_watch(err: &WatchError) -> Exit {
        match err {
            WatchError::Setup { .. } => Exit::Io,
            WatchError::Ingest(err) => Exit::for_ingest(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::ingest::RejectKind;
    use crate::finding::keys::KeyError;

    #[test]
    fn codes_are_the_documented_ones() {
        let codes: Vec<u8> = [Exit::Ok, Exit::Attention, Exit::Usage, Exit::Io]
            .iter()
            .map(|e| e.code())
            .collect();
        assert_eq!(codes, vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_pass_needs_a_person_for_rejections_and_new_problems_only() {
        let quiet = Outcome {
            stored: 5,
            duplicates: 0,
            completed: 2,
            deferred: 1,
            ..Outcome::default()
        };
        assert_eq!(Exit::after_pass(&quiet, 0), Exit::Ok);
        assert_eq!(Exit::after_pass(&quiet, 1), Exit::Attention);
        let mut refused = quiet.clone();
        refused.rejected.insert(RejectKind::BadSignature, 1);
        assert_eq!(Exit::after_pass(&refused, 0), Exit::Attention);
        assert_eq!(Exit::after_reverify(0), Exit::Ok);
        assert_eq!(Exit::after_reverify(3), Exit::Attention);
    }

    #[test]
    fn errors_that_will_not_fix_themselves_are_usage() {
        assert_eq!(
            Exit::for_store(&StoreError::TooNew { found: 9, known: 3 }),
            Exit::Usage
        );
        let busy = StoreError::at::<std::io::Error>("x")(std::io::Error::other("locked"));
        assert_eq!(Exit::for_store(&busy), Exit::Io);
        assert_eq!(
            Exit::for_ingest(&IngestError::Store(StoreError::TooNew {
                found: 9,
                known: 3
            })),
            Exit::Usage
        );
        let io = || std::io::Error::other("denied");
        assert_eq!(
            Exit::for_trust(&TrustError::Io {
                path: "t".into(),
                step: "s",
                source: io()
            }),
            Exit::Io
        );
        assert_eq!(
            Exit::for_trust(&TrustError::Key(KeyError::NotRegularFile {
                path: "k".into()
            })),
            Exit::Usage
        );
        assert_eq!(
            Exit::for_watch(&WatchError::Setup {
                step: "s",
                source: io()
            }),
            Exit::Io
        );
    }
}
