//! What each row overlaps (see the audit's module documentation, "Overlap partners"),
//! computed on overlap groups rather than pairs: thousands of rows on one CIDR (every
//! account's default VPC on 172.31.0.0/16) would make billions of pairs, while here memory
//! stays linear in rows and time n log n plus what is listed.
//!
//! In one scope and family, CIDRs either nest or are disjoint, so they form a tree of the
//! distinct CIDRs (nodes), each node holding its rows and recorded allocations (items). A
//! row overlaps exactly the items of its node, of the nodes above it and of the nodes below
//! it. One walk down the tree keeps, per name, how many items on the current path carry it;
//! a node's subtree is the stretch of nodes after it in address order. Each row's count is
//! then the distinct names of its path and subtree less the names it must not be said to
//! overlap, found by class (a network's own subnets, a prefix's fellow prefixes) and by a
//! handful of names (its own, its network's, its reservation's); and only the first
//! [`LISTED`] names, in order, are gathered.

use std::ops::Range;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::hold::Partner;
use crate::addr::{Family, Prefix};
use crate::audit::inventory::{Discovered, Kind};

/// How many names a row's `overlaps_with` lists; the rest are counted.
pub const LISTED: usize = 10;

/// What one row overlaps: the first [`LISTED`] names, sorted, and how many more there are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Found {
    pub(super) names: Vec<Arc<str>>,
    pub(super) more: usize,
}

/// What the overlaps of an audit are computed from.
pub(super) struct Input<'i, 'b> {
    pub(super) rows: &'i [Discovered],
    pub(super) ignored: &'i [bool],
    /// Per row, the index of its scope.
    pub(super) scope: &'i [u16],
    pub(super) scopes: usize,
    pub(super) partners: &'i [Partner<'b>],
    /// Per row, the address of the reservation that holds it (`reservation.NAME`).
    pub(super) reservation: &'i [Option<String>],
}

const NONE: u32 = u32::MAX;

/// A row or a recorded allocation, in a group.
#[derive(Clone, Copy)]
struct Item {
    start: u128,
    /// The last address.
    last: u128,
    len: u8,
    name: u32,
    /// The row, or [`NONE`] for a recorded allocation.
    row: u32,
}

/// Names by number: each distinct row ID and allocation address once.
struct Names<'i> {
    ids: FxHashMap<&'i str, u32>,
    text: Vec<&'i str>,
    /// Where the name's text can be had as an `Arc`: a row, or (high bit set) a partner;
    /// [`NONE`] for a network named only by its subnets, which is never listed.
    source: Vec<u32>,
}

const PARTNER: u32 = 1 << 31;

impl<'i> Names<'i> {
    fn intern(&mut self, text: &'i str, source: u32) -> u32 {
        *self.ids.entry(text).or_insert_with(|| {
            self.text.push(text);
            self.source.push(source);
            (self.text.len() - 1) as u32
        })
    }

    fn get(&self, text: &str) -> Option<u32> {
        self.ids.get(text).copied()
    }
}

/// A list per name (compressed: `offsets[n]..offsets[n + 1]` of `values`).
struct PerName {
    offsets: Vec<u32>,
    values: Vec<u32>,
}

impl PerName {
    fn new(names: usize, mut pairs: Vec<(u32, u32)>) -> PerName {
        pairs.sort_unstable();
        pairs.dedup();
        let mut offsets = vec![0u32; names + 1];
        for &(n, _) in &pairs {
            offsets[n as usize + 1] += 1;
        }
        for i in 0..names {
            offsets[i + 1] += offsets[i];
        }
        PerName {
            offsets,
            values: pairs.into_iter().map(|(_, v)| v).collect(),
        }
    }

    fn of(&self, name: u32) -> &[u32] {
        let n = name as usize;
        &self.values[self.offsets[n] as usize..self.offsets[n + 1] as usize]
    }
}

/// The walk's state: per name, how many items on the path carry it, and what follows.
struct Path {
    count: Vec<u32>,
    /// Per network name, the distinct names on the path that are its subnets.
    children: Vec<u32>,
    distinct: usize,
    prefixes: usize,
}

/// What a row of each kind must not be said to overlap, by class.
struct Classes {
    /// Per name, the networks (by name) that subnet rows of that name belong to.
    networks: PerName,
    /// Per network name, the recorded VPC blocks (by name) held by that network.
    bound: PerName,
    prefix: Vec<bool>,
}

/// For every row that overlaps anything, by row index, what it overlaps.
pub(super) fn overlaps(input: &Input) -> Vec<(usize, Found)> {
    let rows = input.rows;
    let mut names = Names {
        ids: FxHashMap::default(),
        text: Vec::new(),
        source: Vec::new(),
    };
    let mut groups: Vec<Vec<Item>> = vec![Vec::new(); input.scopes * 2];
    let group = |scope: u16, cidr: Prefix| {
        usize::from(scope) * 2 + usize::from(cidr.family() == Family::V6)
    };
    for (i, row) in rows.iter().enumerate() {
        if input.ignored[i] {
            continue;
        }
        let name = names.intern(&row.id, i as u32);
        groups[group(input.scope[i], row.cidr)].push(Item {
            start: row.cidr.start(),
            last: row.cidr.end(),
            len: row.cidr.prefix_len(),
            name,
            row: i as u32,
        });
    }
    for (p, partner) in input.partners.iter().enumerate() {
        let g = group(partner.scope, partner.cidr);
        // Partners only matter where there are rows.
        if !groups[g].is_empty() {
            let name = names.intern(&partner.name, p as u32 | PARTNER);
            groups[g].push(Item {
                start: partner.cidr.start(),
                last: partner.cidr.end(),
                len: partner.cidr.prefix_len(),
                name,
                row: NONE,
            });
        }
    }
    // Networks that subnets and recorded VPC blocks name, which may have no row themselves.
    for (i, row) in rows.iter().enumerate() {
        if !input.ignored[i]
            && row.kind.is_subnet()
            && let Some(v) = row.vpc_id.as_deref()
        {
            names.intern(v, NONE);
        }
    }
    for p in input.partners {
        if let Some(v) = p.vpc_id {
            names.intern(v, NONE);
        }
    }
    let n = names.text.len();
    let mut networks = Vec::new();
    let mut prefix = vec![false; n];
    for (i, row) in rows.iter().enumerate() {
        if input.ignored[i] {
            continue;
        }
        let Some(name) = names.get(&row.id) else {
            continue;
        };
        if row.kind.is_subnet()
            && let Some(v) = row.vpc_id.as_deref().and_then(|v| names.get(v))
        {
            networks.push((name, v));
        }
        prefix[name as usize] |= row.kind == Kind::Prefix;
    }
    let bound = input
        .partners
        .iter()
        .filter_map(|p| Some((names.get(p.vpc_id?)?, names.get(&p.name)?)))
        .collect();
    let classes = Classes {
        networks: PerName::new(n, networks),
        bound: PerName::new(n, bound),
        prefix,
    };
    let mut path = Path {
        count: vec![0; n],
        children: vec![0; n],
        distinct: 0,
        prefixes: 0,
    };
    let mut found = Vec::new();
    let mut scratch = Scratch {
        below: Vec::new(),
        children: vec![0; n],
        touched: Vec::new(),
    };
    let walk = Walk {
        names: &names,
        classes: &classes,
        input,
    };
    for items in &mut groups {
        walk.group(items, &mut path, &mut scratch, &mut found);
    }
    found.sort_unstable_by_key(|(row, _)| *row);
    found
        .into_iter()
        .map(|(row, f)| {
            // Listed names are names of items: each has a row or a partner.
            let names = f
                .names
                .into_iter()
                .filter_map(|n| match names.source[n as usize] {
                    NONE => None,
                    p if p & PARTNER != 0 => input
                        .partners
                        .get((p & !PARTNER) as usize)
                        .map(|p| p.name.clone()),
                    r => rows.get(r as usize).map(|r| r.id.clone()),
                })
                .collect();
            (
                row,
                Found {
                    names,
                    more: f.more,
                },
            )
        })
        .collect()
}

/// A distinct CIDR of a group: its items, its names and the nodes below it.
struct Node {
    items: Range<usize>,
    /// Its distinct names, in text order, in the names arena.
    names: Range<usize>,
    /// One past the last node below it.
    end: usize,
    /// Its last address.
    last: u128,
}

/// What a row overlaps, by name number.
struct Raw {
    names: Vec<u32>,
    more: usize,
}

/// What stays the same over the walk of every group.
struct Walk<'w, 'i, 'b> {
    names: &'w Names<'i>,
    classes: &'w Classes,
    input: &'w Input<'i, 'b>,
}

/// One group's tree: its items sorted, its nodes, their names.
struct Tree<'t> {
    items: &'t [Item],
    nodes: Vec<Node>,
    arena: Vec<u32>,
}

impl Tree<'_> {
    fn names(&self, node: usize) -> &[u32] {
        &self.arena[self.nodes[node].names.clone()]
    }
}

impl Walk<'_, '_, '_> {
    fn text(&self, n: u32) -> &str {
        self.names.text[n as usize]
    }

    /// The nodes of a group, each with its distinct names in text order and the end of its
    /// subtree.
    fn tree<'t>(&self, items: &'t mut [Item]) -> Tree<'t> {
        items.sort_unstable_by_key(|it| (it.start, it.len, it.name));
        let mut nodes: Vec<Node> = Vec::new();
        let mut arena: Vec<u32> = Vec::with_capacity(items.len());
        let mut at = 0;
        while at < items.len() {
            let (start, len) = (items[at].start, items[at].len);
            let end = at
                + items[at..]
                    .iter()
                    .take_while(|it| it.start == start && it.len == len)
                    .count();
            let first = arena.len();
            arena.extend(items[at..end].iter().map(|it| it.name));
            arena[first..].sort_unstable();
            let mut kept = first;
            for i in first..arena.len() {
                if i == first || arena[i] != arena[kept - 1] {
                    arena[kept] = arena[i];
                    kept += 1;
                }
            }
            arena.truncate(kept);
            arena[first..].sort_unstable_by(|&a, &b| self.text(a).cmp(self.text(b)));
            nodes.push(Node {
                items: at..end,
                names: first..kept,
                end: 0,
                last: items[at].last,
            });
            at = end;
        }
        let mut stack: Vec<usize> = Vec::new();
        for i in 0..nodes.len() {
            let start = items[nodes[i].items.start].start;
            while let Some(&top) = stack.last()
                && nodes[top].last < start
            {
                nodes[top].end = i;
                stack.pop();
            }
            stack.push(i);
        }
        for top in stack {
            nodes[top].end = nodes.len();
        }
        Tree {
            items,
            nodes,
            arena,
        }
    }

    /// Walks the tree of one group, adding what each of its rows overlaps to `found`.
    fn group(
        &self,
        items: &mut [Item],
        path: &mut Path,
        scratch: &mut Scratch,
        found: &mut Vec<(usize, Raw)>,
    ) {
        if items.is_empty() {
            return;
        }
        let tree = self.tree(items);
        let mut stack: Vec<usize> = Vec::new();
        for i in 0..tree.nodes.len() {
            let start = tree.items[tree.nodes[i].items.start].start;
            while let Some(&top) = stack.last()
                && tree.nodes[top].last < start
            {
                self.step(tree.names(top), path, false);
                stack.pop();
            }
            self.step(tree.names(i), path, true);
            stack.push(i);
            let node = &tree.nodes[i];
            if tree.items[node.items.clone()]
                .iter()
                .any(|it| it.row != NONE)
            {
                self.visit(&tree, i, &stack, path, scratch, found);
            }
        }
        for top in stack.into_iter().rev() {
            self.step(tree.names(top), path, false);
        }
    }

    /// A node's names join the path (`enter`) or leave it.
    fn step(&self, names: &[u32], path: &mut Path, enter: bool) {
        for &n in names {
            let count = &mut path.count[n as usize];
            let changed = if enter {
                *count += 1;
                *count == 1
            } else {
                *count -= 1;
                *count == 0
            };
            if !changed {
                continue;
            }
            let add = |x: &mut usize| {
                if enter {
                    *x += 1;
                } else {
                    *x -= 1;
                }
            };
            add(&mut path.distinct);
            if self.classes.prefix[n as usize] {
                add(&mut path.prefixes);
            }
            for &v in self.classes.networks.of(n) {
                let c = &mut path.children[v as usize];
                if enter {
                    *c += 1;
                } else {
                    *c -= 1;
                }
            }
        }
    }

    /// What each row of node `i` overlaps.
    fn visit(
        &self,
        tree: &Tree,
        i: usize,
        stack: &[usize],
        path: &Path,
        scratch: &mut Scratch,
        found: &mut Vec<(usize, Raw)>,
    ) {
        let node = &tree.nodes[i];
        // The names below the node that are not on the path, by number.
        scratch.below.clear();
        for below in &tree.nodes[i + 1..node.end] {
            scratch.below.extend(
                tree.arena[below.names.clone()]
                    .iter()
                    .filter(|&&n| path.count[n as usize] == 0),
            );
        }
        scratch.below.sort_unstable();
        scratch.below.dedup();
        let below = &scratch.below;
        let total = path.distinct + below.len();
        let below_prefixes = below
            .iter()
            .filter(|&&n| self.classes.prefix[n as usize])
            .count();
        for &n in below {
            for &v in self.classes.networks.of(n) {
                let c = &mut scratch.children[v as usize];
                if *c == 0 {
                    scratch.touched.push(v);
                }
                *c += 1;
            }
        }
        let in_union = |n: u32| path.count[n as usize] > 0 || below.binary_search(&n).is_ok();
        let mut in_text_order: Option<Vec<u32>> = None;
        for item in &tree.items[node.items.clone()] {
            if item.row == NONE {
                continue;
            }
            let row = &self.input.rows[item.row as usize];
            let own = item.name;
            // The few names the row must not be said to overlap, by name.
            let mut except: Vec<u32> = vec![own];
            if row.kind.is_subnet()
                && let Some(v) = row.vpc_id.as_deref().and_then(|v| self.names.get(v))
            {
                except.push(v);
                except.extend_from_slice(self.classes.bound.of(v));
            }
            if let Some(r) = self.input.reservation[item.row as usize].as_deref()
                && let Some(r) = self.names.get(r)
            {
                except.push(r);
            }
            except.sort_unstable();
            except.dedup();
            except.retain(|&n| in_union(n));
            // And by class.
            let network = row.kind.is_network();
            let prefix = row.kind == Kind::Prefix;
            let in_class = |n: u32| {
                (network && self.classes.networks.of(n).contains(&own))
                    || (prefix && self.classes.prefix[n as usize])
            };
            let class = if network {
                path.children[own as usize] as usize + scratch.children[own as usize] as usize
            } else if prefix {
                path.prefixes + below_prefixes
            } else {
                0
            };
            let excluded = except.len() + class - except.iter().filter(|&&n| in_class(n)).count();
            let count = total - excluded;
            if count == 0 {
                continue;
            }
            let below_text = in_text_order.get_or_insert_with(|| {
                let mut sorted = below.clone();
                sorted.sort_unstable_by(|&a, &b| self.text(a).cmp(self.text(b)));
                sorted
            });
            let mut lists: Vec<&[u32]> = stack.iter().map(|&s| tree.names(s)).collect();
            lists.push(below_text);
            let names = self.first(&mut lists, |n| except.contains(&n) || in_class(n));
            found.push((
                item.row as usize,
                Raw {
                    more: count - names.len(),
                    names,
                },
            ));
        }
        for v in scratch.touched.drain(..) {
            scratch.children[v as usize] = 0;
        }
    }

    /// The first [`LISTED`] names of the lists (each in text order) together, each once,
    /// leaving out those `skip` says.
    fn first(&self, lists: &mut [&[u32]], skip: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        let mut last: Option<u32> = None;
        while out.len() < LISTED {
            let Some(at) = (0..lists.len())
                .filter(|&l| !lists[l].is_empty())
                .min_by(|&a, &b| self.text(lists[a][0]).cmp(self.text(lists[b][0])))
            else {
                break;
            };
            let n = lists[at][0];
            lists[at] = &lists[at][1..];
            if last == Some(n) {
                continue;
            }
            last = Some(n);
            if !skip(n) {
                out.push(n);
            }
        }
        out
    }
}

/// Buffers reused from node to node.
struct Scratch {
    below: Vec<u32>,
    /// Per network name, its subnets among `below`; `touched` lists the ones to reset.
    children: Vec<u32>,
    touched: Vec<u32>,
}

#[cfg(test)]
mod tests;
