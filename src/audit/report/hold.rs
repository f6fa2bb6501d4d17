//! Which recorded allocation each row is, and which scope each row is audited in (see the
//! audit's module documentation, "Managed" and "Scopes").

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::Holder;
use crate::addr::{ContainerIndex, Family, Prefix};
use crate::audit::inventory::{Discovered, Kind};
use crate::model::AddressRef;
use crate::state::{PoolRecord, Records, VpcRecord};

/// A recorded CIDR a discovered row can be: a VPC block or a subnet.
#[derive(Debug, Clone)]
pub(super) struct Target<'a> {
    pub(super) cidr: Prefix,
    pub(super) kind: Kind,
    /// Index into the recorded VPCs.
    pub(super) vpc: usize,
    pub(super) holder: Holder<'a>,
}

/// The built-in scopes, first in every tie.
const PRIVATE: &str = "private";
const PUBLIC: &str = "public";

/// Every recorded VPC block and subnet, sorted by CIDR and kind (then address, so the
/// choice among identical recorded CIDRs is stable).
pub(super) fn targets<'a>(vpcs: &[(&'a str, &'a VpcRecord)]) -> Vec<Target<'a>> {
    let mut targets = Vec::new();
    for (i, &(name, v)) in vpcs.iter().enumerate() {
        for (pool, cidr) in v.blocks() {
            targets.push(Target {
                cidr,
                kind: Kind::Vpc,
                vpc: i,
                holder: Holder {
                    address: AddressRef::Vpc(name),
                    pool,
                },
            });
        }
        for (sname, s) in &v.subnets {
            let pool = v
                .blocks()
                .find(|(_, c)| c.contains(&s.cidr))
                .map_or(v.pool.as_str(), |(p, _)| p);
            targets.push(Target {
                cidr: s.cidr,
                kind: Kind::Subnet,
                vpc: i,
                holder: Holder {
                    address: AddressRef::Subnet(name, sname),
                    pool,
                },
            });
        }
    }
    targets.sort_by(|a, b| {
        (a.cidr, a.kind, a.holder.address).cmp(&(b.cidr, b.kind, b.holder.address))
    });
    targets
}

/// Which row holds which recorded CIDR (see the module documentation, "Managed").
pub(super) struct Holding {
    /// Per row, the target it holds.
    pub(super) held: Vec<Option<usize>>,
    /// Per target, whether a row holds it.
    pub(super) taken: Vec<bool>,
    /// Per recorded VPC, the discovered ID it is held by: its `resource_id`, else the ID of
    /// the first row that holds one of its blocks (a subnet row: its `vpc_id`).
    pub(super) bound: Vec<Option<String>>,
}

pub(super) fn hold(
    rows: &[Discovered],
    vpcs: &[(&str, &VpcRecord)],
    targets: &[Target],
) -> Holding {
    let mut first: FxHashMap<(Prefix, Kind), usize> = FxHashMap::default();
    for (i, t) in targets.iter().enumerate() {
        first.entry((t.cidr, t.kind)).or_insert(i);
    }
    let mut held = vec![None; rows.len()];
    let mut taken = vec![false; targets.len()];
    let mut bound: Vec<Option<String>> = vpcs.iter().map(|(_, v)| v.resource_id.clone()).collect();
    let mut order: Vec<usize> = (0..rows.len())
        .filter(|&i| first.contains_key(&(rows[i].cidr, rows[i].kind)))
        .collect();
    // VPCs before subnets (a subnet is held through its VPC's ID), each by ID.
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (&rows[a], &rows[b]);
        (a.kind, &*a.id, a.cidr).cmp(&(b.kind, &*b.id, b.cidr))
    });
    for i in order {
        let row = &rows[i];
        // The ID the target's VPC must be held by for this row to hold the target.
        let owner_id = row.kind.network_of(&row.id, row.vpc_id.as_deref());
        let start = first
            .get(&(row.cidr, row.kind))
            .copied()
            .unwrap_or(targets.len());
        let same = (start..targets.len())
            .take_while(|&t| targets[t].cidr == row.cidr && targets[t].kind == row.kind);
        let pick = same.into_iter().find(|&t| {
            !taken[t]
                && match (&bound[targets[t].vpc], owner_id) {
                    (None, _) => true,
                    (Some(b), Some(id)) => b == id,
                    (Some(_), None) => false,
                }
        });
        if let Some(t) = pick {
            taken[t] = true;
            held[i] = Some(t);
            let b = &mut bound[targets[t].vpc];
            if b.is_none() {
                *b = owner_id.map(str::to_string);
            }
        }
    }
    Holding { held, taken, bound }
}

/// Scopes by index: `private`, `public`, then the custom scopes by name. Which scope a
/// CIDR outside any held allocation is in: that of the narrowest recorded pool CIDR
/// containing it.
pub(super) struct Scopes<'a> {
    pub(super) names: Vec<&'a str>,
    /// Pool name → its scope.
    of_pool: FxHashMap<&'a str, u16>,
    /// Pool CIDRs → the first scope (in scope order) with a pool of that CIDR.
    of_cidr: ContainerIndex<u16>,
}

const PRIVATE_INDEX: u16 = 0;
const PUBLIC_INDEX: u16 = 1;

impl<'a> Scopes<'a> {
    pub(super) fn new(records: &'a Records) -> Scopes<'a> {
        let mut names: Vec<&'a str> = vec![PRIVATE, PUBLIC];
        names.extend(
            records
                .scopes
                .keys()
                .map(String::as_str)
                .filter(|s| *s != PRIVATE && *s != PUBLIC),
        );
        // A pool of a scope the state does not record (it never should) still gets one.
        let mut extra: Vec<&'a str> = records
            .pools
            .values()
            .map(|p| p.scope.as_str())
            .filter(|s| !names.contains(s))
            .collect();
        extra.sort_unstable();
        extra.dedup();
        names.extend(extra);
        let index = |scope: &str| names.iter().position(|n| *n == scope).unwrap_or(0) as u16;
        let mut pools: Vec<(&'a str, u16, &'a PoolRecord)> = records
            .pools
            .iter()
            .map(|(n, p)| (n.as_str(), index(&p.scope), p))
            .collect();
        pools.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
        Scopes {
            of_pool: pools.iter().map(|(n, s, _)| (*n, *s)).collect(),
            of_cidr: ContainerIndex::new(
                pools
                    .iter()
                    .flat_map(|(_, s, p)| p.cidrs.iter().map(move |c| (*c, *s))),
            ),
            names,
        }
    }

    pub(super) fn of_pool(&self, pool: &str) -> u16 {
        self.of_pool.get(pool).copied().unwrap_or(PRIVATE_INDEX)
    }

    pub(super) fn of_cidr(&self, cidr: Prefix) -> u16 {
        match self.of_cidr.narrowest(cidr) {
            Some((_, scope)) => *scope,
            None if cidr.family() == Family::V6 && !is_unique_local(cidr) => PUBLIC_INDEX,
            None => PRIVATE_INDEX,
        }
    }
}

/// `fc00::/7`, IPv6's private addresses.
fn is_unique_local(cidr: Prefix) -> bool {
    cidr.start() >> 121 == 0xfc >> 1
}

/// The scope of every row (see the module documentation, "Scopes"). `held`: per row, the
/// index in `holders` of the allocation it is.
pub(super) fn scope_rows(
    rows: &[Discovered],
    held: &[Option<usize>],
    holders: &[Holder],
    scopes: &Scopes,
) -> Vec<u16> {
    let own = |i: usize| match held[i] {
        Some(h) => scopes.of_pool(holders[h].pool),
        None => scopes.of_cidr(rows[i].cidr),
    };
    let mut scope: Vec<u16> = vec![PRIVATE_INDEX; rows.len()];
    // Network rows by ID, to place their subnets.
    let mut networks: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, row) in rows.iter().enumerate() {
        if !row.kind.is_subnet() {
            scope[i] = own(i);
        }
        if row.kind.is_network() {
            networks.entry(&*row.id).or_default().push(i);
        }
    }
    for (i, row) in rows.iter().enumerate() {
        if !row.kind.is_subnet() {
            continue;
        }
        let network_scope = || {
            let of_network = networks.get(row.vpc_id.as_deref()?)?;
            let containing = of_network
                .iter()
                .find(|&&v| rows[v].cidr.contains(&row.cidr))
                .or_else(|| of_network.iter().find(|&&v| rows[v].primary))
                .or(of_network.first())?;
            Some(scope[*containing])
        };
        scope[i] = match held[i] {
            Some(_) => own(i),
            None => network_scope().unwrap_or_else(|| own(i)),
        };
    }
    scope
}

/// Rows that are not VPCs or subnets held by the narrowest reservation of their scope that
/// contains them: a reservation holds space for networks outside the plan's clouds (on
/// premises, another cloud), so such a network inside it is the network it was made for.
/// Gives each such row the index in `holders` of its reservation, appended there.
pub(super) fn hold_reservations<'a>(
    rows: &[Discovered],
    records: &'a Records,
    scopes: &Scopes,
    held: &mut [Option<usize>],
    holders: &mut Vec<Holder<'a>>,
) {
    if records.reservations.is_empty() || rows.iter().all(|r| r.kind.is_cloud()) {
        return;
    }
    let mut by_scope: Vec<Vec<(Prefix, usize)>> = vec![Vec::new(); scopes.names.len()];
    for (name, r) in &records.reservations {
        let scope = usize::from(scopes.of_pool(&r.pool));
        by_scope[scope].push((r.cidr, holders.len()));
        holders.push(Holder {
            address: AddressRef::Reservation(name),
            pool: &r.pool,
        });
    }
    let indexes: Vec<ContainerIndex<usize>> =
        by_scope.into_iter().map(ContainerIndex::new).collect();
    for (i, row) in rows.iter().enumerate() {
        if row.kind.is_cloud() || held[i].is_some() {
            continue;
        }
        let scope = usize::from(scopes.of_cidr(row.cidr));
        if let Some((_, &h)) = indexes[scope].narrowest(row.cidr) {
            held[i] = Some(h);
        }
    }
}

/// A recorded allocation no row holds, which rows may overlap.
pub(super) struct Partner<'b> {
    pub(super) cidr: Prefix,
    pub(super) scope: u16,
    /// `vpc.NAME` or `reservation.NAME`.
    pub(super) name: Arc<str>,
    /// For a VPC block, the discovered ID its VPC is held by, whose subnets lie in it.
    pub(super) vpc_id: Option<&'b str>,
}

pub(super) fn partners<'b>(
    records: &Records,
    targets: &[Target],
    taken: &[bool],
    bound: &'b [Option<String>],
    scopes: &Scopes,
) -> Vec<Partner<'b>> {
    let mut partners: Vec<Partner<'b>> = targets
        .iter()
        .zip(taken)
        .filter(|(t, taken)| t.kind == Kind::Vpc && !**taken)
        .map(|(t, _)| Partner {
            cidr: t.cidr,
            scope: scopes.of_pool(t.holder.pool),
            name: t.holder.address.to_string().into(),
            vpc_id: bound[t.vpc].as_deref(),
        })
        .collect();
    partners.extend(records.reservations.iter().map(|(name, r)| Partner {
        cidr: r.cidr,
        scope: scopes.of_pool(&r.pool),
        name: AddressRef::Reservation(name).to_string().into(),
        vpc_id: None,
    }));
    partners
}
