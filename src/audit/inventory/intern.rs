//! Shared strings and tag sets for rows: an inventory of a million rows names a handful of
//! regions, accounts and zones and a few thousand VPCs and tag sets, so each distinct value is
//! allocated once per file read and the rows hold reference-counted handles to it.

use std::collections::{BTreeMap, HashSet, btree_map};
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// A resource's tags. The rows of one resource, and the resources of one file that carry the
/// same tags, share one map; it is copied only when a duplicate row's tags are merged in.
/// Reads like a `BTreeMap` of strings: `tags.get("env")`, `for (k, v) in &tags`.
#[derive(Clone, Default)]
pub struct Tags(Option<Arc<BTreeMap<Arc<str>, Arc<str>>>>);

/// What an empty [`Tags`] dereferences to: most rows (subnets, above all) have no tags, and
/// they allocate nothing.
static NO_TAGS: BTreeMap<Arc<str>, Arc<str>> = BTreeMap::new();

impl Tags {
    fn new(map: BTreeMap<Arc<str>, Arc<str>>) -> Tags {
        Tags((!map.is_empty()).then(|| Arc::new(map)))
    }

    /// Adds the tags of `other` that this set lacks (a later reading of the same resource
    /// CIDR: the first reading wins each tag).
    pub(super) fn fill_from(&mut self, other: &Tags) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = other.clone();
            return;
        }
        if other.keys().all(|k| self.contains_key(k)) {
            return;
        }
        if let Some(map) = &mut self.0 {
            let map = Arc::make_mut(map);
            for (k, v) in other.iter() {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

impl Deref for Tags {
    type Target = BTreeMap<Arc<str>, Arc<str>>;

    fn deref(&self) -> &Self::Target {
        self.0.as_deref().unwrap_or(&NO_TAGS)
    }
}

impl<'a> IntoIterator for &'a Tags {
    type Item = (&'a Arc<str>, &'a Arc<str>);
    type IntoIter = btree_map::Iter<'a, Arc<str>, Arc<str>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K: Into<Arc<str>>, V: Into<Arc<str>>> FromIterator<(K, V)> for Tags {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Tags {
        Tags::new(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl PartialEq for Tags {
    fn eq(&self, other: &Tags) -> bool {
        **self == **other
    }
}

impl Eq for Tags {}

impl Hash for Tags {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl fmt::Debug for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// As a map of strings, exactly as a `BTreeMap<String, String>` is written.
impl Serialize for Tags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter().map(|(k, v)| (&**k, &**v)))
    }
}

/// Serializes an `Arc<str>` field as the string it holds (serde's `rc` feature is off).
pub(super) fn serialize_str<S: Serializer>(text: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(text)
}

/// Serializes an `Option<Arc<str>>` field exactly as an `Option<String>`.
pub(super) fn serialize_opt_str<S: Serializer>(
    text: &Option<Arc<str>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match text {
        Some(text) => s.serialize_some(&**text),
        None => s.serialize_none(),
    }
}

/// The distinct values of one file: regions, accounts, zones, VPC IDs, tag keys and values, tag
/// sets. One interner serves one thread (two threads reading halves of a file each have
/// their own), so handles are never counted from two cores at once.
#[derive(Default)]
pub(super) struct Interner {
    strings: HashSet<Arc<str>, FastHash>,
    tag_sets: HashSet<Tags, FastHash>,
    /// The last value of each field: rows that follow each other (a VPC's subnets) mostly
    /// repeat it, and comparing with it is cheaper than a lookup. IDs and names are too many
    /// and too rarely repeated otherwise to be worth a table.
    last: [Option<Arc<str>>; Slot::COUNT],
}

/// The fields whose last value [`Interner`] remembers.
#[derive(Clone, Copy)]
pub(super) enum Slot {
    Id,
    Name,
    Region,
    Account,
    VpcId,
    Zone,
}

impl Slot {
    const COUNT: usize = 6;
}

impl Interner {
    /// The shared handle of a value that repeats across resources: the last value of the
    /// field, or the file's.
    pub(super) fn shared(&mut self, field: Slot, text: &str) -> Arc<str> {
        let last = &mut self.last[field as usize];
        if let Some(known) = last
            && same(known, text)
        {
            return known.clone();
        }
        let known = match self.strings.get(text) {
            Some(known) => known.clone(),
            None => {
                let new: Arc<str> = Arc::from(text);
                self.strings.insert(new.clone());
                new
            }
        };
        last.insert(known).clone()
    }

    /// A value that rarely repeats except in the next row (an ID, a name): the last value of
    /// the field, or a new one.
    pub(super) fn recent(&mut self, field: Slot, text: &str) -> Arc<str> {
        match &mut self.last[field as usize] {
            Some(last) if same(last, text) => last.clone(),
            slot => slot.insert(Arc::from(text)).clone(),
        }
    }

    fn tag_text(&mut self, text: &str) -> Arc<str> {
        match self.strings.get(text) {
            Some(known) => known.clone(),
            None => {
                let new: Arc<str> = Arc::from(text);
                self.strings.insert(new.clone());
                new
            }
        }
    }

    /// A tag set from its pairs in reading order (a key written twice keeps its last value,
    /// as a map insert does), shared with every equal set read before.
    pub(super) fn tags<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Tags {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            map.insert(self.tag_text(k.as_ref()), self.tag_text(v.as_ref()));
        }
        let tags = Tags::new(map);
        if tags.is_empty() {
            return tags;
        }
        if let Some(known) = self.tag_sets.get(&tags) {
            return known.clone();
        }
        self.tag_sets.insert(tags.clone());
        tags
    }
}

/// `a == b`, told apart early in the common case of values of one length (IDs numbered in
/// sequence, zones of one region) that differ in their last byte.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

/// A fast hash for tables keyed by the user's own short strings (FxHash's mixing, murmur3's
/// finaliser). Inputs are the user's own files, so resistance to crafted collisions
/// (SipHash's reason to be slow) is not needed.
#[derive(Default, Clone, Copy)]
pub(super) struct IdHasher(u64);

pub(super) type FastHash = BuildHasherDefault<IdHasher>;

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    /// murmur3's finaliser: every output bit depends on every input bit, so the table's
    /// bucket (low bits) and tag (high bits) are both well spread.
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_one_allocation() {
        let mut strings = Interner::default();
        let a = strings.shared(Slot::Region, "eu-west-1");
        strings.shared(Slot::Region, "eu-west-2");
        let b = strings.shared(Slot::Region, &String::from("eu-west-1"));
        assert!(Arc::ptr_eq(&a, &b));
        let c = strings.shared(Slot::Zone, "eu-west-1");
        assert!(Arc::ptr_eq(&a, &c));
        let t1 = strings.tags([("env", "prod"), ("app", "web")]);
        let t2 = strings.tags([("app", "web"), ("env", "prod")]);
        assert!(matches!((&t1.0, &t2.0), (Some(x), Some(y)) if Arc::ptr_eq(x, y)));
        assert!(strings.tags(Vec::<(&str, &str)>::new()).0.is_none());
        assert_eq!(
            strings
                .tags([("k", "1"), ("k", "2")])
                .get("k")
                .map(|v| &**v),
            Some("2")
        );
    }

    #[test]
    fn tags_read_and_write_like_a_map_of_strings() {
        let tags: Tags = [("b", "2"), ("a", "1")].into_iter().collect();
        let plain: BTreeMap<String, String> = [("b", "2"), ("a", "1")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            serde_json::to_string(&tags).expect("json"),
            serde_json::to_string(&plain).expect("json")
        );
        assert_eq!(format!("{tags:?}"), format!("{plain:?}"));
        let pairs: Vec<(&str, &str)> = (&tags).into_iter().map(|(k, v)| (&**k, &**v)).collect();
        assert_eq!(pairs, [("a", "1"), ("b", "2")]);
        assert_eq!(Tags::default(), Tags::new(BTreeMap::new()));
    }

    #[test]
    fn filling_keeps_the_first_value_of_each_tag() {
        let mut first: Tags = [("env", "prod")].into_iter().collect();
        let later: Tags = [("env", "dev"), ("team", "net")].into_iter().collect();
        let before = first.clone();
        first.fill_from(&later);
        assert_eq!(
            first,
            [("env", "prod"), ("team", "net")].into_iter().collect()
        );
        assert_eq!(before.len(), 1, "a shared set is copied, not changed");
        let mut empty = Tags::default();
        empty.fill_from(&later);
        assert_eq!(empty, later);
    }
}
