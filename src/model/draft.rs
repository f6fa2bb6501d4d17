//! Pools before their references are resolved: what a `[pools.*]` entry or a layout slot
//! says, read into one shape so that declared and generated pools are built the same way;
//! and the declared pools read into it.

use std::collections::BTreeMap;

use super::context::{Cx, entries};
use super::limits::MAX_POOLS;
use super::{Origin, Provision};
use crate::addr::Prefix;
use crate::config::RawPlan;
use crate::config::raw::{PoolAttrs, RawPool, RawRules, Sp, Tags};
use crate::diag::{Diag, FileId, Loc};

/// A pool before its references are resolved: declared in `[pools.*]` or generated.
#[derive(Debug)]
pub(super) struct Draft {
    pub name: String,
    pub loc: Loc,
    pub origin: Origin,
    /// Declared `scope`, for top-level pools.
    pub scope: Option<(String, Loc)>,
    pub parent: Option<(String, Loc)>,
    pub provision: Option<Provision>,
    pub region: Option<(String, Loc)>,
    pub attrs: Attrs,
    pub held: Vec<(Prefix, Loc)>,
}

/// Pool attributes, checked where they can be without knowing the pool's family.
#[derive(Debug, Default, Clone)]
pub(super) struct Attrs {
    /// `min_netmask`, `default_netmask`, `max_netmask`.
    pub rules: [Option<(i64, Loc)>; 3],
    pub required_tags: BTreeMap<String, String>,
    pub auto_import: Option<(bool, Loc)>,
    pub shared_with: Vec<(String, Loc)>,
    pub alert_at: Option<(i64, Loc)>,
    pub protect: bool,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl Attrs {
    /// Reads raw attributes; `over` wins where both set a value (a layout leaf over its
    /// level).
    pub fn read(file: FileId, base: PoolAttrs<'_>, over: Option<PoolAttrs<'_>>) -> Attrs {
        let pick = |f: &dyn Fn(&PoolAttrs<'_>) -> bool| over.filter(|o| f(o)).unwrap_or(base);
        let loc = |span: &std::ops::Range<usize>| Loc::new(file, span.clone());
        let rules_of = pick(&|a| a.allocation.is_some());
        let rule = |get: fn(&RawRules) -> &Option<Sp<i64>>| {
            rules_of
                .allocation
                .and_then(|r| get(&r.value).as_ref())
                .map(|v| (v.value, loc(&v.span)))
        };
        let tags_of = |t: &Tags| -> BTreeMap<String, String> {
            t.iter()
                .map(|(k, v)| (k.value.clone(), v.value.clone()))
                .collect()
        };
        Attrs {
            rules: [
                rule(|r| &r.min_netmask),
                rule(|r| &r.default_netmask),
                rule(|r| &r.max_netmask),
            ],
            required_tags: tags_of(pick(&|a| !a.required_tags.is_empty()).required_tags),
            auto_import: pick(&|a| a.auto_import.is_some())
                .auto_import
                .map(|v| (v.value, loc(&v.span))),
            shared_with: pick(&|a| a.shared_with.is_some())
                .shared_with
                .map(|v| {
                    v.value
                        .iter()
                        .map(|a| (a.value.clone(), loc(&a.span)))
                        .collect()
                })
                .unwrap_or_default(),
            alert_at: pick(&|a| a.alert_at.is_some())
                .alert_at
                .map(|v| (v.value, loc(&v.span))),
            protect: pick(&|a| a.protect.is_some())
                .protect
                .is_some_and(|v| v.value),
            description: pick(&|a| a.description.is_some())
                .description
                .map(|v| v.value.clone()),
            tags: tags_of(pick(&|a| !a.tags.is_empty()).tags),
        }
    }
}

impl Cx {
    /// The `[pools.*]` entries of every file, in declaration order, as drafts.
    pub(super) fn declared_pools(&mut self, raw: &RawPlan) -> Vec<Draft> {
        let mut drafts: Vec<Draft> = Vec::new();
        let declared = self.unique("pool", entries(raw, |f| &f.pools));
        let declared = self.at_most("ipam::limit::pools", "pools", MAX_POOLS, declared, |e| {
            e.1.clone()
        });
        for (file, loc, name, pool) in declared {
            let p: &RawPool = &pool.value;
            let at = |s: &Sp<String>| (s.value.clone(), Loc::new(file, s.span.clone()));
            let provision = self.provision(file, p, &loc);
            drafts.push(Draft {
                name: name.value.clone(),
                loc,
                origin: Origin::Declared,
                scope: p.scope.as_ref().map(at),
                parent: p.parent.as_ref().map(at),
                provision,
                region: p.region.as_ref().map(at),
                attrs: Attrs::read(file, p.attrs(), None),
                held: Vec::new(),
            });
        }
        drafts
    }

    /// `cidrs` xor `netmask`; `netmask` only for a sub-pool.
    fn provision(&mut self, file: FileId, p: &RawPool, loc: &Loc) -> Option<Provision> {
        match (&p.cidrs, &p.netmask) {
            (Some(cidrs), None) => {
                if cidrs.value.is_empty() {
                    self.push(
                        Diag::error("ipam::pool::provision", "`cidrs` is empty")
                            .at(&Loc::new(file, cidrs.span.clone()), "no CIDR")
                            .help("list at least one CIDR block"),
                    );
                    return None;
                }
                let parsed: Vec<(Prefix, Loc)> = cidrs
                    .value
                    .iter()
                    .filter_map(|c| {
                        let l = Loc::new(file, c.span.clone());
                        self.cidr(&c.value, &l).map(|p| (p, l))
                    })
                    .collect();
                (parsed.len() == cidrs.value.len()).then_some(Provision::Cidrs(parsed))
            }
            (None, Some(netmask)) => {
                let l = Loc::new(file, netmask.span.clone());
                if p.parent.is_none() {
                    self.push(
                        Diag::error(
                            "ipam::pool::provision",
                            "a top-level pool cannot be provisioned by netmask",
                        )
                        .at(&l, "nothing to carve it from")
                        .help("give the pool explicit `cidrs`, or a `parent` to carve it from"),
                    );
                    return None;
                }
                // Checked against the family once the parent is known; past 128 it fits none.
                match u8::try_from(netmask.value).ok().filter(|n| *n <= 128) {
                    Some(n) => Some(Provision::Netmask(n, l)),
                    None => {
                        self.push(
                            Diag::error(
                                "ipam::netmask::range",
                                format!("netmask {} is not a prefix length", netmask.value),
                            )
                            .at(&l, "out of range")
                            .help("a netmask is between 0 and 32 for IPv4, 0 and 128 for IPv6"),
                        );
                        None
                    }
                }
            }
            (Some(c), Some(_)) => {
                self.push(
                    Diag::error(
                        "ipam::pool::provision",
                        "a pool takes `cidrs` or `netmask`, not both",
                    )
                    .at(&Loc::new(file, c.span.clone()), "explicit blocks")
                    .help("keep `cidrs` to fix the blocks, or `netmask` to let first fit choose"),
                );
                None
            }
            (None, None) => {
                let help = if p.parent.is_some() {
                    "give `netmask = N` to carve a block from the parent, or `cidrs` inside it"
                } else {
                    "give the pool's blocks, e.g. `cidrs = [\"10.0.0.0/8\"]`"
                };
                self.push(
                    Diag::error("ipam::pool::provision", "the pool has no address space")
                        .at(loc, "neither `cidrs` nor `netmask`")
                        .help(help),
                );
                None
            }
        }
    }
}
