//! Findings carried up the hierarchy: a unit's collector exports what it stored into one
//! bundle file, which crosses to the level above on media (through the one-way import), and
//! the collector there imports it as if the files had come straight from the hosts.
//!
//! Nothing is taken on the unit's word that a host signed: every envelope is verified again
//! against the importing collector's own trust store, and the chains are judged from the
//! stored set as for any inbox. What the unit adds (which findings, the keys it trusts, its
//! bundle number) it signs with its own collector key, enrolled above under the unit's name,
//! so a bundle altered, cut short or grown on the way is refused whole, with the reason.
//!
//! How it is split: `format.rs` is the file, `export.rs` writes one, `import.rs` takes one
//! in. The bundles written and taken are recorded in the store (schema version 5).

pub mod export;
pub mod format;
pub mod import;

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::collector::store::StoreError;
use crate::files::{ReadError, WriteFailure};
use crate::finding::dsse::VerifyError;
use crate::i18n::{self, Msg, Phrase};

pub use export::{export, ExportRequest, Exported};
pub use import::{import, Imported};

/// Why a bundle was refused whole: nothing of it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a bundle file at all, or not one this collector reads.
    NotABundle(String),
    /// The manifest's signature does not check out against the enrolled unit keys.
    Manifest(VerifyError),
    /// The manifest names another unit than the key that signed it is enrolled for.
    UnitMismatch { signer: String, claimed: String },
    /// The body is not what the manifest signed: altered, cut or grown on the way.
    BodyAltered,
    /// A line of the body is not what a bundle holds there.
    BadLine { line: u64, detail: String },
    /// The body has a different number of key or finding lines than the manifest says.
    Counts {
        lines: Counted,
        said: u64,
        found: u64,
    },
    /// The file changed between the two readings.
    ChangedWhileRead,
}

impl Refusal {
    pub fn phrase(&self) -> Phrase {
        match self {
            Refusal::NotABundle(detail) => Msg::BundleNotABundle.with("detail", detail),
            Refusal::Manifest(err) => Msg::BundleManifest.nest("detail", err.phrase()),
            Refusal::UnitMismatch { signer, claimed } => Msg::BundleUnitMismatch
                .with("signer", signer)
                .arg("claimed", crate::text::display_safe(claimed, 64)),
            Refusal::BodyAltered => Msg::BundleBodyAltered.into(),
            Refusal::BadLine { line, detail } => Msg::BundleBadLine
                .with("line", line)
                .arg("detail", crate::text::display_safe(detail, 200)),
            Refusal::Counts { lines, said, found } => match lines {
                Counted::Keys => Msg::BundleKeyCount,
                Counted::Findings => Msg::BundleFindingCount,
            }
            .with("said", said)
            .arg("found", found),
            Refusal::ChangedWhileRead => Msg::BundleChangedWhileRead.into(),
        }
    }
}

/// The kinds of body line a manifest counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Keys,
    Findings,
}

#[derive(Debug)]
pub enum BundleError {
    /// The bundle was refused; nothing of it was stored.
    Refused {
        path: PathBuf,
        refusal: Refusal,
    },
    Open {
        path: PathBuf,
        error: ReadError,
    },
    Read {
        path: PathBuf,
        step: &'static str,
        source: io::Error,
    },
    Write {
        path: PathBuf,
        failure: WriteFailure,
    },
    Store(StoreError),
}

impl BundleError {
    pub fn phrase(&self) -> Phrase {
        match self {
            BundleError::Refused { path, refusal } => Phrase::new(Msg::BundleRefused)
                .arg("path", path.display())
                .nest("reason", refusal.phrase()),
            BundleError::Open { path, error } => Phrase::new(Msg::CollectorPathError)
                .arg("option", "bundle")
                .arg("path", path.display())
                .nest("error", error.phrase()),
            BundleError::Read { path, step, source } => Phrase::new(Msg::CollectorFileStep)
                .arg("path", path.display())
                .arg("step", step)
                .nest("error", i18n::os_error(source)),
            BundleError::Write { path, failure } => Phrase::new(Msg::CollectorPathError)
                .arg("option", "--out")
                .arg("path", path.display())
                .nest("error", failure.phrase()),
            BundleError::Store(err) => err.phrase(),
        }
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.phrase().en())
    }
}

impl std::error::Error for BundleError {}

impl From<StoreError> for BundleError {
    fn from(err: StoreError) -> Self {
        BundleError::Store(err)
    }
}
