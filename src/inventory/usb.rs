//! USB devices: what each one says it is, and what its interfaces say it can do.
//!
//! Everything here is chosen by the device: ids, names and serial can be forged by a hostile
//! device, so they are kept as reported (for allowlists to match) but never trusted to be
//! well-formed. What a device *is* comes from its interface classes, since a phone, a
//! webcam or a Bluetooth dongle announces itself there whatever its device class says.

use serde::{Deserialize, Serialize};

use super::Problem;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbSection {
    pub devices: Vec<UsbDevice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// What the port says about the device's attachment (`removable` attribute, kernel ≥ 3.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortRemovable {
    Removable,
    Fixed,
    Unknown,
    /// The kernel or recording has no such attribute.
    NotReported,
}

/// What a USB device is, from its interfaces (and udev's MTP detection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UsbKind {
    MassStorage,
    StillImage,
    Mtp,
    Audio,
    Video,
    WirelessController,
    Communications,
    Hid,
    Hub,
    Printer,
    SmartCard,
    VendorSpecific,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbInterface {
    /// `configuration.interface` (`1.0`), when the recording has the interface folder.
    pub number: Option<String>,
    pub class: String,
    pub subclass: String,
    pub protocol: String,
    pub driver: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbDevice {
    /// Kernel name, which is also the physical port path (`5-1`, `1-4.1.3`, `usb1`).
    pub port: String,
    pub device_path: String,
    pub vendor_id: Option<String>,
    pub product_id: Option<String>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub serial: Option<String>,
    pub device_class: Option<String>,
    pub driver: Option<String>,
    pub removable: PortRemovable,
    pub root_hub: bool,
    pub interfaces: Vec<UsbInterface>,
    pub kinds: Vec<UsbKind>,
}

impl UsbDevice {
    /// This device's identifiers, as other devices' evidence names their USB parent.
    pub fn ids(&self) -> UsbRef {
        UsbRef {
            port: self.port.clone(),
            device_path: self.device_path.clone(),
            vendor_id: self.vendor_id.clone(),
            product_id: self.product_id.clone(),
            manufacturer: self.manufacturer.clone(),
            product: self.product.clone(),
            serial: self.serial.clone(),
        }
    }
}

/// The identifiers of the USB device a block device, interface or card hangs off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbRef {
    pub port: String,
    pub device_path: String,
    pub vendor_id: Option<String>,
    pub product_id: Option<String>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub serial: Option<String>,
}

/// What a device is, from its device class, its interfaces' class codes (USB-IF
/// assignments, so any backend reads them alike) and whether it speaks MTP.
pub fn kinds_of(
    device_class: Option<&str>,
    interfaces: &[UsbInterface],
    mtp: bool,
) -> Vec<UsbKind> {
    let mut kinds: Vec<UsbKind> = interfaces
        .iter()
        .map(
            |i| match (i.class.as_str(), i.subclass.as_str(), i.protocol.as_str()) {
                ("08", _, _) => UsbKind::MassStorage,
                ("06", _, _) => UsbKind::StillImage,
                ("01", _, _) => UsbKind::Audio,
                ("0e", _, _) => UsbKind::Video,
                ("e0", _, _) => UsbKind::WirelessController,
                // Android RNDIS tethering announces itself as a miscellaneous RNDIS function.
                ("ef", "04", "01") => UsbKind::Communications,
                ("02", _, _) | ("0a", _, _) => UsbKind::Communications,
                ("03", _, _) => UsbKind::Hid,
                ("09", _, _) => UsbKind::Hub,
                ("07", _, _) => UsbKind::Printer,
                ("0b", _, _) => UsbKind::SmartCard,
                ("ff", _, _) => UsbKind::VendorSpecific,
                _ => UsbKind::Other,
            },
        )
        .collect();
    if device_class == Some("09") {
        kinds.push(UsbKind::Hub);
    }
    if mtp {
        kinds.push(UsbKind::Mtp);
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

crate::vocab::unit_names!(PortRemovable, UsbKind);
