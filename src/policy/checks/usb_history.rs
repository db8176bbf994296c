//! `usb-history`: no unregistered storage device, phone, camera, modem or radio has been used
//! here within the last N days (保密检查: "has an unregistered stick ever been used here?").
//!
//! The machine's own logs say which USB devices the kernel met (the journal's kernel
//! messages, kern.log, syslog, messages, rotated and compressed). A device seen within the
//! look-back that is not a registered medium fails, with the times and the file and line
//! that show it. Registered media are matched as in `removable-storage`.

use super::evidence::registered;
use super::history_common::{parse_days, unverified, window_start, within};
use super::{parse_mode, Context, Evidence, EvidenceKind, Mode, Outcome};
use crate::i18n::{Msg, Phrase};
use crate::inventory::history::{DeviceKind, DeviceSighting};
use crate::inventory::Fact;
use crate::policy::model::Identifiers;
use crate::policy::reader::Table;

pub const NAME: &str = "usb-history";

/// What the rule looks for unless told otherwise.
const DEFAULT_KINDS: [DeviceKind; 6] = [
    DeviceKind::Storage,
    DeviceKind::Phone,
    DeviceKind::Camera,
    DeviceKind::Modem,
    DeviceKind::Bluetooth,
    DeviceKind::WirelessAdapter,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    pub days: u32,
    pub kinds: Vec<DeviceKind>,
}

impl Settings {
    pub fn parse(t: &Table) -> Settings {
        let mut kinds = Vec::new();
        for kind in t.strings("kinds") {
            match crate::vocab::parse_unit::<DeviceKind>(kind.get_ref()) {
                Some(known) => kinds.push(known),
                None => t.diags().error(
                    kind.span(),
                    Msg::UnknownValue
                        .with("what", "kinds")
                        .arg("value", kind.get_ref())
                        .arg(
                            "expected",
                            "storage, phone, camera, modem, bluetooth, wireless-adapter, \
                             network-adapter, hid, hub",
                        ),
                ),
            }
        }
        if !t.has("kinds") {
            kinds = DEFAULT_KINDS.to_vec();
        }
        Settings {
            mode: parse_mode(t),
            days: parse_days(t, 30),
            kinds,
        }
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        let inv = ctx.inventory;
        let mut evidence = Vec::new();
        let mut missing = Vec::new();
        if let Some(history) = &inv.history {
            let start = window_start(history, self.days);
            for seen in &history.devices {
                let recent = within(seen.last_seen.as_ref().or(seen.first_seen.as_ref()), start);
                let wanted = seen.kinds.iter().any(|k| self.kinds.contains(k));
                if recent && wanted && registered(ctx.media, &sighting_ids(seen)).is_none() {
                    evidence.push(sighting_evidence(seen));
                }
            }
            missing = unverified(inv, start);
        } else {
            missing.extend(unverified(inv, 0));
        }
        let mut problems = inv.problems_of(&[Fact::History]);
        problems.extend(missing.iter());
        self.mode.conclude(evidence, &problems)
    }
}

fn sighting_ids(seen: &DeviceSighting) -> Identifiers<'_> {
    Identifiers {
        vendor_id: seen.vendor_id.as_deref(),
        product_id: seen.product_id.as_deref(),
        serials: seen.serial.as_deref().into_iter().collect(),
        model: seen.product.as_deref(),
        port: seen.port.as_deref(),
        ..Identifiers::default()
    }
}

fn sighting_evidence(seen: &DeviceSighting) -> Evidence {
    let kinds: Vec<Phrase> = seen
        .kinds
        .iter()
        .map(|k| Msg::KindTerm.with("kind", k))
        .collect();
    let when = match (seen.first_seen, seen.last_seen) {
        (Some(a), Some(b)) if a != b => Msg::WhenRange
            .with("from", a.to_rfc3339())
            .arg("to", b.to_rfc3339()),
        (Some(t), _) | (None, Some(t)) => Phrase::verbatim(t.to_rfc3339()),
        (None, None) => Msg::WhenUnknown.into(),
    };
    let places: Vec<Phrase> = seen
        .evidence
        .iter()
        .take(2)
        .map(|e| match (e.line, e.offset) {
            (Some(line), _) => Msg::PlaceLine.with("source", &e.source).arg("line", line),
            (None, Some(offset)) => Msg::PlaceOffset
                .with("source", &e.source)
                .arg("offset", offset),
            _ => Phrase::verbatim(&e.source),
        })
        .collect();
    let detail = Phrase::new(Msg::UsbSighting)
        .list("kinds", kinds)
        .arg("ids", seen.vid_pid().unwrap_or_else(|| "?:?".to_string()))
        .arg("port", seen.port.as_deref().unwrap_or("?"))
        .nest("when", when)
        .list("places", places);
    let mut e = Evidence::new(EvidenceKind::UsbHistory, detail);
    e.name = seen.port.clone();
    e.port = seen.port.clone();
    e.vendor_id = seen.vendor_id.clone();
    e.product_id = seen.product_id.clone();
    e.manufacturer = seen.manufacturer.clone();
    e.product = seen.product.clone();
    e.serial = seen.serial.clone();
    e.bus = Some(crate::inventory::Bus::Usb.as_str().to_string());
    e
}

#[cfg(test)]
mod tests {
    use super::super::testing::{judge, machine, named};
    use crate::finding::v1::Status;

    /// A history as the backend reports it, from JSON (the inventory's own shape).
    fn history(devices: &str, sources: &str) -> crate::inventory::history::HistorySection {
        let now = 1_796_000_000_000_000i64;
        serde_json::from_str(&format!(
            r#"{{"window": {{"since": {{"unix_micros": {}, "zone": "recorded"}},
                 "until": {{"unix_micros": {now}, "zone": "recorded"}}, "days": 365}},
                 "devices": {devices}, "profiles": [], "leases": [], "pairings": [],
                 "sources": {sources}}}"#,
            now - 365 * 86_400 * 1_000_000
        ))
        .unwrap()
    }

    const STICK: &str = r#"[{"port": "1-3", "vendor_id": "0781", "product_id": "5583",
        "serial": "S1", "kinds": ["storage"], "attached": [],
        "last_seen": {"unix_micros": 1795900000000000, "zone": "recorded"},
        "connect_seen": true, "disconnect_seen": true,
        "evidence": [{"source": "/var/log/kern.log", "line": 7, "message": "x"}],
        "evidence_omitted": 0}]"#;

    #[test]
    fn an_unregistered_device_seen_recently_fails_a_registered_one_passes() {
        let mut inv = machine();
        inv.history = Some(history(STICK, "[]"));
        let r = judge("id = \"usb-history\"", "", &inv);
        assert_eq!((r.status, named(&r)), (Status::Fail, vec!["1-3".into()]));
        assert!(r.evidence[0].detail.contains("(/var/log/kern.log:7)"));
        let r = judge("id = \"usb-history\"", "[[media]]\nserial = \"S1\"\n", &inv);
        assert_eq!(r.status, Status::Pass);
        // Outside a one-day look-back (seen about 28 hours before "now").
        let r = judge("id = \"usb-history\"\n[rule.settings]\ndays = 1", "", &inv);
        assert_eq!(r.status, Status::Pass);
    }

    #[test]
    fn a_log_a_bound_stopped_inside_the_look_back_is_an_error_not_a_pass() {
        let mut inv = machine();
        let partial = r#"[{"path": "/var/log/journal/x/system.journal", "format": "journal-file",
            "coverage": "partial", "bytes_read": 10, "records": 1,
            "oldest": {"unix_micros": 1795990000000000, "zone": "recorded"}}]"#;
        inv.history = Some(history("[]", partial));
        let r = judge("id = \"usb-history\"", "", &inv);
        assert_eq!(r.status, Status::Error, "{r:?}");
        // Read back past the look-back: verified.
        let deep = partial.replace("1795990000000000", "1700000000000000");
        inv.history = Some(history("[]", &deep));
        assert_eq!(judge("id = \"usb-history\"", "", &inv).status, Status::Pass);
        // No history at all (another platform): an error.
        inv.history = None;
        assert_eq!(
            judge("id = \"usb-history\"", "", &inv).status,
            Status::Error
        );
    }
}
