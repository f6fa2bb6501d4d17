//! `aws ec2 describe-vpcs` and `describe-subnets` output, and the `create-vpc` and
//! `create-subnet` responses (one resource under `Vpc` or `Subnet`).

use serde_json::Value;

use super::doc::Doc;
use super::json::{count, entry_id, get, get_any, items, tags, text, unwrap_response, wraps};
use super::json::{first_object, has_any, is_empty_list};
use super::regions::{arn_parts, region_of_zone};
use super::{Kind, RawCidr, Resource, Sink, Usage, not_this_format};
use crate::diag::Diag;

/// The Query API's list wrappers, which some older tools print as `{"item": [...]}`.
const ITEM: &[&str] = &["item", "member"];

/// Addresses AWS reserves in every subnet: the first four and the last.
const RESERVED: u128 = 5;

/// The list keys of `describe-vpcs` (the CLI's, the Query API's).
const VPC_LISTS: &[&str] = &["Vpcs", "vpcSet"];

/// The list keys of `describe-subnets`, and `create-subnet`'s one subnet.
const SUBNET_KEYS: &[&str] = &["Subnets", "Subnet", "subnetSet"];

/// `describe-vpcs` output: a `Vpcs` list (not Alibaba's `{"Vpc": ...}` wrapper), a lone
/// `Vpc` (`create-vpc`), or a bare list of VPCs.
pub(super) fn is_vpcs(value: &Value) -> bool {
    let value = unwrap_response(value);
    if value.is_object() {
        return match VPC_LISTS.iter().find_map(|k| get(value, k)) {
            Some(vpcs) => !wraps(vpcs, "Vpc"),
            None => {
                get(value, "Vpc").is_some_and(Value::is_object)
                    && !has_any(value, &["VSwitches"])
                    && !has_any(value, SUBNET_KEYS)
            }
        };
    }
    is_empty_list(value)
        || first_object(value).is_some_and(|first| {
            has_any(first, &["VpcId"])
                && !has_any(first, &["VSwitchId", "SubnetId"])
                && !has_any(first, super::alibaba::VPC_MARKS)
        })
}

/// `describe-subnets` output: a `Subnets` list, a lone `Subnet` (`create-subnet`), or a bare
/// list of subnets.
pub(super) fn is_subnets(value: &Value) -> bool {
    let value = unwrap_response(value);
    if value.is_object() {
        return has_any(value, SUBNET_KEYS)
            && !has_any(value, VPC_LISTS)
            && !has_any(value, &["VSwitches"]);
    }
    first_object(value)
        .is_some_and(|first| has_any(first, &["SubnetId"]) && !has_any(first, &["VSwitchId"]))
}

/// Reads `describe-vpcs` output.
pub(super) fn read_vpcs(doc: Doc, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let list = list(doc, VPC_LISTS, "Vpc").ok_or_else(|| {
        not_this_format(
            sink,
            "aws-vpcs",
            "has no `Vpcs` list",
            "export it with `aws ec2 describe-vpcs --output json`",
        )
    })?;
    sink.each(&list, |(position, v), sink| vpc(&v.value(), position, sink));
    Ok(())
}

/// Reads `describe-subnets` output.
pub(super) fn read_subnets(doc: Doc, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let list = list(doc, &[SUBNET_KEYS[0], SUBNET_KEYS[2]], "Subnet").ok_or_else(|| {
        not_this_format(
            sink,
            "aws-subnets",
            "has no `Subnets` list",
            "export it with `aws ec2 describe-subnets --output json`",
        )
    })?;
    sink.each(&list, |(position, v), sink| {
        subnet(&v.value(), position, sink)
    });
    Ok(())
}

/// The entries and their positions (`Vpcs[3]`), from the named list, from a lone `single`
/// object (`create-vpc`), or from a bare array (`--query 'Vpcs[]'`).
fn list<'t>(doc: Doc<'t>, names: &[&str], single: &str) -> Option<Vec<(String, Doc<'t>)>> {
    if let Some(entries) = doc.elements() {
        return Some(
            entries
                .into_iter()
                .enumerate()
                .map(|(i, v)| (format!("[{i}]"), v))
                .collect(),
        );
    }
    let object = doc.object()?;
    for name in names {
        if let Some(found) = object.get(name) {
            return Some(
                found
                    .items(ITEM)
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{name}[{i}]"), v))
                    .collect(),
            );
        }
    }
    object
        .get(single)
        .filter(|v| v.is_object())
        .map(|v| vec![(single.to_string(), v)])
}

/// False for an association that no longer holds its block (`disassociated`) or never did
/// (`failed`, `failing`).
fn live(association: &Value, state_key: &str) -> bool {
    let state = get(association, state_key).and_then(|s| text(get(s, "State")).or(text(Some(s))));
    !state.is_some_and(|s| {
        ["disassociated", "failed", "failing"]
            .iter()
            .any(|dead| s.eq_ignore_ascii_case(dead))
    })
}

/// The IPv6 blocks of a VPC or subnet.
fn ipv6(v: &Value, cidrs: &mut Vec<RawCidr>) {
    for a in items(get(v, "Ipv6CidrBlockAssociationSet"), ITEM) {
        if !live(a, "Ipv6CidrBlockState") {
            continue;
        }
        if let Some(c) = text(get(a, "Ipv6CidrBlock")) {
            cidrs.push(RawCidr::new("Ipv6CidrBlockAssociationSet", c, false));
        }
    }
}

fn vpc(v: &Value, position: &str, sink: &mut Sink) {
    let Some((id, entry)) = entry_id(v, "VpcId", "a VPC", position, sink) else {
        return;
    };
    let mut cidrs = Vec::new();
    let primary = text(get(v, "CidrBlock"));
    let has_primary = primary.is_some();
    if let Some(c) = primary {
        cidrs.push(RawCidr::new("CidrBlock", c, true));
    }
    // The primary block is listed here again (the duplicate is dropped by `emit`); when
    // the top-level `CidrBlock` is missing, the first association is the primary.
    // Older CLI versions (2019 and before) spell the list `CidrBlockAssociations`.
    for list in ["CidrBlockAssociationSet", "CidrBlockAssociations"] {
        for a in items(get(v, list), ITEM) {
            if !live(a, "CidrBlockState") {
                continue;
            }
            if let Some(c) = text(get(a, "CidrBlock")) {
                let primary = !has_primary && cidrs.is_empty();
                cidrs.push(RawCidr::new(list, c, primary));
            }
        }
    }
    ipv6(v, &mut cidrs);
    let tags = tags(get_any(v, &["Tags", "TagSet"]));
    let resource = Resource {
        id,
        kind: Kind::Vpc,
        region: text(get_any(v, &["Region", "RegionId"])),
        account: text(get(v, "OwnerId")),
        vpc_id: None,
        zone: None,
        name: tags.get("Name").cloned(),
        tags,
    };
    sink.emit(&entry, resource, cidrs, "CidrBlock");
}

fn subnet(v: &Value, position: &str, sink: &mut Sink) {
    let Some((id, entry)) = entry_id(v, "SubnetId", "a subnet", position, sink) else {
        return;
    };
    let zone = text(get(v, "AvailabilityZone"));
    let (arn_region, arn_account) = text(get(v, "SubnetArn"))
        .map(|arn| arn_parts(&arn))
        .unwrap_or_default();
    let region = text(get_any(v, &["Region", "RegionId"]))
        .or(arn_region)
        .or_else(|| zone.as_deref().and_then(region_of_zone));
    let mut cidrs = Vec::new();
    if let Some(c) = text(get(v, "CidrBlock")) {
        let mut raw = RawCidr::new("CidrBlock", c, true);
        if let Some(available) = count(get(v, "AvailableIpAddressCount")) {
            raw.usage = Usage::Available {
                available,
                reserved: RESERVED,
            };
        }
        cidrs.push(raw);
    }
    let ipv6_only = cidrs.is_empty();
    ipv6(v, &mut cidrs);
    if ipv6_only && let Some(first) = cidrs.first_mut() {
        first.primary = true;
    }
    let tags = tags(get_any(v, &["Tags", "TagSet"]));
    let resource = Resource {
        id,
        kind: Kind::Subnet,
        region,
        account: text(get(v, "OwnerId")).or(arn_account),
        vpc_id: text(get(v, "VpcId")),
        zone,
        name: tags.get("Name").cloned(),
        tags,
    };
    sink.emit(&entry, resource, cidrs, "CidrBlock");
}
