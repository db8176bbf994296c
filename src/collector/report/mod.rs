//! The security office's view of the collector: renders [`ReportData`] as one self-contained
//! HTML page, a CSV table for spreadsheets, or JSON for other tools.
//!
//! The report travels on USB sticks and is opened on machines that must not reach anything,
//! so the HTML carries its own CSS and script, and a Content-Security-Policy that forbids
//! every load even if an escape were missed. Everything a workstation sent (host names,
//! device names, serials, evidence) is attacker-chosen: each renderer neutralises control
//! characters, bounds the length, and escapes for its own format (HTML entities; CSV quoting
//! plus the formula-injection guard). The renderers only read the data; deciding what is
//! stale or broken is the store's job.

mod csv;
mod html;

pub use html::EVIDENCE_ROWS;
mod json;
mod ocsf;
mod script_data;

use crate::collector::model::ReportData;
use crate::i18n::Lang;

/// Output format of `isoguard-collector report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Csv,
    Json,
    Ocsf,
}

/// Writes the whole report in one format into `sink` as it is rendered (the JSON and CSV of
/// a province are GBs). Fails only when `sink` does: whatever the data holds is shown
/// (escaped), not refused.
/// `lang` is the language the HTML page opens in (it carries both); CSV and JSON are for
/// tools and keep the data's own fields.
pub fn write(
    data: &ReportData,
    format: Format,
    lang: Lang,
    sink: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Html => sink.write_all(html::render(data, lang).as_bytes()),
        Format::Csv => csv::write(data, sink),
        Format::Json => json::write(data, sink),
        Format::Ocsf => ocsf::write(data, sink),
    }
}

/// The HTML page carrying `evidence_rows` rows of device evidence rather than
/// [`EVIDENCE_ROWS`]: what the store's `report_data_for_page(.., evidence_rows)` is read for,
/// so a test can hold the two to the same page with fewer rows. The page's markup shows its
/// first 100 rows whatever it carries, so `evidence_rows` is at least that.
pub fn html_carrying(data: &ReportData, lang: Lang, evidence_rows: usize) -> String {
    html::render_carrying(data, lang, evidence_rows)
}

/// [`write`] into a string.
pub fn render(data: &ReportData, format: Format, lang: Lang) -> String {
    let mut bytes = Vec::new();
    // Writing into memory does not fail, and every format is UTF-8.
    let _ = write(data, format, lang, &mut bytes);
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// How many characters of one untrusted string a report cell shows; enough for a device
/// path or a long reason, short enough that a hostile 4 KiB serial cannot bury the table.
pub(crate) const CELL_CHARS: usize = 512;

/// Untrusted text made safe to show anywhere: control characters, escape sequences and bidi
/// overrides become visible `\xNN` / `\u{..}`, cut to [`CELL_CHARS`] with an ellipsis.
/// Format-specific escaping (HTML, CSV) still applies on top.
pub(crate) fn clean(value: &str) -> String {
    crate::text::display_safe(value, CELL_CHARS)
}

/// [`clean`], borrowing text that is already clean.
pub(crate) fn clean_cow(value: &str) -> std::borrow::Cow<'_, str> {
    crate::text::display_safe_cow(value, CELL_CHARS)
}
