//! The fixture loader's parser of a flattened sysfs (`F`/`L`/`D` lines), and the tree it writes; see
//! common/fixture.rs. It must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

use isoguard::platform::linux::fixture::SourceFormat;

#[path = "common/fixture.rs"]
mod fixture;

fuzz_target!(|data: &[u8]| fixture::run(SourceFormat::Flattened, data));
