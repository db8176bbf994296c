//! The checks a rule can run: a closed set, one module each, holding the check's settings,
//! how they are read from a policy, and how the check judges an inventory.
//!
//! A check never touches the machine. It looks at the [`Inventory`] (and, for the network
//! check, at probe results gathered beforehand), so every check is tested with fixtures.
//!
//! How a check decides its status, everywhere: an offending device makes it `fail`;
//! otherwise, if the part of the machine it needs could not be read, it is `error`; only a
//! check that saw everything it needs and found nothing wrong is `pass`.

pub mod audio_capture;
pub mod camera;
pub mod external_network;
pub mod one_way_import;
pub mod removable_storage;
pub mod wireless;

use serde::{Deserialize, Serialize};

use super::model::{DeviceMatch, MediaEntry};
use super::reader::Table;
use crate::host::Problem;
use crate::inventory::usb::UsbRef;
use crate::inventory::Inventory;
use crate::probe::ProbeReport;

#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    ExternalNetwork(external_network::Settings),
    Wireless(wireless::Settings),
    RemovableStorage(removable_storage::Settings),
    OneWayImport(one_way_import::Settings),
    AudioCapture(audio_capture::Settings),
    Camera(camera::Settings),
}

/// Every check: its name in policy files and a one-line description. A snapshot test keeps
/// this list stable, so renaming a check is a visible decision.
pub const CHECKS: &[(&str, &str)] = &[
    (
        external_network::NAME,
        "no path to outside networks: default routes, public addresses, outward interfaces, DNS, probes",
    ),
    (
        wireless::NAME,
        "no radios: Wi-Fi, Bluetooth, WWAN, USB tethering, NFC",
    ),
    (
        removable_storage::NAME,
        "only registered removable storage: USB and card storage, MTP/PTP devices, optical drives",
    ),
    (
        one_way_import::NAME,
        "registered import media are attached read-only",
    ),
    (audio_capture::NAME, "no audio capture devices (microphones)"),
    (camera::NAME, "no video capture devices (cameras)"),
];

impl Check {
    pub fn name(&self) -> &'static str {
        match self {
            Check::ExternalNetwork(_) => external_network::NAME,
            Check::Wireless(_) => wireless::NAME,
            Check::RemovableStorage(_) => removable_storage::NAME,
            Check::OneWayImport(_) => one_way_import::NAME,
            Check::AudioCapture(_) => audio_capture::NAME,
            Check::Camera(_) => camera::NAME,
        }
    }

    /// Reads a check's settings table (absent table = defaults). `None` for an unknown check.
    pub fn parse(name: &str, settings: &Table) -> Option<Check> {
        Some(match name {
            external_network::NAME => {
                Check::ExternalNetwork(external_network::Settings::parse(settings))
            }
            wireless::NAME => Check::Wireless(wireless::Settings::parse(settings)),
            removable_storage::NAME => {
                Check::RemovableStorage(removable_storage::Settings::parse(settings))
            }
            one_way_import::NAME => Check::OneWayImport(one_way_import::Settings::parse(settings)),
            audio_capture::NAME => Check::AudioCapture(audio_capture::Settings::parse(settings)),
            camera::NAME => Check::Camera(camera::Settings::parse(settings)),
            _ => return None,
        })
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        match self {
            Check::ExternalNetwork(s) => s.evaluate(ctx),
            Check::Wireless(s) => s.evaluate(ctx),
            Check::RemovableStorage(s) => s.evaluate(ctx),
            Check::OneWayImport(s) => s.evaluate(ctx),
            Check::AudioCapture(s) => s.evaluate(ctx),
            Check::Camera(s) => s.evaluate(ctx),
        }
    }
}

/// What a check may look at.
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub media: &'a [MediaEntry],
    pub probes: Option<&'a ProbeReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Error,
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
        }
    }
}

/// One offending (or, for report-only rules, observed) thing, named by what identifies it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// `block-device`, `usb-device`, `network-interface`, `default-route`, `address`,
    /// `radio`, `sound-card`, `video-device`, `mount`, `probe`, `dns-resolver`, `unreadable`.
    pub kind: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
}

impl Evidence {
    pub fn new(kind: &str, detail: impl Into<String>) -> Self {
        Evidence {
            kind: kind.to_string(),
            detail: detail.into(),
            ..Evidence::default()
        }
    }

    /// Fills the USB identifiers (vendor, product, serial, port) from a USB parent.
    pub fn with_usb(mut self, usb: Option<&UsbRef>) -> Self {
        if let Some(usb) = usb {
            self.vendor_id = usb.vendor_id.clone();
            self.product_id = usb.product_id.clone();
            self.manufacturer = usb.manufacturer.clone();
            self.product = usb.product.clone();
            self.serial = self.serial.take().or_else(|| usb.serial.clone());
            self.port = Some(usb.port.clone());
        }
        self
    }

    pub fn named(mut self, name: &str, device_path: &str) -> Self {
        self.name = Some(name.to_string());
        self.device_path = Some(device_path.to_string());
        self
    }

    pub fn unreadable(problem: &Problem) -> Self {
        Evidence {
            kind: "unreadable".to_string(),
            detail: problem.error.clone(),
            device_path: Some(problem.path.clone()),
            ..Evidence::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub evidence: Vec<Evidence>,
    /// Why the status is what it is when evidence alone does not say (errors, skips).
    pub message: Option<String>,
}

impl Outcome {
    /// The usual decision: offending evidence fails; else unread sections make it an error.
    pub fn decide(evidence: Vec<Evidence>, problems: &[&Problem]) -> Outcome {
        if !evidence.is_empty() {
            let mut evidence = evidence;
            evidence.extend(problems.iter().map(|p| Evidence::unreadable(p)));
            return Outcome {
                status: Status::Fail,
                evidence,
                message: None,
            };
        }
        if !problems.is_empty() {
            return Outcome {
                status: Status::Error,
                evidence: problems.iter().map(|p| Evidence::unreadable(p)).collect(),
                message: Some(format!(
                    "{} part(s) of the machine could not be read; nothing is passed unverified",
                    problems.len()
                )),
            };
        }
        Outcome {
            status: Status::Pass,
            evidence: Vec::new(),
            message: None,
        }
    }

    /// A report-only rule: what was seen is listed, nothing fails.
    pub fn observed(evidence: Vec<Evidence>, problems: &[&Problem]) -> Outcome {
        let mut outcome = Outcome::decide(Vec::new(), problems);
        if outcome.status == Status::Pass && !evidence.is_empty() {
            outcome.message = Some(format!("{} item(s) observed (report only)", evidence.len()));
        }
        outcome.evidence.splice(0..0, evidence);
        outcome
    }
}

/// Reads an allowlist entry (`{ vendor_id = "0951", product_id = "1666", serial = "…" }`).
pub fn parse_device_match(table: &Table) -> Option<DeviceMatch> {
    let text = |key: &'static str| table.string(key).map(|s| s.into_inner());
    let hex4 = |key: &'static str| {
        let value = table.string(key)?;
        let ok =
            value.get_ref().len() == 4 && value.get_ref().chars().all(|c| c.is_ascii_hexdigit());
        if !ok {
            table.diags().error(
                value.span(),
                format!("`{key}` must be four hex digits, as lsusb shows it (e.g. \"0951\")"),
            );
        }
        Some(value.into_inner().to_ascii_lowercase())
    };
    let found = DeviceMatch {
        vendor_id: hex4("vendor_id"),
        product_id: hex4("product_id"),
        serial: text("serial"),
        model: text("model"),
        mac: text("mac").map(|m| m.to_ascii_lowercase()),
        name: text("name"),
        driver: text("driver"),
        label: text("label"),
    };
    if found.is_empty() {
        table.diags().error(
            table.span(),
            format!(
                "{} identifies no device: give at least one of vendor_id, product_id, serial, model, mac, name, driver",
                table.context
            ),
        );
        return None;
    }
    Some(found)
}

/// An `allow = [ {...}, ... ]` list in a check's settings.
pub fn parse_allow(settings: &Table) -> Vec<DeviceMatch> {
    settings
        .tables("allow", &format!("{} allow entry", settings.context))
        .into_iter()
        .filter_map(|entry| {
            let found = parse_device_match(&entry);
            entry.finish();
            found
        })
        .collect()
}

/// `mode = "forbid" | "report"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Forbid,
    Report,
}

impl Mode {
    /// The outcome of a check in this mode: forbid fails on evidence, report only lists it.
    pub fn conclude(self, evidence: Vec<Evidence>, problems: &[&Problem]) -> Outcome {
        match self {
            Mode::Forbid => Outcome::decide(evidence, problems),
            Mode::Report => Outcome::observed(evidence, problems),
        }
    }
}

pub fn parse_mode(settings: &Table) -> Mode {
    match settings.string("mode") {
        None => Mode::Forbid,
        Some(value) => match value.get_ref().as_str() {
            "forbid" => Mode::Forbid,
            "report" => Mode::Report,
            other => {
                settings.diags().error(
                    value.span(),
                    format!("unknown mode `{other}`; expected \"forbid\" or \"report\""),
                );
                Mode::Forbid
            }
        },
    }
}

/// The problems of the inventory sections a check depends on.
pub fn problems_of<'a>(lists: &[&'a Vec<Problem>]) -> Vec<&'a Problem> {
    lists.iter().flat_map(|l| l.iter()).collect()
}
