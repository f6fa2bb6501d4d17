//! Terraform: a state sample, `terraform show -json` of states and of a plan, hand-made
//! states with modules, `for_each`, associations, data sources, Alibaba Cloud, Azure and
//! Google Cloud resources; a state of an old version is refused.

use super::{MASKED, expect_rows, expect_skips, find, read, read_error, tags};

#[test]
fn sample_terraform_state() {
    let inv = read("samples/terraform-state-aws-vpc.json");
    expect_rows(
        &inv,
        &[
            ("subnet-04483772c1caf8d00", "subnet", "10.0.0.0/24", true),
            ("subnet-0e64c77353d8cb5a7", "subnet", "10.0.2.0/24", true),
            ("vpc-0aa56e9cd74bb10df", "vpc", "10.0.0.0/16", true),
        ],
    );
    expect_skips(&inv, &[]);
    for r in &inv.resources {
        assert_eq!(r.region.as_deref(), Some("us-east-1"), "{}", r.id);
        assert_eq!(r.account.as_deref(), Some("215476549484"), "{}", r.id);
        assert_eq!((r.used, r.total), (None, None));
    }
    let s = &inv.resources[1];
    assert_eq!(s.vpc_id.as_deref(), Some("vpc-0aa56e9cd74bb10df"));
    assert_eq!(s.zone.as_deref(), Some("us-east-1b"));
    assert_eq!(s.name.as_deref(), Some("public_subnet2"));
    assert!(inv.resources[2].tags.is_empty());
}

#[test]
fn sample_terraform_show_json_of_states_and_a_plan() {
    // A plan: what will exist once it is applied. Nothing has an ID yet: each resource is
    // named by its address, and the subnets are tied to their VPC by the configuration's
    // reference; the region is the provider's.
    let plan = read("samples/terraform-plan-json-child-module-vpc.json");
    let vpc = "module.vpc_module.aws_vpc.vpc";
    expect_rows(
        &plan,
        &[
            (
                "module.vpc_module.aws_subnet.vpc_subnet[0]",
                "subnet",
                "172.16.0.128/25",
                true,
            ),
            (
                "module.vpc_module.aws_subnet.vpc_subnet[1]",
                "subnet",
                "172.16.0.0/25",
                true,
            ),
            (vpc, "vpc", "172.16.0.0/24", true),
        ],
    );
    expect_skips(
        &plan,
        &[(
            "samples/terraform-plan-json-child-module-vpc.json: module.vpc_module.aws_network_acl.vpc_subnet_acl",
            "type `aws_network_acl`: not a network resource ipam reads",
        )],
    );
    for r in &plan.resources {
        assert_eq!(r.region.as_deref(), Some("us-east-1"), "{}", r.id);
    }
    assert_eq!(plan.resources[0].vpc_id.as_deref(), Some(vpc));
    assert_eq!(plan.resources[1].vpc_id.as_deref(), Some(vpc));

    // Data sources are networks that exist.
    let data = read("samples/terraform-show-json-prior-state-data-vpc-subnet.json");
    expect_rows(
        &data,
        &[
            (
                "subnet-04c460d388900659b",
                "subnet",
                "10.213.220.0/24",
                true,
            ),
            ("vpc-123456abc", "vpc", "10.213.220.0/22", true),
        ],
    );
    expect_skips(&data, &[]);
    let s = &data.resources[0];
    assert_eq!(s.vpc_id.as_deref(), Some("vpc-123456abc"));
    assert_eq!(s.zone.as_deref(), Some("us-east-1c"));
    assert_eq!(s.region.as_deref(), Some("us-east-1"));
    assert_eq!(s.account.as_deref(), Some("073481610293"));
    // The data source counts free addresses: 248 of a /24's 251 usable.
    assert_eq!((s.used, s.total), (Some(3), Some(251)));
    assert_eq!(data.resources[1].region.as_deref(), Some("us-east-1"));

    // States without networks: every resource is listed as skipped, with its type.
    let instance = read("samples/terraform-show-json-state-aws-instance.json");
    expect_rows(&instance, &[]);
    expect_skips(
        &instance,
        &[(
            "samples/terraform-show-json-state-aws-instance.json: aws_instance.app_server",
            "type `aws_instance`: not a network resource ipam reads",
        )],
    );
    let modules = read("samples/terraform-show-json-state-modules.json");
    expect_rows(&modules, &[]);
    expect_skips(
        &modules,
        &[
            (
                "samples/terraform-show-json-state-modules.json: module.module_test_bar.test_instance.example",
                "type `test_instance`: not a network resource ipam reads",
            ),
            (
                "samples/terraform-show-json-state-modules.json: module.module_test_foo.test_instance.example[0]",
                "type `test_instance`: not a network resource ipam reads",
            ),
        ],
    );
}

#[test]
fn terraform_state_with_modules_for_each_associations_data_sources_and_alicloud() {
    let inv = read("terraform.json");
    expect_rows(
        &inv,
        &[
            ("subnet-tf-a", "subnet", "10.110.1.0/24", true),
            ("subnet-tf-b", "subnet", "10.110.2.0/24", true),
            ("subnet-tf-b", "subnet", "2600:1f18:1:ab02::/64", false),
            // A data source: a VPC that exists, read by this configuration.
            ("vpc-shared", "vpc", "10.199.0.0/16", true),
            ("vpc-tf-ali", "vpc", "10.120.0.0/16", false),
            ("vpc-tf-ali", "vpc", "10.121.0.0/16", false),
            ("vpc-tf-ali", "vpc", "172.20.0.0/16", true),
            ("vpc-tf-ali", "vpc", "2408:4001:0:100::/56", false),
            ("vpc-tf-main", "vpc", "10.110.0.0/16", true),
            ("vpc-tf-main", "vpc", "10.111.0.0/16", false),
            ("vpc-tf-main", "vpc", "2600:1f18:1:ab00::/56", false),
            ("vsw-tf-ali", "subnet", "172.20.1.0/24", true),
        ],
    );
    expect_skips(
        &inv,
        &[
            (
                "terraform.json: subnet-tf-masked (aws_subnet.counted[0])",
                &format!("`cidr_block` `10.110.X.0/24` {MASKED}"),
            ),
            (
                "terraform.json: aws_instance.web",
                "type `aws_instance`: not a network resource ipam reads",
            ),
            ("terraform.json: aws_subnet.noattrs", "no `attributes`"),
            ("terraform.json: aws_vpc.noid", "no `id`"),
        ],
    );
    // `tags_all` holds the provider's default tags.
    let main = find(&inv, "vpc-tf-main", "10.110.0.0/16");
    assert_eq!(main.tags, tags(&[("Name", "main"), ("env", "prod")]));
    assert_eq!(main.region.as_deref(), Some("eu-west-1"));
    // The association lends the VPC's region, account, tags and name.
    let assoc = find(&inv, "vpc-tf-main", "10.111.0.0/16");
    assert_eq!(assoc.region.as_deref(), Some("eu-west-1"));
    assert_eq!(assoc.account.as_deref(), Some("111122223333"));
    assert_eq!(assoc.name.as_deref(), Some("main"));
    let b = find(&inv, "subnet-tf-b", "10.110.2.0/24");
    assert_eq!(b.region.as_deref(), Some("eu-west-1"));
    assert_eq!(b.zone.as_deref(), Some("eu-west-1b"));
    // An Alibaba VPC has no region in state: its vSwitch's zone gives it.
    let ali = find(&inv, "vpc-tf-ali", "172.20.0.0/16");
    assert_eq!(ali.region.as_deref(), Some("cn-hangzhou"));
    assert_eq!(ali.name.as_deref(), Some("ali-vpc"));
    let vsw = find(&inv, "vsw-tf-ali", "172.20.1.0/24");
    assert_eq!(vsw.vpc_id.as_deref(), Some("vpc-tf-ali"));
    assert_eq!(vsw.zone.as_deref(), Some("cn-hangzhou-h"));
    assert_eq!(vsw.name.as_deref(), Some("ali-vsw"));
}

#[test]
fn terraform_state_of_an_old_version_is_refused() {
    let e = read_error("terraform-v3.json", None);
    assert_eq!(e.code, "ipam::audit::version");
    assert!(
        e.message
            .ends_with("terraform-v3.json is a Terraform state of version 3; ipam reads version 4"),
        "{}",
        e.message
    );
}

#[test]
fn terraform_show_json_with_nested_modules_and_data_sources() {
    let inv = read("terraform-show-modules.json");
    expect_rows(
        &inv,
        &[
            ("subnet-show-a", "subnet", "10.120.1.0/24", true),
            ("vpc-show-ali", "vpc", "172.30.0.0/16", true),
            ("vpc-show-main", "vpc", "10.120.0.0/16", true),
            ("vpc-show-main", "vpc", "10.121.0.0/16", false),
        ],
    );
    expect_skips(
        &inv,
        &[(
            "terraform-show-modules.json: aws_instance.web",
            "type `aws_instance`: not a network resource ipam reads",
        )],
    );
    let main = find(&inv, "vpc-show-main", "10.121.0.0/16");
    // The association in a child module takes its VPC's fields.
    assert_eq!(main.region.as_deref(), Some("eu-west-1"));
    assert_eq!(main.tags, tags(&[("Name", "main"), ("team", "net")]));
    assert_eq!(
        find(&inv, "vpc-show-ali", "172.30.0.0/16").name.as_deref(),
        Some("peer")
    );
}

#[test]
fn terraform_state_with_azure_and_google_networks() {
    let inv = read("terraform-azure-google.json");
    let base = "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg/providers/Microsoft.Network";
    let hub = format!("{base}/virtualNetworks/hub");
    let gke = "projects/acme-net/regions/europe-west1/subnetworks/gke";
    expect_rows(
        &inv,
        &[
            (&hub, "azure-vnet", "10.0.0.0/16", true),
            (
                &format!("{hub}/subnets/apps"),
                "azure-subnet",
                "10.0.2.0/24",
                true,
            ),
            // A `subnet` block of the virtual network.
            (
                &format!("{hub}/subnets/inline"),
                "azure-subnet",
                "10.0.1.0/24",
                true,
            ),
            // A data source.
            (
                &format!("{base}/virtualNetworks/spoke"),
                "azure-vnet",
                "10.1.0.0/16",
                true,
            ),
            (gke, "gcp-subnetwork", "10.100.0.0/20", true),
            (gke, "gcp-subnetwork", "10.100.16.0/20", false),
            (gke, "gcp-subnetwork", "10.104.0.0/14", false),
        ],
    );
    expect_skips(
        &inv,
        &[
            (
                "terraform-azure-google.json: azurerm_network_security_group.apps",
                "type `azurerm_network_security_group`: not a network resource ipam reads",
            ),
            (
                "terraform-azure-google.json: projects/acme-net/global/networks/prod (module.gcp.google_compute_network.prod)",
                "a Google Cloud VPC network holds no address range itself: its subnetworks do (export them with `gcloud compute networks subnets list --format=json`)",
            ),
        ],
    );
    let apps = &inv.resources[1];
    assert_eq!(apps.vpc_id.as_deref(), Some(hub.as_str()));
    assert_eq!(apps.region.as_deref(), Some("northeurope"));
    assert_eq!(inv.resources[0].tags, tags(&[("env", "prod")]));
    let g = &inv.resources[4];
    assert_eq!(g.region.as_deref(), Some("europe-west1"));
    assert_eq!(g.account.as_deref(), Some("acme-net"));
    assert_eq!(
        g.vpc_id.as_deref(),
        Some("projects/acme-net/global/networks/prod")
    );
}
