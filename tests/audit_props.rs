//! Property tests of the audit (SPEC §8) against a brute-force oracle: random inventories
//! of VPCs and subnets in a small space, so that identical, nested and disjoint CIDRs,
//! subnets in their own VPC and in others', ignored IDs and recorded allocations collide
//! often. For every row the O(n log n) sweep must report exactly the overlaps that
//! comparing all pairs finds, and management must respect the recorded `resource_id`s.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use ipam::addr::Prefix;
use ipam::audit::report::{LISTED, Management, OverlapStatus};
use ipam::audit::{Kind, audit, parse};
use ipam::load::model as load_model;
use ipam::plan::plan;
use ipam::state::Records;
use proptest::prelude::*;

const PLAN: &str = r#"
[ipam]
name = "p"
regions = ["r1"]
owner = "net"

[accounts]
net = "1"

[pools.corp]
cidrs = ["10.0.0.0/8"]

[vpcs.a]
pool = "corp"
cidr = "10.0.0.0/20"
resource_id = "vpc-0"
secondary = [{ pool = "corp", cidr = "10.0.32.0/22" }]
subnets.s = { cidr = "10.0.0.0/24" }

[vpcs.b]
pool = "corp"
cidr = "10.0.64.0/18"
resource_id = "vpc-1"

[vpcs.c]
pool = "corp"
cidr = "10.0.16.0/22"
resource_id = "vpc-9"

[reservations.dc]
pool = "corp"
cidr = "10.0.128.0/20"

[audit]
ignore = ["vpc-5", "subnet-5"]
"#;

/// The model and the records its first apply leads to.
fn recorded() -> (ipam::model::Model, Records) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("audit_props");
    fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("plan.toml");
    fs::write(&file, PLAN).expect("plan");
    let (model, _) = load_model(&file).unwrap_or_else(|_| panic!("plan"));
    let records = plan(&model, &Records::default())
        .unwrap_or_else(|_| panic!("plan"))
        .desired;
    (model, records)
}

#[derive(Debug, Clone)]
struct Row {
    vpc: bool,
    id: u8,
    vpc_id: u8,
    cidr: Prefix,
}

fn row() -> impl Strategy<Value = Row> {
    (any::<bool>(), 0u8..7, 0u8..7, 16u8..=26, any::<u16>()).prop_map(
        |(vpc, id, vpc_id, len, bits)| {
            // Addresses in 10.0.0.0/16, aligned to the length, so that blocks meet often.
            let start = (10u128 << 24) | (u128::from(bits) & !((1u128 << (32 - len)) - 1) & 0xffff);
            let cidr = Prefix::new(ipam::addr::Family::V4, start, len).expect("aligned");
            Row {
                vpc,
                id,
                vpc_id,
                cidr,
            }
        },
    )
}

fn inventory(rows: &[Row]) -> String {
    let mut text =
        String::from(r#"{"format": "ipam-inventory", "format_version": 1, "resources": ["#);
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        if r.vpc {
            let _ = write!(
                text,
                r#"{{"id": "vpc-{}", "type": "vpc", "cidr": "{}"}}"#,
                r.id, r.cidr
            );
        } else {
            let _ = write!(
                text,
                r#"{{"id": "subnet-{}", "type": "subnet", "cidr": "{}", "vpc_id": "vpc-{}"}}"#,
                r.id, r.cidr, r.vpc_id
            );
        }
    }
    text.push_str("]}");
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn overlaps_and_management_match_the_oracle(rows in prop::collection::vec(row(), 0..40)) {
        let (model, records) = recorded();
        let inv = parse(&inventory(&rows), "inv.json", None).expect("inventory");
        let report = audit(&model, &records, inv);
        let rows: Vec<_> = report.rows().collect();

        // Management: a managed row's CIDR is its holder's, each recorded VPC only by its
        // resource_id, no allocation twice.
        let mut held = BTreeSet::new();
        for r in &rows {
            let id = &*r.resource.id;
            match r.management {
                Management::Managed => {
                    let h = r.holder.expect("holder");
                    let address = h.address.to_string();
                    prop_assert!(held.insert((address.clone(), r.resource.cidr)), "held twice: {address}");
                    let vpc_name = address.trim_start_matches("vpc.").split(".subnet.").next().unwrap_or_default();
                    let vpc = &records.vpcs[vpc_name];
                    let owner = if r.resource.kind == Kind::Vpc { Some(id) } else { r.resource.vpc_id.as_deref() };
                    prop_assert_eq!(vpc.resource_id.as_deref(), owner);
                    let recorded: Vec<Prefix> = if address.contains(".subnet.") {
                        vpc.subnets.values().map(|s| s.cidr).collect()
                    } else {
                        vpc.blocks().map(|(_, c)| c).collect()
                    };
                    prop_assert!(recorded.contains(&r.resource.cidr));
                }
                Management::Ignored => {
                    prop_assert!(id == "vpc-5" || id == "subnet-5" || r.resource.vpc_id.as_deref() == Some("vpc-5"));
                    prop_assert_eq!(r.overlap, OverlapStatus::Ignored);
                    prop_assert!(r.overlaps_with.is_empty());
                }
                Management::Unmanaged => prop_assert!(r.holder.is_none()),
            }
        }

        // Overlap partners: recorded VPC blocks no row holds, and the reservation.
        let mut partners: Vec<(String, Prefix, Option<&str>)> = Vec::new();
        for (name, v) in &records.vpcs {
            for (_, cidr) in v.blocks() {
                if !held.contains(&(format!("vpc.{name}"), cidr)) {
                    partners.push((format!("vpc.{name}"), cidr, v.resource_id.as_deref()));
                }
            }
        }
        for (name, r) in &records.reservations {
            partners.push((format!("reservation.{name}"), r.cidr, None));
        }
        // A network never overlaps the names of its subnets (any subnet row naming it as its
        // network), nor a subnet its network or the recorded VPC that network holds.
        let mut subnet_of: BTreeSet<(String, String)> = BTreeSet::new();
        for q in &rows {
            if q.management != Management::Ignored
                && q.resource.kind == Kind::Subnet
                && let Some(v) = q.resource.vpc_id.as_deref()
            {
                subnet_of.insert((q.resource.id.to_string(), v.to_string()));
            }
        }
        for r in &rows {
            if r.management == Management::Ignored {
                continue;
            }
            let a = r.resource;
            let excluded = |name: &str| {
                name == &*a.id
                    || (a.kind == Kind::Vpc && subnet_of.contains(&(name.to_string(), a.id.to_string())))
                    || (a.kind == Kind::Subnet && a.vpc_id.as_deref() == Some(name))
            };
            let mut want: BTreeSet<String> = BTreeSet::new();
            for q in &rows {
                let b = q.resource;
                if q.management == Management::Ignored || !a.cidr.overlaps(&b.cidr) || excluded(&b.id) {
                    continue;
                }
                want.insert(b.id.to_string());
            }
            for (name, cidr, vpc_id) in &partners {
                let own = a.kind == Kind::Subnet && vpc_id.is_some() && a.vpc_id.as_deref() == *vpc_id;
                if cidr.overlaps(&a.cidr) && !own {
                    want.insert(name.clone());
                }
            }
            let listed: Vec<String> = r.overlaps_with.iter().map(|s| s.to_string()).collect();
            let first: Vec<String> = want.iter().take(LISTED).cloned().collect();
            prop_assert_eq!(&listed, &first, "row {} {}", &*a.id, a.cidr);
            prop_assert_eq!(r.overlaps_more, want.len() - first.len());
            prop_assert_eq!(r.overlap == OverlapStatus::Overlapping, !want.is_empty());
        }

        // Rows come sorted, and each inventory row exactly once.
        let keys: Vec<(Prefix, Kind, String)> = rows.iter().map(|r| (r.resource.cidr, r.resource.kind, r.resource.id.to_string())).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        prop_assert_eq!(&keys, &sorted);
        let distinct: BTreeMap<_, _> = keys.iter().map(|k| (k.clone(), ())).collect();
        prop_assert_eq!(distinct.len(), keys.len());
    }
}
