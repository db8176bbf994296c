//! Typed reading of a spanned TOML document, collecting every problem instead of stopping
//! at the first.
//!
//! serde's derive stops at the first error and cannot list all unknown keys; policies are
//! written by people, so the loader walks the parsed document itself. A [`Table`] remembers
//! which keys were asked for, and [`Table::finish`] reports each key nobody asked for, with
//! the keys that would have been accepted.

use std::cell::RefCell;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diag::Diagnostic;

#[derive(Default)]
pub struct Diags {
    pub items: RefCell<Vec<Diagnostic>>,
}

impl Diags {
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) {
        self.items.borrow_mut().push(Diagnostic {
            span,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.items.borrow().is_empty()
    }
}

pub type Value<'i> = Spanned<DeValue<'i>>;

pub struct Table<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    /// Where this table sits, for messages (`rule "wireless" settings`).
    pub context: String,
    asked: RefCell<Vec<&'static str>>,
    diags: &'a Diags,
}

fn type_name(value: &DeValue) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'a, 'i> Table<'a, 'i> {
    pub fn new(
        table: &'a DeTable<'i>,
        span: Range<usize>,
        context: impl Into<String>,
        diags: &'a Diags,
    ) -> Self {
        Table {
            table,
            span,
            context: context.into(),
            asked: RefCell::default(),
            diags,
        }
    }

    pub fn diags(&self) -> &'a Diags {
        self.diags
    }

    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    fn raw(&self, key: &'static str) -> Option<&'a Value<'i>> {
        self.asked.borrow_mut().push(key);
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    pub fn has(&self, key: &'static str) -> bool {
        self.raw(key).is_some()
    }

    fn wrong_type(&self, key: &str, value: &Value, expected: &str) {
        self.diags.error(
            value.span(),
            format!(
                "`{key}` in {} must be {expected}, found {}",
                self.context,
                type_name(value.get_ref())
            ),
        );
    }

    pub fn missing(&self, key: &str, expected: &str) {
        self.diags.error(
            self.span.clone(),
            format!("{} is missing `{key}` ({expected})", self.context),
        );
    }

    pub fn string(&self, key: &'static str) -> Option<Spanned<String>> {
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            _ => {
                self.wrong_type(key, value, "a string");
                None
            }
        }
    }

    pub fn required_string(&self, key: &'static str) -> Option<Spanned<String>> {
        let found = self.string(key);
        if found.is_none() && !self.has(key) {
            self.missing(key, "a string");
        }
        found
    }

    pub fn bool(&self, key: &'static str) -> Option<bool> {
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(key, value, "true or false");
                None
            }
        }
    }

    pub fn integer(&self, key: &'static str) -> Option<Spanned<i64>> {
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(Spanned::new(value.span(), n)),
                Err(_) => {
                    self.diags
                        .error(value.span(), format!("`{key}` is out of range"));
                    None
                }
            },
            _ => {
                self.wrong_type(key, value, "an integer");
                None
            }
        }
    }

    pub fn strings(&self, key: &'static str) -> Vec<Spanned<String>> {
        let Some(value) = self.raw(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, "an array of strings");
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::String(s) => Some(Spanned::new(item.span(), s.to_string())),
                _ => {
                    self.wrong_type(key, item, "an array of strings");
                    None
                }
            })
            .collect()
    }

    pub fn table(&self, key: &'static str, context: impl Into<String>) -> Option<Table<'a, 'i>> {
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::Table(t) => Some(Table::new(t, value.span(), context, self.diags)),
            _ => {
                self.wrong_type(key, value, "a table");
                None
            }
        }
    }

    /// An array of tables (`[[rule]]`), each with a context naming its position.
    pub fn tables(&self, key: &'static str, context: &str) -> Vec<Table<'a, 'i>> {
        let Some(value) = self.raw(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, "an array of tables");
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(n, item)| match item.get_ref() {
                DeValue::Table(t) => Some(Table::new(
                    t,
                    item.span(),
                    format!("{context} #{}", n + 1),
                    self.diags,
                )),
                _ => {
                    self.wrong_type(key, item, "a table");
                    None
                }
            })
            .collect()
    }

    /// Reports every key that was never asked for.
    pub fn finish(&self) {
        let asked = self.asked.borrow();
        for (key, _) in self.table.iter() {
            let name = key.get_ref().as_ref();
            if !asked.contains(&name) {
                let mut expected: Vec<&str> = asked.clone();
                expected.sort_unstable();
                expected.dedup();
                self.diags.error(
                    key.span(),
                    format!(
                        "unknown key `{name}` in {}; expected one of: {}",
                        self.context,
                        expected.join(", ")
                    ),
                );
            }
        }
    }
}
