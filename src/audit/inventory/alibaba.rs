//! Alibaba Cloud `DescribeVpcs` and `DescribeVSwitches` responses, with or without the
//! `…Response` wrapper. Every list may come as an array, as one object or as one string.

use serde_json::Value;

use super::doc::Doc;
use super::json::{count, entry_id, get, get_any, items, tags, text, unwrap_response, wraps};
use super::json::{first_object, has_any};
use super::regions::region_of_zone;
use super::{Kind, RawCidr, Resource, Sink, Usage, not_this_format};
use crate::diag::Diag;

/// Addresses Alibaba Cloud reserves in every vSwitch: the first and the last three.
const RESERVED: u128 = 4;

/// Keys of a VPC that Alibaba Cloud writes and AWS does not: how a bare list of VPCs is told
/// apart from `aws ec2 describe-vpcs --query 'Vpcs[]'`.
pub(super) const VPC_MARKS: &[&str] = &["VRouterId", "RegionId", "VpcName"];

/// A `DescribeVpcs` response: `Vpcs` wrapping `Vpc`, or a bare list of Alibaba VPCs.
pub(super) fn is_vpcs(value: &Value) -> bool {
    let value = unwrap_response(value);
    if value.is_object() {
        return get(value, "Vpcs").is_some_and(|vpcs| wraps(vpcs, "Vpc"));
    }
    first_object(value).is_some_and(|first| {
        has_any(first, &["VpcId"])
            && has_any(first, VPC_MARKS)
            && !has_any(first, &["VSwitchId", "SubnetId"])
    })
}

/// A `DescribeVSwitches` response, or a bare list of vSwitches.
pub(super) fn is_vswitches(value: &Value) -> bool {
    let value = unwrap_response(value);
    if value.is_object() {
        return has_any(value, &["VSwitches"]) && !has_any(value, &["Vpcs", "vpcSet"]);
    }
    first_object(value).is_some_and(|first| has_any(first, &["VSwitchId"]))
}

/// Reads a `DescribeVpcs` response.
pub(super) fn read_vpcs(doc: Doc, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let list = list(doc, "Vpcs", "Vpc").ok_or_else(|| {
        not_this_format(
            sink,
            "alibaba-vpcs",
            "has no `Vpcs` list",
            "export it with `aliyun vpc DescribeVpcs`",
        )
    })?;
    sink.each(&list, |(position, v), sink| vpc(&v.value(), position, sink));
    Ok(())
}

/// Reads a `DescribeVSwitches` response.
pub(super) fn read_vswitches(doc: Doc, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let list = list(doc, "VSwitches", "VSwitch").ok_or_else(|| {
        not_this_format(
            sink,
            "alibaba-vswitches",
            "has no `VSwitches` list",
            "export it with `aliyun vpc DescribeVSwitches`",
        )
    })?;
    sink.each(&list, |(position, v), sink| {
        vswitch(&v.value(), position, sink)
    });
    Ok(())
}

/// The entries of `{"Vpcs": {"Vpc": [...]}}` (or a bare array) with their positions.
fn list<'t>(doc: Doc<'t>, outer: &str, inner: &str) -> Option<Vec<(String, Doc<'t>)>> {
    let doc = doc.unwrap_response();
    let (name, entries) = match doc.object() {
        None => (String::new(), doc.items(&[])),
        Some(object) => (
            format!("{outer}.{inner}"),
            object.get(outer)?.items(&[inner]),
        ),
    };
    Some(
        entries
            .into_iter()
            .enumerate()
            .map(|(i, v)| (format!("{name}[{i}]"), v))
            .collect(),
    )
}

/// The blocks of a list of CIDRs whose elements are strings or objects holding the CIDR
/// under `key` (`Ipv6CidrBlocks.Ipv6CidrBlock[].Ipv6CidrBlock`).
fn cidr_list(v: &Value, outer: &str, key: &str, cidrs: &mut Vec<RawCidr>) {
    for element in items(get(v, outer), &[key]) {
        let cidr = match element {
            Value::Object(_) => text(get(element, key)),
            other => text(Some(other)),
        };
        if let Some(c) = cidr {
            cidrs.push(RawCidr::new(outer, c, false));
        }
    }
}

fn vpc(v: &Value, position: &str, sink: &mut Sink) {
    let Some((id, entry)) = entry_id(v, "VpcId", "a VPC", position, sink) else {
        return;
    };
    let mut cidrs = Vec::new();
    if let Some(c) = text(get(v, "CidrBlock")) {
        cidrs.push(RawCidr::new("CidrBlock", c, true));
    }
    cidr_list(v, "SecondaryCidrBlocks", "SecondaryCidrBlock", &mut cidrs);
    // The first IPv6 block is also in `Ipv6CidrBlocks`; `emit` keeps one.
    if let Some(c) = text(get(v, "Ipv6CidrBlock")) {
        cidrs.push(RawCidr::new("Ipv6CidrBlock", c, false));
    }
    cidr_list(v, "Ipv6CidrBlocks", "Ipv6CidrBlock", &mut cidrs);
    let tags = tags(get(v, "Tags"));
    let name = text(get(v, "VpcName")).or_else(|| tags.get("Name").cloned());
    let resource = Resource {
        id,
        kind: Kind::Vpc,
        region: text(get(v, "RegionId")),
        account: text(get(v, "OwnerId")),
        vpc_id: None,
        zone: None,
        tags,
        name,
    };
    sink.emit(&entry, resource, cidrs, "CidrBlock");
}

fn vswitch(v: &Value, position: &str, sink: &mut Sink) {
    let Some((id, entry)) = entry_id(v, "VSwitchId", "a vSwitch", position, sink) else {
        return;
    };
    let zone = text(get_any(v, &["ZoneId", "Zone"]));
    let region = text(get(v, "RegionId")).or_else(|| zone.as_deref().and_then(region_of_zone));
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
    if let Some(c) = text(get(v, "Ipv6CidrBlock")) {
        cidrs.push(RawCidr::new("Ipv6CidrBlock", c, ipv6_only));
    }
    let tags = tags(get(v, "Tags"));
    let name = text(get(v, "VSwitchName")).or_else(|| tags.get("Name").cloned());
    let resource = Resource {
        id,
        kind: Kind::Subnet,
        region,
        account: text(get(v, "OwnerId")),
        vpc_id: text(get(v, "VpcId")),
        zone,
        tags,
        name,
    };
    sink.emit(&entry, resource, cidrs, "CidrBlock");
}
