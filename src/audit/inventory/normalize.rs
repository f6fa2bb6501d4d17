//! After reading: `primary` decided where the inventory did not say, the same resource CIDR
//! read twice made one row, rows put in order, regions shared between a VPC and its subnets.

use std::collections::HashMap;

use super::{Discovered, Kind};
use crate::addr::Family;

/// Decides `primary` where the inventory did not say, merges duplicates, orders by source,
/// ID, CIDR and fills missing regions between VPCs and their subnets. `given[i]` is what the
/// inventory said of `rows[i]`'s `primary`. Among duplicates the one read first (earlier
/// file, earlier in the file) wins.
///
/// Inventories run to a million rows of ~300 bytes, so this sorts compact keys that lead with
/// the first 16 bytes of the ID (rows are looked at only on a tie), does everything else in
/// one walk over the runs of one ID, and skips a sort where the input is already in order.
pub(super) fn normalize(mut rows: Vec<Discovered>, given: &[Option<bool>]) -> Vec<Discovered> {
    let mut keys: Vec<(u128, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (id_prefix(&r.id), i))
        .collect();
    {
        let full = |a: usize, b: usize| {
            let (x, y) = (&rows[a], &rows[b]);
            (&x.id, x.cidr, x.kind, a).cmp(&(&y.id, y.cidr, y.kind, b))
        };
        let by_key =
            |a: &(u128, usize), b: &(u128, usize)| a.0.cmp(&b.0).then_with(|| full(a.1, b.1));
        if !keys.is_sorted_by(|a, b| by_key(a, b).is_le()) {
            keys.sort_unstable_by(by_key);
        }
    }
    // One ID's rows are now together, and within it one CIDR's, in reading order.
    let mut kept: Vec<usize> = Vec::with_capacity(keys.len());
    let mut run = 0;
    while run < keys.len() {
        let (prefix, first) = keys[run];
        let mut end = run + 1;
        while end < keys.len() && keys[end].0 == prefix && rows[keys[end].1].id == rows[first].id {
            end += 1;
        }
        let ids: Vec<usize> = keys[run..end].iter().map(|k| k.1).collect();
        decide_primary(&mut rows, &ids, given);
        merge_run(&mut rows, &ids, &mut kept);
        run = end;
    }
    drop(keys);
    // Files come whole and in path order, so sources are compared by rank, not by path.
    let rank = source_ranks(&rows);
    if !kept.is_sorted_by_key(|&i| rank[i]) {
        // Stable: within a source, the rows stay in ID, CIDR order.
        kept.sort_by_key(|&i| rank[i]);
    }
    let in_place = kept.len() == rows.len() && kept.iter().enumerate().all(|(at, &i)| at == i);
    let mut rows = if in_place {
        rows.shrink_to_fit();
        rows
    } else {
        let mut slots: Vec<Option<Discovered>> = rows.into_iter().map(Some).collect();
        kept.into_iter().filter_map(|i| slots[i].take()).collect()
    };
    fill_regions(&mut rows);
    rows
}

/// The first 16 bytes of an ID, zero-padded, as a number that orders like the ID (IDs hold
/// no NUL bytes; where one does, the full comparison behind this still decides).
fn id_prefix(id: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = id.len().min(16);
    bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

/// For the rows of one ID (`ids`: sorted by CIDR, then reading order) that the inventory did
/// not mark: per file, when no row of the ID there says, the first IPv4 row in reading order
/// is primary (the first row when there is no IPv4 one); otherwise they are not.
fn decide_primary(rows: &mut [Discovered], ids: &[usize], given: &[Option<bool>]) {
    let said = |i: usize| given.get(i).copied().flatten();
    if ids.iter().all(|&i| said(i).is_some()) {
        for &i in ids {
            rows[i].primary = said(i).unwrap_or_default();
        }
        return;
    }
    // Per source: whether any row said, and the chosen row by (not IPv4, reading order).
    let mut sources: Vec<(&str, bool, (bool, usize))> = Vec::new();
    for &i in ids {
        let r = &rows[i];
        let candidate = (r.cidr.family() != Family::V4, i);
        match sources.iter_mut().find(|s| s.0 == r.source) {
            Some(s) => {
                s.1 |= said(i).is_some();
                s.2 = s.2.min(candidate);
            }
            None => sources.push((&r.source, said(i).is_some(), candidate)),
        }
    }
    let chosen: Vec<usize> = sources
        .iter()
        .filter(|(_, any, _)| !any)
        .map(|(_, _, (_, i))| *i)
        .collect();
    for &i in ids {
        rows[i].primary = said(i).unwrap_or_else(|| chosen.contains(&i));
    }
}

/// Merges the rows of one ID that are the same resource CIDR into the first read; the
/// survivors go to `kept`.
fn merge_run(rows: &mut [Discovered], ids: &[usize], kept: &mut Vec<usize>) {
    let mut first: Option<usize> = None;
    for &i in ids {
        if let Some(f) = first
            && rows[f].cidr == rows[i].cidr
            && rows[f].kind == rows[i].kind
        {
            let (earlier, later) = pair_mut(rows, f, i);
            merge(earlier, later);
            continue;
        }
        first = Some(i);
        kept.push(i);
    }
}

/// Two distinct elements of a slice, mutably.
fn pair_mut<T>(items: &mut [T], a: usize, b: usize) -> (&mut T, &mut T) {
    if a < b {
        let (left, right) = items.split_at_mut(b);
        (&mut left[a], &mut right[0])
    } else {
        let (left, right) = items.split_at_mut(a);
        (&mut right[0], &mut left[b])
    }
}

/// Each row's source's place in path order.
fn source_ranks(rows: &[Discovered]) -> Vec<u32> {
    let mut sources: Vec<&str> = Vec::new();
    for r in rows {
        if sources.last() != Some(&r.source.as_str()) && !sources.contains(&r.source.as_str()) {
            sources.push(&r.source);
        }
    }
    if sources.len() <= 1 {
        return vec![0; rows.len()];
    }
    sources.sort_unstable();
    rows.iter()
        .map(|r| {
            sources
                .binary_search(&r.source.as_str())
                .map_or(0, |rank| u32::try_from(rank).unwrap_or(u32::MAX))
        })
        .collect()
}

/// A fast hash for the per-ID maps of one audit (FxHash's mixing, murmur3's finaliser). Inputs are the user's
/// own files, so resistance to crafted collisions (SipHash's reason to be slow) is not needed.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
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

type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

fn id_map<K, V>(capacity: usize) -> IdMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, Default::default())
}

/// Fills what `into` lacks from `from`, a later reading of the same resource CIDR.
fn merge(into: &mut Discovered, from: &mut Discovered) {
    fn fill(a: &mut Option<String>, b: &mut Option<String>) {
        if a.is_none() {
            *a = b.take();
        }
    }
    fill(&mut into.region, &mut from.region);
    fill(&mut into.account, &mut from.account);
    fill(&mut into.vpc_id, &mut from.vpc_id);
    fill(&mut into.zone, &mut from.zone);
    fill(&mut into.name, &mut from.name);
    if into.used.is_none() && into.total.is_none() {
        into.used = from.used;
        into.total = from.total;
    }
    for (k, v) in std::mem::take(&mut from.tags) {
        into.tags.entry(k).or_insert(v);
    }
    into.primary |= from.primary;
}

/// A VPC and its subnets are in one region: each lends it to the others that lack it.
fn fill_regions(rows: &mut [Discovered]) {
    if rows.iter().all(|r| r.region.is_some()) {
        return;
    }
    fn vpc_of(r: &Discovered) -> Option<&str> {
        match r.kind {
            Kind::Vpc => Some(r.id.as_str()),
            Kind::Subnet => r.vpc_id.as_deref(),
        }
    }
    // VPC ID → the first row (in output order) that knows its region.
    let mut by_vpc: IdMap<&str, usize> = id_map(rows.len() / 4);
    for (i, r) in rows.iter().enumerate() {
        if let (Some(vpc), Some(_)) = (vpc_of(r), &r.region) {
            by_vpc.entry(vpc).or_insert(i);
        }
    }
    let lends: Vec<(usize, usize)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.region.is_none())
        .filter_map(|(i, r)| Some((i, *by_vpc.get(vpc_of(r)?)?)))
        .collect();
    for (to, from) in lends {
        rows[to].region = rows[from].region.clone();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn row(id: &str, cidr: &str, source: &str) -> Discovered {
        Discovered {
            id: id.into(),
            kind: Kind::Vpc,
            cidr: cidr.parse().expect("cidr"),
            region: None,
            account: None,
            vpc_id: None,
            zone: None,
            used: None,
            total: None,
            tags: BTreeMap::new(),
            name: None,
            source: source.into(),
            primary: false,
        }
    }

    #[test]
    fn duplicates_merge_first_wins_and_order_is_by_source_id_cidr() {
        let mut a = row("vpc-2", "10.0.0.0/16", "b.json");
        a.region = Some("first".into());
        let mut b = row("vpc-2", "10.0.0.0/16", "c.json");
        b.region = Some("second".into());
        b.account = Some("acct".into());
        b.primary = true;
        let c = row("vpc-1", "10.1.0.0/16", "c.json");
        let d = row("vpc-1", "10.0.0.0/16", "c.json");
        let out = normalize(
            vec![a, b, c, d],
            &[Some(false), Some(true), Some(false), Some(true)],
        );
        let got: Vec<_> = out
            .iter()
            .map(|r| (r.source.as_str(), r.id.as_str(), r.cidr.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                ("b.json", "vpc-2", "10.0.0.0/16".to_string()),
                ("c.json", "vpc-1", "10.0.0.0/16".to_string()),
                ("c.json", "vpc-1", "10.1.0.0/16".to_string()),
            ]
        );
        assert_eq!(out[0].region.as_deref(), Some("first"));
        assert_eq!(out[0].account.as_deref(), Some("acct"));
        assert!(out[0].primary);
    }

    #[test]
    fn regions_flow_between_a_vpc_and_its_subnets() {
        let vpc = row("vpc-1", "10.0.0.0/16", "a");
        let mut subnet = row("vsw-1", "10.0.1.0/24", "a");
        subnet.kind = Kind::Subnet;
        subnet.vpc_id = Some("vpc-1".into());
        subnet.region = Some("cn-hangzhou".into());
        let mut other = row("vsw-2", "10.9.1.0/24", "a");
        other.kind = Kind::Subnet;
        other.vpc_id = Some("vpc-9".into());
        let out = normalize(vec![vpc, subnet, other], &[Some(true); 3]);
        assert_eq!(out[0].region.as_deref(), Some("cn-hangzhou"));
        assert_eq!(out[2].region, None);
    }

    #[test]
    fn primary_is_decided_per_id_and_file_unless_written() {
        let rows = vec![
            row("vpc-1", "2600::/56", "a"),
            row("vpc-1", "10.1.0.0/16", "a"),
            row("vpc-1", "10.0.0.0/16", "a"),
            row("vpc-2", "2600:1::/56", "a"),
            row("vpc-3", "10.3.0.0/16", "a"),
            row("vpc-3", "10.4.0.0/16", "a"),
            row("vpc-4", "10.7.0.0/16", "a"),
            row("vpc-4", "10.6.0.0/16", "b"),
            row("vpc-4", "10.5.0.0/16", "b"),
        ];
        let given = [
            None,
            None,
            None,
            None,
            None,
            Some(true),
            Some(false),
            None,
            None,
        ];
        let out = normalize(rows, &given);
        let got: Vec<(&str, String, bool)> = out
            .iter()
            .map(|r| (r.source.as_str(), r.cidr.to_string(), r.primary))
            .collect();
        let want = [
            // The first IPv4 block read, not the first block nor the lowest.
            ("a", "10.0.0.0/16", false),
            ("a", "10.1.0.0/16", true),
            ("a", "2600::/56", false),
            ("a", "2600:1::/56", true),
            ("a", "10.3.0.0/16", false),
            ("a", "10.4.0.0/16", true),
            // File a said for vpc-4; file b did not, so its first IPv4 row is primary.
            ("a", "10.7.0.0/16", false),
            ("b", "10.5.0.0/16", false),
            ("b", "10.6.0.0/16", true),
        ];
        let want: Vec<(&str, String, bool)> = want
            .iter()
            .map(|(s, c, p)| (*s, c.to_string(), *p))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn id_prefixes_order_like_ids() {
        let mut ids = [
            "vpc-b",
            "vpc-a",
            "subnet-0123456789abcdef1",
            "subnet-0123456789abcdef0",
            "a",
            "",
            "ab",
            "vpc-0123456789abcdef",
            "vpc-0123456789abcde",
        ];
        let mut by_prefix = ids;
        by_prefix.sort_by(|a, b| id_prefix(a).cmp(&id_prefix(b)).then_with(|| a.cmp(b)));
        ids.sort();
        assert_eq!(by_prefix, ids);
    }
}
