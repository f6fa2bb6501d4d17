//! Where a plan's state is (SPEC §7, §13): `--state`, else a non-empty `IPAM_STATE`, else
//! `ipam.state.json` inside a plan directory or next to a plan file. Whether the location was
//! given or is the default matters: only the default may start from no state.

use std::fmt;
use std::path::{Path, PathBuf};

/// A state's location.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// A state file (the file backend).
    File(PathBuf),
}

impl Location {
    /// A location as text (as `--state` takes it and saved plans record it).
    pub fn parse(text: &str) -> Location {
        Location::File(PathBuf::from(text))
    }

    /// The state file, for the file backend.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// How a location was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--state`.
    Flag,
    /// `IPAM_STATE`.
    Environment,
    /// Beside the plan.
    Default,
    /// Recorded in a saved plan.
    Saved,
}

/// A location and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub location: Location,
    pub origin: Origin,
}

/// The location a saved plan recorded: `given` (from `--state`) wins; otherwise the one the
/// plan was made against, which only a given location can change.
pub fn locate_saved(recorded: &str, given: Option<&Path>) -> Located {
    match given {
        Some(s) => Located {
            location: Location::File(s.to_path_buf()),
            origin: Origin::Flag,
        },
        None => Located {
            location: Location::parse(recorded),
            origin: Origin::Saved,
        },
    }
}

/// The state of the plan at `plan`: `given` (from `--state`), else a non-empty `IPAM_STATE`,
/// else the default beside the plan.
pub fn locate(plan: &Path, given: Option<&Path>) -> Located {
    if let Some(s) = given {
        return Located {
            location: Location::File(s.to_path_buf()),
            origin: Origin::Flag,
        };
    }
    // Set but empty means unset: CI systems often export empty variables.
    if let Some(env) = std::env::var_os("IPAM_STATE").filter(|v| !v.is_empty()) {
        return Located {
            location: Location::File(PathBuf::from(env)),
            origin: Origin::Environment,
        };
    }
    Located {
        location: Location::File(default_path(plan)),
        origin: Origin::Default,
    }
}

/// `ipam.state.json` inside a plan directory, or next to a plan file.
pub fn default_path(plan: &Path) -> PathBuf {
    let dir = if plan.is_dir() {
        plan
    } else {
        plan.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    };
    dir.join("ipam.state.json")
}
