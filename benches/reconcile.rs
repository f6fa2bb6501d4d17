//! Reconciler benchmark (SPEC §12): `cargo bench --bench reconcile`.
//!
//! Generates a plan of P pools (carved by netmask from one /8) and V VPCs (by netmask,
//! spread over the pools, declared in ten team files), then times, end to end as the CLI runs them:
//!
//! - `plan+apply`: read and validate the plan files, plan against an empty state, apply,
//!   write the state crash-safely;
//! - `no-op plan`: read the plan and the state written above and plan (no changes).
//!
//! for 1,000/10,000 and 10,000/100,000 (pools/VPCs), so growth can be read off. Peak memory
//! is the process's resident high-water mark (`VmHWM`), reset before each measured run
//! through `/proc/self/clear_refs`. Each case is run `RUNS` times; the median is printed.
//! Criterion is not used here: one iteration takes about a second, and peak memory is part
//! of the target.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ipam::state::store::{Store, new_lineage};
use ipam::state::{FORMAT_VERSION, Records, State};

const RUNS: usize = 5;
const TEAMS: usize = 10;

fn generate(dir: &Path, pools: usize, vpcs: usize) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("bench dir");
    let mut p = String::from(
        "[ipam]\nname = \"bench\"\nregions = [\"r1\"]\nowner = \"net\"\n\n[accounts]\nnet = \"100000000001\"\n\n[pools.corp]\ncidrs = [\"10.0.0.0/8\"]\n",
    );
    for i in 0..pools {
        let _ = write!(p, "\n[pools.p{i}]\nparent = \"corp\"\nnetmask = 22\n");
    }
    fs::write(dir.join("00-pools.toml"), p).expect("write pools");
    // Business teams keep their VPCs in files of their own (SPEC §1): ten teams.
    let mut files = vec![String::new(); TEAMS];
    for i in 0..vpcs {
        let _ = write!(
            files[i % TEAMS],
            "\n[vpcs.v{i}]\npool = \"p{}\"\nnetmask = 26\n",
            i % pools
        );
    }
    for (team, text) in files.iter().enumerate() {
        fs::write(dir.join(format!("20-team-{team}.toml")), text).expect("write vpcs");
    }
}

/// Peak resident memory since the last reset, in MiB.
fn peak_mib() -> Option<f64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn reset_peak() {
    let _ = fs::write("/proc/self/clear_refs", "5");
}

/// The CLI's `plan` then `apply` (no printing): returns the number of changes.
fn plan_and_apply(dir: &Path, store: &Store) -> usize {
    let (model, _) = ipam::cli::load_model(dir).unwrap_or_else(|_| panic!("plan is valid"));
    let lock = store.lock("bench", Duration::ZERO).expect("lock");
    let state = store.load().expect("state loads");
    let empty = Records::default();
    let recorded = state.as_ref().map_or(&empty, |s| &s.resources);
    let plan = ipam::plan::plan(&model, recorded).expect("plan");
    let (records, _) = ipam::apply::apply(recorded, &plan).expect("apply");
    let next = State {
        format_version: FORMAT_VERSION,
        lineage: state.map_or_else(new_lineage, |s| s.lineage),
        serial: 1,
        resources: records,
    };
    store.save(&next, &lock).expect("save");
    plan.changes.len()
}

fn noop_plan(dir: &Path, store: &Store) -> usize {
    let (model, _) = ipam::cli::load_model(dir).unwrap_or_else(|_| panic!("plan is valid"));
    let state = store.load().expect("state loads").expect("state exists");
    let plan = ipam::plan::plan(&model, &state.resources).expect("plan");
    assert!(!plan.has_changes(), "a no-op plan");
    plan.changes.len()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn measure(name: &str, mut f: impl FnMut() -> usize) -> (Duration, f64) {
    let mut times = Vec::new();
    let mut peak: f64 = 0.0;
    for _ in 0..RUNS {
        reset_peak();
        let t = Instant::now();
        std::hint::black_box(f());
        times.push(t.elapsed());
        peak = peak.max(peak_mib().unwrap_or(0.0));
    }
    let m = median(times);
    println!(
        "{name:<40} {:>9.3} s   peak {:>6.0} MiB",
        m.as_secs_f64(),
        peak
    );
    (m, peak)
}

/// One plan+apply of the large case, phase by phase, to show where the time goes.
fn phases(dir: &Path, store: &Store) {
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
    let lock = store.lock("bench", Duration::ZERO).expect("lock");
    let state = State {
        format_version: FORMAT_VERSION,
        lineage: new_lineage(),
        serial: 1,
        resources: records,
    };
    store.save(&state, &lock).expect("save");
    lap("write state");
    let loaded = store.load().expect("load").expect("state");
    lap("read state");
    let again = ipam::plan::plan(&model, &loaded.resources).expect("plan");
    assert!(!again.has_changes());
    lap("no-op plan (place + diff)");
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-reconcile");
    let mut results = Vec::new();
    for (pools, vpcs) in [(1_000, 10_000), (10_000, 100_000)] {
        let dir = root.join(format!("{pools}-{vpcs}"));
        generate(&dir, pools, vpcs);
        let store = Store::new(dir.join("ipam.state.json"));
        let pa = measure(&format!("plan+apply {pools} pools / {vpcs} VPCs"), || {
            let _ = fs::remove_file(store.path());
            plan_and_apply(&dir, &store)
        });
        let noop = measure(&format!("no-op plan {pools} pools / {vpcs} VPCs"), || {
            noop_plan(&dir, &store)
        });
        results.push((pa, noop));
    }
    println!("phases, 10000 pools / 100000 VPCs:");
    let dir = root.join("10000-100000");
    phases(&dir, &Store::new(dir.join("ipam.state.json")));
    let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64();
    println!(
        "growth 10x input: plan+apply {:.1}x, no-op plan {:.1}x",
        ratio(results[0].0.0, results[1].0.0),
        ratio(results[0].1.0, results[1].1.0)
    );
}
