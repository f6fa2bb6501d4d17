//! Diagnostics: every problem a user can cause, located in a plan file, rendered for people
//! by [`crate::render::diag`] or as Terraform-shaped JSON (`validate --json`, SPEC §11).
//!
//! Stages collect `Diag`s instead of stopping at the first problem (SPEC §3: "every violation
//! is reported, all at once"); `Diagnostics` carries them together with the source texts so
//! the renderer can show the labelled span of each.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

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
    /// Byte offsets of line starts, built on first use: positions of many diagnostics in
    /// one large file cost a binary search each, not a scan.
    lines: OnceLock<Vec<usize>>,
}

impl Source {
    fn line_starts(&self) -> &[usize] {
        self.lines.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }
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
            lines: OnceLock::new(),
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
        let source = self.get(file);
        let text = &source.text;
        let byte = byte.min(text.len());
        let at = floor_char_boundary(text, byte);
        let starts = source.line_starts();
        let line = starts.partition_point(|&s| s <= at);
        let line_start = starts[line - 1];
        Position {
            line,
            column: text[line_start..at].chars().count() + 1,
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

    /// Terraform's `validate -json` shape (SPEC §11).
    pub fn to_json(&self) -> serde_json::Value {
        Self::merged_json(std::slice::from_ref(self))
    }

    /// Several sets (the plan's, the state's, the inventories') as one document of
    /// [`Diagnostics::to_json`]'s shape, in the order given.
    pub fn merged_json(all: &[Diagnostics]) -> serde_json::Value {
        let diagnostics: Vec<serde_json::Value> = all.iter().flat_map(Self::entries).collect();
        let errors: usize = all.iter().map(Diagnostics::error_count).sum();
        let warnings: usize = all.iter().map(Diagnostics::warning_count).sum();
        serde_json::json!({
            "format_version": "1.0",
            "valid": errors == 0,
            "error_count": errors,
            "warning_count": warnings,
            "diagnostics": diagnostics,
        })
    }

    /// One JSON entry per diagnostic, located in this set's sources.
    fn entries(&self) -> impl Iterator<Item = serde_json::Value> + '_ {
        self.diags.iter().map(|d| {
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
    }
}

/// A 1-based line and column, and the 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
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
