//! `removable-storage`: only registered removable media (只使用登记的移动存储介质).
//!
//! Removable storage is anything a person can carry in or out: block devices on a hot-plug
//! bus or with removable media (USB disks whatever their `removable` flag, SD cards, optical
//! drives), MTP/PTP phones and cameras (no block device at all), and USB mass-storage
//! devices whose driver is not bound (blocking `usb-storage` does not make a stick harmless).

use super::evidence::{block_evidence, block_ids, registered, usb_evidence, usb_ids};
use super::{parse_mode, Context, Mode, Outcome};
use crate::i18n::{Msg, Phrase};
use crate::inventory::storage::{BlockDevice, BlockKind};
use crate::inventory::usb::{UsbDevice, UsbKind};
use crate::inventory::Fact;
use crate::policy::model::MediaEntry;
use crate::policy::reader::Table;

pub const NAME: &str = "removable-storage";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    /// Count internal optical drives too (they take discs from outside).
    pub include_optical: bool,
}

impl Settings {
    pub fn parse(t: &Table) -> Settings {
        Settings {
            mode: parse_mode(t),
            include_optical: t.bool("include_optical").unwrap_or(true),
        }
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        let inv = ctx.inventory;
        let mut evidence = Vec::new();
        for dev in inv.storage.devices.iter().filter(|d| self.is_removable(d)) {
            match registered(ctx.media, &block_ids(dev)) {
                None => evidence.push(block_evidence(dev, Msg::StorageUnregistered)),
                Some(entry) => {
                    let usb = dev.usb.as_ref().and_then(|u| {
                        inv.usb
                            .devices
                            .iter()
                            .find(|d| d.device_path == u.device_path)
                    });
                    if let Some(usb) = usb {
                        evidence.extend(extra_interfaces(entry, usb));
                    }
                }
            }
        }
        let with_block: Vec<&str> = inv
            .storage
            .devices
            .iter()
            .filter_map(|d| d.usb.as_ref().map(|u| u.device_path.as_str()))
            .collect();
        for usb in &inv.usb.devices {
            let what = if usb.kinds.contains(&UsbKind::Mtp) {
                Msg::MtpUnregistered
            } else if usb.kinds.contains(&UsbKind::StillImage) {
                Msg::PtpUnregistered
            } else if usb.kinds.contains(&UsbKind::MassStorage)
                && !with_block.contains(&usb.device_path.as_str())
            {
                Msg::MassStorageUnbound
            } else {
                continue;
            };
            match registered(ctx.media, &usb_ids(usb)) {
                None => evidence.push(usb_evidence(usb, what)),
                Some(entry) => evidence.extend(extra_interfaces(entry, usb)),
            }
        }
        let problems = inv.problems_of(&[Fact::BlockDevices, Fact::UsbDevices]);
        self.mode.conclude(evidence, &problems)
    }

    pub fn is_removable(&self, dev: &BlockDevice) -> bool {
        match dev.kind {
            BlockKind::Loop
            | BlockKind::DeviceMapper
            | BlockKind::Raid
            | BlockKind::Ram
            | BlockKind::Emmc => false,
            BlockKind::Optical => self.include_optical || dev.hotplug,
            BlockKind::Card => true,
            BlockKind::Disk => dev.hotplug || dev.removable == Some(true),
        }
    }
}

/// The interfaces of a registered medium beyond those it was registered with: a stick that
/// clones a registered one's identifiers and adds a keyboard (BadUSB) or a network function
/// passes by vendor, product and serial, but not by what it presents.
fn extra_interfaces(entry: &MediaEntry, usb: &UsbDevice) -> Vec<super::Evidence> {
    let Some(pinned) = &entry.interfaces else {
        return Vec::new();
    };
    let label = match entry.device.label.as_deref() {
        Some(label) => Phrase::verbatim(label),
        None => Msg::RegisteredMedium.into(),
    };
    usb.interfaces
        .iter()
        .filter(|i| {
            !pinned
                .iter()
                .any(|p| p.matches(&i.class, &i.subclass, &i.protocol))
        })
        .map(|i| {
            let registered: Vec<String> = pinned.iter().map(|p| p.to_string()).collect();
            let detail = Phrase::new(Msg::ExtraInterface)
                .nest("label", label.clone())
                .arg(
                    "class",
                    format!("{}/{}/{}", i.class, i.subclass, i.protocol),
                )
                .maybe("port", i.number.as_ref().map(|_| &usb.port))
                .maybe("number", i.number.as_deref())
                .maybe("driver", i.driver.as_deref())
                .arg("registered", registered.join(", "));
            let mut e = usb_evidence(usb, detail);
            e.driver = i.driver.clone();
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{judge, machine, named, problem, stick, usb};
    use crate::finding::v1::Status;

    const RULE: &str = "id = \"removable-storage\"";

    #[test]
    fn an_unregistered_stick_fails_and_a_registered_one_passes() {
        let mut inv = machine();
        let (device, disk) = stick("sdb", "1-2", "4C530001");
        inv.usb.devices.push(device);
        inv.storage.devices.push(disk);
        let r = judge(RULE, "", &inv);
        assert_eq!((r.status, named(&r)), (Status::Fail, vec!["sdb".into()]));

        for entry in [
            "serial = \"4C530001\"",
            "vendor_id = \"0781\", product_id = \"5583\", serial = \"4C530001\"",
            "name = \"sdb\"",
            "block_device = \"sdb\"",
            "port = \"1-2\"",
        ] {
            let media = format!("[[media]]\n{}\n", entry.replace(", ", "\n"));
            let r = judge(RULE, &media, &inv);
            assert_eq!(r.status, Status::Pass, "{entry}: {:?}", r.evidence);
        }
        for entry in [
            "serial = \"OTHER\"",
            "port = \"1-3\"",
            "block_device = \"sdc\"",
        ] {
            let r = judge(RULE, &format!("[[media]]\n{entry}\n"), &inv);
            assert_eq!(r.status, Status::Fail, "{entry}");
        }
    }

    /// See: issue "Right on the machines it is for", item 5 (BadUSB).
    #[test]
    fn a_registered_stick_that_also_presents_a_keyboard_fails() {
        let mut inv = machine();
        let (mut device, disk) = stick("sdb", "1-2", "4C530001");
        let pinned =
            "[[media]]\nserial = \"4C530001\"\nlabel = \"SM-0042\"\ninterfaces = [\"08/06/50\"]\n";
        inv.usb.devices.push(device.clone());
        inv.storage.devices.push(disk.clone());
        assert_eq!(judge(RULE, pinned, &inv).status, Status::Pass);

        device.interfaces.push(crate::inventory::usb::UsbInterface {
            number: Some("1.1".into()),
            class: "03".into(),
            subclass: "01".into(),
            protocol: "01".into(),
            driver: Some("usbhid".into()),
        });
        inv.usb.devices = vec![device];
        let r = judge(RULE, pinned, &inv);
        assert_eq!((r.status, named(&r)), (Status::Fail, vec!["1-2".into()]));
        assert_eq!(
            r.evidence[0].detail,
            "SM-0042 presents interface 03/01/01 (1-2:1.1), driver usbhid, which it was not \
             registered with (registered: 08/06/50)"
        );
        // An entry without pinned interfaces (made before pinning) still only matches ids.
        let unpinned = "[[media]]\nserial = \"4C530001\"\n";
        assert_eq!(judge(RULE, unpinned, &inv).status, Status::Pass);
        // A wildcard pins the class only.
        let wide = "[[media]]\nserial = \"4C530001\"\ninterfaces = [\"08/*/*\", \"03/*/*\"]\n";
        assert_eq!(judge(RULE, wide, &inv).status, Status::Pass);
    }

    #[test]
    fn report_mode_lists_without_failing() {
        let mut inv = machine();
        let (device, disk) = stick("sdb", "1-2", "4C530001");
        inv.usb.devices.push(device);
        inv.storage.devices.push(disk);
        let r = judge(
            &format!("{RULE}\n[rule.settings]\nmode = \"report\""),
            "",
            &inv,
        );
        assert_eq!(r.status, Status::Pass);
        assert_eq!(named(&r), vec!["sdb".to_string()]);
        assert_eq!(
            r.message.as_ref().map(|m| m.en()).as_deref(),
            Some("1 item(s) observed (report only)")
        );
    }

    #[test]
    fn phones_and_sticks_without_a_driver_are_storage_too() {
        let mut inv = machine();
        let mut phone = usb(
            "1-4",
            ("18d1", "4ee1"),
            Some("PHONE1"),
            &[("ff", "ff", "00", None)],
        );
        phone.kinds.push(crate::inventory::usb::UsbKind::Mtp);
        inv.usb.devices.push(phone);
        inv.usb.devices.push(usb(
            "1-5",
            ("0951", "1666"),
            Some("K1"),
            &[("08", "06", "50", None)],
        ));
        let r = judge(RULE, "", &inv);
        assert_eq!(named(&r), vec!["1-4".to_string(), "1-5".to_string()]);
        let r = judge(RULE, "[[media]]\nserial = \"PHONE1\"\n", &inv);
        assert_eq!(named(&r), vec!["1-5".to_string()]);
    }

    #[test]
    fn unread_storage_is_an_error_unless_something_already_fails() {
        let mut inv = machine();
        inv.storage.problems.push(problem("/sys/class/block", None));
        let r = judge(RULE, "", &inv);
        assert_eq!(r.status, Status::Error);
        let (device, disk) = stick("sdb", "1-2", "4C530001");
        inv.usb.devices.push(device);
        inv.storage.devices.push(disk);
        let r = judge(RULE, "", &inv);
        assert_eq!(r.status, Status::Fail);
        assert!(r
            .evidence
            .iter()
            .any(|e| e.device_path.as_deref() == Some("/sys/class/block")));
    }

    #[test]
    fn a_name_and_the_field_it_stands_for_cannot_both_be_given() {
        let err = crate::policy::load_str(
            "p.toml",
            "[policy]\nid = \"p\"\nversion = \"1\"\ntitle = { zh = \"p\", en = \"p\" }\n\
             [[media]]\nname = \"sdb\"\nblock_device = \"sdc\"\n\
             [[rule]]\nid = \"removable-storage\"\nseverity = \"high\"\n\
             title = { zh = \"t\", en = \"t\" }\nremediation = { zh = \"t\", en = \"t\" }\n",
        )
        .unwrap_err();
        assert!(
            err.render().contains("`name` here means `block_device`"),
            "{}",
            err.render()
        );
    }
}
