//! Apply (SPEC §6): the planned changes, exactly, in dependency order — deletes (and the
//! delete half of replaces) children first over the recorded graph, then creates and
//! updates parents first over the desired graph — followed by a re-check of every
//! invariant ([`check`]) through the allocator. The result must equal the plan's desired
//! records; anything else is refused and nothing is written.
//!
//! Apply reads each change's action and the plan's desired records, never a change's
//! reason (display only).

use std::collections::HashMap;
use std::fmt;

use crate::graph::{Cycle, First, order_of};
use crate::model::Address;
use crate::plan::{Action, Change, Plan, RenameError, rename};
use crate::state::check::{Violation, check};
use crate::state::{Records, VpcRecord};

/// One step of an apply, in the order it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub address: Address,
    /// `Delete` for the first half of a replace, `Create` for the second.
    pub action: Action,
}

/// Why a plan cannot be applied to a state; nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyError {
    /// A `[[moved]]` rename does not fit the state.
    Rename(RenameError),
    /// The resources changed form a dependency cycle.
    Cycle(Cycle),
    /// A delete names a resource the state does not hold.
    NotRecorded(Address),
    /// A create or update names a resource the desired records do not hold.
    Missing(Address),
    /// A subnet's VPC is not recorded.
    NoVpc { subnet: Address, vpc: String },
    /// The result breaks an invariant.
    Invariants(Vec<Violation>),
    /// The result is not the records the plan computed.
    Mismatch,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Rename(e) => e.fmt(f),
            ApplyError::Cycle(c) => c.fmt(f),
            ApplyError::NotRecorded(a) => write!(f, "{a} is not recorded, so it cannot be deleted"),
            ApplyError::Missing(a) => {
                write!(f, "the plan changes {a}, but its records do not hold it")
            }
            ApplyError::NoVpc { subnet, vpc } => {
                write!(f, "{subnet} needs vpc.{vpc}, which is not recorded")
            }
            ApplyError::Invariants(problems) => {
                let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
                write!(f, "{}", texts.join("; "))
            }
            ApplyError::Mismatch => write!(
                f,
                "applying the changes does not give the records the plan computed"
            ),
        }
    }
}

impl std::error::Error for ApplyError {}

/// Applies `plan` to `recorded`: the new records and the steps taken, or why the result
/// cannot be written.
pub fn apply(recorded: &Records, plan: &Plan) -> Result<(Records, Vec<Step>), ApplyError> {
    let mut records = recorded.clone();
    let mut steps = Vec::new();
    for m in &plan.moved {
        rename(&mut records, &m.from, &m.to).map_err(ApplyError::Rename)?;
        steps.push(Step {
            address: m.to.clone(),
            action: Action::Move,
        });
    }
    let by_address: HashMap<&Address, &Change> =
        plan.changes.iter().map(|c| (&c.address, c)).collect();

    // Children first, over the recorded graph of what is destroyed.
    let destroyed: Vec<&Address> = plan
        .changes
        .iter()
        .filter(|c| c.action.destroys())
        .map(|c| &c.address)
        .collect();
    let order = order_of(&records, &destroyed, First::Children).map_err(ApplyError::Cycle)?;
    for i in order {
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
    let order = order_of(&plan.desired, &made, First::Parents).map_err(ApplyError::Cycle)?;
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
        return Err(ApplyError::Invariants(problems));
    }
    if records != plan.desired {
        return Err(ApplyError::Mismatch);
    }
    Ok((records, steps))
}

fn remove(records: &mut Records, address: &Address) -> Result<(), ApplyError> {
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
        Err(ApplyError::NotRecorded(address.clone()))
    }
}

/// Makes `address` what the plan's desired records say.
fn put(records: &mut Records, desired: &Records, address: &Address) -> Result<(), ApplyError> {
    let missing = || ApplyError::Missing(address.clone());
    match address {
        Address::Scope(n) => {
            let r = desired.scopes.get(n).ok_or_else(missing)?;
            records.scopes.insert(n.clone(), r.clone());
        }
        Address::Pool(n) => {
            let r = desired.pools.get(n).ok_or_else(missing)?;
            records.pools.insert(n.clone(), r.clone());
        }
        Address::Vpc(n) => {
            let r = desired.vpcs.get(n).ok_or_else(missing)?;
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
                .ok_or_else(missing)?;
            let vpc = records.vpcs.get_mut(v).ok_or_else(|| ApplyError::NoVpc {
                subnet: address.clone(),
                vpc: v.clone(),
            })?;
            vpc.subnets.insert(s.clone(), r.clone());
        }
        Address::Reservation(n) => {
            let r = desired.reservations.get(n).ok_or_else(missing)?;
            records.reservations.insert(n.clone(), r.clone());
        }
    }
    Ok(())
}
