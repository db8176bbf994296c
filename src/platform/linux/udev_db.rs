//! The udev database (`/run/udev/data/<key>`): what udev learnt about a device on top of
//! what the kernel reports (`ID_BUS`, `ID_SERIAL_SHORT`, `ID_V4L_CAPABILITIES`, ...).
//!
//! Records are keyed by device number where there is one (`b8:16`, `c189:3`), by interface
//! index for network interfaces (`n3`), and by `+subsystem:sysname` otherwise.

use std::collections::BTreeMap;

/// Largest database record we read; real ones are a few kilobytes.
pub const MAX_RECORD_BYTES: u64 = 256 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UdevRecord {
    pub properties: BTreeMap<String, String>,
    pub links: Vec<String>,
}

impl UdevRecord {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }
}

/// Parses a database file. Unknown line types are skipped, as udev itself does.
pub fn parse(text: &str) -> UdevRecord {
    let mut record = UdevRecord::default();
    for line in text.lines() {
        if let Some(prop) = line.strip_prefix("E:") {
            if let Some((key, value)) = prop.split_once('=') {
                record
                    .properties
                    .insert(key.to_string(), crate::text::decode_bytes(value.as_bytes()));
            }
        } else if let Some(link) = line.strip_prefix("S:") {
            record.links.push(link.to_string());
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_properties_and_links() {
        // From prometheus/node_exporter collector/fixtures/udev.ttar, b8:16 (abridged).
        let rec = parse("S:disk/by-id/ata-X\nW:58\nI:147686920\nE:ID_BUS=ata\nE:ID_MODEL_ENC=SuperMicro\\x20SSD\nG:systemd\n");
        assert_eq!(rec.get("ID_BUS"), Some("ata"));
        assert_eq!(rec.get("ID_MODEL_ENC"), Some("SuperMicro\\x20SSD"));
        assert_eq!(rec.links, vec!["disk/by-id/ata-X"]);
        assert_eq!(rec.get("W"), None);
    }

    #[test]
    fn garbage_is_ignored() {
        let rec = parse("E:novalue\n\u{0}\u{1b}[2J\nE:=x\n");
        assert_eq!(rec.properties.len(), 1);
    }
}
