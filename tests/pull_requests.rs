//! Pull-request comments at any size (SPEC §17): `plan --format markdown` stays within its
//! character budget whatever the plan's size, keeps the summary and a bounded destroy warning,
//! says how many changes it left out and where they are, puts diff markers in column 0, and
//! escapes names from the plan files.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

mod common;

use common::{ipam, text};

fn workdir(name: &str) -> PathBuf {
    common::workdir("pull_requests", name)
}

/// A plan of `n` /28 VPCs in one /12 pool.
fn write_vpcs(dir: &Path, n: usize) {
    fs::create_dir_all(dir).expect("plan dir");
    let mut s = String::from(
        "[ipam]\nname = \"t\"\nregions = [\"r1\"]\n\n[pools.corp]\ncidrs = [\"10.0.0.0/12\"]\n",
    );
    for i in 0..n {
        write!(s, "\n[vpcs.app-{i:05}]\npool = \"corp\"\nnetmask = 28\n").expect("format");
    }
    fs::write(dir.join("ipam.toml"), s).expect("plan");
}

fn markdown(cwd: &Path, extra: &[&str]) -> String {
    let mut args = vec!["plan", "plan", "--format", "markdown"];
    args.extend(extra);
    let out = ipam(cwd, &args);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn a_five_thousand_change_plan_fits_in_a_comment() {
    let w = workdir("five-thousand");
    write_vpcs(&w.join("plan"), 5_000);
    let md = markdown(&w, &[]);
    assert!(
        md.chars().count() <= 65_536,
        "{} characters",
        md.chars().count()
    );
    assert!(
        md.starts_with("#### ipam plan: 5001 to add, 0 to change, 0 to replace, 0 to destroy\n"),
        "{}",
        &md[..200]
    );
    let left = md
        .split("**")
        .nth(1)
        .and_then(|s| s.strip_suffix(" more changes not shown"))
        .expect("how many were left out")
        .parse::<usize>()
        .expect("a count");
    let shown = md.lines().filter(|l| l.starts_with("+ ")).count();
    assert_eq!(shown + left, 5_001, "every change shown or counted");
    assert!(shown > 500, "the budget is used: {shown} shown");
    assert!(
        md.trim_end()
            .ends_with("Plan: 5001 to add, 0 to change, 0 to replace, 0 to destroy.")
    );
    // A smaller budget, and where to read the rest.
    let md = markdown(
        &w,
        &[
            "--max-chars",
            "10000",
            "--details-url",
            "https://ci.example/run/7",
        ],
    );
    assert!(md.chars().count() <= 10_000, "{}", md.chars().count());
    assert!(
        md.contains("Every change: https://ci.example/run/7"),
        "{md}"
    );
}

#[test]
fn a_five_thousand_resource_destroy_keeps_its_warning_short() {
    let w = workdir("destroy");
    write_vpcs(&w.join("plan"), 5_000);
    let applied = ipam(&w, &["apply", "plan", "--auto-approve"]);
    assert!(applied.status.success(), "{}", text(&applied));
    write_vpcs(&w.join("plan"), 0);
    let md = markdown(&w, &[]);
    assert!(md.chars().count() <= 65_536, "{}", md.chars().count());
    let warning = md
        .lines()
        .find(|l| l.starts_with("> this plan destroys"))
        .expect("the destroy warning");
    assert_eq!(
        warning,
        "> this plan destroys 5000 resources (5000 VPCs): `vpc.app-00000`, `vpc.app-00001`, \
         `vpc.app-00002`, `vpc.app-00003`, `vpc.app-00004`, `vpc.app-00005`, `vpc.app-00006`, \
         `vpc.app-00007`, `vpc.app-00008`, `vpc.app-00009` and 4990 more."
    );
    assert!(
        md.lines().any(|l| l.starts_with("- vpc.app-")),
        "markers in column 0"
    );
}

/// Markers in column 0 for every kind of change, and names from the plan files that hold
/// backticks or HTML stay code: the rendered comment, pinned.
#[test]
fn markers_and_escaping_snapshot() {
    let w = workdir("snapshot");
    let plan = w.join("plan");
    fs::create_dir_all(&plan).expect("plan");
    let step = |vpcs: &str| {
        fs::write(
            plan.join("ipam.toml"),
            format!(
                "[ipam]\nname = \"t\"\nregions = [\"r1\"]\n\n[pools.corp]\ncidrs = [\"10.0.0.0/16\"]\n{vpcs}"
            ),
        )
        .expect("plan");
    };
    step(
        "\n[vpcs.\"gone`<b>x</b>\"]\npool = \"corp\"\nnetmask = 24\n\
         \n[vpcs.kept]\npool = \"corp\"\nnetmask = 24\ntags = { team = \"a\" }\n\
         \n[vpcs.resized]\npool = \"corp\"\nnetmask = 24\n",
    );
    let applied = ipam(&w, &["apply", "plan", "--auto-approve"]);
    assert!(applied.status.success(), "{}", text(&applied));
    step(
        "\n[vpcs.kept]\npool = \"corp\"\nnetmask = 24\ntags = { team = \"<i>b</i>\" }\n\
         \n[vpcs.resized]\npool = \"corp\"\nnetmask = 23\n\
         \n[vpcs.\"new```\"]\npool = \"corp\"\nnetmask = 25\n",
    );
    let md = markdown(&w, &[]);
    let file = Path::new("tests/pull_requests/markdown.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::create_dir_all("tests/pull_requests").expect("dir");
        fs::write(file, &md).expect("snapshot");
    } else {
        let want = fs::read_to_string(file).expect("run with UPDATE_SNAPSHOTS=1");
        assert_eq!(md, want);
    }
    for line in md.lines().skip_while(|l| *l != "```diff").skip(1) {
        if line == "```" {
            break;
        }
        assert!(
            line.starts_with(['+', '-', '!']) || line.starts_with("      "),
            "a change line without its marker in column 0: {line:?}"
        );
    }
    assert!(md.contains("`` vpc.gone`<b>x</b> ``"), "{md}");
}

/// The audit's Markdown keeps to the same budget: summary and warning, then the rows that
/// need attention first, then how many rows were left out.
#[test]
fn a_large_audit_fits_in_a_comment() {
    let w = workdir("audit");
    write_vpcs(&w.join("plan"), 3);
    let applied = ipam(&w, &["apply", "plan", "--auto-approve"]);
    assert!(applied.status.success(), "{}", text(&applied));
    let mut inventory =
        String::from(r#"{"format": "ipam-inventory", "format_version": 1, "resources": ["#);
    for i in 0..5_000 {
        if i > 0 {
            inventory.push(',');
        }
        write!(
            inventory,
            r#"{{"id": "vpc-`{i:05}`<b>", "type": "vpc", "cidr": "10.{}.{}.0/24"}}"#,
            100 + i / 256,
            i % 256
        )
        .expect("format");
    }
    inventory.push_str("]}");
    fs::write(w.join("inventory.json"), inventory).expect("inventory");
    let out = ipam(
        &w,
        &[
            "audit",
            "plan",
            "--inventory",
            "inventory.json",
            "--format",
            "markdown",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let md = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(md.chars().count() <= 65_536, "{}", md.chars().count());
    assert!(md.contains("> [!WARNING]\n> Resource CIDRs that need attention: 5000 unmanaged."));
    let left = md
        .split("**")
        .find_map(|s| s.strip_suffix(" more rows not shown"))
        .expect("rows left out")
        .parse::<usize>()
        .expect("a count");
    let shown = md.lines().filter(|l| l.starts_with("| `10.")).count();
    assert_eq!(shown + left, 5_000);
    // Said outside the fold, so the folded comment shows that rows are missing.
    let fold = md.find("\n</details>").expect("the table's fold");
    assert!(
        md.find(" more rows not shown").is_some_and(|at| at > fold),
        "{}",
        &md[fold..]
    );
    // IDs stay code: backticks and HTML cannot escape it.
    assert!(md.contains("`` vpc-`00000`<b> `` vpc"), "{}", &md[..2_000]);
}
