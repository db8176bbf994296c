//! Closed vocabularies: the names of verdicts, statuses, severities, kinds and buses.
//!
//! Each name is written once, in the enum's serde attributes (`rename_all = "kebab-case"`),
//! and everything else (reports, log lines, policy parsing, error messages) asks serde for
//! it through [`unit_name`] and [`parse_unit`]. A hand-written `as_str` beside the serde
//! attribute is a second source that drifts; this module exists so there is none.
//!
//! Where findings from older or newer agents may carry names this version does not know, the
//! wire types hold an [`Open`] value: the known variant, or the name as it arrived.

use std::fmt;

use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::IntoDeserializer;
use serde::ser::{self, Impossible};
use serde::{Deserialize, Serialize};

/// The serde name of a unit variant (`Verdict::Compliant` → `"compliant"`). A value that is
/// not a unit variant (the catch-all of an open vocabulary) has no static name: `"?"`.
pub fn unit_name<T: Serialize + ?Sized>(value: &T) -> &'static str {
    value.serialize(UnitName).unwrap_or("?")
}

/// The variant whose serde name is `name`, or `None`. For enums with a catch-all, callers
/// that must refuse unknown names (policy files) check for the catch-all themselves.
pub fn parse_unit<'de, T: Deserialize<'de>>(name: &'de str) -> Option<T> {
    let de: StrDeserializer<'de, ValueError> = name.into_deserializer();
    T::deserialize(de).ok()
}

/// Adds `as_str` and `Display` (the serde name) to enums whose variants are all units.
macro_rules! unit_names {
    ($($ty:ty),* $(,)?) => {
        $(
            impl $ty {
                /// The name as it is written in policies, findings and reports.
                pub fn as_str(&self) -> &'static str {
                    $crate::vocab::unit_name(self)
                }
            }

            impl ::std::fmt::Display for $ty {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.pad(self.as_str())
                }
            }
        )*
    };
}
pub(crate) use unit_names;

/// A value of a closed vocabulary as it arrived from another program: one this version
/// knows, or the name as written (a newer agent's verdict, an older agent's evidence kind).
///
/// Wire types carry `Open<T>` so a finding from another version is shown for what it says
/// rather than refused or renamed; this program's own code only ever writes `Known`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Open<T> {
    Known(T),
    Other(String),
}

impl<T: Serialize + Copy + PartialEq> Open<T> {
    /// The name as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Open::Known(value) => unit_name(value),
            Open::Other(name) => name,
        }
    }

    /// The known value, if this is one.
    pub fn known(&self) -> Option<T> {
        match self {
            Open::Known(value) => Some(*value),
            Open::Other(_) => None,
        }
    }

    pub fn is(&self, value: T) -> bool {
        self.known() == Some(value)
    }
}

impl<T> From<T> for Open<T> {
    fn from(value: T) -> Self {
        Open::Known(value)
    }
}

impl<T: Serialize + Copy + PartialEq> fmt::Display for Open<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A serializer that only accepts unit variants and returns their serde name.
struct UnitName;

#[derive(Debug)]
struct NotUnit;

impl fmt::Display for NotUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a unit variant")
    }
}

impl std::error::Error for NotUnit {}

impl ser::Error for NotUnit {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        NotUnit
    }
}

type Refused = Impossible<&'static str, NotUnit>;

macro_rules! refuse {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<&'static str, NotUnit> { Err(NotUnit) })*
    };
}

impl ser::Serializer for UnitName {
    type Ok = &'static str;
    type Error = NotUnit;
    type SerializeSeq = Refused;
    type SerializeTuple = Refused;
    type SerializeTupleStruct = Refused;
    type SerializeTupleVariant = Refused;
    type SerializeMap = Refused;
    type SerializeStruct = Refused;
    type SerializeStructVariant = Refused;

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<&'static str, NotUnit> {
        Ok(variant)
    }

    refuse!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
    );

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<&'static str, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<&'static str, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<&'static str, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Refused, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_tuple(self, _: usize) -> Result<Refused, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Refused, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Refused, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Refused, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Refused, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Refused, NotUnit> {
        Err(NotUnit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    enum Sample {
        DeviceMapper,
        Usb,
    }

    #[test]
    fn names_come_from_serde() {
        assert_eq!(unit_name(&Sample::DeviceMapper), "device-mapper");
        assert_eq!(parse_unit::<Sample>("usb"), Some(Sample::Usb));
        assert_eq!(parse_unit::<Sample>("Usb"), None);
    }

    #[test]
    fn open_values_keep_unknown_names() {
        let known: Open<Sample> = serde_json::from_str("\"usb\"").unwrap();
        assert_eq!(known, Open::Known(Sample::Usb));
        let other: Open<Sample> = serde_json::from_str("\"from-the-future\"").unwrap();
        assert_eq!(other, Open::Other("from-the-future".into()));
        assert_eq!(other.as_str(), "from-the-future");
        assert_eq!(
            serde_json::to_string(&other).unwrap(),
            "\"from-the-future\""
        );
        assert_eq!(serde_json::to_string(&known).unwrap(), "\"usb\"");
        assert!(known.is(Sample::Usb));
        assert_eq!(other.known(), None);
    }
}
