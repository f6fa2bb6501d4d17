//! Overlap groups: what each kind of row is not said to overlap, and the bound on lists.

use super::*;
use crate::audit::inventory::Tags;

fn row(id: &str, kind: Kind, cidr: &str, vpc_id: Option<&str>) -> Discovered {
    Discovered {
        id: id.into(),
        kind,
        cidr: cidr.parse().expect("cidr"),
        region: None,
        account: None,
        vpc_id: vpc_id.map(Into::into),
        zone: None,
        used: None,
        total: None,
        tags: Tags::default(),
        name: None,
        source: "t".into(),
        primary: true,
    }
}

/// What each row overlaps, as (names, more), by ID and CIDR.
fn run(
    rows: &[Discovered],
    partners: &[Partner],
    reservation: &[(usize, String)],
) -> Vec<(String, Vec<String>, usize)> {
    let n = rows.len();
    let mut keys: Vec<Key> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let family = if r.cidr.family() == Family::V4 { 4 } else { 6 };
            (
                family,
                r.cidr.start(),
                r.cidr.prefix_len(),
                r.kind,
                i as u32,
            )
        })
        .collect();
    keys.sort_unstable();
    let found = overlaps(&Input {
        rows,
        ignored: &vec![false; n],
        scope: &vec![0; n],
        scopes: 1,
        partners,
        reservation,
        keys: &keys,
    });
    found
        .into_iter()
        .map(|(i, f)| {
            (
                format!("{} {}", rows[i].id, rows[i].cidr),
                f.names.iter().map(|s| s.to_string()).collect(),
                f.more,
            )
        })
        .collect()
}

#[test]
fn subnets_prefixes_and_reservations_are_not_overlaps_of_their_own() {
    let rows = vec![
        row("vnet", Kind::AzureVnet, "10.0.0.0/16", None),
        row("vnet/s", Kind::AzureSubnet, "10.0.1.0/24", Some("vnet")),
        row("p-big", Kind::Prefix, "10.0.0.0/8", None),
        row("p-small", Kind::Prefix, "10.0.1.0/24", None),
        row("dc", Kind::AzureVnet, "10.200.1.0/24", None),
    ];
    let partners = [Partner {
        cidr: "10.200.0.0/16".parse().expect("cidr"),
        scope: 0,
        name: "reservation.dc".into(),
        vpc_id: None,
    }];
    let reservation = [(4, "reservation.dc".to_string())];
    let got = run(&rows, &partners, &reservation);
    let want = [
        // The big prefix contains everything but the other prefix, the reservation too
        // (which does not hold it: it is not inside it).
        (
            "p-big 10.0.0.0/8",
            vec!["dc", "reservation.dc", "vnet", "vnet/s"],
        ),
        ("dc 10.200.1.0/24", vec!["p-big"]),
        ("vnet 10.0.0.0/16", vec!["p-big", "p-small"]),
        ("vnet/s 10.0.1.0/24", vec!["p-big", "p-small"]),
        ("p-small 10.0.1.0/24", vec!["vnet", "vnet/s"]),
    ];
    let mut got: Vec<(String, Vec<String>)> = got
        .into_iter()
        .map(|(r, n, m)| {
            assert_eq!(m, 0);
            (r, n)
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, Vec<String>)> = want
        .iter()
        .map(|(r, n)| (r.to_string(), n.iter().map(|s| s.to_string()).collect()))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn many_rows_on_one_cidr_list_the_first_and_count_the_rest() {
    let rows: Vec<Discovered> = (0..30)
        .map(|i| row(&format!("vpc-{i:02}"), Kind::Vpc, "172.31.0.0/16", None))
        .chain([row(
            "subnet-a",
            Kind::Subnet,
            "172.31.0.0/20",
            Some("vpc-07"),
        )])
        .collect();
    let got = run(&rows, &[], &[]);
    assert_eq!(got.len(), 31);
    let (_, names, more) = &got[0];
    // In text order: `subnet-a` first, then the other VPCs.
    let want: Vec<String> = ["subnet-a".to_string()]
        .into_iter()
        .chain((1..LISTED).map(|i| format!("vpc-{i:02}")))
        .collect();
    assert_eq!(names, &want);
    assert_eq!(*more, 30 - LISTED);
    // The subnet's own VPC is not listed, the other 29 are.
    let (_, names, more) = got.last().expect("subnet");
    assert!(!names.contains(&"vpc-07".to_string()));
    assert_eq!(names.len() + more, 29);
    // vpc-07 does not overlap its own subnet.
    let (_, names, more) = &got[7];
    assert!(!names.contains(&"subnet-a".to_string()));
    assert_eq!(names.len() + more, 29);
}

#[test]
fn names_are_found_from_a_hint_in_either_direction() {
    let text: Vec<&str> = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].to_vec();
    let names = Names {
        source: vec![0; text.len()],
        of_row: Vec::new(),
        of_partner: Vec::new(),
        text,
    };
    for hint in 0..12 {
        for (i, t) in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
            .iter()
            .enumerate()
        {
            assert_eq!(names.get_after(hint, t), Some(i as u32), "{hint} {t}");
        }
        assert_eq!(names.get_after(hint, "zz"), None);
        assert_eq!(names.get_after(hint, "bb"), None);
        assert_eq!(names.get_after(hint, ""), None);
    }
}
