//! The inventory of every recorded machine: what is found, in which class, and what is not.
//!
//! Each fixture is a real recording (or, where the recordings leave gaps, a tree written from
//! the kernel's documented layout; see each fixture's ORIGIN.md). The assertions name the
//! devices of that machine, so a misread device fails here.

mod common;

use common::*;
use isoguard::inventory::bus::Bus;
use isoguard::inventory::network::NetKind;
use isoguard::inventory::storage::BlockKind;
use isoguard::inventory::usb::{PortRemovable, UsbKind};
use isoguard::inventory::video::Capture;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn thinkpad_t61_complete_sysfs() {
    let inv = inventory("thinkpad-t61");
    assert!(inv.problems().is_empty(), "{:?}", inv.problems());
    assert_eq!(inv.host.hostname.as_deref(), Some("t61"));

    // The USB flash drive: on USB, hot-pluggable, removable media, its USB ids.
    let sdb = disk(&inv, "sdb");
    assert_eq!(
        (sdb.bus, sdb.hotplug, sdb.removable),
        (Bus::Usb, true, Some(true))
    );
    let parent = sdb.usb.as_ref().expect("usb parent");
    assert_eq!(
        (parent.vendor_id.as_deref(), parent.product_id.as_deref()),
        (Some("1043"), Some("8012"))
    );
    assert_eq!(parent.port, "5-1");
    assert_eq!(
        sdb.all_mounts().next().map(|m| m.mount_point.as_str()),
        Some("/media/disk")
    );

    // Internal SATA disk, PATA optical drive, loop and md devices are not USB storage.
    let sda = disk(&inv, "sda");
    assert_eq!(
        (sda.bus, sda.hotplug, sda.removable),
        (Bus::Ata, false, Some(false))
    );
    assert_eq!(disk(&inv, "sr0").kind, BlockKind::Optical);
    assert_eq!(disk(&inv, "loop0").kind, BlockKind::Loop);
    assert_eq!(disk(&inv, "md0").kind, BlockKind::Raid);
    assert_eq!(removable_names(&inv), ["sdb", "sr0"]);

    assert_eq!(
        kinds(&inv),
        pairs(&[
            ("eth0", "ethernet"),
            ("lo", "loopback"),
            ("wlan0", "wifi"),
            ("wmaster0", "wifi")
        ])
    );
    assert_eq!(iface(&inv, "eth0").driver.as_deref(), Some("e1000e"));
    assert_eq!(inv.network.default_routes.len(), 1);
    assert_eq!(
        inv.network.default_routes[0].gateway,
        Some("192.168.1.1".parse().unwrap())
    );

    // Five USB devices besides the root hubs.
    let ports: Vec<&str> = inv
        .usb
        .devices
        .iter()
        .filter(|u| !u.root_hub)
        .map(|u| u.port.as_str())
        .collect();
    assert_eq!(ports, ["3-1", "4-1", "4-2", "5-1", "5-2"]);
    assert!(usb(&inv, "1043:8012").kinds.contains(&UsbKind::MassStorage));
    assert_eq!(
        usb(&inv, "0421:007b").serial.as_deref(),
        Some("354172020305000")
    );

    let card = &inv.audio.cards[0];
    assert_eq!(
        (card.capture.as_slice(), card.playback.len()),
        (["pcmC0D0c".to_string()].as_slice(), 2)
    );
    assert!(inv.video.devices.is_empty());

    // Wi-Fi once per radio (wlan0 and the old wmaster0 share phy0); the Bluetooth dongle has
    // no driver bound and is still a radio.
    assert_eq!(radio_names(&inv.wireless.wifi), ["phy0"]);
    assert_eq!(radio_names(&inv.wireless.bluetooth), ["4-1"]);
    assert_eq!(
        inv.wireless.bluetooth[0].detected_by,
        ["unbound-usb-interface-e0/01/01"]
    );
    assert!(inv.wireless.wwan.is_empty());
    let rfkill = &inv.wireless.rfkill[0];
    assert_eq!(rfkill.radio_type.as_deref(), Some("bluetooth"));
    assert_eq!(
        (rfkill.soft_blocked, rfkill.hard_blocked),
        (Some(false), Some(false))
    );
}

#[test]
fn hp_elitebook_835_g10() {
    let inv = inventory("hp-elitebook-835-g10");
    assert!(inv.problems().is_empty(), "{:?}", inv.problems());
    assert_eq!(removable_names(&inv), ["sda", "sdb"]);
    let nvme = disk(&inv, "nvme0n1");
    assert_eq!((nvme.bus, nvme.hotplug), (Bus::Nvme, false));
    // The USB flash drive whose vendor string is all blanks keeps its ids and serial.
    let sdb = disk(&inv, "sdb");
    let usb_parent = sdb.usb.as_ref().unwrap();
    assert_eq!(usb_parent.vendor_id.as_deref(), Some("13fe"));
    assert_eq!(usb_parent.serial.as_deref(), Some("071C395B848D2017"));
    // Behind a hub: the port path says so.
    assert_eq!(disk(&inv, "sda").usb.as_ref().unwrap().port, "8-1.3");

    // A USB Ethernet dongle (r8152) is Ethernet on USB, not tethering.
    let dongle = inv
        .network
        .interfaces
        .iter()
        .find(|i| i.driver.as_deref() == Some("r8152"))
        .unwrap();
    assert_eq!((dongle.kind, dongle.bus), (NetKind::Ethernet, Bus::Usb));
    assert_eq!(iface(&inv, "wlp1s0").kind, NetKind::Wifi);

    // Webcam: the capture node is a camera, the metadata node is not.
    let video: Vec<(&str, Capture)> = inv
        .video
        .devices
        .iter()
        .map(|v| (v.name.as_str(), v.capture))
        .collect();
    assert_eq!(video, [("video0", Capture::Yes), ("video1", Capture::No)]);
    assert_eq!(
        inv.video.devices[0]
            .usb
            .as_ref()
            .unwrap()
            .vendor_id
            .as_deref(),
        Some("30c9")
    );

    // HDMI card0 plays only; card1 has the microphone.
    assert!(inv.audio.cards[0].capture.is_empty());
    assert_eq!(inv.audio.cards[1].capture, ["pcmC1D0c"]);

    assert_eq!(radio_names(&inv.wireless.wifi), ["phy0"]);
    assert_eq!(inv.wireless.wifi[0].interface.as_deref(), Some("wlp1s0"));
    assert_eq!(radio_names(&inv.wireless.bluetooth), ["hci0"]);
    assert_eq!(
        inv.wireless.bluetooth[0]
            .usb
            .as_ref()
            .unwrap()
            .vendor_id
            .as_deref(),
        Some("0489")
    );
    assert!(inv.wireless.wwan.is_empty());
    let types: Vec<&str> = inv
        .wireless
        .rfkill
        .iter()
        .filter_map(|r| r.radio_type.as_deref())
        .collect();
    assert_eq!(types, ["bluetooth", "wlan"]);
}

#[test]
fn lenovo_t430s_mbim_modem_webcams_headset() {
    let inv = inventory("lenovo-t430s");
    let wwan0 = iface(&inv, "wwan0");
    assert_eq!(
        (wwan0.kind, wwan0.bus, wwan0.driver.as_deref()),
        (NetKind::Wwan, Bus::Usb, Some("cdc_mbim"))
    );
    assert_eq!(
        inv.wireless.wwan.len(),
        1,
        "one modem, found twice, reported once"
    );
    let modem = &inv.wireless.wwan[0];
    assert!(modem.detected_by.contains(&"wwan-interface".to_string()));
    assert!(modem.detected_by.contains(&"cdc-wdm".to_string()));
    assert_eq!(
        modem.usb.as_ref().unwrap().vendor_id.as_deref(),
        Some("0bdb")
    );
    // Two cameras, three microphones (C920, headset, internal), ram disks are not storage.
    assert_eq!(
        inv.video
            .devices
            .iter()
            .filter(|v| v.capture == Capture::Yes)
            .count(),
        2
    );
    assert_eq!(
        inv.audio
            .cards
            .iter()
            .filter(|c| !c.capture.is_empty())
            .count(),
        3
    );
    assert_eq!(removable_names(&inv), ["sr0"]);
    assert_eq!(disk(&inv, "ram0").kind, BlockKind::Ram);
    let types: Vec<&str> = inv
        .wireless
        .rfkill
        .iter()
        .filter_map(|r| r.radio_type.as_deref())
        .collect();
    assert!(types.contains(&"wwan"), "{types:?}");
}

#[test]
fn crypto_fde_emmc_sd_card_and_qmi_modem() {
    let inv = inventory("crypto-fde");
    let emmc = disk(&inv, "mmcblk0");
    assert_eq!((emmc.kind, emmc.hotplug), (BlockKind::Emmc, false));
    assert_eq!(disk(&inv, "mmcblk0boot0").kind, BlockKind::Emmc);
    let sd = disk(&inv, "mmcblk1");
    assert_eq!(
        (sd.kind, sd.bus, sd.hotplug),
        (BlockKind::Card, Bus::Mmc, true)
    );
    assert_eq!(removable_names(&inv), ["mmcblk1"]);
    assert_eq!(disk(&inv, "dm-0").kind, BlockKind::DeviceMapper);
    assert_eq!(iface(&inv, "wwan0").driver.as_deref(), Some("qmi_wwan"));
    assert_eq!(inv.wireless.wwan.len(), 1);
}

#[test]
fn dell_vostro_3460_cdc_ncm_modem_is_wwan_not_tethering() {
    let inv = inventory("dell-vostro-3460");
    // The DW5560 modem uses cdc_ncm and names its interface usb0, with no DEVTYPE=wwan; its
    // cdc-wdm control channel tells it from a phone.
    let usb0 = iface(&inv, "usb0");
    assert_eq!(
        (usb0.kind, usb0.driver.as_deref()),
        (NetKind::Wwan, Some("cdc_ncm"))
    );
    assert!(inv
        .network
        .interfaces
        .iter()
        .all(|i| i.kind != NetKind::UsbTethering));
    // The Realtek rts5139 card reader shows up as a USB SCSI disk.
    assert_eq!(disk(&inv, "sdb").bus, Bus::Usb);
    assert_eq!(removable_names(&inv), ["sdb", "sr0"]);
}

#[test]
fn usb_hdd_with_removable_zero_is_still_usb_and_hotplug() {
    let inv = inventory("usb-hdd-uas-removable0");
    assert!(inv.problems().is_empty(), "{:?}", inv.problems());
    let hdd = disk(&inv, "sdb");
    assert_eq!(
        hdd.removable,
        Some(false),
        "the kernel flag is kept as reported"
    );
    assert_eq!(
        (hdd.bus, hdd.hotplug),
        (Bus::Usb, true),
        "udev says ID_BUS=ata; the ancestry says USB"
    );
    let parent = hdd.usb.as_ref().unwrap();
    assert_eq!(
        (parent.vendor_id.as_deref(), parent.product_id.as_deref()),
        (Some("1058"), Some("10a8"))
    );
    let nvme = disk(&inv, "nvme0n1");
    assert_eq!(
        (nvme.bus, nvme.hotplug, nvme.removable),
        (Bus::Nvme, false, Some(false))
    );
    assert_eq!(removable_names(&inv), ["sda", "sdb"]);
    assert!(hdd
        .all_mounts()
        .any(|m| m.mount_point == "/media/user/Elements" && !m.read_only));
}

#[test]
fn android_rndis_tether() {
    let inv = inventory("android-rndis-tether");
    let usb0 = iface(&inv, "usb0");
    assert_eq!(
        (usb0.kind, usb0.bus, usb0.driver.as_deref()),
        (NetKind::UsbTethering, Bus::Usb, Some("rndis_host"))
    );
    assert_eq!(
        usb0.usb.as_ref().unwrap().vendor_id.as_deref(),
        Some("18d1")
    );
    assert_eq!(iface(&inv, "eth0").kind, NetKind::Ethernet);
    assert_eq!(iface(&inv, "lo").kind, NetKind::Loopback);
    assert_eq!(inv.network.default_routes[0].interface, "usb0");
    assert!(
        inv.wireless.wwan.is_empty(),
        "a phone tether is not a modem"
    );
}

#[test]
fn usb_headset_microphone_and_hdmi_playback() {
    let inv = inventory("usb-headset");
    let capture: Vec<u32> = inv
        .audio
        .cards
        .iter()
        .filter(|c| !c.capture.is_empty())
        .map(|c| c.index)
        .collect();
    assert_eq!(capture, [1], "HDMI card0 is playback only");
    let headset = &inv.audio.cards[1];
    assert_eq!(
        (headset.bus, headset.driver.as_deref()),
        (Bus::Usb, Some("snd-usb-audio"))
    );
    assert_eq!(
        headset.usb.as_ref().unwrap().product_id.as_deref(),
        Some("0a44")
    );
    assert!(usb(&inv, "046d:0a44").kinds.contains(&UsbKind::Audio));
}

#[test]
fn mtp_and_ptp_devices_have_no_block_device() {
    let xperia = inventory("sony-xperia-mtp");
    assert!(xperia.problems().is_empty(), "{:?}", xperia.problems());
    assert!(usb(&xperia, "0fce:0166").kinds.contains(&UsbKind::Mtp));
    assert!(xperia.storage.devices.is_empty());

    let tablet = inventory("mtp-mediatek-tablet");
    assert!(usb(&tablet, "0e8d:2008").kinds.contains(&UsbKind::Mtp));

    let canon = inventory("canon-powershot-ptp");
    let camera = usb(&canon, "04a9:31c0");
    assert_eq!(camera.kinds, [UsbKind::StillImage]);
    assert!(camera.serial.is_some());
}

#[test]
fn usbguard_dock_reports_port_removable_attribute() {
    let inv = inventory("usbguard-thinkpad-dock");
    let camera = usb(&inv, "5986:0706");
    assert_eq!(camera.removable, PortRemovable::Fixed);
    assert_eq!(camera.kinds, [UsbKind::Video]);
    assert!(!usb(&inv, "1111:1111").kinds.contains(&UsbKind::MassStorage));
}

#[test]
fn card_readers_and_optical() {
    // A 4-LUN USB reader: four block devices on one USB device.
    let vostro = inventory("dell-vostro-270");
    let reader: Vec<&str> = vostro
        .storage
        .devices
        .iter()
        .filter(|d| d.usb.as_ref().and_then(|u| u.product_id.as_deref()) == Some("6362"))
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(reader, ["sdd", "sde", "sdf", "sdg"]);
    // An external USB optical drive is USB and hot-pluggable.
    let cdrom = inventory("one-cdrom-only");
    let sr0 = disk(&cdrom, "sr0");
    assert_eq!(
        (sr0.kind, sr0.bus, sr0.hotplug),
        (BlockKind::Optical, Bus::Usb, true)
    );
    assert_eq!(iface(&cdrom, "vmnet1").kind, NetKind::Virtual);
    // A reader on a USB card-reader chip with no card inserted has no block device.
    let dh270 = inventory("shuttle-dh270");
    assert!(removable_names(&dh270).is_empty());
    // The blank-model USB disk keeps what it has.
    let dh170 = inventory("shuttle-dh170-usb-disk");
    assert_eq!(removable_names(&dh170), ["sdb", "sdc"]);
    assert_eq!(
        disk(&dh170, "sdc")
            .usb
            .as_ref()
            .unwrap()
            .vendor_id
            .as_deref(),
        Some("abcd")
    );
}

#[test]
fn old_nvme_layout_and_pci_card_reader() {
    let inv = inventory("realtek-card-reader-nvme");
    assert_eq!(disk(&inv, "nvme0n1").bus, Bus::Nvme);
    // The PCI card reader (RTS525A as SCSI): a recording without attribute files cannot
    // say whether its slot holds removable media, so it is not claimed either way.
    assert_eq!(disk(&inv, "sdb").removable, None);
    assert_eq!(radio_names(&inv.wireless.bluetooth), ["hci0"]);
}

#[test]
fn bmc_rndis_gadget_is_a_usb_network_path() {
    let inv = inventory("rndis-ibm-imm");
    let gadget = inv
        .network
        .interfaces
        .iter()
        .find(|i| i.driver.as_deref() == Some("rndis_host"))
        .unwrap();
    assert_eq!(gadget.kind, NetKind::UsbTethering);
    assert_eq!(
        gadget.usb.as_ref().unwrap().vendor_id.as_deref(),
        Some("04b3")
    );
}

#[test]
fn latitude_e6430_platform_rfkill() {
    let inv = inventory("dell-latitude-e6430");
    let labels: Vec<&str> = inv
        .wireless
        .rfkill
        .iter()
        .filter_map(|r| r.label.as_deref())
        .collect();
    assert!(
        labels.contains(&"dell-wifi") && labels.contains(&"dell-bluetooth"),
        "{labels:?}"
    );
    assert_eq!(removable_names(&inv), ["sdb", "sr0"]);
    assert_eq!(inv.video.devices.len(), 1);
}

#[test]
fn udev_data_without_sysfs_is_an_error_not_an_empty_machine() {
    let inv = inventory("node-exporter-udev-data");
    assert!(inv.storage.devices.is_empty());
    assert!(
        !inv.storage.problems.is_empty(),
        "no sysfs must not read as 'no devices'"
    );
}

#[test]
fn every_fixture_builds_and_says_where_it_came_from() {
    let root = fixture_dir("");
    let mut count = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("fixture.toml").is_file() {
            continue;
        }
        count += 1;
        assert!(
            dir.join("ORIGIN.md").is_file(),
            "{} has no ORIGIN.md",
            dir.display()
        );
        let manifest = std::fs::read_to_string(dir.join("fixture.toml")).unwrap();
        assert!(
            manifest.contains("origin"),
            "{} does not name its origin",
            dir.display()
        );
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let inv = inventory(&name);
        // Sanity that holds on every machine: no loop, dm, ram or eMMC device counts as
        // removable storage, and no loopback/veth/bridge reaches outside.
        for d in &inv.storage.devices {
            if matches!(
                d.kind,
                BlockKind::Loop | BlockKind::DeviceMapper | BlockKind::Ram | BlockKind::Emmc
            ) {
                assert!(
                    !removable_names(&inv).contains(&d.name),
                    "{name}: {} counted as removable",
                    d.name
                );
            }
        }
        for i in &inv.network.interfaces {
            if matches!(i.kind, NetKind::Loopback | NetKind::Veth | NetKind::Bridge) {
                assert!(!i.kind.reaches_outside());
            }
        }
        // JSON keys the issue promises.
        let json = serde_json::to_value(&inv).unwrap();
        for key in [
            "host", "network", "storage", "usb", "audio", "video", "wireless",
        ] {
            assert!(json.get(key).is_some(), "{name}: no `{key}` in JSON");
        }
    }
    assert!(count >= 20, "only {count} fixtures found");
}

#[test]
fn pixel_ncm_tether_is_tethering_not_a_modem() {
    // Pixel 6 and later tether with CDC NCM (18d1:4eeb), the driver the DW5560 modem also uses;
    // with no cdc-wdm control channel it is a phone, not a WWAN modem.
    let inv = inventory("pixel-ncm-tether");
    let usb0 = iface(&inv, "usb0");
    assert_eq!(
        (usb0.kind, usb0.driver.as_deref()),
        (NetKind::UsbTethering, Some("cdc_ncm"))
    );
    assert_eq!(
        usb0.usb.as_ref().unwrap().product_id.as_deref(),
        Some("4eeb")
    );
    assert!(inv.wireless.wwan.is_empty());
}
