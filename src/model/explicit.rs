//! SPEC §3 rule 4 for the blocks known before placement: explicit CIDRs of pools, layout
//! slots, VPCs and reservations inside their pool and clear of each other.

use std::collections::BTreeMap;

use super::context::Cx;
use super::{Model, Pool, PoolId, Provision, Request, ScopeId};
use crate::addr::{AllocError, Allocator, Prefix, overlaps};
use crate::diag::{Diag, Loc};

/// An explicit block some pool must hold.
struct Claim {
    cidr: Prefix,
    what: String,
    loc: Loc,
    sub_pool: bool,
}

impl Cx {
    /// SPEC §3 rule 4 for every block known before placement: top-level pools of a scope
    /// do not overlap; explicit children (sub-pools, layout slots, VPC and reservation
    /// CIDRs) lie inside their pool and do not overlap each other. A pool provisioned by
    /// netmask has no address yet, but its children must still fit its size and lie inside
    /// its nearest ancestor with explicit CIDRs; their overlaps wait for placement.
    pub(super) fn check_explicit_blocks(&mut self, model: &Model) {
        // Top-level pools, per scope.
        let mut per_scope: BTreeMap<ScopeId, Vec<(Prefix, PoolId, Loc)>> = BTreeMap::new();
        for (i, pool) in model.pools.iter().enumerate() {
            if let (None, Provision::Cidrs(cidrs)) = (pool.parent, &pool.provision) {
                for (c, loc) in cidrs {
                    per_scope
                        .entry(pool.scope)
                        .or_default()
                        .push((*c, PoolId(i), loc.clone()));
                }
            }
        }
        for (scope, blocks) in &per_scope {
            let prefixes: Vec<Prefix> = blocks.iter().map(|b| b.0).collect();
            for o in overlaps(&prefixes) {
                let (outer, inner) = (&blocks[o.outer], &blocks[o.inner]);
                let (outer_name, inner_name) =
                    (&model.pool(outer.1).name, &model.pool(inner.1).name);
                let (message, help) = if outer.1 == inner.1 {
                    (
                        format!(
                            "pool `{inner_name}` provisions {} inside its own {}",
                            inner.0, outer.0
                        ),
                        "a pool's CIDRs are disjoint; remove the one that is already covered",
                    )
                } else {
                    (
                        format!(
                            "top-level pools `{inner_name}` ({}) and `{outer_name}` ({}) overlap in scope `{}`",
                            inner.0, outer.0, model.scopes[scope.0].name
                        ),
                        "pools in one scope never overlap; use disjoint blocks, or another scope for a space that may overlap",
                    )
                };
                self.push(
                    Diag::error("ipam::cidr::overlap", message)
                        .at(&inner.2, "overlaps")
                        .note(&outer.2, format!("{} is here", outer.0))
                        .help(help),
                );
            }
        }
        // Explicit children of each pool: held layout slots first (they come with the
        // pool), then declared blocks in declaration order, so the later one is flagged.
        let mut claims: BTreeMap<PoolId, Vec<Claim>> = BTreeMap::new();
        for (i, pool) in model.pools.iter().enumerate() {
            for (held, loc) in &pool.held {
                claims.entry(PoolId(i)).or_default().push(Claim {
                    cidr: *held,
                    what: "layout slots held for growth".into(),
                    loc: loc.clone(),
                    sub_pool: false,
                });
            }
        }
        let mut declared: Vec<(PoolId, Claim)> = Vec::new();
        for pool in &model.pools {
            if let (Some(parent), Provision::Cidrs(cidrs)) = (pool.parent, &pool.provision) {
                for (c, loc) in cidrs {
                    declared.push((
                        parent,
                        Claim {
                            cidr: *c,
                            what: format!("sub-pool `{}`", pool.name),
                            loc: loc.clone(),
                            sub_pool: true,
                        },
                    ));
                }
            }
        }
        for vpc in &model.vpcs {
            for b in vpc.blocks() {
                if let Request::Cidr(c) = b.request {
                    declared.push((
                        b.pool,
                        Claim {
                            cidr: c,
                            what: format!("VPC `{}`", vpc.name),
                            loc: b.loc.clone(),
                            sub_pool: false,
                        },
                    ));
                }
            }
        }
        for r in &model.reservations {
            if let Request::Cidr(c) = r.block.request {
                declared.push((
                    r.block.pool,
                    Claim {
                        cidr: c,
                        what: format!("reservation `{}`", r.name),
                        loc: r.block.loc.clone(),
                        sub_pool: false,
                    },
                ));
            }
        }
        declared.sort_by_key(|(_, c)| (c.loc.file, c.loc.span.start));
        for (pool, claim) in declared {
            claims.entry(pool).or_default().push(claim);
        }
        for (pool_id, blocks) in claims {
            let pool = model.pool(pool_id);
            match &pool.provision {
                Provision::Cidrs(roots) => self.claim_all(pool, roots, blocks),
                Provision::Netmask(n, _) => self.check_in_unplaced(model, pool_id, *n, &blocks),
            }
        }
    }

    /// Claims every block in a pool with explicit CIDRs, reporting collisions and strays.
    fn claim_all(&mut self, pool: &Pool, roots: &[(Prefix, Loc)], blocks: Vec<Claim>) {
        let Ok(mut space) = Allocator::build(pool.family, roots.iter().map(|r| r.0), []) else {
            return; // the pool's own CIDRs overlap: reported with the top-level check
        };
        let mut owners: BTreeMap<Prefix, (String, Loc)> = BTreeMap::new();
        for Claim {
            cidr, what, loc, ..
        } in blocks
        {
            match space.claim(cidr) {
                Ok(()) => {
                    owners.insert(cidr, (what, loc));
                }
                // The block's IP version is reported where it is read.
                Err(AllocError::FamilyMismatch { .. }) => {}
                Err(AllocError::Taken { other, .. }) => {
                    let (other_what, other_loc) = owners
                        .get(&other)
                        .cloned()
                        .unwrap_or_else(|| (other.to_string(), loc.clone()));
                    self.push(
                        Diag::error(
                            "ipam::cidr::overlap",
                            format!(
                                "{what} ({cidr}) overlaps {other_what} ({other}) in pool `{}`",
                                pool.name
                            ),
                        )
                        .at(&loc, "overlapping block")
                        .note(&other_loc, format!("{other} is taken here"))
                        .help("blocks of one pool never overlap; choose a free block, or use `netmask` and let first fit choose"),
                    );
                }
                Err(_) => {
                    let cidrs: Vec<String> = roots.iter().map(|r| r.0.to_string()).collect();
                    self.push(
                        Diag::error(
                            "ipam::cidr::outside",
                            format!(
                                "{what} ({cidr}) is not inside pool `{}` ({})",
                                pool.name,
                                cidrs.join(", ")
                            ),
                        )
                        .at(&loc, "outside the pool")
                        .help(format!(
                            "a block taken from `{}` must lie inside one of its CIDRs",
                            pool.name
                        )),
                    );
                }
            }
        }
    }

    /// What can be known of explicit blocks in a pool carved by netmask before it is placed:
    /// they fit its size and lie inside its nearest ancestor with explicit CIDRs.
    fn check_in_unplaced(&mut self, model: &Model, pool_id: PoolId, netmask: u8, blocks: &[Claim]) {
        let pool = model.pool(pool_id);
        let anchor = model
            .ancestors(pool_id)
            .find(|a| matches!(model.pool(*a).provision, Provision::Cidrs(_)));
        for claim in blocks {
            if claim.cidr.family() != pool.family {
                continue; // reported where it is read
            }
            let len = claim.cidr.prefix_len();
            if len < netmask || (claim.sub_pool && len == netmask) {
                self.push(
                    Diag::error(
                        "ipam::netmask::too_wide",
                        format!(
                            "{} ({}) cannot lie inside pool `{}`, a /{netmask}",
                            claim.what, claim.cidr, pool.name
                        ),
                    )
                    .at(&claim.loc, "larger than the pool")
                    .help(format!(
                        "pool `{}` is carved as a /{netmask}: give a longer block",
                        pool.name
                    )),
                );
                continue;
            }
            if let Some(anchor) = anchor {
                let a = model.pool(anchor);
                if let Provision::Cidrs(roots) = &a.provision
                    && !roots.iter().any(|(r, _)| r.contains(&claim.cidr))
                {
                    self.push(
                        Diag::error(
                            "ipam::cidr::outside",
                            format!(
                                "{} ({}) can never be inside pool `{}`, which is carved from `{}`",
                                claim.what, claim.cidr, pool.name, a.name
                            ),
                        )
                        .at(&claim.loc, "outside the pool's ancestor")
                        .help(format!(
                            "`{}` lies inside {}; use a block there, or `netmask` to let first fit choose",
                            pool.name,
                            roots.iter().map(|r| r.0.to_string()).collect::<Vec<_>>().join(", ")
                        )),
                    );
                }
            }
        }
    }
}
