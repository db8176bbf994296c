//! Untrusted text from devices.
//!
//! A USB device chooses its own manufacturer, product and serial strings, and udev copies
//! them into its database. Nothing here may panic on such bytes, keep an unbounded amount of
//! them, or let them drive a terminal. Values are kept as faithfully as possible in the
//! inventory (so an allowlist can match a serial exactly), and escaped only where shown.

use std::fmt::Write as _;

/// Upper bound of one attribute or property value we keep; sysfs attributes fit in a page.
pub const MAX_VALUE_BYTES: usize = 4096;

/// How many characters of a device string a person sees in a report line.
pub const DISPLAY_CHARS: usize = 96;

/// Decodes raw bytes from sysfs or udev into a string, keeping invalid UTF-8 visible as
/// `\xNN` so two different serials never collapse into the same replacement character.
/// The result is at most [`MAX_VALUE_BYTES`] long, escapes included.
pub fn decode_bytes(bytes: &[u8]) -> String {
    let mut out = decode_unbounded(bytes);
    if out.len() > MAX_VALUE_BYTES {
        let mut cut = MAX_VALUE_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

fn decode_unbounded(bytes: &[u8]) -> String {
    let bytes = &bytes[..bytes.len().min(MAX_VALUE_BYTES)];
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(err) => {
                let (valid, after) = rest.split_at(err.valid_up_to());
                // from_utf8 vouched for this prefix.
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = err.error_len().unwrap_or(after.len()).max(1);
                for byte in &after[..bad.min(after.len())] {
                    let _ = write!(out, "\\x{byte:02x}");
                }
                rest = &after[bad.min(after.len())..];
            }
        }
    }
}

/// An attribute value as the kernel writes it: one line, trailing newline and padding removed.
pub fn attribute_value(bytes: &[u8]) -> String {
    let text = decode_bytes(bytes);
    let trimmed = text.trim_end_matches(['\n', '\r']).trim();
    trimmed.to_string()
}

/// Decodes udev's `\xNN` escapes as found in `ID_*_ENC` properties, then bounds the result.
pub fn udev_unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'x') {
            let hex = bytes
                .get(i + 2..i + 4)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    decode_bytes(&out)
}

/// Renders untrusted text for a terminal or a log line: control characters, escape
/// sequences and bidirectional overrides become visible escapes, and the result is cut to
/// `max_chars` characters with an ellipsis.
pub fn display_safe(value: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (shown, ch) in value.chars().enumerate() {
        if shown >= max_chars {
            out.push('…');
            break;
        }
        if ch.is_control() || is_invisible_format(ch) {
            let code = ch as u32;
            if code <= 0xff {
                let _ = write!(out, "\\x{code:02x}");
            } else {
                let _ = write!(out, "\\u{{{code:x}}}");
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// [`display_safe`], borrowing the text when it is already safe to show (the usual case:
/// at 100,000 hosts a report shows millions of strings).
pub fn display_safe_cow(value: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    let short = value.len() <= max_chars || value.chars().count() <= max_chars;
    if short
        && !value
            .chars()
            .any(|ch| ch.is_control() || is_invisible_format(ch))
    {
        std::borrow::Cow::Borrowed(value)
    } else {
        std::borrow::Cow::Owned(display_safe(value, max_chars))
    }
}

/// Characters that change how the rest of a line is drawn without being visible themselves.
fn is_invisible_format(ch: char) -> bool {
    matches!(ch, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Columns a string takes in a terminal: East Asian wide characters (Han, kana, Hangul,
/// full-width forms) take two, so tables with Chinese headers line up.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let wide = matches!(c as u32,
                0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The borrowing form says what `display_safe` says, and copies only when it must.
    #[test]
    fn display_safe_cow_borrows_only_safe_text() {
        for (value, max) in [
            ("plain", 10),
            ("exactly10!", 10),
            ("eleven char", 10),
            ("无线网卡无线网卡", 4),
            ("esc\u{1b}[31m", 64),
            ("rtl\u{202e}txt", 64),
            ("", 0),
        ] {
            let cow = display_safe_cow(value, max);
            assert_eq!(cow, display_safe(value, max), "{value:?}");
            let borrowed = matches!(cow, std::borrow::Cow::Borrowed(_));
            assert_eq!(borrowed, cow == value, "{value:?}");
        }
    }

    #[test]
    fn invalid_utf8_stays_distinguishable() {
        assert_eq!(decode_bytes(b"AB\xff\xfeC"), "AB\\xff\\xfeC");
        assert_ne!(decode_bytes(b"\xff"), decode_bytes(b"\xfe"));
    }

    #[test]
    fn decode_is_bounded() {
        let huge = vec![b'a'; MAX_VALUE_BYTES * 10];
        assert_eq!(decode_bytes(&huge).len(), MAX_VALUE_BYTES);
    }

    #[test]
    fn truncated_multibyte_at_end_is_escaped() {
        // "中" is e4 b8 ad; cut after two bytes.
        assert_eq!(decode_bytes(b"x\xe4\xb8"), "x\\xe4\\xb8");
    }

    #[test]
    fn attribute_value_trims_kernel_newline_and_padding() {
        assert_eq!(attribute_value(b" 1\n"), "1");
        assert_eq!(
            attribute_value(b"Generic Flash Disk  \n"),
            "Generic Flash Disk"
        );
    }

    #[test]
    fn udev_escapes_are_decoded() {
        assert_eq!(udev_unescape("USB\\x20DISK\\x203.0"), "USB DISK 3.0");
        assert_eq!(udev_unescape("bad\\xZZ"), "bad\\xZZ");
        assert_eq!(udev_unescape("end\\x"), "end\\x");
        assert_eq!(udev_unescape("\\xff"), "\\xff");
    }

    #[test]
    fn terminal_escapes_are_neutralised() {
        let hostile = "Disk\u{1b}[2J\u{1b}]0;owned\u{7}\r\n\u{202e}gpj.exe";
        let shown = display_safe(hostile, 200);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown}");
        assert!(shown.contains("\\x1b[2J"));
        assert!(shown.contains("\\u{202e}"));
    }

    #[test]
    fn display_is_truncated_by_characters() {
        let long = "中".repeat(500);
        let shown = display_safe(&long, 10);
        assert_eq!(shown.chars().count(), 11);
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(display_width("USB"), 3);
        assert_eq!(display_width("设备"), 4);
        assert_eq!(display_width("a中b"), 4);
    }
}
