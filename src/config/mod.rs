//! Reading plans: one `.toml` file or a directory of them (every `*.toml` below it, in path
//! order, SPEC §4) into spanned [`RawFile`]s. Nothing else: names, references and rules are
//! the model's business.

pub mod raw;

use std::fs;
use std::path::{Path, PathBuf};

pub use raw::RawFile;

use crate::diag::{Diag, Diagnostics, FileId, Loc, Sources, suggest};

/// A plan as read from disk: its files and, for each one that parsed, its content.
#[derive(Debug)]
pub struct RawPlan {
    pub sources: Sources,
    pub files: Vec<(FileId, RawFile)>,
}

/// Reads every file of the plan at `path`. Each file that fails to parse contributes one
/// diagnostic (TOML stops at the first problem in a file); all files are read, so the
/// problems of every file are reported together.
pub fn load(path: &Path) -> Result<RawPlan, Diagnostics> {
    load_with(path, None)
}

/// Reads the plan at `path` as [`load`] does, with one file's text given instead of read:
/// `overlay` is a path as [`plan_files`] lists it (a file of the plan, or one that would
/// be) and its text. This is how a change to the plan files is checked before it is
/// written.
pub fn load_with(path: &Path, overlay: Option<(&Path, &str)>) -> Result<RawPlan, Diagnostics> {
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    let mut paths = plan_files(path).map_err(|d| Diagnostics::new(Sources::default(), vec![*d]))?;
    if let Some((extra, _)) = overlay
        && !paths.iter().any(|p| p == extra)
    {
        paths.push(extra.to_path_buf());
        paths.sort();
    }
    let mut files = Vec::new();
    for file in paths {
        if let Some((extra, text)) = overlay
            && file == extra
        {
            files.push(sources.add(&file, text.to_string()));
            continue;
        }
        let text = match fs::read(&file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    diags.push(
                        Diag::error(
                            "ipam::io::utf8",
                            format!("{} is not UTF-8 text", file.display()),
                        )
                        .help("save the plan file as UTF-8"),
                    );
                    continue;
                }
            },
            Err(e) => {
                diags.push(Diag::error(
                    "ipam::io::read",
                    format!("cannot read {}: {e}", file.display()),
                ));
                continue;
            }
        };
        files.push(sources.add(&file, text));
    }
    let (files, parse_diags) = parse_all(&sources, &files);
    diags.extend(parse_diags);
    if diags.is_empty() {
        Ok(RawPlan { sources, files })
    } else {
        Err(Diagnostics::new(sources, diags))
    }
}

/// Parses the files on as many threads as there are cores (a plan of many team files is the
/// common large case), largest files first to the least loaded thread; results in file order.
fn parse_all(sources: &Sources, ids: &[FileId]) -> (Vec<(FileId, RawFile)>, Vec<Diag>) {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(ids.len())
        .max(1);
    let mut by_size: Vec<FileId> = ids.to_vec();
    by_size.sort_by_key(|id| std::cmp::Reverse(sources.get(*id).text.len()));
    let mut shares: Vec<(usize, Vec<FileId>)> = vec![(0, Vec::new()); workers];
    for id in by_size {
        if let Some(least) = shares.iter_mut().min_by_key(|(load, _)| *load) {
            least.0 += sources.get(id).text.len();
            least.1.push(id);
        }
    }
    let parse_share = |share: &[FileId]| -> Vec<(FileId, Result<RawFile, Box<Diag>>)> {
        share
            .iter()
            .map(|&id| (id, parse(id, &sources.get(id).text)))
            .collect()
    };
    let mut results: Vec<(FileId, Result<RawFile, Box<Diag>>)> = std::thread::scope(|scope| {
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
    results.sort_by_key(|(id, _)| *id);
    let mut files = Vec::new();
    let mut diags = Vec::new();
    for (id, result) in results {
        match result {
            Ok(raw) => files.push((id, raw)),
            Err(d) => diags.push(*d),
        }
    }
    (files, diags)
}

/// The plan's files: the file itself, or every `*.toml` below the directory, sorted by path
/// so that declaration order (SPEC §5) does not depend on the file system.
pub fn plan_files(path: &Path) -> Result<Vec<PathBuf>, Box<Diag>> {
    let meta = fs::metadata(path).map_err(|e| {
        Box::new(
            Diag::error(
                "ipam::io::plan_path",
                format!("cannot read the plan at {}: {e}", path.display()),
            )
            .help("give the plan's directory or .toml file as the first argument"),
        )
    })?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| {
            Box::new(Diag::error(
                "ipam::io::read",
                format!("cannot list {}: {e}", dir.display()),
            ))
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| {
                Box::new(Diag::error(
                    "ipam::io::read",
                    format!("cannot list {}: {e}", dir.display()),
                ))
            })?;
            let p = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if p.is_dir() {
                if !hidden {
                    dirs.push(p);
                }
            } else if !hidden && p.extension().is_some_and(|e| e == "toml") {
                found.push(p);
            }
        }
    }
    if found.is_empty() {
        return Err(Box::new(
            Diag::error(
                "ipam::io::empty_plan",
                format!("no .toml files in {}", path.display()),
            )
            .help("run `ipam init` to start a plan there"),
        ));
    }
    found.sort();
    Ok(found)
}

/// Parses one file. A serde/TOML error becomes a diagnostic at its span, reworded where the
/// raw message would speak of Rust types, and with a "did you mean" for unknown keys.
pub fn parse(file: FileId, text: &str) -> Result<RawFile, Box<Diag>> {
    toml::from_str::<RawFile>(text).map_err(|e| Box::new(parse_error(file, e)))
}

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

    fn parse_err(text: &str) -> Diag {
        *parse(FileId(0), text).expect_err("must fail")
    }

    #[test]
    fn unknown_keys_suggest_the_closest() {
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
