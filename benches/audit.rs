//! Audit benchmark (SPEC §8, §12): `cargo bench --bench audit`.
//!
//! Generates a plan of 10,000 VPCs with explicit CIDRs and resource IDs, applies it once,
//! and native inventories of N VPCs with nine subnets each (N/10 VPCs + their subnets are
//! the recorded ones, so managed; one VPC in a thousand reuses another's CIDR, so
//! overlapping; the rest unmanaged), then times, end to end as the CLI runs them:
//!
//! - `audit`: `ipam audit DIR --inventory FILE` (the table, to /dev/null);
//! - `audit --json`: the same, as JSON;
//!
//! for 100,000 and 1,000,000 resource CIDRs, so growth can be read off. Each is the real
//! binary, timed from spawn to exit, with its peak resident memory from GNU time; each case
//! is run `common::RUNS` times and the median printed. Then one audit in process, phase by phase.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;

use common::{measure, run_cli};

/// VPCs the plan records.
const RECORDED: usize = 10_000;
/// Subnets per VPC in the inventories.
const SUBNETS: usize = 9;

/// The /24 of VPC `i`: 10.0.0.0/8 first, then 11.0.0.0/8.
fn vpc_net(i: usize) -> (usize, usize, usize) {
    (10 + i / 65_536, (i / 256) % 256, i % 256)
}

fn plan(dir: &Path) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("bench dir");
    let mut p = String::from(
        "[ipam]\nname = \"bench\"\nregions = [\"r1\"]\nowner = \"net\"\n\n[accounts]\nnet = \"100000000001\"\n\n\
         [pools.corp]\ncidrs = [\"10.0.0.0/8\", \"11.0.0.0/8\"]\nregion = \"r1\"\n\
         allocation = { min_netmask = 16, max_netmask = 28, default_netmask = 24 }\n\
         required_tags = { env = \"prod\" }\n",
    );
    for i in 0..RECORDED {
        let (a, b, c) = vpc_net(i);
        let _ = write!(
            p,
            "\n[vpcs.v{i}]\npool = \"corp\"\ncidr = \"{a}.{b}.{c}.0/24\"\ntags = {{ env = \"prod\" }}\nresource_id = \"vpc-{i:08}\"\n"
        );
    }
    fs::write(dir.join("plan.toml"), p).expect("write plan");
}

/// A native inventory of `vpcs` VPCs, each with `SUBNETS` subnets: `vpcs × 10` rows.
fn inventory(file: &Path, vpcs: usize) {
    let mut out = std::io::BufWriter::new(fs::File::create(file).expect("inventory"));
    let _ = writeln!(
        out,
        "{{\"format\":\"ipam-inventory\",\"format_version\":1,\"resources\":["
    );
    let regions = ["r1", "r2", "r3"];
    for v in 0..vpcs {
        // One in a thousand reuses the CIDR of the VPC 500 before it.
        let net = if v % 1_000 == 999 { v - 500 } else { v };
        let (a, b, c) = vpc_net(net);
        let region = if v < RECORDED { "r1" } else { regions[v % 3] };
        let sep = if v == 0 { "" } else { ",\n" };
        let _ = write!(
            out,
            "{sep}{{\"id\":\"vpc-{v:08}\",\"type\":\"vpc\",\"cidr\":\"{a}.{b}.{c}.0/24\",\"region\":\"{region}\",\
             \"account\":\"1000000000{:02}\",\"tags\":{{\"env\":\"prod\",\"app\":\"app{}\"}},\"name\":\"vpc {v}\"}}",
            v % 20,
            v % 50
        );
        for s in 0..SUBNETS {
            let _ = write!(
                out,
                ",\n{{\"id\":\"vsw-{v:08}{s}\",\"type\":\"subnet\",\"cidr\":\"{a}.{b}.{c}.{}/28\",\"region\":\"{region}\",\
                 \"vpc_id\":\"vpc-{v:08}\",\"zone\":\"{region}-a\",\"used\":{s},\"total\":11}}",
                s * 16
            );
        }
    }
    let _ = writeln!(out, "\n]}}");
}

/// One audit in process, phase by phase.
fn phases(dir: &Path, file: &Path) {
    let start = Instant::now();
    let mut last = start;
    let mut lap = |what: &str| {
        let now = Instant::now();
        println!("  {what}: {:.2} s", (now - last).as_secs_f64());
        last = now;
    };
    let (model, _) = ipam::cli::load_model(dir).unwrap_or_else(|_| panic!("plan"));
    let store = ipam::state::store::Store::new(dir.join("ipam.state.json"));
    let state = store.load().ok().flatten().expect("state");
    lap("read plan and state");
    let inventory = ipam::audit::read_all(&[file.to_path_buf()], Default::default())
        .unwrap_or_else(|_| panic!("inventory"));
    lap("read inventory");
    let report = ipam::audit::audit(&model, &state.resources, inventory);
    lap("audit");
    let mut sink = std::io::sink();
    ipam::audit::output::text(
        &report,
        ipam::audit::output::Style { colour: false },
        &mut sink,
    )
    .expect("text");
    lap("render table");
    ipam::audit::output::json(&report, &mut sink).expect("json");
    lap("render JSON");
    drop(report);
    lap("free");
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-audit");
    plan(&root);
    let path = root.to_str().expect("UTF-8 path");
    let (_, _) = run_cli(&["apply", path, "--auto-approve"]);
    let mut results = Vec::new();
    for vpcs in [10_000, 100_000] {
        let cidrs = vpcs * (SUBNETS + 1);
        let file = root.join(format!("inventory-{cidrs}.json"));
        inventory(&file, vpcs);
        let f = file.to_str().expect("UTF-8 path");
        let table = measure(&format!("audit {cidrs} CIDRs"), || {
            run_cli(&["audit", path, "--inventory", f])
        });
        let json = measure(&format!("audit --json {cidrs} CIDRs"), || {
            run_cli(&["audit", path, "--inventory", f, "--json"])
        });
        results.push((table, json));
    }
    println!("phases (in process), 1000000 CIDRs:");
    phases(&root, &root.join("inventory-1000000.json"));
    let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64();
    println!(
        "growth 10x input: audit {:.1}x, audit --json {:.1}x",
        ratio(results[0].0, results[1].0),
        ratio(results[0].1, results[1].1)
    );
}
