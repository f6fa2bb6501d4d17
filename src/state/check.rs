//! The invariants every recorded state keeps (SPEC §3 rule 4, §5): apply re-checks the
//! state it is about to write with these, and the tests run them over every state produced.
//!
//! - every reference resolves: a pool's parent and scope, a block's pool;
//! - a sub-pool has its parent's scope and IP version, a block its pool's IP version;
//! - top-level pools of one scope do not overlap;
//! - everything taken from a pool (sub-pools, VPC blocks, reservations) lies inside the
//!   pool's CIDRs and overlaps nothing else taken from it; subnets likewise in their VPC;
//! - VPC blocks and reservations satisfy their pool's netmask rules.
//!
//! O(n log n) over the whole state: one allocator build per pool and per VPC.

use std::collections::BTreeMap;

use super::{PoolRecord, Records};
use crate::addr::{AllocError, Allocator, Family, Prefix};
use crate::model::AddressRef;

/// Every broken invariant, in a stable order; empty when the state is sound.
pub fn check(records: &Records) -> Vec<String> {
    let mut problems = Vec::new();
    // What each pool hands out, with who holds it.
    let mut taken: BTreeMap<&str, Vec<(Prefix, AddressRef)>> = BTreeMap::new();
    let mut top: BTreeMap<&str, Vec<(Prefix, AddressRef)>> = BTreeMap::new();
    for (name, pool) in &records.pools {
        let family = family_of(pool.ip_version);
        if family.is_none() {
            problems.push(format!("pool.{name} has IP version {}", pool.ip_version));
        }
        for c in &pool.cidrs {
            if Some(c.family()) != family {
                problems.push(format!("pool.{name}'s {c} is not IPv{}", pool.ip_version));
            }
        }
        let holder = AddressRef::Pool(name);
        match &pool.parent {
            None => {
                if pool.scope != "private"
                    && pool.scope != "public"
                    && !records.scopes.contains_key(&pool.scope)
                {
                    problems.push(format!("{holder}'s scope `{}` is not recorded", pool.scope));
                }
                let entry = top.entry(pool.scope.as_str()).or_default();
                entry.extend(pool.cidrs.iter().map(|c| (*c, holder)));
            }
            Some(parent) => match records.pools.get(parent) {
                None => problems.push(format!("{holder}'s parent pool.{parent} is not recorded")),
                Some(p) => {
                    if p.scope != pool.scope || p.ip_version != pool.ip_version {
                        problems.push(format!(
                            "{holder} is not in its parent pool.{parent}'s scope and IP version"
                        ));
                    }
                    let entry = taken.entry(parent.as_str()).or_default();
                    entry.extend(pool.cidrs.iter().map(|c| (*c, holder)));
                }
            },
        }
    }
    // Blocks taken from pools: (pool, cidr, holder).
    let mut blocks: Vec<(&str, Prefix, AddressRef)> = Vec::new();
    for (name, vpc) in &records.vpcs {
        for (pool, cidr) in vpc.blocks() {
            blocks.push((pool, cidr, AddressRef::Vpc(name)));
        }
        let subnets = vpc
            .subnets
            .iter()
            .map(|(s, r)| (r.cidr, AddressRef::Subnet(name, s)))
            .collect();
        check_space(&mut problems, AddressRef::Vpc(name), &[vpc.cidr], subnets);
    }
    for (name, r) in &records.reservations {
        blocks.push((&r.pool, r.cidr, AddressRef::Reservation(name)));
    }
    for (pool, cidr, holder) in blocks {
        match records.pools.get(pool) {
            None => problems.push(format!("{holder}'s pool.{pool} is not recorded")),
            Some(p) => {
                if let Some(why) = outside_rules(p, cidr) {
                    problems.push(format!("{holder}'s {cidr} is {why} of pool.{pool}"));
                }
                taken.entry(pool).or_default().push((cidr, holder));
            }
        }
    }
    for (scope, cidrs) in top {
        check_disjoint(&mut problems, scope, cidrs);
    }
    for (name, pool) in &records.pools {
        let children = taken.remove(name.as_str()).unwrap_or_default();
        check_space(&mut problems, AddressRef::Pool(name), &pool.cidrs, children);
    }
    problems
}

/// Why a block breaks its pool's netmask rules, if it does.
fn outside_rules(pool: &PoolRecord, cidr: Prefix) -> Option<&'static str> {
    let len = cidr.prefix_len();
    if pool.min_netmask.is_some_and(|m| len < m) {
        Some("larger than the min_netmask")
    } else if pool.max_netmask.is_some_and(|m| len > m) {
        Some("smaller than the max_netmask")
    } else {
        None
    }
}

fn family_of(ip_version: u8) -> Option<Family> {
    match ip_version {
        4 => Some(Family::V4),
        6 => Some(Family::V6),
        _ => None,
    }
}

/// Children inside `roots`, disjoint.
fn check_space(
    problems: &mut Vec<String>,
    owner: AddressRef,
    roots: &[Prefix],
    mut children: Vec<(Prefix, AddressRef)>,
) {
    let Some(family) = roots.first().map(|r| r.family()) else {
        if let Some((c, holder)) = children.first() {
            problems.push(format!("{holder}'s {c} is in {owner}, which has no CIDRs"));
        }
        return;
    };
    children.sort();
    let holder = |cidr: &Prefix| {
        children
            .iter()
            .find(|(c, _)| c == cidr)
            .map_or_else(|| cidr.to_string(), |(c, h)| format!("{h}'s {c}"))
    };
    if let Err(e) = Allocator::build(family, roots.iter().copied(), children.iter().map(|c| c.0)) {
        problems.push(match e {
            AllocError::Taken { cidr, other } => {
                format!("in {owner}, {} overlaps {}", holder(&cidr), holder(&other))
            }
            AllocError::OutsidePool { cidr } => format!("{} is outside {owner}", holder(&cidr)),
            AllocError::FamilyMismatch { cidr, .. } => {
                format!("{} is not of {owner}'s IP version", holder(&cidr))
            }
            other => format!("{owner}: {other}"),
        });
    }
}

/// Blocks of one scope's top-level pools, disjoint.
fn check_disjoint(problems: &mut Vec<String>, scope: &str, mut cidrs: Vec<(Prefix, AddressRef)>) {
    let owner = format!("scope.{scope}");
    cidrs.sort();
    for family in [Family::V4, Family::V6] {
        let mut last: Option<&(Prefix, AddressRef)> = None;
        for item in cidrs.iter().filter(|(c, _)| c.family() == family) {
            if let Some(prev) = last {
                if prev.0.overlaps(&item.0) {
                    problems.push(format!(
                        "in {owner}, {}'s {} overlaps {}'s {}",
                        item.1, item.0, prev.1, prev.0
                    ));
                }
                if prev.0.end() >= item.0.end() {
                    continue;
                }
            }
            last = Some(item);
        }
    }
}
