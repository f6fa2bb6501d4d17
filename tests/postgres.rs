//! The PostgreSQL state backend against a real server that this test binary starts itself
//! (`tests/common/pg.rs`): the real `ipam` binary, separate processes, real failures. Each
//! test has a database of its own on the shared server; tests that stop the server start
//! one of their own. Without PostgreSQL installed the tests say loudly that they were
//! skipped (`IPAM_REQUIRE_POSTGRES=1` makes that a failure).
//!
//! Covered:
//! - apply, plan, show, output and the `state` commands through a database, the same
//!   records as the file backend gives, `IPAM_STATE` and `workspace`;
//! - six concurrent applies from separate processes: exactly the state one apply gives,
//!   the others refused on the lock, or waiting with `--lock-timeout`;
//! - `kill -9` of a writer at instants spread over a large apply: the old or the new
//!   version, and no lock to clear;
//! - the server stopped in the middle of a save: the old version and a clear error;
//! - stale saved plans; a URL (never a password) in the saved plan;
//! - push file → database → pull → file, byte for byte, and the refusals of push;
//! - a broken lock (`force-unlock`) can never save, in process and at the command line;
//! - connection failures (wrong port, wrong password, missing database, TLS required by a
//!   server without it, a password in the URL): each its diagnostic naming host, port and
//!   database, nothing written, and no password in any output.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;
#[path = "common/pg.rs"]
mod pg;

use common::text;
use ipam::plan::saved::SavedPlan;
use ipam::state::check::check;
use ipam::state::pg::{PgBackend, PgUrl};
use ipam::state::{Backend, Records, State, StateError};

/// The plan name every test plan has: its state's name in the database.
const NAME: &str = "t";

/// One /16 pool with room for 256 VPCs of /24.
const HEADER: &str = "[ipam]\nname = \"t\"\nregions = [\"r1\"]\nowner = \"net\"\n\n\
                      [accounts]\nnet = \"100000000001\"\n\n\
                      [pools.corp]\ncidrs = [\"10.0.0.0/16\"]\n";

/// libpq's environment, removed from every run so the machine's settings never leak in.
const PG_ENV: &[&str] = &[
    "PGHOST",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "IPAM_STATE",
];

fn workdir(name: &str) -> PathBuf {
    common::workdir("postgres", name)
}

/// `ipam` as a process of our own, in `cwd`, with `HOME` there (no ~/.pgpass but the
/// test's) and only the given libpq variables.
fn command(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ipam"));
    cmd.current_dir(cwd).env("NO_COLOR", "1").env("HOME", cwd);
    for var in PG_ENV {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null());
    cmd
}

fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(cwd, args, env).output().expect("run ipam")
}

fn spawn(cwd: &Path, args: &[&str]) -> Child {
    command(cwd, args, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ipam")
}

/// Asserts success and returns stdout.
fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed: {}", text(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `text` as one line: the diagnostics' wrapping (line breaks, the `│` margin) undone.
fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts exit 1 with the diagnostic `code` on stderr, and returns stderr as one line.
fn fails_with(out: &Output, code: &str, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what} should fail with {code}: {}",
        text(out)
    );
    assert!(
        stderr.contains(code),
        "{what} should report {code}: {}",
        text(out)
    );
    flat(&stderr)
}

/// Writes `dir/ipam.toml`: [`HEADER`] and one /24 VPC per name.
fn write_plan(dir: &Path, vpcs: &[&str]) {
    fs::create_dir_all(dir).expect("plan dir");
    let mut s = String::from(HEADER);
    for v in vpcs {
        write!(s, "\n[vpcs.{v}]\npool = \"corp\"\nnetmask = 24\n").expect("format");
    }
    fs::write(dir.join("ipam.toml"), s).expect("write plan");
}

/// The records a complete apply of the plan at `plan` over `recorded` gives, computed in
/// process with the library's own stages.
fn expected_after(plan: &Path, recorded: &Records) -> Records {
    let (model, _) = ipam::load::model(plan).expect("the plan is valid");
    let planned = ipam::plan::plan(&model, recorded).expect("the plan can be planned");
    let (records, _) = ipam::apply::apply(recorded, &planned).expect("the plan applies");
    records
}

/// The backend of the state named `name` at `url`, as the binary opens it.
fn backend(url: &str, name: &str) -> PgBackend {
    PgBackend::new(PgUrl::parse(url).expect("test URL"), Some(name))
}

/// The current state at `url`, checked for every invariant.
fn checked(url: &str) -> Option<State> {
    let state = backend(url, NAME).load().expect("read the state");
    if let Some(s) = &state {
        let problems = check(&s.resources);
        assert!(problems.is_empty(), "invariants broken: {problems:#?}");
    }
    state
}

/// How many versions the database keeps of the test state.
fn version_count(url: &str) -> usize {
    backend(url, NAME).versions().expect("versions").len()
}

/// `plan --detailed-exitcode` against `url` shows no changes.
fn assert_no_changes(cwd: &Path, url: &str, what: &str) {
    let out = run(
        cwd,
        &[
            "plan",
            "plan",
            "--detailed-exitcode",
            "--create-state",
            "--state",
            url,
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: the plan should have no changes: {}",
        text(&out)
    );
}

macro_rules! server {
    () => {
        match pg::shared() {
            Some(server) => server,
            None => return,
        }
    };
}

// ---------------------------------------------------------------------------------------
// Round trip
// ---------------------------------------------------------------------------------------

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
    let out = run(
        &w,
        &[
            "plan",
            "plan",
            "--detailed-exitcode",
            "--create-state",
            "--state",
            &url,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let mut admin = server.admin("roundtrip");
    let schema: bool = admin
        .query_one("SELECT to_regnamespace('ipam') IS NOT NULL", &[])
        .expect("query")
        .get(0);
    assert!(!schema, "a plan created the schema");

    let applied = ok(
        &run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                &url,
            ],
            &[],
        ),
        "apply",
    );
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
    ok(
        &run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                &url,
            ],
            &[],
        ),
        "second apply",
    );
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

// ---------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------

/// Six applies of one plan started together from separate processes on a database the tool
/// has never used (so all six create the schema at once): each succeeds or is refused on the
/// lock, and the result is exactly the state one apply gives, written once.
/// With `--lock-timeout` every one of them waits its turn and finds nothing left to do.
#[test]
fn six_concurrent_applies_give_exactly_one_apply() {
    let server = server!();
    let url = server.database("concurrent");
    let w = workdir("concurrent");
    let plan = w.join("plan");
    write_plan(&plan, &["a", "b", "c", "d", "e", "f"]);
    let want = expected_after(&plan, &Records::default());

    let args = [
        "apply",
        "plan",
        "--auto-approve",
        "--create-state",
        "--state",
        &url,
    ];
    let children: Vec<Child> = (0..6).map(|_| spawn(&w, &args)).collect();
    let mut succeeded = 0;
    for child in children {
        let out = child.wait_with_output().expect("wait for ipam");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            succeeded += 1;
        } else {
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert!(stderr.contains("ipam::state::locked"), "{stderr}");
        }
    }
    assert!(succeeded >= 1, "no apply succeeded");
    let state = checked(&url).expect("a state");
    assert_eq!(state.serial, 1, "the plan was written more than once");
    assert_eq!(state.resources, want);
    assert_eq!(version_count(&url), 1);

    // Waiting: every apply gets the lock in turn; one writes, the others find no changes.
    write_plan(&plan, &["a", "b", "c", "d", "e", "f", "g", "h"]);
    let want = expected_after(&plan, &state.resources);
    let args = [
        "apply",
        "plan",
        "--auto-approve",
        "--lock-timeout",
        "60s",
        "--state",
        &url,
    ];
    let children: Vec<Child> = (0..6).map(|_| spawn(&w, &args)).collect();
    for child in children {
        let out = child.wait_with_output().expect("wait for ipam");
        assert!(
            out.status.success(),
            "a waiting apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let state = checked(&url).expect("a state");
    assert_eq!(state.serial, 2);
    assert_eq!(state.resources, want);
    assert_eq!(version_count(&url), 2);
    assert_no_changes(&w, &url, "after the waiting applies");
}

/// A held lock: apply fails at once naming the holder's record; plan still reads.
#[test]
fn held_lock_is_shown_to_the_next_writer() {
    let server = server!();
    let url = server.database("held");
    let w = workdir("held");
    write_plan(&w.join("plan"), &["a"]);
    let b = backend(&url, NAME);
    let session = b.lock("test-holder", Duration::ZERO).expect("lock");
    let err = fails_with(
        &run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                &url,
            ],
            &[],
        ),
        "ipam::state::locked",
        "apply under a held lock",
    );
    assert!(err.contains(&session.info().id), "{err}");
    assert!(err.contains("test-holder"), "{err}");
    let out = run(
        &w,
        &[
            "plan",
            "plan",
            "--detailed-exitcode",
            "--create-state",
            "--state",
            &url,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    drop(session);
    ok(
        &run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                &url,
            ],
            &[],
        ),
        "apply after release",
    );
}

// ---------------------------------------------------------------------------------------
// Crashes
// ---------------------------------------------------------------------------------------

/// VPC slots of the large plans; each generation declares half of them.
const SLOTS: usize = 6000;

/// Generation `g` declares the even slots when `g` is even, the odd ones otherwise, so every
/// apply deletes 3,000 VPCs and creates 3,000.
fn write_generation(dir: &Path, g: u64) {
    fs::create_dir_all(dir).expect("plan dir");
    let mut s = String::from(
        "[ipam]\nname = \"t\"\nregions = [\"r1\"]\nowner = \"net\"\n\n\
         [accounts]\nnet = \"100000000001\"\n\n[pools.corp]\ncidrs = [\"10.0.0.0/8\"]\n",
    );
    let first = usize::try_from(g % 2).expect("0 or 1");
    for i in (first..SLOTS).step_by(2) {
        write!(s, "\n[vpcs.v{i:04}]\npool = \"corp\"\nnetmask = 24\n").expect("format");
    }
    fs::write(dir.join("ipam.toml"), s).expect("write plan");
}

/// SIGKILL at instants spread over a large apply: the state is always the old version or
/// the new one, and the server's release of the dead writer's lock lets the next apply in
/// with nothing to clear.
#[test]
fn kill_9_during_apply_leaves_the_old_or_the_new_version() {
    const ROUNDS: u32 = 12;
    let server = server!();
    let url = server.database("kill9");
    let w = workdir("kill-9");
    let plan = w.join("plan");
    let args = [
        "apply",
        "plan",
        "--auto-approve",
        "--create-state",
        "--state",
        &url,
    ];
    write_generation(&plan, 0);
    ok(&run(&w, &args, &[]), "first apply");
    // The longer of two applies, each 3,000 deletes and 3,000 creates, as the rounds are.
    let mut full = Duration::ZERO;
    for g in 1..=2 {
        write_generation(&plan, g);
        let start = Instant::now();
        ok(&run(&w, &args, &[]), "timed apply");
        full = full.max(start.elapsed());
    }

    let (mut old, mut new) = (0, 0);
    for round in 0..ROUNDS {
        let before = checked(&url).expect("a state");
        write_generation(&plan, before.serial);
        let want = expected_after(&plan, &before.resources);
        // From 0 to 150 % of a whole run, so the last rounds may finish before the kill.
        let delay = full * (3 * round) / (2 * (ROUNDS - 1));
        let mut child = spawn(&w, &args);
        thread::sleep(delay);
        let _ = child.kill();
        let out = child.wait_with_output().expect("wait for ipam");
        if let Some(code) = out.status.code() {
            assert_eq!(
                code,
                0,
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let after = checked(&url).expect("a state");
        assert_eq!(after.lineage, before.lineage, "round {round}");
        if after.serial == before.serial {
            assert!(
                !out.status.success(),
                "round {round}: a completed apply wrote nothing"
            );
            assert_eq!(after, before, "round {round}: old serial, new content");
            old += 1;
        } else {
            assert_eq!(after.serial, before.serial + 1, "round {round}");
            assert_eq!(
                after.resources, want,
                "round {round}: not the planned state"
            );
            new += 1;
        }
        assert_eq!(
            version_count(&url) as u64,
            after.serial,
            "round {round}: a version row without its state"
        );
    }
    eprintln!(
        "kill -9: {old} rounds left the old version, {new} the new one (apply takes {full:?})"
    );

    // No lock to clear: the next apply, given the moment the server takes to see the
    // writer gone, gets in without force-unlock.
    let serial = checked(&url).expect("a state").serial;
    write_generation(&plan, serial);
    ok(
        &run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--lock-timeout",
                "10s",
                "--state",
                &url,
            ],
            &[],
        ),
        "apply after the kills",
    );
    assert_eq!(checked(&url).expect("a state").serial, serial + 1);
    assert_no_changes(&w, &url, "after the kills");
}

/// Waits until a connection of the ipam binary waits on a row or table lock.
fn wait_for_blocked_ipam(admin: &mut postgres::Client) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let blocked: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE application_name = 'ipam' AND wait_event_type = 'Lock'",
                &[],
            )
            .expect("pg_stat_activity")
            .get(0);
        if blocked > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "ipam never blocked");
        thread::sleep(Duration::from_millis(20));
    }
}

/// The server stopped while a writer is inside its save (its new version inserted, the
/// state's row about to be swapped, held there by another transaction's row lock): the
/// transaction never commits, the old version stays, the writer says what happened, and
/// after a restart the next apply goes ahead (the dead writer's lock record is stale).
#[test]
fn server_stopped_mid_save_leaves_the_old_version() {
    let Some(server) = pg::Server::start_durable("stopped") else {
        return;
    };
    let url = server.database("stopped");
    let w = workdir("stopped");
    let plan = w.join("plan");
    let args = [
        "apply",
        "plan",
        "--auto-approve",
        "--create-state",
        "--state",
        &url,
    ];
    write_generation(&plan, 0);
    ok(&run(&w, &args, &[]), "first apply");
    let before = checked(&url).expect("a state");
    write_generation(&plan, 1);

    let mut holder = server.admin("stopped");
    let mut tx = holder.transaction().expect("begin");
    tx.execute(
        "SELECT 1 FROM ipam.states WHERE name = $1 FOR UPDATE",
        &[&NAME],
    )
    .expect("lock the state row");
    let child = spawn(&w, &args);
    wait_for_blocked_ipam(&mut server.admin("stopped"));
    server.stop();
    let out = child.wait_with_output().expect("wait for ipam");
    drop(tx);
    drop(holder);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ipam::state::postgres::connection_lost"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{}", server.port)),
        "{stderr}"
    );

    server.start_again();
    assert_eq!(checked(&url).expect("a state"), before);
    assert_eq!(version_count(&url), 1, "the cut save left a version");
    ok(&run(&w, &args, &[]), "apply after the restart");
    assert_eq!(checked(&url).expect("a state").serial, 2);
}

// ---------------------------------------------------------------------------------------
// Saved plans
// ---------------------------------------------------------------------------------------

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
    let recorded = saved.state.clone();
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
    ok(
        &run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                &url,
            ],
            &[],
        ),
        "another apply",
    );
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

// ---------------------------------------------------------------------------------------
// push and pull
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Broken locks
// ---------------------------------------------------------------------------------------

/// A session whose lock was broken can never save: force-unlock ends its connection, and a
/// session whose record alone was removed is refused by the record check.
#[test]
fn a_broken_lock_cannot_save() {
    let server = server!();
    let url = server.database("broken");
    let first = backend(&url, NAME);
    let mut session = first.lock("apply", Duration::ZERO).expect("lock");
    let state = session.load().expect("load");
    assert_eq!(state, None);
    let next = State::after(None, Records::default());

    let other = backend(&url, NAME);
    let wrong = other.force_unlock("0000000000000000");
    assert!(
        matches!(wrong, Err(StateError::WrongLockId { .. })),
        "{wrong:?}"
    );
    let info = other
        .force_unlock(&session.info().id)
        .expect("force-unlock");
    assert_eq!(info.id, session.info().id);
    assert_eq!(info.operation, "apply");
    let err = session.save(&next, None).expect_err("a broken lock saved");
    assert!(
        matches!(&err, StateError::Postgres(e) if matches!(e.failure, ipam::state::pg::Failure::ConnectionLost(_))),
        "{err:?}"
    );
    drop(session);
    assert_eq!(checked(&url), None, "the broken session wrote");

    // The record removed behind a live session's back: its save is refused.
    let mut session = first.lock("apply", Duration::ZERO).expect("lock again");
    session.load().expect("load");
    server
        .admin("broken")
        .execute("DELETE FROM ipam.locks", &[])
        .expect("remove the record");
    let err = session
        .save(&next, None)
        .expect_err("a session without its record saved");
    assert!(matches!(err, StateError::LockLost { .. }), "{err:?}");
    drop(session);
    assert_eq!(checked(&url), None);

    // No lock: force-unlock says so.
    assert!(matches!(
        other.force_unlock("x"),
        Err(StateError::NoLock { .. })
    ));
}

/// At the command line: an apply held inside its read, its lock broken by `ipam
/// force-unlock ID`, fails and writes nothing; the next apply goes ahead.
#[test]
fn force_unlock_ends_a_running_apply() {
    let server = server!();
    let url = server.database("unlock");
    let w = workdir("unlock");
    let plan = w.join("plan");
    write_plan(&plan, &["a"]);
    let args = [
        "apply",
        "plan",
        "--auto-approve",
        "--create-state",
        "--state",
        &url,
    ];
    ok(&run(&w, &args, &[]), "first apply");
    write_plan(&plan, &["a", "b"]);

    let mut holder = server.admin("unlock");
    let mut tx = holder.transaction().expect("begin");
    tx.batch_execute("LOCK TABLE ipam.versions IN ACCESS EXCLUSIVE MODE")
        .expect("hold the versions");
    let child = spawn(&w, &args);
    let mut admin = server.admin("unlock");
    wait_for_blocked_ipam(&mut admin);
    let id: String = admin
        .query_one("SELECT id FROM ipam.locks WHERE name = $1", &[&NAME])
        .expect("the lock record")
        .get(0);
    let unlocked = ok(
        &run(&w, &["force-unlock", &id, "plan", "--state", &url], &[]),
        "force-unlock",
    );
    assert!(unlocked.contains(&id), "{unlocked}");
    let out = child.wait_with_output().expect("wait for ipam");
    tx.rollback().expect("release");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ipam::state::postgres::connection_lost"),
        "{stderr}"
    );
    assert_eq!(checked(&url).expect("a state").serial, 1);
    ok(&run(&w, &args, &[]), "apply after the unlock");
    assert_eq!(checked(&url).expect("a state").serial, 2);
}

// ---------------------------------------------------------------------------------------
// Connection failures
// ---------------------------------------------------------------------------------------

/// Whether the database `db` has the tool's schema (anything written).
fn has_schema(server: &pg::Server, db: &str) -> bool {
    server
        .admin(db)
        .query_one("SELECT to_regnamespace('ipam') IS NOT NULL", &[])
        .expect("query")
        .get(0)
}

/// Each way a connection fails is its own diagnostic naming host, port and database, with
/// nothing written, and no password in any output.
#[test]
fn connection_failures_are_clear_and_write_nothing() {
    let server = server!();
    server.database("conn");
    // The password user owns its database, as the README's setup has it.
    server
        .admin("postgres")
        .batch_execute(&format!(
            "ALTER DATABASE conn OWNER TO {}",
            pg::PASSWORD_USER
        ))
        .expect("owner");
    let w = workdir("connection");
    write_plan(&w.join("plan"), &["a"]);
    let apply = |url: &str, env: &[(&str, &str)]| {
        run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                url,
            ],
            env,
        )
    };
    let no_secret = |out: &Output| {
        let all = text(out);
        assert!(!all.contains(pg::PASSWORD), "a password was shown: {all}");
        assert!(!all.contains("hunter2"), "a password was shown: {all}");
        all
    };
    let port = server.port.to_string();

    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let out = apply(
        &format!("postgres://postgres@127.0.0.1:{closed}/conn?sslmode=disable"),
        &[],
    );
    let err = fails_with(&out, "ipam::state::postgres::unreachable", "wrong port");
    assert!(
        err.contains(&format!("127.0.0.1:{closed}")) && err.contains("database conn"),
        "{err}"
    );

    // The wrong password, from PGPASSWORD.
    let pw_url = server.url(pg::PASSWORD_USER, "conn");
    let out = apply(&pw_url, &[("PGPASSWORD", "hunter2")]);
    let err = fails_with(
        &out,
        "ipam::state::postgres::authentication",
        "wrong password",
    );
    no_secret(&out);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("PGPASSWORD"),
        "{err}"
    );
    // No password at all.
    let out = apply(&pw_url, &[]);
    fails_with(&out, "ipam::state::postgres::password", "no password");
    // A password file readable by others is ignored, as libpq does; mode 600 is used.
    let pgpass = w.join(".pgpass");
    fs::write(
        &pgpass,
        format!(
            "127.0.0.1:{port}:conn:{}:{}\n",
            pg::PASSWORD_USER,
            pg::PASSWORD
        ),
    )
    .expect("pgpass");
    fs::set_permissions(&pgpass, fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = apply(&pw_url, &[]);
    let err = fails_with(
        &out,
        "ipam::state::postgres::password",
        "a readable .pgpass",
    );
    assert!(err.contains("chmod 600"), "{err}");
    no_secret(&out);
    assert!(!has_schema(server, "conn"), "a failed connection wrote");
    fs::set_permissions(&pgpass, fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = apply(&pw_url, &[]);
    ok(&out, "apply with the password from .pgpass");
    no_secret(&out);
    // PGPASSWORD takes precedence, as with libpq.
    let out = run(
        &w,
        &["plan", "plan", "--create-state", "--state", &pw_url],
        &[("PGPASSWORD", pg::PASSWORD)],
    );
    ok(&out, "plan with PGPASSWORD");
    no_secret(&out);

    // A database that does not exist.
    let out = apply(&server.url("postgres", "nowhere"), &[]);
    let err = fails_with(
        &out,
        "ipam::state::postgres::no_database",
        "missing database",
    );
    assert!(
        err.contains("nowhere") && err.contains(&port) && err.contains("CREATE DATABASE"),
        "{err}"
    );

    // A password in the URL is refused before anything is contacted, and never echoed.
    let out = apply(
        &format!("postgres://postgres:hunter2@127.0.0.1:{port}/conn"),
        &[],
    );
    let err = fails_with(&out, "ipam::state::url_password", "a password in the URL");
    assert!(err.contains("PGPASSWORD") && err.contains("****"), "{err}");
    no_secret(&out);
    let out = apply(
        &format!("postgres://postgres@127.0.0.1:{port}/conn?password=hunter2"),
        &[],
    );
    fails_with(&out, "ipam::state::url_password", "a password parameter");
    no_secret(&out);

    // A Unix socket directory as the host, as libpq allows.
    server.database("sock");
    let sock = format!(
        "postgresql:///sock?host={}&port={port}&user=postgres",
        server.socket_dir.display()
    );
    ok(&apply(&sock, &[]), "apply over the Unix socket");
    assert!(has_schema(server, "sock"));
}

/// A user without the right to create the schema gets a diagnostic saying which right.
#[test]
fn permission_denied_on_the_schema_is_explained() {
    let server = server!();
    server.database("perm");
    let mut admin = server.admin("perm");
    admin
        .batch_execute(
            "DROP ROLE IF EXISTS plain; CREATE ROLE plain LOGIN; \
             REVOKE CREATE ON DATABASE perm FROM PUBLIC; REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        )
        .expect("role");
    let w = workdir("permission");
    write_plan(&w.join("plan"), &["a"]);
    let url = server.url("plain", "perm");
    let out = run(
        &w,
        &[
            "apply",
            "plan",
            "--auto-approve",
            "--create-state",
            "--state",
            &url,
        ],
        &[],
    );
    let err = fails_with(
        &out,
        "ipam::state::postgres::permission",
        "apply without rights",
    );
    assert!(
        err.contains("GRANT CREATE ON DATABASE perm TO plain"),
        "{err}"
    );
    assert!(!has_schema(server, "perm"));
    // With the schema made for it by an administrator, the user needs no more.
    admin
        .batch_execute("CREATE SCHEMA ipam AUTHORIZATION plain")
        .expect("schema");
    ok(
        &run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                &url,
            ],
            &[],
        ),
        "apply in a schema made for the user",
    );
}

/// TLS by `sslmode`: `require` against a server without TLS fails (and `prefer` falls back),
/// and with TLS on, `require` encrypts, `verify-full` checks the CA and the host name,
/// `verify-ca` only the CA. Turns TLS on and off on the shared server: every other test
/// connects with `sslmode=disable`.
#[test]
fn tls_follows_sslmode() {
    let server = server!();
    server.database("tls");
    let w = workdir("tls");
    write_plan(&w.join("plan"), &["a"]);
    let port = server.port;
    let plan = |url: &str| run(&w, &["plan", "plan", "--create-state", "--state", url], &[]);
    let at = |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/tls?{query}");

    let out = run(
        &w,
        &[
            "apply",
            "plan",
            "--auto-approve",
            "--state",
            &at("127.0.0.1", "sslmode=require"),
        ],
        &[],
    );
    let err = fails_with(
        &out,
        "ipam::state::postgres::tls",
        "sslmode=require without TLS",
    );
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("database tls"),
        "{err}"
    );
    assert!(!has_schema(server, "tls"), "a refused connection wrote");
    ok(
        &run(
            &w,
            &[
                "apply",
                "plan",
                "--auto-approve",
                "--create-state",
                "--state",
                &at("127.0.0.1", "sslmode=prefer"),
            ],
            &[],
        ),
        "sslmode=prefer without TLS",
    );

    let Some(ca) = server.tls(true) else {
        return;
    };
    let ca = ca.to_str().expect("UTF-8").to_string();
    let checks: Vec<(String, Option<&str>)> = vec![
        (at("127.0.0.1", "sslmode=require"), None),
        (
            at(
                "localhost",
                &format!("sslmode=verify-full&sslrootcert={ca}"),
            ),
            None,
        ),
        (
            at("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}")),
            None,
        ),
        (
            at(
                "127.0.0.1",
                &format!("sslmode=verify-full&sslrootcert={ca}"),
            ),
            Some("127.0.0.1"),
        ),
        (
            at("localhost", "sslmode=verify-full&sslrootcert=system"),
            Some("UnknownIssuer"),
        ),
        (
            at(
                "localhost",
                "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            ),
            Some("/nonexistent/ca.pem"),
        ),
    ];
    let mut failures = Vec::new();
    for (url, refused) in &checks {
        let out = plan(url);
        match refused {
            None if !out.status.success() => failures.push(format!("{url}: {}", text(&out))),
            Some(why) if out.status.code() != Some(1) || !flat(&text(&out)).contains(why) => {
                failures.push(format!(
                    "{url} should be refused naming {why}: {}",
                    text(&out)
                ));
            }
            _ => {}
        }
    }
    server.tls(false);
    assert!(failures.is_empty(), "{failures:#?}");
}
