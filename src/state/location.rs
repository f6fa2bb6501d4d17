//! Where a plan's state is (SPEC §7, §13, §14): `--state`, else a non-empty `IPAM_STATE`,
//! else the plan's `[state] url`, else `ipam.state.json` inside a plan directory or next to
//! a plan file. Each names a file, or a PostgreSQL database by a `postgres://` URL. Whether
//! the location was given or is the default matters: only the default may start from no
//! state.

use std::fmt;
use std::path::{Path, PathBuf};

use super::StateError;
use super::pg::url::{self, PgUrl};

/// The plan's `[state] url` (the first, where several files have one: the plan refuses
/// that on its own), checked as a location a state can live at: a file, or a database URL
/// without a password. Located errors, none when it is fine or absent.
pub fn check_plan_url(raw: &crate::config::RawPlan) -> Vec<crate::diag::Diag> {
    let Some((file, table)) = raw
        .files
        .iter()
        .find_map(|(file, f)| f.state.as_ref().map(|s| (*file, s)))
    else {
        return Vec::new();
    };
    let url = &table.value.url;
    let loc = crate::diag::Loc::new(file, url.span.clone());
    match Location::parse(Path::new(&url.value)) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics()
            .diags
            .into_iter()
            .map(|d| d.at(&loc, "not a state location"))
            .collect(),
    }
}

/// A state's location.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// A state file (the file backend).
    File(PathBuf),
    /// A state in a PostgreSQL database (the PostgreSQL backend); boxed, so a location
    /// (in every state error) stays small.
    Postgres(Box<PgUrl>),
}

impl Location {
    /// A location as `--state` and `IPAM_STATE` take it: a `postgres://` or
    /// `postgresql://` URL, else a file path. A URL that carries a password is refused.
    pub fn parse(text: &Path) -> Result<Location, StateError> {
        match text.to_str() {
            Some(s) if url::is_url(s) => PgUrl::parse(s)
                .map(|u| Location::Postgres(Box::new(u)))
                .map_err(StateError::Url),
            _ => Ok(Location::File(text.to_path_buf())),
        }
    }

    /// The state file, for the file backend.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }
}

/// A file's path, or a database's URL with every parameter spelled out (never a password).
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Postgres(u) => write!(f, "{u}"),
        }
    }
}

/// As its text: a path, or a `postgres://` URL with every parameter spelled out (never a
/// password: a location cannot hold one).
impl serde::Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Read back as `--state` takes it; a text that is no location is refused with the reason.
impl<'de> serde::Deserialize<'de> for Location {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Location, D::Error> {
        let text = String::deserialize(d)?;
        Location::parse(Path::new(&text)).map_err(|e| {
            let reason = e
                .diagnostics()
                .diags
                .first()
                .map_or_else(|| e.to_string(), |d| d.message.clone());
            serde::de::Error::custom(reason)
        })
    }
}

/// How a location was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--state`.
    Flag,
    /// `IPAM_STATE`.
    Environment,
    /// The plan's `[state] url`.
    Plan,
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
pub fn locate_saved(recorded: &Location, given: Option<&Path>) -> Result<Located, StateError> {
    match given {
        Some(s) => Location::parse(s).map(|location| Located {
            location,
            origin: Origin::Flag,
        }),
        None => Ok(Located {
            location: recorded.clone(),
            origin: Origin::Saved,
        }),
    }
}

/// The state of the plan at `plan`: `given` (from `--state`), else a non-empty `IPAM_STATE`,
/// else `plan_url` (the plan's `[state] url`), else the default file beside the plan.
pub fn locate(
    plan: &Path,
    given: Option<&Path>,
    plan_url: Option<&str>,
) -> Result<Located, StateError> {
    let at =
        |text: &Path, origin| Location::parse(text).map(|location| Located { location, origin });
    if let Some(s) = given {
        return at(s, Origin::Flag);
    }
    // Set but empty means unset: CI systems often export empty variables.
    if let Some(env) = std::env::var_os("IPAM_STATE").filter(|v| !v.is_empty()) {
        return at(Path::new(&env), Origin::Environment);
    }
    if let Some(u) = plan_url {
        // A file named in the plan is relative to the plan's directory.
        let located = at(Path::new(u), Origin::Plan)?;
        return Ok(match located.location {
            Location::File(p) if p.is_relative() => Located {
                location: Location::File(plan_dir(plan).join(p)),
                origin: Origin::Plan,
            },
            _ => located,
        });
    }
    Ok(Located {
        location: Location::File(default_path(plan)),
        origin: Origin::Default,
    })
}

/// `ipam.state.json` inside a plan directory, or next to a plan file.
pub fn default_path(plan: &Path) -> PathBuf {
    plan_dir(plan).join("ipam.state.json")
}

/// A plan directory, or the directory of a plan file.
fn plan_dir(plan: &Path) -> &Path {
    if plan.is_dir() {
        plan
    } else {
        plan.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }
}

/// What the plan says about its state, read before (and beside) the plan itself: its
/// `[ipam] name`, which names its state in a database, and its `[state] url`. Either is
/// `None` when no plan file has it (the plan's own diagnostics say what is wrong with it).
/// Only files that can hold those tables are parsed (a key is written plainly or with
/// escapes), so a plan's large team files cost a scan, not a parse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSettings {
    pub name: Option<String>,
    pub state_url: Option<String>,
}

pub fn plan_settings(plan: &Path) -> PlanSettings {
    #[derive(serde::Deserialize)]
    struct File {
        ipam: Option<Ipam>,
        state: Option<StateTable>,
    }
    #[derive(serde::Deserialize)]
    struct Ipam {
        name: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct StateTable {
        url: Option<String>,
    }
    let mut settings = PlanSettings::default();
    let Ok(listing) = crate::config::plan_files(plan) else {
        return settings;
    };
    for path in &listing.files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if !text.contains("ipam") && !text.contains("state") && !text.contains('\\') {
            continue;
        }
        let Ok(file) = toml::from_str::<File>(&text) else {
            continue;
        };
        if settings.name.is_none() {
            settings.name = file.ipam.and_then(|i| i.name);
        }
        if settings.state_url.is_none() {
            settings.state_url = file.state.and_then(|s| s.url);
        }
    }
    settings
}

/// The plan's `[ipam] name` (see [`plan_settings`]).
pub fn plan_name(plan: &Path) -> Option<String> {
    plan_settings(plan).name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_databases_and_the_rest_files() {
        let db =
            Location::parse(Path::new("postgres://ipam@db:5432/ipam?sslmode=disable")).unwrap();
        assert!(matches!(&db, Location::Postgres(u) if u.host == "db" && u.dbname == "ipam"));
        assert_eq!(db.file(), None);
        let file = Location::parse(Path::new("states/postgres.json")).unwrap();
        assert_eq!(file, Location::File(PathBuf::from("states/postgres.json")));
        assert!(matches!(
            Location::parse(Path::new("postgresql://u:pw@h/d")),
            Err(StateError::Url(_))
        ));
    }

    #[test]
    fn the_flag_wins_then_the_plan() {
        let plan = Path::new("plans/net.toml");
        let flag = locate(plan, Some(Path::new("s.json")), Some("postgres://h/d")).unwrap();
        assert_eq!(flag.origin, Origin::Flag);
        if std::env::var_os("IPAM_STATE").is_none() {
            let from_plan = locate(plan, None, Some("postgres://u@h/d")).unwrap();
            assert_eq!(from_plan.origin, Origin::Plan);
            let default = locate(plan, None, None).unwrap();
            assert_eq!(
                default.location,
                Location::File(PathBuf::from("plans/ipam.state.json"))
            );
        }
    }

    #[test]
    fn the_plan_name_is_found_in_the_file_that_has_it() {
        let dir = std::env::temp_dir().join(format!("ipam-plan-name-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("10-team.toml"), "[vpcs.a]\npool = \"p\"\n").unwrap();
        assert_eq!(plan_name(&dir), None);
        std::fs::write(
            dir.join("00-ipam.toml"),
            "[ipam]\nname = \"corp\"\nregions = [\"r\"]\n",
        )
        .unwrap();
        assert_eq!(plan_name(&dir).as_deref(), Some("corp"));
        std::fs::write(
            dir.join("00-ipam.toml"),
            "\"\\u0069pam\" = { name = \"esc\" }\n",
        )
        .unwrap();
        assert_eq!(plan_name(&dir).as_deref(), Some("esc"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
