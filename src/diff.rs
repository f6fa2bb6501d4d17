//! Diff the desired records (the plan, placed) against the recorded ones (SPEC §6): one
//! action per resource — create, update in place, replace, delete, a rename by `[[moved]]`,
//! or nothing.
//!
//! A replace is a change the clouds cannot make in place: a pool's scope, parent, IP version
//! or carved block; a VPC's pool or primary CIDR; a subnet's CIDR or zone; a reservation's
//! pool or CIDR. Everything below a replaced pool or VPC is replaced with it. Anything
//! else that differs (tags, description, rules, sharing, `alert_at`, `protect`, added or
//! removed provisioned CIDRs, secondary blocks) is an update.
//!
//! Destroying (deleting or replacing) a resource that is protected in the plan or in the
//! recorded state is refused (SPEC §3 rule 13).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diag::{Diag, Loc};
use crate::model::{Address, Model};
use crate::state::{PoolRecord, Records, VpcRecord};

/// What a plan does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Create,
    Update,
    /// Delete, then create.
    Replace,
    Delete,
    /// Renamed by `[[moved]]`, nothing else.
    Move,
}

impl Action {
    /// Terraform's `actions` list.
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            Action::Create => &["create"],
            Action::Update => &["update"],
            Action::Replace => &["delete", "create"],
            Action::Delete => &["delete"],
            Action::Move => &["no-op"],
        }
    }

    fn from_actions(actions: &[String]) -> Option<Action> {
        let a: Vec<&str> = actions.iter().map(String::as_str).collect();
        [
            Action::Create,
            Action::Update,
            Action::Replace,
            Action::Delete,
            Action::Move,
        ]
        .into_iter()
        .find(|x| x.actions() == a.as_slice())
    }

    /// The marker in human output.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Move => "→",
        }
    }

    /// Whether the resource (as it is) is destroyed.
    pub fn destroys(self) -> bool {
        matches!(self, Action::Replace | Action::Delete)
    }
}

/// One change of a plan. `before` and `after` are the resource's records (a VPC's without
/// its subnets, which are resources of their own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ChangeJson", into = "ChangeJson")]
pub struct Change {
    pub address: Address,
    pub previous_address: Option<Address>,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

/// The JSON form of a change (SPEC §6).
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct ChangeJson {
    /// The resource: `scope.NAME`, `pool.NAME`, `vpc.NAME`, `vpc.NAME.subnet.S`,
    /// `reservation.NAME`.
    address: String,
    /// The recorded address of a resource renamed by `[[moved]]`.
    previous_address: Option<String>,
    /// `["create"]`, `["update"]`, `["delete", "create"]` (replace), `["delete"]`, or
    /// `["no-op"]` (renamed only).
    actions: Vec<String>,
    /// The recorded resource (as in the state file; a VPC without its subnets), or null.
    before: Option<Value>,
    /// The resource after apply, every CIDR concrete, or null.
    after: Option<Value>,
    /// Why a resource is replaced or deleted.
    reason: Option<String>,
}

impl schemars::JsonSchema for Change {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Change".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ChangeJson::json_schema(generator)
    }
}

impl From<Change> for ChangeJson {
    fn from(c: Change) -> ChangeJson {
        ChangeJson {
            address: c.address.to_string(),
            previous_address: c.previous_address.map(|a| a.to_string()),
            actions: c.action.actions().iter().map(|s| s.to_string()).collect(),
            before: c.before,
            after: c.after,
            reason: c.reason,
        }
    }
}

impl TryFrom<ChangeJson> for Change {
    type Error = String;

    fn try_from(c: ChangeJson) -> Result<Change, String> {
        let address = |s: &str| Address::parse(s).ok_or(format!("`{s}` is not an address"));
        Ok(Change {
            address: address(&c.address)?,
            previous_address: c.previous_address.as_deref().map(address).transpose()?,
            action: Action::from_actions(&c.actions)
                .ok_or(format!("{:?} is not a list of actions", c.actions))?,
            before: c.before,
            after: c.after,
            reason: c.reason,
        })
    }
}

/// The JSON of a VPC record as a resource: without its subnets.
pub fn vpc_value(v: &VpcRecord) -> Value {
    let mut value = serde_json::to_value(v).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.remove("subnets");
    }
    value
}

/// Whether two VPC records are the same apart from their subnets.
fn same_vpc(a: &VpcRecord, b: &VpcRecord) -> bool {
    // Destructured in full, so a new field cannot be forgotten here.
    let VpcRecord {
        pool,
        cidr,
        secondary,
        ipv6,
        owner,
        region,
        resource_id,
        protect,
        description,
        tags,
        subnets: _,
    } = a;
    *pool == b.pool
        && *cidr == b.cidr
        && *secondary == b.secondary
        && *ipv6 == b.ipv6
        && *owner == b.owner
        && *region == b.region
        && *resource_id == b.resource_id
        && *protect == b.protect
        && *description == b.description
        && *tags == b.tags
}

/// A record as a change shows it.
pub fn value<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// The changes that turn `recorded` into `desired`, in reading order: scopes, pools,
/// VPCs (each followed by its subnets), reservations; declared resources in declaration
/// order, then deleted ones by name. `moves` maps a renamed resource's address to its
/// recorded one.
pub fn diff(
    model: &Model,
    recorded: &Records,
    desired: &Records,
    moves: &BTreeMap<Address, Address>,
) -> Result<Vec<Change>, Vec<Diag>> {
    let mut d = Differ {
        moves,
        changes: Vec::new(),
        diags: Vec::new(),
        recorded,
    };
    for s in model.scopes.iter().filter(|s| s.loc.is_some()) {
        let (Some(after), loc) = (desired.scopes.get(&s.name), s.loc.as_ref()) else {
            continue;
        };
        let before = recorded.scopes.get(&s.name);
        d.push(
            || Address::Scope(s.name.clone()),
            loc,
            before,
            after,
            before.map(|b| (b != after, None)),
            value,
        );
    }
    for (name, r) in &recorded.scopes {
        if !desired.scopes.contains_key(name) {
            d.delete(Address::Scope(name.clone()), value(r));
        }
    }

    let mut replaced_pools: BTreeSet<&str> = BTreeSet::new();
    for p in &model.pools {
        let Some(after) = desired.pools.get(&p.name) else {
            continue;
        };
        let before = recorded.pools.get(&p.name);
        let replace = before.and_then(|b| pool_replace(b, after, &replaced_pools));
        if replace.is_some() {
            replaced_pools.insert(&p.name);
        }
        d.push(
            || Address::Pool(p.name.clone()),
            Some(&p.loc),
            before,
            after,
            before.map(|b| (b != after, replace)),
            value,
        );
    }
    for (name, r) in &recorded.pools {
        if !desired.pools.contains_key(name) {
            d.delete(Address::Pool(name.clone()), value(r));
        }
    }

    // VPCs are the bulk of a large plan: one merge of the two sorted maps finds those that
    // differ or are gone, and only those are looked up in the model.
    let (touched, gone) = vpc_differences(model, recorded, desired, moves.is_empty());
    for v in touched.into_iter().map(|i| &model.vpcs[i]) {
        let Some(after) = desired.vpcs.get(&v.name) else {
            continue;
        };
        let before = recorded.vpcs.get(&v.name);
        let replace = before.and_then(|b| {
            if replaced_pools.contains(b.pool.as_str()) && b.pool == after.pool {
                Some(format!("pool.{} is replaced", b.pool))
            } else {
                block_replace(&b.pool, b.cidr, &after.pool, after.cidr)
            }
        });
        let vpc_replaced = replace.is_some();
        d.push(
            || Address::Vpc(v.name.clone()),
            Some(&v.loc),
            before,
            after,
            before.map(|b| (!same_vpc(b, after), replace)),
            vpc_value,
        );
        let no_subnets = BTreeMap::new();
        let recorded_subnets = before.map_or(&no_subnets, |b| &b.subnets);
        for s in &v.subnets {
            let Some(sa) = after.subnets.get(&s.name) else {
                continue;
            };
            let sb = recorded_subnets.get(&s.name);
            let replace = sb.and_then(|sb| {
                if vpc_replaced {
                    Some(format!("vpc.{} is replaced", v.name))
                } else if sb.zone != sa.zone {
                    Some(format!(
                        "zone changes from {} to {}",
                        sb.zone.as_deref().unwrap_or("none"),
                        sa.zone.as_deref().unwrap_or("none")
                    ))
                } else {
                    block_replace("", sb.cidr, "", sa.cidr)
                }
            });
            d.push(
                || Address::Subnet(v.name.clone(), s.name.clone()),
                Some(&s.loc),
                sb,
                sa,
                sb.map(|sb| (sb != sa, replace)),
                value,
            );
        }
        for (s, r) in recorded_subnets {
            if !after.subnets.contains_key(s) {
                d.delete(Address::Subnet(v.name.clone(), s.clone()), value(r));
            }
        }
    }
    for (name, r) in gone {
        d.delete(Address::Vpc(name.clone()), vpc_value(r));
        for (s, sr) in &r.subnets {
            d.delete(Address::Subnet(name.clone(), s.clone()), value(sr));
        }
    }

    for res in &model.reservations {
        let Some(after) = desired.reservations.get(&res.name) else {
            continue;
        };
        let before = recorded.reservations.get(&res.name);
        let replace = before.and_then(|b| {
            if replaced_pools.contains(b.pool.as_str()) && b.pool == after.pool {
                Some(format!("pool.{} is replaced", b.pool))
            } else {
                block_replace(&b.pool, b.cidr, &after.pool, after.cidr)
            }
        });
        d.push(
            || Address::Reservation(res.name.clone()),
            Some(&res.loc),
            before,
            after,
            before.map(|b| (b != after, replace)),
            value,
        );
    }
    for (name, r) in &recorded.reservations {
        if !desired.reservations.contains_key(name) {
            d.delete(Address::Reservation(name.clone()), value(r));
        }
    }

    if d.diags.is_empty() {
        Ok(d.changes)
    } else {
        Err(d.diags)
    }
}

/// The declared VPCs (model indices, ascending) whose records or subnets differ from the
/// recorded ones, or that are new (all of them when `unchanged_skippable` is false, since a
/// rename must be seen), and the recorded VPCs no longer declared, by name.
fn vpc_differences<'a>(
    model: &Model,
    recorded: &'a Records,
    desired: &Records,
    unchanged_skippable: bool,
) -> (Vec<usize>, Vec<(&'a String, &'a VpcRecord)>) {
    let mut differing: Vec<&str> = Vec::new();
    let mut gone = Vec::new();
    let mut before = recorded.vpcs.iter().peekable();
    for (name, a) in &desired.vpcs {
        while let Some((n, r)) = before.next_if(|(n, _)| n.as_str() < name.as_str()) {
            gone.push((n, r));
        }
        match before.next_if(|(n, _)| *n == name) {
            Some((_, b)) if unchanged_skippable && same_vpc(b, a) && b.subnets == a.subnets => {}
            _ => differing.push(name),
        }
    }
    gone.extend(before);
    if differing.is_empty() {
        return (Vec::new(), gone);
    }
    let index: HashMap<&str, usize> = model
        .vpcs
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.as_str(), i))
        .collect();
    let mut touched: Vec<usize> = differing
        .into_iter()
        .filter_map(|n| index.get(n).copied())
        .collect();
    touched.sort_unstable();
    (touched, gone)
}

/// Why a pool must be replaced, if it must.
fn pool_replace(b: &PoolRecord, a: &PoolRecord, replaced: &BTreeSet<&str>) -> Option<String> {
    let parent = |p: &Option<String>| p.as_ref().map_or("none".into(), |p| format!("pool.{p}"));
    if b.scope != a.scope {
        Some(format!("scope changes from {} to {}", b.scope, a.scope))
    } else if b.parent != a.parent {
        Some(format!(
            "parent changes from {} to {}",
            parent(&b.parent),
            parent(&a.parent)
        ))
    } else if b.ip_version != a.ip_version {
        Some(format!(
            "IP version changes from {} to {}",
            b.ip_version, a.ip_version
        ))
    } else if let Some(p) = a.parent.as_deref().filter(|p| replaced.contains(p)) {
        Some(format!("parent pool.{p} is replaced"))
    } else if a.netmask.is_some() && a.cidrs != b.cidrs {
        match (b.cidrs.as_slice(), a.cidrs.as_slice()) {
            ([old], [new]) => block_replace("", *old, "", *new),
            _ => Some("carved from its parent by netmask instead of its CIDRs".into()),
        }
    } else {
        None
    }
}

/// Why a block must be replaced (another pool or another CIDR), if it must.
fn block_replace(
    pool_b: &str,
    b: crate::addr::Prefix,
    pool_a: &str,
    a: crate::addr::Prefix,
) -> Option<String> {
    if pool_b != pool_a {
        Some(format!("pool changes from pool.{pool_b} to pool.{pool_a}"))
    } else if b.prefix_len() != a.prefix_len() {
        Some(format!(
            "netmask changes from /{} to /{}",
            b.prefix_len(),
            a.prefix_len()
        ))
    } else if b != a {
        Some(format!("CIDR changes from {b} to {a}"))
    } else {
        None
    }
}

struct Differ<'a> {
    moves: &'a BTreeMap<Address, Address>,
    recorded: &'a Records,
    changes: Vec<Change>,
    diags: Vec<Diag>,
}

impl Differ<'_> {
    /// A declared resource; `recorded` is `None` for a create, else whether it differs and
    /// why it must be replaced. Nothing is built for a resource that does not change.
    fn push<T>(
        &mut self,
        address: impl FnOnce() -> Address,
        loc: Option<&Loc>,
        before: Option<&T>,
        after: &T,
        recorded: Option<(bool, Option<String>)>,
        value: impl Fn(&T) -> Value,
    ) {
        if matches!(recorded, Some((false, None))) && self.moves.is_empty() {
            return;
        }
        let address = address();
        let previous_address = self.moves.get(&address).cloned();
        let (action, reason) = match recorded {
            None => (Action::Create, None),
            Some((_, Some(reason))) => (Action::Replace, Some(reason)),
            Some((true, None)) => (Action::Update, None),
            Some((false, None)) if previous_address.is_some() => (Action::Move, None),
            Some((false, None)) => return,
        };
        let after = value(after);
        if action.destroys() {
            let in_plan = after
                .get("protect")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            self.protected(&address, in_plan, loc, reason.as_deref());
        }
        self.changes.push(Change {
            address,
            previous_address,
            action,
            before: before.map(&value),
            after: Some(after),
            reason,
        });
    }

    fn delete(&mut self, address: Address, before: Value) {
        self.protected(&address, false, None, None);
        self.changes.push(Change {
            address,
            previous_address: None,
            action: Action::Delete,
            before: Some(before),
            after: None,
            reason: Some("no longer in the plan".into()),
        });
    }

    /// Refuses to destroy a protected resource (SPEC §3 rule 13).
    fn protected(
        &mut self,
        address: &Address,
        in_plan: bool,
        loc: Option<&Loc>,
        why: Option<&str>,
    ) {
        let in_state = self.recorded.protected(address);
        if !in_plan && !in_state {
            return;
        }
        let verb = match why {
            Some(why) => format!("would replace it ({why})"),
            None => "would destroy it".into(),
        };
        let mut diag = Diag::error(
            "ipam::plan::protected",
            format!("{address} is protected, but this plan {verb}"),
        );
        if let Some(loc) = loc {
            diag = diag.at(loc, "protected resource");
        }
        self.diags
            .push(diag.help(if in_state && !in_plan && loc.is_none() {
                "it is marked `protect = true` in the recorded state: declare it again with \
             `protect = false`, apply, then remove it"
                    .to_string()
            } else {
                "undo the change, or set `protect = false` and apply that first".to_string()
            }));
    }
}
