//! `[[moved]]` blocks: resource addresses that rename in the recorded state (SPEC §6).

use std::collections::{BTreeMap, BTreeSet};

use super::context::Cx;
use super::{Address, Model, Moved};
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
                sources.insert(from.clone(), loc.clone());
                out.push(Moved { from, to, loc });
            }
        }
        out
    }
}

/// The names of the plan's resources, for lookups that must not scan the plan per `moved`
/// block.
struct Names<'m> {
    scopes: BTreeSet<&'m str>,
    vpcs: BTreeSet<&'m str>,
    subnets: BTreeSet<(&'m str, &'m str)>,
    reservations: BTreeSet<&'m str>,
    model: &'m Model,
}

impl<'m> Names<'m> {
    fn of(model: &'m Model) -> Names<'m> {
        Names {
            scopes: model.scopes.iter().map(|s| s.name.as_str()).collect(),
            vpcs: model.vpcs.iter().map(|v| v.name.as_str()).collect(),
            subnets: model
                .vpcs
                .iter()
                .flat_map(|v| v.subnets.iter().map(|s| (v.name.as_str(), s.name.as_str())))
                .collect(),
            reservations: model.reservations.iter().map(|r| r.name.as_str()).collect(),
            model,
        }
    }

    fn exists(&self, address: &Address) -> bool {
        match address {
            Address::Scope(n) => self.scopes.contains(n.as_str()),
            Address::Pool(n) => self.model.pool_id(n).is_some(),
            Address::Vpc(n) => self.vpcs.contains(n.as_str()),
            Address::Subnet(v, s) => self.subnets.contains(&(v.as_str(), s.as_str())),
            Address::Reservation(n) => self.reservations.contains(n.as_str()),
        }
    }
}
