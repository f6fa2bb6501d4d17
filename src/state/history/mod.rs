//! History (SPEC §15): what every apply and every recorded audit leaves behind, so
//! utilization and audit counts can be followed over time, and the forecast drawn from it.
//!
//! A history is a series of [`Record`]s kept by the state's backend beside the state (the
//! file backend: one JSON record per line, [`super::file`]). It is never needed to plan or
//! apply: a missing or damaged history only leaves the series shorter, and the state stays
//! the one source of truth.
//!
//! The forecast is a least-squares line through a pool's used addresses over time: it says
//! when the line crosses the pool's `alert_at` and when it reaches the pool's size. It is a
//! trend, not a promise; with fewer than two points, or a line that does not rise, it says
//! so instead of guessing.

mod forecast;
mod time;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use forecast::{Crossing, Forecast, Trend, rate};
pub use time::{Time, parse_horizon};

use crate::addr::{AddrCount, Prefix};
use crate::state::usage::Utilization;

/// One entry of a history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Record {
    /// Written by every apply that saved a new state.
    Apply(Snapshot),
    /// Written by `ipam audit --record`.
    Audit(AuditRecord),
}

impl Record {
    pub fn time(&self) -> Time {
        match self {
            Record::Apply(s) => s.time,
            Record::Audit(a) => a.time,
        }
    }
}

/// Every pool's utilization right after an apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub time: Time,
    /// The serial of the state the apply wrote.
    pub serial: u64,
    /// By pool name.
    pub pools: BTreeMap<String, PoolPoint>,
}

/// One pool's addresses at one time (as `ipam show` prints them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolPoint {
    pub total: AddrCount,
    pub in_pools: AddrCount,
    pub in_vpcs: AddrCount,
    pub in_reservations: AddrCount,
    /// Addresses in slots a layout holds for growth: neither allocated nor free.
    #[serde(default, skip_serializing_if = "AddrCount::is_zero")]
    pub held: AddrCount,
    pub free: AddrCount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_free: Option<Prefix>,
}

impl PoolPoint {
    /// Addresses allocated (to sub-pools, VPCs and reservations); held slots are not.
    pub fn used(&self) -> AddrCount {
        self.total.minus(self.free).minus(self.held)
    }

    /// Percent used, 0–100.
    pub fn percent(&self) -> f64 {
        self.used().ratio(self.total) * 100.0
    }
}

impl From<&Utilization> for PoolPoint {
    fn from(u: &Utilization) -> PoolPoint {
        PoolPoint {
            total: u.total,
            in_pools: u.in_pools,
            in_vpcs: u.in_vpcs,
            in_reservations: u.in_reservations,
            held: u.held,
            free: u.free,
            largest_free: u.largest_free,
        }
    }
}

impl Snapshot {
    /// The snapshot of a state just written.
    pub fn of(time: Time, serial: u64, usage: &BTreeMap<&str, Utilization>) -> Snapshot {
        Snapshot {
            time,
            serial,
            pools: usage
                .iter()
                .map(|(name, u)| ((*name).to_string(), PoolPoint::from(u)))
                .collect(),
        }
    }
}

/// What one audit found, for the series of audit counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    pub time: Time,
    /// The serial of the state audited against.
    pub serial: u64,
    /// Counts of resource CIDRs by status, per scope.
    pub scopes: BTreeMap<String, Counts>,
    /// IP usage (0–1) of every discovered VPC and vSwitch whose usage is known, by the
    /// cloud's ID: a VPC's share of addresses in its subnets, a vSwitch's addresses in use.
    #[serde(default)]
    pub usage: BTreeMap<String, f64>,
}

/// Resource CIDRs by management, compliance and overlap status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub resources: u64,
    pub managed: u64,
    pub unmanaged: u64,
    pub ignored: u64,
    pub compliant: u64,
    pub noncompliant: u64,
    pub overlapping: u64,
    pub nonoverlapping: u64,
}

impl Counts {
    /// Adds another scope's counts (totals over scopes).
    pub fn add(&mut self, o: &Counts) {
        self.resources += o.resources;
        self.managed += o.managed;
        self.unmanaged += o.unmanaged;
        self.ignored += o.ignored;
        self.compliant += o.compliant;
        self.noncompliant += o.noncompliant;
        self.overlapping += o.overlapping;
        self.nonoverlapping += o.nonoverlapping;
    }
}

/// What a history read left out: a record that does not parse (a torn last line from a
/// crash mid-append, or a line damaged since), named so the user can look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// 1-based line (file backend) or row number.
    pub line: u64,
    pub reason: String,
}

/// Every pool's trend over a history, built one record at a time.
#[derive(Debug, Default)]
pub struct Trends {
    pub pools: BTreeMap<String, Trend>,
    /// Apply snapshots taken in.
    pub snapshots: u64,
    pub first: Option<Time>,
    pub last: Option<Time>,
    /// Snapshots before this are passed over (see [`Trends::window`]).
    from: Option<Time>,
}

/// How far back a forecast looks: the trend of the last 90 days, so it follows how a pool
/// grows now rather than how it grew a year ago, and reading it costs the same however old
/// the history is.
pub const FORECAST_DAYS: u64 = 90;

impl Trends {
    /// Trends over the [`FORECAST_DAYS`] before `now`; also the `since` to read the history
    /// from.
    pub fn window(now: Time) -> Trends {
        Trends {
            from: Some(Time::window_start(now)),
            ..Trends::default()
        }
    }

    /// The start of the window, for reading the history.
    pub fn from(&self) -> Option<Time> {
        self.from
    }

    /// Takes in one record (audit records, and snapshots before the window, are passed
    /// over).
    pub fn add(&mut self, record: Record) {
        let Record::Apply(s) = record else { return };
        if self.from.is_some_and(|f| s.time < f) {
            return;
        }
        self.snapshots += 1;
        self.first = self.first.min(Some(s.time)).or(Some(s.time));
        self.last = self.last.max(Some(s.time));
        merge(&mut self.pools, &s.pools, |t, p| {
            t.add(s.time, p.used().as_f64())
        });
    }

    /// The forecast of a pool as it is now: `u` is its current utilization (its size and
    /// `alert_at`). A pool the history never saw has too little history.
    pub fn forecast(&self, pool: &str, u: &Utilization) -> Forecast {
        self.pools
            .get(pool)
            .copied()
            .unwrap_or_default()
            .forecast(u.total.as_f64(), u.alert_at)
    }
}

/// Calls `each` with the entry of `map` (a new default one for a pool not seen before) and
/// the point of every pool of a snapshot. Both are in name order, so they are walked side by
/// side: one comparison per pool, not a search, on every snapshot of a long history.
pub fn merge<T: Default>(
    map: &mut BTreeMap<String, T>,
    pools: &BTreeMap<String, PoolPoint>,
    mut each: impl FnMut(&mut T, &PoolPoint),
) {
    let mut new = Vec::new();
    let mut mine = map.iter_mut().peekable();
    for (name, p) in pools {
        while mine.next_if(|(k, _)| k.as_str() < name.as_str()).is_some() {}
        match mine.next_if(|(k, _)| *k == name) {
            Some((_, t)) => each(t, p),
            None => {
                let mut t = T::default();
                each(&mut t, p);
                new.push((name.clone(), t));
            }
        }
    }
    map.extend(new);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u64) -> Time {
        Time(1_767_225_600 + d * 86_400) // 2026-01-01 + d days
    }

    #[test]
    fn merging_walks_both_in_order_and_adds_new_pools() {
        let point = |free: u8| PoolPoint {
            total: AddrCount::pow2(8),
            in_pools: AddrCount::ZERO,
            in_vpcs: AddrCount::ZERO,
            in_reservations: AddrCount::ZERO,
            held: AddrCount::ZERO,
            free: AddrCount::pow2(8).minus(AddrCount::pow2(free)),
            largest_free: None,
        };
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (i, names) in [vec!["b", "d"], vec!["a", "b", "c", "d", "e"], vec!["e"]]
            .into_iter()
            .enumerate()
        {
            let pools: BTreeMap<String, PoolPoint> = names
                .iter()
                .map(|n| (n.to_string(), point(i as u8)))
                .collect();
            merge(&mut seen, &pools, |v, p| v.push(p.used().to_string()));
        }
        let got: Vec<(&str, Vec<&str>)> = seen
            .iter()
            .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", vec!["2"]),
                ("b", vec!["1", "2"]),
                ("c", vec!["2"]),
                ("d", vec!["1", "2"]),
                ("e", vec!["2", "4"]),
            ]
        );
    }

    #[test]
    fn trends_look_back_ninety_days() {
        let snap = |d: u64, used: u8| {
            let total = AddrCount::pow2(8);
            let p = PoolPoint {
                total,
                in_pools: AddrCount::ZERO,
                in_vpcs: AddrCount::pow2(used),
                in_reservations: AddrCount::ZERO,
                held: AddrCount::ZERO,
                free: total.minus(AddrCount::pow2(used)),
                largest_free: None,
            };
            Record::Apply(Snapshot {
                time: day(d),
                serial: d,
                pools: [("p".to_string(), p)].into(),
            })
        };
        let mut t = Trends::window(day(100));
        assert_eq!(t.from(), Some(day(10)));
        t.add(snap(0, 7));
        t.add(snap(9, 7));
        t.add(snap(10, 1));
        t.add(snap(20, 2));
        assert_eq!(t.snapshots, 2, "the two before day 10 are left out");
        assert_eq!(t.first, Some(day(10)));
        assert_eq!(t.pools["p"].points(), 2);
    }

    #[test]
    fn records_round_trip_as_one_line() {
        let mut pools = BTreeMap::new();
        pools.insert(
            "corp".to_string(),
            PoolPoint {
                total: AddrCount::pow2(24),
                in_pools: AddrCount::pow2(16),
                in_vpcs: AddrCount::ZERO,
                in_reservations: AddrCount::ZERO,
                held: AddrCount::pow2(16),
                free: AddrCount::pow2(24)
                    .minus(AddrCount::pow2(16))
                    .minus(AddrCount::pow2(16)),
                largest_free: "10.128.0.0/9".parse().ok(),
            },
        );
        let r = Record::Apply(Snapshot {
            time: day(3),
            serial: 7,
            pools,
        });
        let line = serde_json::to_string(&r).expect("encode");
        assert!(line.starts_with(r#"{"kind":"apply","time":"2026-01-04T00:00:00Z","serial":7"#));
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<Record>(&line).expect("decode"), r);
        let Record::Apply(back) = r else {
            unreachable!("built as an apply record")
        };
        assert_eq!(
            back.pools["corp"].used(),
            AddrCount::pow2(16),
            "held slots are neither used nor free"
        );
    }
}
