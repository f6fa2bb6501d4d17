//! The PostgreSQL state backend against a real server that this test binary starts itself
//! (`tests/common/pg.rs`): the real `ipam` binary, separate processes, real failures. Each
//! test has a database of its own on the shared server; tests that stop the server start
//! one of their own. Without PostgreSQL installed the tests say loudly that they were
//! skipped (`IPAM_REQUIRE_POSTGRES=1` makes that a failure). This file holds the helpers the
//! tests share.
//!
//! Covered:
//! - `state_commands`: apply, plan, show, output and the `state` commands through a
//!   database, the same records as the file backend gives, `IPAM_STATE` and `workspace`;
//!   stale saved plans, a URL (never a password) in the saved plan; push file → database →
//!   pull → file, byte for byte, and the refusals of push;
//! - `locks`: six concurrent applies from separate processes: exactly the state one apply
//!   gives, the others refused on the lock, or waiting with `--lock-timeout`; a held lock
//!   named to the next writer; a broken lock (`force-unlock`) can never save, in process and
//!   at the command line;
//! - `crashes`: `kill -9` of a writer at instants spread over a large apply: the old or the
//!   new version, and no lock to clear; the server stopped in the middle of a save: the old
//!   version and a clear error;
//! - `connections`: connection failures (wrong port, wrong password, missing database, a
//!   password in the URL, missing rights) each its diagnostic naming host, port and
//!   database, nothing written, and no password in any output; TLS by `sslmode`.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/pg.rs"]
mod pg;

use common::text;
use ipam::state::check::check;
use ipam::state::pg::{PgBackend, PgUrl};
use ipam::state::{Backend, State};

/// The plan name every test plan has: its state's name in the database.
const NAME: &str = "t";

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

/// `ipam apply plan --auto-approve --create-state --state URL` in `cwd`.
fn apply_at(cwd: &Path, url: &str) -> Output {
    let args = [
        "apply",
        "plan",
        "--auto-approve",
        "--create-state",
        "--state",
        url,
    ];
    run(cwd, &args, &[])
}

/// `ipam plan plan --detailed-exitcode --create-state --state URL` in `cwd`.
fn plan_at(cwd: &Path, url: &str) -> Output {
    let args = [
        "plan",
        "plan",
        "--detailed-exitcode",
        "--create-state",
        "--state",
        url,
    ];
    run(cwd, &args, &[])
}

fn spawn(cwd: &Path, args: &[&str]) -> Child {
    command(cwd, args, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ipam")
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

/// The shared server; without PostgreSQL (and not required) the test returns, skipped.
macro_rules! server {
    () => {
        match crate::pg::shared() {
            Some(server) => server,
            None => return,
        }
    };
}

// The test modules come after `server!`: a `macro_rules!` macro is visible only below its
// definition.
mod connections;
mod crashes;
mod locks;
mod state_commands;
