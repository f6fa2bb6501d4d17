//! The desired records: the model with every block placed, as the state will hold them.

use super::Placer;
use crate::model::{Block, Provision};
use crate::state::{
    BlockRecord, PoolRecord, Records, ReservationRecord, ScopeRecord, SubnetRecord, VpcRecord,
};

impl Placer<'_> {
    /// The desired records, every block placed.
    pub(super) fn records(&self) -> Records {
        let m = self.model;
        let mut out = Records::default();
        for s in m.scopes.iter().filter(|s| s.loc.is_some()) {
            out.scopes.insert(
                s.name.clone(),
                ScopeRecord {
                    description: s.description.clone(),
                },
            );
        }
        for (i, p) in m.pools.iter().enumerate() {
            let Some(cidrs) = self.pool_cidrs[i].clone() else {
                continue;
            };
            out.pools.insert(
                p.name.clone(),
                PoolRecord {
                    scope: m.scopes[p.scope.0].name.clone(),
                    parent: p.parent.map(|x| m.pool(x).name.clone()),
                    ip_version: p.family.number(),
                    cidrs,
                    held: {
                        let mut held: Vec<_> = p.held.iter().map(|(c, _)| *c).collect();
                        held.sort_unstable();
                        held
                    },
                    netmask: match p.provision {
                        Provision::Netmask(n, _) => Some(n),
                        Provision::Cidrs(_) => None,
                    },
                    region: p.region.clone(),
                    min_netmask: p.rules.min,
                    max_netmask: p.rules.max,
                    default_netmask: p.rules.default,
                    required_tags: p.required_tags.clone(),
                    auto_import: p.auto_import,
                    shared_with: p.shared_with.clone(),
                    alert_at: p.alert_at,
                    protect: p.protect,
                    description: p.description.clone(),
                    tags: p.tags.clone(),
                },
            );
        }
        // Collected, then built in one sorted pass: cheaper than one insert per VPC.
        let mut vpcs = Vec::with_capacity(m.vpcs.len());
        for (vi, v) in m.vpcs.iter().enumerate() {
            let placed = &self.vpc_blocks[vi];
            let Some(cidr) = placed.first().copied().flatten() else {
                continue;
            };
            let block = |k: usize, b: &Block| {
                placed[k].map(|cidr| BlockRecord {
                    pool: m.pool(b.pool).name.clone(),
                    cidr,
                })
            };
            let n_secondary = v.secondary.len();
            vpcs.push((
                v.name.clone(),
                VpcRecord {
                    pool: m.pool(v.primary.pool).name.clone(),
                    cidr,
                    secondary: v
                        .secondary
                        .iter()
                        .enumerate()
                        .filter_map(|(k, b)| block(k + 1, b))
                        .collect(),
                    ipv6: v.ipv6.as_ref().and_then(|b| block(1 + n_secondary, b)),
                    owner: v.owner.clone(),
                    region: v.region.clone(),
                    resource_id: v.resource_id.clone(),
                    protect: v.protect,
                    description: v.description.clone(),
                    tags: v.tags.clone(),
                    subnets: v
                        .subnets
                        .iter()
                        .zip(&self.subnets[vi])
                        .filter_map(|(s, cidr)| {
                            let cidr = (*cidr)?;
                            Some((
                                s.name.clone(),
                                SubnetRecord {
                                    cidr,
                                    zone: s.zone.clone(),
                                    description: s.description.clone(),
                                    tags: s.tags.clone(),
                                },
                            ))
                        })
                        .collect(),
                },
            ));
        }
        out.vpcs = vpcs.into_iter().collect();
        for (ri, r) in m.reservations.iter().enumerate() {
            let Some(cidr) = self.reservations[ri] else {
                continue;
            };
            out.reservations.insert(
                r.name.clone(),
                ReservationRecord {
                    pool: m.pool(r.block.pool).name.clone(),
                    cidr,
                    protect: r.protect,
                    description: r.description.clone(),
                    tags: r.tags.clone(),
                },
            );
        }
        out
    }
}
