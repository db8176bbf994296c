//! Radios: Wi-Fi, Bluetooth, mobile broadband (WWAN), NFC, and the rfkill switches.
//!
//! A radio counts whether or not a driver is bound and whether or not it is switched off:
//! a Bluetooth dongle with no driver (USB interface e0/01/01) is still a radio someone can
//! bind a driver to, and an rfkill soft block is one command away from being lifted. The
//! rfkill state is recorded so a report can say so, not to excuse the device.

use serde::{Deserialize, Serialize};

use super::bus::Bus;
use super::usb::UsbRef;
use super::Problem;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirelessSection {
    pub wifi: Vec<Radio>,
    pub bluetooth: Vec<Radio>,
    pub wwan: Vec<Radio>,
    pub nfc: Vec<Radio>,
    pub rfkill: Vec<RfkillSwitch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// The kinds of radio a policy can forbid. USB tethering is a phone's radio reached over a
/// cable: it shows up as a network interface, not in a radio list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RadioKind {
    Wifi,
    Bluetooth,
    Wwan,
    UsbTethering,
    Nfc,
}

impl RadioKind {
    pub const ALL: [RadioKind; 5] = [
        RadioKind::Wifi,
        RadioKind::Bluetooth,
        RadioKind::Wwan,
        RadioKind::UsbTethering,
        RadioKind::Nfc,
    ];
}

crate::vocab::unit_names!(RadioKind);

impl WirelessSection {
    pub fn radios(&self) -> impl Iterator<Item = &Radio> {
        self.by_kind().into_iter().flat_map(|(_, list)| list.iter())
    }

    /// Each radio list with the kind it holds.
    pub fn by_kind(&self) -> [(RadioKind, &Vec<Radio>); 4] {
        [
            (RadioKind::Wifi, &self.wifi),
            (RadioKind::Bluetooth, &self.bluetooth),
            (RadioKind::Wwan, &self.wwan),
            (RadioKind::Nfc, &self.nfc),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Radio {
    /// The kernel's name for it (`wlan0`, `hci0`, `wwan0`, `nfc0`, or the USB port).
    pub name: String,
    /// Network interface it provides, if any.
    pub interface: Option<String>,
    pub device_path: String,
    pub bus: Bus,
    pub driver: Option<String>,
    /// MAC or Bluetooth address.
    pub address: Option<String>,
    pub usb: Option<UsbRef>,
    /// What showed it (`wireless-interface`, `wwan-class`, `cdc-wdm`,
    /// `unbound-usb-interface-e0/01/01`, ...).
    pub detected_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfkillSwitch {
    pub name: String,
    pub label: Option<String>,
    /// `wlan`, `bluetooth`, `wwan`, `nfc`, `gps`, `fm`, `uwb`, `wimax`, `all`.
    pub radio_type: Option<String>,
    pub soft_blocked: Option<bool>,
    pub hard_blocked: Option<bool>,
    pub device_path: String,
}
