//! Inventory readers (SPEC §8): every cloud sample and every hand-made inventory reads to
//! exactly the rows and skips expected; broken files give a clear error naming the file;
//! mangled files never panic.
//!
//! The samples in `tests/inventories/samples/` are real provider outputs (documentation
//! examples, masked IDs and all); the other files under `tests/inventories/` are made by hand
//! to cover what real exports vary in.

use std::path::{Path, PathBuf};

use ipam::audit::inventory::{self, Discovered, Format, Inventory, Kind, to_native};
use proptest::prelude::*;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inventories")
}

fn path(name: &str) -> PathBuf {
    dir().join(name)
}

fn read(name: &str) -> Inventory {
    inventory::read(&path(name), None)
        .unwrap_or_else(|e| panic!("{name}: {} ({:?})", e.message, e.help))
}

fn format(name: &str) -> Format {
    Format::named(name).unwrap_or_else(|| panic!("no format {name}"))
}

fn read_error(name: &str, format: Option<Format>) -> ipam::diag::Diag {
    match inventory::read(&path(name), format) {
        Ok(inv) => panic!("{name} read: {inv:?}"),
        Err(e) => *e,
    }
}

/// `(id, type, cidr, primary)` of every row, in the inventory's order.
fn rows(inv: &Inventory) -> Vec<(String, &'static str, String, bool)> {
    inv.resources
        .iter()
        .map(|r| {
            (
                r.id.to_string(),
                r.kind.as_str(),
                r.cidr.to_string(),
                r.primary,
            )
        })
        .collect()
}

fn expect_rows(inv: &Inventory, expected: &[(&str, &str, &str, bool)]) {
    let expected: Vec<(String, &str, String, bool)> = expected
        .iter()
        .map(|(id, kind, cidr, primary)| (id.to_string(), *kind, cidr.to_string(), *primary))
        .collect();
    assert_eq!(rows(inv), expected);
}

/// `(entry, reason)` of every skip, the file's directory taken off.
fn skips(inv: &Inventory) -> Vec<(String, String)> {
    let prefix = format!("{}/", dir().display());
    inv.skipped
        .iter()
        .map(|s| (s.source.replace(&prefix, ""), s.reason.clone()))
        .collect()
}

fn expect_skips(inv: &Inventory, expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(s, r)| (s.to_string(), r.to_string()))
        .collect();
    assert_eq!(skips(inv), expected);
}

fn find<'a>(inv: &'a Inventory, id: &str, cidr: &str) -> &'a Discovered {
    inv.resources
        .iter()
        .find(|r| &*r.id == id && r.cidr.to_string() == cidr)
        .unwrap_or_else(|| panic!("no row {id} {cidr}"))
}

fn tags(pairs: &[(&str, &str)]) -> inventory::Tags {
    pairs.iter().copied().collect()
}

const MASKED: &str = "is masked: the export hides part of the address";

// ---------------------------------------------------------------------------------------
// The cloud samples.

#[test]
fn sample_aws_describe_vpcs() {
    let inv = read("samples/aws-describe-vpcs.json");
    expect_rows(
        &inv,
        &[
            ("vpc-06e4ab6c6cEXAMPLE", "vpc", "10.0.0.0/16", true),
            ("vpc-0e9801d129EXAMPLE", "vpc", "30.1.0.0/16", true),
        ],
    );
    expect_skips(&inv, &[]);
    let shared = find(&inv, "vpc-06e4ab6c6cEXAMPLE", "10.0.0.0/16");
    assert_eq!(shared.account.as_deref(), Some("222222222222"));
    assert_eq!(shared.name.as_deref(), Some("Shared VPC"));
    assert_eq!(shared.tags, tags(&[("Name", "Shared VPC")]));
    // AWS prints no region for a VPC.
    assert_eq!(shared.region, None);
    assert_eq!(shared.used, None);
    assert!(shared.source.ends_with("samples/aws-describe-vpcs.json"));
}

#[test]
fn sample_aws_describe_subnets() {
    let inv = read("samples/aws-describe-subnets.json");
    expect_rows(
        &inv,
        &[("subnet-8EXAMPLE", "subnet", "172.31.80.0/20", true)],
    );
    expect_skips(&inv, &[]);
    let s = &inv.resources[0];
    assert_eq!(s.kind, Kind::Subnet);
    assert_eq!(s.vpc_id.as_deref(), Some("vpc-3EXAMPLE"));
    assert_eq!(s.zone.as_deref(), Some("us-east-1d"));
    assert_eq!(s.region.as_deref(), Some("us-east-1"));
    assert_eq!(s.account.as_deref(), Some("1111222233333"));
    assert_eq!(s.name.as_deref(), Some("MySubnet"));
    // /20: 4096 addresses, 5 reserved, 4089 free.
    assert_eq!((s.used, s.total), (Some(2), Some(4091)));
}

#[test]
fn sample_aws_create_subnet_is_a_subnets_inventory_of_one() {
    let inv = read("samples/aws-create-subnet-ex2.json");
    expect_rows(
        &inv,
        &[
            ("subnet-0736441d38EXAMPLE", "subnet", "10.0.0.0/24", true),
            (
                "subnet-0736441d38EXAMPLE",
                "subnet",
                "2600:1f13:cfe:3660::/64",
                false,
            ),
        ],
    );
    expect_skips(&inv, &[]);
    let v4 = &inv.resources[0];
    assert_eq!((v4.used, v4.total), (Some(0), Some(251)));
    assert_eq!(v4.region.as_deref(), Some("us-west-2"));
    assert_eq!(v4.account.as_deref(), Some("123456789012"));
    assert_eq!(v4.vpc_id.as_deref(), Some("vpc-081ec835f3EXAMPLE"));
    assert_eq!(v4.name.as_deref(), Some("my-ipv4-ipv6-subnet"));
    // The free count is for the IPv4 block only.
    assert_eq!(
        (inv.resources[1].used, inv.resources[1].total),
        (None, None)
    );
}

#[test]
fn sample_aws_ipam_pools_is_refused_as_not_an_inventory() {
    let e = read_error("samples/aws-describe-ipam-pools.json", None);
    assert_eq!(e.code, "ipam::audit::format");
    assert!(
        e.message.ends_with(
            "aws-describe-ipam-pools.json is an IPAM listing (`IpamPools`), not an inventory of VPCs and subnets"
        ),
        "{}",
        e.message
    );
    assert!(
        e.help
            .as_deref()
            .is_some_and(|h| h.contains("describe-vpcs"))
    );
    assert_eq!(
        inventory::detect(
            &std::fs::read_to_string(path("samples/aws-describe-ipam-pools.json")).expect("sample")
        ),
        None
    );
}

#[test]
fn sample_alibaba_describe_vpcs() {
    let inv = read("samples/alibaba-describe-vpcs.json");
    expect_rows(
        &inv,
        &[
            ("vpc-bp1qpo0kug3a20qqe****", "vpc", "192.168.0.0/16", true),
            ("vpc-bp1qpo0kug3a20qqe****", "vpc", "192.168.20.0/24", false),
        ],
    );
    // The IPv6 block is in the sample twice (`Ipv6CidrBlock`, `Ipv6CidrBlocks`), masked:
    // one skip.
    expect_skips(
        &inv,
        &[(
            "samples/alibaba-describe-vpcs.json: vpc-bp1qpo0kug3a20qqe**** (Vpcs.Vpc[0])",
            "`Ipv6CidrBlock` `2408:XXXX:0:a600::/56` is masked: the export hides part of the address",
        )],
    );
    let vpc = &inv.resources[0];
    assert_eq!(vpc.region.as_deref(), Some("cn-hangzhou"));
    assert_eq!(vpc.account.as_deref(), Some("1234567"));
    assert_eq!(vpc.name.as_deref(), Some("vpc1"));
    assert_eq!(vpc.tags, tags(&[("env", "internal")]));
}

#[test]
fn sample_alibaba_describe_vswitches() {
    let inv = read("samples/alibaba-describe-vswitches.json");
    expect_rows(
        &inv,
        &[
            (
                "vsw-hp3l11aj1tx5g8qwt****",
                "subnet",
                "192.168.0.0/24",
                true,
            ),
            (
                "vsw-hp3l11aj1tx5g8qwt****",
                "subnet",
                "2408:4004:0:a600::/64",
                false,
            ),
        ],
    );
    expect_skips(&inv, &[]);
    let v = &inv.resources[0];
    assert_eq!(v.vpc_id.as_deref(), Some("vpc-hp37qeafxj2sfs69s****"));
    assert_eq!(v.zone.as_deref(), Some("cn-huhehaote-a"));
    assert_eq!(v.region.as_deref(), Some("cn-huhehaote"));
    assert_eq!(v.name.as_deref(), Some("CL-IPv6-VSW"));
    // /24: 256 addresses, 4 reserved, 252 free.
    assert_eq!((v.used, v.total), (Some(0), Some(252)));
}

#[test]
fn sample_terraform_state() {
    let inv = read("samples/terraform-state-aws-vpc.json");
    expect_rows(
        &inv,
        &[
            ("subnet-04483772c1caf8d00", "subnet", "10.0.0.0/24", true),
            ("subnet-0e64c77353d8cb5a7", "subnet", "10.0.2.0/24", true),
            ("vpc-0aa56e9cd74bb10df", "vpc", "10.0.0.0/16", true),
        ],
    );
    expect_skips(&inv, &[]);
    for r in &inv.resources {
        assert_eq!(r.region.as_deref(), Some("us-east-1"), "{}", r.id);
        assert_eq!(r.account.as_deref(), Some("215476549484"), "{}", r.id);
        assert_eq!((r.used, r.total), (None, None));
    }
    let s = &inv.resources[1];
    assert_eq!(s.vpc_id.as_deref(), Some("vpc-0aa56e9cd74bb10df"));
    assert_eq!(s.zone.as_deref(), Some("us-east-1b"));
    assert_eq!(s.name.as_deref(), Some("public_subnet2"));
    assert!(inv.resources[2].tags.is_empty());
}

#[test]
fn every_sample_is_detected() {
    let expected = [
        ("alibaba-describe-vpcs.json", Some(format("alibaba-vpcs"))),
        (
            "alibaba-describe-vswitches.json",
            Some(format("alibaba-vswitches")),
        ),
        ("aws-create-subnet-ex2.json", Some(format("aws-subnets"))),
        ("aws-describe-ipam-pools.json", None),
        ("aws-describe-subnets.json", Some(format("aws-subnets"))),
        ("aws-describe-vpcs-legacy.json", Some(format("aws-vpcs"))),
        ("aws-describe-vpcs.json", Some(format("aws-vpcs"))),
        (
            "aws-get-ipam-discovered-resource-cidrs.json",
            Some(format("aws-ipam")),
        ),
        ("aws-get-ipam-resource-cidrs.json", Some(format("aws-ipam"))),
        ("azure-vnet-create.json", Some(format("azure"))),
        ("azure-vnet-subnet-create.json", Some(format("azure"))),
        ("gcp-networks-list.json", Some(format("gcp"))),
        ("gcp-subnets-list.json", Some(format("gcp"))),
        ("netbox-prefix-detail-v4.json", Some(format("netbox"))),
        ("netbox-prefixes-import.csv", Some(format("netbox-csv"))),
        ("netbox-prefixes.json", Some(format("netbox"))),
        (
            "terraform-plan-json-child-module-vpc.json",
            Some(format("terraform")),
        ),
        (
            "terraform-show-json-prior-state-data-vpc-subnet.json",
            Some(format("terraform")),
        ),
        (
            "terraform-show-json-state-aws-instance.json",
            Some(format("terraform")),
        ),
        (
            "terraform-show-json-state-modules.json",
            Some(format("terraform")),
        ),
        ("terraform-state-aws-vpc.json", Some(format("terraform"))),
    ];
    let mut names: Vec<String> = std::fs::read_dir(path("samples"))
        .expect("samples")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let listed: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, listed, "a sample without an expectation");
    for (name, format) in expected {
        let text = std::fs::read_to_string(path(&format!("samples/{name}"))).expect("sample");
        assert_eq!(inventory::detect(&text), format, "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// Samples of the exports read since: cloud IPAM listings, older AWS CLI output, Terraform's
// `show -json`, Azure, Google Cloud, NetBox.

const SUB: &str = "/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx/resourceGroups/test-rg69e367/providers/Microsoft.Network/virtualNetworks/vnet-169e367";

#[test]
fn sample_aws_get_ipam_resource_cidrs() {
    let inv = read("samples/aws-get-ipam-resource-cidrs.json");
    expect_rows(&inv, &[("vpc-621b8709", "vpc", "172.33.0.0/16", true)]);
    expect_skips(&inv, &[]);
    let vpc = &inv.resources[0];
    assert_eq!(vpc.region.as_deref(), Some("us-east-2"));
    assert_eq!(vpc.account.as_deref(), Some("123456789012"));
    assert_eq!(vpc.name.as_deref(), Some("Default AWS VPC"));
    assert_eq!(
        vpc.tags,
        tags(&[("Environment", "Test"), ("Name", "Default AWS VPC")])
    );
    // A VPC's usage is computed from its subnets, not taken from the listing.
    assert_eq!((vpc.used, vpc.total), (None, None));
}

#[test]
fn sample_aws_get_ipam_discovered_resource_cidrs() {
    let inv = read("samples/aws-get-ipam-discovered-resource-cidrs.json");
    expect_rows(
        &inv,
        &[
            ("subnet-07fe028119082a8c1", "subnet", "172.31.0.0/20", true),
            ("subnet-0a96893763984cc4e", "subnet", "172.31.64.0/20", true),
            ("vpc-0c974c95ca7ceef4a", "vpc", "172.31.0.0/16", true),
        ],
    );
    expect_skips(&inv, &[]);
    for r in &inv.resources {
        assert_eq!(r.region.as_deref(), Some("us-east-1"), "{}", r.id);
        assert_eq!(r.account.as_deref(), Some("149977607591"), "{}", r.id);
        assert!(r.tags.is_empty());
        assert_eq!(r.zone, None);
    }
    let s = &inv.resources[0];
    assert_eq!(s.vpc_id.as_deref(), Some("vpc-0c974c95ca7ceef4a"));
    // `IpUsage` 0.0012 of a /20.
    assert_eq!((s.used, s.total), (Some(5), Some(4096)));
    assert_eq!(inv.resources[2].vpc_id, None);
}

#[test]
fn sample_aws_describe_vpcs_with_the_older_association_key() {
    let inv = read("samples/aws-describe-vpcs-legacy.json");
    expect_rows(
        &inv,
        &[
            ("vpc-a01106c2", "vpc", "10.0.0.0/16", true),
            ("vpc-a45db1c0", "vpc", "198.168.0.0/24", true),
            ("vpc-a45db1c0", "vpc", "2001:db8:1234:8800::/56", false),
            ("vpc-b61106d4", "vpc", "10.50.0.0/16", true),
        ],
    );
    expect_skips(&inv, &[]);
    assert_eq!(inv.resources[0].name.as_deref(), Some("MyVPC"));
    assert!(inv.resources.iter().all(|r| r.account.is_none()));
    // A second block under `CidrBlockAssociations` is a row of its own; a disassociated
    // one is history.
    let second = read("aws-vpcs-legacy-second-cidr.json");
    expect_rows(
        &second,
        &[
            ("vpc-legacy1", "vpc", "10.60.0.0/16", true),
            ("vpc-legacy1", "vpc", "10.61.0.0/16", false),
        ],
    );
    expect_skips(&second, &[]);
}

#[test]
fn sample_azure_vnet_create_and_subnet_create() {
    let inv = read("samples/azure-vnet-create.json");
    let vnet = SUB;
    let subnet = format!("{SUB}/subnets/subnet-169e367");
    expect_rows(
        &inv,
        &[
            (vnet, "azure-vnet", "10.0.0.0/16", true),
            (&subnet, "azure-subnet", "10.0.0.0/24", true),
        ],
    );
    expect_skips(&inv, &[]);
    for r in &inv.resources {
        assert_eq!(r.region.as_deref(), Some("eastus2"));
        assert_eq!(
            r.account.as_deref(),
            Some("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
        );
    }
    assert_eq!(inv.resources[0].kind, Kind::AzureVnet);
    assert_eq!(inv.resources[0].name.as_deref(), Some("vnet-169e367"));
    assert_eq!(inv.resources[1].vpc_id.as_deref(), Some(vnet));
    assert_eq!(inv.resources[1].name.as_deref(), Some("subnet-169e367"));

    let one = read("samples/azure-vnet-subnet-create.json");
    let bastion = format!("{SUB}/subnets/AzureBastionSubnet");
    expect_rows(&one, &[(&bastion, "azure-subnet", "10.0.1.0/24", true)]);
    expect_skips(&one, &[]);
    let s = &one.resources[0];
    assert_eq!(s.vpc_id.as_deref(), Some(vnet));
    assert_eq!(s.name.as_deref(), Some("AzureBastionSubnet"));
    // A subnet object has no location of its own.
    assert_eq!(s.region, None);
    // Read together, the subnet takes its network's region.
    let both = inventory::read_all(
        &[
            path("samples/azure-vnet-create.json"),
            path("samples/azure-vnet-subnet-create.json"),
        ],
        Default::default(),
    )
    .expect("azure");
    assert_eq!(
        find(&both, &bastion, "10.0.1.0/24").region.as_deref(),
        Some("eastus2")
    );
}

#[test]
fn sample_gcp_subnetworks_and_networks() {
    let inv = read("samples/gcp-subnets-list.json");
    let id = "projects/cfos-384323/regions/asia-east1/subnetworks/gkenode";
    expect_rows(
        &inv,
        &[
            (id, "gcp-subnetwork", "10.0.0.0/24", true),
            // GKE's pods and services ranges.
            (id, "gcp-subnetwork", "10.140.0.0/14", false),
            (id, "gcp-subnetwork", "10.144.0.0/20", false),
        ],
    );
    expect_skips(&inv, &[]);
    for r in &inv.resources {
        assert_eq!(r.region.as_deref(), Some("asia-east1"));
        assert_eq!(r.account.as_deref(), Some("cfos-384323"));
        assert_eq!(
            r.vpc_id.as_deref(),
            Some("projects/cfos-384323/global/networks/gkenetwork1")
        );
        assert_eq!(r.name.as_deref(), Some("gkenode"));
    }
    // A custom-mode network holds no range itself.
    let networks = read("samples/gcp-networks-list.json");
    expect_rows(&networks, &[]);
    expect_skips(
        &networks,
        &[(
            "samples/gcp-networks-list.json: projects/cfos-384323/global/networks/gkenetwork1 ([0])",
            "a Google Cloud VPC network holds no address range itself: its subnetworks do (export them with `gcloud compute networks subnets list --format=json`)",
        )],
    );
}

#[test]
fn sample_netbox_prefixes_of_netbox_3_and_4() {
    let inv = read("samples/netbox-prefixes.json");
    expect_rows(
        &inv,
        &[
            ("prefix-1", "prefix", "192.168.13.0/24", true),
            ("prefix-2", "prefix", "192.168.14.0/24", true),
            ("prefix-3", "prefix", "192.168.15.0/24", true),
        ],
    );
    expect_skips(&inv, &[]);
    for r in &inv.resources {
        assert_eq!(
            (&r.region, &r.account, &r.zone, &r.name),
            (&None, &None, &None, &None)
        );
        assert!(r.tags.is_empty());
    }
    // NetBox 4.2's single prefix (with `scope`) is a container: the prefixes inside it are
    // the networks.
    let v4 = read("samples/netbox-prefix-detail-v4.json");
    expect_rows(&v4, &[]);
    expect_skips(
        &v4,
        &[(
            "samples/netbox-prefix-detail-v4.json: prefix-13980 (the document)",
            "a container: it groups other prefixes, and the networks are the prefixes inside it",
        )],
    );
    let csv = read("samples/netbox-prefixes-import.csv");
    expect_rows(
        &csv,
        &[
            ("VRF 1:10.4.0.0/16", "prefix", "10.4.0.0/16", true),
            ("VRF 1:10.5.0.0/16", "prefix", "10.5.0.0/16", true),
            ("VRF 1:10.6.0.0/16", "prefix", "10.6.0.0/16", true),
        ],
    );
    expect_skips(&csv, &[]);
}

#[test]
fn sample_terraform_show_json_of_states_and_a_plan() {
    // A plan: what will exist once it is applied. Nothing has an ID yet: each resource is
    // named by its address, and the subnets are tied to their VPC by the configuration's
    // reference; the region is the provider's.
    let plan = read("samples/terraform-plan-json-child-module-vpc.json");
    let vpc = "module.vpc_module.aws_vpc.vpc";
    expect_rows(
        &plan,
        &[
            (
                "module.vpc_module.aws_subnet.vpc_subnet[0]",
                "subnet",
                "172.16.0.128/25",
                true,
            ),
            (
                "module.vpc_module.aws_subnet.vpc_subnet[1]",
                "subnet",
                "172.16.0.0/25",
                true,
            ),
            (vpc, "vpc", "172.16.0.0/24", true),
        ],
    );
    expect_skips(
        &plan,
        &[(
            "samples/terraform-plan-json-child-module-vpc.json: module.vpc_module.aws_network_acl.vpc_subnet_acl",
            "type `aws_network_acl`: not a network resource ipam reads",
        )],
    );
    for r in &plan.resources {
        assert_eq!(r.region.as_deref(), Some("us-east-1"), "{}", r.id);
    }
    assert_eq!(plan.resources[0].vpc_id.as_deref(), Some(vpc));
    assert_eq!(plan.resources[1].vpc_id.as_deref(), Some(vpc));

    // Data sources are networks that exist.
    let data = read("samples/terraform-show-json-prior-state-data-vpc-subnet.json");
    expect_rows(
        &data,
        &[
            (
                "subnet-04c460d388900659b",
                "subnet",
                "10.213.220.0/24",
                true,
            ),
            ("vpc-123456abc", "vpc", "10.213.220.0/22", true),
        ],
    );
    expect_skips(&data, &[]);
    let s = &data.resources[0];
    assert_eq!(s.vpc_id.as_deref(), Some("vpc-123456abc"));
    assert_eq!(s.zone.as_deref(), Some("us-east-1c"));
    assert_eq!(s.region.as_deref(), Some("us-east-1"));
    assert_eq!(s.account.as_deref(), Some("073481610293"));
    // The data source counts free addresses: 248 of a /24's 251 usable.
    assert_eq!((s.used, s.total), (Some(3), Some(251)));
    assert_eq!(data.resources[1].region.as_deref(), Some("us-east-1"));

    // States without networks: every resource is listed as skipped, with its type.
    let instance = read("samples/terraform-show-json-state-aws-instance.json");
    expect_rows(&instance, &[]);
    expect_skips(
        &instance,
        &[(
            "samples/terraform-show-json-state-aws-instance.json: aws_instance.app_server",
            "type `aws_instance`: not a network resource ipam reads",
        )],
    );
    let modules = read("samples/terraform-show-json-state-modules.json");
    expect_rows(&modules, &[]);
    expect_skips(
        &modules,
        &[
            (
                "samples/terraform-show-json-state-modules.json: module.module_test_bar.test_instance.example",
                "type `test_instance`: not a network resource ipam reads",
            ),
            (
                "samples/terraform-show-json-state-modules.json: module.module_test_foo.test_instance.example[0]",
                "type `test_instance`: not a network resource ipam reads",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------------------
// The new formats, made by hand where the samples do not cover a shape.

#[test]
fn alibaba_ipam_listing_from_the_documented_fields() {
    // Alibaba Cloud publishes no ListIpamResourceCidrs response example: this file holds
    // the fields its API reference documents, with their documented example values
    // (counts as strings, `ResourceRegionId`, `ManagementStatus`, types `VPC`/`VSwitch`).
    let name = "alibaba-list-ipam-resource-cidrs-from-documented-fields.json";
    let inv = read(name);
    expect_rows(
        &inv,
        &[
            ("vpc-bp16qjewdsunr41m1****", "vpc", "172.16.0.0/12", false),
            // No item says which block is primary: the first IPv4 one read is.
            ("vpc-bp16qjewdsunr41m1****", "vpc", "192.168.0.0/16", true),
            (
                "vsw-bp1pkt1fba8e824ez****",
                "subnet",
                "192.168.1.0/24",
                true,
            ),
        ],
    );
    expect_skips(
        &inv,
        &[
            (
                &format!("{name}: vpc-bp1deleted000000**** (IpamResourceCidrs[3])"),
                "deleted (`Status` is `Deleted`)",
            ),
            (
                &format!("{name}: eip-bp1eip0000000000**** (IpamResourceCidrs[4])"),
                "type `EIP`: not a VPC or vSwitch",
            ),
            (
                &format!("{name}: vsw-bp1hostbits00000**** (IpamResourceCidrs[5])"),
                "`Cidr`: `192.168.2.1/24` has host bits set; did you mean 192.168.2.0/24?",
            ),
        ],
    );
    let vpc = find(&inv, "vpc-bp16qjewdsunr41m1****", "192.168.0.0/16");
    assert_eq!(vpc.region.as_deref(), Some("cn-hangzhou"));
    assert_eq!(vpc.account.as_deref(), Some("1210123456789012"));
    assert_eq!(vpc.name.as_deref(), Some("prod"));
    let vsw = &inv.resources[2];
    assert_eq!(vsw.vpc_id.as_deref(), Some("vpc-bp16qjewdsunr41m1****"));
    // `UsedIpCount` "4" of `TotalIpCount` "252".
    assert_eq!((vsw.used, vsw.total), (Some(4), Some(252)));
    assert_eq!(
        inventory::detect(&std::fs::read_to_string(path(name)).expect("text")),
        Some(format("alibaba-ipam"))
    );
}

#[test]
fn a_per_region_loop_of_documents_reads_each_document() {
    let inv = read("aws-per-region-loop.json");
    expect_rows(
        &inv,
        &[
            ("subnet-east-a", "subnet", "10.70.1.0/24", true),
            ("vpc-east", "vpc", "10.70.0.0/16", true),
            ("vpc-west", "vpc", "10.71.0.0/16", true),
        ],
    );
    expect_skips(
        &inv,
        &[(
            "aws-per-region-loop.json (document 3): Vpcs[1]",
            "no `VpcId`",
        )],
    );
    // The VPC takes the region its subnet's zone gives, across documents.
    assert_eq!(inv.resources[1].region.as_deref(), Some("us-east-1"));
    assert_eq!(inv.resources[2].region, None);
    // A document that is no inventory fails the file, naming the document.
    let e = inventory::parse("{\"Vpcs\": []}\n{\"Instances\": []}", "loop.json", None)
        .expect_err("unknown document");
    assert!(
        e.message
            .starts_with("loop.json (document 2) is not an inventory format ipam knows"),
        "{}",
        e.message
    );
    // A broken document is located in the file.
    let e = inventory::parse("{\"Vpcs\": []}\n{\"Vpcs\": [}", "loop.json", None)
        .expect_err("broken document");
    assert!(
        e.message.starts_with("loop.json:2:11: not valid JSON"),
        "{}",
        e.message
    );
}

#[test]
fn azure_vnet_list_with_dual_stack_and_other_resource_types() {
    let inv = read("azure-vnet-list.json");
    let base = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network";
    let hub = format!("{base}/virtualNetworks/hub");
    let dual = format!("{hub}/subnets/dual");
    let gateway = format!("{hub}/subnets/gateway");
    expect_rows(
        &inv,
        &[
            // The first IPv4 prefix of the address space identifies the network.
            (&hub, "azure-vnet", "10.80.0.0/16", true),
            (&hub, "azure-vnet", "10.81.0.0/16", false),
            (&hub, "azure-vnet", "fd00:db8:deca::/48", false),
            (&dual, "azure-subnet", "10.81.0.0/24", true),
            (&dual, "azure-subnet", "fd00:db8:deca:1::/64", false),
            (&gateway, "azure-subnet", "10.80.1.0/24", true),
        ],
    );
    expect_skips(
        &inv,
        &[
            (
                &format!("azure-vnet-list.json: {hub}/subnets/broken ([0].subnets[2])"),
                "`addressPrefix`: `10.80.2.1/24` has host bits set; did you mean 10.80.2.0/24?",
            ),
            (
                &format!("azure-vnet-list.json: {base}/virtualNetworks/empty ([1])"),
                "no `addressSpace.addressPrefixes`",
            ),
            (
                &format!("azure-vnet-list.json: {base}/networkSecurityGroups/nsg ([2])"),
                "type `Microsoft.Network/networkSecurityGroups`: not a virtual network or subnet",
            ),
        ],
    );
    let vnet = &inv.resources[0];
    assert_eq!(vnet.tags, tags(&[("env", "prod")]));
    assert_eq!(vnet.region.as_deref(), Some("westeurope"));
    assert_eq!(
        vnet.account.as_deref(),
        Some("00000000-0000-0000-0000-000000000001")
    );
    for r in &inv.resources[3..] {
        assert_eq!(r.vpc_id.as_deref(), Some(hub.as_str()));
        assert_eq!(r.region.as_deref(), Some("westeurope"));
    }
}

#[test]
fn gcp_api_list_with_ipv6_and_a_network_range() {
    let inv = read("gcp-subnetworks-api.json");
    let network = "projects/acme-net/global/networks/prod";
    let dual = "projects/acme-net/regions/europe-west1/subnetworks/dual";
    expect_rows(
        &inv,
        &[
            (network, "gcp-network", "fd20:a:b::/48", true),
            (dual, "gcp-subnetwork", "10.90.0.0/20", true),
            (dual, "gcp-subnetwork", "fd20:a:b::/64", false),
        ],
    );
    expect_skips(
        &inv,
        &[
            (
                "gcp-subnetworks-api.json: projects/acme-net/regions/europe-west1/subnetworks/masked (items[1])",
                &format!("`ipCidrRange` `10.91.X.0/20` {MASKED}"),
            ),
            (
                "gcp-subnetworks-api.json: projects/acme-net/global/routes/default-route (items[3])",
                "kind `compute#route`: not a network or subnetwork",
            ),
        ],
    );
    // A network is global: it takes no region from its subnetworks.
    assert_eq!(inv.resources[0].region, None);
    assert_eq!(inv.resources[1].vpc_id.as_deref(), Some(network));
}

#[test]
fn netbox_pages_of_netbox_4_and_csv_exports() {
    let inv = read("netbox-prefixes-v4.json");
    expect_rows(
        &inv,
        &[
            ("prefix-21", "prefix", "10.200.0.0/16", true),
            ("prefix-22", "prefix", "10.200.1.0/24", true),
        ],
    );
    expect_skips(
        &inv,
        &[
            (
                "netbox-prefixes-v4.json: prefix-23 (results[2])",
                "a container: it groups other prefixes, and the networks are the prefixes inside it",
            ),
            (
                "netbox-prefixes-v4.json: 4 (results[3])",
                "a NetBox aggregate, not a prefix",
            ),
            (
                "netbox-prefixes-v4.json: prefix-24 (results[4])",
                "`prefix`: `10.201.0.1/24` has host bits set; did you mean 10.201.0.0/24?",
            ),
        ],
    );
    let p = &inv.resources[0];
    assert_eq!(p.account.as_deref(), Some("Platform"));
    // NetBox 4.2's `scope` (a site), as 3.x's `site`.
    assert_eq!(p.zone.as_deref(), Some("Frankfurt"));
    assert_eq!(p.name.as_deref(), Some("DC1 servers"));
    assert_eq!(p.tags, tags(&[("on-prem", "")]));

    let csv = read("netbox-export.csv");
    expect_rows(
        &csv,
        &[
            ("prefix-31", "prefix", "10.210.0.0/16", true),
            ("prefix-32", "prefix", "10.210.8.0/21", true),
        ],
    );
    expect_skips(
        &csv,
        &[
            (
                "netbox-export.csv: prefix-33 (line 4)",
                "a container: it groups other prefixes, and the networks are the prefixes inside it",
            ),
            (
                "netbox-export.csv: prefix-34 (line 5)",
                "`prefix`: `10.211.0.0` has no prefix length; add the prefix length, e.g. 10.211.0.0/24",
            ),
            (
                "netbox-export.csv: line 6",
                "the row has 3 fields, the header 12",
            ),
        ],
    );
    let p = &csv.resources[0];
    assert_eq!(p.account.as_deref(), Some("Platform"));
    assert_eq!(p.zone.as_deref(), Some("Frankfurt"));
    assert_eq!(p.name.as_deref(), Some("DC2, servers"));
    assert_eq!(p.tags, tags(&[("dc2", ""), ("on-prem", "")]));
    // An em dash is NetBox's empty relation.
    assert_eq!(csv.resources[1].account, None);
}

#[test]
fn terraform_state_with_azure_and_google_networks() {
    let inv = read("terraform-azure-google.json");
    let base = "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg/providers/Microsoft.Network";
    let hub = format!("{base}/virtualNetworks/hub");
    let gke = "projects/acme-net/regions/europe-west1/subnetworks/gke";
    expect_rows(
        &inv,
        &[
            (&hub, "azure-vnet", "10.0.0.0/16", true),
            (
                &format!("{hub}/subnets/apps"),
                "azure-subnet",
                "10.0.2.0/24",
                true,
            ),
            // A `subnet` block of the virtual network.
            (
                &format!("{hub}/subnets/inline"),
                "azure-subnet",
                "10.0.1.0/24",
                true,
            ),
            // A data source.
            (
                &format!("{base}/virtualNetworks/spoke"),
                "azure-vnet",
                "10.1.0.0/16",
                true,
            ),
            (gke, "gcp-subnetwork", "10.100.0.0/20", true),
            (gke, "gcp-subnetwork", "10.100.16.0/20", false),
            (gke, "gcp-subnetwork", "10.104.0.0/14", false),
        ],
    );
    expect_skips(
        &inv,
        &[
            (
                "terraform-azure-google.json: azurerm_network_security_group.apps",
                "type `azurerm_network_security_group`: not a network resource ipam reads",
            ),
            (
                "terraform-azure-google.json: projects/acme-net/global/networks/prod (module.gcp.google_compute_network.prod)",
                "a Google Cloud VPC network holds no address range itself: its subnetworks do (export them with `gcloud compute networks subnets list --format=json`)",
            ),
        ],
    );
    let apps = &inv.resources[1];
    assert_eq!(apps.vpc_id.as_deref(), Some(hub.as_str()));
    assert_eq!(apps.region.as_deref(), Some("northeurope"));
    assert_eq!(inv.resources[0].tags, tags(&[("env", "prod")]));
    let g = &inv.resources[4];
    assert_eq!(g.region.as_deref(), Some("europe-west1"));
    assert_eq!(g.account.as_deref(), Some("acme-net"));
    assert_eq!(
        g.vpc_id.as_deref(),
        Some("projects/acme-net/global/networks/prod")
    );
}

#[test]
fn terraform_show_json_with_nested_modules_and_data_sources() {
    let inv = read("terraform-show-modules.json");
    expect_rows(
        &inv,
        &[
            ("subnet-show-a", "subnet", "10.120.1.0/24", true),
            ("vpc-show-ali", "vpc", "172.30.0.0/16", true),
            ("vpc-show-main", "vpc", "10.120.0.0/16", true),
            ("vpc-show-main", "vpc", "10.121.0.0/16", false),
        ],
    );
    expect_skips(
        &inv,
        &[(
            "terraform-show-modules.json: aws_instance.web",
            "type `aws_instance`: not a network resource ipam reads",
        )],
    );
    let main = find(&inv, "vpc-show-main", "10.121.0.0/16");
    // The association in a child module takes its VPC's fields.
    assert_eq!(main.region.as_deref(), Some("eu-west-1"));
    assert_eq!(main.tags, tags(&[("Name", "main"), ("team", "net")]));
    assert_eq!(
        find(&inv, "vpc-show-ali", "172.30.0.0/16").name.as_deref(),
        Some("peer")
    );
}

// ---------------------------------------------------------------------------------------
// Native format.

#[test]
fn native_inventory_with_secondary_ipv6_subnets_and_explicit_primary() {
    let inv = read("native.json");
    expect_rows(
        &inv,
        &[
            ("subnet-a1", "subnet", "10.0.1.0/24", true),
            ("subnet-a2", "subnet", "2001:db8:a:1::/64", true),
            ("vpc-a", "vpc", "10.0.0.0/16", true),
            ("vpc-a", "vpc", "10.1.0.0/16", false),
            ("vpc-a", "vpc", "2001:db8:a::/56", false),
            ("vpc-b", "vpc", "172.16.0.0/12", false),
            ("vpc-b", "vpc", "192.168.0.0/16", true),
            ("vsw-b", "subnet", "172.16.0.0/24", true),
        ],
    );
    expect_skips(&inv, &[]);
    let a = find(&inv, "vpc-a", "10.0.0.0/16");
    assert_eq!(a.tags, tags(&[("cost-centre", "42"), ("env", "prod")]));
    assert_eq!(a.name.as_deref(), Some("prod-a"));
    let a1 = find(&inv, "subnet-a1", "10.0.1.0/24");
    assert_eq!((a1.used, a1.total), (Some(12), Some(251)));
    // No region of its own: its VPC's.
    assert_eq!(a1.region.as_deref(), Some("eu-west-1"));
    let a2 = find(&inv, "subnet-a2", "2001:db8:a:1::/64");
    assert_eq!((a2.used, a2.total), (Some(0), Some(1 << 64)));
    let vsw = find(&inv, "vsw-b", "172.16.0.0/24");
    assert_eq!(vsw.account.as_deref(), Some("1234567"));
    assert_eq!(vsw.region.as_deref(), Some("cn-hangzhou"));
    assert_eq!(find(&inv, "vpc-b", "192.168.0.0/16").zone, None);
}

#[test]
fn native_entries_that_cannot_be_used_are_each_reported() {
    let inv = read("native-broken.json");
    expect_rows(&inv, &[("vpc-good", "vpc", "10.9.0.0/16", true)]);
    let f = "native-broken.json";
    expect_skips(
        &inv,
        &[
            (
                &format!("{f}: vpc-masked (resources[0])"),
                &format!("`cidr` `10.XXX.0.0/16` {MASKED}"),
            ),
            (
                &format!("{f}: vpc-hostbits (resources[1])"),
                "`cidr`: `10.0.0.1/16` has host bits set; did you mean 10.0.0.0/16?",
            ),
            (&format!("{f}: resources[2]"), "no `id`"),
            (&format!("{f}: vpc-notype (resources[3])"), "no `type`"),
            (
                &format!("{f}: vpc-badtype (resources[4])"),
                "`type` is \"router\": expected \"vpc\" or \"subnet\"",
            ),
            (&format!("{f}: vpc-nocidr (resources[5])"), "no `cidr`"),
            (
                &format!("{f}: vpc-numcidr (resources[6])"),
                "`cidr` must be a string, found a number",
            ),
            (
                &format!("{f}: subnet-over (resources[7])"),
                "`used` (300) is more than `total` (251)",
            ),
            (
                &format!("{f}: subnet-neg (resources[8])"),
                "`used` must be a count of addresses, found a negative number",
            ),
            (
                &format!("{f}: subnet-tags (resources[9])"),
                "`tags` must be an object of strings, found a list",
            ),
            (
                &format!("{f}: subnet-region (resources[10])"),
                "`region` must be a string, found an object",
            ),
            (&format!("{f}: resources[11]"), "not a resource: a string"),
        ],
    );
}

#[test]
fn native_format_named_after_the_resources_is_still_recognised() {
    let inv = read("native-late-format.json");
    expect_rows(&inv, &[("vpc-late", "vpc", "10.10.0.0/16", true)]);
}

#[test]
fn native_inventory_of_a_newer_version_is_refused() {
    let e = read_error("native-newer.json", None);
    assert_eq!(e.code, "ipam::audit::version");
    assert!(e.message.contains("format_version 2"), "{}", e.message);
    assert!(e.message.contains("reads version 1"), "{}", e.message);
}

#[test]
fn native_document_errors_are_located() {
    let cases = [
        (
            r#"{"format": "ipam-inventory", "format_version": 1}"#,
            "has no `resources` list",
        ),
        (
            r#"{"format": "ipam-inventory", "resources": []}"#,
            "has no `format_version`",
        ),
        (
            r#"{"format": "ipam-inventory", "format_version": 1, "resources": {"a": 1}}"#,
            "x.json:1:63: invalid type: map, expected a list of resources",
        ),
        (
            r#"{"format": "ipam-inventory", "format_version": "one", "resources": []}"#,
            "`format_version` is \"one\", not a known version",
        ),
        (
            "{\"format\": \"ipam-inventory\", \"format_version\": 1, \"resources\": []} trailing",
            "x.json:1:68: not valid JSON: trailing characters",
        ),
    ];
    for (text, message) in cases {
        let e = inventory::parse(text, "x.json", Some(format("native"))).expect_err(text);
        assert!(e.message.contains(message), "{text}: {}", e.message);
    }
    // Forced, a native inventory may leave out `format`.
    let inv = inventory::parse(
        r#"{"format_version": 1, "resources": [{"id": "v", "type": "vpc", "cidr": "10.0.0.0/8"}]}"#,
        "x.json",
        Some(format("native")),
    )
    .expect("native");
    assert_eq!(inv.resources.len(), 1);
}

#[test]
fn native_round_trip_of_every_readable_fixture() {
    let inv = inventory::read_all(
        &[
            path("native.json"),
            path("inventory.csv"),
            path("aws-vpcs.json"),
            path("aws-subnets.json"),
            path("alibaba-vpcs.json"),
            path("terraform.json"),
        ],
        Default::default(),
    )
    .expect("fixtures");
    let text = serde_json::to_string_pretty(&to_native(&inv.resources)).expect("json");
    let back = inventory::parse(&text, "round-trip.json", None).expect("native");
    assert!(back.skipped.is_empty(), "{:?}", back.skipped);
    let strip = |rows: &[Discovered]| -> Vec<Discovered> {
        let mut rows: Vec<Discovered> = rows
            .iter()
            .cloned()
            .map(|mut r| {
                r.source = "".into();
                r
            })
            .collect();
        rows.sort_by(|a, b| (&a.id, a.cidr).cmp(&(&b.id, b.cidr)));
        rows
    };
    assert_eq!(strip(&back.resources), strip(&inv.resources));
}

/// Not a timing: a large native inventory (written as an exporter would, sorted, with
/// `primary` explicit) reads completely and exactly.
#[test]
fn large_native_inventory_reads_exactly() {
    let n = 20_000u32;
    let rows: Vec<Discovered> = (0..n)
        .map(|i| {
            let subnet = i % 4 != 0;
            let cidr = if subnet {
                format!("10.{}.{}.0/24", i >> 8 & 0xFF, i & 0xFF)
            } else {
                format!("2001:db8:{:x}::/48", i)
            };
            Discovered {
                id: format!("res-{i:08}").into(),
                kind: if subnet { Kind::Subnet } else { Kind::Vpc },
                cidr: cidr.parse().expect("cidr"),
                region: Some("eu-west-1".into()),
                account: Some("111122223333".into()),
                vpc_id: subnet.then(|| "vpc-1".into()),
                zone: subnet.then(|| "eu-west-1a".into()),
                used: subnet.then_some(u128::from(i % 251)),
                total: subnet.then_some(251),
                tags: tags(&[("env", "prod")]),
                name: None,
                source: "big.json".into(),
                primary: true,
            }
        })
        .collect();
    let text = serde_json::to_string(&to_native(&rows)).expect("json");
    let inv = inventory::parse(&text, "big.json", None).expect("native");
    assert!(inv.skipped.is_empty());
    assert_eq!(inv.resources, rows);
}

// ---------------------------------------------------------------------------------------
// CSV.

#[test]
fn csv_with_quotes_blank_lines_secondary_and_ipv6() {
    let inv = read("inventory.csv");
    expect_rows(
        &inv,
        &[
            ("subnet-c1", "subnet", "10.20.1.0/24", true),
            ("subnet-c2", "subnet", "10.20.2.0/24", true),
            ("vpc-c", "vpc", "10.20.0.0/16", true),
            ("vpc-c", "vpc", "10.21.0.0/16", false),
            ("vpc-c", "vpc", "2600:1f18::/56", false),
        ],
    );
    expect_skips(&inv, &[]);
    let vpc = find(&inv, "vpc-c", "10.20.0.0/16");
    assert_eq!(vpc.tags, tags(&[("env", "prod"), ("team", "net,ops")]));
    assert_eq!(vpc.name.as_deref(), Some("prod"));
    assert_eq!(vpc.account.as_deref(), Some("111122223333"));
    let c1 = find(&inv, "subnet-c1", "10.20.1.0/24");
    assert_eq!((c1.used, c1.total), (Some(10), Some(251)));
    assert_eq!(c1.name.as_deref(), Some("web, public"));
    assert_eq!(c1.zone.as_deref(), Some("us-east-1a"));
    assert_eq!(c1.vpc_id.as_deref(), Some("vpc-c"));
    let c2 = find(&inv, "subnet-c2", "10.20.2.0/24");
    assert_eq!(c2.name.as_deref(), Some("say \"hi\""));
    assert_eq!(c2.region.as_deref(), Some("us-east-1"));
}

#[test]
fn csv_with_semicolons_crlf_aliases_and_explicit_primary() {
    let inv = read("semicolon.csv");
    expect_rows(
        &inv,
        &[
            ("vpc-d", "vpc", "10.30.0.0/16", false),
            ("vpc-d", "vpc", "10.31.0.0/16", true),
            ("vsw-d", "subnet", "10.30.1.0/24", true),
        ],
    );
    let vsw = find(&inv, "vsw-d", "10.30.1.0/24");
    assert_eq!(vsw.account.as_deref(), Some("1234567"));
    assert_eq!(vsw.zone.as_deref(), Some("cn-hangzhou-b"));
}

#[test]
fn csv_rows_that_cannot_be_used_are_each_reported() {
    let inv = read("broken.csv");
    expect_rows(&inv, &[("vpc-good", "vpc", "10.47.0.0/16", true)]);
    let f = "broken.csv";
    expect_skips(
        &inv,
        &[
            (
                &format!("{f}: vpc-hostbits (line 2)"),
                "`cidr`: `10.40.0.1/16` has host bits set; did you mean 10.40.0.0/16?",
            ),
            (
                &format!("{f}: vpc-masked (line 3)"),
                &format!("`cidr` `10.XX.0.0/16` {MASKED}"),
            ),
            (&format!("{f}: line 4"), "no `id`"),
            (
                &format!("{f}: vpc-badtype (line 5)"),
                "`type` is `router`: expected vpc or subnet",
            ),
            (
                &format!("{f}: subnet-badcount (line 6)"),
                "`used` is `lots`, not a count of addresses",
            ),
            (
                &format!("{f}: subnet-badtags (line 7)"),
                "tag `novalue` has no `=`: write tags as key=value;key=value",
            ),
            (
                &format!("{f}: vpc-badprimary (line 8)"),
                "`primary` is `maybe`: expected true or false",
            ),
            (
                &format!("{f}: vpc-short (line 9)"),
                "the row has 3 fields, the header 7",
            ),
            (
                &format!("{f}: vpc-open,,,, (line 11)"),
                "a quoted field is not closed: the rest of the file was read as part of this row",
            ),
        ],
    );
}

#[test]
fn csv_without_a_required_column_is_refused() {
    let e = read_error("missing-column.csv", None);
    assert_eq!(e.code, "ipam::audit::csv");
    assert!(
        e.message.ends_with(
            "missing-column.csv:1: the CSV header `id,cidr,region` has no `type` column"
        ),
        "{}",
        e.message
    );
    assert!(
        e.help
            .as_deref()
            .is_some_and(|h| h.contains("id,type,cidr"))
    );
}

// ---------------------------------------------------------------------------------------
// AWS.

#[test]
fn aws_vpcs_with_secondary_ipv6_and_dead_associations() {
    let inv = read("aws-vpcs.json");
    expect_rows(
        &inv,
        &[
            ("vpc-multi", "vpc", "10.50.0.0/16", true),
            ("vpc-multi", "vpc", "10.51.0.0/16", false),
            // `associating` is on its way in: counted. `disassociated` and `failed` are not.
            ("vpc-multi", "vpc", "10.54.0.0/16", false),
            ("vpc-multi", "vpc", "2600:1f18:aaaa:bb00::/56", false),
            ("vpc-region", "vpc", "10.70.0.0/16", true),
        ],
    );
    expect_skips(
        &inv,
        &[
            (
                "aws-vpcs.json: vpc-multi (Vpcs[0])",
                "`CidrBlockAssociationSet`: `10.55.0.1/16` has host bits set; did you mean 10.55.0.0/16?",
            ),
            ("aws-vpcs.json: vpc-nocidr (Vpcs[1])", "no `CidrBlock`"),
            ("aws-vpcs.json: Vpcs[2]", "no `VpcId`"),
        ],
    );
    let multi = find(&inv, "vpc-multi", "10.51.0.0/16");
    assert_eq!(multi.tags, tags(&[("Name", "multi"), ("env", "prod")]));
    assert_eq!(multi.name.as_deref(), Some("multi"));
    assert_eq!(multi.account.as_deref(), Some("111122223333"));
    assert_eq!(multi.region, None);
    assert_eq!(
        find(&inv, "vpc-region", "10.70.0.0/16").region.as_deref(),
        Some("eu-central-1")
    );
}

#[test]
fn aws_older_outputs_read_like_current_ones() {
    // Before secondary CIDRs: no `CidrBlockAssociationSet`.
    let old = read("aws-vpcs-old.json");
    expect_rows(&old, &[("vpc-2015", "vpc", "172.30.0.0/16", true)]);
    assert_eq!(old.resources[0].name.as_deref(), Some("legacy"));
    // The Query API's spelling: camelCase keys, `vpcSet`, `tagSet`, `item` lists.
    let query = read("aws-vpcs-query-api.json");
    expect_rows(
        &query,
        &[
            ("vpc-queryapi", "vpc", "10.80.0.0/16", true),
            ("vpc-queryapi", "vpc", "10.81.0.0/16", false),
        ],
    );
    expect_skips(&query, &[]);
    assert_eq!(query.resources[0].account.as_deref(), Some("444455556666"));
    assert_eq!(query.resources[0].name.as_deref(), Some("from-query-api"));
    // `--query 'Vpcs[]'`: a bare list.
    let bare = read("aws-vpcs-bare.json");
    expect_rows(&bare, &[("vpc-bare", "vpc", "10.90.0.0/16", true)]);
}

#[test]
fn aws_subnets_dual_stack_ipv6_only_and_broken() {
    let inv = read("aws-subnets.json");
    expect_rows(
        &inv,
        &[
            ("subnet-dual", "subnet", "10.50.0.0/19", true),
            ("subnet-dual", "subnet", "2600:1f18:aaaa:bb01::/64", false),
            ("subnet-stringcount", "subnet", "10.50.65.0/24", true),
            // An IPv6-only subnet: its IPv6 block identifies it.
            ("subnet-v6only", "subnet", "2600:1f18:aaaa:bb03::/64", true),
        ],
    );
    expect_skips(
        &inv,
        &[
            ("aws-subnets.json: Subnets[2]", "no `SubnetId`"),
            (
                "aws-subnets.json: subnet-masked (Subnets[4])",
                &format!("`CidrBlock` `10.50.66.***/24` {MASKED}"),
            ),
            ("aws-subnets.json: Subnets[5]", "not a subnet: a number"),
        ],
    );
    let dual = find(&inv, "subnet-dual", "10.50.0.0/19");
    // A local zone's region.
    assert_eq!(dual.region.as_deref(), Some("us-east-1"));
    assert_eq!(dual.zone.as_deref(), Some("us-east-1-bos-1a"));
    assert_eq!((dual.used, dual.total), (Some(1), Some(8187)));
    let counted = find(&inv, "subnet-stringcount", "10.50.65.0/24");
    assert_eq!((counted.used, counted.total), (Some(0), Some(251)));
}

// ---------------------------------------------------------------------------------------
// Alibaba Cloud.

#[test]
fn alibaba_vpcs_without_wrapper_with_arrays_and_empty_lists() {
    let inv = read("alibaba-vpcs.json");
    expect_rows(
        &inv,
        &[
            ("vpc-ali-bad", "vpc", "10.202.0.0/16", false),
            ("vpc-ali-multi", "vpc", "10.100.0.0/16", false),
            ("vpc-ali-multi", "vpc", "10.101.0.0/16", false),
            ("vpc-ali-multi", "vpc", "172.16.0.0/12", true),
            ("vpc-ali-multi", "vpc", "2408:4000:1000:a600::/56", false),
            ("vpc-ali-multi", "vpc", "2409:8c00:1000:b600::/56", false),
            ("vpc-ali-single", "vpc", "192.168.0.0/16", true),
        ],
    );
    expect_skips(
        &inv,
        &[
            ("alibaba-vpcs.json: Vpcs.Vpc[2]", "no `VpcId`"),
            (
                "alibaba-vpcs.json: vpc-ali-bad (Vpcs.Vpc[3])",
                "`CidrBlock`: `10.201.0.1/16` has host bits set; did you mean 10.201.0.0/16?",
            ),
        ],
    );
    let multi = find(&inv, "vpc-ali-multi", "172.16.0.0/12");
    assert_eq!(multi.account.as_deref(), Some("1234567"));
    assert_eq!(multi.region.as_deref(), Some("cn-shanghai"));
    assert_eq!(multi.name.as_deref(), Some("multi"));
    assert_eq!(multi.tags, tags(&[("env", "prod"), ("team", "net")]));
    let single = find(&inv, "vpc-ali-single", "192.168.0.0/16");
    assert_eq!(single.account.as_deref(), Some("7654321"));
    assert!(single.tags.is_empty());
}

#[test]
fn alibaba_vswitches_wrapped_with_one_object_instead_of_a_list() {
    let inv = read("alibaba-vswitches.json");
    expect_rows(&inv, &[("vsw-ali-one", "subnet", "172.16.1.0/24", true)]);
    expect_skips(&inv, &[]);
    let v = &inv.resources[0];
    assert_eq!(v.vpc_id.as_deref(), Some("vpc-ali-multi"));
    assert_eq!(v.region.as_deref(), Some("ap-southeast-1"));
    assert_eq!(v.zone.as_deref(), Some("ap-southeast-1a"));
    assert_eq!(v.account.as_deref(), Some("1234567"));
    // An empty `VSwitchName` gives way to the `Name` tag.
    assert_eq!(v.name.as_deref(), Some("tagged-name"));
    assert_eq!((v.used, v.total), (Some(52), Some(252)));
    let empty = read("alibaba-vswitches-empty.json");
    assert!(empty.resources.is_empty() && empty.skipped.is_empty());
}

// ---------------------------------------------------------------------------------------
// Terraform.

#[test]
fn terraform_state_with_modules_for_each_associations_data_sources_and_alicloud() {
    let inv = read("terraform.json");
    expect_rows(
        &inv,
        &[
            ("subnet-tf-a", "subnet", "10.110.1.0/24", true),
            ("subnet-tf-b", "subnet", "10.110.2.0/24", true),
            ("subnet-tf-b", "subnet", "2600:1f18:1:ab02::/64", false),
            // A data source: a VPC that exists, read by this configuration.
            ("vpc-shared", "vpc", "10.199.0.0/16", true),
            ("vpc-tf-ali", "vpc", "10.120.0.0/16", false),
            ("vpc-tf-ali", "vpc", "10.121.0.0/16", false),
            ("vpc-tf-ali", "vpc", "172.20.0.0/16", true),
            ("vpc-tf-ali", "vpc", "2408:4001:0:100::/56", false),
            ("vpc-tf-main", "vpc", "10.110.0.0/16", true),
            ("vpc-tf-main", "vpc", "10.111.0.0/16", false),
            ("vpc-tf-main", "vpc", "2600:1f18:1:ab00::/56", false),
            ("vsw-tf-ali", "subnet", "172.20.1.0/24", true),
        ],
    );
    expect_skips(
        &inv,
        &[
            (
                "terraform.json: subnet-tf-masked (aws_subnet.counted[0])",
                &format!("`cidr_block` `10.110.X.0/24` {MASKED}"),
            ),
            (
                "terraform.json: aws_instance.web",
                "type `aws_instance`: not a network resource ipam reads",
            ),
            ("terraform.json: aws_subnet.noattrs", "no `attributes`"),
            ("terraform.json: aws_vpc.noid", "no `id`"),
        ],
    );
    // `tags_all` holds the provider's default tags.
    let main = find(&inv, "vpc-tf-main", "10.110.0.0/16");
    assert_eq!(main.tags, tags(&[("Name", "main"), ("env", "prod")]));
    assert_eq!(main.region.as_deref(), Some("eu-west-1"));
    // The association lends the VPC's region, account, tags and name.
    let assoc = find(&inv, "vpc-tf-main", "10.111.0.0/16");
    assert_eq!(assoc.region.as_deref(), Some("eu-west-1"));
    assert_eq!(assoc.account.as_deref(), Some("111122223333"));
    assert_eq!(assoc.name.as_deref(), Some("main"));
    let b = find(&inv, "subnet-tf-b", "10.110.2.0/24");
    assert_eq!(b.region.as_deref(), Some("eu-west-1"));
    assert_eq!(b.zone.as_deref(), Some("eu-west-1b"));
    // An Alibaba VPC has no region in state: its vSwitch's zone gives it.
    let ali = find(&inv, "vpc-tf-ali", "172.20.0.0/16");
    assert_eq!(ali.region.as_deref(), Some("cn-hangzhou"));
    assert_eq!(ali.name.as_deref(), Some("ali-vpc"));
    let vsw = find(&inv, "vsw-tf-ali", "172.20.1.0/24");
    assert_eq!(vsw.vpc_id.as_deref(), Some("vpc-tf-ali"));
    assert_eq!(vsw.zone.as_deref(), Some("cn-hangzhou-h"));
    assert_eq!(vsw.name.as_deref(), Some("ali-vsw"));
}

#[test]
fn terraform_state_of_an_old_version_is_refused() {
    let e = read_error("terraform-v3.json", None);
    assert_eq!(e.code, "ipam::audit::version");
    assert!(
        e.message
            .ends_with("terraform-v3.json is a Terraform state of version 3; ipam reads version 4"),
        "{}",
        e.message
    );
}

// ---------------------------------------------------------------------------------------
// Several files, forced formats, broken files.

#[test]
fn mixed_formats_merge_into_one_ordered_inventory() {
    let files = [
        path("terraform.json"),
        path("native-dup.json"),
        path("aws-subnets.json"),
        path("samples/alibaba-describe-vswitches.json"),
        path("aws-vpcs.json"),
        path("inventory.csv"),
        // Given twice, read once.
        path("aws-vpcs.json"),
    ];
    let inv = inventory::read_all(&files, Default::default()).expect("inventories");
    let per_file: usize = [
        "terraform.json",
        "native-dup.json",
        "aws-subnets.json",
        "samples/alibaba-describe-vswitches.json",
        "aws-vpcs.json",
        "inventory.csv",
    ]
    .iter()
    .map(|f| read(f).resources.len())
    .sum();
    // vpc-multi 10.50.0.0/16 is in both aws-vpcs.json and native-dup.json: one row.
    assert_eq!(inv.resources.len(), per_file - 1);
    let sources: Vec<String> = inv
        .resources
        .iter()
        .map(|r| r.source.replace(&format!("{}/", dir().display()), ""))
        .collect();
    let mut sorted = sources.clone();
    sorted.sort();
    assert_eq!(sources, sorted, "rows are ordered by source");
    let multi = find(&inv, "vpc-multi", "10.50.0.0/16");
    // The first file (in path order) wins; the later one fills in.
    assert!(multi.source.ends_with("aws-vpcs.json"));
    assert_eq!(
        multi.tags,
        tags(&[("Name", "multi"), ("env", "prod"), ("owner", "net")])
    );
    // Regions cross files: the VPC from aws-vpcs.json takes its subnets' region.
    assert_eq!(multi.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        find(&inv, "vpc-multi", "10.51.0.0/16").region.as_deref(),
        Some("us-east-1")
    );
    // Skips come file by file in path order, each file's in reading order.
    let skip_files: Vec<String> = skips(&inv)
        .into_iter()
        .map(|(s, _)| s.split(':').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        skip_files,
        [
            "aws-subnets.json",
            "aws-subnets.json",
            "aws-subnets.json",
            "aws-vpcs.json",
            "aws-vpcs.json",
            "aws-vpcs.json",
            "terraform.json",
            "terraform.json",
            "terraform.json",
            "terraform.json",
        ]
    );
    // Same files in another order: the same inventory.
    let mut reversed = files.to_vec();
    reversed.reverse();
    assert_eq!(
        inventory::read_all(&reversed, Default::default()).expect("inventories"),
        inv
    );
}

#[test]
fn every_unreadable_file_is_reported_at_once() {
    let errors = inventory::read_all(
        &[
            path("unknown.json"),
            path("aws-vpcs.json"),
            path("invalid.json"),
            path("does-not-exist.json"),
        ],
        Default::default(),
    )
    .expect_err("broken files");
    let codes: Vec<&str> = errors.iter().map(|e| e.code).collect();
    assert_eq!(
        codes,
        [
            "ipam::audit::read",
            "ipam::audit::json",
            "ipam::audit::format"
        ]
    );
    assert!(errors[0].message.contains("does-not-exist.json"));
}

#[test]
fn a_forced_format_reads_as_that_format_or_says_why_not() {
    let inv = inventory::read(
        &path("samples/aws-describe-vpcs.json"),
        Some(format("aws-vpcs")),
    )
    .expect("forced");
    assert_eq!(inv.resources.len(), 2);
    let e = read_error(
        "samples/aws-describe-vpcs.json",
        Some(format("alibaba-vswitches")),
    );
    assert_eq!(e.code, "ipam::audit::format");
    assert!(
        e.message.ends_with(
            "aws-describe-vpcs.json has no `VSwitches` list: it is not an Alibaba Cloud DescribeVSwitches response"
        ),
        "{}",
        e.message
    );
    let e = read_error("samples/aws-describe-vpcs.json", Some(format("csv")));
    assert_eq!(e.code, "ipam::audit::csv");
    let e = read_error("inventory.csv", Some(format("terraform")));
    assert_eq!(e.code, "ipam::audit::json");
}

#[test]
fn invalid_json_is_located() {
    let e = read_error("invalid.json", None);
    assert_eq!(e.code, "ipam::audit::json");
    assert!(
        e.message
            .ends_with("invalid.json:3:51: not valid JSON: trailing comma"),
        "{}",
        e.message
    );
    let e = read_error("truncated.json", None);
    assert!(
        e.message
            .ends_with("truncated.json:10:27: not valid JSON: EOF while parsing a string"),
        "{}",
        e.message
    );
    assert!(e.help.as_deref().is_some_and(|h| h.contains("cut short")));
}

#[test]
fn unknown_formats_say_what_they_found_and_what_is_supported() {
    let e = read_error("unknown.json", None);
    assert_eq!(e.code, "ipam::audit::format");
    assert!(
        e.message.ends_with(
            "unknown.json is not an inventory format ipam knows: its top-level keys are `Instances`, `NextToken`"
        ),
        "{}",
        e.message
    );
    assert!(e.help.as_deref().is_some_and(|h| h.contains("--format")));
    let e = read_error("unknown.txt", None);
    assert!(
        e.message.ends_with(
            "unknown.txt is neither a JSON object or list nor a CSV inventory: its first line is `hostname address`"
        ),
        "{}",
        e.message
    );
    let e = read_error("empty.json", None);
    assert!(e.message.ends_with("empty.json is empty"), "{}", e.message);
    for (text, message) in [
        (
            "\"text\"",
            "neither a JSON object or list nor a CSV inventory",
        ),
        ("[42, null]", "it is a list of values, not of resources"),
        ("{}", "it is an empty object"),
    ] {
        let e = inventory::parse(text, "x.json", None).expect_err(text);
        assert!(e.message.contains(message), "{text}: {}", e.message);
    }
}

#[test]
fn text_that_is_not_utf8_is_refused_and_utf16_is_read() {
    let dir = std::env::temp_dir().join(format!("ipam-audit-readers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let binary = dir.join("binary.json");
    std::fs::write(&binary, [0x7B, 0xFF, 0xFE, 0x00, 0x7D]).expect("write");
    let e = inventory::read(&binary, None).expect_err("binary");
    assert_eq!(e.code, "ipam::audit::read");
    assert!(
        e.message.contains("invalid UTF-8 at byte 1"),
        "{}",
        e.message
    );
    let utf16 = dir.join("utf16.json");
    let text = std::fs::read_to_string(path("samples/aws-describe-vpcs.json")).expect("sample");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    std::fs::write(&utf16, bytes).expect("write");
    let inv = inventory::read(&utf16, None).expect("utf-16");
    assert_eq!(inv.resources.len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// No input panics.

/// Found by `byte_flips_never_panic`: a top-level key whose fourth byte is inside a
/// multi-byte character.
#[test]
fn keys_that_are_not_ascii_are_read_without_panic() {
    for text in [
        "{\"ver\u{fffd}ion\": 4}",
        "{\"Ip\u{e4}mPools\": []}",
        "{\"ipa\u{e9}\": 1}",
    ] {
        let e = inventory::parse(text, "x.json", None).expect_err(text);
        assert_eq!(e.code, "ipam::audit::format", "{text}");
    }
}

/// Every inventory under `tests/inventories/`, samples included.
fn file_texts() -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("inventories")
        .chain(std::fs::read_dir(path("samples")).expect("samples"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("text"))
        .collect()
}

/// [`file_texts`], and each JSON one followed by the next (several documents in one file,
/// as a per-region loop writes them).
fn all_texts() -> Vec<String> {
    let texts = file_texts();
    let json: Vec<&String> = texts
        .iter()
        .filter(|t| t.trim_start().starts_with(['{', '[']))
        .collect();
    let pairs: Vec<String> = json
        .windows(2)
        .map(|w| format!("{}\n{}", w[0], w[1]))
        .collect();
    texts.into_iter().chain(pairs).collect()
}

/// Reads `text` with detection and with every format forced; only panics matter.
fn read_every_way(text: &str) {
    let _ = inventory::detect(text);
    let _ = inventory::parse(text, "mangled", None);
    for &format in Format::ALL {
        let _ = inventory::parse(text, "mangled", Some(format));
    }
}

#[test]
fn every_truncation_of_every_inventory_is_read_without_panic() {
    for text in file_texts() {
        let step = (text.len() / 150).max(1);
        for end in (0..text.len()).step_by(step) {
            if text.is_char_boundary(end) {
                read_every_way(&text[..end]);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Replace a slice of an inventory with text from JSON's, CSV's and CIDRs' alphabet.
    #[test]
    fn mangled_inventories_never_panic(
        file in 0usize..256,
        at in 0.0f64..1.0,
        cut in 0usize..40,
        insert in "[a-zA-Z0-9./:=\\[\\]{}\",;*\n -]{0,20}",
    ) {
        let texts = all_texts();
        let text = &texts[file % texts.len()];
        let mut start = (text.len() as f64 * at) as usize;
        while !text.is_char_boundary(start) { start -= 1; }
        let mut end = (start + cut).min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        read_every_way(&format!("{}{}{}", &text[..start], insert, &text[end..]));
    }

    /// Flip bytes anywhere (the result read as text, lossily).
    #[test]
    fn byte_flips_never_panic(
        file in 0usize..256,
        flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 1..6),
    ) {
        let texts = all_texts();
        let mut bytes = texts[file % texts.len()].clone().into_bytes();
        for (at, byte) in flips {
            if bytes.is_empty() { break; }
            let i = ((bytes.len() as f64 * at) as usize).min(bytes.len() - 1);
            bytes[i] = byte;
        }
        read_every_way(&String::from_utf8_lossy(&bytes));
    }
}

/// Large exports are read on several cores; rows, skips and their order are those of a
/// reading one entry at a time.
#[test]
fn large_exports_read_on_every_core_keep_reading_order() {
    let n = 20_000;
    let mut vpcs = Vec::new();
    for i in 0..n {
        if i % 997 == 0 {
            vpcs.push(format!(
                r#"{{"CidrBlock": "10.{}.{}.0/24"}}"#,
                i >> 8 & 0xff,
                i & 0xff
            ));
        } else {
            vpcs.push(format!(
                r#"{{"VpcId": "vpc-{i:06}", "CidrBlock": "10.{}.{}.0/24", "CidrBlockAssociationSet": [{{"CidrBlock": "10.{}.{}.0/24"}}, {{"CidrBlock": "172.{}.{}.0/24"}}]}}"#,
                i >> 8 & 0xff,
                i & 0xff,
                i >> 8 & 0xff,
                i & 0xff,
                16 + (i >> 8 & 0x0f),
                i & 0xff
            ));
        }
    }
    let text = format!("{{\"Vpcs\": [{}]}}", vpcs.join(",\n"));
    let inv = inventory::parse(&text, "big.json", None).expect("vpcs");
    let bad: Vec<usize> = (0..n).filter(|i| i % 997 == 0).collect();
    assert_eq!(inv.resources.len(), (n - bad.len()) * 2);
    let want: Vec<String> = bad.iter().map(|i| format!("big.json: Vpcs[{i}]")).collect();
    let got: Vec<&str> = inv.skipped.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(got, want);
    // Each VPC's first block read is its primary.
    for r in &inv.resources {
        assert_eq!(
            r.primary,
            r.cidr.to_string().starts_with("10."),
            "{} {}",
            r.id,
            r.cidr
        );
    }
}
