//! History, forecasts and their commands, as a user runs them: apply records snapshots,
//! `audit --record` records audits, `history` prints the series, `show` and `check
//! --horizon` read the forecast. Forecasts are checked on synthetic series whose answer is
//! known; a torn or damaged history never blocks plan or apply.

use std::fs;
use std::path::Path;

mod common;

use common::state::{HEADER, ok};
use common::{ipam, text, workdir};

use ipam::addr::AddrCount;
use ipam::state::history::{PoolPoint, Record, Snapshot, Time};

/// A plan of one /16 pool with `alert_at = 80` and `vpcs` VPCs of /24.
fn plan(dir: &Path, vpcs: usize) {
    let mut p = format!("{HEADER}alert_at = 80\n");
    for i in 0..vpcs {
        p.push_str(&format!(
            "\n[vpcs.v{i}]\npool = \"corp\"\nnetmask = 24\nresource_id = \"vpc-{i}\"\n"
        ));
    }
    fs::create_dir_all(dir).expect("plan dir");
    fs::write(dir.join("plan.toml"), p).expect("plan");
}

fn history_file(work: &Path) -> std::path::PathBuf {
    work.join("plan/ipam.state.json.history")
}

fn lines(work: &Path) -> Vec<String> {
    fs::read_to_string(history_file(work))
        .expect("history")
        .lines()
        .map(String::from)
        .collect()
}

/// A snapshot of pool `corp` (a /16) with `used` addresses at `time`.
fn point(time: Time, serial: u64, used: u128) -> String {
    let total = AddrCount::pow2(16);
    let used = count(used);
    let p = PoolPoint {
        total,
        in_pools: AddrCount::ZERO,
        in_vpcs: used,
        in_reservations: AddrCount::ZERO,
        held: AddrCount::ZERO,
        free: total.minus(used),
        largest_free: None,
    };
    let r = Record::Apply(Snapshot {
        time,
        serial,
        pools: [("corp".to_string(), p)].into(),
    });
    serde_json::to_string(&r).expect("encode")
}

fn count(n: u128) -> AddrCount {
    serde_json::from_value(serde_json::json!(n.to_string())).expect("count")
}

const DAY: u64 = 86_400;

#[test]
fn every_apply_records_a_snapshot_that_history_prints() {
    let work = workdir("history", "apply");
    plan(&work.join("plan"), 2);
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    plan(&work.join("plan"), 5);
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    // No changes: no new state, no new snapshot.
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    let l = lines(&work);
    assert_eq!(l.len(), 2, "{l:?}");
    let v: serde_json::Value = serde_json::from_str(&l[1]).expect("json line");
    assert_eq!(v["kind"], "apply");
    assert_eq!(v["serial"], 2);
    assert_eq!(v["pools"]["corp"]["in_vpcs"], "1280");
    assert_eq!(v["pools"]["corp"]["free"], "64256");
    assert_eq!(v["pools"]["corp"]["largest_free"], "10.0.128.0/17");
    let out = ok(&ipam(&work, &["history", "plan"]), "history");
    assert!(out.contains("apply  1       1 pools"), "{out}");
    let out = ok(
        &ipam(&work, &["history", "plan", "pool.corp"]),
        "history pool",
    );
    assert!(out.contains("512   65536  0.8%"), "{out}");
    assert!(out.contains("1280  65536  2.0%"), "{out}");
    let json = ok(
        &ipam(&work, &["history", "plan", "pool.corp", "--json"]),
        "json",
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["address"], "pool.corp");
    assert_eq!(v["points"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["points"][1]["in_vpcs"], "1280");
    // Both snapshots are taken within seconds: a line through them is steep but real, or
    // both fall in one second and there is too little history. Either is said plainly.
    let status = v["forecast"]["status"].as_str().unwrap_or_default();
    assert!(["growth", "too_little_history"].contains(&status), "{json}");
}

#[test]
fn a_known_trend_gives_known_dates_in_history_show_and_check() {
    let work = workdir("history", "forecast");
    plan(&work.join("plan"), 77);
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    // Replace the history with a synthetic one: 6,000 addresses 20 days ago, 500 more a day
    // to 16,000 today. 80% of the /16 (52,428.8) is then 72.86 days away, all of it
    // (65,536) 99.07 days away: the dates are known to the day.
    // Before them, half a year ago, the pool was fuller: forecasts look back 90 days only,
    // so those snapshots change nothing.
    let today = Time(Time::now().0 / DAY * DAY);
    let old: String = (0..5u64)
        .map(|d| point(Time(today.0 - (200 - d) * DAY), d + 1, 30_000) + "\n")
        .collect();
    let series: String = (0..=20u64)
        .map(|d| {
            let used = 6_000 + 500 * u128::from(d);
            point(Time(today.0 - (20 - d) * DAY), d + 10, used) + "\n"
        })
        .collect();
    let series = old + &series;
    fs::write(history_file(&work), series).expect("history");
    let alert = Time(today.0 + 72 * DAY).date();
    let full = Time(today.0 + 99 * DAY).date();
    let out = ok(&ipam(&work, &["history", "plan", "pool.corp"]), "history");
    assert!(out.contains("+500 addresses a day"), "{out}");
    assert!(
        out.contains(&format!("crosses alert_at 80% on {alert}, full on {full}")),
        "{out}"
    );
    assert!(out.contains("trend of 21 snapshots"), "{out}");
    assert!(
        out.contains("26 records"),
        "the listing shows them all: {out}"
    );
    let out = ok(&ipam(&work, &["show", "plan"]), "show");
    assert!(
        out.contains(&format!("    forecast: crosses alert_at 80% on {alert}")),
        "{out}"
    );
    assert!(
        out.contains("Forecasts from 21 snapshots of the last 90 days"),
        "{out}"
    );
    let c = ipam(&work, &["check", "plan", "--horizon", "90d"]);
    assert_eq!(c.status.code(), Some(3), "{}", text(&c));
    assert!(
        text(&c).contains(&format!("forecast to cross its alert_at of 80% on {alert}")),
        "{}",
        text(&c)
    );
    let c = ipam(&work, &["check", "plan", "--horizon", "30d"]);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c));
    assert!(text(&c).contains("No pool is forecast to cross its alert_at within 30 days."));
    let c = ipam(&work, &["check", "plan"]);
    assert_eq!(c.status.code(), Some(0), "without --horizon: {}", text(&c));
    // --since keeps the last 5 days only: the same slope, fewer points.
    let since = Time(today.0 - 4 * DAY).date();
    let out = ok(
        &ipam(&work, &["history", "plan", "pool.corp", "--since", &since]),
        "since",
    );
    assert!(out.contains("5 records"), "{out}");
}

#[test]
fn too_little_history_or_no_growth_is_said_plainly() {
    let work = workdir("history", "little");
    plan(&work.join("plan"), 3);
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    let out = ok(&ipam(&work, &["show", "plan"]), "show");
    assert!(
        out.contains(
            "Forecasts: too little history (1 snapshot in the last 90 days); a trend takes two"
        ),
        "{out}"
    );
    let c = ipam(&work, &["check", "plan", "--horizon", "90d"]);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c));
    assert!(
        text(&c).contains("1 pool with alert_at has too little history to forecast"),
        "{}",
        text(&c)
    );
    let today = Time::now().0 / DAY * DAY;
    let flat: String = (0..5u64)
        .map(|d| point(Time(today - (4 - d) * DAY), d + 1, 768) + "\n")
        .collect();
    fs::write(history_file(&work), flat).expect("history");
    let out = ok(&ipam(&work, &["history", "plan", "pool.corp"]), "history");
    assert!(
        out.contains("Forecast: no growth over 5 snapshots: no forecast"),
        "{out}"
    );
    fs::remove_file(history_file(&work)).expect("remove");
    let out = ok(&ipam(&work, &["show", "plan"]), "show");
    assert!(
        out.contains("Forecasts: no snapshot in the last 90 days."),
        "{out}"
    );
}

#[test]
fn a_torn_last_record_is_skipped_with_a_warning_and_the_next_apply_starts_a_new_line() {
    let work = workdir("history", "torn");
    plan(&work.join("plan"), 1);
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    let mut bytes = fs::read(history_file(&work)).expect("history");
    let torn = bytes.clone();
    bytes.extend_from_slice(&torn[..torn.len() / 2]);
    fs::write(history_file(&work), &bytes).expect("tear");
    let h = ipam(&work, &["history", "plan"]);
    assert!(h.status.success());
    assert!(
        text(&h).contains("unreadable record at line 2, skipped: the record is cut short"),
        "{}",
        text(&h)
    );
    plan(&work.join("plan"), 2);
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    let l = lines(&work);
    assert_eq!(l.len(), 3);
    assert!(l[2].starts_with(r#"{"kind":"apply""#), "{}", l[2]);
    let out = ok(&ipam(&work, &["history", "plan"]), "history");
    assert!(out.contains("2 records"), "{out}");
}

#[test]
fn a_damaged_or_unwritable_history_never_blocks_plan_or_apply() {
    let work = workdir("history", "blocked");
    plan(&work.join("plan"), 1);
    // A directory where the history file would go: appending fails.
    fs::create_dir_all(history_file(&work)).expect("dir");
    let out = ipam(&work, &["apply", "plan", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out)
            .contains("Warning: the state was saved, but this apply is missing from its history"),
        "{}",
        text(&out)
    );
    assert!(work.join("plan/ipam.state.json").exists());
    ok(&ipam(&work, &["plan", "plan"]), "plan");
    let s = ipam(&work, &["show", "plan"]);
    assert!(s.status.success(), "{}", text(&s));
    assert!(
        text(&s).contains("Warning: the history cannot be read"),
        "{}",
        text(&s)
    );
    fs::remove_dir(history_file(&work)).expect("rmdir");
    fs::write(history_file(&work), "not json\n{\"kind\":\"apply\"}\n").expect("garbage");
    plan(&work.join("plan"), 2);
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    let h = ipam(&work, &["history", "plan"]);
    assert!(h.status.success());
    assert!(text(&h).contains("line 1, skipped: not a history record"));
    assert!(text(&h).contains("line 2, skipped: not a history record"));
    assert!(text(&h).contains("1 record"), "{}", text(&h));
}

#[test]
fn audit_record_appends_counts_per_scope_and_ip_usage() {
    let work = workdir("history", "audit");
    plan(&work.join("plan"), 2);
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    let inv = r#"{"format":"ipam-inventory","format_version":1,"resources":[
        {"id":"vpc-0","type":"vpc","cidr":"10.0.0.0/24"},
        {"id":"vpc-9","type":"vpc","cidr":"10.0.0.0/25"},
        {"id":"vsw-1","type":"subnet","cidr":"10.0.0.0/26","vpc_id":"vpc-0","used":10,"total":60}]}"#;
    fs::write(work.join("inv.json"), inv).expect("inventory");
    let out = ipam(
        &work,
        &["audit", "plan", "--inventory", "inv.json", "--record"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Recorded this audit in the history of plan/ipam.state.json."));
    let l = lines(&work);
    let v: serde_json::Value = serde_json::from_str(&l[1]).expect("json");
    assert_eq!(v["kind"], "audit");
    assert_eq!(v["scopes"]["private"]["resources"], 3);
    assert_eq!(v["scopes"]["private"]["managed"], 1);
    assert_eq!(v["scopes"]["private"]["unmanaged"], 2);
    assert_eq!(v["scopes"]["private"]["overlapping"], 3);
    assert_eq!(v["usage"]["vsw-1"], 10.0 / 60.0);
    assert_eq!(v["usage"]["vpc-0"], 0.25);
    let out = ok(&ipam(&work, &["history", "plan", "scope.private"]), "scope");
    assert!(out.contains("resources  managed  unmanaged"), "{out}");
    let out = ok(
        &ipam(&work, &["history", "plan", "resource.vsw-1", "--json"]),
        "resource",
    );
    assert!(out.contains("\"ip_usage\": 0.16666666666666666"), "{out}");
    // Without --record nothing is appended.
    ok(
        &ipam(&work, &["audit", "plan", "--inventory", "inv.json"]),
        "audit",
    );
    assert_eq!(lines(&work).len(), 2);
}

#[test]
fn audit_record_under_another_writers_lock_fails_and_appends_nothing() {
    let work = workdir("history", "locked");
    plan(&work.join("plan"), 1);
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    fs::write(
        work.join("inv.json"),
        r#"{"format":"ipam-inventory","format_version":1,"resources":[]}"#,
    )
    .expect("inventory");
    let lock = fs::File::options()
        .read(true)
        .write(true)
        .open(work.join("plan/ipam.state.json.lock"))
        .expect("lock file");
    lock.try_lock().expect("take the lock");
    let out = ipam(
        &work,
        &["audit", "plan", "--inventory", "inv.json", "--record"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("locked"), "{}", text(&out));
    assert_eq!(lines(&work).len(), 1);
}

#[test]
fn bad_history_arguments_are_refused_with_help() {
    let work = workdir("history", "bad");
    plan(&work.join("plan"), 1);
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    for (args, want) in [
        (
            &["history", "plan", "vpc.v0"][..],
            "is not something a history follows",
        ),
        (
            &["history", "plan", "pool.nope"],
            "no pool `nope` in the state or its history",
        ),
        (
            &["history", "plan", "--since", "yesterday"],
            "is not a date or time",
        ),
        (
            &["history", "plan", "--since", "2026-02-30"],
            "is not a date or time",
        ),
        (
            &["check", "plan", "--horizon", "3m"],
            "is not a unit for a horizon",
        ),
        (
            &["audit", "plan", "--lock-timeout", "5s", "--inventory", "x"],
            "--record",
        ),
    ] {
        let out = ipam(&work, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(want), "{args:?}: {}", text(&out));
    }
}
