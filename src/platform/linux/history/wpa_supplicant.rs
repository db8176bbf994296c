//! wpa_supplicant configuration (`etc/wpa_supplicant/*.conf`): `network={ ... }` blocks,
//! one per saved Wi-Fi network.
//!
//! An SSID is written `ssid="text"`, as bare hex (`ssid=486f6d65`), or printf-escaped
//! (`ssid=P"caf\xc3\xa9"`); all three come out as the same bytes.

use super::{files_in, read_record, ssid, Budget};
use crate::inventory::history::{
    NetworkProfile, ProfileKind, ProfileManager, SourceFormat, SourceLocation,
};
use crate::platform::linux::root::display_path;
use crate::platform::linux::HostRoot;

const DIRS: [&str; 2] = ["etc/wpa_supplicant", "etc"];

pub fn collect(host: &HostRoot, budget: &mut Budget<'_>) -> Vec<NetworkProfile> {
    let mut files: Vec<String> = files_in(host, DIRS[0])
        .into_iter()
        .filter(|f| f.ends_with(".conf"))
        .collect();
    // Some distributions keep a single /etc/wpa_supplicant.conf.
    if host.exists("etc/wpa_supplicant.conf") {
        files.push(format!("{}/wpa_supplicant.conf", DIRS[1]));
    }
    let mut out = Vec::new();
    for rel in files {
        let Some((bytes, idx)) = read_record(host, budget, &rel, SourceFormat::WpaSupplicantConfig)
        else {
            continue;
        };
        let found = parse(&super::decode_file(&bytes), &display_path(&rel));
        budget.sources[idx].records = found.len() as u64;
        out.extend(found);
    }
    out
}

pub fn parse(text: &str, path: &str) -> Vec<NetworkProfile> {
    let mut out = Vec::new();
    let mut current: Option<(u64, Vec<(String, String)>)> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match &mut current {
            None => {
                let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
                if compact.starts_with("network={") {
                    current = Some((n as u64 + 1, Vec::new()));
                }
            }
            Some((start, fields)) => {
                if line == "}" {
                    out.push(profile(*start, fields, path));
                    current = None;
                } else if let Some((k, v)) = line.split_once('=') {
                    fields.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
        }
    }
    // A block cut off by the end of the file still names its network.
    if let Some((start, fields)) = &current {
        out.push(profile(*start, fields, path));
    }
    out
}

fn profile(line: u64, fields: &[(String, String)], path: &str) -> NetworkProfile {
    let get = |key: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let ssid_value = get("ssid").and_then(value_bytes).map(|b| ssid(&b));
    let mode = get("mode").map(|m| match m {
        "0" => "infrastructure".to_string(),
        "1" => "adhoc".to_string(),
        "2" => "ap".to_string(),
        other => other.to_string(),
    });
    NetworkProfile {
        manager: ProfileManager::WpaSupplicant,
        kind: ProfileKind::Wifi,
        raw_type: None,
        name: get("id_str")
            .and_then(value_bytes)
            .map(|b| crate::text::decode_bytes(&b))
            .or_else(|| ssid_value.as_ref().map(|s| s.text.clone())),
        uuid: None,
        ssid: ssid_value,
        mode,
        security: get("key_mgmt").map(str::to_string),
        apn: None,
        vpn_service: None,
        remote: None,
        interface: None,
        autoconnect: get("disabled").map(|d| d != "1"),
        last_connected: None,
        source: SourceLocation {
            path: path.to_string(),
            line: Some(line),
        },
    }
}

/// `"text"`, `P"escaped"` or bare hex.
pub fn value_bytes(raw: &str) -> Option<Vec<u8>> {
    if let Some(quoted) = raw.strip_prefix('"') {
        return Some(
            quoted
                .strip_suffix('"')
                .unwrap_or(quoted)
                .as_bytes()
                .to_vec(),
        );
    }
    if let Some(escaped) = raw.strip_prefix("P\"") {
        return Some(printf_unescape(
            escaped.strip_suffix('"').unwrap_or(escaped),
        ));
    }
    if raw.len().is_multiple_of(2) && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return (0..raw.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&raw[i..i + 2], 16).ok())
            .collect();
    }
    None
}

fn printf_unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'e' => out.push(0x1b),
                b'\\' => out.push(b'\\'),
                b'"' => out.push(b'"'),
                b'x' => {
                    let hex = b
                        .get(i + 2..i + 4)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        out.push(v);
                        i += 4;
                        continue;
                    }
                    out.extend_from_slice(b"\\x");
                }
                other => {
                    out.push(b'\\');
                    out.push(other);
                }
            }
            i += 2;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_in_all_ssid_spellings() {
        let found = parse(
            "ctrl_interface=/run/wpa_supplicant\nupdate_config=1\n\nnetwork={\n\tssid=\"Home\"\n\tpsk=\"secret\"\n\tkey_mgmt=WPA-PSK\n}\nnetwork={\n ssid=486f6d65\n key_mgmt=NONE\n disabled=1\n}\nnetwork = {\n ssid=P\"caf\\xc3\\xa9\\e[2J\"\n mode=2\n}\n",
            "/etc/wpa_supplicant/wpa_supplicant.conf",
        );
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].ssid.as_ref().unwrap().text, "Home");
        assert_eq!(found[0].source.line, Some(4));
        assert_eq!(found[0].security.as_deref(), Some("WPA-PSK"));
        assert_eq!(found[1].ssid.as_ref().unwrap().hex, "486f6d65");
        assert_eq!(found[1].autoconnect, Some(false));
        assert_eq!(found[2].ssid.as_ref().unwrap().text, "café\u{1b}[2J");
        assert_eq!(found[2].mode.as_deref(), Some("ap"));
    }

    #[test]
    fn unterminated_and_junk() {
        let found = parse("network={\nssid=\"cut", "p");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ssid.as_ref().unwrap().text, "cut");
        assert!(parse("}}}\nssid=\"x\"\n", "p").is_empty());
        assert_eq!(value_bytes("zz"), None);
        assert_eq!(value_bytes("abc"), None);
    }
}
