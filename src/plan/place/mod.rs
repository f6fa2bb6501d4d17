//! Placement (SPEC §5): the concrete CIDR of every block in the plan, computed before apply
//! through one [`Allocator`](crate::addr::Allocator) per pool (and one per VPC for its subnets).
//!
//! In each pool, in this order:
//!
//! 1. every recorded block stays taken for the whole plan: the ones the plan keeps are
//!    pinned (they never move), the ones it releases are not reused until the next plan
//!    (their holders may exist until apply finishes);
//! 2. slots a layout holds for growth; then, where this plan places a VPC or a subnet, the
//!    explicit claims of pools and reservations (they may hold discovered networks), then
//!    the free parts of the networks `plan --inventory` found and no recorded allocation is;
//! 3. explicit claims (`cidr`/`cidrs`, layout slots) that are new;
//! 4. netmask requests, first fit, in declaration order: files in path order, entries in
//!    file order, a VPC's primary before its secondaries.
//!
//! A recorded block is kept when its holder is still declared, in the same pool, the pool
//! itself is kept, and the request still describes the block: the same `cidr`, the same
//! `netmask`, or, for a block sized by the pool's `default_netmask`, a size the pool's rules
//! still allow. Pools are handled parents first, so a pool carved by netmask has its block
//! before its own children are placed. Each allocator is built from its recorded blocks in
//! O(n log n), and each request then costs O(log n): nothing here grows with the number of
//! existing allocations per request (SPEC §12).

mod existing;
mod fill;
mod records;

use std::collections::BTreeMap;

use crate::addr::Prefix;
use crate::diag::{Diag, Loc};
use crate::model::{Address, AddressRef, Block, Model, PoolId, Provision, Request, Rules};
use crate::state::{Records, VpcRecord};

pub use existing::{Existing, Network, SteppedAround};

/// Who a block is placed for.
#[derive(Debug, Clone, Copy)]
enum Owner {
    Pool(PoolId),
    /// A VPC (index into `Model::vpcs`) and the block's position in `Vpc::blocks`.
    Vpc(usize, usize),
    Reservation(usize),
    /// A subnet: its index in its VPC's `subnets`.
    Subnet(usize),
}

impl Owner {
    /// A VPC or a subnet: something built in a cloud, which must not land on a network that
    /// exists there.
    fn is_network(self) -> bool {
        matches!(self, Owner::Vpc(..) | Owner::Subnet(_))
    }
}

/// A block to place.
#[derive(Debug)]
struct Ask {
    owner: Owner,
    request: Request,
    loc: Loc,
    /// Declaration order: file, the entry's position, the block's position in the entry.
    order: (usize, usize, usize),
}

/// A recorded block inside a pool's space.
#[derive(Debug)]
struct Recorded<'a> {
    cidr: Prefix,
    /// Borrowed from the state: a large state has a block per VPC.
    holder: AddressRef<'a>,
    kept: bool,
}

/// Everything asked of one pool's (or one VPC's) space.
#[derive(Debug, Default)]
struct Bucket<'a> {
    recorded: Vec<Recorded<'a>>,
    explicit: Vec<Ask>,
    netmask: Vec<Ask>,
}

impl Bucket<'_> {
    fn asks(&self) -> impl Iterator<Item = &Ask> {
        self.explicit.iter().chain(&self.netmask)
    }

    fn ask(&mut self, ask: Ask) {
        match ask.request {
            Request::Cidr(_) => self.explicit.push(ask),
            Request::Netmask(_) => self.netmask.push(ask),
        }
    }
}

/// Whether a recorded block still satisfies a request.
fn fits(request: Request, defaulted: bool, rules: Rules, cidr: Prefix) -> bool {
    let len = cidr.prefix_len();
    match request {
        Request::Cidr(c) => c == cidr,
        Request::Netmask(n) if !defaulted => len == n,
        Request::Netmask(_) => rules.admits(len),
    }
}

/// What placement found: the desired records, and the discovered networks it stepped
/// around.
#[derive(Debug)]
pub struct Placed {
    pub records: Records,
    /// In the order the spaces were filled (pools parents first, then VPCs' subnets), each
    /// space's networks in address order.
    pub stepped_around: Vec<SteppedAround>,
}

/// The desired records: the model with every block placed. `recorded` is the state after
/// `[[moved]]` renames; `existing`, networks found in inventories that no recorded
/// allocation is, which new blocks must not overlap.
pub fn place(model: &Model, recorded: &Records, existing: &Existing) -> Result<Placed, Vec<Diag>> {
    let mut p = Placer::new(model, recorded, existing);
    p.classify_pools();
    p.classify_vpcs();
    p.classify_reservations();
    for i in 0..model.pools.len() {
        p.fill_pool(PoolId(i));
    }
    for vi in 0..model.vpcs.len() {
        p.fill_subnets(vi);
    }
    if p.diags.is_empty() {
        let stepped_around = std::mem::take(&mut p.stepped);
        Ok(Placed {
            records: p.records(),
            stepped_around,
        })
    } else {
        Err(p.diags)
    }
}

struct Placer<'a> {
    model: &'a Model,
    recorded: &'a Records,
    existing: &'a Existing,
    stepped: Vec<SteppedAround>,
    buckets: Vec<Bucket<'a>>,
    /// Concrete CIDRs per pool, once known.
    pool_cidrs: Vec<Option<Vec<Prefix>>>,
    /// Recorded pools the plan replaces; their descendants are replaced with them.
    replaced: Vec<bool>,
    /// Per VPC, per block of `Vpc::blocks`.
    vpc_blocks: Vec<Vec<Option<Prefix>>>,
    /// Per VPC, per subnet.
    subnets: Vec<Vec<Option<Prefix>>>,
    reservations: Vec<Option<Prefix>>,
    diags: Vec<Diag>,
}

impl<'a> Placer<'a> {
    fn new(model: &'a Model, recorded: &'a Records, existing: &'a Existing) -> Placer<'a> {
        let n = model.pools.len();
        Placer {
            model,
            recorded,
            existing,
            stepped: Vec::new(),
            buckets: (0..n).map(|_| Bucket::default()).collect(),
            pool_cidrs: vec![None; n],
            replaced: vec![false; n],
            vpc_blocks: model
                .vpcs
                .iter()
                .map(|v| vec![None; v.blocks().count()])
                .collect(),
            subnets: model
                .vpcs
                .iter()
                .map(|v| vec![None; v.subnets.len()])
                .collect(),
            reservations: vec![None; model.reservations.len()],
            diags: Vec::new(),
        }
    }

    fn pool_name(&self, id: PoolId) -> &'a str {
        &self.model.pool(id).name
    }

    /// Pools, parents first: which are kept, which replaced, what they ask of their parent.
    fn classify_pools(&mut self) {
        let model = self.model;
        for (i, pool) in model.pools.iter().enumerate() {
            let id = PoolId(i);
            let rec = self.recorded.pools.get(&pool.name);
            let in_place = rec.is_some_and(|r| {
                r.scope == model.scopes[pool.scope.0].name
                    && r.parent.as_deref() == pool.parent.map(|p| self.pool_name(p))
                    && r.ip_version == pool.family.number()
                    && pool.parent.is_none_or(|p| !self.replaced[p.0])
            });
            let order = (pool.loc.file.0, pool.loc.span.start, 0);
            match &pool.provision {
                Provision::Cidrs(cidrs) => {
                    self.replaced[i] = rec.is_some() && !in_place;
                    let mut concrete: Vec<Prefix> = cidrs.iter().map(|(c, _)| *c).collect();
                    concrete.sort_unstable();
                    self.pool_cidrs[i] = Some(concrete);
                    let Some(parent) = pool.parent else { continue };
                    for (c, loc) in cidrs {
                        let kept = in_place && rec.is_some_and(|r| r.cidrs.contains(c));
                        if !kept {
                            self.buckets[parent.0].ask(Ask {
                                owner: Owner::Pool(id),
                                request: Request::Cidr(*c),
                                loc: loc.clone(),
                                order,
                            });
                        }
                    }
                }
                Provision::Netmask(len, loc) => {
                    let keep = rec
                        .filter(|r| in_place && r.cidrs.len() == 1)
                        .map(|r| r.cidrs[0])
                        .filter(|c| c.prefix_len() == *len);
                    self.replaced[i] = rec.is_some() && keep.is_none();
                    match (keep, pool.parent) {
                        (Some(c), _) => self.pool_cidrs[i] = Some(vec![c]),
                        (None, Some(parent)) => self.buckets[parent.0].ask(Ask {
                            owner: Owner::Pool(id),
                            request: Request::Netmask(*len),
                            loc: loc.clone(),
                            order,
                        }),
                        // The model gives every carved pool a parent.
                        (None, None) => {}
                    }
                }
            }
        }
        // Recorded sub-pools' blocks stay taken in their recorded parent.
        for (name, r) in &self.recorded.pools {
            let Some(parent) = r.parent.as_deref().and_then(|p| model.pool_id(p)) else {
                continue;
            };
            let desired = model.pool_id(name);
            for c in &r.cidrs {
                let kept = desired.is_some_and(|d| {
                    !self.replaced[d.0]
                        && self.pool_cidrs[d.0]
                            .as_ref()
                            .is_some_and(|cs| cs.contains(c))
                });
                self.buckets[parent.0].recorded.push(Recorded {
                    cidr: *c,
                    holder: AddressRef::Pool(name),
                    kept,
                });
            }
        }
    }

    /// Whether a recorded block `(pool, cidr)` still satisfies a requested block.
    fn keeps(&self, block: &Block, pool: &str, cidr: Prefix) -> bool {
        let p = self.model.pool(block.pool);
        p.name == pool
            && !self.replaced[block.pool.0]
            && fits(block.request, block.defaulted, p.rules, cidr)
    }

    /// VPCs: the declared ones, in name order, merged with the recorded ones (also in name
    /// order), so a large state costs one sort and one walk rather than a lookup per VPC.
    fn classify_vpcs(&mut self) {
        let model = self.model;
        let mut by_name: Vec<usize> = (0..model.vpcs.len()).collect();
        by_name.sort_unstable_by(|&a, &b| model.vpcs[a].name.cmp(&model.vpcs[b].name));
        let mut declared = by_name.into_iter().peekable();
        for (name, r) in &self.recorded.vpcs {
            while let Some(vi) = declared.next_if(|&vi| model.vpcs[vi].name < *name) {
                self.ask_vpc(vi);
            }
            let kept = match declared.next_if(|&vi| model.vpcs[vi].name == *name) {
                Some(vi) => {
                    let kept = self.match_blocks(vi, r);
                    self.ask_vpc(vi);
                    kept
                }
                None => Vec::new(),
            };
            for (j, (pool, cidr)) in r.blocks().enumerate() {
                if let Some(pool) = model.pool_id(pool) {
                    self.buckets[pool.0].recorded.push(Recorded {
                        cidr,
                        holder: AddressRef::Vpc(name),
                        kept: kept.get(j).copied().unwrap_or(false),
                    });
                }
            }
        }
        for vi in declared {
            self.ask_vpc(vi);
        }
    }

    /// Asks each pool for the blocks of a declared VPC that are not kept.
    fn ask_vpc(&mut self, vi: usize) {
        let vpc = &self.model.vpcs[vi];
        let entry = vpc.loc.span.start;
        for (k, block) in vpc.blocks().enumerate() {
            if self.vpc_blocks[vi][k].is_none() {
                self.buckets[block.pool.0].ask(Ask {
                    owner: Owner::Vpc(vi, k),
                    request: block.request,
                    loc: block.loc.clone(),
                    order: (vpc.loc.file.0, entry, k),
                });
            }
        }
    }

    /// Matches a declared VPC's blocks to its recorded ones: the primary to the recorded
    /// primary, the IPv6 block to the recorded IPv6 block, each secondary to the first unused
    /// recorded secondary it fits. Sets the kept CIDRs; returns which recorded blocks (by
    /// position in `VpcRecord::blocks`) are kept.
    fn match_blocks(&mut self, vi: usize, r: &VpcRecord) -> Vec<bool> {
        let vpc = &self.model.vpcs[vi];
        let mut used = vec![false; 1 + r.secondary.len() + usize::from(r.ipv6.is_some())];
        if self.keeps(&vpc.primary, &r.pool, r.cidr) {
            used[0] = true;
            self.vpc_blocks[vi][0] = Some(r.cidr);
        }
        for (k, block) in vpc.secondary.iter().enumerate() {
            let found = r
                .secondary
                .iter()
                .enumerate()
                .find(|(j, b)| !used[1 + j] && self.keeps(block, &b.pool, b.cidr));
            if let Some((j, b)) = found {
                used[1 + j] = true;
                self.vpc_blocks[vi][1 + k] = Some(b.cidr);
            }
        }
        if let (Some(block), Some(b)) = (&vpc.ipv6, &r.ipv6)
            && self.keeps(block, &b.pool, b.cidr)
        {
            let last = used.len() - 1;
            used[last] = true;
            self.vpc_blocks[vi][1 + vpc.secondary.len()] = Some(b.cidr);
        }
        used
    }

    fn classify_reservations(&mut self) {
        let model = self.model;
        let mut declared: BTreeMap<&str, bool> = BTreeMap::new();
        for (ri, res) in model.reservations.iter().enumerate() {
            let kept = self
                .recorded
                .reservations
                .get(&res.name)
                .filter(|r| self.keeps(&res.block, &r.pool, r.cidr))
                .map(|r| r.cidr);
            declared.insert(&res.name, kept.is_some());
            match kept {
                Some(c) => self.reservations[ri] = Some(c),
                None => self.buckets[res.block.pool.0].ask(Ask {
                    owner: Owner::Reservation(ri),
                    request: res.block.request,
                    loc: res.block.loc.clone(),
                    order: (res.loc.file.0, res.loc.span.start, 0),
                }),
            }
        }
        for (name, r) in &self.recorded.reservations {
            if let Some(pool) = model.pool_id(&r.pool) {
                self.buckets[pool.0].recorded.push(Recorded {
                    cidr: r.cidr,
                    holder: AddressRef::Reservation(name),
                    kept: declared.get(name.as_str()).copied().unwrap_or(false),
                });
            }
        }
    }

    /// The address of who a block is for.
    fn address(&self, owner: Owner, vpc: Option<usize>) -> Address {
        let m = self.model;
        match owner {
            Owner::Pool(p) => Address::Pool(m.pool(p).name.clone()),
            Owner::Vpc(vi, _) => Address::Vpc(m.vpcs[vi].name.clone()),
            Owner::Reservation(ri) => Address::Reservation(m.reservations[ri].name.clone()),
            Owner::Subnet(si) => {
                let v = &m.vpcs[vpc.unwrap_or_default()];
                Address::Subnet(v.name.clone(), v.subnets[si].name.clone())
            }
        }
    }

    fn set(&mut self, owner: Owner, vpc: Option<usize>, cidr: Prefix) {
        match owner {
            // A pool given explicit CIDRs has them all listed already; only a pool carved by
            // netmask learns its block here.
            Owner::Pool(p) => {
                if self.pool_cidrs[p.0].is_none() {
                    self.pool_cidrs[p.0] = Some(vec![cidr]);
                }
            }
            Owner::Vpc(vi, k) => self.vpc_blocks[vi][k] = Some(cidr),
            Owner::Reservation(ri) => self.reservations[ri] = Some(cidr),
            Owner::Subnet(si) => self.subnets[vpc.unwrap_or_default()][si] = Some(cidr),
        }
    }

    fn fill_pool(&mut self, id: PoolId) {
        let pool = self.model.pool(id);
        // A pool whose own block could not be placed has its error already.
        let Some(roots) = self.pool_cidrs[id.0].clone() else {
            return;
        };
        let bucket = std::mem::take(&mut self.buckets[id.0]);
        let orphans: Vec<&Recorded> = bucket
            .recorded
            .iter()
            .filter(|r| r.kept && !roots.iter().any(|root| root.contains(&r.cidr)))
            .collect();
        if !orphans.is_empty() {
            let gone: Vec<String> = self
                .recorded
                .pools
                .get(&pool.name)
                .map(|r| {
                    r.cidrs
                        .iter()
                        .filter(|c| orphans.iter().any(|o| c.contains(&o.cidr)))
                        .map(|c| c.to_string())
                        .collect()
                })
                .unwrap_or_default();
            let held: Vec<String> = orphans
                .iter()
                .map(|o| format!("{} ({})", o.holder, o.cidr))
                .collect();
            self.diags.push(
                Diag::error(
                    "ipam::plan::deprovision",
                    format!(
                        "pool `{}` no longer provisions {}, which still holds {}",
                        pool.name,
                        or_list(&gone),
                        held.join(", ")
                    ),
                )
                .at(&pool.loc, "CIDRs removed here")
                .help(
                    "release or move what is allocated there first: a provisioned CIDR can be \
                     removed only when nothing is allocated from it",
                ),
            );
            return;
        }
        let ctx = Space {
            what: format!("pool `{}`", pool.name),
            vpc: None,
            address: Address::Pool(pool.name.clone()),
            scope: &self.model.scopes[pool.scope.0].name,
        };
        self.fill(&ctx, pool.family, &roots, bucket, &pool.held);
    }

    fn fill_subnets(&mut self, vi: usize) {
        let vpc = &self.model.vpcs[vi];
        if vpc.subnets.is_empty() {
            return;
        }
        let Some(primary) = self.vpc_blocks[vi].first().copied().flatten() else {
            return;
        };
        let mut bucket = Bucket::default();
        // Recorded subnets lie in the recorded primary; they matter only if it is kept.
        let rec = self
            .recorded
            .vpcs
            .get(&vpc.name)
            .filter(|r| r.cidr == primary);
        for (si, s) in vpc.subnets.iter().enumerate() {
            let kept = rec
                .and_then(|r| r.subnets.get(&s.name))
                .filter(|r| r.zone == s.zone && fits(s.request, false, Rules::NONE, r.cidr));
            match kept {
                Some(r) => self.subnets[vi][si] = Some(r.cidr),
                None => bucket.ask(Ask {
                    owner: Owner::Subnet(si),
                    request: s.request,
                    loc: s.request_loc.clone(),
                    order: (s.loc.file.0, s.loc.span.start, 0),
                }),
            }
        }
        for (name, r) in rec.iter().flat_map(|r| &r.subnets) {
            let kept = vpc
                .subnets
                .iter()
                .enumerate()
                .any(|(si, s)| s.name == *name && self.subnets[vi][si] == Some(r.cidr));
            bucket.recorded.push(Recorded {
                cidr: r.cidr,
                holder: AddressRef::Subnet(&vpc.name, name),
                kept,
            });
        }
        let scope = self.model.pool(vpc.primary.pool).scope;
        let ctx = Space {
            what: format!("VPC `{}` ({primary})", vpc.name),
            vpc: Some(vi),
            address: Address::Vpc(vpc.name.clone()),
            scope: &self.model.scopes[scope.0].name,
        };
        self.fill(&ctx, primary.family(), &[primary], bucket, &[]);
    }
}

/// The space being filled, for messages.
struct Space<'m> {
    what: String,
    /// Set when filling a VPC's subnets.
    vpc: Option<usize>,
    /// The pool, or the VPC whose subnets are placed.
    address: Address,
    /// The scope the space's addresses are in.
    scope: &'m str,
}

fn list(cidrs: &[Prefix]) -> String {
    let items: Vec<String> = cidrs.iter().map(|c| c.to_string()).collect();
    or_list(&items)
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => "no CIDRs".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
