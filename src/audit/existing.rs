//! The networks a plan must step around (SPEC §18): every row of an audit that no recorded
//! allocation is (unmanaged, not ignored), with its scope. A VPC the plan declares by
//! `resource_id` is not in the way: that entry is the network. Nor are its subnets while
//! the VPC is not recorded yet (the entry adopts it, subnets and all); once it is, a subnet
//! built by hand in it is in the way of the subnets the plan adds.
//!
//! A row's scope is that of the recorded pools that hold its CIDR. Where none does (before
//! the first apply, or outside every pool), or pools of several scopes do (custom scopes that
//! reuse the same addresses), its scope is not known, and it is in the way in every scope.

use std::collections::{BTreeMap, BTreeSet};

use super::report::{Management, Report};
use crate::addr::{ContainerIndex, Prefix};
use crate::model::Model;
use crate::plan::{Existing, Network};
use crate::state::Records;

pub fn existing(report: &Report, model: &Model, recorded: &Records) -> Existing {
    let declared: BTreeSet<&str> = model
        .vpcs
        .iter()
        .filter_map(|v| v.resource_id.as_deref())
        .collect();
    let recorded_ids: BTreeSet<&str> = recorded
        .vpcs
        .values()
        .filter_map(|v| v.resource_id.as_deref())
        .collect();
    // One index of recorded pool CIDRs per scope: a row is looked up once per scope.
    let mut by_scope: BTreeMap<&str, Vec<Prefix>> = BTreeMap::new();
    for pool in recorded.pools.values() {
        by_scope
            .entry(pool.scope.as_str())
            .or_default()
            .extend(pool.cidrs.iter().copied());
    }
    let scopes: Vec<(&str, ContainerIndex<()>)> = by_scope
        .into_iter()
        .map(|(scope, cidrs)| {
            (
                scope,
                ContainerIndex::new(cidrs.into_iter().map(|c| (c, ()))),
            )
        })
        .collect();
    let scope_of = |cidr: Prefix| {
        let mut holding = scopes
            .iter()
            .filter(|(_, pools)| pools.narrowest(cidr).is_some())
            .map(|(scope, _)| *scope);
        match (holding.next(), holding.next()) {
            (Some(only), None) => Some(only.to_string()),
            _ => None,
        }
    };
    Existing::new(
        report
            .rows()
            .filter(|row| row.management == Management::Unmanaged)
            .filter(|row| {
                let r = row.resource;
                let adopted = |vpc: &str| declared.contains(vpc) && !recorded_ids.contains(vpc);
                !declared.contains(&*r.id) && r.vpc_id.as_deref().is_none_or(|v| !adopted(v))
            })
            .map(|row| {
                let r = row.resource;
                (
                    scope_of(r.cidr),
                    Network {
                        id: r.id.to_string(),
                        kind: r.kind.as_str().to_string(),
                        cidr: r.cidr,
                        name: r.name.as_deref().map(str::to_string),
                    },
                )
            }),
    )
}
