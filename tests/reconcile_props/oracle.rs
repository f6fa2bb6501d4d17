//! What the plans must give: the blocks of a state, and a brute-force oracle of the
//! allocation policy (property e).

use std::collections::{BTreeMap, BTreeSet};

use ipam::state::Records;

use crate::spec::{CORP, LAB, Net, PoolSel, Req, Spec};

/// A block someone holds: the space it is taken from (a pool, or `vpc.NAME` for subnets),
/// the block, and its holder's address.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Held {
    pub space: String,
    pub net: Net,
    pub holder: String,
}

pub fn held(records: &Records) -> Vec<Held> {
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
pub fn blocks_by_address(records: &Records) -> BTreeMap<String, Net> {
    let mut out = BTreeMap::new();
    for h in held(records) {
        out.entry(h.holder).or_insert(h.net);
    }
    out
}

/// What the oracle expects of a plan.
#[derive(Debug, Default)]
pub struct Prediction {
    /// Every block placed, by holder (its lowest block, for a pool with several).
    pub placed: BTreeMap<String, Net>,
    /// Netmask requests that find no free aligned block.
    pub exhausted: BTreeSet<String>,
    /// Explicit claims over a taken block or outside the space.
    pub refused: BTreeSet<String>,
    /// Pools that stop provisioning a CIDR something kept is still allocated from.
    pub deprovisioned: BTreeSet<String>,
}

impl Prediction {
    fn place(&mut self, who: String, net: Net) {
        self.placed
            .entry(who)
            .and_modify(|n| *n = (*n).min(net))
            .or_insert(net);
    }
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
            p.place(ask.who, net);
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
                    p.place(ask.who, c);
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
                p.place(who, c);
            }
            None => {
                p.exhausted.insert(who);
            }
        }
    }
}

/// What planning `spec` over `records` must give: a kept block stays (same holder, same
/// pool, the pool kept, the same CIDR or netmask), everything else is placed anew.
pub fn predict(spec: &Spec, records: &Records) -> Prediction {
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
        // `lab` is never replaced, so neither is `multi`: a block in it is kept by request.
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
    let multi = spec.multi_cidrs();
    if spec.lab {
        // `multi`'s blocks are explicit claims in `lab`; the recorded ones it keeps stay.
        let recorded_multi: Vec<Net> = records
            .pools
            .get("multi")
            .filter(|r| r.parent.as_deref() == Some("lab"))
            .map(|r| r.cidrs.iter().map(Net::of).collect())
            .unwrap_or_default();
        let mut lab = asks_in(PoolSel::Lab);
        lab.extend(multi.iter().map(|c| Ask {
            who: "pool.multi".into(),
            req: Req::Cidr(*c),
            kept: recorded_multi.contains(c).then_some(*c),
        }));
        fill(&mut p, &[LAB], &in_space("lab"), lab);
    }
    if !multi.is_empty() {
        let asks = asks_in(PoolSel::Multi);
        // A kept block outside the CIDRs `multi` still provisions: refused before placing.
        let orphaned = asks
            .iter()
            .filter_map(|a| a.kept)
            .any(|k| !multi.iter().any(|r| r.contains(k)));
        if orphaned {
            p.deprovisioned.insert("multi".into());
        } else {
            fill(&mut p, &multi, &in_space("multi"), asks);
        }
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
