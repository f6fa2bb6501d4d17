//! Validation benchmark (SPEC §12, §13 "bounded work"): `cargo bench --bench validate`.
//!
//! Times `ipam validate DIR` (the real binary, spawn to exit, output to /dev/null, peak memory
//! from GNU time) on generated plans of growing size, and prints how the time grows when the
//! input grows 4× (linear is 4×, n log n a little more, quadratic 16×):
//!
//! - `layout`: one layout of two levels of √N named slots each inside 10.0.0.0/8, so N leaf
//!   pools are generated (4,096, 16,384, 65,536), every one with leaf attributes;
//! - `declared`: P pools carved by netmask from one /8 and 10·P VPCs spread over them, in ten
//!   team files (1,000 / 10,000, 4,000 / 40,000, 16,000 / 160,000);
//! - `exhausted`: `ipam plan` of N /24 VPCs in a /16 that holds 256 of them, so N − 256
//!   requests fail and are reported (5,000, 20,000, 80,000): the flood of errors a plan can
//!   produce, printed 50 and counted.
//!
//! Each case runs `common::RUNS` times; the median is printed. Criterion is not used: one
//! iteration of the large cases takes about a second.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use common::{measure, run_cli, run_cli_exiting};

const TEAMS: usize = 10;

const HEADER: &str = "[ipam]\nname = \"bench\"\nregions = [\"r1\"]\nowner = \"net\"\n\n[accounts]\nnet = \"100000000001\"\n\n[pools.corp]\ncidrs = [\"10.0.0.0/8\"]\n";

/// A plan whose layout generates `side × side` leaf pools.
fn layout_plan(dir: &Path, side: usize) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("bench dir");
    let names = |prefix: &str| {
        (0..side)
            .map(|i| format!("\"{prefix}{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut p = String::from(HEADER);
    let _ = write!(
        p,
        "\n[layouts.grid]\nparent = \"corp\"\nlevels = [\n  {{ slots = {side}, names = [{}] }},\n  {{ slots = {side}, names = [{}] }},\n]\nleaf = {{ allocation = {{ min_netmask = 26, max_netmask = 28, default_netmask = 27 }}, alert_at = 80 }}\n",
        names("r"),
        names("e"),
    );
    fs::write(dir.join("plan.toml"), p).expect("write plan");
}

/// A plan of `pools` declared pools and `vpcs` VPCs in ten team files.
fn declared_plan(dir: &Path, pools: usize, vpcs: usize) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("bench dir");
    let mut p = String::from(HEADER);
    for i in 0..pools {
        let _ = write!(p, "\n[pools.p{i}]\nparent = \"corp\"\nnetmask = 24\n");
    }
    fs::write(dir.join("00-pools.toml"), p).expect("write pools");
    let mut files = vec![String::new(); TEAMS];
    for i in 0..vpcs {
        let _ = write!(
            files[i % TEAMS],
            "\n[vpcs.v{i}]\npool = \"p{}\"\nnetmask = 28\n",
            i % pools
        );
    }
    for (team, text) in files.iter().enumerate() {
        fs::write(dir.join(format!("20-team-{team}.toml")), text).expect("write vpcs");
    }
}

/// A plan of `vpcs` /24 VPCs in a /16: all but 256 cannot be placed.
fn exhausted_plan(dir: &Path, vpcs: usize) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("bench dir");
    let mut p = String::from(
        "[ipam]\nname = \"bench\"\nregions = [\"r1\"]\n\n[pools.small]\ncidrs = [\"10.0.0.0/16\"]\n",
    );
    for i in 0..vpcs {
        let _ = write!(p, "\n[vpcs.v{i}]\npool = \"small\"\nnetmask = 24\n");
    }
    fs::write(dir.join("plan.toml"), p).expect("write plan");
}

fn growth(label: &str, sizes: &[usize], times: &[Duration]) {
    let steps: Vec<String> = sizes
        .windows(2)
        .zip(times.windows(2))
        .map(|(n, t)| {
            format!(
                "{}→{}: {:.1}×",
                n[0],
                n[1],
                t[1].as_secs_f64() / t[0].as_secs_f64()
            )
        })
        .collect();
    println!(
        "growth of {label} (input 4× per step): {}",
        steps.join(", ")
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-validate");
    let mut sizes = Vec::new();
    let mut times = Vec::new();
    for side in [64, 128, 256] {
        let dir = root.join(format!("layout-{side}"));
        layout_plan(&dir, side);
        let path = dir.to_str().expect("UTF-8 path");
        let n = side * side;
        sizes.push(n);
        times.push(measure(&format!("validate layout of {n} pools"), || {
            run_cli(&["validate", path])
        }));
    }
    growth("layout pools", &sizes, &times);
    let mut sizes = Vec::new();
    let mut times = Vec::new();
    for pools in [1_000, 4_000, 16_000] {
        let vpcs = pools * 10;
        let dir = root.join(format!("declared-{pools}"));
        declared_plan(&dir, pools, vpcs);
        let path = dir.to_str().expect("UTF-8 path");
        sizes.push(pools);
        times.push(measure(
            &format!("validate {pools} pools / {vpcs} VPCs"),
            || run_cli(&["validate", path]),
        ));
    }
    growth("declared pools and VPCs", &sizes, &times);
    let mut sizes = Vec::new();
    let mut times = Vec::new();
    for vpcs in [5_000, 20_000, 80_000] {
        let dir = root.join(format!("exhausted-{vpcs}"));
        exhausted_plan(&dir, vpcs);
        let path = dir.to_str().expect("UTF-8 path");
        let state = dir.join("none.json");
        let state = state.to_str().expect("UTF-8 path");
        sizes.push(vpcs);
        times.push(measure(&format!("plan with {} errors", vpcs - 256), || {
            run_cli_exiting(&["plan", path, "--state", state, "--create-state"], 1)
        }));
    }
    growth("exhaustion errors", &sizes, &times);
}
