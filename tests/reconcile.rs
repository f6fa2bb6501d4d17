//! Plan/apply scenarios (SPEC §5, §6): one folder per behaviour under `tests/plans/`, with
//! numbered step folders `1/`, `2/`, … each a whole plan directory. For every step the
//! harness puts that step's files in place, runs `ipam plan --detailed-exitcode` and
//! appends its output and exit code to the snapshot; a step whose plan has changes is then
//! applied. After the last step every recorded state is checked for the invariants, and a
//! plan over it must show no changes (idempotence).
//!
//! `UPDATE_SNAPSHOTS=1 cargo test --test reconcile` rewrites the `expected.txt` files.

use std::fs;
use std::path::{Path, PathBuf};

mod common;

use common::{ipam, text};
use ipam::state::State;
use ipam::state::check::check;

const ROOT: &str = "tests/plans";

fn workdir(name: &str) -> PathBuf {
    common::workdir("reconcile", name)
}

/// Replaces the plan files in `plan` by those of `step`.
fn put_step(step: &Path, plan: &Path) {
    if plan.exists() {
        for e in fs::read_dir(plan).expect("plan dir") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "toml") {
                fs::remove_file(p).expect("remove old step file");
            }
        }
    } else {
        fs::create_dir_all(plan).expect("plan dir");
    }
    for e in fs::read_dir(step).expect("step dir") {
        let p = e.expect("entry").path();
        fs::copy(&p, plan.join(p.file_name().expect("name"))).expect("copy step file");
    }
}

/// The recorded state, checked for every invariant.
fn checked_state(plan: &Path) -> Option<State> {
    let text = fs::read_to_string(plan.join("ipam.state.json")).ok()?;
    let state: State = serde_json::from_str(&text).expect("state parses");
    let problems = check(&state.resources);
    assert!(problems.is_empty(), "invariants broken: {problems:#?}");
    Some(state)
}

fn run(name: &str) {
    let case = Path::new(ROOT).join(name);
    let work = workdir(name);
    let plan = work.join("plan");
    let mut steps: Vec<PathBuf> = fs::read_dir(&case)
        .expect("case dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    steps.sort();
    assert!(!steps.is_empty(), "{name} has no steps");
    let mut snapshot = String::new();
    for step in &steps {
        let label = step
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        put_step(step, &plan);
        let out = ipam(&work, &["plan", "plan", "--detailed-exitcode"]);
        let code = out.status.code().unwrap_or(-1);
        snapshot.push_str(&format!(
            "== step {label}: plan (exit {code})\n{}\n",
            text(&out)
        ));
        if code == 2 {
            let applied = ipam(&work, &["apply", "plan", "--auto-approve"]);
            assert!(
                applied.status.success(),
                "apply of step {label}: {}",
                text(&applied)
            );
            checked_state(&plan);
            let again = ipam(&work, &["plan", "plan", "--detailed-exitcode"]);
            assert_eq!(
                again.status.code(),
                Some(0),
                "plan after apply of step {label} shows changes: {}",
                text(&again)
            );
        }
    }
    let file = case.join("expected.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::write(&file, &snapshot).expect("write snapshot");
    } else {
        let want = fs::read_to_string(&file).unwrap_or_else(|_| {
            panic!("{} is missing: run with UPDATE_SNAPSHOTS=1", file.display())
        });
        assert_eq!(snapshot, want, "plan output of scenario {name}");
    }
}

/// Every folder is listed below, so none is silently skipped.
#[test]
fn every_plan_scenario_is_listed() {
    let source = fs::read_to_string("tests/reconcile.rs").expect("this file");
    for entry in fs::read_dir(ROOT).expect("scenario folder") {
        let entry = entry.expect("entry");
        if entry.path().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                source.contains(&format!("(\"{name}\")")),
                "scenario {name} has no test line in tests/reconcile.rs"
            );
        }
    }
}

macro_rules! scenarios {
    ($($test:ident($name:literal);)*) => {
        $(#[test] fn $test() { run($name); })*
    };
}

scenarios! {
    add_provisioned_cidr("add-provisioned-cidr");
    claim_over_recorded("claim-over-recorded");
    default_netmask_change("default-netmask-change");
    deprovision_in_use("deprovision-in-use");
    exhausted("exhausted");
    first_apply("first-apply");
    moved("moved");
    pinning("pinning");
    pool_replace_cascades("pool-replace-cascades");
    protect_delete("protect-delete");
    protect_replace("protect-replace");
    released_not_reused("released-not-reused");
    replace_netmask("replace-netmask");
    subpool_several_cidrs("subpool-several-cidrs");
    team_owner_change("team-owner-change");
    team_rename_others("team-rename-others");
    update_in_place("update-in-place");
}

/// Copies an example to a fresh directory of this test's own.
fn example(name: &str, test: &str) -> (PathBuf, PathBuf) {
    let work = workdir(&format!("{test}-{name}"));
    let plan = work.join("plan");
    put_step(&Path::new("examples").join(name), &plan);
    (work, plan)
}

/// Every example plan (a directory of `.toml` files; `examples/inventories` holds cloud
/// exports and `examples/github` a workflow): apply, the state keeps every invariant, and the
/// next plan is empty.
#[test]
fn every_example_applies_and_is_idempotent() {
    for e in fs::read_dir("examples").expect("examples") {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().into_owned();
        let is_plan = fs::read_dir(e.path()).expect("example dir").any(|f| {
            f.expect("entry")
                .path()
                .extension()
                .is_some_and(|x| x == "toml")
        });
        if !is_plan {
            continue;
        }
        let (work, plan) = example(&name, "idempotent");
        let first = ipam(&work, &["plan", "plan", "--detailed-exitcode"]);
        assert_eq!(first.status.code(), Some(2), "{name}: {}", text(&first));
        let applied = ipam(&work, &["apply", "plan", "--auto-approve"]);
        assert!(applied.status.success(), "{name}: {}", text(&applied));
        let state = checked_state(&plan).expect("state written");
        assert_eq!(state.serial, 1);
        let again = ipam(&work, &["plan", "plan", "--detailed-exitcode"]);
        assert_eq!(again.status.code(), Some(0), "{name}: {}", text(&again));
        // Applying nothing writes nothing.
        let noop = ipam(&work, &["apply", "plan", "--auto-approve"]);
        assert!(noop.status.success());
        assert_eq!(checked_state(&plan).expect("state").serial, 1);
    }
}

/// Same input, byte-identical output, in every format.
#[test]
fn plan_output_is_deterministic() {
    let (work, _) = example("enterprise", "plan_output_is_deterministic");
    for format in ["text", "markdown", "json"] {
        let a = ipam(&work, &["plan", "plan", "--format", format]);
        let b = ipam(&work, &["plan", "plan", "--format", format]);
        assert!(a.status.success(), "{}", text(&a));
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}

#[test]
fn json_plan_has_the_documented_shape() {
    let (work, _) = example("enterprise", "json_plan_has_the_documented_shape");
    let out = ipam(&work, &["plan", "plan", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["format_version"], "1.0");
    assert_eq!(v["has_changes"], true);
    let changes = v["changes"].as_array().expect("changes");
    let vpc = changes
        .iter()
        .find(|c| c["address"] == "vpc.checkout-prod")
        .expect("vpc change");
    assert_eq!(vpc["actions"], serde_json::json!(["create"]));
    assert_eq!(vpc["before"], serde_json::Value::Null);
    assert_eq!(vpc["after"]["cidr"], "10.0.0.0/20");
    assert!(
        vpc["after"].get("subnets").is_none(),
        "subnets are their own changes"
    );
    assert!(vpc.get("previous_address").is_some() && vpc.get("reason").is_some());
    let summary = &v["summary"];
    assert_eq!(summary["add"].as_u64(), Some(changes.len() as u64));
    for key in ["change", "replace", "destroy"] {
        assert_eq!(summary[key], 0, "{key}");
    }
}

#[test]
fn markdown_plan_folds_details_and_warns_of_destroys() {
    let (work, plan) = example(
        "enterprise",
        "markdown_plan_folds_details_and_warns_of_destroys",
    );
    assert!(
        ipam(&work, &["apply", "plan", "--auto-approve"])
            .status
            .success()
    );
    // Drop the reservations file: four destroys.
    fs::remove_file(plan.join("40-reservations.toml")).expect("remove file");
    let out = ipam(&work, &["plan", "plan", "--format", "markdown"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.starts_with("#### ipam plan: 0 to add, 0 to change, 0 to replace, 4 to destroy\n"),
        "{md}"
    );
    assert!(
        md.contains("> [!CAUTION]\n> this plan destroys 4 resources: `reservation."),
        "{md}"
    );
    assert!(
        // The example declares teams: changes are grouped by team, the reservations file
        // is the IPAM owner's.
        md.contains("<details><summary>IPAM owner: 4 changes</summary>\n\n```diff\n- reservation."),
        "{md}"
    );
    assert!(
        md.trim_end()
            .ends_with("Plan: 0 to add, 0 to change, 0 to replace, 4 to destroy.")
    );
}

#[test]
fn show_output_and_check_read_the_state() {
    let (work, _) = example("enterprise", "show_output_and_check_read_the_state");
    assert!(
        ipam(&work, &["apply", "plan", "--auto-approve"])
            .status
            .success()
    );
    let show = ipam(&work, &["show", "plan", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&show.stdout).expect("json");
    let corp = v["pools"]
        .as_array()
        .expect("pools")
        .iter()
        .find(|p| p["name"] == "corp")
        .expect("corp");
    assert_eq!(corp["cidrs"], serde_json::json!(["10.0.0.0/8"]));
    assert_eq!(corp["ip_version"], 4);
    assert_eq!(corp["utilization"]["total"], "16777216");
    let vpc = v["vpcs"]
        .as_array()
        .expect("vpcs")
        .iter()
        .find(|p| p["name"] == "checkout-prod")
        .expect("vpc");
    assert_eq!(vpc["subnets"][0]["name"], "app-h");
    let out = ipam(&work, &["output", "plan", "vpc.checkout-prod.subnet.app-h"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "10.0.0.0/22\n");
    let unknown = ipam(&work, &["output", "plan", "vpc.checkout-prd"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown).contains("did you mean `vpc.checkout-prod`?"));
    let tree = ipam(&work, &["show", "plan"]);
    assert!(
        text(&tree).contains("pool corp  10.0.0.0/8  37.5% used"),
        "{}",
        text(&tree)
    );
    let check = ipam(&work, &["check", "plan"]);
    assert!(check.status.success(), "{}", text(&check));
}

#[test]
fn graph_prints_dot_in_dependency_order() {
    let (work, _) = example("enterprise", "graph_prints_dot_in_dependency_order");
    let out = ipam(&work, &["graph", "plan"]);
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(dot.starts_with("digraph ipam {"));
    assert!(dot.contains("\"scope.private\" -> \"pool.corp\";"));
    assert!(dot.contains("\"pool.corp/cn-hangzhou/payments/prod\" -> \"vpc.checkout-prod\";"));
    assert!(dot.contains("\"vpc.checkout-prod\" -> \"vpc.checkout-prod.subnet.app-h\";"));
}
