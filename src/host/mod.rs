//! The host layer: the only code that reads the machine.
//!
//! Everything goes through a [`HostRoot`], rooted at `/` on a live system or at a fixture
//! tree in tests (`--root DIR` reads `DIR/sys`, `DIR/proc`, `DIR/run/udev`, `DIR/etc`).
//! Linux specifics (sysfs, procfs, the udev database) stay in this module so another
//! operating system can fill the same inventory types from its own backend.

pub mod device;
pub mod identity;
pub mod mounts;
pub mod netsource;
pub mod procnet;
pub mod root;
pub mod udev_db;

pub use device::SysDevice;
pub use root::{HostRoot, Problem};
