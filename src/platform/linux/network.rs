//! Network interfaces, their addresses, and the default routes.
//!
//! The kind of an interface says whether it can reach outside: Wi-Fi, a WWAN modem, a phone
//! tethered over USB, PPP and tunnels can; loopback, veth and bridges by themselves cannot.
//! It is decided from what the kernel shows (the `wireless/` folder, `DEVTYPE`, the driver
//! and the USB parent), never from the interface name, which anyone can change.

use super::bus::bus_of;
use super::device::SysDevice;
use super::netsource::{self, NetState};
use super::root::{Fact, HostRoot};
use super::usb::usb_parent;
use crate::inventory::network::{
    scope_of, DefaultRoute, IfAddress, NetInterface, NetKind, NetworkSection, RouteKind, TABLE_MAIN,
};
use crate::inventory::Bus;

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
    let mut interfaces: Vec<NetInterface> = host.reading(Fact::Interfaces, || {
        SysDevice::list(host, "sys/class/net")
            .iter()
            .map(|dev| read_interface(dev, &state))
            .collect()
    });
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    let routing = state.routing;
    let default_routes = routing
        .routes
        .iter()
        .filter(|r| r.table == TABLE_MAIN && r.prefix_len == 0 && r.kind == RouteKind::Unicast)
        .map(|r| DefaultRoute {
            family: r.family,
            interface: r.interface.clone().unwrap_or_default(),
            gateway: r.gateway,
            metric: r.metric,
        })
        .collect();
    NetworkSection {
        interfaces,
        default_routes,
        routes_known: routing.routes_known,
        routes: routing.routes,
        rules: routing.rules,
        rules_known: routing.rules_known,
        route_source: routing.source,
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
