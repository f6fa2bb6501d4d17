//! The sections of the report, in page order: overview, pool tree, IP space maps, VPCs,
//! charts over time. [`Context`] indexes the state once, so every section is one pass over
//! what it shows.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rustc_hash::FxHashMap;

use super::charts::{self, Axis, Series};
use super::html::{Kind, anchor, count, esc, pct};
use super::map::{self, Item};
use super::{Inputs, Report};
use crate::addr::{Allocator, ContainerIndex, Prefix};
use crate::audit::Kind as Discovered;
use crate::audit::report::{Management, OverlapStatus};
use crate::state::Records;
use crate::state::history::{Counts, Forecast};
use crate::state::usage::{Utilization, utilization};

/// The state indexed for drawing.
pub struct Context<'a> {
    pub(super) inputs: &'a Inputs<'a>,
    pub(super) records: &'a Records,
    pub(super) usage: BTreeMap<&'a str, Utilization>,
    pub(super) forecasts: BTreeMap<&'a str, Forecast>,
    /// Every pool in tree order (scope, then address order under each parent), with depth.
    pub(super) order: Vec<(usize, &'a str)>,
    /// Blocks of each pool: sub-pools, VPC blocks, reservations, held slots; sorted.
    pub(super) items: FxHashMap<&'a str, Vec<Item>>,
    /// Discovered unmanaged or overlapping networks, by the narrowest pool holding them.
    pub(super) overlays: FxHashMap<&'a str, Vec<Item>>,
    /// Such networks inside no pool.
    pub(super) outside: usize,
    /// A recorded VPC's IP usage as discovered, by its `resource_id`.
    pub(super) found_usage: FxHashMap<&'a str, f64>,
}

impl<'a> Context<'a> {
    pub fn new(inputs: &'a Inputs<'a>) -> Context<'a> {
        let records = &inputs.state.resources;
        let usage = utilization(records);
        let forecasts = usage
            .iter()
            .map(|(n, u)| (*n, inputs.history.trends.forecast(n, u)))
            .collect();
        let mut items: FxHashMap<&str, Vec<Item>> = FxHashMap::default();
        let mut push = |pool: &'a str, cidr: Prefix, kind: Kind, name: &str| {
            items.entry(pool).or_default().push(Item {
                cidr,
                kind,
                name: name.to_string(),
            });
        };
        let mut children: BTreeMap<&str, Vec<(Option<Prefix>, &str)>> = BTreeMap::new();
        let mut tops: BTreeMap<&str, Vec<(Option<Prefix>, &str)>> = BTreeMap::new();
        for (name, p) in &records.pools {
            let first = p.cidrs.first().copied();
            match &p.parent {
                Some(parent) => {
                    children.entry(parent).or_default().push((first, name));
                    for c in &p.cidrs {
                        push(parent, *c, Kind::Pool, name);
                    }
                }
                None => tops.entry(&p.scope).or_default().push((first, name)),
            }
        }
        for (name, v) in &records.vpcs {
            for (pool, cidr) in v.blocks() {
                push(pool, cidr, Kind::Vpc, name);
            }
        }
        for (name, r) in &records.reservations {
            push(&r.pool, r.cidr, Kind::Reservation, name);
        }
        for list in items.values_mut() {
            list.sort_by_key(|i| i.cidr);
        }
        add_held(inputs, records, &mut items);
        let mut order = Vec::with_capacity(records.pools.len());
        let mut stack: Vec<(usize, &str)> = Vec::new();
        for list in tops.values_mut().chain(children.values_mut()) {
            list.sort();
        }
        for list in tops.values() {
            stack.extend(list.iter().rev().map(|(_, n)| (0, *n)));
            while let Some((depth, name)) = stack.pop() {
                order.push((depth, name));
                if let Some(kids) = children.get(name) {
                    stack.extend(kids.iter().rev().map(|(_, n)| (depth + 1, *n)));
                }
            }
        }
        let (overlays, outside, found_usage) = match inputs.audit {
            Some(report) => discovered(records, report),
            None => Default::default(),
        };
        Context {
            inputs,
            records,
            usage,
            forecasts,
            order,
            items,
            overlays,
            outside,
            found_usage,
        }
    }
}

/// Layout slots held for growth, from the plan, beside the recorded blocks they do not
/// overlap (a plan edited since the last apply may hold slots the state has used).
fn add_held<'a>(
    inputs: &Inputs<'a>,
    records: &'a Records,
    items: &mut FxHashMap<&'a str, Vec<Item>>,
) {
    for pool in &inputs.model.pools {
        let Some((name, rec)) = records.pools.get_key_value(&pool.name) else {
            continue;
        };
        if pool.held.is_empty() {
            continue;
        }
        let list = items.entry(name.as_str()).or_default();
        let mut held: Vec<Item> = pool
            .held
            .iter()
            .filter(|(cidr, _)| rec.cidrs.iter().any(|r| r.contains(cidr)))
            .filter(|(cidr, _)| {
                let at = list.partition_point(|i| i.cidr.end() < cidr.start());
                list.get(at).is_none_or(|i| !i.cidr.overlaps(cidr))
            })
            .map(|(cidr, _)| Item {
                cidr: *cidr,
                kind: Kind::Held,
                name: "layout slot".into(),
            })
            .collect();
        list.append(&mut held);
        list.sort_by_key(|i| i.cidr);
        list.dedup_by_key(|i| i.cidr);
    }
}

type Found<'a> = (
    FxHashMap<&'a str, Vec<Item>>,
    usize,
    FxHashMap<&'a str, f64>,
);

/// Discovered networks to draw (unmanaged or overlapping), each under the narrowest pool of
/// its scope that contains it, and the IP usage of discovered VPCs.
fn discovered<'a>(records: &'a Records, report: &'a Report<'a>) -> Found<'a> {
    let mut by_scope: BTreeMap<&str, Vec<(Prefix, &str)>> = BTreeMap::new();
    for (name, p) in &records.pools {
        for c in &p.cidrs {
            by_scope.entry(&p.scope).or_default().push((*c, name));
        }
    }
    let index: BTreeMap<&str, ContainerIndex<&str>> = by_scope
        .into_iter()
        .map(|(s, list)| (s, ContainerIndex::new(list)))
        .collect();
    let mut overlays: FxHashMap<&str, Vec<Item>> = FxHashMap::default();
    let mut outside = 0;
    let mut found = FxHashMap::default();
    for row in report.rows() {
        let r = row.resource;
        if r.kind == Discovered::Vpc
            && r.primary
            && let Some(u) = row.ip_usage
        {
            found.insert(&*r.id, u);
        }
        let kind = match (row.management, row.overlap) {
            (_, OverlapStatus::Overlapping) => Kind::Overlapping,
            (Management::Unmanaged, _) => Kind::Unmanaged,
            _ => continue,
        };
        let pool = index
            .get(row.scope)
            .and_then(|i| i.narrowest(r.cidr))
            .map(|(_, p)| *p);
        let Some(pool) = pool else {
            outside += 1;
            continue;
        };
        let mut name = format!(
            "{} {}",
            if r.kind == Discovered::Vpc {
                "VPC"
            } else {
                "vSwitch"
            },
            r.id
        );
        if let Some(n) = &r.name {
            name.push_str(&format!(" ({n})"));
        }
        if !row.overlaps_with.is_empty() {
            name.push_str(&format!(", overlaps {}", row.overlaps_with.join(", ")));
        }
        overlays.entry(pool).or_default().push(Item {
            cidr: r.cidr,
            kind,
            name,
        });
    }
    for list in overlays.values_mut() {
        list.sort_by_key(|i| i.cidr);
    }
    (overlays, outside, found)
}

pub fn tree(out: &mut String, ctx: &Context) {
    out.push_str(
        "<section id=pools><h2>Pools</h2><p class=muted>Each bar: the pool's share used (the dashed mark is its alert_at); the thin bar under it, its parent's. Every pool links to its map.</p>\
         <table><thead><tr><th>Pool<th>CIDRs<th>Used<th>%<th>In sub-pools / VPCs / reservations<th>Free (largest block)<th>Flags</thead><tbody>",
    );
    let mut scope = "";
    for &(depth, name) in &ctx.order {
        let Some(p) = ctx.records.pools.get(name) else {
            continue;
        };
        if depth == 0 && p.scope != scope {
            scope = &p.scope;
            let _ = write!(out, "<tr><th colspan=7>scope {}", esc(scope));
        }
        let _ = write!(
            out,
            "\n<tr><td class=d{}><a href=#{}>{}</a><td>{}<td>",
            depth.min(7),
            anchor("m", name),
            esc(name),
            cidrs(&p.cidrs)
        );
        let Some(u) = ctx.usage.get(name) else {
            continue;
        };
        let parent = p
            .parent
            .as_deref()
            .and_then(|q| ctx.usage.get(q))
            .map(|q| q.percent);
        charts::bar(out, u.percent, parent, u.alert_at);
        let _ = write!(
            out,
            "<td>{}<td>{} / {} / {}<td>{} ({}){}<td>",
            pct(u.percent),
            count(u.in_pools),
            count(u.in_vpcs),
            count(u.in_reservations),
            count(u.free),
            u.largest_free
                .map_or_else(|| "none".into(), |b| b.to_string()),
            if u.held.is_zero() {
                String::new()
            } else {
                format!(", held for growth {}", count(u.held))
            }
        );
        if u.alert {
            let _ = write!(
                out,
                "<span class=\"flag alert\">ALERT above {}%</span> ",
                u.alert_at.unwrap_or_default()
            );
        }
        if let Some(Forecast::Growth { full, alert, .. }) = ctx.forecasts.get(name) {
            let _ = match alert {
                Some(c) => write!(out, "<span class=\"flag fc\">alert_at {c}</span>"),
                None => write!(out, "<span class=\"flag fc\">full {full}</span>"),
            };
        }
    }
    out.push_str("</tbody></table></section>");
}

fn cidrs(list: &[Prefix]) -> String {
    let parts: Vec<String> = list.iter().map(ToString::to_string).collect();
    parts.join(", ")
}

pub fn maps(out: &mut String, ctx: &Context) {
    out.push_str("<section id=maps><h2>IP space</h2><p class=muted>Each provisioned CIDR drawn to scale in address order; point at a block for its CIDR, kind and name. Blocks too small to see are drawn as dotted aggregates; the dashed outline is the largest free block. Discovered networks that are unmanaged or overlap are drawn in the lane above the bar.</p><ul class=legend>");
    for k in Kind::ALL {
        let _ = write!(
            out,
            "<li><svg class=sw width=22 height=14 aria-hidden=true><rect class={} width=22 height=14 /></svg>{}",
            k.class(),
            k.label()
        );
    }
    out.push_str("<li><svg class=sw width=22 height=14 aria-hidden=true><rect class=kg width=22 height=14 /></svg>aggregate of small blocks\
        <li><svg width=22 height=14 aria-hidden=true><rect width=22 height=14 fill=none stroke=#000 stroke-width=3 stroke-dasharray=\"5 3\" /></svg>largest free block</ul>");
    let style = map::Style {
        vpc_labels: ctx.records.vpcs.len() <= LABELLED_VPCS,
    };
    let none = Vec::new();
    for &(_, name) in &ctx.order {
        let Some(p) = ctx.records.pools.get(name) else {
            continue;
        };
        let items = ctx.items.get(name).unwrap_or(&none);
        let overlays = ctx.overlays.get(name).unwrap_or(&none);
        let family = p
            .cidrs
            .first()
            .map_or(crate::addr::Family::V4, |c| c.family());
        // Held slots count as taken here: they are not free for new VPCs.
        let largest = Allocator::build(
            family,
            p.cidrs.iter().copied(),
            items.iter().map(|i| i.cidr),
        )
        .ok()
        .and_then(|a| a.largest_free());
        let _ = write!(
            out,
            "\n<figure id={}><figcaption>pool {} <small>",
            anchor("m", name),
            esc(name)
        );
        if let [root] = p.cidrs.as_slice() {
            let _ = write!(out, "{root}, {} addresses, ", count(root.size()));
        }
        if let Some(u) = ctx.usage.get(name) {
            let _ = write!(out, "{} used", pct(u.percent));
        }
        if let Some(b) = largest {
            let _ = write!(out, ", largest free block {b}");
        }
        out.push_str("</small></figcaption>");
        map::draw(out, &p.cidrs, items, overlays, largest, style);
        out.push_str("</figure>");
    }
    out.push_str("</section>");
}

/// Up to this many VPCs, maps write each VPC's name in its block; past it the VPC table
/// names them (the block's title always does), which keeps a 100,000-VPC report small.
const LABELLED_VPCS: usize = 20_000;

/// Every VPC under the pool of its primary block (pools in tree order, VPCs in address
/// order), one line each: its blocks, its subnets by zone, and how much of it they cover.
/// A line rather than a table row: at 100,000 VPCs that halves the page.
pub fn vpcs(out: &mut String, ctx: &Context) {
    out.push_str("<section id=vpcs><h2>VPCs</h2>");
    if ctx.records.vpcs.is_empty() {
        out.push_str("<p>No VPC is recorded.</p></section>");
        return;
    }
    out.push_str("<p class=muted>Each VPC: its primary block, then its secondary and IPv6 blocks, its subnets by zone, and the share of its primary block in subnets (and, with inventories, as discovered).</p><dl class=vl>");
    let mut by_pool: FxHashMap<&str, Vec<(Prefix, &str)>> = FxHashMap::default();
    for (name, v) in &ctx.records.vpcs {
        by_pool.entry(&v.pool).or_default().push((v.cidr, name));
    }
    let mut zones: BTreeMap<&str, Vec<(Prefix, &str)>> = BTreeMap::new();
    for &(_, pool) in &ctx.order {
        let Some(list) = by_pool.get_mut(pool) else {
            continue;
        };
        list.sort_unstable();
        let _ = write!(
            out,
            "\n<dt><a href=#{}>pool {}</a> <small>{} VPC{}</small><dd>",
            anchor("m", pool),
            esc(pool),
            list.len(),
            if list.len() == 1 { "" } else { "s" }
        );
        for (i, (_, name)) in list.iter().enumerate() {
            let Some(v) = ctx.records.vpcs.get(*name) else {
                continue;
            };
            let _ = write!(
                out,
                "{}<b>{}</b> {}",
                if i > 0 { "<br>" } else { "" },
                esc(name),
                v.cidr
            );
            for b in &v.secondary {
                let _ = write!(out, ", secondary {}", b.cidr);
            }
            if let Some(b) = &v.ipv6 {
                let _ = write!(out, ", IPv6 {}", b.cidr);
            }
            zones.clear();
            let mut in_subnets = 0u128;
            for (s, r) in &v.subnets {
                zones
                    .entry(r.zone.as_deref().unwrap_or("no zone"))
                    .or_default()
                    .push((r.cidr, s));
                if v.cidr.contains(&r.cidr) {
                    in_subnets += r.cidr.size().to_u128().unwrap_or(0);
                }
            }
            for (z, list) in &mut zones {
                list.sort_unstable();
                let _ = write!(out, "; {}:", esc(z));
                for (j, (c, s)) in list.iter().enumerate() {
                    let _ = write!(out, "{} {} {c}", if j > 0 { "," } else { "" }, esc(s));
                }
            }
            if !v.subnets.is_empty() {
                let share = in_subnets as f64 / v.cidr.size().as_f64() * 100.0;
                let _ = write!(out, "; {} in subnets", pct(share));
            }
            if let Some(u) = v
                .resource_id
                .as_deref()
                .and_then(|id| ctx.found_usage.get(id))
            {
                let _ = write!(out, "; {} used as discovered", pct(u * 100.0));
            }
        }
    }
    out.push_str("</dl></section>");
}

pub fn over_time(out: &mut String, ctx: &Context) {
    let h = ctx.inputs.history;
    out.push_str("<section id=time><h2>Over time</h2>");
    if h.skipped > 0 {
        let _ = write!(
            out,
            "<p>{} unreadable history records were skipped.</p>",
            h.skipped
        );
    }
    let mut charted = super::charted(ctx.inputs.state, &ctx.usage, &ctx.forecasts);
    charted.sort_unstable();
    let pools: Vec<Series> = charted
        .into_iter()
        .map(|name| Series {
            label: name,
            points: h.series(name),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    out.push_str("<div class=\"charts\">");
    if pools.is_empty() {
        out.push_str("<p>No snapshots yet: every apply records one.</p>");
    } else {
        charts::lines(
            out,
            "Utilization of the top-level pools and pools above alert_at",
            Axis::Percent,
            &pools,
            None,
        );
    }
    if h.audits.is_empty() {
        out.push_str("<p>No audits recorded: <code>ipam audit --record</code> records one.</p>");
    } else {
        let series = |label, f: fn(&Counts) -> u64| Series {
            label,
            points: h.audits.iter().map(|(t, c)| (*t, f(c) as f64)).collect(),
        };
        charts::lines(
            out,
            "Audited resource CIDRs by status",
            Axis::Count,
            &[
                series("resource CIDRs", |c| c.resources),
                series("unmanaged", |c| c.unmanaged),
                series("noncompliant", |c| c.noncompliant),
                series("overlapping", |c| c.overlapping),
            ],
            None,
        );
    }
    out.push_str("</div></section>");
}
