//! Where the state is: `--state`, `IPAM_STATE` and the plan's `[state]` table place it (a
//! location given explicitly must hold a state unless `--create-state`), an empty
//! `IPAM_STATE` means the default, and a save keeps the file's permissions and writes
//! through a symbolic link.

use std::fs;

use assert_cmd::Command;

use super::common::state::{bytes, checked_state, fails_with, ok, write_plan};
use super::common::{ipam, text};
use super::workdir;

/// `--state` and `IPAM_STATE` put the state where they say (and `--state` wins over the
/// environment); the default place stays empty.
#[test]
fn state_flag_and_environment_choose_the_state_file() {
    let w = workdir("state-path");
    let plan = w.join("plan");
    let default = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);

    // A location given explicitly that holds no state is a typo until said otherwise.
    for args in [
        &["plan", "plan", "--state", "flag/s.json"][..],
        &["apply", "plan", "--auto-approve", "--state", "flag/s.json"],
    ] {
        fails_with(&ipam(&w, args), "ipam::state::missing", &args.join(" "));
    }
    assert!(!w.join("flag").exists(), "a refused apply wrote something");
    ok(
        &ipam(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--state",
                "flag/s.json",
                "--create-state",
            ],
        ),
        "apply --state --create-state",
    );
    let by_flag = checked_state(&w.join("flag/s.json"));
    assert_eq!(by_flag.serial, 1);
    assert!(bytes(&default).is_none(), "--state also wrote the default");

    let env = |args: &[&str]| {
        Command::cargo_bin("ipam")
            .expect("binary")
            .current_dir(&w)
            .env("NO_COLOR", "1")
            .env("IPAM_STATE", "env/e.json")
            .args(args)
            .output()
            .expect("run ipam")
    };
    fails_with(
        &env(&["apply", "plan", "--auto-approve"]),
        "ipam::state::missing",
        "apply with IPAM_STATE naming no state",
    );
    ok(
        &env(&["apply", "plan", "--auto-approve", "--create-state"]),
        "apply with IPAM_STATE",
    );
    let by_env = checked_state(&w.join("env/e.json"));
    assert_eq!(by_env.serial, 1);
    assert_ne!(
        by_env.lineage, by_flag.lineage,
        "a new state, not the flag's"
    );
    assert!(
        bytes(&default).is_none(),
        "IPAM_STATE also wrote the default"
    );

    // Reading follows the same rule.
    let out = env(&["plan", "plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ipam(
        &w,
        &[
            "plan",
            "plan",
            "--detailed-exitcode",
            "--state",
            "flag/s.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ipam(&w, &["plan", "plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "the default has no state yet");

    // The flag wins over the environment.
    write_plan(&plan, &["a", "b"]);
    ok(
        &env(&["apply", "plan", "--auto-approve", "--state", "flag/s.json"]),
        "apply with both",
    );
    assert_eq!(checked_state(&w.join("flag/s.json")).serial, 2);
    assert_eq!(checked_state(&w.join("env/e.json")).serial, 1);
    assert!(bytes(&default).is_none());

    // A saved plan remembers the state it was made against.
    write_plan(&plan, &["a", "b", "c"]);
    ok(
        &ipam(
            &w,
            &[
                "plan",
                "plan",
                "--state",
                "flag/s.json",
                "--out",
                "saved.json",
            ],
        ),
        "plan --state --out",
    );
    ok(&ipam(&w, &["apply", "saved.json"]), "apply the saved plan");
    assert_eq!(checked_state(&w.join("flag/s.json")).serial, 3);
    assert!(bytes(&default).is_none());
}

/// An empty `IPAM_STATE` (as CI systems set for an unset variable) means "not set": the
/// state goes to its default place.
#[test]
fn empty_ipam_state_means_the_default() {
    let w = workdir("empty-env");
    let plan = w.join("plan");
    write_plan(&plan, &["a"]);
    let out = Command::cargo_bin("ipam")
        .expect("binary")
        .current_dir(&w)
        .env("NO_COLOR", "1")
        .env("IPAM_STATE", "")
        .args(["apply", "plan", "--auto-approve"])
        .output()
        .expect("run ipam");
    ok(&out, "apply with an empty IPAM_STATE");
    assert_eq!(checked_state(&plan.join("ipam.state.json")).serial, 1);
}

/// A save keeps the state file's permissions (here: private to its owner).
#[test]
fn state_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let w = workdir("permissions");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply 1");
    fs::set_permissions(&state, fs::Permissions::from_mode(0o600)).expect("chmod");
    write_plan(&plan, &["a", "b"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply 2");
    let mode = fs::metadata(&state).expect("state").permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the state's mode is now {:o}",
        mode & 0o777
    );
    assert_eq!(checked_state(&state).serial, 2);
}

/// A state path that is a symbolic link (e.g. to a synced folder) is written through the
/// link: the link stays, its target gets the new state and keeps its permissions.
#[test]
fn symlinked_state_is_written_through_the_link() {
    use std::os::unix::fs::PermissionsExt;
    let w = workdir("symlink");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    let target = w.join("real").join("state.json");
    write_plan(&plan, &["a"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply 1");
    fs::create_dir_all(w.join("real")).expect("target dir");
    fs::rename(&state, &target).expect("move the state");
    std::os::unix::fs::symlink("../real/state.json", &state).expect("link the state");
    let mode_before = fs::metadata(&target).expect("target").permissions().mode() & 0o777;

    write_plan(&plan, &["a", "b"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply 2");
    let mode = fs::metadata(&state).expect("state").permissions().mode() & 0o777;
    assert_eq!(
        mode, mode_before,
        "the state's mode went from {mode_before:o} to {mode:o}"
    );
    assert!(
        fs::symlink_metadata(&state)
            .expect("state")
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    assert_eq!(
        checked_state(&target).serial,
        2,
        "the link's target was not written"
    );
}

/// `[state] url` in the plan places the state when neither `--state` nor `IPAM_STATE` does;
/// a relative file is relative to the plan's directory, and like any location given it must
/// hold a state unless `--create-state` starts one.
#[test]
fn the_plans_state_table_places_the_state() {
    let w = workdir("state-table");
    let plan = w.join("plan");
    write_plan(&plan, &["a"]);
    fs::write(
        plan.join("state.toml"),
        "[state]\nurl = \"states/team.json\"\n",
    )
    .expect("state table");
    fails_with(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "ipam::state::missing",
        "apply to the plan's state before there is one",
    );
    ok(
        &ipam(&w, &["apply", "plan", "--auto-approve", "--create-state"]),
        "apply --create-state",
    );
    assert_eq!(checked_state(&plan.join("states/team.json")).serial, 1);
    assert!(bytes(&plan.join("ipam.state.json")).is_none());
    let out = ipam(&w, &["show", "plan"]);
    assert!(text(&out).contains("states/team.json"), "{}", text(&out));
    // --state still wins.
    fails_with(
        &ipam(&w, &["show", "plan", "--state", "elsewhere.json"]),
        "ipam::state::missing",
        "--state over the plan's state",
    );
}
