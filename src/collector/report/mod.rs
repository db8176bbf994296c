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
mod json;
mod ocsf;

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

/// Renders the whole report in one format. Never fails: whatever the data holds is shown
/// (escaped), not refused.
/// `lang` is the language the HTML page opens in (it carries both); CSV and JSON are for
/// tools and keep the data's own fields.
pub fn render(data: &ReportData, format: Format, lang: Lang) -> String {
    match format {
        Format::Html => html::render(data, lang),
        Format::Csv => csv::render(data),
        Format::Json => json::render(data),
        Format::Ocsf => ocsf::render(data),
    }
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
