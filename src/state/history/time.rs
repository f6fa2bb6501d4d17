//! Times in a history: UTC to the second, written as RFC 3339, and `--horizon` spans.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A moment, to the second, UTC. Written as RFC 3339 (`2026-11-22T10:04:05Z`); read from
/// that or from a date alone (`2026-11-22`, midnight UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

/// The last second of 9999: forecasts further away are shown as that.
pub(super) const LAST: u64 = 253_402_300_799;

impl Time {
    pub fn now() -> Time {
        Time(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        )
    }

    /// The start of the forecast window ending at `now`.
    pub fn window_start(now: Time) -> Time {
        Time(now.0.saturating_sub(super::FORECAST_DAYS * 86_400))
    }

    /// The date alone, `2026-11-22`.
    pub fn date(self) -> String {
        let mut s = self.to_string();
        s.truncate(10);
        s
    }

    /// Reads `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` (years 1970 to 9999).
    pub fn parse(text: &str) -> Result<Time, String> {
        let bad =
            || format!("`{text}` is not a date or time: write 2026-11-22 or 2026-11-22T10:04:05Z");
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
        f.write_str(&crate::state::rfc3339(
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
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
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
    fn horizons_parse() {
        assert_eq!(parse_horizon("90d"), Ok(90 * 86_400));
        assert_eq!(parse_horizon("2w"), Ok(14 * 86_400));
        assert_eq!(parse_horizon("36h"), Ok(36 * 3600));
        assert!(parse_horizon("3m").is_err());
        assert!(parse_horizon("d").is_err());
    }
}
