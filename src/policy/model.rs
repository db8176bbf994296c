//! The validated policy: what the rest of the program works with once loading succeeded.
//!
//! Nothing here can be in a half-checked state: a `Policy` only exists when every rule,
//! setting and allowlist entry in the file was understood.

use serde::{Deserialize, Serialize};

use super::checks::Check;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    pub zh: String,
    pub en: String,
}

impl Title {
    pub fn pick(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

pub use crate::i18n::Lang;

pub use crate::finding::v1::Severity;

/// What a device must report to match an allowlist entry. Every field given must match;
/// hex ids and MAC addresses compare case-insensitively, serials and names exactly. Each
/// name field says what it names: a device is never matched by a name of another kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceMatch {
    pub vendor_id: Option<String>,
    pub product_id: Option<String>,
    pub serial: Option<String>,
    pub model: Option<String>,
    pub mac: Option<String>,
    pub driver: Option<String>,
    /// A network interface by name (`eth1`).
    pub interface: Option<String>,
    /// A USB device by the port it is plugged into (`1-4.2`).
    pub port: Option<String>,
    /// A block device by its kernel name (`sdb`).
    pub block_device: Option<String>,
    /// A video node by name (`video0`).
    pub video_node: Option<String>,
    /// A sound card by its id (`Headset`, as `/proc/asound/cards` shows it in brackets).
    pub card_id: Option<String>,
    /// A radio by its device name (`hci0`, `phy0`) or the interface it provides (`wlan0`).
    pub radio: Option<String>,
    /// The site's own name for the device (an asset number); never matched.
    pub label: Option<String>,
}

/// The identifiers one device offers to an allowlist.
#[derive(Debug, Clone, Default)]
pub struct Identifiers<'a> {
    pub vendor_id: Option<&'a str>,
    pub product_id: Option<&'a str>,
    /// A device may have several serials (the USB descriptor's and the disk's own).
    pub serials: Vec<&'a str>,
    pub model: Option<&'a str>,
    pub mac: Option<&'a str>,
    pub driver: Option<&'a str>,
    pub interface: Option<&'a str>,
    pub port: Option<&'a str>,
    pub block_device: Option<&'a str>,
    pub video_node: Option<&'a str>,
    pub card_id: Option<&'a str>,
    /// Every name the radio goes by (its device and the interface it provides).
    pub radio: Vec<&'a str>,
}

impl<'a> Identifiers<'a> {
    /// The identifiers a USB parent offers (vendor, product, serial, port); callers add their
    /// own.
    pub fn from_usb(usb: Option<&'a crate::inventory::UsbRef>) -> Identifiers<'a> {
        Identifiers {
            vendor_id: usb.and_then(|u| u.vendor_id.as_deref()),
            product_id: usb.and_then(|u| u.product_id.as_deref()),
            serials: usb.and_then(|u| u.serial.as_deref()).into_iter().collect(),
            port: usb.map(|u| u.port.as_str()),
            ..Identifiers::default()
        }
    }
}

impl DeviceMatch {
    pub fn matches(&self, ids: &Identifiers) -> bool {
        let same_ci = |want: &Option<String>, got: Option<&str>| {
            want.as_deref()
                .is_none_or(|w| got.is_some_and(|g| g.eq_ignore_ascii_case(w)))
        };
        let same = |want: &Option<String>, got: Option<&str>| {
            want.as_deref().is_none_or(|w| got == Some(w))
        };
        same_ci(&self.vendor_id, ids.vendor_id)
            && same_ci(&self.product_id, ids.product_id)
            && self
                .serial
                .as_deref()
                .is_none_or(|w| ids.serials.iter().any(|s| s.trim() == w))
            && same(&self.model, ids.model)
            && same_ci(&self.mac, ids.mac)
            && same(&self.driver, ids.driver)
            && same(&self.interface, ids.interface)
            && same(&self.port, ids.port)
            && same(&self.block_device, ids.block_device)
            && same(&self.video_node, ids.video_node)
            && same(&self.card_id, ids.card_id)
            && self.radio.as_deref().is_none_or(|w| ids.radio.contains(&w))
    }

    /// Whether the entry names nothing to match (a label alone identifies no device).
    pub fn is_empty(&self) -> bool {
        *self
            == DeviceMatch {
                label: self.label.clone(),
                ..DeviceMatch::default()
            }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MediaRole {
    /// Ordinary registered medium: may be read and written.
    Transfer,
    /// One-way import (单向导入): data only flows into the workstation.
    Import,
}

/// A registered removable medium (登记的移动存储介质).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaEntry {
    pub device: DeviceMatch,
    pub role: MediaRole,
    /// The USB interfaces the medium was registered with (`08/06/50`), like USBGuard's
    /// `with-interface`: a device that clones its identifiers and adds a keyboard or a network
    /// function presents more. `None`: not pinned (entries made before pinning existed).
    pub interfaces: Option<Vec<InterfaceClass>>,
}

/// A USB interface's class, subclass and protocol, each two hex digits or `*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceClass {
    pub class: String,
    pub subclass: String,
    pub protocol: String,
}

impl InterfaceClass {
    /// `08/06/50`, `08/*/*`.
    pub fn parse(text: &str) -> Option<InterfaceClass> {
        let part = |p: &str| {
            let ok = p == "*" || (p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
            ok.then(|| p.to_ascii_lowercase())
        };
        let mut parts = text.split('/');
        let found = InterfaceClass {
            class: part(parts.next()?)?,
            subclass: part(parts.next()?)?,
            protocol: part(parts.next()?)?,
        };
        parts.next().is_none().then_some(found)
    }

    pub fn matches(&self, class: &str, subclass: &str, protocol: &str) -> bool {
        let same = |want: &str, got: &str| want == "*" || want.eq_ignore_ascii_case(got);
        same(&self.class, class) && same(&self.subclass, subclass) && same(&self.protocol, protocol)
    }
}

impl std::fmt::Display for InterfaceClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.class, self.subclass, self.protocol)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub title: Title,
    pub severity: Severity,
    pub enabled: bool,
    pub remediation: Title,
    pub check: Check,
    /// What `isoguard watch` may do about a failure of this rule (nothing unless a site
    /// override says `enforce = true`).
    pub enforce: Enforce,
}

/// Enforcement, opt-in per rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Enforce {
    /// `enforce = true`: deauthorize the offending USB device or interface, soft-block the
    /// offending radio.
    pub on: bool,
    /// `enforce_interface_down = true` (external-network only, and only with `enforce`):
    /// take the offending interface down. Separate because it can cut a machine off its
    /// classified LAN too.
    pub interface_down: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: String,
    pub version: String,
    pub title: Title,
    /// Where it came from (a path, or `builtin:NAME`).
    pub source: String,
    /// SHA-256 of the policy file's bytes, hex.
    pub sha256: String,
    /// SHA-256 of the site override applied, if any.
    pub override_sha256: Option<String>,
    pub rules: Vec<Rule>,
    pub media: Vec<MediaEntry>,
}

crate::vocab::unit_names!(MediaRole);
