//! Video capture nodes, with cameras told apart from the metadata nodes UVC webcams add.
//!
//! A UVC webcam creates two nodes: one captures frames, the other only carries metadata.
//! Where nothing says what a node can do, its capture ability is `unknown`, and the rules
//! treat an unknown node as a possible camera rather than assume it harmless.

use serde::{Deserialize, Serialize};

use super::bus::Bus;
use super::usb::UsbRef;
use super::Problem;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoSection {
    pub devices: Vec<VideoDevice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capture {
    Yes,
    No,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoDevice {
    pub name: String,
    pub label: Option<String>,
    pub device_path: String,
    pub bus: Bus,
    pub driver: Option<String>,
    pub usb: Option<UsbRef>,
    pub capture: Capture,
    /// Capabilities as udev lists them (`capture`, `video_output`, `radio`, ...).
    pub capabilities: Vec<String>,
}

impl VideoDevice {
    /// A camera, or a node we cannot prove is not one.
    pub fn may_capture(&self) -> bool {
        self.capture != Capture::No
    }
}

crate::vocab::unit_names!(Capture);
