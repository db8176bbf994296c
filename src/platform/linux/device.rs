//! One device in sysfs, seen the way libudev's `sd_device` sees it: attribute files, the
//! kernel's `uevent` keys, its `subsystem` and `driver` links, its parents, and its record
//! in the udev database.
//!
//! Facts are read from sysfs attribute files first; where a kernel or a recording lacks them
//! the same facts come from `uevent` and then from the udev database, so an
//! `udevadm info --export-db` dump and a real tree answer alike.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use super::root::{display_path, normalize, HostRoot};
use super::udev_db::{self, UdevRecord};

/// Devices of one class read at most (see [`SysDevice::list_where`]).
pub const MAX_DEVICES: usize = 4096;

/// Parents above this many levels are not devices anyone attaches.
const MAX_ANCESTORS: usize = 32;

pub struct SysDevice<'h> {
    host: &'h HostRoot,
    /// Root-relative, normalised: `sys/devices/pci0000:00/.../usb5/5-1`.
    path: String,
    uevent: OnceCell<BTreeMap<String, String>>,
    udev: OnceCell<Option<UdevRecord>>,
}

impl<'h> SysDevice<'h> {
    /// A device at a known path (already resolved, under `sys/devices`).
    pub fn at(host: &'h HostRoot, path: &str) -> Self {
        SysDevice {
            host,
            path: normalize(path).into_owned(),
            uevent: OnceCell::new(),
            udev: OnceCell::new(),
        }
    }

    /// Resolves a class or bus entry (`sys/class/net/eth0`) to its device.
    pub fn from_link(host: &'h HostRoot, entry: &str) -> Option<Self> {
        host.resolve(entry).map(|path| SysDevice::at(host, &path))
    }

    /// Every device listed in a class or bus folder (`sys/class/net`, `sys/bus/usb/devices`).
    /// An absent folder means the kernel has no such devices: an empty list, not an error.
    pub fn list(host: &'h HostRoot, folder: &str) -> Vec<Self> {
        SysDevice::list_where(host, folder, |_| true)
    }

    /// Like [`SysDevice::list`], for the entries whose name passes `keep`. At most
    /// [`MAX_DEVICES`] are read; a folder with more is a problem (no machine has that many
    /// devices of one class; a tree built to exhaust the agent's memory does).
    pub fn list_where(host: &'h HostRoot, folder: &str, keep: impl Fn(&str) -> bool) -> Vec<Self> {
        let names: Vec<String> = host
            .list_dir(folder)
            .unwrap_or_default()
            .into_iter()
            .filter(|name| keep(name))
            .collect();
        if names.len() > MAX_DEVICES {
            host.note(
                folder,
                format!(
                    "{} entries, more than the {MAX_DEVICES} a machine has: only the first \
                     {MAX_DEVICES} were read",
                    names.len()
                ),
            );
        }
        names
            .iter()
            .take(MAX_DEVICES)
            .filter_map(|name| SysDevice::from_link(host, &format!("{folder}/{name}")))
            .collect()
    }

    pub fn host(&self) -> &'h HostRoot {
        self.host
    }

    pub fn rel_path(&self) -> &str {
        &self.path
    }

    /// The path as shown to people and stored in the inventory (`/sys/devices/...`).
    pub fn sys_path(&self) -> String {
        display_path(&self.path)
    }

    pub fn sysname(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or_default()
    }

    /// A sysfs attribute of this device (`idVendor`, `device/model`, `queue/rotational`).
    pub fn attr(&self, name: &str) -> Option<String> {
        self.host.read_attr(&format!("{}/{name}", self.path))
    }

    pub fn has(&self, name: &str) -> bool {
        self.host.exists(&format!("{}/{name}", self.path))
    }

    /// Entry names in one of this device's folders (`""` for the device folder itself).
    pub fn children(&self, sub: &str) -> Vec<String> {
        let dir = if sub.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{sub}", self.path)
        };
        self.host.list_dir(&dir).unwrap_or_default()
    }

    /// A child device by its folder name.
    pub fn child(&self, name: &str) -> SysDevice<'h> {
        SysDevice::at(self.host, &format!("{}/{name}", self.path))
    }

    pub fn uevent(&self) -> &BTreeMap<String, String> {
        self.uevent.get_or_init(|| {
            self.host
                .read_bytes(
                    &format!("{}/uevent", self.path),
                    crate::text::MAX_VALUE_BYTES as u64,
                )
                .map(|bytes| parse_uevent(&String::from_utf8_lossy(&bytes)))
                .unwrap_or_default()
        })
    }

    pub fn uevent_value(&self, key: &str) -> Option<&str> {
        self.uevent().get(key).map(String::as_str)
    }

    /// The subsystem this device belongs to (`usb`, `block`, `net`, ...).
    pub fn subsystem(&self) -> Option<String> {
        self.host.link_name(&format!("{}/subsystem", self.path))
    }

    /// The bound driver, from the `driver` link, else what `uevent` says.
    pub fn driver(&self) -> Option<String> {
        self.host
            .link_name(&format!("{}/driver", self.path))
            .or_else(|| self.uevent_value("DRIVER").map(str::to_string))
    }

    pub fn devtype(&self) -> Option<&str> {
        self.uevent_value("DEVTYPE")
    }

    /// Device number from `uevent` (MAJOR/MINOR) or the `dev` attribute.
    pub fn devnum(&self) -> Option<(u32, u32)> {
        let from_uevent = || {
            let major = self.uevent_value("MAJOR")?.parse().ok()?;
            let minor = self.uevent_value("MINOR")?.parse().ok()?;
            Some((major, minor))
        };
        from_uevent().or_else(|| {
            let dev = self.attr("dev")?;
            let (major, minor) = dev.split_once(':')?;
            Some((major.parse().ok()?, minor.parse().ok()?))
        })
    }

    /// The name of this device's record in the udev database.
    fn udev_key(&self) -> Option<String> {
        let subsystem = self.subsystem()?;
        if subsystem == "net" {
            let index = self
                .uevent_value("IFINDEX")
                .map(str::to_string)
                .or_else(|| self.attr("ifindex"))?;
            return Some(format!("n{index}"));
        }
        if let Some((major, minor)) = self.devnum() {
            let kind = if subsystem == "block" { 'b' } else { 'c' };
            return Some(format!("{kind}{major}:{minor}"));
        }
        Some(format!("+{subsystem}:{}", self.sysname()))
    }

    pub fn udev(&self) -> Option<&UdevRecord> {
        self.udev
            .get_or_init(|| {
                let key = self.udev_key()?;
                let text = self
                    .host
                    .read_bytes(&format!("run/udev/data/{key}"), udev_db::MAX_RECORD_BYTES)?;
                Some(udev_db::parse(&String::from_utf8_lossy(&text)))
            })
            .as_ref()
    }

    /// A property as udev would report it: the kernel's `uevent` first, then the database.
    pub fn property(&self, key: &str) -> Option<String> {
        self.uevent_value(key)
            .map(str::to_string)
            .or_else(|| self.udev().and_then(|rec| rec.get(key)).map(str::to_string))
    }

    /// The nearest ancestor folder that is a device (has a `uevent` file).
    pub fn parent(&self) -> Option<SysDevice<'h>> {
        let mut path = self.path.as_str();
        while let Some((dir, _)) = path.rsplit_once('/') {
            if dir == "sys/devices" || !dir.starts_with("sys/devices/") {
                return None;
            }
            if self.host.exists(&format!("{dir}/uevent")) {
                return Some(SysDevice::at(self.host, dir));
            }
            path = dir;
        }
        None
    }

    /// Parents from the nearest up, bounded.
    pub fn ancestors(&self) -> Vec<SysDevice<'h>> {
        let mut out = Vec::new();
        let mut current = self.parent();
        while let Some(dev) = current {
            if out.len() >= MAX_ANCESTORS {
                break;
            }
            current = dev.parent();
            out.push(dev);
        }
        out
    }

    /// The nearest ancestor (or self) in a subsystem with the given devtype.
    pub fn find_up(&self, subsystem: &str, devtype: Option<&str>) -> Option<SysDevice<'h>> {
        let me = SysDevice::at(self.host, &self.path);
        std::iter::once(me)
            .chain(self.ancestors())
            .find(|dev| dev.is(subsystem, devtype))
    }

    pub fn is(&self, subsystem: &str, devtype: Option<&str>) -> bool {
        self.subsystem().as_deref() == Some(subsystem)
            && devtype.is_none_or(|want| self.devtype() == Some(want))
    }

    pub fn is_virtual(&self) -> bool {
        self.path.starts_with("sys/devices/virtual/")
    }
}

/// `KEY=VALUE` lines of a `uevent` file.
pub fn parse_uevent(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), value.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uevent_lines_parse() {
        // ThinkPad T61 /sys/devices/pci0000:00/0000:00:1d.7/usb5/5-1/uevent (eudev test tree).
        let map = parse_uevent("MAJOR=189\nMINOR=518\nDEVTYPE=usb_device\nDRIVER=usb\nPRODUCT=1043/8012/100\nTYPE=0/0/0\n");
        assert_eq!(map["PRODUCT"], "1043/8012/100");
        assert_eq!(map["DEVTYPE"], "usb_device");
        assert_eq!(map.len(), 6);
    }
}
