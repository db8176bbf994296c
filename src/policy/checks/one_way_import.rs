//! `one-way-import`: a registered medium with the role `import` (单向导入) may only carry data
//! into the workstation. It passes while the block device itself is read-only or every
//! filesystem of it that is mounted is mounted read-only; a read-write mount fails with the
//! mount point and options. An unmounted import medium offers no write path and passes.

use super::evidence::{block_evidence, block_ids, registered};
use super::{Context, EvidenceKind, Outcome};
use crate::i18n::{Msg, Phrase};
use crate::inventory::Fact;
use crate::policy::model::MediaRole;
use crate::policy::reader::Table;

pub const NAME: &str = "one-way-import";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {}

impl Settings {
    pub fn parse(_t: &Table) -> Settings {
        Settings {}
    }

    pub fn evaluate(&self, ctx: &Context) -> Outcome {
        let inv = ctx.inventory;
        let mut evidence = Vec::new();
        for dev in &inv.storage.devices {
            let Some(entry) = registered(ctx.media, &block_ids(dev)) else {
                continue;
            };
            if entry.role != MediaRole::Import || dev.read_only == Some(true) {
                continue;
            }
            for part in std::iter::once((&dev.name, &dev.node, dev.read_only, &dev.mounts)).chain(
                dev.partitions
                    .iter()
                    .map(|p| (&p.name, &p.node, p.read_only, &p.mounts)),
            ) {
                let (name, node, read_only, mounts) = part;
                if read_only == Some(true) {
                    continue;
                }
                for mount in mounts.iter().filter(|m| !m.read_only) {
                    let label = match entry.device.label.as_deref() {
                        Some(label) => Phrase::verbatim(label),
                        None => Msg::ImportMedium.into(),
                    };
                    let mut e = block_evidence(
                        dev,
                        Phrase::new(Msg::MountedReadWrite)
                            .nest("label", label)
                            .arg("node", node.as_deref().unwrap_or(name))
                            .arg("mount_point", &mount.mount_point)
                            .arg("fs", &mount.fs_type)
                            .arg("options", mount.options.join(",")),
                    );
                    e.kind = EvidenceKind::Mount.into();
                    evidence.push(e);
                }
            }
        }
        Outcome::decide(
            evidence,
            &inv.problems_of(&[Fact::BlockDevices, Fact::Mounts]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{judge, machine, mount, named, stick};
    use crate::finding::v1::Status;

    const RULE: &str = "id = \"one-way-import\"";
    const IMPORT: &str = "[[media]]\nserial = \"4C530001\"\nrole = \"import\"\n";

    #[test]
    fn an_import_medium_mounted_read_write_fails_naming_its_node() {
        let mut inv = machine();
        let (device, mut disk) = stick("sdb", "1-2", "4C530001");
        disk.mounts.push(mount("/media/in", false));
        inv.usb.devices.push(device);
        inv.storage.devices.push(disk.clone());
        let r = judge(RULE, IMPORT, &inv);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(named(&r), vec!["sdb".to_string()]);
        assert!(r.evidence[0]
            .detail
            .contains("/dev/sdb is mounted read-write on /media/in"));

        // A transfer medium may be written; a read-only import mount passes.
        let transfer = IMPORT.replace("import", "transfer");
        assert_eq!(judge(RULE, &transfer, &inv).status, Status::Pass);
        disk.mounts = vec![mount("/media/in", true)];
        inv.storage.devices = vec![disk];
        assert_eq!(judge(RULE, IMPORT, &inv).status, Status::Pass);
    }
}
