//! What the audit reads: every inventory format gives the same statuses, a format forced
//! beside the output format, the bundled example inventories, standard input read like a
//! file, `--region` for exports without one, and rows split over two files.

use std::fs;
use std::path::Path;
use std::process::Output;

use super::common::{ipam, stdout, text};
use super::{applied, audit_json, parse, row, with, workdir};

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
