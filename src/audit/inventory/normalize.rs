//! After reading: `primary` decided where the inventory did not say, the same resource CIDR
//! read twice made one row, rows put in order, regions shared between a VPC and its subnets.

use std::collections::HashMap;
use std::sync::Arc;

use super::Discovered;
use super::intern::FastHash;
use crate::addr::Family;

/// The rows of one file, or of one stretch of a large native file, in reading order.
pub(super) struct Chunk {
    /// The file every row was read from.
    pub(super) source: Arc<str>,
    /// Every row is `Some` until [`normalize`] takes it out.
    pub(super) rows: Vec<Option<Discovered>>,
    /// Beside each row: whether the inventory said it is primary (`None`: it did not, and
    /// [`normalize`] decides).
    pub(super) given: Vec<Option<bool>>,
}

impl Chunk {
    pub(super) fn new(source: Arc<str>, rows: Vec<Discovered>, given: Vec<Option<bool>>) -> Chunk {
        Chunk {
            source,
            rows: rows.into_iter().map(Some).collect(),
            given,
        }
    }
}

/// Where a row is: its chunk in the high half, its index in the chunk in the low half. In
/// reading order, like the rows.
type Pos = u64;

fn pos(chunk: usize, index: usize) -> Pos {
    ((chunk as u64) << 32) | index as u64
}

fn at(pos: Pos) -> (usize, usize) {
    ((pos >> 32) as usize, (pos & 0xFFFF_FFFF) as usize)
}

/// Below this many rows the output is not prepared on a second thread.
const PREPARE_MIN: usize = 1 << 16;

/// Decides `primary` where the inventory did not say, merges duplicates, orders by source,
/// ID, CIDR and fills missing regions between VPCs and their subnets. Among duplicates the
/// one read first (earlier file, earlier in the file) wins.
///
/// Inventories run to a million rows of ~220 bytes, so this sorts compact keys that lead with
/// the first 16 bytes of the ID (rows are looked at only on a tie), decides everything else
/// in one walk over the runs of one ID, and moves each row once, into its place in the
/// output. Touching fresh memory for the first time is what costs most (a page fault every
/// 4 KiB, dear on a virtual machine), so a second thread touches the output's pages while
/// this one sorts.
pub(super) fn normalize(mut chunks: Vec<Chunk>) -> Vec<Discovered> {
    let n: usize = chunks.iter().map(|c| c.rows.len()).sum();
    let mut out: Vec<Discovered> = Vec::with_capacity(n);
    let order = std::thread::scope(|s| {
        if n >= PREPARE_MIN {
            s.spawn(|| touch(out.spare_capacity_mut()));
        }
        decide(&mut chunks)
    });
    let mut regions_missing = false;
    for (pos, primary) in order {
        let (c, i) = at(pos);
        if let Some(mut row) = chunks[c].rows[i].take() {
            row.primary = primary;
            regions_missing |= row.region.is_none();
            out.push(row);
        }
    }
    // Emptied, the chunks are still a walk over every slot to free: another thread's job,
    // which nothing needs to wait for.
    if n >= PREPARE_MIN {
        let _ = std::thread::Builder::new().spawn(move || drop(chunks));
    }
    if regions_missing {
        fill_regions(&mut out);
    }
    out
}

/// Writes to every page of `slots`, so that the kernel maps them now.
fn touch(slots: &mut [std::mem::MaybeUninit<Discovered>]) {
    let per_page = (4096 / std::mem::size_of::<Discovered>()).max(1);
    for slot in slots.iter_mut().step_by(per_page) {
        *slot = std::mem::MaybeUninit::zeroed();
    }
    std::hint::black_box(slots);
}

/// The rows to keep, in output order, each with its `primary`. Merges each duplicate into
/// the row kept for it (taking the duplicate out of its chunk).
fn decide(chunks: &mut [Chunk]) -> Vec<(Pos, bool)> {
    fn row(chunks: &[Chunk], p: Pos) -> &Discovered {
        let (c, i) = at(p);
        chunks[c].rows[i]
            .as_ref()
            .expect("a row is taken out only when it is merged, after it was compared")
    }
    let mut keys: Vec<(u128, Pos)> = Vec::with_capacity(chunks.iter().map(|c| c.rows.len()).sum());
    for (c, chunk) in chunks.iter().enumerate() {
        for (i, r) in chunk.rows.iter().enumerate() {
            if let Some(r) = r {
                keys.push((id_prefix(&r.id), pos(c, i)));
            }
        }
    }
    // By prefix, as plain numbers; then, where prefixes tie (the rows of one ID, or IDs
    // alike in their first 16 bytes), by the rows themselves.
    if !keys.is_sorted() {
        keys.sort_unstable();
    }
    {
        let chunks = &*chunks;
        let full = |a: &(u128, Pos), b: &(u128, Pos)| {
            let (x, y) = (row(chunks, a.1), row(chunks, b.1));
            (&x.id, x.cidr, x.kind, a.1).cmp(&(&y.id, y.cidr, y.kind, b.1))
        };
        for tie in keys.chunk_by_mut(|a, b| a.0 == b.0) {
            if tie.len() > 1 && !tie.is_sorted_by(|a, b| full(a, b).is_le()) {
                tie.sort_unstable_by(full);
            }
        }
    }
    // One ID's rows are now together, and within it one CIDR's, in reading order.
    let mut order: Vec<(Pos, bool)> = Vec::with_capacity(keys.len());
    let mut ids: Vec<Pos> = Vec::new();
    let mut primary: Vec<bool> = Vec::new();
    let mut run = 0;
    while run < keys.len() {
        let (prefix, first) = keys[run];
        let mut end = run + 1;
        while end < keys.len()
            && keys[end].0 == prefix
            && row(chunks, keys[end].1).id == row(chunks, first).id
        {
            end += 1;
        }
        ids.clear();
        ids.extend(keys[run..end].iter().map(|k| k.1));
        decide_primary(chunks, &ids, &mut primary);
        merge_run(chunks, &ids, &primary, &mut order);
        run = end;
    }
    drop(keys);
    // Files come whole and in path order, so sources are compared by rank, not by path.
    let mut sources: Vec<&str> = chunks.iter().map(|c| &*c.source).collect();
    sources.sort_unstable();
    sources.dedup();
    if sources.len() > 1 {
        let rank: Vec<usize> = chunks
            .iter()
            .map(|c| sources.binary_search(&&*c.source).unwrap_or(0))
            .collect();
        let rank_of = |&(p, _): &(Pos, bool)| rank[at(p).0];
        if !order.is_sorted_by_key(rank_of) {
            // Stable: within a source, the rows stay in ID, CIDR order.
            order.sort_by_key(rank_of);
        }
    }
    order
}

/// The first 16 bytes of an ID, zero-padded, as a number that orders like the ID (IDs hold
/// no NUL bytes; where one does, the full comparison behind this still decides).
fn id_prefix(id: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = id.len().min(16);
    bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

/// `primary` of each row of one ID (`ids`: sorted by CIDR, then reading order), into
/// `primary`. What the inventory says is kept. Where it does not say: when no row of the ID,
/// in any file, is said to be primary, the first IPv4 row read (files in path order, each in
/// reading order) is, or the first row when there is no IPv4 one; otherwise none is.
///
/// Decided over all files at once, never per file: a VPC whose blocks are split over two
/// files (two regions' exports, a listing cut in pages) must get the one primary it gets
/// when the same rows are in one file, or two blocks would each claim to identify it and
/// `import` would adopt another block.
fn decide_primary(chunks: &[Chunk], ids: &[Pos], primary: &mut Vec<bool>) {
    let said = |p: Pos| {
        let (c, i) = at(p);
        chunks[c].given.get(i).copied().flatten()
    };
    primary.clear();
    if let [only] = *ids {
        primary.push(said(only).unwrap_or(true));
        return;
    }
    if ids.iter().all(|&p| said(p).is_some()) || ids.iter().any(|&p| said(p) == Some(true)) {
        primary.extend(ids.iter().map(|&p| said(p).unwrap_or_default()));
        return;
    }
    // Positions order by file, then reading order: the first IPv4 row read, of those the
    // inventory said nothing about.
    let chosen = ids
        .iter()
        .filter(|&&p| said(p).is_none())
        .filter_map(|&p| {
            let (c, i) = at(p);
            let r = chunks[c].rows[i].as_ref()?;
            Some((r.cidr.family() != Family::V4, p))
        })
        .min()
        .map(|(_, p)| p);
    primary.extend(
        ids.iter()
            .map(|&p| said(p).unwrap_or_else(|| Some(p) == chosen)),
    );
}

/// Merges the rows of one ID that are the same resource CIDR into the first read; the
/// survivors go to `order`, each primary when any of its readings is.
fn merge_run(chunks: &mut [Chunk], ids: &[Pos], primary: &[bool], order: &mut Vec<(Pos, bool)>) {
    let [single] = *ids else {
        let mut kept: Option<Pos> = None;
        for (&p, &is_primary) in ids.iter().zip(primary) {
            if let Some(k) = kept
                && let Some(later) = take_if_same(chunks, k, p)
            {
                let (c, i) = at(k);
                if let Some(first) = &mut chunks[c].rows[i] {
                    merge(first, later);
                }
                if let Some(last) = order.last_mut() {
                    last.1 |= is_primary;
                }
                continue;
            }
            kept = Some(p);
            order.push((p, is_primary));
        }
        return;
    };
    order.push((single, primary[0]));
}

/// Takes the row at `later` out when it is the same resource CIDR as the one at `first`.
fn take_if_same(chunks: &mut [Chunk], first: Pos, later: Pos) -> Option<Discovered> {
    let get = |chunks: &[Chunk], p: Pos| {
        let (c, i) = at(p);
        chunks[c].rows[i].as_ref().map(|r| (r.cidr, r.kind))
    };
    if get(chunks, first)? != get(chunks, later)? {
        return None;
    }
    let (c, i) = at(later);
    chunks[c].rows[i].take()
}

type IdMap<K, V> = HashMap<K, V, FastHash>;

fn id_map<K, V>(capacity: usize) -> IdMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, Default::default())
}

/// Fills what `into` lacks from `from`, a later reading of the same resource CIDR.
fn merge(into: &mut Discovered, from: Discovered) {
    fn fill(a: &mut Option<Arc<str>>, b: Option<Arc<str>>) {
        if a.is_none() {
            *a = b;
        }
    }
    fill(&mut into.region, from.region);
    fill(&mut into.account, from.account);
    fill(&mut into.vpc_id, from.vpc_id);
    fill(&mut into.zone, from.zone);
    fill(&mut into.name, from.name);
    if into.used.is_none() && into.total.is_none() {
        into.used = from.used;
        into.total = from.total;
    }
    into.tags.fill_from(&from.tags);
}

/// A network and its subnets are in one region: each lends it to the others that lack it
/// (a global network neither lends nor borrows).
fn fill_regions(rows: &mut [Discovered]) {
    fn network_of(r: &Discovered) -> Option<&str> {
        r.kind.network_of(&r.id, r.vpc_id.as_deref())
    }
    // Network ID → the first row (in output order) that knows its region.
    let mut by_network: IdMap<&str, usize> = id_map(rows.len() / 4);
    for (i, r) in rows.iter().enumerate() {
        if let (Some(network), Some(_), true) = (network_of(r), &r.region, r.kind.is_regional()) {
            by_network.entry(network).or_insert(i);
        }
    }
    let lends: Vec<(usize, usize)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.region.is_none() && r.kind.is_regional())
        .filter_map(|(i, r)| Some((i, *by_network.get(network_of(r)?)?)))
        .collect();
    for (to, from) in lends {
        rows[to].region = rows[from].region.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Kind, Tags};
    use super::*;

    /// [`normalize`] of rows in reading order, one chunk per run of one source.
    fn normalize_rows(rows: Vec<Discovered>, given: &[Option<bool>]) -> Vec<Discovered> {
        let mut chunks: Vec<Chunk> = Vec::new();
        for (r, g) in rows.into_iter().zip(given) {
            match chunks.last_mut() {
                Some(c) if c.source == r.source => {
                    c.rows.push(Some(r));
                    c.given.push(*g);
                }
                _ => chunks.push(Chunk::new(r.source.clone(), vec![r], vec![*g])),
            }
        }
        normalize(chunks)
    }

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
            tags: Tags::default(),
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
        let out = normalize_rows(
            vec![a, b, c, d],
            &[Some(false), Some(true), Some(false), Some(true)],
        );
        let got: Vec<_> = out
            .iter()
            .map(|r| (&*r.source, &*r.id, r.cidr.to_string()))
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
        let out = normalize_rows(vec![vpc, subnet, other], &[Some(true); 3]);
        assert_eq!(out[0].region.as_deref(), Some("cn-hangzhou"));
        assert_eq!(out[2].region, None);
    }

    #[test]
    fn primary_is_decided_per_id_across_files_unless_written() {
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
            row("vpc-5", "10.9.0.0/16", "a"),
            row("vpc-5", "10.8.0.0/16", "b"),
            row("vpc-6", "10.11.0.0/16", "a"),
            row("vpc-6", "10.10.0.0/16", "b"),
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
            None,
            None,
            Some(true),
            None,
        ];
        let out = normalize_rows(rows, &given);
        let got: Vec<(&str, String, bool)> = out
            .iter()
            .map(|r| (&*r.source, r.cidr.to_string(), r.primary))
            .collect();
        let want = [
            // The first IPv4 block read, not the first block nor the lowest.
            ("a", "10.0.0.0/16", false),
            ("a", "10.1.0.0/16", true),
            ("a", "2600::/56", false),
            ("a", "2600:1::/56", true),
            ("a", "10.3.0.0/16", false),
            ("a", "10.4.0.0/16", true),
            // File a said vpc-4's block is not primary; of the rest, the first read is.
            ("a", "10.7.0.0/16", false),
            ("a", "10.9.0.0/16", true),
            ("a", "10.11.0.0/16", true),
            ("b", "10.5.0.0/16", false),
            ("b", "10.6.0.0/16", true),
            // One primary per VPC over both files: the first block read (file a's) ...
            ("b", "10.8.0.0/16", false),
            // ... or the one a file says is.
            ("b", "10.10.0.0/16", false),
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
