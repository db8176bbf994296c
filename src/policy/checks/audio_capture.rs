//! `audio-capture`: no microphones (音频设备). A sound card fails when it has a capture
//! stream; playback-only cards (HDMI audio) pass. A USB audio interface with no card bound is
//! a possible microphone someone can bind a driver to, so it fails too.

use super::evidence::unbound_usb;
use super::{
    parse_allow, parse_mode, problems_of, Context, Evidence, EvidenceKind, Mode, NameField, Outcome,
};
use crate::inventory::usb::UsbKind;
use crate::policy::model::{DeviceMatch, Identifiers};
use crate::policy::reader::Table;

pub const NAME: &str = "audio-capture";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    pub allow: Vec<DeviceMatch>,
}

impl Settings {
    pub fn parse(t: &Table) -> Settings {
        Settings {
            mode: parse_mode(t),
            allow: parse_allow(t, NameField::CardId),
        }
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        let inv = ctx.inventory;
        let mut evidence = Vec::new();
        for card in inv.audio.cards.iter().filter(|c| !c.capture.is_empty()) {
            let usb = card.usb.as_ref();
            let ids = Identifiers {
                model: card.name.as_deref(),
                card_id: card.id.as_deref(),
                driver: card.driver.as_deref(),
                ..Identifiers::from_usb(usb)
            };
            if self.allow.iter().any(|a| a.matches(&ids)) {
                continue;
            }
            let mut e = Evidence::new(
                EvidenceKind::SoundCard,
                format!("audio capture device: {}", card.capture.join(", ")),
            )
            .named(&format!("card{}", card.index), &card.device_path)
            .with_usb(usb);
            if usb.is_none() {
                e.product = card.name.clone();
            }
            e.driver = card.driver.clone();
            e.bus = Some(card.bus.as_str().to_string());
            evidence.push(e);
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
            &self.allow,
            "USB audio device with no sound card bound (possible microphone)",
        ));
        let problems = problems_of(&[&inv.audio.problems, &inv.usb.problems]);
        self.mode.conclude(evidence, &problems)
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
