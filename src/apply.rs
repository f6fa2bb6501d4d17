//! Apply (SPEC §6): the planned changes, exactly, in dependency order — deletes (and the
//! delete half of replaces) children first over the recorded graph, then creates and
//! updates parents first over the desired graph — followed by a re-check of every
//! invariant ([`check`](crate::state::check::check)) through the allocator. The result must
//! equal the plan's desired records; anything else is refused and nothing is written.

use std::collections::HashMap;

use serde_json::Value;

use crate::diff::{Action, Change, value, vpc_value};
use crate::graph::order_of;
use crate::model::Address;
use crate::plan::{Plan, rename};
use crate::state::check::check;
use crate::state::{Records, VpcRecord};

/// One step of an apply, in the order it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub address: Address,
    /// `Delete` for the first half of a replace, `Create` for the second.
    pub action: Action,
}

/// Applies `plan` to `recorded`: the new records and the steps taken, or every reason the
/// result cannot be written.
pub fn apply(recorded: &Records, plan: &Plan) -> Result<(Records, Vec<Step>), Vec<String>> {
    let mut records = recorded.clone();
    let mut steps = Vec::new();
    for (from, to) in &plan.moved {
        rename(&mut records, from, to).map_err(|e| vec![e])?;
        steps.push(Step {
            address: to.clone(),
            action: Action::Move,
        });
    }
    let by_address: HashMap<&Address, &Change> =
        plan.changes.iter().map(|c| (&c.address, c)).collect();

    // Children first: the reverse of the recorded graph's order over what is destroyed.
    let destroyed: Vec<&Address> = plan
        .changes
        .iter()
        .filter(|c| c.action.destroys())
        .map(|c| &c.address)
        .collect();
    let order = order_of(&records, &destroyed).map_err(|c| vec![c.to_string()])?;
    for &i in order.iter().rev() {
        remove(&mut records, destroyed[i])?;
        steps.push(Step {
            address: destroyed[i].clone(),
            action: Action::Delete,
        });
    }
    // Parents first over the desired graph of what is created or updated.
    let made: Vec<&Address> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Replace))
        .map(|c| &c.address)
        .collect();
    let order = order_of(&plan.desired, &made).map_err(|c| vec![c.to_string()])?;
    for i in order {
        let address = made[i];
        let Some(c) = by_address.get(address) else {
            continue;
        };
        let action = match c.action {
            Action::Create | Action::Replace => Action::Create,
            _ => Action::Update,
        };
        put(&mut records, &plan.desired, address)?;
        steps.push(Step {
            address: address.clone(),
            action,
        });
    }
    let problems = check(&records);
    if !problems.is_empty() {
        return Err(problems);
    }
    if records != plan.desired {
        return Err(vec![
            "applying the changes does not give the records the plan computed; the saved \
             plan was edited or made by another version"
                .into(),
        ]);
    }
    Ok((records, steps))
}

fn remove(records: &mut Records, address: &Address) -> Result<(), Vec<String>> {
    let found = match address {
        Address::Scope(n) => records.scopes.remove(n).is_some(),
        Address::Pool(n) => records.pools.remove(n).is_some(),
        Address::Vpc(n) => records.vpcs.remove(n).is_some(),
        Address::Subnet(v, s) => records
            .vpcs
            .get_mut(v)
            .and_then(|v| v.subnets.remove(s))
            .is_some(),
        Address::Reservation(n) => records.reservations.remove(n).is_some(),
    };
    if found {
        Ok(())
    } else {
        Err(vec![format!(
            "{address} is not recorded, so it cannot be deleted"
        )])
    }
}

fn missing(address: &Address) -> Vec<String> {
    vec![format!(
        "the plan changes {address}, but its records do not hold it"
    )]
}

/// Makes `address` what the plan's desired records say.
fn put(records: &mut Records, desired: &Records, address: &Address) -> Result<(), Vec<String>> {
    match address {
        Address::Scope(n) => {
            let r = desired.scopes.get(n).ok_or_else(|| missing(address))?;
            records.scopes.insert(n.clone(), r.clone());
        }
        Address::Pool(n) => {
            let r = desired.pools.get(n).ok_or_else(|| missing(address))?;
            records.pools.insert(n.clone(), r.clone());
        }
        Address::Vpc(n) => {
            let r = desired.vpcs.get(n).ok_or_else(|| missing(address))?;
            // Subnets are resources of their own; an update keeps the recorded ones.
            let subnets = records
                .vpcs
                .remove(n)
                .map(|old| old.subnets)
                .unwrap_or_default();
            let vpc = VpcRecord {
                pool: r.pool.clone(),
                cidr: r.cidr,
                secondary: r.secondary.clone(),
                ipv6: r.ipv6.clone(),
                owner: r.owner.clone(),
                region: r.region.clone(),
                resource_id: r.resource_id.clone(),
                protect: r.protect,
                description: r.description.clone(),
                tags: r.tags.clone(),
                subnets,
            };
            records.vpcs.insert(n.clone(), vpc);
        }
        Address::Subnet(v, s) => {
            let r = desired
                .vpcs
                .get(v)
                .and_then(|d| d.subnets.get(s))
                .ok_or_else(|| missing(address))?;
            let vpc = records
                .vpcs
                .get_mut(v)
                .ok_or_else(|| vec![format!("{address} needs vpc.{v}, which is not recorded")])?;
            vpc.subnets.insert(s.clone(), r.clone());
        }
        Address::Reservation(n) => {
            let r = desired
                .reservations
                .get(n)
                .ok_or_else(|| missing(address))?;
            records.reservations.insert(n.clone(), r.clone());
        }
    }
    Ok(())
}

/// A saved plan's changes must show exactly its desired records: what a reviewer read is what
/// apply writes. (A plan made in this process is consistent by construction.)
pub fn verify_saved(plan: &Plan) -> Result<(), Vec<String>> {
    let problems: Vec<String> = plan
        .changes
        .iter()
        .filter_map(|c| {
            let want = desired_value(&plan.desired, &c.address);
            let shown = if c.action == Action::Delete {
                None
            } else {
                c.after.clone()
            };
            (want != shown).then(|| {
                format!(
                    "the change to {} does not show the records the plan would write",
                    c.address
                )
            })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// A resource of `records` as a change shows it (`None` when absent).
fn desired_value(records: &Records, address: &Address) -> Option<Value> {
    match address {
        Address::Scope(n) => records.scopes.get(n).map(value),
        Address::Pool(n) => records.pools.get(n).map(value),
        Address::Vpc(n) => records.vpcs.get(n).map(vpc_value),
        Address::Subnet(v, s) => records
            .vpcs
            .get(v)
            .and_then(|d| d.subnets.get(s))
            .map(value),
        Address::Reservation(n) => records.reservations.get(n).map(value),
    }
}
