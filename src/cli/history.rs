//! `ipam history` (SPEC §15): the series the applies and recorded audits left, for one pool
//! (utilization over time and its forecast), one scope (audit counts), one discovered
//! resource (IP usage), or all records in brief. Also what `show`, `check` and `report`
//! read of the history.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use super::{fail, print_diags, print_json, read_state, state_of, warn_skipped};
use crate::diag::Diag;
use crate::render::JSON_FORMAT_VERSION;
use crate::state::history::{Counts, Crossing, Forecast, Record, Snapshot, Time, Trends};
use crate::state::usage::utilization;

pub struct HistoryArgs<'a> {
    pub args: &'a [String],
    pub state: Option<&'a Path>,
    pub since: Option<Time>,
    pub json: bool,
}

/// What `ipam history` is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Subject {
    All,
    Pool(String),
    Scope(String),
    Resource(String),
}

const FORMS: &str = "pool.NAME (utilization and forecast), scope.NAME (audit counts) or \
                     resource.ID (a discovered VPC's or vSwitch's IP usage)";

impl Subject {
    fn parse(text: &str) -> Option<Subject> {
        let (kind, name) = text.split_once('.')?;
        if name.is_empty() {
            return None;
        }
        match kind {
            "pool" => Some(Subject::Pool(name.into())),
            "scope" => Some(Subject::Scope(name.into())),
            "resource" => Some(Subject::Resource(name.into())),
            _ => None,
        }
    }
}

/// `history [PATH] [ADDRESS]`: a lone argument that reads as an address and names no file
/// is the address.
fn arguments(args: &[String]) -> Result<(PathBuf, Subject), Box<Diag>> {
    let subject = |text: &str| {
        Subject::parse(text).ok_or_else(|| {
            Box::new(
                Diag::error(
                    "ipam::history::address",
                    format!("`{text}` is not something a history follows"),
                )
                .help(format!(
                    "give {FORMS}, or nothing for every record in brief"
                )),
            )
        })
    };
    Ok(match args {
        [] => (PathBuf::from("."), Subject::All),
        [one] if Subject::parse(one).is_some() && !Path::new(one).exists() => {
            (PathBuf::from("."), subject(one)?)
        }
        [one] => (PathBuf::from(one), Subject::All),
        [path, address, ..] => (PathBuf::from(path), subject(address)?),
    })
}

/// A forecast as JSON: `status` is `growth`, `no_growth` or `too_little_history`; dates
/// are `YYYY-MM-DD`, or `"reached"` when the latest point is already there.
pub(super) fn forecast_json(f: &Forecast) -> Value {
    let crossing = |c: &Crossing| match c {
        Crossing::Reached => json!("reached"),
        Crossing::On(t) => json!(t.date()),
    };
    match f {
        Forecast::TooLittleHistory { points } => {
            json!({"status": "too_little_history", "points": points})
        }
        Forecast::NoGrowth { points } => json!({"status": "no_growth", "points": points}),
        Forecast::Growth {
            points,
            per_day,
            alert,
            full,
        } => json!({
            "status": "growth",
            "points": points,
            "addresses_per_day": per_day,
            "alert_at_date": alert.as_ref().map(crossing),
            "full_date": crossing(full),
        }),
    }
}

pub fn run_history(args: HistoryArgs) -> ExitCode {
    let (path, subject) = match arguments(args.args) {
        Ok(x) => x,
        Err(d) => return fail(*d),
    };
    let (_, backend) = match state_of(&path, args.state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    // The state gives a pool's size and alert_at today; a history may outlive its pools.
    let state = match read_state(backend.as_ref()) {
        Ok(s) => s,
        Err(e) => return print_diags(&e.diagnostics()),
    };
    let mut records = Vec::new();
    let mut briefs = Vec::new();
    let mut trends = Trends::window(Time::now());
    let mut keep = |r: Record| match (&subject, r) {
        (Subject::Pool(name), Record::Apply(mut s)) => {
            if let Some(p) = s.pools.remove(name) {
                // Only this pool is kept: a snapshot holds every pool.
                let only = Snapshot {
                    time: s.time,
                    serial: s.serial,
                    pools: [(name.clone(), p)].into(),
                };
                trends.add(Record::Apply(only.clone()));
                records.push(Record::Apply(only));
            }
        }
        (Subject::Pool(_), Record::Audit(_)) => {}
        (Subject::Scope(_) | Subject::Resource(_), r @ Record::Audit(_)) => records.push(r),
        (Subject::Scope(_) | Subject::Resource(_), Record::Apply(_)) => {}
        (Subject::All, r) => briefs.push(brief(&r)),
    };
    let skipped = match backend.history(args.since, &mut keep) {
        Ok(s) => s,
        Err(e) => return print_diags(&e.diagnostics()),
    };
    warn_skipped(backend.as_ref(), &skipped);
    let location = backend.location().to_string();
    let since = args
        .since
        .map(|t| format!(" since {t}"))
        .unwrap_or_default();
    let (rows, extra) = match &subject {
        Subject::All => (
            briefs,
            Extra {
                header: vec!["time", "kind", "serial", "summary"],
                ..Extra::default()
            },
        ),
        Subject::Pool(name) => {
            let usage = state.as_ref().map(|s| utilization(&s.resources));
            let now = usage.as_ref().and_then(|u| u.get(name.as_str()));
            if now.is_none() && records.is_empty() {
                return fail(
                    Diag::error(
                        "ipam::history::unknown",
                        format!("no pool `{name}` in the state or its history"),
                    )
                    .help("`ipam show` lists the recorded pools"),
                );
            }
            let forecast = now.map(|u| (trends.forecast(name, u), u.alert_at));
            pool(&records, forecast)
        }
        Subject::Scope(name) => scope(&records, name),
        Subject::Resource(id) => resource(&records, id),
    };
    if args.json {
        let address = match &subject {
            Subject::All => Value::Null,
            Subject::Pool(n) => json!(format!("pool.{n}")),
            Subject::Scope(n) => json!(format!("scope.{n}")),
            Subject::Resource(n) => json!(format!("resource.{n}")),
        };
        let mut doc = json!({
            "format_version": JSON_FORMAT_VERSION,
            "address": address,
            "points": rows.iter().map(|r| &r.json).collect::<Vec<_>>(),
            "skipped": skipped.iter().map(|s| json!({"line": s.line, "reason": s.reason})).collect::<Vec<_>>(),
        });
        if let (Some(obj), Some(f)) = (doc.as_object_mut(), extra.json) {
            obj.insert("forecast".into(), f);
        }
        eprintln!("History of {location}{since}");
        print_json(&doc);
        return ExitCode::SUCCESS;
    }
    println!(
        "History of {location}{since}: {} record{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    if rows.is_empty() {
        println!(
            "Nothing recorded yet: every apply records a snapshot, `ipam audit --record` an audit."
        );
    } else {
        print!("{}", table(&extra.header, &rows));
    }
    if let Some(line) = extra.line {
        println!("{line}");
    }
    ExitCode::SUCCESS
}

/// One row of the series: its text cells and its JSON.
struct Row {
    cells: Vec<String>,
    json: Value,
}

/// What comes with the rows: the column names, and a forecast (text and JSON).
#[derive(Default)]
struct Extra {
    header: Vec<&'static str>,
    line: Option<String>,
    json: Option<Value>,
}

/// One record in brief: an apply's pool count, an audit's totals over its scopes.
fn brief(r: &Record) -> Row {
    match r {
        Record::Apply(s) => Row {
            cells: vec![
                s.time.to_string(),
                "apply".into(),
                s.serial.to_string(),
                format!("{} pools", s.pools.len()),
            ],
            json: json!({"kind": "apply", "time": s.time, "serial": s.serial, "pools": s.pools.len()}),
        },
        Record::Audit(a) => {
            let mut total = Counts::default();
            a.scopes.values().for_each(|c| total.add(c));
            Row {
                cells: vec![
                    a.time.to_string(),
                    "audit".into(),
                    a.serial.to_string(),
                    counts_text(&total),
                ],
                json: json!({"kind": "audit", "time": a.time, "serial": a.serial, "counts": total}),
            }
        }
    }
}

fn counts_text(c: &Counts) -> String {
    format!(
        "{} resource CIDRs: {} managed, {} unmanaged, {} ignored; {} compliant, {} noncompliant; {} overlapping",
        c.resources, c.managed, c.unmanaged, c.ignored, c.compliant, c.noncompliant, c.overlapping
    )
}

fn pool(records: &[Record], forecast: Option<(Forecast, Option<u8>)>) -> (Vec<Row>, Extra) {
    let rows = records
        .iter()
        .filter_map(|r| match r {
            Record::Apply(s) => s.pools.values().next().map(|p| (s, p)),
            Record::Audit(_) => None,
        })
        .map(|(s, p)| Row {
            cells: vec![
                s.time.to_string(),
                s.serial.to_string(),
                p.used().to_string(),
                p.total.to_string(),
                crate::render::state::percent(p.percent()),
                p.free.to_string(),
                p.largest_free.map(|b| b.to_string()).unwrap_or_default(),
            ],
            json: json!({
                "time": s.time, "serial": s.serial, "total": p.total, "in_pools": p.in_pools,
                "in_vpcs": p.in_vpcs, "in_reservations": p.in_reservations, "held": p.held,
                "free": p.free,
                "largest_free": p.largest_free, "percent": p.percent(),
            }),
        })
        .collect();
    let (line, json) = match forecast {
        Some((f, alert_at)) => (
            Some(format!("Forecast: {}", f.describe(alert_at))),
            Some(forecast_json(&f)),
        ),
        None => (
            Some("Forecast: none, the pool is no longer in the state.".into()),
            None,
        ),
    };
    let extra = Extra {
        header: vec![
            "time",
            "serial",
            "used",
            "size",
            "percent",
            "free",
            "largest free",
        ],
        line,
        json,
    };
    (rows, extra)
}

fn scope(records: &[Record], name: &str) -> (Vec<Row>, Extra) {
    let rows = records
        .iter()
        .filter_map(|r| match r {
            Record::Audit(a) => Some((a, a.scopes.get(name).copied().unwrap_or_default())),
            Record::Apply(_) => None,
        })
        .map(|(a, c)| Row {
            cells: vec![
                a.time.to_string(),
                a.serial.to_string(),
                c.resources.to_string(),
                c.managed.to_string(),
                c.unmanaged.to_string(),
                c.ignored.to_string(),
                c.compliant.to_string(),
                c.noncompliant.to_string(),
                c.overlapping.to_string(),
            ],
            json: json!({"time": a.time, "serial": a.serial, "counts": c}),
        })
        .collect();
    let extra = Extra {
        header: vec![
            "time",
            "serial",
            "resources",
            "managed",
            "unmanaged",
            "ignored",
            "compliant",
            "noncompliant",
            "overlapping",
        ],
        ..Extra::default()
    };
    (rows, extra)
}

fn resource(records: &[Record], id: &str) -> (Vec<Row>, Extra) {
    let rows = records
        .iter()
        .filter_map(|r| match r {
            Record::Audit(a) => a.usage.get(id).map(|u| (a, *u)),
            Record::Apply(_) => None,
        })
        .map(|(a, u)| Row {
            cells: vec![
                a.time.to_string(),
                a.serial.to_string(),
                crate::render::state::percent(u * 100.0),
            ],
            json: json!({"time": a.time, "serial": a.serial, "ip_usage": u}),
        })
        .collect();
    let extra = Extra {
        header: vec!["time", "serial", "IP usage"],
        ..Extra::default()
    };
    (rows, extra)
}

/// Rows under a header, columns padded to their widest cell (the last one is not).
fn table(header: &[&str], rows: &[Row]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(&r.cells) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, c) in cells.enumerate() {
            if i + 1 == widths.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = line(&mut header.iter().copied());
    for r in rows {
        out.push_str(&line(&mut r.cells.iter().map(String::as_str)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_parse() {
        assert_eq!(
            Subject::parse("pool.corp/a"),
            Some(Subject::Pool("corp/a".into()))
        );
        assert_eq!(
            Subject::parse("scope.private"),
            Some(Subject::Scope("private".into()))
        );
        assert_eq!(
            Subject::parse("resource.vpc-1"),
            Some(Subject::Resource("vpc-1".into()))
        );
        for bad in ["pool.", "vpc.x", "corp", ""] {
            assert_eq!(Subject::parse(bad), None, "{bad}");
        }
    }
}
