//! NetworkManager connection profiles (`etc/NetworkManager/system-connections/*`, the
//! keyfile format) and the times NetworkManager last activated each one
//! (`var/lib/NetworkManager/timestamps`).
//!
//! A profile is a network the machine was set up to join, whether or not it is in range
//! now: a saved hotel Wi-Fi, a mobile broadband APN, a VPN. Profiles in NetworkManager's
//! other stores (`/run/NetworkManager/system-connections` for runtime profiles, distribution
//! plugins such as ifcfg-rh) are read too where they are keyfiles.

use super::keyfile::{unescape, KeyFile};
use super::{files_in, read_record, ssid, Budget};
use crate::inventory::history::{
    NetworkProfile, ProfileKind, ProfileManager, SourceFormat, SourceLocation, Timestamp,
};
use crate::platform::linux::root::display_path;
use crate::platform::linux::HostRoot;

const DIRS: [&str; 3] = [
    "etc/NetworkManager/system-connections",
    "run/NetworkManager/system-connections",
    "usr/lib/NetworkManager/system-connections",
];
const TIMESTAMPS: &str = "var/lib/NetworkManager/timestamps";

pub fn collect(host: &HostRoot, budget: &mut Budget<'_>) -> Vec<NetworkProfile> {
    let mut profiles = Vec::new();
    for dir in DIRS {
        for rel in files_in(host, dir) {
            let Some((bytes, idx)) =
                read_record(host, budget, &rel, SourceFormat::NetworkManagerProfile)
            else {
                continue;
            };
            let text = super::decode_file(&bytes);
            if let Some(profile) = parse(&text, &display_path(&rel)) {
                budget.sources[idx].records = 1;
                profiles.push(profile);
            }
        }
    }
    if !profiles.is_empty() {
        if let Some((bytes, idx)) = read_record(
            host,
            budget,
            TIMESTAMPS,
            SourceFormat::NetworkManagerProfile,
        ) {
            let times = KeyFile::parse(&super::decode_file(&bytes));
            budget.sources[idx].records = times.group("timestamps").map_or(0, |g| g.len() as u64);
            for p in &mut profiles {
                let Some(uuid) = &p.uuid else { continue };
                let Some(secs) = times
                    .get("timestamps", uuid)
                    .and_then(|v| v.raw.trim().parse::<i64>().ok())
                    .filter(|&s| s > 0)
                else {
                    continue;
                };
                let t = Timestamp::exact(secs.saturating_mul(1_000_000));
                p.last_connected = Some(p.last_connected.map_or(t, |old| old.max(t)));
            }
        }
    }
    profiles
}

/// One keyfile profile. `None` when it has no `[connection]` group (not a profile).
pub fn parse(text: &str, path: &str) -> Option<NetworkProfile> {
    let kf = KeyFile::parse(text);
    if !kf.has_group("connection") {
        return None;
    }
    let raw_type = kf.string("connection", "type");
    let kind = raw_type.as_deref().map_or(ProfileKind::Other, kind_of);
    // Settings groups have a long and a short name (`802-11-wireless` and `wifi`).
    let wifi = ["wifi", "802-11-wireless"];
    let security = ["wifi-security", "802-11-wireless-security"];
    let first = |groups: &[&str], key: &str| groups.iter().find_map(|g| kf.string(g, key));
    let ssid_value = wifi.iter().find_map(|g| kf.get(g, "ssid"));
    let mut remote = kf
        .string("vpn", "remote")
        .or_else(|| kf.string("vpn", "gateway"))
        .or_else(|| kf.string("vpn", "remote-ip"));
    if remote.is_none() {
        // WireGuard peers are groups named `wireguard-peer.<public key>`.
        remote = kf
            .groups
            .iter()
            .filter(|(g, _)| g.starts_with("wireguard-peer."))
            .find_map(|(g, _)| kf.string(g, "endpoint"));
    }
    let interface = kf
        .string("connection", "interface-name")
        .or_else(|| kf.string("bluetooth", "bdaddr"));
    let last_connected = kf
        .get("connection", "timestamp")
        .and_then(|v| v.raw.trim().parse::<i64>().ok())
        .filter(|&s| s > 0)
        .map(|s| Timestamp::exact(s.saturating_mul(1_000_000)));
    let vpn_service = kf
        .string("vpn", "service-type")
        .or_else(|| (kind == ProfileKind::Wireguard).then(|| "wireguard".to_string()));
    Some(NetworkProfile {
        manager: ProfileManager::NetworkManager,
        kind,
        raw_type,
        name: kf.string("connection", "id"),
        uuid: kf.string("connection", "uuid"),
        ssid: ssid_value.map(|v| ssid(&ssid_bytes(&v.raw))),
        mode: first(&wifi, "mode"),
        security: first(&security, "key-mgmt"),
        apn: kf.string("gsm", "apn"),
        vpn_service,
        remote,
        interface,
        autoconnect: kf.boolean("connection", "autoconnect"),
        last_connected,
        source: SourceLocation {
            path: path.to_string(),
            line: ssid_value
                .map(|v| v.line)
                .or_else(|| kf.get("connection", "type").map(|v| v.line)),
        },
    })
}

pub fn kind_of(raw: &str) -> ProfileKind {
    match raw {
        "wifi" | "802-11-wireless" | "wifi-p2p" | "802-11-olpc-mesh" | "olpc-mesh" | "wimax" => {
            ProfileKind::Wifi
        }
        "gsm" | "cdma" => ProfileKind::Mobile,
        "vpn" => ProfileKind::Vpn,
        "wireguard" => ProfileKind::Wireguard,
        "bluetooth" => ProfileKind::Bluetooth,
        "ethernet" | "802-3-ethernet" => ProfileKind::Ethernet,
        _ => ProfileKind::Other,
    }
}

/// An SSID as NetworkManager writes it: a list of byte values (`72;111;109;101;`) when it
/// is not printable, otherwise a string with GLib escapes, `\;`, and octal `\ooo` or
/// `\xHH` escapes for other bytes.
pub fn ssid_bytes(raw: &str) -> Vec<u8> {
    let raw = raw.trim_end();
    if raw.contains(';') {
        let parts: Vec<&str> = raw.trim_end_matches(';').split(';').collect();
        let bytes: Option<Vec<u8>> = parts.iter().map(|p| p.trim().parse::<u8>().ok()).collect();
        if let Some(bytes) = bytes.filter(|b| !b.is_empty()) {
            return bytes;
        }
    }
    unescape_bytes(raw)
}

fn unescape_bytes(raw: &str) -> Vec<u8> {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let next = b[i + 1];
            if next == b'x' {
                if let Some(v) = b
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
            if next.is_ascii_digit() {
                if let Some(v) = b
                    .get(i + 1..i + 4)
                    .and_then(|o| std::str::from_utf8(o).ok())
                    .and_then(|o| u8::from_str_radix(o, 8).ok())
                {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
            // Both bytes are ASCII here, so `i + 2` is a character boundary.
            let one = if next.is_ascii() {
                unescape(&raw[i..i + 2])
            } else {
                String::new()
            };
            if one.len() == 1 {
                out.extend_from_slice(one.as_bytes());
                i += 2;
                continue;
            }
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
    fn wifi_profile() {
        let p = parse(
            "[connection]\nid=Office\nuuid=0d0e0f00-1111-2222-3333-444455556666\ntype=wifi\ninterface-name=wlp2s0\ntimestamp=1709633472\n\n[wifi]\nmode=infrastructure\nssid=Office 5G\n\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=secret\n",
            "/etc/NetworkManager/system-connections/Office.nmconnection",
        )
        .unwrap();
        assert_eq!(p.kind, ProfileKind::Wifi);
        assert_eq!(p.ssid.as_ref().unwrap().text, "Office 5G");
        assert_eq!(p.ssid.as_ref().unwrap().hex, "4f6666696365203547");
        assert_eq!(p.security.as_deref(), Some("wpa-psk"));
        assert_eq!(p.source.line, Some(10));
        assert_eq!(p.last_connected.unwrap().unix_seconds(), 1_709_633_472);
        assert_eq!(p.interface.as_deref(), Some("wlp2s0"));
    }

    #[test]
    fn old_style_long_group_names_and_byte_list_ssid() {
        let p = parse(
            "[connection]\nid=x\ntype=802-11-wireless\n[802-11-wireless]\nssid=72;111;109;101;\n",
            "p",
        )
        .unwrap();
        assert_eq!(p.kind, ProfileKind::Wifi);
        assert_eq!(p.ssid.unwrap().text, "Home");
    }

    #[test]
    fn ssid_escapes_keep_bytes() {
        assert_eq!(ssid_bytes(r"a\sb"), b"a b");
        assert_eq!(ssid_bytes(r"semi\;colon"), b"semi;colon");
        assert_eq!(ssid_bytes(r"\xff\377x"), b"\xff\xffx");
        assert_eq!(ssid_bytes("1;2;300;"), b"1;2;300;");
        assert_eq!(ssid(&ssid_bytes(r"\xff")).text, "\\xff");
    }

    #[test]
    fn mobile_vpn_wireguard_bluetooth() {
        let gsm = parse(
            "[connection]\nid=China Mobile\ntype=gsm\n[gsm]\napn=cmnet\n",
            "p",
        )
        .unwrap();
        assert_eq!(
            (gsm.kind, gsm.apn.as_deref()),
            (ProfileKind::Mobile, Some("cmnet"))
        );
        let vpn = parse(
            "[connection]\nid=work\ntype=vpn\n[vpn]\nservice-type=org.freedesktop.NetworkManager.openvpn\nremote=vpn.example.com:1194\n",
            "p",
        )
        .unwrap();
        assert_eq!(vpn.kind, ProfileKind::Vpn);
        assert_eq!(vpn.remote.as_deref(), Some("vpn.example.com:1194"));
        let wg = parse(
            "[connection]\nid=wg0\ntype=wireguard\n[wireguard-peer.abc=]\nendpoint=203.0.113.5:51820\n",
            "p",
        )
        .unwrap();
        assert_eq!(wg.kind, ProfileKind::Wireguard);
        assert_eq!(wg.vpn_service.as_deref(), Some("wireguard"));
        assert_eq!(wg.remote.as_deref(), Some("203.0.113.5:51820"));
        let bt = parse(
            "[connection]\nid=Phone Network\ntype=bluetooth\n[bluetooth]\nbdaddr=AA:BB:CC:DD:EE:FF\ntype=panu\n",
            "p",
        )
        .unwrap();
        assert_eq!(bt.kind, ProfileKind::Bluetooth);
        assert_eq!(bt.interface.as_deref(), Some("AA:BB:CC:DD:EE:FF"));
    }

    #[test]
    fn not_a_profile() {
        assert!(parse("just text\n", "p").is_none());
        assert!(parse("[other]\na=b\n", "p").is_none());
        let unknown = parse("[connection]\nid=x\ntype=teleport\n", "p").unwrap();
        assert_eq!(unknown.kind, ProfileKind::Other);
    }
}
