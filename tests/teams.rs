//! Teams (SPEC §16) from the command line: what a team's file records, how plans tag and
//! group changes by team, and `ipam codeowners` (its lines, their order, its errors).
//! The validation rules of team files are scenario tests (`tests/scenarios/*team*`).

use std::fs;
use std::path::{Path, PathBuf};

mod common;

use common::{ipam, text};
use serde_json::Value;

const IPAM: &str = r#"[ipam]
name = "t"
regions = ["r1"]
owner = "network"

[accounts]
network = "100000000001"
payments = "100000000002"
retail = "100000000003"
data = "100000000004"

[teams.payments]
account = "payments"
paths = ["teams/payments/**"]

[teams.retail]
account = "retail"
paths = ["teams/retail/*.toml", "teams/retail/eu/{de,fr}.toml"]

[teams.data]
account = "data"
paths = ["data.toml"]
"#;

const POOLS: &str = r#"[pools.corp]
cidrs = ["10.0.0.0/8"]

[pools.apps]
parent = "corp"
cidrs = ["10.1.0.0/16"]
allocation = { default_netmask = 24 }
shared_with = ["payments", "retail", "data"]

[vpcs.hub]
pool = "corp"
netmask = 24
"#;

/// A plan directory `plan/` in a fresh work directory that is the root of a repository (it
/// holds `.git`), with the teams above and a file for each.
fn team_plan(name: &str) -> (PathBuf, PathBuf) {
    let work = common::workdir("teams", name);
    fs::create_dir_all(work.join(".git")).expect("repository marker");
    let plan = work.join("plan");
    let files: &[(&str, &str)] = &[
        ("00-ipam.toml", IPAM),
        ("10-pools.toml", POOLS),
        (
            "teams/payments/vpcs.toml",
            "[vpcs.checkout]\npool = \"apps\"\n",
        ),
        (
            "teams/retail/vpcs.toml",
            "[vpcs.shop]\npool = \"apps\"\nowner = \"retail\"\n",
        ),
        (
            "teams/retail/eu/de.toml",
            "[vpcs.shop-de]\npool = \"apps\"\n",
        ),
        ("data.toml", "[reservations.lake]\npool = \"apps\"\n"),
    ];
    for (path, body) in files {
        let p = plan.join(path);
        fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
        fs::write(p, body).expect("write plan file");
    }
    (work, plan)
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

#[test]
fn a_team_files_vpcs_are_recorded_as_the_team_accounts() {
    let (work, plan) = team_plan("recorded_owner");
    let out = ipam(&work, &["apply", "plan", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out));
    let state: Value =
        serde_json::from_str(&fs::read_to_string(plan.join("ipam.state.json")).expect("state"))
            .expect("state JSON");
    let vpcs = &state["resources"]["vpcs"];
    // No `owner` in a team's file: the team's account, not the IPAM owner.
    assert_eq!(vpcs["checkout"]["owner"], "payments");
    assert_eq!(vpcs["shop-de"]["owner"], "retail");
    assert_eq!(vpcs["shop"]["owner"], "retail");
    // No `owner` in the owner's file: the IPAM owner.
    assert_eq!(vpcs["hub"]["owner"], "network");
}

#[test]
fn json_plans_tag_every_change_with_its_team_only_when_teams_are_declared() {
    let (work, _) = team_plan("json_tags");
    let v = json(&ipam(&work, &["plan", "plan", "--format", "json"]));
    let changes = v["changes"].as_array().expect("changes");
    let team = |address: &str| {
        let c = changes
            .iter()
            .find(|c| c["address"] == address)
            .unwrap_or_else(|| panic!("{address}"));
        assert_eq!(c["team_change"], Value::Null, "{address}");
        c["team"].clone()
    };
    assert_eq!(team("pool.corp"), Value::Null);
    assert_eq!(team("vpc.hub"), Value::Null);
    assert_eq!(team("vpc.checkout"), "payments");
    assert_eq!(team("vpc.shop-de"), "retail");
    assert_eq!(team("reservation.lake"), "data");
    assert!(changes.iter().all(|c| c.get("team").is_some()));

    // A plan without teams has no team keys at all.
    let plain = common::workdir("teams", "json_tags_plain");
    fs::create_dir_all(plain.join("plan")).expect("dir");
    fs::write(
        plain.join("plan/ipam.toml"),
        "[ipam]\nname = \"t\"\nregions = [\"r1\"]\n[pools.corp]\ncidrs = [\"10.0.0.0/8\"]\n[vpcs.a]\npool = \"corp\"\nnetmask = 24\n",
    )
    .expect("plan");
    let v = json(&ipam(&plain, &["plan", "plan", "--format", "json"]));
    for c in v["changes"].as_array().expect("changes") {
        assert!(
            c.get("team").is_none() && c.get("team_change").is_none(),
            "{c}"
        );
    }
}

#[test]
fn a_vpc_moved_to_another_teams_file_changes_owner_and_team() {
    let (work, plan) = team_plan("owner_change");
    assert!(
        ipam(&work, &["apply", "plan", "--auto-approve"])
            .status
            .success()
    );
    // `checkout` moves from payments' file to retail's.
    fs::write(plan.join("teams/payments/vpcs.toml"), "").expect("empty file");
    fs::write(
        plan.join("teams/retail/vpcs.toml"),
        "[vpcs.shop]\npool = \"apps\"\n\n[vpcs.checkout]\npool = \"apps\"\n",
    )
    .expect("retail file");
    let v = json(&ipam(&work, &["plan", "plan", "--format", "json"]));
    let changes = v["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let c = &changes[0];
    assert_eq!(c["address"], "vpc.checkout");
    assert_eq!(c["actions"], serde_json::json!(["update"]));
    assert_eq!(c["before"]["owner"], "payments");
    assert_eq!(c["after"]["owner"], "retail");
    assert_eq!(c["team"], "retail");
    assert_eq!(
        c["team_change"],
        serde_json::json!({ "from": "payments", "to": "retail" })
    );
    let out = text(&ipam(&work, &["plan", "plan"]));
    assert!(out.contains("      ~ team: payments → retail\n"), "{out}");
}

#[test]
fn markdown_groups_changes_owner_first_then_teams_by_name() {
    let (work, _) = team_plan("markdown_groups");
    let md = String::from_utf8(ipam(&work, &["plan", "plan", "--format", "markdown"]).stdout)
        .expect("UTF-8");
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {md}"))
    };
    let owner = at("<details><summary>IPAM owner: 3 changes</summary>");
    let data = at("<details><summary>team <code>data</code>: 1 change</summary>");
    let payments = at("<details><summary>team <code>payments</code>: 1 change</summary>");
    let retail = at("<details><summary>team <code>retail</code>: 2 changes</summary>");
    assert!(owner < data && data < payments && payments < retail, "{md}");
    assert!(at("+ vpc.hub:") < data && at("+ vpc.checkout:") > payments);

    // Under a small budget, groups stop where the budget does and the rest is counted.
    let md = String::from_utf8(
        ipam(
            &work,
            &[
                "plan",
                "plan",
                "--format",
                "markdown",
                "--max-chars",
                "1000",
            ],
        )
        .stdout,
    )
    .expect("UTF-8");
    assert!(md.chars().count() <= 1000, "{md}");
    assert!(md.contains("IPAM owner"), "{md}");
    assert!(!md.contains("team <code>retail</code>"), "{md}");
    assert!(md.contains("more changes not shown"), "{md}");
}

#[test]
fn saved_plans_with_teams_apply() {
    let (work, _) = team_plan("saved");
    let out = ipam(&work, &["plan", "plan", "--out", "p.plan"]);
    assert!(out.status.success(), "{}", text(&out));
    let applied = ipam(&work, &["apply", "p.plan", "--auto-approve"]);
    assert!(applied.status.success(), "{}", text(&applied));
}

const OWNER_LINES: &str =
    "# The files that declare the IPAM, its teams and its pools stay the owner's\n";

#[test]
fn codeowners_lines_cover_every_team_and_keep_the_owners_files_last() {
    let (work, _) = team_plan("codeowners");
    let out = ipam(
        &work,
        &[
            "codeowners",
            "plan",
            "--owner-handle",
            "@acme/network",
            "--handle",
            "retail=@acme/retail",
            "--handle",
            "payments=@acme/payments",
            "--handle",
            "data=@acme/data",
            "--handle",
            "data=lead@acme.example",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let want = "\
# Written by `ipam codeowners` for the plan in plan/.
# The IPAM owner reviews every file of the plan; each team reviews the files its
# `paths` match. The last matching line wins, so keep this block last and in this
# order, and write it again when [teams] changes.
/plan/ @acme/network
# Teams
/plan/data.toml               @acme/data lead@acme.example
/plan/teams/payments/**       @acme/payments
/plan/teams/retail/*.toml     @acme/retail
/plan/teams/retail/eu/de.toml @acme/retail
/plan/teams/retail/eu/fr.toml @acme/retail
"
    .to_string()
        + OWNER_LINES
        + "\
/plan/00-ipam.toml  @acme/network
/plan/10-pools.toml @acme/network
";
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    // The same from inside the plan directory, and with the root given.
    let again = ipam(
        &work.join("plan"),
        &[
            "codeowners",
            "--owner-handle",
            "@acme/network",
            "--handle",
            "retail=@acme/retail",
            "--handle",
            "payments=@acme/payments",
            "--handle",
            "data=@acme/data",
            "--handle",
            "data=lead@acme.example",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&again.stdout), want);
    let rooted = ipam(
        &work,
        &[
            "codeowners",
            "plan",
            "--root",
            "plan",
            "--owner-handle",
            "@acme/network",
            "--handle",
            "retail=@acme/retail",
            "--handle",
            "payments=@acme/payments",
            "--handle",
            "data=@acme/data",
        ],
    );
    let rooted = String::from_utf8_lossy(&rooted.stdout).into_owned();
    assert!(rooted.contains("\n* @acme/network\n"), "{rooted}");
    assert!(rooted.contains("\n/teams/payments/** "), "{rooted}");
    assert!(
        rooted.ends_with("/10-pools.toml @acme/network\n"),
        "{rooted}"
    );
}

/// What GitHub does with the lines: the last matching pattern wins. A small matcher of
/// the patterns `codeowners` writes (anchored; `*`, `**`; a pattern matching a directory
/// matches what is below it) checks that each file gets the reviewers it should.
#[test]
fn codeowners_gives_each_file_its_teams_reviewers_under_last_match_wins() {
    let (work, _) = team_plan("codeowners_owners");
    let out = ipam(
        &work,
        &[
            "codeowners",
            "plan",
            "--owner-handle",
            "@net",
            "--handle",
            "retail=@retail",
            "--handle",
            "payments=@pay",
            "--handle",
            "data=@data",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rules: Vec<(&str, &str)> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .map(|(p, o)| (p, o.trim()))
        .collect();
    let owner_of = |file: &str| {
        rules
            .iter()
            .rev()
            .find(|(p, _)| matches(p, file))
            .map(|(_, o)| *o)
    };
    for (file, want) in [
        ("plan/00-ipam.toml", "@net"),
        ("plan/10-pools.toml", "@net"),
        ("plan/new-owner-file.toml", "@net"),
        ("plan/data.toml", "@data"),
        ("plan/teams/payments/vpcs.toml", "@pay"),
        ("plan/teams/payments/deep/new.toml", "@pay"),
        ("plan/teams/retail/vpcs.toml", "@retail"),
        ("plan/teams/retail/eu/de.toml", "@retail"),
        ("plan/teams/retail/eu/it.toml", "@net"),
        ("plan/ipam.state.json", "@net"),
    ] {
        assert_eq!(owner_of(file), Some(want), "{file}\n{text}");
    }
    assert_eq!(owner_of("README.md"), None, "outside the plan: not claimed");
}

/// CODEOWNERS matching for the anchored patterns `codeowners` writes.
fn matches(pattern: &str, path: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let Some(p) = pattern.strip_prefix('/') else {
        return false;
    };
    let p = p.trim_end_matches('/');
    let pats: Vec<&str> = p.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    // A pattern that matches a directory matches everything below it.
    (1..=segs.len()).any(|n| glob_segments(&pats, &segs[..n]))
}

fn glob_segments(p: &[&str], s: &[&str]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((&"**", rest)) => (0..=s.len()).any(|k| glob_segments(rest, &s[k..])),
        Some((first, rest)) => {
            !s.is_empty()
                && glob_one(first.as_bytes(), s[0].as_bytes())
                && glob_segments(rest, &s[1..])
        }
    }
}

fn glob_one(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|k| glob_one(rest, &s[k..])),
        Some((b'?', rest)) => !s.is_empty() && glob_one(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob_one(rest, &s[1..]),
    }
}

fn codeowners_err(work: &Path, args: &[&str]) -> String {
    let out = ipam(work, args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(out.stdout.is_empty(), "a failed command prints no lines");
    text(&out)
}

#[test]
fn codeowners_refuses_unknown_teams_missing_and_bad_handles() {
    let (work, _) = team_plan("codeowners_errors");
    let err = codeowners_err(
        &work,
        &[
            "codeowners",
            "plan",
            "--owner-handle",
            "@net",
            "--handle",
            "retial=@retail",
            "--handle",
            "payments=acme-payments",
            "--handle",
            "data",
        ],
    );
    assert!(err.contains("ipam::codeowners::unknown_team"), "{err}");
    assert!(err.contains("did you mean `retail`?"), "{err}");
    assert!(err.contains("`acme-payments` is not a code owner"), "{err}");
    assert!(err.contains("`data` is not TEAM=HANDLE"), "{err}");
    // retail has no (valid) handle; payments' was refused above, not reported twice.
    assert!(err.contains("team `retail` has no handle"), "{err}");
    assert!(!err.contains("team `payments` has no handle"), "{err}");
    // The owner's handle is required.
    let err = codeowners_err(&work, &["codeowners", "plan", "--handle", "retail=@retail"]);
    assert!(err.contains("--owner-handle"), "{err}");
}

#[test]
fn codeowners_needs_the_repository_root_and_an_expressible_plan() {
    let (work, plan) = team_plan("codeowners_root");
    let handles = [
        "--owner-handle",
        "@net",
        "--handle",
        "retail=@r",
        "--handle",
        "payments=@p",
        "--handle",
        "data=@d",
    ];
    // --root that does not contain the plan.
    fs::create_dir_all(work.join("elsewhere")).expect("dir");
    let mut args = vec!["codeowners", "plan", "--root", "elsewhere"];
    args.extend(handles);
    let err = codeowners_err(&work, &args);
    assert!(err.contains("is not inside the repository root"), "{err}");
    // No repository above the plan.
    let outside = std::env::temp_dir().join(format!("ipam-teams-{}", std::process::id()));
    let _ = fs::remove_dir_all(&outside);
    copy_dir(&plan, &outside.join("plan"));
    let mut args = vec!["codeowners", "plan"];
    args.extend(handles);
    let err = codeowners_err(&outside, &args);
    let _ = fs::remove_dir_all(&outside);
    assert!(err.contains("no git repository at or above"), "{err}");
    assert!(err.contains("--root"), "{err}");
    // A pattern CODEOWNERS cannot say is refused where it is written.
    let ipam_file = plan.join("00-ipam.toml");
    let body = fs::read_to_string(&ipam_file).expect("read");
    fs::write(
        &ipam_file,
        body.replace("paths = [\"data.toml\"]", "paths = [\"dat[a].toml\"]"),
    )
    .expect("write");
    let mut args = vec!["codeowners", "plan"];
    args.extend(handles);
    let err = codeowners_err(&work, &args);
    assert!(err.contains("ipam::codeowners::pattern"), "{err}");
    assert!(err.contains("00-ipam.toml:22"), "{err}");
    // An invalid plan: its diagnostics, no lines.
    fs::write(
        plan.join("teams/payments/bad.toml"),
        "[pools.mine]\ncidrs = [\"192.168.0.0/16\"]\n",
    )
    .expect("write");
    let err = codeowners_err(&work, &args);
    assert!(err.contains("ipam::team::forbidden"), "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("dir");
    for e in fs::read_dir(from).expect("read dir") {
        let p = e.expect("entry").path();
        let dest = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            fs::copy(&p, dest).expect("copy");
        }
    }
}

/// The enterprise example: its four teams, each with its file.
#[test]
fn codeowners_of_the_enterprise_example() {
    let work = common::workdir("teams", "enterprise");
    fs::create_dir_all(work.join(".git")).expect("repository marker");
    copy_dir(Path::new("examples/enterprise"), &work.join("ipam"));
    let out = ipam(
        &work,
        &[
            "codeowners",
            "ipam",
            "--owner-handle",
            "@acme/network",
            "--handle",
            "payments=@acme/payments",
            "--handle",
            "retail=@acme/retail",
            "--handle",
            "logistics=@acme/logistics",
            "--handle",
            "data=@acme/data",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let got = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = got.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        lines,
        vec![
            "/ipam/ @acme/network",
            "/ipam/20-payments.toml  @acme/payments",
            "/ipam/30-retail.toml    @acme/retail",
            "/ipam/32-logistics.toml @acme/logistics",
            "/ipam/34-data-ai.toml   @acme/data",
            "/ipam/00-ipam.toml  @acme/network",
            "/ipam/10-pools.toml @acme/network",
        ]
    );
}

/// The README's "Teams and permissions" plan is valid, and `ipam codeowners` prints for it
/// what the README shows.
#[test]
fn readme_teams_section_is_true() {
    let readme = fs::read_to_string("README.md").expect("README");
    let start = readme
        .find("## Teams and permissions")
        .expect("the section");
    let end = start + 1 + readme[start + 1..].find("\n## ").expect("the next section");
    let section = &readme[start..end];
    let work = common::workdir("teams", "readme");
    fs::create_dir_all(work.join(".git")).expect("repository marker");
    let plan = work.join("network/ipam");
    let mut rest = section;
    let mut files = 0;
    while let Some(at) = rest.find("```toml\n") {
        let body = &rest[at + "```toml\n".len()..];
        let close = body.find("\n```").expect("closed");
        let text = &body[..=close];
        // The first line names the file: `# PATH: …`.
        let path = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .and_then(|l| l.split(':').next())
            .expect("a file name");
        let p = plan.join(path);
        fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
        fs::write(p, text).expect("write");
        files += 1;
        rest = &body[close..];
    }
    assert_eq!(files, 4);
    let valid = ipam(&work, &["validate", "network/ipam"]);
    assert!(valid.status.success(), "{}", text(&valid));
    let fmt = ipam(&work, &["fmt", "network/ipam", "--check"]);
    assert!(fmt.status.success(), "{}", text(&fmt));
    let command = "$ ipam codeowners network/ipam --owner-handle @acme/network \\\n    --handle payments=@acme/payments --handle retail=@acme/retail\n";
    let at = section.find(command).expect("the codeowners example") + command.len();
    let shown = &section[at..at + section[at..].find("```").expect("closed")];
    let out = ipam(
        &work,
        &[
            "codeowners",
            "network/ipam",
            "--owner-handle",
            "@acme/network",
            "--handle",
            "payments=@acme/payments",
            "--handle",
            "retail=@acme/retail",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), shown);
}
