//! The context every validation stage shares: the problems found so far, what could not be
//! built (so that references to it are not reported a second time), and the checks and
//! messages several stages use (CIDRs, netmasks, names, references, regions).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::Ipam;
use crate::addr::{Family, Prefix};
use crate::config::RawPlan;
use crate::config::raw::{Named, Sp};
use crate::diag::{Diag, FileId, Loc, suggest};

/// Collects every problem instead of stopping at the first (SPEC §3: all violations at
/// once); each stage continues with what it could make sense of.
#[derive(Default)]
pub(super) struct Cx {
    pub diags: Vec<Diag>,
    /// Pools declared but not built, and layout parents whose layout failed.
    suppressed: BTreeSet<String>,
    /// VPCs declared but not built.
    pub broken_vpcs: BTreeSet<String>,
    /// "Did you mean" suggestions made so far (each compares with every candidate).
    suggestions: usize,
    /// Places (and codes) already reported for a layout's generated pools. Lookup only,
    /// never iterated.
    generated: HashSet<(&'static str, Loc)>,
}

/// Past this many unresolved references, no more "did you mean" suggestions are computed:
/// each one compares the name with every candidate, so a flood of them would cost time
/// quadratic in the plan's size.
const MAX_SUGGESTIONS: usize = 200;

/// Candidates are listed in a help line only when there are this few.
const MAX_LISTED: usize = 10;

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

    /// Reports a reference to something that does not exist, with the closest name.
    pub fn unresolved<S: AsRef<str>>(
        &mut self,
        kind: &str,
        name: &str,
        loc: &Loc,
        candidates: impl IntoIterator<Item = S>,
    ) {
        let mut d = Diag::error("ipam::ref::unresolved", format!("no {kind} named `{name}`"))
            .at(loc, format!("unknown {kind}"));
        if self.suggestions >= MAX_SUGGESTIONS {
            self.push(d.help(format!("check the name against the plan's {kind}s")));
            return;
        }
        self.suggestions += 1;
        let candidates: Vec<S> = candidates.into_iter().collect();
        d = match suggest(name, candidates.iter().map(|c| c.as_ref())) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None if candidates.is_empty() => d.help(format!("declare the {kind} first")),
            None if candidates.len() <= MAX_LISTED => d.help(format!(
                "the {kind}s are: {}",
                list(candidates.iter().map(|c| c.as_ref()))
            )),
            None => d.help(format!("no {kind} has a similar name; check the spelling")),
        };
        self.push(d);
    }

    pub fn duplicate(&mut self, kind: &str, name: &str, loc: &Loc, first: &Loc) {
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

    /// The entries of one kind, the first of each name only: a later one with the same name
    /// is reported as a duplicate, pointing back at the first.
    pub fn unique<'a, T>(
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

    /// Marks a name as declared but not built.
    pub fn suppress(&mut self, name: String) {
        self.suppressed.insert(name);
    }

    /// True for names of things that were declared but could not be built, and for names
    /// inside them (a failed pool's layout children): references to them get no second,
    /// misleading "no such …" error. Looks up the name and each of its `/` prefixes.
    pub fn is_suppressed(&self, name: &str) -> bool {
        let mut at = Some(name);
        while let Some(n) = at {
            if self.suppressed.contains(n) {
                return true;
            }
            at = n.rfind('/').map(|i| &n[..i]);
        }
        false
    }

    /// Drops the diagnostics pushed since `mark` whose code and place were already reported
    /// for another generated pool: a mistake in a layout's leaf or level attributes is
    /// shared by every pool the layout generates, and is reported once, where it is.
    pub fn once_per_place(&mut self, mark: usize) {
        let fresh: Vec<Diag> = self.diags.drain(mark..).collect();
        for d in fresh {
            let first = match &d.loc {
                Some(loc) => self.generated.insert((d.code, loc.clone())),
                None => true,
            };
            if first {
                self.diags.push(d);
            }
        }
    }

    /// The first `max` entries; past them, one error at the first entry too many, and the
    /// rest are not looked at (SPEC §13: every size has a limit, and work past it is not
    /// done). `what` names the entries in the message: "pools", "subnets in VPC `web`".
    pub fn at_most<T>(
        &mut self,
        code: &'static str,
        what: &str,
        max: usize,
        mut entries: Vec<T>,
        loc: impl Fn(&T) -> Loc,
    ) -> Vec<T> {
        if let Some(first_over) = entries.get(max) {
            self.push(
                Diag::error(code, format!("more than {max} {what}"))
                    .at(&loc(first_over), "one too many")
                    .help(format!(
                        "a plan holds at most {max} {what}: split the plan, or aggregate"
                    )),
            );
            entries.truncate(max);
        }
        entries
    }

    /// A region must be one of the IPAM's operating regions.
    pub fn check_region(&mut self, region: &str, loc: &Loc, ipam: &Ipam) {
        if !ipam.regions.iter().any(|r| r == region) {
            let mut d = Diag::error(
                "ipam::region::unknown",
                format!("`{region}` is not one of the IPAM's regions"),
            )
            .at(loc, "not an operating region");
            d = match suggest(region, ipam.regions.iter().map(String::as_str)) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None if ipam.regions.is_empty() => d.help("add it to `[ipam] regions`"),
                None => d.help(format!(
                    "add it to `[ipam] regions` ({})",
                    list(ipam.regions.iter().map(String::as_str))
                )),
            };
            self.push(d);
        }
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

/// Names as a message lists them: `a`, `b`, `c`.
pub(super) fn list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
