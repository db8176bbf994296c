//! Kernel messages about USB devices, one message at a time.
//!
//! The kernel prefixes a device's messages with its driver and device name
//! (`usb 1-2: ...`, `usb-storage 1-2:1.0: ...`, `rndis_host 1-2:1.0 usb0: ...`), and the
//! device name of a USB device is its port path, which is what ties the messages of one
//! connection together. Only message shapes the kernel has printed for years are
//! understood; anything else is `None`, never a guess. Values such as product strings are
//! chosen by the device and taken to the end of the line as they are.

use crate::inventory::history::DeviceKind;

/// What one message says about a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `usb 1-2: new high-speed USB device number 5 using xhci_hcd`
    Connect {
        port: String,
        speed: Option<String>,
        number: Option<u32>,
    },
    /// `usb 1-2: New USB device found, idVendor=0781, idProduct=5583, bcdDevice= 1.00`
    Ids {
        port: String,
        vendor: String,
        product: String,
        release: Option<String>,
    },
    Product {
        port: String,
        value: String,
    },
    Manufacturer {
        port: String,
        value: String,
    },
    Serial {
        port: String,
        value: String,
    },
    /// `usb 1-2: USB disconnect, device number 5`
    Disconnect {
        port: String,
        number: Option<u32>,
    },
    /// A driver took the device (or one of its interfaces) and says what it is.
    Kind {
        port: Option<String>,
        /// `vvvv:pppp` when the message names the device by ids instead of its port.
        ids: Option<(String, String)>,
        kind: DeviceKind,
        /// The disk, interface, tty or radio it made (`usb0`, `ttyACM0`).
        attached: Option<String>,
    },
    /// `scsi host6: usb-storage 1-2:1.0` (port) or `scsi host6: uas` (no port).
    ScsiHost {
        host: u32,
        port: Option<String>,
    },
    /// `sd 6:0:0:0: [sdb] Attached SCSI removable disk`
    ScsiDisk {
        host: u32,
        disk: String,
    },
    /// `bus: 1, device: 5 was an MTP device` (udev's mtp-probe, not the kernel).
    Mtp {
        bus: u32,
        number: u32,
    },
    /// `Linux version ...`: a new boot starts here.
    Boot,
}

/// Understands one kernel message (without syslog header or `[uptime]` stamp).
pub fn parse(message: &str) -> Option<Event> {
    let message = message.trim_end_matches(['\r', '\n']);
    if message.starts_with("Linux version ") {
        return Some(Event::Boot);
    }
    let (prefix, rest) = message.split_once(": ")?;
    let mut words = prefix.split(' ');
    let driver = words.next()?;
    let device = words.next();
    let netdev = words.next();
    if words.next().is_some() {
        return None;
    }
    match (driver, device) {
        ("usb", Some(port)) if is_port(port) => usb_core(port, rest),
        ("hub", Some(intf)) if rest.starts_with("USB hub found") => {
            kind_at(intf, DeviceKind::Hub, None)
        }
        ("usb-storage", Some(intf)) if rest.starts_with("USB Mass Storage device detected") => {
            kind_at(intf, DeviceKind::Storage, None)
        }
        ("scsi", Some(host)) => scsi_host(host.strip_prefix("host")?, rest),
        ("sd", Some(address)) => scsi_disk(address, rest),
        ("input", None) => input(rest),
        ("uvcvideo", None) => uvc(None, rest),
        ("uvcvideo", Some(intf)) => uvc(Some(intf), rest),
        ("gspca_main", None) => gspca(rest),
        (driver, Some(intf)) if interface_port(intf).is_some() => {
            driver_bound(driver, intf, netdev, rest)
        }
        // Kernels before 3.x: `scsi5 : usb-storage 1-8:1.0`.
        _ => old_scsi_host(message),
    }
}

/// A cheap look at a message's first bytes: `false` when [`parse`] would surely say
/// `None`. Most kernel lines are not about USB devices, and logs hold millions of them.
pub fn might_matter(message: &[u8]) -> bool {
    const PREFIXES: [&[u8]; 9] = [
        b"usb ",
        b"usb-storage ",
        b"scsi",
        b"sd ",
        b"hub ",
        b"input: ",
        b"uvcvideo",
        b"gspca_main: ",
        b"Linux version ",
    ];
    if PREFIXES.iter().any(|p| message.starts_with(p)) {
        return true;
    }
    // `driver 1-2:1.0...`: a driver's message about an interface.
    let Some(space) = message.iter().take(40).position(|&b| b == b' ') else {
        return false;
    };
    let device = &message[space + 1..message.len().min(space + 24)];
    device.first().is_some_and(u8::is_ascii_digit)
        && device.contains(&b'-')
        && device.contains(&b':')
}

/// `bus: 1, device: 5 was an MTP device`, as udev's mtp-probe logs it.
pub fn parse_mtp_probe(message: &str) -> Option<Event> {
    let rest = message.strip_prefix("bus: ")?;
    let (bus, rest) = rest.split_once(", device: ")?;
    let (number, rest) = rest.split_once(' ')?;
    if rest.trim_end() != "was an MTP device" {
        return None;
    }
    Some(Event::Mtp {
        bus: bus.parse().ok()?,
        number: number.parse().ok()?,
    })
}

fn usb_core(port: &str, rest: &str) -> Option<Event> {
    let port = port.to_string();
    if let Some(value) = rest.strip_prefix("Product: ") {
        return Some(Event::Product {
            port,
            value: value.to_string(),
        });
    }
    if let Some(value) = rest.strip_prefix("Manufacturer: ") {
        return Some(Event::Manufacturer {
            port,
            value: value.to_string(),
        });
    }
    if let Some(value) = rest.strip_prefix("SerialNumber: ") {
        return Some(Event::Serial {
            port,
            value: value.to_string(),
        });
    }
    if let Some(ids) = rest.strip_prefix("New USB device found, ") {
        return new_ids(port, ids);
    }
    if let Some(after) = rest.strip_prefix("new ") {
        // `new high-speed USB device number 5 using xhci_hcd` (3.x and later) or
        // `new high speed USB device using ehci_hcd and address 4` (2.6).
        let (speed, tail) = after.split_once(" USB device")?;
        let number = number_after(tail, "number ").or_else(|| number_after(tail, "address "));
        return Some(Event::Connect {
            port,
            speed: Some(speed.to_string()).filter(|s| !s.is_empty()),
            number,
        });
    }
    if let Some(tail) = rest.strip_prefix("USB disconnect, ") {
        let number =
            number_after(tail, "device number ").or_else(|| number_after(tail, "address "));
        return Some(Event::Disconnect { port, number });
    }
    if rest.contains("converter now attached to tty") {
        // usb-serial drivers: `GSM modem (1-port) converter now attached to ttyUSB0`.
        let tty = rest.rsplit(' ').next().map(str::to_string);
        return Some(Event::Kind {
            port: Some(port),
            ids: None,
            kind: DeviceKind::Modem,
            attached: tty,
        });
    }
    if rest.starts_with("Found UVC ") {
        return uvc(Some(&port), rest);
    }
    None
}

fn new_ids(port: String, text: &str) -> Option<Event> {
    let mut vendor = None;
    let mut product = None;
    let mut release = None;
    for part in text.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        let value = value.trim();
        match key {
            "idVendor" => vendor = hex4(value),
            "idProduct" => product = hex4(value),
            "bcdDevice" => release = Some(value.to_string()).filter(|v| !v.is_empty()),
            _ => {}
        }
    }
    Some(Event::Ids {
        port,
        vendor: vendor?,
        product: product?,
        release,
    })
}

fn hex4(value: &str) -> Option<String> {
    (value.len() == 4 && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| value.to_ascii_lowercase())
}

fn number_after(text: &str, key: &str) -> Option<u32> {
    let start = text.find(key)? + key.len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// `1-2`, `3-1.4.2`: bus number, dash, port numbers separated by dots.
pub fn is_port(name: &str) -> bool {
    let Some((bus, ports)) = name.split_once('-') else {
        return false;
    };
    all_digits(bus) && !ports.is_empty() && ports.split('.').all(all_digits)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The port of an interface name (`1-2:1.0` → `1-2`).
pub fn interface_port(intf: &str) -> Option<&str> {
    let (port, config) = intf.split_once(':')?;
    let (c, i) = config.split_once('.')?;
    (is_port(port) && all_digits(c) && all_digits(i)).then_some(port)
}

fn kind_at(intf: &str, kind: DeviceKind, attached: Option<String>) -> Option<Event> {
    let port = interface_port(intf).or(is_port(intf).then_some(intf))?;
    Some(Event::Kind {
        port: Some(port.to_string()),
        ids: None,
        kind,
        attached,
    })
}

/// A driver's message about an interface it took: the driver name says what the device is.
fn driver_bound(driver: &str, intf: &str, netdev: Option<&str>, rest: &str) -> Option<Event> {
    let kind = driver_kind(driver).or_else(|| {
        // Any other usbnet driver registering an interface is a wired adapter.
        rest.starts_with("register '")
            .then_some(DeviceKind::NetworkAdapter)
    })?;
    let attached = netdev
        .map(str::to_string)
        .or_else(|| tty_or_wdm(rest).map(str::to_string));
    kind_at(intf, kind, attached)
}

fn driver_kind(driver: &str) -> Option<DeviceKind> {
    Some(match driver {
        "usb-storage" | "uas" | "ums-realtek" => DeviceKind::Storage,
        "rndis_host" | "cdc_ether" | "cdc_ncm" | "cdc_eem" | "ipheth" | "cdc_subset" => {
            DeviceKind::Phone
        }
        "r8152" | "r8153_ecm" | "ax88179_178a" | "asix" | "smsc95xx" | "smsc75xx" | "lan78xx"
        | "dm9601" | "mcs7830" | "pegasus" | "rtl8150" | "aqc111" | "sr9700" => {
            DeviceKind::NetworkAdapter
        }
        "cdc_acm" | "qmi_wwan" | "cdc_mbim" | "cdc_wdm" | "option" | "sierra" | "sierra_net"
        | "huawei_cdc_ncm" | "qcserial" | "usb_wwan" => DeviceKind::Modem,
        "btusb" | "ath3k" | "bcm203x" | "bfusb" | "bpa10x" => DeviceKind::Bluetooth,
        "uvcvideo" | "gspca" => DeviceKind::Camera,
        "usbhid" | "usbkbd" | "usbmouse" => DeviceKind::Hid,
        d if is_wifi_driver(d) => DeviceKind::WirelessAdapter,
        _ => return None,
    })
}

fn is_wifi_driver(driver: &str) -> bool {
    matches!(
        driver,
        "rtl8xxxu"
            | "rt2800usb"
            | "rt2500usb"
            | "rt73usb"
            | "ath9k_htc"
            | "carl9170"
            | "ar5523"
            | "mt7601u"
            | "mt76x0u"
            | "mt76x2u"
            | "mt7663u"
            | "mt7921u"
            | "rtl8187"
            | "rtl8192cu"
            | "rtl8192eu"
            | "rtl8188eu"
            | "r8188eu"
            | "zd1211rw"
            | "rsi_usb"
            | "at76c50x-usb"
            | "brcmfmac"
    ) || driver.starts_with("rtw_8")
        || driver.starts_with("rtw88_")
        || driver.starts_with("rtw89_")
}

/// `ttyACM0: USB ACM device`, `cdc-wdm0: USB WDM device`.
fn tty_or_wdm(rest: &str) -> Option<&str> {
    let (name, _) = rest.split_once(": ")?;
    (name.starts_with("tty") || name.starts_with("cdc-wdm"))
        .then_some(name)
        .filter(|n| n.len() <= 32 && !n.contains(' '))
}

fn scsi_host(host: &str, rest: &str) -> Option<Event> {
    let host: u32 = host.parse().ok()?;
    if let Some(intf) = rest.strip_prefix("usb-storage ") {
        let port = interface_port(intf.trim())?;
        return Some(Event::ScsiHost {
            host,
            port: Some(port.to_string()),
        });
    }
    if rest.trim() == "uas" {
        return Some(Event::ScsiHost { host, port: None });
    }
    None
}

/// `scsi5 : usb-storage 1-8:1.0`, as 2.6 kernels printed it.
fn old_scsi_host(message: &str) -> Option<Event> {
    let rest = message.strip_prefix("scsi")?;
    let (host, rest) = rest.split_once(" : usb-storage ")?;
    let host: u32 = host.parse().ok()?;
    let port = interface_port(rest.trim())?;
    Some(Event::ScsiHost {
        host,
        port: Some(port.to_string()),
    })
}

/// `sd 6:0:0:0: [sdb] Attached SCSI removable disk`
fn scsi_disk(address: &str, rest: &str) -> Option<Event> {
    let host: u32 = address.split(':').next()?.parse().ok()?;
    let rest = rest.strip_prefix('[')?;
    let (disk, tail) = rest.split_once("] ")?;
    if !tail.starts_with("Attached SCSI") || tail.contains("generic") {
        return None;
    }
    let valid =
        !disk.is_empty() && disk.len() <= 16 && disk.bytes().all(|b| b.is_ascii_alphanumeric());
    valid.then(|| Event::ScsiDisk {
        host,
        disk: disk.to_string(),
    })
}

/// `input: Logitech USB Receiver as /devices/.../usb1/1-2/1-2:1.0/0003:046D:C52B.0001/input/input5`
fn input(rest: &str) -> Option<Event> {
    let (_, path) = rest.rsplit_once(" as /devices/")?;
    let parts: Vec<&str> = path.split('/').collect();
    // HID devices sit under a `0003:VVVV:PPPP.NNNN` node (bus 0003 is USB); a camera's
    // snapshot button is an input device too, but without one.
    let hid = parts.iter().position(|p| p.starts_with("0003:"))?;
    let intf = parts[..hid]
        .iter()
        .rev()
        .find(|p| interface_port(p).is_some())?;
    kind_at(intf, DeviceKind::Hid, None)
}

/// `Found UVC 1.00 device USB Camera (0c45:6340)`, with or without the interface prefix.
fn uvc(intf: Option<&str>, rest: &str) -> Option<Event> {
    if !rest.starts_with("Found UVC ") {
        return None;
    }
    let ids = ids_in_parens(rest);
    let port = intf.and_then(|i| interface_port(i).or(is_port(i).then_some(i)));
    if port.is_none() && ids.is_none() {
        return None;
    }
    Some(Event::Kind {
        port: port.map(str::to_string),
        ids,
        kind: DeviceKind::Camera,
        attached: None,
    })
}

/// `gspca_zc3xx-2.14.0 probing 0ac8:301b`
fn gspca(rest: &str) -> Option<Event> {
    let (_, ids) = rest.rsplit_once(" probing ")?;
    let (v, p) = ids.trim().split_once(':')?;
    Some(Event::Kind {
        port: None,
        ids: Some((hex4(v)?, hex4(p)?)),
        kind: DeviceKind::Camera,
        attached: None,
    })
}

fn ids_in_parens(text: &str) -> Option<(String, String)> {
    let inner = text.trim_end().strip_suffix(')')?;
    let (_, ids) = inner.rsplit_once('(')?;
    let (v, p) = ids.split_once(':')?;
    Some((hex4(v)?, hex4(p)?))
}

/// Kinds a device's own name suggests, for devices no driver message classified: MTP
/// phones and Bluetooth dongles are often only visible by name. Names are chosen by the
/// device, so this only ever adds a kind, and only for names that say it plainly.
pub fn kinds_from_name(product: &str) -> Vec<DeviceKind> {
    let lower = product.to_ascii_lowercase();
    let mut kinds = Vec::new();
    if lower.contains("bluetooth") {
        kinds.push(DeviceKind::Bluetooth);
    }
    if lower.contains("webcam") || lower.contains("camera") {
        kinds.push(DeviceKind::Camera);
    }
    if lower.contains("iphone") || lower.contains("ipad") || lower.contains("android") {
        kinds.push(DeviceKind::Phone);
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(port: &str, kind: DeviceKind, attached: Option<&str>) -> Option<Event> {
        Some(Event::Kind {
            port: Some(port.to_string()),
            ids: None,
            kind,
            attached: attached.map(str::to_string),
        })
    }

    #[test]
    fn connect_current_and_old_kernels() {
        assert_eq!(
            parse("usb 1-2: new high-speed USB device number 5 using xhci_hcd"),
            Some(Event::Connect {
                port: "1-2".into(),
                speed: Some("high-speed".into()),
                number: Some(5)
            })
        );
        assert_eq!(
            parse("usb 1-8: new high speed USB device using ehci_hcd and address 4"),
            Some(Event::Connect {
                port: "1-8".into(),
                speed: Some("high speed".into()),
                number: Some(4)
            })
        );
        assert_eq!(
            parse("usb 2-1.4: new SuperSpeed Plus Gen 2x1 USB device number 3 using xhci_hcd"),
            Some(Event::Connect {
                port: "2-1.4".into(),
                speed: Some("SuperSpeed Plus Gen 2x1".into()),
                number: Some(3)
            })
        );
    }

    #[test]
    fn identifiers_and_strings() {
        assert_eq!(
            parse("usb 4-2: New USB device found, idVendor=1F75, idProduct=0621, bcdDevice= 1.00"),
            Some(Event::Ids {
                port: "4-2".into(),
                vendor: "1f75".into(),
                product: "0621".into(),
                release: Some("1.00".into())
            })
        );
        assert_eq!(
            parse("usb 1-8: New USB device found, idVendor=1687, idProduct=3255"),
            Some(Event::Ids {
                port: "1-8".into(),
                vendor: "1687".into(),
                product: "3255".into(),
                release: None
            })
        );
        assert_eq!(
            parse("usb 1-8: SerialNumber: B100000000001041"),
            Some(Event::Serial {
                port: "1-8".into(),
                value: "B100000000001041".into()
            })
        );
        // A product string may itself contain ": ".
        assert_eq!(
            parse("usb 1-8: Product: USB: Flash Disk"),
            Some(Event::Product {
                port: "1-8".into(),
                value: "USB: Flash Disk".into()
            })
        );
        assert_eq!(
            parse("usb 1-8: New USB device strings: Mfr=1, Product=2, SerialNumber=3"),
            None
        );
        // Ids that are not four hex digits are not ids.
        assert_eq!(
            parse("usb 1-8: New USB device found, idVendor=zz, idProduct=3255"),
            None
        );
    }

    #[test]
    fn disconnect_current_and_old_kernels() {
        assert_eq!(
            parse("usb 1-2: USB disconnect, device number 5"),
            Some(Event::Disconnect {
                port: "1-2".into(),
                number: Some(5)
            })
        );
        assert_eq!(
            parse("usb 1-8: USB disconnect, address 4"),
            Some(Event::Disconnect {
                port: "1-8".into(),
                number: Some(4)
            })
        );
    }

    #[test]
    fn storage_and_scsi() {
        assert_eq!(
            parse("usb-storage 4-2:1.0: USB Mass Storage device detected"),
            kind("4-2", DeviceKind::Storage, None)
        );
        assert_eq!(
            parse("scsi host9: usb-storage 4-2:1.0"),
            Some(Event::ScsiHost {
                host: 9,
                port: Some("4-2".into())
            })
        );
        assert_eq!(
            parse("scsi5 : usb-storage 1-8:1.0"),
            Some(Event::ScsiHost {
                host: 5,
                port: Some("1-8".into())
            })
        );
        assert_eq!(
            parse("scsi host2: uas"),
            Some(Event::ScsiHost {
                host: 2,
                port: None
            })
        );
        assert_eq!(
            parse("sd 9:0:0:0: [sdc] Attached SCSI removable disk"),
            Some(Event::ScsiDisk {
                host: 9,
                disk: "sdc".into()
            })
        );
        assert_eq!(parse("sd 9:0:0:0: Attached scsi generic sg3 type 0"), None);
        assert_eq!(parse("sd 9:0:0:0: [sdc] Write Protect is off"), None);
    }

    #[test]
    fn network_functions() {
        assert_eq!(
            parse("rndis_host 1-1.2:1.0 usb0: register 'rndis_host' at usb-20980000.usb-1.2, RNDIS device, e1:21:dc:ac:bd:1a"),
            kind("1-1.2", DeviceKind::Phone, Some("usb0"))
        );
        assert_eq!(
            parse("cdc_ncm 2-1:1.0 usb0: register 'cdc_ncm' at usb-0000:00:14.0-1, CDC NCM (NO ZLP), 1a:2b:3c:4d:5e:6f"),
            kind("2-1", DeviceKind::Phone, Some("usb0"))
        );
        assert_eq!(
            parse("ipheth 1-3:4.2: Apple iPhone USB Ethernet device attached"),
            kind("1-3", DeviceKind::Phone, None)
        );
        assert_eq!(
            parse("ax88179_178a 2-1:1.0 eth1: register 'ax88179_178a' at usb-0000:00:14.0-1, ASIX AX88179 USB 3.0 Gigabit Ethernet, 00:0e:c6:00:00:01"),
            kind("2-1", DeviceKind::NetworkAdapter, Some("eth1"))
        );
        assert_eq!(
            parse("someusbnet 2-1:1.0 eth2: register 'someusbnet' at usb-0000:00:14.0-1, X"),
            kind("2-1", DeviceKind::NetworkAdapter, Some("eth2"))
        );
    }

    #[test]
    fn modems_cameras_radios_hid() {
        assert_eq!(
            parse("cdc_acm 1-4:1.0: ttyACM0: USB ACM device"),
            kind("1-4", DeviceKind::Modem, Some("ttyACM0"))
        );
        assert_eq!(
            parse("qmi_wwan 1-4:1.4 wwan0: register 'qmi_wwan' at usb-0000:00:14.0-4, WWAN/QMI device, 0e:ee:a8:38:91:6c"),
            kind("1-4", DeviceKind::Modem, Some("wwan0"))
        );
        assert_eq!(
            parse("usb 1-4: GSM modem (1-port) converter now attached to ttyUSB0"),
            kind("1-4", DeviceKind::Modem, Some("ttyUSB0"))
        );
        assert_eq!(
            parse("uvcvideo: Found UVC 1.00 device USB2.0 UVC VGA WebCam (13d3:5702)"),
            Some(Event::Kind {
                port: None,
                ids: Some(("13d3".into(), "5702".into())),
                kind: DeviceKind::Camera,
                attached: None
            })
        );
        assert_eq!(
            parse("usb 1-5: Found UVC 1.00 device USB2.0 HD UVC WebCam (0bda:58c2)"),
            Some(Event::Kind {
                port: Some("1-5".into()),
                ids: Some(("0bda".into(), "58c2".into())),
                kind: DeviceKind::Camera,
                attached: None
            })
        );
        assert_eq!(
            parse("btusb 1-7:1.0: hci0: unexpected event for opcode 0xfc2f"),
            kind("1-7", DeviceKind::Bluetooth, None)
        );
        assert_eq!(
            parse("input: Logitech USB Receiver as /devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:046D:C52B.0001/input/input5"),
            kind("1-2", DeviceKind::Hid, None)
        );
        // A webcam's button is an input device, but not a HID one.
        assert_eq!(
            parse("input: USB2.0 HD UVC WebCam: USB2.0 HD as /devices/pci0000:00/0000:00:14.0/usb1/1-5/1-5:1.0/input/input15"),
            None
        );
        assert_eq!(
            parse("hub 1-1:1.0: USB hub found"),
            kind("1-1", DeviceKind::Hub, None)
        );
    }

    #[test]
    fn unrelated_and_malformed_messages() {
        for line in [
            "",
            "usb",
            "usb 1-2",
            "usbcore: registered new interface driver usb-storage",
            "usb usb1: New USB device found, idVendor=1d6b, idProduct=0002",
            "EXT4-fs (sda1): mounted filesystem",
            "usb 1-2: new",
            "usb x-y: new high-speed USB device number 5 using xhci_hcd",
            "cdc_acm 1-4:1.0 a b: c",
            "\u{1b}[2J: \u{1b}[2J",
        ] {
            assert_eq!(parse(line), None, "{line:?}");
        }
        assert_eq!(
            parse("Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)"),
            Some(Event::Boot)
        );
    }

    #[test]
    fn the_cheap_look_never_hides_a_message_parse_understands() {
        for line in [
            "usb 1-2: new high-speed USB device number 5 using xhci_hcd",
            "usb-storage 4-2:1.0: USB Mass Storage device detected",
            "scsi host9: usb-storage 4-2:1.0",
            "scsi5 : usb-storage 1-8:1.0",
            "sd 9:0:0:0: [sdc] Attached SCSI removable disk",
            "rndis_host 1-1.2:1.0 usb0: register 'rndis_host' at usb-20980000.usb-1.2, RNDIS device",
            "cdc_acm 1-4:1.0: ttyACM0: USB ACM device",
            "uvcvideo: Found UVC 1.00 device USB2.0 UVC VGA WebCam (13d3:5702)",
            "gspca_main: gspca_zc3xx-2.14.0 probing 0ac8:301b",
            "input: Logitech USB Receiver as /devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:046D:C52B.0001/input/input5",
            "hub 1-1:1.0: USB hub found",
            "Linux version 6.1.0-18-amd64",
        ] {
            assert!(parse(line).is_some(), "{line}");
            assert!(might_matter(line.as_bytes()), "{line}");
        }
        for noise in [
            "EXT4-fs (nvme0n1p2): re-mounted. Quota mode: none.",
            "audit: type=1400 audit(1.123:45): apparmor=\"STATUS\"",
            "e1000e 0000:00:1f.6 enp0s31f6: NIC Link is Up",
        ] {
            assert!(!might_matter(noise.as_bytes()), "{noise}");
        }
    }

    #[test]
    fn root_hubs_are_not_devices() {
        // `usb usb1` is the root hub, not a port: it is always there.
        assert!(!is_port("usb1"));
        assert!(is_port("1-2"));
        assert!(is_port("3-1.4.2"));
        assert!(!is_port("1-"));
        assert!(!is_port("1-2."));
    }

    #[test]
    fn mtp_probe() {
        assert_eq!(
            parse_mtp_probe("bus: 1, device: 7 was an MTP device"),
            Some(Event::Mtp { bus: 1, number: 7 })
        );
        assert_eq!(
            parse_mtp_probe("bus: 4, device: 3 was not an MTP device"),
            None
        );
    }

    #[test]
    fn names_add_kinds_only_when_plain() {
        assert_eq!(
            kinds_from_name("CSR8510 Bluetooth"),
            vec![DeviceKind::Bluetooth]
        );
        assert_eq!(kinds_from_name("iPhone"), vec![DeviceKind::Phone]);
        assert!(kinds_from_name("Cruzer Blade").is_empty());
    }
}
