//! Filling one space (a pool, or a VPC's primary CIDR for its subnets): recorded blocks,
//! held slots, explicit claims, then netmask requests first fit (the module doc's steps).

use super::existing::{Existing, Network, SteppedAround, overlapping, take_free};
use super::{Ask, Bucket, Owner, Placer, Recorded, Space, list};
use crate::addr::{AllocError, Allocator, Family, Prefix};
use crate::diag::{Diag, Loc};
use crate::model::{AddressRef, Request};

impl Placer<'_> {
    /// Places one space's asks (the module doc's steps 1–4).
    pub(super) fn fill(
        &mut self,
        ctx: &Space,
        family: Family,
        roots: &[Prefix],
        mut bucket: Bucket,
        held: &[(Prefix, Loc)],
    ) {
        // In address order, so the holder of a block is a binary search away.
        bucket.recorded.sort_unstable_by_key(|r| r.cidr);
        let inside: Vec<Prefix> = bucket
            .recorded
            .iter()
            .map(|r| r.cidr)
            .filter(|c| roots.iter().any(|root| root.contains(c)))
            .collect();
        let mut alloc = match Allocator::build(family, roots.iter().copied(), inside) {
            Ok(a) => a,
            Err(e) => {
                self.diags.push(
                    Diag::error(
                        "ipam::state::inconsistent",
                        format!("the recorded state is inconsistent in {}: {e}", ctx.what),
                    )
                    .help(
                        "restore an earlier version (a file state's `.backup`, or `ipam state \
                         pull --serial N` and `state push`), or repair it by hand",
                    ),
                );
                return;
            }
        };
        for (cidr, loc) in held {
            if alloc.claim(*cidr).is_ok() || hold_over_released(&mut alloc, &bucket, *cidr) {
                continue;
            }
            let other = match alloc.claim(*cidr) {
                Err(e) => bucket.describe(&e),
                Ok(()) => continue,
            };
            self.diags.push(
                Diag::error(
                    "ipam::plan::held",
                    format!("{} holds {cidr} for growth, but {other}", ctx.what),
                )
                .at(loc, "slot held by this layout")
                .help("name the slot in the layout for what is there, or release it first"),
            );
        }
        // Networks that exist but are not recorded are taken where this plan places a
        // network (a VPC or a subnet): after the explicit claims of pools and reservations
        // (address plan, not networks: they may hold discovered networks), before the rest.
        let stepping = bucket.asks().any(|a| a.owner.is_network())
            && self
                .existing
                .in_scope(ctx.scope)
                .iter()
                .any(|l| !l.is_empty());
        let explicit = std::mem::take(&mut bucket.explicit);
        let (first, later): (Vec<Ask>, Vec<Ask>) = if stepping {
            explicit.into_iter().partition(|a| !a.owner.is_network())
        } else {
            (explicit, Vec::new())
        };
        self.claim_all(ctx, roots, &mut alloc, &bucket, first, &[]);
        let discovered = if stepping {
            self.step_around(ctx, roots, &mut alloc)
        } else {
            Vec::new()
        };
        self.claim_all(ctx, roots, &mut alloc, &bucket, later, &discovered);
        let mut asks = std::mem::take(&mut bucket.netmask);
        asks.sort_by_key(|a| a.order);
        // Counted once: an error per request must not cost a pass over the space each.
        let released = bucket.recorded.iter().filter(|r| !r.kept).count();
        for ask in asks {
            let Request::Netmask(n) = ask.request else {
                continue;
            };
            match alloc.allocate(n) {
                Ok(cidr) => self.set(ask.owner, ctx.vpc, cidr),
                Err(e) => {
                    let me = self.address(ask.owner, ctx.vpc);
                    let largest = match e {
                        AllocError::Exhausted {
                            largest_free: Some(b),
                            ..
                        } => format!("the largest free block is {b}"),
                        AllocError::Exhausted { .. } => "it is full".into(),
                        other => other.to_string(),
                    };
                    let mut help = "ask for a smaller block, or provision more space".to_string();
                    if let Some((_, first)) = discovered.first() {
                        let networks: std::collections::BTreeSet<&str> =
                            discovered.iter().map(|(_, n)| n.id.as_str()).collect();
                        help.push_str(&format!(
                            "; {} network{} found in the inventories and not in the state {} \
                             part of it ({} {} first), and new blocks are not placed on them",
                            networks.len(),
                            if networks.len() == 1 { "" } else { "s" },
                            if networks.len() == 1 { "takes" } else { "take" },
                            first.cidr,
                            first.id
                        ));
                    }
                    match released {
                        0 => {}
                        1 => help.push_str(
                            "; the block this plan releases becomes free from the next plan on",
                        ),
                        n => help.push_str(&format!(
                            "; the {n} blocks this plan releases become free from the next plan on"
                        )),
                    }
                    self.diags.push(
                        Diag::error(
                            "ipam::plan::exhausted",
                            format!("{} has no free /{n} left for {me}; {largest}", ctx.what),
                        )
                        .at(&ask.loc, format!("/{n} does not fit"))
                        .help(help),
                    );
                }
            }
        }
    }
}

impl Placer<'_> {
    /// Explicit claims (step 3), in the order given; `discovered`, the parts of networks
    /// found in the inventories taken before them, to name one in the way.
    fn claim_all(
        &mut self,
        ctx: &Space,
        roots: &[Prefix],
        alloc: &mut Allocator,
        bucket: &Bucket,
        asks: Vec<Ask>,
        discovered: &[(Prefix, &Network)],
    ) {
        for ask in asks {
            let Request::Cidr(cidr) = ask.request else {
                continue;
            };
            let me = self.address(ask.owner, ctx.vpc);
            let mut result = alloc.claim(cidr);
            // A replaced resource may take its own released block again: apply deletes it
            // before it creates it.
            if let Err(AllocError::Taken { other, .. }) = result
                && other == cidr
                && bucket
                    .at(cidr)
                    .is_some_and(|r| !r.kept && r.holder == AddressRef::from(&me))
            {
                result = alloc.release(cidr).and_then(|()| alloc.claim(cidr));
            }
            match result {
                Ok(()) => self.set(ask.owner, ctx.vpc, cidr),
                Err(e) => {
                    let other = match found_in(discovered, &e) {
                        Some(network) => InTheWay::Discovered(network),
                        None => bucket.describe(&e),
                    };
                    let help = match (&e, &other) {
                        (AllocError::OutsidePool { .. }, _) => {
                            format!("give a block inside {}", list(roots))
                        }
                        (_, InTheWay::Released { .. }) => {
                            "a block is free only from the plan after the one that releases it: \
                             take this claim out, apply the release, then claim the block; or \
                             choose another block"
                                .into()
                        }
                        (_, InTheWay::Discovered(n))
                            if matches!(ask.owner, Owner::Vpc(..)) && n.is_vpc() =>
                        {
                            format!(
                                "{} exists in the cloud but not in the state: choose another \
                                 block, or, if this entry is that network, adopt it (`ipam \
                                 import`) or give it `resource_id = \"{}\"`",
                                n.id, n.id
                            )
                        }
                        (_, InTheWay::Discovered(n)) => format!(
                            "{} exists but is not in the state: choose another block, or take it \
                             out of the cloud first",
                            n.id
                        ),
                        _ => "choose a free block, or use `netmask` for first fit".into(),
                    };
                    self.diags.push(
                        Diag::error(
                            "ipam::plan::claim",
                            format!("{cidr} for {me} cannot be taken from {}: {other}", ctx.what),
                        )
                        .at(&ask.loc, "not free")
                        .help(help),
                    );
                }
            }
        }
    }
}

impl<'a> Placer<'a> {
    /// Takes the free parts of every discovered network of the space's scope that overlaps
    /// its CIDRs; records each one taken as stepped around. Returns the parts taken, sorted,
    /// with the network each belongs to.
    fn step_around(
        &mut self,
        ctx: &Space,
        roots: &[Prefix],
        alloc: &mut Allocator,
    ) -> Vec<(Prefix, &'a Network)> {
        // Borrowed from the plan's inventories, not from `self`: parts name their network
        // without a copy of it each.
        let existing: &'a Existing = self.existing;
        let lists = existing.in_scope(ctx.scope);
        // The scope's networks and those of no known scope, in address order.
        let mut found: Vec<(&'a Network, Prefix)> = lists
            .iter()
            .flat_map(|list| {
                overlapping(list, roots)
                    .into_iter()
                    .map(|(i, r)| (&list[i], r))
            })
            .collect();
        found.sort_by(|a, b| (a.0.cidr, &a.0.id, a.1).cmp(&(b.0.cidr, &b.0.id, b.1)));
        let mut parts = Vec::new();
        for (network, region) in found {
            // A network as large as the space or larger (the region is then a whole root)
            // is the space itself seen by another tool: the VPC whose subnets are placed, or
            // a prefix documenting the pool's range. A cloud network around a pool is not.
            if roots.contains(&region) && (ctx.vpc.is_some() || !network.is_cloud()) {
                continue;
            }
            let taken = take_free(alloc, region);
            if taken.is_empty() {
                continue;
            }
            parts.extend(taken.into_iter().map(|t| (t, network)));
            // Listed once per space, however many of its CIDRs the network overlaps.
            let listed = self.stepped.last().is_some_and(|s| {
                s.within == ctx.address
                    && s.network.cidr == network.cidr
                    && s.network.id == network.id
            });
            if !listed {
                self.stepped.push(SteppedAround {
                    network: network.clone(),
                    within: ctx.address.clone(),
                });
            }
        }
        parts.sort_by_key(|(p, _)| *p);
        parts
    }
}

/// The discovered network whose part an allocator error names.
fn found_in<'n>(parts: &[(Prefix, &'n Network)], e: &AllocError) -> Option<&'n Network> {
    let AllocError::Taken { other, .. } = e else {
        return None;
    };
    let i = parts.partition_point(|(p, _)| p < other);
    parts.get(i).filter(|(p, _)| p == other).map(|(_, n)| *n)
}

/// Holds a layout's growth slot where the only blocks in the way are ones this plan
/// releases: nothing will be allocated there either way.
fn hold_over_released(alloc: &mut Allocator, bucket: &Bucket, slot: Prefix) -> bool {
    let mut in_the_way = bucket
        .recorded
        .iter()
        .filter(|r| r.cidr.overlaps(&slot) && alloc.is_taken(&r.cidr));
    if in_the_way.clone().any(|r| r.kept) {
        return false;
    }
    if in_the_way.any(|r| r.cidr.contains(&slot)) {
        return true;
    }
    let inside: Vec<Prefix> = bucket
        .recorded
        .iter()
        .filter(|r| slot.contains(&r.cidr) && alloc.is_taken(&r.cidr))
        .map(|r| r.cidr)
        .collect();
    for c in inside {
        let _ = alloc.release(c);
    }
    alloc.claim(slot).is_ok()
}

/// What stands where a claim wanted to go.
enum InTheWay<'a> {
    /// A block the plan keeps.
    Recorded {
        cidr: Prefix,
        holder: AddressRef<'a>,
    },
    /// A block this plan releases: free from the next plan on.
    Released {
        cidr: Prefix,
        holder: AddressRef<'a>,
    },
    /// A block claimed earlier in this plan.
    Taken(Prefix),
    /// A network found in an inventory that no recorded allocation is.
    Discovered(&'a Network),
    /// Not a collision: outside the space, another family, ...
    Other(AllocError),
}

impl std::fmt::Display for InTheWay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InTheWay::Recorded { cidr, holder } => write!(f, "{cidr} is recorded for {holder}"),
            InTheWay::Released { cidr, holder } => {
                write!(f, "{cidr} is released by this plan from {holder}")
            }
            InTheWay::Taken(cidr) => write!(f, "{cidr} is already taken"),
            InTheWay::Discovered(n) => write!(
                f,
                "{} is taken by {n}, found in the inventories and not in the state",
                n.cidr
            ),
            InTheWay::Other(e) => e.fmt(f),
        }
    }
}

impl<'a> Bucket<'a> {
    /// The recorded block at exactly `cidr`; `recorded` is sorted by CIDR.
    fn at(&self, cidr: Prefix) -> Option<&Recorded<'a>> {
        let i = self.recorded.partition_point(|r| r.cidr < cidr);
        self.recorded.get(i).filter(|r| r.cidr == cidr)
    }

    /// Who holds the block an allocator error names.
    fn describe(&self, e: &AllocError) -> InTheWay<'a> {
        match e {
            AllocError::Taken { other, .. } => match self.at(*other) {
                Some(r) if r.kept => InTheWay::Recorded {
                    cidr: *other,
                    holder: r.holder,
                },
                Some(r) => InTheWay::Released {
                    cidr: *other,
                    holder: r.holder,
                },
                None => InTheWay::Taken(*other),
            },
            other => InTheWay::Other(other.clone()),
        }
    }
}
