//! The CSV inventory: quoting, blank lines, semicolons, CRLF and column aliases, rows that
//! cannot be used each reported, and a header without a required column refused.

use super::{MASKED, expect_rows, expect_skips, find, read, read_error, tags};

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
