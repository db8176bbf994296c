//! Shared by the three fixture-format targets: one recording's bytes through its real parser
//! (`isoguard::platform::linux::fixture::parse_recording`) and, when it parses, written into
//! an empty tree as `isoguard fixture build` writes it. The loader promises that hostile
//! recordings never write outside the output folder and never leave a symlink there that
//! climbs out of it; both are checked after every write.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use isoguard::platform::linux::fixture::{parse_recording, SourceFormat};

/// A folder of this process's own under TMPDIR (scripts/fuzz-ci points TMPDIR at a folder it
/// removes), holding nothing but the output tree while an input is applied.
fn base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("isoguard-fuzz-fixture-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("fuzz scratch folder");
        dir
    })
}

pub fn run(format: SourceFormat, data: &[u8]) {
    let Ok(parsed) = parse_recording(format, data, None) else {
        return;
    };
    let base = base();
    let out = base.join("tree");
    fs::create_dir(&out).expect("fresh output folder");
    let applied = parse_recording(format, data, Some(&out));
    if let Ok(count) = applied {
        assert_eq!(count, parsed, "writing must not change what parsed");
    }
    let beside: Vec<_> = fs::read_dir(base)
        .expect("scratch folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        beside,
        [std::ffi::OsString::from("tree")],
        "wrote outside the tree"
    );
    check_inside(&out, &mut Vec::new());
    fs::remove_dir_all(&out).expect("remove output tree");
}

/// Every entry is a file, folder or symlink whose target, taken from the link's folder,
/// never climbs above the tree root.
fn check_inside(dir: &Path, at: &mut Vec<String>) {
    for entry in fs::read_dir(dir).expect("tree folder") {
        let entry = entry.expect("entry");
        let name = entry.file_name().into_string().expect("UTF-8 name");
        let kind = entry.file_type().expect("file type");
        if kind.is_symlink() {
            let target = fs::read_link(entry.path()).expect("link target");
            let target = target.to_str().expect("UTF-8 link target");
            assert!(
                !target.starts_with('/'),
                "absolute link {at:?}/{name} -> {target}"
            );
            let mut resolved = at.clone();
            for piece in target.split('/') {
                match piece {
                    "" | "." => {}
                    ".." => {
                        assert!(
                            resolved.pop().is_some(),
                            "link {at:?}/{name} -> {target} leaves the tree"
                        );
                    }
                    other => resolved.push(other.to_string()),
                }
            }
        } else if kind.is_dir() {
            at.push(name);
            check_inside(&entry.path(), at);
            at.pop();
        } else {
            assert!(
                kind.is_file(),
                "{at:?}/{name} is not a file, folder or link"
            );
        }
    }
}
