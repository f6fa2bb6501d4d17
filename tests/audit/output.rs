//! How the audit is shown: the text table and Markdown with every row and the summary,
//! deterministic output whatever the order of the files, a closed pipe ended quietly, and
//! inputs that could blow up the output (twenty thousand overlapping default VPCs, a huge
//! field).

use std::fs;

use super::common::{ipam, stdout, text};
use super::{applied, audit_json, parse, row, with};

#[test]
fn text_and_markdown_show_every_row_and_the_summary() {
    let dir = applied("human");
    let out = ipam(&dir, &["audit", "plan", "--inventory", "inventory.json"]);
    let table = stdout(&out);
    let header = table.lines().next().expect("header");
    for column in [
        "CIDR",
        "TYPE",
        "ID",
        "REGION",
        "ACCOUNT",
        "MANAGEMENT",
        "COMPLIANCE",
        "OVERLAP",
        "IP USAGE",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert!(table.contains("↳ overlaps vpc-dup"), "{table}");
    assert!(table.contains("↳ tag env is \"dev\""), "{table}");
    assert!(table.contains(
        "Audit: 13 resource CIDRs: 5 managed, 6 unmanaged, 2 ignored; 4 compliant, 1 noncompliant; 6 overlapping. 1 inventory entry skipped."
    ), "{table}");
    assert!(
        table.contains("Skipped inventory entries:\n  inventory.json: vpc-masked"),
        "{table}"
    );
    // Rows of the table are in CIDR order: 10.1.0.0/16 before 10.1.0.0/24 before 10.50.
    let pos = |s: &str| table.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(pos("10.1.0.0/16 ") < pos("10.1.0.0/24 "));
    assert!(pos("10.1.0.0/24 ") < pos("10.50.0.0/16 "));
    assert!(pos("10.200.5.0/24 ") < pos("2001:db8::/56 "));

    let out = ipam(
        &dir,
        &[
            "audit",
            "plan",
            "--inventory",
            "inventory.json",
            "--format",
            "markdown",
        ],
    );
    let md = stdout(&out);
    assert!(md.starts_with("### ipam audit\n"), "{md}");
    assert!(md.contains("> [!WARNING]\n> Resource CIDRs that need attention: 6 overlapping, 1 noncompliant, 6 unmanaged."), "{md}");
    assert!(md.contains("| `10.1.2.0/24` | `vpc-b` vpc · r2 · 100000000003 | managed · **noncompliant** · **overlapping** · 0% used |"), "{md}");
    // Rows that need attention come first; the table is folded.
    assert!(md.find("`vpc-b`") < md.find("`vpc-a`"), "{md}");
    assert!(
        md.contains("<details><summary>13 resource CIDRs</summary>"),
        "{md}"
    );
    assert!(
        md.contains("<details><summary>1 inventory entry skipped</summary>"),
        "{md}"
    );
}

#[test]
fn output_is_deterministic_and_independent_of_file_order() {
    let dir = applied("determinism");
    let subnets = r#"{"format": "ipam-inventory", "format_version": 1, "resources": [
      {"id": "subnet-s2", "type": "subnet", "cidr": "10.1.0.64/26", "vpc_id": "vpc-a"}
    ]}"#;
    fs::write(dir.join("more.json"), subnets).expect("more");
    let run = |files: &[&str], format: &str| {
        let mut args = vec!["audit", "plan", "--format", format];
        for f in files {
            args.extend(["--inventory", f]);
        }
        stdout(&ipam(&dir, &args))
    };
    for format in ["text", "markdown", "json"] {
        let first = run(&["inventory.json", "more.json"], format);
        assert_eq!(
            first,
            run(&["inventory.json", "more.json"], format),
            "{format}"
        );
        assert_eq!(
            first,
            run(&["more.json", "inventory.json"], format),
            "{format}"
        );
    }
    let doc_text = run(&["more.json", "inventory.json"], "json");
    let doc = parse(&doc_text);
    // Two /26 subnets of a /24: half of it.
    assert_eq!(row(&doc, "vpc-a", "10.1.0.0/24").ip_usage, Some(0.5));
}

/// A reader that stops early (`| head`) ends the audit quietly: no panic, no error report.
#[test]
fn a_closed_pipe_ends_the_report_quietly() {
    use std::io::Read as _;
    let dir = applied("pipe");
    let mut big =
        String::from(r#"{"format": "ipam-inventory", "format_version": 1, "resources": ["#);
    for i in 0..5_000 {
        if i > 0 {
            big.push(',');
        }
        big.push_str(&format!(
            r#"{{"id": "vpc-{i}", "type": "vpc", "cidr": "10.{}.{}.0/24"}}"#,
            100 + i / 256,
            i % 256
        ));
    }
    big.push_str("]}");
    fs::write(dir.join("big.json"), big).expect("big");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ipam"))
        .current_dir(&dir)
        .args(["audit", "plan", "--inventory", "big.json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 64];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    // The pipe is closed here, with most of the report unwritten.
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    // Only where the state is, as every command that reads it says.
    assert!(err.lines().all(|l| l.starts_with("State: ")), "{err}");
    assert!(!out.status.success());
}

/// Every account's default VPC is 172.31.0.0/16: twenty thousand of them make four hundred
/// million overlapping pairs. Each row lists its first 10 and counts the rest, in memory
/// linear in rows (held here under an address-space limit the pair lists would pass many
/// times over).
#[test]
fn twenty_thousand_default_vpcs_audit_in_bounded_memory() {
    let dir = applied("default-vpcs");
    let mut inventory =
        String::from(r#"{"format": "ipam-inventory", "format_version": 1, "resources": ["#);
    for i in 0..20_000 {
        if i > 0 {
            inventory.push(',');
        }
        inventory.push_str(&format!(
            r#"{{"id": "vpc-{i:05}", "type": "vpc", "cidr": "172.31.0.0/16", "account": "{}"}}"#,
            100_000_000_000u64 + i
        ));
    }
    inventory.push_str("]}");
    fs::write(dir.join("default.json"), inventory).expect("inventory");
    let limited = |extra: &[&str]| {
        let mut args = vec![
            "-c",
            "ulimit -v 3000000 && exec \"$0\" \"$@\"",
            assert_cmd::cargo::cargo_bin("ipam")
                .to_str()
                .expect("path")
                .to_string()
                .leak(),
            "audit",
            "plan",
            "--inventory",
            "default.json",
        ];
        args.extend_from_slice(extra);
        std::process::Command::new("sh")
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .args(&args)
            .output()
            .expect("run")
    };
    let out = limited(&["--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let json = stdout(&out);
    let doc = parse(&json);
    assert_eq!(doc.summary.overlapping, 20_000);
    let first = row(&doc, "vpc-00000", "172.31.0.0/16");
    let listed: Vec<String> = (1..=10).map(|i| format!("vpc-{i:05}")).collect();
    assert_eq!(with(first), listed);
    assert_eq!(first.overlaps_more, 19_989);
    let last = row(&doc, "vpc-19999", "172.31.0.0/16");
    let listed: Vec<String> = (0..10).map(|i| format!("vpc-{i:05}")).collect();
    assert_eq!(with(last), listed);
    assert_eq!(last.overlaps_more, 19_989);
    // One line a row, each short, and as its documented type writes it.
    assert!(json.lines().all(|l| l.len() < 1_000));
    let line = json
        .lines()
        .find(|l| l.contains("\"vpc-00000\""))
        .expect("line");
    assert_eq!(
        line.trim().trim_end_matches(','),
        serde_json::to_string(first).expect("row")
    );
    let out = limited(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains(
            "↳ overlaps vpc-00001, vpc-00002, vpc-00003, vpc-00004, vpc-00005 and 19994 more"
        ),
        "{}",
        &stdout(&out)[..2_000]
    );
}

/// A field of 200,000 characters is cut to the table's column width with an ellipsis (the
/// table pads every row to its widest cell); JSON keeps it whole.
#[test]
fn a_huge_field_does_not_widen_every_row_of_the_table() {
    let dir = applied("huge-field");
    let long = format!("vpc-{}end", "x".repeat(200_000));
    let mut inventory = format!(
        r#"{{"format": "ipam-inventory", "format_version": 1, "resources": [{{"id": "{long}", "type": "vpc", "cidr": "10.99.0.0/16", "account": "{long}"}}"#
    );
    for i in 0..20_000 {
        inventory.push_str(&format!(
            r#",{{"id": "vpc-{i}", "type": "vpc", "cidr": "10.{}.{}.0/24"}}"#,
            100 + i / 256,
            i % 256
        ));
    }
    inventory.push_str("]}");
    fs::write(dir.join("huge.json"), inventory).expect("inventory");
    let out = ipam(&dir, &["audit", "plan", "--inventory", "huge.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let table = stdout(&out);
    assert!(
        table.lines().all(|l| l.chars().count() < 300),
        "a line is too wide"
    );
    let huge = table
        .lines()
        .find(|l| l.contains("10.99.0.0/16"))
        .expect("the row");
    assert!(
        huge.contains("vpc-xxxxxxxxxxxxxxxxxxxxxxxxx…xxxxxxxxxxxxxxxxxxxxxxxxxxxend"),
        "{huge}"
    );
    let (_, json) = audit_json(&dir, &["--inventory", "huge.json"]);
    assert_eq!(row(&parse(&json), &long, "10.99.0.0/16").id, long.as_str());
}
