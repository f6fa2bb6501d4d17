//! Diagnostics for a person: each problem with its file, line and column, the span labelled
//! and a help line (miette's graphical report), then a count. `validate --json` prints
//! [`Diagnostics::to_json`] instead.
//!
//! Two bounds keep this fast and safe for any input (SPEC §13): at most [`SHOWN`] diagnostics
//! are drawn (a flood of thousands of errors ends with how many more there are; `--json` has
//! all of them), and lines longer than [`LONG_LINE`] are shown as windows around the labelled
//! spans, so no line of any length reaches the renderer whole.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::Style;
use crate::diag::{Diag, Diagnostics, Loc, Severity, Source, Sources};

/// How many diagnostics human output draws; the rest are counted.
pub const SHOWN: usize = 50;

/// Lines longer than this (in bytes) are shown as windows around the labelled spans.
pub const LONG_LINE: usize = 400;

/// Characters kept on each side of a labelled span in a long line.
const WINDOW: usize = 80;

/// The first [`SHOWN`] diagnostics, then how many more there are, then
/// `N errors, N warnings`.
pub fn text(diagnostics: &Diagnostics, style: Style) -> String {
    let theme = if style.colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Lines break at spaces only: a path, a command or a cloud ID (`vpc-0a1b…`) in a help
    // line stays whole, even when it is longer than a line (it can be copied).
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false);
    let mut out = String::new();
    for d in diagnostics.diags.iter().take(SHOWN) {
        let report = Report::new(d, &diagnostics.sources);
        let _ = handler.render_report(&mut out, &report);
        out.push('\n');
    }
    let hidden = diagnostics.diags.len().saturating_sub(SHOWN);
    if hidden > 0 {
        out.push_str(&format!(
            "… and {hidden} more (the first {SHOWN} are shown; `--json` lists every one)\n\n"
        ));
    }
    let errors = diagnostics.error_count();
    let warnings = diagnostics.warning_count();
    out.push_str(&format!(
        "{errors} error{}, {warnings} warning{}\n",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    ));
    out
}

/// A `Diag` made renderable: miette needs the source text and spans in its own types.
#[derive(Debug)]
struct Report {
    message: String,
    code: &'static str,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(d: &Diag, sources: &Sources) -> Report {
        let mut labels = Vec::new();
        let mut related = Vec::new();
        // Spans in the main file: the primary one, then the notes in the same file.
        let mut here: Vec<(Range<usize>, Option<String>, bool)> = Vec::new();
        if let Some(loc) = &d.loc {
            here.push((
                loc.span.clone(),
                Some(d.label.clone()).filter(|l| !l.is_empty()),
                true,
            ));
        }
        for (loc, label) in &d.notes {
            if d.loc.as_ref().is_some_and(|l| l.file == loc.file) {
                here.push((loc.span.clone(), Some(label.clone()), false));
            } else {
                // Another file: its own snippet, shown below the main one.
                let (source, span) =
                    Excerpt::around(sources.get(loc.file), std::slice::from_ref(&loc.span));
                related.push(Report {
                    message: label.clone(),
                    code: d.code,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Some(source),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        Some("here".into()),
                        to_source_span(&span[0]),
                    )],
                    related: Vec::new(),
                });
            }
        }
        let source = d.loc.as_ref().map(|loc: &Loc| {
            let spans: Vec<Range<usize>> = here.iter().map(|(s, _, _)| s.clone()).collect();
            let (excerpt, mapped) = Excerpt::around(sources.get(loc.file), &spans);
            for ((_, label, primary), span) in here.into_iter().zip(mapped) {
                labels.push(if primary {
                    LabeledSpan::new_primary_with_span(label, to_source_span(&span))
                } else {
                    LabeledSpan::new_with_span(label, to_source_span(&span))
                });
            }
            excerpt
        });
        Report {
            message: d.message.clone(),
            code: d.code,
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            help: d.help.clone(),
            source,
            labels,
            related,
        }
    }
}

fn to_source_span(span: &Range<usize>) -> SourceSpan {
    SourceSpan::new(span.start.into(), span.end.saturating_sub(span.start))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
        }
    }
}

/// A file's text as the renderer sees it: unchanged, except that every line longer than
/// [`LONG_LINE`] is cut to windows around the spans on it (joined by `…`). Lines are never
/// removed, so line numbers stay true; the column in the header is corrected to the
/// original line.
#[derive(Debug)]
struct Excerpt {
    name: String,
    text: Arc<str>,
    /// Kept stretches: (offset in `text`, offset in the original, length), ascending.
    kept: Vec<(usize, usize, usize)>,
    original: Arc<str>,
}

impl Excerpt {
    /// The excerpt of `source` for these spans, and the spans in the excerpt's coordinates.
    fn around(source: &Source, spans: &[Range<usize>]) -> (Excerpt, Vec<Range<usize>>) {
        let original = source.text.clone();
        let len = original.len();
        let spans: Vec<Range<usize>> = spans
            .iter()
            .map(|s| floor(&original, s.start.min(len))..floor(&original, s.end.min(len)))
            .collect();
        let mut text = String::new();
        let mut kept = Vec::new();
        let mut start = 0;
        while start < len {
            let end = original[start..].find('\n').map_or(len, |i| start + i + 1);
            let line = start..end;
            if end - start <= LONG_LINE {
                kept.push((text.len(), start, end - start));
                text.push_str(&original[line]);
            } else {
                Self::window(&original, line, &spans, &mut text, &mut kept);
            }
            start = end;
        }
        let mapped = spans
            .iter()
            .map(|s| map(&kept, s.start)..map(&kept, s.end).max(map(&kept, s.start)))
            .collect();
        let excerpt = Excerpt {
            name: source.name.clone(),
            text: text.into(),
            kept,
            original,
        };
        (excerpt, mapped)
    }

    /// A long line: windows around the span ends on it (or its start), `…` between.
    fn window(
        original: &str,
        line: Range<usize>,
        spans: &[Range<usize>],
        text: &mut String,
        kept: &mut Vec<(usize, usize, usize)>,
    ) {
        let body_end = if original[..line.end].ends_with('\n') {
            line.end - 1
        } else {
            line.end
        };
        let mut points: Vec<usize> = spans
            .iter()
            .flat_map(|s| [s.start, s.end])
            .filter(|p| line.contains(p) || *p == body_end)
            .collect();
        if points.is_empty() {
            points.push(line.start);
        }
        points.sort_unstable();
        let mut windows: Vec<Range<usize>> = Vec::new();
        for p in points {
            let w = floor(original, p.saturating_sub(WINDOW).max(line.start))
                ..floor(original, (p + WINDOW).min(body_end));
            match windows.last_mut() {
                Some(last) if w.start <= last.end => last.end = last.end.max(w.end),
                _ => windows.push(w),
            }
        }
        let mut at = line.start;
        for w in windows {
            if w.start > at {
                text.push('…');
            }
            kept.push((text.len(), w.start, w.end - w.start));
            text.push_str(&original[w.clone()]);
            at = w.end;
        }
        if at < body_end {
            text.push('…');
        }
        if body_end < line.end {
            kept.push((text.len(), body_end, line.end - body_end));
            text.push('\n');
        }
    }
}

/// The excerpt offset of an original offset: inside a kept stretch, or at the start of the
/// first stretch after it.
fn map(kept: &[(usize, usize, usize)], at: usize) -> usize {
    let i = kept.partition_point(|&(_, orig, len)| orig + len <= at);
    match kept.get(i) {
        Some(&(shown, orig, _)) if at >= orig => shown + (at - orig),
        Some(&(shown, _, _)) => shown,
        None => kept.last().map_or(0, |&(shown, _, len)| shown + len),
    }
}

/// The original offset of an excerpt offset (an elision maps to the next kept byte).
fn unmap(kept: &[(usize, usize, usize)], at: usize) -> usize {
    let i = kept.partition_point(|&(shown, _, len)| shown + len <= at);
    match kept.get(i) {
        Some(&(shown, orig, _)) if at >= shown => orig + (at - shown),
        Some(&(_, orig, _)) => orig,
        None => kept.last().map_or(0, |&(_, orig, len)| orig + len),
    }
}

fn floor(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_bytes().read_span(span, before, after)?;
        // The header's line:column comes from a read without context: give the column in
        // the original line (the renderer counts bytes).
        let column = if before == 0 && after == 0 {
            let at = unmap(&self.kept, span.offset());
            let line_start = self.original[..at].rfind('\n').map_or(0, |i| i + 1);
            at - line_start
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn render(text: &str, span: Range<usize>) -> String {
        let mut sources = Sources::default();
        let id = sources.add(Path::new("p.toml"), text.to_string());
        let d = Diagnostics::new(
            sources,
            vec![
                Diag::error("ipam::test", "bad")
                    .at(&Loc::new(id, span), "here")
                    .help("fix"),
            ],
        );
        super::text(&d, Style { colour: false })
    }

    #[test]
    fn a_help_line_never_breaks_inside_a_word() {
        let long = format!(
            "/srv/{}/ipam.state.json.backup",
            "very-long-directory-name-".repeat(6)
        );
        let d = Diagnostics::new(
            Sources::default(),
            vec![Diag::error("ipam::test", "bad").help(format!(
                "restore it: cp {long} vpc-0a1b2c3d4e5f60001-and-more"
            ))],
        );
        let out = super::text(&d, Style { colour: false });
        assert!(out.contains(&long), "{out}");
        assert!(out.contains("vpc-0a1b2c3d4e5f60001-and-more"), "{out}");
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let out = render("a = 1\nb = \"x\"\n", 10..13);
        assert!(out.contains("[p.toml:2:5]"), "{out}");
        assert!(out.contains("2 │ b = \"x\""), "{out}");
    }

    #[test]
    fn a_span_far_along_a_huge_line_renders_with_its_true_column() {
        let long = "x".repeat(200_000);
        let text = format!("a = 1\nd = \"{long}\", c = \"10.0.0.1/8\"\n");
        let at = text.find("10.0.0.1/8").expect("span");
        let out = render(&text, at - 1..at + 11);
        // Line 2 starts at byte 6; the span starts at the quote before the CIDR.
        assert!(out.contains(&format!("[p.toml:2:{}]", at - 6)), "{out}");
        assert!(out.contains("\"10.0.0.1/8\""), "{out}");
        assert!(out.contains('…'), "{out}");
        assert!(out.len() < 2_000, "{} bytes", out.len());
    }

    #[test]
    fn any_span_in_any_line_renders() {
        let texts = [
            "é".repeat(70_000),
            format!("{}\n{}", "y".repeat(66_000), "z".repeat(66_000)),
            "short".into(),
            String::new(),
        ];
        for text in &texts {
            let len = text.len();
            for (a, b) in [
                (0, 0),
                (0, len),
                (len, len),
                (len / 2, len / 2 + 3),
                (len.saturating_sub(1), len),
            ] {
                let _ = render(text, a..b.max(a));
            }
        }
    }

    #[test]
    fn floods_show_fifty_and_count_the_rest() {
        let mut sources = Sources::default();
        let id = sources.add(Path::new("p.toml"), "a = 1\n".into());
        let diags = (0..120)
            .map(|i| Diag::error("ipam::test", format!("problem {i}")).at(&Loc::new(id, 0..1), "x"))
            .collect();
        let out = super::text(&Diagnostics::new(sources, diags), Style { colour: false });
        assert_eq!(out.matches("ipam::test").count(), SHOWN);
        assert!(out.contains("… and 70 more"), "{out}");
        assert!(out.ends_with("120 errors, 0 warnings\n"), "{out}");
    }
}
