//! Network interfaces, their addresses, and the default routes.
//!
//! The kind of an interface says whether it can reach outside: Wi-Fi, a WWAN modem, a phone
//! tethered over USB, PPP and tunnels can; loopback, veth and bridges by themselves cannot.
//! It is decided from what the kernel shows (the `wireless/` folder, `DEVTYPE`, the driver
//! and the USB parent), never from the interface name, which anyone can change.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::bus::{bus_of, Bus};
use super::usb::{usb_parent, UsbRef};
use crate::host::netsource::{self, NetState};
use crate::host::{HostRoot, Problem, SysDevice};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSection {
    pub interfaces: Vec<NetInterface>,
    pub default_routes: Vec<DefaultRoute>,
    /// False when the routing table could not be read.
    pub routes_known: bool,
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

    pub fn as_str(self) -> &'static str {
        match self {
            NetKind::Ethernet => "ethernet",
            NetKind::Wifi => "wifi",
            NetKind::Wwan => "wwan",
            NetKind::UsbTethering => "usb-tethering",
            NetKind::Ppp => "ppp",
            NetKind::Tunnel => "tunnel",
            NetKind::Bridge => "bridge",
            NetKind::Veth => "veth",
            NetKind::Virtual => "virtual",
            NetKind::Loopback => "loopback",
            NetKind::Other => "other",
        }
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
    pub family: String,
    pub interface: String,
    pub gateway: Option<IpAddr>,
    pub metric: u32,
}

/// Drivers a phone's USB tethering function binds to.
const TETHERING_DRIVERS: &[&str] = &["rndis_host", "cdc_ether", "cdc_ncm", "ipheth", "cdc_eem"];
/// Drivers that only ever drive a mobile-broadband modem.
const WWAN_DRIVERS: &[&str] = &[
    "qmi_wwan",
    "cdc_mbim",
    "huawei_cdc_ncm",
    "sierra_net",
    "hso",
];

pub fn collect(host: &HostRoot) -> NetworkSection {
    let state = netsource::read(host);
    let mut interfaces: Vec<NetInterface> = SysDevice::list(host, "sys/class/net")
        .iter()
        .map(|dev| read_interface(dev, &state))
        .collect();
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    let default_routes = state
        .routes
        .iter()
        .filter(|r| r.is_default())
        .map(|r| DefaultRoute {
            family: if r.destination.is_ipv4() {
                "ipv4"
            } else {
                "ipv6"
            }
            .to_string(),
            interface: r.interface.clone(),
            gateway: r.gateway,
            metric: r.metric,
        })
        .collect();
    NetworkSection {
        interfaces,
        default_routes,
        routes_known: state.routes_known,
        dns_servers: state.dns_servers.clone(),
        problems: host.take_problems(),
    }
}

/// Whether a USB device carrying this interface also exposes a modem control channel
/// (`usbmisc/cdc-wdm*`), which is what tells a cdc_ncm/cdc_ether modem from a phone.
fn has_modem_control(dev: &SysDevice) -> bool {
    let Some(usb) = dev.find_up("usb", Some("usb_device")) else {
        return false;
    };
    let prefix = format!("{}:", usb.sysname());
    usb.children("")
        .iter()
        .filter(|name| name.starts_with(&prefix))
        .any(|iface| {
            let iface = usb.child(iface);
            // Kernels before 3.x named the usbmisc class folder `usb`.
            ["usbmisc", "usb"]
                .iter()
                .any(|sub| iface.children(sub).iter().any(|n| n.starts_with("cdc-wdm")))
                || iface.driver().as_deref() == Some("cdc_wdm")
        })
}

/// Net class devices have no driver link of their own; the device under them does.
fn driver_of(dev: &SysDevice) -> Option<String> {
    dev.driver()
        .or_else(|| dev.parent().and_then(|p| p.driver()))
}

pub fn kind_of(dev: &SysDevice, bus: Bus) -> NetKind {
    let devtype = dev.devtype().unwrap_or_default().to_string();
    let driver = driver_of(dev).unwrap_or_default();
    let link_type: u32 = dev.attr("type").and_then(|t| t.parse().ok()).unwrap_or(1);
    if link_type == 772 || dev.sysname() == "lo" && dev.is_virtual() {
        return NetKind::Loopback;
    }
    if dev.has("wireless") || dev.has("phy80211") || devtype == "wlan" {
        return NetKind::Wifi;
    }
    if devtype == "wwan"
        || WWAN_DRIVERS.contains(&driver.as_str())
        || dev.find_up("wwan", None).is_some()
    {
        return NetKind::Wwan;
    }
    if bus == Bus::Usb && TETHERING_DRIVERS.contains(&driver.as_str()) {
        return if has_modem_control(dev) {
            NetKind::Wwan
        } else {
            NetKind::UsbTethering
        };
    }
    if link_type == 512 || devtype == "ppp" {
        return NetKind::Ppp;
    }
    // 65534: tun (no link layer); 768..=778: ipip, sit, gre and friends.
    if devtype == "wireguard"
        || dev.has("tun_flags")
        || link_type == 65534
        || (768..=778).contains(&link_type)
        || link_type == 823
    {
        return NetKind::Tunnel;
    }
    if dev.has("bridge") || devtype == "bridge" {
        return NetKind::Bridge;
    }
    if dev.is_virtual() {
        let ifindex = dev.attr("ifindex");
        let iflink = dev.attr("iflink");
        return if devtype.is_empty() && ifindex.is_some() && iflink.is_some() && ifindex != iflink {
            NetKind::Veth
        } else {
            NetKind::Virtual
        };
    }
    if link_type == 1 {
        NetKind::Ethernet
    } else {
        NetKind::Other
    }
}

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

/// A MAC address, from the `address` attribute or udev's `ID_NET_NAME_MAC` (`wlx…`/`enx…`).
fn mac_of(dev: &SysDevice) -> Option<String> {
    if let Some(addr) = dev.attr("address").filter(|a| !a.is_empty()) {
        return Some(addr.to_ascii_lowercase());
    }
    let name = dev.property("ID_NET_NAME_MAC")?;
    let hex = name
        .get(3..)
        .filter(|h| h.len() == 12 && h.chars().all(|c| c.is_ascii_hexdigit()))?;
    let pairs: Vec<&str> = (0..6).filter_map(|i| hex.get(i * 2..i * 2 + 2)).collect();
    Some(pairs.join(":").to_ascii_lowercase())
}

fn read_interface(dev: &SysDevice, state: &NetState) -> NetInterface {
    let bus = bus_of(dev);
    let kind = kind_of(dev, bus);
    let name = dev.sysname().to_string();
    let addresses = state
        .addresses
        .get(&name)
        .map(|list| {
            list.iter()
                .map(|(address, prefix_len)| IfAddress {
                    address: *address,
                    prefix_len: *prefix_len,
                    scope: scope_of(address),
                })
                .collect()
        })
        .unwrap_or_default();
    NetInterface {
        device_path: dev.sys_path(),
        kind,
        bus: if dev.is_virtual() { Bus::Virtual } else { bus },
        driver: driver_of(dev),
        mac: mac_of(dev),
        oper_state: dev.attr("operstate"),
        addresses,
        usb: if bus == Bus::Usb {
            usb_parent(dev)
        } else {
            None
        },
        name,
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
