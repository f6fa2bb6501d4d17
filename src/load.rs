//! The first stages for every command: plan files → validated model, and the recorded
//! state beside it, read at the same time (they are independent, and a large plan and a large
//! state each take a while).

use std::path::Path;

use crate::diag::{Diagnostics, Sources};
use crate::model::Model;
use crate::state::{State, StateError};

/// Reads and validates the plan at `path` (a file or a directory of them).
pub fn model(path: &Path) -> Result<(Model, Sources), Diagnostics> {
    let raw = crate::config::load(path)?;
    // Every problem at once: the model's, and the state URL's (the state module knows what
    // a location is; the model does not depend on it).
    let url = crate::state::check_plan_url(&raw);
    match crate::model::build(&raw) {
        Ok(model) if url.is_empty() => Ok((model, raw.sources)),
        Ok(_) => Err(Diagnostics::new(raw.sources, url)),
        Err(mut diags) => {
            diags.extend(url);
            Err(Diagnostics::new(raw.sources, diags))
        }
    }
}

/// A validated plan with its sources, and the recorded state (if any), each or its error.
pub type PlanAndState = (
    Result<(Model, Sources), Diagnostics>,
    Result<Option<State>, StateError>,
);

/// The plan at `path` and the state `read` returns, read at the same time on two threads.
pub fn model_and_state(
    path: &Path,
    read: impl FnOnce() -> Result<Option<State>, StateError> + Send,
) -> PlanAndState {
    std::thread::scope(|s| {
        let state = s.spawn(read);
        let model = model(path);
        let state = state
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (model, state)
    })
}

/// A plan, its recorded state, and what the inventories say exists.
pub struct Loaded {
    pub model: Model,
    /// The plan files read.
    pub sources: Sources,
    pub state: Option<State>,
    pub inventory: crate::audit::Inventory,
}

/// Reads the plan, the state and the inventories at the same time (the inventories on their
/// own thread: a large one takes as long as the rest). Every problem of all three is
/// returned.
pub fn with_inventory(
    path: &Path,
    read: impl FnOnce() -> Result<Option<State>, StateError> + Send,
    inventories: &[std::path::PathBuf],
    options: crate::audit::Options,
) -> Result<Loaded, Vec<Diagnostics>> {
    let ((model, state), inventory) = std::thread::scope(|s| {
        let inventory = s.spawn(|| crate::audit::read_all(inventories, options));
        let loaded = model_and_state(path, read);
        let inventory = inventory
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (loaded, inventory)
    });
    match (model, state, inventory) {
        (Ok((model, sources)), Ok(state), Ok(inventory)) => Ok(Loaded {
            model,
            sources,
            state,
            inventory,
        }),
        (model, state, inventory) => {
            let mut failed = Vec::new();
            failed.extend(model.err());
            failed.extend(state.err().map(|e| e.diagnostics()));
            failed.extend(
                inventory
                    .err()
                    .map(|diags| Diagnostics::new(Sources::default(), diags)),
            );
            Err(failed)
        }
    }
}
