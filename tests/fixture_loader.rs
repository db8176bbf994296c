//! Builds every fixture under tests/fixtures and checks concrete layout facts, so a
//! loader change that breaks the sysfs/udev shape readers rely on fails here first.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use isoguard::platform::linux::fixture::{self, FixtureError, Materialized};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn build(name: &str) -> Materialized {
    match fixture::materialize_temp(&fixtures_dir().join(name)) {
        Ok(built) => built,
        Err(e) => panic!("fixture {name} failed to build: {e}"),
    }
}

fn read(root: &Path, rel: &str) -> String {
    let path = root.join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn link_target(root: &Path, rel: &str) -> String {
    let path = root.join(rel);
    let target =
        fs::read_link(&path).unwrap_or_else(|e| panic!("readlink {}: {e}", path.display()));
    target.to_string_lossy().into_owned()
}

/// Resolves `rel` (following symlinks) and checks the result stays inside `root`.
fn resolve(root: &Path, rel: &str) -> PathBuf {
    let real_root = fs::canonicalize(root).expect("root exists");
    let path = fs::canonicalize(root.join(rel))
        .unwrap_or_else(|e| panic!("resolve {rel} in {}: {e}", root.display()));
    assert!(
        path.starts_with(&real_root),
        "{rel} resolves outside the tree: {}",
        path.display()
    );
    path
}

/// The first ancestor of `dir` (itself included) whose uevent contains `needle`.
fn ancestor_with_uevent(dir: &Path, needle: &str) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| {
            fs::read_to_string(d.join("uevent")).is_ok_and(|u| u.lines().any(|l| l == needle))
        })
        .map(Path::to_path_buf)
}

#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir,
    File(Vec<u8>),
    Link(String),
}

/// Every entry below `dir`, keyed by path relative to `dir`; symlinks are not followed.
fn walk(dir: &Path) -> BTreeMap<String, Entry> {
    fn visit(base: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.expect("dir entry");
            let path = entry.path();
            let rel = path
                .strip_prefix(base)
                .expect("below base")
                .to_string_lossy()
                .into_owned();
            let kind = entry.file_type().expect("file type");
            if kind.is_symlink() {
                let target = fs::read_link(&path).expect("readlink");
                out.insert(rel, Entry::Link(target.to_string_lossy().into_owned()));
            } else if kind.is_dir() {
                out.insert(rel, Entry::Dir);
                visit(base, &path, out);
            } else {
                out.insert(rel, Entry::File(fs::read(&path).expect("read file")));
            }
        }
    }
    let mut out = BTreeMap::new();
    visit(dir, dir, &mut out);
    out
}

/// True when a link at `rel` (relative to the root) with `target` stays below the root
/// without following any other link.
fn lexically_inside(rel: &str, target: &str) -> bool {
    let mut depth: Vec<&str> = rel.split('/').collect();
    depth.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if depth.pop().is_none() {
                    return false;
                }
            }
            name => depth.push(name),
        }
    }
    true
}

fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(fixtures_dir())
        .expect("tests/fixtures exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| fixture::is_fixture_dir(p))
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_fixture_folder_is_documented_and_builds_a_sane_tree() {
    let names = fixture_names();
    assert!(
        names.len() >= 20,
        "expected all fixture folders, found {names:?}"
    );
    assert!(!fixture::is_fixture_dir(&fixtures_dir().join("tools")));
    for name in &names {
        let dir = fixtures_dir().join(name);
        assert!(dir.join("ORIGIN.md").is_file(), "{name} has no ORIGIN.md");
        let manifest = fixture::load_manifest(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!manifest.origin.trim().is_empty(), "{name} has no origin");
        assert!(
            !manifest.description.trim().is_empty(),
            "{name} has no description"
        );

        let built = build(name);
        let root = &built.root;
        let real_root = fs::canonicalize(root).expect("root exists");
        assert!(
            !root.join("fixture.toml").exists(),
            "{name}: manifest copied into tree"
        );
        assert!(
            !root.join("ORIGIN.md").exists(),
            "{name}: ORIGIN.md copied into tree"
        );
        for source in &manifest.sources {
            assert!(
                !root.join(&source.path).exists(),
                "{name}: source {} copied",
                source.path
            );
        }
        assert!(
            root.join("etc/machine-id").is_file(),
            "{name}: no etc/machine-id overlay"
        );
        for (rel, entry) in walk(root) {
            match entry {
                Entry::Link(target) => {
                    assert!(
                        !target.starts_with('/'),
                        "{name}: absolute link {rel} -> {target}"
                    );
                    assert!(
                        lexically_inside(&rel, &target),
                        "{name}: {rel} -> {target} escapes"
                    );
                    // Recordings may hold links to things they did not record (the T61 tarball,
                    // umockdev's `port` links); links the loader generates never dangle.
                    match fs::canonicalize(root.join(&rel)) {
                        Ok(path) => assert!(path.starts_with(&real_root), "{name}: {rel} escapes"),
                        Err(e) => assert!(
                            ["thinkpad-t61", "usbguard-thinkpad-dock"].contains(&name.as_str()),
                            "{name}: dangling {rel}: {e}"
                        ),
                    }
                }
                // The kernel's half of the properties only: udev's keys live in run/udev/data.
                Entry::File(data) if rel.ends_with("/uevent") && name != "thinkpad-t61" => {
                    let text = String::from_utf8(data).expect("uevent is UTF-8");
                    for line in text.lines() {
                        let (key, _) = line
                            .split_once('=')
                            .unwrap_or_else(|| panic!("{name}: {rel}: bad line {line:?}"));
                        assert!(
                            !key.starts_with("ID_")
                                && ![
                                    "DEVLINKS",
                                    "TAGS",
                                    "USEC_INITIALIZED",
                                    "SUBSYSTEM",
                                    "DEVPATH"
                                ]
                                .contains(&key)
                                && !key.chars().any(|c| c.is_ascii_lowercase()),
                            "{name}: udev key {key} in {rel}"
                        );
                        if key == "DEVNAME" {
                            assert!(!line.contains("=/dev/"), "{name}: {rel}: {line}");
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[test]
fn hp_elitebook_835_g10_wifi_usb_disks_and_udev_db() {
    let built = build("hp-elitebook-835-g10");
    let root = &built.root;

    let wifi = resolve(root, "sys/class/net/wlp1s0");
    assert!(wifi.starts_with(fs::canonicalize(root.join("sys/devices")).expect("devices")));
    let uevent = fs::read_to_string(wifi.join("uevent")).expect("wlp1s0 uevent");
    assert!(uevent.lines().any(|l| l == "DEVTYPE=wlan"), "{uevent}");
    assert!(uevent.lines().any(|l| l == "INTERFACE=wlp1s0"), "{uevent}");
    assert_eq!(read(root, "sys/class/net/wlp1s0/ifindex"), "3\n");
    assert!(link_target(root, "sys/class/net/wlp1s0/subsystem").ends_with("/class/net"));
    // Class devices point back at their parent (the mt7921e PCI function).
    let pci = resolve(root, "sys/class/net/wlp1s0/device");
    assert!(read(root, "sys/class/net/wlp1s0/device/uevent").contains("DRIVER=mt7921e"));
    assert!(pci.ends_with("0000:01:00.0"), "{}", pci.display());

    // sda is the recovery stick: its block dir sits below a USB device.
    assert!(fs::symlink_metadata(root.join("sys/block/sda"))
        .expect("sys/block/sda")
        .is_symlink());
    let sda = resolve(root, "sys/block/sda");
    let usb = ancestor_with_uevent(&sda, "DEVTYPE=usb_device").expect("sda is under a usb_device");
    assert_eq!(
        fs::read_to_string(usb.join("idVendor")).expect("idVendor"),
        "090c\n"
    );
    assert_eq!(read(root, "sys/block/sda/dev"), "8:0\n");
    let sda_uevent = read(root, "sys/block/sda/uevent");
    assert!(
        sda_uevent.lines().any(|l| l == "DEVNAME=sda"),
        "{sda_uevent}"
    );
    assert!(
        sda_uevent.lines().any(|l| l == "DEVTYPE=disk"),
        "{sda_uevent}"
    );
    assert_eq!(resolve(root, "sys/dev/block/8:0"), sda);
    assert_eq!(resolve(root, "sys/class/block/sda"), sda);
    let storage = resolve(root, "sys/bus/usb/drivers/usb-storage");
    let iface = ancestor_with_uevent(&sda, "DEVTYPE=usb_interface").expect("usb interface");
    assert_eq!(
        resolve(
            root,
            &format!(
                "{}/driver",
                iface
                    .strip_prefix(fs::canonicalize(root).expect("root"))
                    .expect("inside")
                    .display()
            )
        ),
        storage
    );
    assert_eq!(
        fs::read_to_string(iface.join("bInterfaceClass")).expect("class"),
        "08\n"
    );

    let db = read(root, "run/udev/data/b8:0");
    assert!(db.lines().any(|l| l == "E:ID_BUS=usb"), "{db}");
    assert!(
        db.lines()
            .any(|l| l.starts_with("S:disk/by-id/usb-Samsung_Type-C")),
        "{db}"
    );
    assert!(db.lines().any(|l| l == "G:systemd"), "{db}");
    assert!(
        !db.contains("E:DEVLINKS=") && !db.contains("E:MAJOR="),
        "{db}"
    );
    // The internal NVMe disk is not on USB.
    let nvme = resolve(root, "sys/block/nvme0n1");
    assert!(ancestor_with_uevent(&nvme, "DEVTYPE=usb_device").is_none());
    assert!(read(root, "run/udev/data/b259:0").contains("E:ID_MODEL=MTFDKBA512TFH-1BC15ABHA"));
    assert!(read(root, "proc/mounts").starts_with("/dev/nvme0n1p3 / ext4"));

    let kept = root.clone();
    drop(built);
    assert!(!kept.exists(), "temp tree must be removed on drop");
}

#[test]
fn thinkpad_t61_real_sysfs_and_overlays() {
    let built = build("thinkpad-t61");
    let root = &built.root;
    let sdb = resolve(root, "sys/block/sdb");
    let usb = ancestor_with_uevent(&sdb, "DEVTYPE=usb_device").expect("sdb is under 5-1");
    assert!(usb.ends_with("5-1"), "{}", usb.display());
    assert_eq!(read(root, "sys/block/sdb/removable"), "1\n");
    assert_eq!(read(root, "sys/block/sda/removable"), "0\n");
    assert_eq!(
        fs::read_to_string(usb.join("idVendor")).expect("idVendor"),
        "1043\n"
    );
    // 2.6.27 predates DEVTYPE=wlan; readers must cope.
    let wlan = read(root, "sys/class/net/wlan0/uevent");
    assert!(!wlan.contains("DEVTYPE"), "{wlan}");
    assert_eq!(
        read(root, "sys/class/net/eth0/address"),
        "00:16:41:e2:8d:ff\n"
    );
    assert!(read(root, "proc/net/if_inet6")
        .contains("fe80000000000000021641fffee28dff 02 40 20 80     eth0"));
    let route = read(root, "proc/net/route");
    assert!(route.starts_with("Iface\tDestination\tGateway"));
    assert!(route
        .lines()
        .any(|l| l.starts_with("eth0\t00000000\t0101A8C0\t0003")));
    let machine_id = read(root, "etc/machine-id");
    assert!(
        machine_id.trim_end().len() == 32
            && machine_id.trim_end().chars().all(|c| c.is_ascii_hexdigit())
    );
    assert!(read(root, "proc/mounts").contains("/dev/sdb1 /media/disk vfat rw"));
    assert!(read(root, "proc/sys/kernel/osrelease").starts_with("2.6.27"));
    assert!(!root.join("run/udev/data").exists());
}

#[test]
fn thinkpad_t61_matches_the_original_tarball() {
    let tarball =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/originals/eudev-thinkpad-t61/sys.tar.xz");
    let built = build("thinkpad-t61");
    let unpacked = build("node-exporter-udev-data"); // any fresh temp dir removed on drop
    let dest = unpacked.root.join("tarball");
    fs::create_dir(&dest).expect("mkdir");
    let status = Command::new("tar")
        .arg("-xJf")
        .arg(&tarball)
        .arg("-C")
        .arg(&dest)
        .status()
        .expect("run tar (with xz) to unpack the original tree");
    assert!(status.success(), "tar failed: {status}");
    let want = walk(&dest.join("sys"));
    let got = walk(&built.root.join("sys"));
    let want_paths: Vec<&String> = want.keys().collect();
    let got_paths: Vec<&String> = got.keys().collect();
    assert_eq!(got_paths.len(), want_paths.len());
    assert_eq!(got_paths, want_paths);
    for (rel, expected) in &want {
        match (expected, &got[rel]) {
            (Entry::File(w), Entry::File(g)) => {
                // The flattened text keeps the first 4096 bytes of each file.
                assert_eq!(g.as_slice(), &w[..w.len().min(4096)], "content of {rel}");
            }
            (w, g) => assert_eq!(g, w, "{rel}"),
        }
    }
}

#[test]
fn lenovo_t430s_wwan_and_rfkill() {
    let built = build("lenovo-t430s");
    let root = &built.root;
    assert!(read(root, "sys/class/net/wwan0/uevent")
        .lines()
        .any(|l| l == "DEVTYPE=wwan"));
    let wwan = resolve(root, "sys/class/net/wwan0");
    let iface = ancestor_with_uevent(&wwan, "DEVTYPE=usb_interface").expect("wwan0 on USB");
    assert!(fs::read_to_string(iface.join("uevent"))
        .expect("uevent")
        .contains("DRIVER=cdc_mbim"));
    let mut rfkill_types: Vec<String> = fs::read_dir(root.join("sys/class/rfkill"))
        .expect("rfkill class")
        .map(|e| {
            let uevent =
                fs::read_to_string(e.expect("entry").path().join("uevent")).expect("uevent");
            uevent
                .lines()
                .find_map(|l| l.strip_prefix("RFKILL_TYPE="))
                .unwrap_or("")
                .to_string()
        })
        .collect();
    rfkill_types.sort();
    assert!(
        rfkill_types.contains(&"wwan".to_string()),
        "{rfkill_types:?}"
    );
    assert!(
        rfkill_types.contains(&"bluetooth".to_string()),
        "{rfkill_types:?}"
    );
}

#[test]
fn crypto_fde_emmc_and_sd_card_differ_by_mmc_type() {
    let built = build("crypto-fde");
    let root = &built.root;
    for disk in ["mmcblk0", "mmcblk1", "mmcblk0boot0"] {
        assert!(
            root.join("sys/block").join(disk).join("uevent").is_file(),
            "{disk}"
        );
    }
    let card_of = |disk: &str| {
        let dir = resolve(root, &format!("sys/block/{disk}"));
        let card = dir.ancestors().nth(2).expect("mmc card dir").to_path_buf();
        fs::read_to_string(card.join("uevent")).expect("card uevent")
    };
    assert!(card_of("mmcblk0").lines().any(|l| l == "MMC_TYPE=MMC"));
    assert!(card_of("mmcblk1").lines().any(|l| l == "MMC_TYPE=SD"));
    assert!(
        !root.join("sys/block/mmcblk0p1").exists(),
        "partitions are not in sys/block"
    );
    assert!(root.join("sys/class/block/mmcblk0p1").exists());
}

#[test]
fn shuttle_dh170_restored_modalias_lines_reach_sysfs() {
    let built = build("shuttle-dh170-usb-disk");
    let root = &built.root;
    let hid = "sys/bus/hid/devices/0003:0461:0010.0001";
    assert_eq!(
        read(root, &format!("{hid}/modalias")),
        "hid:b0003g0001v00000461p00000010\n"
    );
    assert!(
        read(root, &format!("{hid}/uevent")).contains("MODALIAS=hid:b0003g0001v00000461p00000010")
    );
    // Upstream lists a few devices twice; they merge into one.
    assert!(root.join("sys/bus/i2c/devices/i2c-0/uevent").is_file());
    assert!(read(root, "run/udev/data/+i2c:i2c-0").contains("E:net.ifnames=0"));
}

#[test]
fn dell_vostro_270_old_udev_keys_stay_in_the_database() {
    let built = build("dell-vostro-270");
    let root = &built.root;
    let uevent = read(root, "sys/bus/acpi/devices/LNXCPU:00/uevent");
    assert_eq!(uevent, "DRIVER=processor\nMODALIAS=acpi:LNXCPU:\n");
    assert!(read(root, "run/udev/data/+acpi:LNXCPU:00").contains("E:UDEV_LOG=3"));
    assert_eq!(
        link_target(root, "sys/devices/LNXSYSTM:00/LNXCPU:00/driver"),
        "../../../bus/acpi/drivers/processor"
    );
    assert!(root
        .join("sys/bus/acpi/drivers/processor/LNXCPU:00")
        .is_symlink());
}

#[test]
fn sony_xperia_umockdev_attributes_and_descriptors() {
    let built = build("sony-xperia-mtp");
    let root = &built.root;
    let phone = "sys/devices/pci0000:00/0000:00:1a.0/usb1/1-1/1-1.5/1-1.5.2/1-1.5.2.4";
    assert_eq!(read(root, &format!("{phone}/idVendor")), "0fce\n");
    assert_eq!(read(root, &format!("{phone}/busnum")), "1\n");
    assert_eq!(read(root, &format!("{phone}/bNumInterfaces")), " 1\n");
    assert_eq!(read(root, &format!("{phone}/removable")), "unknown\n");
    let descriptors = fs::read(root.join(phone).join("descriptors")).expect("descriptors");
    assert_eq!(&descriptors[..4], &[0x12, 0x01, 0x00, 0x02]);
    assert_eq!(descriptors.len(), 0x27 + 18);
    let db = read(root, "run/udev/data/c189:23");
    assert!(db.lines().any(|l| l == "E:ID_MTP_DEVICE=1"), "{db}");
    assert!(db.lines().any(|l| l == "S:libmtp-1-1.5.2.4"), "{db}");
    assert_eq!(
        resolve(root, "sys/bus/usb/devices/1-1.5.2.4"),
        resolve(root, phone)
    );
}

#[test]
fn usbguard_dock_recorded_driver_links_are_kept() {
    let built = build("usbguard-thinkpad-dock");
    let root = &built.root;
    let hub = "sys/devices/pci0000:00/0000:00:14.0/usb1";
    assert_eq!(
        link_target(root, &format!("{hub}/driver")),
        "../../../../bus/usb/drivers/usb"
    );
    assert!(resolve(root, &format!("{hub}/driver")).is_dir());
    assert_eq!(
        link_target(root, "sys/devices/pci0000:00/0000:00:14.0/driver"),
        "../../../bus/pci/drivers/xhci_hcd"
    );
    let camera = fs::read_dir(root.join("sys/bus/usb/devices"))
        .expect("usb devices")
        .map(|e| e.expect("entry").path())
        .find(|p| fs::read_to_string(p.join("idProduct")).is_ok_and(|v| v == "0706\n"))
        .expect("Integrated Camera 5986:0706");
    assert_eq!(
        fs::read_to_string(camera.join("removable")).expect("removable"),
        "fixed\n"
    );
}

#[test]
fn canon_powershot_ptp_interfaces_in_udev_db() {
    let built = build("canon-powershot-ptp");
    let root = &built.root;
    let camera = "sys/devices/pci0000:00/0000:00:1a.0/usb1/1-1/1-1.5/1-1.5.2/1-1.5.2.3";
    assert_eq!(read(root, &format!("{camera}/idVendor")), "04a9\n");
    assert_eq!(read(root, &format!("{camera}/idProduct")), "31c0\n");
    let db = read(root, "run/udev/data/c189:10");
    assert!(
        db.lines().any(|l| l == "E:ID_USB_INTERFACES=:060101:"),
        "{db}"
    );
    assert!(db.lines().any(|l| l == "E:ID_GPHOTO2=1"), "{db}");
}

#[test]
fn mtp_mediatek_tablet_blog_suffix_is_stripped() {
    let built = build("mtp-mediatek-tablet");
    let root = &built.root;
    let db = read(root, "run/udev/data/c189:307");
    assert!(db.lines().any(|l| l == "E:ID_MM_DEVICE_IGNORE=1"), "{db}");
    assert!(!db.contains("WORKS"));
    assert!(
        db.lines()
            .any(|l| l == "E:ID_MODEL_ENC=MT65xx\\x20Android\\x20Phone"),
        "{db}"
    );
    let iface = "sys/bus/usb/devices/3-1:1.0";
    assert_eq!(read(root, &format!("{iface}/bInterfaceClass")), "ff\n");
    assert_eq!(read(root, &format!("{iface}/bInterfaceSubClass")), "ff\n");
    assert_eq!(read(root, "sys/bus/usb/devices/3-1/idVendor"), "0e8d\n");
    assert!(read(root, "run/udev/data/+usb:3-1:1.0").contains("E:ID_MM_DEVICE_IGNORE=1"));
}

#[test]
fn node_exporter_udev_data_is_copied_verbatim() {
    let built = build("node-exporter-udev-data");
    let root = &built.root;
    let source = fixtures_dir().join("node-exporter-udev-data/udev-data");
    let mut count = 0;
    for entry in fs::read_dir(&source).expect("udev-data") {
        let entry = entry.expect("entry");
        let copied = root.join("run/udev/data").join(entry.file_name());
        assert_eq!(
            fs::read(&copied).expect("copied"),
            fs::read(entry.path()).expect("source")
        );
        count += 1;
    }
    assert_eq!(count, 15);
    assert!(read(root, "run/udev/data/b11:0")
        .lines()
        .any(|l| l == "E:ID_BUS=usb"));
    assert!(!root.join("sys").exists());
}

#[test]
fn usb_hdd_on_uas_reports_removable_0_and_id_bus_ata() {
    let built = build("usb-hdd-uas-removable0");
    let root = &built.root;
    assert_eq!(read(root, "sys/block/sdb/removable"), "0\n");
    assert_eq!(read(root, "sys/block/sdb/size"), "3907029168\n");
    assert_eq!(read(root, "sys/block/sdb/device/vendor"), "WD      \n");
    assert_eq!(
        read(root, "sys/block/sdb/device/model"),
        "Elements 10A8   \n"
    );
    let db = read(root, "run/udev/data/b8:16");
    assert!(db.lines().any(|l| l == "E:ID_BUS=ata"), "{db}");
    assert!(db.lines().any(|l| l == "E:ID_USB_DRIVER=uas"), "{db}");
    let sdb = resolve(root, "sys/block/sdb");
    let iface = ancestor_with_uevent(&sdb, "DEVTYPE=usb_interface").expect("on a USB interface");
    for (file, value) in [
        ("bInterfaceClass", "08\n"),
        ("bInterfaceSubClass", "06\n"),
        ("bInterfaceProtocol", "62\n"),
    ] {
        assert_eq!(
            fs::read_to_string(iface.join(file)).expect(file),
            value,
            "{file}"
        );
    }
    assert!(fs::read_link(iface.join("driver"))
        .expect("driver")
        .ends_with("drivers/uas"));
    let device = ancestor_with_uevent(&sdb, "DEVTYPE=usb_device").expect("on a USB device");
    for (file, value) in [
        ("idVendor", "1058\n"),
        ("idProduct", "10a8\n"),
        ("serial", "575834314135313233343536\n"),
        ("manufacturer", "Western Digital\n"),
        ("product", "Elements 10A8\n"),
    ] {
        assert_eq!(
            fs::read_to_string(device.join(file)).expect(file),
            value,
            "{file}"
        );
    }
    // The empty card reader holds sda and is removable; the NVMe disk is internal.
    assert_eq!(read(root, "sys/block/sda/removable"), "1\n");
    assert_eq!(read(root, "sys/block/sda/size"), "0\n");
    assert!(read(root, "run/udev/data/b8:0")
        .lines()
        .any(|l| l == "E:ID_BUS=usb"));
    let nvme = resolve(root, "sys/block/nvme0n1");
    assert!(ancestor_with_uevent(&nvme, "DEVTYPE=usb_device").is_none());
    assert_eq!(read(root, "sys/block/nvme0n1/removable"), "0\n");
}

#[test]
fn android_rndis_tether_usb0_under_an_rndis_interface() {
    let built = build("android-rndis-tether");
    let root = &built.root;
    let usb0 = resolve(root, "sys/class/net/usb0");
    let iface = ancestor_with_uevent(&usb0, "DEVTYPE=usb_interface").expect("usb0 on USB");
    assert_eq!(
        fs::read_to_string(iface.join("bInterfaceClass")).expect("class"),
        "e0\n"
    );
    assert_eq!(
        fs::read_to_string(iface.join("bInterfaceSubClass")).expect("sub"),
        "01\n"
    );
    assert_eq!(
        fs::read_to_string(iface.join("bInterfaceProtocol")).expect("proto"),
        "03\n"
    );
    assert!(fs::read_link(iface.join("driver"))
        .expect("driver")
        .ends_with("drivers/rndis_host"));
    assert_eq!(resolve(root, "sys/class/net/usb0/device"), iface);
    assert_eq!(
        read(root, "sys/class/net/usb0/address"),
        "b2:4e:7c:19:a3:5d\n"
    );
    let phone = ancestor_with_uevent(&usb0, "DEVTYPE=usb_device").expect("phone");
    assert_eq!(
        fs::read_to_string(phone.join("idVendor")).expect("vendor"),
        "18d1\n"
    );
    assert_eq!(
        fs::read_to_string(phone.join("idProduct")).expect("product"),
        "4ee3\n"
    );
    assert!(read(root, "run/udev/data/n3")
        .lines()
        .any(|l| l == "E:ID_NET_DRIVER=rndis_host"));
    let eth0 = resolve(root, "sys/class/net/eth0");
    assert!(ancestor_with_uevent(&eth0, "DEVTYPE=usb_device").is_none());
    assert!(read(root, "sys/class/net/eth0/device/uevent").contains("DRIVER=e1000e"));
    assert!(read(root, "proc/net/route")
        .lines()
        .any(|l| l.starts_with("usb0\t00000000\t812AA8C0")));
}

#[test]
fn pixel_ncm_tether_usb0_under_a_cdc_ncm_interface() {
    let built = build("pixel-ncm-tether");
    let root = &built.root;
    let usb0 = resolve(root, "sys/class/net/usb0");
    let iface = ancestor_with_uevent(&usb0, "DEVTYPE=usb_interface").expect("usb0 on USB");
    assert_eq!(
        fs::read_to_string(iface.join("bInterfaceClass")).expect("class"),
        "02\n"
    );
    assert_eq!(
        fs::read_to_string(iface.join("bInterfaceSubClass")).expect("sub"),
        "0d\n"
    );
    assert!(fs::read_link(iface.join("driver"))
        .expect("driver")
        .ends_with("drivers/cdc_ncm"));
    let phone = ancestor_with_uevent(&usb0, "DEVTYPE=usb_device").expect("phone");
    assert_eq!(
        fs::read_to_string(phone.join("idProduct")).expect("product"),
        "4eeb\n"
    );
    let db = read(root, "run/udev/data/c189:6");
    assert!(
        db.lines()
            .any(|l| l == "E:ID_USB_INTERFACES=:020d00:0a0001:"),
        "{db}"
    );
}

#[test]
fn usb_headset_has_capture_and_hdmi_card_has_playback_only() {
    let built = build("usb-headset");
    let root = &built.root;
    assert_eq!(read(root, "sys/class/sound/card1/id"), "H390\n");
    assert_eq!(read(root, "sys/class/sound/card1/number"), "1\n");
    assert_eq!(read(root, "sys/class/sound/card0/id"), "HDMI\n");
    let card1 = resolve(root, "sys/class/sound/card1");
    assert!(card1.join("pcmC1D0c").is_dir() && card1.join("pcmC1D0p").is_dir());
    assert_eq!(
        link_target(root, "sys/class/sound/pcmC1D0c/device"),
        "../../card1"
    );
    let iface = ancestor_with_uevent(&card1, "DEVTYPE=usb_interface").expect("card1 on USB");
    assert!(fs::read_to_string(iface.join("uevent"))
        .expect("uevent")
        .contains("DRIVER=snd-usb-audio"));
    let card0 = resolve(root, "sys/class/sound/card0");
    let mut pcms: Vec<String> = fs::read_dir(&card0)
        .expect("card0")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("pcm"))
        .collect();
    pcms.sort();
    assert_eq!(pcms, vec!["pcmC0D3p".to_string()]);
    assert_eq!(read(root, "sys/class/sound/pcmC1D0c/dev"), "116:5\n");
    assert!(read(root, "proc/asound/cards").contains("USB-Audio - Logitech USB Headset H390"));
}

/// A scratch fixture folder that removes itself.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("isoguard-loader-test-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }

    fn file(&self, rel: &str, content: &str) -> &Self {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, content).expect("write");
        self
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const MANIFEST_HEAD: &str = "description = \"test\"\norigin = \"test\"\n";

fn error_of(dir: &Path) -> String {
    match fixture::materialize_temp(dir) {
        Ok(built) => panic!(
            "fixture at {} should fail, built {}",
            dir.display(),
            built.root.display()
        ),
        Err(e) => e.to_string(),
    }
}

#[test]
fn malformed_sources_fail_with_file_and_line() {
    let fx = Scratch::new("malformed");
    fx.file(
        "fixture.toml",
        &format!("{MANIFEST_HEAD}[[source]]\nformat = \"udevadm-export-db\"\npath = \"db.txt\"\n"),
    )
    .file(
        "db.txt",
        "P: /devices/ok\nE: SUBSYSTEM=usb\n\nP: /devices/x\nE NOT A LINE\n",
    );
    let err = error_of(&fx.0);
    assert!(err.contains("db.txt:5:"), "{err}");

    fx.file("db.txt", "P: /devices/../../etc\nE: SUBSYSTEM=usb\n");
    let err = error_of(&fx.0);
    assert!(err.contains("db.txt:1:"), "{err}");

    fx.file("fixture.toml", &format!("{MANIFEST_HEAD}extra = 1\n"));
    assert!(error_of(&fx.0).contains("fixture.toml"));

    fx.file(
        "fixture.toml",
        &format!("{MANIFEST_HEAD}[[source]]\nformat = \"flattened\"\npath = \"../outside.txt\"\n"),
    );
    assert!(error_of(&fx.0).contains("fixture.toml"));
}

#[test]
fn symlink_escapes_in_flattened_input_are_refused() {
    let fx = Scratch::new("escape");
    fx.file(
        "fixture.toml",
        &format!("{MANIFEST_HEAD}[[source]]\nformat = \"flattened\"\npath = \"flat.txt\"\n"),
    )
    .file(
        "flat.txt",
        "D /sys/devices\nL /sys/devices/up -> ../..\nL /sys/devices/up/evil -> x\n",
    );
    let err = error_of(&fx.0);
    assert!(err.contains("flat.txt:3:"), "{err}");

    fx.file("flat.txt", "L /sys/class/x -> ../../../../../../etc\n");
    assert!(error_of(&fx.0).contains("flat.txt:1:"));

    fx.file("flat.txt", "F /proc/mounts = x\n");
    assert!(error_of(&fx.0).contains("flat.txt:1:"));
}

#[test]
fn materialize_needs_an_empty_or_absent_output_and_copies_overlays() {
    let fx = Scratch::new("overlay");
    fx.file(
        "fixture.toml",
        &format!(
            "{MANIFEST_HEAD}[[source]]\nformat = \"udevadm-export-db\"\npath = \"src/db.txt\"\n"
        ),
    )
    .file(
        "src/db.txt",
        "P: /devices/virtual/net/lo\nE: SUBSYSTEM=net\nE: INTERFACE=lo\nE: IFINDEX=1\n",
    )
    .file("src/keep.txt", "not a source\n")
    .file("ORIGIN.md", "doc\n")
    .file("etc/hostname", "box\n")
    .file("proc/net/route", "Iface\n");
    let out = Scratch::new("overlay-out");
    let target = out.0.join("tree");
    fixture::materialize(&fx.0, &target).expect("builds into an absent dir");
    assert_eq!(
        fs::read_to_string(target.join("etc/hostname")).expect("hostname"),
        "box\n"
    );
    assert_eq!(
        fs::read_to_string(target.join("src/keep.txt")).expect("keep"),
        "not a source\n"
    );
    assert!(!target.join("src/db.txt").exists());
    assert!(!target.join("ORIGIN.md").exists() && !target.join("fixture.toml").exists());
    assert_eq!(
        fs::read_to_string(target.join("run/udev/data/n1")).ok(),
        None,
        "lo has no udev data"
    );
    assert_eq!(
        fs::read_to_string(target.join("sys/class/net/lo/uevent")).expect("uevent"),
        "INTERFACE=lo\nIFINDEX=1\n"
    );

    let again = fixture::materialize(&fx.0, &target);
    assert!(
        matches!(again, Err(FixtureError::Invalid { .. })),
        "{again:?}"
    );
}

#[test]
fn symlinks_inside_fixture_folders_are_refused() {
    let fx = Scratch::new("fxlink");
    fx.file("fixture.toml", MANIFEST_HEAD);
    std::os::unix::fs::symlink("/etc/passwd", fx.0.join("passwd")).expect("symlink");
    let err = error_of(&fx.0);
    assert!(err.contains("passwd"), "{err}");
}
