//! The invariants every recorded state keeps (SPEC §3 rule 4, §5): apply re-checks the
//! state it is about to write with these, and the tests run them over every state produced.
//!
//! - every reference resolves: a pool's parent and scope, a block's pool;
//! - a sub-pool has its parent's scope and IP version, a block its pool's IP version;
//! - top-level pools of one scope do not overlap;
//! - everything taken from a pool (sub-pools, VPC blocks, reservations, slots held for
//!   growth) lies inside the pool's CIDRs and overlaps nothing else taken from it; subnets
//!   likewise in their VPC;
//! - VPC blocks and reservations satisfy their pool's netmask rules.
//!
//! O(n log n) over the whole state: one allocator build per pool and per VPC.

use std::collections::BTreeMap;
use std::fmt;

use super::{PoolRecord, Records};
use crate::addr::{AllocError, Allocator, Family, Prefix};
use crate::model::{Address, AddressRef};

/// One broken invariant: what is wrong, the resources and the CIDRs involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The state's lineage is empty (the state as a whole, not its records).
    EmptyLineage,
    /// The serial is 0: the first write is serial 1.
    ZeroSerial,
    /// The serial is the largest there is: the state cannot be written again.
    LastSerial,
    /// A pool's IP version is neither 4 nor 6.
    IpVersion { pool: String, version: u8 },
    /// A pool's CIDR is not of the pool's IP version.
    CidrFamily {
        pool: String,
        cidr: Prefix,
        version: u8,
    },
    /// A top-level pool's scope is not recorded.
    UnknownScope { pool: String, scope: String },
    /// A sub-pool's parent is not recorded.
    UnknownParent { pool: String, parent: String },
    /// A sub-pool is not in its parent's scope and IP version.
    ParentMismatch { pool: String, parent: String },
    /// A block's pool is not recorded.
    UnknownPool { holder: Address, pool: String },
    /// A block breaks its pool's netmask rules (`why`: "larger than the min_netmask", …).
    Rules {
        holder: Address,
        cidr: Prefix,
        pool: String,
        why: &'static str,
    },
    /// Two blocks of one space overlap (a holder is `None` when no recorded block is exactly
    /// that CIDR).
    Overlap {
        space: Address,
        a: (Option<Address>, Prefix),
        b: (Option<Address>, Prefix),
    },
    /// A block lies outside the space it is taken from.
    Outside {
        space: Address,
        holder: (Option<Address>, Prefix),
    },
    /// A block is not of its space's IP version.
    Family {
        space: Address,
        holder: (Option<Address>, Prefix),
    },
    /// Blocks are taken from a space that has no CIDRs.
    Empty {
        space: Address,
        holder: (Address, Prefix),
    },
    /// Anything else the allocator refuses about a space.
    Space { space: Address, error: AllocError },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn held(h: &(Option<Address>, Prefix)) -> String {
            match &h.0 {
                Some(a) => format!("{a}'s {}", h.1),
                None => h.1.to_string(),
            }
        }
        match self {
            Violation::EmptyLineage => write!(f, "the lineage is empty"),
            Violation::ZeroSerial => write!(f, "the serial is 0 (the first write is serial 1)"),
            Violation::LastSerial => write!(
                f,
                "the serial is {}, the largest there is: it cannot be written again",
                u64::MAX
            ),
            Violation::IpVersion { pool, version } => {
                write!(f, "pool.{pool} has IP version {version}")
            }
            Violation::CidrFamily {
                pool,
                cidr,
                version,
            } => write!(f, "pool.{pool}'s {cidr} is not IPv{version}"),
            Violation::UnknownScope { pool, scope } => {
                write!(f, "pool.{pool}'s scope `{scope}` is not recorded")
            }
            Violation::UnknownParent { pool, parent } => {
                write!(f, "pool.{pool}'s parent pool.{parent} is not recorded")
            }
            Violation::ParentMismatch { pool, parent } => write!(
                f,
                "pool.{pool} is not in its parent pool.{parent}'s scope and IP version"
            ),
            Violation::UnknownPool { holder, pool } => {
                write!(f, "{holder}'s pool.{pool} is not recorded")
            }
            Violation::Rules {
                holder,
                cidr,
                pool,
                why,
            } => write!(f, "{holder}'s {cidr} is {why} of pool.{pool}"),
            Violation::Overlap { space, a, b } => {
                write!(f, "in {space}, {} overlaps {}", held(a), held(b))
            }
            Violation::Outside { space, holder } => {
                write!(f, "{} is outside {space}", held(holder))
            }
            Violation::Family { space, holder } => {
                write!(f, "{} is not of {space}'s IP version", held(holder))
            }
            Violation::Empty { space, holder } => write!(
                f,
                "{}'s {} is in {space}, which has no CIDRs",
                holder.0, holder.1
            ),
            Violation::Space { space, error } => write!(f, "{space}: {error}"),
        }
    }
}

/// An owned address for a violation (only broken states allocate one).
fn owned(a: AddressRef) -> Address {
    match a {
        AddressRef::Scope(n) => Address::Scope(n.into()),
        AddressRef::Pool(n) => Address::Pool(n.into()),
        AddressRef::Vpc(n) => Address::Vpc(n.into()),
        AddressRef::Subnet(v, s) => Address::Subnet(v.into(), s.into()),
        AddressRef::Reservation(n) => Address::Reservation(n.into()),
    }
}

/// Every broken invariant, in a stable order; empty when the state is sound.
pub fn check(records: &Records) -> Vec<Violation> {
    let mut problems = Vec::new();
    // What each pool hands out, with who holds it.
    let mut taken: BTreeMap<&str, Vec<(Prefix, AddressRef)>> = BTreeMap::new();
    let mut top: BTreeMap<&str, Vec<(Prefix, AddressRef)>> = BTreeMap::new();
    for (name, pool) in &records.pools {
        let family = family_of(pool.ip_version);
        if family.is_none() {
            problems.push(Violation::IpVersion {
                pool: name.clone(),
                version: pool.ip_version,
            });
        }
        for c in &pool.cidrs {
            if Some(c.family()) != family {
                problems.push(Violation::CidrFamily {
                    pool: name.clone(),
                    cidr: *c,
                    version: pool.ip_version,
                });
            }
        }
        let holder = AddressRef::Pool(name);
        match &pool.parent {
            None => {
                if pool.scope != "private"
                    && pool.scope != "public"
                    && !records.scopes.contains_key(&pool.scope)
                {
                    problems.push(Violation::UnknownScope {
                        pool: name.clone(),
                        scope: pool.scope.clone(),
                    });
                }
                let entry = top.entry(pool.scope.as_str()).or_default();
                entry.extend(pool.cidrs.iter().map(|c| (*c, holder)));
            }
            Some(parent) => match records.pools.get(parent) {
                None => problems.push(Violation::UnknownParent {
                    pool: name.clone(),
                    parent: parent.clone(),
                }),
                Some(p) => {
                    if p.scope != pool.scope || p.ip_version != pool.ip_version {
                        problems.push(Violation::ParentMismatch {
                            pool: name.clone(),
                            parent: parent.clone(),
                        });
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
            None => problems.push(Violation::UnknownPool {
                holder: owned(holder),
                pool: pool.to_string(),
            }),
            Some(p) => {
                if let Some(why) = outside_rules(p, cidr) {
                    problems.push(Violation::Rules {
                        holder: owned(holder),
                        cidr,
                        pool: pool.to_string(),
                        why,
                    });
                }
                taken.entry(pool).or_default().push((cidr, holder));
            }
        }
    }
    for (scope, cidrs) in top {
        check_disjoint(&mut problems, scope, cidrs);
    }
    for (name, pool) in &records.pools {
        let mut children = taken.remove(name.as_str()).unwrap_or_default();
        // Slots held for growth are taken too: nothing may be allocated there.
        children.extend(pool.held.iter().map(|c| (*c, AddressRef::Pool(name))));
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
    problems: &mut Vec<Violation>,
    owner: AddressRef,
    roots: &[Prefix],
    mut children: Vec<(Prefix, AddressRef)>,
) {
    let Some(family) = roots.first().map(|r| r.family()) else {
        if let Some((c, holder)) = children.first() {
            problems.push(Violation::Empty {
                space: owned(owner),
                holder: (owned(*holder), *c),
            });
        }
        return;
    };
    children.sort();
    let holder = |cidr: &Prefix| {
        let i = children.partition_point(|(c, _)| c < cidr);
        let who = children
            .get(i)
            .filter(|(c, _)| c == cidr)
            .map(|(_, h)| owned(*h));
        (who, *cidr)
    };
    if let Err(e) = Allocator::build(family, roots.iter().copied(), children.iter().map(|c| c.0)) {
        let space = owned(owner);
        problems.push(match e {
            // The same block twice: its first two holders.
            AllocError::Taken { cidr, other } if cidr == other => {
                let i = children.partition_point(|(c, _)| *c < cidr);
                let second = children
                    .get(i + 1)
                    .filter(|(c, _)| *c == cidr)
                    .map(|(_, h)| owned(*h));
                Violation::Overlap {
                    space,
                    a: holder(&cidr),
                    b: (second, cidr),
                }
            }
            AllocError::Taken { cidr, other } => Violation::Overlap {
                space,
                a: holder(&cidr),
                b: holder(&other),
            },
            AllocError::OutsidePool { cidr } => Violation::Outside {
                space,
                holder: holder(&cidr),
            },
            AllocError::FamilyMismatch { cidr, .. } => Violation::Family {
                space,
                holder: holder(&cidr),
            },
            error => Violation::Space { space, error },
        });
    }
}

/// Blocks of one scope's top-level pools, disjoint.
fn check_disjoint(
    problems: &mut Vec<Violation>,
    scope: &str,
    mut cidrs: Vec<(Prefix, AddressRef)>,
) {
    cidrs.sort();
    for family in [Family::V4, Family::V6] {
        let mut last: Option<&(Prefix, AddressRef)> = None;
        for item in cidrs.iter().filter(|(c, _)| c.family() == family) {
            if let Some(prev) = last {
                if prev.0.overlaps(&item.0) {
                    problems.push(Violation::Overlap {
                        space: Address::Scope(scope.to_string()),
                        a: (Some(owned(item.1)), item.0),
                        b: (Some(owned(prev.1)), prev.0),
                    });
                }
                if prev.0.end() >= item.0.end() {
                    continue;
                }
            }
            last = Some(item);
        }
    }
}
