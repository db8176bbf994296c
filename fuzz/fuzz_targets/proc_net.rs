//! The routing and address tables read from `/proc/net` under `--root` (and routes on a live
//! system without rtnetlink): `route`, `ipv6_route`, `if_inet6`, `fib_trie`, and the
//! `ip -json` route and rule recordings a fixture may hold instead. A fixture tree comes from
//! anywhere, so none of these may panic, whatever the text.
//!
//! The first byte picks the parser; the rest is the file. `fib_trie` needs the routes its
//! addresses are given to: for it the rest is split at the first NUL into a `route` table
//! (or, starting with `[`, an `ip -json route` recording) and the trie.
#![no_main]

use libfuzzer_sys::fuzz_target;

use isoguard::inventory::network::{IpFamily, Route, RouteKind, TABLE_MAIN};
use isoguard::platform::linux::procnet;
use isoguard::platform::linux::routes::{self, TableNames};

/// How `routes.rs` turns a `/proc/net/route` row into a route (its `from_row` is private and
/// only tells the kinds apart, which the trie does not look at).
fn route_of(row: &procnet::RouteRow) -> Route {
    Route {
        family: IpFamily::of(&row.destination),
        table: TABLE_MAIN,
        destination: row.destination,
        prefix_len: row.prefix_len,
        kind: RouteKind::Unicast,
        gateway: row.gateway,
        interface: Some(row.interface.clone()).filter(|i| !i.is_empty() && i != "*"),
        metric: row.metric,
    }
}

fn check_rows(rows: &[procnet::RouteRow], max_prefix: u8) {
    for row in rows {
        let _ = (row.rejects(), row.is_local(), row.is_default());
        if row.destination.is_ipv4() {
            assert!(row.prefix_len <= max_prefix);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match selector % 6 {
        0 => check_rows(&procnet::parse_route(&text), 32),
        1 => check_rows(&procnet::parse_ipv6_route(&text), u8::MAX),
        2 => {
            for addrs in procnet::parse_if_inet6(&text).values() {
                assert!(addrs.iter().all(|(a, _)| a.is_ipv6()));
            }
        }
        3 => {
            let (table, trie) = text.split_once('\0').unwrap_or(("", &text));
            let routes: Vec<Route> = if table.starts_with('[') {
                routes::parse_recorded_routes(table, IpFamily::Ipv4, &mut TableNames::default())
                    .unwrap_or_default()
            } else {
                procnet::parse_route(table).iter().map(route_of).collect()
            };
            for addrs in procnet::parse_fib_trie_locals(trie, &routes).values() {
                assert!(addrs.iter().all(|(a, len)| a.is_ipv4() && *len <= 32));
            }
        }
        4 => {
            let family = if selector & 0x80 == 0 {
                IpFamily::Ipv4
            } else {
                IpFamily::Ipv6
            };
            let _ = routes::parse_recorded_routes(&text, family, &mut TableNames::default());
        }
        _ => {
            let family = if selector & 0x80 == 0 {
                IpFamily::Ipv4
            } else {
                IpFamily::Ipv6
            };
            let mut tables = TableNames::default();
            let _ = routes::parse_recorded_rules(&text, family, &mut tables);
        }
    }
});
