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

use std::collections::BTreeMap;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
    pub free: AddrCount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_free: Option<Prefix>,
}

impl PoolPoint {
    /// Addresses allocated (to sub-pools, VPCs and reservations).
    pub fn used(&self) -> AddrCount {
        self.total.minus(self.free)
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

/// A moment, to the second, UTC. Written as RFC 3339 (`2026-11-22T10:04:05Z`); read from
/// that or from a date alone (`2026-11-22`, midnight UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

/// The last second of 9999: forecasts further away are shown as that.
const LAST: u64 = 253_402_300_799;

impl Time {
    pub fn now() -> Time {
        Time(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        )
    }

    /// The date alone, `2026-11-22`.
    pub fn date(self) -> String {
        let mut s = self.to_string();
        s.truncate(10);
        s
    }

    /// Reads `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` (years 1970 to 9999).
    pub fn parse(text: &str) -> Result<Time, String> {
        let bad = || {
            format!("`{text}` is not a date or time: write 2026-11-22 or 2026-11-22T10:04:05Z")
        };
        let t = text.trim();
        let (date, clock) = match t.split_once(['T', ' ']) {
            Some((d, c)) => (d, Some(c.strip_suffix('Z').ok_or_else(bad)?)),
            None => (t, None),
        };
        let num = |s: &str, len: usize| -> Result<u64, String> {
            if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let parts: Vec<&str> = date.split('-').collect();
        let [y, m, d] = parts[..] else {
            return Err(bad());
        };
        let (y, m, d) = (num(y, 4)?, num(m, 2)?, num(d, 2)?);
        if y < 1970 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return Err(bad());
        }
        let mut secs = days_from_civil(y, m, d) * 86_400;
        if let Some(c) = clock {
            let parts: Vec<&str> = c.split(':').collect();
            let [h, mi, s] = parts[..] else {
                return Err(bad());
            };
            let (h, mi, s) = (num(h, 2)?, num(mi, 2)?, num(s, 2)?);
            if h > 23 || mi > 59 || s > 59 {
                return Err(bad());
            }
            secs += h * 3600 + mi * 60 + s;
        }
        Ok(Time(secs))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::rfc3339(
            UNIX_EPOCH + std::time::Duration::from_secs(self.0.min(LAST)),
        ))
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        let text = <std::borrow::Cow<str>>::deserialize(d)?;
        Time::parse(&text).map_err(D::Error::custom)
    }
}

fn is_leap(y: u64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date on or after it (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let month_from_march = (m + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A running least-squares fit of used addresses over time, one point at a time, in
/// constant memory: a report over 10,000 pools and years of applies keeps one per pool.
///
/// Times are taken relative to the first point and the sums kept as running means and
/// co-moments (Welford), so neither epoch seconds nor IPv6 counts lose the slope to
/// rounding.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Trend {
    points: u64,
    first: u64,
    last: u64,
    mean_t: f64,
    mean_y: f64,
    /// Σ (t − mean_t)²
    m_tt: f64,
    /// Σ (t − mean_t)(y − mean_y)
    c_ty: f64,
    /// The latest point's used addresses.
    latest: f64,
}

/// What a pool's trend says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Forecast {
    /// Fewer than two points at distinct times: no line can be drawn.
    TooLittleHistory { points: u64 },
    /// The line is flat or falls: it never reaches `alert_at` or the pool's size.
    NoGrowth { points: u64 },
    /// The line rises by `per_day` addresses a day.
    Growth {
        points: u64,
        per_day: f64,
        /// When it crosses `alert_at` (`None`: the pool has none).
        alert: Option<Crossing>,
        full: Crossing,
    },
}

/// When a rising trend reaches a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    /// The latest point is already there.
    Reached,
    /// On this day (never before the latest point: a line through noisy points may cross
    /// earlier than the pool really did).
    On(Time),
}

impl Trend {
    /// Adds a point: `used` addresses at `time`. Points must come in time order (a history
    /// is appended in time order; one out of order only shifts the reference time).
    pub fn add(&mut self, time: Time, used: f64) {
        if self.points == 0 {
            self.first = time.0;
        }
        self.points += 1;
        self.last = self.last.max(time.0);
        // Days since the first point, as a signed offset (clock steps back are possible).
        let t = (time.0 as f64 - self.first as f64) / 86_400.0;
        let n = self.points as f64;
        let dt = t - self.mean_t;
        self.mean_t += dt / n;
        let dy = used - self.mean_y;
        self.mean_y += dy / n;
        self.m_tt += dt * (t - self.mean_t);
        self.c_ty += dt * (used - self.mean_y);
        self.latest = used;
    }

    pub fn points(&self) -> u64 {
        self.points
    }

    /// The forecast for a pool of `total` addresses with this `alert_at` (percent).
    pub fn forecast(&self, total: f64, alert_at: Option<u8>) -> Forecast {
        let points = self.points;
        if points < 2 || self.m_tt <= 0.0 {
            return Forecast::TooLittleHistory { points };
        }
        let per_day = self.c_ty / self.m_tt;
        // Less than one address a century is no growth.
        if per_day.is_nan() || per_day <= 1.0 / 36_525.0 {
            return Forecast::NoGrowth { points };
        }
        let crossing = |level: f64| {
            if self.latest >= level {
                return Crossing::Reached;
            }
            // used(t) = mean_y + per_day (t - mean_t), t in days since the first point.
            let days = self.mean_t + (level - self.mean_y) / per_day;
            let secs = self.first as f64 + days * 86_400.0;
            let secs = if secs.is_finite() {
                secs.round().clamp(0.0, LAST as f64) as u64
            } else {
                LAST
            };
            Crossing::On(Time(secs.max(self.last)))
        };
        Forecast::Growth {
            points,
            per_day,
            alert: alert_at.map(|a| crossing(total * f64::from(a) / 100.0)),
            full: crossing(total),
        }
    }
}

impl fmt::Display for Crossing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Crossing::Reached => f.write_str("already reached"),
            Crossing::On(t) => f.write_str(&t.date()),
        }
    }
}

impl Forecast {
    /// One line for people: "crosses alert_at 80% on 2027-03-01, full on 2027-06-10 (trend
    /// of 12 snapshots, +1024 addresses a day)", or why there is none.
    pub fn describe(&self, alert_at: Option<u8>) -> String {
        match *self {
            Forecast::TooLittleHistory { points } => format!(
                "too little history to forecast ({points} snapshot{}; it takes two at different times)",
                plural(points)
            ),
            Forecast::NoGrowth { points } => {
                format!("no growth over {points} snapshots: no forecast")
            }
            Forecast::Growth {
                points,
                per_day,
                alert,
                full,
            } => {
                let mut s = String::new();
                if let (Some(c), Some(a)) = (alert, alert_at) {
                    match c {
                        Crossing::Reached => s.push_str(&format!("above alert_at {a}%, ")),
                        Crossing::On(t) => {
                            s.push_str(&format!("crosses alert_at {a}% on {}, ", t.date()))
                        }
                    }
                }
                match full {
                    Crossing::Reached => s.push_str("full"),
                    Crossing::On(t) => s.push_str(&format!("full on {}", t.date())),
                }
                s.push_str(&format!(
                    " (trend of {points} snapshots, +{} addresses a day)",
                    rate(per_day)
                ));
                s
            }
        }
    }

    /// When the trend crosses `alert_at`, if it does.
    pub fn alert_crossing(&self) -> Option<Crossing> {
        match self {
            Forecast::Growth { alert, .. } => *alert,
            _ => None,
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A rate for people: whole numbers from 10 up, two significant digits below.
pub fn rate(per_day: f64) -> String {
    if per_day >= 10.0 {
        format!("{per_day:.0}")
    } else {
        format!("{per_day:.2}")
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

/// Parses a `--horizon`: `90d`, `12w`, `36h`.
pub fn parse_horizon(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a horizon; write e.g. 90d, 12w or 36h"))?;
    let unit_secs = match unit {
        "d" => 86_400,
        "w" => 7 * 86_400,
        "h" => 3600,
        _ => {
            return Err(format!(
                "`{unit}` is not a unit for a horizon; use d (days), w (weeks) or h (hours)"
            ));
        }
    };
    Ok(n.saturating_mul(unit_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u64) -> Time {
        Time(1_767_225_600 + d * 86_400) // 2026-01-01 + d days
    }

    #[test]
    fn times_round_trip() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T12:34:56Z",
            "2026-12-31T23:59:59Z",
        ] {
            assert_eq!(Time::parse(text).expect(text).to_string(), text);
        }
        assert_eq!(
            Time::parse("2026-01-01").expect("date"),
            Time(1_767_225_600)
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "1969-12-31",
            "2026-1-01",
            "2026-01-01T25:00:00Z",
            "2026-01-01T10:00:00",
            "yesterday",
            "",
        ] {
            assert!(Time::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_straight_line_forecasts_exactly() {
        // 100 addresses a day from 1000 on day 0, in a pool of 10000 with alert_at 50:
        // 5000 on day 40, full on day 90.
        let mut t = Trend::default();
        for d in 0..10 {
            t.add(day(d), 1000.0 + 100.0 * d as f64);
        }
        match t.forecast(10_000.0, Some(50)) {
            Forecast::Growth {
                points,
                per_day,
                alert,
                full,
            } => {
                assert_eq!(points, 10);
                assert!((per_day - 100.0).abs() < 1e-9, "{per_day}");
                assert_eq!(alert, Some(Crossing::On(day(40))));
                assert_eq!(full, Crossing::On(day(90)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn noise_is_fitted_by_least_squares() {
        // y = 2000 + 50 d, alternately 30 above and below: the fit is the line itself.
        let mut t = Trend::default();
        for d in 0..20u64 {
            let noise = if d % 2 == 0 { 30.0 } else { -30.0 };
            t.add(day(d), 2000.0 + 50.0 * d as f64 + noise);
        }
        let Forecast::Growth { per_day, full, .. } = t.forecast(12_000.0, None) else {
            panic!("growth expected");
        };
        // The alternating noise tilts the slope a little: within half an address a day.
        assert!((per_day - 50.0).abs() < 0.5, "{per_day}");
        let Crossing::On(at) = full else {
            panic!("not full yet")
        };
        let days = (at.0 - day(0).0) as f64 / 86_400.0;
        assert!((days - 200.0).abs() < 3.0, "{days}");
    }

    #[test]
    fn too_little_history_and_no_growth_are_said() {
        let mut t = Trend::default();
        assert_eq!(
            t.forecast(100.0, Some(80)),
            Forecast::TooLittleHistory { points: 0 }
        );
        t.add(day(0), 10.0);
        assert_eq!(
            t.forecast(100.0, Some(80)),
            Forecast::TooLittleHistory { points: 1 }
        );
        t.add(day(0), 20.0);
        assert_eq!(
            t.forecast(100.0, Some(80)),
            Forecast::TooLittleHistory { points: 2 },
            "two points at one time draw no line"
        );
        let mut flat = Trend::default();
        let mut falling = Trend::default();
        for d in 0..5 {
            flat.add(day(d), 40.0);
            falling.add(day(d), 40.0 - d as f64);
        }
        assert_eq!(flat.forecast(100.0, None), Forecast::NoGrowth { points: 5 });
        assert_eq!(
            falling.forecast(100.0, None),
            Forecast::NoGrowth { points: 5 }
        );
        assert!(
            Forecast::TooLittleHistory { points: 1 }
                .describe(Some(80))
                .contains("too little history")
        );
    }

    #[test]
    fn levels_already_reached_and_crossings_in_the_past() {
        let mut t = Trend::default();
        t.add(day(0), 10.0);
        t.add(day(10), 90.0);
        let f = t.forecast(100.0, Some(80));
        assert_eq!(f.alert_crossing(), Some(Crossing::Reached));
        assert!(f.describe(Some(80)).starts_with("above alert_at 80%, full on "));
        // A line fitted through a dip crosses before the latest point (which is below the
        // level): shown as then, not in the past.
        let mut dip = Trend::default();
        dip.add(day(0), 0.0);
        dip.add(day(1), 60.0);
        dip.add(day(2), 50.0);
        let f = dip.forecast(100.0, Some(55));
        assert_eq!(f.alert_crossing(), Some(Crossing::On(day(2))));
    }

    #[test]
    fn ipv6_sized_counts_keep_their_slope() {
        // A /32 growing by one /48 (2^80 addresses) a day.
        let step = 2f64.powi(80);
        let mut t = Trend::default();
        for d in 0..4 {
            t.add(day(d), step * d as f64);
        }
        let Forecast::Growth { per_day, full, .. } = t.forecast(2f64.powi(96), None) else {
            panic!("growth expected");
        };
        assert!((per_day / step - 1.0).abs() < 1e-9);
        assert_eq!(full, Crossing::On(day(65_536)));
    }

    #[test]
    fn far_forecasts_stop_at_9999() {
        let mut t = Trend::default();
        t.add(day(0), 0.0);
        t.add(day(1), 1.0);
        let Forecast::Growth { full, .. } = t.forecast(1e30, None) else {
            panic!("growth expected");
        };
        assert_eq!(full.to_string(), "9999-12-31");
    }

    #[test]
    fn horizons_parse() {
        assert_eq!(parse_horizon("90d"), Ok(90 * 86_400));
        assert_eq!(parse_horizon("2w"), Ok(14 * 86_400));
        assert_eq!(parse_horizon("36h"), Ok(36 * 3600));
        assert!(parse_horizon("3m").is_err());
        assert!(parse_horizon("d").is_err());
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
                free: AddrCount::pow2(24).minus(AddrCount::pow2(16)),
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
    }
}
