//! The inventory: every device of the classes the rules care about, with what identifies it.
//!
//! One module per device class turns host data into typed facts. The types here say nothing
//! about how Linux stores them (sysfs, procfs, udev are the host layer's business), so another
//! operating system's backend can fill the same structs. The inventory judges nothing: a USB
//! stick is listed with its identifiers, and whether it is allowed is the policy's question.

pub mod audio;
pub mod bus;
pub mod history;
pub mod network;
pub mod render;
pub mod storage;
pub mod usb;
pub mod video;
pub mod wireless;

use serde::{Deserialize, Serialize};

use crate::host::{self, HostRoot, Problem};

pub use bus::Bus;
pub use usb::UsbRef;

/// Bumped when a field changes meaning or disappears; adding a field does not bump it.
pub const INVENTORY_SCHEMA: &str = "isoguard.inventory/v1";

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
    /// Reads the whole machine once. Each section carries the problems met while reading it,
    /// so a rule knows whether "nothing found" was verified.
    pub fn collect(host: &HostRoot) -> Inventory {
        let identity = host::identity::read(host);
        let mut usb = usb::collect(host);
        let mut storage = storage::collect(host);
        let mut network = network::collect(host);
        let mut audio = audio::collect(host);
        let mut video = video::collect(host);
        let mut wireless = wireless::collect(host, &network, &usb);
        // Without sysfs every class folder is "absent", which would read as "no devices".
        if !host.is_dir("sys/devices") {
            let missing = Problem {
                path: "/sys/devices".to_string(),
                error: "sysfs is not mounted or not readable: devices cannot be listed".to_string(),
            };
            for problems in [
                &mut usb.problems,
                &mut storage.problems,
                &mut network.problems,
                &mut audio.problems,
                &mut video.problems,
                &mut wireless.problems,
            ] {
                problems.push(missing.clone());
            }
        }
        Inventory {
            schema: INVENTORY_SCHEMA.to_string(),
            host: identity,
            network,
            storage,
            usb,
            audio,
            video,
            wireless,
        }
    }

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
}
