//! State safety at the command line (SPEC §7, §13): what `ipam plan`/`ipam apply` and the
//! commands that read the state do when something goes wrong around them. Each test runs the
//! real binary in a work directory of its own under `CARGO_TARGET_TMPDIR/state_safety/`.
//! (Saved plans are in `saved_plans.rs`.) This file holds what the tests share.
//!
//! Covered:
//! - `lock`: a held lock makes apply fail at once naming its holder, `--lock-timeout` waits
//!   for it, two concurrent applies of one plan give exactly the planned state,
//!   `force-unlock` checks the ID;
//! - `crash`: `kill -9` at spread-out instants of an apply that writes thousands of changes:
//!   the state is always the complete old or the complete new one, and the lock never blocks
//!   the next apply;
//! - `refusals`: a state of a newer format, or a garbled or damaged one, is refused with its
//!   diagnostic and left untouched; apply without a terminal and without `--auto-approve`
//!   refuses and writes nothing; commands that read the state refuse a missing one; `check`
//!   exits 3 for its findings;
//! - `location`: `--state`, `IPAM_STATE` and the plan's `[state]` table put the state where
//!   they say; a location given explicitly that holds no state is refused unless
//!   `--create-state`; an empty `IPAM_STATE` means "unset"; a save keeps the state file's
//!   permissions; a state path that is a symbolic link is written through the link.
//!
//! Every state read back is parsed into [`State`](ipam::state::State) and run through
//! [`check`](ipam::state::check::check).

use std::path::PathBuf;

#[path = "../common/mod.rs"]
mod common;

mod crash;
mod location;
mod lock;
mod refusals;

fn workdir(name: &str) -> PathBuf {
    common::workdir("state_safety", name)
}
