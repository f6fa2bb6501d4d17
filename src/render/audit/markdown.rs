//! The audit as a pull-request comment or a ticket (SPEC §17): the summary and a warning
//! always; then a narrow table folded in `<details>`, the rows that need attention first, for
//! as long as the character budget lasts, then how many rows were left out and where to read
//! them; the skipped entries folded and bounded the same way. Every ID, name and reason from
//! an inventory is code or escaped text: nothing in it can close a fence or open HTML.

use std::io::{self, Write};

use super::cells::{cells, notes, nth};
use super::summary_line;
use crate::audit::report::{Compliance, Management, OverlapStatus, Report, Row};
use crate::render::{code_span, escape};

/// How the audit is written as Markdown.
#[derive(Debug, Clone, Copy)]
pub struct Markdown<'a> {
    /// The most characters the comment may have.
    pub max_chars: usize,
    /// Where the whole report can be read when rows are left out.
    pub full_report: Option<&'a str>,
}

impl Default for Markdown<'_> {
    fn default() -> Self {
        Markdown {
            max_chars: crate::render::plan::COMMENT_LIMIT,
            full_report: None,
        }
    }
}

/// Whether a row needs attention: unmanaged, noncompliant or overlapping.
fn needs_attention(row: &Row) -> bool {
    row.management == Management::Unmanaged
        || row.compliance == Compliance::Noncompliant
        || row.overlap == OverlapStatus::Overlapping
}

/// The report as Markdown within `options.max_chars`.
pub fn markdown(report: &Report, options: Markdown, out: &mut impl Write) -> io::Result<()> {
    let s = report.summary();
    let mut head = format!("### ipam audit\n\n{}\n\n", summary_line(&s));
    let mut attention = Vec::new();
    if s.overlapping > 0 {
        attention.push(format!("{} overlapping", s.overlapping));
    }
    if s.noncompliant > 0 {
        attention.push(format!("{} noncompliant", s.noncompliant));
    }
    if s.unmanaged > 0 {
        attention.push(format!("{} unmanaged", s.unmanaged));
    }
    if !attention.is_empty() {
        head.push_str(&format!(
            "> [!WARNING]\n> Resource CIDRs that need attention: {}.\n\n",
            attention.join(", ")
        ));
    }
    // Room kept for the closing lines and the count of what was left out.
    let reserve = 600 + options.full_report.map_or(0, |f| f.chars().count());
    let mut budget = options
        .max_chars
        .saturating_sub(head.chars().count() + reserve);
    let mut body = String::new();
    let mut left = 0;
    if !report.is_empty() {
        let n = report.len();
        body.push_str(&format!(
            "<details><summary>{n} resource CIDR{}</summary>\n\n\
             | CIDR | Resource | Status | Notes |\n|---|---|---|---|\n",
            if n == 1 { "" } else { "s" }
        ));
        let mut buf = String::new();
        // Rows that need attention first, each group in the table's order.
        for wanted in [true, false] {
            for row in report.rows().filter(|r| needs_attention(r) == wanted) {
                let line = table_row(&row, &mut buf);
                let size = line.chars().count();
                if left > 0 || size > budget {
                    left += 1;
                    continue;
                }
                budget -= size;
                body.push_str(&line);
            }
        }
        body.push_str("\n</details>\n\n");
        // Outside the fold, so a reader of the folded comment sees that rows are missing.
        if left > 0 {
            body.push_str(&format!(
                "**{left} more row{} not shown**: this comment is limited to {} characters. {}\n\n",
                if left == 1 { "" } else { "s" },
                options.max_chars,
                match options.full_report {
                    Some(at) => format!("The whole report: {}", escape(at)),
                    None => "The whole report is in the output of `ipam audit` (or `--json`)."
                        .to_string(),
                }
            ));
        }
    }
    if !report.skipped.is_empty() {
        let k = report.skipped.len();
        body.push_str(&format!(
            "<details><summary>{k} inventory entr{} skipped</summary>\n\n",
            if k == 1 { "y" } else { "ies" }
        ));
        let mut shown = 0;
        for sk in &report.skipped {
            let line = format!("- {}: {}\n", code_span(&sk.source), escape(&sk.reason));
            let size = line.chars().count();
            if size > budget {
                break;
            }
            budget -= size;
            body.push_str(&line);
            shown += 1;
        }
        if shown < k {
            body.push_str(&format!("- … and {} more\n", k - shown));
        }
        body.push_str("\n</details>\n");
    }
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())
}

/// One row: the CIDR and the resource as code, the statuses that need attention in bold.
fn table_row(row: &Row, buf: &mut String) -> String {
    let ends = cells(row, buf);
    let c = |i: usize| nth(buf, &ends, i);
    // GitHub splits table cells at `|` even inside code; escaped, it stays.
    let code = |text: &str| code_span(text).replace('|', "\\|");
    let mut resource = format!("{} {}", code(c(2)), c(1));
    for extra in [c(3), c(4)].into_iter().filter(|t| *t != "-") {
        resource.push_str(" · ");
        resource.push_str(&escape(extra));
    }
    let strong = |text: &str, flag: bool| {
        if flag {
            format!("**{text}**")
        } else {
            text.to_string()
        }
    };
    let mut status = vec![
        strong(c(5), row.management == Management::Unmanaged),
        strong(c(6), row.compliance == Compliance::Noncompliant),
        strong(c(7), row.overlap == OverlapStatus::Overlapping),
    ];
    if c(8) != "-" {
        status.push(format!("{} used", c(8)));
    }
    let notes: Vec<String> = notes(row).iter().map(|n| escape(n)).collect();
    format!(
        "| {} | {} | {} | {} |\n",
        code(c(0)),
        resource,
        status.join(" · "),
        notes.join("; ")
    )
}
