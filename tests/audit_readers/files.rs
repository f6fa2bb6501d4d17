//! Reading as a whole: every sample's format detected, several files of mixed formats merged
//! into one ordered inventory, every unreadable file reported at once, forced formats,
//! invalid JSON located, unknown formats and encodings explained, and large exports read on
//! every core in reading order.

use ipam::audit::inventory;

use super::{dir, find, format, path, read, read_error, skips, tags};

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
