//! State safety at the command line (SPEC §7, §13): what `ipam plan`/`ipam apply` and the
//! commands that read the state do when something goes wrong around them. Each test runs the
//! real binary in a work directory of its own under `CARGO_TARGET_TMPDIR/state_safety/`.
//! (Saved plans are in `saved_plans.rs`.)
//!
//! Covered:
//! - the lock: a held lock makes apply fail at once naming its holder, `--lock-timeout` waits
//!   for it, two concurrent applies of one plan give exactly the planned state,
//!   `force-unlock` checks the ID;
//! - `kill -9` at spread-out instants of an apply that writes thousands of changes: the
//!   state is always the complete old or the complete new one, and the lock never blocks
//!   the next apply;
//! - a state of a newer format, or a garbled one, is refused with its diagnostic and left
//!   untouched;
//! - apply without a terminal and without `--auto-approve` refuses and writes nothing;
//! - `--state` and `IPAM_STATE` put the state where they say; a location given explicitly
//!   that holds no state is refused unless `--create-state`; an empty `IPAM_STATE` means
//!   "unset"; a save keeps the state file's permissions; a state path that is a symbolic link
//!   is written through the link.
//!
//! Every state read back is parsed into [`State`](ipam::state::State) and run through
//! [`check`](ipam::state::check::check).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

mod common;

use assert_cmd::Command;
use common::state::{
    assert_no_changes, bytes, checked_state, expected_after, fails_with, ok, spawn_ipam, write_plan,
};
use common::{ipam, text};
use ipam::state::check::check;
use ipam::state::file::FileBackend;
use ipam::state::{Records, State};

fn workdir(name: &str) -> PathBuf {
    common::workdir("state_safety", name)
}

// The lock
// ---------------------------------------------------------------------------------------

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
    fails_with(
        &ipam(&w, &["apply", "plan", "--auto-approve"]),
        "ipam::state::locked",
        "apply while still locked",
    );

    let out = ok(
        &ipam(&w, &["force-unlock", &id, "plan"]),
        "force-unlock with the right ID",
    );
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

// ---------------------------------------------------------------------------------------
// kill -9
// ---------------------------------------------------------------------------------------

/// VPC slots of the kill test; each generation declares half of them.
const SLOTS: usize = 3000;

/// Generation `g` declares the even slots when `g` is even, the odd ones otherwise, so every
/// apply deletes 1,500 VPCs and creates 1,500.
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
    write_generation(&plan, 0);
    ok(&ipam(&w, &args), "first apply");
    write_generation(&plan, 1);
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
        write_generation(&plan, before.serial);
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
    write_generation(&plan, serial);
    ok(&ipam(&w, &args), "apply after the kills");
    assert_eq!(checked_state(&state).serial, serial + 1);
    assert_no_changes(&w, "plan", "after the kills");
}

// ---------------------------------------------------------------------------------------

// Refused applies write nothing
// ---------------------------------------------------------------------------------------

/// A state written by a newer format: plan, apply and apply of a saved plan all refuse with
/// the newer-format diagnostic, pointing at the version, and leave the file as it is.
#[test]
fn newer_format_state_is_refused_and_untouched() {
    let w = workdir("newer-format");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply");
    write_plan(&plan, &["a", "b"]);
    ok(
        &ipam(&w, &["plan", "plan", "--out", "saved.json"]),
        "plan --out",
    );
    let text = fs::read_to_string(&state).expect("state");
    assert!(text.contains("\"format_version\": 1,"), "{text}");
    let newer = text.replacen("\"format_version\": 1,", "\"format_version\": 99,", 1);
    fs::write(&state, &newer).expect("write newer state");

    for args in [
        &["plan", "plan"][..],
        &["apply", "plan", "--auto-approve"],
        &["apply", "saved.json"],
    ] {
        let err = fails_with(
            &ipam(&w, args),
            "ipam::state::newer_format",
            &args.join(" "),
        );
        assert!(err.contains("format 99"), "{err}");
        assert!(err.contains("ipam.state.json:2:"), "not located: {err}");
        assert_eq!(
            fs::read_to_string(&state).expect("state"),
            newer,
            "{args:?} touched the state"
        );
    }
}

/// A garbled state: a parse error located at the damage, for plan and apply alike, and the
/// file left for a person to repair.
#[test]
fn garbled_state_is_a_located_parse_error_and_untouched() {
    let w = workdir("garbled");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply");
    write_plan(&plan, &["a", "b"]);
    let text = fs::read_to_string(&state).expect("state");
    let line = 1 + text
        .lines()
        .position(|l| l.contains("\"serial\": 1"))
        .expect("a serial line");
    let garbled = text.replacen("\"serial\": 1", "\"serial\": one", 1);
    fs::write(&state, &garbled).expect("write garbled state");

    for args in [&["plan", "plan"][..], &["apply", "plan", "--auto-approve"]] {
        let err = fails_with(&ipam(&w, args), "ipam::state::parse", &args.join(" "));
        assert!(
            err.contains(&format!("ipam.state.json:{line}:")),
            "{args:?}: the error should point at line {line}: {err}"
        );
        // One apply keeps no backup, and none is suggested.
        assert!(
            err.contains("no previous version") && !err.contains(".backup"),
            "the help should not point at a backup that does not exist: {err}"
        );
        assert_eq!(
            fs::read_to_string(&state).expect("state"),
            garbled,
            "{args:?} touched the state"
        );
    }
}

/// apply with stdin not a terminal and no `--auto-approve` refuses: it never waits for input
/// (not even "yes" on a pipe) and writes no state.
#[test]
fn apply_without_a_terminal_refuses() {
    let w = workdir("no-tty");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("ipam"))
        .current_dir(&w)
        .env("NO_COLOR", "1")
        .env_remove("IPAM_STATE")
        .args(["apply", "plan"])
        .stdin(Stdio::null())
        .output()
        .expect("run ipam");
    fails_with(
        &out,
        "ipam::apply::no_tty",
        "apply with stdin from /dev/null",
    );
    assert!(
        bytes(&state).is_none(),
        "a refused first apply wrote a state"
    );

    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply");
    write_plan(&plan, &["a", "b"]);
    let before = bytes(&state);
    let out = Command::cargo_bin("ipam")
        .expect("binary")
        .current_dir(&w)
        .env("NO_COLOR", "1")
        .env_remove("IPAM_STATE")
        .args(["apply", "plan"])
        .write_stdin("yes\n")
        .output()
        .expect("run ipam");
    fails_with(&out, "ipam::apply::no_tty", "apply with `yes` on a pipe");
    assert_eq!(bytes(&state), before, "a refused apply wrote the state");
}

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

/// Every command that reads the state fails (exit 1) when there is none: a CI check must not
/// pass for ever against a state that is not there. `plan` at the default location says it
/// starts a new one.
#[test]
fn commands_that_read_the_state_refuse_a_missing_one() {
    let w = workdir("missing");
    write_plan(&w.join("plan"), &["a"]);
    fs::write(
        w.join("inventory.json"),
        r#"{"format": "ipam-inventory", "format_version": 1, "resources": []}"#,
    )
    .expect("inventory");
    for args in [
        &["show", "plan"][..],
        &["show", "plan", "--json"],
        &["output", "plan"],
        &["output", "plan", "--json"],
        &["output", "plan", "vpc.a"],
        &["check", "plan"],
        &["audit", "plan", "--inventory", "inventory.json"],
        &["import", "plan", "--inventory", "inventory.json"],
    ] {
        let err = fails_with(&ipam(&w, args), "ipam::state::missing", &args.join(" "));
        assert!(err.contains("plan/ipam.state.json"), "{err}");
    }
    let out = ipam(&w, &["plan", "plan"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("No state yet at plan/ipam.state.json: this plan starts a new one.\n"),
        "{}",
        text(&out)
    );
    assert!(bytes(&w.join("plan/ipam.state.json")).is_none());
}

/// A state is checked when read, by every command, with the invariants apply keeps; a
/// damaged one is refused naming the resources and CIDRs, never built on or shown.
#[test]
fn damaged_states_are_refused_by_every_command() {
    let w = workdir("damaged");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    fs::create_dir_all(&plan).expect("plan");
    fs::write(
        plan.join("ipam.toml"),
        format!(
            "{}\n[vpcs.a]\npool = \"corp\"\nnetmask = 24\nsubnets.s = {{ netmask = 26 }}\n\n\
             [vpcs.b]\npool = \"corp\"\nnetmask = 24\n",
            common::state::HEADER
        ),
    )
    .expect("plan");
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply");
    let good = fs::read_to_string(&state).expect("state");
    let v: serde_json::Value = serde_json::from_str(&good).expect("json");
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = v.clone();
        edit(&mut v);
        serde_json::to_string_pretty(&v).expect("encode")
    };
    let cases: Vec<(&str, String, &str, &[&str])> = vec![
        (
            "subnet outside its VPC",
            with(&|v| v["resources"]["vpcs"]["a"]["subnets"]["s"]["cidr"] = "10.0.9.0/26".into()),
            "ipam::state::invalid",
            &["vpc.a.subnet.s", "10.0.9.0/26", "outside vpc.a"],
        ),
        (
            "two VPCs on one block",
            with(&|v| {
                v["resources"]["vpcs"]["b"]["cidr"] = v["resources"]["vpcs"]["a"]["cidr"].clone()
            }),
            "ipam::state::invalid",
            &["vpc.a's 10.0.0.0/24", "vpc.b's 10.0.0.0/24"],
        ),
        (
            "the largest serial",
            with(&|v| v["serial"] = u64::MAX.into()),
            "ipam::state::invalid",
            &["cannot be written again"],
        ),
        (
            "a name twice",
            good.replacen(
                "\"vpcs\": {",
                "\"vpcs\": {\n      \"b\": {\"pool\": \"corp\", \"cidr\": \"10.0.5.0/24\"},",
                1,
            ),
            "ipam::state::parse",
            &["`b` appears twice"],
        ),
        (
            "an empty file",
            String::new(),
            "ipam::state::parse",
            &["the file is empty"],
        ),
    ];
    for (name, text_of_state, code, says) in cases {
        fs::write(&state, &text_of_state).expect("write damaged state");
        for args in [
            &["plan", "plan"][..],
            &["apply", "plan", "--auto-approve"],
            &["show", "plan"],
            &["output", "plan"],
            &["check", "plan"],
        ] {
            let err = fails_with(
                &ipam(&w, args),
                code,
                &format!("{name}: {}", args.join(" ")),
            );
            for s in says {
                assert!(err.contains(s), "{name}: {args:?} should say {s:?}: {err}");
            }
            assert_eq!(
                fs::read_to_string(&state).expect("state"),
                text_of_state,
                "{name}: {args:?} touched the state"
            );
        }
    }
}

/// `check` exits 3 for pools above `alert_at` (a finding the user asked about), 1 only for
/// errors.
#[test]
fn check_exits_3_for_pools_over_their_alert() {
    let w = workdir("alert");
    let plan = w.join("plan");
    fs::create_dir_all(&plan).expect("plan");
    fs::write(
        plan.join("ipam.toml"),
        "[ipam]\nname = \"t\"\nregions = [\"r1\"]\n\n[pools.corp]\ncidrs = [\"10.0.0.0/23\"]\n\
         alert_at = 40\n\n[vpcs.a]\npool = \"corp\"\nnetmask = 24\n",
    )
    .expect("plan");
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply");
    let out = ipam(&w, &["check", "plan"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("pool corp is 50.0% used, above its alert_at of 40%"),
        "{}",
        text(&out)
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
