//! Apply (SPEC §6): the planned changes, exactly, in dependency order — deletes (and the
//! delete half of replaces) children first over the recorded graph, then creates and
//! updates parents first over the desired graph — followed by a re-check of every
//! invariant ([`check`](crate::state::check::check)) through the allocator. The result must
//! equal the plan's desired records; anything else is refused and nothing is written.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diff::{Action, Change};
use crate::graph::order_of;
use crate::model::Address;
use crate::plan::{Plan, rename};
use crate::state::check::check;
use crate::state::{Records, SubnetRecord, VpcRecord};

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
        let after = c
            .after
            .as_ref()
            .ok_or_else(|| vec![format!("the change to {address} has no `after`")])?;
        put(&mut records, address, after)?;
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

fn decode<T: DeserializeOwned>(address: &Address, value: &Value) -> Result<T, Vec<String>> {
    T::deserialize(value)
        .map_err(|e| vec![format!("the record planned for {address} is invalid: {e}")])
}

fn put(records: &mut Records, address: &Address, after: &Value) -> Result<(), Vec<String>> {
    match address {
        Address::Scope(n) => {
            records.scopes.insert(n.clone(), decode(address, after)?);
        }
        Address::Pool(n) => {
            records.pools.insert(n.clone(), decode(address, after)?);
        }
        Address::Vpc(n) => {
            let mut vpc: VpcRecord = decode(address, after)?;
            // Subnets are resources of their own; an update keeps the recorded ones.
            if let Some(old) = records.vpcs.remove(n) {
                vpc.subnets = old.subnets;
            }
            records.vpcs.insert(n.clone(), vpc);
        }
        Address::Subnet(v, s) => {
            let subnet: SubnetRecord = decode(address, after)?;
            let vpc = records
                .vpcs
                .get_mut(v)
                .ok_or_else(|| vec![format!("{address} needs vpc.{v}, which is not recorded")])?;
            vpc.subnets.insert(s.clone(), subnet);
        }
        Address::Reservation(n) => {
            records
                .reservations
                .insert(n.clone(), decode(address, after)?);
        }
    }
    Ok(())
}
