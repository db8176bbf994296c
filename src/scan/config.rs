//! The agent's config file (default `/etc/isoguard/config.toml`): policy, site override,
//! key, spool and state folders, language; so the boot unit needs no flags. Command-line
//! flags win over the file. Unknown keys are refused with their line, like in policies.

use std::path::{Path, PathBuf};

use crate::policy::reader::{Diags, Table};
use crate::policy::PolicyErrors;

pub const DEFAULT_CONFIG: &str = "/etc/isoguard/config.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub policy: Option<String>,
    pub override_file: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub spool: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub lang: Option<String>,
}

pub fn parse(file: &str, text: &str) -> Result<Config, PolicyErrors> {
    let (doc, syntax) = toml::de::DeTable::parse_recoverable(text);
    let diags = Diags::default();
    for err in syntax {
        diags.error(
            err.span().unwrap_or(0..0),
            crate::i18n::Said::untranslated(err.message()),
        );
    }
    let root = Table::new(
        doc.get_ref(),
        doc.span(),
        crate::i18n::Msg::ConfigFileContext,
        &diags,
    );
    let path = |key: &'static str| root.string(key).map(|s| PathBuf::from(s.into_inner()));
    let config = Config {
        policy: root.string("policy").map(|s| s.into_inner()),
        override_file: path("override"),
        key: path("key"),
        spool: path("spool"),
        state: path("state"),
        lang: root.string("lang").map(|s| s.into_inner()),
    };
    root.finish();
    if diags.is_empty() {
        Ok(config)
    } else {
        Err(PolicyErrors {
            file: file.to_string(),
            source: text.to_string(),
            diagnostics: diags.items.into_inner(),
        })
    }
}

/// Loads an explicit config (must exist) or the default one (used only if present).
pub fn load(explicit: Option<&Path>) -> Result<Config, PolicyErrors> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(DEFAULT_CONFIG), false),
    };
    if !required && !path.exists() {
        return Ok(Config::default());
    }
    let text = crate::policy::read_policy_file(&path)?;
    parse(&path.display().to_string(), &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_known_keys_and_refuses_others() {
        let c = parse(
            "c.toml",
            "policy = \"classified\"\nspool = \"/var/lib/isoguard/outbox\"\n",
        )
        .unwrap();
        assert_eq!(c.policy.as_deref(), Some("classified"));
        let err = parse("c.toml", "polcy = \"x\"\n").unwrap_err();
        assert!(
            err.render()
                .contains("c.toml:1:1: error: unknown key `polcy`"),
            "{}",
            err.render()
        );
    }
}
