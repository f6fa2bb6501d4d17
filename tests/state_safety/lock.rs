//! The state file's lock: a held lock makes apply fail at once naming its holder,
//! `--lock-timeout` waits for it, two concurrent applies of one plan give exactly the
//! planned state, and `force-unlock` checks the ID.

use std::thread;
use std::time::Duration;

use ipam::state::Records;
use ipam::state::file::FileBackend;

use super::common::state::{
    assert_no_changes, bytes, checked_state, expected_after, fails_with, ok, spawn_ipam, write_plan,
};
use super::common::{ipam, text};
use super::workdir;

/// A lock held by another process (here: this test) makes apply fail at once, naming the
/// holder's ID and operation; nothing is written. Once released, apply works.
#[test]
fn held_lock_makes_apply_fail_naming_the_holder() {
    let w = workdir("locked");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    ok(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "first apply",
    );
    write_plan(&plan, &["a", "b"]);
    let before = bytes(&state);

    let guard = FileBackend::new(&state)
        .take_lock("test", Duration::ZERO)
        .expect("take the lock");
    let err = fails_with(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "ipam::state::locked",
        "apply under a held lock",
    );
    assert!(
        err.contains(&guard.info().id),
        "the error should name the holder's ID {}: {err}",
        guard.info().id
    );
    assert!(err.contains("test"), "the error should name the operation");
    assert_eq!(bytes(&state), before, "a locked-out apply wrote the state");
    // plan only reads: it is not blocked by the lock.
    let out = ipam(&w, &["plan", "plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    drop(guard);
    ok(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "apply after release",
    );
    assert_eq!(checked_state(&state).serial, 2);
}

/// `--lock-timeout` waits for a holder that lets go in time.
#[test]
fn lock_timeout_waits_for_the_holder() {
    let w = workdir("lock-timeout");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    let guard = FileBackend::new(&state)
        .take_lock("test", Duration::ZERO)
        .expect("take the lock");
    let release = thread::spawn(move || {
        thread::sleep(Duration::from_millis(500));
        drop(guard);
    });
    let out = ipam(
        &w,
        &["apply", "plan", "--auto-approve", "--lock-timeout", "5s"],
    );
    release.join().expect("release thread");
    ok(&out, "apply waiting for the lock");
    assert_eq!(checked_state(&state).serial, 1);
}

/// Two applies of the same plan started together: each succeeds or fails on the lock, and
/// the result is exactly the planned state, written once.
#[test]
fn concurrent_applies_give_exactly_the_planned_state() {
    for round in 0..4 {
        let w = workdir(&format!("concurrent-{round}"));
        let plan = w.join("plan");
        let state = plan.join("ipam.state.json");
        write_plan(&plan, &["a", "b", "c", "d"]);
        let want = expected_after(&plan, &Records::default());
        let args = ["apply", "plan", "--auto-approve"];
        let first = spawn_ipam(&w, &args);
        let second = spawn_ipam(&w, &args);
        let mut succeeded = 0;
        for child in [first, second] {
            let out = child.wait_with_output().expect("wait for ipam");
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.status.success() {
                succeeded += 1;
            } else {
                assert_eq!(out.status.code(), Some(1), "round {round}: {stderr}");
                assert!(
                    stderr.contains("ipam::state::locked"),
                    "round {round}: the loser should fail on the lock: {stderr}"
                );
            }
        }
        assert!(succeeded >= 1, "round {round}: neither apply succeeded");
        let s = checked_state(&state);
        assert_eq!(s.serial, 1, "round {round}: the plan was written twice");
        assert_eq!(s.resources, want, "round {round}");
        assert_no_changes(&w, "plan", &format!("round {round}"));
    }
}

/// `force-unlock` with a wrong ID fails naming the right one; with the right one it frees
/// the state for the next apply.
#[test]
fn force_unlock_checks_the_id() {
    let w = workdir("force-unlock");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    let guard = FileBackend::new(&state)
        .take_lock("test", Duration::ZERO)
        .expect("take the lock");
    let id = guard.info().id.clone();
    let wrong = if id == "0123456789abcdef" {
        "fedcba9876543210"
    } else {
        "0123456789abcdef"
    };
    let err = fails_with(
        &ipam(&w, &["force-unlock", wrong, "plan"]),
        "ipam::state::wrong_lock_id",
        "force-unlock with a wrong ID",
    );
    assert!(
        err.contains(&id),
        "the error should name the lock's ID: {err}"
    );
    let locked = fails_with(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "ipam::state::locked",
        "apply while still locked",
    );
    // The help names the command that breaks this very lock, wherever the state is: run it
    // as printed (its words, the wrapping taken out).
    let words: Vec<&str> = locked.split_whitespace().collect();
    let flat = words.join(" ");
    let start = flat
        .find("`ipam force-unlock ")
        .expect("the command in the help")
        + 1;
    let command = &flat[start..start + flat[start..].find('`').expect("closed")];
    assert_eq!(
        command,
        format!("ipam force-unlock {id} --state plan/ipam.state.json")
    );
    let args: Vec<&str> = command.split(' ').skip(1).collect();
    let out = ok(&ipam(&w, &args), "force-unlock as the help says");
    assert!(out.contains(&id), "{out}");
    ok(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "apply after force-unlock",
    );
    assert_eq!(checked_state(&state).serial, 1);
    // The broken guard's drop must not disturb later writers.
    drop(guard);
    write_plan(&plan, &["a", "b"]);
    ok(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "apply after the old holder let go",
    );
    assert_eq!(checked_state(&state).serial, 2);
}
