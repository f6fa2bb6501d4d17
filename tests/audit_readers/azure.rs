//! Azure: the documentation's `az network vnet create` and `vnet subnet create` samples
//! (a subnet takes its network's region when read together), and a `vnet list` with dual
//! stack and other resource types.

use ipam::audit::inventory::{self, Kind};

use super::{expect_rows, expect_skips, find, path, read, tags};

const SUB: &str = "/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx/resourceGroups/test-rg69e367/providers/Microsoft.Network/virtualNetworks/vnet-169e367";

#[test]
fn sample_azure_vnet_create_and_subnet_create() {
    let inv = read("samples/azure-vnet-create.json");
    let vnet = SUB;
    let subnet = format!("{SUB}/subnets/subnet-169e367");
    expect_rows(
        &inv,
        &[
            (vnet, "azure-vnet", "10.0.0.0/16", true),
            (&subnet, "azure-subnet", "10.0.0.0/24", true),
        ],
    );
    expect_skips(&inv, &[]);
    for r in &inv.resources {
        assert_eq!(r.region.as_deref(), Some("eastus2"));
        assert_eq!(
            r.account.as_deref(),
            Some("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
        );
    }
    assert_eq!(inv.resources[0].kind, Kind::AzureVnet);
    assert_eq!(inv.resources[0].name.as_deref(), Some("vnet-169e367"));
    assert_eq!(inv.resources[1].vpc_id.as_deref(), Some(vnet));
    assert_eq!(inv.resources[1].name.as_deref(), Some("subnet-169e367"));

    let one = read("samples/azure-vnet-subnet-create.json");
    let bastion = format!("{SUB}/subnets/AzureBastionSubnet");
    expect_rows(&one, &[(&bastion, "azure-subnet", "10.0.1.0/24", true)]);
    expect_skips(&one, &[]);
    let s = &one.resources[0];
    assert_eq!(s.vpc_id.as_deref(), Some(vnet));
    assert_eq!(s.name.as_deref(), Some("AzureBastionSubnet"));
    // A subnet object has no location of its own.
    assert_eq!(s.region, None);
    // Read together, the subnet takes its network's region.
    let both = inventory::read_all(
        &[
            path("samples/azure-vnet-create.json"),
            path("samples/azure-vnet-subnet-create.json"),
        ],
        Default::default(),
    )
    .expect("azure");
    assert_eq!(
        find(&both, &bastion, "10.0.1.0/24").region.as_deref(),
        Some("eastus2")
    );
}

#[test]
fn azure_vnet_list_with_dual_stack_and_other_resource_types() {
    let inv = read("azure-vnet-list.json");
    let base = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network";
    let hub = format!("{base}/virtualNetworks/hub");
    let dual = format!("{hub}/subnets/dual");
    let gateway = format!("{hub}/subnets/gateway");
    expect_rows(
        &inv,
        &[
            // The first IPv4 prefix of the address space identifies the network.
            (&hub, "azure-vnet", "10.80.0.0/16", true),
            (&hub, "azure-vnet", "10.81.0.0/16", false),
            (&hub, "azure-vnet", "fd00:db8:deca::/48", false),
            (&dual, "azure-subnet", "10.81.0.0/24", true),
            (&dual, "azure-subnet", "fd00:db8:deca:1::/64", false),
            (&gateway, "azure-subnet", "10.80.1.0/24", true),
        ],
    );
    expect_skips(
        &inv,
        &[
            (
                &format!("azure-vnet-list.json: {hub}/subnets/broken ([0].subnets[2])"),
                "`addressPrefix`: `10.80.2.1/24` has host bits set; did you mean 10.80.2.0/24?",
            ),
            (
                &format!("azure-vnet-list.json: {base}/virtualNetworks/empty ([1])"),
                "no `addressSpace.addressPrefixes`",
            ),
            (
                &format!("azure-vnet-list.json: {base}/networkSecurityGroups/nsg ([2])"),
                "type `Microsoft.Network/networkSecurityGroups`: not a virtual network or subnet",
            ),
        ],
    );
    let vnet = &inv.resources[0];
    assert_eq!(vnet.tags, tags(&[("env", "prod")]));
    assert_eq!(vnet.region.as_deref(), Some("westeurope"));
    assert_eq!(
        vnet.account.as_deref(),
        Some("00000000-0000-0000-0000-000000000001")
    );
    for r in &inv.resources[3..] {
        assert_eq!(r.vpc_id.as_deref(), Some(hub.as_str()));
        assert_eq!(r.region.as_deref(), Some("westeurope"));
    }
}
