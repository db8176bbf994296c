//! The "desktop entry" key file format (GLib's `GKeyFile`) that NetworkManager profiles,
//! iwd profiles and BlueZ records are written in: `[group]` headers, `key=value` lines,
//! `#` comments.
//!
//! Values are kept raw (escapes are the reader's business, since NetworkManager's SSIDs
//! and GLib's strings escape differently), with the line each key was on, so evidence can
//! point at it. Malformed lines are skipped, not fatal: a profile with one bad line still
//! says what network it is for.

/// One key's value as written, and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub raw: String,
    pub line: u64,
}

#[derive(Debug, Default)]
pub struct KeyFile {
    /// Groups in file order; keys in file order within each (a repeated key keeps the
    /// last value, as GLib does).
    pub groups: Vec<(String, Vec<(String, Value)>)>,
}

impl KeyFile {
    pub fn parse(text: &str) -> KeyFile {
        let mut kf = KeyFile::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[') {
                if let Some(name) = name.trim_end().strip_suffix(']') {
                    kf.groups.push((name.to_string(), Vec::new()));
                }
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let Some((_, keys)) = kf.groups.last_mut() else {
                continue;
            };
            let key = key.trim_end().to_string();
            let value = Value {
                raw: value.trim_start().to_string(),
                line: n as u64 + 1,
            };
            match keys.iter_mut().find(|(k, _)| *k == key) {
                Some((_, old)) => *old = value,
                None => keys.push((key, value)),
            }
        }
        kf
    }

    pub fn group(&self, name: &str) -> Option<&[(String, Value)]> {
        self.groups
            .iter()
            .rev()
            .find(|(g, _)| g == name)
            .map(|(_, keys)| keys.as_slice())
    }

    pub fn has_group(&self, name: &str) -> bool {
        self.group(name).is_some()
    }

    pub fn get(&self, group: &str, key: &str) -> Option<&Value> {
        self.group(group)?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// A string value with GLib's escapes (`\s \n \t \r \\`) undone.
    pub fn string(&self, group: &str, key: &str) -> Option<String> {
        self.get(group, key)
            .map(|v| unescape(&v.raw))
            .filter(|s| !s.is_empty())
    }

    pub fn boolean(&self, group: &str, key: &str) -> Option<bool> {
        match self.get(group, key)?.raw.trim() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        }
    }
}

/// Undoes GLib's string escapes; an unknown escape is kept as written.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push(' '),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(';') => out.push(';'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keys_and_lines() {
        let kf = KeyFile::parse(
            "# comment\n[connection]\nid=Home Wi-Fi\ntype=wifi\n\n[wifi]\nssid=Home\nbogus line\nssid=Later\n",
        );
        assert_eq!(kf.string("connection", "id").as_deref(), Some("Home Wi-Fi"));
        assert_eq!(kf.get("connection", "type").unwrap().line, 4);
        // The last of a repeated key wins.
        assert_eq!(kf.get("wifi", "ssid").unwrap().raw, "Later");
        assert_eq!(kf.get("wifi", "ssid").unwrap().line, 9);
        assert!(kf.get("missing", "x").is_none());
    }

    #[test]
    fn keys_before_any_group_are_ignored() {
        let kf = KeyFile::parse("stray=1\n[g]\nk=v\n");
        assert_eq!(kf.groups.len(), 1);
        assert_eq!(kf.string("g", "k").as_deref(), Some("v"));
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape(r"a\sb\\c\;d\q"), r"a b\c;d\q");
        assert_eq!(unescape("trail\\"), "trail\\");
    }

    #[test]
    fn booleans() {
        let kf = KeyFile::parse("[g]\na=true\nb=false\nc=maybe\n");
        assert_eq!(kf.boolean("g", "a"), Some(true));
        assert_eq!(kf.boolean("g", "b"), Some(false));
        assert_eq!(kf.boolean("g", "c"), None);
    }
}
