//! VPC and reservation blocks: pool references, request forms (`cidr` | `netmask` | the
//! pool's default), allocation rules, regions, required tags and sharing (SPEC §3 rules 6–10),
//! and subnets inside their VPC.

use std::collections::{BTreeMap, BTreeSet};

use super::context::{Cx, entries};
use super::limits::{MAX_RESERVATIONS, MAX_SUBNETS_PER_VPC, MAX_VPCS};
use super::provider::{Reserved, VpcBlocks};
use super::teams::usable_account;
use super::{Block, Model, PoolId, Request, Reservation, Rules, Subnet, Vpc};
use crate::addr::{AllocError, Allocator, Family, Prefix};
use crate::config::RawPlan;
use crate::config::raw::{Entries, RawBlock, RawSubnet};
use crate::diag::{Diag, FileId, Loc};

impl Cx {
    /// A block request (`cidr` | `netmask` | the pool's default) from `pool`, checked
    /// against the pool's family and rules (SPEC §3 rules 6, 7).
    pub(super) fn block(
        &mut self,
        file: FileId,
        raw: &RawBlock,
        what: &str,
        model: &Model,
        want: Option<Family>,
    ) -> Option<Block> {
        let pool_loc = Loc::new(file, raw.pool.span.clone());
        let Some(pool_id) = model.pool_id(&raw.pool.value) else {
            if self.is_suppressed(&raw.pool.value) {
                return None;
            }
            self.unresolved(
                "pool",
                &raw.pool.value,
                &pool_loc,
                model.pools.iter().map(|p| &p.name),
            );
            return None;
        };
        let pool = model.pool(pool_id);
        if let Some(want) = want
            && pool.family != want
        {
            self.push(
                Diag::error(
                    "ipam::block::family",
                    format!(
                        "{what} must be {want}, but pool `{}` is {}",
                        pool.name, pool.family
                    ),
                )
                .at(&pool_loc, format!("{} pool", pool.family))
                .help(format!("take {what} from an {want} pool")),
            );
            return None;
        }
        let (request, loc, defaulted) = match (&raw.cidr, &raw.netmask) {
            (Some(_), Some(n)) => {
                self.push(
                    Diag::error(
                        "ipam::block::request",
                        format!("{what} gives both `cidr` and `netmask`"),
                    )
                    .at(&Loc::new(file, n.span.clone()), "remove one")
                    .help("give `cidr` for an exact block or `netmask` for first fit"),
                );
                return None;
            }
            (Some(c), None) => {
                let loc = Loc::new(file, c.span.clone());
                let cidr = self.cidr(&c.value, &loc)?;
                if cidr.family() != pool.family {
                    self.push(
                        Diag::error(
                            "ipam::block::family",
                            format!(
                                "{cidr} is {}, but pool `{}` is {}",
                                cidr.family(),
                                pool.name,
                                pool.family
                            ),
                        )
                        .at(&loc, "wrong IP version")
                        .help("give a block of the pool's IP version"),
                    );
                    return None;
                }
                (Request::Cidr(cidr), loc, false)
            }
            (None, Some(n)) => {
                let loc = Loc::new(file, n.span.clone());
                (
                    Request::Netmask(self.netmask(n.value, &loc, pool.family)?),
                    loc,
                    false,
                )
            }
            (None, None) => match pool.rules.default {
                Some(d) => (Request::Netmask(d), pool_loc.clone(), true),
                None => {
                    self.push(
                        Diag::error(
                            "ipam::rules::no_default",
                            format!("{what} gives no netmask and pool `{}` has no default_netmask", pool.name),
                        )
                        .at(&pool_loc, "size unknown")
                        .help("give `netmask = N` or `cidr = \"…\"`, or set `allocation.default_netmask` on the pool"),
                    );
                    return None;
                }
            },
        };
        let len = request.prefix_len();
        let rules = pool.rules;
        let below = rules.min.filter(|&m| len < m);
        let above = rules.max.filter(|&m| len > m);
        if below.is_some() || above.is_some() {
            self.push(
                Diag::error(
                    "ipam::rules::netmask",
                    format!(
                        "/{len} is outside pool `{}`'s allocation rules ({})",
                        pool.name,
                        describe_rules(&rules)
                    ),
                )
                .at(
                    &loc,
                    if below.is_some() {
                        "too large a block"
                    } else {
                        "too small a block"
                    },
                )
                .help(format!(
                    "ask for a netmask between /{} and /{}",
                    rules.min.unwrap_or(0),
                    rules.max.unwrap_or(pool.family.bits())
                )),
            );
        } else if len < pool.widest_len() {
            self.push(
                Diag::error(
                    "ipam::netmask::too_wide",
                    format!(
                        "a /{len} does not fit in pool `{}`, whose largest block is a /{}",
                        pool.name,
                        pool.widest_len()
                    ),
                )
                .at(&loc, "larger than the pool")
                .help(format!("ask for /{} or longer", pool.widest_len())),
            );
        }
        Some(Block {
            pool: pool_id,
            request,
            defaulted,
            loc,
        })
    }

    pub(super) fn vpcs(&mut self, raw: &RawPlan, model: &Model) -> Vec<Vpc> {
        let mut vpcs: Vec<Vpc> = Vec::new();
        let mut resource_ids: BTreeMap<String, Loc> = BTreeMap::new();
        let reserved = Reserved::of(model);
        let declared = self.unique("VPC", entries(raw, |f| &f.vpcs));
        let declared = self.at_most("ipam::limit::vpcs", "VPCs", MAX_VPCS, declared, |e| {
            e.1.clone()
        });
        for (file, loc, name, vpc) in declared {
            let v = &vpc.value;
            let primary_raw = RawBlock {
                pool: v.pool.clone(),
                netmask: v.netmask.clone(),
                cidr: v.cidr.clone(),
            };
            let primary = self.block(file, &primary_raw, "the primary CIDR", model, None);
            let family = primary.as_ref().map(|b| model.pool(b.pool).family);
            let secondary: Vec<Block> = v
                .secondary
                .iter()
                .filter_map(|s| self.block(file, &s.value, "a secondary CIDR", model, family))
                .collect();
            let ipv6 = v.ipv6.as_ref().and_then(|b| {
                self.block(file, &b.value, "the ipv6 block", model, Some(Family::V6))
            });
            // In a team's file the owner is the team's account, written or not (SPEC §16).
            let team = model.team_of_file(file);
            let team_account = team.and_then(|t| usable_account(model, t));
            let owner = v
                .owner
                .as_ref()
                .map(|o| o.value.clone())
                .or_else(|| team.map(|t| model.team(t).account.clone()))
                .or_else(|| model.ipam.owner.clone());
            let owner_loc = v
                .owner
                .as_ref()
                .map_or(loc.clone(), |o| Loc::new(file, o.span.clone()));
            if let Some(o) = &v.owner
                && !model.accounts.contains_key(&o.value)
            {
                self.unresolved("account", &o.value, &owner_loc, model.accounts.keys());
            } else if let (Some(o), Some(t)) = (&v.owner, team)
                && o.value != model.team(t).account
            {
                self.team_owner(model, t, &o.value, &owner_loc);
            }
            if let Some(t) = team_account {
                let pools = std::iter::once(&v.pool)
                    .chain(v.secondary.iter().map(|b| &b.value.pool))
                    .chain(v.ipv6.iter().map(|b| &b.value.pool));
                let mut seen: BTreeSet<PoolId> = BTreeSet::new();
                for pool in pools {
                    if let Some(id) = model.pool_id(&pool.value)
                        && seen.insert(id)
                    {
                        self.team_shared(model, t, id, &Loc::new(file, pool.span.clone()));
                    }
                }
            }
            let Some(primary) = primary else {
                self.broken_vpcs.insert(name.value.clone());
                continue;
            };
            let pool = model.pool(primary.pool);
            let tags: BTreeMap<String, String> = v
                .tags
                .iter()
                .map(|(k, t)| (k.value.clone(), t.value.clone()))
                .collect();
            // Region (rule 9): the VPC's, equal to each pool's that has one.
            let region = match &v.region {
                Some(r) => {
                    let rloc = Loc::new(file, r.span.clone());
                    self.check_region(&r.value, &rloc, &model.ipam);
                    Some(r.value.clone())
                }
                None => pool.region.clone(),
            };
            let blocks: Vec<&Block> = std::iter::once(&primary)
                .chain(&secondary)
                .chain(&ipv6)
                .collect();
            let mut checked: BTreeSet<PoolId> = BTreeSet::new();
            for block in blocks {
                if !checked.insert(block.pool) {
                    continue;
                }
                let bp = model.pool(block.pool);
                if let (Some(vr), Some(pr)) = (&region, &bp.region)
                    && vr != pr
                {
                    let rloc = v
                        .region
                        .as_ref()
                        .map_or(loc.clone(), |r| Loc::new(file, r.span.clone()));
                    self.push(
                        Diag::error(
                            "ipam::vpc::region",
                            format!(
                                "VPC `{}` is in `{vr}`, but pool `{}` is in `{pr}`",
                                name.value, bp.name
                            ),
                        )
                        .at(&rloc, "region differs from the pool's")
                        .help(format!(
                            "allocate from a pool of region `{vr}`, or build the VPC in `{pr}`"
                        )),
                    );
                }
                // Required tags (rule 8).
                let missing: Vec<String> = bp
                    .required_tags
                    .iter()
                    .filter(|(k, val)| tags.get(*k) != Some(*val))
                    .map(|(k, val)| format!("{k} = \"{val}\""))
                    .collect();
                if !missing.is_empty() {
                    self.push(
                        Diag::error(
                            "ipam::vpc::required_tags",
                            format!(
                                "VPC `{}` lacks tags that pool `{}` requires: {}",
                                name.value,
                                bp.name,
                                missing.join(", ")
                            ),
                        )
                        .at(&loc, "missing required tags")
                        .help(format!(
                            "add to the VPC: tags = {{ {} }}",
                            missing.join(", ")
                        )),
                    );
                }
                // Owner (rule 10); in a team's file, checked above as the team's sharing.
                if let Some(o) = &owner
                    && team.is_none()
                    && model.ipam.owner.as_deref() != Some(o.as_str())
                    && !bp.shared_with.contains(o)
                    && model.accounts.contains_key(o)
                {
                    self.push(
                        Diag::error(
                            "ipam::vpc::owner",
                            format!("account `{o}` may not allocate from pool `{}`", bp.name),
                        )
                        .at(
                            &owner_loc,
                            "not the IPAM owner, and the pool is not shared with it",
                        )
                        .help(format!(
                            "add \"{o}\" to pool `{}`'s `shared_with`, or take the block from a pool that is shared with `{o}`",
                            bp.name
                        )),
                    );
                }
            }
            if let Some(id) = &v.resource_id {
                let rloc = Loc::new(file, id.span.clone());
                if let Some(first) = resource_ids.get(&id.value) {
                    let first = first.clone();
                    self.duplicate("resource_id", &id.value, &rloc, &first);
                } else {
                    resource_ids.insert(id.value.clone(), rloc);
                }
            }
            let subnets = self.subnets(
                file,
                &v.subnets,
                (&name.value, &primary, region.as_deref()),
                model,
            );
            let blocks = VpcBlocks {
                name: &name.value,
                primary: &primary,
                secondary: &secondary,
                ipv6: ipv6.as_ref(),
            };
            self.provider_vpc(&blocks, &reserved, model);
            let vpc = Vpc {
                name: name.value.clone(),
                loc,
                primary,
                secondary,
                ipv6,
                subnets,
                owner,
                team,
                region,
                tags,
                resource_id: v.resource_id.as_ref().map(|r| r.value.clone()),
                protect: v.protect.as_ref().is_some_and(|p| p.value),
                description: v.description.as_ref().map(|d| d.value.clone()),
            };
            for d in super::association::check_explicit(model, &vpc) {
                self.push(d);
            }
            vpcs.push(vpc);
        }
        vpcs
    }

    /// A VPC's subnets: each inside the primary CIDR, clear of the others, and within the
    /// profile's limits. `of` is the VPC's name, primary block and region.
    fn subnets(
        &mut self,
        file: FileId,
        raw: &Entries<RawSubnet>,
        of: (&str, &Block, Option<&str>),
        model: &Model,
    ) -> Vec<Subnet> {
        let (vpc, primary, region) = of;
        let family = model.pool(primary.pool).family;
        let vpc_len = primary.request.prefix_len();
        let mut ordered: Vec<_> = raw.iter().collect();
        ordered.sort_by_key(|(k, _)| k.span.start);
        let ordered = self.at_most(
            "ipam::limit::subnets",
            &format!("subnets in VPC `{vpc}`"),
            MAX_SUBNETS_PER_VPC,
            ordered,
            |(k, _)| Loc::new(file, k.span.clone()),
        );
        // Explicit subnets inside an explicit VPC CIDR can be checked now.
        let mut space = match primary.request {
            Request::Cidr(c) => Allocator::build(family, [c], []).ok(),
            Request::Netmask(_) => None,
        };
        let mut taken: BTreeMap<Prefix, String> = BTreeMap::new();
        let mut subnets = Vec::new();
        for (name, s) in ordered {
            let loc = Loc::new(file, name.span.clone());
            let request = match (&s.value.cidr, &s.value.netmask) {
                (Some(c), None) => {
                    let l = Loc::new(file, c.span.clone());
                    self.cidr(&c.value, &l).map(|p| (Request::Cidr(p), l))
                }
                (None, Some(n)) => {
                    let l = Loc::new(file, n.span.clone());
                    self.netmask(n.value, &l, family)
                        .map(|m| (Request::Netmask(m), l))
                }
                (Some(_), Some(n)) => {
                    self.push(
                        Diag::error(
                            "ipam::block::request",
                            format!("subnet `{}` gives both `cidr` and `netmask`", name.value),
                        )
                        .at(&Loc::new(file, n.span.clone()), "remove one")
                        .help("give `cidr` for an exact block or `netmask` for first fit"),
                    );
                    None
                }
                (None, None) => {
                    self.push(
                        Diag::error(
                            "ipam::block::request",
                            format!("subnet `{}` has no size", name.value),
                        )
                        .at(
                            &Loc::new(file, s.span.clone()),
                            "neither `cidr` nor `netmask`",
                        )
                        .help("give `netmask = N` or `cidr = \"…\"` inside the VPC's primary CIDR"),
                    );
                    None
                }
            };
            let Some((request, request_loc)) = request else {
                continue;
            };
            if let Request::Cidr(c) = request
                && c.family() != family
            {
                self.push(
                    Diag::error(
                        "ipam::block::family",
                        format!("subnet {c} is {}, but VPC `{vpc}` is {family}", c.family()),
                    )
                    .at(&request_loc, "wrong IP version")
                    .help("subnets are carved from the VPC's primary CIDR"),
                );
                continue;
            }
            self.provider_subnet(
                &name.value,
                family,
                (&request, &request_loc),
                s.value
                    .zone
                    .as_ref()
                    .map(|z| (z.value.as_str(), Loc::new(file, z.span.clone()))),
                region,
                model,
            );
            if request.prefix_len() < vpc_len {
                self.push(
                    Diag::error(
                        "ipam::netmask::too_wide",
                        format!(
                            "subnet `{}` (/{}) is larger than VPC `{vpc}` (/{vpc_len})",
                            name.value,
                            request.prefix_len()
                        ),
                    )
                    .at(&request_loc, "larger than the VPC")
                    .help(format!(
                        "subnets are carved from the VPC's primary CIDR: /{vpc_len} or longer"
                    )),
                );
            } else if let (Request::Cidr(c), Some(space)) = (request, space.as_mut()) {
                match space.claim(c) {
                    Ok(()) => {
                        taken.insert(c, name.value.clone());
                    }
                    Err(AllocError::Taken { other, .. }) => self.push(
                        Diag::error(
                            "ipam::cidr::overlap",
                            format!(
                                "subnet {c} overlaps subnet `{}` ({other})",
                                taken.get(&other).map_or("?", String::as_str)
                            ),
                        )
                        .at(&request_loc, "overlapping subnet")
                        .help("give each subnet its own block, or use `netmask` for first fit"),
                    ),
                    Err(_) => self.push(
                        Diag::error(
                            "ipam::cidr::outside",
                            format!("subnet {c} is not inside VPC `{vpc}`'s primary CIDR"),
                        )
                        .at(&request_loc, "outside the VPC")
                        .help("a subnet's block must lie in the VPC's primary CIDR"),
                    ),
                }
            }
            subnets.push(Subnet {
                name: name.value.clone(),
                loc,
                request,
                request_loc,
                zone: s.value.zone.as_ref().map(|z| z.value.clone()),
                tags: s
                    .value
                    .tags
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect(),
                description: s.value.description.as_ref().map(|d| d.value.clone()),
            });
        }
        subnets
    }

    pub(super) fn reservations(&mut self, raw: &RawPlan, model: &Model) -> Vec<Reservation> {
        let mut out = Vec::new();
        let declared = self.unique("reservation", entries(raw, |f| &f.reservations));
        let declared = self.at_most(
            "ipam::limit::reservations",
            "reservations",
            MAX_RESERVATIONS,
            declared,
            |e| e.1.clone(),
        );
        for (file, loc, name, r) in declared {
            let raw_block = RawBlock {
                pool: r.value.pool.clone(),
                netmask: r.value.netmask.clone(),
                cidr: r.value.cidr.clone(),
            };
            let Some(block) = self.block(file, &raw_block, "the reservation", model, None) else {
                continue;
            };
            let team = model.team_of_file(file);
            if let Some(t) = team.and_then(|t| usable_account(model, t)) {
                let at = Loc::new(file, r.value.pool.span.clone());
                self.team_shared(model, t, block.pool, &at);
            }
            out.push(Reservation {
                name: name.value.clone(),
                loc,
                block,
                team,
                protect: r.value.protect.as_ref().is_some_and(|p| p.value),
                description: r.value.description.as_ref().map(|d| d.value.clone()),
                tags: r
                    .value
                    .tags
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect(),
            });
        }
        out
    }
}

fn describe_rules(rules: &Rules) -> String {
    let mut parts = Vec::new();
    if let Some(m) = rules.min {
        parts.push(format!("min /{m}"));
    }
    if let Some(m) = rules.max {
        parts.push(format!("max /{m}"));
    }
    if let Some(d) = rules.default {
        parts.push(format!("default /{d}"));
    }
    parts.join(", ")
}
