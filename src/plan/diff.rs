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
//!
//! The reasons given are display only ([`Reason`]): apply reads actions and records; so is
//! each change's team (SPEC §16), which a plan that declares teams tags every change with.
//! A `[[moved]]` block in a team's file may rename only what the team's account owns in the
//! recorded state, which is known here and not before.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::change::{Action, Change, Reason, Record, TeamChange, TeamTag};
use crate::diag::{Diag, Loc};
use crate::model::{Address, Model, Moved, TeamId};
use crate::state::{PoolRecord, Records, VpcRecord};

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
        model,
        renames: if moves.is_empty() {
            BTreeMap::new()
        } else {
            model.moved.iter().map(|m| (&m.to, m)).collect()
        },
    };
    for s in model.scopes.iter().filter(|s| s.loc.is_some()) {
        let (Some(after), loc) = (desired.scopes.get(&s.name), s.loc.as_ref()) else {
            continue;
        };
        let before = recorded.scopes.get(&s.name);
        d.push(
            || Address::Scope(s.name.clone()),
            Whence { team: None, loc },
            before,
            after,
            before.map(|b| (b != after, None)),
            |r| Record::Scope(r.clone()),
        );
    }
    for (name, r) in &recorded.scopes {
        if !desired.scopes.contains_key(name) {
            d.delete(
                Address::Scope(name.clone()),
                Record::Scope(r.clone()),
                d.tag(None),
            );
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
            Whence {
                team: None,
                loc: Some(&p.loc),
            },
            before,
            after,
            before.map(|b| (b != after, replace)),
            |r| Record::Pool(Box::new(r.clone())),
        );
    }
    for (name, r) in &recorded.pools {
        if !desired.pools.contains_key(name) {
            d.delete(
                Address::Pool(name.clone()),
                Record::Pool(Box::new(r.clone())),
                d.tag(None),
            );
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
                Some(Reason::PoolReplaced(b.pool.clone()))
            } else {
                block_replace(&b.pool, b.cidr, &after.pool, after.cidr)
            }
        });
        let vpc_replaced = replace.is_some();
        d.push(
            || Address::Vpc(v.name.clone()),
            Whence {
                team: v.team,
                loc: Some(&v.loc),
            },
            before,
            after,
            before.map(|b| (!b.same_but_subnets(after), replace)),
            Record::vpc,
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
                    Some(Reason::VpcReplaced(v.name.clone()))
                } else if sb.zone != sa.zone {
                    Some(Reason::Zone {
                        from: sb.zone.clone(),
                        to: sa.zone.clone(),
                    })
                } else {
                    block_replace("", sb.cidr, "", sa.cidr)
                }
            });
            d.push(
                || Address::Subnet(v.name.clone(), s.name.clone()),
                Whence {
                    team: v.team,
                    loc: Some(&s.loc),
                },
                sb,
                sa,
                sb.map(|sb| (sb != sa, replace)),
                |r| Record::Subnet(r.clone()),
            );
        }
        for (s, r) in recorded_subnets {
            if !after.subnets.contains_key(s) {
                let team = d.owned_by(before.and_then(|b| b.owner.as_deref()));
                d.delete(
                    Address::Subnet(v.name.clone(), s.clone()),
                    Record::Subnet(r.clone()),
                    team,
                );
            }
        }
    }
    for (name, r) in gone {
        let team = d.owned_by(r.owner.as_deref());
        d.delete(Address::Vpc(name.clone()), Record::vpc(r), team.clone());
        for (s, sr) in &r.subnets {
            d.delete(
                Address::Subnet(name.clone(), s.clone()),
                Record::Subnet(sr.clone()),
                team.clone(),
            );
        }
    }

    for res in &model.reservations {
        let Some(after) = desired.reservations.get(&res.name) else {
            continue;
        };
        let before = recorded.reservations.get(&res.name);
        let replace = before.and_then(|b| {
            if replaced_pools.contains(b.pool.as_str()) && b.pool == after.pool {
                Some(Reason::PoolReplaced(b.pool.clone()))
            } else {
                block_replace(&b.pool, b.cidr, &after.pool, after.cidr)
            }
        });
        d.push(
            || Address::Reservation(res.name.clone()),
            Whence {
                team: res.team,
                loc: Some(&res.loc),
            },
            before,
            after,
            before.map(|b| (b != after, replace)),
            |r| Record::Reservation(r.clone()),
        );
    }
    for (name, r) in &recorded.reservations {
        if !desired.reservations.contains_key(name) {
            // The state records no owner of a reservation: its delete is the owner's.
            d.delete(
                Address::Reservation(name.clone()),
                Record::Reservation(r.clone()),
                d.tag(None),
            );
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
            Some((_, b))
                if unchanged_skippable && b.same_but_subnets(a) && b.subnets == a.subnets => {}
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
fn pool_replace(b: &PoolRecord, a: &PoolRecord, replaced: &BTreeSet<&str>) -> Option<Reason> {
    if b.scope != a.scope {
        Some(Reason::Scope {
            from: b.scope.clone(),
            to: a.scope.clone(),
        })
    } else if b.parent != a.parent {
        Some(Reason::Parent {
            from: b.parent.clone(),
            to: a.parent.clone(),
        })
    } else if b.ip_version != a.ip_version {
        Some(Reason::IpVersion {
            from: b.ip_version,
            to: a.ip_version,
        })
    } else if let Some(p) = a.parent.as_deref().filter(|p| replaced.contains(p)) {
        Some(Reason::ParentReplaced(p.to_string()))
    } else if a.netmask.is_some() && a.cidrs != b.cidrs {
        match (b.cidrs.as_slice(), a.cidrs.as_slice()) {
            ([old], [new]) => block_replace("", *old, "", *new),
            _ => Some(Reason::NowCarved),
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
) -> Option<Reason> {
    if pool_b != pool_a {
        Some(Reason::Pool {
            from: pool_b.to_string(),
            to: pool_a.to_string(),
        })
    } else if b.prefix_len() != a.prefix_len() {
        Some(Reason::Netmask {
            from: b.prefix_len(),
            to: a.prefix_len(),
        })
    } else if b != a {
        Some(Reason::Cidr { from: b, to: a })
    } else {
        None
    }
}

/// Where a declared resource is: its place in the plan files (for a refusal to destroy
/// it), and the team whose file that is (`None`: the IPAM owner's).
struct Whence<'l> {
    loc: Option<&'l Loc>,
    team: Option<TeamId>,
}

struct Differ<'a> {
    moves: &'a BTreeMap<Address, Address>,
    recorded: &'a Records,
    changes: Vec<Change>,
    diags: Vec<Diag>,
    model: &'a Model,
    /// The `[[moved]]` blocks by their new address (only when something was renamed).
    renames: BTreeMap<&'a Address, &'a Moved>,
}

impl Differ<'_> {
    /// The tag of a change declared in `team`'s file (`None`: the IPAM owner's), or no tag
    /// when the plan declares no teams.
    fn tag(&self, team: Option<TeamId>) -> Option<TeamTag> {
        if self.model.teams.is_empty() {
            return None;
        }
        Some(match team {
            Some(t) => TeamTag::Team(self.model.team(t).name.clone()),
            None => TeamTag::Owner,
        })
    }

    /// The tag of a recorded resource owned by `account`: its team, else the IPAM owner.
    fn owned_by(&self, account: Option<&str>) -> Option<TeamTag> {
        self.tag(account.and_then(|a| self.model.team_of_account(a)))
    }

    /// A VPC whose owner account changes team (a declaration moved between teams' files).
    fn team_change(&self, before: &Record, after: &Record) -> Option<TeamChange> {
        let (Record::Vpc(b), Record::Vpc(a)) = (before, after) else {
            return None;
        };
        let from = self.owned_by(b.owner.as_deref())?;
        let to = self.owned_by(a.owner.as_deref())?;
        (from != to).then_some(TeamChange { from, to })
    }

    /// A rename written in a team's file must be of what the team's account owns in the
    /// recorded state (SPEC §16). The state records owners of VPCs only, so a subnet is
    /// judged by its VPC's and a reservation is not judged.
    fn check_rename(&mut self, address: &Address, before: Option<&Record>) {
        let Some(m) = self.renames.get(address).copied() else {
            return;
        };
        let Some(team) = m.team.map(|t| self.model.team(t)) else {
            return;
        };
        let owner = match (address, before) {
            (Address::Vpc(_), Some(Record::Vpc(v))) => v.owner.as_deref(),
            (Address::Subnet(v, _), _) => {
                self.recorded.vpcs.get(v).and_then(|v| v.owner.as_deref())
            }
            _ => return,
        };
        if owner == Some(team.account.as_str()) {
            return;
        }
        let whose = match owner {
            Some(o) => match self.model.team_of_account(o) {
                Some(t) => format!("account `{o}` (team `{}`)", self.model.team(t).name),
                None => format!("account `{o}`"),
            },
            None => "no account".to_string(),
        };
        self.diags.push(
            Diag::error(
                "ipam::team::moved",
                format!(
                    "team `{}` may not rename `{}`: it is recorded as owned by {whose}",
                    team.name, m.from
                ),
            )
            .at(&m.loc, format!("not owned by `{}`", team.account))
            .help(format!(
                "a team renames only what its account owns: let the owner of `{}` rename it, or remove this `moved` block",
                m.from
            )),
        );
    }

    /// A declared resource; `recorded` is `None` for a create, else whether it differs and
    /// why it must be replaced. Nothing is built for a resource that does not change.
    fn push<T>(
        &mut self,
        address: impl FnOnce() -> Address,
        whence: Whence<'_>,
        before: Option<&T>,
        after: &T,
        recorded: Option<(bool, Option<Reason>)>,
        record: impl Fn(&T) -> Record,
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
        let after = record(after);
        if action.destroys() {
            self.protected(&address, after.protect(), whence.loc, reason.as_ref());
        }
        let before = before.map(&record);
        if previous_address.is_some() {
            self.check_rename(&address, before.as_ref());
        }
        let team_change = before.as_ref().and_then(|b| self.team_change(b, &after));
        self.changes.push(Change {
            address,
            previous_address,
            action,
            before,
            after: Some(after),
            reason,
            team: self.tag(whence.team),
            team_change,
        });
    }

    fn delete(&mut self, address: Address, before: Record, team: Option<TeamTag>) {
        self.protected(&address, false, None, None);
        self.changes.push(Change {
            address,
            previous_address: None,
            action: Action::Delete,
            before: Some(before),
            after: None,
            reason: Some(Reason::Gone),
            team,
            team_change: None,
        });
    }

    /// Refuses to destroy a protected resource (SPEC §3 rule 13).
    fn protected(
        &mut self,
        address: &Address,
        in_plan: bool,
        loc: Option<&Loc>,
        why: Option<&Reason>,
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
