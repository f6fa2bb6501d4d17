//! RawPlan → Model. Collects every problem before giving up (SPEC §3: all violations at
//! once), so each step continues with what it could make sense of; the model is returned only
//! when no error was found.

use std::collections::{BTreeMap, BTreeSet};

use super::layout::expand_layouts;
use super::{Ipam, Model, Origin, Pool, PoolId, Profile, Provision, Rules, Scope, ScopeId};
use crate::addr::{Family, Prefix};
use crate::config::RawPlan;
use crate::config::raw::{Named, PoolAttrs, RawPool, Sp, Tags};
use crate::diag::{Diag, FileId, Loc, suggest};

/// Builds the model, or returns every problem found.
pub fn build(raw: &RawPlan) -> Result<Model, Vec<Diag>> {
    let mut cx = Cx::default();
    let ipam = cx.ipam(raw);
    let accounts = cx.accounts(raw);
    let scopes = cx.scopes(raw, &ipam.profile);
    let mut drafts = cx.declared_pools(raw);
    expand_layouts(&mut cx, raw, &mut drafts);
    let pools = cx.resolve_pools(drafts, &ipam, &accounts, &scopes);
    let mut model = Model {
        pool_index: pools
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), PoolId(i)))
            .collect(),
        ipam,
        accounts,
        scopes,
        pools,
        vpcs: Vec::new(),
        reservations: Vec::new(),
        moved: Vec::new(),
        audit_ignore: BTreeSet::new(),
    };
    cx.check_limits(&model);
    model.vpcs = cx.vpcs(raw, &model);
    model.reservations = cx.reservations(raw, &model);
    cx.check_explicit_blocks(&model);
    model.moved = cx.moved(raw, &model);
    model.audit_ignore = raw
        .files
        .iter()
        .flat_map(|(_, f)| f.audit.iter().flat_map(|a| &a.value.ignore))
        .map(|id| id.value.clone())
        .collect();
    if cx.diags.is_empty() {
        Ok(model)
    } else {
        Err(cx.diags)
    }
}

/// The entries of one kind of table across all files, in declaration order.
pub(super) fn entries<'a, T>(
    raw: &'a RawPlan,
    table: impl Fn(&'a crate::config::RawFile) -> &'a Named<T>,
) -> Vec<(FileId, &'a Sp<String>, &'a Sp<T>)> {
    let mut out: Vec<_> = raw
        .files
        .iter()
        .flat_map(|(file, f)| table(f).iter().map(move |(k, v)| (*file, k, v)))
        .collect();
    out.sort_by_key(|(file, key, _)| (*file, key.span.start));
    out
}

impl Cx {
    /// The entries of one kind, the first of each name only: a later one with the same name
    /// is reported as a duplicate, pointing back at the first.
    pub(super) fn unique<'a, T>(
        &mut self,
        kind: &str,
        entries: Vec<(FileId, &'a Sp<String>, &'a Sp<T>)>,
    ) -> Vec<(FileId, Loc, &'a Sp<String>, &'a Sp<T>)> {
        let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
        let mut out = Vec::new();
        for (file, name, value) in entries {
            let loc = Loc::new(file, name.span.clone());
            if let Some(first) = seen.get(name.value.as_str()) {
                let first = first.clone();
                self.duplicate(kind, &name.value, &loc, &first);
                continue;
            }
            seen.insert(&name.value, loc.clone());
            out.push((file, loc, name, value));
        }
        out
    }
}

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
        let rule = |get: fn(&crate::config::raw::RawRules) -> &Option<Sp<i64>>| {
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

#[derive(Default)]
pub(super) struct Cx {
    pub diags: Vec<Diag>,
    /// Pools declared but not built, and layout parents whose layout failed.
    pub suppressed: Vec<String>,
    /// VPCs declared but not built.
    pub broken_vpcs: BTreeSet<String>,
}

impl Cx {
    pub fn push(&mut self, d: Diag) {
        self.diags.push(d);
    }

    /// Parses a CIDR, reporting a non-canonical or invalid one at its span.
    pub fn cidr(&mut self, text: &str, loc: &Loc) -> Option<Prefix> {
        match text.parse::<Prefix>() {
            Ok(p) => Some(p),
            Err(e) => {
                self.push(
                    Diag::error("ipam::cidr::invalid", e.to_string())
                        .at(loc, "not a canonical CIDR block")
                        .help(e.help()),
                );
                None
            }
        }
    }

    /// Checks a prefix length against a family (SPEC §3 rule 6: ≤ 32 / ≤ 128).
    pub fn netmask(&mut self, value: i64, loc: &Loc, family: Family) -> Option<u8> {
        match u8::try_from(value) {
            Ok(n) if n <= family.bits() => Some(n),
            _ => {
                self.push(
                    Diag::error(
                        "ipam::netmask::range",
                        format!("netmask {value} is out of range for {family}"),
                    )
                    .at(loc, "not a prefix length")
                    .help(format!(
                        "an {family} netmask is between 0 and {}",
                        family.bits()
                    )),
                );
                None
            }
        }
    }

    pub(super) fn unresolved(
        &mut self,
        kind: &str,
        name: &str,
        loc: &Loc,
        candidates: impl IntoIterator<Item = impl AsRef<str>>,
    ) {
        let candidates: Vec<String> = candidates
            .into_iter()
            .map(|c| c.as_ref().to_owned())
            .collect();
        let mut d = Diag::error("ipam::ref::unresolved", format!("no {kind} named `{name}`"))
            .at(loc, format!("unknown {kind}"));
        d = match suggest(name, candidates.iter().map(String::as_str)) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None if candidates.is_empty() => d.help(format!("declare the {kind} first")),
            None => d.help(format!("the {kind}s are: {}", list(&candidates))),
        };
        self.push(d);
    }

    pub(super) fn duplicate(&mut self, kind: &str, name: &str, loc: &Loc, first: &Loc) {
        self.push(
            Diag::error(
                "ipam::name::duplicate",
                format!("{kind} `{name}` is defined twice"),
            )
            .at(loc, "defined again here")
            .note(first, "first defined here")
            .help(match kind {
                "table" => format!("a plan has one [{name}] table; remove one of them"),
                "resource_id" => {
                    "two VPCs cannot be the same cloud resource; fix or remove one of the IDs"
                        .to_owned()
                }
                _ => format!("{kind} names are global across the plan's files; rename one of them"),
            }),
        );
    }

    /// True for names of things that were declared but could not be built, and for names
    /// inside them (a failed pool's layout children): references to them get no second,
    /// misleading "no such …" error.
    pub fn is_suppressed(&self, name: &str) -> bool {
        self.suppressed.iter().any(|p| {
            name == p || (name.starts_with(p.as_str()) && name[p.len()..].starts_with('/'))
        })
    }

    fn ipam(&mut self, raw: &RawPlan) -> Ipam {
        let mut found: Vec<(FileId, &Sp<crate::config::raw::RawIpam>)> = raw
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

    fn accounts(&mut self, raw: &RawPlan) -> BTreeMap<String, String> {
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

    fn scopes(&mut self, raw: &RawPlan, profile: &Profile) -> Vec<Scope> {
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

    fn declared_pools(&mut self, raw: &RawPlan) -> Vec<Draft> {
        let mut drafts: Vec<Draft> = Vec::new();
        for (file, loc, name, pool) in self.unique("pool", entries(raw, |f| &f.pools)) {
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

    /// `cidrs` xor `netmask`; `cidrs` only for a top-level pool.
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

    /// Links parents, breaks cycles, orders parents first and applies inheritance and the
    /// per-pool rules.
    fn resolve_pools(
        &mut self,
        drafts: Vec<Draft>,
        ipam: &Ipam,
        accounts: &BTreeMap<String, String>,
        scopes: &[Scope],
    ) -> Vec<Pool> {
        let index: BTreeMap<&str, usize> = drafts
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.as_str(), i))
            .collect();
        let mut parent: Vec<Option<usize>> = vec![None; drafts.len()];
        let mut broken = vec![false; drafts.len()];
        for (i, d) in drafts.iter().enumerate() {
            if let Some((name, loc)) = &d.parent {
                match index.get(name.as_str()) {
                    Some(&p) => parent[i] = Some(p),
                    None => {
                        if !self.is_suppressed(name) {
                            self.unresolved("pool", name, loc, index.keys());
                        }
                        broken[i] = true;
                    }
                }
            }
        }
        // Cycles (SPEC §3 rule 2): each pool has one parent, so walk up from each.
        let mut state = vec![0u8; drafts.len()]; // 0 new, 1 on the current walk, 2 done
        for start in 0..drafts.len() {
            let mut path = Vec::new();
            let mut at = Some(start);
            while let Some(i) = at {
                match state[i] {
                    2 => break,
                    1 => {
                        let cycle_start = path.iter().position(|&p| p == i).unwrap_or(0);
                        let cycle = &path[cycle_start..];
                        for &c in cycle {
                            broken[c] = true;
                        }
                        let names: Vec<&str> = cycle
                            .iter()
                            .chain(std::iter::once(&i))
                            .map(|&c| drafts[c].name.as_str())
                            .collect();
                        let first = cycle.iter().copied().min().unwrap_or(i);
                        let at_loc = drafts[first]
                            .parent
                            .as_ref()
                            .map_or(&drafts[first].loc, |(_, l)| l);
                        self.push(
                            Diag::error(
                                "ipam::pool::cycle",
                                format!("pools form a cycle: {}", names.join(" → ")),
                            )
                            .at(at_loc, "this parent closes the cycle")
                            .help("a pool cannot be its own ancestor; make one of them top-level"),
                        );
                        break;
                    }
                    _ => {
                        state[i] = 1;
                        path.push(i);
                        at = parent[i];
                    }
                }
            }
            for p in path {
                state[p] = 2;
            }
        }
        // Parents first, declaration order otherwise.
        let mut order: Vec<usize> = Vec::with_capacity(drafts.len());
        let mut placed = vec![false; drafts.len()];
        for i in 0..drafts.len() {
            let mut chain = Vec::new();
            let mut at = Some(i);
            while let Some(c) = at {
                if placed[c] || chain.contains(&c) {
                    break;
                }
                chain.push(c);
                at = parent[c];
            }
            for &c in chain.iter().rev() {
                placed[c] = true;
                order.push(c);
            }
        }
        // A pool below a broken one is dropped too, with no further message.
        for &i in &order {
            if let Some(p) = parent[i]
                && broken[p]
            {
                broken[i] = true;
            }
        }
        let mut ids: Vec<Option<PoolId>> = vec![None; drafts.len()];
        let mut pools: Vec<Pool> = Vec::new();
        let mut drafts: Vec<Option<Draft>> = drafts.into_iter().map(Some).collect();
        for i in order {
            let Some(d) = drafts[i].take() else { continue };
            let parent_id = parent[i].and_then(|p| ids[p]);
            if broken[i] || (parent[i].is_some() && parent_id.is_none()) {
                self.suppressed.push(d.name);
                continue;
            }
            let name = d.name.clone();
            let parent_pool = parent_id.map(|p| &pools[p.0]);
            match self.pool(d, parent_pool, parent_id, ipam, accounts, scopes) {
                Some(pool) => {
                    ids[i] = Some(PoolId(pools.len()));
                    pools.push(pool);
                }
                None => self.suppressed.push(name),
            }
        }
        pools
    }

    /// One pool, with its parent already built.
    fn pool(
        &mut self,
        d: Draft,
        parent: Option<&Pool>,
        parent_id: Option<PoolId>,
        ipam: &Ipam,
        accounts: &BTreeMap<String, String>,
        scopes: &[Scope],
    ) -> Option<Pool> {
        // Scope: declared on a top-level pool, inherited below.
        let scope = match (parent, &d.scope) {
            (Some(p), None) => p.scope,
            (Some(p), Some((name, loc))) => {
                if scopes[p.scope.0].name != *name {
                    self.push(
                        Diag::error(
                            "ipam::pool::scope",
                            format!(
                                "sub-pool `{}` names scope `{name}`, but its parent is in `{}`",
                                d.name, scopes[p.scope.0].name
                            ),
                        )
                        .at(loc, "differs from the parent's scope")
                        .help("a sub-pool is always in its parent's scope; remove `scope`"),
                    );
                }
                p.scope
            }
            (None, None) => ScopeId(0),
            (None, Some((name, loc))) => match scopes.iter().position(|s| s.name == *name) {
                Some(s) => ScopeId(s),
                None => {
                    self.unresolved("scope", name, loc, scopes.iter().map(|s| &s.name));
                    ScopeId(0)
                }
            },
        };
        let provision = d.provision?;
        // Family: from the pool's own blocks, else the parent's.
        let family = match &provision {
            Provision::Cidrs(cidrs) => {
                let family = cidrs[0].0.family();
                for (c, loc) in &cidrs[1..] {
                    if c.family() != family {
                        self.push(
                            Diag::error(
                                "ipam::pool::family",
                                format!(
                                    "pool `{}` mixes {family} and {} blocks",
                                    d.name,
                                    c.family()
                                ),
                            )
                            .at(loc, format!("{} block", c.family()))
                            .help(
                                "a pool holds one IP version; put the other family in its own pool",
                            ),
                        );
                    }
                }
                if let Some(p) = parent
                    && p.family != family
                {
                    self.push(
                        Diag::error(
                            "ipam::pool::family",
                            format!(
                                "sub-pool `{}` is {family}, but its parent `{}` is {}",
                                d.name, p.name, p.family
                            ),
                        )
                        .at(&cidrs[0].1, format!("{family} block"))
                        .help("a sub-pool has its parent's IP version (SPEC §3 rule 5)"),
                    );
                }
                family
            }
            Provision::Netmask(_, _) => parent.map_or(Family::V4, |p| p.family),
        };
        if let Provision::Netmask(n, loc) = &provision
            && let Some(p) = parent
        {
            let n = *n;
            if self.netmask(i64::from(n), loc, family).is_none() {
                // Out of range for the family: reported by `netmask`.
            } else if n <= p.widest_len() {
                self.push(
                    Diag::error(
                        "ipam::netmask::too_wide",
                        format!(
                            "a /{n} cannot be carved from `{}`, whose largest block is a /{}",
                            p.name,
                            p.widest_len()
                        ),
                    )
                    .at(loc, "not longer than the parent block")
                    .help(format!(
                        "a sub-pool's netmask must be longer than its parent's: /{} or more",
                        p.widest_len() + 1
                    )),
                );
            }
        }
        // Region: own (one of the IPAM's), equal to the parent's if it has one.
        let region = match (&d.region, parent.and_then(|p| p.region.clone())) {
            (Some((own, loc)), inherited) => {
                self.check_region(own, loc, ipam);
                if let Some(inherited) = inherited
                    && inherited != *own
                {
                    self.push(
                        Diag::error(
                            "ipam::pool::region",
                            format!(
                                "pool `{}` is in region `{own}`, but its parent is in `{inherited}`",
                                d.name
                            ),
                        )
                        .at(loc, "differs from the parent's region")
                        .help("a sub-pool inherits its parent's region; remove `region` or make it match"),
                    );
                }
                Some(own.clone())
            }
            (None, inherited) => inherited,
        };
        let rules = self.rules(&d.attrs, family);
        if let Some((true, loc)) = &d.attrs.auto_import
            && region.is_none()
        {
            self.push(
                Diag::error(
                    "ipam::pool::auto_import",
                    format!("pool `{}` has `auto_import` but no region", d.name),
                )
                .at(loc, "needs a region")
                .help("set the pool's `region` (or its parent's): import only adopts resources of the pool's region (seed 001)"),
            );
        }
        let mut shared_with = BTreeSet::new();
        for (account, loc) in &d.attrs.shared_with {
            if accounts.contains_key(account) {
                shared_with.insert(account.clone());
            } else {
                self.unresolved("account", account, loc, accounts.keys());
            }
        }
        let alert_at = d.attrs.alert_at.as_ref().and_then(|(v, loc)| {
            let ok = u8::try_from(*v).ok().filter(|v| *v <= 100);
            if ok.is_none() {
                self.push(
                    Diag::error(
                        "ipam::pool::alert_at",
                        format!("alert_at {v} is not a percentage"),
                    )
                    .at(loc, "out of range")
                    .help("give a utilization threshold from 0 to 100"),
                );
            }
            ok
        });
        if let Some(want) = ipam.profile.scope_family(&scopes[scope.0].name)
            && want != family
        {
            let loc = match &provision {
                Provision::Cidrs(c) => &c[0].1,
                Provision::Netmask(_, l) => l,
            };
            self.push(
                Diag::error(
                    "ipam::profile::family",
                    format!(
                        "pool `{}` is {family}, but the `{}` profile allows only {want} in scope `{}`",
                        d.name, ipam.profile.name, scopes[scope.0].name
                    ),
                )
                .at(loc, format!("{family} block"))
                .help("on Alibaba Cloud the public scope holds IPv6 only and private scopes IPv4 only"),
            );
        }
        Some(Pool {
            name: d.name,
            loc: d.loc,
            origin: d.origin,
            scope,
            parent: parent_id,
            provision,
            family,
            region,
            rules,
            required_tags: d.attrs.required_tags,
            auto_import: d.attrs.auto_import.is_some_and(|(v, _)| v),
            shared_with,
            alert_at,
            protect: d.attrs.protect,
            description: d.attrs.description,
            tags: d.attrs.tags,
            held: d.held,
            depth: parent.map_or(1, |p| p.depth + 1),
        })
    }

    pub fn check_region(&mut self, region: &str, loc: &Loc, ipam: &Ipam) {
        if !ipam.regions.iter().any(|r| r == region) {
            let mut d = Diag::error(
                "ipam::region::unknown",
                format!("`{region}` is not one of the IPAM's regions"),
            )
            .at(loc, "not an operating region");
            d = match suggest(region, ipam.regions.iter().map(String::as_str)) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!(
                    "add it to `[ipam] regions` ({})",
                    list(&ipam.regions)
                )),
            };
            self.push(d);
        }
    }

    /// SPEC §3 rule 7: `0 ≤ min ≤ default ≤ max ≤ 32/128`.
    fn rules(&mut self, attrs: &Attrs, family: Family) -> Rules {
        let [min, default, max] = attrs
            .rules
            .clone()
            .map(|r| r.and_then(|(v, loc)| self.netmask(v, &loc, family).map(|n| (n, loc))));
        let pairs = [
            (&min, "min_netmask", &default, "default_netmask"),
            (&default, "default_netmask", &max, "max_netmask"),
            (&min, "min_netmask", &max, "max_netmask"),
        ];
        for (lo, lo_name, hi, hi_name) in pairs {
            if let (Some((a, _)), Some((b, loc))) = (lo, hi)
                && a > b
            {
                self.push(
                    Diag::error(
                        "ipam::rules::order",
                        format!("{hi_name} {b} is below {lo_name} {a}"),
                    )
                    .at(loc, "out of order")
                    .help("allocation rules need min_netmask ≤ default_netmask ≤ max_netmask"),
                );
                break;
            }
        }
        Rules {
            min: min.map(|(n, _)| n),
            default: default.map(|(n, _)| n),
            max: max.map(|(n, _)| n),
        }
    }

    /// Profile limits that count pools (SPEC §9).
    fn check_limits(&mut self, model: &Model) {
        let profile = model.ipam.profile;
        let mut children: BTreeMap<PoolId, Vec<PoolId>> = BTreeMap::new();
        let mut per_scope: BTreeMap<ScopeId, Vec<PoolId>> = BTreeMap::new();
        for (i, pool) in model.pools.iter().enumerate() {
            if let Some(p) = pool.parent {
                children.entry(p).or_default().push(PoolId(i));
            }
            per_scope.entry(pool.scope).or_default().push(PoolId(i));
            if let Some(max) = profile.max_depth
                && pool.depth == max + 1
            {
                self.push(
                    Diag::error(
                        "ipam::profile::depth",
                        format!(
                            "pool `{}` is {} levels deep; the `{}` profile allows {max}",
                            pool.name, pool.depth, profile.name
                        ),
                    )
                    .at(&pool.loc, "too deep")
                    .help("flatten the hierarchy (seed 001: the depth cannot exceed 10 levels)"),
                );
            }
            if let (Some(max), Provision::Cidrs(cidrs)) =
                (profile.max_cidrs_per_pool, &pool.provision)
                && cidrs.len() > max
            {
                self.push(
                    Diag::error(
                        "ipam::profile::cidrs",
                        format!(
                            "pool `{}` has {} CIDRs; the `{}` profile allows {max} per pool",
                            pool.name,
                            cidrs.len(),
                            profile.name
                        ),
                    )
                    .at(&cidrs[max].1, "one too many")
                    .help("aggregate adjacent blocks, or split the pool"),
                );
            }
        }
        if let Some(max) = profile.max_children_per_pool {
            for (parent, kids) in &children {
                if kids.len() > max {
                    self.push(
                        Diag::error(
                            "ipam::profile::children",
                            format!(
                                "pool `{}` has {} sub-pools; the `{}` profile allows {max}",
                                model.pool(*parent).name,
                                kids.len(),
                                profile.name
                            ),
                        )
                        .at(&model.pool(kids[max]).loc, "one too many")
                        .help("add a level to the hierarchy"),
                    );
                }
            }
        }
        if let Some(max) = profile.max_pools_per_scope {
            for (scope, pools) in &per_scope {
                if pools.len() > max {
                    self.push(
                        Diag::error(
                            "ipam::profile::pools",
                            format!(
                                "scope `{}` has {} pools; the `{}` profile allows {max}",
                                model.scopes[scope.0].name,
                                pools.len(),
                                profile.name
                            ),
                        )
                        .at(&model.pool(pools[max]).loc, "one too many")
                        .help("move pools to another scope or use profile \"none\""),
                    );
                }
            }
        }
    }
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
