//! The native reader's deserializers: each entry read leniently (a field of the wrong type
//! is remembered, not fatal), strings borrowed from the text, entries handed to
//! [`Part::convert`] one at a time so that a million of them never exist as a list.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::Part;

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
    /// The same value, owning its text.
    pub(super) fn into_owned(self) -> Loose<'static> {
        match self {
            Loose::Null => Loose::Null,
            Loose::Bool(b) => Loose::Bool(b),
            Loose::Int(n) => Loose::Int(n),
            Loose::Str(s) => Loose::Str(Cow::Owned(s.into_owned())),
            Loose::Other(kind) => Loose::Other(kind),
        }
    }

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

/// `tags`: an object of strings, as `(key, value)` pairs in reading order, or why not.
/// Counts and booleans are written out as text, `null` as an empty string.
pub(super) struct LooseTags<'de>(pub(super) Result<Vec<TagPair<'de>>, String>);

/// A tag's key and value, borrowed from the text where they have no escapes.
pub(super) type TagPair<'de> = (Cow<'de, str>, Cow<'de, str>);

impl<'de> Deserialize<'de> for LooseTags<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LooseTags<'de>, D::Error> {
        d.deserialize_any(TagsVisitor)
    }
}

/// An object key, borrowed from the text where it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }

            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

struct TagsVisitor;

impl TagsVisitor {
    fn wrong<'de, E>(kind: &str) -> Result<LooseTags<'de>, E> {
        Ok(LooseTags(Err(format!(
            "`tags` must be an object of strings, found {kind}"
        ))))
    }
}

impl<'de> Visitor<'de> for TagsVisitor {
    type Value = LooseTags<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of tags")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LooseTags<'de>, A::Error> {
        let mut tags = Vec::new();
        let mut problem = None;
        while let Some((Key(key), value)) = map.next_entry::<Key, Loose>()? {
            let value = match value {
                Loose::Str(s) => s,
                Loose::Int(n) => Cow::Owned(n.to_string()),
                Loose::Bool(b) => Cow::Owned(b.to_string()),
                Loose::Null => Cow::Borrowed(""),
                Loose::Other(kind) => {
                    problem.get_or_insert_with(|| format!("tag `{key}` is {kind}"));
                    continue;
                }
            };
            tags.push((key, value));
        }
        Ok(LooseTags(problem.map_or(Ok(tags), Err)))
    }

    fn visit_unit<E>(self) -> Result<LooseTags<'de>, E> {
        Ok(LooseTags(Ok(Vec::new())))
    }

    fn visit_none<E>(self) -> Result<LooseTags<'de>, E> {
        Ok(LooseTags(Ok(Vec::new())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LooseTags<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Self::wrong("a list")
    }

    fn visit_bool<E>(self, _: bool) -> Result<LooseTags<'de>, E> {
        Self::wrong("a boolean")
    }

    fn visit_u64<E>(self, _: u64) -> Result<LooseTags<'de>, E> {
        Self::wrong("a number")
    }

    fn visit_i64<E>(self, _: i64) -> Result<LooseTags<'de>, E> {
        Self::wrong("a number")
    }

    fn visit_f64<E>(self, _: f64) -> Result<LooseTags<'de>, E> {
        Self::wrong("a number")
    }

    fn visit_str<E>(self, _: &str) -> Result<LooseTags<'de>, E> {
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

/// Reads the document in one pass, sending each entry to `part` as it is read.
pub(super) struct FileSeed<'a> {
    pub(super) part: &'a mut Part,
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
                        part: &mut *self.part,
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
    part: &'a mut Part,
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
        while seq
            .next_element_seed(EntrySeed {
                part: &mut *self.part,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// Reads one entry and hands it to `part`, once it has been read whole.
pub(super) struct EntrySeed<'a> {
    pub(super) part: &'a mut Part,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let mut e = Entry::default();
        d.deserialize_any(EntryVisitor { e: &mut e })?;
        self.part.convert(e);
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
    pub(super) tags: Option<LooseTags<'de>>,
    pub(super) name: Option<Loose<'de>>,
}

impl<'de> Deserialize<'de> for Entry<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entry<'de>, D::Error> {
        let mut e = Entry::default();
        d.deserialize_any(EntryVisitor { e: &mut e })?;
        Ok(e)
    }
}

/// Reads an entry into `e`, in place: an entry is some 400 bytes, moved a million times
/// otherwise.
struct EntryVisitor<'a, 'de> {
    e: &'a mut Entry<'de>,
}

impl EntryVisitor<'_, '_> {
    fn not_object<E>(self, kind: &'static str) -> Result<(), E> {
        self.e.not_object = Some(kind);
        Ok(())
    }
}

impl<'de> Visitor<'de> for EntryVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a resource object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let e = self.e;
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
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.not_object("a list")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_object("a boolean")
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_object("a number")
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_object("a number")
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_object("a number")
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_object("a string")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_object("null")
    }
}
