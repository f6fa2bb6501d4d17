//! Reading plans: one `.toml` file or a directory of them (every `*.toml` below it, in path
//! order, SPEC §4) into spanned [`RawFile`]s. Nothing else: names, references and rules are
//! the model's business.
//!
//! Every problem of every file is reported in one run (SPEC §13): each syntax, type and
//! unknown-key error of each file ([`parse`](mod@parse)), a file that is not UTF-8 at its first bad byte,
//! and symbolic-link loops below a plan directory ([`files`]).

mod check;
mod files;
mod parse;
pub mod raw;

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub use files::{Exclusions, Listing, PathGlobs, plan_files};
pub use parse::{MAX_LINE_BYTES, parse};
pub use raw::RawFile;

use crate::diag::{Diag, Diagnostics, FileId, Loc, Sources};
use parse::{Parsed, parse_file};

/// A plan as read from disk: its files and, for each one that parsed, its content.
#[derive(Debug)]
pub struct RawPlan {
    pub sources: Sources,
    pub files: Vec<(FileId, RawFile)>,
    /// The plan directory (a single-file plan: the directory the file is in), which
    /// `[ipam] exclude` patterns and teams' `paths` are relative to; the files' paths in
    /// `sources` start with it.
    pub root: PathBuf,
}

/// Reads every file of the plan at `path`, reporting the problems of every file together.
pub fn load(path: &Path) -> Result<RawPlan, Diagnostics> {
    load_with(path, &[])
}

/// Reads the plan at `path` as [`load`] does, with some files' text given instead of read:
/// each overlay is a path as [`plan_files`] lists it (a file of the plan, or one that would
/// be) and its text. This is how a change to the plan files is checked before it is
/// written; an overlay that `[ipam] exclude` would leave out is refused, since the change
/// would be lost on the next read.
pub fn load_with(path: &Path, overlays: &[(&Path, &str)]) -> Result<RawPlan, Diagnostics> {
    let listing = plan_files(path).map_err(|d| Diagnostics::new(Sources::default(), vec![*d]))?;
    let mut paths = listing.files;
    let listed = paths.len();
    for (extra, _) in overlays {
        if !paths.iter().any(|p| p == extra) {
            paths.push(extra.to_path_buf());
        }
    }
    if paths.len() > listed {
        paths.sort();
    }
    // 1. Read every candidate; 2. parse them all (on every core).
    let candidates: Vec<Candidate> = paths
        .into_iter()
        .map(
            |path| match overlays.iter().find(|(extra, _)| path == *extra) {
                Some((_, text)) => Candidate {
                    path,
                    text: (*text).to_owned(),
                    problem: None,
                },
                None => Candidate::read(path),
            },
        )
        .collect();
    let texts: Vec<Option<&str>> = candidates
        .iter()
        .map(|c| c.problem.is_none().then_some(c.text.as_str()))
        .collect();
    let parsed = parse_all(&texts);
    // 3. Other tools' files: what `[ipam] exclude` lists, in a directory plan.
    let mut diags = Vec::new();
    let mut excluded = vec![false; candidates.len()];
    let root = listing
        .root
        .clone()
        .unwrap_or_else(|| path.parent().unwrap_or(Path::new("")).to_path_buf());
    let mut link_problems = listing.links;
    {
        // Patterns are checked in a single-file plan too, where they exclude nothing.
        let provides: Vec<bool> = parsed
            .iter()
            .map(|p| p.as_ref().is_some_and(|p| !p.exclude.is_empty()))
            .collect();
        let providers: Vec<usize> = (0..candidates.len()).filter(|&i| provides[i]).collect();
        let patterns: Vec<(usize, &str, &Range<usize>)> = providers
            .iter()
            .flat_map(|&i| {
                parsed[i].iter().flat_map(move |p| {
                    p.exclude
                        .iter()
                        .map(move |(text, span)| (i, text.as_str(), span))
                })
            })
            .collect();
        let texts: Vec<&str> = patterns.iter().map(|p| p.1).collect();
        let (exclusions, bad) = Exclusions::new(&root, &texts);
        for (k, reason) in bad {
            let (i, text, span) = patterns[k];
            diags.push((
                Some(i),
                Diag::error(
                    "ipam::ipam::exclude",
                    format!("`{text}` is not a glob pattern: {reason}"),
                )
                .at(&Loc::new(FileId(i), span.clone()), "invalid pattern")
                .help("patterns are globs relative to the plan directory: `*` and `?` within one path segment, `**` across them"),
            ));
        }
        for (i, c) in candidates.iter().enumerate() {
            excluded[i] = listing.root.is_some() && !provides[i] && exclusions.excludes(&c.path);
            if excluded[i] && overlays.iter().any(|(extra, _)| *extra == c.path) {
                diags.push((
                    None,
                    Diag::error(
                        "ipam::io::excluded",
                        format!(
                            "{} is excluded from the plan by `[ipam] exclude`",
                            c.path.display()
                        ),
                    )
                    .help("write to a file of the plan, or remove the pattern that excludes it"),
                ));
            }
        }
        link_problems.retain(|(link, _)| !exclusions.excludes(link));
    }
    // 4. The plan's files get their final IDs; problems of excluded files are not the plan's.
    let mut sources = Sources::default();
    let mut files = Vec::new();
    let mut ids: Vec<Option<FileId>> = vec![None; candidates.len()];
    for ((i, c), parsed) in candidates.into_iter().enumerate().zip(parsed) {
        if excluded[i] {
            continue;
        }
        let id = sources.add(&c.path, c.text);
        ids[i] = Some(id);
        if let Some(problem) = c.problem {
            diags.push((None, problem.diag(&c.path, id)));
        }
        match parsed.map(|p| p.raw) {
            Some(Ok(raw)) => files.push((id, raw)),
            Some(Err(found)) => diags.extend(found.into_iter().map(|d| (Some(i), d))),
            None => {}
        }
    }
    if files.is_empty() && ids.iter().all(Option::is_none) {
        let message = match &listing.root {
            Some(dir) if excluded.iter().any(|e| *e) => format!(
                "every .toml file in {} is excluded by `[ipam] exclude`",
                dir.display()
            ),
            _ => format!("no .toml files in {}", path.display()),
        };
        diags.push((
            None,
            Diag::error("ipam::io::empty_plan", message)
                .help("run `ipam init` to start a plan there"),
        ));
    }
    let mut diags: Vec<Diag> = diags
        .into_iter()
        .filter_map(|(from, d)| match from {
            None => Some(d),
            Some(i) => ids[i].map(|id| relocate(d, id)),
        })
        .collect();
    diags.extend(link_problems.into_iter().map(|(_, d)| d));
    if diags.is_empty() {
        Ok(RawPlan {
            sources,
            files,
            root,
        })
    } else {
        Err(Diagnostics::new(sources, diags))
    }
}

/// A file that may be part of the plan, as read.
struct Candidate {
    path: PathBuf,
    /// The text; for a file that is not UTF-8, with each bad sequence replaced by U+FFFD.
    text: String,
    problem: Option<ReadProblem>,
}

enum ReadProblem {
    /// Not UTF-8: the offset of the first bad byte (the same in the replaced text) and it.
    NotUtf8 {
        at: usize,
        byte: u8,
    },
    Unreadable(String),
}

impl Candidate {
    fn read(path: PathBuf) -> Candidate {
        let (text, problem) = match fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => (text, None),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let byte = e.as_bytes()[at];
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    (text, Some(ReadProblem::NotUtf8 { at, byte }))
                }
            },
            Err(e) => (String::new(), Some(ReadProblem::Unreadable(e.to_string()))),
        };
        Candidate {
            path,
            text,
            problem,
        }
    }
}

impl ReadProblem {
    fn diag(&self, path: &Path, id: FileId) -> Diag {
        match self {
            ReadProblem::NotUtf8 { at, byte } => Diag::error(
                "ipam::io::utf8",
                format!("{} is not UTF-8 text", path.display()),
            )
            .at(
                &Loc::new(id, *at..*at + char::REPLACEMENT_CHARACTER.len_utf8()),
                format!("byte 0x{byte:02X} is not UTF-8"),
            )
            .help("save the plan file as UTF-8"),
            ReadProblem::Unreadable(e) => Diag::error(
                "ipam::io::read",
                format!("cannot read {}: {e}", path.display()),
            ),
        }
    }
}

/// A diagnostic made with a provisional file ID, moved to the file's final one.
fn relocate(mut d: Diag, id: FileId) -> Diag {
    if let Some(loc) = &mut d.loc {
        loc.file = id;
    }
    for (loc, _) in &mut d.notes {
        loc.file = id;
    }
    d
}

/// Parses the texts on as many threads as there are cores (a plan of many team files is the
/// common large case), largest files first to the least loaded thread; results in input order,
/// `None` where there was no text to parse. Each file's diagnostics carry its index as file ID.
fn parse_all(texts: &[Option<&str>]) -> Vec<Option<Parsed>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(texts.len())
        .max(1);
    let mut by_size: Vec<usize> = (0..texts.len()).filter(|&i| texts[i].is_some()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(texts[i].map_or(0, str::len)));
    let mut shares: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); workers];
    for i in by_size {
        if let Some(least) = shares.iter_mut().min_by_key(|(load, _)| *load) {
            least.0 += texts[i].map_or(0, str::len);
            least.1.push(i);
        }
    }
    let parse_share = |share: &[usize]| -> Vec<(usize, Parsed)> {
        share
            .iter()
            .filter_map(|&i| texts[i].map(|t| (i, parse_file(FileId(i), t))))
            .collect()
    };
    let results: Vec<(usize, Parsed)> = std::thread::scope(|scope| {
        let mut shares = shares.into_iter().map(|(_, share)| share);
        let first = shares.next().unwrap_or_default();
        let handles: Vec<_> = shares
            .map(|share| scope.spawn(move || parse_share(&share)))
            .collect();
        let mut all = parse_share(&first);
        for h in handles {
            all.extend(
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        all
    });
    let mut out: Vec<Option<Parsed>> = (0..texts.len()).map(|_| None).collect();
    for (i, p) in results {
        out[i] = Some(p);
    }
    out
}
