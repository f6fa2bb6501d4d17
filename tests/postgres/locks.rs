//! The lock between writers: concurrent applies from separate processes give exactly one
//! apply (or wait their turn with `--lock-timeout`), a held lock is named to the next
//! writer, and a broken lock can never save, in process and at the command line.

use std::process::Child;
use std::time::Duration;

use ipam::state::{Backend, Records, State, StateError};

use super::common::state::{expected_after, ok, write_plan};
use super::{
    NAME, apply_at, assert_no_changes, backend, checked, fails_with, plan_at, run, spawn, text,
    version_count, wait_for_blocked_ipam, workdir,
};

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
        &apply_at(&w, &url),
        "ipam::state::locked",
        "apply under a held lock",
    );
    assert!(err.contains(&session.info().id), "{err}");
    assert!(err.contains("test-holder"), "{err}");
    let out = plan_at(&w, &url);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    drop(session);
    ok(&apply_at(&w, &url), "apply after release");
}

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
