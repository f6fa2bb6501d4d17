//! Crash safety: `kill -9` at spread-out instants of an apply that writes thousands of
//! changes leaves the complete old state or the complete new one (and its backup likewise),
//! and the lock never blocks the next apply.

use std::fs;
use std::thread;
use std::time::Instant;

use ipam::state::State;
use ipam::state::check::check;

use super::common::ipam;
use super::common::state::{
    assert_no_changes, bytes, checked_state, expected_after, ok, spawn_ipam, write_generation,
};
use super::workdir;

/// VPC slots of the kill test; each generation declares half of them, so every apply
/// deletes 1,500 VPCs and creates 1,500.
const SLOTS: usize = 3000;

/// SIGKILL at instants spread over an apply's run: the state is always the complete old one
/// or the complete new one (never torn, always within the invariants), the backup likewise,
/// and the kernel's release of the lock lets the next apply in.
#[test]
fn kill_9_during_apply_leaves_the_old_or_the_new_state() {
    const ROUNDS: u32 = 25;
    let w = workdir("kill-9");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    let backup = plan.join("ipam.state.json.backup");
    let args = ["apply", "plan", "--auto-approve"];

    // The first apply only creates; the second, timed, is a typical round: 1,500 deletes
    // and 1,500 creates.
    write_generation(&plan, SLOTS, 0);
    ok(&ipam(&w, &args), "first apply");
    write_generation(&plan, SLOTS, 1);
    let start = Instant::now();
    let timed = spawn_ipam(&w, &args)
        .wait_with_output()
        .expect("wait for ipam");
    let full = start.elapsed();
    assert!(
        timed.status.success(),
        "{}",
        String::from_utf8_lossy(&timed.stderr)
    );
    checked_state(&state);

    let (mut old, mut new) = (0, 0);
    for round in 0..ROUNDS {
        let before_bytes = bytes(&state).expect("state");
        let before: State = serde_json::from_slice(&before_bytes).expect("state parses");
        // The generation follows the serial, so a killed round's plan is retried as is.
        write_generation(&plan, SLOTS, before.serial);
        let want = expected_after(&plan, &before.resources);

        // From 0 to 120 % of a whole run, so the last rounds may finish before the kill.
        let delay = full * (6 * round) / (5 * (ROUNDS - 1));
        let mut child = spawn_ipam(&w, &args);
        thread::sleep(delay);
        // Fails only when the child is already reaped, which `wait` below reports anyway.
        let _ = child.kill();
        let out = child.wait_with_output().expect("wait for ipam");
        if let Some(code) = out.status.code() {
            assert_eq!(
                code,
                0,
                "round {round}: apply failed (a lock left by a killed apply?): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }

        let after_bytes = bytes(&state).expect("the state vanished");
        let after: State = serde_json::from_slice(&after_bytes)
            .unwrap_or_else(|e| panic!("round {round} (killed after {delay:?}): torn state: {e}"));
        let problems = check(&after.resources);
        assert!(problems.is_empty(), "round {round}: {problems:#?}");
        assert_eq!(after.lineage, before.lineage, "round {round}");
        if after.serial == before.serial {
            assert!(
                !out.status.success(),
                "round {round}: a completed apply wrote nothing"
            );
            assert_eq!(
                after_bytes, before_bytes,
                "round {round}: old serial, new bytes"
            );
            old += 1;
        } else {
            assert_eq!(after.serial, before.serial + 1, "round {round}");
            assert_eq!(
                after.resources, want,
                "round {round}: not the planned state"
            );
            new += 1;
        }
        if let Some(b) = bytes(&backup) {
            let kept: State = serde_json::from_slice(&b)
                .unwrap_or_else(|e| panic!("round {round}: torn backup: {e}"));
            assert!(check(&kept.resources).is_empty(), "round {round}: backup");
        }
    }
    // Temp files of saves cut short may remain (allowed); their number shows how many kills
    // landed inside a save.
    let temps = fs::read_dir(&plan)
        .expect("plan dir")
        .filter(|e| {
            e.as_ref().is_ok_and(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".ipam.state.json.")
            })
        })
        .count();
    eprintln!(
        "kill -9: {old} rounds left the old state, {new} the new one, {temps} temp files \
         left (apply takes {full:?})"
    );

    // Nothing is left blocking: a plain apply and an empty plan after it.
    let serial = checked_state(&state).serial;
    write_generation(&plan, SLOTS, serial);
    ok(&ipam(&w, &args), "apply after the kills");
    assert_eq!(checked_state(&state).serial, serial + 1);
    assert_no_changes(&w, "plan", "after the kills");
}
