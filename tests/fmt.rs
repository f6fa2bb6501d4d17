//! `ipam fmt` and `ipam completions` at the command line: the examples are canonical and a
//! scrambled copy of each formats back to it byte for byte, planning the same changes;
//! a scrambled file becomes its snapshot; `--check` and `--diff` exit codes and write
//! nothing; broken files change nothing; what `init` and `import` write is canonical; a
//! property test over generated files (idempotent, same values, same comments).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

mod common;

use common::{ipam, text};
use proptest::prelude::*;

const EXAMPLES: [&str; 4] = ["acquisition", "enterprise", "hybrid", "ipv6"];

fn workdir(name: &str) -> PathBuf {
    common::workdir("fmt", name)
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The files of a plan directory, by name, with their text.
fn read_dir(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).expect("read"))
        })
        .collect();
    files.sort();
    files
}

/// `ipam plan --format json` of a plan directory against an empty state.
fn plan_json(cwd: &Path, plan: &str) -> String {
    let out = ipam(
        cwd,
        &[
            "plan",
            plan,
            "--format",
            "json",
            "--state",
            "none.json",
            "--create-state",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    stdout(&out)
}

/// The comments of a file whose strings hold no `#` or quotes inside (true of the examples
/// and of the snapshot below): written without the formatter's code, so that the tests
/// check it.
fn comments(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let mut quoted = false;
            for (i, c) in line.char_indices() {
                match c {
                    '"' => quoted = !quoted,
                    '#' if !quoted => return Some(line[i..].trim_end().to_string()),
                    _ => {}
                }
            }
            None
        })
        .collect()
}

/// Undoes the canonical layout of a canonical file without changing what it means: record
/// keys reversed (dotted keys, whose order is declaration order, first and in order),
/// alignment and spacing around `=` and before trailing comments changed, strings made
/// literal, keys indented, blank lines dropped before headers that have no comment above
/// them and doubled elsewhere, blank lines added inside tables.
fn scramble(canonical: &str) -> String {
    // A table: the lines above and of its header, then its entries (comment lines above a
    // key, the key's lines).
    struct Table {
        head: Vec<String>,
        entries: Vec<Vec<String>>,
        named: bool,
    }
    let mut tables: Vec<Table> = vec![Table {
        head: Vec::new(),
        entries: Vec::new(),
        named: false,
    }];
    let mut pending: Vec<String> = Vec::new();
    let mut depth = 0i32;
    for line in canonical.lines() {
        let code = line.split(" #").next().unwrap_or(line);
        if depth > 0 {
            depth += code.matches('[').count() as i32 - code.matches(']').count() as i32;
            if let Some(entry) = tables.last_mut().and_then(|t| t.entries.last_mut()) {
                entry.push(line.to_string());
            }
            continue;
        }
        if line.starts_with('[') {
            pending.push(line.to_string());
            tables.push(Table {
                head: std::mem::take(&mut pending),
                entries: Vec::new(),
                named: line.starts_with("[accounts]"),
            });
        } else if line.is_empty() || line.starts_with('#') {
            pending.push(line.to_string());
        } else {
            depth = code.matches('[').count() as i32 - code.matches(']').count() as i32;
            pending.push(line.to_string());
            let entry = std::mem::take(&mut pending);
            if let Some(t) = tables.last_mut() {
                t.entries.push(entry);
            }
        }
    }
    let mut out = Vec::new();
    for (i, mut table) in tables.into_iter().enumerate() {
        let comment_above = table.head.iter().any(|l| l.starts_with('#'));
        for line in table.head {
            match line.as_str() {
                "" if comment_above => out.extend(["".to_string(), String::new()]),
                "" => {}
                _ => out.push(line),
            }
        }
        if !table.named && i > 0 {
            let (dotted, mut plain): (Vec<_>, Vec<_>) = table.entries.into_iter().partition(|e| {
                let key_line = e.iter().find(|l| !l.starts_with('#')).expect("a key");
                key_line.split('=').next().unwrap_or("").contains('.')
            });
            plain.reverse();
            table.entries = dotted.into_iter().chain(plain).collect();
        }
        for (n, entry) in table.entries.into_iter().enumerate() {
            if n % 2 == 1 {
                out.push(String::new());
            }
            for (k, line) in entry.into_iter().enumerate() {
                out.push(if line.starts_with('#') || k > 0 {
                    line
                } else {
                    mangle(&line)
                });
            }
        }
    }
    // Comments after the last entry of the file.
    out.extend(pending);
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// One key line with its spacing changed and its plain strings made literal.
fn mangle(line: &str) -> String {
    let (code, comment) = match line.find("   #") {
        Some(at) => (&line[..at], Some(line[at..].trim_start())),
        None => (line, None),
    };
    let (key, value) = code.split_once('=').expect("a key line");
    let value = value.trim();
    let value = if value.starts_with('"') && !value[1..].contains(['"', '\\', '\'']) {
        value.to_string()
    } else if value.starts_with('"')
        && value.ends_with('"')
        && !value[1..value.len() - 1].contains(['"', '\\', '\''])
    {
        format!("'{}'", &value[1..value.len() - 1])
    } else {
        // `, ` → `,` between elements, not inside strings.
        let mut quoted = false;
        let mut out = String::new();
        for c in value.chars() {
            if c == '"' {
                quoted = !quoted;
            }
            if c == ' ' && !quoted && out.ends_with(',') {
                continue;
            }
            out.push(c);
        }
        out
    };
    let mut s = format!("  {}={value}", key.trim_end());
    if let Some(c) = comment {
        s.push(' ');
        s.push_str(c);
    }
    s
}

#[test]
fn the_examples_are_canonical() {
    let dir = examples();
    for name in EXAMPLES {
        let out = ipam(&dir, &["fmt", name, "--check"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
        assert_eq!(stdout(&out), "", "{name}");
    }
}

#[test]
fn scrambled_examples_format_back_to_the_examples() {
    for name in EXAMPLES {
        let dir = workdir(&format!("round-trip-{name}"));
        let originals = read_dir(&examples().join(name));
        fs::create_dir_all(dir.join("original")).expect("dir");
        fs::create_dir_all(dir.join("plan")).expect("dir");
        for (file, original) in &originals {
            fs::write(dir.join("original").join(file), original).expect("write");
            let scrambled = scramble(original);
            assert_ne!(
                &scrambled, original,
                "{name}/{file}: the scrambler changed nothing"
            );
            fs::write(dir.join("plan").join(file), scrambled).expect("write");
        }
        let before = plan_json(&dir, "original");
        assert_eq!(
            plan_json(&dir, "plan"),
            before,
            "{name}: scrambling changed the plan"
        );

        let out = ipam(&dir, &["fmt", "plan"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
        assert_eq!(
            stdout(&out).lines().count(),
            originals.len(),
            "{name}: every file was changed and listed"
        );
        let formatted = read_dir(&dir.join("plan"));
        for ((file, original), (_, after)) in originals.iter().zip(&formatted) {
            assert_eq!(after, original, "{name}/{file}");
            assert_eq!(comments(after), comments(original), "{name}/{file}");
        }
        assert_eq!(
            plan_json(&dir, "plan"),
            before,
            "{name}: formatting changed the plan"
        );

        let out = ipam(&dir, &["fmt", "plan", "--check"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
        let out = ipam(&dir, &["fmt", "plan"]);
        assert_eq!(stdout(&out), "", "{name}: a second fmt changes nothing");
    }
}

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

/// Every plan file of the test suite that parses formats to a fixed point (the formatter
/// refuses any result that would change a value or lose a comment).
#[test]
fn every_test_plan_formats_to_a_fixed_point() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut dirs = vec![root.join("scenarios"), root.join("plans")];
    let mut seen = 0;
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            match ipam::fmt::format(&text) {
                Ok(once) => {
                    seen += 1;
                    assert_eq!(
                        ipam::fmt::format(&once).as_ref(),
                        Ok(&once),
                        "{}",
                        path.display()
                    );
                }
                Err(ipam::fmt::Error::Syntax { .. }) => {}
                Err(e) => panic!("{}: {e:?}", path.display()),
            }
        }
    }
    assert!(seen > 100, "{seen}");
}

/// A generated file: tables of plan kinds and unknown ones, keys in any order and spacing,
/// values of every shape, comments everywhere a comment may go.
fn document() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        (0i64..100).prop_map(|n| n.to_string()),
        "[a-z]{0,6}".prop_map(|s| format!("\"{s}\"")),
        "[a-z#]{0,6}".prop_map(|s| format!("'{s}'")),
        prop::collection::vec("[a-z]{1,4}", 0..4).prop_map(|v| format!(
            "[{}]",
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(",")
        )),
        (
            prop::collection::vec(("[a-z]{1,4}", prop::option::of("[a-z ]{0,8}")), 1..4),
            any::<bool>()
        )
            .prop_map(|(items, comma)| {
                let mut s = String::from("[ # open\n");
                for (item, comment) in items {
                    s.push_str(&format!("  \"{item}\","));
                    if let Some(c) = comment {
                        s.push_str(&format!(" # {c}"));
                    }
                    s.push('\n');
                }
                if !comma {
                    s.push_str("  # last\n");
                }
                s.push(']');
                s
            }),
        prop::sample::subsequence(
            vec![
                "min_netmask = 1",
                "default_netmask = 3",
                "max_netmask = 2",
                "zone = \"z\""
            ],
            0..4
        )
        .prop_map(|kv| format!("{{{}}}", kv.join(","))),
    ];
    let keys = [
        "pool",
        "cidr",
        "netmask",
        "region",
        "owner",
        "tags",
        "description",
        "protect",
        "scope",
        "parent",
        "cidrs",
        "allocation",
        "name",
        "regions",
        "x-extra",
        "\"quoted key\"",
        "ignore",
    ];
    let entry = (
        prop::sample::select(keys.to_vec()),
        value,
        "[ ]{0,3}",
        prop::option::of("[a-z ]{0,10}"),
        prop::option::of("[a-z ]{0,10}"),
        0usize..3,
    );
    let table = (
        prop::sample::select(vec![
            "pools",
            "vpcs",
            "reservations",
            "ipam",
            "accounts",
            "moved",
            "layouts",
            "other",
        ]),
        prop::collection::vec(entry, 0..6),
        prop::collection::vec(("[a-z]{1,5}", 0u8..30), 0..3),
        prop::option::of("[a-z ]{0,10}"),
        0usize..3,
    );
    (
        prop::option::of("[a-z ]{0,10}"),
        prop::collection::vec(table, 0..5),
    )
        .prop_map(|(head, tables)| {
            let mut out = String::new();
            if let Some(h) = head {
                out.push_str(&format!("#:schema x\n# {h}\n\n"));
            }
            let mut singles = BTreeSet::new();
            for (i, (kind, entries, subnets, comment, blanks)) in tables.into_iter().enumerate() {
                out.push_str(&"\n".repeat(blanks));
                if let Some(c) = comment {
                    out.push_str(&format!("# {c}\n"));
                }
                match kind {
                    "ipam" | "accounts" if !singles.insert(kind) => continue,
                    "ipam" | "accounts" => out.push_str(&format!("[{kind}]\n")),
                    "moved" => out.push_str("[[moved]]\n"),
                    _ => out.push_str(&format!("[ {kind} . t{i} ]\n")),
                }
                let mut used = BTreeSet::new();
                for (key, value, space, lead, trailing, blank) in entries {
                    if !used.insert(key) {
                        continue;
                    }
                    out.push_str(&"\n".repeat(blank));
                    if let Some(c) = lead {
                        out.push_str(&format!("  # {c}\n"));
                    }
                    out.push_str(&format!("{key}{space}={space}{value}"));
                    if let Some(c) = trailing {
                        out.push_str(&format!("{space} #{c}"));
                    }
                    out.push('\n');
                }
                let mut names = BTreeSet::new();
                for (name, netmask) in subnets {
                    if !names.insert(name.clone()) {
                        continue;
                    }
                    out.push_str(&format!(
                        "subnets.{name} = {{ zone = \"z\", netmask = {netmask} }}\n"
                    ));
                }
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Formatting succeeds on any TOML (its own check proves the same values and comments)
    /// and is idempotent.
    #[test]
    fn formatting_is_idempotent_and_keeps_everything(doc in document()) {
        prop_assume!(doc.parse::<toml::Table>().is_ok());
        let once = ipam::fmt::format(&doc);
        prop_assert!(once.is_ok(), "{once:?}\n{doc}");
        let once = once.unwrap_or_default();
        prop_assert_eq!(ipam::fmt::format(&once), Ok(once.clone()), "{}", doc);
    }
}
