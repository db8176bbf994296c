//! `wireless`: no radios of any kind (无线设备): Wi-Fi, Bluetooth, WWAN modems, USB tethering
//! and NFC. An rfkill block does not excuse a radio (it is one command away from being
//! lifted); it is shown in the evidence so a technician knows the state it was found in.

use super::evidence::usb_evidence;
use super::{Context, DeviceRule, Evidence, EvidenceKind, NameField, Outcome};
use crate::i18n::Msg;
use crate::inventory::network::NetKind;
use crate::inventory::wireless::{Radio, RadioKind};
use crate::inventory::Fact;
use crate::policy::model::Identifiers;
use crate::policy::reader::Table;

pub const NAME: &str = "wireless";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub rule: DeviceRule,
    pub kinds: Vec<RadioKind>,
}

impl Settings {
    pub fn parse(t: &Table) -> Settings {
        let mut kinds: Vec<RadioKind> = Vec::new();
        for kind in t.strings("kinds") {
            match crate::vocab::parse_unit(kind.get_ref()) {
                Some(known) => kinds.push(known),
                None => t.diags().error(
                    kind.span(),
                    Msg::UnknownValue
                        .with("what", "kinds")
                        .arg("value", kind.get_ref())
                        .arg("expected", RadioKind::ALL.map(|k| k.as_str()).join(", ")),
                ),
            }
        }
        if !t.has("kinds") {
            kinds = RadioKind::ALL.to_vec();
        }
        Settings {
            rule: DeviceRule::parse(t, NameField::Radio),
            kinds,
        }
    }

    fn wants(&self, kind: RadioKind) -> bool {
        self.kinds.contains(&kind)
    }

    fn allowed(&self, ids: &Identifiers) -> bool {
        self.rule.allows(ids)
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        let inv = ctx.inventory;
        let w = &inv.wireless;
        let mut evidence = Vec::new();
        for (kind, radios) in w.by_kind() {
            if !self.wants(kind) {
                continue;
            }
            for radio in radios {
                if !self.allowed(&radio_ids(radio)) {
                    evidence.push(radio_evidence(kind, radio, ctx));
                }
            }
        }
        if self.wants(RadioKind::UsbTethering) {
            for iface in inv
                .network
                .interfaces
                .iter()
                .filter(|i| i.kind == NetKind::UsbTethering)
            {
                let ids = Identifiers {
                    mac: iface.mac.as_deref(),
                    interface: Some(&iface.name),
                    radio: vec![iface.name.as_str()],
                    driver: iface.driver.as_deref(),
                    ..Identifiers::from_usb(iface.usb.as_ref())
                };
                if !self.allowed(&ids) {
                    let mut e = Evidence::new(
                        EvidenceKind::NetworkInterface,
                        Msg::TetheringInterface
                            .with("driver", iface.driver.as_deref().unwrap_or("?")),
                    )
                    .named(&iface.name, &iface.device_path)
                    .with_usb(iface.usb.as_ref());
                    e.mac = iface.mac.clone();
                    e.driver = iface.driver.clone();
                    evidence.push(e);
                }
            }
            // A tethering function with no driver bound is still a phone offering a path out.
            let tethered: Vec<&str> = inv
                .network
                .interfaces
                .iter()
                .filter_map(|i| i.usb.as_ref().map(|u| u.device_path.as_str()))
                .collect();
            for usb in &inv.usb.devices {
                let rndis = usb.interfaces.iter().any(|i| {
                    matches!(
                        (i.class.as_str(), i.subclass.as_str(), i.protocol.as_str()),
                        ("e0", "01", "03") | ("ef", "04", "01")
                    )
                });
                if rndis && !tethered.contains(&usb.device_path.as_str()) {
                    evidence.push(usb_evidence(usb, Msg::RndisUnbound));
                }
            }
        }
        let problems = inv.problems_of(&[Fact::Radios, Fact::Interfaces, Fact::UsbDevices]);
        self.rule.mode.conclude(evidence, &problems)
    }
}

fn radio_ids(radio: &Radio) -> Identifiers<'_> {
    let usb = radio.usb.as_ref();
    Identifiers {
        mac: radio.address.as_deref(),
        interface: radio.interface.as_deref(),
        radio: std::iter::once(radio.name.as_str())
            .chain(radio.interface.as_deref())
            .collect(),
        driver: radio.driver.as_deref(),
        ..Identifiers::from_usb(usb)
    }
}

fn radio_evidence(kind: RadioKind, radio: &Radio, ctx: &Context) -> Evidence {
    let rfkill = ctx
        .inventory
        .wireless
        .rfkill
        .iter()
        .filter(|s| {
            s.device_path
                .starts_with(&format!("{}/", radio.device_path))
        })
        .map(|s| {
            let state = match (s.soft_blocked, s.hard_blocked) {
                (_, Some(true)) => Msg::RfkillHard,
                (Some(true), _) => Msg::RfkillSoft,
                _ => Msg::RfkillNone,
            };
            state.with("name", &s.name)
        })
        .collect::<Vec<_>>();
    let detail = Msg::RadioFound
        .with("kind", kind)
        .arg("methods", radio.detected_by.join(", "))
        .list("rfkill", rfkill);
    let mut e = Evidence::new(EvidenceKind::Radio, detail)
        .named(
            radio.interface.as_deref().unwrap_or(&radio.name),
            &radio.device_path,
        )
        .with_usb(radio.usb.as_ref());
    e.mac = radio.address.clone();
    e.driver = radio.driver.clone();
    e.bus = Some(radio.bus.as_str().to_string());
    e
}

#[cfg(test)]
mod tests {
    use super::super::testing::{interface, judge, machine, named, radio, usb};
    use crate::finding::v1::Status;
    use crate::inventory::network::NetKind;

    const RULE: &str = "id = \"wireless\"";

    #[test]
    fn radios_fail_unless_allowed_by_name_interface_or_kind() {
        let mut inv = machine();
        inv.wireless
            .wifi
            .push(radio("phy0", Some("wlan0"), "a0:b1:c2:d3:e4:f5"));
        inv.wireless
            .bluetooth
            .push(radio("hci0", None, "00:1a:7d:da:71:13"));
        let r = judge(RULE, "", &inv);
        assert_eq!(named(&r), vec!["wlan0".to_string(), "hci0".to_string()]);
        for (allow, left) in [
            ("radio = \"phy0\"", "hci0"),
            ("name = \"wlan0\"", "hci0"),
            ("interface = \"wlan0\"", "hci0"),
            ("mac = \"00:1A:7D:DA:71:13\"", "wlan0"),
        ] {
            let rule = format!("{RULE}\n[rule.settings]\nallow = [ {{ {allow} }} ]");
            assert_eq!(
                named(&judge(&rule, "", &inv)),
                vec![left.to_string()],
                "{allow}"
            );
        }
        let only_bt = format!("{RULE}\n[rule.settings]\nkinds = [\"bluetooth\"]");
        assert_eq!(named(&judge(&only_bt, "", &inv)), vec!["hci0".to_string()]);
        let report = format!("{RULE}\n[rule.settings]\nmode = \"report\"");
        assert_eq!(judge(&report, "", &inv).status, Status::Pass);
    }

    #[test]
    fn tethering_with_or_without_an_interface_fails() {
        let mut inv = machine();
        let phone = usb(
            "1-4",
            ("18d1", "4ee3"),
            Some("P1"),
            &[("e0", "01", "03", None)],
        );
        inv.usb.devices.push(phone);
        let r = judge(RULE, "", &inv);
        assert_eq!(named(&r), vec!["1-4".to_string()]);
        let mut usb0 = interface("usb0", NetKind::UsbTethering, true, &[]);
        usb0.usb = Some(inv.usb.devices[0].ids());
        inv.network.interfaces.push(usb0);
        let r = judge(RULE, "", &inv);
        assert_eq!((r.status, named(&r)), (Status::Fail, vec!["usb0".into()]));
        let no_tethering = format!("{RULE}\n[rule.settings]\nkinds = [\"wifi\"]");
        assert_eq!(judge(&no_tethering, "", &inv).status, Status::Pass);
    }
}
