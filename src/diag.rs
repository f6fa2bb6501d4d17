//! Diagnostics: every problem a user can cause, located in a plan file and rendered by miette
//! (human output) or as Terraform-shaped JSON (`validate --json`, SPEC §11).
//!
//! Stages collect `Diag`s instead of stopping at the first problem (SPEC §3: "every violation
//! is reported, all at once"); `Diagnostics` carries them together with the source texts so
//! the renderer can show the labelled span of each.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub usize);

/// A span in one plan file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileId,
    pub span: Range<usize>,
}

impl Loc {
    pub fn new(file: FileId, span: Range<usize>) -> Loc {
        Loc { file, span }
    }
}

/// One loaded plan file.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as shown to the user (as given on the command line, joined with the file's
    /// path below a plan directory).
    pub name: String,
    pub path: PathBuf,
    pub text: Arc<str>,
}

/// Every file of a plan, in path order.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<Source>,
}

impl Sources {
    pub fn add(&mut self, path: &Path, text: String) -> FileId {
        self.files.push(Source {
            name: path.display().to_string(),
            path: path.to_path_buf(),
            text: text.into(),
        });
        FileId(self.files.len() - 1)
    }

    pub fn get(&self, id: FileId) -> &Source {
        &self.files[id.0]
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &Source)> {
        self.files.iter().enumerate().map(|(i, s)| (FileId(i), s))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, file: FileId, byte: usize) -> Position {
        let text = &self.get(file).text;
        let byte = byte.min(text.len());
        let before = &text[..floor_char_boundary(text, byte)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line,
            column: before[line_start..].chars().count() + 1,
            byte,
        }
    }

    /// "file:line:column" of a location, for messages that mention another place.
    pub fn describe(&self, loc: &Loc) -> String {
        let p = self.position(loc.file, loc.span.start);
        format!("{}:{}:{}", self.get(loc.file).name, p.line, p.column)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem: what is wrong (`message`), where (`loc` with a `label` under the span), and
/// how to fix it (`help`). `notes` point at other places involved (the first definition of a
/// duplicate name, the block an allocation collides with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub loc: Option<Loc>,
    pub label: String,
    pub help: Option<String>,
    pub notes: Vec<(Loc, String)>,
}

impl Diag {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diag {
        Diag {
            severity: Severity::Error,
            code,
            message: message.into(),
            loc: None,
            label: String::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diag {
        Diag {
            severity: Severity::Warning,
            ..Diag::error(code, message)
        }
    }

    /// Points at the span the problem is in, with a short label under it.
    pub fn at(mut self, loc: &Loc, label: impl Into<String>) -> Diag {
        self.loc = Some(loc.clone());
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }

    /// Also points at another place, e.g. the other half of a conflict.
    pub fn note(mut self, loc: &Loc, label: impl Into<String>) -> Diag {
        self.notes.push((loc.clone(), label.into()));
        self
    }
}

/// Diagnostics of one run, with the sources they point into. Errors make it fail; warnings
/// alone do not.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    pub sources: Sources,
    pub diags: Vec<Diag>,
}

impl Diagnostics {
    pub fn new(sources: Sources, mut diags: Vec<Diag>) -> Diagnostics {
        // Reading order: by file, then position; the collection order breaks ties, so the
        // output is the same for the same input.
        diags.sort_by(|a, b| {
            let key = |d: &Diag| d.loc.as_ref().map(|l| (l.file, l.span.start));
            key(a).cmp(&key(b))
        });
        Diagnostics { sources, diags }
    }

    pub fn error_count(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.diags.len() - self.error_count()
    }

    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// One miette report per diagnostic, each carrying its file's text.
    pub fn reports(&self) -> Vec<Report> {
        self.diags
            .iter()
            .map(|d| Report::new(d, &self.sources))
            .collect()
    }

    /// Terraform's `validate -json` shape (SPEC §11).
    pub fn to_json(&self) -> serde_json::Value {
        let diagnostics: Vec<serde_json::Value> = self
            .diags
            .iter()
            .map(|d| {
                let mut detail = d.label.clone();
                if let Some(help) = &d.help {
                    if !detail.is_empty() {
                        detail.push_str("; ");
                    }
                    detail.push_str(help);
                }
                let mut entry = serde_json::json!({
                    "severity": d.severity,
                    "summary": d.message,
                    "detail": detail,
                    "code": d.code,
                });
                if let Some(loc) = &d.loc {
                    entry["range"] = serde_json::json!({
                        "filename": self.sources.get(loc.file).name,
                        "start": self.sources.position(loc.file, loc.span.start),
                        "end": self.sources.position(loc.file, loc.span.end),
                    });
                }
                entry
            })
            .collect();
        serde_json::json!({
            "format_version": "1.0",
            "valid": !self.has_errors(),
            "error_count": self.error_count(),
            "warning_count": self.warning_count(),
            "diagnostics": diagnostics,
        })
    }
}

/// A 1-based line and column, and the 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

/// A `Diag` made renderable: miette needs the source text and spans in its own types.
#[derive(Debug)]
pub struct Report {
    message: String,
    code: &'static str,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(d: &Diag, sources: &Sources) -> Report {
        let mut labels = Vec::new();
        let mut related = Vec::new();
        let source = d.loc.as_ref().map(|loc| {
            let src = sources.get(loc.file);
            labels.push(LabeledSpan::new_primary_with_span(
                Some(d.label.clone()).filter(|l| !l.is_empty()),
                to_source_span(&loc.span),
            ));
            NamedSource::new(src.name.clone(), src.text.clone()).with_language("toml")
        });
        for (loc, label) in &d.notes {
            if d.loc.as_ref().is_some_and(|l| l.file == loc.file) {
                labels.push(LabeledSpan::new_with_span(
                    Some(label.clone()),
                    to_source_span(&loc.span),
                ));
            } else {
                // Another file: its own snippet, shown below the main one.
                let src = sources.get(loc.file);
                related.push(Report {
                    message: label.clone(),
                    code: d.code,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Some(NamedSource::new(src.name.clone(), src.text.clone())),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        Some("here".into()),
                        to_source_span(&loc.span),
                    )],
                    related: Vec::new(),
                });
            }
        }
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

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
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

/// The closest of `candidates` to `name`, if one is close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_in_characters() {
        let mut sources = Sources::default();
        let id = sources.add(Path::new("a.toml"), "x = 1\nné = \"é\"\n".into());
        assert_eq!(
            sources.position(id, 0),
            Position {
                line: 1,
                column: 1,
                byte: 0
            }
        );
        // `=` on line 2 is the 4th character but the 5th byte.
        let eq = "x = 1\nné ".len();
        assert_eq!(sources.position(id, eq).line, 2);
        assert_eq!(sources.position(id, eq).column, 4);
        assert_eq!(sources.describe(&Loc::new(id, eq..eq + 1)), "a.toml:2:4");
    }

    #[test]
    fn suggestions_pick_close_names_only() {
        let names = ["regions", "name", "owner", "profile"];
        assert_eq!(suggest("regons", names), Some("regions"));
        assert_eq!(suggest("onwer", names), Some("owner"));
        assert_eq!(suggest("zzz", names), None);
    }

    #[test]
    fn json_counts_and_ranges() {
        let mut sources = Sources::default();
        let id = sources.add(Path::new("p.toml"), "[pools.a]\ncidrs = 1\n".into());
        let d = Diagnostics::new(
            sources,
            vec![
                Diag::warning("w", "careful"),
                Diag::error("e", "bad")
                    .at(&Loc::new(id, 18..19), "here")
                    .help("fix it"),
            ],
        );
        let json = d.to_json();
        assert_eq!(json["valid"], false);
        assert_eq!(json["error_count"], 1);
        assert_eq!(json["warning_count"], 1);
        let located = &json["diagnostics"][1];
        assert_eq!(located["detail"], "here; fix it");
        assert_eq!(located["range"]["start"]["line"], 2);
        assert_eq!(located["range"]["start"]["column"], 9);
        assert_eq!(located["range"]["end"]["byte"], 19);
    }
}
