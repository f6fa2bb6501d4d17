//! Planning (SPEC §5, §6): recorded state + model → the exact changes apply will make.
//!
//! 1. `[[moved]]` renames are applied to a copy of the recorded state ([`rename`](mod@rename));
//! 2. [`place`](mod@place) computes every concrete CIDR;
//! 3. [`diff`](mod@diff) turns recorded vs desired into [`Change`]s.
//!
//! The result, a [`Plan`], is pure data; [`saved`] writes it to a file bound to what it was
//! made from, so `apply FILE` can refuse a stale one.

mod change;
mod diff;
mod place;
mod rename;
pub mod saved;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use change::{Action, Change, Reason, Record, TeamChange, TeamTag};
pub use diff::diff;
pub use place::{Existing, Network, Placed, SteppedAround, place};
pub use rename::{RenameError, rename};

use crate::diag::Diag;
use crate::model::{Address, Model};
use crate::state::Records;

/// The changes a plan makes and the records it leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// `[[moved]]` renames to replay on the recorded state, in order: (from, to).
    pub moved: Vec<Rename>,
    pub changes: Vec<Change>,
    /// The records after apply.
    pub desired: Records,
    /// Networks found in the inventories (`plan --inventory`) that are not recorded, which
    /// new blocks were placed around. Not changes: apply records nothing for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stepped_around: Vec<SteppedAround>,
}

/// One `[[moved]]` rename of a recorded resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rename {
    pub from: Address,
    pub to: Address,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// Resources created.
    pub add: usize,
    /// Resources updated in place.
    pub change: usize,
    /// Resources deleted and created again.
    pub replace: usize,
    /// Resources deleted.
    pub destroy: usize,
    /// Resources renamed by `[[moved]]` (also counted above if they change otherwise).
    #[serde(rename = "move")]
    pub moved: usize,
}

impl Summary {
    /// `Plan: N to add, N to change, N to replace, N to destroy.` (SPEC §6).
    pub fn line(&self) -> String {
        format!(
            "Plan: {} to add, {} to change, {} to replace, {} to destroy.",
            self.add, self.change, self.replace, self.destroy
        )
    }
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.destroy += 1,
                Action::Move => {}
            }
            if c.previous_address.is_some() {
                s.moved += 1;
            }
        }
        s
    }

    /// Whether applying would change the recorded state.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty() || !self.moved.is_empty()
    }
}

/// Plans `model` against the recorded records (empty before the first apply). The model has
/// no pool cycles: building it refuses them.
pub fn plan(model: &Model, recorded: &Records) -> Result<Plan, Vec<Diag>> {
    plan_around(model, recorded, &Existing::default())
}

/// [`plan`], with new blocks placed around `existing`: networks that exist in the clouds but
/// are no recorded allocation.
pub fn plan_around(
    model: &Model,
    recorded: &Records,
    existing: &Existing,
) -> Result<Plan, Vec<Diag>> {
    // A copy of the recorded state only when there is something to rename in it.
    let mut records = std::borrow::Cow::Borrowed(recorded);
    let mut moved = Vec::new();
    // New address → recorded address, for `previous_address`.
    let mut previous: BTreeMap<Address, Address> = BTreeMap::new();
    let mut diags = Vec::new();
    for m in &model.moved {
        if !records.contains(&m.from) {
            continue;
        }
        if records.contains(&m.to) {
            diags.push(
                Diag::error(
                    "ipam::moved::both_recorded",
                    format!("`{}` and `{}` are both recorded", m.from, m.to),
                )
                .at(&m.loc, "cannot rename onto a recorded resource")
                .help("remove this `moved` block, or remove the recorded target first"),
            );
            continue;
        }
        if let Err(why) = rename(records.to_mut(), &m.from, &m.to) {
            diags.push(
                Diag::error("ipam::moved::rename", why.to_string())
                    .at(&m.loc, "cannot rename")
                    .help("move the VPC first, then its subnets"),
            );
            continue;
        }
        let origin = previous.remove(&m.from).unwrap_or_else(|| m.from.clone());
        previous.insert(m.to.clone(), origin);
        moved.push(Rename {
            from: m.from.clone(),
            to: m.to.clone(),
        });
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let placed = place(model, &records, existing)?;
    // Blocks carved by netmask have their addresses now: the cloud's rules on which
    // secondary blocks a VPC may add are checked on them.
    if model.ipam.profile.secondary_restrictions {
        let refused: Vec<Diag> = model
            .vpcs
            .iter()
            .filter(|v| !v.secondary.is_empty())
            .filter_map(|v| placed.records.vpcs.get(&v.name).map(|r| (v, r)))
            .flat_map(|(v, r)| {
                let blocks: Vec<_> = std::iter::once(r.cidr)
                    .chain(r.secondary.iter().map(|b| b.cidr))
                    .collect();
                crate::model::association::check_placed(model, v, &blocks)
            })
            .collect();
        if !refused.is_empty() {
            return Err(refused);
        }
    }
    let changes = diff(model, &records, &placed.records, &previous)?;
    Ok(Plan {
        moved,
        changes,
        desired: placed.records,
        stepped_around: placed.stepped_around,
    })
}
