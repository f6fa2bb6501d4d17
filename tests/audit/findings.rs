//! What the audit finds in each row: the management, compliance and overlap status of every
//! case in the inventory, `--fail-on` and its exit codes, and networks of other clouds and
//! another IPAM's prefixes audited for overlaps.

use std::fs;

use super::common::{ipam, stdout, text};
use super::{applied, audit_json, parse, row, statuses, with};

#[test]
fn statuses_of_every_case() {
    let dir = applied("statuses");
    let (out, json) = audit_json(&dir, &["--inventory", "inventory.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc = parse(&json);
    assert_eq!(doc.format_version, "1.0");
    // One resource per line, each exactly as its documented type serializes.
    let lines: Vec<&str> = json.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "  \"resources\": [")
        .expect("resources")
        + 1;
    for (line, r) in lines[start..].iter().zip(&doc.resources) {
        let line = line.trim_start().trim_end_matches(',');
        assert_eq!(line, serde_json::to_string(r).expect("row"));
    }
    assert_eq!(
        row(&doc, "vpc-free", "10.50.0.0/16").name.as_deref(),
        Some("legacy \"blue\" \\ zoë\ttab")
    );
    let st = |id: &str, cidr: &str| statuses(row(&doc, id, cidr));
    let triple = |m: &str, c: &str, o: &str| (m.to_string(), c.to_string(), o.to_string());

    // Managed and compliant; its subnet inside it is no overlap.
    let a = row(&doc, "vpc-a", "10.1.0.0/24");
    assert_eq!(
        statuses(a),
        triple("managed", "compliant", "nonoverlapping")
    );
    assert_eq!(a.address.as_deref(), Some("vpc.a"));
    assert_eq!(a.pool.as_deref(), Some("team"));
    assert_eq!(a.ip_usage, Some(0.25));
    assert!(a.primary);
    let a2 = row(&doc, "vpc-a", "10.1.1.0/24");
    assert_eq!(
        statuses(a2),
        triple("managed", "compliant", "nonoverlapping")
    );
    assert!(!a2.primary);
    assert_eq!(a2.ip_usage, Some(0.0));
    let s1 = row(&doc, "subnet-s1", "10.1.0.0/26");
    assert_eq!(
        statuses(s1),
        triple("managed", "compliant", "nonoverlapping")
    );
    assert_eq!(s1.address.as_deref(), Some("vpc.a.subnet.s1"));
    assert_eq!(s1.ip_usage, Some(10.0 / 59.0));
    assert_eq!(s1.vpc_id.as_deref(), Some("vpc-a"));

    // Held by the lowest ID (the record has no resource_id), noncompliant for three
    // reasons, and overlapping the identical unmanaged VPC, but not the one in `acq`.
    let b = row(&doc, "vpc-b", "10.1.2.0/24");
    assert_eq!(
        statuses(b),
        triple("managed", "noncompliant", "overlapping")
    );
    assert_eq!(b.reasons.len(), 3, "{:?}", b.reasons);
    let reasons = b.reasons.join("\n");
    assert!(reasons.contains("tag env is \"dev\""), "{reasons}");
    assert!(reasons.contains("in region r2"), "{reasons}");
    assert!(reasons.contains("account 100000000003"), "{reasons}");
    assert_eq!(with(b), ["vpc-dup"]);
    assert_eq!(
        st("vpc-dup", "10.1.2.0/24"),
        triple("unmanaged", "unmanaged", "overlapping")
    );
    assert_eq!(with(row(&doc, "vpc-dup", "10.1.2.0/24")), ["vpc-b"]);
    let acq = row(&doc, "vpc-acq", "10.1.2.0/24");
    assert_eq!(
        statuses(acq),
        triple("managed", "compliant", "nonoverlapping")
    );
    assert_eq!(acq.scope, "acq");

    // Recorded allocations no row holds, and reservations, are overlap partners.
    assert_eq!(with(row(&doc, "vpc-rogue", "10.1.3.0/25")), ["vpc.c"]);
    assert_eq!(
        with(row(&doc, "vpc-dc", "10.200.5.0/24")),
        ["reservation.dc"]
    );

    // Ignored: all three statuses, and nobody overlaps them.
    for (id, cidr) in [
        ("vpc-ignored", "10.1.0.0/16"),
        ("subnet-ign", "10.1.0.0/28"),
    ] {
        assert_eq!(st(id, cidr), triple("ignored", "ignored", "ignored"));
    }
    assert!(doc.resources.iter().all(|r| {
        !r.overlaps_with
            .iter()
            .any(|o| o.contains("ignored") || o == "subnet-ign")
    }));

    // A subnet of another VPC inside a VPC is an overlap; usage of a VPC with none is 0.
    let free = row(&doc, "vpc-free", "10.50.0.0/16");
    assert_eq!(
        statuses(free),
        triple("unmanaged", "unmanaged", "overlapping")
    );
    assert_eq!(with(free), ["subnet-x"]);
    assert_eq!(free.ip_usage, Some(0.0));
    assert_eq!(row(&doc, "subnet-x", "10.50.0.0/24").ip_usage, None);

    // IPv6 outside any pool goes to the public scope.
    assert_eq!(row(&doc, "vpc-v6", "2001:db8::/56").scope, "public");

    // The masked CIDR is skipped, with its file and reason.
    assert_eq!(doc.skipped.len(), 1);
    assert!(doc.skipped[0].source.contains("vpc-masked"));
    assert!(
        doc.skipped[0].reason.contains("masked"),
        "{}",
        doc.skipped[0].reason
    );

    let s = doc.summary;
    assert_eq!(
        (
            s.resources,
            s.managed,
            s.unmanaged,
            s.ignored,
            s.noncompliant,
            s.skipped
        ),
        (13, 5, 6, 2, 1, 1)
    );
    assert_eq!(s.overlapping, 6);

    // Rows are sorted by CIDR, VPCs before subnets, then ID.
    let keys: Vec<(ipam::addr::Prefix, String, String)> = doc
        .resources
        .iter()
        .map(|r| (r.cidr, r.kind.to_string(), r.id.to_string()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|x, y| (x.0, x.1 == "subnet", &x.2).cmp(&(y.0, y.1 == "subnet", &y.2)));
    assert_eq!(keys, sorted);
}

/// Findings exit 3 (the audit ran and found what it was asked to fail on); an audit that
/// cannot run exits 1.
#[test]
fn fail_on_exits_three_only_for_what_it_names() {
    let dir = applied("fail-on");
    let audit = |extra: &[&str]| {
        let mut args = vec!["audit", "plan", "--inventory", "inventory.json"];
        args.extend_from_slice(extra);
        ipam(&dir, &args)
    };
    assert_eq!(audit(&[]).status.code(), Some(0));
    let out = audit(&["--fail-on", "overlap"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("6 overlapping (--fail-on overlap)"),
        "{}",
        text(&out)
    );
    let out = audit(&["--fail-on", "noncompliant,unmanaged"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 noncompliant") && err.contains("6 unmanaged"),
        "{err}"
    );
    // The report is printed all the same.
    assert!(stdout(&out).contains("Audit: 13 resource CIDRs"));

    // An inventory of only what the plan manages passes every check.
    let clean = r#"{"format": "ipam-inventory", "format_version": 1, "resources": [
      {"id": "vpc-a", "type": "vpc", "cidr": "10.1.0.0/24", "region": "r1", "tags": {"env": "prod"}},
      {"id": "subnet-s1", "type": "subnet", "cidr": "10.1.0.0/26", "vpc_id": "vpc-a"}
    ]}"#;
    fs::write(dir.join("clean.json"), clean).expect("clean");
    let out = ipam(
        &dir,
        &[
            "audit",
            "plan",
            "--inventory",
            "clean.json",
            "--fail-on",
            "overlap,noncompliant,unmanaged",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ipam(
        &dir,
        &[
            "audit",
            "plan",
            "--inventory",
            "clean.json",
            "--fail-on",
            "sometimes",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("overlap"), "{}", text(&out));
}

/// Networks of other clouds and another IPAM's prefixes are rows of their own kinds: a
/// Terraform state's Azure virtual network on the plan's space overlaps it (and fails
/// `--fail-on overlap`); inside a reservation, which keeps space for such networks, it is
/// held by it; NetBox's nested prefixes do not overlap each other.
#[test]
fn networks_outside_the_plans_clouds_are_audited_for_overlaps() {
    let dir = applied("other-clouds");
    let state = r#"{"version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "x",
      "resources": [
        {"mode": "managed", "type": "azurerm_virtual_network", "name": "hub", "instances": [
          {"attributes": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub",
           "address_space": ["10.1.0.0/16"], "location": "northeurope", "name": "hub",
           "subnet": [{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub/subnets/a",
                       "name": "a", "address_prefixes": ["10.1.7.0/24"]}]}}]},
        {"mode": "managed", "type": "azurerm_virtual_network", "name": "dc", "instances": [
          {"attributes": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/dc",
           "address_space": ["10.200.5.0/24"], "location": "northeurope", "name": "dc"}}]},
        {"mode": "managed", "type": "azurerm_network_security_group", "name": "nsg", "instances": [
          {"attributes": {"id": "nsg"}}]}
      ]}"#;
    fs::write(dir.join("azure.json"), state).expect("state");
    let netbox =
        "vrf,prefix,status\n,10.1.0.0/16,active\n,10.1.2.0/24,active\n,10.200.0.0/16,reserved\n";
    fs::write(dir.join("netbox.csv"), netbox).expect("netbox");
    let (out, json) = audit_json(
        &dir,
        &[
            "--inventory",
            "azure.json",
            "netbox.csv",
            "--fail-on",
            "overlap",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let doc = parse(&json);
    let hub = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub";
    let vnet = row(&doc, hub, "10.1.0.0/16");
    assert_eq!(vnet.kind, ipam::audit::Kind::AzureVnet);
    assert_eq!(
        statuses(vnet),
        ("unmanaged".into(), "unmanaged".into(), "overlapping".into())
    );
    // Its own subnet is not an overlap; the plan's VPCs and the NetBox prefixes are.
    assert_eq!(
        with(vnet),
        ["10.1.0.0/16", "10.1.2.0/24", "vpc.a", "vpc.b", "vpc.c"]
    );
    let subnet = row(&doc, &format!("{hub}/subnets/a"), "10.1.7.0/24");
    assert_eq!(subnet.kind, ipam::audit::Kind::AzureSubnet);
    assert_eq!(with(subnet), ["10.1.0.0/16"]);
    // NetBox's prefixes nest without overlapping each other.
    assert_eq!(
        with(row(&doc, "10.1.2.0/24", "10.1.2.0/24")),
        [hub, "vpc.b"]
    );
    // Inside the reservation `dc`: held by it, compliant, not overlapping it (but each
    // other: NetBox says the whole /16 is the data centre's, and the Azure network is in it).
    let dc = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/dc";
    for (id, cidr, other) in [
        (dc, "10.200.5.0/24", "10.200.0.0/16"),
        ("10.200.0.0/16", "10.200.0.0/16", dc),
    ] {
        let r = row(&doc, id, cidr);
        assert_eq!(
            (r.management, r.compliance),
            (
                ipam::audit::report::Management::Managed,
                ipam::audit::report::Compliance::Compliant
            ),
            "{id}"
        );
        assert_eq!(r.address.as_deref(), Some("reservation.dc"), "{id}");
        assert_eq!(r.pool.as_deref(), Some("corp"), "{id}");
        assert_eq!(with(r), [other], "{id}");
    }
    // The resource type the tool does not read is listed, with its type.
    assert!(
        doc.skipped.iter().any(
            |s| s.source == "azure.json: azurerm_network_security_group.nsg"
                && s.reason.contains("azurerm_network_security_group")
        ),
        "{:?}",
        doc.skipped
    );
    let table = stdout(&ipam(&dir, &["audit", "plan", "--inventory", "azure.json"]));
    assert!(table.contains("azure-vnet"), "{table}");
}
