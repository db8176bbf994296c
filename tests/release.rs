//! The release packages of `scripts/build-release` on the systems they are for, as far as this
//! x86_64 Debian 12 machine can show it:
//!
//! - every binary in every package (read back out of the `.deb` and the `.rpm`) is for the
//!   right machine, asks for its architecture's dynamic loader, and needs no glibc symbol
//!   version above the floor (2.17 on x86_64 and aarch64, 2.36 on loongarch64); the package
//!   metadata says so in a form old systems accept (Depends / Requires, architecture names,
//!   gzip rpm payload, no rpmlib feature newer than rpm 4.11, CentOS 7's);
//! - the amd64 `.deb`s installed by dpkg in a Debian 11 (bullseye, glibc 2.31, systemd 247)
//!   tree, booted with systemd-nspawn: the boot unit's finding verifies with the key the package
//!   generated, and the collector service in the same tree stores it;
//! - the x86_64 `.rpm`s installed with `rpm --root` into a scratch tree: files, modes, config
//!   flags and scriptlets, the installed binary signing a scan, then erase;
//! - the arm64 and loong64 binaries under qemu-user (`scripts/release-qemu`): `inventory` and a
//!   signed `scan` of a fixture tree built on this machine, the same inventory and verdict as
//!   this machine's own build, the finding verified here and stored by the foreign collector.
//!
//! The packages are read from `target/release-packages/` (or `ISOGUARD_RELEASE_DIR`), made
//! beforehand by `scripts/build-release target/release-packages`; a missing package fails the
//! test with that command. Every test is `#[ignore]`d (root, minutes, a cache in /var/cache):
//! `cargo test --test release -- --ignored`. `.ci/run` runs the amd64/x86_64 ones every time
//! and the arm64 and loong64 ones with ISOGUARD_CROSS=1.

// Test helpers fail loudly by design: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

const CACHE_DIR: &str = "/var/cache/isoguard-test";
const OLD_SUITE: &str = "bullseye";
/// adduser: the collector package depends on it, and bullseye's minbase has none.
const INCLUDE: &str = "systemd,systemd-sysv,dbus,udev,adduser";
const FALLBACK_MIRROR: &str = "http://deb.debian.org/debian";
const BOOT_TIMEOUT_SECS: &str = "300";
const FIXTURE: &str = "thinkpad-t61";

/// One release architecture: its names in each packaging world and what its binaries must be.
struct Arch {
    deb: &'static str,
    rpm: &'static str,
    /// readelf's "Machine:" text.
    machine: &'static str,
    /// The dynamic loader its glibc installs.
    interpreter: &'static str,
    /// The highest glibc symbol version any binary may need.
    floor: (u32, u32),
    /// What `scripts/release-qemu` is asked for (None: runs natively here).
    qemu: Option<&'static str>,
}

const AMD64: Arch = Arch {
    deb: "amd64",
    rpm: "x86_64",
    machine: "Advanced Micro Devices X86-64",
    interpreter: "/lib64/ld-linux-x86-64.so.2",
    floor: (2, 17),
    qemu: None,
};
const ARM64: Arch = Arch {
    deb: "arm64",
    rpm: "aarch64",
    machine: "AArch64",
    interpreter: "/lib/ld-linux-aarch64.so.1",
    floor: (2, 17),
    qemu: Some("aarch64"),
};
const LOONG64: Arch = Arch {
    deb: "loong64",
    rpm: "loongarch64",
    machine: "LoongArch",
    interpreter: "/lib64/ld-linux-loongarch-lp64d.so.1",
    floor: (2, 36),
    qemu: Some("loongarch64"),
};

/// The libraries a release binary may link: glibc's own and libgcc_s (Rust's unwinder), all
/// present on every glibc system.
const ALLOWED_NEEDED: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "ld-linux-loongarch-lp64d.so.1",
];

/// The packages and the binaries each one carries.
const PACKAGES: &[(&str, &[&str])] = &[
    ("isoguard", &["usr/bin/isoguard"]),
    ("isoguard-collector", &["usr/bin/isoguard-collector"]),
];

// ---------------------------------------------------------------------------------------------
// Running things.

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("{program}: {e} (is it installed? .ci/install-test-deps installs it)")
        })
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs and requires success; returns stdout and stderr together.
fn ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(out.status.success(), "{program} {args:?}: {}", text(&out));
    text(&out)
}

/// Runs and requires success; returns stdout alone.
fn stdout_of(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(out.status.success(), "{program} {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn require_root() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let root = status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    assert!(
        root,
        "the release tests need root (dpkg-deb, rpm --root, debootstrap, systemd-nspawn)"
    );
}

/// This machine's own build of the agent: the reference the release builds are compared with,
/// and the host-side `isoguard verify`.
fn host_agent() -> &'static str {
    env!("CARGO_BIN_EXE_isoguard")
}

/// A scratch folder under the target folder, removed on drop (never crossing into a mount).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("release-{name}-{}", std::process::id()));
        let _ = run("rm", &["-rf", "--one-file-system", dir.to_str().unwrap()]);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn dir(&self, name: &str) -> PathBuf {
        let dir = self.0.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = run(
            "rm",
            &["-rf", "--one-file-system", self.0.to_str().unwrap()],
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The packages.

fn release_dir() -> PathBuf {
    std::env::var_os("ISOGUARD_RELEASE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/release-packages"))
}

/// The one package `name` for `arch` in the release folder ("deb" or "rpm").
fn package(arch: &Arch, name: &str, kind: &str) -> PathBuf {
    let dir = release_dir();
    let entries: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let matches: Vec<&String> = entries
        .iter()
        .filter(|f| match kind {
            // isoguard_0.1.0-1_amd64.deb
            "deb" => {
                f.starts_with(&format!("{name}_")) && f.ends_with(&format!("_{}.deb", arch.deb))
            }
            // isoguard-0.1.0-1.x86_64.rpm (and not isoguard-collector-...)
            _ => {
                f.strip_prefix(&format!("{name}-"))
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
                    && f.ends_with(&format!(".{}.rpm", arch.rpm))
            }
        })
        .collect();
    assert_eq!(
        matches.len(),
        1,
        "want one {name} .{kind} for {} in {} (found {matches:?} among {entries:?}); build them \
         with `scripts/build-release {}` (--arch {})",
        arch.deb,
        dir.display(),
        dir.display(),
        arch.qemu.unwrap_or("x86_64"),
    );
    dir.join(matches[0])
}

/// Unpacks a package's files into `dest` (dpkg-deb -x, or rpm2cpio | cpio).
fn unpack(pkg: &Path, dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    if pkg.extension().is_some_and(|e| e == "deb") {
        ok(
            "dpkg-deb",
            &["-x", pkg.to_str().unwrap(), dest.to_str().unwrap()],
        );
    } else {
        let script = format!(
            "rpm2cpio '{}' | (cd '{}' && cpio -idm --quiet)",
            pkg.display(),
            dest.display()
        );
        ok("sh", &["-c", &script]);
    }
}

fn sha256_hex(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// "2.17" -> (2, 17); "2.2.5" -> (2, 2) (the third part never matters against a floor).
fn version_pair(v: &str) -> (u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

fn show(v: (u32, u32)) -> String {
    format!("{}.{}", v.0, v.1)
}

/// What readelf says of one binary.
struct Elf {
    machine: String,
    interpreter: String,
    needed: Vec<String>,
    /// Every GLIBC_x.y the binary's version-needs section asks for.
    glibc: BTreeSet<(u32, u32)>,
    /// The dynamic symbols bound to the highest of those, for messages.
    at_max: Vec<String>,
}

fn elf(bin: &Path) -> Elf {
    let path = bin.to_str().unwrap();
    let header = stdout_of("readelf", &["-h", path]);
    let machine = header
        .lines()
        .find_map(|l| l.trim().strip_prefix("Machine:"))
        .unwrap_or_default()
        .trim()
        .to_string();
    let program = stdout_of("readelf", &["-W", "-l", path]);
    let interpreter = program
        .lines()
        .find_map(|l| l.split("Requesting program interpreter: ").nth(1))
        .map(|r| r.trim_end_matches(']').to_string())
        .unwrap_or_default();
    let dynamic = stdout_of("readelf", &["-W", "-d", path]);
    let needed = dynamic
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1))
        .map(|l| l.trim_end_matches(']').to_string())
        .collect();
    let versions = stdout_of("readelf", &["-W", "-V", path]);
    let glibc: BTreeSet<(u32, u32)> = versions
        .lines()
        .filter_map(|l| l.split("Name: GLIBC_").nth(1))
        .filter_map(|r| r.split_whitespace().next())
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        .map(version_pair)
        .collect();
    let at_max = match glibc.iter().next_back() {
        Some(max) => {
            let tag = format!("@GLIBC_{}", show(*max));
            stdout_of("readelf", &["-W", "--dyn-syms", path])
                .lines()
                .filter_map(|l| {
                    l.split_whitespace()
                        .find(|w| w.contains(&tag))
                        .map(|w| w.split('@').next().unwrap_or(w).to_string())
                })
                .collect()
        }
        None => Vec::new(),
    };
    Elf {
        machine,
        interpreter,
        needed,
        glibc,
        at_max,
    }
}

/// Checks one binary against its architecture; returns the highest glibc version it needs.
fn check_binary(arch: &Arch, bin: &Path, what: &str) -> (u32, u32) {
    assert!(bin.is_file(), "{what}: no {}", bin.display());
    let e = elf(bin);
    assert_eq!(e.machine, arch.machine, "{what}: machine");
    assert_eq!(e.interpreter, arch.interpreter, "{what}: interpreter");
    for lib in &e.needed {
        assert!(
            ALLOWED_NEEDED.contains(&lib.as_str()),
            "{what} links {lib}, which an old system may not have (NEEDED {:?})",
            e.needed
        );
    }
    let max =
        *e.glibc.iter().next_back().unwrap_or_else(|| {
            panic!("{what}: no GLIBC_ version needed at all: not a glibc binary?")
        });
    assert!(
        max <= arch.floor,
        "{what} needs GLIBC_{} (for {:?}), above the floor {}",
        show(max),
        e.at_max,
        show(arch.floor)
    );
    let mut at_max = e
        .at_max
        .iter()
        .take(6)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    if e.at_max.len() > 6 {
        at_max.push_str(&format!(" and {} more", e.at_max.len() - 6));
    }
    eprintln!(
        "{what}: {}, {}, needs GLIBC_{} at most (floor {}; symbols at it: {at_max}), NEEDED {:?}",
        e.machine,
        e.interpreter,
        show(max),
        show(arch.floor),
        e.needed
    );
    max
}

/// Depends of a .deb, each comma-separated clause as its alternatives.
fn deb_depends(deb: &Path) -> Vec<Vec<String>> {
    let depends = stdout_of("dpkg-deb", &["-f", deb.to_str().unwrap(), "Depends"]);
    depends
        .trim()
        .split(',')
        .map(|clause| clause.split('|').map(|a| a.trim().to_string()).collect())
        .collect()
}

/// rpmlib features, with the rpm version that introduced each, that rpm 4.11 (CentOS 7, the
/// oldest rpm this project ships to) has. Anything else in a package's Requires would make
/// that rpm refuse it.
const RPMLIB_OF_RPM_4_11: &[&str] = &[
    "rpmlib(CompressedFileNames)",
    "rpmlib(FileDigests)",
    "rpmlib(PayloadFilesHavePrefix)",
    "rpmlib(PayloadIsXz)",
    "rpmlib(PayloadIsBzip2)",
    "rpmlib(PayloadIsLzma)",
    "rpmlib(VersionedDependencies)",
    "rpmlib(ScriptletInterpreterArgs)",
    "rpmlib(PartialHardlinkSets)",
    "rpmlib(ExplicitPackageProvide)",
    "rpmlib(FileCaps)",
];

fn check_packages(arch: &Arch) {
    require_root();
    let scratch = Scratch::new(&format!("{}-packages", arch.deb));
    for (name, binaries) in PACKAGES {
        // The .deb.
        let deb = package(arch, name, "deb");
        let field = |f: &str| {
            stdout_of("dpkg-deb", &["-f", deb.to_str().unwrap(), f])
                .trim()
                .to_string()
        };
        assert_eq!(field("Package"), *name);
        assert_eq!(field("Architecture"), arch.deb, "{}", deb.display());
        let depends = deb_depends(&deb);
        let deb_tree = scratch.dir(&format!("{name}-deb"));
        unpack(&deb, &deb_tree);
        // The .rpm.
        let rpm = package(arch, name, "rpm");
        let rpm_path = rpm.to_str().unwrap();
        let header = stdout_of(
            "rpm",
            &[
                "-qp",
                "--qf",
                "%{NAME}\n%{ARCH}\n%{PAYLOADCOMPRESSOR}\n",
                rpm_path,
            ],
        );
        let header: Vec<&str> = header.lines().collect();
        assert_eq!(
            header,
            [*name, arch.rpm, "gzip"],
            "{name} rpm: name, arch, payload"
        );
        let requires = stdout_of("rpm", &["-qp", "--requires", rpm_path]);
        for req in requires.lines() {
            if let Some(feature) = req
                .split_whitespace()
                .next()
                .filter(|r| r.starts_with("rpmlib("))
            {
                assert!(
                    RPMLIB_OF_RPM_4_11.contains(&feature),
                    "{name} rpm requires {req}, which rpm 4.11 (CentOS 7) does not have:\n{requires}"
                );
            }
        }
        let rpm_tree = scratch.dir(&format!("{name}-rpm"));
        unpack(&rpm, &rpm_tree);
        // The generated assets (man pages, completions) of this target's build, the units
        // and the config: the packagers found the target folder's files.
        let (deb_files, rpm_files): (&[&str], &[(&str, u32)]) = if *name == "isoguard" {
            (
                &[
                    "usr/share/man/man1/isoguard.1",
                    "usr/share/man/man1/isoguard-scan.1",
                    "usr/share/bash-completion/completions/isoguard",
                    "usr/lib/systemd/system/isoguard-boot.service",
                    "usr/lib/systemd/system/isoguard-watch.service",
                    "etc/isoguard/config.toml",
                ],
                AGENT_RPM_FILES,
            )
        } else {
            (
                &[
                    "usr/lib/systemd/system/isoguard-collector.service",
                    "usr/share/man/man1/isoguard-collector.1",
                    "usr/share/man/zh_CN/man1/isoguard-collector-report.1",
                    "usr/share/bash-completion/completions/isoguard-collector",
                ],
                COLLECTOR_RPM_FILES,
            )
        };
        for file in deb_files {
            assert!(
                deb_tree.join(file).is_file(),
                "{} lacks {file}",
                deb.display()
            );
        }
        for (file, _) in rpm_files {
            assert!(
                rpm_tree.join(file.trim_start_matches('/')).is_file(),
                "{} lacks {file}",
                rpm.display()
            );
        }

        for bin in *binaries {
            let from_deb = deb_tree.join(bin);
            let from_rpm = rpm_tree.join(bin);
            let needed = check_binary(arch, &from_deb, &format!("{} .deb {bin}", arch.deb));
            check_binary(arch, &from_rpm, &format!("{} .rpm {bin}", arch.rpm));
            assert_eq!(
                sha256_hex(&from_deb),
                sha256_hex(&from_rpm),
                "{bin}: the .deb and the .rpm carry different builds"
            );
            assert_eq!(
                std::fs::metadata(&from_deb).unwrap().permissions().mode() & 0o777,
                0o755
            );

            // Depends: libc6 at a version that covers the binary and that old systems have.
            let libc6: Vec<&String> = depends
                .iter()
                .flatten()
                .filter(|a| a.starts_with("libc6 ") || a.as_str() == "libc6")
                .collect();
            assert_eq!(libc6.len(), 1, "Depends {depends:?}");
            let promised = libc6[0]
                .strip_prefix("libc6 (>= ")
                .and_then(|v| v.strip_suffix(')'))
                .map(version_pair)
                .unwrap_or_else(|| panic!("libc6 without a minimum version: {depends:?}"));
            assert!(
                needed <= promised && promised <= arch.floor,
                "Depends {} but the binary needs GLIBC_{} and the floor is {}",
                libc6[0],
                show(needed),
                show(arch.floor)
            );
            // Every versioned Depends is that one: nothing else ties the package to a new
            // system (cargo-deb's $auto wrote libc6 (>= 2.34) for these binaries).
            for alt in depends.iter().flatten() {
                assert!(
                    !alt.contains('(') || alt == libc6[0],
                    "versioned dependency {alt} in {depends:?}"
                );
            }
            // libgcc_s (Rust's unwinder) when the binary links it: Debian's libgcc-s1.
            if elf(&from_deb).needed.iter().any(|l| l == "libgcc_s.so.1") {
                assert!(
                    depends.iter().any(|c| c.iter().any(|a| a == "libgcc-s1")),
                    "{bin} links libgcc_s.so.1 but Depends has no libgcc-s1: {depends:?}"
                );
            }

            // Requires: glibc symbol versions (of libc.so.6, the loader, libpthread...) that
            // cover the binary and stay under the floor.
            let version_of = |r: &str| {
                r.split("(GLIBC_")
                    .nth(1)
                    .and_then(|r| r.split(')').next())
                    .map(version_pair)
            };
            assert!(
                requires
                    .lines()
                    .filter_map(version_of)
                    .all(|v| v <= arch.floor),
                "{name} rpm requires a glibc above {}:\n{requires}",
                show(arch.floor)
            );
            let glibc_reqs: Vec<(u32, u32)> = requires
                .lines()
                .filter(|r| r.starts_with("libc.so.6("))
                .filter_map(version_of)
                .collect();
            assert!(
                glibc_reqs.contains(&needed),
                "{name} rpm does not require the GLIBC_{} its binary needs:\n{requires}",
                show(needed)
            );
        }
        eprintln!(
            "{}: Depends: {}",
            deb.file_name().unwrap().to_string_lossy(),
            depends
                .iter()
                .map(|c| c.join(" | "))
                .collect::<Vec<_>>()
                .join(", ")
        );
        eprintln!(
            "{}: gzip payload; Requires: {}",
            rpm.file_name().unwrap().to_string_lossy(),
            requires.lines().collect::<Vec<_>>().join(", ")
        );
    }
}

#[test]
#[ignore = "needs root and scripts/build-release target/release-packages first; cargo test --test release -- --ignored"]
fn amd64_packages_need_at_most_glibc_2_17_and_say_so() {
    check_packages(&AMD64);
}

#[test]
#[ignore = "needs root and scripts/build-release (arm64, ISOGUARD_CROSS=1 in .ci/run) first; cargo test --test release -- --ignored"]
fn arm64_packages_need_at_most_glibc_2_17_and_say_so() {
    check_packages(&ARM64);
}

#[test]
#[ignore = "needs root and scripts/build-release (loong64, ISOGUARD_CROSS=1 in .ci/run) first; cargo test --test release -- --ignored"]
fn loong64_packages_need_at_most_glibc_2_36_and_say_so() {
    check_packages(&LOONG64);
}

// ---------------------------------------------------------------------------------------------
// An old Debian: bullseye, glibc 2.31.

static CACHE: Mutex<()> = Mutex::new(());

fn mirror() -> String {
    std::env::var("ISOGUARD_DEBIAN_MIRROR").unwrap_or_else(|_| FALLBACK_MIRROR.to_string())
}

/// Unpacks a fresh copy of a cached bullseye tree into `dest` (debootstrapped on first use,
/// cached as a tarball in /var/cache/isoguard-test like tests/boot.rs's bookworm tree).
fn old_tree(dest: &Path) {
    let mirror = mirror();
    let key = Sha256::digest(format!("{OLD_SUITE} minbase {INCLUDE} {mirror}").as_bytes());
    let key: String = key.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let tarball = Path::new(CACHE_DIR).join(format!("debootstrap-{OLD_SUITE}-minbase-{key}.tar"));
    {
        let _guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if !tarball.is_file() {
            std::fs::create_dir_all(CACHE_DIR).unwrap();
            let work = Path::new(CACHE_DIR).join(format!("build-{}", std::process::id()));
            let _ = run("rm", &["-rf", "--one-file-system", work.to_str().unwrap()]);
            let started = Instant::now();
            ok(
                "debootstrap",
                &[
                    "--variant=minbase",
                    &format!("--include={INCLUDE}"),
                    OLD_SUITE,
                    work.to_str().unwrap(),
                    &mirror,
                ],
            );
            eprintln!(
                "debootstrap {OLD_SUITE} from {mirror}: {:.0} s",
                started.elapsed().as_secs_f64()
            );
            let partial = tarball.with_extension(format!("tar.partial-{}", std::process::id()));
            ok(
                "tar",
                &[
                    "--numeric-owner",
                    "-C",
                    work.to_str().unwrap(),
                    "-cf",
                    partial.to_str().unwrap(),
                    ".",
                ],
            );
            std::fs::rename(&partial, &tarball).unwrap();
            let _ = run("rm", &["-rf", "--one-file-system", work.to_str().unwrap()]);
        }
    }
    std::fs::create_dir_all(dest).unwrap();
    ok(
        "tar",
        &[
            "--numeric-owner",
            "-C",
            dest.to_str().unwrap(),
            "-xpf",
            tarball.to_str().unwrap(),
        ],
    );
}

/// A command inside the (not booted) tree, without network.
fn in_tree(tree: &Path, args: &[&str]) -> String {
    let mut all = vec![
        "-D",
        tree.to_str().unwrap(),
        "--register=no",
        "--keep-unit",
        "--private-network",
        "--quiet",
    ];
    all.extend(args);
    ok("systemd-nspawn", &all)
}

fn findings(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".finding.json"))
        .collect();
    files.sort();
    files
}

fn payload(file: &Path) -> Value {
    let envelope: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// `isoguard verify` of this machine's build, with the given public key.
fn verify(public: &Path, finding: &Path) {
    let verified = ok(
        host_agent(),
        &[
            "verify",
            "--key",
            public.to_str().unwrap(),
            finding.to_str().unwrap(),
        ],
    );
    assert!(verified.starts_with("OK "), "{verified}");
}

/// Test-only units, never packaged (as in tests/boot.rs): hand the boot finding to the
/// collector, and power off once the collector has archived it.
const TRANSFER_UNIT: &str = "\
[Unit]
Description=isoguard release test: move the boot finding into the collector's inbox
After=isoguard-boot.service
Before=isoguard-collector.service

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'cp /var/lib/isoguard/outbox/*.finding.json /var/lib/isoguard-collector/inbox/'

[Install]
WantedBy=multi-user.target
";

const POWEROFF_UNIT: &str = "\
[Unit]
Description=isoguard release test: power off once the boot scan has run and was collected
After=isoguard-boot.service isoguard-test-transfer.service isoguard-collector.service

[Service]
Type=oneshot
ExecStartPre=/bin/sh -c 'for i in $(seq 60); do ls /var/lib/isoguard-collector/inbox/archive/*.finding.json >/dev/null 2>&1 && exit 0; sleep 0.5; done'
ExecStart=/bin/systemctl --no-block poweroff

[Install]
WantedBy=multi-user.target
";

#[test]
#[ignore = "needs root, debootstraps Debian 11 into /var/cache/isoguard-test, boots it; run scripts/build-release first"]
fn amd64_debs_install_and_boot_on_debian_11_and_sign_a_finding() {
    require_root();
    let deb = package(&AMD64, "isoguard", "deb");
    let collector_deb = package(&AMD64, "isoguard-collector", "deb");
    let scratch = Scratch::new("bullseye-boot");
    let tree = scratch.0.join("tree");
    old_tree(&tree);
    let libc = in_tree(&tree, &["dpkg-query", "-W", "-f=${Version}", "libc6"]);
    assert!(libc.starts_with("2.31"), "bullseye's libc6 is {libc}");

    std::fs::copy(&deb, tree.join("root/isoguard.deb")).unwrap();
    std::fs::copy(&collector_deb, tree.join("root/isoguard-collector.deb")).unwrap();
    // dpkg, not apt: it refuses a package whose Depends the tree does not satisfy.
    let installed = in_tree(&tree, &["dpkg", "-i", "/root/isoguard.deb"]);
    assert!(
        installed.contains("enrol /etc/isoguard/host.key.pub"),
        "{installed}"
    );
    let installed = in_tree(&tree, &["dpkg", "-i", "/root/isoguard-collector.deb"]);
    let version = in_tree(&tree, &["/usr/bin/isoguard", "--version"]);
    assert!(version.starts_with("isoguard "), "{version}");
    let machine_id = std::fs::read_to_string(tree.join("etc/machine-id")).unwrap();
    let machine_id = machine_id.trim();
    assert_eq!(
        machine_id.len(),
        32,
        "the tree has no machine id: {installed}"
    );
    in_tree(
        &tree,
        &[
            "/usr/bin/isoguard-collector",
            "enroll",
            "--trust",
            "/etc/isoguard-collector/trust",
            machine_id,
            "/etc/isoguard/host.key.pub",
        ],
    );
    std::fs::create_dir_all(tree.join("var/log/journal")).unwrap();
    for (name, body) in [
        ("isoguard-test-transfer.service", TRANSFER_UNIT),
        ("isoguard-test-poweroff.service", POWEROFF_UNIT),
    ] {
        std::fs::write(tree.join("etc/systemd/system").join(name), body).unwrap();
    }
    in_tree(
        &tree,
        &[
            "systemctl",
            "enable",
            "isoguard-collector.service",
            "isoguard-test-transfer.service",
            "isoguard-test-poweroff.service",
        ],
    );

    let started = Instant::now();
    let boot = run(
        "timeout",
        &[
            BOOT_TIMEOUT_SECS,
            "systemd-nspawn",
            "-D",
            tree.to_str().unwrap(),
            "--register=no",
            "--keep-unit",
            "--private-network",
            "--boot",
        ],
    );
    let console = text(&boot);
    assert!(
        boot.status.success(),
        "the container did not power off cleanly ({:?}):\n{console}",
        boot.status
    );
    eprintln!(
        "Debian 11 boot to power-off: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let spooled = findings(&tree.join("var/lib/isoguard/outbox"));
    assert_eq!(spooled.len(), 1, "{spooled:?}\n{console}");
    let file = &spooled[0];
    verify(&tree.join("etc/isoguard/host.key.pub"), file);
    let finding = payload(file);
    assert_eq!(finding["trigger"], "boot");
    assert_eq!(finding["sequence"], 1);
    assert_eq!(finding["policy"]["id"], "classified");
    let verdict = finding["verdict"].as_str().unwrap().to_string();

    let journal = tree.join("var/log/journal");
    let records = ok(
        "journalctl",
        &["-D", journal.to_str().unwrap(), "--no-pager", "-o", "json"],
    );
    let records: Vec<Value> = records
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let message = |r: &Value| r["MESSAGE"].as_str().unwrap_or_default().to_string();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let summary = records
        .iter()
        .map(message)
        .find(|m| m.starts_with("isoguard scan: verdict="))
        .unwrap_or_else(|| panic!("no summary line in the journal;\nconsole:\n{console}"));
    assert!(
        summary.starts_with(&format!("isoguard scan: verdict={verdict} "))
            && summary.ends_with(&format!("finding=/var/lib/isoguard/outbox/{name}")),
        "{summary}"
    );
    // What systemd 247 said about the units' lines ("Unknown key name ..."): none, so every
    // hardening setting applies on Debian 11. (Older systemd ignores the settings it does not
    // know, with such a line: packaging/README.md lists them.)
    let unit_notes: Vec<String> = records
        .iter()
        .map(message)
        .filter(|m| {
            m.contains("/isoguard-")
                && m.split(".service:")
                    .nth(1)
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .collect();
    assert!(
        unit_notes.is_empty(),
        "systemd 247 on the packaged units: {unit_notes:#?}"
    );
    let collector_said: Vec<String> = records
        .iter()
        .filter(|r| r["_SYSTEMD_UNIT"] == "isoguard-collector.service")
        .map(message)
        .collect();
    assert!(
        tree.join("var/lib/isoguard-collector/inbox/archive")
            .join(&name)
            .is_file(),
        "the collector did not archive the finding: {collector_said:#?}"
    );
    assert!(
        collector_said
            .iter()
            .any(|m| m.starts_with("stored 1, duplicates 0, rejected 0")),
        "{collector_said:#?}"
    );
    eprintln!("Debian 11: {summary}; collector: stored 1");
}

// ---------------------------------------------------------------------------------------------
// The .rpm in a scratch root.

/// The files the agent's rpm must install, with their modes.
const AGENT_RPM_FILES: &[(&str, u32)] = &[
    ("/usr/bin/isoguard", 0o755),
    ("/etc/isoguard/config.toml", 0o644),
    ("/usr/lib/systemd/system/isoguard-boot.service", 0o644),
    ("/usr/lib/systemd/system/isoguard-scan.service", 0o644),
    ("/usr/lib/systemd/system/isoguard-scan.timer", 0o644),
    ("/usr/lib/systemd/system/isoguard-watch.service", 0o644),
    ("/usr/share/isoguard/policies/classified.toml", 0o644),
    ("/usr/share/man/man1/isoguard.1", 0o644),
    ("/usr/share/man/man1/isoguard-scan.1", 0o644),
    ("/usr/share/bash-completion/completions/isoguard", 0o644),
    ("/usr/share/zsh/site-functions/_isoguard", 0o644),
    ("/usr/share/fish/vendor_completions.d/isoguard.fish", 0o644),
    ("/usr/share/doc/isoguard/operator-guide.zh.md", 0o644),
];

const COLLECTOR_RPM_FILES: &[(&str, u32)] = &[
    ("/usr/bin/isoguard-collector", 0o755),
    ("/usr/lib/systemd/system/isoguard-collector.service", 0o644),
    ("/usr/share/doc/isoguard-collector/README.md", 0o644),
    ("/usr/share/man/man1/isoguard-collector.1", 0o644),
    ("/usr/share/man/man1/isoguard-collector-collect.1", 0o644),
    ("/usr/share/man/zh_CN/man1/isoguard-collector.1", 0o644),
    (
        "/usr/share/bash-completion/completions/isoguard-collector",
        0o644,
    ),
    ("/usr/share/zsh/site-functions/_isoguard-collector", 0o644),
    (
        "/usr/share/fish/vendor_completions.d/isoguard-collector.fish",
        0o644,
    ),
];

fn mode_of(tree: &Path, path: &str) -> u32 {
    std::fs::metadata(tree.join(path.trim_start_matches('/')))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .permissions()
        .mode()
        & 0o7777
}

#[test]
#[ignore = "needs root, rpm and a cached Debian 11 tree (/var/cache/isoguard-test); run scripts/build-release first"]
fn x86_64_rpms_install_into_a_scratch_root_with_their_scriptlets() {
    require_root();
    let rpm = package(&AMD64, "isoguard", "rpm");
    let collector_rpm = package(&AMD64, "isoguard-collector", "rpm");
    let scratch = Scratch::new("rpm-root");
    let tree = scratch.0.join("tree");
    old_tree(&tree);
    let root = tree.to_str().unwrap();

    // What the packages declare.
    for (pkg, name, files) in [
        (&rpm, "isoguard", AGENT_RPM_FILES),
        (&collector_rpm, "isoguard-collector", COLLECTOR_RPM_FILES),
    ] {
        let p = pkg.to_str().unwrap();
        let listed = stdout_of("rpm", &["-qlp", p]);
        for (file, _) in files {
            assert!(
                listed.lines().any(|l| l == *file),
                "{name} rpm lacks {file}:\n{listed}"
            );
        }
        let scripts = stdout_of("rpm", &["-qp", "--scripts", p]);
        // Each scriptlet is there, run by /bin/sh (rpm records the interpreter as a
        // requirement of that phase).
        let interpreters = stdout_of(
            "rpm",
            &[
                "-qp",
                "--qf",
                "[%{REQUIRENAME} %{REQUIREFLAGS:deptype}\n]",
                p,
            ],
        );
        for (phase, deptype) in [
            ("postinstall", "post,interp"),
            ("preuninstall", "preun,interp"),
            ("postuninstall", "postun,interp"),
        ] {
            assert!(
                scripts.contains(&format!("{phase} scriptlet")),
                "{name} rpm has no {phase} scriptlet:\n{scripts}"
            );
            assert!(
                interpreters
                    .lines()
                    .any(|l| l == format!("/bin/sh {deptype}")),
                "{name} rpm: the {phase} scriptlet is not run by /bin/sh:\n{interpreters}"
            );
        }
    }
    let config_files = stdout_of("rpm", &["-qp", "--configfiles", rpm.to_str().unwrap()]);
    assert_eq!(config_files.trim(), "/etc/isoguard/config.toml");
    // %config(noreplace): flag bit 4 (RPMFILE_NOREPLACE, 1 << 4) with bit 0 (RPMFILE_CONFIG).
    let flags = stdout_of(
        "rpm",
        &[
            "-qp",
            "--qf",
            "[%{FILENAMES} %{FILEFLAGS}\n]",
            rpm.to_str().unwrap(),
        ],
    );
    let config_flags: u32 = flags
        .lines()
        .find_map(|l| l.strip_prefix("/etc/isoguard/config.toml "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        config_flags & 0b1_0001,
        0b1_0001,
        "config.toml flags {config_flags}"
    );

    // Install both. --nodeps: the tree's libc is a dpkg package, which rpm's database does
    // not know (the Requires are checked in x86_64_packages...).
    ok("rpm", &["--root", root, "--initdb"]);
    let installed = ok(
        "rpm",
        &["--root", root, "-i", "--nodeps", rpm.to_str().unwrap()],
    );
    assert!(
        installed.contains("enrol /etc/isoguard/host.key.pub"),
        "%post did not make a key: {installed}"
    );
    ok(
        "rpm",
        &[
            "--root",
            root,
            "-i",
            "--nodeps",
            collector_rpm.to_str().unwrap(),
        ],
    );
    // Every file as packaged (size, digest, mode, owner): rpm -V prints nothing (--nodeps:
    // as above, the tree's libc is not in rpm's database).
    for name in ["isoguard", "isoguard-collector"] {
        let verified = run("rpm", &["--root", root, "-V", "--nodeps", name]);
        assert!(
            verified.status.success() && verified.stdout.is_empty(),
            "rpm -V {name}: {}",
            text(&verified)
        );
    }
    for (file, mode) in AGENT_RPM_FILES.iter().chain(COLLECTOR_RPM_FILES) {
        assert_eq!(mode_of(&tree, file), *mode, "{file}");
    }
    // The scriptlets: what the Debian maintainer scripts do.
    assert_eq!(mode_of(&tree, "/etc/isoguard/host.key"), 0o600);
    assert_eq!(mode_of(&tree, "/var/lib/isoguard/outbox"), 0o750);
    assert_eq!(mode_of(&tree, "/var/lib/isoguard/state"), 0o700);
    let recorded =
        std::fs::read_to_string(tree.join("var/lib/isoguard/package-key.sha256")).unwrap();
    assert_eq!(
        recorded.trim(),
        sha256_hex(&tree.join("etc/isoguard/host.key.pub"))
    );
    let wants = tree.join("etc/systemd/system/multi-user.target.wants/isoguard-boot.service");
    assert!(wants.symlink_metadata().is_ok(), "boot unit not enabled");
    let passwd = std::fs::read_to_string(tree.join("etc/passwd")).unwrap();
    let user = passwd
        .lines()
        .find(|l| l.starts_with("isoguard-collector:"))
        .unwrap_or_else(|| panic!("collector %post made no user:\n{passwd}"));
    let uid: u32 = user.split(':').nth(2).unwrap().parse().unwrap();
    let inbox = std::fs::metadata(tree.join("var/lib/isoguard-collector/inbox")).unwrap();
    assert_eq!(inbox.permissions().mode() & 0o7777, 0o2770);
    assert_eq!(inbox.uid(), uid);
    assert!(tree.join("etc/isoguard-collector/trust").is_dir());
    let collector_wants =
        tree.join("etc/systemd/system/multi-user.target.wants/isoguard-collector.service");
    assert!(
        collector_wants.symlink_metadata().is_err(),
        "the collector must not be enabled at install"
    );

    // The installed agent signs a scan of a fixture tree with the installed config and key.
    let fixture = fixture_tree(&scratch);
    let scan = Command::new("systemd-nspawn")
        .args([
            "-D",
            root,
            "--register=no",
            "--keep-unit",
            "--private-network",
            "--quiet",
            &format!("--bind-ro={}:/fixture", fixture.display()),
            "/usr/bin/isoguard",
            "-q",
            "scan",
            "--root",
            "/fixture",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(matches!(scan.status.code(), Some(0 | 1)), "{}", text(&scan));
    let spooled = findings(&tree.join("var/lib/isoguard/outbox"));
    assert_eq!(spooled.len(), 1, "{}", text(&scan));
    verify(&tree.join("etc/isoguard/host.key.pub"), &spooled[0]);
    let key = std::fs::read(tree.join("etc/isoguard/host.key")).unwrap();

    // Erase: binaries and units go, the boot unit is disabled, the key and findings stay.
    ok(
        "rpm",
        &[
            "--root",
            root,
            "-e",
            "--nodeps",
            "isoguard",
            "isoguard-collector",
        ],
    );
    assert!(!tree.join("usr/bin/isoguard").exists());
    assert!(!tree.join("usr/bin/isoguard-collector").exists());
    assert!(
        wants.symlink_metadata().is_err(),
        "boot unit still enabled after erase"
    );
    assert_eq!(
        std::fs::read(tree.join("etc/isoguard/host.key")).unwrap(),
        key
    );
    assert_eq!(findings(&tree.join("var/lib/isoguard/outbox")).len(), 1);
    assert!(tree.join("var/lib/isoguard-collector/inbox").is_dir());
    eprintln!(
        "x86_64 rpms: {} files verified, scriptlets ran, signed scan {}, erase kept key and findings",
        AGENT_RPM_FILES.len() + COLLECTOR_RPM_FILES.len(),
        spooled[0].file_name().unwrap().to_string_lossy()
    );
}

// ---------------------------------------------------------------------------------------------
// Foreign binaries under qemu-user.

/// The fixture machine built into a tree by this machine's build with every feature (release
/// binaries may not be able to build fixture trees; see the `fixture` feature).
fn fixture_tree(scratch: &Scratch) -> PathBuf {
    let out = scratch.0.join("fixture-tree");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let built = Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "--locked",
            "--all-features",
            "--bin",
            "isoguard",
            "--",
            "fixture",
            "build",
        ])
        .arg(repo().join("tests/fixtures").join(FIXTURE))
        .arg("--out")
        .arg(&out)
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(built.status.success(), "fixture build: {}", text(&built));
    assert!(out.join("sys").is_dir(), "{}", text(&built));
    out
}

struct Qemu {
    qemu: String,
    sysroot: String,
}

fn qemu_for(arch: &str) -> Qemu {
    let out = stdout_of(
        repo().join("scripts/release-qemu").to_str().unwrap(),
        &[arch],
    );
    let value = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("scripts/release-qemu {arch} printed no {key}: {out}"))
            .to_string()
    };
    Qemu {
        qemu: value("qemu"),
        sysroot: value("sysroot"),
    }
}

impl Qemu {
    /// Runs a foreign binary; returns its output whatever its exit code.
    fn run(&self, bin: &Path, args: &[&str]) -> Output {
        Command::new(&self.qemu)
            .arg("-L")
            .arg(&self.sysroot)
            .arg(bin)
            .args(args)
            .env("LANG", "C")
            .env_remove("LC_ALL")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", self.qemu))
    }
}

fn run_under_qemu(arch: &Arch) {
    require_root();
    let qemu = qemu_for(arch.qemu.unwrap());
    let scratch = Scratch::new(&format!("{}-qemu", arch.deb));
    let agent_tree = scratch.dir("agent");
    unpack(&package(arch, "isoguard", "deb"), &agent_tree);
    let collector_tree = scratch.dir("collector");
    unpack(&package(arch, "isoguard-collector", "deb"), &collector_tree);
    let agent = agent_tree.join("usr/bin/isoguard");
    let collector = collector_tree.join("usr/bin/isoguard-collector");
    let fixture = fixture_tree(&scratch);
    let fixture_arg = fixture.to_str().unwrap();
    // An empty config file: nothing of this machine's /etc/isoguard applies.
    let config = scratch.0.join("config.toml");
    std::fs::write(&config, "").unwrap();
    let started = Instant::now();

    let version = qemu.run(&agent, &["--version"]);
    assert!(version.status.success(), "{}", text(&version));

    // inventory: the same document as this machine's own build reads from the same tree.
    let inventory = qemu.run(
        &agent,
        &["inventory", "--root", fixture_arg, "--format", "json"],
    );
    assert!(inventory.status.success(), "{}", text(&inventory));
    let foreign: Value = serde_json::from_slice(&inventory.stdout).unwrap();
    let native: Value = serde_json::from_str(&stdout_of(
        host_agent(),
        &["inventory", "--root", fixture_arg, "--format", "json"],
    ))
    .unwrap();
    assert_eq!(
        foreign, native,
        "{} inventory differs from x86_64's",
        arch.deb
    );
    let usb = foreign["usb"]["devices"].as_array().map_or(0, Vec::len);
    assert!(
        usb > 0,
        "no USB devices in the {FIXTURE} inventory: {foreign}"
    );

    // keygen and a signed scan, both by the foreign binary.
    let key = scratch.0.join("host.key");
    let keygen = qemu.run(&agent, &["keygen", "--out", key.to_str().unwrap()]);
    assert!(keygen.status.success(), "{}", text(&keygen));
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let spool = scratch.dir("outbox");
    let state = scratch.dir("state");
    let scan = qemu.run(
        &agent,
        &[
            "scan",
            "--config",
            config.to_str().unwrap(),
            "--policy",
            "classified",
            "--root",
            fixture_arg,
            "--key",
            key.to_str().unwrap(),
            "--spool",
            spool.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(
        matches!(scan.status.code(), Some(0 | 1)),
        "scan under qemu: {}",
        text(&scan)
    );
    let spooled = findings(&spool);
    assert_eq!(spooled.len(), 1, "{}", text(&scan));
    let mut public = key.clone().into_os_string();
    public.push(".pub");
    let public = PathBuf::from(public);
    verify(&public, &spooled[0]);
    let finding = payload(&spooled[0]);
    assert_eq!(finding["policy"]["id"], "classified");
    assert_eq!(finding["trigger"], "manual");

    // The same verdict and failed rules as this machine's build on the same tree.
    let native_scan = run(
        host_agent(),
        &[
            "scan",
            "--config",
            config.to_str().unwrap(),
            "--policy",
            "classified",
            "--root",
            fixture_arg,
            "--format",
            "json",
        ],
    );
    assert_eq!(native_scan.status.code(), scan.status.code());
    let native_finding: Value = serde_json::from_slice(&native_scan.stdout).unwrap();
    assert_eq!(finding["verdict"], native_finding["verdict"]);
    assert_eq!(finding["results"], native_finding["results"]);

    // The foreign collector (bundled SQLite) enrols the key and stores the finding.
    let trust = scratch.dir("trust");
    let inbox = scratch.dir("inbox");
    std::fs::copy(&spooled[0], inbox.join(spooled[0].file_name().unwrap())).unwrap();
    let host = std::fs::read_to_string(
        repo()
            .join("tests/fixtures")
            .join(FIXTURE)
            .join("etc/machine-id"),
    )
    .unwrap();
    let enroll = qemu.run(
        &collector,
        &[
            "enroll",
            "--trust",
            trust.to_str().unwrap(),
            host.trim(),
            public.to_str().unwrap(),
        ],
    );
    assert!(enroll.status.success(), "{}", text(&enroll));
    let db = scratch.0.join("findings.db");
    let collect = qemu.run(
        &collector,
        &[
            "collect",
            "--inbox",
            inbox.to_str().unwrap(),
            "--trust",
            trust.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
    );
    assert!(collect.status.success(), "{}", text(&collect));
    assert!(
        text(&collect).contains("stored 1, duplicates 0, rejected 0"),
        "{}",
        text(&collect)
    );
    eprintln!(
        "{} under {} (-L {}): inventory of {FIXTURE} as on x86_64 ({usb} USB devices), signed \
         scan verdict={} verified here, collector stored 1; {:.1} s",
        arch.deb,
        qemu.qemu,
        qemu.sysroot,
        finding["verdict"].as_str().unwrap_or("?"),
        started.elapsed().as_secs_f64()
    );
}

#[test]
#[ignore = "needs root, qemu-user (scripts/release-qemu installs it) and the arm64 packages of scripts/build-release"]
fn arm64_binaries_scan_a_fixture_under_qemu_and_the_finding_verifies() {
    run_under_qemu(&ARM64);
}

#[test]
#[ignore = "needs root, sid's qemu-user (scripts/release-qemu) and the loong64 packages of scripts/build-release"]
fn loong64_binaries_scan_a_fixture_under_qemu_and_the_finding_verifies() {
    run_under_qemu(&LOONG64);
}
