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
//! for 100,000 and 1,000,000 resource CIDRs, so growth can be read off. Then the same
//! 1,000,000 CIDRs in each other format family (`audit --json`): an AWS IPAM listing,
//! `terraform show -json` (in modules of 1,000 VPCs), `az network vnet list`, `gcloud compute
//! networks subnets list` (each subnetwork a /24 with nine secondary ranges) and NetBox pages
//! of 1,000 prefixes, one after another in one file. Then the default-VPC case: N accounts
//! whose default VPCs are all 172.31.0.0/16, each with three default /20 subnets (every VPC
//! overlaps every other). Then `plan --inventory` around the 1,000,000-CIDR inventory, with
//! nothing new and with one new VPC, beside `plan` alone. Each is the real binary, timed from spawn to exit, with its peak
//! resident memory from GNU time; each case is run `common::RUNS` times and the median
//! printed. Then one audit in process, phase by phase.

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

/// One VPC of the inventories: its ID number, CIDR octets, region, account, and its subnets'
/// last octets (/28s).
struct Vpc {
    v: usize,
    net: (usize, usize, usize),
    region: &'static str,
    account: String,
}

/// The VPCs of every generated inventory, as [`inventory`] lays them out.
fn vpcs(n: usize) -> impl Iterator<Item = Vpc> {
    let regions = ["r1", "r2", "r3"];
    (0..n).map(move |v| {
        let net = if v % 1_000 == 999 { v - 500 } else { v };
        Vpc {
            v,
            net: vpc_net(net),
            region: if v < RECORDED { "r1" } else { regions[v % 3] },
            account: format!("1000000000{:02}", v % 20),
        }
    })
}

/// Writes `items` as one JSON list, `open` before and `close` after.
fn write_list(file: &Path, open: &str, close: &str, items: impl Iterator<Item = String>) {
    let mut out = std::io::BufWriter::new(fs::File::create(file).expect("inventory"));
    let _ = out.write_all(open.as_bytes());
    for (i, item) in items.enumerate() {
        let _ = out.write_all(if i == 0 { b"\n" } else { b",\n" });
        let _ = out.write_all(item.as_bytes());
    }
    let _ = out.write_all(close.as_bytes());
}

/// Writes an inventory of `n` VPCs' CIDRs in one format.
type Writer = fn(&Path, usize);

/// `aws ec2 get-ipam-discovered-resource-cidrs` output.
fn aws_ipam(file: &Path, n: usize) {
    let items = vpcs(n).flat_map(|p| {
        let (a, b, c) = p.net;
        let item = |id: String, kind: &str, cidr: String| {
            format!(
                r#"{{"IpamResourceDiscoveryId": "ipam-res-disco-0365d2977fc1672fe", "ResourceRegion": "{}", "ResourceId": "{id}", "ResourceOwnerId": "{}", "ResourceCidr": "{cidr}", "ResourceType": "{kind}", "ResourceTags": [{{"Key": "env", "Value": "prod"}}], "IpUsage": 0.25, "VpcId": "vpc-{:08}", "SampleTime": "2024-02-09T19:15:16.529000+00:00"}}"#,
                p.region, p.account, p.v
            )
        };
        std::iter::once(item(format!("vpc-{:08}", p.v), "vpc", format!("{a}.{b}.{c}.0/24")))
            .chain((0..SUBNETS).map(move |s| {
                item(format!("subnet-{:08}{s}", p.v), "subnet", format!("{a}.{b}.{c}.{}/28", s * 16))
            }))
            .collect::<Vec<_>>()
    });
    write_list(file, "{\"IpamDiscoveredResourceCidrs\": [", "\n]}\n", items);
}

/// `terraform show -json` of a state, a child module per 1,000 VPCs.
fn terraform_show(file: &Path, n: usize) {
    let all: Vec<Vpc> = vpcs(n).collect();
    let modules = all.chunks(1_000).enumerate().map(|(m, chunk)| {
        let resources: Vec<String> = chunk
            .iter()
            .flat_map(|p| {
                let (a, b, c) = p.net;
                let vpc = format!(
                    r#"{{"address": "module.m{m}.aws_vpc.v{v}", "mode": "managed", "type": "aws_vpc", "name": "v{v}", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 1, "values": {{"arn": "arn:aws:ec2:{r}:{acct}:vpc/vpc-{v:08}", "cidr_block": "{a}.{b}.{c}.0/24", "id": "vpc-{v:08}", "owner_id": "{acct}", "tags": {{"env": "prod"}}, "tags_all": {{"env": "prod"}}}}}}"#,
                    v = p.v,
                    r = p.region,
                    acct = p.account
                );
                std::iter::once(vpc).chain((0..SUBNETS).map(move |s| {
                    format!(
                        r#"{{"address": "module.m{m}.aws_subnet.s{v}_{s}", "mode": "managed", "type": "aws_subnet", "name": "s{v}_{s}", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 1, "values": {{"arn": "arn:aws:ec2:{r}:{acct}:subnet/subnet-{v:08}{s}", "availability_zone": "{r}a", "cidr_block": "{a}.{b}.{c}.{o}/28", "id": "subnet-{v:08}{s}", "vpc_id": "vpc-{v:08}"}}}}"#,
                        v = p.v,
                        r = p.region,
                        acct = p.account,
                        o = s * 16
                    )
                }))
                .collect::<Vec<_>>()
            })
            .collect();
        format!(
            "{{\"address\": \"module.m{m}\", \"resources\": [\n{}\n]}}",
            resources.join(",\n")
        )
    });
    write_list(
        file,
        "{\"format_version\": \"1.0\", \"terraform_version\": \"1.9.5\", \"values\": {\"root_module\": {\"child_modules\": [",
        "\n]}}}\n",
        modules,
    );
}

/// `az network vnet list`: a virtual network per VPC with its nine subnets.
fn azure(file: &Path, n: usize) {
    let items = vpcs(n).map(|p| {
        let (a, b, c) = p.net;
        let id = format!(
            "/subscriptions/00000000-0000-0000-0000-0000000000{:02}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-{}",
            p.v % 20,
            p.v
        );
        let subnets: Vec<String> = (0..SUBNETS)
            .map(|s| {
                format!(
                    r#"{{"addressPrefix": "{a}.{b}.{c}.{}/28", "id": "{id}/subnets/s{s}", "name": "s{s}", "provisioningState": "Succeeded", "type": "Microsoft.Network/virtualNetworks/subnets"}}"#,
                    s * 16
                )
            })
            .collect();
        format!(
            r#"{{"addressSpace": {{"addressPrefixes": ["{a}.{b}.{c}.0/24"]}}, "id": "{id}", "location": "{}", "name": "vnet-{}", "provisioningState": "Succeeded", "subnets": [{}], "tags": {{"env": "prod"}}, "type": "Microsoft.Network/virtualNetworks"}}"#,
            p.region,
            p.v,
            subnets.join(", ")
        )
    });
    write_list(file, "[", "\n]\n", items);
}

/// `gcloud compute networks subnets list --format=json`: a subnetwork per VPC, its /24 and
/// nine secondary /28s.
fn gcp(file: &Path, n: usize) {
    let items = vpcs(n).map(|p| {
        let (a, b, c) = p.net;
        let secondary: Vec<String> = (0..SUBNETS)
            .map(|s| format!(r#"{{"ipCidrRange": "{a}.{b}.{c}.{}/28", "rangeName": "r{s}"}}"#, s * 16))
            .collect();
        let base = "https://www.googleapis.com/compute/v1/projects/acme";
        format!(
            r#"{{"creationTimestamp": "2023-05-15T19:30:04.959-07:00", "gatewayAddress": "{a}.{b}.{c}.1", "id": "{}", "ipCidrRange": "{a}.{b}.{c}.0/24", "kind": "compute#subnetwork", "name": "s{}", "network": "{base}/global/networks/n{}", "purpose": "PRIVATE", "region": "{base}/regions/{r}", "secondaryIpRanges": [{}], "selfLink": "{base}/regions/{r}/subnetworks/s{}", "stackType": "IPV4_ONLY"}}"#,
            4_940_901_015_761_146_947u64 + p.v as u64,
            p.v,
            p.v % 100,
            secondary.join(", "),
            p.v,
            r = p.region
        )
    });
    write_list(file, "[", "\n]\n", items);
}

/// NetBox prefixes: pages of 1,000 results, one after another.
fn netbox(file: &Path, n: usize) {
    let mut out = std::io::BufWriter::new(fs::File::create(file).expect("inventory"));
    let prefixes: Vec<String> = vpcs(n)
        .flat_map(|p| {
            let (a, b, c) = p.net;
            std::iter::once(format!("{a}.{b}.{c}.0/24"))
                .chain((0..SUBNETS).map(move |s| format!("{a}.{b}.{c}.{}/28", s * 16)))
                .collect::<Vec<_>>()
        })
        .collect();
    for (page, chunk) in prefixes.chunks(1_000).enumerate() {
        let results: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, prefix)| {
                let id = page * 1_000 + i + 1;
                format!(
                    r#"{{"id": {id}, "url": "http://netbox/api/ipam/prefixes/{id}/", "display": "{prefix}", "family": {{"value": 4, "label": "IPv4"}}, "prefix": "{prefix}", "site": null, "vrf": null, "tenant": null, "vlan": null, "status": {{"value": "active", "label": "Active"}}, "role": null, "is_pool": false, "description": "", "tags": [], "custom_fields": {{}}, "children": 0, "_depth": 0}}"#
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "{{\"count\": {}, \"next\": null, \"previous\": null, \"results\": [\n{}\n]}}",
            prefixes.len(),
            results.join(",\n")
        );
    }
}

/// Native inventory of `n` accounts' default VPCs: 172.31.0.0/16 with three /20 subnets.
fn default_vpcs(file: &Path, n: usize) {
    let items = (0..n).flat_map(|v| {
        std::iter::once(format!(
            r#"{{"id":"vpc-{v:08}","type":"vpc","cidr":"172.31.0.0/16","region":"r1","account":"2{v:011}"}}"#
        ))
        .chain((0..3).map(move |s| {
            format!(
                r#"{{"id":"subnet-{v:08}{s}","type":"subnet","cidr":"172.31.{}.0/20","region":"r1","vpc_id":"vpc-{v:08}","zone":"r1-{s}","used":{s},"total":4091}}"#,
                s * 16
            )
        }))
    });
    write_list(
        file,
        "{\"format\":\"ipam-inventory\",\"format_version\":1,\"resources\":[",
        "\n]}\n",
        items,
    );
}

/// `plan --inventory` around the 1,000,000-CIDR inventory (every row's VPC in the pool's
/// 10.0.0.0/8 and 11.0.0.0/8; the recorded ones managed, the rest in the way): with nothing
/// new to place, then with one new VPC, which steps around every discovered network of its
/// pool. Beside each, the same plan without the inventory.
fn plan_around(dir: &Path, file: &Path) {
    let path = dir.to_str().expect("UTF-8 path");
    let f = file.to_str().expect("UTF-8 path");
    measure("plan (no changes)", || run_cli(&["plan", path]));
    measure("plan --inventory 1000000 CIDRs (no changes)", || {
        run_cli(&["plan", path, "--inventory", f])
    });
    let extra = dir.join("zz-new.toml");
    fs::write(
        &extra,
        "[vpcs.new]\npool = \"corp\"\nnetmask = 24\ntags = { env = \"prod\" }\n",
    )
    .expect("new VPC");
    measure("plan (one new VPC)", || run_cli(&["plan", path]));
    measure("plan --inventory 1000000 CIDRs (one new VPC)", || {
        run_cli(&["plan", path, "--inventory", f])
    });
    fs::remove_file(&extra).expect("remove the new VPC");
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
    let (model, _) = ipam::load::model(dir).unwrap_or_else(|_| panic!("plan"));
    let store = ipam::state::file::FileBackend::new(dir.join("ipam.state.json"));
    let state = store.read().ok().flatten().expect("state");
    lap("read plan and state");
    let inventory = ipam::audit::read_all(&[file.to_path_buf()], Default::default())
        .unwrap_or_else(|_| panic!("inventory"));
    lap("read inventory");
    let report = ipam::audit::audit(&model, &state.resources, inventory);
    lap("audit");
    let mut sink = std::io::sink();
    ipam::render::audit::text(&report, ipam::render::Style { colour: false }, &mut sink)
        .expect("text");
    lap("render table");
    ipam::render::audit::json(&report, &mut sink).expect("json");
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
    let cidrs = 100_000 * (SUBNETS + 1);
    let families: [(&str, Writer); 5] = [
        ("aws-ipam", aws_ipam),
        ("terraform-show", terraform_show),
        ("azure", azure),
        ("gcp", gcp),
        ("netbox", netbox),
    ];
    for (name, write) in families {
        let file = root.join(format!("{name}-{cidrs}.json"));
        write(&file, 100_000);
        let size = fs::metadata(&file).map_or(0, |m| m.len()) >> 20;
        let f = file.to_str().expect("UTF-8 path");
        measure(
            &format!("audit --json {cidrs} CIDRs {name} ({size} MiB)"),
            || run_cli(&["audit", path, "--inventory", f, "--json"]),
        );
    }
    for accounts in [20_000, 100_000] {
        let file = root.join(format!("default-vpcs-{accounts}.json"));
        default_vpcs(&file, accounts);
        let f = file.to_str().expect("UTF-8 path");
        let rows = accounts * 4;
        measure(
            &format!("audit {rows} rows, {accounts} default VPCs"),
            || run_cli(&["audit", path, "--inventory", f]),
        );
        measure(
            &format!("audit --json {rows} rows, {accounts} default VPCs"),
            || run_cli(&["audit", path, "--inventory", f, "--json"]),
        );
    }
    plan_around(&root, &root.join("inventory-1000000.json"));
    println!("phases (in process), 1000000 CIDRs:");
    phases(&root, &root.join("inventory-1000000.json"));
    let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64();
    println!(
        "growth 10x input: audit {:.1}x, audit --json {:.1}x",
        ratio(results[0].0, results[1].0),
        ratio(results[0].1, results[1].1)
    );
}
