//! The commands through a database: apply, plan, show, output and the `state` commands give
//! what they give through a file; saved plans bind to the database's state; push and pull
//! move a state between a file and the database, byte for byte.

use std::fs;

use ipam::plan::saved::SavedPlan;
use ipam::state::{Records, State};

use super::common::state::{expected_after, ok, write_plan};
use super::{
    apply_at, assert_no_changes, checked, common, fails_with, plan_at, run, text, version_count,
    workdir,
};

/// apply, plan, show and output through a database give what they give through a file;
/// `IPAM_STATE` and `workspace` select the state; the `state` commands read it.
#[test]
fn apply_plan_show_round_trip() {
    let server = server!();
    let url = server.database("roundtrip");
    let w = workdir("roundtrip");
    write_plan(&w.join("plan"), &["a", "b"]);
    let file = w.join("file.json");
    let file_arg = file.to_str().expect("UTF-8");

    // Nothing recorded yet: plan reads no state and creates nothing.
    let out = plan_at(&w, &url);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let mut admin = server.admin("roundtrip");
    let schema: bool = admin
        .query_one("SELECT to_regnamespace('ipam') IS NOT NULL", &[])
        .expect("query")
        .get(0);
    assert!(!schema, "a plan created the schema");

    let applied = ok(&apply_at(&w, &url), "apply");
    assert!(applied.contains("serial 1"), "{applied}");
    assert!(!applied.contains("password"), "{applied}");
    ok(
        &common::ipam(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                file_arg,
            ],
        ),
        "apply to a file",
    );
    let in_db = checked(&url).expect("a state");
    assert_eq!(in_db.serial, 1);
    assert_eq!(
        in_db.resources,
        expected_after(&w.join("plan"), &Records::default())
    );
    assert_no_changes(&w, &url, "after apply");

    // The same records as the file backend's, in every reader.
    let strip = |out: &str| {
        let mut v: serde_json::Value = serde_json::from_str(out).expect("JSON");
        v.as_object_mut().expect("object").remove("lineage");
        v
    };
    let show_db = ok(
        &run(&w, &["show", "plan", "--json", "--state", &url], &[]),
        "show",
    );
    let show_file = ok(
        &run(&w, &["show", "plan", "--json", "--state", file_arg], &[]),
        "show",
    );
    assert_eq!(strip(&show_db), strip(&show_file));
    let tree = ok(&run(&w, &["show", "plan", "--state", &url], &[]), "show");
    assert!(
        tree.contains("vpc") && tree.contains("10.0.0.0/24"),
        "{tree}"
    );
    assert!(tree.contains("postgres://postgres@127.0.0.1:"), "{tree}");
    let output_db = ok(
        &run(&w, &["output", "plan", "--json", "--state", &url], &[]),
        "output",
    );
    let output_file = ok(
        &run(&w, &["output", "plan", "--json", "--state", file_arg], &[]),
        "output",
    );
    assert_eq!(output_db, output_file);

    // IPAM_STATE names the database as --state does.
    let out = run(
        &w,
        &["plan", "plan", "--detailed-exitcode"],
        &[("IPAM_STATE", &url)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // `state list` and `state versions`.
    let list = ok(
        &run(&w, &["state", "list", "plan", "--state", &url], &[]),
        "state list",
    );
    assert!(
        list.contains("pool.corp") && list.contains("10.0.0.0/16"),
        "{list}"
    );
    assert!(list.contains("vpc.a") && list.contains("vpc.b"), "{list}");
    write_plan(&w.join("plan"), &["a", "c"]);
    ok(&apply_at(&w, &url), "second apply");
    let versions = ok(
        &run(&w, &["state", "versions", "plan", "--state", &url], &[]),
        "state versions",
    );
    let lines: Vec<&str> = versions.lines().collect();
    assert_eq!(lines.len(), 3, "{versions}");
    assert!(lines[1].contains("+1 pool, +2 vpc"), "{versions}");
    assert!(lines[2].contains("+1 vpc, -1 vpc"), "{versions}");
    assert!(lines[2].contains('@'), "who wrote it: {versions}");
    assert_eq!(version_count(&url), 2);
    // Bodies are compressed by the server with lz4 where it has it (this one does).
    let compression: i8 = admin
        .query_one(
            "SELECT attcompression FROM pg_attribute \
             WHERE attrelid = 'ipam.versions'::regclass AND attname = 'body'",
            &[],
        )
        .expect("query")
        .get(0);
    assert_eq!(compression as u8, b'l');

    // Another workspace is another state.
    let other = format!("{url}&workspace=other");
    let out = run(&w, &["show", "plan", "--state", &other], &[]);
    fails_with(&out, "ipam::state::missing", "show of an unused workspace");
}

/// A saved plan records the database by its URL; it applies once, and is stale once
/// another apply has moved the state.
#[test]
fn saved_plans_bind_to_the_database_state() {
    let server = server!();
    let url = server.database("saved");
    let w = workdir("saved");
    let plan = w.join("plan");
    write_plan(&plan, &["a"]);
    ok(
        &run(
            &w,
            &[
                "plan",
                "plan",
                "--out",
                "first.json",
                "--create-state",
                "--state",
                &url,
            ],
            &[],
        ),
        "plan --out",
    );
    let saved = SavedPlan::read(&w.join("first.json"))
        .expect("read")
        .expect("a saved plan");
    let recorded = saved.state.to_string();
    assert!(
        recorded.starts_with("postgres://postgres@127.0.0.1:"),
        "{recorded}"
    );
    assert!(recorded.contains("/saved?"), "{recorded}");
    ok(
        &run(&w, &["apply", "first.json"], &[]),
        "apply the saved plan",
    );
    assert_eq!(checked(&url).expect("a state").serial, 1);
    fails_with(
        &run(&w, &["apply", "first.json"], &[]),
        "ipam::apply::stale",
        "a second apply of the same saved plan",
    );

    write_plan(&plan, &["a", "b"]);
    ok(
        &run(
            &w,
            &["plan", "plan", "--out", "second.json", "--state", &url],
            &[],
        ),
        "plan --out",
    );
    ok(&apply_at(&w, &url), "another apply");
    let err = fails_with(
        &run(&w, &["apply", "second.json"], &[]),
        "ipam::apply::stale",
        "the stale saved plan",
    );
    assert!(
        err.contains("serial 2") && err.contains("serial 1"),
        "{err}"
    );
    assert_eq!(checked(&url).expect("a state").serial, 2);
    assert_eq!(version_count(&url), 2);
}

/// A file state pushed into the database pulls back byte for byte, and back into a file;
/// push refuses an older serial or another lineage without --force, and a forced push
/// follows the current serial.
#[test]
fn push_and_pull_move_a_state_both_ways() {
    let server = server!();
    let url = server.database("push");
    let w = workdir("push");
    let plan = w.join("plan");
    write_plan(&plan, &["a", "b"]);
    ok(
        &run(&w, &["apply", "plan", "--auto-approve"], &[]),
        "apply to the file",
    );
    write_plan(&plan, &["a", "b", "c"]);
    ok(
        &run(&w, &["apply", "plan", "--auto-approve"], &[]),
        "second apply to the file",
    );
    let file = plan.join("ipam.state.json");
    let file_bytes = fs::read(&file).expect("state file");

    let pushed = ok(
        &run(
            &w,
            &[
                "state",
                "push",
                "plan/ipam.state.json",
                "plan",
                "--state",
                &url,
            ],
            &[],
        ),
        "push",
    );
    assert!(pushed.contains("serial 2"), "{pushed}");
    let pulled = ok(
        &run(&w, &["state", "pull", "plan", "--state", &url], &[]),
        "pull",
    );
    assert_eq!(
        pulled.as_bytes(),
        &file_bytes[..],
        "pull differs from the pushed file"
    );
    assert_no_changes(&w, &url, "after the push");

    // Again: nothing to do.
    let again = ok(
        &run(
            &w,
            &[
                "state",
                "push",
                "plan/ipam.state.json",
                "plan",
                "--state",
                &url,
            ],
            &[],
        ),
        "push again",
    );
    assert!(again.contains("already holds"), "{again}");

    // The backup (serial 1) is older: refused, then forced (as serial 3).
    let err = fails_with(
        &run(
            &w,
            &[
                "state",
                "push",
                "plan/ipam.state.json.backup",
                "plan",
                "--state",
                &url,
            ],
            &[],
        ),
        "ipam::state::push_refused",
        "push of an older serial",
    );
    assert!(
        err.contains("serial 2") && err.contains("serial 1"),
        "{err}"
    );
    ok(
        &run(
            &w,
            &[
                "state",
                "push",
                "plan/ipam.state.json.backup",
                "plan",
                "--state",
                &url,
                "--force",
            ],
            &[],
        ),
        "forced push",
    );
    let forced = checked(&url).expect("a state");
    let backup: State =
        serde_json::from_slice(&fs::read(plan.join("ipam.state.json.backup")).expect("backup"))
            .expect("backup parses");
    assert_eq!(forced.serial, 3);
    assert_eq!(forced.resources, backup.resources);
    // Every version is kept: serial 2 pulls as it was pushed.
    let kept = ok(
        &run(
            &w,
            &["state", "pull", "plan", "--serial", "2", "--state", &url],
            &[],
        ),
        "pull --serial 2",
    );
    assert_eq!(kept.as_bytes(), &file_bytes[..]);
    fails_with(
        &run(
            &w,
            &["state", "pull", "plan", "--serial", "9", "--state", &url],
            &[],
        ),
        "ipam::state::no_version",
        "pull of a version never written",
    );

    // Another lineage is refused.
    let other = w.join("other");
    write_plan(&other, &["z"]);
    ok(
        &run(&w, &["apply", "other", "--auto-approve"], &[]),
        "apply another plan",
    );
    fails_with(
        &run(
            &w,
            &[
                "state",
                "push",
                "other/ipam.state.json",
                "plan",
                "--state",
                &url,
            ],
            &[],
        ),
        "ipam::state::push_refused",
        "push of another lineage",
    );
    assert_eq!(checked(&url).expect("a state").serial, 3);

    // And back: the database's state into a new file, through pull and push.
    fs::write(w.join("pulled.json"), &pulled).expect("write");
    ok(
        &run(
            &w,
            &[
                "state",
                "push",
                "pulled.json",
                "plan",
                "--state",
                "back.json",
            ],
            &[],
        ),
        "push into a file",
    );
    assert_eq!(
        fs::read(w.join("back.json")).expect("back.json"),
        file_bytes
    );
    let versions = ok(
        &run(
            &w,
            &[
                "state",
                "versions",
                "plan",
                "--state",
                "plan/ipam.state.json",
            ],
            &[],
        ),
        "file versions",
    );
    assert!(versions.contains("+1 vpc"), "{versions}");
    assert!(versions.contains("(not known)"), "{versions}");
}
