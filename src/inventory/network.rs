//! Network interfaces, their addresses, the routes of every table and the rules that choose
//! between tables.
//!
//! The kind of an interface says whether it can reach outside: Wi-Fi, a WWAN modem, a phone
//! tethered over USB, PPP and tunnels can; loopback, veth and bridges by themselves cannot.
//! The backend decides it from what the operating system shows of the device (on Linux: the
//! `wireless/` folder, `DEVTYPE`, the driver and the USB parent), never from the interface
//! name, which anyone can change.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::bus::Bus;
use super::usb::UsbRef;
use super::Problem;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSection {
    pub interfaces: Vec<NetInterface>,
    /// The main table's default routes (a view of `routes`, kept for readers of v1).
    pub default_routes: Vec<DefaultRoute>,
    /// False when the routing table could not be read.
    pub routes_known: bool,
    /// Every route of every table the backend could read.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// The policy-routing rules that choose a table; empty when `rules_known` is false.
    #[serde(default)]
    pub rules: Vec<RoutingRule>,
    /// False when the rules could not be read (then only the main table is known to be used).
    #[serde(default)]
    pub rules_known: bool,
    /// Where routes and rules came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_source: Option<RouteSource>,
    pub dns_servers: Vec<IpAddr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetKind {
    Ethernet,
    Wifi,
    Wwan,
    UsbTethering,
    Ppp,
    Tunnel,
    Bridge,
    Veth,
    Virtual,
    Loopback,
    Other,
}

impl NetKind {
    /// Kinds whose very presence is a path out of the building.
    pub fn reaches_outside(self) -> bool {
        matches!(
            self,
            NetKind::Wifi | NetKind::Wwan | NetKind::UsbTethering | NetKind::Ppp | NetKind::Tunnel
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddrScope {
    Loopback,
    LinkLocal,
    Private,
    /// RFC 6598 shared address space (carrier-grade NAT): not public, not the site's own.
    Cgnat,
    Public,
    /// Multicast, unspecified, documentation and other reserved ranges.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IfAddress {
    pub address: IpAddr,
    pub prefix_len: u8,
    pub scope: AddrScope,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetInterface {
    pub name: String,
    pub device_path: String,
    pub kind: NetKind,
    pub bus: Bus,
    pub driver: Option<String>,
    pub mac: Option<String>,
    pub oper_state: Option<String>,
    pub addresses: Vec<IfAddress>,
    pub usb: Option<UsbRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultRoute {
    pub family: IpFamily,
    pub interface: String,
    pub gateway: Option<IpAddr>,
    pub metric: u32,
}

/// The kernel's main table, where routes go unless told otherwise.
pub const TABLE_MAIN: u32 = 254;
/// The table of local and broadcast addresses, looked up first.
pub const TABLE_LOCAL: u32 = 255;
/// The table the last standard rule looks up.
pub const TABLE_DEFAULT: u32 = 253;

/// A table as `ip route` names it.
pub fn table_name(table: u32) -> String {
    match table {
        TABLE_MAIN => "main".to_string(),
        TABLE_LOCAL => "local".to_string(),
        TABLE_DEFAULT => "default".to_string(),
        other => other.to_string(),
    }
}

/// One route of one table (a multipath route is one `Route` per next hop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub family: IpFamily,
    pub table: u32,
    pub destination: IpAddr,
    pub prefix_len: u8,
    pub kind: RouteKind,
    pub gateway: Option<IpAddr>,
    /// The interface it leaves by, when it names one.
    pub interface: Option<String>,
    pub metric: u32,
}

impl Route {
    pub fn prefix(&self) -> super::address_space::Prefix {
        super::address_space::Prefix::new(self.destination, self.prefix_len)
    }
}

/// What a route does with matching packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteKind {
    /// Sends them on, through a gateway or straight onto a link.
    Unicast,
    Local,
    Broadcast,
    Anycast,
    Multicast,
    Blackhole,
    Unreachable,
    Prohibit,
    /// Leaves this table, so the next rule's table is consulted.
    Throw,
    Other,
}

/// One policy-routing rule (`ip rule`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    pub family: IpFamily,
    pub priority: u32,
    pub action: RuleAction,
    /// The table a `lookup` rule selects.
    pub table: Option<u32>,
    /// What traffic it applies to, as `ip rule` says it (`from all`, `from 10.0.0.0/8 fwmark 0x1`).
    pub selector: String,
}

impl RoutingRule {
    /// `32766: from all lookup main`.
    pub fn describe(&self) -> String {
        let action = match (self.action, self.table) {
            (RuleAction::Lookup, Some(table)) => format!("lookup {}", table_name(table)),
            (action, _) => action.to_string(),
        };
        format!("{}: {} {action}", self.priority, self.selector)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleAction {
    Lookup,
    Goto,
    Nop,
    Blackhole,
    Unreachable,
    Prohibit,
    Other,
}

/// Where the routing information came from: the kernel itself, a recording of `ip -json`
/// output (under `--root`), or procfs, which shows the main table only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteSource {
    Netlink,
    RecordedIpJson,
    Procfs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IpFamily {
    Ipv4,
    Ipv6,
}

impl IpFamily {
    pub fn of(addr: &IpAddr) -> IpFamily {
        match addr {
            IpAddr::V4(_) => IpFamily::Ipv4,
            IpAddr::V6(_) => IpFamily::Ipv6,
        }
    }
}

/// How far an address reaches: loopback, link-local, private, shared (CGNAT), public.
pub fn scope_of(addr: &IpAddr) -> AddrScope {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                AddrScope::Loopback
            } else if v4.is_link_local() {
                AddrScope::LinkLocal
            } else if v4.is_private() {
                AddrScope::Private
            } else if a == 100 && (64..128).contains(&b) {
                AddrScope::Cgnat
            } else if v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 198 && (b == 18 || b == 19))
            {
                AddrScope::Other
            } else {
                AddrScope::Public
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                AddrScope::Loopback
            } else if first & 0xffc0 == 0xfe80 {
                AddrScope::LinkLocal
            } else if first & 0xfe00 == 0xfc00 {
                AddrScope::Private
            } else if let Some(v4) = v6.to_ipv4_mapped() {
                scope_of(&IpAddr::V4(v4))
            } else if first & 0xe000 == 0x2000 && first != 0x2001
                || first == 0x2001 && v6.segments()[1] != 0x0db8
            {
                AddrScope::Public
            } else {
                AddrScope::Other
            }
        }
    }
}

crate::vocab::unit_names!(
    NetKind,
    AddrScope,
    IpFamily,
    RouteKind,
    RuleAction,
    RouteSource
);

impl NetworkSection {
    /// The tables some rule can select: every `lookup` table when the rules are known, else
    /// the main table alone.
    pub fn selectable_tables(&self) -> Vec<(u32, Option<&RoutingRule>)> {
        if !self.rules_known {
            return vec![(TABLE_MAIN, None)];
        }
        let mut tables: Vec<(u32, Option<&RoutingRule>)> = Vec::new();
        for rule in &self.rules {
            if let (RuleAction::Lookup, Some(table)) = (rule.action, rule.table) {
                if !tables.iter().any(|(t, _)| *t == table) {
                    tables.push((table, Some(rule)));
                }
            }
        }
        tables
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(s: &str) -> AddrScope {
        scope_of(&s.parse().unwrap())
    }

    #[test]
    fn address_scopes() {
        assert_eq!(scope("127.0.0.1"), AddrScope::Loopback);
        assert_eq!(scope("169.254.3.4"), AddrScope::LinkLocal);
        assert_eq!(scope("10.1.2.3"), AddrScope::Private);
        assert_eq!(scope("172.31.255.1"), AddrScope::Private);
        assert_eq!(scope("172.32.0.1"), AddrScope::Public);
        assert_eq!(scope("100.64.0.1"), AddrScope::Cgnat);
        assert_eq!(scope("100.128.0.1"), AddrScope::Public);
        assert_eq!(scope("8.8.8.8"), AddrScope::Public);
        assert_eq!(scope("192.0.2.2"), AddrScope::Other);
        assert_eq!(scope("::1"), AddrScope::Loopback);
        assert_eq!(scope("fe80::1"), AddrScope::LinkLocal);
        assert_eq!(scope("fd00::2"), AddrScope::Private);
        assert_eq!(scope("2400:da00::1"), AddrScope::Public);
        assert_eq!(scope("2001:db8::1"), AddrScope::Other);
        assert_eq!(scope("::ffff:8.8.8.8"), AddrScope::Public);
        assert_eq!(scope("ff02::1"), AddrScope::Other);
    }
}
