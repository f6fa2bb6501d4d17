//! The plan entries `ipam import` writes for the VPCs it adopts: one `[vpcs.ID]` table each,
//! in resource ID order, in the plan language users write by hand.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Adoption, Block};

/// A TOML key: bare when it can be, quoted otherwise.
fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if bare { k.to_string() } else { quote(k) }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn inline_tags(tags: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = tags
        .iter()
        .map(|(k, v)| format!("{} = {}", key(k), quote(v)))
        .collect();
    format!("{{ {} }}", items.join(", "))
}

fn inline_block(b: &Block) -> String {
    format!("{{ pool = {}, cidr = \"{}\" }}", quote(&b.pool), b.cidr)
}

/// The plan entries declaring the adopted VPCs, in resource ID order, in the layout `ipam
/// fmt` writes (a blank line between entries, subnet keys aligned), so that the plan file
/// stays formatted.
pub fn entries(adopted: &[Adoption]) -> String {
    let mut out = String::new();
    for a in adopted {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "[vpcs.{}]", key(&a.id));
        let _ = writeln!(out, "pool = {}", quote(&a.primary.pool));
        let _ = writeln!(out, "cidr = \"{}\"", a.primary.cidr);
        let _ = writeln!(out, "region = {}", quote(&a.region));
        if let Some(owner) = &a.owner {
            let _ = writeln!(out, "owner = {}", quote(owner));
        }
        let _ = writeln!(out, "resource_id = {}", quote(&a.id));
        let description = match &a.name {
            Some(name) => format!("{name} (imported from {})", a.source),
            None => format!("Imported from {}", a.source),
        };
        let _ = writeln!(out, "description = {}", quote(&description));
        if !a.tags.is_empty() {
            let _ = writeln!(out, "tags = {}", inline_tags(&a.tags));
        }
        if !a.secondary.is_empty() {
            let blocks: Vec<String> = a.secondary.iter().map(inline_block).collect();
            let _ = writeln!(out, "secondary = [{}]", blocks.join(", "));
        }
        if let Some(b) = &a.ipv6 {
            let _ = writeln!(out, "ipv6 = {}", inline_block(b));
        }
        let subnet_keys: Vec<String> = a.subnets.iter().map(|s| key(&s.id)).collect();
        let width = subnet_keys
            .iter()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0);
        for (s, name) in a.subnets.iter().zip(&subnet_keys) {
            let mut fields = vec![format!("cidr = \"{}\"", s.cidr)];
            if let Some(zone) = &s.zone {
                fields.push(format!("zone = {}", quote(zone)));
            }
            if !s.tags.is_empty() {
                fields.push(format!("tags = {}", inline_tags(&s.tags)));
            }
            if let Some(name) = &s.name {
                fields.push(format!("description = {}", quote(name)));
            }
            let _ = writeln!(out, "subnets.{name:width$} = {{ {} }}", fields.join(", "));
        }
    }
    out
}
