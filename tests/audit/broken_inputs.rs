//! What the audit refuses: broken inventories (a diagnostic, never a panic), a plan never
//! applied, and a broken plan or state.

use std::fs;

use super::common::{ipam, text};
use super::{INVENTORY, PLAN, applied, audit_json, parse, workdir};

#[test]
fn broken_inventories_fail_with_a_diagnostic_and_never_panic() {
    let dir = applied("broken");
    let cases: &[(&str, &str, &str)] = &[
        ("invalid.json", "{\"Vpcs\": [", "ipam::audit::json"),
        ("unknown.json", "{\"Things\": []}", "ipam::audit::format"),
        ("empty.json", "", "ipam::audit::format"),
        ("words.txt", "hello world\n", "ipam::audit::format"),
        (
            "newer.json",
            "{\"format\": \"ipam-inventory\", \"format_version\": 99, \"resources\": []}",
            "ipam::audit::version",
        ),
        (
            "no-header.csv",
            "id,type\nvpc-1,vpc\n",
            "ipam::audit::format",
        ),
    ];
    for (file, content, code) in cases {
        fs::write(dir.join(file), content).expect("write");
        let out = ipam(&dir, &["audit", "plan", "--inventory", file]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{file}: {all}");
        assert!(all.contains(code), "{file}: {all}");
        assert!(!all.contains("panicked"), "{file}: {all}");
        assert!(out.stdout.is_empty(), "{file}: no report on a failed read");
    }
    // Every broken file is reported, not only the first.
    let out = ipam(
        &dir,
        &[
            "audit",
            "plan",
            "--inventory",
            "invalid.json",
            "--inventory",
            "unknown.json",
            "--inventory",
            "nope.json",
        ],
    );
    let all = text(&out);
    assert!(
        all.contains("invalid.json") && all.contains("unknown.json") && all.contains("nope.json"),
        "{all}"
    );
    assert!(all.contains("3 errors"), "{all}");
    // No inventory at all is a usage error.
    let out = ipam(&dir, &["audit", "plan"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("--inventory"), "{}", text(&out));
    // Entry-level problems are skips: the audit runs.
    let masked = r#"{"Vpcs": [{"VpcId": "vpc-m", "CidrBlock": "10.XX.0.0/16"}, {"CidrBlock": "10.1.0.0/24"},
                    {"VpcId": "vpc-h", "CidrBlock": "10.1.0.1/24"}]}"#;
    fs::write(dir.join("masked.json"), masked).expect("write");
    let (out, json) = audit_json(&dir, &["--inventory", "masked.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc = parse(&json);
    assert!(doc.resources.is_empty());
    assert_eq!(doc.skipped.len(), 3, "{:?}", doc.skipped);
    assert!(
        doc.skipped
            .iter()
            .any(|s| s.reason.contains("did you mean 10.1.0.0/24")),
        "{:?}",
        doc.skipped
    );
}

/// With no state there is nothing to audit against: every network would read "unmanaged",
/// a report that looks like an answer. The audit refuses instead.
#[test]
fn a_plan_never_applied_is_refused() {
    let dir = workdir("unapplied");
    fs::create_dir_all(dir.join("plan")).expect("plan dir");
    fs::write(dir.join("plan/main.toml"), PLAN).expect("plan");
    fs::write(dir.join("inventory.json"), INVENTORY).expect("inventory");
    let (out, json) = audit_json(&dir, &["--inventory", "inventory.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(json.is_empty(), "{json}");
    assert!(
        text(&out).contains("ipam::state::missing"),
        "{}",
        text(&out)
    );
    assert!(
        !dir.join("plan/ipam.state.json").exists(),
        "audit never writes a state"
    );
}

#[test]
fn a_broken_plan_or_state_is_reported() {
    let dir = applied("broken-plan");
    fs::write(dir.join("plan/ipam.state.json"), "{ not json").expect("state");
    let out = ipam(&dir, &["audit", "plan", "--inventory", "inventory.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("ipam.state.json"), "{}", text(&out));
    fs::write(dir.join("plan/main.toml"), "[ipam\n").expect("plan");
    let out = ipam(&dir, &["audit", "plan", "--inventory", "inventory.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("main.toml"), "{}", text(&out));
}
