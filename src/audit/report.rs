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
//!   and they overlap. Reservations stand for networks outside the cloud: a discovered
//!   network on one is not managed, it overlaps it.
//! - **Ignored**: an ID in the plan's `[audit] ignore`, and the subnets of an ignored VPC.
//!   An ignored row is neither checked for compliance nor for overlap: all three of its
//!   statuses read `ignored` (as in Alibaba's `ListIpamResourceCidrs`), and other rows are
//!   never said to overlap it.
//! - **Compliance** of a managed row, against the pool of the block it holds, as recorded:
//!   the prefix length inside the pool's `min_netmask`..`max_netmask` (VPC blocks), every
//!   `required_tags` value present (VPC blocks), the region the plan gives the VPC (its own
//!   or its pool's), and the account: the IPAM owner's or one the pool is shared with
//!   (account names or their IDs from `[accounts]`). What the inventory does not say (AWS
//!   prints no region per VPC, no account in some exports) is not held against a row.
//! - **Scopes.** A managed row is in its pool's scope. A subnet is in its VPC's scope when
//!   the VPC is in the inventory. Any other row is in the scope of the narrowest recorded
//!   pool whose CIDR contains it (`private`, then `public`, then custom scopes by name,
//!   when pools of several scopes have that CIDR), else in `private` (IPv4, and IPv6
//!   unique-local `fc00::/7`) or `public` (other IPv6). Overlaps are only looked for within
//!   a scope.
//! - **Overlap partners** are the other non-ignored rows of the scope, and the recorded
//!   allocations no row holds: VPC blocks (named by their address, `vpc.NAME`: a network
//!   the plan has handed out that is not, or not yet, in the inventory) and reservations
//!   (`reservation.NAME`). A subnet inside its own VPC, and two CIDRs of one resource, do
//!   not overlap. One sweep per scope, O(n log n) plus the pairs found.
//! - **IP usage**: a VPC row's share of addresses covered by its subnets (the subnets with
//!   its ID as `vpc_id` inside that CIDR), known when the inventory holds any subnets at all;
//!   a subnet's `used / total`, known when the inventory gives both.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::inventory::{Discovered, Inventory, Kind, Skipped};
use crate::addr::{AddrCount, ContainerIndex, Family, Prefix, overlaps};
use crate::model::{AddressRef, Model, Rules};
use crate::state::{PoolRecord, Records, VpcRecord};

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
    /// Index into [`Report::targets`], or `NONE`.
    holder: u32,
    ip_usage: Option<f64>,
    /// Only for the rows that have any.
    notes: Option<Box<Notes>>,
}

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
struct Notes {
    reasons: Vec<String>,
    overlaps_with: Vec<String>,
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
    /// no row holds; sorted.
    pub overlaps_with: &'r [String],
    /// 0–1, or `None` when unknown.
    pub ip_usage: Option<f64>,
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
    targets: Vec<Target<'a>>,
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
        let (reasons, overlaps_with): (&[String], &[String]) = match &s.notes {
            Some(n) => (&n.reasons, &n.overlaps_with),
            None => (&[], &[]),
        };
        Row {
            resource: &self.resources[i],
            scope: self.scopes[usize::from(s.scope)],
            holder: (s.holder != NONE).then(|| self.targets[s.holder as usize].holder),
            management: s.management,
            compliance: s.compliance,
            reasons,
            overlap: s.overlap,
            overlaps_with,
            ip_usage: s.ip_usage,
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

/// A recorded CIDR a discovered row can be: a VPC block or a subnet.
#[derive(Debug, Clone)]
struct Target<'a> {
    cidr: Prefix,
    kind: Kind,
    /// Index into the recorded VPCs.
    vpc: usize,
    holder: Holder<'a>,
}

/// The built-in scopes, first in every tie.
const PRIVATE: &str = "private";
const PUBLIC: &str = "public";

/// Audits an inventory against the recorded state of a plan.
pub fn audit<'a>(model: &'a Model, records: &'a Records, inventory: Inventory) -> Report<'a> {
    let Inventory { resources, skipped } = inventory;
    // IP usage and the output order need nothing else: a thread of their own.
    let (usage, order, found) = std::thread::scope(|s| {
        let side = s.spawn(|| (ip_usage(&resources), sorted(&resources)));
        let found = statuses(model, records, &resources);
        let (usage, order) = side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (usage, order, found)
    });
    let (targets, scopes, status) = found;
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
        targets,
        scopes,
        skipped,
    }
}

/// Everything but IP usage: what holds what, scopes, overlaps, compliance.
fn statuses<'a>(
    model: &'a Model,
    records: &'a Records,
    resources: &[Discovered],
) -> (Vec<Target<'a>>, Vec<&'a str>, Vec<Status>) {
    let vpcs: Vec<(&'a str, &'a VpcRecord)> =
        records.vpcs.iter().map(|(n, v)| (n.as_str(), v)).collect();
    let targets = targets(&vpcs);
    let Holding { held, taken, bound } = hold(resources, &vpcs, &targets);
    let ignored: Vec<bool> = resources
        .iter()
        .map(|r| {
            !model.audit_ignore.is_empty()
                && (model.audit_ignore.contains(&*r.id)
                    || (r.kind == Kind::Subnet
                        && r.vpc_id
                            .as_deref()
                            .is_some_and(|v| model.audit_ignore.contains(v))))
        })
        .collect();
    let scopes = Scopes::new(records);
    let scope = scope_rows(resources, &held, &targets, &scopes);
    let partners = partners(records, &targets, &taken, &bound, &scopes);
    let mut overlapping = overlap_rows(resources, &ignored, &scope, scopes.names.len(), &partners);
    let owner = Owner::new(model);

    let status: Vec<Status> = (0..resources.len())
        .map(|i| {
            let resource = &resources[i];
            let holder = held[i].map_or(NONE, |t| t as u32);
            let mut status = Status {
                management: Management::Ignored,
                compliance: Compliance::Ignored,
                overlap: OverlapStatus::Ignored,
                scope: scope[i],
                holder,
                ip_usage: None,
                notes: None,
            };
            if ignored[i] {
                return status;
            }
            let mut notes = Notes::default();
            match held[i] {
                Some(t) => {
                    let target = &targets[t];
                    notes.reasons =
                        broken_rules(resource, target, vpcs[target.vpc].1, records, &owner);
                    status.management = Management::Managed;
                    status.compliance = if notes.reasons.is_empty() {
                        Compliance::Compliant
                    } else {
                        Compliance::Noncompliant
                    };
                }
                None => {
                    status.management = Management::Unmanaged;
                    status.compliance = Compliance::Unmanaged;
                }
            }
            notes.overlaps_with = std::mem::take(&mut overlapping[i]);
            status.overlap = if notes.overlaps_with.is_empty() {
                OverlapStatus::Nonoverlapping
            } else {
                OverlapStatus::Overlapping
            };
            if !notes.reasons.is_empty() || !notes.overlaps_with.is_empty() {
                status.notes = Some(Box::new(notes));
            }
            status
        })
        .collect();
    (targets, scopes.names, status)
}

/// Row indices by CIDR, kind, then ID: compact keys sorted, then the rare runs of one CIDR
/// and kind by ID.
fn sorted(rows: &[Discovered]) -> Vec<u32> {
    let mut keys: Vec<(u8, u128, u8, Kind, u32)> = rows
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
    let mut order: Vec<u32> = keys.iter().map(|k| k.4).collect();
    let mut start = 0;
    while start < keys.len() {
        let same = |k: &(u8, u128, u8, Kind, u32)| (k.0, k.1, k.2, k.3);
        let end = start
            + keys[start..]
                .iter()
                .take_while(|k| same(k) == same(&keys[start]))
                .count();
        if end - start > 1 {
            order[start..end].sort_by(|&a, &b| rows[a as usize].id.cmp(&rows[b as usize].id));
        }
        start = end;
    }
    order
}

/// Every recorded VPC block and subnet, sorted by CIDR and kind (then address, so the
/// choice among identical recorded CIDRs is stable).
fn targets<'a>(vpcs: &[(&'a str, &'a VpcRecord)]) -> Vec<Target<'a>> {
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
struct Holding {
    /// Per row, the target it holds.
    held: Vec<Option<usize>>,
    /// Per target, whether a row holds it.
    taken: Vec<bool>,
    /// Per recorded VPC, the discovered ID it is held by: its `resource_id`, else the ID of
    /// the first row that holds one of its blocks (a subnet row: its `vpc_id`).
    bound: Vec<Option<String>>,
}

fn hold(rows: &[Discovered], vpcs: &[(&str, &VpcRecord)], targets: &[Target]) -> Holding {
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
        let owner_id = match row.kind {
            Kind::Vpc => Some(&*row.id),
            Kind::Subnet => row.vpc_id.as_deref(),
        };
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
struct Scopes<'a> {
    names: Vec<&'a str>,
    /// Pool name → its scope.
    of_pool: FxHashMap<&'a str, u16>,
    /// Pool CIDRs → the first scope (in scope order) with a pool of that CIDR.
    of_cidr: ContainerIndex<u16>,
}

const PRIVATE_INDEX: u16 = 0;
const PUBLIC_INDEX: u16 = 1;

impl<'a> Scopes<'a> {
    fn new(records: &'a Records) -> Scopes<'a> {
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

    fn of_pool(&self, pool: &str) -> u16 {
        self.of_pool.get(pool).copied().unwrap_or(PRIVATE_INDEX)
    }

    fn of_cidr(&self, cidr: Prefix) -> u16 {
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

/// The scope of every row (see the module documentation, "Scopes").
fn scope_rows(
    rows: &[Discovered],
    held: &[Option<usize>],
    targets: &[Target],
    scopes: &Scopes,
) -> Vec<u16> {
    let own = |i: usize| match held[i] {
        Some(t) => scopes.of_pool(targets[t].holder.pool),
        None => scopes.of_cidr(rows[i].cidr),
    };
    let mut scope: Vec<u16> = vec![PRIVATE_INDEX; rows.len()];
    // VPC rows by ID, to place their subnets.
    let mut vpc_rows: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, row) in rows.iter().enumerate() {
        if row.kind == Kind::Vpc {
            scope[i] = own(i);
            vpc_rows.entry(&*row.id).or_default().push(i);
        }
    }
    for (i, row) in rows.iter().enumerate() {
        if row.kind != Kind::Subnet {
            continue;
        }
        let vpc_scope = || {
            let of_vpc = vpc_rows.get(row.vpc_id.as_deref()?)?;
            let containing = of_vpc
                .iter()
                .find(|&&v| rows[v].cidr.contains(&row.cidr))
                .or_else(|| of_vpc.iter().find(|&&v| rows[v].primary))
                .or(of_vpc.first())?;
            Some(scope[*containing])
        };
        scope[i] = match held[i] {
            Some(_) => own(i),
            None => vpc_scope().unwrap_or_else(|| own(i)),
        };
    }
    scope
}

/// A recorded allocation no row holds, which rows may overlap.
struct Partner<'b> {
    cidr: Prefix,
    scope: u16,
    /// `vpc.NAME` or `reservation.NAME`.
    name: String,
    /// For a VPC block, the discovered ID its VPC is held by, whose subnets lie in it.
    vpc_id: Option<&'b str>,
}

fn partners<'b>(
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
            name: t.holder.address.to_string(),
            vpc_id: bound[t.vpc].as_deref(),
        })
        .collect();
    partners.extend(records.reservations.iter().map(|(name, r)| Partner {
        cidr: r.cidr,
        scope: scopes.of_pool(&r.pool),
        name: AddressRef::Reservation(name).to_string(),
        vpc_id: None,
    }));
    partners
}

/// For each row, what it overlaps (see the module documentation, "Overlap partners").
fn overlap_rows(
    rows: &[Discovered],
    ignored: &[bool],
    scope: &[u16],
    scopes: usize,
    partners: &[Partner],
) -> Vec<Vec<String>> {
    #[derive(Clone, Copy)]
    enum Item {
        Row(usize),
        Partner(usize),
    }
    let mut groups: Vec<(Vec<Prefix>, Vec<Item>)> = vec![Default::default(); scopes];
    for (i, row) in rows.iter().enumerate() {
        if !ignored[i] {
            let g = &mut groups[usize::from(scope[i])];
            g.0.push(row.cidr);
            g.1.push(Item::Row(i));
        }
    }
    for (i, p) in partners.iter().enumerate() {
        let g = &mut groups[usize::from(p.scope)];
        // Partners only matter where there are rows.
        if !g.0.is_empty() {
            g.0.push(p.cidr);
            g.1.push(Item::Partner(i));
        }
    }
    let mut found: Vec<Vec<String>> = vec![Vec::new(); rows.len()];
    // A subnet and the VPC (row or recorded block) it belongs to.
    let own_vpc = |subnet: &Discovered, vpc_id: &str| {
        subnet.kind == Kind::Subnet && subnet.vpc_id.as_deref() == Some(vpc_id)
    };
    for (cidrs, items) in &groups {
        for pair in overlaps(cidrs) {
            match (items[pair.outer], items[pair.inner]) {
                (Item::Row(a), Item::Row(b)) => {
                    let (ra, rb) = (&rows[a], &rows[b]);
                    if ra.id == rb.id
                        || (ra.kind == Kind::Vpc && own_vpc(rb, &ra.id))
                        || (rb.kind == Kind::Vpc && own_vpc(ra, &rb.id))
                    {
                        continue;
                    }
                    found[a].push(rb.id.to_string());
                    found[b].push(ra.id.to_string());
                }
                (Item::Row(r), Item::Partner(p)) | (Item::Partner(p), Item::Row(r)) => {
                    let partner = &partners[p];
                    if partner.vpc_id.is_some_and(|v| own_vpc(&rows[r], v)) {
                        continue;
                    }
                    found[r].push(partner.name.clone());
                }
                (Item::Partner(_), Item::Partner(_)) => {}
            }
        }
    }
    for list in &mut found {
        list.sort_unstable();
        list.dedup();
    }
    found
}

/// Each row's IP usage (see the module documentation, "IP usage").
fn ip_usage(rows: &[Discovered]) -> Vec<Option<f64>> {
    let mut subnets: FxHashMap<&str, Vec<Prefix>> = FxHashMap::default();
    for row in rows {
        if row.kind == Kind::Subnet
            && let Some(vpc) = row.vpc_id.as_deref()
        {
            subnets.entry(vpc).or_default().push(row.cidr);
        }
    }
    let any_subnets = rows.iter().any(|r| r.kind == Kind::Subnet);
    rows.iter()
        .map(|row| match row.kind {
            Kind::Subnet => match (row.used, row.total) {
                (Some(used), Some(total)) if total > 0 => {
                    Some((used as f64 / total as f64).clamp(0.0, 1.0))
                }
                _ => None,
            },
            Kind::Vpc if !any_subnets => None,
            Kind::Vpc => {
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

/// Who may hold addresses of a pool (SPEC §3 rule 10).
struct Owner<'a> {
    model: &'a Model,
    /// The IPAM owner's name and account ID.
    owner: Option<(&'a str, Option<&'a str>)>,
}

impl<'a> Owner<'a> {
    fn new(model: &'a Model) -> Owner<'a> {
        let owner = model
            .ipam
            .owner
            .as_deref()
            .map(|o| (o, model.accounts.get(o).map(String::as_str)));
        Owner { model, owner }
    }

    /// Whether `account` (a name or an ID) is the owner or one `pool` is shared with. With
    /// no owner declared, nothing is held against an account.
    fn allowed(&self, account: &str, pool: &PoolRecord) -> bool {
        let Some((name, id)) = self.owner else {
            return true;
        };
        let is = |n: &str, id: Option<&str>| account == n || id == Some(account);
        is(name, id)
            || pool
                .shared_with
                .iter()
                .any(|s| is(s, self.model.accounts.get(s).map(String::as_str)))
    }

    fn describe(&self) -> String {
        match self.owner {
            Some((name, Some(id))) => format!("{name}, {id}"),
            Some((name, None)) => name.to_string(),
            None => String::new(),
        }
    }
}

/// Why a block's size breaks its pool's allocation rules, if it does.
pub(super) fn outside_rules(pool: &str, rules: Rules, cidr: Prefix) -> Option<String> {
    let len = cidr.prefix_len();
    let bound = |m: Option<u8>| m.map_or("any".to_string(), |m| format!("/{m}"));
    (!rules.admits(len)).then(|| {
        format!(
            "netmask /{len} is outside pool {pool}'s allocation rules ({} to {})",
            bound(rules.min),
            bound(rules.max)
        )
    })
}

/// Every rule of its pool a managed row breaks (see the module documentation,
/// "Compliance").
fn broken_rules(
    row: &Discovered,
    target: &Target,
    vpc: &VpcRecord,
    records: &Records,
    owner: &Owner,
) -> Vec<String> {
    let mut reasons = Vec::new();
    let pool_name = target.holder.pool;
    let Some(pool) = records.pools.get(pool_name) else {
        return reasons;
    };
    if row.kind == Kind::Vpc {
        reasons.extend(outside_rules(pool_name, pool.rules(), row.cidr));
        for (key, want) in &pool.required_tags {
            match row.tags.get(key.as_str()) {
                None => reasons.push(format!(
                    "tag {key} = \"{want}\", required by pool {pool_name}, is missing"
                )),
                Some(have) if **have != **want => reasons.push(format!(
                    "tag {key} is \"{}\", but pool {pool_name} requires \"{want}\"",
                    &**have
                )),
                Some(_) => {}
            }
        }
    }
    let expected = vpc.region.as_deref().or(pool.region.as_deref());
    if let (Some(have), Some(want)) = (row.region.as_deref(), expected)
        && have != want
    {
        reasons.push(format!(
            "in region {have}, but the plan puts {} in {want}",
            target.holder.address
        ));
    }
    if let Some(account) = row.account.as_deref()
        && !owner.allowed(account, pool)
    {
        reasons.push(format!(
            "account {account} is neither the IPAM owner ({}) nor an account pool {pool_name} is shared with",
            owner.describe()
        ));
    }
    reasons
}
