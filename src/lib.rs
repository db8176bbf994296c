//! isoguard: checks a workstation against the three-in-one rules (三合一) of classified sites.
//!
//! The crate is a pipeline of plain functions over plain data: a platform backend reads the
//! machine into the OS-neutral inventory, later stages judge and sign. Only `platform` reads
//! the machine; everything after it can be tested with hand-made data.
//! The only files the agent writes are its own: the spool and chain state (`finding`), and
//! keys at `keygen`. `probe` is the only code that sends packets, and only to targets a
//! site's policy names.

pub mod cli;
#[cfg(feature = "collector")]
pub mod collector;
pub mod files;
pub mod finding;
pub mod i18n;
pub mod inventory;
pub mod platform;
pub mod policy;
pub mod probe;
pub mod scan;
pub mod text;
pub mod time;
pub mod vocab;
pub mod watch;
