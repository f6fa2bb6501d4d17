//! Terraform state, version 4 (`terraform state pull`): the VPC and subnet resources of the
//! AWS and Alibaba Cloud providers. Other resource types are not networks and are passed
//! over without a report.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::json::{get, items, kind_of, tags, text, unwrap_response};
use super::regions::{arn_parts, region_of_zone};
use super::{Kind, RawCidr, Resource, Sink, entry_name, not_this_format};
use crate::diag::Diag;

/// The resource types read, and what each is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    AwsVpc,
    AwsSubnet,
    /// `aws_vpc_ipv4_cidr_block_association` and its IPv6 twin: another block of a VPC.
    AwsAssociation,
    AlicloudVpc,
    AlicloudVSwitch,
    /// `alicloud_vpc_ipv4_cidr_block`: a secondary block of a VPC.
    AlicloudSecondary,
}

fn resource_type(name: &str) -> Option<Type> {
    Some(match name {
        "aws_vpc" | "aws_default_vpc" => Type::AwsVpc,
        "aws_subnet" | "aws_default_subnet" => Type::AwsSubnet,
        "aws_vpc_ipv4_cidr_block_association" | "aws_vpc_ipv6_cidr_block_association" => {
            Type::AwsAssociation
        }
        "alicloud_vpc" => Type::AlicloudVpc,
        "alicloud_vswitch" => Type::AlicloudVSwitch,
        "alicloud_vpc_ipv4_cidr_block" => Type::AlicloudSecondary,
        _ => return None,
    })
}

/// A state: a `version` beside its `resources`, `terraform_version` or `lineage`.
pub(super) fn detect(value: &Value) -> bool {
    let value = unwrap_response(value);
    value.as_object().is_some_and(|map| {
        map.contains_key("version")
            && ["resources", "terraform_version", "lineage"]
                .iter()
                .any(|k| map.contains_key(*k))
    })
}

/// Reads a state.
pub(super) fn read(value: &Value, sink: &mut Sink) -> Result<(), Box<Diag>> {
    match get(value, "version").and_then(Value::as_u64) {
        Some(4) => {}
        Some(v) => {
            return Err(Box::new(
                Diag::error(
                    "ipam::audit::version",
                    format!(
                        "{} is a Terraform state of version {v}; ipam reads version 4",
                        sink.source
                    ),
                )
                .help(
                    "Terraform 0.12 and later write version 4: run `terraform state pull` \
                     with a current Terraform",
                ),
            ));
        }
        None => {
            return Err(not_this_format(
                sink,
                "terraform",
                "has no state `version`",
                "export it with `terraform state pull`",
            ));
        }
    }
    let Some(Value::Array(resources)) = get(value, "resources") else {
        return Err(not_this_format(
            sink,
            "terraform",
            "has no `resources` list",
            "export it with `terraform state pull`",
        ));
    };
    let first_row = sink.rows.len();
    let mut associations = Vec::new();
    for (i, resource) in resources.iter().enumerate() {
        let Some(type_name) = text(get(resource, "type")) else {
            if !resource.is_object() {
                sink.skip(
                    &format!("resources[{i}]"),
                    format!("not a resource: {}", kind_of(resource)),
                );
            }
            continue;
        };
        let Some(ty) = resource_type(&type_name) else {
            continue;
        };
        let name = text(get(resource, "name")).unwrap_or_else(|| format!("resources[{i}]"));
        let mut address = format!("{type_name}.{name}");
        if let Some(module) = text(get(resource, "module")) {
            address = format!("{module}.{address}");
        }
        if text(get(resource, "mode")).as_deref() == Some("data") {
            sink.skip(
                &format!("data.{address}"),
                "a data source: read by this configuration, not managed by it; \
                 audit it from the state that manages it, or from a provider export",
            );
            continue;
        }
        for (j, instance) in items(get(resource, "instances"), &[])
            .into_iter()
            .enumerate()
        {
            let position = match get(instance, "index_key") {
                Some(Value::String(key)) => format!("{address}[{key:?}]"),
                Some(Value::Number(n)) => format!("{address}[{n}]"),
                _ if j == 0 => address.clone(),
                _ => format!("{address} (instance {j})"),
            };
            let Some(attributes) = get(instance, "attributes").filter(|a| a.is_object()) else {
                sink.skip(&position, "no `attributes`");
                continue;
            };
            let before = sink.rows.len();
            instance_rows(ty, attributes, &position, sink);
            if ty == Type::AwsAssociation || ty == Type::AlicloudSecondary {
                associations.extend(before..sink.rows.len());
            }
        }
    }
    lend_vpc_fields(sink, first_row, &associations);
    Ok(())
}

/// A VPC's extra blocks come from association resources that know only the VPC's ID: the
/// VPC, when this state holds it, lends them its region, account, tags and name.
fn lend_vpc_fields(sink: &mut Sink, first_row: usize, associations: &[usize]) {
    if associations.is_empty() {
        return;
    }
    let mut vpcs: HashMap<Arc<str>, usize> = HashMap::new();
    for (i, row) in sink.rows.iter().enumerate().skip(first_row) {
        if row.kind == Kind::Vpc && row.primary {
            vpcs.entry(row.id.clone()).or_insert(i);
        }
    }
    for &i in associations {
        let Some(&vpc) = vpcs.get(&sink.rows[i].id) else {
            continue;
        };
        let lender = sink.rows[vpc].clone();
        let row = &mut sink.rows[i];
        row.region = row.region.take().or(lender.region);
        row.account = row.account.take().or(lender.account);
        row.name = row.name.take().or(lender.name);
        if row.tags.is_empty() {
            row.tags = lender.tags;
        }
    }
}

/// Effective tags: `tags_all` (with the provider's default tags) over `tags`.
fn resource_tags(a: &Value) -> std::collections::BTreeMap<String, String> {
    let mut all = tags(get(a, "tags_all"));
    for (k, v) in tags(get(a, "tags")) {
        all.insert(k, v);
    }
    all
}

fn instance_rows(ty: Type, a: &Value, position: &str, sink: &mut Sink) {
    let (id_key, id) = match ty {
        Type::AwsAssociation | Type::AlicloudSecondary => ("vpc_id", text(get(a, "vpc_id"))),
        _ => ("id", text(get(a, "id"))),
    };
    let entry = entry_name(id.as_deref(), position);
    let Some(id) = id else {
        sink.skip(&entry, format!("no `{id_key}`"));
        return;
    };
    let tags = resource_tags(a);
    let (arn_region, arn_account) = text(get(a, "arn"))
        .map(|arn| arn_parts(&arn))
        .unwrap_or_default();
    let mut cidrs = Vec::new();
    let mut push = |key: &str, primary: bool| {
        if let Some(c) = text(get(a, key)) {
            cidrs.push(RawCidr::new(key, c, primary));
        }
    };
    let (kind, expected) = match ty {
        Type::AwsVpc | Type::AlicloudVpc | Type::AwsSubnet | Type::AlicloudVSwitch => {
            push("cidr_block", true);
            push("ipv6_cidr_block", false);
            let kind = match ty {
                Type::AwsSubnet | Type::AlicloudVSwitch => Kind::Subnet,
                _ => Kind::Vpc,
            };
            (kind, "cidr_block")
        }
        Type::AwsAssociation => {
            push("cidr_block", false);
            push("ipv6_cidr_block", false);
            (Kind::Vpc, "cidr_block")
        }
        Type::AlicloudSecondary => {
            push("secondary_cidr_block", false);
            (Kind::Vpc, "secondary_cidr_block")
        }
    };
    if ty == Type::AlicloudVpc {
        for c in items(get(a, "secondary_cidr_blocks"), &[]) {
            if let Some(c) = text(Some(c)) {
                cidrs.push(RawCidr::new("secondary_cidr_blocks", c, false));
            }
        }
        for block in items(get(a, "ipv6_cidr_blocks"), &[]) {
            let c = match block {
                Value::Object(_) => text(get(block, "ipv6_cidr_block")),
                other => text(Some(other)),
            };
            if let Some(c) = c {
                cidrs.push(RawCidr::new("ipv6_cidr_blocks", c, false));
            }
        }
    }
    // An IPv6-only subnet: its IPv6 block identifies it.
    if kind == Kind::Subnet
        && !cidrs.iter().any(|c| c.primary)
        && let Some(first) = cidrs.first_mut()
    {
        first.primary = true;
    }
    let zone = match ty {
        Type::AwsSubnet => text(get(a, "availability_zone")),
        Type::AlicloudVSwitch => {
            text(get(a, "zone_id")).or_else(|| text(get(a, "availability_zone")))
        }
        _ => None,
    };
    let name = match ty {
        Type::AlicloudVpc => text(get(a, "vpc_name")).or_else(|| text(get(a, "name"))),
        Type::AlicloudVSwitch => text(get(a, "vswitch_name")).or_else(|| text(get(a, "name"))),
        _ => None,
    }
    .or_else(|| tags.get("Name").cloned());
    let resource = Resource {
        id,
        kind,
        region: arn_region.or_else(|| zone.as_deref().and_then(region_of_zone)),
        account: text(get(a, "owner_id")).or(arn_account),
        vpc_id: match kind {
            Kind::Subnet => text(get(a, "vpc_id")),
            Kind::Vpc => None,
        },
        zone,
        tags,
        name,
    };
    sink.emit(&entry, resource, cidrs, expected);
}
