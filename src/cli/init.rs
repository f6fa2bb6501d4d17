//! `ipam init`: a small commented starter plan, with the schema beside it so editors
//! complete and check the file offline.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use crate::diag::Diag;

pub const PLAN_FILE: &str = "ipam.toml";
pub const SCHEMA_FILE: &str = "plan.schema.json";

const STARTER: &str = r#"#:schema ./plan.schema.json
#
# An ipam address plan. `ipam validate` checks it; every file *.toml in this directory is
# part of the plan, so teams can keep their VPCs in files of their own.

[ipam]
name = "my-ipam"
regions = ["eu-central-1"]   # the first region is the managed region
owner = "network"            # the account that owns the pools
profile = "none"             # "none" | "alicloud" | "aws": provider limits

[accounts]
network = "111111111111"

# A top-level pool: the whole private space you manage.
[pools.corp]
cidrs = ["10.0.0.0/8"]

# A regional pool carved from it: first fit picks the lowest free /12.
[pools.eu]
parent = "corp"
netmask = 12
region = "eu-central-1"
allocation = { min_netmask = 16, max_netmask = 24, default_netmask = 20 }

# A VPC from the regional pool, with two subnets.
[vpcs.web]
pool = "eu"   # no netmask: the pool's default, /20
tags = { app = "web" }
subnets.a = { netmask = 24, zone = "eu-central-1a" }
subnets.b = { netmask = 24, zone = "eu-central-1b" }
"#;

pub fn run(dir: &Path) -> ExitCode {
    let plan = dir.join(PLAN_FILE);
    let schema = dir.join(SCHEMA_FILE);
    for path in [&plan, &schema] {
        if path.exists() {
            return super::fail(
                Diag::error(
                    "ipam::init::exists",
                    format!("{} already exists", path.display()),
                )
                .help("init never overwrites a file; choose an empty directory"),
            );
        }
    }
    let written = fs::create_dir_all(dir)
        .and_then(|()| fs::write(&schema, crate::schema::plan_schema() + "\n"))
        .and_then(|()| fs::write(&plan, STARTER));
    match written {
        Ok(()) => {
            println!(
                "Wrote {} and {}. Next: ipam validate {}",
                plan.display(),
                schema.display(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => super::fail(Diag::error(
            "ipam::io::write",
            format!("cannot write the starter plan in {}: {e}", dir.display()),
        )),
    }
}
