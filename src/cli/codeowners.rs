//! `ipam codeowners` (SPEC §16): CODEOWNERS lines so that the code host asks the IPAM owner
//! to review every file of the plan and each team the files its `paths` match.
//!
//! CODEOWNERS uses gitignore's patterns, relative to the repository, and the last line that
//! matches a file decides its owners. So the lines are: the owner's handle for the whole
//! plan first; then each team's patterns (made relative to the repository), broader ones
//! before narrower ones, so that no later line takes back a narrower team's files; and last
//! the files that declare the IPAM, its teams and its pools, with the owner's handle again,
//! so no team pattern, whatever it grows to, takes those over.
//!
//! A team pattern that CODEOWNERS cannot say exactly (a character class, an escape, a
//! space) is refused rather than approximated: a wrong CODEOWNERS line silently gives the
//! wrong people the review.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{fail, print_diags};
use crate::diag::{Diag, Diagnostics, suggest};
use crate::model::Model;

/// Past this many CODEOWNERS lines for one pattern (`{a,b}{c,d}` is four), the pattern is
/// refused: alternatives multiply.
const MAX_EXPANSIONS: usize = 64;

pub struct CodeownersArgs<'a> {
    pub path: &'a Path,
    /// `TEAM=HANDLE`, as given.
    pub handles: &'a [String],
    pub owner_handles: &'a [String],
    /// The repository root; found from the plan directory when not given.
    pub root: Option<&'a Path>,
}

pub fn run(args: CodeownersArgs<'_>) -> ExitCode {
    let (model, sources) = match crate::load::model(args.path) {
        Ok(loaded) => loaded,
        Err(d) => return print_diags(&d),
    };
    let plan_dir = if args.path.is_dir() {
        args.path.to_path_buf()
    } else {
        args.path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let prefix = match repository_prefix(&plan_dir, args.root) {
        Ok(p) => p,
        Err(d) => return fail(*d),
    };
    let handles = match team_handles(&model, args.handles, args.owner_handles) {
        Ok(h) => h,
        Err(diags) => return print_diags(&Diagnostics::new(sources, diags)),
    };
    let frame: Vec<String> = model
        .frame_files
        .iter()
        .map(|&f| {
            let path = &sources.get(f).path;
            path.strip_prefix(&plan_dir)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    match render(&model, &prefix, &handles, args.owner_handles, &frame) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(diags) => print_diags(&Diagnostics::new(sources, diags)),
    }
}

/// The plan directory's path inside the repository (`""` at its root), `/`-separated.
fn repository_prefix(plan_dir: &Path, root: Option<&Path>) -> Result<String, Box<Diag>> {
    let canonical = |p: &Path| {
        std::fs::canonicalize(p).map_err(|e| {
            Box::new(
                Diag::error(
                    "ipam::codeowners::root",
                    format!("cannot read {}: {e}", p.display()),
                )
                .help("give an existing plan directory (and --root) that you can read"),
            )
        })
    };
    let dir = canonical(plan_dir)?;
    let root = match root {
        Some(r) => canonical(r)?,
        None => dir
            .ancestors()
            .find(|a| a.join(".git").exists())
            .map(Path::to_path_buf)
            .ok_or_else(|| {
                Box::new(
                    Diag::error(
                        "ipam::codeowners::root",
                        format!("no git repository at or above {}", plan_dir.display()),
                    )
                    .help("give the repository's root with --root: CODEOWNERS paths are relative to it"),
                )
            })?,
    };
    let inside = dir.strip_prefix(&root).map_err(|_| {
        Box::new(
            Diag::error(
                "ipam::codeowners::root",
                format!(
                    "the plan ({}) is not inside the repository root {}",
                    plan_dir.display(),
                    root.display()
                ),
            )
            .help("give --root a directory that contains the plan"),
        )
    })?;
    let prefix = inside.to_string_lossy().replace('\\', "/");
    if let Err(why) = literal(&prefix) {
        return Err(Box::new(
            Diag::error(
                "ipam::codeowners::path",
                format!("the plan's directory `{prefix}` cannot be written in CODEOWNERS: {why}"),
            )
            .help("move the plan to a directory whose path has no spaces, brackets, `#` or backslashes"),
        ));
    }
    Ok(prefix)
}

/// `--handle TEAM=HANDLE` read into each team's handles, in the order given. Every team
/// needs one; every handle names a team.
fn team_handles(
    model: &Model,
    given: &[String],
    owner: &[String],
) -> Result<BTreeMap<String, Vec<String>>, Vec<Diag>> {
    let mut diags = Vec::new();
    for h in owner {
        if let Err(why) = handle(h) {
            diags.push(bad_handle(h, &why, "--owner-handle @org/network"));
        }
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let names = || model.teams.iter().map(|t| t.name.as_str());
    for arg in given {
        let Some((team, h)) = arg.split_once('=') else {
            diags.push(
                Diag::error(
                    "ipam::codeowners::handle",
                    format!("`{arg}` is not TEAM=HANDLE"),
                )
                .help("write --handle payments=@org/payments"),
            );
            continue;
        };
        if !names().any(|n| n == team) {
            let help = match suggest(team, names()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if model.teams.is_empty() => "the plan declares no teams".to_string(),
                None => format!(
                    "the plan's teams are {}",
                    names()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            diags.push(
                Diag::error(
                    "ipam::codeowners::unknown_team",
                    format!("--handle names team `{team}`, which the plan does not declare"),
                )
                .help(help),
            );
            continue;
        }
        let list = out.entry(team.to_string()).or_default();
        if let Err(why) = handle(h) {
            diags.push(bad_handle(h, &why, &format!("--handle {team}=@org/{team}")));
            continue;
        }
        if !list.iter().any(|x| x == h) {
            list.push(h.to_string());
        }
    }
    for t in &model.teams {
        if !out.contains_key(&t.name) {
            diags.push(
                Diag::error(
                    "ipam::codeowners::missing_handle",
                    format!("team `{}` has no handle", t.name),
                )
                .at(&t.loc, "declared here")
                .help(format!(
                    "give its reviewers with --handle {}=@org/{}: without them its files would be reviewed by no one",
                    t.name, t.name
                )),
            );
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

fn bad_handle(h: &str, why: &str, example: &str) -> Diag {
    Diag::error(
        "ipam::codeowners::handle",
        format!("`{h}` is not a code owner: {why}"),
    )
    .help(format!("write e.g. {example}"))
}

/// Whether a handle is one CODEOWNERS takes: `@user`, `@org/team`, or an email address.
fn handle(h: &str) -> Result<(), String> {
    let word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if let Some(name) = h.strip_prefix('@') {
        let ok = match name.split_once('/') {
            Some((org, team)) => word(org) && word(team),
            None => word(name),
        };
        return if ok {
            Ok(())
        } else {
            Err(
                "a name after `@` has letters, digits, `-`, `_` and `.`, and at most one `/`"
                    .into(),
            )
        };
    }
    match h.split_once('@') {
        Some((user, domain))
            if !user.is_empty()
                && domain.contains('.')
                && !h.chars().any(|c| c.is_whitespace() || c == '#') =>
        {
            Ok(())
        }
        _ => Err("it is not @user, @org/team or an email address".into()),
    }
}

/// The CODEOWNERS text: a header, the owner's line, the teams' lines (broader patterns
/// first), and the owner's files last.
fn render(
    model: &Model,
    prefix: &str,
    handles: &BTreeMap<String, Vec<String>>,
    owner: &[String],
    frame: &[String],
) -> Result<String, Vec<Diag>> {
    let base = if prefix.is_empty() {
        String::from("/")
    } else {
        format!("/{prefix}/")
    };
    let mut diags = Vec::new();
    // (literal segments before the first wildcard, segments, pattern, team, handles)
    let mut lines: Vec<(usize, usize, String, &str, String)> = Vec::new();
    for t in &model.teams {
        let who = handles
            .get(&t.name)
            .map(|h| h.join(" "))
            .unwrap_or_default();
        for (pattern, loc) in &t.paths {
            match expand(pattern) {
                Ok(all) => {
                    for p in all {
                        let (literal, segments) = breadth(&p);
                        lines.push((literal, segments, format!("{base}{p}"), &t.name, who.clone()));
                    }
                }
                Err(why) => diags.push(
                    Diag::error(
                        "ipam::codeowners::pattern",
                        format!("team `{}`'s pattern `{pattern}` cannot be written in CODEOWNERS: {why}", t.name),
                    )
                    .at(loc, "not expressible in CODEOWNERS")
                    .help("CODEOWNERS has `*`, `?` and `**` but no character classes or escapes: list the files another way"),
                ),
            }
        }
    }
    let mut files = Vec::new();
    for f in frame {
        match literal(f) {
            Ok(()) => files.push(format!("{base}{f}")),
            Err(why) => diags.push(
                Diag::error(
                    "ipam::codeowners::path",
                    format!("`{f}` cannot be written in CODEOWNERS: {why}"),
                )
                .help("rename the file: CODEOWNERS paths cannot hold spaces, brackets, `#`, `*`, `?` or backslashes"),
            ),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    lines.sort();
    lines.dedup_by(|a, b| a.2 == b.2 && a.3 == b.3);
    let owner = owner.join(" ");
    let place = if prefix.is_empty() {
        "at the root of the repository".to_string()
    } else {
        format!("in {prefix}/")
    };
    let mut out = format!(
        "# Written by `ipam codeowners` for the plan {place}.\n\
         # The IPAM owner reviews every file of the plan; each team reviews the files its\n\
         # `paths` match. The last matching line wins, so keep this block last and in this\n\
         # order, and write it again when [teams] changes.\n"
    );
    let all = if prefix.is_empty() {
        "*".to_string()
    } else {
        base.clone()
    };
    out.push_str(&format!("{all} {owner}\n"));
    if !lines.is_empty() {
        out.push_str("# Teams\n");
        let width = lines.iter().map(|l| l.2.len()).max().unwrap_or(0);
        for (_, _, pattern, _, who) in &lines {
            out.push_str(&format!("{pattern:width$} {who}\n"));
        }
    }
    if !files.is_empty() && !model.teams.is_empty() {
        out.push_str(
            "# The files that declare the IPAM, its teams and its pools stay the owner's\n",
        );
        let width = files.iter().map(String::len).max().unwrap_or(0);
        for f in &files {
            out.push_str(&format!("{f:width$} {owner}\n"));
        }
    }
    Ok(out)
}

/// How broad a pattern is, for ordering: the number of leading segments without a
/// wildcard (fewer: broader), then the number of segments.
fn breadth(pattern: &str) -> (usize, usize) {
    let segments: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let literal = segments
        .iter()
        .take_while(|s| !s.contains(['*', '?']))
        .count();
    (literal, segments.len())
}

/// A plan-relative glob as CODEOWNERS patterns (relative to the plan directory, without a
/// leading `/`): `{a,b}` alternatives expanded, everything else as it is, since `*`, `?`
/// and `**` mean the same in both. What CODEOWNERS cannot say is refused with the reason.
fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let pattern = pattern.trim_start_matches("./");
    if pattern.contains(['[', ']']) {
        return Err("CODEOWNERS has no character classes".into());
    }
    if pattern.contains('\\') {
        return Err("CODEOWNERS has no escapes".into());
    }
    if pattern.contains(char::is_whitespace) || pattern.contains('#') {
        return Err("CODEOWNERS cannot hold spaces or `#` in a path".into());
    }
    if pattern.starts_with('/') || pattern.is_empty() {
        return Err("a team's pattern is relative to the plan directory".into());
    }
    let mut out = vec![String::new()];
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| "an unclosed `{`".to_string())?;
        let head = &rest[..open];
        let choices: Vec<&str> = rest[open + 1..close].split(',').collect();
        if out.len() * choices.len() > MAX_EXPANSIONS {
            return Err(format!(
                "its `{{…}}` alternatives make more than {MAX_EXPANSIONS} lines"
            ));
        }
        out = out
            .iter()
            .flat_map(|o| choices.iter().map(move |c| format!("{o}{head}{c}")))
            .collect();
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err("an unopened `}`".into());
    }
    for o in &mut out {
        o.push_str(rest);
    }
    Ok(out)
}

/// A file or directory path CODEOWNERS can match literally.
fn literal(path: &str) -> Result<(), String> {
    if path.contains(['*', '?', '[', ']', '\\', '#', '{', '}'])
        || path.contains(char::is_whitespace)
    {
        Err("it holds a space or one of `*?[]{}#\\`".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_expand_in_order() {
        assert_eq!(
            expand("teams/{a,b}/**").expect("valid"),
            vec!["teams/a/**", "teams/b/**"]
        );
        assert_eq!(
            expand("./{x,y}-{1,2}.toml").expect("valid"),
            vec!["x-1.toml", "x-2.toml", "y-1.toml", "y-2.toml"]
        );
        assert_eq!(expand("teams/p/**").expect("valid"), vec!["teams/p/**"]);
    }

    #[test]
    fn what_codeowners_cannot_say_is_refused() {
        for bad in ["teams/[ab]/**", "a\\*.toml", "my team/**", "#x", "", "/abs"] {
            assert!(expand(bad).is_err(), "{bad}");
        }
        let many = "{a,b,c,d}{a,b,c,d}{a,b,c,d,e}";
        assert!(expand(many).is_err());
        assert!(literal("00-ipam.toml").is_ok());
        assert!(literal("a b.toml").is_err());
    }

    #[test]
    fn broader_patterns_sort_first() {
        assert!(breadth("**/x.toml") < breadth("teams/**"));
        assert!(breadth("teams/**") < breadth("teams/payments/**"));
        assert!(breadth("teams/payments") < breadth("teams/payments/eu/**"));
    }

    #[test]
    fn handles_are_users_teams_or_emails() {
        for ok in ["@octocat", "@org/team-a", "@my.org/t_1", "net@example.com"] {
            assert!(handle(ok).is_ok(), "{ok}");
        }
        for bad in [
            "octocat",
            "@",
            "@org/",
            "@a/b/c",
            "@a b",
            "x@y",
            "@org/te am",
        ] {
            assert!(handle(bad).is_err(), "{bad}");
        }
    }
}
