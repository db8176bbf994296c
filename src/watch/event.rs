//! What the kernel told the watcher: one plain record per uevent or rtnetlink message, as the
//! platform backend read it. Every string in it came from the kernel on behalf of a device,
//! so it is cut and escaped before it is kept (a USB stick names itself).

use serde::Serialize;

/// Longest device path, name or subsystem kept from one event.
pub const MAX_FIELD_CHARS: usize = 200;

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// NETLINK_KOBJECT_UEVENT: a device was added, removed, bound, changed.
    Uevent,
    /// rtnetlink: an interface, address, route or rule changed.
    Link,
    Address,
    Route,
    Rule,
    /// The kernel dropped messages (ENOBUFS): what changed is unknown, so everything is re-read.
    Overflow,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Uevent => "uevent",
            Source::Link => "link",
            Source::Address => "address",
            Source::Route => "route",
            Source::Rule => "rule",
            Source::Overflow => "overflow",
        }
    }
}

/// One change, in the words the kernel used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub source: Source,
    /// `add`, `remove`, `change`, `bind`... for uevents; `new` or `del` for rtnetlink.
    pub action: String,
    /// The uevent's SUBSYSTEM (`usb`, `block`, `net`); empty for rtnetlink.
    pub subsystem: String,
    /// The sysfs device path of a uevent (`/devices/...`), or what a route or address is
    /// (`default via 10.0.0.2`, `10.1.2.3/24`).
    pub device: String,
    /// DEVNAME or INTERFACE of a uevent, the interface name of an rtnetlink message.
    pub name: String,
}

/// Keeps untrusted text printable and bounded.
pub fn clean(value: &str) -> String {
    crate::text::display_safe(value, MAX_FIELD_CHARS)
}

impl Event {
    pub fn new(source: Source, action: &str, subsystem: &str, device: &str, name: &str) -> Event {
        Event {
            source,
            action: clean(action),
            subsystem: clean(subsystem),
            device: clean(device),
            name: clean(name),
        }
    }

    pub fn overflow(from: &str) -> Event {
        Event::new(Source::Overflow, "lost", "", from, "")
    }

    /// Something appeared (a device added, an interface, address or route created).
    pub fn is_arrival(&self) -> bool {
        matches!(self.action.as_str(), "add" | "new")
    }

    /// Something went away.
    pub fn is_departure(&self) -> bool {
        matches!(self.action.as_str(), "remove" | "del")
    }

    /// Which thing the event is about, to pair an arrival with its departure.
    pub fn subject(&self) -> (&str, &str) {
        if self.source == Source::Uevent {
            ("uevent", &self.device)
        } else if self.name.is_empty() {
            (self.source.as_str(), &self.device)
        } else {
            (self.source.as_str(), &self.name)
        }
    }

    /// A network change rather than a device being plugged in: rtnetlink, or a uevent of the
    /// `net` subsystem or of an interface's `queues` (creating an interface emits both).
    pub fn is_network(&self) -> bool {
        match self.source {
            Source::Uevent => matches!(self.subsystem.as_str(), "net" | "queues"),
            Source::Overflow => false,
            _ => true,
        }
    }
}

/// Parses one NETLINK_KOBJECT_UEVENT datagram from the kernel: `action@devpath\0KEY=value\0...`.
/// Anything else (udevd's `libudev` messages, garbage) is `None`.
pub fn parse_uevent(datagram: &[u8]) -> Option<Event> {
    let mut fields = datagram.split(|b| *b == 0);
    let head = fields.next()?;
    let head = std::str::from_utf8(head).ok()?;
    let (head_action, head_path) = head.split_once('@')?;
    let (mut action, mut devpath, mut subsystem, mut name, mut interface) =
        (head_action, head_path, "", "", "");
    for field in fields {
        let Ok(field) = std::str::from_utf8(field) else {
            continue;
        };
        match field.split_once('=') {
            Some(("ACTION", v)) => action = v,
            Some(("DEVPATH", v)) => devpath = v,
            Some(("SUBSYSTEM", v)) => subsystem = v,
            Some(("DEVNAME", v)) => name = v,
            Some(("INTERFACE", v)) => interface = v,
            _ => {}
        }
    }
    let name = if name.is_empty() { interface } else { name };
    Some(Event::new(Source::Uevent, action, subsystem, devpath, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uevents_are_parsed_and_hostile_names_escaped() {
        let msg = b"add@/devices/virtual/net/v0\0ACTION=add\0DEVPATH=/devices/virtual/net/v0\0SUBSYSTEM=net\0INTERFACE=v0\x1b[31m\0SEQNUM=5\0";
        let e = parse_uevent(msg).unwrap();
        assert_eq!(e.action, "add");
        assert_eq!(e.subsystem, "net");
        assert_eq!(e.device, "/devices/virtual/net/v0");
        assert_eq!(e.name, "v0\\x1b[31m");
        assert!(e.is_network() && e.is_arrival());
        assert!(parse_uevent(b"libudev\0\xfe\xed").is_none());
        assert!(parse_uevent(b"").is_none());
        let long = format!("add@/{}\0SUBSYSTEM=block\0", "x".repeat(10_000));
        assert!(
            parse_uevent(long.as_bytes())
                .unwrap()
                .device
                .chars()
                .count()
                <= MAX_FIELD_CHARS + 1
        );
    }
}
