//! Helpers shared by the CLI test files: running the binary the way a user would, in a work
//! directory of each test's own.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub mod state;

/// A fresh working directory `group/name` under cargo's test temp dir (tests run in
/// parallel, so each has its own).
pub fn workdir(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("work dir");
    dir
}

/// Runs `ipam` in `cwd` with no colour and no `IPAM_STATE` from the environment.
pub fn ipam(cwd: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("ipam")
        .expect("binary")
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("IPAM_STATE")
        .args(args)
        .output()
        .expect("run ipam")
}

/// Stdout alone, as text.
#[allow(
    dead_code,
    reason = "not every test binary that includes this module reads stdout alone"
)]
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stdout then stderr, as text.
pub fn text(out: &Output) -> String {
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    s
}
