//! The udev database reader: one `/run/udev/data/<key>` file's bytes, as
//! `SysDevice::udev` reads them (bounded, lossy UTF-8, then `udev_db::parse`), and the
//! decoding every `ID_*_ENC` value and device string goes through before it is shown.
//! A USB device picks its own strings and udev copies them here, so the bytes are hostile.
//! Values are bounded (`text::MAX_VALUE_BYTES`), and what is shown is cut and carries no
//! control characters; all three are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

use isoguard::platform::linux::udev_db::{self, MAX_RECORD_BYTES};
use isoguard::text::{self, DISPLAY_CHARS, MAX_VALUE_BYTES};

fuzz_target!(|data: &[u8]| {
    // HostRoot::read_bytes stops at the bound; longer files never reach the parser whole.
    let data = &data[..data.len().min(MAX_RECORD_BYTES as usize)];
    let record = udev_db::parse(&String::from_utf8_lossy(data));
    for (key, value) in &record.properties {
        assert!(
            value.len() <= MAX_VALUE_BYTES,
            "{key} keeps {} bytes",
            value.len()
        );
        assert_eq!(record.get(key), Some(value.as_str()));
        let decoded = text::udev_unescape(value);
        assert!(decoded.len() <= MAX_VALUE_BYTES);
        let shown = text::display_safe(&decoded, DISPLAY_CHARS);
        // Cut after DISPLAY_CHARS characters of the value, each shown as at most `\u{10ffff}`.
        assert!(shown.chars().count() <= DISPLAY_CHARS * 10 + 1);
        assert!(!shown.chars().any(char::is_control), "shown: {shown:?}");
    }
    for link in &record.links {
        assert!(!link.contains('\n'));
    }
});
