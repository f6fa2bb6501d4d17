//! Planning (SPEC §5, §6): recorded state + model → the exact changes apply will make.
//!
//! 1. `[[moved]]` renames are applied to a copy of the recorded state;
//! 2. [`place`](crate::place::place) computes every concrete CIDR;
//! 3. [`diff`](crate::diff::diff) turns recorded vs desired into changes.
//!
//! A plan can be saved (`plan --out`) with what it was made from: the state's lineage and
//! serial and a hash of the plan files, so `apply FILE` can refuse a stale one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diag::{Diag, Sources};
use crate::diff::{Action, Change, diff};
use crate::graph::Graph;
use crate::model::{Address, Model};
use crate::place::place;
use crate::state::Records;

/// The changes a plan makes and the records it leads to.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `[[moved]]` renames to replay on the recorded state, in order: (from, to).
    pub moved: Vec<(Address, Address)>,
    pub changes: Vec<Change>,
    /// The records after apply.
    pub desired: Records,
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

/// Plans `model` against the recorded records (empty before the first apply).
pub fn plan(model: &Model, recorded: &Records) -> Result<Plan, Vec<Diag>> {
    if let Err(cycle) = Graph::of_pools(model).order() {
        return Err(vec![
            Diag::error("ipam::graph::cycle", cycle.to_string())
                .help("a pool cannot be its own ancestor; change one `parent`"),
        ]);
    }
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
                Diag::error("ipam::moved::rename", why)
                    .at(&m.loc, "cannot rename")
                    .help("move the VPC first, then its subnets"),
            );
            continue;
        }
        let origin = previous.remove(&m.from).unwrap_or_else(|| m.from.clone());
        previous.insert(m.to.clone(), origin);
        moved.push((m.from.clone(), m.to.clone()));
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let desired = place(model, &records)?;
    let changes = diff(model, &records, &desired, &previous)?;
    Ok(Plan {
        moved,
        changes,
        desired,
    })
}

/// Renames a recorded resource, updating what refers to it.
pub fn rename(records: &mut Records, from: &Address, to: &Address) -> Result<(), String> {
    let missing = || format!("`{from}` is not recorded");
    match (from, to) {
        (Address::Scope(a), Address::Scope(b)) => {
            let r = records.scopes.remove(a).ok_or_else(missing)?;
            records.scopes.insert(b.clone(), r);
            for p in records.pools.values_mut().filter(|p| p.scope == *a) {
                p.scope.clone_from(b);
            }
        }
        (Address::Pool(a), Address::Pool(b)) => {
            let r = records.pools.remove(a).ok_or_else(missing)?;
            records.pools.insert(b.clone(), r);
            for p in records.pools.values_mut() {
                if p.parent.as_ref() == Some(a) {
                    p.parent = Some(b.clone());
                }
            }
            for v in records.vpcs.values_mut() {
                if v.pool == *a {
                    v.pool.clone_from(b);
                }
                for block in v.secondary.iter_mut().chain(&mut v.ipv6) {
                    if block.pool == *a {
                        block.pool.clone_from(b);
                    }
                }
            }
            for r in records.reservations.values_mut().filter(|r| r.pool == *a) {
                r.pool.clone_from(b);
            }
        }
        (Address::Vpc(a), Address::Vpc(b)) => {
            let r = records.vpcs.remove(a).ok_or_else(missing)?;
            records.vpcs.insert(b.clone(), r);
        }
        (Address::Subnet(va, a), Address::Subnet(vb, b)) => {
            if !records.vpcs.contains_key(vb) {
                return Err(format!("`vpc.{vb}` is not recorded, so `{to}` cannot be"));
            }
            let r = records
                .vpcs
                .get_mut(va)
                .and_then(|v| v.subnets.remove(a))
                .ok_or_else(missing)?;
            if let Some(v) = records.vpcs.get_mut(vb) {
                v.subnets.insert(b.clone(), r);
            }
        }
        (Address::Reservation(a), Address::Reservation(b)) => {
            let r = records.reservations.remove(a).ok_or_else(missing)?;
            records.reservations.insert(b.clone(), r);
        }
        _ => {
            return Err(format!(
                "`{from}` and `{to}` are different kinds of resource"
            ));
        }
    }
    Ok(())
}

/// What a saved plan file says it is.
pub const SAVED_KIND: &str = "ipam-saved-plan";
/// The saved plan format this build writes and reads.
pub const SAVED_FORMAT: u32 = 1;

/// A plan saved by `plan --out`, bound to what it was made from (SPEC §6, §11).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub kind: String,
    pub format_version: u32,
    /// The plan file or directory, absolute.
    pub plan_path: PathBuf,
    /// The state file, absolute.
    pub state_path: PathBuf,
    /// SHA-256 over the plan files' relative paths and contents.
    pub files_sha256: String,
    /// The state the plan was made against; `None` before the first apply.
    pub lineage: Option<String>,
    pub serial: Option<u64>,
    pub moved: Vec<(String, String)>,
    pub changes: Vec<Change>,
    pub desired: Records,
}

impl SavedPlan {
    /// The plan it holds; `None` when a rename names no resource.
    pub fn plan(&self) -> Option<Plan> {
        let moved = self
            .moved
            .iter()
            .map(|(a, b)| Some((Address::parse(a)?, Address::parse(b)?)))
            .collect::<Option<Vec<_>>>()?;
        Some(Plan {
            moved,
            changes: self.changes.clone(),
            desired: self.desired.clone(),
        })
    }
}

/// The hash that binds a saved plan to its files: each file's path relative to the plan
/// root and its text, in path order.
pub fn files_hash(root: &Path, sources: &Sources) -> String {
    let mut h = Sha256::new();
    for (_, s) in sources.iter() {
        let rel = s.path.strip_prefix(root).unwrap_or(&s.path);
        let rel = rel.to_string_lossy();
        h.update((rel.len() as u64).to_le_bytes());
        h.update(rel.as_bytes());
        h.update((s.text.len() as u64).to_le_bytes());
        h.update(s.text.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
