//! The forecast: a least-squares line through a pool's used addresses over time, and when
//! it crosses the pool's `alert_at` and its size.

use std::fmt;

use super::time::{LAST, Time};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u64) -> Time {
        Time(1_767_225_600 + d * 86_400) // 2026-01-01 + d days
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
        assert!(
            f.describe(Some(80))
                .starts_with("above alert_at 80%, full on ")
        );
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
}
