//! Google Cloud: the documentation's `gcloud` subnetworks and networks samples, and an API
//! listing with IPv6 and a network range.

use super::{MASKED, expect_rows, expect_skips, read};

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
