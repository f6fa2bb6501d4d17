//! The recorded state (SPEC §7): what apply has allocated. Every pool's provisioned CIDRs,
//! every allocation's concrete CIDRs, every attribute the plan declared for it (so a later
//! plan can tell an in-place update from a replace), `protect` flags, a `lineage` set once
//! and a `serial` incremented on every write.
//!
//! Records are keyed by name in ordered maps, so the file is byte-identical for the same
//! content. Where the state lives is a [`Backend`] reached through [`open`]: a file ([`file`](mod@file)),
//! written crash-safely under a lock, or a PostgreSQL database ([`pg`]) for a team.

mod backend;
pub mod check;
mod error;
pub mod file;
pub mod history;
mod ids;
mod location;
pub mod pg;
mod records;
pub mod usage;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use check::Violation;

pub use backend::{Backend, Changes, Counts, LockInfo, Session, Version};
pub use error::{FileText, StateError};
pub use ids::rfc3339;
pub use location::{
    Located, Location, Origin, PlanSettings, check_plan_url, default_path, locate, locate_saved,
    plan_name, plan_settings,
};
pub use records::{
    BlockRecord, PoolRecord, Records, ReservationRecord, ScopeRecord, SubnetRecord, VpcRecord,
};

/// The state format this build reads and writes. A newer one is refused.
pub const FORMAT_VERSION: u32 = 1;

/// The recorded state of one plan (`ipam.state.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Version of this format; a newer one than the tool knows is refused.
    pub format_version: u32,
    /// Identity of this state, set when it is first written and never changed; a saved plan
    /// made against another lineage is refused.
    pub lineage: String,
    /// Incremented on every write; a saved plan made at another serial is stale.
    pub serial: u64,
    /// Every resource apply has created.
    pub resources: Records,
}

impl State {
    /// The state that follows `previous` (none before the first write) with `resources`:
    /// the same lineage, or a new one; the next serial.
    ///
    /// A state read is [`verify`]d, which refuses the largest serial, so the serial never
    /// wraps.
    pub fn after(previous: Option<&State>, resources: Records) -> State {
        State {
            format_version: FORMAT_VERSION,
            lineage: previous.map_or_else(ids::new_lineage, |s| s.lineage.clone()),
            serial: previous.map_or(1, |s| s.serial.saturating_add(1)),
            resources,
        }
    }
}

/// A state as read, checked before anything is built on it or shown (SPEC §13): the same
/// invariants apply re-checks (no overlaps in a scope, children inside their parents and
/// disjoint, subnets inside their VPC, rules hold), a lineage, and a serial that can still
/// grow. A state that breaks one is refused, each problem naming the resources and CIDRs.
pub fn verify(location: &Location, state: Option<State>) -> Result<Option<State>, StateError> {
    let Some(state) = state else {
        return Ok(None);
    };
    let problems = violations(&state);
    if problems.is_empty() {
        Ok(Some(state))
    } else {
        Err(StateError::Invalid {
            location: location.clone(),
            problems,
        })
    }
}

/// Every rule `state` breaks (see [`verify`]); none for a sound state.
pub fn violations(state: &State) -> Vec<Violation> {
    let mut problems: Vec<Violation> = Vec::new();
    if state.lineage.trim().is_empty() {
        problems.push(Violation::EmptyLineage);
    }
    if state.serial == 0 {
        problems.push(Violation::ZeroSerial);
    }
    if state.serial == u64::MAX {
        problems.push(Violation::LastSerial);
    }
    problems.extend(check::check(&state.resources));
    problems
}

/// The backend of a state location. `name` is the plan's `[ipam] name`: a database keeps
/// one state per name (a URL's `workspace` overrides it); a file is one state and needs
/// none.
pub fn open(location: &Location, name: Option<&str>) -> Box<dyn Backend> {
    match location {
        Location::File(path) => Box::new(file::FileBackend::new(path.clone())),
        Location::Postgres(url) => Box::new(pg::PgBackend::new((**url).clone(), name)),
    }
}
