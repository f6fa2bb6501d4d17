//! Audit output (SPEC §8, §11): a table for a person, Markdown for a pull request or a
//! ticket, and versioned JSON. Each writes as it goes, so a million rows never sit in memory
//! twice; the same report gives byte-identical output.
//!
//! The JSON document has one resource per line (valid JSON, and a nightly audit's output
//! diffs and greps line by line); [`AuditDocument`] is its shape and its schema.

use std::borrow::Cow;
use std::io::{self, Write};
use std::ops::Range;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod cells;
mod markdown;

pub use markdown::{Markdown, markdown};

use crate::addr::Prefix;
use crate::audit::inventory::{Kind, Skipped};
use crate::audit::report::{Compliance, Management, OverlapStatus, Report, Row, Summary};
use crate::render::{JSON_FORMAT_VERSION, Style};
use cells::{HEADERS, cells, notes, nth, width};

/// `ipam audit --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ipam audit")]
pub struct AuditDocument<'a> {
    /// Version of this document's format.
    #[serde(borrow)]
    pub format_version: Cow<'a, str>,
    pub summary: Summary,
    /// One row per resource CIDR (a VPC with a secondary CIDR has two), sorted by CIDR,
    /// then VPCs before subnets, then ID.
    #[serde(borrow)]
    pub resources: Vec<ResourceJson<'a>>,
    /// Every inventory entry that could not be used, in reading order.
    #[serde(borrow)]
    pub skipped: Vec<SkippedJson<'a>>,
}

/// One resource CIDR and its statuses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceJson<'a> {
    /// The cloud's ID (an Azure resource ID, a Google `selfLink` path, `prefix-N` for a NetBox
    /// prefix).
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub cidr: Prefix,
    #[serde(borrow)]
    pub region: Option<Cow<'a, str>>,
    /// The owner account, as the inventory gives it.
    #[serde(borrow)]
    pub account: Option<Cow<'a, str>>,
    /// A subnet's network: its VPC, Azure virtual network or Google network.
    #[serde(borrow)]
    pub vpc_id: Option<Cow<'a, str>>,
    /// A subnet's zone (a NetBox prefix's site), where the inventory gives it.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<Cow<'a, str>>,
    /// The `Name` tag or the provider's name, where there is one.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Cow<'a, str>>,
    /// Whether this is the resource's primary CIDR.
    pub primary: bool,
    /// The scope the row was audited in.
    #[serde(borrow)]
    pub scope: Cow<'a, str>,
    /// `managed`: the CIDR is a recorded allocation and this resource holds it (a network that
    /// is not a VPC or subnet: it lies in a recorded reservation); `unmanaged`; `ignored`:
    /// listed in the plan's `[audit] ignore`.
    pub management: Management,
    /// `compliant` or `noncompliant` (managed rows), `unmanaged`, or `ignored`.
    pub compliance: Compliance,
    /// Every rule a noncompliant row breaks.
    #[serde(borrow)]
    pub reasons: Vec<Cow<'a, str>>,
    /// `overlapping`, `nonoverlapping`, or `ignored`.
    pub overlap: OverlapStatus,
    /// The IDs of overlapping rows in the same scope, and the addresses (`vpc.NAME`,
    /// `reservation.NAME`) of overlapping recorded allocations no row holds; sorted, at most
    /// the first 10 (see `overlaps_more`).
    #[serde(borrow)]
    pub overlaps_with: Vec<Cow<'a, str>>,
    /// How many more IDs and addresses the row overlaps beyond those `overlaps_with` lists;
    /// absent when it lists them all. Every one of them is a row of the same scope whose CIDR
    /// contains or lies in this one (or a recorded allocation no row holds).
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schemars(range(min = 1))]
    pub overlaps_more: usize,
    /// For a VPC, the share of its addresses in its subnets; for a subnet, used / total.
    /// 0–1, or null when the inventory does not tell.
    pub ip_usage: Option<f64>,
    /// Present (true) on a managed VPC row held only because its CIDR is the recorded
    /// block: the recorded VPC has no `resource_id`. `ipam import --bind` writes this row's
    /// ID into the plan entry, so later audits match by ID.
    #[serde(default, skip_serializing_if = "is_false")]
    pub matched_by_cidr: bool,
    /// For a managed (or ignored but recorded) row, the recorded allocation: `vpc.NAME` or
    /// `vpc.NAME.subnet.S`; absent otherwise.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Cow<'a, str>>,
    /// For a managed (or ignored but recorded) row, the pool its block is in; absent
    /// otherwise.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<Cow<'a, str>>,
    /// The inventory file the row was read from.
    #[serde(borrow)]
    pub source: Cow<'a, str>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An inventory entry that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkippedJson<'a> {
    /// `FILE: ENTRY`.
    #[serde(borrow)]
    pub source: Cow<'a, str>,
    /// Why, with the fix where there is one.
    #[serde(borrow)]
    pub reason: Cow<'a, str>,
}

impl<'a> From<&'a Skipped> for SkippedJson<'a> {
    fn from(s: &'a Skipped) -> SkippedJson<'a> {
        SkippedJson {
            source: Cow::Borrowed(&s.source),
            reason: Cow::Borrowed(&s.reason),
        }
    }
}

/// Writes `audit --json`: an [`AuditDocument`], one resource and one skip per line.
pub fn json(report: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{{")?;
    writeln!(out, "  \"format_version\": \"{JSON_FORMAT_VERSION}\",")?;
    write!(out, "  \"summary\": ")?;
    serde_json::to_writer(&mut *out, &report.summary()).map_err(io::Error::other)?;
    writeln!(out, ",")?;
    // Each row after the first starts with the comma and line break that end the one
    // before it, so rows render independently.
    write!(out, "  \"resources\": [")?;
    let first = report.rows().next().map(|row| row.resource);
    write_rows(report, out, |row, _, buf| {
        let lead: &[u8] = if first.is_some_and(|f| std::ptr::eq(f, row.resource)) {
            b"\n    "
        } else {
            b",\n    "
        };
        buf.extend_from_slice(lead);
        resource_json(row, buf);
    })?;
    writeln!(out, "{}],", if report.is_empty() { "" } else { "\n  " })?;
    write!(out, "  \"skipped\": [")?;
    for (i, s) in report.skipped.iter().enumerate() {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, &SkippedJson::from(s)).map_err(io::Error::other)?;
    }
    writeln!(
        out,
        "{}]",
        if report.skipped.is_empty() {
            ""
        } else {
            "\n  "
        }
    )?;
    writeln!(out, "}}")
}

/// Writes one row as [`ResourceJson`] serializes it (a test holds them equal), without going
/// through serde: the keys are constants, and strings are escaped only when they need it.
/// This is most of `audit --json`'s time at a million rows.
fn resource_json(row: Row, out: &mut Vec<u8>) {
    fn string(out: &mut Vec<u8>, s: &str) {
        if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            // Writing into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, s);
        } else {
            out.push(b'"');
            out.extend_from_slice(s.as_bytes());
            out.push(b'"');
        }
    }
    fn optional(out: &mut Vec<u8>, s: Option<&str>) {
        match s {
            Some(s) => string(out, s),
            None => out.extend_from_slice(b"null"),
        }
    }
    fn list<S: AsRef<str>>(out: &mut Vec<u8>, items: &[S]) {
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, item.as_ref());
        }
        out.push(b']');
    }
    let r = row.resource;
    out.extend_from_slice(b"{\"id\":");
    string(out, &r.id);
    out.extend_from_slice(b",\"type\":\"");
    out.extend_from_slice(r.kind.as_str().as_bytes());
    out.extend_from_slice(b"\",\"cidr\":\"");
    let _ = write!(out, "{}", r.cidr);
    out.extend_from_slice(b"\",\"region\":");
    optional(out, r.region.as_deref());
    out.extend_from_slice(b",\"account\":");
    optional(out, r.account.as_deref());
    out.extend_from_slice(b",\"vpc_id\":");
    optional(out, r.vpc_id.as_deref());
    if let Some(zone) = r.zone.as_deref() {
        out.extend_from_slice(b",\"zone\":");
        string(out, zone);
    }
    if let Some(name) = r.name.as_deref() {
        out.extend_from_slice(b",\"name\":");
        string(out, name);
    }
    out.extend_from_slice(if r.primary {
        b",\"primary\":true,\"scope\":"
    } else {
        b",\"primary\":false,\"scope\":"
    });
    string(out, row.scope);
    for (key, value) in [
        (&b",\"management\":\""[..], row.management.as_str()),
        (b"\",\"compliance\":\"", row.compliance.as_str()),
    ] {
        out.extend_from_slice(key);
        out.extend_from_slice(value.as_bytes());
    }
    out.extend_from_slice(b"\",\"reasons\":");
    list(out, row.reasons);
    out.extend_from_slice(b",\"overlap\":\"");
    out.extend_from_slice(row.overlap.as_str().as_bytes());
    out.extend_from_slice(b"\",\"overlaps_with\":");
    list(out, row.overlaps_with);
    if row.overlaps_more > 0 {
        let _ = write!(out, ",\"overlaps_more\":{}", row.overlaps_more);
    }
    out.extend_from_slice(b",\"ip_usage\":");
    match row.ip_usage {
        // Through serde_json, for its exact float format.
        Some(share) => {
            let _ = serde_json::to_writer(&mut *out, &share);
        }
        None => out.extend_from_slice(b"null"),
    }
    if row.matched_by_cidr {
        out.extend_from_slice(b",\"matched_by_cidr\":true");
    }
    if let Some(h) = row.holder {
        out.extend_from_slice(b",\"address\":");
        string(out, &h.address.to_string());
        out.extend_from_slice(b",\"pool\":");
        string(out, h.pool);
    }
    out.extend_from_slice(b",\"source\":");
    string(out, &r.source);
    out.push(b'}');
}

/// The summary line: `Audit: N resource CIDRs: …`.
pub fn summary_line(s: &Summary) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut line = format!(
        "Audit: {}: {} managed, {} unmanaged, {} ignored; {} compliant, {} noncompliant; {} overlapping.",
        plural(s.resources, "resource CIDR", "resource CIDRs"),
        s.managed,
        s.unmanaged,
        s.ignored,
        s.compliant,
        s.noncompliant,
        s.overlapping
    );
    if s.skipped > 0 {
        line.push_str(&format!(
            " {} skipped.",
            plural(s.skipped, "inventory entry", "inventory entries")
        ));
    }
    line
}

/// Runs `f` over `0..n` split into one part per core, and gives the results in order.
/// Rendering a million rows is most of an audit's time, and rows render independently.
fn parallel<T: Send>(n: usize, f: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |w| w.get())
        .clamp(1, 8);
    let part = n.div_ceil(workers).max(1);
    let ranges: Vec<Range<usize>> = (0..workers)
        .map(|w| (w * part).min(n)..((w + 1) * part).min(n))
        .collect();
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = ranges[1..]
            .iter()
            .cloned()
            .map(|r| s.spawn(move || f(r)))
            .collect();
        let mut results = vec![f(ranges[0].clone())];
        results.extend(handles.into_iter().map(|h| {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }));
        results
    })
}

/// Writes every row, rendered by `render` (given a scratch string and the buffer to append
/// to) on all cores a batch at a time, in order. The buffers are reused from batch to batch.
fn write_rows(
    report: &Report,
    out: &mut impl Write,
    render: impl Fn(Row, &mut String, &mut Vec<u8>) + Sync,
) -> io::Result<()> {
    const BATCH: usize = 1 << 16;
    let workers = std::thread::available_parallelism()
        .map_or(1, |w| w.get())
        .clamp(1, 8);
    let mut buffers: Vec<(String, Vec<u8>)> = vec![Default::default(); workers];
    let render = &render;
    let mut start = 0;
    while start < report.len() {
        let end = (start + BATCH).min(report.len());
        let part = (end - start).div_ceil(workers);
        std::thread::scope(|s| {
            let mut handles = Vec::new();
            for (w, (scratch, buf)) in buffers.iter_mut().enumerate() {
                let range = (start + w * part).min(end)..(start + (w + 1) * part).min(end);
                let work = move || {
                    buf.clear();
                    for row in report.rows_at(range) {
                        render(row, scratch, buf);
                    }
                };
                if w == 0 {
                    handles.push(None);
                    work();
                } else {
                    handles.push(Some(s.spawn(work)));
                }
            }
            for h in handles.into_iter().flatten() {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            }
        });
        for (_, buf) in &buffers {
            out.write_all(buf)?;
        }
        start = end;
    }
    Ok(())
}

/// The report for a person: a table sorted by CIDR, notes under the rows that need them, the
/// summary, and every skipped entry.
pub fn text(report: &Report, style: Style, out: &mut impl Write) -> io::Result<()> {
    let widths = parallel(report.len(), |r| {
        let mut buf = String::new();
        let mut widths = HEADERS.map(str::len);
        for row in report.rows_at(r) {
            let ends = cells(&row, &mut buf);
            for (i, w) in widths.iter_mut().enumerate() {
                *w = (*w).max(width(nth(&buf, &ends, i)));
            }
        }
        widths
    })
    .into_iter()
    .fold(HEADERS.map(str::len), |a, b| {
        std::array::from_fn(|i| a[i].max(b[i]))
    });
    // One line of the table, its cells padded to the column widths, trailing blanks cut.
    let line = |texts: &mut dyn Iterator<Item = (usize, &str)>, out: &mut Vec<u8>| {
        let start = out.len();
        for (i, c) in texts {
            if i > 0 {
                out.extend_from_slice(b"  ");
            }
            let code = match (i, c) {
                (5, "unmanaged") => Some("33"),
                (6, "noncompliant") | (7, "overlapping") => Some("31"),
                _ => None,
            };
            match code {
                Some(code) if style.colour => {
                    out.extend_from_slice(format!("\x1b[{code}m{c}\x1b[0m").as_bytes())
                }
                _ => out.extend_from_slice(c.as_bytes()),
            }
            out.resize(out.len() + widths[i].saturating_sub(width(c)), b' ');
        }
        while out.len() > start && out.last() == Some(&b' ') {
            out.pop();
        }
        out.push(b'\n');
    };
    if !report.is_empty() {
        let mut header = Vec::new();
        line(&mut HEADERS.iter().copied().enumerate(), &mut header);
        out.write_all(&header)?;
    }
    let indent = " ".repeat(widths[0] + 2);
    write_rows(report, out, |row, scratch, out| {
        let ends = cells(&row, scratch);
        line(&mut (0..9).map(|i| (i, nth(scratch, &ends, i))), out);
        if !row.reasons.is_empty() || !row.overlaps_with.is_empty() || row.matched_by_cidr {
            for note in notes(&row) {
                out.extend_from_slice(format!("{indent}↳ {note}\n").as_bytes());
            }
        }
    })?;
    if !report.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(&report.summary()))?;
    if !report.skipped.is_empty() {
        writeln!(out, "\nSkipped inventory entries:")?;
        for s in &report.skipped {
            writeln!(out, "  {}: {}", s.source, s.reason)?;
        }
    }
    Ok(())
}
