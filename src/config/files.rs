//! Which files are the plan: the file itself, or every `*.toml` below the directory, in path
//! order (SPEC §4), less hidden files and folders, other tools' files (`taplo.toml`) and the
//! ones `[ipam] exclude` lists (SPEC §13). Symbolic links are followed, but each real
//! directory is read once: a link back to a directory that contains it is a loop, reported
//! and never walked, so any directory tree is listed in time linear in its size.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::diag::Diag;

/// Files of other tools that live among plan files and are never read as plan files.
const OTHER_TOOLS: &[&str] = &["taplo.toml", ".taplo.toml"];

/// The candidate plan files of a plan path and the links that were not followed.
#[derive(Debug, Default)]
pub struct Listing {
    /// Candidate plan files, sorted by path.
    pub files: Vec<PathBuf>,
    /// Directory links not followed: the link (as walked) and why.
    pub links: Vec<(PathBuf, Diag)>,
    /// The plan directory, or `None` for a single-file plan.
    pub root: Option<PathBuf>,
}

/// Lists the plan at `path`: the file itself, or every `*.toml` below the directory, sorted
/// by path so that declaration order does not depend on the file system. Exclusion patterns
/// are applied later, once the `[ipam]` table is read ([`Exclusions`]).
pub fn plan_files(path: &Path) -> Result<Listing, Box<Diag>> {
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
        return Ok(Listing {
            files: vec![path.to_path_buf()],
            ..Listing::default()
        });
    }
    let cannot_list = |dir: &Path, e: std::io::Error| {
        Box::new(Diag::error(
            "ipam::io::read",
            format!("cannot list {}: {e}", dir.display()),
        ))
    };
    let real_root = fs::canonicalize(path).map_err(|e| cannot_list(path, e))?;
    let mut listing = Listing {
        root: Some(path.to_path_buf()),
        ..Listing::default()
    };
    // Real path of every directory read → the path it was first reached by. Directories are
    // walked first and links after them, in path order, so which path of a directory counts
    // as the first does not depend on the order the file system lists entries in.
    let mut visited: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let mut links: BTreeSet<(PathBuf, PathBuf)> = BTreeSet::new();
    let mut dirs = vec![(path.to_path_buf(), real_root)];
    loop {
        while let Some((dir, real_dir)) = dirs.pop() {
            visited.insert(real_dir.clone(), dir.clone());
            let entries = fs::read_dir(&dir).map_err(|e| cannot_list(&dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| cannot_list(&dir, e))?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') || OTHER_TOOLS.contains(&name.as_ref()) {
                    continue;
                }
                let p = entry.path();
                let kind = entry.file_type().map_err(|e| cannot_list(&p, e))?;
                if kind.is_dir() {
                    dirs.push((p, real_dir.join(entry.file_name())));
                } else if kind.is_symlink() && fs::metadata(&p).is_ok_and(|m| m.is_dir()) {
                    links.insert((p, real_dir.clone()));
                } else if p.extension().is_some_and(|e| e == "toml") {
                    // A dangling link is kept, to be reported as unreadable.
                    listing.files.push(p);
                }
            }
        }
        let Some((link, real_parent)) = links.pop_first() else {
            break;
        };
        let real = fs::canonicalize(&link).map_err(|e| cannot_list(&link, e))?;
        match visited.get(&real) {
            Some(first) => {
                let d = revisit(&link, &real, &real_parent, first);
                listing.links.push((link, d));
            }
            None => dirs.push((link, real)),
        }
    }
    listing.files.sort();
    listing.links.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(listing)
}

/// Why a directory reached a second time is not read again.
fn revisit(link: &Path, real: &Path, real_parent: &Path, first: &Path) -> Diag {
    if real_parent.starts_with(real) {
        Diag::error(
            "ipam::io::link_loop",
            format!(
                "{} is a symbolic link loop: it leads back to {}, which contains it",
                link.display(),
                first.display()
            ),
        )
        .help("remove the link, or list it in `[ipam] exclude`")
    } else {
        Diag::error(
            "ipam::io::link_twice",
            format!(
                "{} leads to a directory the plan already reads as {}",
                link.display(),
                first.display()
            ),
        )
        .help("every plan file is read once: remove one of the two paths, or list one in `[ipam] exclude`")
    }
}

/// Glob patterns over the files of a plan directory (`[ipam] exclude`, a team's `paths`),
/// matched against paths relative to the plan directory (`/`-separated; `*` and `?` stay
/// within one path segment, `**` crosses them). A pattern that names a directory matches
/// everything below it.
#[derive(Debug)]
pub struct PathGlobs {
    root: PathBuf,
    set: GlobSet,
    /// The index, among the patterns given, of each pattern in `set`.
    index: Vec<usize>,
}

/// The `[ipam] exclude` patterns.
pub type Exclusions = PathGlobs;

impl PathGlobs {
    /// Compiles the patterns; a pattern that is not a glob is returned as `Err` with the
    /// parser's reason, by its index.
    pub fn new(root: &Path, patterns: &[&str]) -> (PathGlobs, Vec<(usize, String)>) {
        let mut builder = GlobSetBuilder::new();
        let mut bad = Vec::new();
        let mut index = Vec::new();
        for (i, pattern) in patterns.iter().enumerate() {
            match glob(pattern) {
                Ok(g) => {
                    builder.add(g);
                    index.push(i);
                }
                Err(e) => bad.push((i, e.kind().to_string())),
            }
        }
        let set = builder.build().unwrap_or_else(|_| GlobSet::empty());
        (
            PathGlobs {
                root: root.to_path_buf(),
                set,
                index,
            },
            bad,
        )
    }

    /// Whether a listed path (a file, or a link the walk did not follow) is excluded: the
    /// path itself or one of its directories below the plan directory matches a pattern.
    pub fn excludes(&self, path: &Path) -> bool {
        self.walk(path, |text| self.set.is_match(text))
    }

    /// The indices (among the patterns given, ascending) of the patterns that match the path
    /// or one of its directories below the plan directory.
    pub fn matching(&self, path: &Path) -> Vec<usize> {
        let mut found = Vec::new();
        self.walk(path, |text| {
            found.extend(self.set.matches(text).into_iter().map(|k| self.index[k]));
            false
        });
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Calls `hit` with the path relative to the plan directory and then with each of its
    /// directories, deepest first, until it returns true.
    fn walk(&self, path: &Path, mut hit: impl FnMut(&str) -> bool) -> bool {
        let Ok(relative) = path.strip_prefix(&self.root) else {
            return false;
        };
        let mut at = Some(relative);
        while let Some(p) = at.filter(|p| !p.as_os_str().is_empty()) {
            if hit(&p.to_string_lossy().replace('\\', "/")) {
                return true;
            }
            at = p.parent();
        }
        false
    }
}

fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern.trim_start_matches("./"))
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &[&str], path: &str) -> bool {
        let (ex, bad) = Exclusions::new(Path::new("plan"), patterns);
        assert!(bad.is_empty(), "{bad:?}");
        ex.excludes(&Path::new("plan").join(path))
    }

    #[test]
    fn patterns_are_relative_to_the_plan_directory() {
        assert!(excluded(&["vendor/*.toml"], "vendor/deny.toml"));
        assert!(!excluded(&["vendor/*.toml"], "vendor/x/deny.toml"));
        assert!(excluded(&["vendor/**/*.toml"], "vendor/x/deny.toml"));
        assert!(excluded(&["**/Cargo.toml"], "tools/gen/Cargo.toml"));
        assert!(excluded(&["Cargo.toml"], "Cargo.toml"));
        assert!(!excluded(&["Cargo.toml"], "tools/Cargo.toml"));
        assert!(excluded(&["./rustfmt.toml"], "rustfmt.toml"));
        // A directory pattern excludes what is below it.
        assert!(excluded(&["tools"], "tools/gen/Cargo.toml"));
        assert!(!excluded(&["tools"], "teams/a.toml"));
        assert!(!excluded(&[], "a.toml"));
    }

    #[test]
    fn matching_names_the_patterns_by_their_index() {
        let (globs, bad) = PathGlobs::new(
            Path::new("plan"),
            &["teams/a/**", "a[", "teams", "*.toml", "teams/*/x.toml"],
        );
        assert_eq!(bad.len(), 1);
        let at = |p: &str| globs.matching(&Path::new("plan").join(p));
        assert_eq!(at("teams/a/x.toml"), vec![0, 2, 4]);
        assert_eq!(at("teams/b/y.toml"), vec![2]);
        assert_eq!(at("top.toml"), vec![3]);
        assert_eq!(at("other/top.toml"), Vec::<usize>::new());
        assert!(globs.matching(Path::new("elsewhere/top.toml")).is_empty());
    }

    #[test]
    fn bad_patterns_are_reported_by_index() {
        let (_, bad) = Exclusions::new(Path::new("p"), &["ok/*.toml", "a[b"]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 1);
    }
}
