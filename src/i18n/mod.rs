//! Every sentence a person reads, in Chinese and in English.
//!
//! Messages live in one catalogue ([`catalogue`]), each with both texts, so a message cannot
//! exist in one language only: the catalogue test checks that both texts of every entry are
//! there, parse, and use the same arguments. Code builds a [`Phrase`] (a message and its
//! arguments) and renders it in the reader's [`Lang`]. Findings carry the English text and
//! the Chinese one side by side, so a collector or a SIEM shows either without this catalogue.

mod catalogue;
mod template;
mod terms;

pub use catalogue::Msg;
pub use terms::TERMS;

use std::fmt::Display;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The language asked for (`--lang`, then a config file's `lang`), else the locale's:
    /// Chinese when `LC_ALL`, `LC_MESSAGES` or `LANG` (the first one set) says `zh`.
    pub fn choose(asked: Option<&str>) -> Lang {
        let locale = asked.map(str::to_string).or_else(|| {
            ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        });
        match locale {
            Some(l) if l.starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// A message with its arguments, rendered when the reader's language is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub msg: Msg,
    args: Vec<(&'static str, Arg)>,
}

/// An argument: text as it is (a name, a number, a device string), or something that is
/// itself said in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    Text(String),
    Phrase(Box<Phrase>),
    /// Items of an enumeration, joined as each language joins them.
    List(Vec<Phrase>),
    /// Text that comes with its own translation (an operating-system error).
    Both {
        en: String,
        zh: String,
    },
}

impl Phrase {
    pub fn new(msg: Msg) -> Phrase {
        Phrase {
            msg,
            args: Vec::new(),
        }
    }

    /// Text shown as it is in either language, where a phrase is expected.
    pub fn verbatim(text: impl Display) -> Phrase {
        Msg::Verbatim.with("text", text)
    }

    pub fn arg(mut self, name: &'static str, value: impl Display) -> Phrase {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    /// An argument of an optional part (`[...]`): absent leaves the part out.
    pub fn maybe(self, name: &'static str, value: Option<impl Display>) -> Phrase {
        match value {
            Some(value) => self.arg(name, value),
            None => self,
        }
    }

    /// An argument that is itself a phrase, said in the same language.
    pub fn nest(mut self, name: &'static str, phrase: impl Into<Phrase>) -> Phrase {
        self.args.push((name, Arg::Phrase(Box::new(phrase.into()))));
        self
    }

    /// An enumeration of phrases (`a, b` in English, `a、b` in Chinese); an empty one counts
    /// as absent, so it can sit in an optional part.
    pub fn list(mut self, name: &'static str, items: Vec<Phrase>) -> Phrase {
        if !items.is_empty() {
            self.args.push((name, Arg::List(items)));
        }
        self
    }

    /// An argument that brings its own translation.
    pub fn both(mut self, name: &'static str, en: String, zh: String) -> Phrase {
        self.args.push((name, Arg::Both { en, zh }));
        self
    }

    pub fn render(&self, lang: Lang) -> String {
        let value = |name: &str| {
            self.args
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, arg)| match arg {
                    Arg::Text(text) => text.clone(),
                    Arg::Phrase(phrase) => phrase.render(lang),
                    Arg::List(items) => {
                        let parts: Vec<String> = items.iter().map(|p| p.render(lang)).collect();
                        parts.join(match lang {
                            Lang::En => ", ",
                            Lang::Zh => "、",
                        })
                    }
                    Arg::Both { en, zh } => match lang {
                        Lang::En => en.clone(),
                        Lang::Zh => zh.clone(),
                    },
                })
        };
        let term = |key: &str| term_text(key, lang);
        let template = self.msg.template(lang);
        let text = template::fill(template, &value, &term);
        debug_assert!(
            template::required(template)
                .iter()
                .all(|slot| value(slot).is_some()),
            "{:?} rendered without an argument it needs: {text}",
            self.msg
        );
        text
    }

    pub fn en(&self) -> String {
        self.render(Lang::En)
    }

    pub fn zh(&self) -> String {
        self.render(Lang::Zh)
    }
}

impl Msg {
    pub fn with(self, name: &'static str, value: impl Display) -> Phrase {
        Phrase::new(self).arg(name, value)
    }

    pub fn nest(self, name: &'static str, phrase: impl Into<Phrase>) -> Phrase {
        Phrase::new(self).nest(name, phrase)
    }

    /// A message without arguments.
    pub fn text(self, lang: Lang) -> String {
        Phrase::new(self).render(lang)
    }
}

impl From<Msg> for Phrase {
    fn from(msg: Msg) -> Phrase {
        Phrase::new(msg)
    }
}

/// A term's text (`profile.wifi`, `state.up`): kinds and states named inside a sentence.
pub fn term_text(key: &str, lang: Lang) -> Option<&'static str> {
    TERMS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| match lang {
            Lang::En => *en,
            Lang::Zh => *zh,
        })
}

/// A message already said in both languages: what errors carry up to where the reader's
/// language is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub en: String,
    pub zh: String,
}

impl Said {
    /// Text from another program (a TOML parser's message) that comes in English only.
    pub fn untranslated(text: impl Into<String>) -> Said {
        let text = text.into();
        Said {
            zh: text.clone(),
            en: text,
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

impl From<Phrase> for Said {
    fn from(phrase: Phrase) -> Said {
        Said {
            en: phrase.en(),
            zh: phrase.zh(),
        }
    }
}

impl From<Msg> for Said {
    fn from(msg: Msg) -> Said {
        Phrase::new(msg).into()
    }
}

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

/// An operating-system error in both languages: the system's own English words, and in
/// Chinese the usual translation of its error number, the number kept for searching.
pub fn os_error(err: &std::io::Error) -> Phrase {
    let en = crate::files::os_reason(err);
    let zh = err
        .raw_os_error()
        .and_then(|code| terms::errno_zh(code).map(|text| format!("{text}（os error {code}）")))
        .unwrap_or_else(|| en.clone());
    Phrase::new(Msg::Verbatim).both("text", en, zh)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Han characters or the full-width punctuation Chinese text is set with.
    fn has_chinese(text: &str) -> bool {
        text.chars().any(|c| {
            ('\u{4e00}'..='\u{9fff}').contains(&c)
                || ('\u{3000}'..='\u{303f}').contains(&c)
                || ('\u{ff00}'..='\u{ffef}').contains(&c)
        })
    }

    /// Messages whose Chinese is rightly the same as their English: formats, names.
    const SAME_IN_BOTH: &[Msg] = &[Msg::Verbatim, Msg::KindTerm, Msg::EvidenceMac];

    /// Every message has both texts; both parse; both use the same arguments, so no
    /// language can lose a detail the other shows; and the Chinese text is Chinese.
    #[test]
    fn every_message_exists_in_both_languages_with_the_same_arguments() {
        let mut problems = Vec::new();
        for msg in Msg::ALL {
            let (en, zh) = (msg.template(Lang::En), msg.template(Lang::Zh));
            for (lang, text) in [("en", en), ("zh", zh)] {
                if text.trim().is_empty() {
                    problems.push(format!("{}: {lang} is empty", msg.key()));
                }
                if let Err(why) = template::parse(text) {
                    problems.push(format!("{}: {lang}: {why}", msg.key()));
                }
            }
            let mut en_slots = template::slots(en);
            let mut zh_slots = template::slots(zh);
            en_slots.sort();
            zh_slots.sort();
            if en_slots != zh_slots {
                problems.push(format!(
                    "{}: arguments differ: en {en_slots:?}, zh {zh_slots:?}",
                    msg.key()
                ));
            }
            let mut required_en = template::required(en);
            let mut required_zh = template::required(zh);
            for list in [&mut required_en, &mut required_zh] {
                list.sort();
                list.dedup();
            }
            if required_en != required_zh {
                problems.push(format!(
                    "{}: required arguments differ: en {required_en:?}, zh {required_zh:?}",
                    msg.key()
                ));
            }
            if !SAME_IN_BOTH.contains(msg) && !has_chinese(zh) {
                problems.push(format!(
                    "{}: the Chinese text has no Chinese: {zh:?}",
                    msg.key()
                ));
            }
            if has_chinese(en) && !matches!(msg, Msg::MediaHeader) {
                problems.push(format!(
                    "{}: the English text has Chinese: {en:?}",
                    msg.key()
                ));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_term_exists_in_both_languages_once() {
        let mut seen = std::collections::HashSet::new();
        for (key, en, zh) in TERMS {
            assert!(seen.insert(*key), "term {key} twice");
            assert!(key.contains('.'), "term {key} has no namespace");
            assert!(!en.is_empty() && !zh.is_empty(), "term {key} is empty");
        }
    }

    /// Each kind and state a sentence names through a term has its term, so no kind shows
    /// as a bare English word in a Chinese sentence.
    #[test]
    fn every_kind_a_sentence_names_has_its_term() {
        use crate::finding::v1::{Severity, Status, Trigger, Verdict};
        use crate::inventory::history::{DeviceKind, ProfileKind};
        use crate::inventory::network::{IpFamily, NetKind};
        use crate::inventory::wireless::RadioKind;
        use crate::probe::ProbeStatus;
        let mut missing = Vec::new();
        let mut want = |ns: &str, names: Vec<&str>| {
            for name in names {
                let key = format!("{ns}.{name}");
                if term_text(&key, Lang::Zh).is_none() {
                    missing.push(key);
                }
            }
        };
        want(
            "severity",
            Severity::ALL.iter().map(|s| s.as_str()).collect(),
        );
        want("radio", RadioKind::ALL.iter().map(|k| k.as_str()).collect());
        want(
            "family",
            [IpFamily::Ipv4, IpFamily::Ipv6]
                .iter()
                .map(|f| f.as_str())
                .collect(),
        );
        want(
            "netkind",
            [
                NetKind::Ethernet,
                NetKind::Wifi,
                NetKind::Wwan,
                NetKind::UsbTethering,
                NetKind::Ppp,
                NetKind::Tunnel,
                NetKind::Bridge,
                NetKind::Veth,
                NetKind::Virtual,
                NetKind::Loopback,
                NetKind::Other,
            ]
            .iter()
            .map(|k| k.as_str())
            .collect(),
        );
        want(
            "profile",
            [
                ProfileKind::Wifi,
                ProfileKind::Mobile,
                ProfileKind::Vpn,
                ProfileKind::Wireguard,
                ProfileKind::Bluetooth,
                ProfileKind::Ethernet,
                ProfileKind::Other,
            ]
            .iter()
            .map(|k| k.as_str())
            .collect(),
        );
        want(
            "device",
            [
                DeviceKind::Storage,
                DeviceKind::Phone,
                DeviceKind::NetworkAdapter,
                DeviceKind::WirelessAdapter,
                DeviceKind::Camera,
                DeviceKind::Modem,
                DeviceKind::Bluetooth,
                DeviceKind::Hid,
                DeviceKind::Hub,
            ]
            .iter()
            .map(|k| k.as_str())
            .collect(),
        );
        want(
            "probe",
            [
                ProbeStatus::Reachable,
                ProbeStatus::Refused,
                ProbeStatus::Unreachable,
                ProbeStatus::Timeout,
            ]
            .iter()
            .map(crate::vocab::unit_name)
            .collect(),
        );
        want(
            "verdict",
            [Verdict::Compliant, Verdict::Violation, Verdict::Error]
                .iter()
                .map(|v| v.as_str())
                .collect(),
        );
        want(
            "status",
            [Status::Pass, Status::Fail, Status::Error, Status::Skip]
                .iter()
                .map(|v| v.as_str())
                .collect(),
        );
        want(
            "trigger",
            [
                Trigger::Boot,
                Trigger::Manual,
                Trigger::Timer,
                Trigger::Hotplug,
                Trigger::NetworkChange,
            ]
            .iter()
            .map(|v| v.as_str())
            .collect(),
        );
        assert!(missing.is_empty(), "no term for: {missing:?}");
    }

    #[test]
    fn nested_phrases_lists_and_own_translations_follow_the_language() {
        let rfkill = vec![
            Msg::RfkillHard.with("name", "phy0"),
            Msg::RfkillNone.with("name", "hci0"),
        ];
        let radio = Msg::RadioFound
            .with("kind", "wifi")
            .arg("methods", "ieee80211")
            .list("rfkill", rfkill);
        assert_eq!(
            radio.en(),
            "Wi-Fi radio (found by ieee80211); rfkill: phy0 hard-blocked, hci0 not blocked"
        );
        assert_eq!(
            radio.zh(),
            "无线网卡（Wi-Fi）设备（发现途径：ieee80211）；rfkill：phy0 硬件禁用、hci0 未禁用"
        );
        let bare = Msg::RadioFound.with("kind", "nfc").arg("methods", "nfc");
        assert_eq!(bare.en(), "NFC radio (found by nfc)");
        let err = std::io::Error::from_raw_os_error(libc::EACCES);
        let said = os_error(&err);
        assert_eq!(said.zh(), "权限不够（os error 13）");
        assert_eq!(said.en(), err.to_string());
    }

    /// The collector's errors name the step that failed (`opening the inbox`, `storing a
    /// finding`) and say it in Chinese through a `step.` term. Its steps are the literals of
    /// its code (the report's aside) that open with an -ing word; each must have its term, or Chinese readers get
    /// English.
    #[test]
    fn every_step_the_collector_names_has_its_chinese() {
        fn literals_outside_tests(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                // The report's page names sort orders, not steps.
                if path.is_dir() && !path.ends_with("report") {
                    literals_outside_tests(&path, out);
                }
                if !path.is_file() {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                // Comments quote file formats, not steps.
                let code: String = code
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                for piece in code.split('"').skip(1).step_by(2) {
                    let first = piece.split(' ').next().unwrap_or_default();
                    let gerund = first.len() > 4
                        && first.ends_with("ing")
                        && first.chars().all(|c| c.is_ascii_lowercase());
                    if gerund && !piece.contains(['{', '}', ':', '\\']) {
                        out.push(piece.to_string());
                    }
                }
            }
        }
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/collector");
        let mut steps = Vec::new();
        literals_outside_tests(&src, &mut steps);
        assert!(steps.iter().any(|s| s == "storing a finding"), "{steps:?}");
        let missing: Vec<&String> = steps
            .iter()
            .filter(|s| term_text(&format!("step.{s}"), Lang::Zh).is_none())
            .collect();
        assert!(missing.is_empty(), "no `step.` term for: {missing:?}");
    }
}
