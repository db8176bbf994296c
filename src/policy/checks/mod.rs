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
pub mod evidence;
pub mod external_network;
mod history_common;
pub mod network_history;
pub mod one_way_import;
pub mod removable_storage;
#[cfg(test)]
pub(crate) mod testing;
pub mod usb_history;
pub mod wireless;

use super::model::{DeviceMatch, MediaEntry};
use super::reader::Table;
use crate::i18n::{Msg, Phrase};
use crate::inventory::{Inventory, Problem};
use crate::probe::ProbeReport;

pub use crate::finding::v1::{Evidence, EvidenceKind, Status};

#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    ExternalNetwork(external_network::Settings),
    Wireless(wireless::Settings),
    RemovableStorage(removable_storage::Settings),
    OneWayImport(one_way_import::Settings),
    AudioCapture(audio_capture::Settings),
    Camera(camera::Settings),
    UsbHistory(usb_history::Settings),
    NetworkHistory(network_history::Settings),
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
    (
        usb_history::NAME,
        "no unregistered storage, phone, camera, modem or radio used here in the last N days (logs)",
    ),
    (
        network_history::NAME,
        "never on another network: saved wireless, mobile, VPN profiles, pairings, outside leases",
    ),
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
            Check::UsbHistory(_) => usb_history::NAME,
            Check::NetworkHistory(_) => network_history::NAME,
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
            usb_history::NAME => Check::UsbHistory(usb_history::Settings::parse(settings)),
            network_history::NAME => {
                Check::NetworkHistory(network_history::Settings::parse(settings))
            }
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
            Check::UsbHistory(s) => s.evaluate(ctx),
            Check::NetworkHistory(s) => s.evaluate(ctx),
        }
    }
}

/// What a check may look at.
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub media: &'a [MediaEntry],
    pub probes: Option<&'a ProbeReport>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub evidence: Vec<Evidence>,
    /// Why the status is what it is when evidence alone does not say (errors, skips).
    pub message: Option<Phrase>,
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
                message: Some(Msg::OutcomeUnreadParts.with("count", problems.len())),
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
            outcome.message = Some(Msg::OutcomeObserved.with("count", evidence.len()));
        }
        outcome.evidence.splice(0..0, evidence);
        outcome
    }
}

/// What the policy key `name` means in an allowlist entry: it names a different kind of
/// thing in each check, so each check says which field it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameField {
    Interface,
    BlockDevice,
    VideoNode,
    CardId,
    Radio,
}

impl NameField {
    fn key(self) -> &'static str {
        match self {
            NameField::Interface => "interface",
            NameField::BlockDevice => "block_device",
            NameField::VideoNode => "video_node",
            NameField::CardId => "card_id",
            NameField::Radio => "radio",
        }
    }
}

/// The keys an allowlist entry may have, for the "identifies no device" message.
const MATCH_KEYS: &str = "vendor_id, product_id, serial, model, mac, driver, interface, port, \
     block_device, video_node, card_id, radio (or name)";

/// Reads an allowlist entry (`{ vendor_id = "0951", product_id = "1666", serial = "…" }`).
/// `name` is accepted as the check's own kind of name (`name_means`).
pub fn parse_device_match(table: &Table, name_means: NameField) -> Option<DeviceMatch> {
    let text = |key: &'static str| table.string(key).map(|s| s.into_inner());
    let hex4 = |key: &'static str| {
        let value = table.string(key)?;
        let ok =
            value.get_ref().len() == 4 && value.get_ref().chars().all(|c| c.is_ascii_hexdigit());
        if !ok {
            table
                .diags()
                .error(value.span(), Msg::NotHex4.with("key", key));
        }
        Some(value.into_inner().to_ascii_lowercase())
    };
    let mut found = DeviceMatch {
        vendor_id: hex4("vendor_id"),
        product_id: hex4("product_id"),
        serial: text("serial"),
        model: text("model"),
        mac: text("mac").map(|m| m.to_ascii_lowercase()),
        driver: text("driver"),
        interface: text("interface"),
        port: text("port"),
        block_device: text("block_device"),
        video_node: text("video_node"),
        card_id: text("card_id"),
        radio: text("radio"),
        label: text("label"),
    };
    if let Some(name) = table.string("name") {
        let field = match name_means {
            NameField::Interface => &mut found.interface,
            NameField::BlockDevice => &mut found.block_device,
            NameField::VideoNode => &mut found.video_node,
            NameField::CardId => &mut found.card_id,
            NameField::Radio => &mut found.radio,
        };
        if field.is_some() {
            table.diags().error(
                name.span(),
                Msg::NameGivenTwice.with("field", name_means.key()),
            );
        }
        *field = Some(name.into_inner());
    }
    if found.is_empty() {
        table.diags().error(
            table.span(),
            Msg::IdentifiesNothing
                .nest("context", table.context.clone())
                .arg("keys", MATCH_KEYS),
        );
        return None;
    }
    Some(found)
}

/// An `allow = [ {...}, ... ]` list in a check's settings.
pub fn parse_allow(settings: &Table, name_means: NameField) -> Vec<DeviceMatch> {
    settings
        .tables(
            "allow",
            Msg::AllowEntryContext.nest("context", settings.context.clone()),
        )
        .into_iter()
        .filter_map(|entry| {
            let found = parse_device_match(&entry, name_means);
            entry.finish();
            found
        })
        .collect()
}

/// The settings every device rule has: forbid or only report, and an allowlist whose `name`
/// means the rule's kind of name.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRule {
    pub mode: Mode,
    pub allow: Vec<DeviceMatch>,
}

impl DeviceRule {
    pub fn parse(t: &Table, name_means: NameField) -> DeviceRule {
        DeviceRule {
            mode: parse_mode(t),
            allow: parse_allow(t, name_means),
        }
    }

    pub fn allows(&self, ids: &crate::policy::model::Identifiers) -> bool {
        self.allow.iter().any(|a| a.matches(ids))
    }
}

/// `mode = "forbid" | "report"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Forbid,
    Report,
}

crate::vocab::unit_names!(Mode);

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
        Some(value) => crate::vocab::parse_unit(value.get_ref()).unwrap_or_else(|| {
            settings.diags().error(
                value.span(),
                Msg::UnknownValue
                    .with("what", "mode")
                    .arg("value", value.get_ref())
                    .arg("expected", format!("{}, {}", Mode::Forbid, Mode::Report)),
            );
            Mode::Forbid
        }),
    }
}
