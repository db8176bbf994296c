//! Which bus a device hangs on, decided by its ancestry.
//!
//! The outermost hot-plug bus wins: a SCSI disk behind a USB bridge is a USB disk whatever
//! its `removable` flag or udev's `ID_BUS=ata` say, and an SD card reader on USB is USB.
//! udev's `ID_BUS` is only consulted when the ancestry is inconclusive.

use super::device::SysDevice;
use crate::inventory::Bus;

/// Lower ranks win when several buses appear in one ancestry.
fn rank(bus: Bus) -> u8 {
    match bus {
        Bus::Usb => 0,
        Bus::Firewire => 1,
        Bus::Thunderbolt => 2,
        Bus::Sdio => 3,
        Bus::Mmc => 4,
        Bus::Nvme => 5,
        Bus::Virtio => 6,
        Bus::Ata => 7,
        Bus::Scsi => 8,
        Bus::Pci => 9,
        Bus::Platform => 10,
        Bus::Loop | Bus::DeviceMapper | Bus::Md => 11,
        Bus::Virtual => 12,
        Bus::Unknown => 13,
    }
}

/// udev's `ID_BUS` values.
fn from_udev(value: &str) -> Option<Bus> {
    Some(match value {
        "usb" => Bus::Usb,
        "ieee1394" | "firewire" => Bus::Firewire,
        "ata" => Bus::Ata,
        "scsi" => Bus::Scsi,
        "nvme" => Bus::Nvme,
        "mmc" | "sd" => Bus::Mmc,
        "virtio" => Bus::Virtio,
        _ => return None,
    })
}
/// Drivers of host controllers that make the SCSI disks below them ATA disks.
fn is_ata_driver(driver: &str) -> bool {
    driver == "ahci"
        || driver.starts_with("ata_")
        || driver.starts_with("pata_")
        || driver.starts_with("sata_")
}

/// What one device (not its parents) says about the bus.
fn bus_of_one(dev: &SysDevice) -> Option<Bus> {
    let name = dev.sysname();
    if dev.is_virtual() {
        return Some(match name {
            n if n.starts_with("loop") => Bus::Loop,
            n if n.starts_with("dm-") => Bus::DeviceMapper,
            n if n.starts_with("md") => Bus::Md,
            _ => Bus::Virtual,
        });
    }
    if name.starts_with("ata") && name[3..].chars().all(|c| c.is_ascii_digit()) && name.len() > 3 {
        return Some(Bus::Ata);
    }
    let subsystem = dev.subsystem()?;
    Some(match subsystem.as_str() {
        "usb" => Bus::Usb,
        "firewire" | "ieee1394" => Bus::Firewire,
        "thunderbolt" => Bus::Thunderbolt,
        "mmc" => Bus::Mmc,
        "sdio" => Bus::Sdio,
        "nvme" => Bus::Nvme,
        "virtio" => Bus::Virtio,
        "ata_port" | "ata_link" | "ata_device" => Bus::Ata,
        "scsi" => Bus::Scsi,
        "pci" => {
            // Kernels since 5.12 mark PCIe devices behind a Thunderbolt/USB4 tunnel this way.
            if dev.attr("removable").as_deref() == Some("removable") {
                Bus::Thunderbolt
            } else if dev.driver().as_deref().is_some_and(is_ata_driver) {
                Bus::Ata
            } else if dev.driver().as_deref() == Some("nvme") {
                // Kernels before 4.15 put nvme0n1 straight under the PCI function.
                Bus::Nvme
            } else {
                Bus::Pci
            }
        }
        "platform" | "acpi" | "pnp" => Bus::Platform,
        _ => return None,
    })
}

/// The bus of a device, from its own folder and every ancestor.
pub fn bus_of(dev: &SysDevice) -> Bus {
    if dev.is_virtual() {
        return bus_of_one(dev).unwrap_or(Bus::Virtual);
    }
    let mut best: Option<Bus> = None;
    let ancestry =
        std::iter::once(SysDevice::at(dev.host(), dev.rel_path())).chain(dev.ancestors());
    for each in ancestry {
        if let Some(bus) = bus_of_one(&each) {
            if best.is_none_or(|b| rank(bus) < rank(b)) {
                best = Some(bus);
            }
        }
    }
    let conclusive = best.is_some_and(|b| !matches!(b, Bus::Scsi | Bus::Pci | Bus::Platform));
    if !conclusive {
        if let Some(udev) = dev.property("ID_BUS").as_deref().and_then(from_udev) {
            if best.is_none_or(|b| rank(udev) < rank(b)) {
                return udev;
            }
        }
    }
    best.unwrap_or(Bus::Unknown)
}
