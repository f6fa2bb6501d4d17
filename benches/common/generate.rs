//! The generated plan of the end-to-end benchmarks: P pools carved by netmask from one /8
//! and V VPCs by netmask spread over them, declared in ten team files (SPEC §1, §12).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const TEAMS: usize = 10;

/// Writes the plan into `dir` (emptied first).
pub fn generate(dir: &Path, pools: usize, vpcs: usize) {
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
