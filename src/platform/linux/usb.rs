//! USB devices from the bus folder: identifiers, interfaces and what they make the device.
//!
//! Everything here is chosen by the device: ids, names and serial can be forged by a hostile
//! device, so they are kept as reported (for allowlists to match) but never trusted to be
//! well-formed. What a device *is* comes from its interface classes, since a phone, a
//! webcam or a Bluetooth dongle announces itself there whatever its device class says.

use super::device::SysDevice;
use super::root::{Fact, HostRoot};
use crate::inventory::usb::{kinds_of, PortRemovable, UsbDevice, UsbInterface, UsbRef, UsbSection};
use crate::text::udev_unescape;

pub fn collect(host: &HostRoot) -> UsbSection {
    host.reading(Fact::UsbDevices, || read(host))
}

fn read(host: &HostRoot) -> UsbSection {
    // Interfaces (`1-4:1.0`) share the bus folder with devices; skipping them by name saves
    // resolving and reading each one only to drop it.
    let mut devices: Vec<UsbDevice> =
        SysDevice::list_where(host, "sys/bus/usb/devices", |name| !name.contains(':'))
            .iter()
            .filter(|dev| is_usb_device(dev))
            .map(read_device)
            .collect();
    // Recordings without a bus folder still list USB devices in their class-less tree;
    // the bus folder is what the kernel always has, so it is the only source here.
    devices.sort_by_key(|d| port_order(&d.port));
    devices.dedup_by(|a, b| a.device_path == b.device_path);
    UsbSection {
        devices,
        problems: host.take_problems(),
    }
}

/// Sorts `usb2` before `usb10` and `1-4.2` before `1-4.10`.
fn port_order(port: &str) -> Vec<u32> {
    port.split(|c: char| !c.is_ascii_digit())
        .filter_map(|part| part.parse().ok())
        .collect()
}

fn is_usb_device(dev: &SysDevice) -> bool {
    match dev.devtype() {
        Some(devtype) => devtype == "usb_device",
        // Old kernels and some recordings lack DEVTYPE; interfaces have a colon in the name.
        None => !dev.sysname().contains(':') && dev.has("idVendor"),
    }
}

fn nonempty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// `PRODUCT=1043/8012/100` (hex without padding) into padded vendor and product ids.
fn ids_from_product(product: &str) -> (Option<String>, Option<String>) {
    let mut parts = product.split('/');
    let pad = |p: Option<&str>| {
        p.and_then(|p| u16::from_str_radix(p, 16).ok())
            .map(|v| format!("{v:04x}"))
    };
    (pad(parts.next()), pad(parts.next()))
}

/// `TYPE=9/0/1` or `INTERFACE=8/6/80` (decimal) into two-digit hex codes.
fn codes_from_decimal(value: &str) -> Option<[String; 3]> {
    let mut parts = value.split('/').map(|p| p.parse::<u8>().ok());
    let mut next = || parts.next().flatten().map(|v| format!("{v:02x}"));
    Some([next()?, next()?, next()?])
}

fn hex_attr(dev: &SysDevice, name: &str) -> Option<String> {
    dev.attr(name)
        .map(|v| v.to_ascii_lowercase())
        .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Identifiers of a `usb_device`, from attributes, then uevent, then the udev database.
pub fn usb_ref(dev: &SysDevice) -> UsbRef {
    let product_ids = dev
        .uevent_value("PRODUCT")
        .map(ids_from_product)
        .unwrap_or((None, None));
    // udev falls back to the hex id when a device has no string descriptor; that is not a
    // name the device reported.
    let udev_text = |key: &str, id_key: &str| {
        nonempty(dev.property(key).map(|v| udev_unescape(&v)))
            .filter(|v| dev.property(id_key).as_deref() != Some(v.as_str()))
    };
    UsbRef {
        port: dev.sysname().to_string(),
        device_path: dev.sys_path(),
        vendor_id: hex_attr(dev, "idVendor")
            .or(product_ids.0)
            .or_else(|| dev.property("ID_VENDOR_ID")),
        product_id: hex_attr(dev, "idProduct")
            .or(product_ids.1)
            .or_else(|| dev.property("ID_MODEL_ID")),
        manufacturer: nonempty(dev.attr("manufacturer"))
            .or_else(|| udev_text("ID_VENDOR_ENC", "ID_VENDOR_ID")),
        product: nonempty(dev.attr("product")).or_else(|| udev_text("ID_MODEL_ENC", "ID_MODEL_ID")),
        serial: nonempty(dev.attr("serial")).or_else(|| udev_text("ID_SERIAL_SHORT", "")),
    }
}

/// The USB device a device hangs off, if any.
pub fn usb_parent(dev: &SysDevice) -> Option<UsbRef> {
    // Nearest first, in one pass: if the device's own `uevent` or `subsystem` cannot be read,
    // its name still says what it is, and skipping it would blame the root hub above it.
    dev.ancestors()
        .into_iter()
        .find(|d| {
            d.is("usb", Some("usb_device"))
                || (is_usb_device_name(d.sysname())
                    && d.subsystem()
                        .as_deref()
                        .is_none_or(|s| !OTHER_BUSES.contains(&s)))
        })
        .map(|usb| usb_ref(&usb))
}

/// Buses whose devices may carry names that look like USB port names.
const OTHER_BUSES: &[&str] = &["i2c", "pci", "platform", "scsi", "mmc", "sdio", "acpi"];

/// `usb3` (root hub) or a port path like `1-4` or `1-4.1.3`.
fn is_usb_device_name(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if let Some(bus) = name.strip_prefix("usb") {
        return digits(bus);
    }
    match name.split_once('-') {
        Some((bus, port)) => digits(bus) && port.split('.').all(digits),
        None => false,
    }
}

fn read_interfaces(dev: &SysDevice) -> Vec<UsbInterface> {
    let prefix = format!("{}:", dev.sysname());
    let mut found: Vec<UsbInterface> = dev
        .children("")
        .iter()
        .filter(|name| name.starts_with(&prefix))
        .filter_map(|name| {
            let iface = dev.child(name);
            // The uevent is only read when the attribute files are missing.
            let from_uevent = std::cell::OnceCell::new();
            let code = |attr: &str, index: usize| {
                hex_attr(&iface, attr).or_else(|| {
                    from_uevent
                        .get_or_init(|| {
                            iface.uevent_value("INTERFACE").and_then(codes_from_decimal)
                        })
                        .as_ref()
                        .map(|c: &[String; 3]| c[index].clone())
                })
            };
            // A folder with no class code is not an interface the recording describes.
            Some(UsbInterface {
                number: Some(name[prefix.len()..].to_string()),
                class: code("bInterfaceClass", 0)?,
                subclass: code("bInterfaceSubClass", 1).unwrap_or_else(|| "??".to_string()),
                protocol: code("bInterfaceProtocol", 2).unwrap_or_else(|| "??".to_string()),
                driver: iface.driver(),
            })
        })
        .collect();
    if found.is_empty() {
        // umockdev and some dumps record only the device; udev lists the interface triples.
        if let Some(list) = dev.property("ID_USB_INTERFACES") {
            found = list
                .split(':')
                .filter(|t| t.len() == 6 && t.chars().all(|c| c.is_ascii_hexdigit()))
                .map(|t| UsbInterface {
                    number: None,
                    class: t[0..2].to_ascii_lowercase(),
                    subclass: t[2..4].to_ascii_lowercase(),
                    protocol: t[4..6].to_ascii_lowercase(),
                    driver: None,
                })
                .collect();
        }
    }
    found
}

/// MTP: udev's `ID_MTP_DEVICE`, or an interface named "MTP" (Android's vendor-class MTP).
fn is_mtp(dev: &SysDevice) -> bool {
    if dev.property("ID_MTP_DEVICE").as_deref() == Some("1") {
        return true;
    }
    dev.children("")
        .iter()
        .filter(|name| name.starts_with(&format!("{}:", dev.sysname())))
        .any(|name| {
            dev.child(name)
                .attr("interface")
                .is_some_and(|label| label.trim() == "MTP")
        })
}

fn read_device(dev: &SysDevice) -> UsbDevice {
    let ids = usb_ref(dev);
    let device_class = hex_attr(dev, "bDeviceClass").or_else(|| {
        dev.uevent_value("TYPE")
            .and_then(codes_from_decimal)
            .map(|[class, _, _]| class)
    });
    let interfaces = read_interfaces(dev);
    let kinds = kinds_of(device_class.as_deref(), &interfaces, is_mtp(dev));
    let removable = match dev.attr("removable").as_deref() {
        Some("removable") => PortRemovable::Removable,
        Some("fixed") => PortRemovable::Fixed,
        Some(_) => PortRemovable::Unknown,
        None => PortRemovable::NotReported,
    };
    UsbDevice {
        root_hub: dev.sysname().starts_with("usb"),
        port: ids.port,
        device_path: ids.device_path,
        vendor_id: ids.vendor_id,
        product_id: ids.product_id,
        manufacturer: ids.manufacturer,
        product: ids.product,
        serial: ids.serial,
        device_class,
        driver: dev.driver(),
        removable,
        interfaces,
        kinds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_ids_are_padded_hex() {
        assert_eq!(
            ids_from_product("fce/166/226"),
            (Some("0fce".into()), Some("0166".into()))
        );
        assert_eq!(ids_from_product("zz"), (None, None));
    }

    #[test]
    fn interface_codes_from_decimal() {
        assert_eq!(
            codes_from_decimal("224/1/3"),
            Some(["e0".into(), "01".into(), "03".into()])
        );
        assert_eq!(codes_from_decimal("8/6"), None);
    }

    #[test]
    fn usb_device_names() {
        assert!(is_usb_device_name("usb3"));
        assert!(is_usb_device_name("1-4.1.3"));
        assert!(!is_usb_device_name("1-4:1.0"));
        assert!(!is_usb_device_name("usb"));
        assert!(!is_usb_device_name("0000:00:1d.7"));
        assert!(!is_usb_device_name("1-"));
    }

    #[test]
    fn ports_sort_numerically() {
        let mut ports = vec!["usb10", "1-4.10", "usb2", "1-4.2"];
        ports.sort_by_key(|p| port_order(p));
        assert_eq!(ports, vec!["1-4.2", "1-4.10", "usb2", "usb10"]);
    }
}
