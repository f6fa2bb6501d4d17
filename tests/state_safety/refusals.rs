//! Refused commands write nothing: a state of a newer format, a garbled one and a damaged one
//! are refused by every command and left as they are; apply without a terminal refuses;
//! commands that read the state refuse a missing one; `check` exits 3 only for its findings.

use std::fs;
use std::process::Stdio;

use assert_cmd::Command;

use super::common::state::{bytes, fails_with, ok, write_plan};
use super::common::{self, ipam, text};
use super::workdir;

/// A state written by a newer format: plan, apply and apply of a saved plan all refuse with
/// the newer-format diagnostic, pointing at the version, and leave the file as it is.
#[test]
fn newer_format_state_is_refused_and_untouched() {
    let w = workdir("newer-format");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply");
    write_plan(&plan, &["a", "b"]);
    ok(
        &ipam(&w, &["plan", "plan", "--out", "saved.json"]),
        "plan --out",
    );
    let text = fs::read_to_string(&state).expect("state");
    assert!(text.contains("\"format_version\": 1,"), "{text}");
    let newer = text.replacen("\"format_version\": 1,", "\"format_version\": 99,", 1);
    fs::write(&state, &newer).expect("write newer state");

    for args in [
        &["plan", "plan"][..],
        &["apply", "plan", "--auto-approve"],
        &["apply", "saved.json"],
    ] {
        let err = fails_with(
            &ipam(&w, args),
            "ipam::state::newer_format",
            &args.join(" "),
        );
        assert!(err.contains("format 99"), "{err}");
        assert!(err.contains("ipam.state.json:2:"), "not located: {err}");
        assert_eq!(
            fs::read_to_string(&state).expect("state"),
            newer,
            "{args:?} touched the state"
        );
    }
}

/// A garbled state: a parse error located at the damage, for plan and apply alike, and the
/// file left for a person to repair.
#[test]
fn garbled_state_is_a_located_parse_error_and_untouched() {
    let w = workdir("garbled");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply");
    write_plan(&plan, &["a", "b"]);
    let text = fs::read_to_string(&state).expect("state");
    let line = 1 + text
        .lines()
        .position(|l| l.contains("\"serial\": 1"))
        .expect("a serial line");
    let garbled = text.replacen("\"serial\": 1", "\"serial\": one", 1);
    fs::write(&state, &garbled).expect("write garbled state");

    for args in [&["plan", "plan"][..], &["apply", "plan", "--auto-approve"]] {
        let err = fails_with(&ipam(&w, args), "ipam::state::parse", &args.join(" "));
        assert!(
            err.contains(&format!("ipam.state.json:{line}:")),
            "{args:?}: the error should point at line {line}: {err}"
        );
        // One apply keeps no backup, and none is suggested.
        assert!(
            err.contains("no previous version") && !err.contains(".backup"),
            "the help should not point at a backup that does not exist: {err}"
        );
        assert_eq!(
            fs::read_to_string(&state).expect("state"),
            garbled,
            "{args:?} touched the state"
        );
    }
}

/// apply with stdin not a terminal and no `--auto-approve` refuses: it never waits for input
/// (not even "yes" on a pipe) and writes no state.
#[test]
fn apply_without_a_terminal_refuses() {
    let w = workdir("no-tty");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    write_plan(&plan, &["a"]);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("ipam"))
        .current_dir(&w)
        .env("NO_COLOR", "1")
        .env_remove("IPAM_STATE")
        .args(["apply", "plan"])
        .stdin(Stdio::null())
        .output()
        .expect("run ipam");
    fails_with(
        &out,
        "ipam::apply::no_tty",
        "apply with stdin from /dev/null",
    );
    assert!(
        bytes(&state).is_none(),
        "a refused first apply wrote a state"
    );

    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply");
    write_plan(&plan, &["a", "b"]);
    let before = bytes(&state);
    let out = Command::cargo_bin("ipam")
        .expect("binary")
        .current_dir(&w)
        .env("NO_COLOR", "1")
        .env_remove("IPAM_STATE")
        .args(["apply", "plan"])
        .write_stdin("yes\n")
        .output()
        .expect("run ipam");
    fails_with(&out, "ipam::apply::no_tty", "apply with `yes` on a pipe");
    assert_eq!(bytes(&state), before, "a refused apply wrote the state");
}

/// Every command that reads the state fails (exit 1) when there is none: a CI check must not
/// pass for ever against a state that is not there. `plan` at the default location says it
/// starts a new one.
#[test]
fn commands_that_read_the_state_refuse_a_missing_one() {
    let w = workdir("missing");
    write_plan(&w.join("plan"), &["a"]);
    fs::write(
        w.join("inventory.json"),
        r#"{"format": "ipam-inventory", "format_version": 1, "resources": []}"#,
    )
    .expect("inventory");
    for args in [
        &["show", "plan"][..],
        &["show", "plan", "--json"],
        &["output", "plan"],
        &["output", "plan", "--json"],
        &["output", "plan", "vpc.a"],
        &["check", "plan"],
        &["audit", "plan", "--inventory", "inventory.json"],
        &["import", "plan", "--inventory", "inventory.json"],
    ] {
        let err = fails_with(&ipam(&w, args), "ipam::state::missing", &args.join(" "));
        assert!(err.contains("plan/ipam.state.json"), "{err}");
    }
    let out = ipam(&w, &["plan", "plan"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("No state yet at plan/ipam.state.json: this plan starts a new one.\n"),
        "{}",
        text(&out)
    );
    assert!(bytes(&w.join("plan/ipam.state.json")).is_none());
}

/// A state is checked when read, by every command, with the invariants apply keeps; a
/// damaged one is refused naming the resources and CIDRs, never built on or shown.
#[test]
fn damaged_states_are_refused_by_every_command() {
    let w = workdir("damaged");
    let plan = w.join("plan");
    let state = plan.join("ipam.state.json");
    fs::create_dir_all(&plan).expect("plan");
    fs::write(
        plan.join("ipam.toml"),
        format!(
            "{}\n[vpcs.a]\npool = \"corp\"\nnetmask = 24\nsubnets.s = {{ netmask = 26 }}\n\n\
             [vpcs.b]\npool = \"corp\"\nnetmask = 24\n",
            common::state::HEADER
        ),
    )
    .expect("plan");
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply");
    let good = fs::read_to_string(&state).expect("state");
    let v: serde_json::Value = serde_json::from_str(&good).expect("json");
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = v.clone();
        edit(&mut v);
        serde_json::to_string_pretty(&v).expect("encode")
    };
    let cases: Vec<(&str, String, &str, &[&str])> = vec![
        (
            "subnet outside its VPC",
            with(&|v| v["resources"]["vpcs"]["a"]["subnets"]["s"]["cidr"] = "10.0.9.0/26".into()),
            "ipam::state::invalid",
            &["vpc.a.subnet.s", "10.0.9.0/26", "outside vpc.a"],
        ),
        (
            "two VPCs on one block",
            with(&|v| {
                v["resources"]["vpcs"]["b"]["cidr"] = v["resources"]["vpcs"]["a"]["cidr"].clone()
            }),
            "ipam::state::invalid",
            &["vpc.a's 10.0.0.0/24", "vpc.b's 10.0.0.0/24"],
        ),
        (
            "the largest serial",
            with(&|v| v["serial"] = u64::MAX.into()),
            "ipam::state::invalid",
            &["cannot be written again"],
        ),
        (
            "a name twice",
            good.replacen(
                "\"vpcs\": {",
                "\"vpcs\": {\n      \"b\": {\"pool\": \"corp\", \"cidr\": \"10.0.5.0/24\"},",
                1,
            ),
            "ipam::state::parse",
            &["`b` appears twice"],
        ),
        (
            "an empty file",
            String::new(),
            "ipam::state::parse",
            &["the file is empty"],
        ),
        (
            "a file cut short after a line",
            "{\"format_version\": 1,\n".to_string(),
            "ipam::state::parse",
            &["ipam.state.json:1:", "EOF while parsing"],
        ),
    ];
    for (name, text_of_state, code, says) in cases {
        fs::write(&state, &text_of_state).expect("write damaged state");
        for args in [
            &["plan", "plan"][..],
            &["apply", "plan", "--auto-approve"],
            &["show", "plan"],
            &["output", "plan"],
            &["check", "plan"],
            &["state", "list", "plan"],
        ] {
            let err = fails_with(
                &ipam(&w, args),
                code,
                &format!("{name}: {}", args.join(" ")),
            );
            for s in says {
                assert!(err.contains(s), "{name}: {args:?} should say {s:?}: {err}");
            }
            assert_eq!(
                fs::read_to_string(&state).expect("state"),
                text_of_state,
                "{name}: {args:?} touched the state"
            );
        }
        // `state pull` prints a state that parses, to repair it, and says why it is refused.
        if code == "ipam::state::invalid" {
            let out = ipam(&w, &["state", "pull", "plan"]);
            assert!(out.status.success(), "{name}: {}", common::text(&out));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains(code) && err.contains("Warning: this state breaks the rules"),
                "{name}: {err}"
            );
            let pulled: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("the state as JSON");
            assert!(pulled["resources"].is_object(), "{name}");
        }
    }
}

/// `check` exits 3 for pools above `alert_at` (a finding the user asked about), 1 only for
/// errors.
#[test]
fn check_exits_3_for_pools_over_their_alert() {
    let w = workdir("alert");
    let plan = w.join("plan");
    fs::create_dir_all(&plan).expect("plan");
    fs::write(
        plan.join("ipam.toml"),
        "[ipam]\nname = \"t\"\nregions = [\"r1\"]\n\n[pools.corp]\ncidrs = [\"10.0.0.0/23\"]\n\
         alert_at = 40\n\n[vpcs.a]\npool = \"corp\"\nnetmask = 24\n",
    )
    .expect("plan");
    ok(&ipam(&w, &["apply", "plan", "--auto-approve"]), "apply");
    let out = ipam(&w, &["check", "plan"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("pool corp is 50.0% used, above its alert_at of 40%"),
        "{}",
        text(&out)
    );
}
