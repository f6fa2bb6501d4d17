//! The recorded state for people and tools (SPEC §10, §11): the tree `ipam show` prints, its
//! JSON, and the address → CIDR map of `ipam output`. Utilization is computed by
//! [`crate::state::usage`] and only printed here.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use super::JSON_FORMAT_VERSION;
use crate::addr::{AddrCount, Prefix};
use crate::state::history::Forecast;
use crate::state::usage::{Utilization, utilization};
use crate::state::{BlockRecord, Records};

/// A percentage for people: one decimal.
pub fn percent(p: f64) -> String {
    format!("{p:.1}%")
}

/// Forecasts by pool name, from the history (see [`crate::state::history`]).
pub type Forecasts = BTreeMap<String, Forecast>;

/// The recorded tree: scopes, pools under their parents, then the VPCs and reservations
/// taken from each pool, in address order. A pool whose trend rises gets a `forecast:`
/// line.
pub fn tree(records: &Records, forecasts: &Forecasts) -> String {
    let usage = utilization(records);
    let mut children: Children = BTreeMap::new();
    let mut scopes: BTreeMap<&str, Vec<(Option<Prefix>, &str)>> = BTreeMap::new();
    for (name, p) in &records.pools {
        let first = p.cidrs.first().copied();
        match &p.parent {
            None => scopes.entry(&p.scope).or_default().push((first, name)),
            Some(parent) => children.entry(parent).or_default().push((first, name)),
        }
    }
    let mut leaves: BTreeMap<&str, Vec<(Prefix, String)>> = BTreeMap::new();
    for (name, v) in &records.vpcs {
        for (i, (pool, cidr)) in v.blocks().enumerate() {
            let role = if i == 0 { "" } else { " (secondary)" };
            let mut line = format!("vpc {name}  {cidr}{role}");
            if i == 0 {
                if let Some(r) = &v.region {
                    line.push_str(&format!("  region {r}"));
                }
                if let Some(o) = &v.owner {
                    line.push_str(&format!("  owner {o}"));
                }
                for (s, sr) in &v.subnets {
                    line.push_str(&format!("\n  subnet {s}  {}", sr.cidr));
                    if let Some(z) = &sr.zone {
                        line.push_str(&format!("  zone {z}"));
                    }
                }
            }
            leaves.entry(pool).or_default().push((cidr, line));
        }
    }
    for (name, r) in &records.reservations {
        leaves
            .entry(&r.pool)
            .or_default()
            .push((r.cidr, format!("reservation {name}  {}", r.cidr)));
    }
    for (name, p) in &records.pools {
        for slot in &p.held {
            leaves
                .entry(name)
                .or_default()
                .push((*slot, format!("held for growth  {slot}")));
        }
    }
    let mut out = String::new();
    for (scope, mut tops) in scopes {
        tops.sort();
        out.push_str(&format!("scope {scope}\n"));
        for (_, name) in tops {
            pool_lines(
                &Tree {
                    records,
                    usage: &usage,
                    children: &children,
                    leaves: &leaves,
                    forecasts,
                },
                name,
                1,
                &mut out,
            );
        }
    }
    out
}

/// The tree as Markdown (a ticket, a pull request): a heading naming the state, the tree in a
/// fenced block.
pub fn markdown(records: &Records, forecasts: &Forecasts, location: &str, serial: u64) -> String {
    format!(
        "#### ipam state: `{}`, serial {serial}\n\n```text\n{}```\n",
        location.replace('`', "'"),
        tree(records, forecasts).replace("```", "'''")
    )
}

/// Sub-pools by parent, with their first CIDR.
type Children<'a> = BTreeMap<&'a str, Vec<(Option<Prefix>, &'a str)>>;

/// What the tree is drawn from.
struct Tree<'a> {
    records: &'a Records,
    usage: &'a BTreeMap<&'a str, Utilization>,
    children: &'a Children<'a>,
    leaves: &'a BTreeMap<&'a str, Vec<(Prefix, String)>>,
    forecasts: &'a Forecasts,
}

fn pool_lines(t: &Tree, name: &str, depth: usize, out: &mut String) {
    let Tree {
        records,
        usage,
        children,
        leaves,
        forecasts,
    } = *t;
    let indent = "  ".repeat(depth);
    let Some(pool) = records.pools.get(name) else {
        return;
    };
    let cidrs: Vec<String> = pool.cidrs.iter().map(|c| c.to_string()).collect();
    out.push_str(&format!("{indent}pool {name}  {}", cidrs.join(", ")));
    if let Some(u) = usage.get(name) {
        out.push_str(&format!(
            "  {} used (pools {}, VPCs {}, reservations {}; ",
            percent(u.percent),
            u.in_pools,
            u.in_vpcs,
            u.in_reservations,
        ));
        if u.held != AddrCount::ZERO {
            out.push_str(&format!("held for growth {}, ", u.held));
        }
        out.push_str(&format!("free {}", u.free));
        if let Some(b) = u.largest_free {
            out.push_str(&format!(", largest free {b}"));
        }
        out.push(')');
        if let Some(parent) = pool.parent.as_deref().and_then(|p| usage.get(p)) {
            out.push_str(&format!("  parent {} used", percent(parent.percent)));
        }
        if u.alert {
            out.push_str(&format!(
                "  ALERT: above alert_at {}%",
                u.alert_at.unwrap_or_default()
            ));
        }
    }
    out.push('\n');
    if let (Some(f @ Forecast::Growth { .. }), Some(u)) = (forecasts.get(name), usage.get(name)) {
        out.push_str(&format!("{indent}  forecast: {}\n", f.describe(u.alert_at)));
    }
    // Sub-pools and allocations, in address order.
    let mut items: Vec<(Option<Prefix>, Option<&str>, &str)> = Vec::new();
    for (cidr, child) in children.get(name).into_iter().flatten() {
        items.push((*cidr, Some(child), ""));
    }
    for (cidr, line) in leaves.get(name).into_iter().flatten() {
        items.push((Some(*cidr), None, line));
    }
    items.sort();
    for (_, child, line) in items {
        match child {
            Some(child) => pool_lines(t, child, depth + 1, out),
            None => {
                for l in line.lines() {
                    out.push_str(&format!("{indent}  {l}\n"));
                }
            }
        }
    }
}

/// `show --json`, documented in `schemas/show.schema.json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ShowDocument<'a> {
    /// Version of this document's format.
    pub format_version: &'static str,
    /// The state's serial; null before the first apply.
    pub serial: Option<u64>,
    pub lineage: Option<&'a str>,
    /// Custom scopes (`private` and `public` always exist).
    pub scopes: Vec<&'a str>,
    pub pools: Vec<PoolView<'a>>,
    pub vpcs: Vec<VpcView<'a>>,
    pub reservations: Vec<ReservationView<'a>>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PoolView<'a> {
    pub name: &'a str,
    pub scope: &'a str,
    pub parent: Option<&'a str>,
    pub cidrs: &'a [Prefix],
    pub region: Option<&'a str>,
    /// 4 or 6.
    pub ip_version: u8,
    pub utilization: Option<Utilization>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VpcView<'a> {
    pub name: &'a str,
    /// The pool of the primary CIDR.
    pub pool: &'a str,
    pub cidr: Prefix,
    pub secondary: &'a [BlockRecord],
    pub ipv6: Option<&'a BlockRecord>,
    pub subnets: Vec<SubnetView<'a>>,
    pub owner: Option<&'a str>,
    pub region: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SubnetView<'a> {
    pub name: &'a str,
    pub cidr: Prefix,
    pub zone: Option<&'a str>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReservationView<'a> {
    pub name: &'a str,
    pub pool: &'a str,
    pub cidr: Prefix,
}

/// `show --json`.
pub fn json(records: &Records, serial: Option<u64>, lineage: Option<&str>) -> Value {
    let mut usage = utilization(records);
    let doc = ShowDocument {
        format_version: JSON_FORMAT_VERSION,
        serial,
        lineage,
        scopes: records.scopes.keys().map(String::as_str).collect(),
        pools: records
            .pools
            .iter()
            .map(|(name, p)| PoolView {
                name,
                scope: &p.scope,
                parent: p.parent.as_deref(),
                cidrs: &p.cidrs,
                region: p.region.as_deref(),
                ip_version: p.ip_version,
                utilization: usage.remove(name.as_str()),
            })
            .collect(),
        vpcs: records
            .vpcs
            .iter()
            .map(|(name, v)| VpcView {
                name,
                pool: &v.pool,
                cidr: v.cidr,
                secondary: &v.secondary,
                ipv6: v.ipv6.as_ref(),
                subnets: v
                    .subnets
                    .iter()
                    .map(|(s, r)| SubnetView {
                        name: s,
                        cidr: r.cidr,
                        zone: r.zone.as_deref(),
                    })
                    .collect(),
                owner: v.owner.as_deref(),
                region: v.region.as_deref(),
                resource_id: v.resource_id.as_deref(),
                tags: &v.tags,
            })
            .collect(),
        reservations: records
            .reservations
            .iter()
            .map(|(name, r)| ReservationView {
                name,
                pool: &r.pool,
                cidr: r.cidr,
            })
            .collect(),
    };
    serde_json::to_value(doc).unwrap_or(Value::Null)
}

/// `ipam output`: every resource address → its CIDR(s), for other tools.
pub fn outputs(records: &Records) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (name, p) in &records.pools {
        out.insert(format!("pool.{name}"), json!(p.cidrs));
    }
    for (name, v) in &records.vpcs {
        out.insert(format!("vpc.{name}"), json!(v.cidr));
        if !v.secondary.is_empty() {
            let cidrs: Vec<Prefix> = v.secondary.iter().map(|b| b.cidr).collect();
            out.insert(format!("vpc.{name}.secondary"), json!(cidrs));
        }
        if let Some(b) = &v.ipv6 {
            out.insert(format!("vpc.{name}.ipv6"), json!(b.cidr));
        }
        for (s, r) in &v.subnets {
            out.insert(format!("vpc.{name}.subnet.{s}"), json!(r.cidr));
        }
    }
    for (name, r) in &records.reservations {
        out.insert(format!("reservation.{name}"), json!(r.cidr));
    }
    out
}

/// How `ipam output` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// `address = CIDR` lines for a person.
    Text,
    /// `{format_version, outputs}`: CIDRs as strings, several as arrays.
    Json,
    /// One JSON object of strings (several CIDRs comma-separated): what Terraform's
    /// `external` data source accepts.
    Flat,
    /// A Terraform variable file: `{"ipam": {ADDRESS: "CIDR", …}}`, for a variable
    /// `ipam` of type `map(string)`.
    TfvarsJson,
    /// One row per block: address, kind, CIDR, pool, region, owner.
    Csv,
}

/// The outputs as one string each: several CIDRs joined by commas.
pub fn flat(outputs: &BTreeMap<String, Value>) -> BTreeMap<&str, String> {
    outputs
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.as_str(), text)
        })
        .collect()
}

/// One allocated block, for `output --format csv`.
struct Row<'a> {
    address: String,
    kind: &'static str,
    cidr: Prefix,
    pool: Option<&'a str>,
    region: Option<&'a str>,
    owner: Option<&'a str>,
}

/// `output --format csv`: a header and one row per block (a VPC with a secondary and an
/// IPv6 block has three), in address order; RFC 4180 quoting.
pub fn csv(records: &Records) -> String {
    let mut rows: Vec<Row> = Vec::new();
    for (name, p) in &records.pools {
        for c in &p.cidrs {
            rows.push(Row {
                address: format!("pool.{name}"),
                kind: "pool",
                cidr: *c,
                pool: p.parent.as_deref(),
                region: p.region.as_deref(),
                owner: None,
            });
        }
    }
    for (name, v) in &records.vpcs {
        let blocks = [("vpc", "", &v.pool, v.cidr)]
            .into_iter()
            .chain(
                v.secondary
                    .iter()
                    .map(|b| ("vpc-secondary", ".secondary", &b.pool, b.cidr)),
            )
            .chain(
                v.ipv6
                    .iter()
                    .map(|b| ("vpc-ipv6", ".ipv6", &b.pool, b.cidr)),
            );
        for (kind, suffix, pool, cidr) in blocks {
            rows.push(Row {
                address: format!("vpc.{name}{suffix}"),
                kind,
                cidr,
                pool: Some(pool),
                region: v.region.as_deref(),
                owner: v.owner.as_deref(),
            });
        }
        for (s, r) in &v.subnets {
            rows.push(Row {
                address: format!("vpc.{name}.subnet.{s}"),
                kind: "subnet",
                cidr: r.cidr,
                pool: Some(&v.pool),
                region: v.region.as_deref(),
                owner: v.owner.as_deref(),
            });
        }
    }
    for (name, r) in &records.reservations {
        rows.push(Row {
            address: format!("reservation.{name}"),
            kind: "reservation",
            cidr: r.cidr,
            pool: Some(&r.pool),
            region: None,
            owner: None,
        });
    }
    rows.sort_by(|a, b| a.address.cmp(&b.address).then(a.cidr.cmp(&b.cidr)));
    let mut out = String::from("address,kind,cidr,pool,region,owner\n");
    for r in rows {
        let fields = [
            r.address.as_str(),
            r.kind,
            &r.cidr.to_string(),
            r.pool.unwrap_or(""),
            r.region.unwrap_or(""),
            r.owner.unwrap_or(""),
        ]
        .map(csv_field);
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
