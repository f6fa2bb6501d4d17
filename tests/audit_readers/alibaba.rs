//! Alibaba Cloud: the documentation's DescribeVpcs and DescribeVSwitches samples, the IPAM
//! listing built from its documented fields, and hand-made shapes (no wrapper, arrays, empty
//! lists, one object instead of a list).

use ipam::audit::inventory;

use super::{expect_rows, expect_skips, find, format, path, read, tags};

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
