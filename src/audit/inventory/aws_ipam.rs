//! AWS VPC IPAM listings: `aws ec2 get-ipam-resource-cidrs` (the CIDRs of a scope) and
//! `get-ipam-discovered-resource-cidrs` (what a resource discovery found), one item per
//! resource CIDR, as ipam's own rows are.
//!
//! Items of type `vpc` and `subnet` are rows; other types (`eip`, `eni`, `public-ipv4-pool`,
//! `ipv6-pool`, `anycast-ip-list`) are listed as skipped. The listing's own statuses
//! (`ManagementState`, `ComplianceStatus`, `OverlapStatus`) are not read: the audit decides
//! them against the plan. A subnet's `IpUsage` is its usage; a VPC's is computed, as for
//! every export, from its subnets. Items do not say which of a VPC's blocks is primary, so its
//! first IPv4 block read is.

use serde_json::Value;

use super::doc::{Doc, entries};
use super::json::{entry_id, get, tags, text};
use super::json::{first_object, has_any};
use super::{Kind, RawCidr, Resource, Sink, Usage, not_this_format};
use crate::diag::Diag;

const LISTS: &[&str] = &["IpamResourceCidrs", "IpamDiscoveredResourceCidrs"];

/// An AWS listing: one of [`LISTS`] whose items carry `ResourceCidr` (Alibaba Cloud's carry
/// `Cidr`), or a bare list of such items.
pub(super) fn detect(value: &Value) -> bool {
    let aws_item = |v: &Value| has_any(v, &["ResourceCidr"]);
    match LISTS.iter().find_map(|k| get(value, k)) {
        Some(list) => match first_object(list) {
            Some(first) => aws_item(first),
            // An empty listing: AWS's has no `RequestId`, Alibaba Cloud's does.
            None => !has_any(value, &["RequestId"]),
        },
        None => first_object(value).is_some_and(|v| aws_item(v) && has_any(v, &["ResourceType"])),
    }
}

/// Reads a listing.
pub(super) fn read(doc: Doc, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let list = entries(doc, LISTS, &[]).ok_or_else(|| {
        not_this_format(
            sink,
            "aws-ipam",
            "has no `IpamResourceCidrs` or `IpamDiscoveredResourceCidrs` list",
            "export it with `aws ec2 get-ipam-resource-cidrs --output json`",
        )
    })?;
    sink.each(&list, |(position, entry), sink| {
        item(&entry.value(), position, sink)
    });
    Ok(())
}

fn item(v: &Value, position: &str, sink: &mut Sink) {
    let Some((id, entry)) = entry_id(v, "ResourceId", "a resource CIDR", position, sink) else {
        return;
    };
    let kind = match text(get(v, "ResourceType")) {
        Some(t) if t.eq_ignore_ascii_case("vpc") => Kind::Vpc,
        Some(t) if t.eq_ignore_ascii_case("subnet") => Kind::Subnet,
        Some(t) => {
            sink.skip(&entry, format!("type `{t}`: not a VPC or subnet"));
            return;
        }
        None => {
            sink.skip(&entry, "no `ResourceType`");
            return;
        }
    };
    let mut cidrs = Vec::new();
    if let Some(c) = text(get(v, "ResourceCidr")) {
        let mut raw = RawCidr::unsaid("ResourceCidr", c);
        if kind == Kind::Subnet
            && let Some(share) = get(v, "IpUsage").and_then(Value::as_f64)
        {
            raw.usage = Usage::Share(share);
        }
        cidrs.push(raw);
    }
    let tags = tags(get(v, "ResourceTags"));
    let resource = Resource {
        id,
        kind,
        region: text(get(v, "ResourceRegion")),
        account: text(get(v, "ResourceOwnerId")),
        vpc_id: match kind {
            Kind::Subnet => text(get(v, "VpcId")),
            _ => None,
        },
        zone: None,
        name: text(get(v, "ResourceName")).or_else(|| tags.get("Name").cloned()),
        tags,
    };
    sink.emit(&entry, resource, cidrs, "ResourceCidr");
}
