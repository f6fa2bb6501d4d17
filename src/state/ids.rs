//! Identities and times the state records: lock IDs, lineages, who and where a writer runs,
//! and RFC 3339 timestamps (no date library: the tool needs UTC to the second, nothing more).

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::process;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// 16 hex digits of randomness: a lock ID.
pub fn random_id() -> String {
    random_hex(1)
}

/// 32 hex digits of randomness: a new state's lineage.
pub fn new_lineage() -> String {
    random_hex(2)
}

/// `words` × 16 hex digits. Each word is SipHash under a fresh `RandomState` (keyed from the
/// OS's randomness) of a counter, the pid and the time, so IDs differ across processes,
/// machines and calls.
fn random_hex(words: usize) -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (0..words)
        .map(|_| {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
            h.write_u32(process::id());
            h.write_u128(nanos);
            format!("{:016x}", h.finish())
        })
        .collect()
}

pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| non_empty(fs::read_to_string(p).ok()))
        .or_else(|| non_empty(std::env::var("HOSTNAME").ok()))
        .unwrap_or_else(|| "unknown".into())
}

pub fn user_name() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| non_empty(std::env::var(v).ok()))
        .unwrap_or_else(|| "unknown".into())
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// `time` as RFC 3339 UTC to the second, e.g. `2026-11-22T10:04:05Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (year, month, day) = civil_from_days(secs / 86_400);
    let second_of_day = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// Year, month, day of a count of days since 1970-01-01 in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Counted from 0000-03-01, so that the leap day ends each 4-year cycle.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn ids_are_random_hex() {
        let is_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
        let a = random_id();
        let b = random_id();
        assert_eq!(a.len(), 16);
        assert!(is_hex(&a));
        assert_ne!(a, b);
        let lineage = new_lineage();
        assert_eq!(lineage.len(), 32);
        assert!(is_hex(&lineage));
        assert_ne!(lineage[..16], lineage[16..]);
    }

    #[test]
    fn times_are_rfc3339_utc() {
        let at = |secs| rfc3339(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_827_696), "2000-02-29T12:34:56Z");
        assert_eq!(at(951_868_800), "2000-03-01T00:00:00Z");
        assert_eq!(at(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
    }
}
