//! From kernel messages to device sightings.
//!
//! The kernel announces a connection with "new ... USB device number N" on a port, then
//! names the device, then its drivers say what they made of it, and finally "USB
//! disconnect, device number N". A port is reused by other devices, so a sighting is one
//! such episode, not a port: the messages of one record stream (a log family, a journal)
//! are replayed in order, and each "new device" message opens a new sighting on its port.
//! Messages whose "new device" line was not read (it was older than what was read) still
//! open a sighting, marked as such, rather than being lost.
//!
//! The same episode is often in several records (the journal, `kern.log` and `syslog` all
//! carry the kernel's messages); [`merge`] joins sightings of the same port, device number
//! and identifiers that began within a few minutes of each other.

use std::collections::HashMap;
use std::sync::Arc;

use super::kernel::{self, Event};
use crate::inventory::history::{DeviceKind, DeviceSighting, Evidence, Timestamp};

/// One kernel message with where it came from.
#[derive(Debug, Clone)]
pub struct Record {
    pub source: Arc<str>,
    pub line: Option<u64>,
    pub offset: Option<u64>,
    pub cursor: Option<String>,
    pub time: Option<Timestamp>,
    pub uptime: Option<u64>,
    pub boot: Option<String>,
    pub message: String,
    pub event: Event,
}

/// Replays one stream of records, oldest first.
pub struct Aggregator {
    sightings: Vec<DeviceSighting>,
    /// Open sighting per port.
    open: HashMap<String, usize>,
    /// SCSI host number to the sighting whose storage driver made it.
    hosts: HashMap<u32, usize>,
    /// Sighting per port that was just disconnected: drivers' teardown messages follow the
    /// disconnect and belong to it, not to a new connection.
    closed: HashMap<String, usize>,
    last_connect: Option<usize>,
    boot: Option<String>,
    last_uptime: Option<u64>,
    max_evidence: usize,
}

impl Aggregator {
    pub fn new(max_evidence: usize) -> Aggregator {
        Aggregator {
            sightings: Vec::new(),
            open: HashMap::new(),
            hosts: HashMap::new(),
            closed: HashMap::new(),
            last_connect: None,
            boot: None,
            last_uptime: None,
            max_evidence,
        }
    }

    /// Forgets open connections: after a reboot, port and device numbers start over.
    fn new_boot(&mut self) {
        self.open.clear();
        self.hosts.clear();
        self.closed.clear();
        self.last_connect = None;
    }

    pub fn push(&mut self, record: Record) {
        if record.boot.is_some() && record.boot != self.boot {
            self.new_boot();
            self.boot.clone_from(&record.boot);
        }
        if let (Some(now), Some(before)) = (record.uptime, self.last_uptime) {
            // Uptime going back by more than a second is a reboot between two lines.
            if now + 1_000_000 < before {
                self.new_boot();
            }
        }
        if record.uptime.is_some() {
            self.last_uptime = record.uptime;
        }
        let idx = match &record.event {
            Event::Boot => {
                self.new_boot();
                None
            }
            Event::Connect {
                port,
                speed,
                number,
            } => {
                self.closed.remove(port);
                let idx = self.start(Some(port.clone()), &record);
                let s = &mut self.sightings[idx];
                s.connect_seen = true;
                s.speed.clone_from(speed);
                s.device_number = *number;
                self.last_connect = Some(idx);
                Some(idx)
            }
            Event::Disconnect { port, number } => {
                let idx = match self.open.get(port) {
                    Some(&i) if same_number(self.sightings[i].device_number, *number) => i,
                    _ => {
                        let i = self.start(Some(port.clone()), &record);
                        self.sightings[i].device_number = *number;
                        i
                    }
                };
                self.sightings[idx].disconnect_seen = true;
                self.open.remove(port);
                self.closed.insert(port.clone(), idx);
                Some(idx)
            }
            Event::Ids {
                port,
                vendor,
                product,
                release,
            } => {
                let mut idx = self.current(port, &record);
                let s = &self.sightings[idx];
                let conflicting = s.vendor_id.as_ref().is_some_and(|v| v != vendor)
                    || s.product_id.as_ref().is_some_and(|p| p != product);
                if conflicting {
                    // Another device on the port whose "new device" message was not read.
                    idx = self.start(Some(port.clone()), &record);
                }
                let s = &mut self.sightings[idx];
                s.vendor_id = Some(vendor.clone());
                s.product_id = Some(product.clone());
                if s.release.is_none() {
                    s.release.clone_from(release);
                }
                Some(idx)
            }
            Event::Product { port, value } => {
                let idx = self.current(port, &record);
                fill(&mut self.sightings[idx].product, value);
                Some(idx)
            }
            Event::Manufacturer { port, value } => {
                let idx = self.current(port, &record);
                fill(&mut self.sightings[idx].manufacturer, value);
                Some(idx)
            }
            Event::Serial { port, value } => {
                let idx = self.current(port, &record);
                fill(&mut self.sightings[idx].serial, value);
                Some(idx)
            }
            Event::Kind {
                port,
                ids,
                kind,
                attached,
            } => {
                let idx = match (port, ids) {
                    (Some(port), _) => self.current(port, &record),
                    (None, Some((v, p))) => match self.open_with_ids(v, p) {
                        Some(i) => i,
                        None => {
                            let i = self.start(None, &record);
                            self.sightings[i].vendor_id = Some(v.clone());
                            self.sightings[i].product_id = Some(p.clone());
                            i
                        }
                    },
                    (None, None) => return,
                };
                add_kind(&mut self.sightings[idx], *kind, attached.as_deref());
                Some(idx)
            }
            Event::ScsiHost { host, port } => {
                let idx = match port {
                    Some(port) => Some(self.current(port, &record)),
                    // `scsi hostN: uas` names no port: it belongs to the device that just
                    // connected, if one is still open.
                    None => self
                        .last_connect
                        .filter(|i| self.open.values().any(|o| o == i)),
                };
                if let Some(idx) = idx {
                    self.hosts.insert(*host, idx);
                    add_kind(&mut self.sightings[idx], DeviceKind::Storage, None);
                }
                idx
            }
            Event::ScsiDisk { host, disk } => {
                // Only disks on a SCSI host a USB storage driver made: `sda` on the SATA
                // controller is not a USB device.
                let idx = self.hosts.get(host).copied();
                if let Some(idx) = idx {
                    add_kind(&mut self.sightings[idx], DeviceKind::Storage, Some(disk));
                }
                idx
            }
            Event::Mtp { bus, number } => {
                let prefix = format!("{bus}-");
                let idx = self.open.values().copied().find(|&i| {
                    let s = &self.sightings[i];
                    s.device_number == Some(*number)
                        && s.port.as_deref().is_some_and(|p| p.starts_with(&prefix))
                });
                if let Some(idx) = idx {
                    add_kind(&mut self.sightings[idx], DeviceKind::Phone, None);
                }
                idx
            }
        };
        if let Some(idx) = idx {
            self.witness(idx, &record);
        }
    }

    /// Opens a new sighting (closing the port's previous one).
    fn start(&mut self, port: Option<String>, record: &Record) -> usize {
        let idx = self.sightings.len();
        self.sightings.push(DeviceSighting {
            port: port.clone(),
            device_number: None,
            vendor_id: None,
            product_id: None,
            release: None,
            manufacturer: None,
            product: None,
            serial: None,
            speed: None,
            kinds: Vec::new(),
            attached: Vec::new(),
            first_seen: None,
            last_seen: None,
            connect_seen: false,
            disconnect_seen: false,
            boot_id: record.boot.clone(),
            evidence: Vec::new(),
            evidence_omitted: 0,
        });
        if let Some(port) = port {
            self.open.insert(port, idx);
        }
        idx
    }

    /// The open sighting on a port, or a new one when the connection began unseen.
    fn current(&mut self, port: &str, record: &Record) -> usize {
        if let Some(&idx) = self.open.get(port) {
            return idx;
        }
        if let Some(&idx) = self.closed.get(port) {
            let last = self.sightings[idx].last_seen.map(|t| t.unix_micros);
            let now = record.time.map(|t| t.unix_micros);
            if let (Some(last), Some(now)) = (last, now) {
                if (0..=TEARDOWN_MICROS).contains(&(now - last)) {
                    return idx;
                }
            }
        }
        self.start(Some(port.to_string()), record)
    }

    fn open_with_ids(&self, vendor: &str, product: &str) -> Option<usize> {
        self.open
            .values()
            .copied()
            .filter(|&i| {
                let s = &self.sightings[i];
                s.vendor_id.as_deref() == Some(vendor) && s.product_id.as_deref() == Some(product)
            })
            .max()
    }

    fn witness(&mut self, idx: usize, record: &Record) {
        let max = self.max_evidence;
        let s = &mut self.sightings[idx];
        if let Some(time) = record.time {
            s.first_seen = Some(s.first_seen.map_or(time, |t| t.min(time)));
            s.last_seen = Some(s.last_seen.map_or(time, |t| t.max(time)));
        }
        if s.evidence.len() < max {
            s.evidence.push(evidence(record));
        } else {
            s.evidence_omitted = s.evidence_omitted.saturating_add(1);
        }
    }

    pub fn finish(mut self) -> Vec<DeviceSighting> {
        for s in &mut self.sightings {
            if let Some(product) = &s.product {
                for kind in kernel::kinds_from_name(product) {
                    add_kind(s, kind, None);
                }
            }
        }
        self.sightings
    }
}

fn evidence(record: &Record) -> Evidence {
    Evidence {
        source: record.source.to_string(),
        line: record.line,
        cursor: record.cursor.clone(),
        offset: record.offset,
        time: record.time,
        uptime_micros: record.uptime,
        message: record.message.clone(),
    }
}

fn same_number(a: Option<u32>, b: Option<u32>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

fn fill(slot: &mut Option<String>, value: &str) {
    if slot.is_none() {
        *slot = Some(value.to_string());
    }
}

fn add_kind(s: &mut DeviceSighting, kind: DeviceKind, attached: Option<&str>) {
    if !s.kinds.contains(&kind) {
        s.kinds.push(kind);
        s.kinds.sort();
    }
    if let Some(name) = attached {
        if !s.attached.iter().any(|a| a == name) {
            s.attached.push(name.to_string());
        }
    }
}

/// How long after a disconnect a driver's messages about the port are its teardown.
const TEARDOWN_MICROS: i64 = 10 * 1_000_000;

/// How far apart two records of one connection may date it: syslog daemons stamp early
/// boot messages when they read them, tens of seconds after the journal did.
const SAME_EPISODE_MICROS: i64 = 10 * 60 * 1_000_000;

/// Joins sightings of the same connection found in different records.
pub fn merge(mut all: Vec<DeviceSighting>, max_evidence: usize) -> Vec<DeviceSighting> {
    all.sort_by_key(|s| s.first_seen.map(|t| t.unix_micros));
    let mut out: Vec<DeviceSighting> = Vec::new();
    let mut by_key: HashMap<(Option<String>, Option<u32>), Vec<usize>> = HashMap::new();
    for s in all {
        let key = (s.port.clone(), s.device_number);
        let candidates = by_key.entry(key).or_default();
        let found = candidates
            .iter()
            .copied()
            .find(|&i| same_episode(&out[i], &s));
        match found {
            Some(i) => absorb(&mut out[i], s, max_evidence),
            None => {
                candidates.push(out.len());
                out.push(s);
            }
        }
    }
    out
}

fn same_episode(a: &DeviceSighting, b: &DeviceSighting) -> bool {
    if a.port.is_none() || a.device_number.is_none() {
        return false;
    }
    let agree = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    if !agree(&a.vendor_id, &b.vendor_id)
        || !agree(&a.product_id, &b.product_id)
        || !agree(&a.serial, &b.serial)
        || !agree(&a.boot_id, &b.boot_id)
    {
        return false;
    }
    match (a.first_seen, b.first_seen) {
        (Some(x), Some(y)) => (x.unix_micros - y.unix_micros).abs() <= SAME_EPISODE_MICROS,
        _ => false,
    }
}

fn absorb(into: &mut DeviceSighting, from: DeviceSighting, max_evidence: usize) {
    let take = |slot: &mut Option<String>, value: Option<String>| {
        if slot.is_none() {
            *slot = value;
        }
    };
    take(&mut into.vendor_id, from.vendor_id);
    take(&mut into.product_id, from.product_id);
    take(&mut into.release, from.release);
    take(&mut into.manufacturer, from.manufacturer);
    take(&mut into.product, from.product);
    take(&mut into.serial, from.serial);
    take(&mut into.speed, from.speed);
    take(&mut into.boot_id, from.boot_id);
    for kind in from.kinds {
        add_kind(into, kind, None);
    }
    for name in from.attached {
        if !into.attached.contains(&name) {
            into.attached.push(name);
        }
    }
    into.first_seen = min_time(into.first_seen, from.first_seen);
    into.last_seen = max_time(into.last_seen, from.last_seen);
    into.connect_seen |= from.connect_seen;
    into.disconnect_seen |= from.disconnect_seen;
    let mut evidence = std::mem::take(&mut into.evidence);
    evidence.extend(from.evidence);
    evidence.sort_by(|a, b| {
        (a.time.map(|t| t.unix_micros), &a.source, a.line, a.offset).cmp(&(
            b.time.map(|t| t.unix_micros),
            &b.source,
            b.line,
            b.offset,
        ))
    });
    let omitted = evidence.len().saturating_sub(max_evidence);
    evidence.truncate(max_evidence);
    into.evidence = evidence;
    into.evidence_omitted = into
        .evidence_omitted
        .saturating_add(from.evidence_omitted)
        .saturating_add(u32::try_from(omitted).unwrap_or(u32::MAX));
}

fn min_time(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_time(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay(lines: &[(i64, &str)]) -> Vec<DeviceSighting> {
        let source: Arc<str> = Arc::from("/var/log/kern.log");
        let mut agg = Aggregator::new(8);
        for (n, (secs, message)) in lines.iter().enumerate() {
            if let Some(event) = kernel::parse(message) {
                agg.push(Record {
                    source: source.clone(),
                    line: Some(n as u64 + 1),
                    offset: None,
                    cursor: None,
                    time: Some(Timestamp::exact(secs * 1_000_000)),
                    uptime: None,
                    boot: None,
                    message: message.to_string(),
                    event,
                });
            }
        }
        agg.finish()
    }

    const STICK: &[(i64, &str)] = &[
        (
            100,
            "usb 4-2: new SuperSpeed USB device number 3 using xhci_hcd",
        ),
        (
            100,
            "usb 4-2: New USB device found, idVendor=1f75, idProduct=0621, bcdDevice= 0.01",
        ),
        (100, "usb 4-2: SerialNumber: 20161018"),
        (100, "usb-storage 4-2:1.0: USB Mass Storage device detected"),
        (100, "scsi host9: usb-storage 4-2:1.0"),
        (103, "sd 0:0:0:0: [sda] Attached SCSI disk"),
        (103, "sd 9:0:0:0: [sdc] Attached SCSI disk"),
        (190, "usb 4-2: USB disconnect, device number 3"),
    ];

    #[test]
    fn one_connection_is_one_sighting() {
        let seen = replay(STICK);
        assert_eq!(seen.len(), 1, "{seen:#?}");
        let s = &seen[0];
        assert_eq!(s.port.as_deref(), Some("4-2"));
        assert_eq!(s.device_number, Some(3));
        assert_eq!(s.vid_pid().as_deref(), Some("1f75:0621"));
        assert_eq!(s.serial.as_deref(), Some("20161018"));
        assert_eq!(s.kinds, vec![DeviceKind::Storage]);
        // sda is on another SCSI host: not this device's.
        assert_eq!(s.attached, vec!["sdc".to_string()]);
        assert_eq!(s.first_seen.unwrap().unix_seconds(), 100);
        assert_eq!(s.last_seen.unwrap().unix_seconds(), 190);
        assert!(s.connect_seen && s.disconnect_seen);
        assert_eq!(s.evidence.len(), 7);
        assert_eq!(s.evidence[0].line, Some(1));
    }

    #[test]
    fn a_reused_port_is_two_sightings() {
        let seen = replay(&[
            (10, "usb 1-2: new high-speed USB device number 5 using xhci_hcd"),
            (10, "usb 1-2: New USB device found, idVendor=0781, idProduct=5583"),
            (20, "usb 1-2: USB disconnect, device number 5"),
            (30, "usb 1-2: new high-speed USB device number 6 using xhci_hcd"),
            (30, "usb 1-2: New USB device found, idVendor=18d1, idProduct=4ee7"),
            (30, "rndis_host 1-2:1.0 usb0: register 'rndis_host' at usb-0000:00:14.0-2, RNDIS device, 02:00:00:00:00:01"),
        ]);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].vid_pid().as_deref(), Some("0781:5583"));
        assert_eq!(seen[1].vid_pid().as_deref(), Some("18d1:4ee7"));
        assert_eq!(seen[1].kinds, vec![DeviceKind::Phone]);
        assert_eq!(seen[1].attached, vec!["usb0".to_string()]);
        assert!(!seen[1].disconnect_seen);
    }

    #[test]
    fn messages_without_their_connect_line_still_count() {
        let seen = replay(&[
            (10, "usb 1-2: SerialNumber: ABC"),
            (20, "usb 1-2: USB disconnect, device number 9"),
        ]);
        assert_eq!(seen.len(), 1);
        assert!(!seen[0].connect_seen);
        assert_eq!(seen[0].serial.as_deref(), Some("ABC"));
        assert_eq!(seen[0].device_number, None);
    }

    #[test]
    fn teardown_after_disconnect_stays_with_its_connection() {
        let seen = replay(&[
            (
                10,
                "usb 1-4: new high-speed USB device number 6 using xhci_hcd",
            ),
            (20, "usb 1-4: USB disconnect, device number 6"),
            (
                20,
                "rndis_host 1-4:1.0 usb0: unregister 'rndis_host' usb-0000:00:14.0-4, RNDIS device",
            ),
            (90, "usb 1-4: SerialNumber: LATER"),
        ]);
        assert_eq!(seen.len(), 2, "{seen:#?}");
        assert_eq!(seen[0].evidence.len(), 3);
        assert_eq!(seen[1].serial.as_deref(), Some("LATER"));
    }

    #[test]
    fn different_ids_on_an_open_port_are_another_device() {
        let seen = replay(&[
            (
                10,
                "usb 1-2: New USB device found, idVendor=0781, idProduct=5583",
            ),
            (
                20,
                "usb 1-2: New USB device found, idVendor=18d1, idProduct=4ee7",
            ),
        ]);
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn a_reboot_closes_open_connections() {
        let seen = replay(&[
            (
                10,
                "usb 1-2: new high-speed USB device number 5 using xhci_hcd",
            ),
            (20, "Linux version 6.1.0-18-amd64"),
            (30, "usb 1-2: SerialNumber: ABC"),
        ]);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].serial, None);
    }

    #[test]
    fn portless_camera_message_finds_its_device_by_ids() {
        let seen = replay(&[
            (
                10,
                "usb 1-5: new high-speed USB device number 4 using xhci_hcd",
            ),
            (
                10,
                "usb 1-5: New USB device found, idVendor=13d3, idProduct=5702",
            ),
            (
                11,
                "uvcvideo: Found UVC 1.00 device USB2.0 UVC VGA WebCam (13d3:5702)",
            ),
        ]);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].kinds, vec![DeviceKind::Camera]);
    }

    #[test]
    fn evidence_is_bounded_and_counted() {
        let mut lines = vec![(
            1,
            "usb 1-2: new high-speed USB device number 5 using xhci_hcd",
        )];
        lines.extend(std::iter::repeat_n((2, "usb 1-2: SerialNumber: X"), 20));
        let seen = replay(&lines);
        assert_eq!(seen[0].evidence.len(), 8);
        assert_eq!(seen[0].evidence_omitted, 13);
    }

    #[test]
    fn the_same_episode_in_two_records_merges() {
        let a = replay(STICK);
        let mut b = replay(STICK);
        for e in &mut b[0].evidence {
            e.source = "/var/log/syslog".into();
        }
        // syslog stamped it 40 s later.
        b[0].first_seen = b[0]
            .first_seen
            .map(|t| Timestamp::exact(t.unix_micros + 40_000_000));
        let merged = merge([a, b].concat(), 24);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].evidence.len(), 14);
        assert!(merged[0]
            .evidence
            .iter()
            .any(|e| e.source == "/var/log/syslog"));
        // A day apart is another connection.
        let mut c = replay(STICK);
        c[0].first_seen = c[0]
            .first_seen
            .map(|t| Timestamp::exact(t.unix_micros + 86_400_000_000));
        assert_eq!(merge([replay(STICK), c].concat(), 24).len(), 2);
    }
}
