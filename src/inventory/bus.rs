//! Which bus a device hangs on. The backend decides it (on Linux, from the device's
//! ancestry); the rules only ask whether a person can plug the device in and out.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bus {
    Usb,
    Firewire,
    Thunderbolt,
    Mmc,
    Sdio,
    Pci,
    Nvme,
    Ata,
    Scsi,
    Virtio,
    Platform,
    Loop,
    DeviceMapper,
    Md,
    Virtual,
    Unknown,
}

crate::vocab::unit_names!(Bus);

impl Bus {
    /// Buses whose devices can be attached and removed by a person at the machine.
    pub fn is_hotplug(self) -> bool {
        matches!(self, Bus::Usb | Bus::Firewire | Bus::Thunderbolt | Bus::Mmc)
    }
}
