//! Import (SPEC §8; seed 000, "Use resource discovery"; seed 001, "Automatically Import
//! Discovered Resource"): which discovered VPCs a plan adopts into its pools with
//! `auto_import = true`, and the plan entries that declare them.
//!
//! # Rules
//!
//! - A VPC is adopted by its primary CIDR. That CIDR must lie in a provisioned (recorded)
//!   CIDR of a pool with `auto_import = true`, the narrowest such pool that contains it,
//!   and not yet be allocated there: not in a recorded sub-pool, VPC block or reservation,
//!   not in a layout slot held for growth, and not in a block the plan claims explicitly
//!   but has not applied yet.
//! - The VPC's region must be the pool's (a pool imports only from its region, seed 001);
//!   an inventory that gives no region adopts nothing. The CIDR must also be one the plan
//!   could declare there: its prefix length within the pool's allocation rules, every
//!   `required_tags` value present, and its account (when the inventory gives one) an
//!   account of `[accounts]` that is the IPAM owner or one the pool is shared with.
//! - Of overlapping candidates only the largest is adopted; of identical ones, the one with
//!   the lowest resource ID (the seed picks at random; a plan must not).
//! - Then, for each adopted VPC, its other CIDRs that pass the same rules and overlap
//!   nothing adopted become its `secondary` blocks (IPv4) and its `ipv6` block (the lowest
//!   IPv6 one); and its subnets inside the primary CIDR become its `subnets`, each with its
//!   zone and tags (where two overlap, the first by CIDR).
//! - An adopted VPC is named by its resource ID, which is also its `resource_id`, so the
//!   next audit finds it managed. A VPC already in the plan (by `resource_id` or name), or
//!   in `[audit] ignore`, is not adopted.
//!
//! Every candidate inside an auto-import pool that is not adopted is reported with the
//! reason; discovered VPCs outside every such pool are only counted.

pub mod bind;
mod entries;
pub mod write;

use std::collections::{BTreeMap, HashMap, HashSet};

pub use entries::entries;

use super::inventory::{Discovered, Inventory, Kind};
use super::report::outside_rules;
use crate::addr::{ContainerIndex, Family, Prefix};
use crate::model::{Model, Pool, PoolId, Provision, Request};
use crate::state::Records;

/// A block of an adopted VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub pool: String,
    pub cidr: Prefix,
}

/// A subnet of an adopted VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptedSubnet {
    pub id: String,
    pub cidr: Prefix,
    pub zone: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The `Name` tag or the provider's name.
    pub name: Option<String>,
}

/// A discovered VPC the plan adopts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    /// The resource ID: the VPC's name in the plan and its `resource_id`.
    pub id: String,
    pub primary: Block,
    pub secondary: Vec<Block>,
    pub ipv6: Option<Block>,
    pub region: String,
    /// The account's name in `[accounts]`, when the inventory gives the account.
    pub owner: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The `Name` tag or the provider's name.
    pub name: Option<String>,
    pub subnets: Vec<AdoptedSubnet>,
    /// The inventory file the primary CIDR was read from.
    pub source: String,
}

/// A discovered CIDR inside an auto-import pool that is not adopted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declined {
    pub id: String,
    pub kind: Kind,
    pub cidr: Prefix,
    pub reason: String,
}

/// What an import would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// By resource ID.
    pub adopted: Vec<Adoption>,
    /// By resource ID, then CIDR.
    pub declined: Vec<Declined>,
    /// Discovered VPC CIDRs outside every auto-import pool.
    pub outside: usize,
    /// Pools with `auto_import` that are not applied yet: they have no concrete CIDRs to
    /// adopt into.
    pub unapplied: Vec<String>,
}

/// A pool that imports.
struct Importer<'a> {
    pool: &'a Pool,
    /// Allocated or claimed space, merged into disjoint sorted ranges.
    occupied: Vec<(u128, u128)>,
}

impl Importer<'_> {
    fn is_free(&self, cidr: Prefix) -> bool {
        let i = self
            .occupied
            .partition_point(|&(start, _)| start <= cidr.end());
        i == 0 || self.occupied[i - 1].1 < cidr.start()
    }
}

/// A candidate CIDR that passed the per-row rules.
struct Candidate<'r> {
    row: &'r Discovered,
    pool: &'r Pool,
    owner: Option<String>,
}

/// Chooses what to adopt (see the module documentation).
pub fn select(model: &Model, records: &Records, inventory: &Inventory) -> Selection {
    let importers = importers(model, records);
    let index = ContainerIndex::new(importers.iter().enumerate().flat_map(|(i, imp)| {
        records
            .pools
            .get(&imp.pool.name)
            .into_iter()
            .flat_map(move |r| r.cidrs.iter().map(move |c| (*c, i)))
    }));
    let in_plan: HashMap<&str, &str> = model
        .vpcs
        .iter()
        .filter_map(|v| Some((v.resource_id.as_deref()?, v.name.as_str())))
        .collect();
    let names: HashSet<&str> = model
        .vpcs
        .iter()
        .map(|v| v.name.as_str())
        .chain(records.vpcs.keys().map(String::as_str))
        .collect();
    let accounts = Accounts::new(model);

    let mut selection = Selection::default();
    let mut decline = |row: &Discovered, reason: String| {
        selection.declined.push(Declined {
            id: row.id.to_string(),
            kind: row.kind,
            cidr: row.cidr,
            reason,
        });
    };
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut outside = 0;
    for row in inventory.resources.iter().filter(|r| r.kind == Kind::Vpc) {
        let Some((_, &i)) = index.narrowest(row.cidr) else {
            outside += 1;
            continue;
        };
        let imp = &importers[i];
        match check(row, imp, model, &in_plan, &names, &accounts) {
            Ok(owner) => candidates.push(Candidate {
                row,
                pool: imp.pool,
                owner,
            }),
            Err(reason) => decline(row, reason),
        }
    }

    // Primaries first, largest first, then by ID: the first of overlapping ones wins.
    let mut accepted: HashMap<Prefix, &str> = HashMap::new();
    let by_size = |a: &&Candidate, b: &&Candidate| {
        (a.row.cidr.prefix_len(), &*a.row.id, a.row.cidr).cmp(&(
            b.row.cidr.prefix_len(),
            &*b.row.id,
            b.row.cidr,
        ))
    };
    let mut primaries: Vec<&Candidate> = candidates.iter().filter(|c| c.row.primary).collect();
    primaries.sort_by(by_size);
    let mut adopted: BTreeMap<&str, Adoption> = BTreeMap::new();
    for c in primaries {
        if take(&mut accepted, c, &mut decline) {
            adopted.insert(&*c.row.id, adoption(c));
        }
    }
    let mut others: Vec<&Candidate> = candidates.iter().filter(|c| !c.row.primary).collect();
    others.sort_by(by_size);
    let mut joined: Vec<&Candidate> = Vec::new();
    for c in others {
        let Some(a) = adopted.get(&*c.row.id) else {
            decline(
                c.row,
                "the VPC's primary CIDR is not adopted, so neither is this one".into(),
            );
            continue;
        };
        if let Err(reason) = joins(a, c.pool, model) {
            decline(c.row, reason);
        } else if take(&mut accepted, c, &mut decline) {
            joined.push(c);
        }
    }
    joined.sort_by_key(|c| c.row.cidr);
    for c in joined {
        let Some(a) = adopted.get_mut(&*c.row.id) else {
            continue;
        };
        let block = Block {
            pool: c.pool.name.clone(),
            cidr: c.row.cidr,
        };
        match (c.row.cidr.family(), &a.ipv6) {
            (Family::V6, None) if a.primary.cidr.family() == Family::V4 => a.ipv6 = Some(block),
            (Family::V6, _) if a.primary.cidr.family() == Family::V4 => decline(
                c.row,
                format!(
                    "a VPC holds one IPv6 block in a plan, and {} is adopted",
                    a.ipv6
                        .as_ref()
                        .map_or(String::new(), |b| b.cidr.to_string())
                ),
            ),
            _ => a.secondary.push(block),
        }
    }
    // The adopted VPCs' other CIDRs that were not candidates at all.
    for row in inventory.resources.iter().filter(|r| r.kind == Kind::Vpc) {
        if adopted.contains_key(&*row.id) && index.narrowest(row.cidr).is_none() {
            decline(
                row,
                "not inside any pool with auto_import, so the VPC is adopted without it".into(),
            );
        }
    }
    add_subnets(&mut adopted, inventory, model, &mut decline);
    selection.adopted = adopted.into_values().collect();
    selection
        .declined
        .sort_by(|a, b| (&a.id, a.cidr).cmp(&(&b.id, b.cidr)));
    selection.outside = outside;
    selection.unapplied = model
        .pools
        .iter()
        .filter(|p| p.auto_import && !records.pools.contains_key(&p.name))
        .map(|p| p.name.clone())
        .collect();
    selection
}

/// Adopts a candidate unless an adopted block covers it (candidates come widest first),
/// else declines it naming that block.
fn take<'r>(
    accepted: &mut HashMap<Prefix, &'r str>,
    c: &Candidate<'r>,
    decline: &mut dyn FnMut(&Discovered, String),
) -> bool {
    match covering(accepted, c.row.cidr) {
        Some((cidr, id)) if cidr == c.row.cidr => {
            decline(
                c.row,
                format!(
                    "the same CIDR as {id}, which is adopted (of identical CIDRs, primary ones first, then the lowest resource ID)"
                ),
            );
            false
        }
        Some((cidr, id)) => {
            decline(
                c.row,
                format!("overlaps {cidr} of {id}, a larger block, which is adopted"),
            );
            false
        }
        None => {
            accepted.insert(c.row.cidr, &*c.row.id);
            true
        }
    }
}

/// The widest accepted block that contains or equals `cidr`, with its ID. Accepted blocks
/// are never narrower than a later candidate, so containment is the only overlap left.
fn covering<'a>(accepted: &HashMap<Prefix, &'a str>, cidr: Prefix) -> Option<(Prefix, &'a str)> {
    (0..=cidr.prefix_len()).find_map(|len| {
        let outer = Prefix::containing(cidr.family(), cidr.start(), len);
        accepted.get(&outer).map(|id| (outer, *id))
    })
}

/// The declared pools with `auto_import` that are recorded, each with its occupied space.
fn importers<'a>(model: &'a Model, records: &Records) -> Vec<Importer<'a>> {
    let mut occupied: HashMap<&str, Vec<Prefix>> = HashMap::new();
    for p in model.pools.iter().filter(|p| p.auto_import) {
        if records.pools.contains_key(&p.name) {
            occupied.insert(&p.name, p.held.iter().map(|(c, _)| *c).collect());
        }
    }
    let mut occupy = |pool: &str, cidr: Prefix| {
        if let Some(list) = occupied.get_mut(pool) {
            list.push(cidr);
        }
    };
    for p in records.pools.values() {
        if let Some(parent) = &p.parent {
            for c in &p.cidrs {
                occupy(parent, *c);
            }
        }
    }
    for v in records.vpcs.values() {
        for (pool, cidr) in v.blocks() {
            occupy(pool, cidr);
        }
    }
    for r in records.reservations.values() {
        occupy(&r.pool, r.cidr);
    }
    let name = |id: PoolId| model.pool(id).name.as_str();
    for p in &model.pools {
        if let (Some(parent), Provision::Cidrs(cidrs)) = (p.parent, &p.provision) {
            for (c, _) in cidrs {
                occupy(name(parent), *c);
            }
        }
    }
    for v in &model.vpcs {
        for b in v.blocks() {
            if let Request::Cidr(c) = b.request {
                occupy(name(b.pool), c);
            }
        }
    }
    for r in &model.reservations {
        if let Request::Cidr(c) = r.block.request {
            occupy(name(r.block.pool), c);
        }
    }
    model
        .pools
        .iter()
        .filter_map(|pool| {
            let mut cidrs = occupied.remove(pool.name.as_str())?;
            cidrs.sort_unstable();
            let mut merged: Vec<(u128, u128)> = Vec::with_capacity(cidrs.len());
            for c in cidrs {
                match merged.last_mut() {
                    Some(last) if c.start() <= last.1 => last.1 = last.1.max(c.end()),
                    _ => merged.push((c.start(), c.end())),
                }
            }
            Some(Importer {
                pool,
                occupied: merged,
            })
        })
        .collect()
}

/// Account names by name and by ID.
struct Accounts<'a> {
    model: &'a Model,
    by_id: HashMap<&'a str, &'a str>,
}

impl<'a> Accounts<'a> {
    fn new(model: &'a Model) -> Accounts<'a> {
        Accounts {
            model,
            by_id: model
                .accounts
                .iter()
                .map(|(name, id)| (id.as_str(), name.as_str()))
                .collect(),
        }
    }

    fn name(&self, account: &str) -> Option<&'a str> {
        match self.model.accounts.get_key_value(account) {
            Some((name, _)) => Some(name),
            None => self.by_id.get(account).copied(),
        }
    }
}

/// The per-row rules: `Ok` with the owner to declare, or why not.
fn check(
    row: &Discovered,
    imp: &Importer,
    model: &Model,
    in_plan: &HashMap<&str, &str>,
    names: &HashSet<&str>,
    accounts: &Accounts,
) -> Result<Option<String>, String> {
    let pool = imp.pool;
    let p = &pool.name;
    if model.audit_ignore.contains(&*row.id) {
        return Err("listed in the plan's [audit] ignore".into());
    }
    if let Some(name) = in_plan.get(&*row.id) {
        return Err(format!("already in the plan as vpc.{name}"));
    }
    if names.contains(&*row.id) {
        return Err(format!(
            "the plan already has a VPC named {}; rename it or give it resource_id = \"{}\"",
            row.id, row.id
        ));
    }
    match (row.region.as_deref(), pool.region.as_deref()) {
        (None, Some(want)) => {
            return Err(format!(
                "the inventory gives no region, and pool {p} imports only from {want}"
            ));
        }
        (Some(have), Some(want)) if have != want => {
            return Err(format!(
                "in region {have}, and pool {p} imports only from {want}"
            ));
        }
        _ => {}
    }
    if !imp.is_free(row.cidr) {
        return Err(format!("already allocated in pool {p}"));
    }
    if let Some(reason) = outside_rules(p, pool.rules, row.cidr) {
        return Err(reason);
    }
    let missing: Vec<String> = pool
        .required_tags
        .iter()
        .filter(|(k, v)| row.tags.get(k.as_str()).map(|t| &**t) != Some(v.as_str()))
        .map(|(k, v)| format!("{k} = \"{v}\""))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "lacks tags pool {p} requires: {}",
            missing.join(", ")
        ));
    }
    let Some(account) = row.account.as_deref() else {
        return Ok(None);
    };
    let Some(name) = accounts.name(account) else {
        return Err(format!(
            "account {account} is not in the plan's [accounts]; add it, and share pool {p} with it unless it is the IPAM owner"
        ));
    };
    if model.ipam.owner.as_deref() != Some(name) && !pool.shared_with.contains(name) {
        return Err(format!(
            "pool {p} is not shared with account {name} ({account})"
        ));
    }
    Ok(Some(name.to_string()))
}

/// Whether another block of an adopted VPC can be declared in `pool`: the VPC's owner and
/// tags (those of its primary CIDR) must suit that pool too (SPEC §3 rules 8 and 10).
fn joins(a: &Adoption, pool: &Pool, model: &Model) -> Result<(), String> {
    let p = &pool.name;
    if let Some(owner) = &a.owner
        && model.ipam.owner.as_deref() != Some(owner.as_str())
        && !pool.shared_with.contains(owner)
    {
        return Err(format!(
            "pool {p} is not shared with account {owner}, the VPC's owner"
        ));
    }
    let missing: Vec<String> = pool
        .required_tags
        .iter()
        .filter(|(k, v)| a.tags.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k} = \"{v}\""))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the VPC lacks tags pool {p} requires: {}",
            missing.join(", ")
        ));
    }
    Ok(())
}

/// A discovered resource's tags, to be written into the plan.
fn owned_tags(row: &Discovered) -> BTreeMap<String, String> {
    row.tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn adoption(c: &Candidate) -> Adoption {
    let row = c.row;
    Adoption {
        id: row.id.to_string(),
        primary: Block {
            pool: c.pool.name.clone(),
            cidr: row.cidr,
        },
        secondary: Vec::new(),
        ipv6: None,
        region: row.region.as_deref().unwrap_or_default().to_string(),
        owner: c.owner.clone(),
        tags: owned_tags(row),
        name: row.name.as_deref().map(str::to_string),
        subnets: Vec::new(),
        source: row.source.to_string(),
    }
}

/// Each adopted VPC's subnets inside its primary CIDR.
fn add_subnets(
    adopted: &mut BTreeMap<&str, Adoption>,
    inventory: &Inventory,
    model: &Model,
    decline: &mut dyn FnMut(&Discovered, String),
) {
    let mut subnets: Vec<&Discovered> = inventory
        .resources
        .iter()
        .filter(|r| r.kind == Kind::Subnet)
        .filter(|r| r.vpc_id.as_deref().is_some_and(|v| adopted.contains_key(v)))
        .collect();
    subnets.sort_by(|a, b| (a.cidr, &*a.id).cmp(&(b.cidr, &*b.id)));
    for s in subnets {
        let Some(a) = s.vpc_id.as_deref().and_then(|v| adopted.get_mut(v)) else {
            continue;
        };
        if model.audit_ignore.contains(&*s.id) {
            decline(s, "listed in the plan's [audit] ignore".into());
            continue;
        }
        if !a.primary.cidr.contains(&s.cidr) {
            if s.primary {
                decline(
                    s,
                    format!(
                        "outside the VPC's primary CIDR {}, which plan subnets are carved from",
                        a.primary.cidr
                    ),
                );
            } else {
                decline(s, "a plan subnet holds one block, its primary one".into());
            }
            continue;
        }
        if let Some(other) = a.subnets.iter().find(|o| o.cidr.overlaps(&s.cidr)) {
            decline(
                s,
                format!(
                    "overlaps subnet {} ({}), which is adopted",
                    other.id, other.cidr
                ),
            );
            continue;
        }
        a.subnets.push(AdoptedSubnet {
            id: s.id.to_string(),
            cidr: s.cidr,
            zone: s.zone.as_deref().map(str::to_string),
            name: s.name.as_deref().map(str::to_string),
            tags: owned_tags(s),
        });
    }
}
