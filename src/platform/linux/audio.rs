//! Sound cards from the sound class and `/proc/asound/cards`, with capture (microphone)
//! PCMs told apart from playback.
//!
//! ALSA names PCM nodes `pcmC<card>D<device><c|p>`: a trailing `c` is a capture stream. An
//! HDMI output card has only `p` nodes and is no microphone; a USB headset or a webcam's
//! microphone shows up as a card with a `c` node.

use super::bus::bus_of;
use super::device::SysDevice;
use super::root::{Fact, HostRoot};
use super::usb::usb_parent;
use crate::inventory::audio::{AudioSection, SoundCard};
use crate::inventory::Bus;
use crate::text::udev_unescape;

/// One line pair of `/proc/asound/cards`: ` 0 [SB             ]: HDA-Intel - HDA ATI SB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcCard {
    pub index: u32,
    pub id: String,
    pub name: String,
}

pub fn parse_proc_cards(text: &str) -> Vec<ProcCard> {
    text.lines()
        .filter_map(|line| {
            let (index, rest) = line.trim_start().split_once(' ')?;
            let index = index.parse().ok()?;
            let rest = rest.trim_start().strip_prefix('[')?;
            let (id, rest) = rest.split_once(']')?;
            let name = rest
                .trim_start_matches(':')
                .split_once(" - ")
                .map_or(rest, |(_, name)| name);
            Some(ProcCard {
                index,
                id: id.trim().to_string(),
                name: name.trim().to_string(),
            })
        })
        .collect()
}

/// `pcmC1D0c` into (card 1, capture).
fn pcm_card(name: &str) -> Option<(u32, bool)> {
    let rest = name.strip_prefix("pcmC")?;
    let (card, rest) = rest.split_once('D')?;
    let capture = match rest.chars().last()? {
        'c' => true,
        'p' => false,
        _ => return None,
    };
    Some((card.parse().ok()?, capture))
}

pub fn collect(host: &HostRoot) -> AudioSection {
    host.reading(Fact::SoundCards, || read(host))
}

fn read(host: &HostRoot) -> AudioSection {
    let proc_cards = host
        .read_text("proc/asound/cards")
        .map(|text| parse_proc_cards(&text))
        .unwrap_or_default();
    let entries = SysDevice::list(host, "sys/class/sound");
    let mut cards: Vec<SoundCard> = entries
        .iter()
        .filter_map(|dev| {
            let index: u32 = dev.sysname().strip_prefix("card")?.parse().ok()?;
            Some(read_card(dev, index, &proc_cards))
        })
        .collect();
    for entry in &entries {
        let Some((index, capture)) = pcm_card(entry.sysname()) else {
            continue;
        };
        if let Some(card) = cards.iter_mut().find(|c| c.index == index) {
            let list = if capture {
                &mut card.capture
            } else {
                &mut card.playback
            };
            list.push(entry.sysname().to_string());
        }
    }
    cards.sort_by_key(|c| c.index);
    AudioSection {
        cards,
        problems: host.take_problems(),
    }
}

fn read_card(dev: &SysDevice, index: u32, proc_cards: &[ProcCard]) -> SoundCard {
    let from_proc = proc_cards.iter().find(|c| c.index == index);
    let parent = dev.parent();
    let udev_name = || {
        dev.property("ID_MODEL_ENC")
            .map(|v| udev_unescape(&v))
            .or_else(|| dev.property("ID_MODEL_FROM_DATABASE"))
    };
    let bus = bus_of(dev);
    SoundCard {
        index,
        id: dev.attr("id").or_else(|| from_proc.map(|c| c.id.clone())),
        name: from_proc.map(|c| c.name.clone()).or_else(udev_name),
        device_path: dev.sys_path(),
        bus,
        driver: parent.as_ref().and_then(|p| p.driver()),
        usb: if bus == Bus::Usb {
            usb_parent(dev)
        } else {
            None
        },
        capture: Vec::new(),
        playback: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_cards_parse() {
        // smxi/inxi pinxi-tester-2017-12-17 proc-asound-cards.txt
        let text = " 0 [SB             ]: HDA-Intel - HDA ATI SB\n                      HDA ATI SB at 0xfcef0000 irq 16\n 1 [NVidia         ]: HDA-Intel - HDA NVidia\n                      HDA NVidia at 0xfea7c000 irq 19\n";
        let cards = parse_proc_cards(text);
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].id, "SB");
        assert_eq!(cards[1].name, "HDA NVidia");
    }

    #[test]
    fn pcm_names() {
        assert_eq!(pcm_card("pcmC0D0c"), Some((0, true)));
        assert_eq!(pcm_card("pcmC12D3p"), Some((12, false)));
        assert_eq!(pcm_card("controlC0"), None);
        assert_eq!(pcm_card("pcmC0D0x"), None);
    }
}
