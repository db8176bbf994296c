//! video4linux nodes, with cameras told apart from the metadata nodes UVC webcams add.
//!
//! A UVC webcam creates two nodes: `video0` captures frames, `video1` only carries metadata.
//! udev records what each node can do in `ID_V4L_CAPABILITIES` (`:capture:` or just `:`).
//! Where nothing says, the node's capture ability is `unknown`, and the rules treat an
//! unknown node as a possible camera rather than assume it harmless.

use super::bus::bus_of;
use super::device::SysDevice;
use super::root::{Fact, HostRoot};
use super::usb::usb_parent;
use crate::inventory::video::{Capture, VideoDevice, VideoSection};
use crate::inventory::Bus;

pub fn collect(host: &HostRoot) -> VideoSection {
    host.reading(Fact::VideoNodes, || read(host))
}

fn read(host: &HostRoot) -> VideoSection {
    let mut devices: Vec<VideoDevice> = SysDevice::list(host, "sys/class/video4linux")
        .iter()
        .filter(|dev| dev.sysname().starts_with("video"))
        .map(read_node)
        .collect();
    devices.sort_by(|a, b| a.name.cmp(&b.name));
    VideoSection {
        devices,
        problems: host.take_problems(),
    }
}

fn read_node(dev: &SysDevice) -> VideoDevice {
    let capabilities: Option<Vec<String>> = dev.property("ID_V4L_CAPABILITIES").map(|caps| {
        caps.split(':')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    });
    let capture = match &capabilities {
        Some(caps) if caps.iter().any(|c| c == "capture") => Capture::Yes,
        Some(_) => Capture::No,
        None => Capture::Unknown,
    };
    let bus = bus_of(dev);
    VideoDevice {
        name: dev.sysname().to_string(),
        label: dev
            .attr("name")
            .filter(|n| !n.is_empty())
            .or_else(|| dev.property("ID_V4L_PRODUCT")),
        device_path: dev.sys_path(),
        bus,
        driver: dev.parent().and_then(|p| p.driver()),
        usb: if bus == Bus::Usb {
            usb_parent(dev)
        } else {
            None
        },
        capture,
        capabilities: capabilities.unwrap_or_default(),
    }
}
