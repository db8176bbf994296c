//! Routes of every table and the rules that choose between them.
//!
//! Live, both come from the kernel over rtnetlink. Under `--root`, from recordings of
//! `ip -json` when the tree has them, else from `/proc/net/route` and `/proc/net/ipv6_route`
//! (the main table only, no rules). The source is recorded in the inventory, so a finding
//! says how much of the routing it saw. Recording names, root-relative:
//!
//! | file | recorded with |
//! |---|---|
//! | `recorded/ip-route.json` | `ip -json route show table all` |
//! | `recorded/ip-6-route.json` | `ip -json -6 route show table all` |
//! | `recorded/ip-rule.json` | `ip -json rule show` |
//! | `recorded/ip-6-rule.json` | `ip -json -6 rule show` |

use std::collections::BTreeMap;
use std::net::IpAddr;

use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteType as NlRouteType,
};
use netlink_packet_route::rule::{RuleAction as NlRuleAction, RuleAttribute, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use serde_json::Value;

use super::procnet::{self, RouteRow};
use super::root::HostRoot;
use super::rtnetlink;
use crate::inventory::network::{
    IpFamily, Route, RouteKind, RouteSource, RoutingRule, RuleAction, TABLE_DEFAULT, TABLE_LOCAL,
    TABLE_MAIN,
};

pub const RECORDED_ROUTES: &str = "recorded/ip-route.json";
pub const RECORDED_ROUTES_V6: &str = "recorded/ip-6-route.json";
pub const RECORDED_RULES: &str = "recorded/ip-rule.json";
pub const RECORDED_RULES_V6: &str = "recorded/ip-6-rule.json";

/// What the backend knows of routing.
#[derive(Debug, Default)]
pub struct Routing {
    pub routes: Vec<Route>,
    pub routes_known: bool,
    pub rules: Vec<RoutingRule>,
    pub rules_known: bool,
    pub source: Option<RouteSource>,
}

pub fn read(host: &HostRoot) -> Routing {
    if host.is_live() {
        match from_netlink() {
            Ok(routing) => return routing,
            Err(err) => host.note(
                "netlink",
                format!("routes and rules could not be dumped over rtnetlink ({err}); only the main table is read, from /proc/net"),
            ),
        }
    } else if host.exists(RECORDED_ROUTES) || host.exists(RECORDED_ROUTES_V6) {
        return from_recordings(host);
    }
    from_procfs(host)
}

// ---------------------------------------------------------------------------------------
// procfs: the main table only

fn from_procfs(host: &HostRoot) -> Routing {
    let v4 = host.read_text("proc/net/route");
    let v6 = host.read_text("proc/net/ipv6_route");
    let routes_known = v4.is_some();
    if !routes_known {
        host.note("proc/net/route", "IPv4 routing table not readable");
    }
    let mut rows = v4.as_deref().map(procnet::parse_route).unwrap_or_default();
    rows.extend(
        v6.as_deref()
            .map(procnet::parse_ipv6_route)
            .unwrap_or_default(),
    );
    Routing {
        routes: rows.iter().map(from_row).collect(),
        routes_known,
        rules: Vec::new(),
        rules_known: false,
        source: Some(RouteSource::Procfs),
    }
}

fn from_row(row: &RouteRow) -> Route {
    let kind = if row.rejects() {
        RouteKind::Unreachable
    } else if row.is_local() {
        RouteKind::Local
    } else if row.destination.is_multicast() {
        RouteKind::Multicast
    } else {
        RouteKind::Unicast
    };
    Route {
        family: IpFamily::of(&row.destination),
        table: TABLE_MAIN,
        destination: row.destination,
        prefix_len: row.prefix_len,
        kind,
        gateway: row.gateway,
        interface: Some(row.interface.clone()).filter(|i| !i.is_empty() && i != "*"),
        metric: row.metric,
    }
}

// ---------------------------------------------------------------------------------------
// rtnetlink, live

fn from_netlink() -> std::io::Result<Routing> {
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    for message in rtnetlink::dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))? {
        if let RouteNetlinkMessage::NewLink(link) = message {
            if let Some(name) = link.attributes.iter().find_map(|a| match a {
                LinkAttribute::IfName(name) => Some(name.clone()),
                _ => None,
            }) {
                names.insert(
                    link.header.index,
                    crate::text::decode_bytes(name.as_bytes()),
                );
            }
        }
    }
    let mut routes = Vec::new();
    let mut rules = Vec::new();
    for family in [AddressFamily::Inet, AddressFamily::Inet6] {
        let mut request = RouteMessage::default();
        request.header.address_family = family;
        for message in rtnetlink::dump(RouteNetlinkMessage::GetRoute(request))? {
            if let RouteNetlinkMessage::NewRoute(route) = message {
                routes.extend(netlink_route(&route, &names));
            }
        }
        let mut request = RuleMessage::default();
        request.header.family = family;
        for message in rtnetlink::dump(RouteNetlinkMessage::GetRule(request))? {
            if let RouteNetlinkMessage::NewRule(rule) = message {
                rules.extend(netlink_rule(&rule));
            }
        }
    }
    rules.sort_by_key(|r| (r.family == IpFamily::Ipv6, r.priority));
    Ok(Routing {
        routes,
        routes_known: true,
        rules,
        rules_known: true,
        source: Some(RouteSource::Netlink),
    })
}

fn address(value: &RouteAddress) -> Option<IpAddr> {
    match value {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

fn route_kind(kind: NlRouteType) -> RouteKind {
    match kind {
        NlRouteType::Unicast => RouteKind::Unicast,
        NlRouteType::Local => RouteKind::Local,
        NlRouteType::Broadcast => RouteKind::Broadcast,
        NlRouteType::Anycast => RouteKind::Anycast,
        NlRouteType::Multicast => RouteKind::Multicast,
        NlRouteType::BlackHole => RouteKind::Blackhole,
        NlRouteType::Unreachable => RouteKind::Unreachable,
        NlRouteType::Prohibit => RouteKind::Prohibit,
        NlRouteType::Throw => RouteKind::Throw,
        _ => RouteKind::Other,
    }
}

/// One `Route` per next hop (a multipath route has several).
fn netlink_route(message: &RouteMessage, names: &BTreeMap<u32, String>) -> Vec<Route> {
    let header = &message.header;
    let family = match header.address_family {
        AddressFamily::Inet => IpFamily::Ipv4,
        AddressFamily::Inet6 => IpFamily::Ipv6,
        _ => return Vec::new(),
    };
    let unspecified = match family {
        IpFamily::Ipv4 => IpAddr::from([0u8; 4]),
        IpFamily::Ipv6 => IpAddr::from([0u16; 8]),
    };
    let mut destination = unspecified;
    let mut gateway = None;
    let mut interface = None;
    let mut table = u32::from(header.table);
    let mut metric = 0;
    let mut hops: Vec<(Option<IpAddr>, Option<String>)> = Vec::new();
    for attribute in &message.attributes {
        match attribute {
            RouteAttribute::Destination(a) => destination = address(a).unwrap_or(unspecified),
            RouteAttribute::Gateway(a) => gateway = address(a),
            RouteAttribute::Oif(index) => interface = names.get(index).cloned(),
            RouteAttribute::Table(t) => table = *t,
            RouteAttribute::Priority(p) => metric = *p,
            RouteAttribute::MultiPath(next) => {
                for hop in next {
                    let via = hop.attributes.iter().find_map(|a| match a {
                        RouteAttribute::Gateway(a) => address(a),
                        _ => None,
                    });
                    hops.push((via, names.get(&hop.interface_index).cloned()));
                }
            }
            _ => {}
        }
    }
    if hops.is_empty() {
        hops.push((gateway, interface));
    }
    hops.into_iter()
        .map(|(gateway, interface)| Route {
            family,
            table,
            destination,
            prefix_len: header.destination_prefix_length,
            kind: route_kind(header.kind),
            gateway,
            interface,
            metric,
        })
        .collect()
}

fn netlink_rule(message: &RuleMessage) -> Option<RoutingRule> {
    let header = &message.header;
    let family = match header.family {
        AddressFamily::Inet => IpFamily::Ipv4,
        AddressFamily::Inet6 => IpFamily::Ipv6,
        _ => return None,
    };
    let mut priority = 0;
    let mut table = u32::from(header.table);
    let mut selector = Selector::default();
    for attribute in &message.attributes {
        match attribute {
            RuleAttribute::Priority(p) => priority = *p,
            RuleAttribute::Table(t) => table = *t,
            RuleAttribute::Source(a) => selector.from = Some(format!("{a}/{}", header.src_len)),
            RuleAttribute::Destination(a) => selector.to = Some(format!("{a}/{}", header.dst_len)),
            RuleAttribute::FwMark(mark) => selector.fwmark = Some(format!("{mark:#x}")),
            RuleAttribute::Iifname(name) => selector.iif = Some(name.clone()),
            RuleAttribute::Oifname(name) => selector.oif = Some(name.clone()),
            _ => {}
        }
    }
    let action = match header.action {
        NlRuleAction::ToTable => RuleAction::Lookup,
        NlRuleAction::Goto => RuleAction::Goto,
        NlRuleAction::Nop => RuleAction::Nop,
        NlRuleAction::Blackhole => RuleAction::Blackhole,
        NlRuleAction::Unreachable => RuleAction::Unreachable,
        NlRuleAction::Prohibit => RuleAction::Prohibit,
        _ => RuleAction::Other,
    };
    Some(RoutingRule {
        family,
        priority,
        action,
        table: (action == RuleAction::Lookup).then_some(table),
        selector: selector.describe(),
    })
}

/// What a rule matches, in `ip rule`'s words.
#[derive(Default)]
struct Selector {
    from: Option<String>,
    to: Option<String>,
    fwmark: Option<String>,
    iif: Option<String>,
    oif: Option<String>,
}

impl Selector {
    fn describe(&self) -> String {
        let mut out = format!("from {}", self.from.as_deref().unwrap_or("all"));
        for (word, value) in [
            ("to", &self.to),
            ("fwmark", &self.fwmark),
            ("iif", &self.iif),
            ("oif", &self.oif),
        ] {
            if let Some(value) = value {
                out.push_str(&format!(" {word} {value}"));
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// recordings of `ip -json`

fn from_recordings(host: &HostRoot) -> Routing {
    let mut tables = TableNames::default();
    let mut routes: Vec<Route> = Vec::new();
    let mut readable = false;
    for (path, family) in [
        (RECORDED_ROUTES, IpFamily::Ipv4),
        (RECORDED_ROUTES_V6, IpFamily::Ipv6),
    ] {
        let Some(text) = host.read_text(path) else {
            continue;
        };
        match parse_recorded_routes(&text, family, &mut tables) {
            Ok(found) => {
                readable = true;
                for route in found {
                    // `ip -json route show table all` lists IPv6 too; the -6 recording repeats them.
                    if !routes.contains(&route) {
                        routes.push(route);
                    }
                }
            }
            Err(why) => host.note(path, format!("not a recording of `ip -json route`: {why}")),
        }
    }
    let mut rules: Vec<RoutingRule> = Vec::new();
    let mut rules_known = false;
    for (path, family) in [
        (RECORDED_RULES, IpFamily::Ipv4),
        (RECORDED_RULES_V6, IpFamily::Ipv6),
    ] {
        let Some(text) = host.read_text(path) else {
            continue;
        };
        match parse_recorded_rules(&text, family, &mut tables) {
            Ok(found) => {
                rules_known = true;
                rules.extend(found);
            }
            Err(why) => host.note(path, format!("not a recording of `ip -json rule`: {why}")),
        }
    }
    if !readable {
        return from_procfs(host);
    }
    Routing {
        routes,
        routes_known: true,
        rules,
        rules_known,
        source: Some(RouteSource::RecordedIpJson),
    }
}

/// Table names (`main`, `100`, or a name from the recording machine's rt_tables) as numbers,
/// the same number for the same name in routes and rules.
#[derive(Default)]
pub struct TableNames {
    named: Vec<String>,
}

impl TableNames {
    fn id(&mut self, name: Option<&str>) -> u32 {
        match name {
            None | Some("main") => TABLE_MAIN,
            Some("local") => TABLE_LOCAL,
            Some("default") => TABLE_DEFAULT,
            Some(n) => n.parse().unwrap_or_else(|_| {
                let index = match self.named.iter().position(|known| known == n) {
                    Some(i) => i,
                    None => {
                        self.named.push(n.to_string());
                        self.named.len() - 1
                    }
                };
                // Numbers no kernel table uses, so named tables never meet numbered ones.
                0x8000_0000 + u32::try_from(index).unwrap_or(0)
            }),
        }
    }
}

fn json_array(text: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(text).map_err(|e| e.to_string())? {
        Value::Array(items) => Ok(items),
        _ => Err("not a JSON array".to_string()),
    }
}

fn text_of<'a>(item: &'a Value, key: &str) -> Option<&'a str> {
    item.get(key).and_then(Value::as_str)
}

/// `default`, `10.0.0.0/8` or a bare address; the family is the file's unless the text says.
fn destination(text: &str, family: IpFamily) -> Option<(IpAddr, u8)> {
    if text == "default" {
        let unspecified = match family {
            IpFamily::Ipv4 => IpAddr::from([0u8; 4]),
            IpFamily::Ipv6 => IpAddr::from([0u16; 8]),
        };
        return Some((unspecified, 0));
    }
    let prefix = crate::inventory::address_space::Prefix::parse(text)?;
    Some((prefix.addr, prefix.len))
}

pub fn parse_recorded_routes(
    text: &str,
    file_family: IpFamily,
    tables: &mut TableNames,
) -> Result<Vec<Route>, String> {
    let mut out = Vec::new();
    for item in json_array(text)? {
        let gateway: Option<IpAddr> = text_of(&item, "gateway").and_then(|g| g.parse().ok());
        // `default` says no family; the gateway, or IPv6's `pref`, does.
        let family = match (gateway, item.get("pref")) {
            (Some(g), _) => IpFamily::of(&g),
            (None, Some(_)) => IpFamily::Ipv6,
            (None, None) => file_family,
        };
        let Some((dest, len)) = text_of(&item, "dst").and_then(|d| destination(d, family)) else {
            continue;
        };
        let kind = match text_of(&item, "type") {
            None | Some("unicast") => RouteKind::Unicast,
            Some("local") => RouteKind::Local,
            Some("broadcast") => RouteKind::Broadcast,
            Some("anycast") => RouteKind::Anycast,
            Some("multicast") => RouteKind::Multicast,
            Some("blackhole") => RouteKind::Blackhole,
            Some("unreachable") => RouteKind::Unreachable,
            Some("prohibit") => RouteKind::Prohibit,
            Some("throw") => RouteKind::Throw,
            Some(_) => RouteKind::Other,
        };
        let table = tables.id(text_of(&item, "table"));
        let metric = item
            .get("metric")
            .and_then(Value::as_u64)
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(0);
        let dev = |v: &Value| text_of(v, "dev").map(|d| crate::text::decode_bytes(d.as_bytes()));
        let hops: Vec<(Option<IpAddr>, Option<String>)> =
            match item.get("nexthops").and_then(Value::as_array) {
                Some(list) => list
                    .iter()
                    .map(|hop| {
                        (
                            text_of(hop, "gateway").and_then(|g| g.parse().ok()),
                            dev(hop),
                        )
                    })
                    .collect(),
                None => vec![(gateway, dev(&item))],
            };
        for (gateway, interface) in hops {
            out.push(Route {
                family: IpFamily::of(&dest),
                table,
                destination: dest,
                prefix_len: len,
                kind,
                gateway,
                interface,
                metric,
            });
        }
    }
    Ok(out)
}

pub fn parse_recorded_rules(
    text: &str,
    file_family: IpFamily,
    tables: &mut TableNames,
) -> Result<Vec<RoutingRule>, String> {
    let mut out = Vec::new();
    for item in json_array(text)? {
        let Some(priority) = item.get("priority").and_then(Value::as_u64) else {
            continue;
        };
        let with_len = |key: &str, len_key: &str| {
            text_of(&item, key).filter(|v| *v != "all").map(|v| {
                match item.get(len_key).and_then(Value::as_u64) {
                    Some(len) => format!("{v}/{len}"),
                    None => v.to_string(),
                }
            })
        };
        let from = with_len("src", "srclen");
        let family = from
            .as_deref()
            .and_then(|f| f.split('/').next())
            .and_then(|a| a.parse::<IpAddr>().ok())
            .map_or(file_family, |a| IpFamily::of(&a));
        let selector = Selector {
            from,
            to: with_len("dst", "dstlen"),
            fwmark: text_of(&item, "fwmark").map(str::to_string),
            iif: text_of(&item, "iif").map(str::to_string),
            oif: text_of(&item, "oif").map(str::to_string),
        };
        let action = match text_of(&item, "action") {
            None | Some("lookup") => RuleAction::Lookup,
            Some("goto") => RuleAction::Goto,
            Some("nop") => RuleAction::Nop,
            Some("blackhole") => RuleAction::Blackhole,
            Some("unreachable") => RuleAction::Unreachable,
            Some("prohibit") => RuleAction::Prohibit,
            Some(_) => RuleAction::Other,
        };
        out.push(RoutingRule {
            family,
            priority: u32::try_from(priority).unwrap_or(u32::MAX),
            action,
            table: (action == RuleAction::Lookup).then(|| tables.id(text_of(&item, "table"))),
            selector: selector.describe(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Recorded here in a network namespace (iproute2 6.1, Debian 12) after
    // `ip route add 0.0.0.0/1 via 10.9.0.2`, `ip route add default via 10.9.0.2 table 100`,
    // `ip rule add from all lookup 100`, a multipath route and a blackhole.
    const ROUTES: &str = r#"[{"dst":"default","gateway":"10.9.0.2","dev":"va","table":"100","flags":[]},{"dst":"0.0.0.0/1","gateway":"10.9.0.2","dev":"va","flags":[]},{"dst":"10.9.0.0/24","dev":"va","protocol":"kernel","scope":"link","prefsrc":"10.9.0.1","flags":[]},{"dst":"192.0.2.0/24","flags":[],"nexthops":[{"gateway":"10.9.0.2","dev":"va","weight":1,"flags":[]},{"gateway":"10.9.0.3","dev":"va","weight":1,"flags":[]}]},{"type":"blackhole","dst":"203.0.113.0/24","flags":[]},{"type":"local","dst":"10.9.0.1","dev":"va","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.9.0.1","flags":[]},{"dst":"default","gateway":"fd00::2","dev":"va","metric":1024,"flags":[],"pref":"medium"},{"type":"multicast","dst":"ff00::/8","dev":"va","table":"local","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}]"#;
    const RULES: &str = r#"[{"priority":0,"src":"all","table":"local"},{"priority":50,"src":"all","fwmark":"0x10","table":"200"},{"priority":60,"src":"10.9.0.0","srclen":24,"action":"unreachable"},{"priority":32765,"src":"all","table":"100"},{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]"#;

    #[test]
    fn recorded_routes_keep_tables_hops_and_kinds() {
        let mut tables = TableNames::default();
        let routes = parse_recorded_routes(ROUTES, IpFamily::Ipv4, &mut tables).unwrap();
        assert_eq!(routes.len(), 9, "{routes:?}");
        assert_eq!((routes[0].table, routes[0].prefix_len), (100, 0));
        assert_eq!(routes[1].destination, "0.0.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(routes[1].prefix_len, 1);
        let hops: Vec<_> = routes
            .iter()
            .filter(|r| r.prefix_len == 24 && r.gateway.is_some())
            .collect();
        assert_eq!(hops.len(), 2);
        assert!(routes.iter().any(|r| r.kind == RouteKind::Blackhole));
        let v6 = routes
            .iter()
            .find(|r| r.family == IpFamily::Ipv6 && r.prefix_len == 0)
            .unwrap();
        assert_eq!(v6.gateway, Some("fd00::2".parse().unwrap()));
        assert_eq!(v6.metric, 1024);
    }

    #[test]
    fn recorded_rules_describe_what_they_match() {
        let mut tables = TableNames::default();
        let rules = parse_recorded_rules(RULES, IpFamily::Ipv4, &mut tables).unwrap();
        let described: Vec<String> = rules.iter().map(RoutingRule::describe).collect();
        assert_eq!(
            described,
            [
                "0: from all lookup local",
                "50: from all fwmark 0x10 lookup 200",
                "60: from 10.9.0.0/24 unreachable",
                "32765: from all lookup 100",
                "32766: from all lookup main",
                "32767: from all lookup default",
            ]
        );
    }

    #[test]
    fn named_tables_share_a_number_between_routes_and_rules() {
        let mut tables = TableNames::default();
        let routes = parse_recorded_routes(
            r#"[{"dst":"default","gateway":"10.0.0.1","table":"vpn"}]"#,
            IpFamily::Ipv4,
            &mut tables,
        )
        .unwrap();
        let rules = parse_recorded_rules(
            r#"[{"priority":10,"src":"all","table":"vpn"}]"#,
            IpFamily::Ipv4,
            &mut tables,
        )
        .unwrap();
        assert_eq!(Some(routes[0].table), rules[0].table);
        assert!(parse_recorded_routes("{}", IpFamily::Ipv4, &mut tables).is_err());
    }
}
