//! `audio-capture`: no microphones (音频设备). A sound card fails when it has a capture
//! stream; playback-only cards (HDMI audio) pass. A USB audio interface with no card bound is
//! a possible microphone someone can bind a driver to, so it fails too.

use super::evidence::{unbound_usb, ClassDevice};
use super::{Context, DeviceRule, EvidenceKind, NameField, Outcome};
use crate::i18n::Msg;
use crate::inventory::usb::UsbKind;
use crate::inventory::Fact;
use crate::policy::reader::Table;

pub const NAME: &str = "audio-capture";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub rule: DeviceRule,
}

impl Settings {
    pub fn parse(t: &Table) -> Settings {
        Settings {
            rule: DeviceRule::parse(t, NameField::CardId),
        }
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        let inv = ctx.inventory;
        let mut evidence = Vec::new();
        for card in inv.audio.cards.iter().filter(|c| !c.capture.is_empty()) {
            let name = format!("card{}", card.index);
            let device = ClassDevice {
                name: &name,
                device_path: &card.device_path,
                usb: card.usb.as_ref(),
                label: card.name.as_ref(),
                driver: card.driver.as_ref(),
                bus: card.bus,
            };
            let mut ids = device.ids();
            ids.card_id = card.id.as_deref();
            if !self.rule.allows(&ids) {
                evidence.push(device.evidence(
                    EvidenceKind::SoundCard,
                    Msg::AudioCapture.with("streams", card.capture.join(", ")),
                ));
            }
        }
        let with_card: Vec<&str> = inv
            .audio
            .cards
            .iter()
            .filter_map(|c| c.usb.as_ref().map(|u| u.device_path.as_str()))
            .collect();
        evidence.extend(unbound_usb(
            inv,
            UsbKind::Audio,
            &with_card,
            &self.rule.allow,
            Msg::AudioUnbound,
        ));
        let problems = inv.problems_of(&[Fact::SoundCards, Fact::UsbDevices]);
        self.rule.mode.conclude(evidence, &problems)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{judge, machine, named, sound_card, usb};
    use crate::finding::v1::Status;

    const RULE: &str = "id = \"audio-capture\"";

    #[test]
    fn capture_cards_fail_playback_cards_pass_and_allowlists_excuse() {
        let mut inv = machine();
        inv.audio.cards.push(sound_card(0, "HDMI", false, None));
        assert_eq!(judge(RULE, "", &inv).status, Status::Pass);
        let headset = usb(
            "1-3",
            ("046d", "0a8f"),
            None,
            &[("01", "01", "00", Some("snd-usb-audio"))],
        );
        inv.audio
            .cards
            .push(sound_card(1, "Headset", true, Some(headset.ids())));
        inv.usb.devices.push(headset);
        let r = judge(RULE, "", &inv);
        assert_eq!((r.status, named(&r)), (Status::Fail, vec!["card1".into()]));
        for allow in [
            "name = \"Headset\"",
            "card_id = \"Headset\"",
            "vendor_id = \"046d\"",
        ] {
            let rule = format!("{RULE}\n[rule.settings]\nallow = [ {{ {allow} }} ]");
            assert_eq!(judge(&rule, "", &inv).status, Status::Pass, "{allow}");
        }
        let rule = format!("{RULE}\n[rule.settings]\nallow = [ {{ card_id = \"HDMI\" }} ]");
        assert_eq!(judge(&rule, "", &inv).status, Status::Fail);
    }

    #[test]
    fn a_usb_audio_function_without_a_card_is_a_possible_microphone() {
        let mut inv = machine();
        inv.usb.devices.push(usb(
            "1-3",
            ("046d", "0a8f"),
            None,
            &[("01", "01", "00", None)],
        ));
        let r = judge(RULE, "", &inv);
        assert_eq!(named(&r), vec!["1-3".to_string()]);
        let report = format!("{RULE}\n[rule.settings]\nmode = \"report\"");
        let r = judge(&report, "", &inv);
        assert_eq!((r.status, named(&r)), (Status::Pass, vec!["1-3".into()]));
        let allowed = format!("{RULE}\n[rule.settings]\nallow = [ {{ port = \"1-3\" }} ]");
        assert_eq!(judge(&allowed, "", &inv).status, Status::Pass);
    }
}
