//! The plan's frame: the `[ipam]` table (name, operating regions, owner, profile), the
//! `[accounts]` that owners and `shared_with` name, the scopes pools live in, and `[state]`,
//! where the state lives.

use std::collections::BTreeMap;

use super::context::{Cx, entries};
use super::{Ipam, Profile, Scope};
use crate::config::RawPlan;
use crate::config::raw::{RawIpam, RawState, Sp};
use crate::diag::{Diag, FileId, Loc};

impl Cx {
    /// `[state]`: in one file at most. Whether its `url` is a location a state can live at
    /// is the state module's to say (`state::check_plan_url`, run beside the build).
    pub(super) fn state(&mut self, raw: &RawPlan) {
        let found: Vec<(FileId, &Sp<RawState>)> = raw
            .files
            .iter()
            .filter_map(|(file, f)| f.state.as_ref().map(|s| (*file, s)))
            .collect();
        let Some((file, first)) = found.first().copied() else {
            return;
        };
        for (other_file, other) in &found[1..] {
            self.duplicate(
                "table",
                "state",
                &Loc::new(*other_file, other.span.clone()),
                &Loc::new(file, first.span.clone()),
            );
        }
    }

    pub(super) fn ipam(&mut self, raw: &RawPlan) -> Ipam {
        let mut found: Vec<(FileId, &Sp<RawIpam>)> = raw
            .files
            .iter()
            .filter_map(|(file, f)| f.ipam.as_ref().map(|i| (*file, i)))
            .collect();
        let Some((file, first)) = found.first().copied() else {
            self.push(
                Diag::error("ipam::ipam::missing", "the plan has no [ipam] table")
                    .help("add `[ipam]` with `name` and `regions` to one of the plan's files"),
            );
            return Ipam {
                name: String::new(),
                regions: Vec::new(),
                owner: None,
                profile: Profile::NONE,
                description: None,
            };
        };
        for (other_file, other) in found.drain(1..) {
            self.duplicate(
                "table",
                "ipam",
                &Loc::new(other_file, other.span.clone()),
                &Loc::new(file, first.span.clone()),
            );
        }
        let raw_ipam = &first.value;
        let mut regions: Vec<String> = Vec::new();
        let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
        for r in &raw_ipam.regions.value {
            let loc = Loc::new(file, r.span.clone());
            if let Some(prev) = seen.get(r.value.as_str()) {
                let prev = prev.clone();
                self.duplicate("region", &r.value, &loc, &prev);
            } else {
                seen.insert(&r.value, loc);
                regions.push(r.value.clone());
            }
        }
        if regions.is_empty() {
            self.push(
                Diag::error("ipam::ipam::regions", "the IPAM has no regions")
                    .at(&Loc::new(file, raw_ipam.regions.span.clone()), "empty list")
                    .help("list the operating regions; the first is the managed region"),
            );
        }
        Ipam {
            name: raw_ipam.name.value.clone(),
            regions,
            owner: raw_ipam.owner.as_ref().map(|o| o.value.clone()),
            profile: raw_ipam
                .profile
                .as_ref()
                .map_or(Profile::NONE, |p| Profile::of(p.value)),
            description: raw_ipam.description.as_ref().map(|d| d.value.clone()),
        }
    }

    pub(super) fn accounts(&mut self, raw: &RawPlan) -> BTreeMap<String, String> {
        let mut accounts = BTreeMap::new();
        let mut locs: BTreeMap<String, Loc> = BTreeMap::new();
        let mut all: Vec<(FileId, &Sp<String>, &Sp<String>)> = raw
            .files
            .iter()
            .flat_map(|(file, f)| f.accounts.iter().map(move |(k, v)| (*file, k, v)))
            .collect();
        all.sort_by_key(|(file, k, _)| (*file, k.span.start));
        for (file, name, id) in all {
            let loc = Loc::new(file, name.span.clone());
            if let Some(first) = locs.get(&name.value) {
                let first = first.clone();
                self.duplicate("account", &name.value, &loc, &first);
                continue;
            }
            locs.insert(name.value.clone(), loc);
            accounts.insert(name.value.clone(), id.value.clone());
        }
        // The owner names an account.
        if let Some((file, owner)) = raw.files.iter().find_map(|(file, f)| {
            f.ipam
                .as_ref()
                .and_then(|i| i.value.owner.as_ref())
                .map(|o| (*file, o))
        }) && !accounts.contains_key(&owner.value)
        {
            self.unresolved(
                "account",
                &owner.value,
                &Loc::new(file, owner.span.clone()),
                accounts.keys(),
            );
        }
        accounts
    }

    pub(super) fn scopes(&mut self, raw: &RawPlan, profile: &Profile) -> Vec<Scope> {
        let mut scopes = vec![
            Scope {
                name: "private".into(),
                description: Some("Built-in private scope".into()),
                loc: None,
            },
            Scope {
                name: "public".into(),
                description: Some("Built-in public scope".into()),
                loc: None,
            },
        ];
        for (file, name, scope) in entries(raw, |f| &f.scopes) {
            let loc = Loc::new(file, name.span.clone());
            if let Some(existing) = scopes.iter().find(|s| s.name == name.value) {
                match &existing.loc {
                    Some(first) => {
                        let first = first.clone();
                        self.duplicate("scope", &name.value, &loc, &first);
                    }
                    None => self.push(
                        Diag::error(
                            "ipam::name::builtin",
                            format!("scope `{}` is built in", name.value),
                        )
                        .at(&loc, "cannot be declared")
                        .help(
                            "`private` and `public` always exist; give a custom scope another name",
                        ),
                    ),
                }
                continue;
            }
            scopes.push(Scope {
                name: name.value.clone(),
                description: scope.value.description.as_ref().map(|d| d.value.clone()),
                loc: Some(loc),
            });
        }
        if let Some(max) = profile.max_scopes
            && scopes.len() > max
            && let Some(loc) = scopes[max].loc.clone()
        {
            self.push(
                Diag::error(
                    "ipam::profile::scopes",
                    format!(
                        "{} scopes, but the `{}` profile allows {max} per IPAM",
                        scopes.len(),
                        profile.name
                    ),
                )
                .at(&loc, "one scope too many")
                .help(
                    "the count includes the built-in `private` and `public`; merge custom scopes or use profile \"none\"",
                ),
            );
        }
        scopes
    }
}
