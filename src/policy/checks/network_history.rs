//! `network-history`: this machine has never been on another network (保密检查: "has it
//! ever been connected elsewhere?"). A saved Wi-Fi, mobile-broadband, VPN or WireGuard
//! profile, a Bluetooth device paired, or a DHCP lease from outside the site's own prefixes
//! fails, naming the network, the times where known, and the file and line it came from.

use super::history_common::{parse_days, unverified, window_start};
use super::{parse_mode, Context, Evidence, EvidenceKind, Mode, Outcome};
use crate::i18n::{Msg, Phrase};
use crate::inventory::address_space::Prefix;
use crate::inventory::history::{Lease, NetworkProfile, ProfileKind, SourceLocation};
use crate::inventory::Fact;
use crate::policy::reader::Table;

pub const NAME: &str = "network-history";

const DEFAULT_KINDS: [ProfileKind; 5] = [
    ProfileKind::Wifi,
    ProfileKind::Mobile,
    ProfileKind::Vpn,
    ProfileKind::Wireguard,
    ProfileKind::Bluetooth,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    /// Profile kinds that fail when saved.
    pub kinds: Vec<ProfileKind>,
    /// Whether a paired Bluetooth device fails.
    pub pairings: bool,
    /// The site's own networks: a lease inside them is not another network.
    pub allowed_prefixes: Vec<Prefix>,
    /// How far back a lease counts (by the time it was obtained, where known).
    pub days: u32,
}

impl Settings {
    pub fn parse(t: &Table) -> Settings {
        let mut kinds = Vec::new();
        for kind in t.strings("kinds") {
            match crate::vocab::parse_unit::<ProfileKind>(kind.get_ref()) {
                Some(known) => kinds.push(known),
                None => t.diags().error(
                    kind.span(),
                    Msg::UnknownValue
                        .with("what", "kinds")
                        .arg("value", kind.get_ref())
                        .arg(
                            "expected",
                            "wifi, mobile, vpn, wireguard, bluetooth, ethernet, other",
                        ),
                ),
            }
        }
        if !t.has("kinds") {
            kinds = DEFAULT_KINDS.to_vec();
        }
        let allowed_prefixes = t
            .strings("allowed_prefixes")
            .into_iter()
            .filter_map(|p| {
                let parsed = Prefix::parse(p.get_ref());
                if parsed.is_none() {
                    t.diags()
                        .error(p.span(), Msg::NotAPrefix.with("value", p.get_ref()));
                }
                parsed
            })
            .collect();
        Settings {
            mode: parse_mode(t),
            kinds,
            pairings: t.bool("pairings").unwrap_or(true),
            allowed_prefixes,
            days: parse_days(t, 365),
        }
    }

    fn inside(&self, lease: &Lease) -> bool {
        let own = |ip: &std::net::IpAddr| self.allowed_prefixes.iter().any(|p| p.contains(ip));
        lease.address.as_ref().is_none_or(own) && lease.gateways.iter().all(own)
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        let inv = ctx.inventory;
        let mut evidence = Vec::new();
        let mut missing = Vec::new();
        if let Some(history) = &inv.history {
            let start = window_start(history, self.days);
            for profile in history
                .profiles
                .iter()
                .filter(|p| self.kinds.contains(&p.kind))
            {
                evidence.push(profile_evidence(profile));
            }
            if self.pairings {
                for pairing in history.pairings.iter().filter(|p| p.paired) {
                    let name = match &pairing.name {
                        Some(name) => Phrase::verbatim(name),
                        None => Msg::NoName.into(),
                    };
                    let mut e = Evidence::new(
                        EvidenceKind::NetworkHistory,
                        Phrase::new(Msg::Pairing)
                            .nest("name", name)
                            .arg("address", &pairing.address)
                            .arg("adapter", &pairing.adapter)
                            .nest("place", place(&pairing.source)),
                    );
                    e.name = pairing.name.clone();
                    e.mac = Some(pairing.address.clone());
                    evidence.push(e);
                }
            }
            for lease in &history.leases {
                let recent = lease.obtained.is_none_or(|t| t.unix_micros >= start);
                if recent && !self.inside(lease) {
                    evidence.push(lease_evidence(lease));
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

fn place(source: &SourceLocation) -> Phrase {
    match source.line {
        Some(line) => Msg::PlaceLine
            .with("source", &source.path)
            .arg("line", line),
        None => Phrase::verbatim(&source.path),
    }
}

fn profile_evidence(profile: &NetworkProfile) -> Evidence {
    let name = profile
        .ssid
        .as_ref()
        .map(|s| s.text.clone())
        .or_else(|| profile.name.clone());
    let shown = match &name {
        Some(name) => Phrase::verbatim(name),
        None => Msg::NoName.into(),
    };
    let detail = Msg::ProfileSaved
        .with("kind", profile.kind)
        .nest("name", shown)
        .maybe("apn", profile.apn.as_deref())
        .maybe("service", profile.vpn_service.as_deref())
        .maybe("remote", profile.remote.as_deref())
        .maybe("last", profile.last_connected.map(|t| t.to_rfc3339()))
        .nest("place", place(&profile.source));
    let mut e = Evidence::new(EvidenceKind::NetworkHistory, detail);
    e.name = name;
    e
}

fn lease_evidence(lease: &Lease) -> Evidence {
    let address = match lease.address {
        Some(a) => Phrase::verbatim(a),
        None => Msg::AnAddress.into(),
    };
    let gateways: Vec<String> = lease.gateways.iter().map(|g| g.to_string()).collect();
    let detail = Phrase::new(Msg::Lease)
        .nest("address", address)
        .maybe(
            "gateways",
            (!gateways.is_empty()).then(|| gateways.join(", ")),
        )
        .maybe("interface", lease.interface.as_deref())
        .maybe("when", lease.obtained.map(|t| t.to_rfc3339()))
        .nest("place", place(&lease.source));
    let mut e = Evidence::new(EvidenceKind::NetworkHistory, detail);
    e.name = lease.interface.clone();
    e
}
