//! Property tests of plan and apply (SPEC §5, §6) at library level: random sequences of 3–6
//! plans are loaded ([`load_model`]), planned against the records the previous applies left
//! ([`plan`]) and applied ([`apply`]), all in process.
//!
//! The plans: a pool `corp` (10.0.0.0/20), sometimes a second top-level pool `lab`
//! (10.1.0.0/22) and a sub-pool `team` carved from `corp` by netmask; VPCs `a`..`e` by netmask
//! (/22–/28) or explicit CIDR, some with subnets; sometimes a reservation `r`. Each plan is
//! the previous one with a few edits, so most resources keep their request from one plan to
//! the next. Steps that fail validation are skipped; steps whose plan fails are checked
//! against the oracle below and leave the records as they were.
//!
//! Properties, for every step:
//! - (a) every applied state passes [`check`], and apply gives exactly the plan's records;
//! - (b) pinning: a pool, VPC, subnet or reservation in two consecutive applied states whose
//!   request (and its pool's) did not change keeps exactly its CIDR;
//! - (c) a plan right after apply has no changes;
//! - (d) a block released by a plan is not handed to another resource by the same plan: no
//!   block new in a plan overlaps a block recorded before it in the same space, unless both
//!   belong to the same resource;
//! - (e) exhaustion and claim errors only when the space really lacks the block: a brute-force
//!   oracle (every recorded block stays taken for the plan, kept blocks stay where they are,
//!   new explicit claims first, then first fit in declaration order) predicts which requests
//!   fail and, when none does, the exact CIDR of every block — the plan must agree;
//! - planning twice gives the same plan (determinism).
//!
//! `generator_exercises_every_path` replays 48 sequences from a fixed seed and checks the
//! generator reaches applied, pinned, refused and release-and-place steps, so the properties
//! above are not vacuous.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use ipam::apply::apply;
use ipam::load::model as load_model;
use ipam::plan::plan;
use ipam::state::Records;
use ipam::state::check::check;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

// ---------------------------------------------------------------------------------------
// The generated plans
// ---------------------------------------------------------------------------------------

const VPC_NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];
const CORP: Net = Net {
    start: 0x0A00_0000,
    len: 20,
};
const LAB: Net = Net {
    start: 0x0A01_0000,
    len: 22,
};

/// An IPv4 block, for the oracle: plain integers, independent of the crate's allocator.
/// Its `Debug` is its CIDR, so failures read as addresses.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Net {
    start: u32,
    len: u8,
}

impl Net {
    fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.len))
    }

    fn end(self) -> u64 {
        u64::from(self.start) + self.size() - 1
    }

    fn overlaps(self, other: Net) -> bool {
        u64::from(self.start) <= other.end() && u64::from(other.start) <= self.end()
    }

    fn contains(self, other: Net) -> bool {
        self.start <= other.start && other.end() <= self.end()
    }

    fn of(p: &ipam::addr::Prefix) -> Net {
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
enum PoolSel {
    Corp,
    Team,
    Lab,
}

impl PoolSel {
    fn name(self) -> &'static str {
        match self {
            PoolSel::Corp => "corp",
            PoolSel::Team => "team",
            PoolSel::Lab => "lab",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Req {
    Netmask(u8),
    Cidr(Net),
}

impl Req {
    fn len(self) -> u8 {
        match self {
            Req::Netmask(n) => n,
            Req::Cidr(c) => c.len,
        }
    }
}

/// A VPC or reservation: its pool, what it asks for, and (VPCs) subnet netmasks, each as
/// an offset from the VPC's own (capped at /28).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Alloc {
    pool: PoolSel,
    req: Req,
    subnets: Vec<u8>,
}

/// One plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Spec {
    /// `team`'s netmask, carved from `corp`.
    team: Option<u8>,
    lab: bool,
    vpcs: [Option<Alloc>; 5],
    reservation: Option<Alloc>,
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
    vpcs: Vec<Edit<Alloc>>,
    reservation: Edit<Alloc>,
}

fn step_edit() -> impl Strategy<Value = StepEdit> {
    (
        edit(21u8..=23),
        edit(Just(())),
        prop::collection::vec(edit(alloc(true)), VPC_NAMES.len()),
        edit(alloc(false)),
    )
        .prop_map(|(team, lab, vpcs, reservation)| StepEdit {
            team,
            lab,
            vpcs,
            reservation,
        })
}

fn initial() -> impl Strategy<Value = Spec> {
    (
        prop::option::weighted(0.5, 21u8..=23),
        prop::bool::weighted(0.4),
        prop::collection::vec(prop::option::weighted(0.7, alloc(true)), VPC_NAMES.len()),
        prop::option::weighted(0.4, alloc(false)),
    )
        .prop_map(|(team, lab, vpcs, reservation)| {
            let mut s = Spec {
                team,
                lab,
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
fn sequence() -> impl Strategy<Value = Vec<Spec>> {
    (initial(), prop::collection::vec(step_edit(), 2..=5)).prop_map(|(first, edits)| {
        let mut specs = vec![first];
        for e in edits {
            let prev = specs.last().expect("at least one").clone();
            let mut next = Spec {
                team: e.team.apply(&prev.team),
                lab: e.lab.apply(&prev.lab.then_some(())).is_some(),
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
    /// A request for a pool the plan does not declare goes to `corp`, by netmask.
    fn normalized(mut self) -> Spec {
        let team = self.team.is_some();
        let lab = self.lab;
        let fix = |a: &mut Alloc| {
            let missing = match a.pool {
                PoolSel::Corp => false,
                PoolSel::Team => !team,
                PoolSel::Lab => !lab,
            };
            if missing {
                a.pool = PoolSel::Corp;
                a.req = Req::Netmask(a.req.len());
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

    fn vpcs(&self) -> impl Iterator<Item = (&'static str, &Alloc)> {
        VPC_NAMES
            .iter()
            .zip(&self.vpcs)
            .filter_map(|(n, v)| v.as_ref().map(|v| (*n, v)))
    }

    /// Subnet names and netmasks of a VPC.
    fn subnets(vpc: &Alloc) -> impl Iterator<Item = (String, u8)> + '_ {
        vpc.subnets
            .iter()
            .enumerate()
            .map(|(i, off)| (format!("s{}", i + 1), (vpc.req.len() + off).min(28)))
    }

    fn toml(&self) -> String {
        let mut s = String::from(
            "[ipam]\nname = \"t\"\nregions = [\"r1\"]\nowner = \"net\"\n\n\
             [accounts]\nnet = \"100000000001\"\n\n\
             [pools.corp]\ncidrs = [\"10.0.0.0/20\"]\n",
        );
        if self.lab {
            s.push_str("\n[pools.lab]\ncidrs = [\"10.1.0.0/22\"]\n");
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
    fn requests(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Some(n) = self.team {
            out.insert("pool.team".to_string(), format!("/{n}"));
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

// ---------------------------------------------------------------------------------------
// Blocks of a state
// ---------------------------------------------------------------------------------------

/// A block someone holds: the space it is taken from (a pool, or `vpc.NAME` for subnets),
/// the block, and its holder's address.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    space: String,
    net: Net,
    holder: String,
}

fn held(records: &Records) -> Vec<Held> {
    let mut out = Vec::new();
    for (name, p) in &records.pools {
        if let Some(parent) = &p.parent {
            for c in &p.cidrs {
                out.push(Held {
                    space: parent.clone(),
                    net: Net::of(c),
                    holder: format!("pool.{name}"),
                });
            }
        }
    }
    for (name, v) in &records.vpcs {
        for (pool, cidr) in v.blocks() {
            out.push(Held {
                space: pool.to_string(),
                net: Net::of(&cidr),
                holder: format!("vpc.{name}"),
            });
        }
        for (s, r) in &v.subnets {
            out.push(Held {
                space: format!("vpc.{name}"),
                net: Net::of(&r.cidr),
                holder: format!("vpc.{name}.subnet.{s}"),
            });
        }
    }
    for (name, r) in &records.reservations {
        out.push(Held {
            space: r.pool.clone(),
            net: Net::of(&r.cidr),
            holder: format!("reservation.{name}"),
        });
    }
    out.sort();
    out
}

/// Every resource's (first) block, by address.
fn blocks_by_address(records: &Records) -> BTreeMap<String, Net> {
    let mut out = BTreeMap::new();
    for h in held(records) {
        out.entry(h.holder).or_insert(h.net);
    }
    out
}

// ---------------------------------------------------------------------------------------
// The oracle (property e)
// ---------------------------------------------------------------------------------------

/// What the oracle expects of a plan.
#[derive(Debug, Default)]
struct Prediction {
    /// Every block placed, by holder.
    placed: BTreeMap<String, Net>,
    /// Netmask requests that find no free aligned block.
    exhausted: BTreeSet<String>,
    /// Explicit claims over a taken block or outside the space.
    refused: BTreeSet<String>,
}

/// One space's requests: who, what, and whether a recorded block is kept for it.
struct Ask {
    who: String,
    req: Req,
    kept: Option<Net>,
}

/// Places one space's asks by brute force: `taken` holds every recorded block in the space
/// (kept or released: both stay taken for the whole plan).
fn fill(p: &mut Prediction, roots: &[Net], recorded: &[&Held], asks: Vec<Ask>) {
    let mut taken: Vec<Net> = recorded
        .iter()
        .map(|h| h.net)
        .filter(|n| roots.iter().any(|r| r.contains(*n)))
        .collect();
    let mut netmask = Vec::new();
    for ask in asks {
        if let Some(net) = ask.kept {
            p.placed.insert(ask.who, net);
            continue;
        }
        match ask.req {
            Req::Cidr(c) => {
                let inside = roots.iter().any(|r| r.contains(c));
                // A replaced resource may take its own released block again.
                let own = recorded.iter().any(|h| h.holder == ask.who && h.net == c);
                let free = !taken.iter().any(|t| t.overlaps(c) && !(own && *t == c));
                if inside && free {
                    taken.push(c);
                    p.placed.insert(ask.who, c);
                } else {
                    p.refused.insert(ask.who);
                }
            }
            Req::Netmask(n) => netmask.push((ask.who, n)),
        }
    }
    for (who, n) in netmask {
        let mut found = None;
        'roots: for root in roots {
            if n < root.len {
                continue;
            }
            let step = 1u64 << (32 - u32::from(n));
            let mut at = u64::from(root.start);
            while at <= root.end() {
                let c = Net {
                    start: u32::try_from(at).expect("IPv4"),
                    len: n,
                };
                if !taken.iter().any(|t| t.overlaps(c)) {
                    found = Some(c);
                    break 'roots;
                }
                at += step;
            }
        }
        match found {
            Some(c) => {
                taken.push(c);
                p.placed.insert(who, c);
            }
            None => {
                p.exhausted.insert(who);
            }
        }
    }
}

/// What planning `spec` over `records` must give: a kept block stays (same holder, same
/// pool, the pool kept, the same CIDR or netmask), everything else is placed anew.
fn predict(spec: &Spec, records: &Records) -> Prediction {
    let mut p = Prediction::default();
    let held = held(records);
    let in_space = |space: &str| held.iter().filter(|h| h.space == space).collect::<Vec<_>>();
    let team_kept = spec.team.and_then(|n| {
        records
            .pools
            .get("team")
            .filter(|r| {
                r.parent.as_deref() == Some("corp")
                    && r.cidrs.len() == 1
                    && r.cidrs[0].prefix_len() == n
            })
            .map(|r| Net::of(&r.cidrs[0]))
    });
    let kept_in = |pool: PoolSel, who: &str, req: Req| -> Option<Net> {
        if pool == PoolSel::Team && team_kept.is_none() {
            return None;
        }
        let (rec_pool, rec) = if let Some(name) = who.strip_prefix("vpc.") {
            let r = records.vpcs.get(name)?;
            (r.pool.as_str(), Net::of(&r.cidr))
        } else {
            let r = records.reservations.get("r")?;
            (r.pool.as_str(), Net::of(&r.cidr))
        };
        let fits = match req {
            Req::Netmask(n) => rec.len == n,
            Req::Cidr(c) => rec == c,
        };
        (rec_pool == pool.name() && fits).then_some(rec)
    };
    let asks_in = |pool: PoolSel| -> Vec<Ask> {
        let mut asks = Vec::new();
        for (name, v) in spec.vpcs().filter(|(_, v)| v.pool == pool) {
            let who = format!("vpc.{name}");
            asks.push(Ask {
                kept: kept_in(pool, &who, v.req),
                who,
                req: v.req,
            });
        }
        if let Some(r) = spec.reservation.as_ref().filter(|r| r.pool == pool) {
            asks.push(Ask {
                kept: kept_in(pool, "reservation.r", r.req),
                who: "reservation.r".into(),
                req: r.req,
            });
        }
        asks
    };

    // corp: `team` is declared before every VPC and the reservation.
    let mut corp = Vec::new();
    if let Some(n) = spec.team {
        corp.push(Ask {
            who: "pool.team".into(),
            req: Req::Netmask(n),
            kept: team_kept,
        });
    }
    corp.extend(asks_in(PoolSel::Corp));
    fill(&mut p, &[CORP], &in_space("corp"), corp);
    if spec.lab {
        fill(&mut p, &[LAB], &in_space("lab"), asks_in(PoolSel::Lab));
    }
    if let Some(team) = p.placed.get("pool.team").copied() {
        fill(&mut p, &[team], &in_space("team"), asks_in(PoolSel::Team));
    }
    // Subnets, in each placed VPC; recorded subnets count only in the recorded primary.
    for (name, v) in spec.vpcs() {
        let who = format!("vpc.{name}");
        let Some(primary) = p.placed.get(&who).copied() else {
            continue;
        };
        let rec = records
            .vpcs
            .get(name)
            .filter(|r| Net::of(&r.cidr) == primary);
        let recorded: Vec<&Held> = match rec {
            Some(_) => held.iter().filter(|h| h.space == who).collect(),
            None => Vec::new(),
        };
        let asks = Spec::subnets(v)
            .map(|(sub, n)| Ask {
                kept: rec
                    .and_then(|r| r.subnets.get(&sub))
                    .map(|r| Net::of(&r.cidr))
                    .filter(|c| c.len == n),
                who: format!("{who}.subnet.{sub}"),
                req: Req::Netmask(n),
            })
            .collect();
        fill(&mut p, &[primary], &recorded, asks);
    }
    p
}

/// The text between `before` and `after` in `message`.
fn between<'a>(message: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let rest = &message[message.find(before)? + before.len()..];
    Some(&rest[..rest.find(after)?])
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

/// What happened over a whole sequence, to see that the generator exercises every path.
#[derive(Debug, Default)]
struct Tally {
    invalid: usize,
    refused: usize,
    applied: usize,
    pinned: usize,
    /// Applied steps that release a block and place a new one in the same space: the
    /// steps where (d) can fail.
    release_and_place: usize,
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("reconcile_props")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("work dir");
    dir
}

fn run_sequence(dir: &Path, specs: &[Spec], tally: &mut Tally) -> Result<(), TestCaseError> {
    let file = dir.join("ipam.toml");
    let mut records = Records::default();
    // The spec the current records were applied from.
    let mut applied: Option<&Spec> = None;
    for (k, spec) in specs.iter().enumerate() {
        let toml = spec.toml();
        fs::write(&file, &toml).expect("write plan");
        let Ok((model, _)) = load_model(&file) else {
            tally.invalid += 1;
            continue;
        };
        let predicted = predict(spec, &records);
        let planned = match plan(&model, &records) {
            Ok(p) => p,
            Err(diags) => {
                tally.refused += 1;
                // (e) every failure the oracle predicts, and no other.
                let mut exhausted = BTreeSet::new();
                let mut refused = BTreeSet::new();
                for d in &diags {
                    let who = between(&d.message, " for ", " ").map(str::to_string);
                    match d.code {
                        "ipam::plan::exhausted" => {
                            let who =
                                between(&d.message, " left for ", ";").expect("who is exhausted");
                            exhausted.insert(who.to_string());
                        }
                        "ipam::plan::claim" => {
                            refused.insert(who.expect("who claims"));
                        }
                        code => {
                            return Err(TestCaseError::fail(format!(
                                "step {k}: unexpected {code}: {}\n{toml}",
                                d.message
                            )));
                        }
                    }
                }
                prop_assert_eq!(
                    (&exhausted, &refused),
                    (&predicted.exhausted, &predicted.refused),
                    "step {}: the plan's failures (exhausted, refused) differ from the \
                     oracle's\n{}\nrecords: {:#?}",
                    k,
                    toml,
                    records
                );
                continue;
            }
        };
        // (e) when the oracle says everything fits, it does, exactly where first fit puts it.
        prop_assert!(
            predicted.exhausted.is_empty() && predicted.refused.is_empty(),
            "step {}: planned although the oracle predicts failures {:?}\n{}",
            k,
            predicted,
            toml
        );
        let desired = blocks_by_address(&planned.desired);
        prop_assert_eq!(
            &desired,
            &predicted.placed,
            "step {}: placement differs from first fit\n{}\nrecords: {:#?}",
            k,
            toml,
            records
        );

        // Determinism.
        let again = plan(&model, &records).map_err(|_| TestCaseError::fail("replan failed"))?;
        prop_assert_eq!(&again.changes, &planned.changes, "step {}: plans differ", k);
        prop_assert_eq!(&again.desired, &planned.desired);

        // (d) nothing new overlaps a block recorded before, in the same space, held by
        // another resource.
        let before = held(&records);
        let after = held(&planned.desired);
        let released: BTreeSet<&str> = before
            .iter()
            .filter(|h| !after.contains(h))
            .map(|h| h.space.as_str())
            .collect();
        if after
            .iter()
            .any(|h| !before.contains(h) && released.contains(h.space.as_str()))
        {
            tally.release_and_place += 1;
        }
        for new in after.iter().filter(|h| !before.contains(h)) {
            if let Some(old) = before
                .iter()
                .find(|o| o.space == new.space && o.holder != new.holder && o.net.overlaps(new.net))
            {
                return Err(TestCaseError::fail(format!(
                    "step {k}: {} gets {} in {}, overlapping {} that {} held before this \
                     plan\n{toml}",
                    new.holder, new.net, new.space, old.net, old.holder
                )));
            }
        }

        // (a) apply gives exactly the plan's records, and they keep every invariant.
        let (next, _) = apply(&records, &planned).map_err(|problems| {
            TestCaseError::fail(format!("step {k}: apply refused: {problems:?}\n{toml}"))
        })?;
        prop_assert_eq!(&next, &planned.desired, "step {}", k);
        let problems = check(&next);
        prop_assert!(problems.is_empty(), "step {}: {:?}\n{}", k, problems, toml);

        // (b) pinning against the previous applied state.
        if let Some(prev) = applied {
            let was = prev.requests();
            let now = spec.requests();
            let old_blocks = blocks_by_address(&records);
            let new_blocks = blocks_by_address(&next);
            for (who, req) in &now {
                if was.get(who) != Some(req) {
                    continue;
                }
                if let (Some(a), Some(b)) = (old_blocks.get(who), new_blocks.get(who)) {
                    tally.pinned += 1;
                    prop_assert_eq!(
                        a,
                        b,
                        "step {}: {} moved although its request ({}) did not change\n{}",
                        k,
                        who,
                        req,
                        toml
                    );
                }
            }
        }

        // (c) a plan right after apply has no changes.
        let after_plan = plan(&model, &next).map_err(|d| {
            TestCaseError::fail(format!(
                "step {k}: plan after apply failed: {:?}",
                d.iter().map(|d| &d.message).collect::<Vec<_>>()
            ))
        })?;
        prop_assert!(
            !after_plan.has_changes(),
            "step {}: plan after apply has changes: {:?}\n{}",
            k,
            after_plan.changes,
            toml
        );

        tally.applied += 1;
        records = next;
        applied = Some(spec);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn plan_and_apply_keep_their_promises(specs in sequence()) {
        let dir = workdir("sequence");
        let mut tally = Tally::default();
        run_sequence(&dir, &specs, &mut tally)?;
    }
}

/// The generator reaches every outcome the properties talk about: applied steps with
/// pinned resources, refused plans, and invalid ones are all common enough (a fixed seed
/// keeps this deterministic).
#[test]
fn generator_exercises_every_path() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let dir = workdir("coverage");
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = sequence();
    let mut tally = Tally::default();
    for _ in 0..48 {
        let specs = strategy
            .new_tree(&mut runner)
            .expect("generate a sequence")
            .current();
        run_sequence(&dir, &specs, &mut tally).expect("the properties hold");
    }
    eprintln!("{tally:?}");
    assert!(tally.applied > 48, "{tally:?}");
    assert!(tally.pinned > 48, "{tally:?}");
    assert!(tally.refused > 0, "{tally:?}");
    assert!(tally.release_and_place > 0, "{tally:?}");
}
