//! The fixture loader's parser of `umockdev-record` output, and the tree it writes; see
//! common/fixture.rs. It must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

use isoguard::platform::linux::fixture::SourceFormat;

#[path = "common/fixture.rs"]
mod fixture;

fuzz_target!(|data: &[u8]| fixture::run(SourceFormat::Umockdev, data));
