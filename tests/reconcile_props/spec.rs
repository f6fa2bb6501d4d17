//! The generated plans: pools `corp`, `team` (carved from `corp` by netmask), `lab` and
//! `multi` (a sub-pool of `lab` with one or two explicit CIDRs), VPCs `a`..`e` and a
//! reservation, each plan an edit of the previous one.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::sample::Index;

pub const VPC_NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];
pub const CORP: Net = Net {
    start: 0x0A00_0000,
    len: 20,
};
pub const LAB: Net = Net {
    start: 0x0A01_0000,
    len: 22,
};
/// The two blocks `multi` may be provisioned with, inside `lab`'s lower half (where `lab`'s
/// netmask requests go first fit).
pub const MULTI: [Net; 2] = [
    Net {
        start: 0x0A01_0000,
        len: 24,
    },
    Net {
        start: 0x0A01_0100,
        len: 24,
    },
];

/// An IPv4 block, for the oracle: plain integers, independent of the crate's allocator.
/// Its `Debug` is its CIDR, so failures read as addresses.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Net {
    pub start: u32,
    pub len: u8,
}

impl Net {
    pub fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.len))
    }

    pub fn end(self) -> u64 {
        u64::from(self.start) + self.size() - 1
    }

    pub fn overlaps(self, other: Net) -> bool {
        u64::from(self.start) <= other.end() && u64::from(other.start) <= self.end()
    }

    pub fn contains(self, other: Net) -> bool {
        self.start <= other.start && other.end() <= self.end()
    }

    pub fn of(p: &ipam::addr::Prefix) -> Net {
        Net {
            start: u32::try_from(p.start()).expect("an IPv4 prefix"),
            len: p.prefix_len(),
        }
    }
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d] = self.start.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}/{}", self.len)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PoolSel {
    Corp,
    Team,
    Lab,
    /// A sub-pool of `lab` provisioned with one or both [`MULTI`] blocks.
    Multi,
}

impl PoolSel {
    pub fn name(self) -> &'static str {
        match self {
            PoolSel::Corp => "corp",
            PoolSel::Team => "team",
            PoolSel::Lab => "lab",
            PoolSel::Multi => "multi",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Req {
    Netmask(u8),
    Cidr(Net),
}

impl Req {
    pub fn len(self) -> u8 {
        match self {
            Req::Netmask(n) => n,
            Req::Cidr(c) => c.len,
        }
    }
}

/// A VPC or reservation: its pool, what it asks for, and (VPCs) subnet netmasks, each as
/// an offset from the VPC's own (capped at /28).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alloc {
    pub pool: PoolSel,
    pub req: Req,
    pub subnets: Vec<u8>,
}

/// One plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spec {
    /// `team`'s netmask, carved from `corp`.
    pub team: Option<u8>,
    pub lab: bool,
    /// Which [`MULTI`] blocks `multi` is provisioned with (bit 0, bit 1), when it is declared.
    pub multi: Option<u8>,
    pub vpcs: [Option<Alloc>; 5],
    pub reservation: Option<Alloc>,
}

/// How one part of a plan changes from one step to the next.
#[derive(Clone, Debug)]
enum Edit<T> {
    Keep,
    Remove,
    Set(T),
}

impl<T: Clone> Edit<T> {
    fn apply(&self, old: &Option<T>) -> Option<T> {
        match self {
            Edit::Keep => old.clone(),
            Edit::Remove => None,
            Edit::Set(v) => Some(v.clone()),
        }
    }
}

fn edit<T: Clone + std::fmt::Debug + 'static>(
    value: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Edit<T>> {
    prop_oneof![
        6 => Just(Edit::Keep),
        1 => Just(Edit::Remove),
        2 => value.prop_map(Edit::Set),
    ]
    .boxed()
}

fn pool_sel() -> impl Strategy<Value = PoolSel> {
    prop_oneof![
        3 => Just(PoolSel::Corp),
        2 => Just(PoolSel::Team),
        1 => Just(PoolSel::Lab),
        1 => Just(PoolSel::Multi),
    ]
}

/// An explicit CIDR in the upper half of `corp` or `lab` (first fit fills from the bottom,
/// so explicit claims collide less often than not), or a netmask.
fn alloc(with_subnets: bool) -> impl Strategy<Value = Alloc> {
    let subnets = if with_subnets {
        prop::collection::vec(1u8..=3, 0..=2).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (
        pool_sel(),
        prop::bool::weighted(0.25),
        22u8..=28,
        any::<Index>(),
        subnets,
    )
        .prop_map(|(pool, explicit, len, index, subnets)| {
            let req = match (pool, explicit) {
                (PoolSel::Corp, true) => {
                    // Blocks of /len in 10.0.8.0/21.
                    let count = 1usize << (len - 21);
                    let at = u32::try_from(index.index(count)).expect("small");
                    Req::Cidr(Net {
                        start: 0x0A00_0800 + at * (1 << (32 - len)),
                        len,
                    })
                }
                (PoolSel::Lab, true) => {
                    // Blocks of /24../28 in 10.1.2.0/23.
                    let len = len.max(24);
                    let count = 1usize << (len - 23);
                    let at = u32::try_from(index.index(count)).expect("small");
                    Req::Cidr(Net {
                        start: 0x0A01_0200 + at * (1 << (32 - len)),
                        len,
                    })
                }
                _ => Req::Netmask(len),
            };
            Alloc { pool, req, subnets }
        })
}

#[derive(Clone, Debug)]
struct StepEdit {
    team: Edit<u8>,
    lab: Edit<()>,
    multi: Edit<u8>,
    vpcs: Vec<Edit<Alloc>>,
    reservation: Edit<Alloc>,
}

fn step_edit() -> impl Strategy<Value = StepEdit> {
    (
        edit(21u8..=23),
        edit(Just(())),
        edit(1u8..=3),
        prop::collection::vec(edit(alloc(true)), VPC_NAMES.len()),
        edit(alloc(false)),
    )
        .prop_map(|(team, lab, multi, vpcs, reservation)| StepEdit {
            team,
            lab,
            multi,
            vpcs,
            reservation,
        })
}

fn initial() -> impl Strategy<Value = Spec> {
    (
        prop::option::weighted(0.5, 21u8..=23),
        prop::bool::weighted(0.5),
        prop::option::weighted(0.6, 1u8..=3),
        prop::collection::vec(prop::option::weighted(0.7, alloc(true)), VPC_NAMES.len()),
        prop::option::weighted(0.4, alloc(false)),
    )
        .prop_map(|(team, lab, multi, vpcs, reservation)| {
            let mut s = Spec {
                team,
                lab,
                multi,
                vpcs: Default::default(),
                reservation,
            };
            for (slot, v) in s.vpcs.iter_mut().zip(vpcs) {
                *slot = v;
            }
            s.normalized()
        })
}

/// 3–6 plans: an initial one and 2–5 edits of it.
pub fn sequence() -> impl Strategy<Value = Vec<Spec>> {
    (initial(), prop::collection::vec(step_edit(), 2..=5)).prop_map(|(first, edits)| {
        let mut specs = vec![first];
        for e in edits {
            let prev = specs.last().expect("at least one").clone();
            let mut next = Spec {
                team: e.team.apply(&prev.team),
                lab: e.lab.apply(&prev.lab.then_some(())).is_some(),
                multi: e.multi.apply(&prev.multi),
                vpcs: prev.vpcs.clone(),
                reservation: e.reservation.apply(&prev.reservation),
            };
            for (slot, ed) in next.vpcs.iter_mut().zip(&e.vpcs) {
                *slot = ed.apply(slot);
            }
            specs.push(next.normalized());
        }
        specs
    })
}

impl Spec {
    /// `multi` only inside a declared `lab`; a request for a pool the plan does not declare
    /// goes to `corp`, by netmask; `multi` is asked only by netmask, /24 or smaller.
    fn normalized(mut self) -> Spec {
        if !self.lab {
            self.multi = None;
        }
        let team = self.team.is_some();
        let lab = self.lab;
        let multi = self.multi.is_some();
        let fix = |a: &mut Alloc| {
            let missing = match a.pool {
                PoolSel::Corp => false,
                PoolSel::Team => !team,
                PoolSel::Lab => !lab,
                PoolSel::Multi => !multi,
            };
            if missing {
                a.pool = PoolSel::Corp;
                a.req = Req::Netmask(a.req.len());
            } else if a.pool == PoolSel::Multi {
                a.req = Req::Netmask(a.req.len().max(24));
            }
        };
        for v in self.vpcs.iter_mut().flatten() {
            fix(v);
        }
        if let Some(r) = self.reservation.as_mut() {
            fix(r);
        }
        self
    }

    /// `multi`'s provisioned blocks, ascending.
    pub fn multi_cidrs(&self) -> Vec<Net> {
        let bits = self.multi.unwrap_or(0);
        MULTI
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect()
    }

    pub fn vpcs(&self) -> impl Iterator<Item = (&'static str, &Alloc)> {
        VPC_NAMES
            .iter()
            .zip(&self.vpcs)
            .filter_map(|(n, v)| v.as_ref().map(|v| (*n, v)))
    }

    /// Subnet names and netmasks of a VPC.
    pub fn subnets(vpc: &Alloc) -> impl Iterator<Item = (String, u8)> + '_ {
        vpc.subnets
            .iter()
            .enumerate()
            .map(|(i, off)| (format!("s{}", i + 1), (vpc.req.len() + off).min(28)))
    }

    pub fn toml(&self) -> String {
        let mut s = String::from(
            "[ipam]\nname = \"t\"\nregions = [\"r1\"]\nowner = \"net\"\n\n\
             [accounts]\nnet = \"100000000001\"\n\n\
             [pools.corp]\ncidrs = [\"10.0.0.0/20\"]\n",
        );
        if self.lab {
            s.push_str("\n[pools.lab]\ncidrs = [\"10.1.0.0/22\"]\n");
        }
        if self.multi.is_some() {
            let cidrs: Vec<String> = self
                .multi_cidrs()
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect();
            write!(
                s,
                "\n[pools.multi]\nparent = \"lab\"\ncidrs = [{}]\n",
                cidrs.join(", ")
            )
            .expect("format");
        }
        if let Some(n) = self.team {
            write!(s, "\n[pools.team]\nparent = \"corp\"\nnetmask = {n}\n").expect("format");
        }
        let req = |s: &mut String, r: Req| match r {
            Req::Netmask(n) => writeln!(s, "netmask = {n}").expect("format"),
            Req::Cidr(c) => writeln!(s, "cidr = \"{c}\"").expect("format"),
        };
        for (name, v) in self.vpcs() {
            write!(s, "\n[vpcs.{name}]\npool = \"{}\"\n", v.pool.name()).expect("format");
            req(&mut s, v.req);
            for (sub, n) in Spec::subnets(v) {
                writeln!(s, "subnets.{sub} = {{ netmask = {n} }}").expect("format");
            }
        }
        if let Some(r) = &self.reservation {
            write!(s, "\n[reservations.r]\npool = \"{}\"\n", r.pool.name()).expect("format");
            req(&mut s, r.req);
        }
        s
    }

    /// What each resource asks for, including what its pool asks for: two plans that give
    /// a resource the same key must leave it where it is (SPEC §5, pinning).
    pub fn requests(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Some(n) = self.team {
            out.insert("pool.team".to_string(), format!("/{n}"));
        }
        if let Some(bits) = self.multi {
            out.insert("pool.multi".to_string(), format!("{bits}"));
        }
        let key = |a: &Alloc| {
            let pool = match a.pool {
                PoolSel::Team => format!("team/{}", self.team.unwrap_or_default()),
                p => p.name().to_string(),
            };
            format!("{pool} {:?}", a.req)
        };
        for (name, v) in self.vpcs() {
            let k = key(v);
            for (sub, n) in Spec::subnets(v) {
                out.insert(format!("vpc.{name}.subnet.{sub}"), format!("{k} /{n}"));
            }
            out.insert(format!("vpc.{name}"), k);
        }
        if let Some(r) = &self.reservation {
            out.insert("reservation.r".to_string(), key(r));
        }
        out
    }
}
