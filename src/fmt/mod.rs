//! `ipam fmt`: one canonical layout for plan files, comments kept.
//!
//! The rules (the README's "Formatting plan files" lists them for users):
//!
//! - Tables stay in the order they are written. Declaration order decides first fit
//!   (the README's placement rules), and authors group entries on purpose under section
//!   comments; sorting tables would move CIDRs and separate comments from what they head.
//! - Keys of a record (a pool, a VPC, a layout level, …) in schema order ([`order`]);
//!   unknown keys after the known ones, in their order. Keys that are names (accounts,
//!   subnets, tags, …) keep their order and line up on `=`.
//! - `key = value` with single spaces; no indentation; bare keys where possible; strings in
//!   basic quotes where that needs no escape; numbers and other strings as written.
//! - Arrays and inline tables on one line (`[a, b]`, `{ a = 1 }`) unless written over
//!   several lines or holding a comment: then one element per line, indented by two
//!   spaces, with a trailing comma.
//! - One blank line before every table header, none inside a table; comments stay with
//!   what follows them (or end the line they are on); trailing comments of consecutive
//!   lines share a column three spaces after the longest line.
//! - The file's line ending (LF or CRLF) and byte order mark are kept; the file ends with
//!   one line break.
//!
//! Formatting never changes what a file means: [`format`](fn@format) checks its output against its
//! input (the same TOML values and the same comments) and refuses rather than write a
//! file that differs.

mod layout;
mod lines;
mod order;

use std::ops::Range;

/// Why a text could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not TOML: the parser's message and where.
    Syntax { message: String, span: Range<usize> },
    /// The formatted text would not mean the same as the input (a defect of the formatter,
    /// caught before anything is written).
    Changed(String),
}

/// The canonical text of a plan file.
pub fn format(text: &str) -> Result<String, Error> {
    let doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| Error::Syntax {
                message: e.message().to_string(),
                span: e.span().unwrap_or(0..0),
            })?;
    let newline = match text.find('\n') {
        Some(at) if text[..at].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    let mut formatted = lines::join(layout::document(&doc), newline);
    // A byte order mark some Windows editors write stays where it is.
    if text.starts_with('\u{feff}') {
        formatted.insert(0, '\u{feff}');
    }
    // Already canonical (the usual case of `--check` in CI): nothing to compare.
    if formatted != text {
        verify(text, &formatted)?;
    }
    Ok(formatted)
}

/// The formatted text holds the same TOML values and the same comments as the input.
fn verify(before: &str, after: &str) -> Result<(), Error> {
    let old = toml::from_str::<toml::Table>(before).map_err(|e| Error::Syntax {
        message: e.message().trim().to_string(),
        span: e.span().unwrap_or(0..0),
    })?;
    let new = toml::from_str::<toml::Table>(after)
        .map_err(|e| Error::Changed(format!("the result would not be TOML: {}", e.message())))?;
    if !same_table(&old, &new) {
        return Err(Error::Changed("the result would hold other values".into()));
    }
    let mut old_comments = lines::comments(before);
    let mut new_comments = lines::comments(after);
    old_comments.sort_unstable();
    new_comments.sort_unstable();
    if old_comments != new_comments {
        return Err(Error::Changed(
            "the result would not keep every comment".into(),
        ));
    }
    Ok(())
}

fn same_table(a: &toml::Table, b: &toml::Table) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(k, v)| b.get(k).is_some_and(|w| same_value(v, w)))
}

/// Value equality where NaN equals NaN (a file may hold `nan`).
fn same_value(a: &toml::Value, b: &toml::Value) -> bool {
    use toml::Value;
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x == y || (x.is_nan() && y.is_nan() && x.is_sign_negative() == y.is_sign_negative())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_value(v, w))
        }
        (Value::Table(x), Value::Table(y)) => same_table(x, y),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
