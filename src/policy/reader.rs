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
use crate::i18n::{Msg, Phrase, Said};

#[derive(Default)]
pub struct Diags {
    pub items: RefCell<Vec<Diagnostic>>,
}

impl Diags {
    pub fn error(&self, span: Range<usize>, message: impl Into<Said>) {
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
    pub context: Phrase,
    asked: RefCell<Vec<&'static str>>,
    diags: &'a Diags,
}

fn type_name(value: &DeValue) -> Msg {
    match value {
        DeValue::String(_) => Msg::TypeString,
        DeValue::Integer(_) => Msg::TypeInteger,
        DeValue::Float(_) => Msg::TypeFloat,
        DeValue::Boolean(_) => Msg::TypeBoolean,
        DeValue::Datetime(_) => Msg::TypeDatetime,
        DeValue::Array(_) => Msg::TypeArray,
        DeValue::Table(_) => Msg::TypeTable,
    }
}

impl<'a, 'i> Table<'a, 'i> {
    pub fn new(
        table: &'a DeTable<'i>,
        span: Range<usize>,
        context: impl Into<Phrase>,
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

    fn wrong_type(&self, key: &str, value: &Value, expected: Msg) {
        self.diags.error(
            value.span(),
            Msg::WrongType
                .with("key", key)
                .nest("context", self.context.clone())
                .nest("expected", expected)
                .nest("found", type_name(value.get_ref())),
        );
    }

    pub fn missing(&self, key: &str, expected: impl Into<Phrase>) {
        self.diags.error(
            self.span.clone(),
            Msg::MissingKey
                .with("key", key)
                .nest("context", self.context.clone())
                .nest("expected", expected),
        );
    }

    pub fn string(&self, key: &'static str) -> Option<Spanned<String>> {
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            _ => {
                self.wrong_type(key, value, Msg::TypeString);
                None
            }
        }
    }

    pub fn required_string(&self, key: &'static str) -> Option<Spanned<String>> {
        let found = self.string(key);
        if found.is_none() && !self.has(key) {
            self.missing(key, Msg::TypeString);
        }
        found
    }

    pub fn bool(&self, key: &'static str) -> Option<bool> {
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(key, value, Msg::TypeTrueFalse);
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
                        .error(value.span(), Msg::OutOfRange.with("key", key));
                    None
                }
            },
            _ => {
                self.wrong_type(key, value, Msg::TypeInteger);
                None
            }
        }
    }

    pub fn strings(&self, key: &'static str) -> Vec<Spanned<String>> {
        let Some(value) = self.raw(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, Msg::TypeStrings);
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::String(s) => Some(Spanned::new(item.span(), s.to_string())),
                _ => {
                    self.wrong_type(key, item, Msg::TypeStrings);
                    None
                }
            })
            .collect()
    }

    pub fn table(&self, key: &'static str, context: impl Into<Phrase>) -> Option<Table<'a, 'i>> {
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::Table(t) => Some(Table::new(t, value.span(), context, self.diags)),
            _ => {
                self.wrong_type(key, value, Msg::TypeTable);
                None
            }
        }
    }

    /// An array of tables (`[[rule]]`), each with a context naming its position.
    pub fn tables(&self, key: &'static str, context: impl Into<Phrase>) -> Vec<Table<'a, 'i>> {
        let context = context.into();
        let Some(value) = self.raw(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, Msg::TypeTables);
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(n, item)| match item.get_ref() {
                DeValue::Table(t) => Some(Table::new(
                    t,
                    item.span(),
                    Msg::Numbered
                        .with("n", n + 1)
                        .nest("context", context.clone()),
                    self.diags,
                )),
                _ => {
                    self.wrong_type(key, item, Msg::TypeTable);
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
                    Msg::UnknownKey
                        .with("key", name)
                        .nest("context", self.context.clone())
                        .arg("expected", expected.join(", ")),
                );
            }
        }
    }
}
