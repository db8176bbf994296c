//! Sound cards, with capture (microphone) PCMs told apart from playback.
//!
//! A card lists its capture streams apart from its playback streams: an HDMI output card has
//! only playback and is no microphone; a USB headset or a webcam's microphone shows up as a
//! card with a capture stream.

use serde::{Deserialize, Serialize};

use super::bus::Bus;
use super::usb::UsbRef;
use super::Problem;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioSection {
    pub cards: Vec<SoundCard>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoundCard {
    pub index: u32,
    pub id: Option<String>,
    pub name: Option<String>,
    pub device_path: String,
    pub bus: Bus,
    pub driver: Option<String>,
    pub usb: Option<UsbRef>,
    pub capture: Vec<String>,
    pub playback: Vec<String>,
}
