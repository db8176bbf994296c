//! isoguard: checks a workstation against the three-in-one rules (三合一) of classified sites.
//!
//! The crate is a pipeline of plain functions over plain data: the host layer reads the
//! machine, the inventory turns what it read into typed facts, later stages judge and sign.
//! Only `host` reads the machine; everything after it can be tested with hand-made data.
//! The only files the agent writes are its own: the spool and chain state (`finding`), and
//! keys at `keygen`. `probe` is the only code that sends packets, and only to targets a
//! site's policy names.

pub mod cli;
#[cfg(feature = "collector")]
pub mod collector;
pub mod finding;
pub mod fixture;
pub mod host;
pub mod inventory;
/// Per-OS readers (the restructuring on main moves `host` here too).
pub mod platform {
    pub mod linux {
        pub mod history;
    }
}
pub mod policy;
pub mod probe;
pub mod scan;
pub mod text;
