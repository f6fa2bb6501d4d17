//! Whole-file errors: invalid JSON located by line and column, and how a file's first line is
//! quoted when it is not an inventory.

use crate::diag::Diag;

pub(super) fn first_line(text: &str) -> String {
    let line = text.trim_start().lines().next().unwrap_or("").trim_end();
    let mut short: String = line.chars().take(60).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// "FILE:LINE:COLUMN: not valid JSON: …" with serde_json's own position; for JSON of the
/// wrong shape (the native reader's document level), "FILE:LINE:COLUMN: …" alone.
pub(super) fn json_error(source: &str, e: &serde_json::Error) -> Box<Diag> {
    let message = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let message = message.strip_suffix(&position).unwrap_or(&message);
    let (what, help) = if e.is_eof() {
        (
            "not valid JSON: ",
            "the file ends in the middle of a JSON value: it was probably cut short; export it again",
        )
    } else if e.is_data() {
        (
            "",
            "see the native inventory format in schemas/, or name another format with --format",
        )
    } else {
        (
            "not valid JSON: ",
            "fix the JSON at that place, or export the inventory again",
        )
    };
    Box::new(
        Diag::error(
            "ipam::audit::json",
            format!("{source}:{}:{}: {what}{message}", e.line(), e.column()),
        )
        .help(help),
    )
}
