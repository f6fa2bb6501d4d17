//! Reconciler benchmark (SPEC §12): `cargo bench --bench reconcile`.
//!
//! Generates a plan of P pools (carved by netmask from one /8) and V VPCs (by netmask,
//! spread over the pools, declared in ten team files), then times, end to end as the CLI runs them:
//!
//! - `plan+apply`: `ipam apply DIR --auto-approve` on an empty state (read and validate the
//!   plan files, plan, print the plan, apply, write the state crash-safely);
//! - `no-op plan`: `ipam plan DIR` over the state written above (no changes);
//!
//! for 1,000/10,000 and 10,000/100,000 (pools/VPCs), so growth can be read off. Each is the
//! real binary, timed from spawn to exit, with its peak resident memory from GNU time. Each
//! case is run `common::RUNS` times; the median is printed. Then one plan+apply in process, phase by
//! phase. Criterion is not used here: one iteration takes about a second, and peak memory is
//! part of the target.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;
#[path = "common/generate.rs"]
mod generate;

use common::{measure, run_cli};
use generate::generate;

use ipam::state::file::FileBackend;
use ipam::state::{Backend, Records, State};

/// One plan+apply of the large case, phase by phase, to show where the time goes.
fn phases(dir: &Path, store: &FileBackend) {
    let _ = fs::remove_file(store.path());
    let mut t = Instant::now();
    let mut lap = |what: &str| {
        println!("  {what:<38} {:>9.3} s", t.elapsed().as_secs_f64());
        t = Instant::now();
    };
    let raw = ipam::config::load(dir).unwrap_or_else(|_| panic!("plan files parse"));
    lap("read + parse TOML");
    let model = ipam::model::build(&raw).unwrap_or_else(|_| panic!("plan is valid"));
    lap("validate (model)");
    let plan = ipam::plan::plan(&model, &Records::default()).expect("plan");
    lap("plan (place + diff)");
    let (records, _) = ipam::apply::apply(&Records::default(), &plan).expect("apply");
    lap("apply (graph order + re-check)");
    let mut session = store.lock("bench", Duration::ZERO).expect("lock");
    let state = State::after(None, records);
    session.save(&state, None).expect("save");
    drop(session);
    lap("write state");
    let loaded = store.load().expect("load").expect("state");
    lap("read state");
    let again = ipam::plan::plan(&model, &loaded.resources).expect("plan");
    assert!(!again.has_changes());
    lap("no-op plan (place + diff)");
    drop((again, loaded, plan, state, model, raw));
    lap("free everything");
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-reconcile");
    let mut results = Vec::new();
    for (pools, vpcs) in [(1_000, 10_000), (10_000, 100_000)] {
        let dir = root.join(format!("{pools}-{vpcs}"));
        generate(&dir, pools, vpcs);
        let path = dir.to_str().expect("UTF-8 path");
        let state = dir.join("ipam.state.json");
        let pa = measure(&format!("plan+apply {pools} pools / {vpcs} VPCs"), || {
            let _ = fs::remove_file(&state);
            run_cli(&["apply", path, "--auto-approve"])
        });
        let noop = measure(&format!("no-op plan {pools} pools / {vpcs} VPCs"), || {
            run_cli(&["plan", path, "--detailed-exitcode"])
        });
        results.push((pa, noop));
    }
    println!("phases (in process), 10000 pools / 100000 VPCs:");
    let dir = root.join("10000-100000");
    phases(&dir, &FileBackend::new(dir.join("ipam.state.json")));
    let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64();
    println!(
        "growth 10x input: plan+apply {:.1}x, no-op plan {:.1}x",
        ratio(results[0].0, results[1].0),
        ratio(results[0].1, results[1].1)
    );
}
