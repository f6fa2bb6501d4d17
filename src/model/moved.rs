//! `[[moved]]` blocks: resource addresses that rename in the recorded state (SPEC §6).

use std::collections::{BTreeMap, BTreeSet};

use super::context::Cx;
use super::teams::{PERMISSIONS, whose};
use super::{Address, Model, Moved, TeamId};
use crate::config::RawPlan;
use crate::config::raw::Sp;
use crate::diag::{Diag, Loc};

impl Cx {
    pub(super) fn moved(&mut self, raw: &RawPlan, model: &Model) -> Vec<Moved> {
        let mut out: Vec<Moved> = Vec::new();
        if raw.files.iter().all(|(_, f)| f.moved.is_empty()) {
            return out;
        }
        let names = Names::of(model);
        // Old address → where its block is, for duplicates.
        let mut sources: BTreeMap<Address, Loc> = BTreeMap::new();
        for (file, f) in &raw.files {
            for m in &f.moved {
                let loc = Loc::new(*file, m.span.clone());
                let parse = |cx: &mut Cx, s: &Sp<String>| {
                    let l = Loc::new(*file, s.span.clone());
                    let a = Address::parse(&s.value);
                    if a.is_none() {
                        cx.push(
                            Diag::error("ipam::moved::address", format!("`{}` is not a resource address", s.value))
                                .at(&l, "not an address")
                                .help("write scope.NAME, pool.NAME, vpc.NAME, vpc.NAME.subnet.S or reservation.NAME"),
                        );
                    }
                    a.map(|a| (a, l))
                };
                let (Some((from, from_loc)), Some((to, to_loc))) =
                    (parse(self, &m.value.from), parse(self, &m.value.to))
                else {
                    continue;
                };
                if std::mem::discriminant(&from) != std::mem::discriminant(&to) {
                    self.push(
                        Diag::error(
                            "ipam::moved::kind",
                            format!("`{from}` and `{to}` are different kinds of resource"),
                        )
                        .at(&to_loc, "another kind")
                        .help("`moved` renames a resource; it cannot turn one kind into another"),
                    );
                    continue;
                }
                let broken = match &to {
                    Address::Vpc(v) | Address::Subnet(v, _) => self.broken_vpcs.contains(v),
                    Address::Pool(p) => self.is_suppressed(p),
                    _ => false,
                };
                if !names.exists(&to) && !broken {
                    self.push(
                        Diag::error("ipam::moved::target", format!("`{to}` is not in the plan"))
                            .at(&to_loc, "no such resource")
                            .help("`to` names the resource's new address in the plan"),
                    );
                }
                if names.exists(&from) {
                    self.push(
                        Diag::error(
                            "ipam::moved::source",
                            format!("`{from}` is still in the plan"),
                        )
                        .at(&from_loc, "still declared")
                        .help("`from` is the old address; remove or rename the old declaration"),
                    );
                }
                if let Some(prev) = sources.get(&from) {
                    let prev = prev.clone();
                    self.duplicate("moved block for", &from.to_string(), &loc, &prev);
                    continue;
                }
                let team = model.team_of_file(*file);
                if let Some(t) = team {
                    self.team_moved(model, &names, t, &to, &to_loc);
                }
                sources.insert(from.clone(), loc.clone());
                out.push(Moved {
                    from,
                    to,
                    loc,
                    team,
                });
            }
        }
        out
    }
}

/// The names of the plan's resources, for lookups that must not scan the plan per `moved`
/// block.
struct Names<'m> {
    scopes: BTreeSet<&'m str>,
    /// VPC → the team whose file declares it.
    vpcs: BTreeMap<&'m str, Option<TeamId>>,
    subnets: BTreeSet<(&'m str, &'m str)>,
    /// Reservation → the team whose file declares it.
    reservations: BTreeMap<&'m str, Option<TeamId>>,
    model: &'m Model,
}

impl<'m> Names<'m> {
    fn of(model: &'m Model) -> Names<'m> {
        Names {
            scopes: model.scopes.iter().map(|s| s.name.as_str()).collect(),
            vpcs: model
                .vpcs
                .iter()
                .map(|v| (v.name.as_str(), v.team))
                .collect(),
            subnets: model
                .vpcs
                .iter()
                .flat_map(|v| v.subnets.iter().map(|s| (v.name.as_str(), s.name.as_str())))
                .collect(),
            reservations: model
                .reservations
                .iter()
                .map(|r| (r.name.as_str(), r.team))
                .collect(),
            model,
        }
    }

    fn exists(&self, address: &Address) -> bool {
        match address {
            Address::Scope(n) => self.scopes.contains(n.as_str()),
            Address::Pool(n) => self.model.pool_id(n).is_some(),
            Address::Vpc(n) => self.vpcs.contains_key(n.as_str()),
            Address::Subnet(v, s) => self.subnets.contains(&(v.as_str(), s.as_str())),
            Address::Reservation(n) => self.reservations.contains_key(n.as_str()),
        }
    }

    /// The team whose file declares a VPC, subnet or reservation of the plan: `Some(None)`
    /// for the IPAM owner's files, `None` for a resource not in the plan (or not one a
    /// team may declare).
    fn team(&self, address: &Address) -> Option<Option<TeamId>> {
        match address {
            Address::Vpc(v) | Address::Subnet(v, _) => self.vpcs.get(v.as_str()).copied(),
            Address::Reservation(n) => self.reservations.get(n.as_str()).copied(),
            Address::Scope(_) | Address::Pool(_) => None,
        }
    }
}

impl Cx {
    /// A `[[moved]]` block in team `team`'s file renames a VPC, subnet or reservation onto
    /// a resource of the team's own files. Whose the renamed resource was is known from
    /// the recorded state, and checked when planning.
    fn team_moved(
        &mut self,
        model: &Model,
        names: &Names<'_>,
        team: TeamId,
        to: &Address,
        loc: &Loc,
    ) {
        let name = &model.team(team).name;
        let (message, label) = match to {
            Address::Scope(_) | Address::Pool(_) => (
                format!(
                    "team `{name}` may not rename `{to}`: only VPCs, subnets and reservations are a team's"
                ),
                "not a team's resource".to_string(),
            ),
            _ => match names.team(to) {
                Some(declared) if declared != Some(team) => (
                    format!(
                        "team `{name}` may not rename `{to}`: it is declared in a file of {}",
                        whose(&model.teams, declared)
                    ),
                    "another's resource".to_string(),
                ),
                _ => return,
            },
        };
        self.push(
            Diag::error("ipam::team::moved", message)
                .at(loc, label)
                .help(format!(
                    "write the `moved` block in the file that declares `{to}`; {PERMISSIONS}"
                )),
        );
    }
}
