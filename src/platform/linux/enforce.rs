//! Enforcement writes, for `isoguard watch`: the three sysfs attributes the kernel offers for
//! stopping a device without unloading anything (Documentation/ABI/testing/sysfs-bus-usb:
//! `authorized` on a USB device or interface, `authorized_default` on a root hub;
//! sysfs-class-rfkill: `soft`). Only those names are written, only below /sys/devices, only
//! into files that exist, never through a link. Under `--root DIR` they land in the tree.

use super::HostRoot;

/// The attributes enforcement may write.
const WRITABLE: &[&str] = &["authorized", "authorized_default", "soft"];

/// Turns `/sys/devices/...` (how evidence names a device) into the tree's relative path,
/// refusing anything else.
fn device_rel(device_path: &str) -> Result<String, String> {
    if !device_path.starts_with("/sys/devices/") || device_path.split('/').any(|p| p == "..") {
        return Err(format!("not a device under /sys/devices: {device_path}"));
    }
    Ok(device_path.trim_start_matches('/').to_string())
}

/// Writes `value` into `attribute` of the device at `device_path` (`/sys/devices/...`).
pub fn write(
    host: &HostRoot,
    device_path: &str,
    attribute: &str,
    value: &str,
) -> Result<(), String> {
    if !WRITABLE.contains(&attribute) {
        return Err(format!("{attribute} is not an enforcement attribute"));
    }
    let rel = device_rel(device_path)?;
    host.write_attr(&format!("{rel}/{attribute}"), value)
        .map_err(|e| crate::files::os_reason(&e))
}

/// Reads an enforcement attribute (to restore it later).
pub fn read(host: &HostRoot, device_path: &str, attribute: &str) -> Option<String> {
    let rel = device_rel(device_path).ok()?;
    host.read_text_quiet(&format!("{rel}/{attribute}"))
        .map(|v| v.trim().to_string())
}

/// The USB root hubs (`usbN`), as `/sys/devices/...` paths.
pub fn root_hubs(host: &HostRoot) -> Vec<String> {
    let mut hubs: Vec<String> = host
        .list_dir("sys/bus/usb/devices")
        .unwrap_or_default()
        .into_iter()
        .filter(|name| name.starts_with("usb"))
        .filter_map(|name| host.resolve(&format!("sys/bus/usb/devices/{name}")))
        .map(|rel| super::root::display_path(&rel))
        .collect();
    hubs.sort();
    hubs
}

/// USB devices the kernel holds unauthorized (`authorized` = 0), as `/sys/devices/...` paths.
pub fn unauthorized_usb(host: &HostRoot) -> Vec<String> {
    let mut found: Vec<String> = host
        .list_dir("sys/bus/usb/devices")
        .unwrap_or_default()
        .into_iter()
        .filter(|name| !name.starts_with("usb") && !name.contains(':'))
        .filter_map(|name| host.resolve(&format!("sys/bus/usb/devices/{name}")))
        .map(|rel| super::root::display_path(&rel))
        .filter(|path| read(host, path, "authorized").as_deref() == Some("0"))
        .collect();
    found.sort();
    found
}

/// Takes a network interface down, by name. Only on the live system: a recorded tree has no
/// kernel behind it.
pub fn link_down(host: &HostRoot, name: &str) -> Result<(), String> {
    if !host.is_live() {
        return Err("interfaces of a recorded tree (--root) cannot be taken down".to_string());
    }
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(format!("not an interface name: {name}"));
    }
    let index = host
        .read_text_quiet(&format!("sys/class/net/{name}/ifindex"))
        .and_then(|i| i.trim().parse::<u32>().ok())
        .ok_or_else(|| format!("no interface {name}"))?;
    super::rtnetlink::set_link_down(index).map_err(|e| crate::files::os_reason(&e))
}
