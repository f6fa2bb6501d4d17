//! The HTML report (SPEC §15): one self-contained file (no scripts, fonts, styles or images
//! from anywhere else; it opens from disk and from a CI artifact) with an overview and the
//! status doughnuts, the pool tree with utilization bars and flags, an IP space map per
//! pool, every VPC's blocks and subnets, and charts over time.
//!
//! Everything is SVG and HTML written here, a pure function of its [`Inputs`]: the same
//! state, plan, inventories, history and `now` give the same bytes (ordered maps only, no
//! clock read here). What cannot be seen is aggregated ([`map`]), so the file's size
//! follows what is drawn: a state of 10,000 pools and 100,000 VPCs gives a file well under
//! 20 MB.

mod charts;
mod html;
mod map;
mod overview;
mod sections;

use std::collections::BTreeMap;

use crate::audit::Report;
use crate::audit::report::{Compliance, Management, OverlapStatus};
use crate::model::Model;
use crate::state::State;
use crate::state::history::{AuditRecord, Counts, Crossing, Forecast, Record, Time, Trends, merge};
use crate::state::usage::Utilization;

/// Everything a report is made from.
pub struct Inputs<'a> {
    /// Where the state is, as the user named it.
    pub location: String,
    pub state: &'a State,
    /// The plan, for what the state does not record: layout slots held for growth.
    pub model: &'a Model,
    /// The audit of the inventories given, if any.
    pub audit: Option<&'a Report<'a>>,
    pub history: &'a History,
    /// When the report is made: its header says so, and forecasts are read against it.
    pub now: Time,
}

/// What the report reads of a history: every pool's trend and its utilization over time,
/// and the audit counts over time. Built one record at a time, in memory that grows with
/// pools × snapshots by 8 bytes (10,000 pools and a year of daily applies: 29 MB).
#[derive(Debug, Default)]
pub struct History {
    pub trends: Trends,
    /// The time of each snapshot.
    times: Vec<Time>,
    /// Each pool's percent used, by snapshot (an index into `times`).
    series: BTreeMap<String, Vec<(u32, f32)>>,
    /// Totals over all scopes of each recorded audit.
    pub audits: Vec<(Time, Counts)>,
    /// Records skipped as unreadable.
    pub skipped: usize,
}

impl History {
    /// A history whose forecasts are those of the window ending at `now` (its charts show
    /// every snapshot).
    pub fn new(now: Time) -> History {
        History {
            trends: Trends::window(now),
            ..History::default()
        }
    }

    pub fn add(&mut self, record: Record) {
        match record {
            Record::Apply(s) => {
                let at = u32::try_from(self.times.len()).unwrap_or(u32::MAX);
                self.times.push(s.time);
                merge(&mut self.series, &s.pools, |v, p| {
                    v.push((at, p.percent() as f32));
                });
                self.trends.add(Record::Apply(s));
            }
            Record::Audit(a) => {
                let mut total = Counts::default();
                a.scopes.values().for_each(|c| total.add(c));
                self.audits.push((a.time, total));
            }
        }
    }

    /// A pool's percent used over time.
    pub fn series(&self, pool: &str) -> Vec<(Time, f64)> {
        self.series
            .get(pool)
            .into_iter()
            .flatten()
            .filter_map(|&(i, p)| Some((*self.times.get(i as usize)?, f64::from(p))))
            .collect()
    }
}

/// The pools whose utilization is charted over time, at most eight: those above their
/// `alert_at` first, then those whose trend crosses it (soonest first), then the top-level
/// pools; otherwise fullest first.
pub fn charted<'s>(
    state: &'s State,
    usage: &BTreeMap<&'s str, Utilization>,
    forecasts: &BTreeMap<&str, Forecast>,
) -> Vec<&'s str> {
    let mut candidates: Vec<(u8, Option<Time>, i64, &str)> = usage
        .iter()
        .filter_map(|(name, u)| {
            let top = state.resources.pools.get(*name)?.parent.is_none();
            let crossing = match forecasts.get(*name) {
                Some(Forecast::Growth {
                    alert: Some(Crossing::On(t)),
                    ..
                }) => Some(*t),
                _ => None,
            };
            let rank = if u.alert {
                0
            } else if crossing.is_some() {
                1
            } else if top {
                2
            } else {
                return None;
            };
            Some((rank, crossing, -((u.percent * 1000.0) as i64), *name))
        })
        .collect();
    candidates.sort();
    candidates.into_iter().take(8).map(|(.., n)| n).collect()
}

/// The record `ipam audit --record` appends: counts by status per scope, and the IP usage
/// of every discovered VPC and vSwitch whose usage is known (its identifying CIDR's row).
pub fn audit_record(report: &Report, serial: u64, time: Time) -> AuditRecord {
    let mut scopes: BTreeMap<String, Counts> = BTreeMap::new();
    let mut usage = BTreeMap::new();
    for row in report.rows() {
        let c = match scopes.get_mut(row.scope) {
            Some(c) => c,
            None => scopes.entry(row.scope.to_string()).or_default(),
        };
        c.resources += 1;
        match row.management {
            Management::Managed => c.managed += 1,
            Management::Unmanaged => c.unmanaged += 1,
            Management::Ignored => c.ignored += 1,
        }
        match row.compliance {
            Compliance::Compliant => c.compliant += 1,
            Compliance::Noncompliant => c.noncompliant += 1,
            Compliance::Unmanaged | Compliance::Ignored => {}
        }
        match row.overlap {
            OverlapStatus::Overlapping => c.overlapping += 1,
            OverlapStatus::Nonoverlapping => c.nonoverlapping += 1,
            OverlapStatus::Ignored => {}
        }
        if row.resource.primary
            && let Some(u) = row.ip_usage
        {
            usage.insert(row.resource.id.to_string(), u);
        }
    }
    AuditRecord {
        time,
        serial,
        scopes,
        usage,
    }
}

/// The report as one HTML document.
pub fn render(inputs: &Inputs) -> String {
    let ctx = sections::Context::new(inputs);
    // About what a page takes, so it is written without being copied as it grows.
    let r = &inputs.state.resources;
    let mut out = String::with_capacity((1 << 16) + 160 * r.vpcs.len() + 700 * r.pools.len());
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    out.push_str("<meta name=\"generator\" content=\"ipam report\">");
    out.push_str(&format!(
        "<title>ipam report: {}</title><style>{}</style></head><body>",
        html::esc(&inputs.location),
        html::CSS
    ));
    out.push_str(html::PATTERNS);
    out.push_str("<a class=skip href=#overview>Skip to the overview</a>");
    out.push_str(&format!(
        "<header><h1>ipam report</h1><p>State <span class=\"mono\">{}</span>, serial {}, lineage <span class=\"mono\">{}</span>. Made {}.</p>",
        html::esc(&inputs.location),
        inputs.state.serial,
        html::esc(&inputs.state.lineage),
        inputs.now
    ));
    out.push_str(
        "<nav aria-label=\"Sections\"><ul><li><a href=#overview>Overview</a></li>\
         <li><a href=\"#pools\">Pools</a></li><li><a href=\"#maps\">IP space</a></li>\
         <li><a href=\"#vpcs\">VPCs</a></li><li><a href=\"#time\">Over time</a></li></ul></nav></header><main>",
    );
    // The maps are half the page: they are drawn on a second core while the rest is.
    let maps = std::thread::scope(|s| {
        let maps = s.spawn(|| {
            let mut maps = String::with_capacity(100 * r.vpcs.len() + 500 * r.pools.len());
            sections::maps(&mut maps, &ctx);
            maps
        });
        overview::overview(&mut out, &ctx);
        sections::tree(&mut out, &ctx);
        let mut rest = String::with_capacity(60 * r.vpcs.len());
        sections::vpcs(&mut rest, &ctx);
        sections::over_time(&mut rest, &ctx);
        let maps = maps
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (maps, rest)
    });
    out.push_str(&maps.0);
    out.push_str(&maps.1);
    out.push_str("</main></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::history::Snapshot;

    #[test]
    fn charted_pools_put_alerts_first() {
        let text = r#"{"format_version":1,"lineage":"x","serial":1,"resources":{"pools":{
            "a":{"scope":"private","ip_version":4,"cidrs":["10.0.0.0/16"]},
            "b":{"scope":"private","ip_version":4,"cidrs":["10.1.0.0/16"]},
            "c":{"scope":"private","parent":"a","ip_version":4,"cidrs":["10.0.0.0/17"],"alert_at":10}}}}"#;
        let state: State = serde_json::from_str(text).expect("state");
        let usage = crate::state::usage::utilization(&state.resources);
        // c is empty (not above its alert_at); a is half used by c; b is empty.
        let none = BTreeMap::new();
        assert_eq!(charted(&state, &usage, &none), vec!["a", "b"]);
        // A sub-pool whose trend crosses its alert_at comes before the top-level pools.
        let rising = BTreeMap::from([(
            "c",
            Forecast::Growth {
                points: 3,
                per_day: 10.0,
                alert: Some(Crossing::On(Time(864_000))),
                full: Crossing::On(Time(8_640_000)),
            },
        )]);
        assert_eq!(charted(&state, &usage, &rising), vec!["c", "a", "b"]);
        let mut h = History::new(Time(172_800));
        h.add(Record::Apply(Snapshot::of(Time(86_400), 1, &usage)));
        h.add(Record::Apply(Snapshot::of(Time(172_800), 2, &usage)));
        assert_eq!(
            h.series("a"),
            vec![(Time(86_400), 50.0), (Time(172_800), 50.0)]
        );
        assert_eq!(h.series("nope"), vec![]);
        assert_eq!(h.trends.snapshots, 2);
    }
}
