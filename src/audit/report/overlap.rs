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

mod names;

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::Key;
use super::hold::Partner;
use crate::addr::{Family, Prefix};
use crate::audit::inventory::{Discovered, Kind};
use names::{Names, PerName};

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
    /// The rows a reservation holds, by row index, each with the reservation's address
    /// (`reservation.NAME`).
    pub(super) reservation: &'i [(usize, String)],
    /// The rows' keys in CIDR order (family, address, prefix length), as the report lists
    /// them: the rows need not be looked at again to be put in order.
    pub(super) keys: &'i [Key],
}

const NONE: u32 = u32::MAX;

/// In a name's source, the mark of a partner (a recorded allocation) rather than a row.
const PARTNER: u32 = 1 << 31;

/// A row or a recorded allocation, in a group.
#[derive(Clone, Copy)]
struct Item {
    start: u128,
    len: u8,
    /// Its name's rank.
    name: u32,
    /// The row, or [`NONE`] for a recorded allocation.
    row: u32,
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
    /// Per row, the rank of its `vpc_id` when that is a name ([`NONE`] otherwise).
    network_of_row: Vec<u32>,
    /// Per network ID (as subnets name it), the recorded VPC blocks it holds, by rank.
    bound: FxHashMap<String, Vec<u32>>,
    prefix: Vec<bool>,
}

/// For every row that overlaps anything, by row index, what it overlaps.
pub(super) fn overlaps(input: &Input) -> Vec<(usize, Found)> {
    let rows = input.rows;
    let names = Names::rank(input);
    let n = names.text.len();
    // The networks subnets name, by rank; consecutive rows mostly name the same one.
    let mut network_of_row = vec![NONE; rows.len()];
    let mut last: Option<(*const u8, u32)> = None;
    let mut hint = 0;
    let mut networks = Vec::new();
    let mut prefix = vec![false; n];
    for (i, row) in rows.iter().enumerate() {
        let name = names.of_row[i];
        if name == NONE {
            continue;
        }
        prefix[name as usize] |= row.kind == Kind::Prefix;
        let Some(vpc) = row.vpc_id.as_deref().filter(|_| row.kind.is_subnet()) else {
            continue;
        };
        let rank = match last {
            Some((ptr, rank)) if std::ptr::eq(ptr, vpc.as_ptr()) => rank,
            _ => names.get_after(hint, vpc).unwrap_or(NONE),
        };
        if rank != NONE {
            hint = rank;
        }
        last = Some((vpc.as_ptr(), rank));
        network_of_row[i] = rank;
        if rank != NONE {
            networks.push((name, rank));
        }
    }
    let mut bound: FxHashMap<String, Vec<u32>> = FxHashMap::default();
    for (p, partner) in input.partners.iter().enumerate() {
        if let Some(v) = partner.vpc_id {
            bound
                .entry(v.to_string())
                .or_default()
                .push(names.of_partner[p]);
        }
    }
    let classes = Classes {
        networks: PerName::new(n, networks),
        network_of_row,
        bound,
        prefix,
    };
    // The groups (a scope's IPv4 or IPv6 CIDRs), their rows in CIDR order, then the
    // recorded allocations merged in.
    let group = |scope: u16, cidr: Prefix| {
        usize::from(scope) * 2 + usize::from(cidr.family() == Family::V6)
    };
    let mut sizes = vec![0usize; input.scopes * 2];
    for (i, row) in rows.iter().enumerate() {
        if !input.ignored[i] {
            sizes[group(input.scope[i], row.cidr)] += 1;
        }
    }
    let mut groups: Vec<Vec<Item>> = sizes.iter().map(|&s| Vec::with_capacity(s)).collect();
    for &(family, start, len, _, i) in input.keys {
        let row = i as usize;
        if input.ignored[row] {
            continue;
        }
        let g = usize::from(input.scope[row]) * 2 + usize::from(family == 6);
        groups[g].push(Item {
            start,
            len,
            name: names.of_row[row],
            row: i,
        });
    }
    let mut partners: Vec<(usize, Item)> = input
        .partners
        .iter()
        .enumerate()
        .map(|(p, partner)| {
            let item = Item {
                start: partner.cidr.start(),
                len: partner.cidr.prefix_len(),
                name: names.of_partner[p],
                row: NONE,
            };
            (group(partner.scope, partner.cidr), item)
        })
        // Partners only matter where there are rows.
        .filter(|(g, _)| sizes[*g] > 0)
        .collect();
    partners.sort_by_key(|(g, it)| (*g, it.start, it.len));
    for chunk in partners.chunk_by(|a, b| a.0 == b.0) {
        let g = chunk[0].0;
        let rows_of_group = std::mem::take(&mut groups[g]);
        groups[g] = merge(rows_of_group, chunk.iter().map(|(_, it)| *it));
    }
    let mut path = Path {
        count: vec![0; n],
        children: vec![0; n],
        distinct: 0,
        prefixes: 0,
    };
    let mut found = Vec::new();
    let mut scratch = Scratch {
        below: Vec::new(),
        except: Vec::new(),
        children: vec![0; n],
        touched: Vec::new(),
    };
    let walk = Walk {
        classes: &classes,
        input,
        names: &names,
    };
    for (g, items) in groups.iter().enumerate() {
        let bits = if g % 2 == 0 { 32 } else { 128 };
        walk.group(items, bits, &mut path, &mut scratch, &mut found);
    }
    found.sort_unstable_by_key(|(row, _)| *row);
    found
        .into_iter()
        .map(|(row, f): (usize, Raw)| {
            let names = f.names.into_iter().map(|n| names.arc(n, input)).collect();
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

/// Two lists of items in CIDR order as one.
fn merge(rows: Vec<Item>, partners: impl Iterator<Item = Item>) -> Vec<Item> {
    let mut out = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    for p in partners {
        while let Some(r) = rows.next_if(|r| (r.start, r.len) <= (p.start, p.len)) {
            out.push(r);
        }
        out.push(p);
    }
    out.extend(rows);
    out
}

/// The last address of a block of `bits`-bit addresses.
fn last(start: u128, len: u8, bits: u32) -> u128 {
    let host = bits.saturating_sub(u32::from(len));
    match host {
        0 => start,
        128.. => u128::MAX,
        h => start | ((1u128 << h) - 1),
    }
}

/// A distinct CIDR of a group: where its items and its names start (each runs to the next
/// node's), and the nodes below it. Kept small: a million CIDRs are a million nodes.
#[derive(Clone, Copy)]
struct Node {
    item: u32,
    /// Its distinct names, in rank order, in the names arena.
    names: u32,
    /// One past the last node below it.
    end: u32,
}

/// What a row overlaps, by name number.
struct Raw {
    names: Vec<u32>,
    more: usize,
}

/// What stays the same over the walk of every group.
struct Walk<'w, 'i, 'b> {
    classes: &'w Classes,
    input: &'w Input<'i, 'b>,
    names: &'w Names<'i>,
}

/// One group's tree: its items sorted, its nodes (and one past the last, where the last
/// one's items and names end), their names.
struct Tree<'t> {
    items: &'t [Item],
    nodes: Vec<Node>,
    arena: Vec<u32>,
    /// Address bits: 32 or 128.
    bits: u32,
}

impl Tree<'_> {
    /// How many nodes there are.
    fn len(&self) -> usize {
        self.nodes.len() - 1
    }

    fn names(&self, node: usize) -> &[u32] {
        &self.arena[self.nodes[node].names as usize..self.nodes[node + 1].names as usize]
    }

    fn items(&self, node: usize) -> &[Item] {
        &self.items[self.nodes[node].item as usize..self.nodes[node + 1].item as usize]
    }

    fn start(&self, node: usize) -> u128 {
        self.items[self.nodes[node].item as usize].start
    }

    /// The node's last address.
    fn last(&self, node: usize) -> u128 {
        let first = &self.items[self.nodes[node].item as usize];
        last(first.start, first.len, self.bits)
    }

    /// One past the last node below it.
    fn end(&self, node: usize) -> usize {
        self.nodes[node].end as usize
    }
}

impl Walk<'_, '_, '_> {
    /// The nodes of a group (its items in CIDR order), each with its distinct names in text
    /// order and the end of its subtree.
    fn tree<'t>(&self, items: &'t [Item], bits: u32) -> Tree<'t> {
        let mut nodes: Vec<Node> = Vec::with_capacity(items.len() + 1);
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
            if end - at > 1 {
                arena[first..].sort_unstable();
                let mut kept = first + 1;
                for i in first + 1..arena.len() {
                    if arena[i] != arena[kept - 1] {
                        arena[kept] = arena[i];
                        kept += 1;
                    }
                }
                arena.truncate(kept);
            }
            nodes.push(Node {
                item: at as u32,
                names: first as u32,
                end: 0,
            });
            at = end;
        }
        nodes.push(Node {
            item: items.len() as u32,
            names: arena.len() as u32,
            end: 0,
        });
        let mut tree = Tree {
            items,
            nodes,
            arena,
            bits,
        };
        let mut stack: Vec<usize> = Vec::new();
        for i in 0..tree.len() {
            let start = tree.start(i);
            while let Some(&top) = stack.last()
                && tree.last(top) < start
            {
                tree.nodes[top].end = i as u32;
                stack.pop();
            }
            stack.push(i);
        }
        let n = tree.len() as u32;
        for top in stack {
            tree.nodes[top].end = n;
        }
        tree
    }

    /// Walks the tree of one group, adding what each of its rows overlaps to `found`.
    fn group(
        &self,
        items: &[Item],
        bits: u32,
        path: &mut Path,
        scratch: &mut Scratch,
        found: &mut Vec<(usize, Raw)>,
    ) {
        if items.is_empty() {
            return;
        }
        let tree = self.tree(items, bits);
        let mut stack: Vec<usize> = Vec::new();
        for i in 0..tree.len() {
            let start = tree.start(i);
            while let Some(&top) = stack.last()
                && tree.last(top) < start
            {
                self.step(tree.names(top), path, false);
                stack.pop();
            }
            self.step(tree.names(i), path, true);
            stack.push(i);
            if tree.items(i).iter().any(|it| it.row != NONE) {
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
        // The names below the node that are not on the path, by number.
        scratch.below.clear();
        let below_names = tree.nodes[i + 1].names as usize..tree.nodes[tree.end(i)].names as usize;
        scratch.below.extend(
            tree.arena[below_names]
                .iter()
                .filter(|&&n| path.count[n as usize] == 0),
        );
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
        for item in tree.items(i) {
            if item.row == NONE {
                continue;
            }
            let row = &self.input.rows[item.row as usize];
            let own = item.name;
            // The few names the row must not be said to overlap, by name.
            let except = &mut scratch.except;
            except.clear();
            except.push(own);
            if row.kind.is_subnet() {
                let v = self.classes.network_of_row[item.row as usize];
                if v != NONE {
                    except.push(v);
                }
                if !self.classes.bound.is_empty()
                    && let Some(held) = row
                        .vpc_id
                        .as_deref()
                        .and_then(|v| self.classes.bound.get(v))
                {
                    except.extend_from_slice(held);
                }
            }
            if !self.input.reservation.is_empty()
                && let Ok(at) = self
                    .input
                    .reservation
                    .binary_search_by_key(&(item.row as usize), |(row, _)| *row)
                && let Some(r) = self.names.get(&self.input.reservation[at].1)
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
            let mut lists: Vec<&[u32]> = stack.iter().map(|&s| tree.names(s)).collect();
            lists.push(below);
            let except = &*except;
            let names = Self::first(&mut lists, |n| except.contains(&n) || in_class(n));
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

    /// The first [`LISTED`] names of the lists (each in rank order, which is text order)
    /// together, each once, leaving out those `skip` says.
    fn first(lists: &mut [&[u32]], skip: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        let mut last: Option<u32> = None;
        while out.len() < LISTED {
            let Some(at) = (0..lists.len())
                .filter(|&l| !lists[l].is_empty())
                .min_by_key(|&l| lists[l][0])
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
    /// The names one row must not be said to overlap, by name.
    except: Vec<u32>,
    /// Per network name, its subnets among `below`; `touched` lists the ones to reset.
    children: Vec<u32>,
    touched: Vec<u32>,
}

#[cfg(test)]
mod tests;
