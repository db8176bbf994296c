//! The layering rule, checked: only the Linux backend (`src/platform/linux/`) names a sysfs,
//! procfs, udev or `/dev` path. Everything else works on the OS-neutral inventory, so another
//! operating system's backend is a new folder beside it and no check or report changes.
//!
//! The scan looks at string literals in code, not at comments, and stops at a file's
//! `#[cfg(test)]` module (test data may well describe a Linux machine). The Chinese help
//! table (`HELP_ZH` in args.rs) is skipped like the English help, which lives in doc comments:
//! both describe `--root`'s layout to a person, neither reads it.

use std::path::{Path, PathBuf};

const LINUX_PATHS: &[&str] = &["sys/", "proc/", "/dev/", "run/udev", "dev/shm"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("list src") {
        let path = entry.expect("list src").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The string literals on a line of code, comments removed (good enough for this crate's
/// style: no raw strings with `//` inside, no block comments).
fn literals(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (&mut current, c) {
            (None, '/') if chars.peek() == Some(&'/') => break,
            (None, '"') => current = Some(String::new()),
            (Some(text), '\\') => {
                if let Some(next) = chars.next() {
                    text.push(next);
                }
            }
            (Some(_), '"') => found.extend(current.take()),
            (Some(text), c) => text.push(c),
            (None, _) => {}
        }
    }
    found
}

#[test]
fn only_the_linux_backend_names_linux_paths() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let backend = src.join("platform/linux");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&backend)) {
        if file.file_name().is_some_and(|n| n == "testing.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read source");
        let mut in_help_table = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            if line.starts_with("pub const HELP_ZH") {
                in_help_table = true;
            }
            if in_help_table {
                in_help_table = line != "];";
                continue;
            }
            for literal in literals(line) {
                if LINUX_PATHS.iter().any(|p| literal.contains(p)) {
                    offenders.push(format!("{}:{}: {literal:?}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "Linux paths outside src/platform/linux:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_literal_scanner_sees_strings_and_skips_comments() {
    assert_eq!(
        literals(r#"let a = "sys/class"; // "proc/x""#),
        ["sys/class"]
    );
    assert_eq!(literals(r#"f("a\"b", "c")"#), ["a\"b", "c"]);
}
