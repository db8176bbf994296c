//! The history part of the inventory on a machine with years of logs (issue 15: 200 MB of
//! rotated and compressed text logs and a 1 GB journal in under a second on a 2-core
//! machine).
//!
//! Run with `cargo bench --bench history`; see docs/history.md. The data is generated
//! once under Cargo's per-target scratch folder (`target/tmp/bench-history/`) and reused
//! while its parameters stay the same:
//! - text logs in the real formats: `kern.log`, `syslog` and their rotations `.1` (plain)
//!   and `.2.gz`, `.3.gz` (gzip), traditional syslog lines with a kernel share and USB
//!   connection episodes among them, file times set as logrotate leaves them;
//! - a journal written by systemd's own `systemd-journal-remote` from generated export
//!   format (Debian package `systemd-journal-remote`); without it the journal cases are
//!   skipped, with a note.
//!
//! Knobs: `BENCH_HISTORY_TEXT_MB` (200), `BENCH_HISTORY_JOURNAL_MB` (1024).

// why: a benchmark is not shipped code; a failed setup should stop it loudly, and clippy.toml's
// allow-unwrap-in-tests does not cover benches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, File};
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion};
use flate2::write::GzEncoder;

use isoguard::inventory::history::{HistorySection, Limits};
use isoguard::platform::linux::history::collect;
use isoguard::platform::linux::HostRoot;
use isoguard::time::civil_from_days;

/// 2026-01-01T00:00:00Z: the generated machine's "now".
const NOW: u64 = 1_767_225_600;
const DAY: u64 = 86_400;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn env_mb(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator, so every run makes the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn stamp(unix: u64) -> String {
    let days = (unix / DAY) as i64;
    let (_, m, d) = civil_from_days(days);
    let s = unix % DAY;
    format!(
        "{} {d:>2} {:02}:{:02}:{:02}",
        MONTHS[m as usize - 1],
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// Kernel messages of one USB connection.
fn episode(rng: &mut Rng, number: u64) -> Vec<String> {
    let port = format!("{}-{}", 1 + rng.below(3), 1 + rng.below(6));
    let (vid, pid) = [
        ("0781", "5583"),
        ("18d1", "4ee7"),
        ("0951", "1666"),
        ("046d", "c52b"),
    ][rng.below(4) as usize];
    vec![
        format!("usb {port}: new high-speed USB device number {number} using xhci_hcd"),
        format!(
            "usb {port}: New USB device found, idVendor={vid}, idProduct={pid}, bcdDevice= 1.00"
        ),
        format!("usb {port}: New USB device strings: Mfr=1, Product=2, SerialNumber=3"),
        format!("usb {port}: Product: Device {}", rng.below(1000)),
        format!("usb {port}: Manufacturer: Maker {}", rng.below(100)),
        format!("usb {port}: SerialNumber: {:016X}", rng.next()),
        format!("usb-storage {port}:1.0: USB Mass Storage device detected"),
        format!("usb {port}: USB disconnect, device number {number}"),
    ]
}

const NOISE: [&str; 6] = [
    "systemd[1]: Started session-{n}.scope - Session {n} of User alice.",
    "CRON[{n}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
    "NetworkManager[688]: <info>  [{n}.1183] device (enp0s31f6): carrier: link connected",
    "sudo[{n}]: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
    "dbus-daemon[612]: [system] Successfully activated service 'org.freedesktop.PackageKit' {n}",
    "gnome-shell[1834]: Window manager warning: Overwriting existing binding of keysym {n}",
];
const KERNEL_NOISE: [&str; 3] = [
    "EXT4-fs (nvme0n1p2): re-mounted {n}. Quota mode: none.",
    "audit: type=1400 audit({n}.123:45): apparmor=\"STATUS\" operation=\"profile_replace\"",
    "e1000e 0000:00:1f.6 enp0s31f6: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx {n}",
];

/// One log file of about `bytes` bytes covering [from, to) in Unix seconds.
fn log_text(rng: &mut Rng, bytes: u64, from: u64, to: u64, kernel_only: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes as usize + 4096);
    let lines_guess = (bytes / 110).max(1);
    let step = ((to - from) / lines_guess).max(1);
    let mut t = from;
    let mut number = 2;
    while (out.len() as u64) < bytes {
        t = (t + rng.below(2 * step + 1)).min(to - 1);
        let up = (t - from) as f64 + rng.below(1_000_000) as f64 / 1e6;
        let n = rng.below(100_000).to_string();
        let roll = rng.below(1000);
        if roll < 2 {
            number = number % 127 + 1;
            for msg in episode(rng, number) {
                writeln!(out, "{} bench kernel: [{up:>12.6}] {msg}", stamp(t)).unwrap();
            }
        } else if kernel_only || roll < 100 {
            let msg = KERNEL_NOISE[rng.below(3) as usize].replace("{n}", &n);
            writeln!(out, "{} bench kernel: [{up:>12.6}] {msg}", stamp(t)).unwrap();
        } else {
            let msg = NOISE[rng.below(6) as usize].replace("{n}", &n);
            writeln!(out, "{} bench {msg}", stamp(t)).unwrap();
        }
    }
    out
}

fn set_mtime(path: &Path, unix: u64) {
    let f = File::options().write(true).open(path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(unix))
        .unwrap();
}

/// Text logs: per family, `.0` (live) and `.1` plain, `.2.gz` and `.3.gz` gzip; syslog is
/// twice kern.log's size (it holds everything). Returns the files, newest first.
fn make_text(dir: &Path, total_mb: u64) -> Vec<PathBuf> {
    let log = dir.join("var/log");
    fs::create_dir_all(&log).unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    // Shares of the total per file: plain files 75 %, gzip 25 %.
    let plan: [(&str, u64, bool, u64); 8] = [
        ("kern.log", 125, false, 0),
        ("syslog", 250, false, 0),
        ("kern.log.1", 125, false, 1),
        ("syslog.1", 250, false, 1),
        ("kern.log.2.gz", 42, true, 2),
        ("syslog.2.gz", 83, true, 2),
        ("kern.log.3.gz", 42, true, 3),
        ("syslog.3.gz", 83, true, 3),
    ];
    let mut files = Vec::new();
    for (name, permille, gz, age) in plan {
        let bytes = total_mb * (1 << 20) * permille / 1000;
        // A week per rotation, the live files ending now.
        let to = NOW - age * 7 * DAY;
        let text = log_text(&mut rng, bytes, to - 7 * DAY, to, name.starts_with("kern"));
        let path = log.join(name);
        if gz {
            let mut enc = GzEncoder::new(File::create(&path).unwrap(), flate2::Compression::new(6));
            enc.write_all(&text).unwrap();
            enc.finish().unwrap();
        } else {
            fs::write(&path, &text).unwrap();
        }
        set_mtime(&path, to);
        files.push(path);
    }
    files
}

fn journal_remote() -> Option<&'static str> {
    [
        "/lib/systemd/systemd-journal-remote",
        "/usr/lib/systemd/systemd-journal-remote",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
}

/// A journal of about `mb` megabytes in files of about 128 MB (journald's largest file size
/// by default), each written by systemd-journal-remote from export format on its standard
/// input. Entries: 10 % kernel, of which a few are USB connections.
fn make_journal(dir: &Path, mb: u64, remote: &str) {
    let out = dir.join("var/log/journal/0e8c2d6f4a1b3c5d7e9f0a1b2c3d4e5f");
    fs::create_dir_all(&out).unwrap();
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    // About 466 bytes of journal file per entry (measured: 1,342,177 entries made 625 MB).
    let entries = mb * (1 << 20) / 466;
    let per_file = (128 << 20) / 466;
    let span = 300 * DAY * 1_000_000;
    let start = NOW * 1_000_000 - span;
    let mut pending: Vec<String> = Vec::new();
    let mut number = 2;
    let boot = "4f6c1e2d3a5b7c9d0e1f2a3b4c5d6e7f";
    let files = entries.div_ceil(per_file);
    for file in 0..files {
        let name = if file + 1 == files {
            "system.journal".to_string()
        } else {
            format!("system@0e8c2d6f-{file:04}.journal")
        };
        let mut child = Command::new(remote)
            .arg("--output")
            .arg(out.join(name))
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut w = BufWriter::with_capacity(1 << 20, child.stdin.take().unwrap());
        for i in file * per_file..((file + 1) * per_file).min(entries) {
            let realtime = start + span / entries * i;
            let n = rng.below(100_000).to_string();
            let kernel = rng.below(10) == 0;
            let message = if kernel {
                if pending.is_empty() && rng.below(200) == 0 {
                    number = number % 127 + 1;
                    pending = episode(&mut rng, number);
                    pending.reverse();
                }
                pending
                    .pop()
                    .unwrap_or_else(|| KERNEL_NOISE[rng.below(3) as usize].replace("{n}", &n))
            } else {
                NOISE[rng.below(6) as usize].replace("{n}", &n)
            };
            let (transport, ident) = if kernel {
                ("kernel", "kernel".to_string())
            } else {
                (
                    "syslog",
                    message.split(['[', ':']).next().unwrap_or("x").to_string(),
                )
            };
            write!(
                w,
                "__CURSOR=s=1;i={i:x}\n__REALTIME_TIMESTAMP={realtime}\n__MONOTONIC_TIMESTAMP={}\n\
                 _BOOT_ID={boot}\n_MACHINE_ID=0e8c2d6f4a1b3c5d7e9f0a1b2c3d4e5f\n_HOSTNAME=bench\n\
                 _TRANSPORT={transport}\nPRIORITY=6\nSYSLOG_FACILITY=3\nSYSLOG_IDENTIFIER={ident}\n",
                realtime - start
            )
            .unwrap();
            if kernel {
                writeln!(w, "_SOURCE_MONOTONIC_TIMESTAMP={}", realtime - start).unwrap();
            } else {
                write!(
                    w,
                    "_PID={}\n_UID=0\n_GID=0\n_COMM={ident}\n_SYSTEMD_UNIT={ident}.service\n",
                    1000 + rng.below(30_000)
                )
                .unwrap();
            }
            write!(w, "MESSAGE={message}\n\n").unwrap();
        }
        w.flush().unwrap();
        drop(w);
        assert!(
            child.wait().unwrap().success(),
            "systemd-journal-remote failed"
        );
    }
}

fn tree_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in walk(dir) {
        total += fs::metadata(entry).map(|m| m.len()).unwrap_or(0);
    }
    total
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Hard links `files` (paths under `from`) into the same places under `to`.
fn link_tree(from: &Path, to: &Path, files: &[PathBuf]) {
    let _ = fs::remove_dir_all(to);
    for file in files {
        let rel = file.strip_prefix(from).unwrap();
        let target = to.join(rel);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::hard_link(file, &target).unwrap();
    }
}

struct Data {
    text: PathBuf,
    text_files: Vec<PathBuf>,
    journal: Option<PathBuf>,
    base: PathBuf,
}

fn setup() -> Data {
    let text_mb = env_mb("BENCH_HISTORY_TEXT_MB", 200);
    let journal_mb = env_mb("BENCH_HISTORY_JOURNAL_MB", 1024);
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-history");
    let text = base.join(format!("text-{text_mb}mb"));
    let done = text.join("complete");
    let mut text_files: Vec<PathBuf> = Vec::new();
    if done.exists() {
        for name in [
            "kern.log",
            "syslog",
            "kern.log.1",
            "syslog.1",
            "kern.log.2.gz",
            "syslog.2.gz",
            "kern.log.3.gz",
            "syslog.3.gz",
        ] {
            text_files.push(text.join("var/log").join(name));
        }
    } else {
        let _ = fs::remove_dir_all(&text);
        let started = Instant::now();
        text_files = make_text(&text, text_mb);
        fs::write(&done, "").unwrap();
        eprintln!(
            "generated {text_mb} MB of text logs in {:.1?}",
            started.elapsed()
        );
    }
    let journal = match journal_remote() {
        None => {
            eprintln!(
                "note: systemd-journal-remote is not installed (Debian: systemd-journal-remote): journal cases skipped"
            );
            None
        }
        Some(remote) => {
            let dir = base.join(format!("journal-{journal_mb}mb"));
            let done = dir.join("complete");
            if !done.exists() {
                let _ = fs::remove_dir_all(&dir);
                let started = Instant::now();
                make_journal(&dir, journal_mb, remote);
                fs::write(&done, "").unwrap();
                eprintln!(
                    "generated a journal of {} bytes with systemd-journal-remote in {:.1?}",
                    tree_bytes(&dir.join("var")),
                    started.elapsed()
                );
            }
            Some(dir)
        }
    };
    Data {
        text,
        text_files,
        journal,
        base,
    }
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

/// What one read covered, printed once so the figures can be quoted with what bounded them.
fn describe(name: &str, dir: &Path, limits: &Limits) {
    let started = Instant::now();
    let h: HistorySection = collect(&HostRoot::at(dir), now(), limits);
    let took = started.elapsed();
    let read: u64 = h.sources.iter().map(|s| s.bytes_read).sum();
    eprintln!(
        "{name}: {} bytes on disk, {} bytes read, {} sources, {} sightings, {} truncations, {} problems, one run {:.1?}",
        tree_bytes(&dir.join("var")),
        read,
        h.sources.len(),
        h.devices.len(),
        h.truncated.len(),
        h.problems.len(),
        took
    );
    for t in &h.truncated {
        eprintln!("  truncated {} ({:?}): {}", t.path, t.limit, t.detail);
    }
    for p in h.problems.iter().take(5) {
        eprintln!("  problem {}: {}", p.path, p.error);
    }
}

/// Reads every file once, so the figures are of a warm page cache (a cold one is measured
/// separately, see docs/history.md).
fn warm(dir: &Path) {
    let mut buf = vec![0u8; 1 << 20];
    for path in walk(dir) {
        if let Ok(mut f) = File::open(&path) {
            while std::io::Read::read(&mut f, &mut buf).unwrap_or(0) > 0 {}
        }
    }
}

fn benches(c: &mut Criterion) {
    let data = setup();
    let limits = Limits::default();
    // The same without the time budget: what reading everything costs.
    let untimed = Limits {
        time_budget: Duration::from_secs(600),
        ..Limits::default()
    };
    let mut group = c.benchmark_group("history");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));

    // Growth with log size: the newest rotation only, two, all four.
    for (label, count) in [
        ("text-newest-rotation", 2),
        ("text-two-rotations", 4),
        ("text-all", 8),
    ] {
        let dir = data.base.join(label);
        link_tree(&data.text, &dir, &data.text_files[..count]);
        warm(&dir);
        describe(label, &dir, &limits);
        group.bench_function(label, |b| {
            b.iter(|| collect(&HostRoot::at(black_box(&dir)), now(), &limits))
        });
    }
    if let Some(journal) = &data.journal {
        warm(journal);
        describe("journal", journal, &limits);
        group.bench_function("journal", |b| {
            b.iter(|| collect(&HostRoot::at(black_box(journal)), now(), &limits))
        });
        // The target case: both on one machine.
        let both = data.base.join("both");
        link_tree(&data.text, &both, &data.text_files);
        for f in walk(&journal.join("var")) {
            let target = both.join(f.strip_prefix(journal).unwrap());
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            fs::hard_link(&f, &target).unwrap();
        }
        warm(&both);
        describe("text-and-journal", &both, &limits);
        group.bench_function("text-and-journal", |b| {
            b.iter(|| collect(&HostRoot::at(black_box(&both)), now(), &limits))
        });
        warm(&both);
        describe("text-and-journal-untimed", &both, &untimed);
        group.bench_function("text-and-journal-untimed", |b| {
            b.iter(|| collect(&HostRoot::at(black_box(&both)), now(), &untimed))
        });
    }
    group.finish();
}

criterion_group!(history, benches);
criterion_main!(history);
