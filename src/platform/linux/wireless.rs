//! Radios: Wi-Fi, Bluetooth, mobile broadband (WWAN), NFC, and the rfkill switches.
//!
//! A radio counts whether or not a driver is bound and whether or not it is switched off:
//! a Bluetooth dongle with no driver (USB interface e0/01/01) is still a radio someone can
//! bind a driver to, and an rfkill soft block is one command away from being lifted. The
//! rfkill state is recorded so a report can say so, not to excuse the device.

use std::collections::BTreeSet;

use super::bus::bus_of;
use super::device::SysDevice;
use super::root::{Fact, HostRoot};
use super::usb::usb_parent;
use crate::inventory::network::{NetKind, NetworkSection};
use crate::inventory::usb::UsbSection;
use crate::inventory::wireless::{Radio, RfkillSwitch, WirelessSection};
use crate::inventory::Bus;

/// A radio while it is being found, with the physical device (USB device, PCI function) it
/// belongs to, so the several places one radio shows up merge into one.
struct Found {
    radio: Radio,
    anchor: String,
}

pub fn collect(host: &HostRoot, network: &NetworkSection, usb: &UsbSection) -> WirelessSection {
    let (wifi, bluetooth, wwan, nfc) = host.reading(Fact::Radios, || {
        (
            radios(wifi(host, network)),
            radios(bluetooth(host, usb)),
            radios(wwan(host, network)),
            SysDevice::list(host, "sys/class/nfc")
                .iter()
                .map(|dev| found(dev, None, "nfc-class").radio)
                .collect(),
        )
    });
    let rfkill = host.reading(Fact::Rfkill, || {
        SysDevice::list(host, "sys/class/rfkill")
            .iter()
            .map(read_rfkill)
            .collect()
    });
    WirelessSection {
        wifi,
        bluetooth,
        wwan,
        nfc,
        rfkill,
        problems: host.take_problems(),
    }
}

fn radios(found: Vec<Found>) -> Vec<Radio> {
    found.into_iter().map(|f| f.radio).collect()
}

/// The device a radio is: the parent of a class device (the PCI or USB function).
fn found(dev: &SysDevice, interface: Option<String>, detected_by: &str) -> Found {
    let bus = bus_of(dev);
    let parent = dev.parent();
    Found {
        radio: Radio {
            name: dev.sysname().to_string(),
            interface,
            device_path: dev.sys_path(),
            bus,
            driver: dev
                .driver()
                .or_else(|| parent.as_ref().and_then(|p| p.driver())),
            address: dev.attr("address").filter(|a| !a.is_empty()),
            usb: if bus == Bus::Usb {
                usb_parent(dev)
            } else {
                None
            },
            detected_by: vec![detected_by.to_string()],
        },
        anchor: anchor_of(dev),
    }
}

/// Subsystems whose devices are physical functions rather than class devices.
const PHYSICAL_BUSES: &[&str] = &["pci", "sdio", "platform", "acpi", "pnp", "virtio", "mmc"];

/// The physical device behind a class device: the USB device it is on, else the nearest
/// bus device above it.
fn anchor_of(dev: &SysDevice) -> String {
    if let Some(usb) = dev.find_up("usb", Some("usb_device")) {
        return usb.sys_path();
    }
    dev.ancestors()
        .into_iter()
        .find(|d| {
            d.subsystem()
                .is_some_and(|s| PHYSICAL_BUSES.contains(&s.as_str()))
        })
        .map_or_else(|| dev.sys_path(), |d| d.sys_path())
}

/// Adds a radio, or folds it into the one already found for the same physical device.
fn merge(out: &mut Vec<Found>, new: Found) {
    match out.iter_mut().find(|f| f.anchor == new.anchor) {
        Some(known) => {
            let radio = &mut known.radio;
            for how in new.radio.detected_by {
                if !radio.detected_by.contains(&how) {
                    radio.detected_by.push(how);
                }
            }
            if radio.interface.is_none() {
                radio.interface = new.radio.interface;
            }
        }
        None => out.push(new),
    }
}

fn wifi(host: &HostRoot, network: &NetworkSection) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    for iface in network
        .interfaces
        .iter()
        .filter(|i| i.kind == NetKind::Wifi)
    {
        let dev = SysDevice::at(host, iface.device_path.trim_start_matches('/'));
        let mut new = found(&dev, Some(iface.name.clone()), "wireless-interface");
        // The phy names the radio; recordings without the phy80211 link still have the
        // ieee80211 folder beside the interface.
        new.radio.name = dev
            .host()
            .link_name(&format!("{}/phy80211", dev.rel_path()))
            .or_else(|| {
                dev.parent()
                    .and_then(|p| p.children("ieee80211").into_iter().next())
            })
            .unwrap_or_else(|| iface.name.clone());
        new.radio.address = iface.mac.clone();
        merge(&mut out, new);
    }
    // A phy without an interface (deleted or not yet created) is still a Wi-Fi radio.
    let seen: BTreeSet<String> = out.iter().map(|f| f.anchor.clone()).collect();
    for phy in SysDevice::list(host, "sys/class/ieee80211") {
        if !seen.contains(&anchor_of(&phy)) {
            out.push(found(&phy, None, "ieee80211-phy"));
        }
    }
    out
}

fn bluetooth(host: &HostRoot, usb: &UsbSection) -> Vec<Found> {
    let mut out: Vec<Found> = SysDevice::list(host, "sys/class/bluetooth")
        .iter()
        // `hci0:256` entries are connections to remote devices, not controllers.
        .filter(|dev| !dev.sysname().contains(':'))
        .map(|dev| found(dev, None, "bluetooth-class"))
        .collect();
    let registered: BTreeSet<String> = out
        .iter()
        .filter_map(|f| f.radio.usb.as_ref().map(|u| u.device_path.clone()))
        .collect();
    for device in &usb.devices {
        let is_bt = device
            .interfaces
            .iter()
            .any(|i| i.class == "e0" && i.subclass == "01" && i.protocol == "01");
        if is_bt && !registered.contains(&device.device_path) {
            let bound = device.interfaces.iter().any(|i| i.driver.is_some());
            out.push(Found {
                radio: Radio {
                    name: device.port.clone(),
                    interface: None,
                    device_path: device.device_path.clone(),
                    bus: Bus::Usb,
                    driver: device.interfaces.iter().find_map(|i| i.driver.clone()),
                    address: None,
                    usb: Some(device.ids()),
                    detected_by: vec![if bound {
                        "usb-interface-e0/01/01".to_string()
                    } else {
                        "unbound-usb-interface-e0/01/01".to_string()
                    }],
                },
                anchor: device.device_path.clone(),
            });
        }
    }
    out
}

/// WWAN modems show up in up to three places; they are merged into one radio per physical
/// device (the USB device, or the PCIe function for `wwan` class modems).
fn wwan(host: &HostRoot, network: &NetworkSection) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    for dev in SysDevice::list(host, "sys/class/wwan") {
        if dev.devtype() != Some("wwan_port") {
            merge(&mut out, found(&dev, None, "wwan-class"));
        }
    }
    for iface in network
        .interfaces
        .iter()
        .filter(|i| i.kind == NetKind::Wwan)
    {
        let dev = SysDevice::at(host, iface.device_path.trim_start_matches('/'));
        let mut new = found(&dev, Some(iface.name.clone()), "wwan-interface");
        new.radio.address = iface.mac.clone();
        merge(&mut out, new);
    }
    for folder in ["sys/class/usbmisc", "sys/class/usb"] {
        for dev in SysDevice::list(host, folder) {
            if dev.sysname().starts_with("cdc-wdm") {
                merge(&mut out, found(&dev, None, "cdc-wdm"));
            }
        }
    }
    out
}

fn read_rfkill(dev: &SysDevice) -> RfkillSwitch {
    let flag = |name: &str| match dev.attr(name).as_deref() {
        Some("1") => Some(true),
        Some("0") => Some(false),
        _ => None,
    };
    let (mut soft, mut hard) = (flag("soft"), flag("hard"));
    if soft.is_none() && hard.is_none() {
        // The old single `state` file (and the uevent's RFKILL_STATE): 0 soft-blocked,
        // 1 unblocked, 2 hard-blocked.
        let state = dev.attr("state").or_else(|| dev.property("RFKILL_STATE"));
        match state.as_deref() {
            Some("0") => (soft, hard) = (Some(true), Some(false)),
            Some("1") => (soft, hard) = (Some(false), Some(false)),
            Some("2") => hard = Some(true),
            _ => {}
        }
    }
    RfkillSwitch {
        name: dev.sysname().to_string(),
        label: dev.attr("name").or_else(|| dev.property("RFKILL_NAME")),
        radio_type: dev.attr("type").or_else(|| dev.property("RFKILL_TYPE")),
        soft_blocked: soft,
        hard_blocked: hard,
        device_path: dev.sys_path(),
    }
}
