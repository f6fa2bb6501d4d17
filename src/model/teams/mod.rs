//! Teams (SPEC §16): the principal accounts of the clouds' pool sharing, as files. The IPAM
//! owner declares `[teams.NAME] account = "…", paths = ["glob", …]`; a file a team's paths
//! match is that team's, every other file is the owner's. A team's file may hold only what
//! AWS and Alibaba Cloud IPAM let a principal account do on a shared pool (seed 003): VPCs
//! and custom allocations (reservations) in pools shared with its account, as that account,
//! and renames of its own resources. Everything else in it is refused where it is written.
//!
//! Here: the teams, which file is whose, and the tables a team's file may not hold. The
//! checks on a team's VPCs, reservations and `[[moved]]` blocks are made where those are
//! built (`allocations.rs`, `moved.rs`), with [`PERMISSIONS`] as the reason.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::context::{Cx, entries};
use super::{Ipam, Model, PoolId, Team, TeamId};
use crate::config::raw::{RawFile, RawLayout, Sp};
use crate::config::{PathGlobs, RawPlan};
use crate::diag::{Diag, FileId, Loc};

/// Why a team's file is limited, in the clouds' words: the reason every team diagnostic
/// gives.
pub(super) const PERMISSIONS: &str = "a team's file may declare only VPCs and reservations \
in pools shared with its account, and `[[moved]]` of its own resources, as AWS and Alibaba \
Cloud IPAM allow a principal account on a shared pool: create VPCs and custom allocations; \
never edit the pool, provision CIDRs, change allocation rules or enable auto-import";

/// The teams and which file is whose.
#[derive(Debug, Default)]
pub(super) struct TeamFrame {
    /// By name.
    pub teams: Vec<Team>,
    /// The team of each team file; the owner's files are not listed.
    pub of_file: BTreeMap<FileId, TeamId>,
    /// Files that declare what only the IPAM owner may, in path order.
    pub frame_files: Vec<FileId>,
}

/// A declared team, before its files are known.
struct Declared<'a> {
    name: &'a Sp<String>,
    loc: Loc,
    file: FileId,
    account: &'a Sp<String>,
    paths: &'a Sp<Vec<Sp<String>>>,
    description: Option<String>,
}

impl Cx {
    /// Reads the teams, assigns every file to its team or to the owner, and refuses in the
    /// teams' files every table only the owner may declare.
    pub(super) fn teams(
        &mut self,
        raw: &RawPlan,
        ipam: &Ipam,
        accounts: &BTreeMap<String, String>,
    ) -> TeamFrame {
        let mut frame = TeamFrame {
            frame_files: raw
                .files
                .iter()
                .filter(|(_, f)| declares_frame(f))
                .map(|(id, _)| *id)
                .collect(),
            ..TeamFrame::default()
        };
        // Teams are declared beside `[ipam]` (the first, as the model reads it; another is
        // a duplicate): that file is the root of the owner's authority, so nothing another
        // file says can change whose a file is.
        let Some(root) = raw
            .files
            .iter()
            .find(|(_, f)| f.ipam.is_some())
            .map(|(id, _)| *id)
        else {
            // Without `[ipam]` (reported) there is no owner's file to trust.
            return frame;
        };
        let (mut declared, elsewhere): (Vec<Declared<'_>>, Vec<Declared<'_>>) = self
            .unique("team", entries(raw, |f| &f.teams))
            .into_iter()
            .map(|(file, loc, name, team)| Declared {
                name,
                loc,
                file,
                account: &team.value.account,
                paths: &team.value.paths,
                description: team.value.description.as_ref().map(|d| d.value.clone()),
            })
            .partition(|d| d.file == root);
        if declared.is_empty() && elsewhere.is_empty() {
            return frame;
        }
        declared.sort_by(|a, b| a.name.value.cmp(&b.name.value));
        self.team_accounts(&declared, ipam, accounts);
        // Every team's patterns in one set; `owner_of[k]` is the team of pattern k.
        let mut patterns: Vec<(&str, Loc)> = Vec::new();
        let mut owner_of: Vec<usize> = Vec::new();
        for (t, d) in declared.iter().enumerate() {
            if d.paths.value.is_empty() {
                self.push(
                    Diag::error(
                        "ipam::team::paths",
                        format!("team `{}` has no paths", d.name.value),
                    )
                    .at(&Loc::new(d.file, d.paths.span.clone()), "no files")
                    .help("list the team's files: globs relative to the plan directory, e.g. `teams/payments/**`"),
                );
            }
            for p in &d.paths.value {
                patterns.push((&p.value, Loc::new(d.file, p.span.clone())));
                owner_of.push(t);
            }
        }
        let texts: Vec<&str> = patterns.iter().map(|(p, _)| *p).collect();
        let (globs, bad) = PathGlobs::new(&raw.root, &texts);
        for (k, reason) in bad {
            self.push(
                Diag::error(
                    "ipam::team::paths",
                    format!("`{}` is not a glob pattern: {reason}", patterns[k].0),
                )
                .at(&patterns[k].1, "invalid pattern")
                .help("patterns are globs relative to the plan directory: `*` and `?` within one path segment, `**` across them"),
            );
        }
        let mut files: Vec<Vec<FileId>> = vec![Vec::new(); declared.len()];
        let mut matched = vec![false; declared.len()];
        for (id, _) in &raw.files {
            let ks = globs.matching(&raw.sources.get(*id).path);
            let teams: BTreeSet<usize> = ks.iter().map(|&k| owner_of[k]).collect();
            for &t in &teams {
                matched[t] = true;
            }
            let file = rel(raw, *id);
            let mut it = teams.iter().copied();
            match (it.next(), it.next()) {
                (Some(t), _) if *id == root => {
                    let at = ks.iter().copied().find(|&k| owner_of[k] == t).unwrap_or(0);
                    self.push(
                        Diag::error(
                            "ipam::team::owner_file",
                            format!(
                                "`{file}` declares the IPAM and its teams, but team `{}`'s paths match it",
                                declared[t].name.value
                            ),
                        )
                        .at(&patterns[at].1, format!("matches `{file}`"))
                        .help("the file that declares `[ipam]` and `[teams]` stays the IPAM owner's: narrow the pattern"),
                    );
                }
                (Some(t), None) => {
                    frame.of_file.insert(*id, TeamId(t));
                    files[t].push(*id);
                }
                (Some(a), Some(b)) => {
                    // Located at b's pattern, pointing back at a's.
                    let pattern = |t: usize| ks.iter().copied().find(|&k| owner_of[k] == t);
                    let (Some(ka), Some(kb)) = (pattern(a), pattern(b)) else {
                        continue;
                    };
                    self.push(
                        Diag::error(
                            "ipam::team::overlap",
                            format!(
                                "`{file}` is matched by the paths of team `{}` and team `{}`",
                                declared[a].name.value, declared[b].name.value
                            ),
                        )
                        .at(&patterns[kb].1, format!("matches `{file}`"))
                        .note(&patterns[ka].1, format!("team `{}`'s pattern", declared[a].name.value))
                        .help("a file belongs to one team: narrow one of the patterns, or move the file"),
                    );
                }
                (None, _) => {}
            }
        }
        for (t, d) in declared.iter().enumerate() {
            if !matched[t] && !d.paths.value.is_empty() {
                self.push(
                    Diag::error(
                        "ipam::team::unmatched",
                        format!("team `{}`'s paths match no plan file", d.name.value),
                    )
                    .at(&Loc::new(d.file, d.paths.span.clone()), "matches nothing")
                    .help("check the patterns (relative to the plan directory; `*` stays within one path segment, `**` crosses them); a new team's first file may be empty"),
                );
            }
        }
        // Teams declared anywhere else are refused, and decide nothing.
        for d in &elsewhere {
            let file = rel(raw, d.file);
            match frame.of_file.get(&d.file) {
                Some(t) => self.team_forbidden(
                    &declared[t.0].name.value,
                    &d.loc,
                    &format!("teams (`{}`)", d.name.value),
                    &file,
                ),
                None => {
                    let root = rel(raw, root);
                    self.push(
                        Diag::error(
                            "ipam::team::declared",
                            format!("team `{}` is declared outside the file that declares `[ipam]`", d.name.value),
                        )
                        .at(&d.loc, "not beside `[ipam]`")
                        .help(format!("move `[teams.{}]` to `{root}`: only the file that declares the IPAM decides whose each file is", d.name.value)),
                    );
                }
            }
        }
        frame.teams = declared
            .into_iter()
            .zip(files)
            .map(|(d, files)| Team {
                name: d.name.value.clone(),
                account: d.account.value.clone(),
                paths: d
                    .paths
                    .value
                    .iter()
                    .map(|p| (p.value.clone(), Loc::new(d.file, p.span.clone())))
                    .collect(),
                files,
                description: d.description,
                loc: d.loc,
            })
            .collect();
        for (id, f) in &raw.files {
            if let Some(&t) = frame.of_file.get(id) {
                self.team_file(&frame.teams[t.0].name, *id, f, &rel(raw, *id));
            }
        }
        frame
    }

    /// A team's account names an account, not the IPAM owner's, and no other team's.
    fn team_accounts(
        &mut self,
        declared: &[Declared<'_>],
        ipam: &Ipam,
        accounts: &BTreeMap<String, String>,
    ) {
        let mut taken: BTreeMap<&str, &Declared<'_>> = BTreeMap::new();
        for d in declared {
            let account = &d.account.value;
            let loc = Loc::new(d.file, d.account.span.clone());
            if !accounts.contains_key(account) {
                self.unresolved("account", account, &loc, accounts.keys());
            } else if ipam.owner.as_deref() == Some(account.as_str()) {
                self.push(
                    Diag::error(
                        "ipam::team::account",
                        format!("team `{}`'s account `{account}` is the IPAM owner", d.name.value),
                    )
                    .at(&loc, "the IPAM owner")
                    .help("the IPAM owner's files are every file no team's paths match; give the team its own account"),
                );
            } else if let Some(first) = taken.get(account.as_str()) {
                self.push(
                    Diag::error(
                        "ipam::team::account",
                        format!(
                            "account `{account}` is already team `{}`'s",
                            first.name.value
                        ),
                    )
                    .at(&loc, "taken by another team")
                    .note(
                        &Loc::new(first.file, first.account.span.clone()),
                        "first given here",
                    )
                    .help("a team is one account: list the paths of both under one team"),
                );
            } else {
                taken.insert(account, d);
            }
        }
    }

    /// Refuses, in team `team`'s file, every table only the IPAM owner may declare.
    fn team_file(&mut self, team: &str, file: FileId, f: &RawFile, name: &str) {
        // Destructured in full, so a table added to the plan language cannot be forgotten
        // here: a team's file holds only what is listed as allowed.
        let RawFile {
            ipam,
            accounts,
            scopes,
            pools,
            layouts,
            audit,
            state,
            // Refused before the files were assigned (they decide the assignment).
            teams: _,
            // Allowed, and checked where they are built.
            vpcs: _,
            reservations: _,
            moved: _,
        } = f;
        let at = |span: &Range<usize>| Loc::new(file, span.clone());
        if let Some(i) = ipam {
            self.team_forbidden(team, &at(&i.span), "the IPAM (`[ipam]`)", name);
        }
        for key in ordered(accounts.keys()) {
            self.team_forbidden(
                team,
                &at(&key.span),
                &format!("accounts (`{}`)", key.value),
                name,
            );
        }
        for key in ordered(scopes.keys()) {
            self.team_forbidden(
                team,
                &at(&key.span),
                &format!("scopes (`{}`)", key.value),
                name,
            );
        }
        for (key, pool) in ordered_entries(pools) {
            match &pool.value.allocation {
                Some(rules) => self.team_rules(
                    team,
                    &at(&rules.span),
                    &format!("pool `{}`", key.value),
                    name,
                ),
                None => self.team_forbidden(
                    team,
                    &at(&key.span),
                    &format!("pools (`{}`)", key.value),
                    name,
                ),
            }
        }
        for (key, layout) in ordered_entries(layouts) {
            match layout_rules(&layout.value) {
                Some(span) => {
                    self.team_rules(team, &at(span), &format!("layout `{}`", key.value), name)
                }
                None => self.team_forbidden(
                    team,
                    &at(&key.span),
                    &format!("layouts (`{}`)", key.value),
                    name,
                ),
            }
        }
        if let Some(a) = audit {
            self.team_forbidden(team, &at(&a.span), "audit settings (`[audit]`)", name);
        }
        if let Some(st) = state {
            self.team_forbidden(
                team,
                &at(&st.span),
                "where the state lives (`[state]`)",
                name,
            );
        }
    }

    /// Something only the IPAM owner may declare, found in a team's file.
    fn team_forbidden(&mut self, team: &str, loc: &Loc, what: &str, file: &str) {
        self.push(
            Diag::error(
                "ipam::team::forbidden",
                format!("team `{team}` may not declare {what}: `{file}` is the team's file"),
            )
            .at(loc, "only the IPAM owner's files may declare this")
            .help(format!(
                "move it to a file of the IPAM owner (one no team's `paths` match); {PERMISSIONS}"
            )),
        );
    }

    /// Allocation rules in a team's file.
    fn team_rules(&mut self, team: &str, loc: &Loc, on: &str, file: &str) {
        self.push(
            Diag::error(
                "ipam::team::rules",
                format!("team `{team}` may not set allocation rules ({on} in the team's file `{file}`)"),
            )
            .at(loc, "allocation rules in a team's file")
            .help(format!(
                "only the IPAM owner sets a pool's allocation rules: move the pool to a file of the IPAM owner; {PERMISSIONS}"
            )),
        );
    }

    /// A VPC in a team's file owned by another account.
    pub(super) fn team_owner(&mut self, model: &Model, team: TeamId, owner: &str, loc: &Loc) {
        let t = model.team(team);
        self.push(
            Diag::error(
                "ipam::team::owner",
                format!(
                    "team `{}` may not declare a VPC owned by account `{owner}`",
                    t.name
                ),
            )
            .at(loc, format!("not the team's account `{}`", t.account))
            .help(format!(
                "a VPC in team `{}`'s file is owned by its account: remove `owner` (it defaults to `{}`) or move the VPC to a file of the account's team; {PERMISSIONS}",
                t.name, t.account
            )),
        );
    }

    /// A block a team's file takes from a pool not shared with the team's account.
    pub(super) fn team_shared(&mut self, model: &Model, team: TeamId, pool: PoolId, loc: &Loc) {
        let t = model.team(team);
        let p = model.pool(pool);
        if p.shared_with.contains(&t.account) {
            return;
        }
        self.push(
            Diag::error(
                "ipam::team::unshared",
                format!(
                    "pool `{}` is not shared with team `{}`'s account `{}`",
                    p.name, t.name, t.account
                ),
            )
            .at(loc, format!("not shared with `{}`", t.account))
            .help(format!(
                "take the block from a pool shared with `{}`, or ask the IPAM owner to add \"{}\" to the pool's `shared_with`; {PERMISSIONS}",
                t.account, t.account
            )),
        );
    }
}

/// The team, when its account can be checked against pools' sharing: an account of the
/// plan, not the IPAM owner's (both reported where the team is declared).
pub(super) fn usable_account(model: &Model, team: TeamId) -> Option<TeamId> {
    let account = &model.team(team).account;
    (model.accounts.contains_key(account) && model.ipam.owner.as_deref() != Some(account))
        .then_some(team)
}

/// Whether a file declares something only the IPAM owner may.
fn declares_frame(f: &RawFile) -> bool {
    f.ipam.is_some()
        || !f.teams.is_empty()
        || !f.accounts.is_empty()
        || !f.scopes.is_empty()
        || !f.pools.is_empty()
        || !f.layouts.is_empty()
        || f.audit.is_some()
}

/// Where a layout sets allocation rules (its leaf's, else its first level's that does).
fn layout_rules(layout: &RawLayout) -> Option<&Range<usize>> {
    layout
        .leaf
        .as_ref()
        .and_then(|l| l.value.allocation.as_ref())
        .or_else(|| {
            layout
                .levels
                .value
                .iter()
                .find_map(|l| l.value.allocation.as_ref())
        })
        .map(|r| &r.span)
}

/// Keys in file order.
fn ordered<'a>(keys: impl Iterator<Item = &'a Sp<String>>) -> Vec<&'a Sp<String>> {
    let mut keys: Vec<&Sp<String>> = keys.collect();
    keys.sort_by_key(|k| k.span.start);
    keys
}

/// Entries of a named table in file order.
fn ordered_entries<T>(table: &BTreeMap<Sp<String>, Sp<T>>) -> Vec<(&Sp<String>, &Sp<T>)> {
    let mut all: Vec<_> = table.iter().collect();
    all.sort_by_key(|(k, _)| k.span.start);
    all
}

/// A file's path relative to the plan directory, as messages name it.
pub(super) fn rel(raw: &RawPlan, file: FileId) -> String {
    let path = &raw.sources.get(file).path;
    path.strip_prefix(&raw.root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// "team `payments`", or "the IPAM owner" for `None`: whose file something is in.
pub(super) fn whose(teams: &[Team], team: Option<TeamId>) -> String {
    match team {
        Some(t) => format!("team `{}`", teams[t.0].name),
        None => "the IPAM owner".to_string(),
    }
}

#[cfg(test)]
mod tests;
