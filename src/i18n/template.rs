//! The small template language of the catalogue.
//!
//! `{name}` is an argument; `{name:ns}` is an argument looked up as the term `ns.value` (a
//! kind, a state) and shown as itself when there is no such term; `[ ... ]` is a part shown
//! only when every argument inside it was given; `{{`, `}}`, `[[`, `]]` are the characters
//! themselves. Templates are ours, arguments may come from a device: arguments are inserted
//! as they are and never parsed, so a serial holding `{x}` stays a serial.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'t> {
    Text(String),
    Slot { name: &'t str, ns: Option<&'t str> },
    Optional(Vec<Token<'t>>),
}

/// Splits a template into its parts; `Err` says what is malformed (the catalogue test shows
/// it for every entry, so a broken template never ships).
pub fn parse(template: &str) -> Result<Vec<Token<'_>>, String> {
    let mut stack: Vec<Vec<Token>> = vec![Vec::new()];
    let mut text = String::new();
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        let doubled = rest[c.len_utf8()..].starts_with(c);
        match c {
            '{' | '}' | '[' | ']' if doubled => {
                text.push(c);
                rest = &rest[2..];
                continue;
            }
            '{' => {
                let end = rest
                    .find('}')
                    .ok_or_else(|| format!("unclosed `{{` in {template:?}"))?;
                let inner = &rest[1..end];
                let (name, ns) = match inner.split_once(':') {
                    Some((name, ns)) => (name, Some(ns)),
                    None => (inner, None),
                };
                let plain = |s: &str| {
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                };
                if !plain(name) || !ns.is_none_or(plain) {
                    return Err(format!("bad placeholder `{{{inner}}}` in {template:?}"));
                }
                flush(&mut text, &mut stack);
                top(&mut stack).push(Token::Slot { name, ns });
                rest = &rest[end + 1..];
                continue;
            }
            '[' => {
                flush(&mut text, &mut stack);
                stack.push(Vec::new());
            }
            ']' => {
                flush(&mut text, &mut stack);
                if stack.len() < 2 {
                    return Err(format!("`]` without `[` in {template:?}"));
                }
                let inner = stack.pop().unwrap_or_default();
                top(&mut stack).push(Token::Optional(inner));
            }
            '}' => return Err(format!("lone `}}` in {template:?}")),
            _ => text.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut text, &mut stack);
    if stack.len() != 1 {
        return Err(format!("unclosed `[` in {template:?}"));
    }
    Ok(stack.pop().unwrap_or_default())
}

fn top<'a, 't>(stack: &'a mut [Vec<Token<'t>>]) -> &'a mut Vec<Token<'t>> {
    let last = stack.len() - 1;
    &mut stack[last]
}

fn flush(text: &mut String, stack: &mut [Vec<Token>]) {
    if !text.is_empty() {
        top(stack).push(Token::Text(std::mem::take(text)));
    }
}

/// Every argument name a template uses, in order, each once.
#[cfg(test)]
pub fn slots(template: &str) -> Vec<String> {
    fn walk(tokens: &[Token], out: &mut Vec<String>) {
        for token in tokens {
            match token {
                Token::Slot { name, .. } if !out.iter().any(|n| n == name) => {
                    out.push(name.to_string())
                }
                Token::Optional(inner) => walk(inner, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&parse(template).unwrap_or_default(), &mut out);
    out
}

/// The argument names a template cannot do without (those outside every optional part).
pub fn required(template: &str) -> Vec<&str> {
    parse(template)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|t| match t {
            Token::Slot { name, .. } => Some(name),
            _ => None,
        })
        .collect()
}

/// Fills a template. `value(name)` gives an argument, `term(key)` a term's text. A slot with
/// no argument outside an optional part is a bug in the caller; it shows as `{name}` rather
/// than vanish.
pub fn fill(
    template: &str,
    value: &dyn Fn(&str) -> Option<String>,
    term: &dyn Fn(&str) -> Option<&'static str>,
) -> String {
    let tokens = match parse(template) {
        Ok(tokens) => tokens,
        Err(_) => return template.to_string(),
    };
    let mut out = String::new();
    render(&tokens, value, term, &mut out);
    out
}

/// Renders `tokens` into `out`; false when a slot had no argument.
fn render(
    tokens: &[Token],
    value: &dyn Fn(&str) -> Option<String>,
    term: &dyn Fn(&str) -> Option<&'static str>,
    out: &mut String,
) -> bool {
    let mut complete = true;
    for token in tokens {
        match token {
            Token::Text(text) => out.push_str(text),
            Token::Slot { name, ns } => match value(name) {
                Some(v) => match ns.and_then(|ns| term(&format!("{ns}.{v}"))) {
                    Some(translated) => out.push_str(translated),
                    None => out.push_str(&v),
                },
                None => {
                    complete = false;
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
            Token::Optional(inner) => {
                let mut part = String::new();
                if render(inner, value, term, &mut part) {
                    out.push_str(&part);
                }
            }
        }
    }
    complete
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(template: &str, args: &[(&str, &'static str)]) -> String {
        let value = |name: &str| {
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        let term = |key: &str| match key {
            "kind.wifi" => Some("Wi-Fi"),
            _ => None,
        };
        fill(template, &value, &term)
    }

    #[test]
    fn slots_optional_parts_terms_and_escapes() {
        assert_eq!(show("on {dev}[ via {gw}]", &[("dev", "eth0")]), "on eth0");
        assert_eq!(
            show(
                "on {dev}[ via {gw}]",
                &[("dev", "eth0"), ("gw", "10.0.0.1")]
            ),
            "on eth0 via 10.0.0.1"
        );
        assert_eq!(show("{k:kind} radio", &[("k", "wifi")]), "Wi-Fi radio");
        assert_eq!(show("{k:kind} radio", &[("k", "nfc")]), "nfc radio");
        assert_eq!(show("{{x}} [[1]]", &[]), "{x} [1]");
        assert_eq!(show("a {missing} b", &[]), "a {missing} b");
    }

    #[test]
    fn arguments_are_never_parsed() {
        assert_eq!(show("serial {s}", &[("s", "{s}[x]")]), "serial {s}[x]");
    }

    #[test]
    fn malformed_templates_are_refused() {
        for bad in [
            "{unclosed",
            "lone }",
            "[open",
            "close]",
            "{bad name}",
            "{a:}",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(slots("{a}[ {b} {a}] {c:ns}"), ["a", "b", "c"]);
    }
}
