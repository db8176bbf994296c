//! `removable-storage`: only registered removable media (只使用登记的移动存储介质).
//!
//! Removable storage is anything a person can carry in or out: block devices on a hot-plug
//! bus or with removable media (USB disks whatever their `removable` flag, SD cards, optical
//! drives), MTP/PTP phones and cameras (no block device at all), and USB mass-storage
//! devices whose driver is not bound (blocking `usb-storage` does not make a stick harmless).

use super::evidence::{block_evidence, block_ids, registered, usb_evidence, usb_ids};
use super::{parse_mode, problems_of, Context, Mode, Outcome};
use crate::inventory::storage::{BlockDevice, BlockKind};
use crate::inventory::usb::UsbKind;
use crate::policy::reader::Table;

pub const NAME: &str = "removable-storage";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    /// Count internal optical drives too (they take discs from outside).
    pub include_optical: bool,
}

impl Settings {
    pub fn parse(t: &Table) -> Settings {
        Settings {
            mode: parse_mode(t),
            include_optical: t.bool("include_optical").unwrap_or(true),
        }
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        let inv = ctx.inventory;
        let mut evidence = Vec::new();
        for dev in inv.storage.devices.iter().filter(|d| self.is_removable(d)) {
            if registered(ctx.media, &block_ids(dev)).is_none() {
                evidence.push(block_evidence(dev, "removable storage not registered"));
            }
        }
        let with_block: Vec<&str> = inv
            .storage
            .devices
            .iter()
            .filter_map(|d| d.usb.as_ref().map(|u| u.device_path.as_str()))
            .collect();
        for usb in &inv.usb.devices {
            let what = if usb.kinds.contains(&UsbKind::Mtp) {
                "MTP device (phone or media player) not registered"
            } else if usb.kinds.contains(&UsbKind::StillImage) {
                "PTP camera or phone not registered"
            } else if usb.kinds.contains(&UsbKind::MassStorage)
                && !with_block.contains(&usb.device_path.as_str())
            {
                "USB mass-storage device without a block device (driver not bound) not registered"
            } else {
                continue;
            };
            if registered(ctx.media, &usb_ids(usb)).is_none() {
                evidence.push(usb_evidence(usb, what));
            }
        }
        let problems = problems_of(&[&inv.storage.problems, &inv.usb.problems]);
        self.mode.conclude(evidence, &problems)
    }

    pub fn is_removable(&self, dev: &BlockDevice) -> bool {
        match dev.kind {
            BlockKind::Loop
            | BlockKind::DeviceMapper
            | BlockKind::Raid
            | BlockKind::Ram
            | BlockKind::Emmc => false,
            BlockKind::Optical => self.include_optical || dev.hotplug,
            BlockKind::Card => true,
            BlockKind::Disk => dev.hotplug || dev.removable == Some(true),
        }
    }
}
