//! The policy reader: a policy file's text (`isoguard::policy::load_str`) and a site override
//! applied on top of a policy (`isoguard::policy::apply_override`), and the error report a
//! refused file gets, in both languages. Policies and overrides are written by people and
//! copied between sites; none of this may panic, whatever the text.
//!
//! An input with a NUL byte is split there: the part before is the policy, the part after the
//! override (a NUL cannot occur in either, as TOML refuses it). An input without one is read
//! as a policy and also applied as an override to the bundled `classified` policy, so the
//! committed policies and overrides both make useful seeds.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use isoguard::i18n::Lang;
use isoguard::policy::{self, Policy, PolicyErrors};

/// `read_policy_file` refuses anything larger, before the reader sees it.
const MAX_POLICY_BYTES: usize = 1024 * 1024;

fn render(errors: &PolicyErrors) {
    assert!(
        !errors.diagnostics.is_empty(),
        "a refusal names its problem"
    );
    for lang in [Lang::En, Lang::Zh] {
        let text = errors.render_in(lang);
        assert!(!text.is_empty());
    }
}

fn load(text: &str) -> Option<Policy> {
    match policy::load_str("fuzz.toml", text) {
        Ok(policy) => {
            // The reader refuses a policy that names one rule twice.
            for (n, rule) in policy.rules.iter().enumerate() {
                assert!(policy.rules[..n].iter().all(|r| r.id != rule.id));
            }
            Some(policy)
        }
        Err(errors) => {
            render(&errors);
            None
        }
    }
}

fn apply(mut base: Policy, text: &str) {
    let rules = base.rules.len();
    match policy::apply_override(&mut base, "override.toml", text) {
        // An override changes rules and adds media; it never adds or drops a rule.
        Ok(()) => assert_eq!(base.rules.len(), rules),
        Err(errors) => render(&errors),
    }
}

fn classified() -> Policy {
    static CLASSIFIED: OnceLock<Policy> = OnceLock::new();
    CLASSIFIED
        .get_or_init(|| {
            let (_, text) = policy::BUILTIN[0];
            policy::load_str("builtin:classified", text).expect("the bundled policy loads")
        })
        .clone()
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_POLICY_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.split_once('\0') {
        Some((policy_text, override_text)) => {
            let base = load(policy_text).unwrap_or_else(classified);
            apply(base, override_text);
        }
        None => {
            load(text);
            apply(classified(), text);
        }
    }
});
