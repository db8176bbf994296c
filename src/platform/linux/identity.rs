//! Who this machine is: hostname, machine id, boot id, OS and kernel.
//!
//! Live, the names come from sysinfo (which reads `uname` and os-release); under a fixture
//! root, from the tree's own `etc/` and `proc/` files, so a recording names its own machine.

use super::root::{Fact, HostRoot};
use crate::inventory::{HostIdentity, OsRelease};

pub fn read(host: &HostRoot) -> HostIdentity {
    host.reading(Fact::Identity, || read_identity(host))
}

fn read_identity(host: &HostRoot) -> HostIdentity {
    let machine_id = host.read_attr("etc/machine-id").filter(|id| !id.is_empty());
    let boot_id = host.read_attr("proc/sys/kernel/random/boot_id");
    // /etc/os-release, else the file it usually links to (os-release(5)).
    let release_text = host
        .read_text("etc/os-release")
        .or_else(|| host.read_text_quiet("usr/lib/os-release"));
    let os_release = release_text.as_deref().map(parse_os_release);
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
            release_text.as_deref().and_then(os_release_name),
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
        os_release,
        problems: host.take_problems(),
    }
}

/// One field of an os-release file, unquoted and bounded.
fn os_release_field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().trim_matches('"').trim_matches('\'').to_string())
        .map(|v| crate::text::decode_bytes(v.as_bytes()))
        .filter(|v| !v.is_empty())
}

pub fn parse_os_release(text: &str) -> OsRelease {
    OsRelease {
        id: os_release_field(text, "ID"),
        id_like: os_release_field(text, "ID_LIKE")
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        version_id: os_release_field(text, "VERSION_ID"),
        pretty_name: os_release_field(text, "PRETTY_NAME"),
    }
}

/// `PRETTY_NAME`, else `NAME VERSION`, from an os-release file.
pub fn os_release_name(text: &str) -> Option<String> {
    let field = |key: &str| os_release_field(text, key);
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

    #[test]
    fn os_release_ids_of_the_systems_we_install_on() {
        // openEuler 22.03 LTS /etc/os-release (as published): mixed-case ID, no ID_LIKE.
        let euler = "NAME=\"openEuler\"\nVERSION=\"22.03 (LTS-SP1)\"\nID=\"openEuler\"\nVERSION_ID=\"22.03\"\nPRETTY_NAME=\"openEuler 22.03 (LTS-SP1)\"\nANSI_COLOR=\"0;31\"\n";
        let r = parse_os_release(euler);
        assert_eq!(r.id.as_deref(), Some("openEuler"));
        assert!(r.id_like.is_empty());
        assert_eq!(r.version_id.as_deref(), Some("22.03"));
        // Debian-based desktops set ID_LIKE; it is a list.
        let ubuntu_kylin = "ID=kylin\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"v10\"\n";
        assert_eq!(parse_os_release(ubuntu_kylin).id_like, ["ubuntu", "debian"]);
    }
}
