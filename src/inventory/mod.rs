//! The inventory: every device of the classes the rules care about, with what identifies it.
//!
//! These are the OS-neutral types only. A platform backend (`crate::platform`) fills them from
//! whatever its operating system offers; nothing here knows how Linux (or any other system)
//! stores the facts, so another backend fills the same structs and every rule keeps working.
//! The inventory judges nothing: a USB stick is listed with its identifiers, and whether it
//! is allowed is the policy's question.

pub mod address_space;
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
    /// `error` in Chinese, where the backend could say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_zh: Option<String>,
    /// The fact that could not be read; none means it may concern anything in its section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<Fact>,
}

impl Problem {
    /// A problem said in both languages.
    pub fn said(
        path: impl Into<String>,
        error: &crate::i18n::Phrase,
        fact: Option<Fact>,
    ) -> Problem {
        Problem {
            path: path.into(),
            error: error.en(),
            error_zh: Some(error.zh()),
            fact,
        }
    }
}

/// What a problem keeps from being known, finer than an inventory section: an unreadable
/// resolver list concerns DNS, not which radios the machine has. Each rule names the facts
/// it depends on, and only their problems make it `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fact {
    Identity,
    Interfaces,
    Addresses,
    Routes,
    Dns,
    BlockDevices,
    Mounts,
    UsbDevices,
    SoundCards,
    VideoNodes,
    Radios,
    Rfkill,
    /// Logs, saved network profiles, leases and pairings.
    History,
}

crate::vocab::unit_names!(Fact);

/// The inventory sections, by the name their problems are listed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Host,
    Network,
    Storage,
    Usb,
    Audio,
    Video,
    Wireless,
    History,
}

impl Fact {
    /// The section whose problems list holds this fact's problems.
    pub fn section(self) -> Section {
        match self {
            Fact::Identity => Section::Host,
            Fact::Interfaces | Fact::Addresses | Fact::Routes | Fact::Dns => Section::Network,
            Fact::BlockDevices | Fact::Mounts => Section::Storage,
            Fact::UsbDevices => Section::Usb,
            Fact::SoundCards => Section::Audio,
            Fact::VideoNodes => Section::Video,
            Fact::Radios | Fact::Rfkill => Section::Wireless,
            Fact::History => Section::History,
        }
    }
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
    /// What the machine has been through (devices seen in its logs, networks it joined).
    /// `None` when the backend does not read history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<history::HistorySection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostIdentity {
    pub hostname: Option<String>,
    pub machine_id: Option<String>,
    pub boot_id: Option<String>,
    pub os: Option<String>,
    pub kernel: Option<String>,
    pub agent_version: String,
    /// What the distribution says of itself (os-release), so Kylin, UOS and openEuler are
    /// told apart whatever their marketing names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_release: Option<OsRelease>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// The identifying fields of os-release(5): `ID` (`kylin`, `uos`, `openEuler`, `debian`),
/// `ID_LIKE`, `VERSION_ID`, `PRETTY_NAME`. Distributions differ in case (`openEuler`) and not
/// all set `ID_LIKE`; the values are kept as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    pub version_id: Option<String>,
    pub pretty_name: Option<String>,
}

/// The problem list of a section that was not read at all.
static NO_PROBLEMS: Vec<Problem> = Vec::new();

impl Inventory {
    /// The problems that keep any of `facts` from being known: those recorded for one of
    /// them, and those of their sections recorded for no fact in particular.
    pub fn problems_of(&self, facts: &[Fact]) -> Vec<&Problem> {
        let history = self.history.as_ref().map_or(&NO_PROBLEMS, |h| &h.problems);
        let sections: [(Section, &Vec<Problem>); 8] = [
            (Section::Host, &self.host.problems),
            (Section::Network, &self.network.problems),
            (Section::Storage, &self.storage.problems),
            (Section::Usb, &self.usb.problems),
            (Section::Audio, &self.audio.problems),
            (Section::Video, &self.video.problems),
            (Section::Wireless, &self.wireless.problems),
            (Section::History, history),
        ];
        sections
            .into_iter()
            .filter(|(section, _)| facts.iter().any(|f| f.section() == *section))
            .flat_map(|(_, list)| list.iter())
            .filter(|p| p.fact.is_none_or(|fact| facts.contains(&fact)))
            .fold(Vec::new(), |mut out: Vec<&Problem>, p| {
                // One failure noted in several sections (no sysfs at all) is said once.
                if !out.iter().any(|q| q.path == p.path && q.error == p.error) {
                    out.push(p);
                }
                out
            })
    }

    /// Every problem in every section, with the section's name.
    pub fn problems(&self) -> Vec<(&'static str, &Problem)> {
        let history = self.history.as_ref().map_or(&NO_PROBLEMS, |h| &h.problems);
        let sections: [(&'static str, &Vec<Problem>); 8] = [
            ("host", &self.host.problems),
            ("network", &self.network.problems),
            ("storage", &self.storage.problems),
            ("usb", &self.usb.problems),
            ("audio", &self.audio.problems),
            ("video", &self.video.problems),
            ("wireless", &self.wireless.problems),
            ("history", history),
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
