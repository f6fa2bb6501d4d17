//! Helpers of the tests that run plan and apply against a state (a file; the PostgreSQL
//! tests use the plans and outcome checks too): a small plan of /24 VPCs and the large
//! generations of the kill tests, reading states back and checking them, and asserting on
//! outcomes. Each test binary uses a different part of them.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Output, Stdio};

use ipam::state::check::check;
use ipam::state::{Records, State};

use super::{ipam, text};

/// The header every plan here starts with: one pool with room for 256 VPCs of /24.
pub const HEADER: &str = "[ipam]\nname = \"t\"\nregions = [\"r1\"]\nowner = \"net\"\n\n\
                      [accounts]\nnet = \"100000000001\"\n\n\
                      [pools.corp]\ncidrs = [\"10.0.0.0/16\"]\n";

/// `ipam` as a process of our own to wait for or kill (stdin and stdout closed).
pub fn spawn_ipam(cwd: &Path, args: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("ipam"))
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("IPAM_STATE")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ipam")
}

/// Asserts success and returns stdout.
pub fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed: {}", text(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts exit 1 with the diagnostic `code` on stderr, and returns stderr.
pub fn fails_with(out: &Output, code: &str, what: &str) -> String {
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
    stderr
}

/// Writes `dir/ipam.toml`: [`HEADER`] and one /24 VPC per name.
pub fn write_plan(dir: &Path, vpcs: &[&str]) {
    fs::create_dir_all(dir).expect("plan dir");
    let mut s = String::from(HEADER);
    for v in vpcs {
        write!(s, "\n[vpcs.{v}]\npool = \"corp\"\nnetmask = 24\n").expect("format");
    }
    fs::write(dir.join("ipam.toml"), s).expect("write plan");
}

/// Writes generation `g` of a large plan of `slots` VPC slots (a /24 each in 10.0.0.0/8): the
/// even slots when `g` is even, the odd ones otherwise, so every apply after the first
/// deletes `slots / 2` VPCs and creates as many.
pub fn write_generation(dir: &Path, slots: usize, g: u64) {
    fs::create_dir_all(dir).expect("plan dir");
    let mut s = String::from(
        "[ipam]\nname = \"t\"\nregions = [\"r1\"]\nowner = \"net\"\n\n\
         [accounts]\nnet = \"100000000001\"\n\n[pools.corp]\ncidrs = [\"10.0.0.0/8\"]\n",
    );
    let first = usize::try_from(g % 2).expect("0 or 1");
    for i in (first..slots).step_by(2) {
        write!(s, "\n[vpcs.v{i:04}]\npool = \"corp\"\nnetmask = 24\n").expect("format");
    }
    fs::write(dir.join("ipam.toml"), s).expect("write plan");
}

/// The bytes of a file, `None` when it does not exist.
pub fn bytes(path: &Path) -> Option<Vec<u8>> {
    match fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

/// The state at `path`, parsed and checked for every invariant.
pub fn checked_state(path: &Path) -> State {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let state: State = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    let problems = check(&state.resources);
    assert!(problems.is_empty(), "invariants broken: {problems:#?}");
    state
}

/// The records a complete apply of the plan at `plan` over `recorded` gives, computed in
/// process with the library's own stages.
pub fn expected_after(plan: &Path, recorded: &Records) -> Records {
    let (model, _) = ipam::load::model(plan).expect("the plan is valid");
    let planned = ipam::plan::plan(&model, recorded).expect("the plan can be planned");
    let (records, _) = ipam::apply::apply(recorded, &planned).expect("the plan applies");
    records
}

/// `plan --detailed-exitcode` shows no changes.
pub fn assert_no_changes(cwd: &Path, plan: &str, what: &str) {
    let out = ipam(cwd, &["plan", plan, "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: the plan should have no changes: {}",
        text(&out)
    );
}
