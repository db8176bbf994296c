//! `external-network`: no path to outside networks (违规外联).
//!
//! Passive signals come from the inventory: default routes, public addresses, interfaces of
//! a kind that reaches outside (Wi-Fi, WWAN, USB tethering, PPP, tunnels) that are up, and
//! the configured DNS resolvers. Active probes, when the policy lists the site's monitoring
//! endpoints, were run before evaluation; a target that answered, even with a refusal, proves
//! a path. The classified LAN is allowed by its interfaces and its prefixes, so an isolated
//! LAN with its own gateway passes.

use std::net::IpAddr;

use super::{Context, Evidence, EvidenceKind, NameField, Outcome};
use crate::i18n::{Msg, Phrase};
use crate::inventory::address_space::NotPublic;
use crate::inventory::network::{
    table_name, AddrScope, NetInterface, Route, RouteKind, RoutingRule, TABLE_MAIN,
};
use crate::inventory::Fact;
use crate::policy::model::{DeviceMatch, Identifiers};
use crate::policy::reader::Table;
use crate::probe::{ProbeStatus, ProbeTarget};

pub const NAME: &str = "external-network";

/// Default for the whole probe round, so a scan at boot never waits longer than this.
pub const DEFAULT_PROBE_DEADLINE_MS: u64 = 2000;

pub use crate::inventory::address_space::Prefix;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub allowed_interfaces: Vec<DeviceMatch>,
    pub allowed_prefixes: Vec<Prefix>,
    /// Count RFC 6598 shared addresses (100.64.0.0/10, carrier-grade NAT) as public.
    pub cgnat_is_public: bool,
    pub check_dns: bool,
    pub probes: Vec<ProbeTarget>,
    pub probe_deadline_ms: u64,
}

impl Settings {
    pub fn parse(t: &Table) -> Settings {
        let allowed_interfaces = t
            .tables(
                "allowed_interfaces",
                Msg::AllowedInterfaceContext.nest("context", t.context.clone()),
            )
            .into_iter()
            .filter_map(|entry| {
                let found = super::parse_device_match(&entry, NameField::Interface);
                entry.finish();
                found
            })
            .collect();
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
        let probes = t
            .strings("probes")
            .into_iter()
            .filter_map(|p| match ProbeTarget::parse(p.get_ref()) {
                Ok(target) => Some(target),
                Err(why) => {
                    t.diags().error(p.span(), why);
                    None
                }
            })
            .collect();
        let probe_deadline_ms = match t.integer("probe_deadline_ms") {
            Some(ms) if (1..=60_000).contains(ms.get_ref()) => *ms.get_ref() as u64,
            Some(ms) => {
                t.diags().error(
                    ms.span(),
                    Msg::Between
                        .with("key", "probe_deadline_ms")
                        .arg("min", 1)
                        .arg("max", 60_000),
                );
                DEFAULT_PROBE_DEADLINE_MS
            }
            None => DEFAULT_PROBE_DEADLINE_MS,
        };
        Settings {
            allowed_interfaces,
            allowed_prefixes,
            cgnat_is_public: t.bool("cgnat_is_public").unwrap_or(true),
            check_dns: t.bool("check_dns").unwrap_or(true),
            probes,
            probe_deadline_ms,
        }
    }

    fn interface_allowed(&self, iface: &NetInterface) -> bool {
        let ids = Identifiers {
            mac: iface.mac.as_deref(),
            interface: Some(&iface.name),
            driver: iface.driver.as_deref(),
            ..Identifiers::from_usb(iface.usb.as_ref())
        };
        self.allowed_interfaces.iter().any(|a| a.matches(&ids))
    }

    fn in_lan(&self, ip: &IpAddr) -> bool {
        self.allowed_prefixes.iter().any(|p| p.contains(ip))
    }

    fn is_public(&self, scope: AddrScope) -> bool {
        scope == AddrScope::Public || (self.cgnat_is_public && scope == AddrScope::Cgnat)
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        let net = &ctx.inventory.network;
        let iface = |name: &str| net.interfaces.iter().find(|i| i.name == name);
        let mut evidence = Vec::new();

        let space = NotPublic::new(self.cgnat_is_public, &self.allowed_prefixes);
        for (table, rule) in net.selectable_tables() {
            for route in net
                .routes
                .iter()
                .filter(|r| r.table == table && r.kind == RouteKind::Unicast)
            {
                let on = route.interface.as_deref().and_then(iface);
                let on_allowed = on.is_some_and(|i| self.interface_allowed(i));
                let via_lan = route.gateway.is_some_and(|g| self.in_lan(&g));
                if on_allowed || via_lan || !space.covers_public(&route.prefix()) {
                    continue;
                }
                let mut e = route_evidence(route, rule);
                if let Some(i) = on {
                    e.device_path = Some(i.device_path.clone());
                    e.mac = i.mac.clone();
                    e.driver = i.driver.clone();
                }
                evidence.push(e);
            }
        }

        for i in &net.interfaces {
            if self.interface_allowed(i) {
                continue;
            }
            for a in i
                .addresses
                .iter()
                .filter(|a| self.is_public(a.scope) && !self.in_lan(&a.address))
            {
                let mut e = Evidence::new(
                    EvidenceKind::Address,
                    Msg::PublicAddress
                        .with("address", format!("{}/{}", a.address, a.prefix_len))
                        .arg("interface", &i.name),
                )
                .named(&i.name, &i.device_path);
                e.mac = i.mac.clone();
                evidence.push(e);
            }
            let up = matches!(i.oper_state.as_deref(), Some("up") | Some("unknown"));
            if i.kind.reaches_outside() && up {
                let mut e = Evidence::new(
                    EvidenceKind::NetworkInterface,
                    Msg::InterfaceUp.with("kind", i.kind).arg("name", &i.name),
                )
                .named(&i.name, &i.device_path)
                .with_usb(i.usb.as_ref());
                e.mac = i.mac.clone();
                e.driver = i.driver.clone();
                e.bus = Some(i.bus.to_string());
                evidence.push(e);
            }
        }

        if self.check_dns {
            for server in &net.dns_servers {
                if server.is_loopback() || self.in_lan(server) {
                    continue;
                }
                let mut e = Evidence::new(
                    EvidenceKind::DnsResolver,
                    Msg::DnsOutside.with("server", server),
                );
                e.name = Some(server.to_string());
                evidence.push(e);
            }
        }

        let mut message = None;
        match ctx.probes {
            Some(report) => {
                for result in &report.results {
                    if matches!(result.status, ProbeStatus::Reachable | ProbeStatus::Refused) {
                        let mut e = Evidence::new(EvidenceKind::Probe, result.describe());
                        e.name = Some(result.target.clone());
                        evidence.push(e);
                    }
                }
                if report.results.is_empty() {
                    message = Some(Msg::ProbesNotConfigured.into());
                }
            }
            None => message = Some(Msg::ProbesNotConfigured.into()),
        }

        let mut facts = vec![Fact::Interfaces, Fact::Addresses, Fact::Routes];
        if self.check_dns {
            facts.push(Fact::Dns);
        }
        let mut problems = ctx.inventory.problems_of(&facts);
        // The backend records why routes could not be read; this only guards against a
        // backend that says "unknown" without saying why.
        let unknown_routes = crate::inventory::Problem::said(
            "routing table",
            &Msg::RoutesUnread.into(),
            Some(Fact::Routes),
        );
        if !net.routes_known && !problems.iter().any(|p| p.fact == Some(Fact::Routes)) {
            problems.push(&unknown_routes);
        }
        let mut outcome = Outcome::decide(evidence, &problems);
        if outcome.message.is_none() {
            outcome.message = message;
        }
        outcome
    }
}

/// A route out, named by what `ip route` would print, and by its table and rule when it is
/// not in the main table (policy routing is where such routes hide).
fn route_evidence(route: &Route, rule: Option<&RoutingRule>) -> Evidence {
    let gateway = match route.gateway {
        Some(g) => Msg::RouteVia.with("gateway", g),
        None => Msg::RouteNoGateway.into(),
    };
    let default = route.prefix_len == 0;
    let detail = if default {
        Phrase::new(Msg::RouteDefault)
    } else {
        Msg::RoutePrefix.with("prefix", route.prefix())
    };
    let other_table = route.table != TABLE_MAIN;
    let detail = detail
        .arg("family", route.family)
        .nest("gateway", gateway)
        .arg("dev", route.interface.as_deref().unwrap_or("?"))
        .maybe("table", other_table.then(|| table_name(route.table)))
        .maybe("rule", rule.filter(|_| other_table).map(|r| r.describe()));
    let kind = if default && route.table == TABLE_MAIN {
        EvidenceKind::DefaultRoute
    } else {
        EvidenceKind::Route
    };
    let mut e = Evidence::new(kind, detail);
    e.name = route.interface.clone();
    e
}

#[cfg(test)]
mod route_tests {
    use super::super::testing::{interface, judge, machine, named, problem};
    use crate::finding::v1::Status;
    use crate::inventory::network::{
        IpFamily, NetKind, Route, RouteKind, RoutingRule, RuleAction, TABLE_LOCAL, TABLE_MAIN,
    };
    use crate::inventory::Fact;

    fn route(dest: &str, gateway: Option<&str>, table: u32) -> Route {
        let prefix = crate::inventory::address_space::Prefix::parse(dest).unwrap();
        Route {
            family: IpFamily::of(&prefix.addr),
            table,
            destination: prefix.addr,
            prefix_len: prefix.len,
            kind: RouteKind::Unicast,
            gateway: gateway.map(|g| g.parse().unwrap()),
            interface: Some("eth0".into()),
            metric: 0,
        }
    }

    fn lookup(priority: u32, table: u32) -> RoutingRule {
        RoutingRule {
            family: IpFamily::Ipv4,
            priority,
            action: RuleAction::Lookup,
            table: Some(table),
            selector: "from all".into(),
        }
    }

    const RULE: &str = "id = \"external-network\"\n[rule.settings]\ncheck_dns = true";

    fn lan_machine() -> crate::inventory::Inventory {
        let mut inv = machine();
        inv.network.routes_known = true;
        inv.network.rules_known = true;
        inv.network.rules = vec![lookup(0, TABLE_LOCAL), lookup(32766, TABLE_MAIN)];
        inv.network
            .routes
            .push(route("10.20.0.0/16", None, TABLE_MAIN));
        inv.network.interfaces.push(interface(
            "eth0",
            NetKind::Ethernet,
            true,
            &[("10.20.0.5", 16)],
        ));
        inv
    }

    #[test]
    fn a_default_route_fails_unless_its_gateway_is_in_the_lan() {
        let mut inv = lan_machine();
        assert_eq!(judge(RULE, "", &inv).status, Status::Pass);
        inv.network
            .routes
            .push(route("0.0.0.0/0", Some("10.20.0.1"), TABLE_MAIN));
        let r = judge(RULE, "", &inv);
        assert_eq!((r.status, named(&r)), (Status::Fail, vec!["eth0".into()]));
        let lan = format!("{RULE}\nallowed_prefixes = [\"10.20.0.0/16\"]");
        assert_eq!(judge(&lan, "", &inv).status, Status::Pass);
        let by_name = format!("{RULE}\nallowed_interfaces = [ {{ name = \"eth0\" }} ]");
        assert_eq!(judge(&by_name, "", &inv).status, Status::Pass);
    }

    #[test]
    fn every_route_that_covers_public_space_fails_in_any_table_a_rule_selects() {
        let split_default = || {
            let mut inv = lan_machine();
            inv.network
                .routes
                .push(route("0.0.0.0/1", Some("10.20.0.1"), TABLE_MAIN));
            inv.network
                .routes
                .push(route("128.0.0.0/1", Some("10.20.0.1"), TABLE_MAIN));
            inv
        };
        let r = judge(RULE, "", &split_default());
        let details: Vec<&str> = r.evidence.iter().map(|e| e.detail.as_str()).collect();
        assert_eq!(
            details,
            [
                "IPv4 route 0.0.0.0/1 via 10.20.0.1 dev eth0",
                "IPv4 route 128.0.0.0/1 via 10.20.0.1 dev eth0"
            ]
        );

        // A default route in table 100 counts only once a rule can select table 100.
        let mut inv = lan_machine();
        inv.network
            .routes
            .push(route("0.0.0.0/0", Some("10.20.0.1"), 100));
        assert_eq!(judge(RULE, "", &inv).status, Status::Pass);
        inv.network.rules.insert(1, lookup(32765, 100));
        let r = judge(RULE, "", &inv);
        assert_eq!(
            r.evidence[0].detail,
            "IPv4 default route via 10.20.0.1 dev eth0 in table 100 (selected by rule 32765: from all lookup 100)"
        );
        assert_eq!(r.evidence[0].kind.as_str(), "route");

        // A public prefix on-link or via a gateway fails; the site's own space does not.
        let mut inv = lan_machine();
        inv.network
            .routes
            .push(route("8.0.0.0/8", Some("10.20.0.1"), TABLE_MAIN));
        inv.network
            .routes
            .push(route("192.168.7.0/24", Some("10.20.0.1"), TABLE_MAIN));
        assert_eq!(named(&judge(RULE, "", &inv)), vec!["eth0".to_string()]);
        let own = format!("{RULE}\nallowed_prefixes = [\"8.0.0.0/8\"]");
        assert_eq!(judge(&own, "", &inv).status, Status::Pass);

        // Blackholes and local routes lead nowhere.
        let mut inv = lan_machine();
        let mut hole = route("0.0.0.0/0", None, TABLE_MAIN);
        hole.kind = RouteKind::Blackhole;
        inv.network.routes.push(hole);
        assert_eq!(judge(RULE, "", &inv).status, Status::Pass);
    }

    #[test]
    fn without_rules_only_the_main_table_is_known_to_be_used() {
        let mut inv = lan_machine();
        inv.network.rules_known = false;
        inv.network.rules.clear();
        inv.network
            .routes
            .push(route("0.0.0.0/0", Some("10.20.0.1"), 100));
        assert_eq!(judge(RULE, "", &inv).status, Status::Pass);
        inv.network
            .routes
            .push(route("0.0.0.0/0", Some("10.20.0.1"), TABLE_MAIN));
        assert_eq!(judge(RULE, "", &inv).status, Status::Fail);
    }

    #[test]
    fn public_addresses_outward_interfaces_and_resolvers_fail() {
        let mut inv = lan_machine();
        inv.network.interfaces.push(interface(
            "wwan0",
            NetKind::Wwan,
            true,
            &[("100.70.1.2", 30)],
        ));
        inv.network.dns_servers.push("8.8.8.8".parse().unwrap());
        let r = judge(RULE, "", &inv);
        assert_eq!(r.status, Status::Fail);
        let kinds: Vec<&str> = r.evidence.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["address", "network-interface", "dns-resolver"]);
        let no_cgnat = format!("{RULE}\ncgnat_is_public = false\ncheck_dns = false");
        let kinds: Vec<String> = judge(&no_cgnat.replace("check_dns = true\n", ""), "", &inv)
            .evidence
            .iter()
            .map(|e| e.kind.to_string())
            .collect();
        assert_eq!(kinds, ["network-interface"]);
    }

    #[test]
    fn routes_that_could_not_be_read_are_an_error() {
        let mut inv = lan_machine();
        inv.network.routes_known = false;
        inv.network
            .problems
            .push(problem("/proc/net/route", Some(Fact::Routes)));
        let r = judge(RULE, "", &inv);
        assert_eq!(r.status, Status::Error);
        assert_eq!(
            r.evidence[0].device_path.as_deref(),
            Some("/proc/net/route")
        );
    }
}
