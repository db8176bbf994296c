//! The inventory as text for a person at a terminal.
//!
//! Every string a device chose goes through [`display_safe`], so a product name carrying an
//! escape sequence shows up as `\x1b[2J` instead of clearing the screen.

use std::fmt::Write as _;

use super::network::{table_name, IfAddress, RouteKind};
use super::usb::UsbRef;
use super::Inventory;
use crate::text::{display_safe, DISPLAY_CHARS};

/// A device-supplied string, escaped and cut for one report line; `-` when absent.
pub fn shown(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => display_safe(v, DISPLAY_CHARS),
        _ => "-".to_string(),
    }
}

/// `1043:8012 "Generic Flash Disk" serial 123 port 5-1`.
pub fn usb_ids(usb: &UsbRef) -> String {
    let mut out = format!(
        "{}:{}",
        shown(usb.vendor_id.as_deref()),
        shown(usb.product_id.as_deref())
    );
    let name: Vec<&str> = [usb.manufacturer.as_deref(), usb.product.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !name.is_empty() {
        let _ = write!(out, " \"{}\"", display_safe(&name.join(" "), DISPLAY_CHARS));
    }
    if let Some(serial) = usb.serial.as_deref() {
        let _ = write!(out, " serial {}", shown(Some(serial)));
    }
    let _ = write!(out, " port {}", shown(Some(&usb.port)));
    out
}

pub fn size(bytes: Option<u64>) -> String {
    match bytes {
        None => "-".to_string(),
        Some(b) if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        Some(b) => format!("{:.1} MB", b as f64 / 1e6),
    }
}

fn addresses(list: &[IfAddress]) -> String {
    list.iter()
        .map(|a| format!("{}/{} ({})", a.address, a.prefix_len, a.scope))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn render(inv: &Inventory) -> String {
    let mut o = String::new();
    let h = &inv.host;
    let _ = writeln!(
        o,
        "Host     {}  machine-id {}  {}  kernel {}  isoguard {}",
        shown(h.hostname.as_deref()),
        shown(h.machine_id.as_deref()),
        shown(h.os.as_deref()),
        shown(h.kernel.as_deref()),
        h.agent_version
    );

    let _ = writeln!(o, "\nNetwork interfaces");
    for i in &inv.network.interfaces {
        let _ = writeln!(
            o,
            "  {:<12} {:<13} {:<9} {:<12} {:<17} {:<8} {}",
            shown(Some(&i.name)),
            i.kind.as_str(),
            i.bus.as_str(),
            shown(i.driver.as_deref()),
            shown(i.mac.as_deref()),
            shown(i.oper_state.as_deref()),
            addresses(&i.addresses)
        );
        if let Some(usb) = &i.usb {
            let _ = writeln!(o, "  {:<12} on USB {}", "", usb_ids(usb));
        }
    }
    let net = &inv.network;
    if !net.routes_known {
        let _ = writeln!(o, "  routes: unknown (routing table not readable)");
    }
    let source = net.route_source.map_or("-", |s| s.as_str());
    for r in net.routes.iter().filter(|r| r.kind == RouteKind::Unicast) {
        let gateway = r
            .gateway
            .map_or("no gateway".to_string(), |g| format!("via {g}"));
        let _ = writeln!(
            o,
            "  route {} {} {gateway} dev {} table {} metric {}",
            r.family,
            r.prefix(),
            shown(r.interface.as_deref()),
            table_name(r.table),
            r.metric
        );
    }
    if net.rules_known {
        for rule in &net.rules {
            let _ = writeln!(
                o,
                "  rule {} {}",
                rule.family,
                shown(Some(&rule.describe()))
            );
        }
    } else if net.routes_known {
        let _ = writeln!(
            o,
            "  rules: unknown (only the main table is known to be used)"
        );
    }
    let _ = writeln!(o, "  routes read from {source}");

    let _ = writeln!(o, "\nStorage");
    for d in &inv.storage.devices {
        let removable = match d.removable {
            Some(true) => "removable-media",
            Some(false) => "fixed-media",
            None => "media-unknown",
        };
        let _ = writeln!(
            o,
            "  {:<10} {:<8} {:<13} {:<11} {:<15} {:<9} {} {} serial {}",
            shown(Some(&d.name)),
            d.kind.as_str(),
            d.bus.as_str(),
            if d.hotplug { "hotplug" } else { "not-hotplug" },
            removable,
            size(d.size_bytes),
            shown(d.vendor.as_deref()),
            shown(d.model.as_deref()),
            shown(d.serial.as_deref()),
        );
        if let Some(usb) = &d.usb {
            let _ = writeln!(o, "  {:<10} on USB {}", "", usb_ids(usb));
        }
        for m in d.all_mounts() {
            let _ = writeln!(
                o,
                "  {:<10} mounted {} ({}, {})",
                "",
                shown(Some(&m.mount_point)),
                shown(Some(&m.fs_type)),
                if m.read_only { "ro" } else { "rw" }
            );
        }
    }

    let _ = writeln!(o, "\nUSB devices");
    for u in inv.usb.devices.iter().filter(|u| !u.root_hub) {
        let kinds: Vec<&str> = u.kinds.iter().map(|k| k.as_str()).collect();
        let _ = writeln!(o, "  {}  [{}]", usb_ids(&u.ids()), kinds.join(", "));
    }

    let _ = writeln!(o, "\nSound cards");
    for c in &inv.audio.cards {
        let _ = writeln!(
            o,
            "  card{} {:<10} {:<28} {:<5} {:<16} capture: {}  playback: {}",
            c.index,
            shown(c.id.as_deref()),
            shown(c.name.as_deref()),
            c.bus.as_str(),
            shown(c.driver.as_deref()),
            if c.capture.is_empty() {
                "-".to_string()
            } else {
                c.capture.join(" ")
            },
            if c.playback.is_empty() {
                "-".to_string()
            } else {
                c.playback.join(" ")
            },
        );
    }

    let _ = writeln!(o, "\nVideo devices");
    for v in &inv.video.devices {
        let _ = writeln!(
            o,
            "  {:<8} {:<32} {:<5} {:<10} capture: {}",
            shown(Some(&v.name)),
            shown(v.label.as_deref()),
            v.bus.as_str(),
            shown(v.driver.as_deref()),
            v.capture
        );
    }

    let _ = writeln!(o, "\nRadios");
    let w = &inv.wireless;
    for (kind, list) in w.by_kind() {
        for r in list {
            let _ = writeln!(
                o,
                "  {:<10} {:<10} {:<9} {:<5} {:<12} {}  ({})",
                kind,
                shown(Some(&r.name)),
                shown(r.interface.as_deref()),
                r.bus.as_str(),
                shown(r.driver.as_deref()),
                r.usb.as_ref().map(usb_ids).unwrap_or_default(),
                r.detected_by.join(", ")
            );
        }
    }
    for s in &w.rfkill {
        let state = |v: Option<bool>| match v {
            Some(true) => "blocked",
            Some(false) => "unblocked",
            None => "?",
        };
        let _ = writeln!(
            o,
            "  rfkill     {:<10} {:<10} {:<22} soft {} hard {}",
            shown(Some(&s.name)),
            shown(s.radio_type.as_deref()),
            shown(s.label.as_deref()),
            state(s.soft_blocked),
            state(s.hard_blocked)
        );
    }

    let problems = inv.problems();
    if !problems.is_empty() {
        let _ = writeln!(o, "\nCould not read");
        for (section, p) in problems {
            let _ = writeln!(
                o,
                "  [{section}] {}: {}",
                display_safe(&p.path, 200),
                display_safe(&p.error, 200)
            );
        }
    }
    o
}
