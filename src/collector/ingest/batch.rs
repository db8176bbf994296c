//! One batch: record every examined file in one transaction, then, only once it has
//! committed, move each file to `archive/` or `rejected/`.
//!
//! What it must not do: move a file before its row is durable, store a finding twice, or take
//! a replay for the tail of an interrupted run.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::time::SystemTime;

use crate::collector::store::{NewFinding, NewRejected, NewReplay, Store};
use crate::time::rfc3339_utc;

use super::examine::{Accepted, Examined};
use super::folders::{Folder, InboxDirs, Kind, Names};
use super::{IngestError, Outcome, Refused, REJECTED_DIR};

/// Where a verified finding came from, as the store records it beside the finding.
pub(crate) struct Arrival<'a> {
    pub(crate) inbox_name: &'a [u8],
    pub(crate) archived_as: &'a [u8],
    /// (device, inode) of the file it was read from; none when it came in a bundle.
    pub(crate) file_id: Option<(u64, u64)>,
    pub(crate) received_at: &'a str,
}

impl Accepted {
    /// The row that stores this finding, arrived as `arrival` says.
    pub(crate) fn as_new_finding<'a>(&'a self, arrival: Arrival<'a>) -> NewFinding<'a> {
        NewFinding {
            identity: &self.identity.payload,
            digest: &self.digest,
            link_digest: &self.identity.link,
            host_id: &self.label,
            keyid: &self.keyid,
            hostname: self.hostname.as_deref(),
            machine_id: self.machine_id.as_deref(),
            sequence: self.sequence,
            previous: self.previous.as_deref(),
            reset_reason: self.reset_reason.as_deref(),
            time: &self.time,
            verdict: &self.verdict,
            inbox_name: arrival.inbox_name,
            archived_as: arrival.archived_as,
            file_id: arrival.file_id,
            received_at: arrival.received_at,
            envelope: &self.envelope,
            brief: Some(&self.brief),
        }
    }
}

/// What to do with an inbox file once its batch has committed.
enum Action {
    Archive {
        name: OsString,
        to: OsString,
    },
    Reject {
        name: OsString,
        to: OsString,
        reason: String,
    },
    /// The file is already in `archive/` under another link; drop the inbox link.
    DropLink {
        name: OsString,
    },
}

/// Records one batch in one transaction, then moves its files.
pub(super) fn run_batch(
    store: &mut Store,
    dirs: &InboxDirs,
    files: &[(OsString, Kind)],
    examined: Vec<Examined>,
    names: &mut Names,
) -> Result<Outcome, IngestError> {
    let now = rfc3339_utc(SystemTime::now());
    let mut outcome = Outcome::default();
    let mut actions = Vec::with_capacity(files.len());

    let mut tx = store.batch()?;
    for ((name, _), result) in files.iter().zip(examined) {
        // The name as shown (bytes that are not UTF-8 as \xNN); the bytes are what is stored
        // and compared.
        let shown = crate::text::decode_bytes(name.as_bytes());
        match result {
            Examined::Gone => {}
            Examined::Deferred => outcome.deferred += 1,
            Examined::Rejected(kind, reason) => {
                let to = names.reserve(dirs, Folder::Rejected, name, true)?;
                let mut stored_as = OsString::from(format!("{REJECTED_DIR}/"));
                stored_as.push(&to);
                tx.insert_rejected(&NewRejected {
                    file: name.as_bytes(),
                    stored_as: stored_as.as_bytes(),
                    kind: kind.as_str(),
                    reason: &reason,
                    rejected_at: &now,
                })?;
                *outcome.rejected.entry(kind).or_default() += 1;
                outcome.rejected_files.push(Refused {
                    file: shown.to_string(),
                    kind,
                    reason: reason.clone(),
                });
                actions.push(Action::Reject {
                    name: name.clone(),
                    to,
                    reason: format!(
                        "{}: {reason}\nfile: {shown}\nrejected_at: {now}\n",
                        kind.as_str()
                    ),
                });
            }
            Examined::Accepted(found) => {
                if let Some(previous) = tx.find(&found.identity.payload)? {
                    // The tail of an interrupted run is the very file that was stored: the
                    // same name, byte for byte, and the same inode. A copy under that name is
                    // a replay. (Rows from before file identities were kept go by the name.)
                    let same_file = previous.inbox_name == name.as_bytes()
                        && previous.file_id.is_none_or(|id| id == found.file_id);
                    if same_file {
                        let stored_as = OsStr::from_bytes(&previous.archived_as);
                        match dirs.file_id(Folder::Archive, stored_as)? {
                            None if names.claim(Folder::Archive, stored_as) => {
                                // Committed, then interrupted before the move.
                                outcome.completed += 1;
                                actions.push(Action::Archive {
                                    name: name.clone(),
                                    to: stored_as.to_os_string(),
                                });
                                continue;
                            }
                            Some(id) if id == found.file_id => {
                                // Interrupted between linking into archive/ and unlinking.
                                outcome.completed += 1;
                                actions.push(Action::DropLink { name: name.clone() });
                                continue;
                            }
                            _ => {}
                        }
                    }
                    let to = names.reserve(dirs, Folder::Archive, name, false)?;
                    tx.insert_replay(&NewReplay {
                        identity: &found.identity.payload,
                        file: name.as_bytes(),
                        archived_as: to.as_bytes(),
                        noticed_at: &now,
                        envelope: &found.envelope,
                    })?;
                    outcome.duplicates += 1;
                    actions.push(Action::Archive {
                        name: name.clone(),
                        to,
                    });
                    continue;
                }
                let to = names.reserve(dirs, Folder::Archive, name, false)?;
                let inserted = tx.insert_finding(&found.as_new_finding(Arrival {
                    inbox_name: name.as_bytes(),
                    archived_as: to.as_bytes(),
                    file_id: Some(found.file_id),
                    received_at: &now,
                }))?;
                if inserted {
                    outcome.stored += 1;
                } else {
                    // Another collector stored it between the lookup and the insert.
                    tx.insert_replay(&NewReplay {
                        identity: &found.identity.payload,
                        file: name.as_bytes(),
                        archived_as: to.as_bytes(),
                        noticed_at: &now,
                        envelope: &found.envelope,
                    })?;
                    outcome.duplicates += 1;
                }
                actions.push(Action::Archive {
                    name: name.clone(),
                    to,
                });
            }
        }
    }
    tx.commit()?;

    // Only now may files leave the inbox: everything above is durable.
    for action in actions {
        match action {
            Action::Archive { name, to } => dirs.move_no_clobber(&name, Folder::Archive, &to)?,
            Action::Reject { name, to, reason } => {
                dirs.move_no_clobber(&name, Folder::Rejected, &to)?;
                let mut reason_name = to;
                reason_name.push(".reason");
                dirs.write_reason(&reason_name, &reason)?;
            }
            Action::DropLink { name } => dirs.remove_second_link(&name)?,
        }
    }
    Ok(outcome)
}
