//! `[[moved]]` blocks: resource addresses that rename in the recorded state (SPEC §6).

use super::context::Cx;
use super::{Address, Model, Moved};
use crate::config::RawPlan;
use crate::config::raw::Sp;
use crate::diag::{Diag, Loc};

impl Cx {
    pub(super) fn moved(&mut self, raw: &RawPlan, model: &Model) -> Vec<Moved> {
        let mut out: Vec<Moved> = Vec::new();
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
                if !exists(model, &to) && !broken {
                    self.push(
                        Diag::error("ipam::moved::target", format!("`{to}` is not in the plan"))
                            .at(&to_loc, "no such resource")
                            .help("`to` names the resource's new address in the plan"),
                    );
                }
                if exists(model, &from) {
                    self.push(
                        Diag::error(
                            "ipam::moved::source",
                            format!("`{from}` is still in the plan"),
                        )
                        .at(&from_loc, "still declared")
                        .help("`from` is the old address; remove or rename the old declaration"),
                    );
                }
                if let Some(prev) = out.iter().find(|p| p.from == from) {
                    let prev = prev.loc.clone();
                    self.duplicate("moved block for", &from.to_string(), &loc, &prev);
                    continue;
                }
                out.push(Moved { from, to, loc });
            }
        }
        out
    }
}

fn exists(model: &Model, address: &Address) -> bool {
    match address {
        Address::Scope(n) => model.scopes.iter().any(|s| s.name == *n),
        Address::Pool(n) => model.pool_id(n).is_some(),
        Address::Vpc(n) => model.vpcs.iter().any(|v| v.name == *n),
        Address::Subnet(v, s) => model
            .vpcs
            .iter()
            .any(|vpc| vpc.name == *v && vpc.subnets.iter().any(|x| x.name == *s)),
        Address::Reservation(n) => model.reservations.iter().any(|r| r.name == *n),
    }
}
