//! `ipam audit` at the command line (SPEC §8, §11): a plan is applied in a work directory
//! of its own, then audited against hand-made inventories whose every row has a known
//! answer: managed and compliant, noncompliant for each reason, identical and nested
//! overlaps, a subnet in its own VPC (no overlap), a recorded allocation missing from the
//! inventory and a reservation as overlap partners, ignored IDs, scopes kept apart, IP
//! usage (`findings`). Also: every output format, determinism and large inputs (`output`),
//! every inventory format and standard input (`inventories`), and broken inputs
//! (`broken_inputs`). This file holds the plan, the inventory and the helpers they share.
//!
//! JSON output is read back as [`AuditDocument`], whose fields deny unknown keys, so the
//! document and its schema cannot drift apart.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "../common/mod.rs"]
mod common;

mod broken_inputs;
mod findings;
mod inventories;
mod output;

use common::{ipam, stdout, text};
use ipam::render::audit::{AuditDocument, ResourceJson};

fn workdir(name: &str) -> PathBuf {
    common::workdir("audit", name)
}

/// A plan with one auto-import pool shared with `app`, a custom scope that reuses the same
/// space, three recorded VPCs and a reservation.
const PLAN: &str = r#"
[ipam]
name = "t"
regions = ["r1", "r2"]
owner = "net"

[accounts]
net = "100000000001"
app = "100000000002"
other = "100000000003"

[scopes.acq]
description = "acquired; reuses 10.1/16"

[pools.corp]
cidrs = ["10.0.0.0/8"]

[pools.team]
parent = "corp"
cidrs = ["10.1.0.0/16"]
region = "r1"
allocation = { min_netmask = 20, max_netmask = 26, default_netmask = 24 }
required_tags = { env = "prod" }
shared_with = ["app"]
auto_import = true

[pools.acq]
scope = "acq"
cidrs = ["10.1.0.0/16"]

[vpcs.a]
pool = "team"
cidr = "10.1.0.0/24"
tags = { env = "prod" }
resource_id = "vpc-a"
secondary = [{ pool = "team", cidr = "10.1.1.0/24" }]
subnets.s1 = { cidr = "10.1.0.0/26", zone = "r1-a" }

[vpcs.b]
pool = "team"
cidr = "10.1.2.0/24"
tags = { env = "prod" }
owner = "app"

[vpcs.c]
pool = "team"
cidr = "10.1.3.0/24"
tags = { env = "prod" }

[vpcs.acq-1]
pool = "acq"
cidr = "10.1.2.0/24"
resource_id = "vpc-acq"

[reservations.dc]
pool = "corp"
cidr = "10.200.0.0/16"

[audit]
ignore = ["vpc-ignored"]
"#;

/// One row of each case; see the expectations in `statuses_of_every_case`.
const INVENTORY: &str = r#"{"format": "ipam-inventory", "format_version": 1, "resources": [
  {"id": "vpc-a", "type": "vpc", "cidr": "10.1.0.0/24", "region": "r1", "account": "100000000001", "tags": {"env": "prod"}},
  {"id": "vpc-a", "type": "vpc", "cidr": "10.1.1.0/24", "region": "r1", "account": "100000000001", "tags": {"env": "prod"}},
  {"id": "subnet-s1", "type": "subnet", "cidr": "10.1.0.0/26", "vpc_id": "vpc-a", "zone": "r1-a", "used": 10, "total": 59},
  {"id": "vpc-b", "type": "vpc", "cidr": "10.1.2.0/24", "region": "r2", "account": "100000000003", "tags": {"env": "dev"}},
  {"id": "vpc-dup", "type": "vpc", "cidr": "10.1.2.0/24", "region": "r1"},
  {"id": "vpc-acq", "type": "vpc", "cidr": "10.1.2.0/24"},
  {"id": "vpc-rogue", "type": "vpc", "cidr": "10.1.3.0/25", "region": "r1"},
  {"id": "vpc-dc", "type": "vpc", "cidr": "10.200.5.0/24"},
  {"id": "vpc-ignored", "type": "vpc", "cidr": "10.1.0.0/16"},
  {"id": "subnet-ign", "type": "subnet", "cidr": "10.1.0.0/28", "vpc_id": "vpc-ignored"},
  {"id": "vpc-free", "type": "vpc", "cidr": "10.50.0.0/16", "name": "legacy \"blue\" \\ zoë\ttab"},
  {"id": "subnet-x", "type": "subnet", "cidr": "10.50.0.0/24", "vpc_id": "vpc-elsewhere"},
  {"id": "vpc-v6", "type": "vpc", "cidr": "2001:db8::/56"},
  {"id": "vpc-masked", "type": "vpc", "cidr": "10.9.XXXX.0/24"}
]}"#;

/// A work directory with the plan applied and the inventory written.
fn applied(name: &str) -> PathBuf {
    let dir = workdir(name);
    fs::create_dir_all(dir.join("plan")).expect("plan dir");
    fs::write(dir.join("plan/main.toml"), PLAN).expect("plan");
    fs::write(dir.join("inventory.json"), INVENTORY).expect("inventory");
    let out = ipam(&dir, &["apply", "plan", "--auto-approve"]);
    assert!(out.status.success(), "apply: {}", text(&out));
    dir
}

/// Runs `audit --json` and checks it parses as the documented shape.
fn audit_json(dir: &Path, extra: &[&str]) -> (Output, String) {
    let mut args = vec!["audit", "plan", "--json"];
    args.extend_from_slice(extra);
    let out = ipam(dir, &args);
    let json = stdout(&out);
    (out, json)
}

fn parse(json: &str) -> AuditDocument<'_> {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("audit JSON: {e}\n{json}"))
}

fn row<'d>(doc: &'d AuditDocument, id: &str, cidr: &str) -> &'d ResourceJson<'d> {
    doc.resources
        .iter()
        .find(|r| r.id == id && r.cidr.to_string() == cidr)
        .unwrap_or_else(|| panic!("no row {id} {cidr}"))
}

fn statuses(r: &ResourceJson) -> (String, String, String) {
    let json = serde_json::to_value(r).expect("row");
    let s = |k: &str| json[k].as_str().unwrap_or_default().to_string();
    (s("management"), s("compliance"), s("overlap"))
}

fn with(r: &ResourceJson) -> Vec<String> {
    r.overlaps_with.iter().map(|s| s.to_string()).collect()
}
