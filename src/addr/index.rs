//! The narrowest of a set of CIDRs that contains a given block, in a few hash probes: one
//! per distinct prefix length in the set, not one per member (SPEC §12: the cost of a lookup
//! must not grow with the number of blocks).

use std::collections::{BTreeSet, HashMap};

use super::prefix::{Family, Prefix};

/// CIDRs with a value each; the first value given for a CIDR is kept.
#[derive(Debug, Clone)]
pub struct ContainerIndex<T> {
    by_cidr: HashMap<Prefix, T>,
    /// The prefix lengths present, per family (IPv4, IPv6), longest first.
    lengths: [Vec<u8>; 2],
}

impl<T> ContainerIndex<T> {
    /// An index of the given CIDRs; where a CIDR comes twice, the first value is kept.
    pub fn new(entries: impl IntoIterator<Item = (Prefix, T)>) -> ContainerIndex<T> {
        let mut by_cidr = HashMap::new();
        let mut lengths: [BTreeSet<u8>; 2] = Default::default();
        for (cidr, value) in entries {
            lengths[slot(cidr.family())].insert(cidr.prefix_len());
            by_cidr.entry(cidr).or_insert(value);
        }
        ContainerIndex {
            by_cidr,
            lengths: lengths.map(|l| l.into_iter().rev().collect()),
        }
    }

    /// The narrowest indexed CIDR that contains `cidr` (possibly `cidr` itself), with its
    /// value.
    pub fn narrowest(&self, cidr: Prefix) -> Option<(Prefix, &T)> {
        let family = cidr.family();
        self.lengths[slot(family)]
            .iter()
            .filter(|&&len| len <= cidr.prefix_len())
            .find_map(|&len| {
                let container = Prefix::containing(family, cidr.start(), len);
                self.by_cidr.get(&container).map(|v| (container, v))
            })
    }
}

fn slot(family: Family) -> usize {
    match family {
        Family::V4 => 0,
        Family::V6 => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().expect("valid")
    }

    #[test]
    fn finds_the_narrowest_container() {
        let index = ContainerIndex::new([
            (p("10.0.0.0/8"), "corp"),
            (p("10.1.0.0/16"), "team"),
            (p("10.1.0.0/16"), "later"),
            (p("2001:db8::/32"), "v6"),
        ]);
        assert_eq!(
            index.narrowest(p("10.1.2.0/24")),
            Some((p("10.1.0.0/16"), &"team"))
        );
        assert_eq!(
            index.narrowest(p("10.1.0.0/16")),
            Some((p("10.1.0.0/16"), &"team"))
        );
        assert_eq!(
            index.narrowest(p("10.2.0.0/16")),
            Some((p("10.0.0.0/8"), &"corp"))
        );
        assert_eq!(index.narrowest(p("10.0.0.0/7")), None);
        assert_eq!(index.narrowest(p("192.168.0.0/16")), None);
        assert_eq!(
            index.narrowest(p("2001:db8:1::/48")),
            Some((p("2001:db8::/32"), &"v6"))
        );
        // Families never mix: ::/96 of an IPv4-looking number is not inside 10.0.0.0/8.
        assert_eq!(index.narrowest(p("::a00:0/104")), None);
    }
}
