//! Interface addresses, routes and resolvers.
//!
//! Live, addresses come from netdev (netlink) and routes and rules from rtnetlink (see
//! `routes.rs`; netdev only reports routes that have a gateway, and a `default dev ppp0` has
//! none). Under a fixture root, addresses come from `proc/net/if_inet6` and
//! `proc/net/fib_trie`, routes from recordings or `/proc/net`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::procnet;
use super::root::{Fact, HostRoot};
use super::routes::{self, Routing};
use crate::inventory::network::Route;

#[derive(Debug, Default)]
pub struct NetState {
    pub addresses: BTreeMap<String, Vec<(IpAddr, u8)>>,
    /// Routes and rules; `routing.routes_known` false means callers must not read "no
    /// default route" into an empty list.
    pub routing: Routing,
    /// Resolvers from resolv.conf, plus systemd-resolved's upstream servers when the
    /// stub (127.0.0.53) is configured.
    pub dns_servers: Vec<IpAddr>,
}

pub fn read(host: &HostRoot) -> NetState {
    let routing = host.reading(Fact::Routes, || routes::read(host));
    let addresses = host.reading(Fact::Addresses, || read_addresses(host, &routing.routes));
    let dns_servers = host.reading(Fact::Dns, || read_resolvers(host));
    NetState {
        addresses,
        routing,
        dns_servers,
    }
}

fn read_addresses(host: &HostRoot, routes: &[Route]) -> BTreeMap<String, Vec<(IpAddr, u8)>> {
    if host.is_live() {
        live_addresses()
    } else {
        let mut map = host
            .read_text("proc/net/fib_trie")
            .map(|text| procnet::parse_fib_trie_locals(&text, routes))
            .unwrap_or_default();
        for (name, addrs) in host
            .read_text("proc/net/if_inet6")
            .map(|text| procnet::parse_if_inet6(&text))
            .unwrap_or_default()
        {
            map.entry(name).or_default().extend(addrs);
        }
        map
    }
}

/// Resolvers from resolv.conf, plus systemd-resolved's upstream servers when the stub
/// (127.0.0.53) is configured.
fn read_resolvers(host: &HostRoot) -> Vec<IpAddr> {
    let mut dns_servers = host
        .read_text("etc/resolv.conf")
        .map(|text| parse_resolv_conf(&text))
        .unwrap_or_default();
    if dns_servers.iter().any(|s| s.is_loopback()) {
        for upstream in host
            .read_text("run/systemd/resolve/resolv.conf")
            .map(|text| parse_resolv_conf(&text))
            .unwrap_or_default()
        {
            if !dns_servers.contains(&upstream) {
                dns_servers.push(upstream);
            }
        }
    }
    dns_servers
}

/// `nameserver` lines of a resolv.conf (a `%scope` suffix on IPv6 is dropped).
pub fn parse_resolv_conf(text: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "nameserver").then_some(())?;
            let addr = words.next()?;
            addr.split('%').next()?.parse().ok()
        })
        .collect()
}

fn live_addresses() -> BTreeMap<String, Vec<(IpAddr, u8)>> {
    netdev::get_interfaces()
        .into_iter()
        .map(|iface| {
            let mut addrs: Vec<(IpAddr, u8)> = iface
                .ipv4
                .iter()
                .map(|net| (IpAddr::V4(net.addr()), net.prefix_len()))
                .collect();
            addrs.extend(
                iface
                    .ipv6
                    .iter()
                    .map(|net| (IpAddr::V6(net.addr()), net.prefix_len())),
            );
            (iface.name, addrs)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn resolv_conf_nameservers() {
        let text = "# Generated\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\noptions edns0\nnameserver bogus\n";
        let found = super::parse_resolv_conf(text);
        assert_eq!(
            found,
            vec![
                "127.0.0.53".parse::<std::net::IpAddr>().unwrap(),
                "fe80::1".parse().unwrap()
            ]
        );
    }
}
