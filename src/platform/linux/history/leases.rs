//! DHCP leases: which networks gave this machine an address, through which gateway and
//! name servers.
//!
//! Three clients write them in two formats:
//! - NetworkManager's internal client (`var/lib/NetworkManager/internal-UUID-IFACE.lease`)
//!   and systemd-networkd (`run/systemd/netif/leases/IFINDEX`) write `KEY=value` lines;
//!   neither records when the lease was obtained, so the file's modification time (when
//!   the client last wrote it) stands for that.
//! - ISC dhclient (`var/lib/dhcp/dhclient*.leases`, `var/lib/dhclient/*.lease[s]` on RPM
//!   distributions, `var/lib/NetworkManager/dhclient-UUID-IFACE.lease` when NetworkManager
//!   runs it) appends `lease { ... }` blocks; times are UTC, and the time obtained is the
//!   expiry less the lease time.

use std::net::{IpAddr, Ipv4Addr};

use super::text_log::system_micros;
use super::{files_in, read_record, Budget};
use crate::inventory::history::{Lease, LeaseClient, SourceFormat, SourceLocation, Timestamp};
use crate::platform::linux::root::display_path;
use crate::platform::linux::HostRoot;
use crate::time::days_from_civil;

/// A lease names a handful of servers; more than this is not a lease.
const MAX_SERVERS: usize = 16;

pub fn collect(host: &HostRoot, budget: &mut Budget<'_>, _zone: &super::LocalZone) -> Vec<Lease> {
    let mut out = Vec::new();
    for rel in files_in(host, "var/lib/NetworkManager") {
        let name = rel.rsplit('/').next().unwrap_or_default().to_string();
        if name.starts_with("internal-") && name.ends_with(".lease") {
            let (uuid, iface) = nm_lease_name(&name);
            if let Some(mut lease) = read_kv(
                host,
                budget,
                &rel,
                SourceFormat::NetworkManagerLease,
                LeaseClient::NetworkManager,
            ) {
                lease.profile_uuid = uuid;
                lease.interface = iface;
                out.push(lease);
            }
        } else if name.starts_with("dhclient")
            && (name.ends_with(".lease") || name.ends_with(".leases"))
        {
            let (uuid, iface) = nm_lease_name(&name);
            for mut lease in read_dhclient(host, budget, &rel) {
                lease.profile_uuid = lease.profile_uuid.or(uuid.clone());
                lease.interface = lease.interface.or(iface.clone());
                out.push(lease);
            }
        }
    }
    for dir in ["var/lib/dhcp", "var/lib/dhclient", "var/lib/dhcp3"] {
        for rel in files_in(host, dir) {
            if rel.ends_with(".lease") || rel.ends_with(".leases") {
                out.extend(read_dhclient(host, budget, &rel));
            }
        }
    }
    for rel in files_in(host, "run/systemd/netif/leases") {
        if let Some(mut lease) = read_kv(
            host,
            budget,
            &rel,
            SourceFormat::NetworkdLease,
            LeaseClient::SystemdNetworkd,
        ) {
            let index = rel.rsplit('/').next().unwrap_or_default();
            lease.interface = Some(format!("ifindex {index}"));
            out.push(lease);
        }
    }
    out
}

/// `internal-<uuid>-<iface>.lease` / `dhclient-<uuid>-<iface>.lease`: a UUID is 36
/// characters, the interface name is the rest.
fn nm_lease_name(name: &str) -> (Option<String>, Option<String>) {
    let stem = name.trim_end_matches(".leases").trim_end_matches(".lease");
    let Some((_, rest)) = stem.split_once('-') else {
        return (None, None);
    };
    if rest.len() > 37 && rest.as_bytes()[36] == b'-' && rest.is_char_boundary(36) {
        let uuid = &rest[..36];
        if uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return (Some(uuid.to_string()), Some(rest[37..].to_string()));
        }
    }
    (None, Some(rest.to_string()).filter(|r| !r.is_empty()))
}

fn modified_micros(host: &HostRoot, rel: &str) -> Option<i64> {
    host.open_file(rel)
        .and_then(|f| f.modified())
        .map(system_micros)
}

fn read_kv(
    host: &HostRoot,
    budget: &mut Budget<'_>,
    rel: &str,
    format: SourceFormat,
    client: LeaseClient,
) -> Option<Lease> {
    let (bytes, idx) = read_record(host, budget, rel, format)?;
    let mut lease = parse_kv(&super::decode_file(&bytes), client, &display_path(rel));
    if lease.address.is_none() && lease.gateways.is_empty() {
        return None;
    }
    budget.sources[idx].records = 1;
    if let Some(obtained) = modified_micros(host, rel) {
        lease.obtained = Some(Timestamp::exact(obtained));
        if let (Some(secs), Some(at)) = (lifetime(&super::decode_file(&bytes)), lease.obtained) {
            lease.expires = Some(Timestamp::exact(
                at.unix_micros
                    .saturating_add(secs.saturating_mul(1_000_000)),
            ));
        }
    }
    Some(lease)
}

fn lifetime(text: &str) -> Option<i64> {
    text.lines()
        .find_map(|l| l.strip_prefix("LIFETIME="))
        .and_then(|v| v.trim().parse().ok())
}

/// The `KEY=value` lease format of systemd-networkd and NetworkManager's internal client.
pub fn parse_kv(text: &str, client: LeaseClient, path: &str) -> Lease {
    let mut lease = empty(client, path);
    for (n, line) in text.lines().enumerate() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "ADDRESS" => {
                lease.address = value.parse().ok();
                lease.source.line = Some(n as u64 + 1);
            }
            "NETMASK" => lease.prefix_len = value.parse().ok().and_then(prefix_of),
            "ROUTER" => lease.gateways = addresses(value.split([' ', ','])),
            "DNS" => lease.dns = addresses(value.split([' ', ','])),
            "SERVER_ADDRESS" => lease.server = value.parse().ok(),
            "DOMAINNAME" => lease.domain = bounded(value),
            _ => {}
        }
    }
    lease
}

fn empty(client: LeaseClient, path: &str) -> Lease {
    Lease {
        client,
        interface: None,
        address: None,
        prefix_len: None,
        gateways: Vec::new(),
        dns: Vec::new(),
        server: None,
        domain: None,
        profile_uuid: None,
        obtained: None,
        expires: None,
        source: SourceLocation {
            path: path.to_string(),
            line: None,
        },
    }
}

fn addresses<'a>(parts: impl Iterator<Item = &'a str>) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = parts.filter_map(|p| p.trim().parse().ok()).collect();
    out.truncate(MAX_SERVERS);
    out
}

fn bounded(value: &str) -> Option<String> {
    let value = value.trim().trim_matches('"');
    (!value.is_empty()).then(|| crate::text::decode_bytes(value.as_bytes()))
}

/// A contiguous netmask to its prefix length.
fn prefix_of(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    let ones = bits.leading_ones();
    (bits.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
}

fn read_dhclient(host: &HostRoot, budget: &mut Budget<'_>, rel: &str) -> Vec<Lease> {
    let Some((bytes, idx)) = read_record(host, budget, rel, SourceFormat::DhclientLease) else {
        return Vec::new();
    };
    let found = parse_dhclient(&super::decode_file(&bytes), &display_path(rel));
    budget.sources[idx].records = found.len() as u64;
    found
}

/// ISC dhclient's lease database: `lease {` / `lease6 {` blocks of `statement;` lines.
pub fn parse_dhclient(text: &str, path: &str) -> Vec<Lease> {
    let mut out = Vec::new();
    let mut current: Option<(Lease, Option<i64>, Option<i64>)> = None;
    let mut depth = 0usize;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if current.is_none() {
            if line.starts_with("lease {") || line.starts_with("lease6 {") || line == "lease" {
                let mut lease = empty(LeaseClient::Dhclient, path);
                lease.source.line = Some(n as u64 + 1);
                current = Some((lease, None, None));
                depth = 1;
            }
            continue;
        }
        let Some((lease, lease_time, expire)) = current.as_mut() else {
            continue;
        };
        if line.ends_with('{') {
            depth += 1;
        }
        if line.starts_with('}') {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                if let (Some(secs), Some(exp)) = (*lease_time, *expire) {
                    lease.obtained = Some(Timestamp::exact((exp - secs).saturating_mul(1_000_000)));
                }
                if let Some(exp) = *expire {
                    lease.expires = Some(Timestamp::exact(exp.saturating_mul(1_000_000)));
                }
                if let Some((lease, _, _)) = current.take() {
                    out.push(lease);
                }
            }
            continue;
        }
        // `expire epoch 1709633472; # Tue Mar  5 10:11:12 2024`: drop the comment.
        let stmt = line.find("; #").map_or(line, |i| &line[..i]);
        let stmt = stmt.trim_end_matches(';').trim();
        let (word, rest) = stmt.split_once(' ').unwrap_or((stmt, ""));
        let rest = rest.trim();
        match word {
            "interface" => lease.interface = bounded(rest),
            "fixed-address" => lease.address = rest.parse().ok(),
            // lease6: `iaaddr 2001:db8::5 {` and `starts 1709633472;` inside it.
            "iaaddr" => {
                lease.address = rest.trim_end_matches('{').trim().parse().ok();
            }
            "starts" => {
                if let Ok(secs) = rest.parse::<i64>() {
                    lease.obtained = Some(Timestamp::exact(secs.saturating_mul(1_000_000)));
                }
            }
            "expire" => *expire = dhclient_time(rest),
            "option" => {
                let (name, value) = rest.split_once(' ').unwrap_or((rest, ""));
                let list = || addresses(value.split(',').map(str::trim));
                match name {
                    "subnet-mask" => {
                        lease.prefix_len = value.trim().parse().ok().and_then(prefix_of)
                    }
                    "routers" => lease.gateways = list(),
                    "domain-name-servers" | "dhcp6.name-servers" => lease.dns = list(),
                    "dhcp-server-identifier" | "dhcp6.server-id" => {
                        lease.server = value.trim().parse().ok();
                    }
                    "domain-name" | "dhcp6.domain-search" => lease.domain = bounded(value),
                    "dhcp-lease-time" => *lease_time = value.trim().parse().ok(),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
}

/// `3 2024/03/06 01:11:12` (UTC) or `epoch 1709687472 # ...`; `never` is none.
fn dhclient_time(text: &str) -> Option<i64> {
    let text = text.split('#').next().unwrap_or_default();
    let text = text.trim().trim_end_matches(';').trim();
    let mut parts = text.split_whitespace();
    let first = parts.next()?;
    if first == "epoch" {
        return parts.next()?.parse().ok();
    }
    let date = parts.next()?;
    let time = parts.next()?;
    let mut d = date.split('/');
    let (y, m, day): (i64, u32, u32) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let mut t = time.split(':');
    let (h, min, s): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    if h > 23 || min > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, m, day)? * 86_400 + h * 3600 + min * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networkd_and_nm_internal() {
        let lease = parse_kv(
            "# This is private data. Do not parse.\nADDRESS=192.168.43.17\nNETMASK=255.255.255.0\nROUTER=192.168.43.1\nSERVER_ADDRESS=192.168.43.1\nDNS=192.168.43.1 8.8.8.8\nLIFETIME=3599\n",
            LeaseClient::NetworkManager,
            "/var/lib/NetworkManager/internal-x-wlan0.lease",
        );
        assert_eq!(lease.address, Some("192.168.43.17".parse().unwrap()));
        assert_eq!(lease.prefix_len, Some(24));
        assert_eq!(
            lease.gateways,
            vec!["192.168.43.1".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(lease.dns.len(), 2);
        assert_eq!(lease.source.line, Some(2));
        assert_eq!(lifetime("LIFETIME=3599\n"), Some(3599));
    }

    #[test]
    fn dhclient_blocks() {
        let leases = parse_dhclient(
            "default-duid \"\\000\\001\";\nlease {\n  interface \"eth0\";\n  fixed-address 10.20.30.40;\n  option subnet-mask 255.255.0.0;\n  option routers 10.20.0.1;\n  option dhcp-lease-time 86400;\n  option domain-name-servers 10.20.0.2,10.20.0.3;\n  option dhcp-server-identifier 10.20.0.1;\n  option domain-name \"corp.example\";\n  renew 2 2024/03/05 10:11:12;\n  expire 3 2024/03/06 01:11:12;\n}\nlease6 {\n  interface \"eth0\";\n  ia-na 1a:2b:3c:4d {\n    starts 1709633472;\n    iaaddr 2001:db8::5 {\n      starts 1709633472;\n      max-life 7200;\n    }\n  }\n  option dhcp6.name-servers 2001:db8::53;\n}\n",
            "/var/lib/dhcp/dhclient.eth0.leases",
        );
        assert_eq!(leases.len(), 2);
        let v4 = &leases[0];
        assert_eq!(v4.interface.as_deref(), Some("eth0"));
        assert_eq!(v4.address, Some("10.20.30.40".parse().unwrap()));
        assert_eq!(v4.prefix_len, Some(16));
        assert_eq!(v4.dns.len(), 2);
        assert_eq!(v4.domain.as_deref(), Some("corp.example"));
        assert_eq!(v4.source.line, Some(2));
        assert_eq!(v4.expires.unwrap().to_rfc3339(), "2024-03-06T01:11:12Z");
        assert_eq!(v4.obtained.unwrap().to_rfc3339(), "2024-03-05T01:11:12Z");
        let v6 = &leases[1];
        assert_eq!(v6.address, Some("2001:db8::5".parse().unwrap()));
        assert_eq!(v6.obtained.unwrap().unix_seconds(), 1_709_633_472);
        assert_eq!(v6.dns, vec!["2001:db8::53".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn dhclient_times() {
        assert_eq!(
            dhclient_time("epoch 1709633472; # Tue"),
            Some(1_709_633_472)
        );
        assert_eq!(dhclient_time("never"), None);
        assert_eq!(dhclient_time("3 2024/13/06 01:11:12"), None);
    }

    #[test]
    fn masks_and_names() {
        assert_eq!(prefix_of("255.255.255.0".parse().unwrap()), Some(24));
        assert_eq!(prefix_of("0.0.0.0".parse().unwrap()), Some(0));
        assert_eq!(prefix_of("255.0.255.0".parse().unwrap()), None);
        assert_eq!(
            nm_lease_name("internal-5e4b3c2a-1111-2222-3333-444455556666-wlp2s0.lease"),
            (
                Some("5e4b3c2a-1111-2222-3333-444455556666".into()),
                Some("wlp2s0".into())
            )
        );
        assert_eq!(
            nm_lease_name("dhclient-eth0.lease"),
            (None, Some("eth0".into()))
        );
    }

    #[test]
    fn junk_is_no_lease() {
        assert!(parse_dhclient("lease {\n garbage\n", "p").is_empty());
        let kv = parse_kv(
            "ADDRESS=not-an-ip\nDNS=1.1.1.1 x\n",
            LeaseClient::SystemdNetworkd,
            "p",
        );
        assert_eq!(kv.address, None);
        assert_eq!(kv.dns.len(), 1);
    }
}
