//! JSON output: the report model as it is, versioned by its `schema` field, for tools that
//! want the data rather than a page. Nothing is escaped beyond JSON's own string escaping,
//! so consumers get the exact strings the workstations sent.

use crate::collector::model::ReportData;

/// Written as it is serialised: at 100,000 hosts the JSON is 1.9 GB, which is not built in
/// memory first.
pub(super) fn write(data: &ReportData, sink: &mut dyn std::io::Write) -> std::io::Result<()> {
    // The model holds only strings, numbers and string-keyed structs, which always
    // serialise; should that ever change, the error fails the write (no file is placed).
    serde_json::to_writer_pretty(&mut *sink, data).map_err(std::io::Error::other)?;
    sink.write_all(b"\n")
}
