//! ipam's own inventory format: secondary and IPv6 blocks with an explicit primary, entries
//! that cannot be used each reported, located document errors, a newer version refused, a
//! round trip of every readable fixture and a large inventory read exactly.

use ipam::audit::inventory::{self, Discovered, Kind, to_native};

use super::{MASKED, expect_rows, expect_skips, find, format, path, read, read_error, tags};

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
