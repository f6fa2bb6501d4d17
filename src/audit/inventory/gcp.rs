//! Google Cloud: `gcloud compute networks subnets list --format=json` (and `networks list`),
//! a plain list or the Compute API's `{"items": [...]}`.
//!
//! A subnetwork gives a `gcp-subnetwork` row for its primary range, one for each secondary
//! range (GKE's pods and services) and one for each IPv6 range; a network gives rows only for
//! ranges it holds itself (a legacy network's `IPv4Range`, its `internalIpv6Range`), and is
//! otherwise listed as skipped: its subnetworks hold its addresses. Resources are named by
//! the path of their `selfLink` (`projects/P/regions/R/subnetworks/S`), as Terraform names
//! them; a subnetwork's `vpc_id` is its network's.

use std::collections::BTreeMap;

use serde_json::Value;

use super::doc::Doc;
use super::json::{first_object, has_any};
use super::json::{get, items, kind_of, text};
use super::{Kind, RawCidr, Resource, Sink, entry_name, not_this_format};
use crate::diag::Diag;

/// Why a network without a range of its own gives no row.
pub(super) const NETWORK_WITHOUT_RANGE: &str = "a Google Cloud VPC network holds no address range itself: its subnetworks do (export them with `gcloud compute networks subnets list --format=json`)";

fn kind(v: &Value) -> Option<String> {
    text(get(v, "kind"))
}

/// A list of subnetworks or networks (by their `kind`), or the API's list of them.
pub(super) fn detect(value: &Value) -> bool {
    let is_item = |v: &Value| {
        kind(v).is_some_and(|k| k == "compute#subnetwork" || k == "compute#network")
            || (has_any(v, &["ipCidrRange"]) && has_any(v, &["network"]))
    };
    if let Some(list_kind) = kind(value) {
        return list_kind.starts_with("compute#")
            && (list_kind.ends_with("List") || is_item(value));
    }
    first_object(value).is_some_and(is_item)
}

/// Reads subnetworks and networks.
pub(super) fn read(doc: Doc, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let entries: Vec<(String, Doc)> = if let Some(list) = doc.elements() {
        list.into_iter()
            .enumerate()
            .map(|(i, d)| (format!("[{i}]"), d))
            .collect()
    } else if let Some(object) = doc.object() {
        match object.get("items") {
            Some(list) => list
                .items(&[])
                .into_iter()
                .enumerate()
                .map(|(i, d)| (format!("items[{i}]"), d))
                .collect(),
            None => vec![(String::new(), doc)],
        }
    } else {
        return Err(not_this_format(
            sink,
            "gcp",
            "is neither a list nor an object",
            "export it with `gcloud compute networks subnets list --format=json`",
        ));
    };
    sink.each(&entries, |(position, doc), sink| {
        entry(position, *doc, sink)
    });
    Ok(())
}

/// One element: a subnetwork, a network, or something else (skipped).
fn entry(position: &str, doc: Doc, sink: &mut Sink) {
    let v = doc.value();
    if !v.is_object() {
        sink.skip(position, format!("not a subnetwork: {}", kind_of(&v)));
        return;
    }
    let id = text(get(&v, "selfLink"))
        .map(|l| path(&l))
        .or_else(|| text(get(&v, "id")));
    let entry = match (&id, position.is_empty()) {
        (Some(id), true) => id.clone(),
        _ => entry_name(id.as_deref(), position),
    };
    let Some(id) = id else {
        sink.skip(&entry, "no `selfLink` or `id`");
        return;
    };
    match kind(&v).as_deref() {
        Some("compute#network") => network(&v, id, &entry, sink),
        Some("compute#subnetwork") | None => subnetwork(&v, id, &entry, sink),
        Some(other) => sink.skip(
            &entry,
            format!("kind `{other}`: not a network or subnetwork"),
        ),
    }
}

fn push(v: &Value, key: &str, primary: bool, cidrs: &mut Vec<RawCidr>) {
    if let Some(c) = text(get(v, key)) {
        cidrs.push(RawCidr::new(key, c, primary));
    }
}

fn subnetwork(v: &Value, id: String, entry: &str, sink: &mut Sink) {
    let mut cidrs = Vec::new();
    push(v, "ipCidrRange", true, &mut cidrs);
    for range in items(get(v, "secondaryIpRanges"), &[]) {
        if let Some(c) = text(get(range, "ipCidrRange")) {
            cidrs.push(RawCidr::new("secondaryIpRanges", c, false));
        }
    }
    for key in ["ipv6CidrRange", "internalIpv6Prefix", "externalIpv6Prefix"] {
        push(v, key, false, &mut cidrs);
    }
    let account = project(&id);
    let resource = Resource {
        kind: Kind::GcpSubnetwork,
        region: text(get(v, "region")).map(|r| last_segment(&r).to_string()),
        vpc_id: text(get(v, "network")).map(|n| network_id(&n, account.as_deref())),
        account,
        zone: None,
        tags: BTreeMap::new(),
        name: text(get(v, "name")),
        id,
    };
    sink.emit(entry, resource, cidrs, "ipCidrRange");
}

fn network(v: &Value, id: String, entry: &str, sink: &mut Sink) {
    let mut cidrs = Vec::new();
    push(v, "IPv4Range", true, &mut cidrs);
    push(v, "internalIpv6Range", false, &mut cidrs);
    if cidrs.is_empty() {
        sink.skip(entry, NETWORK_WITHOUT_RANGE);
        return;
    }
    RawCidr::first_ipv4_primary(&mut cidrs);
    let resource = Resource {
        kind: Kind::GcpNetwork,
        region: None,
        account: project(&id),
        vpc_id: None,
        zone: None,
        tags: BTreeMap::new(),
        name: text(get(v, "name")),
        id,
    };
    sink.emit(entry, resource, cidrs, "IPv4Range");
}

/// A resource URL's path from `projects/` on, without a query:
/// `https://www.googleapis.com/compute/v1/projects/p/global/networks/n` →
/// `projects/p/global/networks/n`. Anything else is kept as it is.
pub(super) fn path(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    match url.find("projects/") {
        Some(at) if at == 0 || url[..at].ends_with('/') => url[at..].to_string(),
        _ => url.to_string(),
    }
}

/// The last segment of a URL or path: `…/regions/asia-east1` → `asia-east1`.
pub(super) fn last_segment(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url)
}

/// The project of a resource path: `projects/P/…` → `P`.
pub(super) fn project(path: &str) -> Option<String> {
    let rest = path.strip_prefix("projects/")?;
    let project = rest.split('/').next()?;
    (!project.is_empty()).then(|| project.to_string())
}

/// A network as a subnetwork names it (URL, path, or bare name within `project`), as the
/// path the network's own rows use.
pub(super) fn network_id(network: &str, project: Option<&str>) -> String {
    let p = path(network);
    if p.starts_with("projects/") || network.contains('/') {
        return p;
    }
    match project {
        Some(project) => format!("projects/{project}/global/networks/{network}"),
        None => network.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_paths() {
        let url = "https://www.googleapis.com/compute/v1/projects/cfos-384323/global/networks/gkenetwork1";
        assert_eq!(
            path(url),
            "projects/cfos-384323/global/networks/gkenetwork1"
        );
        assert_eq!(
            path("projects/p/regions/r/subnetworks/s"),
            "projects/p/regions/r/subnetworks/s"
        );
        assert_eq!(path("myprojects/x"), "myprojects/x");
        assert_eq!(last_segment("https://x/regions/asia-east1"), "asia-east1");
        assert_eq!(
            project("projects/p/global/networks/n").as_deref(),
            Some("p")
        );
        assert_eq!(project("networks/n"), None);
        assert_eq!(
            network_id("default", Some("p")),
            "projects/p/global/networks/default"
        );
        assert_eq!(
            network_id(url, None),
            "projects/cfos-384323/global/networks/gkenetwork1"
        );
        assert_eq!(network_id("default", None), "default");
    }
}
