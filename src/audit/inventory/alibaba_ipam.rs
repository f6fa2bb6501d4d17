//! Alibaba Cloud VPC IPAM listings: `ListIpamResourceCidrs` (the CIDRs of a scope) and
//! `ListIpamDiscoveredResource` (what a resource discovery found), one item per resource
//! CIDR, with or without the `…Response` wrapper.
//!
//! Alibaba Cloud spells the fields its own way: `Cidr` (not `ResourceCidr`),
//! `ResourceRegionId`, resource types `VPC` and `VSwitch`, and IP counts as strings
//! (`IpCountDetail.UsedIpCount` "4" of `TotalIpCount` "256"). Items of other types and items
//! whose `Status` is `Deleted` are listed as skipped. The listing's own statuses
//! (`ManagementStatus`, `ComplianceStatus`, `OverlapStatus`) are not read: the audit decides
//! them against the plan. Items do not say which of a VPC's blocks is primary, so its first
//! IPv4 block read is.

use serde_json::Value;

use super::doc::{Doc, entries};
use super::json::{count, entry_id, get, get_any, tags, text, unwrap_response};
use super::json::{first_object, has_any};
use super::{Kind, RawCidr, Resource, Sink, Usage, not_this_format};
use crate::diag::Diag;

const LISTS: &[&str] = &["IpamResourceCidrs", "IpamDiscoveredResources"];

/// Keys of an item that Alibaba Cloud writes and AWS does not.
const MARKS: &[&str] = &["Cidr", "ResourceRegionId", "AliUid"];

/// An Alibaba Cloud listing: `IpamDiscoveredResources`, or `IpamResourceCidrs` whose items
/// carry `Cidr` (or, when it is empty, beside the response's `RequestId`); or a bare list of
/// such items.
pub(super) fn detect(value: &Value) -> bool {
    let value = unwrap_response(value);
    if has_any(value, &["IpamDiscoveredResources"]) {
        return true;
    }
    match get(value, "IpamResourceCidrs") {
        Some(list) => match first_object(list) {
            Some(first) => has_any(first, MARKS) && !has_any(first, &["ResourceCidr"]),
            None => has_any(value, &["RequestId"]),
        },
        None => {
            first_object(value).is_some_and(|v| has_any(v, MARKS) && has_any(v, &["ResourceType"]))
        }
    }
}

/// Reads a listing.
pub(super) fn read(doc: Doc, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let list =
        entries(doc, LISTS, &["IpamResourceCidr", "IpamDiscoveredResource"]).ok_or_else(|| {
            not_this_format(
                sink,
                "alibaba-ipam",
                "has no `IpamResourceCidrs` or `IpamDiscoveredResources` list",
                "export it with `aliyun vpcipam ListIpamResourceCidrs`",
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
        Some(t) if t.eq_ignore_ascii_case("vswitch") => Kind::Subnet,
        Some(t) => {
            sink.skip(&entry, format!("type `{t}`: not a VPC or vSwitch"));
            return;
        }
        None => {
            sink.skip(&entry, "no `ResourceType`");
            return;
        }
    };
    if text(get(v, "Status")).is_some_and(|s| s.eq_ignore_ascii_case("deleted")) {
        sink.skip(&entry, "deleted (`Status` is `Deleted`)");
        return;
    }
    let mut cidrs = Vec::new();
    if let Some(c) = text(get(v, "Cidr")) {
        let mut raw = RawCidr::unsaid("Cidr", c);
        let counts = get(v, "IpCountDetail");
        let used = count(counts.and_then(|c| get(c, "UsedIpCount")));
        let total = count(counts.and_then(|c| get(c, "TotalIpCount")));
        if kind == Kind::Subnet
            && let (Some(used), Some(total)) = (used, total)
        {
            raw.usage = Usage::Counts { used, total };
        }
        cidrs.push(raw);
    }
    let tags = tags(get(v, "Tags"));
    let resource = Resource {
        id,
        kind,
        region: text(get(v, "ResourceRegionId")),
        account: text(get_any(v, &["ResourceOwnerId", "AliUid"])),
        vpc_id: match kind {
            Kind::Subnet => text(get(v, "VpcId")),
            _ => None,
        },
        zone: None,
        name: text(get(v, "ResourceName")).or_else(|| tags.get("Name").cloned()),
        tags,
    };
    sink.emit(&entry, resource, cidrs, "Cidr");
}
