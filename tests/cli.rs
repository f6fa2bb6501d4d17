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
