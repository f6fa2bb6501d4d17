//! The cells of a row as the table and Markdown show them, bounded in width, and the notes
//! under a row.

use crate::audit::report::Row;

/// How many overlapping IDs a table row lists before "and N more".
const SHOWN_OVERLAPS: usize = 5;

/// The cells of a row, as the table and Markdown show them, written into `buf` (reused from
/// row to row), with the end of each cell.
pub(super) fn cells(row: &Row, buf: &mut String) -> [usize; 9] {
    use std::fmt::Write as _;
    let r = row.resource;
    buf.clear();
    let mut ends = [0; 9];
    let _ = write!(buf, "{}", r.cidr);
    ends[0] = buf.len();
    let texts = [
        r.kind.as_str(),
        &r.id,
        r.region.as_deref().unwrap_or("-"),
        r.account.as_deref().unwrap_or("-"),
        row.management.as_str(),
        row.compliance.as_str(),
        row.overlap.as_str(),
    ];
    for (i, text) in texts.into_iter().enumerate() {
        // The ID, region and account are the export's; the rest are ipam's own words.
        if (1..=3).contains(&i) {
            clip(text, buf);
        } else {
            buf.push_str(text);
        }
        ends[i + 1] = buf.len();
    }
    match row.ip_usage {
        Some(share) => percent(share, buf),
        None => buf.push('-'),
    }
    ends[8] = buf.len();
    ends
}

/// How wide a cell of the table may be, in characters. An export may hold anything in a
/// field (a 200,000-character ID), and every row of the table is padded to its widest cell:
/// without a bound one such field costs its width in every row.
const CELL: usize = 60;

/// Appends `text` to `buf` as a cell shows it: control characters (a line break in an ID)
/// as `�`, and a text wider than [`CELL`] cut in the middle, with an ellipsis, keeping its
/// start and its end (where IDs and paths differ).
fn clip(text: &str, buf: &mut String) {
    let plain = text.len() <= CELL && text.bytes().all(|b| b >= 0x20 && b != 0x7f);
    if plain {
        buf.push_str(text);
        return;
    }
    let shown = |c: char| if c.is_control() { '\u{fffd}' } else { c };
    let n = text.chars().count();
    if n <= CELL {
        buf.extend(text.chars().map(shown));
        return;
    }
    let head = (CELL - 1) / 2;
    let tail = CELL - 1 - head;
    buf.extend(text.chars().take(head).map(shown));
    buf.push('…');
    buf.extend(text.chars().skip(n - tail).map(shown));
}

/// The `i`-th cell of [`cells`].
pub(super) fn nth<'b>(buf: &'b str, ends: &[usize; 9], i: usize) -> &'b str {
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &buf[start..ends[i]]
}

pub(super) const HEADERS: [&str; 9] = [
    "CIDR",
    "TYPE",
    "ID",
    "REGION",
    "ACCOUNT",
    "MANAGEMENT",
    "COMPLIANCE",
    "OVERLAP",
    "IP USAGE",
];

/// A share as a percentage to one decimal, the decimal left out when it is zero; a share
/// above zero that rounds to 0% is `<0.1%`.
fn percent(share: f64, out: &mut String) {
    use std::fmt::Write as _;
    let tenths = (share * 1000.0).round();
    if share > 0.0 && tenths < 1.0 {
        out.push_str("<0.1%");
        return;
    }
    // In 0..=1000: the share is a ratio of counts.
    let tenths = tenths.clamp(0.0, 1000.0) as u32;
    let _ = write!(out, "{}", tenths / 10);
    if !tenths.is_multiple_of(10) {
        let _ = write!(out, ".{}", tenths % 10);
    }
    out.push('%');
}

/// Display width of a cell: its characters (bytes, for the usual ASCII).
pub(super) fn width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

/// The notes under a row: each broken rule, what it overlaps, then how it was matched
/// when by CIDR alone.
pub(super) fn notes(row: &Row) -> Vec<String> {
    let mut notes: Vec<String> = row.reasons.to_vec();
    if !row.overlaps_with.is_empty() {
        let shown: Vec<String> = row
            .overlaps_with
            .iter()
            .take(SHOWN_OVERLAPS)
            .map(|s| {
                let mut name = String::new();
                clip(s, &mut name);
                name
            })
            .collect();
        let more = row.overlaps_with.len() - shown.len() + row.overlaps_more;
        let mut line = format!("overlaps {}", shown.join(", "));
        if more > 0 {
            line.push_str(&format!(" and {more} more"));
        }
        notes.push(line);
    }
    if row.matched_by_cidr
        && let Some(holder) = row.holder
    {
        notes.push(format!(
            "matched by CIDR alone: {} has no resource_id (`ipam import --bind` records this ID)",
            holder.address
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clipped(text: &str) -> String {
        let mut out = String::new();
        clip(text, &mut out);
        out
    }

    #[test]
    fn cells_are_cut_in_the_middle_and_shown_without_control_characters() {
        assert_eq!(clipped("vpc-0e98"), "vpc-0e98");
        let long = format!("start{}end", "x".repeat(1_000));
        let cut = clipped(&long);
        assert_eq!(cut.chars().count(), CELL);
        assert!(
            cut.starts_with("startxxx") && cut.ends_with("xxxend"),
            "{cut}"
        );
        assert!(cut.contains('…'));
        assert_eq!(clipped("a\nb\tc"), "a\u{fffd}b\u{fffd}c");
        let exactly = "é".repeat(CELL);
        assert_eq!(clipped(&exactly), exactly);
        assert_eq!(width(&clipped(&"é".repeat(CELL + 1))), CELL);
    }

    #[test]
    fn shares_are_percentages() {
        for (share, text) in [
            (0.0, "0%"),
            (0.5, "50%"),
            (0.0004, "<0.1%"),
            (0.1234, "12.3%"),
            (1.0, "100%"),
        ] {
            let mut out = String::new();
            percent(share, &mut out);
            assert_eq!(out, text);
        }
    }
}
