//! `ipam fmt` on files: a scrambled file becomes its snapshot; `--check` and `--diff` exit
//! codes, writing nothing; broken files change nothing; a link stays a link and permissions
//! stay.

use std::fs;

use super::common::{ipam, stdout, text};
use super::{comments, workdir};

const SCRAMBLED: &str = r#"#:schema ../schemas/plan.schema.json
# A plan with its keys out of order, odd spacing and blank lines.
[ipam]
owner="network"     # the owner
  regions = [ 'eu-central-1','us-east-1' ]
name   =   "demo"
[accounts]
network = "111111111111"
shop = "222222222222"   # e-commerce


# The whole space.
[pools.corp]
protect=true
description = 'All of it'
cidrs = ["10.0.0.0/8"]

[pools.eu]

tags={team="net"}
allocation = {default_netmask=20, max_netmask = 24,min_netmask=16}
region = "eu-central-1"
parent = "corp"
netmask = 12
shared_with = [
    "shop",    # builds its own VPCs
  ]
[vpcs.web]
subnets.a = { zone = "eu-central-1a", netmask = 24 }
subnets.backend = { netmask = 24, zone = "eu-central-1b" }
# tags say who pays
tags = { app = "web" }
owner = "shop"
pool = "eu"
[[moved]]
to = "vpc.web"
from = "vpc.www"
# the end
"#;

const FORMATTED: &str = r#"#:schema ../schemas/plan.schema.json
# A plan with its keys out of order, odd spacing and blank lines.
[ipam]
name = "demo"
regions = ["eu-central-1", "us-east-1"]
owner = "network"   # the owner

[accounts]
network = "111111111111"
shop    = "222222222222"   # e-commerce

# The whole space.
[pools.corp]
cidrs = ["10.0.0.0/8"]
protect = true
description = "All of it"

[pools.eu]
parent = "corp"
netmask = 12
region = "eu-central-1"
allocation = { min_netmask = 16, max_netmask = 24, default_netmask = 20 }
shared_with = [
  "shop",   # builds its own VPCs
]
tags = { team = "net" }

[vpcs.web]
pool = "eu"
owner = "shop"
# tags say who pays
tags = { app = "web" }
subnets.a       = { netmask = 24, zone = "eu-central-1a" }
subnets.backend = { netmask = 24, zone = "eu-central-1b" }

[[moved]]
from = "vpc.www"
to = "vpc.web"
# the end
"#;

#[test]
fn a_scrambled_file_becomes_canonical() {
    let dir = workdir("snapshot");
    fs::write(dir.join("plan.toml"), SCRAMBLED).expect("write");
    let out = ipam(&dir, &["validate", "plan.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = ipam(&dir, &["fmt", "plan.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&out), "plan.toml\n");
    let formatted = fs::read_to_string(dir.join("plan.toml")).expect("read");
    assert_eq!(formatted, FORMATTED);
    assert_eq!(comments(&formatted), comments(SCRAMBLED));
    assert_eq!(ipam::fmt::format(FORMATTED).as_deref(), Ok(FORMATTED));
}

#[test]
fn check_and_diff_exit_codes_and_write_nothing() {
    let dir = workdir("check");
    fs::create_dir_all(dir.join("plan")).expect("dir");
    fs::write(dir.join("plan/00-clean.toml"), FORMATTED).expect("write");
    let out = ipam(&dir, &["fmt", "plan", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&out), "");

    let messy = "[pools.x]\ndescription = \"x\"\ncidrs = [\"192.168.0.0/16\"]\n";
    fs::write(dir.join("plan/10-messy.toml"), messy).expect("write");
    let out = ipam(&dir, &["fmt", "plan", "--check"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(stdout(&out), "plan/10-messy.toml\n");
    assert_eq!(
        fs::read_to_string(dir.join("plan/10-messy.toml")).expect("read"),
        messy
    );

    for args in [
        &["fmt", "plan", "--diff"][..],
        &["fmt", "plan", "--diff", "--check"],
    ] {
        let out = ipam(&dir, args);
        let expected_code = if args.contains(&"--check") { 3 } else { 0 };
        assert_eq!(
            out.status.code(),
            Some(expected_code),
            "{args:?}: {}",
            text(&out)
        );
        assert_eq!(
            stdout(&out),
            "--- plan/10-messy.toml\n+++ plan/10-messy.toml\n@@ -1,3 +1,3 @@\n [pools.x]\n\
             +cidrs = [\"192.168.0.0/16\"]\n description = \"x\"\n-cidrs = [\"192.168.0.0/16\"]\n",
            "{args:?}"
        );
        assert_eq!(
            fs::read_to_string(dir.join("plan/10-messy.toml")).expect("read"),
            messy
        );
    }

    // Broken TOML: a located diagnostic, exit 1, and no file is written, not even the
    // one that parses.
    let broken = "[pools.y]\ncidrs = [\"10.0.0.0/8\"\n";
    fs::write(dir.join("plan/20-broken.toml"), broken).expect("write");
    for args in [
        &["fmt", "plan"][..],
        &["fmt", "plan", "--check"],
        &["fmt", "plan", "--diff"],
    ] {
        let out = ipam(&dir, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        let report = text(&out);
        assert!(report.contains("ipam::parse::syntax"), "{report}");
        assert!(report.contains("plan/20-broken.toml:2:22"), "{report}");
        assert!(report.contains("1 error, 0 warnings"), "{report}");
        assert_eq!(stdout(&out), "", "{args:?}");
        assert_eq!(
            fs::read_to_string(dir.join("plan/10-messy.toml")).expect("read"),
            messy
        );
        assert_eq!(
            fs::read_to_string(dir.join("plan/20-broken.toml")).expect("read"),
            broken
        );
    }

    fs::remove_file(dir.join("plan/20-broken.toml")).expect("remove");
    let out = ipam(&dir, &["fmt", "plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&out), "plan/10-messy.toml\n");
    let out = ipam(&dir, &["fmt", "plan", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = ipam(&dir, &["fmt", "missing"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("ipam::io::plan_path"), "{}", text(&out));
    fs::write(dir.join("latin1.toml"), b"name = \"caf\xe9\"\n").expect("write");
    let out = ipam(&dir, &["fmt", "latin1.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("ipam::io::utf8"), "{}", text(&out));
}

#[cfg(unix)]
#[test]
fn a_link_stays_a_link_and_permissions_stay() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = workdir("link");
    fs::write(dir.join("real.toml"), "[pools.x]\ndescription=\"x\"\n").expect("write");
    fs::set_permissions(dir.join("real.toml"), fs::Permissions::from_mode(0o640)).expect("chmod");
    symlink("real.toml", dir.join("plan.toml")).expect("link");
    let out = ipam(&dir, &["fmt", "plan.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        fs::symlink_metadata(dir.join("plan.toml"))
            .expect("meta")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::read_to_string(dir.join("real.toml")).expect("read"),
        "[pools.x]\ndescription = \"x\"\n"
    );
    let mode = fs::metadata(dir.join("real.toml"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
