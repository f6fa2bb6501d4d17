//! Saved plans (SPEC §6, §13): `plan --out FILE` writes the plan with what it was made from
//! (the plan files' hash, the state's location, lineage and serial); `apply FILE` applies it
//! only while all of those still hold.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Plan;
use crate::diag::{Diag, Sources};
use crate::state::{Location, State};

/// What a saved plan file says it is.
pub const KIND: &str = "ipam-saved-plan";
/// The saved plan format this build writes and reads.
pub const FORMAT: u32 = 2;

/// A plan saved by `plan --out`, bound to what it was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub plan: Plan,
}

/// Why a saved plan cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavedError {
    /// The file is JSON but not a saved plan this build reads.
    #[error("{} is not a saved plan: {why}", .path.display())]
    NotSaved { path: PathBuf, why: String },
    /// What it was made from has moved on.
    #[error("the saved plan is stale: {0}")]
    Stale(String),
    /// The state is another plan's.
    #[error(
        "the saved plan was made against state lineage {saved}, but {location} has lineage {found}"
    )]
    Lineage {
        saved: String,
        location: Location,
        found: String,
    },
    /// The file could not be written.
    #[error("cannot write the plan to {}: {why}", .path.display())]
    Write { path: PathBuf, why: String },
}

impl SavedError {
    pub fn diag(&self) -> Diag {
        let message = self.to_string();
        match self {
            SavedError::NotSaved { .. } => Diag::error("ipam::apply::saved_plan", message).help(
                "give `apply` a plan directory or file, or a file written by `ipam plan --out`",
            ),
            SavedError::Stale(_) => Diag::error("ipam::apply::stale", message)
                .help("make a new plan with `ipam plan --out FILE` and apply that"),
            SavedError::Lineage { .. } => Diag::error("ipam::apply::lineage", message).help(
                "this is another plan's state: check `--state`, or make a new plan against this one",
            ),
            SavedError::Write { .. } => Diag::error("ipam::plan::out", message)
                .help("give `--out` a path in a writable directory"),
        }
    }
}

impl SavedPlan {
    /// A plan made from the files at `plan_path` (`sources`) and the state at `state_path`.
    pub fn new(
        plan: &Plan,
        plan_path: &Path,
        sources: &Sources,
        state_path: &Path,
        state: Option<&State>,
    ) -> SavedPlan {
        SavedPlan {
            kind: KIND.into(),
            format_version: FORMAT,
            plan_path: absolute(plan_path),
            state_path: absolute(state_path),
            files_sha256: files_hash(plan_path, sources),
            lineage: state.map(|s| s.lineage.clone()),
            serial: state.map(|s| s.serial),
            plan: plan.clone(),
        }
    }

    /// Writes the saved plan to `out`.
    pub fn write(&self, out: &Path) -> Result<(), SavedError> {
        let write = || -> std::io::Result<()> {
            let mut bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
            bytes.push(b'\n');
            std::fs::write(out, bytes)
        };
        write().map_err(|e| SavedError::Write {
            path: out.to_path_buf(),
            why: e.to_string(),
        })
    }

    /// The saved plan at `target`, if it is one (plan files are TOML, never a JSON object).
    pub fn read(target: &Path) -> Result<Option<SavedPlan>, SavedError> {
        if !target.is_file() {
            return Ok(None);
        }
        let Ok(text) = std::fs::read_to_string(target) else {
            return Ok(None);
        };
        if !text.trim_start().starts_with('{') {
            return Ok(None);
        }
        let bad = |why: String| SavedError::NotSaved {
            path: target.to_path_buf(),
            why,
        };
        // The header first: a newer or older format is named as such, not as a shape error.
        #[derive(Deserialize)]
        struct Header {
            kind: String,
            format_version: u32,
        }
        let header: Header = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if header.kind != KIND {
            return Err(bad(format!("its kind is `{}`", header.kind)));
        }
        if header.format_version != FORMAT {
            let which = if header.format_version > FORMAT {
                "a newer"
            } else {
                "an older"
            };
            return Err(bad(format!(
                "it was written by {which} ipam (format {}, this build reads {FORMAT})",
                header.format_version
            )));
        }
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| bad(e.to_string()))
    }

    /// Refuses the plan when the plan files changed since it was made.
    pub fn check_files(&self, sources: &Sources) -> Result<(), SavedError> {
        if files_hash(&self.plan_path, sources) == self.files_sha256 {
            Ok(())
        } else {
            Err(SavedError::Stale(format!(
                "the plan files in {} changed since it was made",
                self.plan_path.display()
            )))
        }
    }

    /// Refuses the plan unless `state` is the very state it was made against.
    pub fn check_state(
        &self,
        location: &Location,
        state: Option<&State>,
    ) -> Result<(), SavedError> {
        match (state, &self.lineage) {
            (None, None) => Ok(()),
            (Some(_), None) => Err(SavedError::Stale(format!(
                "it was made before the first apply, and {location} has been written since"
            ))),
            (None, Some(_)) => Err(SavedError::Stale(format!(
                "it was made against a state that {location} no longer holds"
            ))),
            (Some(s), Some(lineage)) => {
                if s.lineage != *lineage {
                    return Err(SavedError::Lineage {
                        saved: lineage.clone(),
                        location: location.clone(),
                        found: s.lineage.clone(),
                    });
                }
                if Some(s.serial) != self.serial {
                    return Err(SavedError::Stale(format!(
                        "the state is at serial {}, the plan was made at serial {}",
                        s.serial,
                        self.serial.unwrap_or_default()
                    )));
                }
                Ok(())
            }
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
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
