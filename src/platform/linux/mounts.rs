//! Mounted filesystems, from `/proc/self/mountinfo` (exact device numbers) or, in older
//! recordings, `/proc/mounts` (device paths).

use super::root::HostRoot;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Device number when mountinfo gave it.
    pub devnum: Option<(u32, u32)>,
    /// The source as written (`/dev/sdb1`).
    pub source: String,
    pub mount_point: String,
    pub fs_type: String,
    /// Per-mount options followed by superblock options.
    pub options: Vec<String>,
}

impl MountEntry {
    pub fn read_only(&self) -> bool {
        self.options.iter().any(|o| o == "ro")
    }
}

/// Reads the mount table. `None` when no table could be read (the caller reports it).
///
/// Live, the table of PID 1 comes first: a hardened systemd unit (`ProtectSystem=strict`)
/// runs the scan in a mount namespace of its own where every mount is read-only, so our own
/// table would show every import medium as read-only and the one-way-import rule could never
/// fail. PID 1's table is the machine's.
pub fn read(host: &HostRoot) -> Option<Vec<MountEntry>> {
    if host.is_live() {
        if let Some(text) = host.read_text_quiet("proc/1/mountinfo") {
            return Some(parse_mountinfo(&text));
        }
    }
    if let Some(text) = host.read_text("proc/self/mountinfo") {
        return Some(parse_mountinfo(&text));
    }
    host.read_text("proc/mounts")
        .map(|text| parse_mounts(&text))
}

/// The kernel escapes space, tab, newline and backslash in mount fields as `\ooo`.
fn unescape_octal(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let digits = bytes.get(i + 1..i + 4).unwrap_or_default();
        let octal = digits.len() == 3 && digits.iter().all(|d| (b'0'..=b'7').contains(d));
        if bytes[i] == b'\\' && octal {
            let value = digits
                .iter()
                .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
            if let Ok(byte) = u8::try_from(value) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    crate::text::decode_bytes(&out)
}

pub fn parse_mountinfo(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let left: Vec<&str> = left.split(' ').collect();
            let right: Vec<&str> = right.split(' ').collect();
            let (major, minor) = left.get(2)?.split_once(':')?;
            let mut options: Vec<String> = left.get(5)?.split(',').map(str::to_string).collect();
            options.extend(right.get(2).unwrap_or(&"").split(',').map(str::to_string));
            Some(MountEntry {
                devnum: Some((major.parse().ok()?, minor.parse().ok()?)),
                source: unescape_octal(right.get(1)?),
                mount_point: unescape_octal(left.get(4)?),
                fs_type: right.first()?.to_string(),
                options,
            })
        })
        .collect()
}

pub fn parse_mounts(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let source = unescape_octal(fields.next()?);
            let mount_point = unescape_octal(fields.next()?);
            let fs_type = fields.next()?.to_string();
            let options = fields.next()?.split(',').map(str::to_string).collect();
            Some(MountEntry {
                devnum: None,
                source,
                mount_point,
                fs_type,
                options,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_gives_devnum_and_both_option_sets() {
        let line = "36 35 8:17 / /media/USB\\040DISK rw,nosuid,nodev,relatime shared:1 - vfat /dev/sdb1 ro,fmask=0022\n";
        let m = &parse_mountinfo(line)[0];
        assert_eq!(m.devnum, Some((8, 17)));
        assert_eq!(m.mount_point, "/media/USB DISK");
        assert_eq!(m.source, "/dev/sdb1");
        assert!(m.read_only(), "superblock ro counts");
    }

    #[test]
    fn proc_mounts_parse() {
        let m = parse_mounts("/dev/sdb1 /media/disk vfat rw,nosuid 0 0\nbroken\n");
        assert_eq!(m.len(), 1);
        assert!(!m[0].read_only());
    }
}
