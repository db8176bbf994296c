//! `one-way-import`: a registered medium with the role `import` (单向导入) may only carry data
//! into the workstation. It passes while the block device itself is read-only or every
//! filesystem of it that is mounted is mounted read-only; a read-write mount fails with the
//! mount point and options. An unmounted import medium offers no write path and passes.

use super::evidence::{block_evidence, block_ids, registered};
use super::{problems_of, Context, EvidenceKind, Outcome};
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
                    let label = entry.device.label.as_deref().unwrap_or("import medium");
                    let mut e = block_evidence(
                        dev,
                        &format!(
                            "{label}: {} is mounted read-write on {} ({}) with options {}",
                            node.as_deref().unwrap_or(name),
                            mount.mount_point,
                            mount.fs_type,
                            mount.options.join(",")
                        ),
                    );
                    e.kind = EvidenceKind::Mount.into();
                    evidence.push(e);
                }
            }
        }
        Outcome::decide(evidence, &problems_of(&[&inv.storage.problems]))
    }
}
