//! The JSON a report page carries in `<script type="application/json">` elements, written
//! straight into the page's text: at 100,000 hosts, building a `serde_json::Value` per row
//! and then a string of all of them was half of the page's time.
//!
//! The element is not a script, but its text ends at the first `</script`; so besides JSON's
//! own escaping, `<`, `>` and `&` are written as `\u003c`, `\u003e`, `\u0026`, and U+2028 and
//! U+2029 as escapes too (a parser that treats the text as JavaScript sees line breaks
//! there). These occur only inside strings, so escaping strings is enough. Every string is
//! untrusted and goes through [`clean`] first, as the markup's do.
//!
//! What it must not do: write a string any other way than [`Value::write`] for `Text`.

use std::fmt::Write as _;

use super::clean_cow;

/// Something written as JSON.
pub(super) trait Value {
    fn write(&self, out: &mut String);
}

/// Untrusted text: cleaned, then escaped for JSON inside a script element.
pub(super) struct Text<'a>(pub(super) &'a str);

impl Value for Text<'_> {
    fn write(&self, out: &mut String) {
        out.push('"');
        for ch in clean_cow(self.0).chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                '\u{2028}' => out.push_str("\\u2028"),
                '\u{2029}' => out.push_str("\\u2029"),
                c if u32::from(c) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
}

/// Text that may be absent (`null`).
pub(super) fn opt_text(value: Option<&String>) -> Option<Text<'_>> {
    value.map(|v| Text(v))
}

impl<T: Value> Value for Option<T> {
    fn write(&self, out: &mut String) {
        match self {
            Some(value) => value.write(out),
            None => out.push_str("null"),
        }
    }
}

impl Value for u64 {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl Value for usize {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl Value for bool {
    fn write(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

/// An array of values of one kind.
pub(super) struct List<T>(pub(super) Vec<T>);

impl<T: Value> Value for List<T> {
    fn write(&self, out: &mut String) {
        array_of(out, self.0.iter().map(|v| v as &dyn Value));
    }
}

/// An array of values of any kinds, in order (a row as the page's script reads it).
pub(super) fn array(out: &mut String, values: &[&dyn Value]) {
    array_of(out, values.iter().copied());
}

fn array_of<'a>(out: &mut String, values: impl Iterator<Item = &'a dyn Value>) {
    out.push('[');
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        value.write(out);
    }
    out.push(']');
}

/// `{"page": page, <extra>, "rows": [rows...]}`, each row written by `row` (an array).
pub(super) fn paged_rows<T>(
    page: usize,
    extra: Option<(&str, &dyn Value)>,
    rows: impl Iterator<Item = T>,
    mut row: impl FnMut(&mut String, T),
) -> (String, usize) {
    let mut out = String::new();
    let _ = write!(out, "{{\"page\":{page},");
    if let Some((key, value)) = extra {
        // Keys are our own words.
        let _ = write!(out, "\"{key}\":");
        value.write(&mut out);
        out.push(',');
    }
    out.push_str("\"rows\":[");
    let mut carried = 0;
    for (i, item) in rows.enumerate() {
        if i > 0 {
            out.push(',');
        }
        row(&mut out, item);
        carried += 1;
    }
    out.push_str("]}");
    (out, carried)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::report::clean;

    /// What the page's script reads is the JSON of the cleaned strings, and nothing in it can
    /// end the element or break a line for a JavaScript parser.
    #[test]
    fn rows_are_json_that_cannot_leave_the_element() {
        let hostile = "</script><b>&\"\\\u{2028}\u{2029}\u{1b}[31m";
        let name = "ws-1".to_string();
        let (json, carried) = paged_rows(
            100,
            Some(("units", &List(vec![Some(Text("a")), None]))),
            [hostile, "plain"].into_iter(),
            |out, s| {
                array(
                    out,
                    &[&Text(s), &opt_text(Some(&name)), &7u64, &true, &None::<u64>],
                )
            },
        );
        assert_eq!(carried, 2);
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}", "\u{1b}"] {
            assert!(!json.contains(bad), "{bad:?} in {json}");
        }
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({
                "page": 100,
                "units": ["a", null],
                "rows": [
                    [clean(hostile), "ws-1", 7, true, null],
                    ["plain", "ws-1", 7, true, null],
                ],
            })
        );
    }
}
