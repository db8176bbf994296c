//! The central collector: picks signed findings up from an inbox folder, verifies them,
//! stores them, notices missing, replayed and tampered findings, and renders the report.
//!
//! Built only with the `collector` feature, into the separate `isoguard-collector` binary,
//! so the agent on every workstation carries no database or HTML code.

pub mod brief;
pub mod bundle;
pub mod chain;
mod cores;
pub mod exit;
pub mod identity;
pub mod ingest;
pub mod model;
pub mod owner;
pub mod report;
pub mod store;
pub mod summary;
pub mod trust;
pub mod watch;
