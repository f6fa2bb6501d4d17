//! The overview at the top of the report: counts, the three status doughnuts of an audit,
//! the pools above their `alert_at`, and the forecasts soonest first.

use std::fmt::Write as _;

use super::charts::{self, Slice};
use super::html::{self, anchor, esc, grouped, pct};
use super::sections::Context;
use crate::audit::Report;
use crate::audit::report::{Compliance, Management, OverlapStatus};
use crate::state::history::{Counts, Crossing, FORECAST_DAYS, Forecast};
use crate::state::usage::Utilization;

pub(super) fn overview(out: &mut String, ctx: &Context) {
    let r = ctx.records;
    let subnets: usize = r.vpcs.values().map(|v| v.subnets.len()).sum();
    let alerts: Vec<(&&str, &Utilization)> = ctx.usage.iter().filter(|(_, u)| u.alert).collect();
    out.push_str("<section id=overview><h2>Overview</h2><div class=cards>");
    for (label, n) in [
        ("custom scopes", r.scopes.len()),
        ("pools", r.pools.len()),
        ("VPCs", r.vpcs.len()),
        ("subnets", subnets),
        ("reservations", r.reservations.len()),
        ("pools above alert_at", alerts.len()),
    ] {
        let _ = write!(
            out,
            "<div class=\"card\"><b>{}</b>{label}</div>",
            grouped(n as u128)
        );
    }
    out.push_str("</div>");
    match ctx.inputs.audit {
        Some(report) => doughnuts(out, report, ctx.outside),
        None => out.push_str(
            "<p class=\"muted\">No inventories were given: run <code>ipam report --inventory FILE…</code> \
             for the management, compliance and overlap of what exists in the clouds.</p>",
        ),
    }
    out.push_str("<h3>Alerts</h3>");
    if alerts.is_empty() {
        out.push_str("<p>No pool is above its alert_at.</p>");
    } else {
        out.push_str("<ul>");
        for (name, u) in &alerts {
            let _ = write!(
                out,
                "<li><a href=\"#{}\">pool {}</a> is {} used, above its alert_at of {}%</li>",
                anchor("m", name),
                esc(name),
                pct(u.percent),
                u.alert_at.unwrap_or_default()
            );
        }
        out.push_str("</ul>");
    }
    forecasts(out, ctx);
    out.push_str("</section>");
}

fn doughnuts(out: &mut String, report: &Report, outside: usize) {
    let mut c = Counts::default();
    let (mut cu, mut ci, mut oi) = (0u64, 0u64, 0u64);
    for row in report.rows() {
        match row.management {
            Management::Managed => c.managed += 1,
            Management::Unmanaged => c.unmanaged += 1,
            Management::Ignored => c.ignored += 1,
        }
        match row.compliance {
            Compliance::Compliant => c.compliant += 1,
            Compliance::Noncompliant => c.noncompliant += 1,
            Compliance::Unmanaged => cu += 1,
            Compliance::Ignored => ci += 1,
        }
        match row.overlap {
            OverlapStatus::Overlapping => c.overlapping += 1,
            OverlapStatus::Nonoverlapping => c.nonoverlapping += 1,
            OverlapStatus::Ignored => oi += 1,
        }
    }
    let s = |label, count, colour| Slice {
        label,
        count,
        colour,
    };
    out.push_str("<div class=\"charts\">");
    charts::doughnut(
        out,
        "Management",
        &[
            s("managed", c.managed, html::GREEN),
            s("unmanaged", c.unmanaged, html::ORANGE),
            s("ignored", c.ignored, html::GREY),
        ],
    );
    charts::doughnut(
        out,
        "Compliance",
        &[
            s("compliant", c.compliant, html::BLUE),
            s("noncompliant", c.noncompliant, html::VERMILLION),
            s("unmanaged", cu, html::ORANGE),
            s("ignored", ci, html::GREY),
        ],
    );
    charts::doughnut(
        out,
        "Overlap",
        &[
            s("overlapping", c.overlapping, html::VERMILLION),
            s("nonoverlapping", c.nonoverlapping, html::SKY),
            s("ignored", oi, html::GREY),
        ],
    );
    out.push_str("</div>");
    let _ = write!(
        out,
        "<p class=\"muted\">{} resource CIDRs audited; {} inventory entries skipped; {} unmanaged or overlapping networks lie in no pool (not drawn on a map).</p>",
        grouped(report.len() as u128),
        grouped(report.skipped.len() as u128),
        grouped(outside as u128)
    );
}

/// The forecasts that say something, soonest first; a plain line when the history is too
/// short for any.
fn forecasts(out: &mut String, ctx: &Context) {
    out.push_str("<h3>Forecasts</h3>");
    let trends = &ctx.inputs.history.trends;
    let mut growing: Vec<(Crossing, &str, String)> = ctx
        .forecasts
        .iter()
        .filter_map(|(name, f)| match f {
            Forecast::Growth { alert, full, .. } => {
                let alert_at = ctx.usage.get(name).and_then(|u| u.alert_at);
                Some((alert.unwrap_or(*full), *name, f.describe(alert_at)))
            }
            _ => None,
        })
        .collect();
    growing.sort_by_key(|(c, n, _)| {
        (
            match c {
                Crossing::Reached => 0,
                Crossing::On(t) => t.0,
            },
            *n,
        )
    });
    let _ = write!(
        out,
        "<p>From {} snapshot{} of the last {FORECAST_DAYS} days{}; a trend is a least-squares line of used addresses over time.</p>",
        trends.snapshots,
        if trends.snapshots == 1 { "" } else { "s" },
        match (trends.first, trends.last) {
            (Some(a), Some(b)) if a.date() == b.date() => format!(" ({})", a.date()),
            (Some(a), Some(b)) => format!(" ({} to {})", a.date(), b.date()),
            _ => String::new(),
        }
    );
    if growing.is_empty() {
        out.push_str(if trends.snapshots < 2 {
            "<p><b>Too little history to forecast</b>: every apply records a snapshot, and a trend takes two at different times.</p>"
        } else {
            "<p>No pool grows over the history: nothing to forecast.</p>"
        });
        return;
    }
    out.push_str(
        "<table><thead><tr><th>Pool</th><th>Used now</th><th>Forecast</th></tr></thead><tbody>",
    );
    for (_, name, text) in growing.iter().take(100) {
        let _ = write!(
            out,
            "<tr><td><a href=\"#{}\">{}</a></td><td class=\"n\">{}</td><td>{}</td></tr>",
            anchor("m", name),
            esc(name),
            ctx.usage
                .get(name)
                .map_or_else(String::new, |u| pct(u.percent)),
            esc(text)
        );
    }
    out.push_str("</tbody></table>");
    if growing.len() > 100 {
        let _ = write!(
            out,
            "<p>{} more growing pools are flagged in the pool tree.</p>",
            growing.len() - 100
        );
    }
}
