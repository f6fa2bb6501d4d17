//! Saved plans at the command line (SPEC §6, §13): `plan --out FILE` and `apply FILE`.
//! Each test runs the real binary in a work directory of its own under
//! `CARGO_TARGET_TMPDIR/saved_plans/`.
//!
//! Covered: a saved plan is refused as stale when another apply moved the state, when a plan
//! file was edited (and applies again once restored), when it was made before the first apply
//! and the state was written since, when the state is another plan's (lineage); a fresh one
//! applies exactly once; one edited by hand (its changes, its records, an added delete) is
//! refused because planning again gives another plan, with nothing written; a plan applies
//! from another checkout of the same files (paths are relative) and writes that checkout's
//! state; `ipam show FILE` renders one in every format; `plan --out` never writes over the
//! state, its lock or backup, or a plan file.

use std::fs;
use std::path::PathBuf;

mod common;

use common::ipam;
use common::state::{assert_no_changes, bytes, checked_state, fails_with, ok, write_plan};
use ipam::plan::saved::SavedPlan;

fn workdir(name: &str) -> PathBuf {
    common::workdir("saved_plans", name)
}

// Stale saved plans
// ---------------------------------------------------------------------------------------

/// (a) Another apply moved the state after the plan was saved: the saved plan is stale, and
/// the refused apply leaves the state byte for byte.
#[test]
fn saved_plan_is_stale_after_another_apply() {
    let w = workdir("stale-serial");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    ok(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "first apply",
    );
    write_plan(&plan, &["a", "b"]);
    ok(
        &ipam(&w, &["plan", "plan", "--out", "saved.json"]),
        "plan --out",
    );
    // Same files, so only the serial tells the saved plan is out of date.
    ok(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "second apply",
    );
    let before = bytes(&state).expect("state");
    let err = fails_with(
        &ipam(&w, &["apply", "saved.json"]),
        "ipam::apply::stale",
        "apply of the saved plan",
    );
    assert!(
        err.contains("serial 2") && err.contains("serial 1"),
        "the stale error should name both serials: {err}"
    );
    assert_eq!(
        bytes(&state),
        Some(before),
        "a refused apply wrote the state"
    );
    assert_eq!(checked_state(&state).serial, 2);
}

/// (b) A plan file edited after the plan was saved: stale. Staleness is by content: with the
/// file restored byte for byte the saved plan applies.
#[test]
fn saved_plan_is_stale_after_a_plan_file_edit() {
    let w = workdir("stale-files");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    ok(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "first apply",
    );
    write_plan(&plan, &["a", "b"]);
    ok(
        &ipam(&w, &["plan", "plan", "--out", "saved.json"]),
        "plan --out",
    );
    let original = fs::read(plan.join("ipam.toml")).expect("plan file");
    let before = bytes(&state).expect("state");

    let mut edited = original.clone();
    edited.extend_from_slice(b"# a comment is an edit too\n");
    fs::write(plan.join("ipam.toml"), &edited).expect("edit plan");
    let err = fails_with(
        &ipam(&w, &["apply", "saved.json"]),
        "ipam::apply::stale",
        "apply after an edit",
    );
    assert!(err.contains("plan files"), "{err}");
    assert_eq!(bytes(&state), Some(before.clone()));

    // A new file in the plan directory is an edit as well.
    fs::write(plan.join("ipam.toml"), &original).expect("restore plan");
    fs::write(plan.join("extra.toml"), "# nothing\n").expect("extra file");
    fails_with(
        &ipam(&w, &["apply", "saved.json"]),
        "ipam::apply::stale",
        "apply after a new file",
    );
    assert_eq!(bytes(&state), Some(before));

    fs::remove_file(plan.join("extra.toml")).expect("remove extra file");
    ok(
        &ipam(&w, &["apply", "saved.json"]),
        "apply with the files as planned",
    );
    assert_eq!(checked_state(&state).serial, 2);
}

/// (c) Two plans saved before the very first apply: the first applies, the second was made
/// against "no state" and is stale once one exists.
#[test]
fn second_plan_saved_before_the_first_apply_is_stale() {
    let w = workdir("stale-first");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a", "b"]);
    ok(&ipam(&w, &["plan", "plan", "--out", "p1.json"]), "plan 1");
    ok(&ipam(&w, &["plan", "plan", "--out", "p2.json"]), "plan 2");
    assert!(bytes(&state).is_none(), "plan must not write the state");
    ok(&ipam(&w, &["apply", "p1.json"]), "apply plan 1");
    let before = bytes(&state).expect("state");
    let err = fails_with(
        &ipam(&w, &["apply", "p2.json"]),
        "ipam::apply::stale",
        "apply plan 2",
    );
    assert!(err.contains("before the first apply"), "{err}");
    assert_eq!(bytes(&state), Some(before));
    assert_eq!(checked_state(&state).serial, 1);
}

/// (d) A saved plan applied to another plan's state, at the same serial: refused for its
/// lineage, and neither state is touched.
#[test]
fn saved_plan_against_another_lineage_is_refused() {
    let w = workdir("lineage");
    let one = w.join("one");
    let two = w.join("two");
    write_plan(&one, &["a"]);
    write_plan(&two, &["a"]);
    ok(&ipam(&w, &["apply", "one", "--auto-approve"]), "apply one");
    ok(&ipam(&w, &["apply", "two", "--auto-approve"]), "apply two");
    let s1 = checked_state(&one.join("ipam.state.json"));
    let s2 = checked_state(&two.join("ipam.state.json"));
    assert_eq!((s1.serial, s2.serial), (1, 1));
    assert_ne!(s1.lineage, s2.lineage, "each state has its own lineage");

    write_plan(&one, &["a", "b"]);
    ok(
        &ipam(&w, &["plan", "one", "--out", "saved.json"]),
        "plan one",
    );
    let before_one = bytes(&one.join("ipam.state.json"));
    let before_two = bytes(&two.join("ipam.state.json"));
    let err = fails_with(
        &ipam(
            &w,
            &["apply", "saved.json", "--state", "two/ipam.state.json"],
        ),
        "ipam::apply::lineage",
        "apply to another lineage",
    );
    assert!(
        err.contains(&s1.lineage) && err.contains(&s2.lineage),
        "the error should name both lineages: {err}"
    );
    assert_eq!(bytes(&one.join("ipam.state.json")), before_one);
    assert_eq!(bytes(&two.join("ipam.state.json")), before_two);
}

/// (e) A fresh saved plan applies to exactly the records it shows, the next plan is empty,
/// and applying it a second time is stale.
#[test]
fn fresh_saved_plan_applies_exactly_once() {
    let w = workdir("fresh");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    ok(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "first apply",
    );
    write_plan(&plan, &["a", "b", "c"]);
    ok(
        &ipam(&w, &["plan", "plan", "--out", "saved.json"]),
        "plan --out",
    );
    let saved: SavedPlan =
        serde_json::from_slice(&fs::read(w.join("saved.json")).expect("saved plan"))
            .expect("saved plan parses");
    ok(&ipam(&w, &["apply", "saved.json"]), "apply the saved plan");
    let after = checked_state(&state);
    assert_eq!(after.serial, 2);
    assert_eq!(
        after.resources, saved.plan.desired,
        "apply wrote what the plan showed"
    );
    assert_no_changes(&w, "plan", "after applying the saved plan");

    let before = bytes(&state);
    fails_with(
        &ipam(&w, &["apply", "saved.json"]),
        "ipam::apply::stale",
        "second apply of the same saved plan",
    );
    assert_eq!(bytes(&state), before);
}

// ---------------------------------------------------------------------------------------
/// A saved plan edited by hand so that its changes, its desired records, or both, no longer
/// agree or break an invariant, or adds a delete: apply plans again, finds another plan, and
/// refuses it; neither the state nor its backup changes. The untouched saved plan still applies afterwards.
#[test]
fn tampered_saved_plan_is_refused_and_nothing_is_written() {
    let w = workdir("tampered");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    let backup = plan.join("ipam.state.json.backup");
    write_plan(&plan, &["a"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply 1");
    write_plan(&plan, &["a", "b"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply 2");
    write_plan(&plan, &["a", "b", "c"]);
    ok(
        &ipam(&w, &["plan", "plan", "--out", "saved.json"]),
        "plan --out",
    );
    let recorded = checked_state(&state);
    let a_cidr = recorded.resources.vpcs["a"].cidr.to_string();
    let saved: serde_json::Value =
        serde_json::from_slice(&fs::read(w.join("saved.json")).expect("saved plan"))
            .expect("saved plan is JSON");
    let before = bytes(&state);
    let before_backup = bytes(&backup);
    assert!(before_backup.is_some(), "two applies keep a backup");

    let set_change = |v: &mut serde_json::Value| {
        let changes = v["plan"]["changes"].as_array_mut().expect("changes");
        let c = changes
            .iter_mut()
            .find(|c| c["address"] == "vpc.c")
            .expect("the plan creates vpc.c");
        c["after"]["Vpc"]["cidr"] = serde_json::Value::from(a_cidr.clone());
    };
    let set_desired = |v: &mut serde_json::Value| {
        v["plan"]["desired"]["vpcs"]["c"]["cidr"] = serde_json::Value::from(a_cidr.clone());
    };
    // A delete added for a recorded VPC, consistent with the desired records.
    let add_delete = |v: &mut serde_json::Value| {
        let before = serde_json::json!({"Vpc": recorded.resources.vpcs["a"]});
        let changes = v["plan"]["changes"].as_array_mut().expect("changes");
        changes.push(serde_json::json!({
            "address": "vpc.a",
            "previous_address": null,
            "action": "delete",
            "before": before,
            "after": null,
            "reason": "Gone",
        }));
        let vpcs = v["plan"]["desired"]["vpcs"].as_object_mut().expect("vpcs");
        vpcs.remove("a");
    };
    // (name, edit `changes`, edit `desired`, add a delete)
    for (name, change, desired, delete) in [
        ("changes", true, false, false),
        ("changes-and-desired", true, true, false),
        ("desired", false, true, false),
        ("added-delete", false, false, true),
    ] {
        let mut v = saved.clone();
        if change {
            set_change(&mut v);
        }
        if desired {
            set_desired(&mut v);
        }
        if delete {
            add_delete(&mut v);
        }
        let file = format!("tampered-{name}.json");
        fs::write(
            w.join(&file),
            serde_json::to_vec_pretty(&v).expect("encode"),
        )
        .expect("write tampered plan");
        // Planned again, the files and state give another plan: refused as stale.
        fails_with(
            &ipam(&w, &["apply", &file]),
            "ipam::apply::stale",
            &format!("apply of a plan with tampered {name}"),
        );
        assert_eq!(bytes(&state), before, "{name}: the state changed");
        assert_eq!(bytes(&backup), before_backup, "{name}: the backup changed");
    }
    ok(
        &ipam(&w, &["apply", "saved.json"]),
        "apply of the untouched plan",
    );
    assert_eq!(checked_state(&state).serial, 3);
}

/// Paths in a saved plan are relative: copied with its files and state to another
/// checkout, it applies there and writes that checkout's state, never the original's.
#[test]
fn saved_plan_applies_in_another_checkout() {
    let a = workdir("checkout-a");
    let b = workdir("checkout-b");
    write_plan(&a.join("plan"), &["x"]);
    ok(
        &ipam(&a, &["apply", "plan", "--auto-approve"]),
        "apply in a",
    );
    write_plan(&a.join("plan"), &["x", "y"]);
    ok(
        &ipam(&a, &["plan", "plan", "--out", "saved.json"]),
        "plan --out in a",
    );
    let saved: SavedPlan =
        serde_json::from_slice(&fs::read(a.join("saved.json")).expect("saved")).expect("parses");
    assert_eq!(saved.plan_path, PathBuf::from("plan"));
    assert_eq!(saved.state.to_string(), "plan/ipam.state.json");
    for name in ["plan", "saved.json"] {
        copy(&a.join(name), &b.join(name));
    }
    copy(
        &a.join("plan/ipam.state.json"),
        &b.join("plan/ipam.state.json"),
    );
    let a_state = bytes(&a.join("plan/ipam.state.json"));
    ok(&ipam(&b, &["apply", "saved.json"]), "apply in b");
    assert_eq!(checked_state(&b.join("plan/ipam.state.json")).serial, 2);
    assert_eq!(
        bytes(&a.join("plan/ipam.state.json")),
        a_state,
        "the other checkout's state changed"
    );
    // Run from where the plan is not, it says so.
    let elsewhere = workdir("checkout-elsewhere");
    copy(&a.join("saved.json"), &elsewhere.join("saved.json"));
    let err = fails_with(
        &ipam(&elsewhere, &["apply", "saved.json"]),
        "ipam::apply::stale",
        "a saved plan applied away from its files",
    );
    assert!(err.contains("which is not here"), "{err}");
}

fn copy(from: &std::path::Path, to: &std::path::Path) {
    if from.is_dir() {
        fs::create_dir_all(to).expect("dir");
        for e in fs::read_dir(from).expect("read dir") {
            let e = e.expect("entry");
            copy(&e.path(), &to.join(e.file_name()));
        }
    } else {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).expect("dir");
        }
        fs::copy(from, to).expect("copy");
    }
}

/// `ipam show FILE` renders a saved plan exactly as `plan` printed it, in every format.
#[test]
fn show_renders_a_saved_plan_in_every_format() {
    let w = workdir("show-saved");
    write_plan(&w.join("plan"), &["a", "b"]);
    for (format, plan_args) in [
        ("text", &["plan", "plan", "--out", "saved.json"][..]),
        ("markdown", &["plan", "plan", "--format", "markdown"]),
        ("json", &["plan", "plan", "--format", "json"]),
    ] {
        let planned = ipam(&w, plan_args);
        assert!(planned.status.success());
        let shown = ipam(&w, &["show", "saved.json", "--format", format]);
        assert!(shown.status.success(), "{format}");
        let planned = String::from_utf8_lossy(&planned.stdout).into_owned();
        let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
        match format {
            // The plan's own lines, after each one's header line.
            "text" => {
                let body = |s: &str| {
                    s.split_once("\n\n")
                        .map(|(_, b)| b.to_string())
                        .unwrap_or_default()
                };
                let planned = body(&planned);
                let planned = planned
                    .split("\nSaved the plan to")
                    .next()
                    .unwrap_or_default();
                assert_eq!(body(&shown).trim_end(), planned.trim_end());
            }
            // The markdown of a saved plan leaves out the note about a new state.
            "markdown" => assert_eq!(
                shown,
                planned.replace(
                    "> No state yet at plan/ipam.state.json: this plan starts a new one.\n\n",
                    ""
                )
            ),
            _ => assert_eq!(shown, planned),
        }
    }
}

/// `plan --out` writes a new file or over an earlier saved plan, never over the state, its
/// lock or backup, or a file of the plan.
#[test]
fn plan_out_never_overwrites_the_state_or_plan_files() {
    let w = workdir("out-refused");
    write_plan(&w.join("plan"), &["a"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply 1");
    write_plan(&w.join("plan"), &["a", "b"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply 2");
    write_plan(&w.join("plan"), &["a", "b", "c"]);
    fs::write(w.join("notes.txt"), "keep me\n").expect("notes");
    let lock = w.join("plan/ipam.state.json.lock");
    if !lock.exists() {
        fs::write(&lock, "").expect("lock");
    }
    for target in [
        "plan/ipam.state.json",
        "plan/ipam.state.json.lock",
        "plan/ipam.state.json.backup",
        "plan/ipam.toml",
        "plan/extra.toml",
        "notes.txt",
    ] {
        let before = bytes(&w.join(target));
        fails_with(
            &ipam(&w, &["plan", "plan", "--out", target]),
            "ipam::plan::out",
            &format!("plan --out {target}"),
        );
        assert_eq!(bytes(&w.join(target)), before, "{target} changed");
    }
    ok(
        &ipam(&w, &["plan", "plan", "--out", "saved.json"]),
        "a new file",
    );
    ok(
        &ipam(&w, &["plan", "plan", "--out", "saved.json"]),
        "over an earlier saved plan",
    );
    assert_no_changes_after(&w);
}

fn assert_no_changes_after(w: &std::path::Path) {
    ok(&ipam(w, &["apply", "saved.json"]), "apply the saved plan");
    assert_no_changes(w, "plan", "after the saved plan");
}

/// A saved plan made with the plan directory `.` names files relative to where it was made:
/// applied from another directory it reads other files, fails, and says where to run it;
/// nothing is written.
#[test]
fn a_saved_plan_applied_from_elsewhere_says_where_to_run_it() {
    let w = workdir("elsewhere");
    let plan = w.join("plan");
    write_plan(&plan, &["a"]);
    ok(
        &ipam(&plan, &["plan", ".", "--out", "../saved.json"]),
        "plan --out from inside the plan directory",
    );
    fs::write(w.join("other.toml"), "not = [toml").expect("a stray file");
    let out = ipam(&w, &["apply", "saved.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "The saved plan was made from the plan files at . as seen from the directory \
             `ipam plan --out` ran in"
        ),
        "{err}"
    );
    assert!(bytes(&plan.join("ipam.state.json")).is_none());
    assert!(bytes(&w.join("ipam.state.json")).is_none());
}
