//! `ipam fmt`: rewrites plan files in the canonical layout, lists those that would change
//! (`--check`) or prints the changes as unified diffs (`--diff`).
//!
//! All or nothing: every file is read and formatted first; when any of them cannot be
//! (unreadable, not UTF-8, not TOML), each problem is reported and nothing is written.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use similar::TextDiff;

use crate::diag::{Diag, Diagnostics, Loc, Sources};
use crate::state::file::write_atomic;

pub struct FmtArgs<'a> {
    pub path: &'a Path,
    pub check: bool,
    pub diff: bool,
}

/// Exit code of `--check` when a file would change: a finding the user asked to fail on.
const WOULD_CHANGE: u8 = 3;

pub fn run(args: FmtArgs) -> ExitCode {
    let listing = match crate::config::plan_files(args.path) {
        Ok(listing) => listing,
        Err(d) => return super::fail(*d),
    };
    // Exactly the files the plan reads (`[ipam] exclude` applied) when it can be read;
    // otherwise every candidate, so that each broken one is reported.
    let files: Vec<PathBuf> = match crate::config::load(args.path) {
        Ok(raw) => raw.sources.iter().map(|(_, s)| s.path.clone()).collect(),
        Err(_) => listing.files,
    };
    let (changes, diagnostics) = format_all(&files);
    if !diagnostics.diags.is_empty() {
        return super::print_diags(&diagnostics);
    }
    let mut out = std::io::stdout().lock();
    if args.check || args.diff {
        for change in &changes {
            let _ = if args.diff {
                write_diff(&mut out, change)
            } else {
                writeln!(out, "{}", change.path.display())
            };
        }
        return if args.check && !changes.is_empty() {
            ExitCode::from(WOULD_CHANGE)
        } else {
            ExitCode::SUCCESS
        };
    }
    for change in &changes {
        if let Err(e) = write_atomic(&change.path, change.after.as_bytes()) {
            drop(out);
            return super::fail(
                Diag::error("ipam::io::write", e.to_string())
                    .help("the files listed before this one are formatted; this one is unchanged"),
            );
        }
        let _ = writeln!(out, "{}", change.path.display());
    }
    ExitCode::SUCCESS
}

/// A file whose canonical text differs from what is on disk.
struct Change {
    path: PathBuf,
    before: String,
    after: String,
}

/// The files that would change, in path order, and a diagnostic for every file that cannot
/// be formatted.
fn format_all(files: &[PathBuf]) -> (Vec<Change>, Diagnostics) {
    let read: Vec<Result<String, Box<Diag>>> = files.iter().map(|path| read(path)).collect();
    let texts: Vec<&str> = read.iter().filter_map(|r| r.as_deref().ok()).collect();
    let mut formatted = format_parallel(&texts).into_iter();
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    let mut changes = Vec::new();
    for (path, text) in files.iter().zip(read) {
        let text = match text {
            Ok(text) => text,
            Err(d) => {
                diags.push(*d);
                continue;
            }
        };
        let Some(result) = formatted.next() else {
            break;
        };
        match result {
            Ok(after) if after == text => {}
            Ok(after) => changes.push(Change {
                path: path.clone(),
                before: text,
                after,
            }),
            Err(crate::fmt::Error::Syntax { message, span }) => {
                let file = sources.add(path, text);
                diags.push(
                    Diag::error("ipam::parse::syntax", format!("invalid TOML: {message}"))
                        .at(&Loc::new(file, span), "here")
                        .help("fix the TOML syntax at this position; fmt changes no file until every file parses"),
                );
            }
            Err(crate::fmt::Error::Changed(why)) => diags.push(
                Diag::error(
                    "ipam::fmt::unsafe",
                    format!("cannot format {}: {why}", path.display()),
                )
                .help("this is a defect of ipam fmt; the file is left as it is, please report it with the file"),
            ),
        }
    }
    (changes, Diagnostics::new(sources, diags))
}

fn read(path: &Path) -> Result<String, Box<Diag>> {
    let bytes = fs::read(path).map_err(|e| {
        Box::new(Diag::error(
            "ipam::io::read",
            format!("cannot read {}: {e}", path.display()),
        ))
    })?;
    String::from_utf8(bytes).map_err(|_| {
        Box::new(
            Diag::error(
                "ipam::io::utf8",
                format!("{} is not UTF-8 text", path.display()),
            )
            .help("save the plan file as UTF-8"),
        )
    })
}

/// Formats the texts on every core (a plan of many team files is the common large case),
/// largest first; results in the order of `texts`.
fn format_parallel(texts: &[&str]) -> Vec<Result<String, crate::fmt::Error>> {
    let mut by_size: Vec<usize> = (0..texts.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(texts[i].len()));
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(texts.len())
        .max(1);
    let work = || {
        let mut done = Vec::new();
        while let Some(&i) = by_size.get(next.fetch_add(1, Ordering::Relaxed)) {
            done.push((i, crate::fmt::format(texts[i])));
        }
        done
    };
    let mut results: Vec<(usize, Result<String, crate::fmt::Error>)> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
            let mut all = work();
            for h in handles {
                all.extend(
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
            all
        });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn write_diff(out: &mut impl Write, change: &Change) -> std::io::Result<()> {
    let name = change.path.display().to_string();
    let diff = TextDiff::from_lines(&change.before, &change.after);
    write!(
        out,
        "{}",
        diff.unified_diff().context_radius(3).header(&name, &name)
    )
}
