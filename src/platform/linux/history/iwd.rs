//! iwd's known networks (`var/lib/iwd/NAME.psk`, `.open`, `.8021x`).
//!
//! iwd names each profile after its SSID: the SSID itself when it is only letters, digits,
//! space, `-` and `_`, otherwise `=` followed by the SSID in hex. The extension is the
//! security type.

use super::keyfile::KeyFile;
use super::{files_in, read_record, ssid, Budget};
use crate::inventory::history::{
    NetworkProfile, ProfileKind, ProfileManager, SourceFormat, SourceLocation,
};
use crate::platform::linux::root::display_path;
use crate::platform::linux::HostRoot;

const DIR: &str = "var/lib/iwd";

pub fn collect(host: &HostRoot, budget: &mut Budget<'_>) -> Vec<NetworkProfile> {
    let mut out = Vec::new();
    for rel in files_in(host, DIR) {
        let name = rel.rsplit('/').next().unwrap_or_default();
        let Some((ssid_bytes, security)) = parse_name(name) else {
            continue;
        };
        let Some((bytes, idx)) = read_record(host, budget, &rel, SourceFormat::IwdProfile) else {
            continue;
        };
        budget.sources[idx].records = 1;
        out.push(profile(
            &ssid_bytes,
            security,
            &super::decode_file(&bytes),
            &display_path(&rel),
        ));
    }
    out
}

/// A profile file name to the SSID's bytes and the security type.
pub fn parse_name(name: &str) -> Option<(Vec<u8>, &str)> {
    let (stem, ext) = name.rsplit_once('.')?;
    if !matches!(ext, "psk" | "open" | "8021x") || stem.is_empty() {
        return None;
    }
    let bytes = match stem.strip_prefix('=') {
        Some(hex) => {
            if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()?
        }
        None => stem.as_bytes().to_vec(),
    };
    Some((bytes, ext))
}

pub fn profile(ssid_bytes: &[u8], security: &str, text: &str, path: &str) -> NetworkProfile {
    let kf = KeyFile::parse(text);
    let s = ssid(ssid_bytes);
    NetworkProfile {
        manager: ProfileManager::Iwd,
        kind: ProfileKind::Wifi,
        raw_type: None,
        name: Some(s.text.clone()),
        uuid: None,
        ssid: Some(s),
        mode: None,
        security: Some(security.to_string()),
        apn: None,
        vpn_service: None,
        remote: None,
        interface: None,
        autoconnect: kf.boolean("Settings", "AutoConnect"),
        last_connected: None,
        source: SourceLocation {
            path: path.to_string(),
            line: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_plain_and_hex() {
        assert_eq!(
            parse_name("Home Net.psk"),
            Some((b"Home Net".to_vec(), "psk"))
        );
        assert_eq!(
            parse_name("=e4b8ade69687.open"),
            Some(("中文".as_bytes().to_vec(), "open"))
        );
        assert_eq!(parse_name("=zz.psk"), None);
        assert_eq!(parse_name("notes.txt"), None);
        assert_eq!(parse_name(".psk"), None);
    }

    #[test]
    fn autoconnect_from_settings() {
        let p = profile(
            b"Cafe",
            "open",
            "[Settings]\nAutoConnect=false\n",
            "/var/lib/iwd/Cafe.open",
        );
        assert_eq!(p.autoconnect, Some(false));
        assert_eq!(p.security.as_deref(), Some("open"));
        assert_eq!(p.ssid.unwrap().text, "Cafe");
    }
}
