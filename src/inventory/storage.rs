//! Block devices: disks, cards, optical drives, and the partitions and mounts on them.
//!
//! Two facts are kept apart on purpose. `removable` is the kernel's flag for removable
//! *media* (a card reader slot, an optical drive, many flash sticks); `hotplug` says the
//! *device* can be attached and removed (its bus is USB, FireWire, Thunderbolt or an SD
//! card). USB hard disks and SSDs report `removable=0`, so only the second catches them.

use serde::{Deserialize, Serialize};

use super::bus::Bus;
use super::usb::UsbRef;
use super::Problem;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageSection {
    pub devices: Vec<BlockDevice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockKind {
    Disk,
    Optical,
    /// A memory card (SD, MMC) in a slot, as opposed to soldered eMMC.
    Card,
    Emmc,
    Loop,
    DeviceMapper,
    Raid,
    Ram,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    pub mount_point: String,
    pub fs_type: String,
    pub options: Vec<String>,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub name: String,
    /// The device node people name it by (`/dev/sdb1`), as the backend knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub device_path: String,
    pub size_bytes: Option<u64>,
    pub read_only: Option<bool>,
    pub mounts: Vec<Mount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDevice {
    pub name: String,
    /// The device node people name it by (`/dev/sdb`), as the backend knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub device_path: String,
    pub kind: BlockKind,
    pub bus: Bus,
    /// The kernel's removable-media flag; `None` when the recording does not carry it.
    pub removable: Option<bool>,
    pub hotplug: bool,
    pub read_only: Option<bool>,
    pub size_bytes: Option<u64>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub usb: Option<UsbRef>,
    pub mounts: Vec<Mount>,
    pub partitions: Vec<Partition>,
}

impl BlockDevice {
    /// Every mount of the disk itself and of its partitions.
    pub fn all_mounts(&self) -> impl Iterator<Item = &Mount> {
        self.mounts
            .iter()
            .chain(self.partitions.iter().flat_map(|p| p.mounts.iter()))
    }
}

crate::vocab::unit_names!(BlockKind);
