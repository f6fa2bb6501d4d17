//! Crash safety: `kill -9` of a writer at instants spread over a large apply, and the server
//! stopped in the middle of a save, leave the old version or the new one, never a torn one.

use std::thread;
use std::time::{Duration, Instant};

use super::common::state::{expected_after, ok, write_generation};
use super::{
    NAME, assert_no_changes, checked, pg, run, spawn, version_count, wait_for_blocked_ipam, workdir,
};

/// VPC slots of the large plans; each generation declares half of them, so every apply
/// deletes 3,000 VPCs and creates 3,000.
const SLOTS: usize = 6000;

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
    write_generation(&plan, SLOTS, 0);
    ok(&run(&w, &args, &[]), "first apply");
    // The longer of two applies, each 3,000 deletes and 3,000 creates, as the rounds are.
    let mut full = Duration::ZERO;
    for g in 1..=2 {
        write_generation(&plan, SLOTS, g);
        let start = Instant::now();
        ok(&run(&w, &args, &[]), "timed apply");
        full = full.max(start.elapsed());
    }

    let (mut old, mut new) = (0, 0);
    for round in 0..ROUNDS {
        let before = checked(&url).expect("a state");
        write_generation(&plan, SLOTS, before.serial);
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
    write_generation(&plan, SLOTS, serial);
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
    write_generation(&plan, SLOTS, 0);
    ok(&run(&w, &args, &[]), "first apply");
    let before = checked(&url).expect("a state");
    write_generation(&plan, SLOTS, 1);

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
