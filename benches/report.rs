//! Report and history benchmark (SPEC §12, §15): `cargo bench --bench report`.
//!
//! Generates the reconcile benchmark's plan (P pools carved by netmask from one /8, V VPCs
//! by netmask spread over them, in ten team files; every pool with an `alert_at`), applies
//! it once, then writes a history of `SNAPSHOTS` daily snapshots of every pool (each pool's
//! usage growing to today's), and times, end to end as the CLI runs them:
//!
//! - `report`: `ipam report DIR --out FILE.html` (read plan, state and history,
//!   write the page); the file's size is printed;
//! - `show`: `ipam show DIR` (the tree and every pool's forecast from the history);
//! - `no-op plan`: `ipam plan DIR`, the same reading of plan and state, as a yardstick;
//!
//! for 1,000/10,000 and 10,000/100,000 (pools/VPCs), and 10,000/100,000 again with two
//! subnets in two zones in every VPC. Each is the real binary, timed from
//! spawn to exit, with its peak resident memory from GNU time, run `common::RUNS` times;
//! the median is printed. Then the cost history adds to one apply of the large case, in
//! process: the snapshot (every pool's utilization), its encoding and its synced append,
//! beside the state's own save.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

use common::{measure, run_cli};

use ipam::state::file::FileBackend;
use ipam::state::history::{Record, Snapshot, Time};
use ipam::state::usage::utilization;
use ipam::state::{Backend, State};

const TEAMS: usize = 10;
/// Snapshots in the history when the report is made: a month of daily applies.
const SNAPSHOTS: u64 = 30;

fn generate(dir: &Path, pools: usize, vpcs: usize, subnets: bool) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("bench dir");
    let mut p = String::from(
        "[ipam]\nname = \"bench\"\nregions = [\"r1\"]\nowner = \"net\"\n\n[accounts]\nnet = \"100000000001\"\n\n[pools.corp]\ncidrs = [\"10.0.0.0/8\"]\nalert_at = 80\n",
    );
    for i in 0..pools {
        let _ = write!(
            p,
            "\n[pools.p{i}]\nparent = \"corp\"\nnetmask = 22\nalert_at = 80\n"
        );
    }
    fs::write(dir.join("00-pools.toml"), p).expect("write pools");
    let mut files = vec![String::new(); TEAMS];
    for i in 0..vpcs {
        let _ = write!(
            files[i % TEAMS],
            "\n[vpcs.v{i}]\npool = \"p{}\"\nnetmask = 26\n",
            i % pools
        );
        if subnets {
            files[i % TEAMS].push_str(
                "region = \"r1\"\nsubnets.a = { netmask = 28, zone = \"r1a\" }\n\
                 subnets.b = { netmask = 28, zone = \"r1b\" }\n",
            );
        }
    }
    for (team, text) in files.iter().enumerate() {
        fs::write(dir.join(format!("20-team-{team}.toml")), text).expect("write vpcs");
    }
}

/// Writes a history of `SNAPSHOTS` daily snapshots ending today with the state as applied:
/// each pool's usage grows to today's (inside the forecasts' window, so all are read).
fn history(store: &FileBackend, state: &State) {
    let usage = utilization(&state.resources);
    let start = Time(Time::now().0 - (SNAPSHOTS - 1) * 86_400);
    let now = Snapshot::of(start, state.serial, &usage);
    let mut text = String::new();
    for day in 0..SNAPSHOTS {
        let mut s = now.clone();
        s.time = Time(now.time.0 + day * 86_400);
        for p in s.pools.values_mut() {
            let used = p.used().as_f64() * (day + 1) as f64 / SNAPSHOTS as f64;
            let free = p.total.as_f64() - used.floor();
            p.free = serde_json::from_value(serde_json::json!(format!("{free}"))).expect("count");
        }
        text.push_str(&serde_json::to_string(&Record::Apply(s)).expect("encode"));
        text.push('\n');
    }
    fs::write(store.history_path(), text).expect("write history");
}

/// What one apply's history costs at this size, beside the state's own save.
fn apply_overhead(store: &FileBackend) {
    let state = store.load().expect("load").expect("state");
    let mut t = Instant::now();
    let mut lap = |what: &str| {
        let d = t.elapsed();
        println!("  {what:<44} {:>9.3} s", d.as_secs_f64());
        t = Instant::now();
        d
    };
    let mut session = store.lock("bench", Duration::ZERO).expect("lock");
    session.load().expect("load");
    lap("(lock and read the state)");
    let next = State::after(Some(&state), state.resources.clone());
    session.save(&next, Some(state.serial)).expect("save");
    let save = lap("save the state (serialize, sync, rename)");
    let usage = utilization(&next.resources);
    let record = Record::Apply(Snapshot::of(Time::now(), next.serial, &usage));
    let snapshot = lap("snapshot: every pool's utilization");
    let line = serde_json::to_string(&record).expect("encode");
    session.append_history(&record).expect("append");
    let append = lap("encode and append the snapshot (synced)");
    println!(
        "  snapshot line {:.2} MB; history work {:.3} s, of which {:.3} s runs beside the save",
        line.len() as f64 / 1e6,
        (snapshot + append).as_secs_f64(),
        snapshot.min(save).as_secs_f64()
    );
}

fn main() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-report");
    for (pools, vpcs, subnets) in [
        (1_000, 10_000, false),
        (10_000, 100_000, false),
        (10_000, 100_000, true),
    ] {
        let case = format!(
            "{pools} pools / {vpcs} VPCs{}",
            if subnets { " + 2 subnets each" } else { "" }
        );
        let dir = root.join(format!(
            "{pools}-{vpcs}{}",
            if subnets { "-subnets" } else { "" }
        ));
        generate(&dir, pools, vpcs, subnets);
        let path = dir.to_str().expect("UTF-8 path");
        let store = FileBackend::new(dir.join("ipam.state.json"));
        run_cli(&["apply", path, "--auto-approve"]);
        let state = store.load().expect("load").expect("state");
        history(&store, &state);
        drop(state);
        let out = dir.join("report.html");
        let out_s = out.to_str().expect("UTF-8 path");
        measure(&format!("report {case}"), || {
            run_cli(&["report", path, "--out", out_s])
        });
        let size = fs::metadata(&out).map_or(0, |m| m.len());
        println!("  report file {:.2} MB", size as f64 / 1e6);
        measure(&format!("show {case}"), || run_cli(&["show", path]));
        // The yardstick: reading and validating the same plan and state, as every command
        // does (on a busy machine, every time above grows with it).
        measure(&format!("no-op plan {case}"), || run_cli(&["plan", path]));
        if pools == 10_000 && !subnets {
            println!("history cost of one apply, in process, {case}:");
            apply_overhead(&store);
        }
    }
}
