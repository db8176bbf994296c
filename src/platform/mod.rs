//! The operating-system boundary: the only part of the crate that reads the machine.
//!
//! Like sysinfo, one API with one backend per operating system, chosen by `cfg`: `linux/`
//! reads sysfs, procfs, the udev database and netlink; `unsupported/` compiles everywhere and
//! reports, in every inventory section, that nothing could be read. A backend provides a
//! [`Machine`] (the live system, or a tree laid out like its root), [`collect`] and
//! [`identity`]; everything after it (policy checks, findings, the collector) sees only the
//! OS-neutral types in `crate::inventory`. A new operating system is a new folder here, and no
//! check changes. Build the library with `RUSTFLAGS='--cfg isoguard_platform="unsupported"'`
//! to try the fallback on Linux.

use crate::i18n::Msg;
use std::fmt;
use std::path::Path;

use crate::inventory::{HostIdentity, Inventory};

#[cfg(all(target_os = "linux", not(isoguard_platform = "unsupported")))]
pub mod linux;
#[cfg(all(target_os = "linux", not(isoguard_platform = "unsupported")))]
use linux as backend;

#[cfg(not(all(target_os = "linux", not(isoguard_platform = "unsupported"))))]
pub mod unsupported;
#[cfg(not(all(target_os = "linux", not(isoguard_platform = "unsupported"))))]
use unsupported as backend;

pub use backend::events::EventSource;
pub use backend::Machine;

/// Enforcement: writes `attribute` (`authorized`, `authorized_default`, `soft`) of the device
/// at `device_path` (`/sys/devices/...`), inside the tree under `--root`.
pub fn enforce_write(
    machine: &Machine,
    device_path: &str,
    attribute: &str,
    value: &str,
) -> Result<(), String> {
    backend::enforce::write(machine, device_path, attribute, value)
}

/// Enforcement: takes the network interface `name` down (live system only).
pub fn enforce_link_down(machine: &Machine, name: &str) -> Result<(), String> {
    backend::enforce::link_down(machine, name)
}

/// Reads an enforcement attribute, to restore it later.
pub fn enforce_read(machine: &Machine, device_path: &str, attribute: &str) -> Option<String> {
    backend::enforce::read(machine, device_path, attribute)
}

/// The USB root hubs, as `/sys/devices/...` paths.
pub fn usb_root_hubs(machine: &Machine) -> Vec<String> {
    backend::enforce::root_hubs(machine)
}

/// USB devices held unauthorized by the kernel.
pub fn usb_unauthorized(machine: &Machine) -> Vec<String> {
    backend::enforce::unauthorized_usb(machine)
}

/// Whether the device a uevent named (`/devices/...`) is still there: a device that came and
/// went before the machine was re-read is recorded as transient.
pub fn device_present(machine: &Machine, devpath: &str) -> bool {
    backend::device_present(machine, devpath)
}

/// The file that marks a folder as a fixture recording rather than a root tree.
pub const FIXTURE_MANIFEST: &str = "fixture.toml";

/// Reads the whole machine once, into the OS-neutral inventory.
pub fn collect(machine: &Machine) -> Inventory {
    backend::collect(machine)
}

/// Reads the machine again, keeping an earlier reading of its logs (history).
pub fn collect_keeping_history(
    machine: &Machine,
    history: Option<crate::inventory::history::HistorySection>,
) -> Inventory {
    backend::collect_keeping_history(machine, history)
}

/// Who the machine is, without reading its devices.
pub fn identity(machine: &Machine) -> HostIdentity {
    backend::identity(machine)
}

/// A machine to read, keeping a fixture's temporary tree alive while it is read.
pub struct Opened {
    pub machine: Machine,
    /// Removes the temporary tree when dropped.
    _tree: Option<Box<dyn std::any::Any>>,
}

/// Why `--root DIR` cannot be read.
#[derive(Debug)]
pub struct OpenError(pub crate::i18n::Said);

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.en)
    }
}

impl std::error::Error for OpenError {}

/// The live system (`None`), a root tree, or a fixture recording built into a temporary tree.
pub fn open(root: Option<&Path>) -> Result<Opened, OpenError> {
    let Some(dir) = root else {
        return Ok(Opened {
            machine: Machine::live(),
            _tree: None,
        });
    };
    if !dir.is_dir() {
        return Err(OpenError(
            Msg::RootNotDirectory.with("root", dir.display()).into(),
        ));
    }
    if !dir.join(FIXTURE_MANIFEST).is_file() {
        return Ok(Opened {
            machine: Machine::at(dir),
            _tree: None,
        });
    }
    let (machine, tree) = backend::open_fixture(dir).map_err(|e| {
        OpenError(
            Msg::RootUnusable
                .with("root", dir.display())
                .arg("error", e)
                .into(),
        )
    })?;
    Ok(Opened {
        machine,
        _tree: Some(tree),
    })
}

/// What a build without the fixture builder says about a recording.
#[allow(dead_code)] // why: only the backends built without the `fixture` feature use it
fn no_fixture_builder(dir: &Path) -> String {
    format!(
        "this is a fixture recording ({FIXTURE_MANIFEST}), and this build cannot build trees \
         from recordings; build one with a development build (`cargo run --features fixture \
         -- fixture build {} --out TREE`) and pass --root TREE",
        dir.display()
    )
}
