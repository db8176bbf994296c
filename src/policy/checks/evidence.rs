//! What the checks share: building evidence from inventory items, the identifiers each kind
//! of device offers an allowlist, the registered-media lookup, and the "device class with no
//! driver bound" sweep that audio, camera and storage checks all make.

use super::{Evidence, EvidenceKind};
use crate::i18n::{Msg, Phrase};
use crate::inventory::storage::BlockDevice;
use crate::inventory::usb::{UsbDevice, UsbKind, UsbRef};
use crate::inventory::{Bus, Inventory, Problem};
use crate::policy::model::{DeviceMatch, Identifiers, MediaEntry};

impl Evidence {
    pub fn new(kind: EvidenceKind, detail: impl Into<Phrase>) -> Self {
        let detail = detail.into();
        Evidence {
            kind: kind.into(),
            detail: detail.en(),
            detail_zh: Some(detail.zh()),
            name: None,
            device_path: None,
            vendor_id: None,
            product_id: None,
            manufacturer: None,
            product: None,
            serial: None,
            mac: None,
            port: None,
            driver: None,
            bus: None,
        }
    }

    /// Fills the USB identifiers (vendor, product, serial, port) from a USB parent.
    pub fn with_usb(mut self, usb: Option<&UsbRef>) -> Self {
        if let Some(usb) = usb {
            self.vendor_id = usb.vendor_id.clone();
            self.product_id = usb.product_id.clone();
            self.manufacturer = usb.manufacturer.clone();
            self.product = usb.product.clone();
            self.serial = self.serial.take().or_else(|| usb.serial.clone());
            self.port = Some(usb.port.clone());
        }
        self
    }

    pub fn named(mut self, name: &str, device_path: &str) -> Self {
        self.name = Some(name.to_string());
        self.device_path = Some(device_path.to_string());
        self
    }

    /// A part of the machine that could not be read, in the words the backend used; in
    /// Chinese, its own translation or that of a known phrase.
    pub fn unreadable(problem: &Problem) -> Self {
        let error = match &problem.error_zh {
            Some(zh) => Phrase::new(Msg::EvidenceUnreadable).both(
                "error",
                problem.error.clone(),
                zh.clone(),
            ),
            None => Msg::EvidenceUnreadable.with("error", &problem.error),
        };
        let mut e = Evidence::new(EvidenceKind::Unreadable, error);
        e.device_path = Some(problem.path.clone());
        e
    }
}

/// The first registered medium matching these identifiers.
pub fn registered<'m>(media: &'m [MediaEntry], ids: &Identifiers) -> Option<&'m MediaEntry> {
    media.iter().find(|m| m.device.matches(ids))
}

pub fn block_ids(dev: &BlockDevice) -> Identifiers<'_> {
    let usb = dev.usb.as_ref();
    let mut ids = Identifiers::from_usb(usb);
    ids.serials.extend(dev.serial.as_deref());
    ids.model = dev.model.as_deref();
    ids.block_device = Some(&dev.name);
    ids
}

pub fn usb_ids(usb: &UsbDevice) -> Identifiers<'_> {
    Identifiers {
        vendor_id: usb.vendor_id.as_deref(),
        product_id: usb.product_id.as_deref(),
        serials: usb.serial.as_deref().into_iter().collect(),
        model: usb.product.as_deref(),
        port: Some(&usb.port),
        ..Identifiers::default()
    }
}

pub fn block_evidence(dev: &BlockDevice, detail: impl Into<Phrase>) -> Evidence {
    let mut e = Evidence::new(EvidenceKind::BlockDevice, detail).named(&dev.name, &dev.device_path);
    e.serial = dev.serial.clone();
    e.product = dev.model.clone();
    e.bus = Some(dev.bus.as_str().to_string());
    e.with_usb(dev.usb.as_ref())
}

pub fn usb_evidence(usb: &UsbDevice, detail: impl Into<Phrase>) -> Evidence {
    let mut e = Evidence::new(EvidenceKind::UsbDevice, detail).named(&usb.port, &usb.device_path);
    e.vendor_id = usb.vendor_id.clone();
    e.product_id = usb.product_id.clone();
    e.manufacturer = usb.manufacturer.clone();
    e.product = usb.product.clone();
    e.serial = usb.serial.clone();
    e.port = Some(usb.port.clone());
    e.bus = Some(crate::inventory::Bus::Usb.as_str().to_string());
    e
}

/// USB devices of `kind` that no device of the class the check looks at (a sound card, a
/// video node) belongs to: the function is there, only its driver is not bound, and anyone
/// can bind one. `bound` lists the USB device paths that do have such a device.
pub fn unbound_usb<'a>(
    inventory: &'a Inventory,
    kind: UsbKind,
    bound: &[&str],
    allow: &'a [DeviceMatch],
    detail: Msg,
) -> impl Iterator<Item = Evidence> + 'a {
    let bound: Vec<String> = bound.iter().map(|s| s.to_string()).collect();
    inventory
        .usb
        .devices
        .iter()
        .filter(move |u| u.kinds.contains(&kind) && !bound.contains(&u.device_path))
        .filter(move |u| !allow.iter().any(|a| a.matches(&usb_ids(u))))
        .map(move |u| usb_evidence(u, detail))
}

/// A device a check found through its class (a sound card, a video node): named by its class
/// device, identified by its USB parent when it has one, else by its own label.
pub struct ClassDevice<'a> {
    pub name: &'a str,
    pub device_path: &'a str,
    pub usb: Option<&'a UsbRef>,
    pub label: Option<&'a String>,
    pub driver: Option<&'a String>,
    pub bus: Bus,
}

impl<'a> ClassDevice<'a> {
    /// What it offers an allowlist; the check adds its own kind of name.
    pub fn ids(&self) -> Identifiers<'a> {
        Identifiers {
            model: self.label.map(String::as_str),
            driver: self.driver.map(String::as_str),
            ..Identifiers::from_usb(self.usb)
        }
    }

    pub fn evidence(&self, kind: EvidenceKind, detail: impl Into<Phrase>) -> Evidence {
        let mut e = Evidence::new(kind, detail)
            .named(self.name, self.device_path)
            .with_usb(self.usb);
        if self.usb.is_none() {
            e.product = self.label.cloned();
        }
        e.driver = self.driver.cloned();
        e.bus = Some(self.bus.as_str().to_string());
        e
    }
}
