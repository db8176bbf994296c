//! Policies: which rules a workstation is held to, read from TOML files a security officer
//! writes, validated completely before anything is judged.
//!
//! A policy that does not parse, or names an unknown check, setting or key, is refused with
//! every problem at once, each at its `file:line:col`. A site override file can switch rules
//! off, change their severity, and register more media, without editing the bundled policy.

pub mod checks;
pub mod diag;
pub mod evaluate;
pub mod model;
pub mod reader;

use std::ops::Range;
use std::path::Path;

use sha2::{Digest, Sha256};
use toml::de::DeTable;

pub use diag::{Diagnostic, PolicyErrors};
pub use model::{DeviceMatch, Enforce, Lang, MediaEntry, MediaRole, Policy, Rule, Severity, Title};

use crate::i18n::{Msg, Phrase, Said};
use checks::Check;
use reader::{Diags, Table};

/// Policies compiled into the binary, so a scan works from a fresh checkout and on a
/// machine whose /usr/share copy was removed.
pub const BUILTIN: &[(&str, &str)] = &[
    ("classified", include_str!("../../policies/classified.toml")),
    (
        "internet-in-secure-area",
        include_str!("../../policies/internet-in-secure-area.toml"),
    ),
    ("dual-use", include_str!("../../policies/dual-use.toml")),
];

/// Where named policies are looked for before the built-in copies: a site's own folder, then
/// the packaged one.
pub const POLICY_DIRS: &[&str] = &["/etc/isoguard/policies", "/usr/share/isoguard/policies"];

/// Policy files are small; anything larger is a mistake or an attack.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Reads a policy, override or config file: bounded, a regular file only (a FIFO put where
/// the file belongs must not hang the boot scan), UTF-8, with a whole-file error naming it.
pub fn read_policy_file(path: &Path) -> Result<String, PolicyErrors> {
    use crate::files::{read_regular, Links, ReadError};
    let name = path.display().to_string();
    let bytes = read_regular(path, MAX_POLICY_BYTES, Links::Follow).map_err(|e| {
        let why = match e {
            ReadError::NotFound => Phrase::new(Msg::NoSuchFileOrDirectory),
            other => other.phrase(),
        };
        PolicyErrors::whole_file(&name, Msg::CannotRead.with("file", &name).nest("why", why))
    })?;
    String::from_utf8(bytes).map_err(|e| {
        PolicyErrors::whole_file(&name, Msg::NotUtf8.with("file", &name).arg("error", e))
    })
}

/// Finds a policy by file path or by name, returning (source label, text).
pub fn locate(name_or_path: &str) -> Result<(String, String), PolicyErrors> {
    let looks_like_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
    if looks_like_path {
        let path = Path::new(name_or_path);
        return read_policy_file(path).map(|text| (name_or_path.to_string(), text));
    }
    for dir in POLICY_DIRS {
        let path = Path::new(dir).join(format!("{name_or_path}.toml"));
        if path.is_file() {
            let text = read_policy_file(&path)?;
            return Ok((path.display().to_string(), text));
        }
    }
    BUILTIN
        .iter()
        .find(|(name, _)| *name == name_or_path)
        .map(|(name, text)| (format!("builtin:{name}"), text.to_string()))
        .ok_or_else(|| {
            let known: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            PolicyErrors::whole_file(
                name_or_path,
                Msg::NoSuchPolicy
                    .with("name", name_or_path)
                    .arg("dirs", POLICY_DIRS.join(", "))
                    .arg("builtin", known.join(", ")),
            )
        })
}

fn parse_document<'i>(
    file: &str,
    text: &'i str,
) -> Result<(toml::Spanned<DeTable<'i>>, Diags), PolicyErrors> {
    let (doc, syntax) = DeTable::parse_recoverable(text);
    let diags = Diags::default();
    for err in syntax {
        diags.error(
            err.span().unwrap_or(0..0),
            Said::untranslated(err.message()),
        );
    }
    if !diags.is_empty() {
        return Err(into_errors(file, text, diags));
    }
    Ok((doc, diags))
}

fn into_errors(file: &str, text: &str, diags: Diags) -> PolicyErrors {
    let mut diagnostics = diags.items.into_inner();
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    diagnostics.dedup();
    PolicyErrors {
        file: file.to_string(),
        source: text.to_string(),
        diagnostics,
    }
}

fn parse_title(parent: &Table, key: &'static str, what: Msg) -> Option<Title> {
    let context = Msg::KeyContext
        .with("key", key)
        .nest("context", parent.context.clone());
    let Some(table) = parent.table(key, context) else {
        if !parent.has(key) {
            parent.missing(key, Msg::TitleTable.nest("what", what));
        }
        return None;
    };
    let zh = table.required_string("zh");
    let en = table.required_string("en");
    table.finish();
    Some(Title {
        zh: zh?.into_inner(),
        en: en?.into_inner(),
    })
}

fn severity_names() -> String {
    Severity::ALL.map(|s| s.as_str()).join(", ")
}

fn parse_severity(t: &Table) -> Option<Severity> {
    let value = t.string("severity")?;
    let parsed = crate::vocab::parse_unit::<Severity>(value.get_ref());
    if parsed.is_none() {
        t.diags().error(
            value.span(),
            Msg::UnknownValue
                .with("what", "severity")
                .arg("value", value.get_ref())
                .arg("expected", severity_names()),
        );
    }
    parsed
}

fn parse_media(root: &Table) -> Vec<MediaEntry> {
    root.tables("media", Msg::MediaContext)
        .into_iter()
        .filter_map(|entry| {
            let role = match entry.string("role") {
                None => MediaRole::Transfer,
                Some(r) => crate::vocab::parse_unit(r.get_ref()).unwrap_or_else(|| {
                    entry.diags().error(
                        r.span(),
                        Msg::UnknownValue
                            .with("what", "role")
                            .arg("value", r.get_ref())
                            .arg(
                                "expected",
                                format!("{}, {}", MediaRole::Transfer, MediaRole::Import),
                            ),
                    );
                    MediaRole::Transfer
                }),
            };
            let device = checks::parse_device_match(&entry, checks::NameField::BlockDevice);
            let interfaces = entry.has("interfaces").then(|| {
                entry
                    .strings("interfaces")
                    .into_iter()
                    .filter_map(|text| {
                        let parsed = model::InterfaceClass::parse(text.get_ref());
                        if parsed.is_none() {
                            entry.diags().error(
                                text.span(),
                                Msg::NotInterfaceClass.with("value", text.get_ref()),
                            );
                        }
                        parsed
                    })
                    .collect()
            });
            entry.finish();
            Some(MediaEntry {
                device: device?,
                role,
                interfaces,
            })
        })
        .collect()
}

fn parse_rule(t: &Table, seen: &mut Vec<(String, Range<usize>)>) -> Option<Rule> {
    let id = t.required_string("id");
    if let Some(id) = &id {
        if !is_kebab(id.get_ref()) {
            t.diags()
                .error(id.span(), Msg::RuleIdKebab.with("id", id.get_ref()));
        }
        if seen.iter().any(|(other, _)| other == id.get_ref()) {
            t.diags()
                .error(id.span(), Msg::RuleIdTwice.with("id", id.get_ref()));
        }
        seen.push((id.get_ref().clone(), id.span()));
    }
    let check_name = t.string("check").or_else(|| id.clone());
    let title = parse_title(t, "title", Msg::RuleTitleWhat);
    let remediation = parse_title(t, "remediation", Msg::RemediationWhat);
    let severity = parse_severity(t);
    if !t.has("severity") {
        t.missing("severity", Msg::OneOf.with("values", severity_names()));
    }
    let enabled = t.bool("enabled").unwrap_or(true);
    let context =
        Msg::RuleSettingsContext.with("id", id.as_ref().map_or("?", |i| i.get_ref().as_str()));
    let empty = DeTable::default();
    let settings = t
        .table("settings", context.clone())
        .unwrap_or_else(|| Table::new(&empty, t.span(), context, t.diags()));
    let check = check_name.as_ref().and_then(|name| {
        let parsed = Check::parse(name.get_ref(), &settings);
        if parsed.is_none() {
            let known: Vec<&str> = checks::CHECKS.iter().map(|(n, _)| *n).collect();
            t.diags().error(
                name.span(),
                Msg::UnknownValue
                    .with("what", "check")
                    .arg("value", name.get_ref())
                    .arg("expected", known.join(", ")),
            );
        }
        parsed
    });
    if check.is_some() {
        settings.finish();
    }
    let enforce = Enforce {
        on: t.bool("enforce").unwrap_or(false),
        interface_down: t.bool("enforce_interface_down").unwrap_or(false),
    };
    t.finish();
    Some(Rule {
        id: id?.into_inner(),
        title: title?,
        severity: severity?,
        enabled,
        remediation: remediation?,
        check: check?,
        enforce,
    })
}

/// Parses and validates a policy. `file` names it in messages; `source` is recorded.
pub fn load_str(file: &str, text: &str) -> Result<Policy, PolicyErrors> {
    let (doc, diags) = parse_document(file, text)?;
    let root = Table::new(doc.get_ref(), doc.span(), Msg::PolicyFileContext, &diags);
    let header = root.table("policy", Phrase::verbatim("[policy]"));
    if header.is_none() && !root.has("policy") {
        root.missing("[policy]", Msg::PolicyHeaderWhat);
    }
    let (id, version, title) = match &header {
        Some(h) => {
            let id = h.required_string("id");
            if let Some(id) = &id {
                if !is_kebab(id.get_ref()) {
                    diags.error(id.span(), Msg::PolicyIdKebab);
                }
            }
            let version = h.required_string("version");
            let title = parse_title(h, "title", Msg::PolicyTitleWhat);
            (id, version, title)
        }
        None => (None, None, None),
    };
    if let Some(h) = header {
        h.finish();
    }
    let media = parse_media(&root);
    let mut seen = Vec::new();
    let rules: Vec<Option<Rule>> = root
        .tables("rule", Phrase::verbatim("[[rule]]"))
        .into_iter()
        .map(|t| parse_rule(&t, &mut seen))
        .collect();
    if !root.has("rule") {
        root.missing("[[rule]]", Msg::AtLeastOneRule);
    }
    root.finish();
    if !diags.is_empty() {
        return Err(into_errors(file, text, diags));
    }
    let complete = |what: &str| PolicyErrors::whole_file(file, Msg::Incomplete.with("what", what));
    Ok(Policy {
        id: id.ok_or_else(|| complete("id"))?.into_inner(),
        version: version.ok_or_else(|| complete("version"))?.into_inner(),
        title: title.ok_or_else(|| complete("title"))?,
        source: file.to_string(),
        sha256: sha256_hex(text.as_bytes()),
        override_sha256: None,
        rules: rules.into_iter().flatten().collect(),
        media,
    })
}

/// What a site override changes in one rule; validated before anything is applied.
struct RuleChange {
    id: String,
    enabled: Option<bool>,
    severity: Option<Severity>,
    check: Option<Check>,
    enforce: Option<bool>,
    interface_down: Option<bool>,
}

/// Applies a site override: `[[rule]]` entries with `id` and any of `enabled`, `severity`
/// and a `[rule.settings]` table, which replaces that rule's settings whole (so a site names
/// its classified LAN, its probe targets or its allowlists without copying the policy);
/// `[[media]]` entries are added to the registered media.
pub fn apply_override(policy: &mut Policy, file: &str, text: &str) -> Result<(), PolicyErrors> {
    let (doc, diags) = parse_document(file, text)?;
    let root = Table::new(doc.get_ref(), doc.span(), Msg::OverrideFileContext, &diags);
    let mut changes: Vec<RuleChange> = Vec::new();
    for t in root.tables("rule", Phrase::verbatim("[[rule]]")) {
        let id = t.required_string("id");
        let enabled = t.bool("enabled");
        let enforce = t.bool("enforce");
        let interface_down = t.bool("enforce_interface_down");
        let severity = parse_severity(&t);
        let rule = id
            .as_ref()
            .and_then(|id| policy.rules.iter().find(|r| &r.id == id.get_ref()));
        let context =
            Msg::RuleSettingsContext.with("id", id.as_ref().map_or("?", |i| i.get_ref().as_str()));
        let settings = t.table("settings", context).and_then(|settings| {
            let check = rule.and_then(|r| Check::parse(r.check.name(), &settings));
            settings.finish();
            check
        });
        t.finish();
        match (id, rule) {
            (Some(id), Some(_)) => changes.push(RuleChange {
                id: id.into_inner(),
                enabled,
                severity,
                check: settings,
                enforce,
                interface_down,
            }),
            (Some(id), None) => {
                let known: Vec<&str> = policy.rules.iter().map(|r| r.id.as_str()).collect();
                diags.error(
                    id.span(),
                    Msg::NoSuchRule
                        .with("policy", &policy.id)
                        .arg("rule", id.get_ref())
                        .arg("known", known.join(", ")),
                );
            }
            (None, _) => {}
        }
    }
    let media = parse_media(&root);
    root.finish();
    if !diags.is_empty() {
        return Err(into_errors(file, text, diags));
    }
    for change in changes {
        if let Some(rule) = policy.rules.iter_mut().find(|r| r.id == change.id) {
            rule.enabled = change.enabled.unwrap_or(rule.enabled);
            rule.severity = change.severity.unwrap_or(rule.severity);
            rule.enforce.on = change.enforce.unwrap_or(rule.enforce.on);
            rule.enforce.interface_down =
                change.interface_down.unwrap_or(rule.enforce.interface_down);
            if let Some(check) = change.check {
                rule.check = check;
            }
        }
    }
    policy.media.extend(media);
    policy.override_sha256 = Some(sha256_hex(text.as_bytes()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_policies_load() {
        for (name, text) in BUILTIN {
            let policy = load_str(name, text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&policy.id, name);
            assert!(!policy.rules.is_empty());
        }
    }

    #[test]
    fn kebab_ids() {
        assert!(is_kebab("removable-storage"));
        assert!(is_kebab("rule2"));
        assert!(!is_kebab("Removable"));
        assert!(!is_kebab("a--b"));
        assert!(!is_kebab("-a"));
        assert!(!is_kebab(""));
    }

    #[test]
    fn check_names_are_stable() {
        // Renaming a check breaks every policy that names it: make it a visible decision.
        let names: Vec<&str> = checks::CHECKS.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "external-network",
                "wireless",
                "removable-storage",
                "one-way-import",
                "audio-capture",
                "camera",
                "usb-history",
                "network-history"
            ]
        );
    }
}
