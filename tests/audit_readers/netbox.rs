//! NetBox: the prefixes listings of NetBox 3 and 4 (a container prefix is skipped), their
//! CSV export, and hand-made pages with aggregates and broken prefixes.

use super::{expect_rows, expect_skips, read, tags};

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
