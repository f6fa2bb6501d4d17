//! Saved plans (SPEC §6, §13): `plan --out FILE` writes the plan with what it was made from
//! — the plan path as given, the plan files' hash, the state's location, lineage and serial
//! — and `apply FILE` plans those files against the state again and applies only if the
//! result is exactly the saved plan. A plan edited by hand, or one whose files or state moved
//! on, is refused as stale, naming what differs.
//!
//! Paths are kept as given (relative to where `plan` ran), so a plan made in one CI job
//! applies in another checkout of the same repository.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Change, Plan};
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
    /// The plan file or directory, as given to `plan` (relative to where it ran, when it
    /// was relative or inside that directory).
    pub plan_path: PathBuf,
    /// The state's location when the plan was made (a file relative to where `plan` ran,
    /// when it was relative or inside that directory).
    pub state: Location,
    /// SHA-256 over the plan files' paths (relative to the plan) and contents.
    pub files_sha256: String,
    /// The state the plan was made against; `None` before the first apply.
    pub lineage: Option<String>,
    pub serial: Option<u64>,
    /// The inventories the plan was placed around (`plan --inventory`), each with its
    /// content's hash: a changed inventory makes the plan stale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inventories: Vec<SavedInventory>,
    /// `--region` given with the inventories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub plan: Plan,
}

/// An inventory a saved plan was placed around.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedInventory {
    /// As given to `plan` (relative to where it ran, when it was relative or inside it).
    pub path: PathBuf,
    /// SHA-256 of its content.
    pub sha256: String,
}

impl SavedInventory {
    /// The inventory at `path` as it is now. Standard input cannot be read again at apply,
    /// so a plan placed around it cannot be saved.
    pub fn of(path: &Path, out: &Path) -> Result<SavedInventory, SavedError> {
        let cannot = |why: String| SavedError::Write {
            path: out.to_path_buf(),
            why,
        };
        if path == Path::new("-") {
            return Err(SavedError::StdinInventory(out.to_path_buf()));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| cannot(format!("cannot read the inventory {}: {e}", path.display())))?;
        Ok(SavedInventory {
            path: portable(path),
            sha256: hex(&Sha256::digest(&bytes)),
        })
    }
}

/// How a saved plan's inputs moved on since it was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stale {
    #[error("it was made from the plan at {}, which is not here", .0.display())]
    PlanGone(PathBuf),
    #[error("the plan files in {} changed since it was made", .0.display())]
    FilesChanged(PathBuf),
    #[error("it was placed around the inventory {}, which cannot be read: {why}", .path.display())]
    InventoryGone { path: PathBuf, why: String },
    #[error("the inventory {} changed since it was made", .0.display())]
    InventoryChanged(PathBuf),
    #[error("it was made before the first apply, and {0} has been written since")]
    StateWritten(Location),
    #[error("it was made against a state that {0} does not hold")]
    StateGone(Location),
    #[error("the state is at serial {now}, the plan was made at serial {saved}")]
    Serial { now: u64, saved: u64 },
    /// Planning again gives another plan: `what` differs (the file was edited, or made by
    /// another version of ipam).
    #[error(
        "it is not the plan its files and the state give now: {what} differs (the file was \
         edited, or made by another version of ipam)"
    )]
    Edited { what: String },
}

/// Why a saved plan cannot be read, written or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavedError {
    /// The file is JSON but not a saved plan this build reads.
    #[error("{} is not a saved plan: {why}", .path.display())]
    NotSaved { path: PathBuf, why: String },
    /// What it was made from has moved on, or it was edited.
    #[error("the saved plan is stale: {0}")]
    Stale(Stale),
    /// The state is another plan's.
    #[error(
        "the saved plan was made against state lineage {saved}, but {location} has lineage {found}"
    )]
    Lineage {
        saved: String,
        location: Location,
        found: String,
    },
    /// An inventory the plan was placed around was read from standard input, which
    /// cannot be read again when the plan is applied.
    #[error(
        "cannot save the plan to {}: an inventory read from standard input cannot be checked \
         again when it is applied",
        .0.display()
    )]
    StdinInventory(PathBuf),
    /// The file could not be written.
    #[error("cannot write the plan to {}: {why}", .path.display())]
    Write { path: PathBuf, why: String },
    /// `--out` names a file that is not a saved plan: the state, its lock, a plan file.
    #[error("refusing to write the plan over {}: it is {what}", .path.display())]
    Overwrite { path: PathBuf, what: String },
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
            SavedError::StdinInventory(_) => Diag::error("ipam::plan::out", message)
                .help("write the export to a file and give that to `--inventory`"),
            SavedError::Write { .. } => Diag::error("ipam::plan::out", message)
                .help("give `--out` a path in a writable directory"),
            SavedError::Overwrite { .. } => Diag::error("ipam::plan::out", message)
                .help("give `--out` a new file name, e.g. `--out ipam.plan.json`"),
        }
    }
}

impl SavedPlan {
    /// A plan made from the files at `plan_path` (`sources`) and the state at `location`.
    pub fn new(
        plan: &Plan,
        plan_path: &Path,
        sources: &Sources,
        location: &Location,
        state: Option<&State>,
    ) -> SavedPlan {
        SavedPlan {
            kind: KIND.into(),
            format_version: FORMAT,
            plan_path: portable(plan_path),
            state: match location {
                Location::File(path) => Location::File(portable(path)),
                // A database's URL, with every parameter spelled out and never a password.
                Location::Postgres(_) => location.clone(),
            },
            files_sha256: files_hash(plan_path, sources),
            lineage: state.map(|s| s.lineage.clone()),
            serial: state.map(|s| s.serial),
            inventories: Vec::new(),
            region: None,
            plan: plan.clone(),
        }
    }

    /// Writes the saved plan to `out`, which must be a new file or an earlier saved plan:
    /// never the state, its lock or backup, or a plan file.
    pub fn write(
        &self,
        out: &Path,
        plan_path: &Path,
        location: &Location,
        sources: &Sources,
    ) -> Result<(), SavedError> {
        refuse_overwrite(out, plan_path, location, sources)?;
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
        SavedPlan::parse(target, &text).map(Some)
    }

    /// The text of a saved plan file at `target` (named in errors).
    pub fn parse(target: &Path, text: &str) -> Result<SavedPlan, SavedError> {
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
        let header: Header = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
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
        serde_json::from_str(text).map_err(|e| bad(e.to_string()))
    }

    /// Whether the plan was made against the state at `location`.
    pub fn made_here(&self, location: &Location) -> bool {
        self.state == *location
    }

    /// Refuses the plan when the plan files changed since it was made.
    pub fn check_files(&self, sources: &Sources) -> Result<(), SavedError> {
        if files_hash(&self.plan_path, sources) == self.files_sha256 {
            Ok(())
        } else {
            Err(SavedError::Stale(Stale::FilesChanged(
                self.plan_path.clone(),
            )))
        }
    }

    /// Refuses the plan when an inventory it was placed around changed or is gone.
    pub fn check_inventories(&self) -> Result<(), SavedError> {
        for inv in &self.inventories {
            let now = std::fs::read(&inv.path).map_err(|e| {
                SavedError::Stale(Stale::InventoryGone {
                    path: inv.path.clone(),
                    why: e.to_string(),
                })
            })?;
            if hex(&Sha256::digest(&now)) != inv.sha256 {
                return Err(SavedError::Stale(Stale::InventoryChanged(inv.path.clone())));
            }
        }
        Ok(())
    }

    /// Refuses the plan unless `state` is the very state it was made against.
    pub fn check_state(
        &self,
        location: &Location,
        state: Option<&State>,
    ) -> Result<(), SavedError> {
        match (state, &self.lineage) {
            (None, None) => Ok(()),
            (Some(_), None) => Err(SavedError::Stale(Stale::StateWritten(location.clone()))),
            (None, Some(_)) => Err(SavedError::Stale(Stale::StateGone(location.clone()))),
            (Some(s), Some(lineage)) => {
                if s.lineage != *lineage {
                    return Err(SavedError::Lineage {
                        saved: lineage.clone(),
                        location: location.clone(),
                        found: s.lineage.clone(),
                    });
                }
                if Some(s.serial) != self.serial {
                    return Err(SavedError::Stale(Stale::Serial {
                        now: s.serial,
                        saved: self.serial.unwrap_or_default(),
                    }));
                }
                Ok(())
            }
        }
    }

    /// Refuses the plan unless planning again gave exactly it; names the first difference.
    pub fn check_plan(&self, again: &Plan) -> Result<(), SavedError> {
        if *again == self.plan {
            return Ok(());
        }
        let by_change = |c: &Change| c.address.to_string();
        let first = self
            .plan
            .changes
            .iter()
            .zip(&again.changes)
            .find(|(a, b)| a != b)
            .map(|(a, _)| format!("the change to {}", by_change(a)))
            .or_else(|| {
                (self.plan.changes.len() != again.changes.len()).then(|| {
                    format!(
                        "the number of changes ({} saved, {} now)",
                        self.plan.changes.len(),
                        again.changes.len()
                    )
                })
            })
            .or_else(|| (self.plan.moved != again.moved).then(|| "the renames".to_string()))
            .or_else(|| {
                (self.plan.stepped_around != again.stepped_around)
                    .then(|| "the discovered networks it steps around".to_string())
            })
            .unwrap_or_else(|| "the records apply would write".to_string());
        Err(SavedError::Stale(Stale::Edited { what: first }))
    }
}

/// The path as it will be found again: relative to the current directory when it is inside
/// it, so another checkout of the same repository finds its own files.
fn portable(path: &Path) -> PathBuf {
    if path.is_relative() {
        return normal(path);
    }
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(normal))
        .unwrap_or_else(|| path.to_path_buf())
}

/// Without `.` components (and `.` for an empty path).
fn normal(path: &Path) -> PathBuf {
    let p: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

/// `--out` may create a file or replace an earlier saved plan, nothing else.
fn refuse_overwrite(
    out: &Path,
    plan_path: &Path,
    location: &Location,
    sources: &Sources,
) -> Result<(), SavedError> {
    let refuse = |what: &str| {
        Err(SavedError::Overwrite {
            path: out.to_path_buf(),
            what: what.to_string(),
        })
    };
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let named = |suffix: &str| {
        location.file().is_some_and(|state| {
            let mut name = state.as_os_str().to_owned();
            name.push(suffix);
            let sibling = PathBuf::from(name);
            out == sibling || same(out, &sibling)
        })
    };
    if location
        .file()
        .is_some_and(|state| out == state || same(out, state))
    {
        return refuse("the state");
    }
    if named(".lock") || named(".backup") {
        return refuse("the state's lock or backup");
    }
    if same(out, plan_path) || sources.iter().any(|(_, s)| same(out, &s.path)) {
        return refuse("a plan file");
    }
    if out.extension().is_some_and(|e| e == "toml") {
        return refuse("a TOML file, which the plan would read");
    }
    match std::fs::read_to_string(out) {
        Ok(text) if !text.trim().is_empty() => match SavedPlan::read(out) {
            Ok(Some(_)) | Err(SavedError::NotSaved { .. }) if text.contains(KIND) => Ok(()),
            _ => refuse("a file that is not a saved plan"),
        },
        _ => Ok(()),
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
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
