//! The kernel's change notifications, for `isoguard watch`: a NETLINK_KOBJECT_UEVENT socket
//! (devices added, removed, bound) and an rtnetlink socket subscribed to the link, IPv4/IPv6
//! address, IPv4/IPv6 route and rule groups. Both are multicast listeners on `AF_NETLINK`:
//! nothing is sent onto any network.
//!
//! What it must not do: miss a change silently. A receive buffer that overflowed (`ENOBUFS`)
//! is reported as an [`Source::Overflow`] event, which makes the watcher re-read everything;
//! a uevent or route message from anyone but the kernel (port id 0) is ignored.

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::address::AddressAttribute;
use netlink_packet_route::link::LinkAttribute;
use netlink_packet_route::route::{RouteAddress, RouteAttribute};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::protocols::{NETLINK_KOBJECT_UEVENT, NETLINK_ROUTE};
use netlink_sys::{Socket, SocketAddr};

use crate::watch::event::{parse_uevent, Event, Source};

/// The kernel's uevent multicast group (udevd rebroadcasts on group 2, which is not read:
/// the kernel's own message cannot be forged by an unprivileged process).
const UEVENT_KERNEL_GROUP: u32 = 1;
/// RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV4_RULE |
/// RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE.
const ROUTE_GROUPS: u32 = 0x1 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400;
/// RTNLGRP_IPV6_RULE has no legacy bit; it is joined by number.
const RTNLGRP_IPV6_RULE: u32 = 19;
/// A burst of hundreds of events (a hub with many devices) fits; past it, ENOBUFS says so.
const RECV_BUFFER_BYTES: usize = 4 << 20;
/// One datagram: a uevent is at most 8 KiB, an rtnetlink notification far less.
const DATAGRAM_BYTES: usize = 64 << 10;

/// The two listening sockets.
pub struct EventSource {
    uevent: Socket,
    route: Socket,
    buffer: Vec<u8>,
}

fn listener(protocol: isize, groups: u32, buffer: usize) -> io::Result<Socket> {
    let mut socket = Socket::new(protocol)?;
    // Best effort: the kernel caps it at rmem_max, which still works (ENOBUFS says when not).
    let _ = socket.set_rx_buf_sz(buffer);
    socket.bind(&SocketAddr::new(0, groups))?;
    socket.set_non_blocking(true)?;
    Ok(socket)
}

impl EventSource {
    /// `receive_buffer`: bytes per socket (default 4 MiB); a test makes it tiny to provoke
    /// lost messages.
    pub fn open(receive_buffer: Option<usize>) -> io::Result<EventSource> {
        let buffer = receive_buffer.unwrap_or(RECV_BUFFER_BYTES);
        let uevent = listener(NETLINK_KOBJECT_UEVENT, UEVENT_KERNEL_GROUP, buffer)?;
        let route = listener(NETLINK_ROUTE, ROUTE_GROUPS, buffer)?;
        // Older kernels have no IPv6 rule group; IPv6 rules are then seen at the next event.
        let _ = route.add_membership(RTNLGRP_IPV6_RULE);
        Ok(EventSource {
            uevent,
            route,
            buffer: vec![0u8; DATAGRAM_BYTES],
        })
    }

    /// Waits until one of the sockets (or `extra`, the signal pipe) is readable, or `timeout`
    /// passes (`None`: forever). Returns whether `extra` is readable.
    pub fn wait(&self, extra: &impl AsFd, timeout: Option<Duration>) -> io::Result<bool> {
        use rustix::event::{poll, PollFd, PollFlags, Timespec};
        let mut fds = [
            PollFd::new(&self.uevent, PollFlags::IN),
            PollFd::new(&self.route, PollFlags::IN),
            PollFd::new(extra, PollFlags::IN),
        ];
        let timeout = timeout.map(|t| Timespec {
            tv_sec: t.as_secs() as i64,
            tv_nsec: t.subsec_nanos() as _,
        });
        match poll(&mut fds, timeout.as_ref()) {
            Ok(_) => Ok(!fds[2].revents().is_empty()),
            Err(rustix::io::Errno::INTR) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Everything both sockets hold now, without blocking.
    pub fn drain(&mut self, out: &mut Vec<Event>) -> io::Result<()> {
        loop {
            match receive(&self.uevent, &mut self.buffer) {
                Ok(Some(size)) => out.extend(parse_uevent(&self.buffer[..size])),
                Ok(None) => break,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    out.push(Event::overflow("uevent"))
                }
                Err(e) => return Err(e),
            }
        }
        loop {
            match receive(&self.route, &mut self.buffer) {
                Ok(Some(size)) => parse_route_datagram(&self.buffer[..size], out),
                Ok(None) => break,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    out.push(Event::overflow("rtnetlink"))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// One datagram from the kernel, `None` when there is nothing more to read. Datagrams from
/// user space (port id other than 0) are dropped.
fn receive(socket: &Socket, buffer: &mut [u8]) -> io::Result<Option<usize>> {
    loop {
        match socket.recv_from(&mut &mut buffer[..], 0) {
            Ok((size, from)) if from.port_number() == 0 => return Ok(Some(size.min(buffer.len()))),
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

fn route_address(address: &RouteAddress) -> String {
    match address {
        RouteAddress::Inet(a) => a.to_string(),
        RouteAddress::Inet6(a) => a.to_string(),
        _ => "?".to_string(),
    }
}

fn interface_name(index: u32) -> String {
    // The interface may be gone already (a route removed with its device); the index stays.
    let host = super::HostRoot::live();
    host.list_dir("sys/class/net")
        .unwrap_or_default()
        .into_iter()
        .find(|name| {
            host.read_text_quiet(&format!("sys/class/net/{name}/ifindex"))
                .is_some_and(|i| i.trim() == index.to_string())
        })
        .unwrap_or_else(|| format!("ifindex {index}"))
}

/// Every rtnetlink notification in one datagram (several may share it).
pub fn parse_route_datagram(datagram: &[u8], out: &mut Vec<Event>) {
    let mut offset = 0usize;
    while offset + 16 <= datagram.len() {
        let bytes = &datagram[offset..];
        let length = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if length < 16 || length > bytes.len() {
            // A truncated datagram: what it said is unknown, so everything is re-read.
            out.push(Event::overflow("rtnetlink (malformed)"));
            return;
        }
        offset += (length + 3) & !3;
        let Ok(message) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&bytes[..length])
        else {
            out.push(Event::overflow("rtnetlink (undecodable)"));
            continue;
        };
        if let NetlinkPayload::InnerMessage(inner) = message.payload {
            out.extend(route_event(&inner));
        }
    }
}

fn route_event(message: &RouteNetlinkMessage) -> Option<Event> {
    use RouteNetlinkMessage as M;
    let (source, action) = match message {
        M::NewLink(_) => (Source::Link, "new"),
        M::DelLink(_) => (Source::Link, "del"),
        M::NewAddress(_) => (Source::Address, "new"),
        M::DelAddress(_) => (Source::Address, "del"),
        M::NewRoute(_) => (Source::Route, "new"),
        M::DelRoute(_) => (Source::Route, "del"),
        M::NewRule(_) => (Source::Rule, "new"),
        M::DelRule(_) => (Source::Rule, "del"),
        _ => return None,
    };
    let (device, name) = match message {
        M::NewLink(link) | M::DelLink(link) => {
            let name = link.attributes.iter().find_map(|a| match a {
                LinkAttribute::IfName(n) => Some(n.clone()),
                _ => None,
            });
            (
                String::new(),
                name.unwrap_or_else(|| format!("ifindex {}", link.header.index)),
            )
        }
        M::NewAddress(addr) | M::DelAddress(addr) => {
            let ip = addr.attributes.iter().find_map(|a| match a {
                AddressAttribute::Address(ip) => Some(ip.to_string()),
                _ => None,
            });
            let label = addr.attributes.iter().find_map(|a| match a {
                AddressAttribute::Label(l) => Some(l.clone()),
                _ => None,
            });
            (
                format!("{}/{}", ip.unwrap_or_default(), addr.header.prefix_len),
                label.unwrap_or_else(|| interface_name(addr.header.index)),
            )
        }
        M::NewRoute(route) | M::DelRoute(route) => {
            let mut destination = None;
            let mut gateway = None;
            let mut oif = None;
            for a in &route.attributes {
                match a {
                    RouteAttribute::Destination(d) => destination = Some(route_address(d)),
                    RouteAttribute::Gateway(g) => gateway = Some(route_address(g)),
                    RouteAttribute::Oif(i) => oif = Some(*i),
                    _ => {}
                }
            }
            let prefix = route.header.destination_prefix_length;
            let mut what = match destination {
                Some(d) => format!("{d}/{prefix}"),
                None => "default".to_string(),
            };
            if let Some(g) = gateway {
                what.push_str(&format!(" via {g}"));
            }
            (what, oif.map(interface_name).unwrap_or_default())
        }
        _ => (String::new(), String::new()),
    };
    Some(Event::new(source, action, "", &device, &name))
}
