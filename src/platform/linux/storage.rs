//! Block devices: disks, cards, optical drives, and the partitions and mounts on them.
//!
//! Two facts are kept apart on purpose. `removable` is the kernel's flag for removable
//! *media* (a card reader slot, an optical drive, many flash sticks); `hotplug` says the
//! *device* can be attached and removed (its bus is USB, FireWire, Thunderbolt or an SD
//! card). USB hard disks and SSDs report `removable=0`, so only the second catches them.

use super::bus::bus_of;
use super::device::SysDevice;
use super::mounts::{self, MountEntry};
use super::root::{Fact, HostRoot};
use super::usb::usb_parent;
use crate::inventory::storage::{BlockDevice, BlockKind, Mount, Partition, StorageSection};
use crate::inventory::Bus;
use crate::text::udev_unescape;

pub fn collect(host: &HostRoot) -> StorageSection {
    let folder = if host.exists("sys/class/block") {
        "sys/class/block"
    } else {
        "sys/block"
    };
    let table = host.reading(Fact::Mounts, || {
        let table = mounts::read(host);
        if table.is_none() {
            host.note(
                "proc/self/mountinfo",
                "no mount table readable: mount state unknown",
            );
        }
        table.unwrap_or_default()
    });
    host.reading(Fact::BlockDevices, || read_devices(host, folder, &table))
}

fn read_devices(host: &HostRoot, folder: &str, table: &[MountEntry]) -> StorageSection {
    let all = SysDevice::list(host, folder);
    let (partitions, disks): (Vec<_>, Vec<_>) = all.iter().partition(|dev| is_partition(dev));
    let mut devices: Vec<BlockDevice> = disks
        .iter()
        .map(|disk| {
            let mut device = read_disk(disk, table);
            device.partitions = partitions
                .iter()
                .filter(|p| p.rel_path().starts_with(&format!("{}/", disk.rel_path())))
                .map(|p| read_partition(p, table))
                .collect();
            device
        })
        .collect();
    devices.sort_by(|a, b| a.name.cmp(&b.name));
    StorageSection {
        devices,
        problems: host.take_problems(),
    }
}

fn is_partition(dev: &SysDevice) -> bool {
    dev.devtype() == Some("partition") || dev.has("partition")
}

fn flag(value: Option<String>) -> Option<bool> {
    match value.as_deref() {
        Some("1") => Some(true),
        Some("0") => Some(false),
        _ => None,
    }
}

/// `size` counts 512-byte sectors whatever the device's logical block size.
fn size_bytes(dev: &SysDevice) -> Option<u64> {
    dev.attr("size")
        .and_then(|s| s.parse::<u64>().ok())
        .map(|sectors| sectors.saturating_mul(512))
}

fn mounts_of(dev: &SysDevice, table: &[MountEntry]) -> Vec<Mount> {
    let devnum = dev.devnum();
    let dev_node = node_of(dev);
    table
        .iter()
        .filter(|m| match (m.devnum, devnum) {
            (Some(a), Some(b)) => a == b,
            _ => m.source == dev_node,
        })
        .map(|m| Mount {
            mount_point: m.mount_point.clone(),
            fs_type: m.fs_type.clone(),
            options: m.options.clone(),
            read_only: m.read_only(),
        })
        .collect()
}

/// The node udev creates for a block device: `/dev/` and its kernel name (`DEVNAME` in
/// uevent says the same, and is preferred when present, since a driver may rename it).
fn node_of(dev: &SysDevice) -> String {
    let name = dev
        .uevent_value("DEVNAME")
        .map(str::to_string)
        .unwrap_or_else(|| dev.sysname().to_string());
    format!("/dev/{}", name.trim_start_matches("/dev/"))
}

fn read_partition(dev: &SysDevice, table: &[MountEntry]) -> Partition {
    Partition {
        name: dev.sysname().to_string(),
        node: Some(node_of(dev)),
        device_path: dev.sys_path(),
        size_bytes: size_bytes(dev),
        read_only: flag(dev.attr("ro")),
        mounts: mounts_of(dev, table),
    }
}

fn kind_of(dev: &SysDevice, bus: Bus) -> BlockKind {
    let name = dev.sysname();
    match bus {
        Bus::Loop => return BlockKind::Loop,
        Bus::DeviceMapper => return BlockKind::DeviceMapper,
        Bus::Md => return BlockKind::Raid,
        _ => {}
    }
    if name.starts_with("zram") || name.starts_with("ram") {
        return BlockKind::Ram;
    }
    let scsi_type = dev.attr("device/type");
    if name.starts_with("sr")
        || dev.property("ID_CDROM").as_deref() == Some("1")
        || scsi_type.as_deref() == Some("5")
    {
        return BlockKind::Optical;
    }
    if bus == Bus::Mmc {
        let card_type = dev
            .find_up("mmc", None)
            .and_then(|card| card.attr("type").or_else(|| card.property("MMC_TYPE")));
        return match card_type.as_deref() {
            Some("MMC") => BlockKind::Emmc,
            _ => BlockKind::Card,
        };
    }
    BlockKind::Disk
}

fn udev_text(dev: &SysDevice, key: &str) -> Option<String> {
    dev.property(key)
        .map(|v| udev_unescape(&v).trim().to_string())
        .filter(|v| !v.is_empty())
}

fn attr_text(dev: &SysDevice, name: &str) -> Option<String> {
    dev.attr(name).filter(|v| !v.is_empty())
}

fn read_disk(dev: &SysDevice, table: &[MountEntry]) -> BlockDevice {
    let bus = bus_of(dev);
    let kind = kind_of(dev, bus);
    let removable = flag(dev.attr("removable"));
    let hotplug = match kind {
        BlockKind::Emmc => false,
        _ => bus.is_hotplug(),
    };
    BlockDevice {
        name: dev.sysname().to_string(),
        node: Some(node_of(dev)),
        device_path: dev.sys_path(),
        kind,
        bus,
        removable,
        hotplug,
        read_only: flag(dev.attr("ro")),
        size_bytes: size_bytes(dev),
        vendor: attr_text(dev, "device/vendor").or_else(|| udev_text(dev, "ID_VENDOR_ENC")),
        model: attr_text(dev, "device/model")
            .or_else(|| attr_text(dev, "device/name"))
            .or_else(|| udev_text(dev, "ID_MODEL_ENC"))
            .or_else(|| udev_text(dev, "ID_MODEL")),
        serial: attr_text(dev, "device/serial").or_else(|| udev_text(dev, "ID_SERIAL_SHORT")),
        usb: if bus == Bus::Usb {
            usb_parent(dev)
        } else {
            None
        },
        mounts: mounts_of(dev, table),
        partitions: Vec::new(),
    }
}
