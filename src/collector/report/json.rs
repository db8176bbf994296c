//! JSON output: the report model as it is, versioned by its `schema` field, for tools that
//! want the data rather than a page. Nothing is escaped beyond JSON's own string escaping,
//! so consumers get the exact strings the workstations sent.

use crate::collector::model::ReportData;

pub(super) fn render(data: &ReportData) -> String {
    match serde_json::to_string_pretty(data) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        // The model holds only strings, numbers and string-keyed structs, which always
        // serialise; should that ever change, say so in the output instead of panicking.
        Err(err) => {
            let mut text = serde_json::json!({
                "schema": data.schema,
                "error": format!("report could not be serialised: {err}"),
            })
            .to_string();
            text.push('\n');
            text
        }
    }
}
