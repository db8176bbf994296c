//! Asking the kernel over rtnetlink: one dump request, the replies up to `NLMSG_DONE`.
//!
//! `/proc/net/route` shows the main table only, and policy rules not at all; a VPN client or
//! a hand-made `ip rule` puts the way out elsewhere. A route dump over netlink returns every
//! table, and a rule dump every rule. Reading sends nothing onto any network: netlink is a
//! conversation with the local kernel (`AF_NETLINK`), which is also why a syscall audit of a
//! scan shows no `AF_INET` traffic.
//!
//! What it must not do: wait for the kernel forever (replies are read under a deadline), take
//! a reply to someone else's request (sequence and sender are checked), or accept a dump the
//! kernel says was interrupted by a change in the middle (it is retried, then reported).

use std::io;
use std::time::{Duration, Instant};

use netlink_packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// A dump of a few thousand routes is well under this.
const RECV_BUFFER: usize = 1 << 20;
/// How long one dump may take; the kernel answers in microseconds.
const DEADLINE: Duration = Duration::from_secs(2);
/// How often an interrupted dump (the table changed while it was read) is retried.
const RETRIES: usize = 3;

/// Sends `request` as a dump and returns every message of the answer.
pub fn dump(request: RouteNetlinkMessage) -> io::Result<Vec<RouteNetlinkMessage>> {
    let mut last = io::Error::other("netlink dump was interrupted");
    for attempt in 0..RETRIES {
        match dump_once(request.clone(), attempt as u32 + 1) {
            Ok(answer) => return Ok(answer),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => last = err,
            Err(err) => return Err(err),
        }
    }
    Err(last)
}

fn dump_once(request: RouteNetlinkMessage, seq: u32) -> io::Result<Vec<RouteNetlinkMessage>> {
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let mut message = NetlinkMessage::from(request);
    message.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    message.header.sequence_number = seq;
    message.finalize();
    let mut buf = vec![0u8; message.buffer_len()];
    message.serialize(&mut buf);
    socket.send(&buf, 0)?;

    let deadline = Instant::now() + DEADLINE;
    let mut answer = Vec::new();
    let mut datagram = vec![0u8; RECV_BUFFER];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the kernel did not finish the netlink dump in time",
            ));
        }
        socket.set_non_blocking(false)?;
        set_receive_timeout(&socket, left)?;
        let (size, from) = socket.recv_from(&mut &mut datagram[..], 0)?;
        if from.port_number() != 0 {
            continue;
        }
        let mut offset = 0usize;
        while offset + 16 <= size {
            let bytes = &datagram[offset..size];
            let length = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
            if length < 16 || length > bytes.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "malformed netlink reply",
                ));
            }
            let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&bytes[..length])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{e:?}")))?;
            offset += (length + 3) & !3;
            if reply.header.sequence_number != seq {
                continue;
            }
            match reply.payload {
                NetlinkPayload::Done(_) => {
                    if reply.header.flags & NLM_F_DUMP_INTR != 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::Interrupted,
                            "the table changed during the netlink dump",
                        ));
                    }
                    return Ok(answer);
                }
                NetlinkPayload::Error(error) => {
                    if let Some(code) = error.code {
                        return Err(io::Error::from_raw_os_error(-code.get()));
                    }
                }
                NetlinkPayload::Overrun(_) => {
                    return Err(io::Error::other("netlink receive buffer overrun"));
                }
                NetlinkPayload::InnerMessage(inner) => answer.push(inner),
                _ => {}
            }
        }
    }
}

fn set_receive_timeout(socket: &Socket, timeout: Duration) -> io::Result<()> {
    use std::os::fd::AsFd;
    let timeout = timeout.max(Duration::from_millis(1));
    rustix::net::sockopt::set_socket_timeout(
        socket.as_fd(),
        rustix::net::sockopt::Timeout::Recv,
        Some(timeout),
    )
    .map_err(io::Error::from)
}

/// Takes the interface with index `index` down (RTM_SETLINK, IFF_UP cleared, nothing else
/// changed) and waits for the kernel's acknowledgement. Needs CAP_NET_ADMIN.
pub fn set_link_down(index: u32) -> io::Result<()> {
    use netlink_packet_core::NLM_F_ACK;
    use netlink_packet_route::link::{LinkFlags, LinkMessage};
    let mut link = LinkMessage::default();
    link.header.index = index;
    link.header.flags = LinkFlags::empty();
    link.header.change_mask = LinkFlags::Up;
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let mut message = NetlinkMessage::from(RouteNetlinkMessage::SetLink(link));
    message.header.flags = NLM_F_REQUEST | NLM_F_ACK;
    message.header.sequence_number = 1;
    message.finalize();
    let mut buf = vec![0u8; message.buffer_len()];
    message.serialize(&mut buf);
    socket.send(&buf, 0)?;
    set_receive_timeout(&socket, DEADLINE)?;
    let mut datagram = vec![0u8; 1 << 16];
    loop {
        let (size, from) = socket.recv_from(&mut &mut datagram[..], 0)?;
        if from.port_number() != 0 || size < 16 {
            continue;
        }
        let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&datagram[..size])
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{e:?}")))?;
        if reply.header.sequence_number != 1 {
            continue;
        }
        if let NetlinkPayload::Error(error) = reply.payload {
            return match error.code {
                Some(code) => Err(io::Error::from_raw_os_error(-code.get())),
                None => Ok(()),
            };
        }
    }
}
