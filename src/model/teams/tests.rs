//! The assignment of files to teams and the owners it gives, on plans built in memory.

use std::path::PathBuf;

use crate::config::{RawPlan, parse};
use crate::diag::{FileId, Sources};
use crate::model::{Model, build};

/// A plan in memory: (path below the plan directory, text).
fn plan(files: &[(&str, &str)]) -> Result<Model, Vec<&'static str>> {
    let root = PathBuf::from("plan");
    let mut sources = Sources::default();
    let mut raw_files = Vec::new();
    for (path, text) in files {
        let id = sources.add(&root.join(path), text.to_string());
        raw_files.push((id, parse(id, text).expect("TOML")));
    }
    let raw = RawPlan {
        sources,
        files: raw_files,
        root,
    };
    build(&raw).map_err(|diags| diags.iter().map(|d| d.code).collect())
}

const IPAM: &str = "[ipam]\nname = \"t\"\nregions = [\"r\"]\nowner = \"net\"\n\
    [accounts]\nnet = \"1\"\na = \"2\"\nb = \"3\"\n\
    [teams.b]\naccount = \"b\"\npaths = [\"b/**\", \"shared/b-*.toml\"]\n\
    [teams.a]\naccount = \"a\"\npaths = [\"a\"]\n";
const POOLS: &str = "[pools.p]\ncidrs = [\"10.0.0.0/8\"]\nshared_with = [\"a\", \"b\"]\n";

#[test]
fn every_file_is_its_teams_or_the_owners() {
    let model = plan(&[
        ("0.toml", IPAM),
        ("1.toml", POOLS),
        ("a/x.toml", "[vpcs.x]\npool = \"p\"\nnetmask = 24\n"),
        (
            "a/deep/y.toml",
            "[reservations.y]\npool = \"p\"\nnetmask = 24\n",
        ),
        ("b/z.toml", "[vpcs.z]\npool = \"p\"\nnetmask = 24\n"),
        ("shared/b-w.toml", ""),
        (
            "shared/other.toml",
            "[vpcs.o]\npool = \"p\"\nnetmask = 24\n",
        ),
    ])
    .expect("valid");
    // Teams by name, each with its files in path order.
    let names: Vec<&str> = model.teams.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(model.teams[0].files, [FileId(2), FileId(3)]);
    assert_eq!(model.teams[1].files, [FileId(4), FileId(5)]);
    let team = |id: usize| {
        model
            .team_of_file(FileId(id))
            .map(|t| model.team(t).name.as_str())
    };
    assert_eq!(
        (0..7).map(team).collect::<Vec<_>>(),
        [None, None, Some("a"), Some("a"), Some("b"), Some("b"), None]
    );
    assert_eq!(model.frame_files, [FileId(0), FileId(1)]);
    // Owners: the team's account in its file, the IPAM owner's elsewhere.
    let owner = |v: &str| {
        model
            .vpcs
            .iter()
            .find(|x| x.name == v)
            .and_then(|x| x.owner.clone())
    };
    assert_eq!(owner("x").as_deref(), Some("a"));
    assert_eq!(owner("z").as_deref(), Some("b"));
    assert_eq!(owner("o").as_deref(), Some("net"));
    assert_eq!(model.team_of_account("b").map(|t| t.0), Some(1));
    assert_eq!(model.team_of_account("net"), None);
}

#[test]
fn a_plan_without_teams_has_none() {
    let model = plan(&[
        ("0.toml", &IPAM[..IPAM.find("[teams.b]").expect("teams")]),
        ("1.toml", POOLS),
    ])
    .expect("valid");
    assert!(model.teams.is_empty());
    assert_eq!(model.team_of_file(FileId(1)), None);
}

#[test]
fn teams_declared_in_a_team_file_decide_nothing() {
    // Team a's file declares a team that would take every file: refused once, and the
    // owner's files stay the owner's (no cascade of refusals in them).
    let codes = plan(&[
        ("0.toml", IPAM),
        ("1.toml", POOLS),
        (
            "a/x.toml",
            "[teams.all]\naccount = \"net\"\npaths = [\"**\"]\n",
        ),
        ("b/z.toml", ""),
    ])
    .expect_err("refused");
    assert_eq!(codes, ["ipam::team::forbidden"]);
}
