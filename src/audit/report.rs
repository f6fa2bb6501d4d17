//! The audit (SPEC §8; seed 002, "Resource monitoring"): every discovered resource CIDR set
//! against the recorded state, with its management, compliance, overlap and IP usage.
//!
//! # Decisions
//!
//! - **Managed** means the row's CIDR is a recorded allocation of its kind (a VPC's primary,
//!   secondary or IPv6 block for a VPC row, a subnet for a subnet row), and the row is the
//!   resource holding it: a recorded VPC with a `resource_id` is held only by that ID; one
//!   without is held by the first ID (lowest, in byte order) that shows one of its blocks,
//!   and its other blocks and subnets then only by that ID and its subnets. Of two
//!   discovered resources with one recorded CIDR, one is managed and the other unmanaged,
//!   and they overlap. Reservations stand for networks outside the cloud: a discovered VPC or
//!   subnet on one is not managed, it overlaps it.
//! - **Other networks** (Azure and Google networks and subnets, prefixes of another IPAM) are
//!   never a plan's VPC or subnet: the plan allocates AWS- and Alibaba-style networks only,
//!   and matching an Azure virtual network to a recorded VPC by its CIDR would claim a
//!   network the plan never declared. Such a row inside a recorded reservation (in its
//!   scope) is held by it, since a reservation keeps space for exactly these networks:
//!   `managed` and `compliant` (a reservation has no rules to break), and it does not
//!   overlap its reservation. Elsewhere it is `unmanaged`, so `--fail-on unmanaged` finds
//!   networks in other clouds or on premises that the plan has not reserved space for.
//! - **Ignored**: an ID in the plan's `[audit] ignore`, and the subnets of an ignored
//!   network.
//!   An ignored row is neither checked for compliance nor for overlap: all three of its
//!   statuses read `ignored` (as in Alibaba's `ListIpamResourceCidrs`), and other rows are
//!   never said to overlap it.
//! - **Compliance** of a managed row, against the pool of the block it holds, as recorded:
//!   the prefix length inside the pool's `min_netmask`..`max_netmask` (VPC blocks), every
//!   `required_tags` value present (VPC blocks), the region the plan gives the VPC (its own
//!   or its pool's), and the account: the IPAM owner's or one the pool is shared with
//!   (account names or their IDs from `[accounts]`). What the inventory does not say (AWS
//!   prints no region per VPC, no account in some exports) is not held against a row.
//! - **Scopes.** A managed row is in its pool's scope (a held row in its reservation's). A
//!   subnet is in its network's scope when the network is in the inventory. Any other row is in the scope of the narrowest recorded
//!   pool whose CIDR contains it (`private`, then `public`, then custom scopes by name,
//!   when pools of several scopes have that CIDR), else in `private` (IPv4, and IPv6
//!   unique-local `fc00::/7`) or `public` (other IPv6). Overlaps are only looked for within
//!   a scope.
//! - **Overlap partners** are the other non-ignored rows of the scope, and the recorded
//!   allocations no row holds: VPC blocks (named by their address, `vpc.NAME`: a network
//!   the plan has handed out that is not, or not yet, in the inventory) and reservations
//!   (`reservation.NAME`). Not overlaps: two CIDRs of one resource; a subnet and its own
//!   network (the row named by its `vpc_id`, and the recorded VPC that network holds); two
//!   prefixes (another IPAM nests its prefixes by design, and its VRFs are not told apart);
//!   a row and the reservation that holds it. Each row lists the first [`LISTED`] names it
//!   overlaps, sorted, and counts the rest (`overlaps_more`): computed on overlap groups,
//!   linear in rows however many share a CIDR ([`overlap`]).
//! - **IP usage**: a network row's share of addresses covered by its subnets (the rows with
//!   its ID as `vpc_id` inside that CIDR), known when the inventory holds any subnets at all;
//!   any other row's `used / total`, known when the inventory gives both.

mod hold;
mod overlap;
mod rules;

use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::inventory::{Discovered, Inventory, Kind, Skipped};
use crate::addr::{AddrCount, Family, Prefix};
use crate::model::{AddressRef, Model};
use crate::state::{Records, VpcRecord};
use hold::{Holding, Scopes, hold, hold_reservations, partners, scope_rows, targets};
use overlap::{Found, Input, overlaps};
use rules::{Owner, broken_rules};

pub use overlap::LISTED;
pub(crate) use rules::outside_rules;

/// Whether a resource CIDR is allocated from a pool.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Management {
    Managed,
    Unmanaged,
    Ignored,
}

/// Whether a managed CIDR keeps its pool's rules.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Compliance {
    Compliant,
    Noncompliant,
    Unmanaged,
    Ignored,
}

/// Whether a resource CIDR overlaps another in its scope.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum OverlapStatus {
    Overlapping,
    Nonoverlapping,
    Ignored,
}

impl Management {
    pub const fn as_str(self) -> &'static str {
        match self {
            Management::Managed => "managed",
            Management::Unmanaged => "unmanaged",
            Management::Ignored => "ignored",
        }
    }
}

impl Compliance {
    pub const fn as_str(self) -> &'static str {
        match self {
            Compliance::Compliant => "compliant",
            Compliance::Noncompliant => "noncompliant",
            Compliance::Unmanaged => "unmanaged",
            Compliance::Ignored => "ignored",
        }
    }
}

impl OverlapStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            OverlapStatus::Overlapping => "overlapping",
            OverlapStatus::Nonoverlapping => "nonoverlapping",
            OverlapStatus::Ignored => "ignored",
        }
    }
}

/// The recorded allocation a managed row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder<'a> {
    /// `vpc.NAME` or `vpc.NAME.subnet.S`.
    pub address: AddressRef<'a>,
    /// The pool of the block (a subnet: of its VPC's block).
    pub pool: &'a str,
}

/// What the audit found for one row, compactly: a million of them are normal.
#[derive(Debug, Clone)]
struct Status {
    management: Management,
    compliance: Compliance,
    overlap: OverlapStatus,
    /// Index into [`Report::scopes`].
    scope: u16,
    /// Index into [`Report::holders`], or `NONE`.
    holder: u32,
    ip_usage: Option<f64>,
    /// See [`Row::matched_by_cidr`].
    matched_by_cidr: bool,
    /// Only for the rows that have any.
    notes: Option<Box<Notes>>,
}

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
struct Notes {
    reasons: Vec<String>,
    overlaps: Found,
}

/// One discovered resource CIDR and what the audit found.
#[derive(Debug, Clone, Copy)]
pub struct Row<'r> {
    pub resource: &'r Discovered,
    pub scope: &'r str,
    /// The recorded allocation a managed (or ignored) row is.
    pub holder: Option<Holder<'r>>,
    pub management: Management,
    pub compliance: Compliance,
    /// Why the row is noncompliant; empty otherwise.
    pub reasons: &'r [String],
    pub overlap: OverlapStatus,
    /// IDs of the overlapping rows, and addresses of overlapping recorded allocations that
    /// no row holds; sorted, the first [`LISTED`] of them.
    pub overlaps_with: &'r [Arc<str>],
    /// How many more there are beyond `overlaps_with`.
    pub overlaps_more: usize,
    /// 0–1, or `None` when unknown.
    pub ip_usage: Option<f64>,
    /// A managed VPC row held only because its CIDR is the recorded block: the recorded VPC
    /// has no `resource_id` (`ipam import --bind` writes this row's ID into its entry).
    pub matched_by_cidr: bool,
}

/// The audit of one inventory against one state.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// In inventory order.
    resources: Vec<Discovered>,
    /// Beside each resource.
    status: Vec<Status>,
    /// Indices into `resources` by CIDR (family, address, prefix length), then VPCs before
    /// subnets, then ID.
    order: Vec<u32>,
    /// The recorded allocations rows are: VPC blocks and subnets, then reservations.
    holders: Vec<Holder<'a>>,
    scopes: Vec<&'a str>,
    /// Inventory entries that could not be used, in reading order.
    pub skipped: Vec<Skipped>,
}

/// Counts of rows by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Rows (resource CIDRs).
    pub resources: usize,
    pub managed: usize,
    pub unmanaged: usize,
    pub ignored: usize,
    pub compliant: usize,
    pub noncompliant: usize,
    pub overlapping: usize,
    /// Inventory entries skipped.
    pub skipped: usize,
}

/// What `--fail-on` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum FailOn {
    /// A row that overlaps another.
    Overlap,
    /// A managed row that breaks its pool's rules.
    Noncompliant,
    /// A row allocated from no pool.
    Unmanaged,
}

impl FailOn {
    pub const fn as_str(self) -> &'static str {
        match self {
            FailOn::Overlap => "overlap",
            FailOn::Noncompliant => "noncompliant",
            FailOn::Unmanaged => "unmanaged",
        }
    }

    /// The status of the rows it names.
    pub const fn status(self) -> &'static str {
        match self {
            FailOn::Overlap => OverlapStatus::Overlapping.as_str(),
            FailOn::Noncompliant => Compliance::Noncompliant.as_str(),
            FailOn::Unmanaged => Management::Unmanaged.as_str(),
        }
    }

    /// Whether a row matches.
    pub fn matches(self, row: &Row) -> bool {
        match self {
            FailOn::Overlap => row.overlap == OverlapStatus::Overlapping,
            FailOn::Noncompliant => row.compliance == Compliance::Noncompliant,
            FailOn::Unmanaged => row.management == Management::Unmanaged,
        }
    }
}

impl<'a> Report<'a> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The rows, by CIDR (family, address, prefix length), then VPCs before subnets, then
    /// ID.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = Row<'_>> + '_ {
        self.order.iter().map(|&i| self.row(i as usize))
    }

    /// The rows at these positions of [`Report::rows`].
    pub fn rows_at(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = Row<'_>> + '_ {
        self.order[range].iter().map(|&i| self.row(i as usize))
    }

    fn row(&self, i: usize) -> Row<'_> {
        let s = &self.status[i];
        let (reasons, overlaps_with, overlaps_more): (&[String], &[Arc<str>], usize) =
            match &s.notes {
                Some(n) => (&n.reasons, &n.overlaps.names, n.overlaps.more),
                None => (&[], &[], 0),
            };
        Row {
            resource: &self.resources[i],
            scope: self.scopes[usize::from(s.scope)],
            holder: (s.holder != NONE).then(|| self.holders[s.holder as usize]),
            management: s.management,
            compliance: s.compliance,
            reasons,
            overlap: s.overlap,
            overlaps_with,
            overlaps_more,
            ip_usage: s.ip_usage,
            matched_by_cidr: s.matched_by_cidr,
        }
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            resources: self.len(),
            skipped: self.skipped.len(),
            ..Summary::default()
        };
        for row in &self.status {
            match row.management {
                Management::Managed => s.managed += 1,
                Management::Unmanaged => s.unmanaged += 1,
                Management::Ignored => s.ignored += 1,
            }
            match row.compliance {
                Compliance::Compliant => s.compliant += 1,
                Compliance::Noncompliant => s.noncompliant += 1,
                Compliance::Unmanaged | Compliance::Ignored => {}
            }
            if row.overlap == OverlapStatus::Overlapping {
                s.overlapping += 1;
            }
        }
        s
    }

    /// For each condition given, the number of rows that match it; conditions no row matches
    /// are left out.
    pub fn failures(&self, on: &[FailOn]) -> Vec<(FailOn, usize)> {
        let on: BTreeSet<FailOn> = on.iter().copied().collect();
        on.into_iter()
            .map(|f| (f, self.rows().filter(|r| f.matches(r)).count()))
            .filter(|&(_, n)| n > 0)
            .collect()
    }
}

/// Audits an inventory against the recorded state of a plan.
pub fn audit<'a>(model: &'a Model, records: &'a Records, inventory: Inventory) -> Report<'a> {
    let Inventory { resources, skipped } = inventory;
    // The output order and IP usage need nothing else: a thread of their own, which hands
    // the order over as soon as it has it (overlaps are found in CIDR order too).
    let (usage, (holders, scopes, status, order)) = std::thread::scope(|s| {
        let (send, receive) = std::sync::mpsc::sync_channel(1);
        let resources = &resources;
        let side = s.spawn(move || {
            let _ = send.send(sorted(resources));
            ip_usage(resources)
        });
        let found = statuses(model, records, resources, || {
            receive.recv().unwrap_or_else(|_| sorted(resources))
        });
        let usage = side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (usage, found)
    });
    let status = status
        .into_iter()
        .zip(usage)
        .map(|(mut s, u)| {
            s.ip_usage = u;
            s
        })
        .collect();
    Report {
        resources,
        status,
        order,
        holders,
        scopes,
        skipped,
    }
}

/// Everything but IP usage: what holds what, scopes, overlaps, compliance; and the rows'
/// order, from the keys `keys` gives.
fn statuses<'a>(
    model: &'a Model,
    records: &'a Records,
    resources: &[Discovered],
    keys: impl FnOnce() -> Vec<Key>,
) -> (Vec<Holder<'a>>, Vec<&'a str>, Vec<Status>, Vec<u32>) {
    let vpcs: Vec<(&'a str, &'a VpcRecord)> =
        records.vpcs.iter().map(|(n, v)| (n.as_str(), v)).collect();
    let targets = targets(&vpcs);
    let Holding {
        mut held,
        taken,
        bound,
    } = hold(resources, &vpcs, &targets);
    let ignored: Vec<bool> = resources
        .iter()
        .map(|r| {
            !model.audit_ignore.is_empty()
                && (model.audit_ignore.contains(&*r.id)
                    || (r.kind.is_subnet()
                        && r.vpc_id
                            .as_deref()
                            .is_some_and(|v| model.audit_ignore.contains(v))))
        })
        .collect();
    let scopes = Scopes::new(records);
    let mut holders: Vec<Holder<'a>> = targets.iter().map(|t| t.holder).collect();
    hold_reservations(resources, records, &scopes, &mut held, &mut holders);
    let scope = scope_rows(resources, &held, &holders, &scopes);
    let partners = partners(records, &targets, &taken, &bound, &scopes);
    let reservation: Vec<(usize, String)> = held
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            h.filter(|&h| h >= targets.len())
                .map(|h| (i, holders[h].address.to_string()))
        })
        .collect();
    let keys = keys();
    let mut found = overlaps(&Input {
        rows: resources,
        ignored: &ignored,
        scope: &scope,
        scopes: scopes.names.len(),
        partners: &partners,
        reservation: &reservation,
        keys: &keys,
    })
    .into_iter()
    .peekable();
    let owner = Owner::new(model);

    let status: Vec<Status> = (0..resources.len())
        .map(|i| {
            let resource = &resources[i];
            let mut status = Status {
                management: Management::Ignored,
                compliance: Compliance::Ignored,
                overlap: OverlapStatus::Ignored,
                scope: scope[i],
                holder: held[i].map_or(NONE, |h| h as u32),
                ip_usage: None,
                matched_by_cidr: false,
                notes: None,
            };
            let overlaps = found
                .next_if(|(row, _)| *row == i)
                .map(|(_, f)| f)
                .unwrap_or_default();
            if ignored[i] {
                return status;
            }
            let mut notes = Notes::default();
            match held[i] {
                Some(t) if t < targets.len() => {
                    let target = &targets[t];
                    let vpc = vpcs[target.vpc].1;
                    notes.reasons = broken_rules(resource, target, vpc, records, &owner);
                    status.management = Management::Managed;
                    status.matched_by_cidr = target.kind == Kind::Vpc && vpc.resource_id.is_none();
                    status.compliance = if notes.reasons.is_empty() {
                        Compliance::Compliant
                    } else {
                        Compliance::Noncompliant
                    };
                }
                // Held by a reservation.
                Some(_) => {
                    status.management = Management::Managed;
                    status.compliance = Compliance::Compliant;
                }
                None => {
                    status.management = Management::Unmanaged;
                    status.compliance = Compliance::Unmanaged;
                }
            }
            status.overlap = if overlaps.names.is_empty() {
                OverlapStatus::Nonoverlapping
            } else {
                OverlapStatus::Overlapping
            };
            notes.overlaps = overlaps;
            if !notes.reasons.is_empty() || !notes.overlaps.names.is_empty() {
                status.notes = Some(Box::new(notes));
            }
            status
        })
        .collect();
    let order = keys.iter().map(|k| k.4).collect();
    (holders, scopes.names, status, order)
}

/// A row's place in the output: family (4 or 6), first address, prefix length, kind, row.
pub(super) type Key = (u8, u128, u8, Kind, u32);

/// The rows' keys by CIDR, kind, then ID: compact keys sorted, then the rare runs of one
/// CIDR and kind by ID.
fn sorted(rows: &[Discovered]) -> Vec<Key> {
    let mut keys: Vec<Key> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let family = match r.cidr.family() {
                Family::V4 => 4,
                Family::V6 => 6,
            };
            (
                family,
                r.cidr.start(),
                r.cidr.prefix_len(),
                r.kind,
                i as u32,
            )
        })
        .collect();
    keys.sort_unstable();
    let mut start = 0;
    while start < keys.len() {
        let same = |k: &Key| (k.0, k.1, k.2, k.3);
        let end = start
            + keys[start..]
                .iter()
                .take_while(|k| same(k) == same(&keys[start]))
                .count();
        if end - start > 1 {
            keys[start..end].sort_by(|a, b| rows[a.4 as usize].id.cmp(&rows[b.4 as usize].id));
        }
        start = end;
    }
    keys
}

/// Each row's IP usage (see the module documentation, "IP usage").
fn ip_usage(rows: &[Discovered]) -> Vec<Option<f64>> {
    let mut subnets: FxHashMap<&str, Vec<Prefix>> = FxHashMap::default();
    for row in rows {
        if row.kind.is_subnet()
            && let Some(vpc) = row.vpc_id.as_deref()
        {
            subnets.entry(vpc).or_default().push(row.cidr);
        }
    }
    let any_subnets = rows.iter().any(|r| r.kind.is_subnet());
    rows.iter()
        .map(|row| match row.kind {
            kind if !kind.is_network() => match (row.used, row.total) {
                (Some(used), Some(total)) if total > 0 => {
                    Some((used as f64 / total as f64).clamp(0.0, 1.0))
                }
                _ => None,
            },
            _ if !any_subnets => None,
            _ => {
                let mut inside: Vec<Prefix> = subnets
                    .get(&*row.id)
                    .map(|s| s.iter().copied().filter(|s| row.cidr.contains(s)).collect())
                    .unwrap_or_default();
                inside.sort_unstable();
                // Sorted prefixes: a block inside the previous counted one is skipped.
                let mut covered = AddrCount::ZERO;
                let mut last: Option<Prefix> = None;
                for s in inside {
                    if last.is_some_and(|l| l.contains(&s)) {
                        continue;
                    }
                    covered = covered.plus(s.size());
                    last = Some(s);
                }
                Some(covered.ratio(row.cidr.size()))
            }
        })
        .collect()
}
