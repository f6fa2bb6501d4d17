//! Outputs for other tools (SPEC §17): `ipam output --format json|flat|tfvars-json|csv`,
//! each in the shape its consumer needs: Terraform's `external` data source takes one JSON
//! object of strings (`flat`); a variable file sets `variable "ipam" { type = map(string) }`
//! (`tfvars-json`); a spreadsheet takes RFC 4180 CSV with a header.

use std::fs;
use std::path::PathBuf;

mod common;

use common::{ipam, text};
use serde_json::Value;

fn applied(name: &str) -> PathBuf {
    let w = common::workdir("outputs", name);
    let plan = w.join("plan");
    fs::create_dir_all(&plan).expect("plan");
    fs::write(
        plan.join("ipam.toml"),
        r#"[ipam]
name = "t"
regions = ["r1"]
owner = "net"

[accounts]
net = "100000000001"

[pools.corp]
cidrs = ["10.0.0.0/16", "10.1.0.0/16"]
region = "r1"

[pools.v6]
cidrs = ["2001:db8::/48"]

[vpcs.app]
pool = "corp"
netmask = 20
secondary = [{ pool = "corp", netmask = 22 }]
ipv6 = { pool = "v6", netmask = 56 }
subnets.a = { netmask = 24, zone = "r1a" }

[reservations.dc]
pool = "corp"
cidr = "10.1.0.0/20"
"#,
    )
    .expect("plan");
    let out = ipam(&w, &["apply", "plan", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out));
    w
}

fn output(w: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["output", "plan"];
    all.extend(args);
    let out = ipam(w, &all);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn flat_is_one_object_of_strings() {
    let w = applied("flat");
    let v: Value = serde_json::from_str(&output(&w, &["--format", "flat"])).expect("JSON");
    let map = v.as_object().expect("an object");
    assert!(map.values().all(Value::is_string), "{v}");
    assert_eq!(map["pool.corp"], "10.0.0.0/16,10.1.0.0/16");
    assert_eq!(map["vpc.app"], "10.0.0.0/20");
    assert_eq!(map["vpc.app.secondary"], "10.0.16.0/22");
    assert_eq!(map["vpc.app.ipv6"], "2001:db8::/56");
    assert_eq!(map["vpc.app.subnet.a"], "10.0.0.0/24");
    assert_eq!(map["reservation.dc"], "10.1.0.0/20");
    // One name: an object with that one key, still what `external` accepts.
    let one: Value =
        serde_json::from_str(&output(&w, &["vpc.app", "--format", "flat"])).expect("JSON");
    assert_eq!(one, serde_json::json!({"vpc.app": "10.0.0.0/20"}));
}

#[test]
fn tfvars_json_sets_a_map_of_strings() {
    let w = applied("tfvars");
    let v: Value = serde_json::from_str(&output(&w, &["--format", "tfvars-json"])).expect("JSON");
    let top = v.as_object().expect("an object");
    assert_eq!(top.keys().collect::<Vec<_>>(), ["ipam"]);
    let map = top["ipam"].as_object().expect("ipam is a map");
    assert!(map.values().all(Value::is_string), "{v}");
    assert_eq!(map["vpc.app"], "10.0.0.0/20");
}

#[test]
fn csv_has_a_header_and_a_row_per_block() {
    let w = applied("csv");
    let csv = output(&w, &["--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "address,kind,cidr,pool,region,owner");
    assert_eq!(
        &lines[1..],
        [
            "pool.corp,pool,10.0.0.0/16,,r1,",
            "pool.corp,pool,10.1.0.0/16,,r1,",
            "pool.v6,pool,2001:db8::/48,,,",
            "reservation.dc,reservation,10.1.0.0/20,corp,,",
            "vpc.app,vpc,10.0.0.0/20,corp,r1,net",
            "vpc.app.ipv6,vpc-ipv6,2001:db8::/56,v6,r1,net",
            "vpc.app.secondary,vpc-secondary,10.0.16.0/22,corp,r1,net",
            "vpc.app.subnet.a,subnet,10.0.0.0/24,corp,r1,net",
        ]
    );
    let one = output(&w, &["pool.corp", "--format", "csv"]);
    assert_eq!(one.lines().count(), 3, "{one}");
}

#[test]
fn json_and_text_are_as_before_and_unknown_names_are_refused() {
    let w = applied("json");
    let v: Value = serde_json::from_str(&output(&w, &["--json"])).expect("JSON");
    assert_eq!(v["format_version"], "1.0");
    assert_eq!(
        v["outputs"]["pool.corp"],
        serde_json::json!(["10.0.0.0/16", "10.1.0.0/16"])
    );
    assert_eq!(output(&w, &["vpc.app"]), "10.0.0.0/20\n");
    let out = ipam(&w, &["output", "plan", "vpc.ap", "--format", "flat"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("did you mean `vpc.app`?"),
        "{}",
        text(&out)
    );
}
