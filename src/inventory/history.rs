//! History: what the machine has been through, as far as its own records tell.
//!
//! The other sections say what is attached now; an inspection also asks what was attached
//! before and where the machine has been: a USB stick or a phone used last month and taken
//! away, a Wi-Fi network joined once, a phone paired over Bluetooth. Those traces live in the
//! kernel's log messages, in saved network profiles, in address leases and in Bluetooth
//! pairing records. This section lists them as typed facts with the evidence that names
//! them (which record, which line, what time), and judges nothing.
//!
//! History is never complete. Logs rotate away, and reading them is bounded (bytes, files,
//! a look-back window, a time budget) so that a boot scan stays fast. Every bound that was
//! hit is listed in [`HistorySection::truncated`], every record read in
//! [`HistorySection::sources`] with how much of it was covered, and every record that could
//! not be read in [`HistorySection::problems`], so a rule can tell "nothing was seen" from
//! "nothing could be looked at".
//!
//! Everything here except the times was written by the device, a user or a remote network:
//! strings are kept as written (invalid UTF-8 as `\xNN`), bounded, and never trusted to be
//! well-formed. Paths name where a record was read, as it would be on the running system.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::inventory::Problem;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistorySection {
    /// The look-back window: records older than `since` were not read.
    pub window: Window,
    /// USB devices the kernel reported, one per connection.
    pub devices: Vec<DeviceSighting>,
    /// Saved network profiles (Wi-Fi, mobile broadband, VPN, ...), whenever they were made.
    pub profiles: Vec<NetworkProfile>,
    /// Address leases the machine was given, with the networks' gateways and name servers.
    pub leases: Vec<Lease>,
    /// Bluetooth devices the machine has a record of.
    pub pairings: Vec<BluetoothPairing>,
    /// Every record looked at, with how much of it was read.
    pub sources: Vec<SourceRead>,
    /// Every bound that stopped a read, naming what was left unread.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub truncated: Vec<Truncation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// A point in time, with how much of it the record said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp {
    /// Microseconds since 1970-01-01 00:00 UTC.
    pub unix_micros: i64,
    pub zone: ZoneBasis,
    /// The record gave no year (traditional syslog `Mar  5 10:11:12`); it was taken from the
    /// file's modification time, so a record more than a year older than that is misdated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub year_inferred: bool,
}

/// How a time was tied to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZoneBasis {
    /// Recorded in UTC or with its offset (journal timestamps, ISO 8601 with an offset).
    Recorded,
    /// Local wall-clock time, converted with the machine's own time zone.
    Local,
    /// Local wall-clock time and the machine names no time zone: read as UTC, so it may be
    /// off by the machine's UTC offset.
    Unknown,
}

impl Timestamp {
    pub fn exact(unix_micros: i64) -> Timestamp {
        Timestamp {
            unix_micros,
            zone: ZoneBasis::Recorded,
            year_inferred: false,
        }
    }

    pub fn unix_seconds(&self) -> i64 {
        self.unix_micros.div_euclid(1_000_000)
    }

    /// `2024-03-05T10:11:12Z` (UTC, whole seconds), for people.
    pub fn to_rfc3339(&self) -> String {
        crate::time::rfc3339_utc(crate::time::from_unix_seconds(self.unix_seconds()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub since: Timestamp,
    pub until: Timestamp,
    pub days: u32,
}

/// One USB device connection: from the kernel's "new device" message (or the first message
/// that was read, when that one was not) to its "disconnect" (or the last message).
///
/// A port is reused by other devices over time, so each connection is its own sighting; the
/// same stick plugged in twice is two sightings with the same identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSighting {
    /// Physical port path as the kernel names it (`1-2`, `3-1.4`); `None` when the only
    /// messages read named the device by its ids.
    pub port: Option<String>,
    /// The kernel's device number on its bus for this connection (`device number 5`).
    pub device_number: Option<u32>,
    /// Four lowercase hex digits, as `lsusb` shows them.
    pub vendor_id: Option<String>,
    pub product_id: Option<String>,
    /// Device release number (`bcdDevice=1.00`).
    pub release: Option<String>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub serial: Option<String>,
    /// `high-speed`, `SuperSpeed`, ... as the kernel said it.
    pub speed: Option<String>,
    /// What the device was, from the drivers that took it; empty when no message said.
    pub kinds: Vec<DeviceKind>,
    /// Disks (`sdb`), network interfaces (`usb0`), serial lines (`ttyACM0`), radios (`hci0`)
    /// the kernel made for it.
    pub attached: Vec<String>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// Whether the "new device" message was read (otherwise the connection began before
    /// what was read, and identifiers may be missing).
    pub connect_seen: bool,
    /// Whether the "disconnect" message was read.
    pub disconnect_seen: bool,
    /// The boot it happened in, where the record says (journal `_BOOT_ID`).
    pub boot_id: Option<String>,
    /// The messages this sighting was built from, first ones first, from every record that
    /// had them (the same message often sits in the journal, `kern.log` and `syslog`).
    pub evidence: Vec<Evidence>,
    /// Further messages of this sighting that were not kept as evidence.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub evidence_omitted: u32,
}

impl DeviceSighting {
    /// `vvvv:pppp`, when both ids are known.
    pub fn vid_pid(&self) -> Option<String> {
        Some(format!(
            "{}:{}",
            self.vendor_id.as_deref()?,
            self.product_id.as_deref()?
        ))
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What a USB device was, from the drivers that bound to it and the devices they made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// USB mass storage (usb-storage, uas) or a SCSI disk made through it.
    Storage,
    /// A phone, or anything presenting a USB network function the way phones do when
    /// tethering (RNDIS, CDC Ethernet/NCM/EEM, Apple's ipheth).
    Phone,
    /// A wired USB network adapter (r8152, ax88179, asix, ...).
    NetworkAdapter,
    /// A USB Wi-Fi adapter.
    WirelessAdapter,
    /// A camera (UVC, gspca).
    Camera,
    /// A modem or serial line (cdc_acm, qmi_wwan, cdc_mbim, option, ...).
    Modem,
    /// A Bluetooth radio (btusb).
    Bluetooth,
    /// Keyboards, mice and other input devices.
    Hid,
    Hub,
}

/// One kernel message that is evidence for a sighting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The record: a log file, a journal file or a journal recording.
    pub source: String,
    /// 1-based line in the (decompressed) text file or recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Journal cursor of the entry (`journalctl --cursor` finds it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Byte offset in the record: of the line in a text file, of the entry object in a
    /// journal file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    pub time: Option<Timestamp>,
    /// Time since boot as the kernel stamped it (`[  123.456789]`), in microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_micros: Option<u64>,
    /// The kernel's message, decoded and bounded.
    pub message: String,
}

/// A saved network profile: a network the machine was set up to join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkProfile {
    pub manager: ProfileManager,
    pub kind: ProfileKind,
    /// The type as written (`wifi`, `802-11-wireless`, `gsm`, `vpn`, ...).
    pub raw_type: Option<String>,
    /// The profile's name (NetworkManager `id`); for iwd and wpa_supplicant, the SSID.
    pub name: Option<String>,
    pub uuid: Option<String>,
    pub ssid: Option<Ssid>,
    /// Wi-Fi mode (`infrastructure`, `ap` for a hotspot this machine offers, `adhoc`).
    pub mode: Option<String>,
    /// Key management (`wpa-psk`, `sae`, `none`, `8021x`, ...).
    pub security: Option<String>,
    /// Mobile broadband access point name.
    pub apn: Option<String>,
    /// VPN plugin (`org.freedesktop.NetworkManager.openvpn`) or `wireguard`.
    pub vpn_service: Option<String>,
    /// VPN or WireGuard peer (`remote`, `gateway`, `endpoint`), as written.
    pub remote: Option<String>,
    /// Interface the profile is tied to, or a Bluetooth device address for a phone's PAN/DUN.
    pub interface: Option<String>,
    pub autoconnect: Option<bool>,
    /// When it was last connected, where the manager records it.
    pub last_connected: Option<Timestamp>,
    pub source: SourceLocation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileManager {
    NetworkManager,
    WpaSupplicant,
    Iwd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileKind {
    Wifi,
    /// GSM/UMTS/LTE or CDMA mobile broadband.
    Mobile,
    Vpn,
    Wireguard,
    /// Bluetooth PAN or DUN: networking through a phone.
    Bluetooth,
    Ethernet,
    /// PPPoE, bonds, bridges, VLANs, loopback, and types this version does not know.
    Other,
}

/// An SSID is 0 to 32 arbitrary bytes: `text` is for people (invalid UTF-8 as `\xNN`),
/// `hex` is exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ssid {
    pub text: String,
    pub hex: String,
}

/// Where a fact was read: a file, and the line in it where that applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// An address lease the machine was given by a DHCP server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub client: LeaseClient,
    pub interface: Option<String>,
    pub address: Option<IpAddr>,
    pub prefix_len: Option<u8>,
    pub gateways: Vec<IpAddr>,
    pub dns: Vec<IpAddr>,
    /// The DHCP server that handed it out.
    pub server: Option<IpAddr>,
    pub domain: Option<String>,
    /// The profile it was obtained for (NetworkManager names lease files after it).
    pub profile_uuid: Option<String>,
    /// When it was obtained or renewed, where the lease says.
    pub obtained: Option<Timestamp>,
    pub expires: Option<Timestamp>,
    pub source: SourceLocation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeaseClient {
    /// NetworkManager's internal DHCP client.
    NetworkManager,
    /// ISC dhclient (also when NetworkManager runs it).
    Dhclient,
    SystemdNetworkd,
}

/// A Bluetooth device this machine keeps a record of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BluetoothPairing {
    /// Address of this machine's adapter.
    pub adapter: String,
    pub address: String,
    pub name: Option<String>,
    /// Class of Device as written (`0x5a020c`).
    pub class: Option<String>,
    pub major_class: Option<BluetoothMajorClass>,
    /// A link key (BR/EDR) or long-term key (LE) is stored: the devices were bonded.
    pub paired: bool,
    pub trusted: Option<bool>,
    pub blocked: Option<bool>,
    pub source: SourceLocation,
}

/// The major device class of the Bluetooth Class of Device (bits 8 to 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BluetoothMajorClass {
    Miscellaneous,
    Computer,
    Phone,
    NetworkAccessPoint,
    AudioVideo,
    Peripheral,
    Imaging,
    Wearable,
    Toy,
    Health,
    Uncategorized,
    Reserved,
}

/// One record looked at, and how much of it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRead {
    pub path: String,
    pub format: SourceFormat,
    pub coverage: Coverage,
    /// Bytes of the record's content read (decompressed, for compressed files).
    pub bytes_read: u64,
    /// Lines, entries or blocks examined.
    pub records: u64,
    /// The oldest and newest record times read, where the format has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    /// A binary journal file, read by isoguard's own reader (neither libsystemd nor
    /// journalctl is used).
    JournalFile,
    /// A journal recording in export format (`journalctl -o export`).
    JournalExport,
    /// A syslog text file (`kern.log`, `syslog`, `messages` and their rotations).
    TextLog,
    /// The same, gzip-compressed.
    GzipTextLog,
    NetworkManagerProfile,
    WpaSupplicantConfig,
    IwdProfile,
    NetworkManagerLease,
    DhclientLease,
    NetworkdLease,
    BluetoothDevice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    /// Everything in it within the look-back window was read.
    Whole,
    /// Only part was read: a bound stopped it (see `truncated`) or it could not be read
    /// to the end (see `problems`).
    Partial,
    /// Not read: everything in it is older than the look-back window.
    OutsideWindow,
    /// Not read: a bound was reached before it (see `truncated`).
    NotRead,
}

/// A bound that stopped a read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truncation {
    pub path: String,
    pub limit: LimitKind,
    /// What was left unread.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitKind {
    FileBytes,
    TotalBytes,
    Files,
    TimeBudget,
    LineBytes,
    Records,
}

/// Bounds of one history read. The defaults keep the history part of a boot scan to about a
/// second whatever the machine holds (see docs/history.md): the byte bounds keep a warm read
/// of 200 MB of text logs and a 1 GB journal within them, and the time budget stops a cold,
/// disk-bound read, newest records first. Every bound hit is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Content bytes read from one file (decompressed, for compressed files).
    pub max_file_bytes: u64,
    /// Content bytes read from all records together.
    pub max_total_bytes: u64,
    /// Files read in all (logs, journal files, profiles, leases, pairing records).
    pub max_files: usize,
    /// Records older than this many days before `now` are not read.
    pub look_back_days: u32,
    /// Wall-clock time the whole read may take; what is left when it runs out is recorded.
    pub time_budget: Duration,
    /// Longest line kept whole; longer lines are cut and noted.
    pub max_line_bytes: usize,
    /// Most sightings kept; the newest are kept.
    pub max_sightings: usize,
    /// Most evidence messages kept per sighting.
    pub max_evidence: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 64 << 20,
            max_total_bytes: 512 << 20,
            max_files: 2_000,
            look_back_days: 365,
            time_budget: Duration::from_secs(1),
            max_line_bytes: 8 << 10,
            max_sightings: 10_000,
            max_evidence: 24,
        }
    }
}

crate::vocab::unit_names!(DeviceKind, ProfileKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_utc() {
        // 2024-03-05T10:11:12Z
        let t = Timestamp::exact(1_709_633_472_000_000);
        assert_eq!(t.to_rfc3339(), "2024-03-05T10:11:12Z");
        assert_eq!(Timestamp::exact(-1).to_rfc3339(), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn kinds_are_kebab_case() {
        let json = serde_json::to_string(&[DeviceKind::NetworkAdapter, DeviceKind::Storage])
            .expect("serialize");
        assert_eq!(json, r#"["network-adapter","storage"]"#);
    }
}
