//! The Linux backend: reads sysfs, procfs, the udev database and netlink, and fills the
//! OS-neutral inventory.
//!
//! Everything goes through a [`HostRoot`], rooted at `/` on a live system or at a recorded
//! tree (`--root DIR` reads `DIR/sys`, `DIR/proc`, `DIR/run/udev`, `DIR/etc`). This folder is
//! the only place in the crate that names a sysfs, procfs or `/dev` path.

pub mod audio;
pub mod bus;
pub mod device;
pub mod enforce;
pub mod events;
#[cfg(feature = "fixture")]
pub mod fixture;
pub mod history;
pub mod identity;
pub mod mounts;
pub mod netsource;
pub mod network;
pub mod procnet;
pub mod root;
pub mod routes;
pub mod rtnetlink;
pub mod storage;
pub mod udev_db;
pub mod usb;
pub mod video;
pub mod wireless;

pub use device::SysDevice;
pub use root::HostRoot;

use crate::i18n::Msg;
use crate::inventory::{Fact, HostIdentity, Inventory, Problem, INVENTORY_SCHEMA};

/// What this backend reads: the live system or a tree laid out like `/`.
pub type Machine = HostRoot;

/// Reads the whole machine once. Each section carries the problems met while reading it,
/// so a rule knows whether "nothing found" was verified.
pub fn collect(host: &HostRoot) -> Inventory {
    collect_with(host, None)
}

/// Reads the devices and the network again but keeps an earlier reading of the logs
/// (`isoguard watch`: hundreds of megabytes of history are not re-read at every event).
pub fn collect_keeping_history(
    host: &HostRoot,
    history: Option<crate::inventory::history::HistorySection>,
) -> Inventory {
    collect_with(host, Some(history))
}

fn collect_with(
    host: &HostRoot,
    kept: Option<Option<crate::inventory::history::HistorySection>>,
) -> Inventory {
    let identity = identity::read(host);
    let mut usb = usb::collect(host);
    let mut storage = storage::collect(host);
    let mut network = network::collect(host);
    let mut audio = audio::collect(host);
    let mut video = video::collect(host);
    let mut wireless = wireless::collect(host, &network, &usb);
    let history = match kept {
        Some(kept) => kept,
        None => Some(host.reading(Fact::History, || {
            history::collect(
                host,
                std::time::SystemTime::now(),
                &crate::inventory::history::Limits::default(),
            )
        })),
    };
    // Without sysfs every class folder is "absent", which would read as "no devices".
    if !host.is_dir("sys/devices") {
        let missing = Problem::said("/sys/devices", &Msg::SysfsMissing.into(), None);
        for problems in [
            &mut usb.problems,
            &mut storage.problems,
            &mut network.problems,
            &mut audio.problems,
            &mut video.problems,
            &mut wireless.problems,
        ] {
            problems.push(missing.clone());
        }
    }
    Inventory {
        schema: INVENTORY_SCHEMA.to_string(),
        host: identity,
        network,
        storage,
        usb,
        audio,
        video,
        wireless,
        history,
    }
}

/// Builds a recording into a temporary tree; the second value removes it when dropped.
#[cfg(feature = "fixture")]
pub fn open_fixture(dir: &std::path::Path) -> Result<(Machine, Box<dyn std::any::Any>), String> {
    let built = fixture::materialize_temp(dir).map_err(|e| e.to_string())?;
    Ok((HostRoot::at(&built.root), Box::new(built)))
}

#[cfg(not(feature = "fixture"))]
pub fn open_fixture(dir: &std::path::Path) -> Result<(Machine, Box<dyn std::any::Any>), String> {
    Err(super::no_fixture_builder(dir))
}

/// Who the machine is, on its own (for a finding whose policy could not be loaded).
pub fn identity(host: &HostRoot) -> HostIdentity {
    identity::read(host)
}

/// Whether `/sys` + the uevent's DEVPATH exists. A path that tries to climb out of /sys is
/// treated as absent.
pub fn device_present(host: &HostRoot, devpath: &str) -> bool {
    if devpath.split('/').any(|part| part == "..") || !devpath.starts_with("/devices/") {
        return false;
    }
    host.exists(&format!("sys{devpath}"))
}
