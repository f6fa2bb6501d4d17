//! `ipam audit` at the command line (SPEC §8, §11): a plan is applied in a work directory
//! of its own, then audited against hand-made inventories whose every row has a known
//! answer: managed and compliant, noncompliant for each reason, identical and nested
//! overlaps, a subnet in its own VPC (no overlap), a recorded allocation missing from the
//! inventory and a reservation as overlap partners, ignored IDs, scopes kept apart, IP
//! usage. Also: every output format, `--fail-on`, determinism, and broken inputs.
//!
//! JSON output is read back as [`AuditDocument`], whose fields deny unknown keys, so the
//! document and its schema cannot drift apart.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use common::{ipam, text};
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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
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

#[test]
fn statuses_of_every_case() {
    let dir = applied("statuses");
    let (out, json) = audit_json(&dir, &["--inventory", "inventory.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc = parse(&json);
    assert_eq!(doc.format_version, "1.0");
    // One resource per line, each exactly as its documented type serializes.
    let lines: Vec<&str> = json.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "  \"resources\": [")
        .expect("resources")
        + 1;
    for (line, r) in lines[start..].iter().zip(&doc.resources) {
        let line = line.trim_start().trim_end_matches(',');
        assert_eq!(line, serde_json::to_string(r).expect("row"));
    }
    assert_eq!(
        row(&doc, "vpc-free", "10.50.0.0/16").name.as_deref(),
        Some("legacy \"blue\" \\ zoë\ttab")
    );
    let st = |id: &str, cidr: &str| statuses(row(&doc, id, cidr));
    let triple = |m: &str, c: &str, o: &str| (m.to_string(), c.to_string(), o.to_string());

    // Managed and compliant; its subnet inside it is no overlap.
    let a = row(&doc, "vpc-a", "10.1.0.0/24");
    assert_eq!(
        statuses(a),
        triple("managed", "compliant", "nonoverlapping")
    );
    assert_eq!(a.address.as_deref(), Some("vpc.a"));
    assert_eq!(a.pool.as_deref(), Some("team"));
    assert_eq!(a.ip_usage, Some(0.25));
    assert!(a.primary);
    let a2 = row(&doc, "vpc-a", "10.1.1.0/24");
    assert_eq!(
        statuses(a2),
        triple("managed", "compliant", "nonoverlapping")
    );
    assert!(!a2.primary);
    assert_eq!(a2.ip_usage, Some(0.0));
    let s1 = row(&doc, "subnet-s1", "10.1.0.0/26");
    assert_eq!(
        statuses(s1),
        triple("managed", "compliant", "nonoverlapping")
    );
    assert_eq!(s1.address.as_deref(), Some("vpc.a.subnet.s1"));
    assert_eq!(s1.ip_usage, Some(10.0 / 59.0));
    assert_eq!(s1.vpc_id.as_deref(), Some("vpc-a"));

    // Held by the lowest ID (the record has no resource_id), noncompliant for three
    // reasons, and overlapping the identical unmanaged VPC, but not the one in `acq`.
    let b = row(&doc, "vpc-b", "10.1.2.0/24");
    assert_eq!(
        statuses(b),
        triple("managed", "noncompliant", "overlapping")
    );
    assert_eq!(b.reasons.len(), 3, "{:?}", b.reasons);
    let reasons = b.reasons.join("\n");
    assert!(reasons.contains("tag env is \"dev\""), "{reasons}");
    assert!(reasons.contains("in region r2"), "{reasons}");
    assert!(reasons.contains("account 100000000003"), "{reasons}");
    assert_eq!(with(b), ["vpc-dup"]);
    assert_eq!(
        st("vpc-dup", "10.1.2.0/24"),
        triple("unmanaged", "unmanaged", "overlapping")
    );
    assert_eq!(with(row(&doc, "vpc-dup", "10.1.2.0/24")), ["vpc-b"]);
    let acq = row(&doc, "vpc-acq", "10.1.2.0/24");
    assert_eq!(
        statuses(acq),
        triple("managed", "compliant", "nonoverlapping")
    );
    assert_eq!(acq.scope, "acq");

    // Recorded allocations no row holds, and reservations, are overlap partners.
    assert_eq!(with(row(&doc, "vpc-rogue", "10.1.3.0/25")), ["vpc.c"]);
    assert_eq!(
        with(row(&doc, "vpc-dc", "10.200.5.0/24")),
        ["reservation.dc"]
    );

    // Ignored: all three statuses, and nobody overlaps them.
    for (id, cidr) in [
        ("vpc-ignored", "10.1.0.0/16"),
        ("subnet-ign", "10.1.0.0/28"),
    ] {
        assert_eq!(st(id, cidr), triple("ignored", "ignored", "ignored"));
    }
    assert!(doc.resources.iter().all(|r| {
        !r.overlaps_with
            .iter()
            .any(|o| o.contains("ignored") || o == "subnet-ign")
    }));

    // A subnet of another VPC inside a VPC is an overlap; usage of a VPC with none is 0.
    let free = row(&doc, "vpc-free", "10.50.0.0/16");
    assert_eq!(
        statuses(free),
        triple("unmanaged", "unmanaged", "overlapping")
    );
    assert_eq!(with(free), ["subnet-x"]);
    assert_eq!(free.ip_usage, Some(0.0));
    assert_eq!(row(&doc, "subnet-x", "10.50.0.0/24").ip_usage, None);

    // IPv6 outside any pool goes to the public scope.
    assert_eq!(row(&doc, "vpc-v6", "2001:db8::/56").scope, "public");

    // The masked CIDR is skipped, with its file and reason.
    assert_eq!(doc.skipped.len(), 1);
    assert!(doc.skipped[0].source.contains("vpc-masked"));
    assert!(
        doc.skipped[0].reason.contains("masked"),
        "{}",
        doc.skipped[0].reason
    );

    let s = doc.summary;
    assert_eq!(
        (
            s.resources,
            s.managed,
            s.unmanaged,
            s.ignored,
            s.noncompliant,
            s.skipped
        ),
        (13, 5, 6, 2, 1, 1)
    );
    assert_eq!(s.overlapping, 6);

    // Rows are sorted by CIDR, VPCs before subnets, then ID.
    let keys: Vec<(ipam::addr::Prefix, String, String)> = doc
        .resources
        .iter()
        .map(|r| (r.cidr, r.kind.to_string(), r.id.to_string()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|x, y| (x.0, x.1 == "subnet", &x.2).cmp(&(y.0, y.1 == "subnet", &y.2)));
    assert_eq!(keys, sorted);
}

/// Findings exit 3 (the audit ran and found what it was asked to fail on); an audit that
/// cannot run exits 1.
#[test]
fn fail_on_exits_three_only_for_what_it_names() {
    let dir = applied("fail-on");
    let audit = |extra: &[&str]| {
        let mut args = vec!["audit", "plan", "--inventory", "inventory.json"];
        args.extend_from_slice(extra);
        ipam(&dir, &args)
    };
    assert_eq!(audit(&[]).status.code(), Some(0));
    let out = audit(&["--fail-on", "overlap"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("6 overlapping (--fail-on overlap)"),
        "{}",
        text(&out)
    );
    let out = audit(&["--fail-on", "noncompliant,unmanaged"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 noncompliant") && err.contains("6 unmanaged"),
        "{err}"
    );
    // The report is printed all the same.
    assert!(stdout(&out).contains("Audit: 13 resource CIDRs"));

    // An inventory of only what the plan manages passes every check.
    let clean = r#"{"format": "ipam-inventory", "format_version": 1, "resources": [
      {"id": "vpc-a", "type": "vpc", "cidr": "10.1.0.0/24", "region": "r1", "tags": {"env": "prod"}},
      {"id": "subnet-s1", "type": "subnet", "cidr": "10.1.0.0/26", "vpc_id": "vpc-a"}
    ]}"#;
    fs::write(dir.join("clean.json"), clean).expect("clean");
    let out = ipam(
        &dir,
        &[
            "audit",
            "plan",
            "--inventory",
            "clean.json",
            "--fail-on",
            "overlap,noncompliant,unmanaged",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ipam(
        &dir,
        &[
            "audit",
            "plan",
            "--inventory",
            "clean.json",
            "--fail-on",
            "sometimes",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("overlap"), "{}", text(&out));
}

#[test]
fn text_and_markdown_show_every_row_and_the_summary() {
    let dir = applied("human");
    let out = ipam(&dir, &["audit", "plan", "--inventory", "inventory.json"]);
    let table = stdout(&out);
    let header = table.lines().next().expect("header");
    for column in [
        "CIDR",
        "TYPE",
        "ID",
        "REGION",
        "ACCOUNT",
        "MANAGEMENT",
        "COMPLIANCE",
        "OVERLAP",
        "IP USAGE",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert!(table.contains("↳ overlaps vpc-dup"), "{table}");
    assert!(table.contains("↳ tag env is \"dev\""), "{table}");
    assert!(table.contains(
        "Audit: 13 resource CIDRs: 5 managed, 6 unmanaged, 2 ignored; 4 compliant, 1 noncompliant; 6 overlapping. 1 inventory entry skipped."
    ), "{table}");
    assert!(
        table.contains("Skipped inventory entries:\n  inventory.json: vpc-masked"),
        "{table}"
    );
    // Rows of the table are in CIDR order: 10.1.0.0/16 before 10.1.0.0/24 before 10.50.
    let pos = |s: &str| table.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(pos("10.1.0.0/16 ") < pos("10.1.0.0/24 "));
    assert!(pos("10.1.0.0/24 ") < pos("10.50.0.0/16 "));
    assert!(pos("10.200.5.0/24 ") < pos("2001:db8::/56 "));

    let out = ipam(
        &dir,
        &[
            "audit",
            "plan",
            "--inventory",
            "inventory.json",
            "--format",
            "markdown",
        ],
    );
    let md = stdout(&out);
    assert!(md.starts_with("### ipam audit\n"), "{md}");
    assert!(md.contains("> [!WARNING]\n> Resource CIDRs that need attention: 6 overlapping, 1 noncompliant, 6 unmanaged."), "{md}");
    assert!(md.contains("| `10.1.2.0/24` | `vpc-b` vpc · r2 · 100000000003 | managed · **noncompliant** · **overlapping** · 0% used |"), "{md}");
    // Rows that need attention come first; the table is folded.
    assert!(md.find("`vpc-b`") < md.find("`vpc-a`"), "{md}");
    assert!(
        md.contains("<details><summary>13 resource CIDRs</summary>"),
        "{md}"
    );
    assert!(
        md.contains("<details><summary>1 inventory entry skipped</summary>"),
        "{md}"
    );
}

#[test]
fn output_is_deterministic_and_independent_of_file_order() {
    let dir = applied("determinism");
    let subnets = r#"{"format": "ipam-inventory", "format_version": 1, "resources": [
      {"id": "subnet-s2", "type": "subnet", "cidr": "10.1.0.64/26", "vpc_id": "vpc-a"}
    ]}"#;
    fs::write(dir.join("more.json"), subnets).expect("more");
    let run = |files: &[&str], format: &str| {
        let mut args = vec!["audit", "plan", "--format", format];
        for f in files {
            args.extend(["--inventory", f]);
        }
        stdout(&ipam(&dir, &args))
    };
    for format in ["text", "markdown", "json"] {
        let first = run(&["inventory.json", "more.json"], format);
        assert_eq!(
            first,
            run(&["inventory.json", "more.json"], format),
            "{format}"
        );
        assert_eq!(
            first,
            run(&["more.json", "inventory.json"], format),
            "{format}"
        );
    }
    let doc_text = run(&["more.json", "inventory.json"], "json");
    let doc = parse(&doc_text);
    // Two /26 subnets of a /24: half of it.
    assert_eq!(row(&doc, "vpc-a", "10.1.0.0/24").ip_usage, Some(0.5));
}

#[test]
fn every_inventory_format_gives_the_same_statuses() {
    let dir = applied("formats");
    let csv = "id,type,cidr,region,account,vpc_id,zone,used,total,tags\n\
               vpc-a,vpc,10.1.0.0/24,r1,100000000001,,,,,env=prod\n\
               vpc-b,vpc,10.1.2.0/24,r2,100000000003,,,,,env=dev\n\
               subnet-s1,subnet,10.1.0.0/26,r1,,vpc-a,r1-a,10,59,\n";
    let aws_vpcs = r#"{"Vpcs": [
      {"VpcId": "vpc-a", "OwnerId": "100000000001", "CidrBlock": "10.1.0.0/24", "Region": "r1",
       "Tags": [{"Key": "env", "Value": "prod"}]},
      {"VpcId": "vpc-b", "OwnerId": "100000000003", "CidrBlock": "10.1.2.0/24", "Region": "r2",
       "Tags": [{"Key": "env", "Value": "dev"}]}
    ]}"#;
    let alibaba_vpcs = r#"{"Vpcs": {"Vpc": [
      {"VpcId": "vpc-a", "OwnerId": 100000000001, "CidrBlock": "10.1.0.0/24", "RegionId": "r1",
       "Tags": {"Tag": {"Key": "env", "Value": "prod"}}},
      {"VpcId": "vpc-b", "OwnerId": 100000000003, "CidrBlock": "10.1.2.0/24", "RegionId": "r2",
       "Tags": {"Tag": [{"Key": "env", "Value": "dev"}]}}
    ]}}"#;
    let terraform = r#"{"version": 4, "terraform_version": "1.9.0", "serial": 3, "lineage": "x",
      "outputs": {}, "resources": [
      {"mode": "managed", "type": "alicloud_vpc", "name": "a", "provider": "provider[\"registry.terraform.io/aliyun/alicloud\"]",
       "instances": [{"attributes": {"id": "vpc-a", "cidr_block": "10.1.0.0/24", "tags": {"env": "prod"}}}]},
      {"mode": "managed", "type": "alicloud_vpc", "name": "b", "provider": "provider[\"registry.terraform.io/aliyun/alicloud\"]",
       "instances": [{"attributes": {"id": "vpc-b", "cidr_block": "10.1.2.0/24", "tags": {"env": "dev"}}}]}
    ]}"#;
    for (file, content) in [
        ("inv.csv", csv),
        ("aws.json", aws_vpcs),
        ("alibaba.json", alibaba_vpcs),
        ("tf.json", terraform),
    ] {
        fs::write(dir.join(file), content).expect("inventory");
        let (out, json) = audit_json(&dir, &["--inventory", file]);
        assert!(out.status.success(), "{file}: {}", text(&out));
        let doc = parse(&json);
        let a = row(&doc, "vpc-a", "10.1.0.0/24");
        assert_eq!(
            a.management,
            ipam::audit::report::Management::Managed,
            "{file}"
        );
        let b = row(&doc, "vpc-b", "10.1.2.0/24");
        assert_eq!(
            b.compliance,
            ipam::audit::report::Compliance::Noncompliant,
            "{file}"
        );
        assert!(
            b.reasons.iter().any(|r| r.contains("tag env")),
            "{file}: {:?}",
            b.reasons
        );
        assert_eq!(b.source, file);
    }
}

#[test]
fn inventory_format_can_be_forced_beside_the_output_format() {
    let dir = applied("forced");
    let out = ipam(
        &dir,
        &[
            "audit",
            "plan",
            "--inventory",
            "inventory.json",
            "--format",
            "native",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    parse(&stdout(&out));
    // Forcing the wrong format is an error naming the file, not an empty audit.
    let out = ipam(
        &dir,
        &[
            "audit",
            "plan",
            "--inventory",
            "inventory.json",
            "--format",
            "aws-vpcs",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("inventory.json"), "{}", text(&out));
    // Two output formats, or two inventory formats, are refused.
    for pair in [["json", "markdown"], ["csv", "native"]] {
        let out = ipam(
            &dir,
            &[
                "audit",
                "plan",
                "--inventory",
                "inventory.json",
                "--format",
                pair[0],
                "--format",
                pair[1],
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{pair:?}");
        assert!(
            text(&out).contains("ipam::audit::arguments"),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn broken_inventories_fail_with_a_diagnostic_and_never_panic() {
    let dir = applied("broken");
    let cases: &[(&str, &str, &str)] = &[
        ("invalid.json", "{\"Vpcs\": [", "ipam::audit::json"),
        ("unknown.json", "{\"Things\": []}", "ipam::audit::format"),
        ("empty.json", "", "ipam::audit::format"),
        ("words.txt", "hello world\n", "ipam::audit::format"),
        (
            "newer.json",
            "{\"format\": \"ipam-inventory\", \"format_version\": 99, \"resources\": []}",
            "ipam::audit::version",
        ),
        (
            "no-header.csv",
            "id,type\nvpc-1,vpc\n",
            "ipam::audit::format",
        ),
    ];
    for (file, content, code) in cases {
        fs::write(dir.join(file), content).expect("write");
        let out = ipam(&dir, &["audit", "plan", "--inventory", file]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{file}: {all}");
        assert!(all.contains(code), "{file}: {all}");
        assert!(!all.contains("panicked"), "{file}: {all}");
        assert!(out.stdout.is_empty(), "{file}: no report on a failed read");
    }
    // Every broken file is reported, not only the first.
    let out = ipam(
        &dir,
        &[
            "audit",
            "plan",
            "--inventory",
            "invalid.json",
            "--inventory",
            "unknown.json",
            "--inventory",
            "nope.json",
        ],
    );
    let all = text(&out);
    assert!(
        all.contains("invalid.json") && all.contains("unknown.json") && all.contains("nope.json"),
        "{all}"
    );
    assert!(all.contains("3 errors"), "{all}");
    // No inventory at all is a usage error.
    let out = ipam(&dir, &["audit", "plan"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("--inventory"), "{}", text(&out));
    // Entry-level problems are skips: the audit runs.
    let masked = r#"{"Vpcs": [{"VpcId": "vpc-m", "CidrBlock": "10.XX.0.0/16"}, {"CidrBlock": "10.1.0.0/24"},
                    {"VpcId": "vpc-h", "CidrBlock": "10.1.0.1/24"}]}"#;
    fs::write(dir.join("masked.json"), masked).expect("write");
    let (out, json) = audit_json(&dir, &["--inventory", "masked.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc = parse(&json);
    assert!(doc.resources.is_empty());
    assert_eq!(doc.skipped.len(), 3, "{:?}", doc.skipped);
    assert!(
        doc.skipped
            .iter()
            .any(|s| s.reason.contains("did you mean 10.1.0.0/24")),
        "{:?}",
        doc.skipped
    );
}

/// With no state there is nothing to audit against: every network would read "unmanaged",
/// a report that looks like an answer. The audit refuses instead.
#[test]
fn a_plan_never_applied_is_refused() {
    let dir = workdir("unapplied");
    fs::create_dir_all(dir.join("plan")).expect("plan dir");
    fs::write(dir.join("plan/main.toml"), PLAN).expect("plan");
    fs::write(dir.join("inventory.json"), INVENTORY).expect("inventory");
    let (out, json) = audit_json(&dir, &["--inventory", "inventory.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(json.is_empty(), "{json}");
    assert!(
        text(&out).contains("ipam::state::missing"),
        "{}",
        text(&out)
    );
    assert!(
        !dir.join("plan/ipam.state.json").exists(),
        "audit never writes a state"
    );
}

#[test]
fn a_broken_plan_or_state_is_reported() {
    let dir = applied("broken-plan");
    fs::write(dir.join("plan/ipam.state.json"), "{ not json").expect("state");
    let out = ipam(&dir, &["audit", "plan", "--inventory", "inventory.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("ipam.state.json"), "{}", text(&out));
    fs::write(dir.join("plan/main.toml"), "[ipam\n").expect("plan");
    let out = ipam(&dir, &["audit", "plan", "--inventory", "inventory.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("main.toml"), "{}", text(&out));
}

/// The bundled example: the enterprise plan applied, audited against its hand-made
/// Alibaba Cloud exports and the real samples of every provider format.
#[test]
fn bundled_inventories_audit_against_the_enterprise_example() {
    let dir = workdir("enterprise");
    let plan = dir.join("enterprise");
    fs::create_dir_all(&plan).expect("dir");
    for entry in fs::read_dir("examples/enterprise").expect("example") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            fs::copy(&path, plan.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = ipam(&dir, &["apply", "enterprise", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out));
    let mut inventories: Vec<String> = fs::read_dir(root.join("examples/inventories"))
        .expect("inventories")
        .map(|e| e.expect("entry").path().display().to_string())
        .collect();
    inventories.sort();
    let mut args = vec!["audit", "enterprise", "--json"];
    for f in &inventories {
        args.extend(["--inventory", f.as_str()]);
    }
    let out = ipam(&dir, &args);
    assert!(out.status.success(), "{}", text(&out));
    let json = stdout(&out);
    let doc = parse(&json);
    // Every file contributed rows.
    for f in &inventories {
        assert!(
            doc.resources.iter().any(|r| r.source == f.as_str()),
            "nothing read from {f}"
        );
    }
    let checkout = row(&doc, "vpc-bp1k3l7x9d2m5qw8e4r6t", "10.0.0.0/20");
    assert_eq!(checkout.address.as_deref(), Some("vpc.checkout-prod"));
    assert_eq!(
        checkout.compliance,
        ipam::audit::report::Compliance::Compliant
    );
    let hub = row(&doc, "vpc-bp1h7u5b3n1m9k7j5g3f1", "10.10.0.0/22");
    assert_eq!(
        hub.compliance,
        ipam::audit::report::Compliance::Noncompliant
    );
    assert!(
        hub.reasons[0].contains("account 1760000000000999"),
        "{:?}",
        hub.reasons
    );
    let shadow = row(&doc, "vpc-bp1shadowcheckout002", "10.0.0.0/16");
    assert!(with(shadow).contains(&"reservation.card-network-hsm".to_string()));
    assert!(with(shadow).contains(&"vpc-bp1k3l7x9d2m5qw8e4r6t".to_string()));
    assert_eq!(
        doc.skipped.len(),
        1,
        "the masked IPv6 block of the Alibaba sample"
    );
}

/// A reader that stops early (`| head`) ends the audit quietly: no panic, no error report.
#[test]
fn a_closed_pipe_ends_the_report_quietly() {
    use std::io::Read as _;
    let dir = applied("pipe");
    let mut big =
        String::from(r#"{"format": "ipam-inventory", "format_version": 1, "resources": ["#);
    for i in 0..5_000 {
        if i > 0 {
            big.push(',');
        }
        big.push_str(&format!(
            r#"{{"id": "vpc-{i}", "type": "vpc", "cidr": "10.{}.{}.0/24"}}"#,
            100 + i / 256,
            i % 256
        ));
    }
    big.push_str("]}");
    fs::write(dir.join("big.json"), big).expect("big");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ipam"))
        .current_dir(&dir)
        .args(["audit", "plan", "--inventory", "big.json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 64];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    // The pipe is closed here, with most of the report unwritten.
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    // Only where the state is, as every command that reads it says.
    assert!(err.lines().all(|l| l.starts_with("State: ")), "{err}");
    assert!(!out.status.success());
}

/// Runs `ipam` in `cwd` with `input` on standard input.
fn ipam_with_input(cwd: &Path, args: &[&str], input: &[u8]) -> Output {
    assert_cmd::Command::cargo_bin("ipam")
        .expect("binary")
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("IPAM_STATE")
        .args(args)
        .write_stdin(input)
        .output()
        .expect("run ipam")
}

fn sample(name: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::read(root.join("tests/inventories/samples").join(name)).expect("sample")
}

/// `aws ec2 describe-vpcs | ipam audit --inventory -` (or `/dev/stdin`): standard input is
/// read to its end, its format detected as a file's, whatever its size.
#[test]
fn standard_input_is_an_inventory_like_a_file() {
    let dir = applied("stdin");
    let vpcs = sample("aws-describe-vpcs.json");
    for (arg, source) in [("-", "<stdin>"), ("/dev/stdin", "/dev/stdin")] {
        let out = ipam_with_input(
            &dir,
            &["audit", "plan", "--json", "--inventory", arg],
            &vpcs,
        );
        assert!(out.status.success(), "{arg}: {}", text(&out));
        let json = stdout(&out);
        let doc = parse(&json);
        assert_eq!(doc.resources.len(), 2, "{arg}");
        assert!(doc.resources.iter().all(|r| r.source == source), "{arg}");
    }
    // A native inventory larger than what a file's head is read for, and a CSV.
    let native = fs::read(dir.join("inventory.json")).expect("native");
    let mut big = native.clone();
    big.extend(std::iter::repeat_n(b' ', 10_000));
    let out = ipam_with_input(&dir, &["audit", "plan", "--json", "--inventory", "-"], &big);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(parse(&stdout(&out)).summary.resources, 13);
    let csv = b"id,type,cidr\nvpc-csv,vpc,10.60.0.0/16\n";
    let out = ipam_with_input(&dir, &["audit", "plan", "--json", "--inventory", "-"], csv);
    assert_eq!(parse(&stdout(&out)).resources[0].id, "vpc-csv");
    // Read beside files, once however often it is named.
    let out = ipam_with_input(
        &dir,
        &[
            "audit",
            "plan",
            "--json",
            "--inventory",
            "-",
            "inventory.json",
            "-",
        ],
        &vpcs,
    );
    assert_eq!(parse(&stdout(&out)).summary.resources, 15, "{}", text(&out));
    // Nothing piped in is an empty inventory, said so.
    let out = ipam_with_input(&dir, &["audit", "plan", "--inventory", "-"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("<stdin> is empty"), "{}", text(&out));
}

/// `--region` gives rows whose export has none a region: `describe-vpcs` prints none, so
/// without it `import` adopts nothing, and with it the VPC in the pool's region.
#[test]
fn region_fills_in_what_the_export_leaves_out() {
    let dir = applied("region");
    let vpcs = r#"{"Vpcs": [
      {"VpcId": "vpc-new", "OwnerId": "100000000002", "CidrBlock": "10.1.64.0/24",
       "Tags": [{"Key": "env", "Value": "prod"}]}
    ]}"#;
    fs::write(dir.join("vpcs.json"), vpcs).expect("vpcs");
    let (out, json) = audit_json(&dir, &["--inventory", "vpcs.json", "--region", "r1"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        row(&parse(&json), "vpc-new", "10.1.64.0/24")
            .region
            .as_deref(),
        Some("r1")
    );
    let (_, json) = audit_json(&dir, &["--inventory", "vpcs.json"]);
    assert_eq!(row(&parse(&json), "vpc-new", "10.1.64.0/24").region, None);
    let import = |extra: &[&str]| {
        let mut args = vec!["import", "plan", "--dry-run", "--inventory", "vpcs.json"];
        args.extend_from_slice(extra);
        stdout(&ipam(&dir, &args))
    };
    let without = import(&[]);
    assert!(without.contains("Nothing to adopt."), "{without}");
    assert!(
        without.contains("the inventory gives no region"),
        "{without}"
    );
    let with_region = import(&["--region", "r1"]);
    assert!(
        with_region.contains("+ vpc.vpc-new 10.1.64.0/24 from pool team"),
        "{with_region}"
    );
    // An export's own region wins over `--region`.
    let subnets = r#"{"Subnets": [{"SubnetId": "subnet-new", "VpcId": "vpc-new",
      "CidrBlock": "10.1.64.0/26",
      "SubnetArn": "arn:aws:ec2:r2:100000000002:subnet/subnet-new"}]}"#;
    fs::write(dir.join("subnets.json"), subnets).expect("subnets");
    let (_, json) = audit_json(
        &dir,
        &["--inventory", "vpcs.json", "subnets.json", "--region", "r1"],
    );
    let doc = parse(&json);
    assert_eq!(
        row(&doc, "vpc-new", "10.1.64.0/24").region.as_deref(),
        Some("r2")
    );
}

/// Networks of other clouds and another IPAM's prefixes are rows of their own kinds: a
/// Terraform state's Azure virtual network on the plan's space overlaps it (and fails
/// `--fail-on overlap`); inside a reservation, which keeps space for such networks, it is
/// held by it; NetBox's nested prefixes do not overlap each other.
#[test]
fn networks_outside_the_plans_clouds_are_audited_for_overlaps() {
    let dir = applied("other-clouds");
    let state = r#"{"version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "x",
      "resources": [
        {"mode": "managed", "type": "azurerm_virtual_network", "name": "hub", "instances": [
          {"attributes": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub",
           "address_space": ["10.1.0.0/16"], "location": "northeurope", "name": "hub",
           "subnet": [{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub/subnets/a",
                       "name": "a", "address_prefixes": ["10.1.7.0/24"]}]}}]},
        {"mode": "managed", "type": "azurerm_virtual_network", "name": "dc", "instances": [
          {"attributes": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/dc",
           "address_space": ["10.200.5.0/24"], "location": "northeurope", "name": "dc"}}]},
        {"mode": "managed", "type": "azurerm_network_security_group", "name": "nsg", "instances": [
          {"attributes": {"id": "nsg"}}]}
      ]}"#;
    fs::write(dir.join("azure.json"), state).expect("state");
    let netbox =
        "vrf,prefix,status\n,10.1.0.0/16,active\n,10.1.2.0/24,active\n,10.200.0.0/16,reserved\n";
    fs::write(dir.join("netbox.csv"), netbox).expect("netbox");
    let (out, json) = audit_json(
        &dir,
        &[
            "--inventory",
            "azure.json",
            "netbox.csv",
            "--fail-on",
            "overlap",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let doc = parse(&json);
    let hub = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub";
    let vnet = row(&doc, hub, "10.1.0.0/16");
    assert_eq!(vnet.kind, ipam::audit::Kind::AzureVnet);
    assert_eq!(
        statuses(vnet),
        ("unmanaged".into(), "unmanaged".into(), "overlapping".into())
    );
    // Its own subnet is not an overlap; the plan's VPCs and the NetBox prefixes are.
    assert_eq!(
        with(vnet),
        ["10.1.0.0/16", "10.1.2.0/24", "vpc.a", "vpc.b", "vpc.c"]
    );
    let subnet = row(&doc, &format!("{hub}/subnets/a"), "10.1.7.0/24");
    assert_eq!(subnet.kind, ipam::audit::Kind::AzureSubnet);
    assert_eq!(with(subnet), ["10.1.0.0/16"]);
    // NetBox's prefixes nest without overlapping each other.
    assert_eq!(
        with(row(&doc, "10.1.2.0/24", "10.1.2.0/24")),
        [hub, "vpc.b"]
    );
    // Inside the reservation `dc`: held by it, compliant, not overlapping it (but each
    // other: NetBox says the whole /16 is the data centre's, and the Azure network is in it).
    let dc = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/dc";
    for (id, cidr, other) in [
        (dc, "10.200.5.0/24", "10.200.0.0/16"),
        ("10.200.0.0/16", "10.200.0.0/16", dc),
    ] {
        let r = row(&doc, id, cidr);
        assert_eq!(
            (r.management, r.compliance),
            (
                ipam::audit::report::Management::Managed,
                ipam::audit::report::Compliance::Compliant
            ),
            "{id}"
        );
        assert_eq!(r.address.as_deref(), Some("reservation.dc"), "{id}");
        assert_eq!(r.pool.as_deref(), Some("corp"), "{id}");
        assert_eq!(with(r), [other], "{id}");
    }
    // The resource type the tool does not read is listed, with its type.
    assert!(
        doc.skipped.iter().any(
            |s| s.source == "azure.json: azurerm_network_security_group.nsg"
                && s.reason.contains("azurerm_network_security_group")
        ),
        "{:?}",
        doc.skipped
    );
    let table = stdout(&ipam(&dir, &["audit", "plan", "--inventory", "azure.json"]));
    assert!(table.contains("azure-vnet"), "{table}");
}

/// The same rows as one file or split over two give the same audit and the same import: a
/// VPC's blocks in two files have one primary, as in one file.
#[test]
fn one_file_or_two_give_the_same_report() {
    let dir = applied("split");
    let header = "id,type,cidr,region,account,tags\n";
    let first = "vpc-split,vpc,10.1.65.0/24,r1,100000000002,env=prod\n";
    let second = "vpc-split,vpc,10.1.64.0/24,r1,100000000002,env=prod\n";
    fs::write(dir.join("one.csv"), format!("{header}{first}{second}")).expect("one");
    fs::write(dir.join("a.csv"), format!("{header}{first}")).expect("a");
    fs::write(dir.join("b.csv"), format!("{header}{second}")).expect("b");
    let strip = |json: &str| -> Vec<serde_json::Value> {
        let doc: serde_json::Value = serde_json::from_str(json).expect("json");
        doc["resources"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r["source"] = serde_json::Value::Null;
                r
            })
            .collect()
    };
    let (_, one) = audit_json(&dir, &["--inventory", "one.csv"]);
    let (_, two) = audit_json(&dir, &["--inventory", "a.csv", "b.csv"]);
    assert_eq!(strip(&one), strip(&two));
    let doc = parse(&one);
    // The first block read is the primary one, in both.
    assert!(row(&doc, "vpc-split", "10.1.65.0/24").primary);
    assert!(!row(&doc, "vpc-split", "10.1.64.0/24").primary);
    let adopted = |files: &[&str]| {
        let mut args = vec!["import", "plan", "--dry-run", "--inventory"];
        args.extend_from_slice(files);
        let out = stdout(&ipam(&dir, &args));
        out.lines()
            .filter(|l| {
                l.starts_with("  + ") || l.starts_with("cidr = ") || l.starts_with("secondary")
            })
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let from_one = adopted(&["one.csv"]);
    assert!(
        from_one
            .contains(&"  + vpc.vpc-split 10.1.65.0/24 from pool team (1 secondary)".to_string()),
        "{from_one:?}"
    );
    assert_eq!(from_one, adopted(&["a.csv", "b.csv"]));
}

/// Every account's default VPC is 172.31.0.0/16: twenty thousand of them make four hundred
/// million overlapping pairs. Each row lists its first 10 and counts the rest, in memory
/// linear in rows (held here under an address-space limit the pair lists would pass many
/// times over).
#[test]
fn twenty_thousand_default_vpcs_audit_in_bounded_memory() {
    let dir = applied("default-vpcs");
    let mut inventory =
        String::from(r#"{"format": "ipam-inventory", "format_version": 1, "resources": ["#);
    for i in 0..20_000 {
        if i > 0 {
            inventory.push(',');
        }
        inventory.push_str(&format!(
            r#"{{"id": "vpc-{i:05}", "type": "vpc", "cidr": "172.31.0.0/16", "account": "{}"}}"#,
            100_000_000_000u64 + i
        ));
    }
    inventory.push_str("]}");
    fs::write(dir.join("default.json"), inventory).expect("inventory");
    let limited = |extra: &[&str]| {
        let mut args = vec![
            "-c",
            "ulimit -v 3000000 && exec \"$0\" \"$@\"",
            assert_cmd::cargo::cargo_bin("ipam")
                .to_str()
                .expect("path")
                .to_string()
                .leak(),
            "audit",
            "plan",
            "--inventory",
            "default.json",
        ];
        args.extend_from_slice(extra);
        std::process::Command::new("sh")
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .args(&args)
            .output()
            .expect("run")
    };
    let out = limited(&["--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let json = stdout(&out);
    let doc = parse(&json);
    assert_eq!(doc.summary.overlapping, 20_000);
    let first = row(&doc, "vpc-00000", "172.31.0.0/16");
    let listed: Vec<String> = (1..=10).map(|i| format!("vpc-{i:05}")).collect();
    assert_eq!(with(first), listed);
    assert_eq!(first.overlaps_more, 19_989);
    let last = row(&doc, "vpc-19999", "172.31.0.0/16");
    let listed: Vec<String> = (0..10).map(|i| format!("vpc-{i:05}")).collect();
    assert_eq!(with(last), listed);
    assert_eq!(last.overlaps_more, 19_989);
    // One line a row, each short, and as its documented type writes it.
    assert!(json.lines().all(|l| l.len() < 1_000));
    let line = json
        .lines()
        .find(|l| l.contains("\"vpc-00000\""))
        .expect("line");
    assert_eq!(
        line.trim().trim_end_matches(','),
        serde_json::to_string(first).expect("row")
    );
    let out = limited(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains(
            "↳ overlaps vpc-00001, vpc-00002, vpc-00003, vpc-00004, vpc-00005 and 19994 more"
        ),
        "{}",
        &stdout(&out)[..2_000]
    );
}

/// A field of 200,000 characters is cut to the table's column width with an ellipsis (the
/// table pads every row to its widest cell); JSON keeps it whole.
#[test]
fn a_huge_field_does_not_widen_every_row_of_the_table() {
    let dir = applied("huge-field");
    let long = format!("vpc-{}end", "x".repeat(200_000));
    let mut inventory = format!(
        r#"{{"format": "ipam-inventory", "format_version": 1, "resources": [{{"id": "{long}", "type": "vpc", "cidr": "10.99.0.0/16", "account": "{long}"}}"#
    );
    for i in 0..20_000 {
        inventory.push_str(&format!(
            r#",{{"id": "vpc-{i}", "type": "vpc", "cidr": "10.{}.{}.0/24"}}"#,
            100 + i / 256,
            i % 256
        ));
    }
    inventory.push_str("]}");
    fs::write(dir.join("huge.json"), inventory).expect("inventory");
    let out = ipam(&dir, &["audit", "plan", "--inventory", "huge.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let table = stdout(&out);
    assert!(
        table.lines().all(|l| l.chars().count() < 300),
        "a line is too wide"
    );
    let huge = table
        .lines()
        .find(|l| l.contains("10.99.0.0/16"))
        .expect("the row");
    assert!(
        huge.contains("vpc-xxxxxxxxxxxxxxxxxxxxxxxxx…xxxxxxxxxxxxxxxxxxxxxxxxxxxend"),
        "{huge}"
    );
    let (_, json) = audit_json(&dir, &["--inventory", "huge.json"]);
    assert_eq!(row(&parse(&json), &long, "10.99.0.0/16").id, long.as_str());
}
