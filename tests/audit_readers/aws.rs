//! AWS CLI output: the documentation's `describe-vpcs`, `describe-subnets` and
//! `create-subnet` samples, the IPAM listings (and the pools listing refused), the older
//! association key and older outputs, secondary and IPv6 blocks, and a per-region loop of
//! documents in one file.

use ipam::audit::inventory::{self, Kind};

use super::{MASKED, expect_rows, expect_skips, find, path, read, read_error, tags};

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
