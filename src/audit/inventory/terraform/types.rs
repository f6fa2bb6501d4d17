//! The Terraform resource types read, and the rows of one instance from its attributes (a
//! state's `attributes`, `terraform show -json`'s `values`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::super::json::{count, get, items, tags, text};
use super::super::regions::{arn_parts, region_of_zone};
use super::super::{Kind, RawCidr, Resource, Sink, Usage, azure, entry_name, gcp};

/// Addresses AWS reserves in every subnet: the first four and the last.
const AWS_RESERVED: u128 = 5;

/// The resource types read, and what each is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Type {
    AwsVpc,
    AwsSubnet,
    /// `aws_vpc_ipv4_cidr_block_association` and its IPv6 twin: another block of a VPC.
    AwsAssociation,
    AlicloudVpc,
    AlicloudVSwitch,
    /// `alicloud_vpc_ipv4_cidr_block`: a secondary block of a VPC.
    AlicloudSecondary,
    AzureVnet,
    AzureSubnet,
    GcpNetwork,
    GcpSubnetwork,
}

impl Type {
    /// The type of a resource (managed or data source) by its Terraform type name.
    pub(super) fn of(name: &str) -> Option<Type> {
        Some(match name {
            "aws_vpc" | "aws_default_vpc" => Type::AwsVpc,
            "aws_subnet" | "aws_default_subnet" => Type::AwsSubnet,
            "aws_vpc_ipv4_cidr_block_association" | "aws_vpc_ipv6_cidr_block_association" => {
                Type::AwsAssociation
            }
            "alicloud_vpc" => Type::AlicloudVpc,
            "alicloud_vswitch" => Type::AlicloudVSwitch,
            "alicloud_vpc_ipv4_cidr_block" => Type::AlicloudSecondary,
            "azurerm_virtual_network" => Type::AzureVnet,
            "azurerm_subnet" => Type::AzureSubnet,
            "google_compute_network" => Type::GcpNetwork,
            "google_compute_subnetwork" => Type::GcpSubnetwork,
            _ => return None,
        })
    }

    /// A resource that adds a block to a VPC it names by ID.
    pub(super) fn is_association(self) -> bool {
        matches!(self, Type::AwsAssociation | Type::AlicloudSecondary)
    }

    /// The attribute that names the network a resource belongs to: what a plan's
    /// configuration refers to when the network does not exist yet.
    pub(super) fn network_reference(self) -> Option<&'static str> {
        match self {
            Type::AwsSubnet | Type::AwsAssociation | Type::AlicloudVSwitch => Some("vpc_id"),
            Type::AlicloudSecondary => Some("vpc_id"),
            Type::AzureSubnet => Some("virtual_network_name"),
            Type::GcpSubnetwork => Some("network"),
            _ => None,
        }
    }
}

/// What a saved plan's configuration tells about a resource whose values are not all known.
#[derive(Debug, Default)]
pub(super) struct Context {
    /// Its address: the ID of a resource the plan creates, which has none yet.
    pub(super) address: Option<String>,
    /// Its provider's region.
    pub(super) region: Option<String>,
    /// The address of the network its configuration names (a resource of this plan).
    pub(super) network: Option<String>,
}

/// Effective tags: `tags_all` (with the provider's default tags) over `tags`; Google's
/// `labels`.
fn resource_tags(a: &Value) -> BTreeMap<String, String> {
    let mut all = tags(get(a, "tags_all"));
    for (k, v) in tags(get(a, "tags")) {
        all.insert(k, v);
    }
    if all.is_empty() {
        all = tags(get(a, "effective_labels").or_else(|| get(a, "labels")));
    }
    all
}

/// The CIDR of attribute `key`, if it has one.
fn push(a: &Value, key: &str, primary: bool, cidrs: &mut Vec<RawCidr>) {
    if let Some(c) = text(get(a, key)) {
        cidrs.push(RawCidr::new(key, c, primary));
    }
}

/// The CIDRs of a list attribute, whose elements are strings or objects holding the CIDR
/// under `key`.
fn cidr_list(a: &Value, list: &str, key: &str, cidrs: &mut Vec<RawCidr>) {
    for element in items(get(a, list), &[]) {
        let live = get(element, "state")
            .and_then(Value::as_str)
            .is_none_or(|s| !["disassociated", "failed", "failing"].contains(&s));
        let cidr = match element {
            Value::Object(_) => text(get(element, key)),
            other => text(Some(other)),
        };
        if let (Some(c), true) = (cidr, live) {
            cidrs.push(RawCidr::new(list, c, false));
        }
    }
}

/// The rows of one instance of a resource of type `ty`.
pub(super) fn rows(ty: Type, a: &Value, position: &str, context: &Context, sink: &mut Sink) {
    let network = || text(get(a, "vpc_id")).or_else(|| context.network.clone());
    let (id_key, id) = match ty {
        Type::AwsAssociation | Type::AlicloudSecondary => ("vpc_id", network()),
        _ => ("id", text(get(a, "id")).or_else(|| context.address.clone())),
    };
    let entry = entry_name(id.as_deref(), position);
    let Some(id) = id else {
        sink.skip(&entry, format!("no `{id_key}`"));
        return;
    };
    let mut cidrs = Vec::new();
    let (arn_region, arn_account) = text(get(a, "arn"))
        .map(|arn| arn_parts(&arn))
        .unwrap_or_default();
    let mut zone = None;
    let mut region = arn_region;
    let mut account = text(get(a, "owner_id")).or(arn_account);
    let mut name = None;
    let mut vpc_id = None;
    let mut expected = "cidr_block";
    let kind = match ty {
        Type::AwsVpc | Type::AlicloudVpc => {
            push(a, "cidr_block", true, &mut cidrs);
            push(a, "ipv6_cidr_block", false, &mut cidrs);
            // Data sources list every block, the primary again among them.
            cidr_list(a, "cidr_block_associations", "cidr_block", &mut cidrs);
            if ty == Type::AlicloudVpc {
                cidr_list(a, "secondary_cidr_blocks", "cidr_block", &mut cidrs);
                cidr_list(a, "ipv6_cidr_blocks", "ipv6_cidr_block", &mut cidrs);
                name = text(get(a, "vpc_name")).or_else(|| text(get(a, "name")));
            }
            Kind::Vpc
        }
        Type::AwsSubnet | Type::AlicloudVSwitch => {
            push(a, "cidr_block", true, &mut cidrs);
            push(a, "ipv6_cidr_block", false, &mut cidrs);
            if ty == Type::AwsSubnet {
                zone = text(get(a, "availability_zone"));
                // A data source counts the free addresses.
                if let (Some(first), Some(available)) = (
                    cidrs.first_mut(),
                    count(get(a, "available_ip_address_count")),
                ) {
                    first.usage = Usage::Available {
                        available,
                        reserved: AWS_RESERVED,
                    };
                }
            } else {
                zone = text(get(a, "zone_id")).or_else(|| text(get(a, "availability_zone")));
                name = text(get(a, "vswitch_name")).or_else(|| text(get(a, "name")));
            }
            vpc_id = network();
            Kind::Subnet
        }
        Type::AwsAssociation => {
            push(a, "cidr_block", false, &mut cidrs);
            push(a, "ipv6_cidr_block", false, &mut cidrs);
            Kind::Vpc
        }
        Type::AlicloudSecondary => {
            push(a, "secondary_cidr_block", false, &mut cidrs);
            expected = "secondary_cidr_block";
            Kind::Vpc
        }
        Type::AzureVnet => {
            cidr_list(a, "address_space", "", &mut cidrs);
            expected = "address_space";
            region = text(get(a, "location"));
            account = azure::subscription(&id);
            name = text(get(a, "name"));
            azure_inline_subnets(a, &id, region.as_deref(), position, sink);
            Kind::AzureVnet
        }
        Type::AzureSubnet => {
            push(a, "address_prefix", false, &mut cidrs);
            cidr_list(a, "address_prefixes", "", &mut cidrs);
            expected = "address_prefixes";
            account = azure::subscription(&id);
            name = text(get(a, "name"));
            vpc_id = azure::network_of_subnet(&id).or_else(|| context.network.clone());
            Kind::AzureSubnet
        }
        Type::GcpNetwork => {
            push(a, "internal_ipv6_range", false, &mut cidrs);
            push(a, "ipv4_range", false, &mut cidrs);
            expected = "ipv4_range` or `internal_ipv6_range";
            name = text(get(a, "name"));
            account = text(get(a, "project")).or_else(|| gcp::project(&id));
            if cidrs.is_empty() {
                sink.skip(&entry, gcp::NETWORK_WITHOUT_RANGE);
                return;
            }
            Kind::GcpNetwork
        }
        Type::GcpSubnetwork => {
            push(a, "ip_cidr_range", true, &mut cidrs);
            cidr_list(a, "secondary_ip_range", "ip_cidr_range", &mut cidrs);
            push(a, "ipv6_cidr_range", false, &mut cidrs);
            push(a, "internal_ipv6_prefix", false, &mut cidrs);
            push(a, "external_ipv6_prefix", false, &mut cidrs);
            expected = "ip_cidr_range";
            name = text(get(a, "name"));
            region = text(get(a, "region")).map(|r| gcp::last_segment(&r).to_string());
            account = text(get(a, "project")).or_else(|| gcp::project(&id));
            vpc_id = text(get(a, "network"))
                .map(|n| gcp::network_id(&n, account.as_deref()))
                .or_else(|| context.network.clone());
            Kind::GcpSubnetwork
        }
    };
    // A block that identifies the resource when no attribute says (an IPv6-only subnet, an
    // address space); an association only adds blocks to a VPC.
    if !ty.is_association() {
        RawCidr::first_ipv4_primary(&mut cidrs);
    }
    let region = region
        .or_else(|| zone.as_deref().and_then(region_of_zone))
        .or_else(|| context.region.clone());
    let tags = resource_tags(a);
    let resource = Resource {
        id,
        kind,
        region,
        account,
        vpc_id,
        zone,
        name: name.or_else(|| tags.get("Name").cloned()),
        tags,
    };
    sink.emit(&entry, resource, cidrs, expected);
}

/// The `subnet` blocks of an `azurerm_virtual_network`: subnets of their own.
fn azure_inline_subnets(
    a: &Value,
    vnet: &str,
    region: Option<&str>,
    position: &str,
    sink: &mut Sink,
) {
    for (i, subnet) in items(get(a, "subnet"), &[]).into_iter().enumerate() {
        let position = format!("{position}.subnet[{i}]");
        let id = text(get(subnet, "id"));
        let entry = entry_name(id.as_deref(), &position);
        let Some(id) = id else {
            sink.skip(&entry, "no `id`");
            continue;
        };
        let mut cidrs = Vec::new();
        if let Some(c) = text(get(subnet, "address_prefix")) {
            cidrs.push(RawCidr::new("address_prefix", c, false));
        }
        cidr_list(subnet, "address_prefixes", "", &mut cidrs);
        let resource = Resource {
            kind: Kind::AzureSubnet,
            region: region.map(str::to_string),
            account: azure::subscription(&id),
            vpc_id: Some(vnet.to_string()),
            zone: None,
            tags: BTreeMap::new(),
            name: text(get(subnet, "name")),
            id,
        };
        RawCidr::first_ipv4_primary(&mut cidrs);
        sink.emit(&entry, resource, cidrs, "address_prefixes");
    }
}
