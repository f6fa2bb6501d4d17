//! The command line end to end: exit codes, outputs, and files written.

use assert_cmd::Command;

fn ipam() -> Command {
    let mut cmd = Command::cargo_bin("ipam").expect("binary");
    cmd.env("NO_COLOR", "1");
    cmd
}

#[test]
fn every_example_validates() {
    for example in ["enterprise", "acquisition", "hybrid", "ipv6"] {
        ipam()
            .args(["validate", &format!("examples/{example}")])
            .assert()
            .success()
            .stdout("The plan is valid.\n");
    }
}

#[test]
fn invalid_plans_exit_1_with_located_diagnostics() {
    let out = ipam()
        .args(["validate", "tests/scenarios/bad-cidr-host-bits/plan.toml"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(stderr.contains("did you mean 10.0.0.0/8?"), "{stderr}");
    assert!(stderr.contains("plan.toml:"), "{stderr}");
}

#[test]
fn validate_json_has_terraforms_shape() {
    let out = ipam()
        .args([
            "validate",
            "--json",
            "tests/scenarios/bad-cidr-host-bits/plan.toml",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(json["format_version"], "1.0");
    assert_eq!(json["valid"], false);
    assert_eq!(json["error_count"], 1);
    assert_eq!(json["warning_count"], 0);
    let d = &json["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert!(
        d["summary"]
            .as_str()
            .is_some_and(|s| s.contains("host bits"))
    );
    assert!(d["range"]["start"]["line"].as_u64().is_some_and(|l| l >= 1));
    assert!(
        d["range"]["start"]["column"]
            .as_u64()
            .is_some_and(|c| c >= 1)
    );

    let ok = ipam()
        .args(["validate", "--json", "examples/enterprise"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&ok).expect("JSON");
    assert_eq!(json["valid"], true);
    assert_eq!(json["diagnostics"], serde_json::json!([]));
}

#[test]
fn missing_plan_is_a_diagnostic_not_a_panic() {
    let out = ipam()
        .args(["validate", "does/not/exist"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(out).expect("utf-8");
    assert!(
        stderr.contains("cannot read the plan at does/not/exist"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_1() {
    ipam().args(["validate", "--bogus"]).assert().code(1);
    ipam().arg("frobnicate").assert().code(1);
}

#[test]
fn schema_prints_the_committed_schema() {
    let committed = std::fs::read_to_string("schemas/plan.schema.json").expect("schema");
    ipam().arg("schema").assert().success().stdout(committed);
}

#[test]
fn init_writes_a_valid_plan_and_never_overwrites() {
    let dir = std::env::temp_dir().join(format!("ipam-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    ipam().arg("init").arg(&dir).assert().success();
    let plan = std::fs::read_to_string(dir.join("ipam.toml")).expect("plan written");
    assert!(plan.starts_with("#:schema ./plan.schema.json\n"));
    assert!(dir.join("plan.schema.json").exists());
    ipam().arg("validate").arg(&dir).assert().success();
    let out = ipam()
        .arg("init")
        .arg(&dir)
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8(out)
            .expect("utf-8")
            .contains("already exists")
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("ipam.toml")).expect("kept"),
        plan
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README's plan sample is a real, valid plan.
#[test]
fn readme_sample_plan_validates() {
    let readme = std::fs::read_to_string("README.md").expect("README");
    // The plan language's sample: the first TOML block that is a whole plan file.
    let start = readme.find("```toml\n#:schema").expect("a TOML sample") + "```toml\n".len();
    let end = start + readme[start..].find("```").expect("closed");
    let dir = std::env::temp_dir().join(format!("ipam-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("plan.toml"), &readme[start..end]).expect("write");
    ipam()
        .arg("validate")
        .arg(dir.join("plan.toml"))
        .assert()
        .success();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Under the `aws` profile, a secondary block carved by netmask is checked against AWS's
/// association restrictions once it has its address: from a pool in 172.16.0.0/12 for a VPC
/// in 10.0.0.0/8 the plan is refused at the block, and nothing is written; from the
/// primary's own range it plans.
#[test]
fn aws_secondary_blocks_carved_by_netmask_are_checked_when_placed() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-aws-secondary");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let plan = |secondary_pool: &str| {
        format!(
            "[ipam]\nname = \"x\"\nregions = [\"us-east-1\"]\nprofile = \"aws\"\n\n\
             [pools.ten]\ncidrs = [\"10.0.0.0/8\"]\nregion = \"us-east-1\"\n\n\
             [pools.rfc-172]\ncidrs = [\"172.16.0.0/12\"]\nregion = \"us-east-1\"\n\n\
             [vpcs.app]\npool = \"ten\"\nnetmask = 16\n\
             secondary = [{{ pool = \"{secondary_pool}\", netmask = 16 }}]\n"
        )
    };
    std::fs::write(dir.join("ipam.toml"), plan("rfc-172")).expect("plan");
    let out = ipam()
        .current_dir(&dir)
        .args(["apply", "ipam.toml", "--auto-approve"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        stderr.contains("ipam::profile::vpc_secondary")
            && stderr.contains(
                "VPC `app`: AWS does not let a VPC whose primary block is 10.0.0.0/16 add \
                 172.16.0.0/16"
            )
            && stderr.contains("ipam.toml:17:"),
        "{stderr}"
    );
    assert!(!dir.join("ipam.state.json").exists(), "nothing written");
    std::fs::write(dir.join("ipam.toml"), plan("ten")).expect("plan");
    ipam()
        .current_dir(&dir)
        .args(["plan", "ipam.toml"])
        .assert()
        .success();
}
