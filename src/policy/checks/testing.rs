//! Hand-built inventories for the checks' unit tests: a few devices described by what a
//! backend would report, and a way to judge them with a policy written as TOML, so each test
//! reads as "this machine, this rule, this result".

use crate::inventory::audio::SoundCard;
use crate::inventory::network::{IfAddress, NetInterface, NetKind};
use crate::inventory::storage::{BlockDevice, BlockKind, Mount};
use crate::inventory::usb::{kinds_of, PortRemovable, UsbDevice, UsbInterface, UsbRef};
use crate::inventory::video::{Capture, VideoDevice};
use crate::inventory::wireless::Radio;
use crate::inventory::{Bus, HostIdentity, Inventory, Problem, INVENTORY_SCHEMA};
use crate::policy::evaluate::{evaluate, RuleResult};
use crate::policy::load_str;

pub fn machine() -> Inventory {
    Inventory {
        schema: INVENTORY_SCHEMA.to_string(),
        host: HostIdentity {
            hostname: Some("ws-test".into()),
            machine_id: Some("0".repeat(32)),
            boot_id: None,
            os: None,
            kernel: None,
            agent_version: "0".into(),
            os_release: None,
            problems: Vec::new(),
        },
        network: Default::default(),
        storage: Default::default(),
        usb: Default::default(),
        audio: Default::default(),
        video: Default::default(),
        wireless: Default::default(),
        history: None,
    }
}

pub fn problem(path: &str, fact: Option<crate::inventory::Fact>) -> Problem {
    Problem {
        path: path.to_string(),
        error: "permission denied".to_string(),
        error_zh: None,
        fact,
    }
}

fn device_path(port: &str) -> String {
    format!("/sys/devices/pci0000:00/0000:00:14.0/usb1/{port}")
}

/// A USB device with interfaces given as `(class, subclass, protocol, driver)`.
pub fn usb(
    port: &str,
    ids: (&str, &str),
    serial: Option<&str>,
    interfaces: &[(&str, &str, &str, Option<&str>)],
) -> UsbDevice {
    let interfaces: Vec<UsbInterface> = interfaces
        .iter()
        .enumerate()
        .map(|(n, (class, subclass, protocol, driver))| UsbInterface {
            number: Some(format!("1.{n}")),
            class: class.to_string(),
            subclass: subclass.to_string(),
            protocol: protocol.to_string(),
            driver: driver.map(str::to_string),
        })
        .collect();
    UsbDevice {
        port: port.to_string(),
        device_path: device_path(port),
        vendor_id: Some(ids.0.to_string()),
        product_id: Some(ids.1.to_string()),
        manufacturer: Some("Maker".into()),
        product: Some("Gadget".into()),
        serial: serial.map(str::to_string),
        device_class: Some("00".into()),
        driver: Some("usb".into()),
        removable: PortRemovable::Removable,
        root_hub: false,
        kinds: kinds_of(Some("00"), &interfaces, false),
        interfaces,
    }
}

/// A USB stick: the device (mass storage bound to usb-storage) and its disk `name`.
pub fn stick(name: &str, port: &str, serial: &str) -> (UsbDevice, BlockDevice) {
    let device = usb(
        port,
        ("0781", "5583"),
        Some(serial),
        &[("08", "06", "50", Some("usb-storage"))],
    );
    let disk = BlockDevice {
        name: name.to_string(),
        node: Some(format!("/dev/{name}")),
        device_path: format!("{}/host6/block/{name}", device.device_path),
        kind: BlockKind::Disk,
        bus: Bus::Usb,
        removable: Some(true),
        hotplug: true,
        read_only: Some(false),
        size_bytes: Some(16_000_000_000),
        vendor: Some("SanDisk".into()),
        model: Some("Ultra Fit".into()),
        serial: None,
        usb: Some(device.ids()),
        mounts: Vec::new(),
        partitions: Vec::new(),
    };
    (device, disk)
}

pub fn mount(point: &str, read_only: bool) -> Mount {
    Mount {
        mount_point: point.to_string(),
        fs_type: "vfat".into(),
        options: vec![if read_only { "ro" } else { "rw" }.to_string()],
        read_only,
    }
}

pub fn sound_card(index: u32, id: &str, capture: bool, usb: Option<UsbRef>) -> SoundCard {
    SoundCard {
        index,
        id: Some(id.to_string()),
        name: Some(format!("{id} audio")),
        device_path: format!("/sys/devices/pci0000:00/0000:00:1f.3/sound/card{index}"),
        bus: if usb.is_some() { Bus::Usb } else { Bus::Pci },
        driver: Some("snd_hda_intel".into()),
        usb,
        capture: if capture {
            vec![format!("pcmC{index}D0c")]
        } else {
            Vec::new()
        },
        playback: vec![format!("pcmC{index}D0p")],
    }
}

pub fn video_node(name: &str, capture: Capture, usb: Option<UsbRef>) -> VideoDevice {
    VideoDevice {
        name: name.to_string(),
        label: Some("Integrated Camera".into()),
        device_path: format!("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-6/video4linux/{name}"),
        bus: Bus::Usb,
        driver: Some("uvcvideo".into()),
        usb,
        capabilities: Vec::new(),
        capture,
    }
}

pub fn radio(name: &str, interface: Option<&str>, address: &str) -> Radio {
    Radio {
        name: name.to_string(),
        interface: interface.map(str::to_string),
        device_path: format!("/sys/devices/pci0000:00/0000:00:1c.1/0000:03:00.0/{name}"),
        bus: Bus::Pci,
        driver: Some("iwlwifi".into()),
        address: Some(address.to_string()),
        usb: None,
        detected_by: vec!["wireless-interface".into()],
    }
}

pub fn interface(name: &str, kind: NetKind, up: bool, addresses: &[(&str, u8)]) -> NetInterface {
    NetInterface {
        name: name.to_string(),
        device_path: format!("/sys/devices/pci0000:00/0000:00:19.0/net/{name}"),
        kind,
        bus: Bus::Pci,
        driver: Some("e1000e".into()),
        mac: Some("00:16:3e:00:00:01".into()),
        oper_state: Some(if up { "up" } else { "down" }.into()),
        addresses: addresses
            .iter()
            .map(|(a, len)| {
                let address = a.parse().expect("test address");
                IfAddress {
                    address,
                    prefix_len: *len,
                    scope: crate::inventory::network::scope_of(&address),
                }
            })
            .collect(),
        usb: None,
    }
}

/// Judges `inv` with one rule, written as the TOML of a policy's `[[rule]]` body (id,
/// settings) plus anything else the policy needs (`[[media]]`).
pub fn judge(rule: &str, extra: &str, inv: &Inventory) -> RuleResult {
    let text = format!(
        "[policy]\nid = \"t\"\nversion = \"1\"\ntitle = {{ zh = \"t\", en = \"t\" }}\n\n\
         [[rule]]\nseverity = \"high\"\ntitle = {{ zh = \"t\", en = \"t\" }}\n\
         remediation = {{ zh = \"t\", en = \"t\" }}\n{rule}\n{extra}"
    );
    let policy = load_str("test.toml", &text).unwrap_or_else(|e| panic!("{}", e.render()));
    evaluate(&policy, inv, None).remove(0)
}

/// The names evidence gives, in order, without the unreadable parts.
pub fn named(result: &RuleResult) -> Vec<String> {
    result
        .evidence
        .iter()
        .filter(|e| !e.kind.is(crate::finding::v1::EvidenceKind::Unreadable))
        .filter_map(|e| e.name.clone())
        .collect()
}
