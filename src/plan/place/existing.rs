//! Networks that exist but are no recorded allocation (SPEC §18): found by `plan
//! --inventory` in cloud exports, they are taken in their scope for the plan's new VPCs and
//! subnets, so first fit steps around them and an explicit claim on one is an error naming
//! it. Pools and reservations with explicit CIDRs are address plan, not networks, and may
//! hold them (they are claimed first).
//!
//! Only spaces this plan places a new VPC or subnet in look at them, and each looks only at
//! the networks inside or around its own CIDRs (a binary search in the scope's sorted
//! list), so a plan with nothing new costs nothing more, however large the inventory.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::addr::{AllocError, Allocator, Prefix};
use crate::model::Address;

/// One discovered network the plan must not allocate over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// The cloud's ID (`vpc-0a1b…`, `vsw-bp1…`, a NetBox prefix's ID).
    pub id: String,
    /// What it is, as `audit` names it (`vpc`, `subnet`, `azure-vnet`, …).
    #[serde(rename = "type")]
    pub kind: String,
    pub cidr: Prefix,
    /// Its name, where the export gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Network {
    /// A cloud's VPC (or Azure virtual network, Google network): what a VPC entry of the
    /// plan can be, by its `resource_id`.
    pub fn is_vpc(&self) -> bool {
        matches!(self.kind.as_str(), "vpc" | "azure-vnet" | "gcp-network")
    }

    /// Built in a cloud (a VPC or a subnet of any cloud), not a prefix an IPAM such as
    /// NetBox documents.
    pub fn is_cloud(&self) -> bool {
        self.kind != "prefix"
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.id)?;
        if let Some(name) = &self.name {
            write!(f, " ({name})")?;
        }
        Ok(())
    }
}

/// The discovered networks by scope name, and those of no known scope; each list sorted by
/// CIDR.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    by_scope: BTreeMap<String, Vec<Network>>,
    anywhere: Vec<Network>,
}

impl Existing {
    /// Networks and the scope each lies in (`None`: no recorded pool holds it, so its scope
    /// is not known and it is in the way in every scope), in any order.
    pub fn new(networks: impl IntoIterator<Item = (Option<String>, Network)>) -> Existing {
        let mut by_scope: BTreeMap<String, Vec<Network>> = BTreeMap::new();
        let mut anywhere = Vec::new();
        for (scope, n) in networks {
            match scope {
                Some(scope) => by_scope.entry(scope).or_default().push(n),
                None => anywhere.push(n),
            }
        }
        let by_cidr = |a: &Network, b: &Network| a.cidr.cmp(&b.cidr).then_with(|| a.id.cmp(&b.id));
        for list in by_scope.values_mut() {
            list.sort_by(by_cidr);
        }
        anywhere.sort_by(by_cidr);
        Existing { by_scope, anywhere }
    }

    /// The networks in the way in `scope`: its own, and those of no known scope; each list
    /// sorted by CIDR.
    pub(super) fn in_scope(&self, scope: &str) -> [&[Network]; 2] {
        [
            self.by_scope.get(scope).map_or(&[], Vec::as_slice),
            &self.anywhere,
        ]
    }
}

/// A discovered network the plan stepped around, and the space it did so in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SteppedAround {
    #[serde(flatten)]
    pub network: Network,
    /// The pool (`pool.NAME`) or VPC (`vpc.NAME`, for its subnets) it was taken in.
    pub within: Address,
}

/// For each network of `networks` (sorted by CIDR) that overlaps one of `roots`, its index
/// and the part of it inside that root (the network, or the root when it covers the root).
pub(super) fn overlapping(networks: &[Network], roots: &[Prefix]) -> Vec<(usize, Prefix)> {
    let mut out = Vec::new();
    for root in roots {
        // Networks that contain the root: one candidate per shorter length.
        for len in 0..=root.prefix_len() {
            let Some(around) = Prefix::new(
                root.family(),
                mask(root.start(), root.family().bits(), len),
                len,
            ) else {
                continue;
            };
            let from = networks.partition_point(|n| n.cidr < around);
            for (i, n) in networks.iter().enumerate().skip(from) {
                if n.cidr != around {
                    break;
                }
                out.push((i, *root));
            }
        }
        // Networks inside the root: a stretch of the sorted list.
        let from = networks.partition_point(|n| n.cidr <= *root);
        for (i, n) in networks.iter().enumerate().skip(from) {
            if !root.contains(&n.cidr) {
                break;
            }
            out.push((i, n.cidr));
        }
    }
    out
}

/// `addr` with only its first `len` of `bits` bits kept.
fn mask(addr: u128, bits: u8, len: u8) -> u128 {
    let host = u32::from(bits - len);
    if host >= 128 {
        0
    } else {
        addr & !((1u128 << host) - 1)
    }
}

/// Takes every free part of `region` (inside one of the allocator's CIDRs) and returns the
/// parts taken, in address order. A region inside a taken block has no free part; one
/// around taken blocks is split in halves until each half is free or taken. The cost is
/// bounded by the taken blocks inside the region, never by the pool's other blocks.
pub(super) fn take_free(alloc: &mut Allocator, region: Prefix) -> Vec<Prefix> {
    let mut out = Vec::new();
    let mut todo = vec![region];
    while let Some(block) = todo.pop() {
        match alloc.claim(block) {
            Ok(()) => out.push(block),
            Err(AllocError::Taken { other, .. }) if other.contains(&block) => {}
            Err(AllocError::Taken { .. }) => {
                if let Some((low, high)) = halves(block) {
                    // Low half last in, first out: parts come out in address order.
                    todo.push(high);
                    todo.push(low);
                }
            }
            Err(_) => {}
        }
    }
    out
}

/// The two halves of a block, or none for a single address.
fn halves(block: Prefix) -> Option<(Prefix, Prefix)> {
    let len = block.prefix_len().checked_add(1)?;
    let low = Prefix::new(block.family(), block.start(), len)?;
    let high = low.buddy()?;
    Some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Family;

    fn p(s: &str) -> Prefix {
        s.parse().expect("test CIDR")
    }

    fn net(id: &str, cidr: &str) -> Network {
        Network {
            id: id.into(),
            kind: "vpc".into(),
            cidr: p(cidr),
            name: None,
        }
    }

    #[test]
    fn finds_networks_inside_and_around_a_root() {
        let existing = Existing::new(
            [
                net("inside", "10.1.5.0/24"),
                net("around", "10.0.0.0/8"),
                net("elsewhere", "192.168.0.0/16"),
                net("same", "10.1.0.0/16"),
                net("edge", "10.2.0.0/24"),
            ]
            .map(|n| (Some("private".to_string()), n)),
        );
        let [list, anywhere] = existing.in_scope("private");
        assert!(anywhere.is_empty());
        let found: Vec<(&str, String)> = overlapping(list, &[p("10.1.0.0/16")])
            .into_iter()
            .map(|(i, part)| (list[i].id.as_str(), part.to_string()))
            .collect();
        assert_eq!(
            found,
            [
                ("around", "10.1.0.0/16".to_string()),
                ("same", "10.1.0.0/16".to_string()),
                ("inside", "10.1.5.0/24".to_string()),
            ]
        );
        assert!(existing.in_scope("public").iter().all(|l| l.is_empty()));
    }

    #[test]
    fn takes_only_the_free_parts() {
        let mut alloc = Allocator::build(
            Family::V4,
            [p("10.0.0.0/16")],
            vec![p("10.0.1.0/24"), p("10.0.3.0/25")],
        )
        .expect("allocator");
        let parts = take_free(&mut alloc, p("10.0.0.0/22"));
        let parts: Vec<String> = parts.iter().map(Prefix::to_string).collect();
        assert_eq!(
            parts,
            ["10.0.0.0/24", "10.0.2.0/24", "10.0.3.128/25"],
            "everything of the /22 that was free, nothing taken twice"
        );
        assert!(
            take_free(&mut alloc, p("10.0.1.0/26")).is_empty(),
            "inside a taken block"
        );
        // First fit now starts after the /22.
        assert_eq!(alloc.allocate(24).expect("room"), p("10.0.4.0/24"));
    }
}
