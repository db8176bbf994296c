//! The inventory as text for a person at a terminal: one titled table per section, with
//! column headers, and "none" where the machine has nothing of a kind, in the reader's
//! language.
//!
//! Every string a device chose goes through [`display_safe`], so a product name carrying an
//! escape sequence shows up as `\x1b[2J` instead of clearing the screen.

use std::fmt::Write as _;

use super::history::{Coverage, HistorySection};
use super::network::{table_name, IfAddress, RouteKind};
use super::usb::UsbRef;
use super::Inventory;
use crate::i18n::{Lang, Msg};
use crate::text::{display_safe, display_width, DISPLAY_CHARS};

/// A device-supplied string, escaped and cut for one report line; `-` when absent.
pub fn shown(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => display_safe(v, DISPLAY_CHARS),
        _ => "-".to_string(),
    }
}

fn ids(usb: &UsbRef) -> String {
    format!(
        "{}:{}",
        shown(usb.vendor_id.as_deref()),
        shown(usb.product_id.as_deref())
    )
}

fn usb_name(usb: &UsbRef) -> String {
    let name: Vec<&str> = [usb.manufacturer.as_deref(), usb.product.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if name.is_empty() {
        "-".to_string()
    } else {
        display_safe(&name.join(" "), DISPLAY_CHARS)
    }
}

/// `1043:8012 "Generic Flash Disk" serial 123 port 5-1`, the labels in the reader's language.
fn usb_line(usb: &UsbRef, lang: Lang) -> String {
    let mut out = format!("USB {} \"{}\"", ids(usb), usb_name(usb));
    if let Some(serial) = usb.serial.as_deref() {
        let _ = write!(
            out,
            "  {}",
            Msg::EvidenceSerial
                .with("value", shown(Some(serial)))
                .render(lang)
        );
    }
    let _ = write!(
        out,
        "  {}",
        Msg::EvidencePort
            .with("value", shown(Some(&usb.port)))
            .render(lang)
    );
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
    if list.is_empty() {
        return "-".to_string();
    }
    list.iter()
        .map(|a| format!("{}/{} ({})", a.address, a.prefix_len, a.scope))
        .collect::<Vec<_>>()
        .join(", ")
}

fn yes_no(value: Option<bool>, lang: Lang) -> String {
    match value {
        Some(true) => Msg::Yes.text(lang),
        Some(false) => Msg::No.text(lang),
        None => "?".to_string(),
    }
}

fn list_or_dash(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(" ")
    }
}

/// Rows under their headers, columns as wide as their widest cell (Chinese characters count
/// twice), the last column left ragged. Extra lines under a row (`(row, extra)`) are indented
/// below it.
struct Table {
    headers: Vec<String>,
    rows: Vec<(Vec<String>, Vec<String>)>,
}

impl Table {
    fn new(headers: &[Msg], lang: Lang) -> Table {
        Table {
            headers: headers.iter().map(|m| m.text(lang)).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) -> &mut Vec<String> {
        self.rows.push((cells, Vec::new()));
        let last = self.rows.len() - 1;
        &mut self.rows[last].1
    }

    fn write(&self, o: &mut String, lang: Lang) {
        if self.rows.is_empty() {
            let _ = writeln!(o, "  {}", Msg::InventoryNone.text(lang));
            return;
        }
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| display_width(h)).collect();
        for (cells, _) in &self.rows {
            for (i, cell) in cells.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(display_width(cell));
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::from(" ");
            for (i, cell) in cells.iter().enumerate() {
                out.push(' ');
                out.push_str(cell);
                if i + 1 < cells.len() {
                    out.push_str(&" ".repeat(widths[i].saturating_sub(display_width(cell)) + 1));
                }
            }
            out.trim_end().to_string()
        };
        let _ = writeln!(o, "{}", line(&self.headers));
        for (cells, extra) in &self.rows {
            let _ = writeln!(o, "{}", line(cells));
            for more in extra {
                let _ = writeln!(o, "      {more}");
            }
        }
    }
}

fn heading(o: &mut String, msg: Msg, lang: Lang) {
    let _ = writeln!(o, "\n{}", msg.text(lang));
}

pub fn render(inv: &Inventory, lang: Lang) -> String {
    let mut o = String::new();
    let h = &inv.host;
    let host = Msg::InventoryHost
        .with("hostname", shown(h.hostname.as_deref()))
        .arg("machine_id", shown(h.machine_id.as_deref()))
        .arg("os", shown(h.os.as_deref()))
        .arg("kernel", shown(h.kernel.as_deref()))
        .arg("version", &h.agent_version);
    let _ = writeln!(o, "{}", host.render(lang));

    network(inv, lang, &mut o);
    storage(inv, lang, &mut o);

    heading(&mut o, Msg::InventoryUsb, lang);
    let mut t = Table::new(
        &[
            Msg::ColPort,
            Msg::ColId,
            Msg::ColName,
            Msg::ColSerial,
            Msg::ColKinds,
        ],
        lang,
    );
    for u in inv.usb.devices.iter().filter(|u| !u.root_hub) {
        let usb = u.ids();
        let kinds: Vec<String> = u.kinds.iter().map(|k| k.as_str().to_string()).collect();
        t.row(vec![
            shown(Some(&u.port)),
            ids(&usb),
            usb_name(&usb),
            shown(usb.serial.as_deref()),
            list_or_dash(&kinds),
        ]);
    }
    t.write(&mut o, lang);

    heading(&mut o, Msg::InventorySound, lang);
    let mut t = Table::new(
        &[
            Msg::ColCard,
            Msg::ColId,
            Msg::ColName,
            Msg::ColBus,
            Msg::ColDriver,
            Msg::ColCapture,
            Msg::ColPlayback,
        ],
        lang,
    );
    for c in &inv.audio.cards {
        let extra = t.row(vec![
            format!("card{}", c.index),
            shown(c.id.as_deref()),
            shown(c.name.as_deref()),
            c.bus.as_str().to_string(),
            shown(c.driver.as_deref()),
            list_or_dash(&c.capture),
            list_or_dash(&c.playback),
        ]);
        extra.extend(c.usb.as_ref().map(|u| usb_line(u, lang)));
    }
    t.write(&mut o, lang);

    heading(&mut o, Msg::InventoryVideo, lang);
    let mut t = Table::new(
        &[
            Msg::ColName,
            Msg::ColLabel,
            Msg::ColBus,
            Msg::ColDriver,
            Msg::ColCapture,
        ],
        lang,
    );
    for v in &inv.video.devices {
        let extra = t.row(vec![
            shown(Some(&v.name)),
            shown(v.label.as_deref()),
            v.bus.as_str().to_string(),
            shown(v.driver.as_deref()),
            v.capture.as_str().to_string(),
        ]);
        extra.extend(v.usb.as_ref().map(|u| usb_line(u, lang)));
    }
    t.write(&mut o, lang);

    radios(inv, lang, &mut o);
    if let Some(history) = &inv.history {
        history_summary(history, lang, &mut o);
    }

    let problems = inv.problems();
    if !problems.is_empty() {
        heading(&mut o, Msg::InventoryUnread, lang);
        for (section, p) in problems {
            let error = match (lang, &p.error_zh) {
                (Lang::Zh, Some(zh)) => zh,
                _ => &p.error,
            };
            let _ = writeln!(
                o,
                "  [{section}] {}: {}",
                display_safe(&p.path, 200),
                display_safe(error, 200)
            );
        }
    }
    o
}

fn network(inv: &Inventory, lang: Lang, o: &mut String) {
    let net = &inv.network;
    heading(o, Msg::InventoryInterfaces, lang);
    let mut t = Table::new(
        &[
            Msg::ColName,
            Msg::ColKind,
            Msg::ColBus,
            Msg::ColDriver,
            Msg::ColMac,
            Msg::ColState,
            Msg::ColAddresses,
        ],
        lang,
    );
    for i in &net.interfaces {
        let extra = t.row(vec![
            shown(Some(&i.name)),
            i.kind.as_str().to_string(),
            i.bus.as_str().to_string(),
            shown(i.driver.as_deref()),
            shown(i.mac.as_deref()),
            shown(i.oper_state.as_deref()),
            addresses(&i.addresses),
        ]);
        extra.extend(i.usb.as_ref().map(|u| usb_line(u, lang)));
    }
    t.write(o, lang);

    heading(o, Msg::InventoryRoutes, lang);
    if net.routes_known {
        let mut t = Table::new(
            &[
                Msg::ColFamily,
                Msg::ColDestination,
                Msg::ColGateway,
                Msg::ColDevice,
                Msg::ColTable,
                Msg::ColMetric,
            ],
            lang,
        );
        for r in net.routes.iter().filter(|r| r.kind == RouteKind::Unicast) {
            t.row(vec![
                r.family.as_str().to_string(),
                r.prefix().to_string(),
                r.gateway.map_or("-".to_string(), |g| g.to_string()),
                shown(r.interface.as_deref()),
                table_name(r.table),
                r.metric.to_string(),
            ]);
        }
        t.write(o, lang);
        let source = net.route_source.map_or("-", |s| s.as_str());
        let _ = writeln!(
            o,
            "  {}",
            Msg::InventoryRoutesFrom.with("source", source).render(lang)
        );
    } else {
        let _ = writeln!(o, "  {}", Msg::InventoryRoutesUnknown.text(lang));
    }
    if net.rules_known {
        heading(o, Msg::InventoryRules, lang);
        let mut t = Table::new(&[Msg::ColFamily, Msg::ColRule], lang);
        for rule in &net.rules {
            t.row(vec![
                rule.family.as_str().to_string(),
                shown(Some(&rule.describe())),
            ]);
        }
        t.write(o, lang);
    } else if net.routes_known {
        let _ = writeln!(o, "  {}", Msg::InventoryRulesUnknown.text(lang));
    }

    heading(o, Msg::InventoryDns, lang);
    if net.dns_servers.is_empty() {
        let _ = writeln!(o, "  {}", Msg::InventoryNone.text(lang));
    }
    for server in &net.dns_servers {
        let _ = writeln!(o, "  {server}");
    }
}

fn storage(inv: &Inventory, lang: Lang, o: &mut String) {
    heading(o, Msg::InventoryStorage, lang);
    let mut t = Table::new(
        &[
            Msg::ColName,
            Msg::ColKind,
            Msg::ColBus,
            Msg::ColHotplug,
            Msg::ColRemovable,
            Msg::ColSize,
            Msg::ColVendor,
            Msg::ColModel,
            Msg::ColSerial,
        ],
        lang,
    );
    for d in &inv.storage.devices {
        let extra = t.row(vec![
            shown(Some(&d.name)),
            d.kind.as_str().to_string(),
            d.bus.as_str().to_string(),
            yes_no(Some(d.hotplug), lang),
            yes_no(d.removable, lang),
            size(d.size_bytes),
            shown(d.vendor.as_deref()),
            shown(d.model.as_deref()),
            shown(d.serial.as_deref()),
        ]);
        extra.extend(d.usb.as_ref().map(|u| usb_line(u, lang)));
        for m in d.all_mounts() {
            let mounted = if m.read_only {
                Msg::InventoryMountedRo
            } else {
                Msg::InventoryMountedRw
            };
            extra.push(
                mounted
                    .with("mount_point", shown(Some(&m.mount_point)))
                    .arg("fs", shown(Some(&m.fs_type)))
                    .render(lang),
            );
        }
    }
    t.write(o, lang);
}

fn radios(inv: &Inventory, lang: Lang, o: &mut String) {
    let w = &inv.wireless;
    heading(o, Msg::InventoryRadios, lang);
    let mut t = Table::new(
        &[
            Msg::ColKind,
            Msg::ColName,
            Msg::ColInterface,
            Msg::ColBus,
            Msg::ColDriver,
            Msg::ColFoundBy,
        ],
        lang,
    );
    for (kind, list) in w.by_kind() {
        for r in list {
            let extra = t.row(vec![
                kind.as_str().to_string(),
                shown(Some(&r.name)),
                shown(r.interface.as_deref()),
                r.bus.as_str().to_string(),
                shown(r.driver.as_deref()),
                r.detected_by.join(", "),
            ]);
            extra.extend(r.usb.as_ref().map(|u| usb_line(u, lang)));
        }
    }
    t.write(o, lang);
    if !w.rfkill.is_empty() {
        heading(o, Msg::InventoryRfkill, lang);
        let mut t = Table::new(
            &[
                Msg::ColName,
                Msg::ColKind,
                Msg::ColLabel,
                Msg::ColSoftBlocked,
                Msg::ColHardBlocked,
            ],
            lang,
        );
        for s in &w.rfkill {
            t.row(vec![
                shown(Some(&s.name)),
                shown(s.radio_type.as_deref()),
                shown(s.label.as_deref()),
                yes_no(s.soft_blocked, lang),
                yes_no(s.hard_blocked, lang),
            ]);
        }
        t.write(o, lang);
    }
}

fn history_summary(history: &HistorySection, lang: Lang, o: &mut String) {
    heading(o, Msg::InventoryHistory, lang);
    let partial = history
        .sources
        .iter()
        .filter(|s| matches!(s.coverage, Coverage::Partial | Coverage::NotRead))
        .count();
    let summary = Msg::InventoryHistorySummary
        .with("days", history.window.days)
        .arg("devices", history.devices.len())
        .arg("profiles", history.profiles.len())
        .arg("leases", history.leases.len())
        .arg("pairings", history.pairings.len())
        .arg("sources", history.sources.len())
        .arg("partial", partial);
    let _ = writeln!(o, "  {}", summary.render(lang));
}
