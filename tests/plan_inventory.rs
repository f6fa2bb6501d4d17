//! Plans that see what exists: `plan --inventory FILE…` and `apply --inventory FILE…` place
//! new VPCs and subnets around every discovered network that is not a recorded allocation,
//! refuse an explicit claim on one naming it, and list what they stepped around; a saved plan
//! is bound to its inventories' content.
//!
//! Each test runs the real binary in a work directory of its own under
//! `CARGO_TARGET_TMPDIR/plan_inventory/`.

use std::fs;
use std::path::{Path, PathBuf};

mod common;

use common::ipam;
use common::state::{bytes, fails_with, ok};

fn workdir(name: &str) -> PathBuf {
    common::workdir("plan_inventory", name)
}

const IPAM: &str = r#"[ipam]
name = "corp"
regions = ["eu-central-1"]

[pools.corp]
cidrs = ["10.0.0.0/8"]

[pools.eu]
parent = "corp"
cidrs = ["10.0.0.0/12"]
region = "eu-central-1"
allocation = { min_netmask = 16, max_netmask = 24, default_netmask = 20 }
"#;

/// Writes `net/ipam.toml`: the two pools, then `rest`.
fn write_plan(w: &Path, rest: &str) {
    fs::create_dir_all(w.join("net")).expect("plan dir");
    fs::write(w.join("net/ipam.toml"), format!("{IPAM}\n{rest}")).expect("plan file");
}

/// Writes an `aws ec2 describe-vpcs` export of `(id, cidr, name)` to `file`.
fn write_vpcs(w: &Path, file: &str, vpcs: &[(&str, &str, &str)]) {
    let rows: Vec<serde_json::Value> = vpcs
        .iter()
        .map(|(id, cidr, name)| {
            serde_json::json!({
                "VpcId": id,
                "OwnerId": "111111111111",
                "CidrBlock": cidr,
                "State": "available",
                "Tags": [{ "Key": "Name", "Value": name }],
            })
        })
        .collect();
    let doc = serde_json::json!({ "Vpcs": rows });
    fs::write(
        w.join(file),
        serde_json::to_string_pretty(&doc).expect("json"),
    )
    .expect("write");
}

const SANDBOX: (&str, &str, &str) = ("vpc-0handbuilt0000001", "10.0.4.0/22", "sandbox");

/// The JSON plan's `after.cidr` of `address` (its first `cidrs` for a pool).
fn cidr_of(plan: &serde_json::Value, address: &str) -> String {
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["address"] == address)
        .and_then(|c| {
            let after = &c["after"];
            after["cidr"]
                .as_str()
                .or_else(|| after["cidrs"][0].as_str())
        })
        .unwrap_or_else(|| panic!("{address} in {plan}"))
        .to_string()
}

fn json_plan(w: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["plan", "net", "--json"];
    all.extend_from_slice(args);
    let out = ok(&ipam(w, &all), "plan --json");
    serde_json::from_str(&out).expect("plan JSON")
}

/// First fit skips the hand-built VPC; the pool that holds it is placed over it (a pool is
/// address plan, not a network), and the plan says what it stepped around, in every format.
#[test]
fn first_fit_steps_around_a_discovered_network() {
    let w = workdir("first-fit");
    write_plan(&w, "[vpcs.web]\npool = \"eu\"\n");
    write_vpcs(&w, "vpcs.json", &[SANDBOX]);

    let blind = json_plan(&w, &[]);
    assert_eq!(
        cidr_of(&blind, "vpc.web"),
        "10.0.0.0/20",
        "without the inventory"
    );
    assert!(blind.get("stepped_around").is_none(), "{blind}");

    let seen = json_plan(&w, &["--inventory", "vpcs.json"]);
    assert_eq!(cidr_of(&seen, "pool.eu"), "10.0.0.0/12");
    assert_eq!(
        cidr_of(&seen, "vpc.web"),
        "10.0.16.0/20",
        "the first /20 clear of 10.0.4.0/22"
    );
    assert_eq!(
        seen["stepped_around"],
        serde_json::json!([{
            "id": "vpc-0handbuilt0000001",
            "type": "vpc",
            "cidr": "10.0.4.0/22",
            "name": "sandbox",
            "within": "pool.eu",
        }])
    );

    let text = ok(
        &ipam(&w, &["plan", "net", "--inventory", "vpcs.json"]),
        "text plan",
    );
    assert!(
        text.contains(
            "Placed new blocks around 1 network found in the inventories and not in the state:\n  \
             10.0.4.0/22  vpc vpc-0handbuilt0000001 (sandbox), in pool.eu\n"
        ),
        "{text}"
    );
    let md = ok(
        &ipam(
            &w,
            &[
                "plan",
                "net",
                "--inventory",
                "vpcs.json",
                "--format",
                "markdown",
            ],
        ),
        "markdown plan",
    );
    assert!(
        md.contains(
            "> Placed new blocks around 1 network found in the inventories and not in the \
             state: `10.0.4.0/22` (vpc `vpc-0handbuilt0000001`, in `pool.eu`)."
        ),
        "{md}"
    );
}

/// Subnets step around a discovered subnet inside their VPC's block, and the listing says
/// which VPC they were placed in.
#[test]
fn subnets_step_around_a_discovered_subnet() {
    let w = workdir("subnets");
    write_plan(
        &w,
        "[vpcs.web]\npool = \"eu\"\nsubnets.a = { netmask = 24 }\nsubnets.b = { netmask = 24 }\n",
    );
    let subnets = serde_json::json!({ "Subnets": [{
        "SubnetId": "subnet-0handbuilt000001",
        "VpcId": "vpc-0elsewhere000000001",
        "CidrBlock": "10.0.0.0/24",
        "AvailabilityZone": "eu-central-1a",
        "OwnerId": "111111111111",
        "State": "available",
    }]});
    fs::write(w.join("subnets.json"), subnets.to_string()).expect("write");
    let plan = json_plan(&w, &["--inventory", "subnets.json"]);
    // The VPC steps around it first (it is in the pool), so its subnets never meet it.
    assert_eq!(cidr_of(&plan, "vpc.web"), "10.0.16.0/20");
    assert_eq!(cidr_of(&plan, "vpc.web.subnet.a"), "10.0.16.0/24");
    assert_eq!(plan["stepped_around"][0]["id"], "subnet-0handbuilt000001");
    assert_eq!(plan["stepped_around"][0]["type"], "subnet");

    // Recorded first, the VPC keeps its block; the new subnet then steps around.
    write_plan(
        &w,
        "[vpcs.web]\npool = \"eu\"\nsubnets.a = { netmask = 24 }\n",
    );
    ok(
        &ipam(&w, &["apply", "net", "--auto-approve"]),
        "apply without the inventory",
    );
    write_plan(
        &w,
        "[vpcs.web]\npool = \"eu\"\nsubnets.a = { netmask = 24 }\nsubnets.b = { netmask = 24 }\n",
    );
    let moved = serde_json::json!({ "Subnets": [{
        "SubnetId": "subnet-0handbuilt000002",
        "VpcId": "vpc-0elsewhere000000001",
        "CidrBlock": "10.0.1.0/25",
        "OwnerId": "111111111111",
    }]});
    fs::write(w.join("subnets.json"), moved.to_string()).expect("write");
    let plan = json_plan(&w, &["--inventory", "subnets.json"]);
    assert_eq!(cidr_of(&plan, "vpc.web.subnet.b"), "10.0.2.0/24");
    assert_eq!(plan["stepped_around"][0]["within"], "vpc.web");
}

/// A pool that holds both sub-pools and VPCs: a sub-pool with explicit CIDRs is claimed
/// before the discovered networks are taken (a pool may hold them); one carved by netmask
/// beside a new VPC is placed first fit around them, like the VPC.
#[test]
fn pools_beside_vpcs() {
    let w = workdir("mixed");
    write_plan(
        &w,
        "[pools.lab]\nparent = \"corp\"\ncidrs = [\"10.16.0.0/16\"]\n\n\
         [pools.carved]\nparent = \"corp\"\nnetmask = 16\n\n\
         [vpcs.edge]\npool = \"corp\"\nnetmask = 16\n",
    );
    write_vpcs(
        &w,
        "vpcs.json",
        &[("vpc-0handbuilt0000002", "10.16.0.0/14", "lab")],
    );
    let blind = json_plan(&w, &[]);
    let seen = json_plan(&w, &["--inventory", "vpcs.json"]);
    assert_eq!(
        cidr_of(&seen, "pool.lab"),
        "10.16.0.0/16",
        "a pool may hold it"
    );
    assert_eq!(cidr_of(&blind, "pool.carved"), "10.17.0.0/16");
    assert_eq!(
        cidr_of(&seen, "pool.carved"),
        "10.20.0.0/16",
        "carved around it"
    );
    assert_eq!(cidr_of(&blind, "vpc.edge"), "10.18.0.0/16");
    assert_eq!(cidr_of(&seen, "vpc.edge"), "10.21.0.0/16", "a VPC may not");
    assert_eq!(
        seen["stepped_around"].as_array().map(Vec::len),
        Some(1),
        "listed once: {seen}"
    );
}

/// A diagnostic's words on one line: the frame and wrapping taken out.
fn flat(err: &str) -> String {
    err.split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

/// An explicit claim on a discovered network is an error that names it, and says how to
/// adopt it; nothing is written.
#[test]
fn an_explicit_claim_on_a_discovered_network_names_it() {
    let w = workdir("claim");
    write_plan(&w, "[vpcs.web]\npool = \"eu\"\ncidr = \"10.0.4.0/24\"\n");
    write_vpcs(&w, "vpcs.json", &[SANDBOX]);
    for command in ["plan", "apply"] {
        let args = [command, "net", "--inventory", "vpcs.json", "--auto-approve"];
        let args = if command == "plan" {
            &args[..4]
        } else {
            &args[..]
        };
        let err = flat(&fails_with(&ipam(&w, args), "ipam::plan::claim", command));
        assert!(
            err.contains("10.0.4.0/24 for vpc.web cannot be taken from pool `eu`")
                && err.contains("is taken by vpc vpc-0handbuilt0000001 (sandbox)")
                && err.contains("resource_id = \"vpc-0handbuilt0000001\""),
            "{err}"
        );
        assert!(err.contains("net/ipam.toml:"), "located: {err}");
    }
    assert!(
        bytes(&w.join("net/ipam.state.json")).is_none(),
        "nothing written"
    );
}

/// A VPC the plan declares by `resource_id` is that network, not in its way; nor are its
/// subnets.
#[test]
fn a_declared_resource_id_is_not_in_the_way() {
    let w = workdir("declared");
    write_plan(
        &w,
        "[vpcs.sandbox]\npool = \"eu\"\ncidr = \"10.0.4.0/22\"\n\
         resource_id = \"vpc-0handbuilt0000001\"\nsubnets.a = { netmask = 24 }\n",
    );
    write_vpcs(&w, "vpcs.json", &[SANDBOX]);
    let plan = json_plan(&w, &["--inventory", "vpcs.json"]);
    assert_eq!(cidr_of(&plan, "vpc.sandbox"), "10.0.4.0/22");
    assert_eq!(cidr_of(&plan, "vpc.sandbox.subnet.a"), "10.0.4.0/24");
    assert!(plan.get("stepped_around").is_none(), "{plan}");
}

/// `apply --inventory` records what the plan showed; the VPCs recorded are managed rows of
/// the next audit, not obstacles: planning again around the same inventory, now holding
/// them, has nothing to do.
#[test]
fn apply_around_an_inventory_then_nothing_to_do() {
    let w = workdir("apply");
    write_plan(&w, "[vpcs.web]\npool = \"eu\"\n");
    write_vpcs(&w, "vpcs.json", &[SANDBOX]);
    let out = ok(
        &ipam(
            &w,
            &["apply", "net", "--inventory", "vpcs.json", "--auto-approve"],
        ),
        "apply --inventory",
    );
    assert!(
        out.contains("10.0.4.0/22  vpc vpc-0handbuilt0000001"),
        "{out}"
    );
    write_vpcs(
        &w,
        "vpcs.json",
        &[SANDBOX, ("vpc-0built00000000003", "10.0.16.0/20", "web")],
    );
    let again = ok(
        &ipam(&w, &["plan", "net", "--inventory", "vpcs.json"]),
        "plan again",
    );
    assert!(
        again.contains("No changes.") && !again.contains("Placed new blocks"),
        "{again}"
    );
    // A second VPC steps around the hand-built one, not around web (a recorded
    // allocation): the pool's discovered networks are listed whenever it places one.
    fs::write(
        w.join("net/more.toml"),
        "[vpcs.api]\npool = \"eu\"\nnetmask = 22\n",
    )
    .expect("write");
    let plan = json_plan(&w, &["--inventory", "vpcs.json"]);
    assert_eq!(cidr_of(&plan, "vpc.api"), "10.0.0.0/22");
    fs::write(
        w.join("net/more.toml"),
        "[vpcs.api]\npool = \"eu\"\nnetmask = 21\n",
    )
    .expect("write");
    let plan = json_plan(&w, &["--inventory", "vpcs.json"]);
    assert_eq!(cidr_of(&plan, "vpc.api"), "10.0.8.0/21");
    let stepped: Vec<&str> = plan["stepped_around"]
        .as_array()
        .expect("stepped around")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(stepped, ["vpc-0handbuilt0000001"]);
}

/// A saved plan records its inventories' hashes: it applies while they are unchanged and is
/// refused as stale when one changed, leaving the state as it was. One read from standard
/// input cannot be saved, and `apply FILE` takes no other inventories.
#[test]
fn saved_plans_are_bound_to_their_inventories() {
    let w = workdir("saved");
    write_plan(&w, "[vpcs.web]\npool = \"eu\"\n");
    write_vpcs(&w, "vpcs.json", &[SANDBOX]);
    ok(
        &ipam(
            &w,
            &[
                "plan",
                "net",
                "--inventory",
                "vpcs.json",
                "--out",
                "saved.json",
            ],
        ),
        "plan --out",
    );
    let saved: serde_json::Value =
        serde_json::from_slice(&fs::read(w.join("saved.json")).expect("saved")).expect("json");
    assert_eq!(saved["inventories"][0]["path"], "vpcs.json");
    assert_eq!(
        saved["inventories"][0]["sha256"].as_str().map(str::len),
        Some(64)
    );

    let refused = fails_with(
        &ipam(&w, &["apply", "saved.json", "--inventory", "vpcs.json"]),
        "ipam::apply::saved_plan",
        "apply FILE --inventory",
    );
    assert!(refused.contains("drop `--inventory`"), "{refused}");

    // The inventory changed: stale, nothing written.
    write_vpcs(
        &w,
        "vpcs.json",
        &[SANDBOX, ("vpc-0handbuilt0000004", "10.0.16.0/24", "new")],
    );
    let stale = fails_with(
        &ipam(&w, &["apply", "saved.json"]),
        "ipam::apply::stale",
        "apply of a plan whose inventory changed",
    );
    assert!(
        stale.contains("the inventory vpcs.json changed since it was made"),
        "{stale}"
    );
    assert!(bytes(&w.join("net/ipam.state.json")).is_none());
    fs::remove_file(w.join("vpcs.json")).expect("remove");
    let gone = fails_with(
        &ipam(&w, &["apply", "saved.json"]),
        "ipam::apply::stale",
        "apply of a plan whose inventory is gone",
    );
    assert!(gone.contains("cannot be read"), "{gone}");

    // Made again around the present inventory, it applies where the plan said.
    write_vpcs(
        &w,
        "vpcs.json",
        &[SANDBOX, ("vpc-0handbuilt0000004", "10.0.16.0/24", "new")],
    );
    let shown = ok(
        &ipam(
            &w,
            &[
                "plan",
                "net",
                "--inventory",
                "vpcs.json",
                "--out",
                "saved.json",
            ],
        ),
        "plan --out again",
    );
    assert!(shown.contains("+ vpc.web: 10.0.32.0/20"), "{shown}");
    ok(&ipam(&w, &["apply", "saved.json"]), "apply FILE");
    let state = fs::read_to_string(w.join("net/ipam.state.json")).expect("state");
    assert!(state.contains("10.0.32.0/20"), "{state}");

    let stdin = fails_with(
        &ipam(
            &w,
            &["plan", "net", "--inventory", "-", "--out", "other.json"],
        ),
        "ipam::plan::out",
        "plan --out around standard input",
    );
    assert!(stdin.contains("standard input"), "{stdin}");
    assert!(!w.join("other.json").exists());
}

/// An inventory that cannot be read fails the plan with the reader's diagnostic.
#[test]
fn a_broken_inventory_fails_the_plan() {
    let w = workdir("broken");
    write_plan(&w, "[vpcs.web]\npool = \"eu\"\n");
    fs::write(w.join("vpcs.json"), "{ \"Vpcs\": [ { \"VpcId\": ").expect("write");
    let out = ipam(&w, &["plan", "net", "--inventory", "vpcs.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out));
    assert!(
        common::text(&out).contains("vpcs.json"),
        "{}",
        common::text(&out)
    );
    let out = ipam(&w, &["plan", "net", "--inventory", "missing.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out));
    // With --json, one JSON document holds the plan's and the inventories' problems.
    fs::write(w.join("net/more.toml"), "[vpcs.bad]\npool = \"nope\"\n").expect("write");
    let out = ipam(&w, &["plan", "net", "--inventory", "vpcs.json", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
    assert_eq!(doc["valid"], false);
    let files: Vec<&str> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["range"]["filename"].as_str())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("more.toml")),
        "the plan's problem: {doc}"
    );
    assert_eq!(
        doc["error_count"].as_u64(),
        Some(doc["diagnostics"].as_array().map_or(0, Vec::len) as u64),
        "{doc}"
    );
    assert!(
        doc["diagnostics"]
            .as_array()
            .is_some_and(|l| l.iter().any(|d| d["summary"]
                .as_str()
                .is_some_and(|s| s.contains("vpcs.json")))),
        "the inventory's problem: {doc}"
    );
}

/// Entries an inventory holds but the plan cannot place around (a resource type ipam does
/// not read) are not dropped silently: the plan warns, naming the first.
#[test]
fn skipped_inventory_entries_are_reported() {
    let w = workdir("skipped");
    write_plan(&w, "[vpcs.web]\npool = \"eu\"\n");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/inventories/samples/terraform-show-json-state-aws-instance.json");
    fs::copy(&sample, w.join("tf.json")).expect("sample");
    let out = ipam(&w, &["plan", "net", "--inventory", "tf.json"]);
    assert!(out.status.success(), "{}", common::text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "Warning: 1 inventory entry was skipped, so not placed around (first: tf.json: \
             aws_instance.app_server: type `aws_instance`: not a network resource ipam reads)"
        ),
        "{err}"
    );
}

/// Custom scopes that reuse the same addresses: an inventory does not say which address
/// space a network is in, so before the first apply (no recorded pool holds it) and where
/// recorded pools of both scopes hold it, new VPCs of either scope step around it.
#[test]
fn a_network_of_no_known_scope_is_in_the_way_in_every_scope() {
    let w = workdir("scopes");
    fs::create_dir_all(w.join("net")).expect("plan dir");
    let plan = "[ipam]\nname = \"corp\"\nregions = [\"r1\"]\n\n\
                [scopes.acquired]\ndescription = \"the same 10/8 again\"\n\n\
                [pools.a]\ncidrs = [\"10.0.0.0/8\"]\n\n\
                [pools.b]\nscope = \"acquired\"\ncidrs = [\"10.0.0.0/8\"]\n\n\
                [vpcs.in-a]\npool = \"a\"\nnetmask = 20\n";
    fs::write(w.join("net/ipam.toml"), plan).expect("plan");
    write_vpcs(&w, "vpcs.json", &[SANDBOX]);
    let first = json_plan(&w, &["--inventory", "vpcs.json"]);
    assert_eq!(cidr_of(&first, "vpc.in-a"), "10.0.16.0/20");
    ok(
        &ipam(&w, &["apply", "net", "--auto-approve"]),
        "apply without the inventory",
    );
    fs::write(
        w.join("net/ipam.toml"),
        format!("{plan}\n[vpcs.in-b]\npool = \"b\"\nnetmask = 20\n"),
    )
    .expect("plan");
    let next = json_plan(&w, &["--inventory", "vpcs.json"]);
    assert_eq!(cidr_of(&next, "vpc.in-b"), "10.0.16.0/20", "{next}");
    assert_eq!(next["stepped_around"][0]["within"], "pool.b");
}

/// A subnet built by hand in a recorded VPC that the plan declares by `resource_id` is in the
/// way of the subnets the plan adds there; a subnet claimed on it is refused with a help
/// that does not offer `resource_id` (a subnet has none).
#[test]
fn a_hand_made_subnet_of_a_declared_vpc_is_in_the_way() {
    let w = workdir("hand-made-subnet");
    let vpc = "[vpcs.web]\npool = \"eu\"\nresource_id = \"vpc-0web000000000001\"\n\
               subnets.a = { netmask = 24 }\n";
    write_plan(&w, vpc);
    ok(&ipam(&w, &["apply", "net", "--auto-approve"]), "apply");
    let subnets = serde_json::json!({ "Subnets": [{
        "SubnetId": "subnet-0handmade00000001",
        "VpcId": "vpc-0web000000000001",
        "CidrBlock": "10.0.1.0/24",
        "OwnerId": "111111111111",
    }]});
    fs::write(w.join("subnets.json"), subnets.to_string()).expect("write");
    write_plan(&w, &format!("{vpc}subnets.b = {{ netmask = 24 }}\n"));
    let plan = json_plan(&w, &["--inventory", "subnets.json"]);
    assert_eq!(cidr_of(&plan, "vpc.web.subnet.b"), "10.0.2.0/24", "{plan}");
    assert_eq!(plan["stepped_around"][0]["id"], "subnet-0handmade00000001");

    write_plan(
        &w,
        &format!("{vpc}subnets.b = {{ cidr = \"10.0.1.0/24\" }}\n"),
    );
    let err = flat(&fails_with(
        &ipam(&w, &["plan", "net", "--inventory", "subnets.json"]),
        "ipam::plan::claim",
        "a subnet claimed on a hand-made one",
    ));
    assert!(
        err.contains("is taken by subnet subnet-0handmade00000001")
            && !err.contains("resource_id = \"subnet-"),
        "{err}"
    );
}

/// A NetBox prefix as large as the space (the VPC itself, or the pool's documented range)
/// does not fill it; one inside is in the way, and when the space runs out the error says
/// that discovered networks take part of it.
#[test]
fn a_prefix_as_large_as_the_space_does_not_fill_it() {
    let w = workdir("prefix-space");
    let vpc = "[vpcs.web]\npool = \"eu\"\ncidr = \"10.0.0.0/22\"\nsubnets.a = { netmask = 24 }\n";
    write_plan(&w, vpc);
    ok(&ipam(&w, &["apply", "net", "--auto-approve"]), "apply");
    fs::write(
        w.join("nb.csv"),
        "ID,Prefix,Status\n31,10.0.0.0/22,Active\n32,10.0.0.0/12,Active\n33,10.0.2.0/24,Active\n",
    )
    .expect("write");
    write_plan(
        &w,
        &format!(
            "{vpc}subnets.b = {{ netmask = 24 }}\n\n[vpcs.api]\npool = \"eu\"\nnetmask = 20\n"
        ),
    );
    let plan = json_plan(&w, &["--inventory", "nb.csv"]);
    assert_eq!(cidr_of(&plan, "vpc.web.subnet.b"), "10.0.1.0/24", "{plan}");
    assert_eq!(cidr_of(&plan, "vpc.api"), "10.0.16.0/20", "{plan}");

    write_plan(
        &w,
        &format!(
            "{vpc}subnets.b = {{ netmask = 24 }}\nsubnets.c = {{ netmask = 24 }}\nsubnets.d = {{ netmask = 24 }}\n"
        ),
    );
    let err = flat(&fails_with(
        &ipam(&w, &["plan", "net", "--inventory", "nb.csv"]),
        "ipam::plan::exhausted",
        "subnets that no longer fit",
    ));
    assert!(
        err.contains(
            "1 network found in the inventories and not in the state takes part of it \
                      (10.0.2.0/24 prefix-33 first)"
        ),
        "{err}"
    );
}
