//! JSON documents read without building their whole tree: a file may hold several documents
//! (a loop over regions appends one export per region), each document's outer levels (its
//! objects) are read once into a spine whose lists keep their elements unparsed, and its
//! entries (a VPC, a resource, a prefix) are parsed one by one into a [`Value`] that lives
//! only while it is read.
//!
//! A JSON tree costs ten times its text or more; an export of a million CIDRs as one tree
//! would need gigabytes. Here a document costs its text plus 16 bytes per entry while it is
//! read, and its text is gone over twice: once for the spine, once for the entries.
//! Detection looks at a [`sample`] of the document: the same tree with every list cut to its
//! first element and first object, whose size depends on the export's shape, not on how
//! many entries it has.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The outer levels of a document: objects read, lists' elements left as text.
pub(super) enum Node<'t> {
    Object(Vec<(String, Node<'t>)>),
    List(Vec<&'t RawValue>),
    Scalar(Value),
}

/// A document and its text.
pub(super) struct Document<'t> {
    pub(super) text: &'t str,
    pub(super) node: Node<'t>,
}

/// A JSON value of a document: a node of its spine, or the unparsed text of a list's
/// element, parsed only when asked.
#[derive(Clone, Copy)]
pub(super) enum Doc<'t> {
    Node(&'t Node<'t>),
    Raw(&'t RawValue),
}

/// The members of an object.
pub(super) struct Object<'t>(Vec<(Cow<'t, str>, Doc<'t>)>);

/// Every document of a text, in order: JSON values one after another, separated by white
/// space or nothing at all.
pub(super) fn documents(text: &str) -> Result<Vec<Document<'_>>, serde_json::Error> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Node>();
    let mut out = Vec::new();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => return Ok(out),
            Some(Err(e)) => return Err(e),
            Some(Ok(node)) => {
                let end = stream.byte_offset();
                out.push(Document {
                    text: text.get(start..end).unwrap_or_default().trim(),
                    node,
                });
            }
        }
    }
}

impl<'de> de::Deserialize<'de> for Node<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Node<'de>, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// Reads objects into nodes and lists as their elements' text.
struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Scalar(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::Scalar(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::Scalar(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node<'de>, E> {
        Ok(Node::Scalar(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::Scalar(Value::String(v.to_string())))
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Scalar(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut list = Vec::new();
        while let Some(element) = seq.next_element::<&'de RawValue>()? {
            list.push(element);
        }
        Ok(Node::List(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut fields = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value: Node<'de> = map.next_value()?;
            fields.push((key, value));
        }
        Ok(Node::Object(fields))
    }
}

impl<'t> Document<'t> {
    pub(super) fn doc(&'t self) -> Doc<'t> {
        Doc::Node(&self.node)
    }
}

impl<'t> Doc<'t> {
    fn first_byte(self) -> u8 {
        match self {
            Doc::Node(Node::Object(_)) => b'{',
            Doc::Node(Node::List(_)) => b'[',
            Doc::Node(Node::Scalar(Value::String(_))) => b'"',
            Doc::Node(Node::Scalar(Value::Null)) => b'n',
            Doc::Node(Node::Scalar(_)) => b'0',
            Doc::Raw(raw) => raw.get().as_bytes().first().copied().unwrap_or(b'n'),
        }
    }

    pub(super) fn is_array(self) -> bool {
        self.first_byte() == b'['
    }

    pub(super) fn is_object(self) -> bool {
        self.first_byte() == b'{'
    }

    fn is_null(self) -> bool {
        self.first_byte() == b'n'
    }

    /// The members, when the value is an object.
    pub(super) fn object(self) -> Option<Object<'t>> {
        match self {
            Doc::Node(Node::Object(fields)) => Some(Object(
                fields
                    .iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Doc::Node(v)))
                    .collect(),
            )),
            Doc::Node(_) => None,
            Doc::Raw(raw) => {
                if !self.is_object() {
                    return None;
                }
                let mut de = serde_json::Deserializer::from_str(raw.get());
                de.deserialize_map(FieldsVisitor).ok().map(Object)
            }
        }
    }

    /// The elements, when the value is a list.
    pub(super) fn elements(self) -> Option<Vec<Doc<'t>>> {
        match self {
            Doc::Node(Node::List(list)) => Some(list.iter().map(|&r| Doc::Raw(r)).collect()),
            Doc::Node(_) => None,
            Doc::Raw(raw) => {
                if !self.is_array() {
                    return None;
                }
                serde_json::from_str::<Vec<&'t RawValue>>(raw.get())
                    .ok()
                    .map(|list| list.into_iter().map(Doc::Raw).collect())
            }
        }
    }

    /// The value, parsed (an entry, or a small part of the document).
    pub(super) fn value(self) -> Value {
        match self {
            Doc::Raw(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            Doc::Node(Node::Scalar(v)) => v.clone(),
            Doc::Node(Node::List(list)) => Value::Array(
                list.iter()
                    .map(|r| serde_json::from_str(r.get()).unwrap_or(Value::Null))
                    .collect(),
            ),
            Doc::Node(Node::Object(fields)) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), Doc::Node(v).value()))
                    .collect(),
            ),
        }
    }

    /// As [`super::json::items`]: the elements of a list however the export wrote it.
    pub(super) fn items(self, wrappers: &[&str]) -> Vec<Doc<'t>> {
        let mut inner = self;
        if let Some(object) = self.object() {
            let found = wrappers.iter().find_map(|w| {
                let (_, v) = object.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(w))?;
                (object.0.len() == 1 || v.is_array()).then_some(*v)
            });
            inner = found.unwrap_or(self);
        }
        if let Some(list) = inner.elements() {
            return list.into_iter().filter(|d| !d.is_null()).collect();
        }
        let blank = inner.first_byte() == b'"' && inner.value().as_str() == Some("");
        if inner.is_null() || blank {
            Vec::new()
        } else {
            vec![inner]
        }
    }

    /// The response inside an Alibaba `{"DescribeVpcsResponse": {...}}` wrapper, or the value.
    pub(super) fn unwrap_response(self) -> Doc<'t> {
        match self.object() {
            Some(Object(fields)) if fields.len() == 1 => match &fields[0] {
                (k, inner) if k.ends_with("Response") && inner.is_object() => *inner,
                _ => self,
            },
            _ => self,
        }
    }
}

/// The entries of a list and how messages name them: a bare list (`[3]`), or the list under
/// the first of `names` an object (in an API response wrapper or not) holds (`Vpcs[3]`), its
/// elements found as [`Doc::items`] finds them. `None` when there is no such list.
pub(super) fn entries<'t>(
    doc: Doc<'t>,
    names: &[&str],
    wrappers: &[&str],
) -> Option<Vec<(String, Doc<'t>)>> {
    let numbered = |name: &str, list: Vec<Doc<'t>>| {
        list.into_iter()
            .enumerate()
            .map(|(i, d)| (format!("{name}[{i}]"), d))
            .collect()
    };
    if let Some(list) = doc.elements() {
        return Some(numbered("", list));
    }
    let object = doc.unwrap_response().object()?;
    names
        .iter()
        .find_map(|name| Some(numbered(name, object.get(name)?.items(wrappers))))
}

impl<'t> Object<'t> {
    /// The value of `key`, matched exactly or else without regard to ASCII case; `null`
    /// counts as absent.
    pub(super) fn get(&self, key: &str) -> Option<Doc<'t>> {
        let found = self
            .0
            .iter()
            .find(|(k, _)| k == key)
            .or_else(|| self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))?;
        (!found.1.is_null()).then_some(found.1)
    }
}

/// Reads an object's members, each value left unparsed.
struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Vec<(Cow<'de, str>, Doc<'de>)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            fields.push((key, Doc::Raw(value)));
        }
        Ok(fields)
    }
}

/// An object's key, borrowed from the text unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
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
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// A JSON value read and dropped through the same calls a full parse makes, so that an error
/// is said in the same words ("trailing comma"), without building anything.
pub(super) struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// The document with every list cut to its first element and its first object (each
/// sampled in turn): what detection looks at.
pub(super) fn sample(doc: Doc) -> Value {
    match doc {
        Doc::Raw(raw) => {
            let mut de = serde_json::Deserializer::from_str(raw.get());
            Sample.deserialize(&mut de).unwrap_or(Value::Null)
        }
        Doc::Node(Node::Scalar(v)) => v.clone(),
        Doc::Node(Node::Object(fields)) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), sample(Doc::Node(v))))
                .collect(),
        ),
        Doc::Node(Node::List(list)) => {
            let mut kept = Vec::new();
            for element in list {
                let element = sample(Doc::Raw(element));
                let object = element.is_object();
                if kept.is_empty() || object {
                    kept.push(element);
                }
                if object {
                    break;
                }
            }
            Value::Array(kept)
        }
    }
}

#[derive(Clone, Copy)]
struct Sample;

impl<'de> DeserializeSeed<'de> for Sample {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Sample {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut kept = Vec::new();
        while let Some(element) = seq.next_element_seed(Sample)? {
            let object = element.is_object();
            if kept.is_empty() || object {
                kept.push(element);
            }
            if object {
                break;
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Array(kept))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Sample)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_follow_each_other() {
        let docs = documents("{\"a\": 1}\n[1, 2]{\"b\":[]} 7").expect("documents");
        let texts: Vec<&str> = docs.iter().map(|d| d.text).collect();
        assert_eq!(texts, ["{\"a\": 1}", "[1, 2]", "{\"b\":[]}", "7"]);
        assert!(documents("{\"a\": 1} {").is_err());
        assert!(documents("").expect("none").is_empty());
    }

    #[test]
    fn objects_are_read_one_level_at_a_time() {
        let docs = documents(r#"{"Vpcs": [{"VpcId": "a"}, null, {"VpcId": "b"}], "Gone": null, "vpcset": {"item": [1]}}"#)
            .expect("document");
        let top = docs[0].doc().object().expect("object");
        assert!(top.get("Gone").is_none());
        let vpcs = top.get("vpcs").expect("case-insensitive");
        let ids: Vec<Value> = vpcs
            .items(&[])
            .iter()
            .map(|d| d.value()["VpcId"].clone())
            .collect();
        assert_eq!(ids, [json!("a"), json!("b")]);
        let set = top.get("vpcSet").expect("set");
        assert_eq!(set.items(&["item"]).len(), 1);
        assert!(vpcs.object().is_none());
        assert!(set.elements().is_none());
    }

    #[test]
    fn responses_unwrap_and_lists_come_in_every_shape() {
        let docs = documents(
            r#"{"DescribeVpcsResponse": {"Vpcs": {"Vpc": {"VpcId": "x"}}}} "" {"Vpc": []}"#,
        )
        .expect("documents");
        let inner = docs[0].doc().unwrap_response().object().expect("inner");
        let vpcs = inner.get("Vpcs").expect("vpcs");
        assert_eq!(vpcs.items(&["Vpc"]).len(), 1);
        assert!(docs[1].doc().items(&[]).is_empty());
        assert!(docs[2].doc().items(&["Vpc"]).is_empty());
        // A key with an escape reads as its text.
        let docs = documents(r#"{"V\u0070cs": [{"VpcId": "a"}]}"#).expect("document");
        let list = docs[0].doc().value();
        assert_eq!(list["Vpcs"][0]["VpcId"], "a");
        let raw = docs[0]
            .doc()
            .object()
            .expect("top")
            .get("Vpcs")
            .expect("list");
        let entry = raw.elements().expect("list")[0];
        assert_eq!(
            entry.object().expect("entry").get("VpcId").map(Doc::value),
            Some(json!("a"))
        );
    }

    #[test]
    fn samples_keep_the_shape_not_the_entries() {
        let docs = documents(
            r#"{"Vpcs": [1, {"VpcId": "a", "Tags": [{"Key": "k"}, {"Key": "l"}]}, {"VpcId": "b"}], "n": null, "e": []}"#,
        )
        .expect("document");
        assert_eq!(
            sample(docs[0].doc()),
            json!({"Vpcs": [1, {"VpcId": "a", "Tags": [{"Key": "k"}]}], "n": null, "e": []})
        );
    }
}
