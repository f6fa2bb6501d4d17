//! What other commands write is canonical: the plan `init` writes and the entries `import`
//! adds; `completions` names every subcommand.

use std::fs;

use super::common::{ipam, stdout, text};
use super::workdir;

#[test]
fn init_writes_a_canonical_plan() {
    let dir = workdir("init");
    let out = ipam(&dir, &["init", "plan"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = ipam(&dir, &["fmt", "plan", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

const IMPORT_PLAN: &str = r#"# The team's plan.
[ipam]
name = "t"
regions = ["r1"]
owner = "net"

[accounts]
net = "100000000001"
app = "100000000002"

[pools.corp]
cidrs = ["10.0.0.0/8"]
region = "r1"
shared_with = ["app"]
auto_import = true
"#;

const IMPORT_INVENTORY: &str = r#"{"format": "ipam-inventory", "format_version": 1, "resources": [
  {"id": "vpc-a", "type": "vpc", "cidr": "10.1.0.0/16", "region": "r1", "account": "100000000002",
   "tags": {"Name": "a one", "env": "prod"}, "name": "a one"},
  {"id": "vpc-a", "type": "vpc", "cidr": "10.3.0.0/24", "region": "r1"},
  {"id": "subnet-1", "type": "subnet", "cidr": "10.1.0.0/24", "vpc_id": "vpc-a", "zone": "r1-a", "name": "web"},
  {"id": "subnet-0123456789", "type": "subnet", "cidr": "10.1.1.0/24", "vpc_id": "vpc-a", "zone": "r1-b", "tags": {"tier": "db"}},
  {"id": "vpc-b", "type": "vpc", "cidr": "10.2.0.0/16", "region": "r1"}
]}"#;

#[test]
fn import_writes_canonical_entries() {
    for single_file in [false, true] {
        let dir = workdir(if single_file {
            "import-file"
        } else {
            "import-dir"
        });
        let plan = if single_file {
            fs::write(dir.join("plan.toml"), IMPORT_PLAN).expect("write");
            "plan.toml"
        } else {
            fs::create_dir_all(dir.join("plan")).expect("dir");
            fs::write(dir.join("plan/main.toml"), IMPORT_PLAN).expect("write");
            "plan"
        };
        fs::write(dir.join("inventory.json"), IMPORT_INVENTORY).expect("write");
        let out = ipam(&dir, &["fmt", plan, "--check"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let out = ipam(&dir, &["apply", plan, "--auto-approve"]);
        assert!(out.status.success(), "{}", text(&out));
        let out = ipam(&dir, &["import", plan, "--inventory", "inventory.json"]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(stdout(&out).contains("Adopting 2 VPCs"), "{}", stdout(&out));
        let out = ipam(&dir, &["fmt", plan, "--check", "--diff"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let written = if single_file {
            fs::read_to_string(dir.join("plan.toml"))
        } else {
            fs::read_to_string(dir.join("plan/imported.toml"))
        }
        .expect("read");
        // Two subnets of different name lengths, aligned.
        assert!(
            written.contains("subnets.subnet-1          = {"),
            "{written}"
        );
    }
}

#[test]
fn completions_name_the_subcommands() {
    let dir = workdir("completions");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = ipam(&dir, &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out));
        let script = stdout(&out);
        for command in ["fmt", "validate", "plan", "audit", "completions"] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
    let out = ipam(&dir, &["completions", "man"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH ipam 1"), "{page}");
    for command in [
        "ipam fmt",
        "ipam validate",
        "ipam completions",
        "ipam force\\-unlock",
    ] {
        assert!(
            page.contains(&format!(".SS \"{command}\"")),
            "{command}:\n{page}"
        );
    }
    assert!(
        page.contains("\\-\\-check"),
        "fmt's options are on the page"
    );
    let out = ipam(&dir, &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(1));
}
