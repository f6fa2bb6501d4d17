//! `ipam import` at the command line (SPEC §8; seeds 000 and 001, auto-import): which
//! discovered VPCs are adopted into pools with `auto_import`, what is written to the plan
//! and the state, and that the next plan shows no changes and the next audit finds them
//! managed. Also `--dry-run`, `--to`, single-file plans (comments preserved), a second
//! import adopting nothing, and refusals that leave everything as it was.

use std::fs;
use std::path::{Path, PathBuf};

mod common;

use common::{ipam, stdout, text};
use ipam::state::State;
use ipam::state::check::check;

fn workdir(name: &str) -> PathBuf {
    common::workdir("import", name)
}

const PLAN: &str = r#"# The team's plan. This comment stays where it is.
[ipam]
name = "t"
regions = ["r1", "r2"]
owner = "net"

[accounts]
net = "100000000001"
app = "100000000002"
other = "100000000003"

[pools.corp]
cidrs = ["10.0.0.0/8"]

[pools.team]
parent = "corp"
cidrs = ["10.1.0.0/16"]
region = "r1"
allocation = { min_netmask = 18, max_netmask = 26, default_netmask = 24 }
required_tags = { env = "prod" }
shared_with = ["app"]
auto_import = true

[pools.team2]
parent = "corp"
cidrs = ["10.2.0.0/16"]
region = "r2"
auto_import = true

[pools.v6]
cidrs = ["2001:db8::/48"]
region = "r1"
shared_with = ["app"]
auto_import = true

[vpcs.a]
pool = "team"
cidr = "10.1.0.0/24"
tags = { env = "prod" }
resource_id = "vpc-a"
"#;

/// Added after the first apply: planned, not applied, when the import runs.
const PENDING: &str = r#"
[vpcs.pending]
pool = "team"
netmask = 24
tags = { env = "prod" }
"#;

/// Candidates for every rule (see `adopts_by_the_seed_rules`).
const INVENTORY: &str = r#"{"format": "ipam-inventory", "format_version": 1, "resources": [
  {"id": "vpc-a", "type": "vpc", "cidr": "10.1.0.0/24", "region": "r1", "tags": {"env": "prod"}},
  {"id": "vpc-big", "type": "vpc", "cidr": "10.1.64.0/18", "region": "r1", "account": "100000000002",
   "tags": {"env": "prod", "Name": "big one"}, "name": "big one"},
  {"id": "vpc-big", "type": "vpc", "cidr": "10.1.128.0/24", "region": "r1", "account": "100000000002", "tags": {"env": "prod"}},
  {"id": "vpc-big", "type": "vpc", "cidr": "2001:db8:0:100::/56", "region": "r1"},
  {"id": "vpc-big", "type": "vpc", "cidr": "172.20.0.0/16", "region": "r1"},
  {"id": "subnet-big1", "type": "subnet", "cidr": "10.1.64.0/24", "vpc_id": "vpc-big", "zone": "r1-a", "name": "web", "tags": {"tier": "web"}},
  {"id": "subnet-big2", "type": "subnet", "cidr": "10.1.64.0/25", "vpc_id": "vpc-big", "zone": "r1-a"},
  {"id": "subnet-big3", "type": "subnet", "cidr": "10.1.128.0/26", "vpc_id": "vpc-big", "zone": "r1-b"},
  {"id": "vpc-inside", "type": "vpc", "cidr": "10.1.65.0/24", "region": "r1", "tags": {"env": "prod"}},
  {"id": "vpc-twin-b", "type": "vpc", "cidr": "10.1.32.0/24", "region": "r1", "tags": {"env": "prod"}},
  {"id": "vpc-twin-a", "type": "vpc", "cidr": "10.1.32.0/24", "region": "r1", "tags": {"env": "prod"}},
  {"id": "vpc-r2", "type": "vpc", "cidr": "10.1.40.0/24", "region": "r2", "tags": {"env": "prod"}},
  {"id": "vpc-noregion", "type": "vpc", "cidr": "10.1.41.0/24", "tags": {"env": "prod"}},
  {"id": "vpc-untagged", "type": "vpc", "cidr": "10.1.42.0/24", "region": "r1"},
  {"id": "vpc-other", "type": "vpc", "cidr": "10.1.43.0/24", "region": "r1", "account": "100000000003", "tags": {"env": "prod"}},
  {"id": "vpc-stranger", "type": "vpc", "cidr": "10.1.44.0/24", "region": "r1", "account": "999", "tags": {"env": "prod"}},
  {"id": "vpc-huge", "type": "vpc", "cidr": "10.1.0.0/17", "region": "r1", "tags": {"env": "prod"}},
  {"id": "vpc-tiny", "type": "vpc", "cidr": "10.1.45.0/28", "region": "r1", "tags": {"env": "prod"}},
  {"id": "vpc-taken", "type": "vpc", "cidr": "10.1.0.0/25", "region": "r1", "tags": {"env": "prod"}},
  {"id": "vpc-r2ok", "type": "vpc", "cidr": "10.2.5.0/24", "region": "r2"},
  {"id": "vpc-outside", "type": "vpc", "cidr": "192.168.0.0/16", "region": "r1"}
]}"#;

fn setup(name: &str, single_file: bool) -> PathBuf {
    let dir = workdir(name);
    if single_file {
        fs::write(dir.join("plan.toml"), PLAN).expect("plan");
    } else {
        fs::create_dir_all(dir.join("plan")).expect("plan dir");
        fs::write(dir.join("plan/main.toml"), PLAN).expect("plan");
    }
    fs::write(dir.join("inventory.json"), INVENTORY).expect("inventory");
    let target = if single_file { "plan.toml" } else { "plan" };
    let out = ipam(&dir, &["apply", target, "--auto-approve"]);
    assert!(out.status.success(), "apply: {}", text(&out));
    dir
}

fn state(path: &Path) -> State {
    let text = fs::read_to_string(path).expect("state");
    let state: State = serde_json::from_str(&text).expect("state parses");
    assert_eq!(check(&state.resources), Vec::new());
    state
}

#[test]
fn adopts_by_the_seed_rules() {
    let dir = setup("rules", false);
    fs::write(dir.join("plan/main.toml"), format!("{PLAN}{PENDING}")).expect("plan");
    let out = ipam(
        &dir,
        &[
            "import",
            "plan",
            "--inventory",
            "inventory.json",
            "--dry-run",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let report = stdout(&out);
    let line = |needle: &str| {
        report
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle}:\n{report}"))
            .to_string()
    };
    // Adopted: the largest of overlapping ones, the lowest ID of identical ones, and one in
    // another region's pool.
    assert!(report.contains("Would adopt 3 VPCs"), "{report}");
    assert!(
        line("+ vpc.vpc-big ").contains(
            "10.1.64.0/18 from pool team (1 secondary, ipv6 2001:db8:0:100::/56, 1 subnet)"
        )
    );
    assert!(line("+ vpc.vpc-twin-a ").contains("10.1.32.0/24 from pool team"));
    assert!(line("+ vpc.vpc-r2ok ").contains("10.2.5.0/24 from pool team2"));
    // Not adopted, each with its reason.
    for (id, reason) in [
        ("vpc-a 10.1.0.0/24", "already in the plan as vpc.a"),
        (
            "vpc-inside 10.1.65.0/24",
            "overlaps 10.1.64.0/18 of vpc-big",
        ),
        ("vpc-twin-b 10.1.32.0/24", "the same CIDR as vpc-twin-a"),
        (
            "vpc-r2 10.1.40.0/24",
            "in region r2, and pool team imports only from r1",
        ),
        ("vpc-noregion 10.1.41.0/24", "the inventory gives no region"),
        (
            "vpc-untagged 10.1.42.0/24",
            "lacks tags pool team requires: env = \"prod\"",
        ),
        (
            "vpc-other 10.1.43.0/24",
            "pool team is not shared with account other",
        ),
        (
            "vpc-stranger 10.1.44.0/24",
            "account 999 is not in the plan's [accounts]",
        ),
        ("vpc-huge 10.1.0.0/17", "already allocated in pool team"),
        (
            "vpc-tiny 10.1.45.0/28",
            "netmask /28 is outside pool team's allocation rules (/18 to /26)",
        ),
        ("vpc-taken 10.1.0.0/25", "already allocated in pool team"),
        (
            "vpc-big 172.20.0.0/16",
            "not inside any pool with auto_import",
        ),
        ("subnet-big2 10.1.64.0/25", "overlaps subnet subnet-big1"),
        (
            "subnet-big3 10.1.128.0/26",
            "outside the VPC's primary CIDR 10.1.64.0/18",
        ),
    ] {
        assert!(line(id).contains(reason), "{id}: {}", line(id));
    }
    assert!(
        report.contains("2 discovered VPC CIDRs lie outside every pool with auto_import."),
        "{report}"
    );
    assert!(report.contains("Dry run: nothing was written."), "{report}");
    assert!(
        report.contains("[vpcs.vpc-big]"),
        "the entries are shown:\n{report}"
    );
    assert!(!dir.join("plan/imported.toml").exists());
    assert_eq!(state(&dir.join("plan/ipam.state.json")).serial, 1);

    // The real import writes exactly those entries, and the state in the same step.
    let out = ipam(&dir, &["import", "plan", "--inventory", "inventory.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let written = fs::read_to_string(dir.join("plan/imported.toml")).expect("imported.toml");
    assert!(
        written.starts_with("# Adopted by `ipam import` from inventory.json"),
        "{written}"
    );
    assert!(written.contains(
        "[vpcs.vpc-big]\npool = \"team\"\ncidr = \"10.1.64.0/18\"\nregion = \"r1\"\nowner = \"app\"\nresource_id = \"vpc-big\"\n\
         description = \"big one (imported from inventory.json)\"\ntags = { Name = \"big one\", env = \"prod\" }\n\
         secondary = [{ pool = \"team\", cidr = \"10.1.128.0/24\" }]\nipv6 = { pool = \"v6\", cidr = \"2001:db8:0:100::/56\" }\n\
         subnets.subnet-big1 = { cidr = \"10.1.64.0/24\", zone = \"r1-a\", tags = { tier = \"web\" }, description = \"web\" }\n"
    ), "{written}");
    let st = state(&dir.join("plan/ipam.state.json"));
    assert_eq!(st.serial, 2);
    let big = &st.resources.vpcs["vpc-big"];
    assert_eq!(big.cidr.to_string(), "10.1.64.0/18");
    assert_eq!(big.resource_id.as_deref(), Some("vpc-big"));
    assert_eq!(big.subnets["subnet-big1"].cidr.to_string(), "10.1.64.0/24");
    assert!(
        !st.resources.vpcs.contains_key("pending"),
        "import applies nothing else"
    );

    // The next plan shows only what was pending before, and a second import adopts nothing.
    let out = ipam(&dir, &["plan", "plan"]);
    let plan = stdout(&out);
    assert!(plan.contains("+ vpc.pending"), "{plan}");
    assert!(
        plan.contains("Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy."),
        "{plan}"
    );
    let out = ipam(&dir, &["import", "plan", "--inventory", "inventory.json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).starts_with("Nothing to adopt."),
        "{}",
        stdout(&out)
    );
    assert_eq!(state(&dir.join("plan/ipam.state.json")).serial, 2);

    // Apply the pending VPC: it goes around the adopted blocks, and the audit finds the
    // adopted VPCs managed.
    let out = ipam(&dir, &["apply", "plan", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = ipam(&dir, &["plan", "plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ipam(
        &dir,
        &["audit", "plan", "--inventory", "inventory.json", "--json"],
    );
    let doc: ipam::render::audit::AuditDocument =
        serde_json::from_slice(&out.stdout).expect("json");
    for (id, cidr) in [
        ("vpc-big", "10.1.64.0/18"),
        ("vpc-big", "10.1.128.0/24"),
        ("subnet-big1", "10.1.64.0/24"),
        ("vpc-twin-a", "10.1.32.0/24"),
    ] {
        let row = doc
            .resources
            .iter()
            .find(|r| r.id == id && r.cidr.to_string() == cidr)
            .expect("row");
        assert_eq!(
            row.management,
            ipam::audit::report::Management::Managed,
            "{id} {cidr}"
        );
    }
}

#[test]
fn a_single_file_plan_is_appended_to_with_its_comments() {
    let dir = setup("single-file", true);
    let out = ipam(
        &dir,
        &["import", "plan.toml", "--inventory", "inventory.json"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let written = fs::read_to_string(dir.join("plan.toml")).expect("plan");
    assert!(written.starts_with(PLAN), "the old text is kept as it was");
    assert!(
        written.contains("\n\n# Adopted by `ipam import`"),
        "{written}"
    );
    let st = state(&dir.join("ipam.state.json"));
    assert!(st.resources.vpcs.contains_key("vpc-big"));
    let out = ipam(&dir, &["plan", "plan.toml", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // `--to` needs a directory plan.
    let out = ipam(
        &dir,
        &[
            "import",
            "plan.toml",
            "--inventory",
            "inventory.json",
            "--to",
            "x.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("ipam::import::target"),
        "{}",
        text(&out)
    );
}

#[test]
fn to_names_the_file_inside_the_plan() {
    let dir = setup("to", false);
    fs::create_dir_all(dir.join("plan/teams")).expect("dir");
    let before = fs::read(dir.join("plan/ipam.state.json")).expect("state");
    for (to, problem) in [
        ("elsewhere.toml", "outside the plan directory"),
        ("plan/teams/x.json", "not a .toml file"),
        ("plan/.hidden/x.toml", "cannot find the directory"),
        ("plan/.x.toml", "hidden"),
    ] {
        let out = ipam(
            &dir,
            &[
                "import",
                "plan",
                "--inventory",
                "inventory.json",
                "--to",
                to,
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{to}");
        assert!(text(&out).contains(problem), "{to}: {}", text(&out));
    }
    assert_eq!(
        fs::read(dir.join("plan/ipam.state.json")).expect("state"),
        before
    );
    let out = ipam(
        &dir,
        &[
            "import",
            "plan",
            "--inventory",
            "inventory.json",
            "--to",
            "plan/teams/legacy.toml",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        fs::read_to_string(dir.join("plan/teams/legacy.toml"))
            .expect("file")
            .contains("[vpcs.vpc-big]")
    );
    assert!(!dir.join("plan/imported.toml").exists());
    let out = ipam(&dir, &["plan", "plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_held_lock_refuses_and_changes_nothing() {
    let dir = setup("locked", false);
    let store = ipam::state::file::FileBackend::new(dir.join("plan/ipam.state.json"));
    let guard = store
        .take_lock("test", std::time::Duration::ZERO)
        .expect("lock");
    let out = ipam(&dir, &["import", "plan", "--inventory", "inventory.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("lock"), "{}", text(&out));
    assert!(!dir.join("plan/imported.toml").exists());
    // A dry run reads without the lock.
    let out = ipam(
        &dir,
        &[
            "import",
            "plan",
            "--inventory",
            "inventory.json",
            "--dry-run",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    drop(guard);
}

#[test]
fn pools_not_yet_applied_adopt_nothing_and_say_so() {
    let dir = workdir("unapplied");
    fs::create_dir_all(dir.join("plan")).expect("dir");
    fs::write(dir.join("inventory.json"), INVENTORY).expect("inventory");
    // No state at all: nothing to import into, and import says so.
    fs::write(dir.join("plan/main.toml"), PLAN).expect("plan");
    let out = ipam(&dir, &["import", "plan", "--inventory", "inventory.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("ipam::state::missing"),
        "{}",
        text(&out)
    );
    assert!(!dir.join("plan/ipam.state.json").exists());
    // A state that does not hold the auto-import pools yet.
    let first = "[ipam]\nname = \"t\"\nregions = [\"r1\", \"r2\"]\n[pools.lab]\ncidrs = [\"192.168.0.0/16\"]\n";
    fs::write(dir.join("plan/main.toml"), first).expect("plan");
    let applied = ipam(&dir, &["apply", "plan", "--auto-approve"]);
    assert!(applied.status.success(), "{}", text(&applied));
    let before = fs::read(dir.join("plan/ipam.state.json")).expect("state");
    fs::write(dir.join("plan/main.toml"), PLAN).expect("plan");
    let out = ipam(&dir, &["import", "plan", "--inventory", "inventory.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report = stdout(&out);
    assert!(report.starts_with("Nothing to adopt."), "{report}");
    assert!(
        report.contains("Pool team has auto_import but is not applied yet"),
        "{report}"
    );
    assert!(!dir.join("plan/imported.toml").exists());
    assert_eq!(
        fs::read(dir.join("plan/ipam.state.json")).expect("state"),
        before
    );
}

#[test]
fn a_broken_inventory_imports_nothing() {
    let dir = setup("broken", false);
    fs::write(dir.join("bad.json"), "{\"Vpcs\": [").expect("bad");
    let before = fs::read(dir.join("plan/ipam.state.json")).expect("state");
    let out = ipam(&dir, &["import", "plan", "--inventory", "bad.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("ipam::audit::json"), "{}", text(&out));
    assert_eq!(
        fs::read(dir.join("plan/ipam.state.json")).expect("state"),
        before
    );
    assert!(!dir.join("plan/imported.toml").exists());
}

/// A recorded VPC without `resource_id` that audit matches by CIDR alone says so (text and
/// JSON); `import --bind` writes the discovered ID into its entry and its record, beside an
/// adoption, in a single-file and a directory plan; then the next plan has nothing to do and
/// audit matches it by ID.
#[test]
fn bind_writes_the_matched_id_into_the_entry_and_the_record() {
    for single_file in [true, false] {
        let dir = setup(
            if single_file { "bind-file" } else { "bind-dir" },
            single_file,
        );
        let (target, file) = if single_file {
            ("plan.toml", dir.join("plan.toml"))
        } else {
            ("plan", dir.join("plan/main.toml"))
        };
        let mut plan = fs::read_to_string(&file).expect("plan");
        plan.push_str(
            "\n# b was built by hand first.\n[vpcs.b]\npool = \"team\"\ncidr = \"10.1.1.0/24\"\n\
             tags = { env = \"prod\" } # kept\n",
        );
        fs::write(&file, &plan).expect("plan");
        let out = ipam(&dir, &["apply", target, "--auto-approve"]);
        assert!(out.status.success(), "apply: {}", text(&out));
        let inventory = INVENTORY.replace(
            "\n]}",
            ",\n  {\"id\": \"vpc-b-real\", \"type\": \"vpc\", \"cidr\": \"10.1.1.0/24\", \
             \"region\": \"r1\", \"tags\": {\"env\": \"prod\"}}\n]}",
        );
        fs::write(dir.join("inventory.json"), inventory).expect("inventory");

        let audit = |dir: &Path| -> serde_json::Value {
            let out = ipam(
                dir,
                &["audit", target, "--inventory", "inventory.json", "--json"],
            );
            serde_json::from_str(&stdout(&out)).expect("audit JSON")
        };
        let row = |doc: &serde_json::Value, id: &str| -> serde_json::Value {
            doc["resources"]
                .as_array()
                .expect("rows")
                .iter()
                .find(|r| r["id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("row {id}"))
        };
        let before = audit(&dir);
        assert_eq!(row(&before, "vpc-b-real")["matched_by_cidr"], true);
        assert_eq!(row(&before, "vpc-b-real")["management"], "managed");
        assert!(row(&before, "vpc-a").get("matched_by_cidr").is_none());
        let shown = stdout(&ipam(
            &dir,
            &["audit", target, "--inventory", "inventory.json"],
        ));
        assert!(
            shown.contains(
                "↳ matched by CIDR alone: vpc.b has no resource_id (`ipam import --bind` \
                 records this ID)"
            ),
            "{shown}"
        );

        let state_path = if single_file {
            dir.join("ipam.state.json")
        } else {
            dir.join("plan/ipam.state.json")
        };
        let (plan_before, state_before) = (
            fs::read(&file).expect("plan"),
            fs::read(&state_path).expect("state"),
        );
        let dry = ipam(
            &dir,
            &[
                "import",
                target,
                "--inventory",
                "inventory.json",
                "--bind",
                "--dry-run",
            ],
        );
        assert!(dry.status.success(), "{}", text(&dry));
        assert!(
            stdout(&dry).contains(&format!(
                "Would bind 1 VPC to the ID audit matched by CIDR alone:\n  vpc.b: \
                 resource_id = \"vpc-b-real\" in {target}"
            )),
            "{}",
            stdout(&dry)
        );
        assert_eq!(fs::read(&file).expect("plan"), plan_before, "dry run");
        assert_eq!(
            fs::read(&state_path).expect("state"),
            state_before,
            "dry run"
        );

        let out = ipam(
            &dir,
            &["import", target, "--inventory", "inventory.json", "--bind"],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            stdout(&out).contains("VPC adopted, 1 bound:")
                || stdout(&out).contains("VPCs adopted, 1 bound:"),
            "{}",
            stdout(&out)
        );
        let written = fs::read_to_string(&file).expect("plan");
        assert!(
            written.contains(
                "[vpcs.b]\npool = \"team\"\ncidr = \"10.1.1.0/24\"\ntags = { env = \"prod\" } \
                 # kept\nresource_id = \"vpc-b-real\"\n"
            ),
            "{written}"
        );
        assert!(written.starts_with(&plan), "the rest is kept: {written}");
        let st = state(&state_path);
        assert_eq!(
            st.resources.vpcs["b"].resource_id.as_deref(),
            Some("vpc-b-real")
        );
        // The import's state has its snapshot in the history, as an apply's would.
        let history =
            fs::read_to_string(state_path.with_extension("json.history")).expect("history");
        assert!(
            history
                .lines()
                .last()
                .is_some_and(|l| l.contains(&format!("\"serial\":{}", st.serial))),
            "{history}"
        );
        assert!(st.resources.vpcs.contains_key("vpc-big"), "adopted beside");
        let out = ipam(&dir, &["plan", target, "--detailed-exitcode"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let after = audit(&dir);
        assert!(row(&after, "vpc-b-real").get("matched_by_cidr").is_none());
        assert_eq!(row(&after, "vpc-b-real")["management"], "managed");

        let again = ipam(
            &dir,
            &["import", target, "--inventory", "inventory.json", "--bind"],
        );
        assert!(
            stdout(&again).contains("Nothing to bind"),
            "{}",
            stdout(&again)
        );
    }
}
