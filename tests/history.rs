//! The history section read from recorded machines (`tests/fixtures/history-*`, plain root
//! trees): which devices were seen, when, as what, and from which file and line; which
//! networks were saved and joined; and what could not be read.
// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use isoguard::inventory::history::{
    BluetoothMajorClass, Coverage, DeviceKind, DeviceSighting, HistorySection, LeaseClient,
    LimitKind, Limits, ProfileKind, ProfileManager, SourceFormat,
};
use isoguard::platform::linux::history::collect;
use isoguard::platform::linux::HostRoot;

/// 2024-03-10T00:00:00Z: the fixtures' "now".
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_710_028_800)
}

fn read(tree: &Path, limits: &Limits) -> HistorySection {
    collect(&HostRoot::at(tree), now(), limits)
}

fn fixture(name: &str) -> HistorySection {
    read(&common::fixture_dir(name), &Limits::default())
}

fn sightings<'a>(h: &'a HistorySection, vid_pid: &str) -> Vec<&'a DeviceSighting> {
    h.devices
        .iter()
        .filter(|d| d.vid_pid().as_deref() == Some(vid_pid))
        .collect()
}

fn rfc(t: Option<isoguard::inventory::history::Timestamp>) -> String {
    t.map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// `source:line` of every evidence message, for assertions.
fn places(d: &DeviceSighting) -> Vec<String> {
    d.evidence
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e.source,
                e.line.map_or("-".into(), |l| l.to_string())
            )
        })
        .collect()
}

#[test]
fn the_stick_is_two_connections_with_their_times_and_lines() {
    let h = fixture("history-stick-and-phone");
    let cruzer = sightings(&h, "0781:5583");
    assert_eq!(cruzer.len(), 2, "{cruzer:#?}");
    // Newest first. Local times in kern.log are UTC+8 (etc/localtime is Asia/Shanghai).
    let (now_plugged, earlier) = (cruzer[0], cruzer[1]);
    assert_eq!(now_plugged.port.as_deref(), Some("1-2"));
    assert_eq!(now_plugged.device_number, Some(5));
    assert_eq!(now_plugged.serial.as_deref(), Some("4C530001230101110253"));
    assert_eq!(now_plugged.product.as_deref(), Some("Cruzer Fit"));
    assert_eq!(now_plugged.manufacturer.as_deref(), Some("SanDisk"));
    assert_eq!(now_plugged.kinds, vec![DeviceKind::Storage]);
    assert_eq!(now_plugged.attached, vec!["sdb".to_string()]);
    assert_eq!(rfc(now_plugged.first_seen), "2024-03-05T10:11:12Z");
    assert!(now_plugged.connect_seen && !now_plugged.disconnect_seen);
    // The same connection is in the journal recording, kern.log and syslog: one sighting.
    let p = places(now_plugged);
    assert!(
        p.contains(&"/var/log/journal/ws-0417.export:12".to_string()),
        "{p:?}"
    );
    assert!(p.contains(&"/var/log/kern.log:16".to_string()), "{p:?}");
    assert!(p.contains(&"/var/log/syslog:16".to_string()), "{p:?}");
    let journal = now_plugged
        .evidence
        .iter()
        .find(|e| e.source.ends_with(".export"))
        .unwrap();
    assert!(journal.cursor.as_deref().unwrap().starts_with("s=8c1e2f4a"));
    assert_eq!(
        now_plugged.boot_id.as_deref(),
        Some("5b1f0c6a2e3d4f50a1b2c3d4e5f60718")
    );

    assert_eq!(earlier.device_number, Some(4));
    assert_eq!(rfc(earlier.first_seen), "2024-02-20T06:30:05Z");
    assert_eq!(rfc(earlier.last_seen), "2024-02-20T06:52:40Z");
    assert!(earlier.disconnect_seen);
    assert_eq!(places(earlier)[0], "/var/log/kern.log.1:16");
    assert!(earlier.first_seen.unwrap().year_inferred);
}

#[test]
fn phones_by_tethering_and_by_mtp() {
    let h = fixture("history-stick-and-phone");
    let moto = sightings(&h, "22b8:2e24");
    assert_eq!(moto.len(), 1, "{moto:#?}");
    let moto = moto[0];
    assert_eq!(moto.kinds, vec![DeviceKind::Phone]);
    assert_eq!(moto.attached, vec!["usb0".to_string()]);
    assert_eq!(moto.port.as_deref(), Some("1-4"));
    assert_eq!(moto.serial.as_deref(), Some("TA9290ABCD"));
    assert_eq!(rfc(moto.first_seen), "2024-03-05T10:40:01Z");
    assert_eq!(rfc(moto.last_seen), "2024-03-05T11:05:33Z");
    assert!(moto.disconnect_seen);

    let pixel = sightings(&h, "18d1:4ee1");
    assert_eq!(pixel.len(), 1);
    assert_eq!(pixel[0].kinds, vec![DeviceKind::Phone]);
    assert!(places(pixel[0]).contains(&"/var/log/syslog.2.gz:8".to_string()));

    // A program that logs a kernel-looking line under its own tag is not the kernel.
    assert!(h
        .devices
        .iter()
        .all(|d| d.serial.as_deref() != Some("FORGED-BY-A-PROGRAM")));
}

#[test]
fn internal_devices_are_listed_as_what_they_are() {
    let h = fixture("history-clean");
    let kinds: Vec<(String, Vec<DeviceKind>)> = h
        .devices
        .iter()
        .map(|d| (d.vid_pid().unwrap_or_default(), d.kinds.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("8087:0024".to_string(), vec![DeviceKind::Hub]),
            ("413c:2113".to_string(), vec![DeviceKind::Hid]),
            ("413c:301a".to_string(), vec![DeviceKind::Hid]),
        ]
    );
    // No zone file: local times are read as UTC, which is what glibc does.
    assert_eq!(rfc(h.devices[0].first_seen), "2024-03-04T08:10:00Z");
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    assert!(h.truncated.is_empty(), "{:?}", h.truncated);
}

#[test]
fn saved_networks_leases_and_pairings() {
    let h = fixture("history-stick-and-phone");
    let wifi = h
        .profiles
        .iter()
        .find(|p| p.kind == ProfileKind::Wifi)
        .unwrap();
    assert_eq!(wifi.manager, ProfileManager::NetworkManager);
    assert_eq!(wifi.ssid.as_ref().unwrap().text, "Office-5G");
    assert_eq!(wifi.security.as_deref(), Some("wpa-psk"));
    assert_eq!(
        wifi.source.path,
        "/etc/NetworkManager/system-connections/Office-5G.nmconnection"
    );
    assert_eq!(wifi.source.line, Some(9));
    assert_eq!(rfc(wifi.last_connected), "2024-03-04T11:00:00Z");
    assert_eq!(h.profiles.len(), 2);

    let tether = h
        .leases
        .iter()
        .find(|l| l.interface.as_deref() == Some("usb0"))
        .unwrap();
    assert_eq!(tether.client, LeaseClient::NetworkManager);
    assert_eq!(tether.address, Some("192.168.42.108".parse().unwrap()));
    assert_eq!(
        tether.gateways,
        vec!["192.168.42.129".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(
        tether.profile_uuid.as_deref(),
        Some("c3d2e1f0-aaaa-4bbb-8ccc-0123456789ab")
    );
    assert_eq!(h.leases.len(), 3);

    assert_eq!(h.pairings.len(), 1);
    let phone = &h.pairings[0];
    assert!(phone.paired);
    assert_eq!(phone.major_class, Some(BluetoothMajorClass::Phone));
    assert_eq!(phone.name.as_deref(), Some("Zhang Wei's phone"));

    let clean = fixture("history-clean");
    let kinds: Vec<ProfileKind> = clean.profiles.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, vec![ProfileKind::Ethernet]);
    assert_eq!(clean.leases.len(), 1);
    assert_eq!(clean.leases[0].client, LeaseClient::Dhclient);
    assert_eq!(rfc(clean.leases[0].obtained), "2024-03-04T00:10:03Z");
}

#[test]
fn every_source_is_listed_and_nothing_went_wrong() {
    let h = fixture("history-stick-and-phone");
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    assert!(h.truncated.is_empty(), "{:?}", h.truncated);
    let formats: Vec<(&str, SourceFormat, Coverage)> = h
        .sources
        .iter()
        .filter(|s| s.path.starts_with("/var/log"))
        .map(|s| (s.path.as_str(), s.format, s.coverage))
        .collect();
    assert_eq!(
        formats,
        vec![
            (
                "/var/log/journal/ws-0417.export",
                SourceFormat::JournalExport,
                Coverage::Whole
            ),
            ("/var/log/kern.log", SourceFormat::TextLog, Coverage::Whole),
            ("/var/log/syslog", SourceFormat::TextLog, Coverage::Whole),
            (
                "/var/log/kern.log.1",
                SourceFormat::TextLog,
                Coverage::Whole
            ),
            (
                "/var/log/syslog.2.gz",
                SourceFormat::GzipTextLog,
                Coverage::Whole
            ),
        ]
    );
    // The section survives a round trip through JSON (it is embedded in the finding).
    let json = serde_json::to_string(&h).unwrap();
    let back: HistorySection = serde_json::from_str(&json).unwrap();
    assert_eq!(back, h);
}

#[test]
fn hostile_records_are_bounded_recorded_and_kept_distinguishable() {
    let h = fixture("history-hostile");
    let stick = sightings(&h, "0781:5583");
    assert_eq!(stick.len(), 1);
    // Kept as written (for allowlists), escapes and bidi controls included; bytes that are
    // not UTF-8 stay visible.
    assert_eq!(
        stick[0].product.as_deref(),
        Some("\u{1b}[2J\u{1b}]0;pwned\u{7}Cruzer\u{202e}exe.gpj")
    );
    assert_eq!(stick[0].serial.as_deref(), Some("\\xff\\xfe00\u{0}01"));
    let shown = isoguard::text::display_safe(stick[0].product.as_deref().unwrap(), 96);
    assert!(!shown.chars().any(char::is_control), "{shown}");
    // The giant line is cut, and says so.
    let giant = h
        .devices
        .iter()
        .find(|d| d.port.as_deref() == Some("1-3"))
        .unwrap();
    assert!(giant.product.as_ref().unwrap().len() <= 8192);
    assert!(h
        .truncated
        .iter()
        .any(|t| t.limit == LimitKind::LineBytes && t.path == "/var/log/kern.log"));
    // The truncated rotation gave what it had before the damage.
    let kingston = sightings(&h, "0951:1666");
    assert_eq!(kingston.len(), 1);
    assert_eq!(
        kingston[0].serial.as_deref(),
        Some("60A44C413A8CF3A0B9480166")
    );
    let problem = |path: &str, text: &str| {
        h.problems
            .iter()
            .any(|p| p.path == path && p.error.contains(text))
    };
    assert!(
        problem("/var/log/kern.log.1.gz", "truncated .gz"),
        "{:?}",
        h.problems
    );
    assert!(problem("/var/log/syslog.3.gz", "damaged compressed data"));
    assert!(problem("/var/log/journal/hostile.export", "past the end"));
    assert!(problem("/var/log/kern.log", "no readable time"));
    let partial: Vec<&str> = h
        .sources
        .iter()
        .filter(|s| s.coverage == Coverage::Partial)
        .map(|s| s.path.as_str())
        .collect();
    assert_eq!(
        partial,
        vec![
            "/var/log/journal/hostile.export",
            "/var/log/kern.log.1.gz",
            "/var/log/syslog.3.gz"
        ]
    );
    // SSIDs keep their exact bytes in hex, whatever their text looks like.
    let hexes: Vec<&str> = h
        .profiles
        .iter()
        .filter_map(|p| p.ssid.as_ref().map(|s| s.hex.as_str()))
        .collect();
    assert!(
        hexes.contains(&"1b5b33316d46726565e280ae57694669ff"),
        "{hexes:?}"
    );
    assert!(hexes.contains(&"1b5b324a486f7473706f74e280ae"));
    assert!(hexes.contains(&"1b5b33316d526564ff"));
    let bt = &h.pairings[0];
    assert_eq!(
        bt.name.as_deref(),
        Some("\u{1b}]0;owned\u{7}Phone\u{202e}\\xff")
    );
    assert_eq!(bt.major_class, None);
    // A lease of nonsense has no address rather than a wrong one.
    assert_eq!(h.leases.len(), 1);
    assert_eq!(h.leases[0].address, None);
    assert_eq!(
        h.leases[0].gateways,
        vec!["10.0.0.1".parse::<std::net::IpAddr>().unwrap()]
    );
}

#[test]
fn the_look_back_window_drops_older_records() {
    let limits = Limits {
        look_back_days: 10,
        ..Limits::default()
    };
    let h = read(&common::fixture_dir("history-stick-and-phone"), &limits);
    assert_eq!(rfc(Some(h.window.since)), "2024-02-29T00:00:00Z");
    // 20 February and 10 February are outside; 5 March is inside.
    assert_eq!(sightings(&h, "0781:5583").len(), 1);
    assert!(sightings(&h, "18d1:4ee1").is_empty());
}

/// Copies a fixture into a scratch folder (following no links but the zone file's).
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn rotations_older_than_the_window_are_not_opened() {
    let scratch = common::Scratch::new("history-window");
    copy_tree(&common::fixture_dir("history-stick-and-phone"), &scratch.0);
    let old = UNIX_EPOCH + Duration::from_secs(1_708_000_000); // 2024-02-15
    let f = std::fs::File::options()
        .write(true)
        .open(scratch.path("var/log/syslog.2.gz"))
        .unwrap();
    f.set_modified(old).unwrap();
    let limits = Limits {
        look_back_days: 20,
        ..Limits::default()
    };
    let h = read(&scratch.0, &limits);
    let gz = h
        .sources
        .iter()
        .find(|s| s.path == "/var/log/syslog.2.gz")
        .unwrap();
    assert_eq!(gz.coverage, Coverage::OutsideWindow);
    assert_eq!(gz.bytes_read, 0);
}

#[test]
fn bounds_cut_the_oldest_and_say_what_was_left() {
    let tree = common::fixture_dir("history-stick-and-phone");
    // Nine files: the small records come first (seven), then the newest logs.
    let files = read(
        &tree,
        &Limits {
            max_files: 9,
            ..Limits::default()
        },
    );
    let not_read: Vec<&str> = files
        .sources
        .iter()
        .filter(|s| s.coverage == Coverage::NotRead)
        .map(|s| s.path.as_str())
        .collect();
    assert_eq!(
        not_read,
        vec![
            "/var/log/syslog",
            "/var/log/kern.log.1",
            "/var/log/syslog.2.gz"
        ]
    );
    assert!(files.truncated.iter().all(|t| t.limit == LimitKind::Files));
    assert_eq!(
        sightings(&files, "0781:5583").len(),
        1,
        "the newest connection is kept"
    );

    // A per-file bound reads the end of a plain log: its newest lines, by byte offset.
    let bytes = read(
        &tree,
        &Limits {
            max_file_bytes: 1500,
            ..Limits::default()
        },
    );
    let kern = bytes
        .sources
        .iter()
        .find(|s| s.path == "/var/log/kern.log")
        .unwrap();
    assert_eq!(kern.coverage, Coverage::Partial);
    assert!(kern.bytes_read <= 1500);
    assert!(bytes.truncated.iter().any(|t| t.path == "/var/log/kern.log"
        && t.limit == LimitKind::FileBytes
        && t.detail.contains("oldest lines")));
    let moto = sightings(&bytes, "22b8:2e24");
    assert!(!moto.is_empty());
    let from_tail = moto[0]
        .evidence
        .iter()
        .find(|e| e.source == "/var/log/kern.log")
        .unwrap();
    assert_eq!(from_tail.line, None);
    assert!(from_tail.offset.is_some());

    // No time at all: nothing is read, and every file says why.
    let none = read(
        &tree,
        &Limits {
            time_budget: Duration::ZERO,
            ..Limits::default()
        },
    );
    assert!(none.devices.is_empty() && none.profiles.is_empty());
    assert!(!none.sources.is_empty());
    assert!(none.sources.iter().all(|s| s.coverage == Coverage::NotRead));
    assert!(none
        .truncated
        .iter()
        .all(|t| t.limit == LimitKind::TimeBudget));
}

#[test]
fn few_sightings_kept_are_the_newest() {
    let h = read(
        &common::fixture_dir("history-stick-and-phone"),
        &Limits {
            max_sightings: 2,
            ..Limits::default()
        },
    );
    assert_eq!(h.devices.len(), 2);
    assert_eq!(h.devices[0].vid_pid().as_deref(), Some("22b8:2e24"));
    assert!(h.truncated.iter().any(|t| t.limit == LimitKind::Records));
}

fn journal_remote() -> Option<&'static str> {
    [
        "/lib/systemd/systemd-journal-remote",
        "/usr/lib/systemd/systemd-journal-remote",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
}

/// Real journal files, written by systemd's own `systemd-journal-remote` from the export
/// recording, read by isoguard's reader: the current format (keyed hash, compact) and the
/// one before systemd 246 (Jenkins hash, regular), with zstd-compressed long messages.
#[test]
fn binary_journal_files_read_like_their_recording() {
    let remote = journal_remote().expect(
        "systemd-journal-remote is needed to write real journal files (Debian package \
         systemd-journal-remote; .ci/install-test-deps installs it)",
    );
    let export =
        common::fixture_dir("history-stick-and-phone").join("var/log/journal/ws-0417.export");
    let mut long = std::fs::read(&export).unwrap();
    long.extend_from_slice(
        format!(
            "__REALTIME_TIMESTAMP=1709633999000000\n_BOOT_ID=5b1f0c6a2e3d4f50a1b2c3d4e5f60718\n_TRANSPORT=kernel\nMESSAGE=usb 1-9: Product: {}\n\n",
            "B".repeat(3000)
        )
        .as_bytes(),
    );
    let scratch = common::Scratch::new("history-journal");
    let input = scratch.path("input.export");
    std::fs::write(&input, &long).unwrap();
    for (keyed, compact) in [("1", "1"), ("0", "0")] {
        let root = scratch.dir(&format!("root-{keyed}{compact}"));
        let dir = root.join("var/log/journal/3f9a2b7c1d4e5f60718293a4b5c6d7e8");
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new(remote)
            .env("SYSTEMD_JOURNAL_KEYED_HASH", keyed)
            .env("SYSTEMD_JOURNAL_COMPACT", compact)
            .arg("--output")
            .arg(dir.join("system.journal"))
            .arg(&input)
            .status()
            .unwrap();
        assert!(status.success());
        let h = read(&root, &Limits::default());
        assert!(h.problems.is_empty(), "{:?}", h.problems);
        let source = &h.sources[0];
        assert_eq!(source.format, SourceFormat::JournalFile);
        assert_eq!(source.coverage, Coverage::Whole);
        let cruzer = sightings(&h, "0781:5583");
        assert_eq!(cruzer.len(), 1, "{cruzer:#?}");
        let s = cruzer[0];
        assert_eq!(s.serial.as_deref(), Some("4C530001230101110253"));
        assert_eq!(s.kinds, vec![DeviceKind::Storage]);
        assert_eq!(s.attached, vec!["sdb".to_string()]);
        assert_eq!(rfc(s.first_seen), "2024-03-05T10:11:12Z");
        let e = &s.evidence[0];
        assert!(e.source.ends_with("/system.journal"));
        assert!(e.offset.is_some() && e.line.is_none());
        assert!(e
            .cursor
            .as_deref()
            .unwrap()
            .contains(";b=5b1f0c6a2e3d4f50a1b2c3d4e5f60718;"));
        assert_eq!(e.uptime_micros, Some(115_872_401_200));
        // The long message was stored compressed and still reads whole.
        assert!(h
            .devices
            .iter()
            .any(|d| d.product.as_deref().is_some_and(|p| p.len() == 3000)));
    }
}

/// A damaged journal file costs the entries it damages, never a panic or a hang: bytes of a
/// real journal are overwritten at seeded random places, again and again.
#[test]
fn damaged_journal_files_never_panic() {
    let remote = journal_remote().expect(
        "systemd-journal-remote is needed to write real journal files (Debian package \
         systemd-journal-remote; .ci/install-test-deps installs it)",
    );
    let export =
        common::fixture_dir("history-stick-and-phone").join("var/log/journal/ws-0417.export");
    let scratch = common::Scratch::new("history-journal-damage");
    let root = scratch.dir("root");
    let dir = root.join("var/log/journal/m");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("system.journal");
    let status = Command::new(remote)
        .arg("--output")
        .arg(&file)
        .arg(&export)
        .status()
        .unwrap();
    assert!(status.success());
    let pristine = std::fs::read(&file).unwrap();
    // Objects start after the two hash tables (the field table follows the data table) and
    // end where the preallocated zeros begin; the header is fair game too.
    let le64 = |at: usize| u64::from_le_bytes(pristine[at..at + 8].try_into().unwrap());
    let objects = (le64(120) + le64(128)) as usize;
    let used = pristine
        .iter()
        .rposition(|&b| b != 0)
        .unwrap_or(pristine.len() - 1)
        + 1;
    assert!(objects < used);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut problems = 0;
    for _ in 0..120 {
        let mut bytes = pristine.clone();
        for _ in 0..1 + next() % 8 {
            let at = if next() % 5 == 0 {
                (next() % 272) as usize
            } else {
                objects + (next() % (used - objects) as u64) as usize
            };
            bytes[at] = next() as u8;
        }
        std::fs::write(&file, &bytes).unwrap();
        let h = read(&root, &Limits::default());
        problems += h.problems.len();
        // Whatever survives is still bounded evidence.
        assert!(h.devices.iter().all(|d| d.evidence.len() <= 24));
    }
    assert!(problems > 0, "damage was never noticed");
}

/// Random bytes behind a plausible journal header, in both layouts: bounded, never a panic.
/// (Needs no systemd tools.)
#[test]
fn random_journal_bodies_never_panic() {
    let scratch = common::Scratch::new("history-journal-random");
    let root = scratch.dir("root");
    let dir = root.join("var/log/journal/m");
    std::fs::create_dir_all(&dir).unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..60u64 {
        let len = 4096 + (next() % 60_000) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        bytes[..8].copy_from_slice(b"LPKSHHRH");
        // keyed hash, sometimes compact, sometimes compressed
        let flags: u32 = 4 | if round % 2 == 0 { 16 } else { 0 } | (next() as u32 & 0b1011);
        bytes[12..16].copy_from_slice(&flags.to_le_bytes());
        bytes[88..96].copy_from_slice(&272u64.to_le_bytes());
        bytes[96..104].copy_from_slice(&(len as u64 - 272).to_le_bytes());
        // A small data hash table right after the header, its buckets pointing anywhere.
        bytes[104..112].copy_from_slice(&288u64.to_le_bytes());
        bytes[112..120].copy_from_slice(&(16u64 * 64).to_le_bytes());
        // The newest entry "now", so the window does not skip the file.
        bytes[192..200].copy_from_slice(&1_709_900_000_000_000u64.to_le_bytes());
        std::fs::write(dir.join("system.journal"), &bytes).unwrap();
        let h = read(&root, &Limits::default());
        assert_eq!(h.sources.len(), 1);
        assert!(h.sources[0].bytes_read <= len as u64 * 64);
    }
}
