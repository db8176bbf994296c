//! Who this machine is: hostname, machine id, boot id, OS and kernel.
//!
//! Live, the names come from sysinfo (which reads `uname` and os-release); under a fixture
//! root, from the tree's own `etc/` and `proc/` files, so a recording names its own machine.

use super::root::{Fact, HostRoot};
use crate::inventory::HostIdentity;

pub fn read(host: &HostRoot) -> HostIdentity {
    host.reading(Fact::Identity, || read_identity(host))
}

fn read_identity(host: &HostRoot) -> HostIdentity {
    let machine_id = host.read_attr("etc/machine-id").filter(|id| !id.is_empty());
    let boot_id = host.read_attr("proc/sys/kernel/random/boot_id");
    let (hostname, os, kernel) = if host.is_live() {
        (
            sysinfo::System::host_name(),
            sysinfo::System::long_os_version(),
            sysinfo::System::kernel_version(),
        )
    } else {
        (
            host.read_attr("etc/hostname")
                .or_else(|| host.read_attr("proc/sys/kernel/hostname")),
            host.read_text("etc/os-release")
                .and_then(|text| os_release_name(&text)),
            host.read_attr("proc/sys/kernel/osrelease"),
        )
    };
    if machine_id.is_none() {
        host.note(
            "etc/machine-id",
            "missing or empty: findings cannot name this host reliably",
        );
    }
    HostIdentity {
        hostname: hostname.map(|h| crate::text::decode_bytes(h.trim().as_bytes())),
        machine_id,
        boot_id,
        os,
        kernel,
        agent_version: env!("CARGO_PKG_VERSION").to_string(),
        problems: host.take_problems(),
    }
}

/// `PRETTY_NAME`, else `NAME VERSION`, from an os-release file.
pub fn os_release_name(text: &str) -> Option<String> {
    let field = |key: &str| {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().trim_matches('"').trim_matches('\'').to_string())
            .filter(|v| !v.is_empty())
    };
    field("PRETTY_NAME").or_else(|| match (field("NAME"), field("VERSION")) {
        (Some(name), Some(version)) => Some(format!("{name} {version}")),
        (name, _) => name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_prefers_pretty_name() {
        // Kylin V10 SP1 /etc/os-release (abridged).
        let kylin = "NAME=\"Kylin Linux Advanced Server\"\nVERSION=\"V10 (Sword)\"\nPRETTY_NAME=\"Kylin Linux Advanced Server V10 (Sword)\"\n";
        assert_eq!(
            os_release_name(kylin).as_deref(),
            Some("Kylin Linux Advanced Server V10 (Sword)")
        );
        assert_eq!(
            os_release_name("NAME=UOS\nVERSION=20\n").as_deref(),
            Some("UOS 20")
        );
        assert_eq!(os_release_name("garbage"), None);
    }
}
