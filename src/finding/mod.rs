//! Findings: what the agent concluded, sealed so the collector can trust where it came from.
//!
//! A finding leaves the workstation only as a signed DSSE envelope in the spool folder, and
//! each one names the digest of the one before it, so a collector can tell a missing or
//! replayed finding from a quiet machine. The submodules are the primitives for that: the
//! envelope format, the keys, durable spool writes and the per-host chain state. None of them
//! reads the machine or judges policy; they only seal, store and check bytes handed to them.

pub mod build;
pub mod chain_state;
pub mod dsse;
pub mod keys;
pub mod spool;
pub mod v1;
