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
//! case is run `RUNS` times; the median is printed. Then one plan+apply in process, phase by
//! phase. Criterion is not used here: one iteration takes about a second, and peak memory is
//! part of the target.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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

/// Runs the `ipam` binary as a user would (output to /dev/null) under GNU time: wall
/// seconds and the process's peak resident memory in MiB (`None` without /usr/bin/time).
fn run_cli(args: &[&str]) -> (Duration, Option<f64>) {
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "%M", env!("CARGO_BIN_EXE_ipam")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_ipam"))
    };
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    let out = cmd.output().expect("run ipam");
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "ipam {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kb = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse::<f64>().ok());
    (elapsed, kb.map(|k| k / 1024.0))
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn measure(name: &str, mut f: impl FnMut() -> (Duration, Option<f64>)) -> Duration {
    let mut times = Vec::new();
    let mut peak: f64 = 0.0;
    for _ in 0..RUNS {
        let (t, mib) = f();
        times.push(t);
        peak = peak.max(mib.unwrap_or(0.0));
    }
    let m = median(times);
    println!(
        "{name:<40} {:>9.3} s   peak {:>6.0} MiB",
        m.as_secs_f64(),
        peak
    );
    m
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
    phases(&dir, &Store::new(dir.join("ipam.state.json")));
    let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64();
    println!(
        "growth 10x input: plan+apply {:.1}x, no-op plan {:.1}x",
        ratio(results[0].0, results[1].0),
        ratio(results[0].1, results[1].1)
    );
}
