//! One plan file's text → [`RawFile`], with every syntax, type and unknown-key problem of the
//! file reported at once. The TOML parser recovers from syntax errors and reports each; a
//! document serde cannot read is walked against the schema ([`super::check`]) so every wrong
//! value is found, not only the first. Messages keep serde's facts in TOML's words.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::RawFile;
use super::check::check;
use crate::diag::{Diag, FileId, Loc, suggest};

/// The longest line a plan file may have (SPEC §13: diagnostics show the line they point
/// at, so a line has a bounded length).
pub const MAX_LINE_BYTES: usize = 65_536;

/// A parsed file and the `[ipam] exclude` patterns it gives (read even when the rest of the
/// file has problems, so that the plan's other files can still be sorted out).
pub(super) struct Parsed {
    pub raw: Result<RawFile, Vec<Diag>>,
    pub exclude: Vec<(String, Range<usize>)>,
}

/// Parses one file, reporting every problem in it.
pub fn parse(file: FileId, text: &str) -> Result<RawFile, Vec<Diag>> {
    parse_file(file, text).raw
}

pub(super) fn parse_file(file: FileId, text: &str) -> Parsed {
    if let Some(d) = long_line(file, text) {
        return Parsed {
            raw: Err(vec![d]),
            exclude: Vec::new(),
        };
    }
    let (doc, syntax) = DeTable::parse_recoverable(text);
    let exclude = exclude_patterns(&doc);
    let first = if syntax.is_empty() {
        match RawFile::deserialize(toml::de::Deserializer::from(doc)) {
            Ok(raw) => {
                return Parsed {
                    raw: Ok(raw),
                    exclude,
                };
            }
            Err(e) => Some(e),
        }
    } else {
        None
    };
    // Only a file with problems gets here: parse it again (serde consumed the document) and
    // collect them all.
    let (doc, _) = DeTable::parse_recoverable(text);
    let lines = Lines::new(text);
    let (syntax, shadows) = syntax_diags(file, &doc, &lines, syntax);
    let mut diags: Vec<Diag> = check(file, &doc)
        .into_iter()
        .filter(|d| {
            let Some(loc) = &d.loc else { return true };
            // A value the parser could not read is reported as such, not also as a wrong
            // type; keys below a broken table header were read into another table.
            !syntax.iter().any(|(s, _)| overlaps(s, &loc.span))
                && !shadows.iter().any(|r| r.contains(&loc.span.start))
        })
        .collect();
    diags.extend(syntax.into_iter().map(|(_, d)| d));
    if diags.is_empty()
        && let Some(e) = first
    {
        // The schema walk found nothing serde objects to: report serde's own finding.
        diags.push(parse_error(file, e));
    }
    Parsed {
        raw: Err(diags),
        exclude,
    }
}

/// A line longer than [`MAX_LINE_BYTES`]: the file is not read further, so no message
/// about it shows such a line again.
fn long_line(file: FileId, text: &str) -> Option<Diag> {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if line.len() > MAX_LINE_BYTES {
            return Some(
                Diag::error(
                    "ipam::limit::line",
                    format!(
                        "a line of {} bytes; plan files have lines of at most {MAX_LINE_BYTES} bytes",
                        line.len()
                    ),
                )
                .at(&Loc::new(file, start..start), "this line")
                .help("break the line: TOML arrays and values may span lines"),
            );
        }
        start += line.len();
    }
    None
}

/// Whether two spans share a position (an empty span counts as its position).
fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// Line starts of a text, to tell which line a position is on.
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// 0-based line of a byte offset.
    fn of(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at).saturating_sub(1)
    }

    fn line(&self, n: usize) -> &'t str {
        let start = self.starts.get(n).copied().unwrap_or(self.text.len());
        let end = self.starts.get(n + 1).copied().unwrap_or(self.text.len());
        &self.text[start..end]
    }

    fn is_header(&self, n: usize) -> bool {
        self.line(n).trim_start().starts_with('[')
    }

    /// From the end of line `n` to the start of the next table header (or the end).
    fn body_after(&self, n: usize) -> Range<usize> {
        let start = self.starts.get(n + 1).copied().unwrap_or(self.text.len());
        let end = (n + 1..self.starts.len())
            .find(|&m| self.is_header(m))
            .map_or(self.text.len(), |m| self.starts[m]);
        start..end
    }
}

/// The `[ipam] exclude` strings of a document, with their spans.
fn exclude_patterns(doc: &Spanned<DeTable<'_>>) -> Vec<(String, Range<usize>)> {
    let Some(DeValue::Table(ipam)) = doc.get_ref().get("ipam").map(Spanned::get_ref) else {
        return Vec::new();
    };
    let Some(DeValue::Array(patterns)) = ipam.get("exclude").map(Spanned::get_ref) else {
        return Vec::new();
    };
    patterns
        .iter()
        .filter_map(|p| match p.get_ref() {
            DeValue::String(s) => Some((s.to_string(), p.span())),
            _ => None,
        })
        .collect()
}

/// A syntax error's span and its diagnostic.
type Located = (Range<usize>, Diag);

/// The parser's errors as diagnostics, with their spans, and the ranges whose other problems
/// only echo them. The parser reports one mistake several times as it recovers, so: exact
/// repeats are dropped; a line keeps its first error; inside a container left unclosed only
/// the first error counts (the rest of the file was read as part of it); and below a broken
/// or repeated table header, up to the next header, the keys were read into the wrong table,
/// so their complaints (and "duplicate key" for each key of a repeated table) are echoes.
fn syntax_diags(
    file: FileId,
    doc: &Spanned<DeTable<'_>>,
    lines: &Lines<'_>,
    errors: Vec<toml::de::Error>,
) -> (Vec<Located>, Vec<Range<usize>>) {
    let mut errors: Vec<(Range<usize>, toml::de::Error)> = errors
        .into_iter()
        .map(|e| (e.span().unwrap_or(0..0), e))
        .collect();
    errors.sort_by_key(|(span, _)| (span.start, span.end));
    let unclosed: Vec<Range<usize>> = errors
        .iter()
        .filter(|(_, e)| {
            e.message().starts_with("unclosed array") || e.message().starts_with("unclosed inline")
        })
        .filter_map(|(span, _)| open_container(doc.get_ref(), span.start).map(|s| s..span.start))
        .collect();
    let shadows: Vec<Range<usize>> = errors
        .iter()
        .map(|(span, _)| lines.of(span.start))
        .filter(|&n| lines.is_header(n))
        .map(|n| lines.body_after(n))
        .collect();
    let mut kept: Vec<Located> = Vec::new();
    for (span, e) in errors {
        let line = lines.of(span.start);
        let same_line = kept.iter().any(|(k, _)| lines.of(k.start) == line);
        let echo_of_unclosed = unclosed.iter().any(|r| {
            r.start < span.start
                && span.start <= r.end
                && kept
                    .iter()
                    .any(|(k, _)| r.start < k.start && k.start <= r.end)
        });
        let echo_of_header = e.message().trim() == "duplicate key"
            && shadows.iter().any(|r| r.contains(&span.start));
        if !(same_line || echo_of_unclosed || echo_of_header) {
            kept.push((span, parse_error(file, e)));
        }
    }
    (kept, shadows)
}

/// Where the outermost array or inline table that runs up to `at` opens: everything from
/// there was read as part of it.
fn open_container(table: &DeTable<'_>, at: usize) -> Option<usize> {
    fn inside(v: &Spanned<DeValue<'_>>, at: usize) -> Option<usize> {
        let span = v.span();
        let contains = span.start < at && at <= span.end;
        match v.get_ref() {
            DeValue::Array(_) if contains => Some(span.start),
            DeValue::Table(_) if contains => Some(span.start),
            // A header table's span is its header: its keys may still hold the container.
            DeValue::Table(t) => open_container(t, at),
            _ => None,
        }
    }
    table.values().find_map(|v| inside(v, at))
}

/// A TOML or serde error as a diagnostic at its span, reworded where the raw message would
/// speak of Rust types, with a "did you mean" for unknown keys and values.
fn parse_error(file: FileId, e: toml::de::Error) -> Diag {
    {
        let message = e.message().trim().to_owned();
        let span = e.span().unwrap_or(0..0);
        let loc = Loc::new(file, span);
        if let Some(rest) = message.strip_prefix("unknown field ") {
            let names = backticked(rest);
            let unknown = names.first().copied().unwrap_or_default();
            let expected: Vec<&str> = names.iter().skip(1).copied().collect();
            let mut d = Diag::error(
                "ipam::parse::unknown_key",
                format!("unknown key `{unknown}`"),
            )
            .at(&loc, "not a key of this table");
            d = match suggest(unknown, expected.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None if expected.is_empty() => d.help("this table takes no keys"),
                None => d.help(format!("expected one of {}", quoted_list(&expected))),
            };
            return d;
        }
        if let Some(rest) = message.strip_prefix("unknown variant ") {
            let names = backticked(rest);
            let unknown = names.first().copied().unwrap_or_default();
            let expected: Vec<&str> = names.iter().skip(1).copied().collect();
            let d = Diag::error(
                "ipam::parse::unknown_value",
                format!("unknown value `{unknown}`"),
            )
            .at(&loc, "not one of the allowed values");
            return match suggest(unknown, expected.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!("expected one of {}", quoted_list(&expected))),
            };
        }
        if message.starts_with("invalid type") || message.starts_with("missing field") {
            let reworded = humanize_types(&message);
            let label = if message.starts_with("missing field") {
                "in this table"
            } else {
                "wrong type"
            };
            return Diag::error("ipam::parse::type", reworded)
                .at(&loc, label)
                .help("see schemas/plan.schema.json (or `ipam schema`) for what each key takes");
        }
        if message == "duplicate key" {
            return Diag::error("ipam::parse::duplicate_key", "duplicate key")
                .at(&loc, "defined again here")
                .help("a key may appear once per table; remove or rename one of them");
        }
        Diag::error("ipam::parse::syntax", format!("invalid TOML: {message}"))
            .at(&loc, "here")
            .help("fix the TOML syntax at this position")
    }
}

/// The `…`-quoted words of a serde message, in order.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// serde names Rust types ("expected struct RawPool", "expected i64"); say what to write.
fn humanize_types(message: &str) -> String {
    let mut out = message.to_owned();
    for (rust, toml) in [
        ("a sequence", "an array"),
        ("sequence", "array"),
        ("expected i64", "expected an integer"),
        ("expected u8", "expected an integer"),
        ("expected a boolean", "expected true or false"),
        ("a map", "a table"),
        ("expected map", "expected a table"),
    ] {
        out = out.replace(rust, toml);
    }
    if let Some(at) = out.find("expected struct ") {
        out.replace_range(at.., "expected a table");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_errs(text: &str) -> Vec<Diag> {
        parse(FileId(0), text).expect_err("must fail")
    }

    fn parse_err(text: &str) -> Diag {
        let mut diags = parse_errs(text);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        diags.remove(0)
    }

    #[test]
    fn subnets_read_by_name_with_their_spans() {
        let text = "[vpcs.v]\npool = \"p\"\nsubnets.b = { netmask = 26 }\n\
                    subnets.a = { netmask = 27, zone = \"z\" }\n[vpcs.w]\npool = \"p\"\n";
        let raw = parse(FileId(0), text).unwrap_or_else(|d| panic!("{d:#?}"));
        let v = raw.vpcs.values().next().expect("vpc v");
        let subnets: Vec<(&str, Option<i64>, &str)> = v
            .value
            .subnets
            .iter()
            .map(|(k, s)| {
                (
                    k.value.as_str(),
                    s.value.netmask.as_ref().map(|n| n.value),
                    &text[k.span.clone()],
                )
            })
            .collect();
        assert_eq!(subnets, [("a", Some(27), "a"), ("b", Some(26), "b")]);
        let w = raw.vpcs.values().nth(1).expect("vpc w");
        assert!(w.value.subnets.iter().next().is_none());
    }

    #[test]
    fn unknown_keys_suggest_the_closest() {
        // The misspelt key is also a missing one: it is reported once, as the unknown key.
        let d = parse_err("[ipam]\nname = \"x\"\nregons = []\n");
        assert_eq!(d.code, "ipam::parse::unknown_key");
        assert_eq!(d.message, "unknown key `regons`");
        assert_eq!(d.help.as_deref(), Some("did you mean `regions`?"));
        assert_eq!(d.loc.expect("located").span, 18..24);
        let d = parse_err("[poolz.a]\n");
        assert_eq!(d.help.as_deref(), Some("did you mean `pools`?"));
    }

    #[test]
    fn unknown_profile_values_suggest_too() {
        let d = parse_err("[ipam]\nname = \"x\"\nregions = []\nprofile = \"alicould\"\n");
        assert_eq!(d.code, "ipam::parse::unknown_value");
        assert_eq!(d.help.as_deref(), Some("did you mean `alicloud`?"));
    }

    #[test]
    fn types_are_worded_for_toml() {
        let d = parse_err("[pools.a]\nnetmask = \"x\"\n");
        assert_eq!(d.code, "ipam::parse::type");
        assert_eq!(d.message, "invalid type: string \"x\", expected an integer");
        let d = parse_err("[pools]\na = 5\n");
        assert_eq!(d.message, "invalid type: integer `5`, expected a table");
        let d = parse_err("[pools.a]\ncidrs = \"10.0.0.0/8\"\n");
        assert_eq!(
            d.message,
            "invalid type: string \"10.0.0.0/8\", expected an array"
        );
    }

    #[test]
    fn every_syntax_error_is_reported_once() {
        // Two independent mistakes: both, each once.
        let all = parse_errs("[pools.a]\ncidrs = = [\"10.0.0.0/8\"]\n\n[pools.b]\nnetmask = 1 2\n");
        let lines: Vec<&str> = all.iter().map(|d| d.code).collect();
        assert_eq!(
            lines,
            vec!["ipam::parse::syntax", "ipam::parse::syntax"],
            "{all:#?}"
        );
        // An unclosed array swallows the rest of the file: one error, where it went wrong.
        let all = parse_errs(
            "[ipam]\nname = \"x\"\nregions = [\"a\"\n\n[pools.a\ncidrs = [\"10.0.0.0/8\"\nx = \n",
        );
        assert_eq!(all.len(), 1, "{all:#?}");
        assert_eq!(all[0].loc.as_ref().expect("located").span.start, 34);
        // A repeated table is one mistake, not one per key.
        let all = parse_errs(
            "[pools.a]\ncidrs = [\"10.0.0.0/8\"]\n[pools.a]\ncidrs = [\"10.0.0.0/8\"]\nnetmask = 1\n",
        );
        assert_eq!(all.len(), 1, "{all:#?}");
    }

    #[test]
    fn long_lines_are_refused_before_parsing() {
        let long = format!(
            "[ipam]\nname = \"x\"\ndescription = \"{}\"\n",
            "a".repeat(MAX_LINE_BYTES)
        );
        let d = parse_err(&long);
        assert_eq!(d.code, "ipam::limit::line");
        assert_eq!(d.loc.expect("located").span, 18..18);
        let fits = format!(
            "[ipam]\nname = \"x\"\ndescription = \"{}\"\n",
            "a".repeat(MAX_LINE_BYTES - 20)
        );
        assert!(
            parse_errs(&fits)
                .iter()
                .all(|d| d.code != "ipam::limit::line")
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let d = parse_err("[pools.a\n");
        assert_eq!(d.code, "ipam::parse::syntax");
        assert!(d.loc.is_some());
    }

    #[test]
    fn level_names_take_both_forms() {
        let raw = parse(
            FileId(0),
            "[layouts.l]\nparent = \"p\"\nlevels = [{ slots = 4, names = [\"a\", { name = \"b\", slot = 3 }] }]\n",
        )
        .expect("valid");
        let (_, layout) = raw.layouts.iter().next().expect("one layout");
        let names = &layout.value.levels.value[0].value.names.value;
        assert_eq!(names[0].value.name.value, "a");
        assert_eq!(names[1].value.name.value, "b");
        assert_eq!(names[1].value.slot.as_ref().map(|s| s.value), Some(3));
        let d = parse_err("[layouts.l]\nparent = \"p\"\nlevels = [{ slots = 4, names = [1] }]\n");
        assert_eq!(d.code, "ipam::parse::type");
    }
}
