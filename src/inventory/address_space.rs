//! Address prefixes and the question a route must answer: does it lead to public addresses?
//!
//! "A path to outside networks" is not "a route called default": OpenVPN's `def1` replaces
//! the default route with `0.0.0.0/1` and `128.0.0.0/1`, a leaked `8.0.0.0/8` reaches a
//! public resolver, and policy routing hides a default route in another table. So a route is
//! judged by what it covers: if any address it covers is public (not private, loopback,
//! link-local, documentation, multicast, reserved, nor the site's own allowed prefixes), it
//! is a way out.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// An address prefix (`10.20.0.0/16`, `fd00:1::/48`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl Prefix {
    /// `addr/len`, or a bare address as a host prefix. `None` for anything else.
    pub fn parse(text: &str) -> Option<Prefix> {
        let (addr, len) = match text.split_once('/') {
            Some((a, l)) => (a.parse::<IpAddr>().ok()?, l.parse::<u8>().ok()?),
            None => {
                let a: IpAddr = text.parse().ok()?;
                (a, max_len(&a))
            }
        };
        (len <= max_len(&addr)).then_some(Prefix { addr, len })
    }

    pub fn new(addr: IpAddr, len: u8) -> Prefix {
        Prefix {
            addr,
            len: len.min(max_len(&addr)),
        }
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        match (bits(&self.addr), bits(ip)) {
            (Some((net, width)), Some((ip, ip_width))) if width == ip_width => {
                mask(width, self.len) & net == mask(width, self.len) & ip
            }
            _ => false,
        }
    }

    /// Whether every address of `other` is in this prefix.
    pub fn contains_prefix(&self, other: &Prefix) -> bool {
        other.len >= self.len && self.contains(&other.addr)
    }

    /// The two halves of this prefix; `None` for a host prefix.
    fn halves(&self) -> Option<(Prefix, Prefix)> {
        let (net, width) = bits(&self.addr)?;
        if self.len >= width {
            return None;
        }
        let low = net & mask(width, self.len);
        let high = low | (1u128 << (width - self.len - 1));
        let make = |value: u128| Prefix {
            addr: from_bits(value, width),
            len: self.len + 1,
        };
        Some((make(low), make(high)))
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

fn max_len(addr: &IpAddr) -> u8 {
    if addr.is_ipv4() {
        32
    } else {
        128
    }
}

/// The address as an integer and its width in bits.
fn bits(addr: &IpAddr) -> Option<(u128, u8)> {
    match addr {
        IpAddr::V4(v4) => Some((u128::from(u32::from(*v4)), 32)),
        IpAddr::V6(v6) => Some((u128::from(*v6), 128)),
    }
}

fn from_bits(value: u128, width: u8) -> IpAddr {
    if width == 32 {
        IpAddr::V4(u32::try_from(value).unwrap_or(0).into())
    } else {
        IpAddr::V6(value.into())
    }
}

fn mask(width: u8, len: u8) -> u128 {
    let all = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    if len == 0 {
        0
    } else if len >= width {
        all
    } else {
        all & !(all >> len)
    }
}

/// IPv4 space that is not public (RFC 6890 and friends); CGNAT space is added by the caller.
const V4_NOT_PUBLIC: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
];

/// IPv6 space that is not public: everything outside global unicast (2000::/3), and the
/// documentation prefix inside it.
const V6_NOT_PUBLIC: &[&str] = &["::/3", "4000::/2", "8000::/1", "2001:db8::/32"];

const CGNAT: &str = "100.64.0.0/10";

/// The address space that is not public, plus the site's own prefixes.
#[derive(Debug, Clone)]
pub struct NotPublic {
    prefixes: Vec<Prefix>,
}

impl NotPublic {
    /// `cgnat_is_public`: whether carrier-grade NAT space (100.64.0.0/10) counts as public.
    pub fn new(cgnat_is_public: bool, site: &[Prefix]) -> NotPublic {
        let mut prefixes: Vec<Prefix> = V4_NOT_PUBLIC
            .iter()
            .chain(V6_NOT_PUBLIC)
            .filter_map(|p| Prefix::parse(p))
            .collect();
        if !cgnat_is_public {
            prefixes.extend(Prefix::parse(CGNAT));
        }
        prefixes.extend_from_slice(site);
        NotPublic { prefixes }
    }

    /// Whether some address of `prefix` is public. Prefixes either nest or do not meet, so
    /// a prefix is wholly non-public when one listed prefix holds it, has public addresses
    /// when none meets it, and otherwise is decided half by half (at most 128 levels).
    pub fn covers_public(&self, prefix: &Prefix) -> bool {
        if self.prefixes.iter().any(|p| p.contains_prefix(prefix)) {
            return false;
        }
        let meets = self
            .prefixes
            .iter()
            .any(|p| prefix.contains_prefix(p) && p.addr.is_ipv4() == prefix.addr.is_ipv4());
        if !meets {
            return true;
        }
        match prefix.halves() {
            Some((low, high)) => self.covers_public(&low) || self.covers_public(&high),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Prefix {
        Prefix::parse(text).unwrap()
    }

    #[test]
    fn prefixes_contain() {
        let lan = p("10.20.0.0/16");
        assert!(lan.contains(&"10.20.3.4".parse().unwrap()));
        assert!(!lan.contains(&"10.21.0.1".parse().unwrap()));
        assert!(!lan.contains(&"fd00::1".parse().unwrap()));
        assert!(p("0.0.0.0/0").contains(&"8.8.8.8".parse().unwrap()));
        assert!(p("fd00:1::/48").contains(&"fd00:1:0:5::1".parse().unwrap()));
        assert!(p("::/0").contains(&"2400:da00::1".parse().unwrap()));
        assert_eq!(Prefix::parse("10.0.0.0/33"), None);
        assert_eq!(Prefix::parse("nonsense"), None);
        assert_eq!(Prefix::parse("192.0.2.7").map(|p| p.len), Some(32));
        assert!(p("10.0.0.0/8").contains_prefix(&p("10.1.0.0/16")));
        assert!(!p("10.1.0.0/16").contains_prefix(&p("10.0.0.0/8")));
    }

    #[test]
    fn routes_are_judged_by_the_addresses_they_cover() {
        let space = NotPublic::new(true, &[]);
        for public in [
            "0.0.0.0/0",
            "0.0.0.0/1",
            "128.0.0.0/1",
            "8.0.0.0/8",
            "100.64.0.0/10",
            "1.1.1.1/32",
            "::/0",
            "2000::/3",
            "2400:cb00::/32",
        ] {
            assert!(space.covers_public(&p(public)), "{public}");
        }
        for private in [
            "10.0.0.0/8",
            "192.168.1.0/24",
            "172.16.0.0/12",
            "169.254.0.0/16",
            "127.0.0.0/8",
            "224.0.0.0/4",
            "fd00::/8",
            "fe80::/64",
            "ff00::/8",
            "2001:db8::/32",
            "192.0.2.0/24",
        ] {
            assert!(!space.covers_public(&p(private)), "{private}");
        }
        let strict = NotPublic::new(false, &[p("8.0.0.0/8")]);
        assert!(!strict.covers_public(&p("100.64.0.0/10")));
        assert!(!strict.covers_public(&p("8.8.0.0/16")));
        assert!(strict.covers_public(&p("0.0.0.0/1")));
    }
}
