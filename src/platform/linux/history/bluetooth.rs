//! BlueZ's device records: `var/lib/bluetooth/ADAPTER/DEVICE/info`.
//!
//! BlueZ keeps a folder per remote device it has bonded with or been told to remember;
//! `[LinkKey]` (BR/EDR) or `[LongTermKey]` (LE) in its `info` means the two were paired, so
//! the device could connect again without asking. Devices only seen nearby live in
//! `ADAPTER/cache/`, which is not read: seeing is not using.

use super::keyfile::KeyFile;
use super::{read_record, Budget};
use crate::inventory::history::{
    BluetoothMajorClass, BluetoothPairing, SourceFormat, SourceLocation,
};
use crate::platform::linux::root::display_path;
use crate::platform::linux::HostRoot;

const DIR: &str = "var/lib/bluetooth";

pub fn collect(host: &HostRoot, budget: &mut Budget<'_>) -> Vec<BluetoothPairing> {
    let mut out = Vec::new();
    for adapter in host.list_dir(DIR).unwrap_or_default() {
        if !is_address(&adapter) {
            continue;
        }
        let adapter_dir = format!("{DIR}/{adapter}");
        for device in host.list_dir(&adapter_dir).unwrap_or_default() {
            if !is_address(&device) {
                continue;
            }
            let rel = format!("{adapter_dir}/{device}/info");
            if !host.exists(&rel) {
                continue;
            }
            let Some((bytes, idx)) = read_record(host, budget, &rel, SourceFormat::BluetoothDevice)
            else {
                continue;
            };
            budget.sources[idx].records = 1;
            out.push(parse(
                &adapter,
                &device,
                &super::decode_file(&bytes),
                &display_path(&rel),
            ));
        }
    }
    out
}

/// `AA:BB:CC:DD:EE:FF`
fn is_address(name: &str) -> bool {
    name.len() == 17
        && name
            .split(':')
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub fn parse(adapter: &str, device: &str, text: &str, path: &str) -> BluetoothPairing {
    let kf = KeyFile::parse(text);
    let class = kf.string("General", "Class");
    let paired = [
        "LinkKey",
        "LongTermKey",
        "PeripheralLongTermKey",
        "SlaveLongTermKey",
    ]
    .iter()
    .any(|g| kf.get(g, "Key").is_some());
    BluetoothPairing {
        adapter: adapter.to_string(),
        address: device.to_string(),
        name: kf
            .get("General", "Name")
            .map(|v| crate::text::decode_bytes(super::keyfile::unescape(&v.raw).as_bytes()))
            .filter(|n| !n.is_empty()),
        major_class: class.as_deref().and_then(major_class),
        class,
        paired,
        trusted: kf.boolean("General", "Trusted"),
        blocked: kf.boolean("General", "Blocked"),
        source: SourceLocation {
            path: path.to_string(),
            line: kf.get("General", "Name").map(|v| v.line),
        },
    }
}

/// Bits 8-12 of the Class of Device (Bluetooth Assigned Numbers, "Major Device Classes").
pub fn major_class(class: &str) -> Option<BluetoothMajorClass> {
    let value = u32::from_str_radix(class.trim().trim_start_matches("0x"), 16).ok()?;
    Some(match (value >> 8) & 0x1f {
        0x00 => BluetoothMajorClass::Miscellaneous,
        0x01 => BluetoothMajorClass::Computer,
        0x02 => BluetoothMajorClass::Phone,
        0x03 => BluetoothMajorClass::NetworkAccessPoint,
        0x04 => BluetoothMajorClass::AudioVideo,
        0x05 => BluetoothMajorClass::Peripheral,
        0x06 => BluetoothMajorClass::Imaging,
        0x07 => BluetoothMajorClass::Wearable,
        0x08 => BluetoothMajorClass::Toy,
        0x09 => BluetoothMajorClass::Health,
        0x1f => BluetoothMajorClass::Uncategorized,
        _ => BluetoothMajorClass::Reserved,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_phone() {
        let p = parse(
            "00:1A:7D:DA:71:13",
            "AC:37:43:11:22:33",
            "[General]\nName=Zhang's Phone\nClass=0x5a020c\nSupportedTechnologies=BR/EDR;\nTrusted=true\nBlocked=false\n\n[LinkKey]\nKey=0123456789ABCDEF0123456789ABCDEF\nType=4\nPINLength=0\n",
            "/var/lib/bluetooth/00:1A:7D:DA:71:13/AC:37:43:11:22:33/info",
        );
        assert!(p.paired);
        assert_eq!(p.name.as_deref(), Some("Zhang's Phone"));
        assert_eq!(p.major_class, Some(BluetoothMajorClass::Phone));
        assert_eq!(p.trusted, Some(true));
        assert_eq!(p.source.line, Some(2));
    }

    #[test]
    fn remembered_but_not_paired() {
        let p = parse("a", "b", "[General]\nName=Speaker\nClass=0x240404\n", "p");
        assert!(!p.paired);
        assert_eq!(p.major_class, Some(BluetoothMajorClass::AudioVideo));
        let le = parse("a", "b", "[LongTermKey]\nKey=00\n", "p");
        assert!(le.paired);
    }

    #[test]
    fn addresses_and_classes() {
        assert!(is_address("00:1A:7D:DA:71:13"));
        assert!(!is_address("settings"));
        assert!(!is_address("00:1A:7D:DA:71:1G"));
        assert_eq!(major_class("zz"), None);
    }
}
