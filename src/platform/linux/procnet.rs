//! Parsers for the kernel's routing and address tables in `/proc/net`.
//!
//! They take `&str` so they are tested on strings; the same parsers serve the live system
//! (routes) and fixture trees (routes and addresses).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::inventory::network::{Route, TABLE_MAIN};

const RTF_UP: u32 = 0x0001;
const RTF_GATEWAY: u32 = 0x0002;
const RTF_REJECT: u32 = 0x0200;

/// One row of the IPv4 or IPv6 routing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    pub interface: String,
    pub destination: IpAddr,
    pub prefix_len: u8,
    pub gateway: Option<IpAddr>,
    pub metric: u32,
    pub flags: u32,
}

/// IPv6 routes to the machine's own addresses carry this flag in `/proc/net/ipv6_route`.
const RTF_LOCAL: u32 = 0x8000_0000;

impl RouteRow {
    /// A route that refuses traffic (`unreachable`, `prohibit`, `blackhole`).
    pub fn rejects(&self) -> bool {
        self.flags & RTF_REJECT != 0
    }

    /// A route to one of the machine's own addresses.
    pub fn is_local(&self) -> bool {
        self.destination.is_ipv6() && self.flags & RTF_LOCAL != 0
    }

    pub fn is_default(&self) -> bool {
        self.prefix_len == 0
            && self.destination.is_unspecified()
            && self.flags & RTF_UP != 0
            && self.flags & RTF_REJECT == 0
    }
}

fn hex_u32(field: &str) -> Option<u32> {
    u32::from_str_radix(field, 16).ok()
}

/// `/proc/net/route`: addresses are little-endian hex words.
pub fn parse_route(text: &str) -> Vec<RouteRow> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let dest = Ipv4Addr::from(hex_u32(f.get(1)?)?.swap_bytes());
            let gateway = Ipv4Addr::from(hex_u32(f.get(2)?)?.swap_bytes());
            let flags = hex_u32(f.get(3)?)?;
            let metric = f.get(6)?.parse().ok()?;
            let mask = hex_u32(f.get(7)?)?.swap_bytes();
            Some(RouteRow {
                interface: f.first()?.to_string(),
                destination: IpAddr::V4(dest),
                prefix_len: u8::try_from(mask.count_ones()).ok()?,
                gateway: (flags & RTF_GATEWAY != 0).then_some(IpAddr::V4(gateway)),
                metric,
                flags,
            })
        })
        .collect()
}

fn hex_ipv6(field: &str) -> Option<Ipv6Addr> {
    if field.len() != 32 {
        return None;
    }
    u128::from_str_radix(field, 16).ok().map(Ipv6Addr::from)
}

/// `/proc/net/ipv6_route`: dest, dest_len, src, src_len, next hop, metric, refcnt, use,
/// flags, interface; all hex.
pub fn parse_ipv6_route(text: &str) -> Vec<RouteRow> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let next_hop = hex_ipv6(f.get(4)?)?;
            let flags = hex_u32(f.get(8)?)?;
            Some(RouteRow {
                interface: f.get(9)?.to_string(),
                destination: IpAddr::V6(hex_ipv6(f.first()?)?),
                prefix_len: u8::from_str_radix(f.get(1)?, 16).ok()?,
                gateway: (flags & RTF_GATEWAY != 0 || !next_hop.is_unspecified())
                    .then_some(IpAddr::V6(next_hop)),
                metric: hex_u32(f.get(5)?)?,
                flags,
            })
        })
        .collect()
}

/// `/proc/net/if_inet6`: address, ifindex, prefix length, scope, flags, interface.
pub fn parse_if_inet6(text: &str) -> BTreeMap<String, Vec<(IpAddr, u8)>> {
    let mut out: BTreeMap<String, Vec<(IpAddr, u8)>> = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(addr), Some(prefix), Some(name)) = (
            f.first().and_then(|a| hex_ipv6(a)),
            f.get(2).and_then(|p| u8::from_str_radix(p, 16).ok()),
            f.get(5),
        ) else {
            continue;
        };
        out.entry(name.to_string())
            .or_default()
            .push((IpAddr::V6(addr), prefix));
    }
    out
}

/// Local IPv4 addresses from `/proc/net/fib_trie` (`/32 host LOCAL` leaves), given to the
/// interface whose on-link route covers them. procfs has no per-interface IPv4 address list;
/// this is how tools without netlink recover it.
pub fn parse_fib_trie_locals(text: &str, routes: &[Route]) -> BTreeMap<String, Vec<(IpAddr, u8)>> {
    let mut out: BTreeMap<String, Vec<(IpAddr, u8)>> = BTreeMap::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(addr) = trimmed.strip_prefix("|-- ") {
            last = addr.trim().parse().ok();
        } else if trimmed.starts_with("/32 host LOCAL") {
            let Some(addr) = last else { continue };
            let (name, prefix) = if addr.is_loopback() {
                ("lo".to_string(), 8)
            } else {
                match on_link_route(routes, addr) {
                    Some(route) => (
                        route.interface.clone().unwrap_or_else(|| "?".to_string()),
                        route.prefix_len,
                    ),
                    None => ("?".to_string(), 32),
                }
            };
            let entry = out.entry(name).or_default();
            if !entry.iter().any(|(a, _)| *a == IpAddr::V4(addr)) {
                entry.push((IpAddr::V4(addr), prefix));
            }
        }
    }
    out
}

fn on_link_route(routes: &[Route], addr: Ipv4Addr) -> Option<&Route> {
    routes
        .iter()
        .filter(|r| {
            r.gateway.is_none()
                && r.prefix_len > 0
                && r.table == TABLE_MAIN
                && r.interface.is_some()
        })
        .filter(|r| match r.destination {
            IpAddr::V4(dest) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(r.prefix_len))
                    .unwrap_or(0);
                u32::from(addr) & mask == u32::from(dest) & mask
            }
            IpAddr::V6(_) => false,
        })
        .max_by_key(|r| r.prefix_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Read off this development machine's /proc/net (2026-11-28).
    const ROUTE: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
    const IPV6_ROUTE: &str = "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0\n00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";

    #[test]
    fn ipv4_default_route_and_gateway() {
        let rows = parse_route(ROUTE);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].is_default());
        assert_eq!(rows[0].gateway, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(rows[1].prefix_len, 24);
        assert!(!rows[1].is_default());
    }

    #[test]
    fn ipv6_default_route_skips_reject() {
        let rows = parse_ipv6_route(IPV6_ROUTE);
        let defaults: Vec<_> = rows.iter().filter(|r| r.is_default()).collect();
        assert_eq!(
            defaults.len(),
            1,
            "the lo reject route is not a default route"
        );
        assert_eq!(defaults[0].gateway, Some("fd00::1".parse().unwrap()));
        assert_eq!(defaults[0].interface, "eth0");
    }

    #[test]
    fn if_inet6_by_interface() {
        let map = parse_if_inet6("fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n00000000000000000000000000000001 01 80 10 80       lo\nnonsense\n");
        assert_eq!(
            map["eth0"],
            vec![("fe80::fc:ff:fe00:1".parse().unwrap(), 64)]
        );
        assert_eq!(map["lo"][0].1, 128);
    }

    #[test]
    fn fib_trie_locals_map_to_on_link_interface() {
        let trie = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     +-- 127.0.0.0/8 2 0 2\n           |-- 127.0.0.1\n              /32 host LOCAL\n        +-- 192.0.2.0/30 2 0 2\n           |-- 192.0.2.2\n              /32 host LOCAL\nLocal:\n           |-- 192.0.2.2\n              /32 host LOCAL\n";
        let routes: Vec<Route> = parse_route(ROUTE)
            .iter()
            .map(|r| Route {
                family: crate::inventory::network::IpFamily::of(&r.destination),
                table: TABLE_MAIN,
                destination: r.destination,
                prefix_len: r.prefix_len,
                kind: crate::inventory::network::RouteKind::Unicast,
                gateway: r.gateway,
                interface: Some(r.interface.clone()),
                metric: r.metric,
            })
            .collect();
        let map = parse_fib_trie_locals(trie, &routes);
        assert_eq!(map["eth0"], vec![("192.0.2.2".parse().unwrap(), 24)]);
        assert_eq!(map["lo"], vec![("127.0.0.1".parse().unwrap(), 8)]);
    }

    #[test]
    fn malformed_rows_are_skipped() {
        assert!(parse_route("header\neth0 zz\n").is_empty());
        assert!(parse_ipv6_route("short line\n").is_empty());
    }
}
