//! Azure CLI: `az network vnet list` (a list of virtual networks, each with its subnets), the
//! `{"newVNet": …}` that `az network vnet create` prints, and single subnets or lists of them
//! (`az network vnet subnet list`, `subnet create`).
//!
//! A virtual network gives an `azure-vnet` row per address prefix of its address space (the
//! first IPv4 one primary), in its `location`, owned by the subscription of its ID; each
//! subnet an `azure-subnet` row per address prefix, with its network's ID as `vpc_id`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::doc::Doc;
use super::json::{entry_id, get, items, kind_of, tags, text};
use super::json::{first_object, has_any};
use super::{Kind, RawCidr, Resource, Sink, not_this_format};
use crate::diag::Diag;

const VNET_TYPE: &str = "Microsoft.Network/virtualNetworks";
const SUBNET_TYPE: &str = "Microsoft.Network/virtualNetworks/subnets";

/// What an Azure object is, by its `type` or, without one, by its fields.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Vnet,
    Subnet,
}

fn shape(v: &Value) -> Option<Shape> {
    match text(get(v, "type")) {
        Some(t) if t.eq_ignore_ascii_case(VNET_TYPE) => Some(Shape::Vnet),
        Some(t) if t.eq_ignore_ascii_case(SUBNET_TYPE) => Some(Shape::Subnet),
        Some(_) => None,
        None if has_any(v, &["addressSpace"]) => Some(Shape::Vnet),
        None if has_any(v, &["addressPrefix", "addressPrefixes"])
            && text(get(v, "id")).is_some_and(|id| network_of_subnet(&id).is_some()) =>
        {
            Some(Shape::Subnet)
        }
        None => None,
    }
}

/// `az network vnet list` (or `subnet list`) output, `vnet create`'s `{"newVNet": …}`, or one
/// virtual network or subnet.
pub(super) fn detect(value: &Value) -> bool {
    if has_any(value, &["newVNet"]) {
        return true;
    }
    let one = first_object(value).unwrap_or(value);
    shape(one).is_some()
}

/// Reads virtual networks and subnets.
pub(super) fn read(doc: Doc, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let entries: Vec<(String, Doc)> = match (doc.elements(), doc.object()) {
        (Some(list), _) => list
            .into_iter()
            .enumerate()
            .map(|(i, d)| (format!("[{i}]"), d))
            .collect(),
        (None, Some(object)) => match object.get("newVNet") {
            Some(vnet) => vec![("newVNet".to_string(), vnet)],
            None => vec![(String::new(), doc)],
        },
        (None, None) => {
            return Err(not_this_format(
                sink,
                "azure",
                "is neither a list nor an object",
                "export it with `az network vnet list --output json`",
            ));
        }
    };
    sink.each(&entries, |(position, doc), sink| {
        entry(position, *doc, sink)
    });
    Ok(())
}

/// One element: a virtual network, a subnet, or something else (skipped).
fn entry(position: &str, doc: Doc, sink: &mut Sink) {
    let v = doc.value();
    let position = if position.is_empty() {
        text(get(&v, "name")).unwrap_or_else(|| "the document".to_string())
    } else {
        position.to_string()
    };
    match shape(&v) {
        Some(Shape::Vnet) => vnet(&v, &position, sink),
        Some(Shape::Subnet) => subnet(&v, &position, None, sink),
        None if !v.is_object() => {
            sink.skip(&position, format!("not a virtual network: {}", kind_of(&v)))
        }
        None => {
            let what = text(get(&v, "type")).unwrap_or_else(|| "object".to_string());
            sink.skip(
                &entry_name_of(&v, &position),
                format!("type `{what}`: not a virtual network or subnet"),
            );
        }
    }
}

fn entry_name_of(v: &Value, position: &str) -> String {
    super::entry_name(text(get(v, "id")).as_deref(), position)
}

/// The address prefixes of a list (strings) and of a single `addressPrefix`.
fn prefixes(v: &Value, single: &str, list: &str, cidrs: &mut Vec<RawCidr>) {
    if let Some(c) = text(get(v, single)) {
        cidrs.push(RawCidr::new(single, c, false));
    }
    for c in items(get(v, list), &[]) {
        if let Some(c) = text(Some(c)) {
            cidrs.push(RawCidr::new(list, c, false));
        }
    }
}

fn vnet(v: &Value, position: &str, sink: &mut Sink) {
    let Some((id, entry)) = entry_id(v, "id", "a virtual network", position, sink) else {
        return;
    };
    let mut cidrs = Vec::new();
    let space = get(v, "addressSpace").cloned().unwrap_or(Value::Null);
    prefixes(&space, "addressPrefix", "addressPrefixes", &mut cidrs);
    RawCidr::first_ipv4_primary(&mut cidrs);
    let region = text(get(v, "location"));
    let resource = Resource {
        account: subscription(&id),
        kind: Kind::AzureVnet,
        region: region.clone(),
        vpc_id: None,
        zone: None,
        tags: tags(get(v, "tags")),
        name: text(get(v, "name")),
        id: id.clone(),
    };
    sink.emit(&entry, resource, cidrs, "addressSpace.addressPrefixes");
    for (i, s) in items(get(v, "subnets"), &[]).into_iter().enumerate() {
        let position = format!("{position}.subnets[{i}]");
        subnet(s, &position, Some((&id, region.as_deref())), sink);
    }
}

fn subnet(v: &Value, position: &str, network: Option<(&str, Option<&str>)>, sink: &mut Sink) {
    let Some((id, entry)) = entry_id(v, "id", "a subnet", position, sink) else {
        return;
    };
    let mut cidrs = Vec::new();
    prefixes(v, "addressPrefix", "addressPrefixes", &mut cidrs);
    RawCidr::first_ipv4_primary(&mut cidrs);
    let (vnet, region) = match network {
        Some((vnet, region)) => (Some(vnet.to_string()), region.map(str::to_string)),
        None => (network_of_subnet(&id), None),
    };
    let resource = Resource {
        account: subscription(&id),
        kind: Kind::AzureSubnet,
        region,
        vpc_id: vnet,
        zone: None,
        tags: BTreeMap::new(),
        name: text(get(v, "name")),
        id,
    };
    sink.emit(&entry, resource, cidrs, "addressPrefix");
}

/// The subscription of a resource ID: `/subscriptions/SUB/resourceGroups/…` → `SUB`.
pub(super) fn subscription(id: &str) -> Option<String> {
    let mut parts = id.split('/').filter(|p| !p.is_empty());
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case("subscriptions") {
            return parts.next().map(str::to_string);
        }
    }
    None
}

/// The virtual network of a subnet's resource ID: everything before `/subnets/NAME`.
pub(super) fn network_of_subnet(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    let at = lower.rfind("/subnets/")?;
    (at > 0).then(|| id[..at].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_give_subscription_and_network() {
        let id = "/subscriptions/0000-1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s";
        assert_eq!(subscription(id).as_deref(), Some("0000-1"));
        assert_eq!(
            network_of_subnet(id).as_deref(),
            Some(
                "/subscriptions/0000-1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
            )
        );
        assert_eq!(network_of_subnet("/subnets/x"), None);
        assert_eq!(subscription("no subscription"), None);
    }
}
