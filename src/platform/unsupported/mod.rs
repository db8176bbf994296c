//! The backend for operating systems isoguard cannot read yet.
//!
//! It compiles everywhere and reads nothing: every inventory section carries one problem
//! saying so, so every rule reports `error` and no scan can pass a machine it never looked
//! at. A real backend for another system is a sibling folder that fills the same types.

use std::path::{Path, PathBuf};

use crate::i18n::Msg;
use crate::inventory::{HostIdentity, Inventory, Problem, INVENTORY_SCHEMA};

/// What would be read: the live system or a tree laid out like its root.
#[derive(Debug)]
pub struct Machine {
    root: Option<PathBuf>,
}

impl Machine {
    pub fn live() -> Self {
        Machine { root: None }
    }

    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Machine {
            root: Some(dir.into()),
        }
    }

    pub fn is_live(&self) -> bool {
        self.root.is_none()
    }

    fn shown(&self) -> String {
        self.root
            .as_deref()
            .map_or_else(|| "/".to_string(), |p: &Path| p.display().to_string())
    }
}

fn unsupported(machine: &Machine) -> Problem {
    Problem::said(
        machine.shown(),
        &Msg::NoBackend.with("os", std::env::consts::OS),
        None,
    )
}

pub fn identity(machine: &Machine) -> HostIdentity {
    HostIdentity {
        hostname: None,
        machine_id: None,
        boot_id: None,
        os: Some(std::env::consts::OS.to_string()),
        kernel: None,
        agent_version: env!("CARGO_PKG_VERSION").to_string(),
        os_release: None,
        problems: vec![unsupported(machine)],
    }
}

pub fn collect(machine: &Machine) -> Inventory {
    let mut inventory = Inventory {
        schema: INVENTORY_SCHEMA.to_string(),
        host: identity(machine),
        network: Default::default(),
        storage: Default::default(),
        usb: Default::default(),
        audio: Default::default(),
        video: Default::default(),
        wireless: Default::default(),
        history: None,
    };
    let problem = unsupported(machine);
    for (i, list) in inventory.section_problems_mut().into_iter().enumerate() {
        // The host section already says it.
        if i > 0 {
            list.push(problem.clone());
        }
    }
    inventory
}

pub fn open_fixture(dir: &Path) -> Result<(Machine, Box<dyn std::any::Any>), String> {
    Err(super::no_fixture_builder(dir))
}

/// Change notifications: this backend knows no way to receive them, so `isoguard watch`
/// refuses to start rather than watch nothing.
pub mod events {
    use std::io;
    use std::os::fd::AsFd;
    use std::time::Duration;

    use crate::watch::event::Event;

    pub struct EventSource(());

    impl EventSource {
        pub fn open(_receive_buffer: Option<usize>) -> io::Result<EventSource> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "this operating system has no event source for isoguard watch",
            ))
        }

        pub fn wait(&self, _extra: &impl AsFd, _timeout: Option<Duration>) -> io::Result<bool> {
            Ok(true)
        }

        pub fn drain(&mut self, _out: &mut Vec<Event>) -> io::Result<()> {
            Ok(())
        }
    }
}

pub fn device_present(_machine: &Machine, _devpath: &str) -> bool {
    false
}

/// Enforcement: nothing can be written on a system this backend cannot read.
pub mod enforce {
    use super::Machine;

    pub fn write(_m: &Machine, _path: &str, _attribute: &str, _value: &str) -> Result<(), String> {
        Err("enforcement is not supported on this operating system".to_string())
    }

    pub fn link_down(_m: &Machine, _name: &str) -> Result<(), String> {
        Err("enforcement is not supported on this operating system".to_string())
    }

    pub fn read(_m: &Machine, _path: &str, _attribute: &str) -> Option<String> {
        None
    }

    pub fn root_hubs(_m: &Machine) -> Vec<String> {
        Vec::new()
    }

    pub fn unauthorized_usb(_m: &Machine) -> Vec<String> {
        Vec::new()
    }
}

pub fn collect_keeping_history(
    machine: &Machine,
    _history: Option<crate::inventory::history::HistorySection>,
) -> Inventory {
    collect(machine)
}
