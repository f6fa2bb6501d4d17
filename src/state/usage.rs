//! Pool utilization (SPEC §10): addresses in sub-pools, VPCs and reservations, free, the
//! largest free block, percent used and the `alert_at` flag, computed from the recorded
//! records. `show`, `check` and the report print it; they never compute it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::addr::{AddrCount, Allocator, Family, Prefix};
use crate::state::Records;

/// How a pool's addresses are used (as the clouds' consoles show it).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Utilization {
    pub total: AddrCount,
    pub in_pools: AddrCount,
    pub in_vpcs: AddrCount,
    pub in_reservations: AddrCount,
    /// Addresses in slots a layout holds for growth: not allocated, not free either.
    pub held: AddrCount,
    /// Addresses neither allocated nor held.
    pub free: AddrCount,
    /// The largest block first fit could still hand out (held slots excluded).
    pub largest_free: Option<Prefix>,
    /// Percent of the pool allocated, 0–100.
    pub percent: f64,
    /// The pool's `alert_at`, when set.
    pub alert_at: Option<u8>,
    /// Whether `percent` is above `alert_at`.
    pub alert: bool,
}

/// Every recorded pool's utilization, by name. One allocator build per pool: O(n log n).
pub fn utilization(records: &Records) -> BTreeMap<&str, Utilization> {
    #[derive(Default)]
    struct Parts {
        pools: Vec<Prefix>,
        vpcs: Vec<Prefix>,
        reservations: Vec<Prefix>,
    }
    let mut parts: BTreeMap<&str, Parts> = BTreeMap::new();
    for p in records.pools.values() {
        if let Some(parent) = &p.parent {
            parts.entry(parent).or_default().pools.extend(&p.cidrs);
        }
    }
    for v in records.vpcs.values() {
        for (pool, cidr) in v.blocks() {
            parts.entry(pool).or_default().vpcs.push(cidr);
        }
    }
    for r in records.reservations.values() {
        parts.entry(&r.pool).or_default().reservations.push(r.cidr);
    }
    records
        .pools
        .iter()
        .map(|(name, pool)| {
            let p = parts.remove(name.as_str()).unwrap_or_default();
            let sum = |cs: &[Prefix]| cs.iter().fold(AddrCount::ZERO, |a, c| a.plus(c.size()));
            let total = sum(&pool.cidrs);
            let (in_pools, in_vpcs, in_reservations) =
                (sum(&p.pools), sum(&p.vpcs), sum(&p.reservations));
            let used = in_pools.plus(in_vpcs).plus(in_reservations);
            let held = sum(&pool.held);
            let family = pool.cidrs.first().map_or(Family::V4, |c| c.family());
            let taken = p
                .pools
                .iter()
                .chain(&p.vpcs)
                .chain(&p.reservations)
                .chain(&pool.held)
                .copied();
            let largest_free = Allocator::build(family, pool.cidrs.iter().copied(), taken)
                .ok()
                .and_then(|a| a.largest_free());
            let percent = if total == AddrCount::ZERO {
                0.0
            } else {
                used.ratio(total) * 100.0
            };
            let u = Utilization {
                total,
                in_pools,
                in_vpcs,
                in_reservations,
                held,
                free: total.minus(used).minus(held),
                largest_free,
                percent,
                alert_at: pool.alert_at,
                alert: pool.alert_at.is_some_and(|a| percent > f64::from(a)),
            };
            (name.as_str(), u)
        })
        .collect()
}
