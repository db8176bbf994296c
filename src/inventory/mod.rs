//! The inventory: every device of the classes the rules care about, with what identifies it.
//!
//! These are the OS-neutral types only. A platform backend (`crate::platform`) fills them from
//! whatever its operating system offers; nothing here knows how Linux (or any other system)
//! stores the facts, so another backend fills the same structs and every rule keeps working.
//! The inventory judges nothing: a USB stick is listed with its identifiers, and whether it
//! is allowed is the policy's question.

pub mod audio;
pub mod bus;
pub mod network;
pub mod render;
pub mod storage;
pub mod usb;
pub mod video;
pub mod wireless;

use serde::{Deserialize, Serialize};

pub use bus::Bus;
pub use usb::UsbRef;

/// Bumped when a field changes meaning or disappears; adding a field does not bump it.
pub const INVENTORY_SCHEMA: &str = "isoguard.inventory/v1";

/// Something on the machine that exists but could not be read. Absent things are not
/// problems: a class of devices the system never created means there are none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Where, as the operating system names it (a path on Linux).
    pub path: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub schema: String,
    pub host: HostIdentity,
    pub network: network::NetworkSection,
    pub storage: storage::StorageSection,
    pub usb: usb::UsbSection,
    pub audio: audio::AudioSection,
    pub video: video::VideoSection,
    pub wireless: wireless::WirelessSection,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostIdentity {
    pub hostname: Option<String>,
    pub machine_id: Option<String>,
    pub boot_id: Option<String>,
    pub os: Option<String>,
    pub kernel: Option<String>,
    pub agent_version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

impl Inventory {
    /// Every problem in every section, with the section's name.
    pub fn problems(&self) -> Vec<(&'static str, &Problem)> {
        let sections: [(&'static str, &Vec<Problem>); 7] = [
            ("host", &self.host.problems),
            ("network", &self.network.problems),
            ("storage", &self.storage.problems),
            ("usb", &self.usb.problems),
            ("audio", &self.audio.problems),
            ("video", &self.video.problems),
            ("wireless", &self.wireless.problems),
        ];
        sections
            .into_iter()
            .flat_map(|(name, list)| list.iter().map(move |p| (name, p)))
            .collect()
    }

    /// Every section's problem list, for a backend that records one failure everywhere.
    pub fn section_problems_mut(&mut self) -> [&mut Vec<Problem>; 7] {
        [
            &mut self.host.problems,
            &mut self.network.problems,
            &mut self.storage.problems,
            &mut self.usb.problems,
            &mut self.audio.problems,
            &mut self.video.problems,
            &mut self.wireless.problems,
        ]
    }
}
