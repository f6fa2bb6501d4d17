//! The native reader's deserializers: each entry read leniently (a field of the wrong type
//! is remembered, not fatal), strings borrowed from the text, entries handed to
//! [`super::convert`] one at a time so that a million of them never exist as a list.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::convert;
use crate::audit::inventory::Sink;

/// A JSON value read without failing on its type: scalars are kept, anything else is
/// consumed and remembered as what it was. Strings borrow from the input where they can (no
/// escapes), which saves an allocation for every CIDR and type.
#[derive(Debug)]
pub(super) enum Loose<'de> {
    Null,
    Bool(bool),
    Int(u64),
    Str(Cow<'de, str>),
    Other(&'static str),
}

impl Loose<'_> {
    pub(super) fn describe(&self) -> String {
        match self {
            Loose::Null => "null".into(),
            Loose::Bool(b) => b.to_string(),
            Loose::Int(n) => n.to_string(),
            Loose::Str(s) => format!("{s:?}"),
            Loose::Other(kind) => (*kind).into(),
        }
    }

    pub(super) fn kind(&self) -> &'static str {
        match self {
            Loose::Null => "null",
            Loose::Bool(_) => "a boolean",
            Loose::Int(_) => "a number",
            Loose::Str(_) => "a string",
            Loose::Other(kind) => kind,
        }
    }
}

impl<'de> Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Loose<'de>, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Loose<'de>, E> {
        Ok(Loose::Bool(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Loose<'de>, E> {
        Ok(Loose::Int(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Loose<'de>, E> {
        Ok(u64::try_from(v).map_or(Loose::Other("a negative number"), Loose::Int))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Loose<'de>, E> {
        Ok(Loose::Other(
            "a fractional number or an integer beyond 2^64 (write large counts as strings)",
        ))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Null)
    }

    fn visit_none<E>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose::Other("a list"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Other("an object"))
    }
}

/// `tags`: an object of strings, or why not.
pub(super) struct LooseTags(pub(super) Result<BTreeMap<String, String>, String>);

impl<'de> Deserialize<'de> for LooseTags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LooseTags, D::Error> {
        d.deserialize_any(TagsVisitor)
    }
}

struct TagsVisitor;

impl TagsVisitor {
    fn wrong<E>(kind: &str) -> Result<LooseTags, E> {
        Ok(LooseTags(Err(format!(
            "`tags` must be an object of strings, found {kind}"
        ))))
    }
}

impl<'de> Visitor<'de> for TagsVisitor {
    type Value = LooseTags;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of tags")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LooseTags, A::Error> {
        let mut tags = BTreeMap::new();
        let mut problem = None;
        while let Some((key, value)) = map.next_entry::<String, Loose>()? {
            let value = match value {
                Loose::Str(s) => s.into_owned(),
                Loose::Int(n) => n.to_string(),
                Loose::Bool(b) => b.to_string(),
                Loose::Null => String::new(),
                Loose::Other(kind) => {
                    problem.get_or_insert_with(|| format!("tag `{key}` is {kind}"));
                    continue;
                }
            };
            tags.insert(key, value);
        }
        Ok(LooseTags(problem.map_or(Ok(tags), Err)))
    }

    fn visit_unit<E>(self) -> Result<LooseTags, E> {
        Ok(LooseTags(Ok(BTreeMap::new())))
    }

    fn visit_none<E>(self) -> Result<LooseTags, E> {
        Ok(LooseTags(Ok(BTreeMap::new())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LooseTags, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Self::wrong("a list")
    }

    fn visit_bool<E>(self, _: bool) -> Result<LooseTags, E> {
        Self::wrong("a boolean")
    }

    fn visit_u64<E>(self, _: u64) -> Result<LooseTags, E> {
        Self::wrong("a number")
    }

    fn visit_i64<E>(self, _: i64) -> Result<LooseTags, E> {
        Self::wrong("a number")
    }

    fn visit_f64<E>(self, _: f64) -> Result<LooseTags, E> {
        Self::wrong("a number")
    }

    fn visit_str<E>(self, _: &str) -> Result<LooseTags, E> {
        Self::wrong("a string")
    }
}

/// The fields of the document and of an entry that the reader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Format,
    FormatVersion,
    Resources,
    Id,
    Type,
    Cidr,
    Primary,
    Region,
    Account,
    VpcId,
    Zone,
    Used,
    Total,
    Tags,
    Name,
    Other,
}

/// Entry fields by name; the schema test checks this list against [`NativeResource`] and
/// the field visitor.
#[cfg(test)]
pub(super) const ENTRY_FIELDS: [(&str, Field); 12] = [
    ("id", Field::Id),
    ("type", Field::Type),
    ("cidr", Field::Cidr),
    ("primary", Field::Primary),
    ("region", Field::Region),
    ("account", Field::Account),
    ("vpc_id", Field::VpcId),
    ("zone", Field::Zone),
    ("used", Field::Used),
    ("total", Field::Total),
    ("tags", Field::Tags),
    ("name", Field::Name),
];

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E>(self, v: &str) -> Result<Field, E> {
                // A `match` compiles to length and byte tests; this runs for every key of a
                // million entries. `ENTRY_FIELDS` lists the same names for the schema test.
                Ok(match v {
                    "format" => Field::Format,
                    "format_version" => Field::FormatVersion,
                    "resources" => Field::Resources,
                    "id" => Field::Id,
                    "type" => Field::Type,
                    "cidr" => Field::Cidr,
                    "primary" => Field::Primary,
                    "region" => Field::Region,
                    "account" => Field::Account,
                    "vpc_id" => Field::VpcId,
                    "zone" => Field::Zone,
                    "used" => Field::Used,
                    "total" => Field::Total,
                    "tags" => Field::Tags,
                    "name" => Field::Name,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_identifier(FieldVisitor)
    }
}

/// What the top of the document said.
pub(super) struct Header<'de> {
    pub(super) format: Option<Loose<'de>>,
    pub(super) format_version: Option<Loose<'de>>,
    pub(super) resources: bool,
}

/// Reads the document, sending each entry to the sink as it is read.
pub(super) struct FileSeed<'a> {
    pub(super) sink: &'a mut Sink,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = Header<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Header<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = Header<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an inventory object with `format`, `format_version` and `resources`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header<'de>, A::Error> {
        let mut header = Header {
            format: None,
            format_version: None,
            resources: false,
        };
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Format => header.format = Some(map.next_value()?),
                Field::FormatVersion => header.format_version = Some(map.next_value()?),
                Field::Resources if !header.resources => {
                    map.next_value_seed(ResourcesSeed {
                        sink: &mut *self.sink,
                    })?;
                    header.resources = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(header)
    }
}

struct ResourcesSeed<'a> {
    sink: &'a mut Sink,
}

impl<'de> DeserializeSeed<'de> for ResourcesSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ResourcesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of resources")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(entry) = seq.next_element::<Entry>()? {
            convert(entry, index, self.sink);
            index += 1;
        }
        Ok(())
    }
}

/// One entry as written, every field optional and of any type.
#[derive(Default)]
pub(super) struct Entry<'de> {
    /// Set when the entry is not an object: what it is.
    pub(super) not_object: Option<&'static str>,
    pub(super) id: Option<Loose<'de>>,
    pub(super) kind: Option<Loose<'de>>,
    pub(super) cidr: Option<Loose<'de>>,
    pub(super) primary: Option<Loose<'de>>,
    pub(super) region: Option<Loose<'de>>,
    pub(super) account: Option<Loose<'de>>,
    pub(super) vpc_id: Option<Loose<'de>>,
    pub(super) zone: Option<Loose<'de>>,
    pub(super) used: Option<Loose<'de>>,
    pub(super) total: Option<Loose<'de>>,
    pub(super) tags: Option<LooseTags>,
    pub(super) name: Option<Loose<'de>>,
}

impl<'de> Deserialize<'de> for Entry<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entry<'de>, D::Error> {
        d.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl EntryVisitor {
    fn not_object<'de, E>(kind: &'static str) -> Result<Entry<'de>, E> {
        Ok(Entry {
            not_object: Some(kind),
            ..Entry::default()
        })
    }
}

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a resource object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry<'de>, A::Error> {
        let mut e = Entry::default();
        while let Some(field) = map.next_key::<Field>()? {
            let slot = match field {
                Field::Id => &mut e.id,
                Field::Type => &mut e.kind,
                Field::Cidr => &mut e.cidr,
                Field::Primary => &mut e.primary,
                Field::Region => &mut e.region,
                Field::Account => &mut e.account,
                Field::VpcId => &mut e.vpc_id,
                Field::Zone => &mut e.zone,
                Field::Used => &mut e.used,
                Field::Total => &mut e.total,
                Field::Name => &mut e.name,
                Field::Tags => {
                    e.tags = Some(map.next_value()?);
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        Ok(e)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Self::not_object("a list")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Entry<'de>, E> {
        Self::not_object("a boolean")
    }

    fn visit_u64<E>(self, _: u64) -> Result<Entry<'de>, E> {
        Self::not_object("a number")
    }

    fn visit_i64<E>(self, _: i64) -> Result<Entry<'de>, E> {
        Self::not_object("a number")
    }

    fn visit_f64<E>(self, _: f64) -> Result<Entry<'de>, E> {
        Self::not_object("a number")
    }

    fn visit_str<E>(self, _: &str) -> Result<Entry<'de>, E> {
        Self::not_object("a string")
    }

    fn visit_unit<E>(self) -> Result<Entry<'de>, E> {
        Self::not_object("null")
    }
}
