//! Scenario tests (CRAFT.md): one folder per behaviour under `tests/scenarios/`, one line
//! here per folder. Each folder holds the plan (`plan.toml` or a `plan/` directory), an
//! `expect` file listing every diagnostic as `<code> <file>:<line>` (so the location is
//! checked exactly), and `expected.txt`, the rendered output, snapshotted.
//!
//! `UPDATE_SNAPSHOTS=1 cargo test --test scenarios` rewrites `expected.txt`; `expect` is
//! written by hand.

use std::fs;
use std::path::{Path, PathBuf};

use ipam::diag::Diagnostics;
use ipam::load::model as load_model;
use ipam::render::{Style, diag::text as render_diags};

const ROOT: &str = "tests/scenarios";

fn plan_path(dir: &Path) -> PathBuf {
    let file = dir.join("plan.toml");
    if file.exists() {
        file
    } else {
        dir.join("plan")
    }
}

fn run(name: &str) {
    let dir = Path::new(ROOT).join(name);
    let diagnostics = match load_model(&plan_path(&dir)) {
        Ok((_, sources)) => Diagnostics::new(sources, Vec::new()),
        Err(d) => d,
    };
    let prefix = format!("{}/", dir.display());
    let json = diagnostics.to_json();
    let got: Vec<String> = json["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| {
            let code = d["code"].as_str().unwrap_or_default();
            match d.get("range") {
                Some(r) => format!(
                    "{code} {}:{}",
                    r["filename"]
                        .as_str()
                        .unwrap_or_default()
                        .trim_start_matches(&prefix),
                    r["start"]["line"]
                ),
                None => format!("{code} -"),
            }
        })
        .collect();
    let expect =
        fs::read_to_string(dir.join("expect")).expect("every scenario has an `expect` file");
    let want: Vec<&str> = expect.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(got, want, "diagnostics of scenario {name}");

    let rendered = render_diags(&diagnostics, Style { colour: false });
    let snapshot = dir.join("expected.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::write(&snapshot, &rendered).expect("write snapshot");
    } else {
        let want = fs::read_to_string(&snapshot).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run with UPDATE_SNAPSHOTS=1",
                snapshot.display()
            )
        });
        assert_eq!(rendered, want, "rendered output of scenario {name}");
    }
}

/// Every folder is listed below, so none is silently skipped.
#[test]
fn every_scenario_is_listed() {
    let source = fs::read_to_string("tests/scenarios.rs").expect("this file");
    for entry in fs::read_dir(ROOT).expect("scenario folder") {
        let entry = entry.expect("entry");
        if !entry.path().is_dir() {
            continue; // the folder's README
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            source.contains(&format!("(\"{name}\")")),
            "scenario {name} has no test line in tests/scenarios.rs"
        );
    }
}

macro_rules! scenarios {
    ($($test:ident($name:literal);)*) => {
        $(#[test] fn $test() { run($name); })*
    };
}

scenarios! {
    bad_alert_at_over_100("bad-alert-at-over-100");
    bad_alicloud_depth("bad-alicloud-depth");
    bad_alicloud_ipv4_in_public_scope("bad-alicloud-ipv4-in-public-scope");
    bad_alicloud_ipv6_in_private_scope("bad-alicloud-ipv6-in-private-scope");
    bad_alicloud_too_many_cidrs("bad-alicloud-too-many-cidrs");
    bad_alicloud_too_many_pools_in_scope("bad-alicloud-too-many-pools-in-scope");
    bad_alicloud_too_many_scopes("bad-alicloud-too-many-scopes");
    bad_alicloud_too_many_subpools("bad-alicloud-too-many-subpools");
    bad_alicloud_vpc_and_vswitch_limits("bad-alicloud-vpc-and-vswitch-limits");
    bad_auto_import_without_region("bad-auto-import-without-region");
    bad_aws_secondary_association("bad-aws-secondary-association");
    bad_aws_too_many_scopes("bad-aws-too-many-scopes");
    bad_aws_vpc_and_subnet_limits("bad-aws-vpc-and-subnet-limits");
    bad_builtin_scope_declared("bad-builtin-scope-declared");
    bad_cidr_host_bits("bad-cidr-host-bits");
    bad_cidr_invalid_text("bad-cidr-invalid-text");
    bad_cidr_ipv6_host_bits("bad-cidr-ipv6-host-bits");
    bad_cidr_no_prefix_length("bad-cidr-no-prefix-length");
    bad_cidr_prefix_33("bad-cidr-prefix-33");
    bad_duplicate_account_across_files("bad-duplicate-account-across-files");
    bad_duplicate_key("bad-duplicate-key");
    bad_duplicate_pool_across_files("bad-duplicate-pool-across-files");
    bad_duplicate_reservation_across_files("bad-duplicate-reservation-across-files");
    bad_duplicate_resource_id("bad-duplicate-resource-id");
    bad_duplicate_table("bad-duplicate-table");
    bad_duplicate_vpc_across_files("bad-duplicate-vpc-across-files");
    bad_empty_plan_dir("bad-empty-plan-dir");
    bad_every_parse_error_at_once("bad-every-parse-error-at-once");
    bad_exclude_pattern("bad-exclude-pattern");
    bad_invalid_pool_no_cascade("bad-invalid-pool-no-cascade");
    bad_ipam_empty_regions("bad-ipam-empty-regions");
    bad_ipam_missing_name("bad-ipam-missing-name");
    bad_ipv6_subpool_under_ipv4_parent("bad-ipv6-subpool-under-ipv4-parent");
    bad_layout_duplicate_slot_name("bad-layout-duplicate-slot-name");
    bad_layout_generates_existing_pool("bad-layout-generates-existing-pool");
    bad_layout_leaf_mistake_once("bad-layout-leaf-mistake-once");
    bad_layout_names_exceed_slots("bad-layout-names-exceed-slots");
    bad_layout_parent_no_cascade("bad-layout-parent-no-cascade");
    bad_layout_parent_two_cidrs("bad-layout-parent-two-cidrs");
    bad_layout_region_unknown("bad-layout-region-unknown");
    bad_layout_slot_out_of_range("bad-layout-slot-out-of-range");
    bad_layout_slot_shared_with("bad-layout-slot-shared-with");
    bad_layout_slot_taken_twice("bad-layout-slot-taken-twice");
    bad_layout_too_deep("bad-layout-too-deep");
    bad_layout_too_many_pools("bad-layout-too-many-pools");
    bad_layout_too_many_slots("bad-layout-too-many-slots");
    bad_layout_unresolved_parent("bad-layout-unresolved-parent");
    bad_layout_zero_slots("bad-layout-zero-slots");
    bad_missing_ipam("bad-missing-ipam");
    bad_moved_invalid_address("bad-moved-invalid-address");
    bad_moved_kind_mismatch("bad-moved-kind-mismatch");
    bad_moved_source_still_declared("bad-moved-source-still-declared");
    bad_moved_target_missing("bad-moved-target-missing");
    bad_moved_to_broken_vpc_no_cascade("bad-moved-to-broken-vpc-no-cascade");
    bad_netmask_equal_to_parent("bad-netmask-equal-to-parent");
    bad_netmask_negative("bad-netmask-negative");
    bad_netmask_over_128("bad-netmask-over-128");
    bad_netmask_over_32("bad-netmask-over-32");
    bad_netmask_zero("bad-netmask-zero");
    bad_not_utf8("bad-not-utf8");
    bad_overlap_top_level_pools("bad-overlap-top-level-pools");
    bad_overlap_top_level_pools_custom_scope("bad-overlap-top-level-pools-custom-scope");
    bad_parent_cycle_2("bad-parent-cycle-2");
    bad_parent_cycle_3("bad-parent-cycle-3");
    bad_parent_self("bad-parent-self");
    bad_pool_cidrs_and_netmask("bad-pool-cidrs-and-netmask");
    bad_pool_cidrs_overlap_each_other("bad-pool-cidrs-overlap-each-other");
    bad_pool_empty_cidrs("bad-pool-empty-cidrs");
    bad_pool_mixed_families("bad-pool-mixed-families");
    bad_pool_no_provision("bad-pool-no-provision");
    bad_region_unknown("bad-region-unknown");
    bad_reservation_netmask_outside_rules("bad-reservation-netmask-outside-rules");
    bad_reservations_overlap("bad-reservations-overlap");
    bad_rules_default_gt_max("bad-rules-default-gt-max");
    bad_rules_default_lt_min("bad-rules-default-lt-min");
    bad_rules_max_over_32("bad-rules-max-over-32");
    bad_rules_min_gt_max("bad-rules-min-gt-max");
    bad_rules_min_max_swapped("bad-rules-min-max-swapped");
    bad_subnet_larger_than_vpc("bad-subnet-larger-than-vpc");
    bad_subnet_no_size("bad-subnet-no-size");
    bad_subnet_outside_vpc("bad-subnet-outside-vpc");
    bad_subnets_overlap("bad-subnets-overlap");
    bad_subpool_cidr_outside_netmask_parent("bad-subpool-cidr-outside-netmask-parent");
    bad_subpool_cidr_wider_than_netmask_parent("bad-subpool-cidr-wider-than-netmask-parent");
    bad_subpool_outside_parent("bad-subpool-outside-parent");
    bad_subpool_region_differs("bad-subpool-region-differs");
    bad_subpool_scope_differs("bad-subpool-scope-differs");
    bad_subpool_siblings_overlap("bad-subpool-siblings-overlap");
    bad_syntax_errors_in_two_files("bad-syntax-errors-in-two-files");
    bad_team_account("bad-team-account");
    bad_team_allocation_rules("bad-team-allocation-rules");
    bad_team_declared_outside_ipam_file("bad-team-declared-outside-ipam-file");
    bad_team_declares_account("bad-team-declares-account");
    bad_team_declares_audit("bad-team-declares-audit");
    bad_team_declares_state("bad-team-declares-state");
    bad_state_url_password("bad-state-url-password");
    bad_team_declares_ipam("bad-team-declares-ipam");
    bad_team_declares_layout("bad-team-declares-layout");
    bad_team_declares_pool("bad-team-declares-pool");
    bad_team_declares_scope("bad-team-declares-scope");
    bad_team_declares_team("bad-team-declares-team");
    bad_team_file_of_two_teams("bad-team-file-of-two-teams");
    bad_team_moved_others("bad-team-moved-others");
    bad_team_owner_other_account("bad-team-owner-other-account");
    bad_team_paths_invalid("bad-team-paths-invalid");
    bad_team_paths_match_ipam_file("bad-team-paths-match-ipam-file");
    bad_team_paths_match_nothing("bad-team-paths-match-nothing");
    bad_team_reservation_in_unshared_pool("bad-team-reservation-in-unshared-pool");
    bad_team_vpc_in_unshared_pool("bad-team-vpc-in-unshared-pool");
    bad_toml_syntax("bad-toml-syntax");
    bad_top_level_pool_netmask("bad-top-level-pool-netmask");
    bad_two_ipam_tables("bad-two-ipam-tables");
    bad_type_string_for_array("bad-type-string-for-array");
    bad_type_string_for_bool("bad-type-string-for-bool");
    bad_type_string_for_integer("bad-type-string-for-integer");
    bad_unknown_key_netmaks("bad-unknown-key-netmaks");
    bad_unknown_key_regons("bad-unknown-key-regons");
    bad_unknown_profile("bad-unknown-profile");
    bad_unknown_table("bad-unknown-table");
    bad_unresolved_ipam_owner("bad-unresolved-ipam-owner");
    bad_unresolved_parent("bad-unresolved-parent");
    bad_unresolved_parent_no_cascade("bad-unresolved-parent-no-cascade");
    bad_unresolved_reservation_pool("bad-unresolved-reservation-pool");
    bad_unresolved_scope("bad-unresolved-scope");
    bad_unresolved_secondary_pool("bad-unresolved-secondary-pool");
    bad_unresolved_shared_with("bad-unresolved-shared-with");
    bad_unresolved_vpc_owner("bad-unresolved-vpc-owner");
    bad_unresolved_vpc_pool("bad-unresolved-vpc-pool");
    bad_vpc_cidr_and_netmask("bad-vpc-cidr-and-netmask");
    bad_vpc_cidr_host_bits("bad-vpc-cidr-host-bits");
    bad_vpc_cidr_in_held_layout_slot("bad-vpc-cidr-in-held-layout-slot");
    bad_vpc_cidr_outside_netmask_pool("bad-vpc-cidr-outside-netmask-pool");
    bad_vpc_cidr_outside_pool("bad-vpc-cidr-outside-pool");
    bad_vpc_cidr_outside_rules("bad-vpc-cidr-outside-rules");
    bad_vpc_cidr_overlaps_reservation("bad-vpc-cidr-overlaps-reservation");
    bad_vpc_cidr_overlaps_subpool("bad-vpc-cidr-overlaps-subpool");
    bad_vpc_ipv6_from_ipv4_pool("bad-vpc-ipv6-from-ipv4-pool");
    bad_vpc_netmask_outside_rules("bad-vpc-netmask-outside-rules");
    bad_vpc_netmask_over_32("bad-vpc-netmask-over-32");
    bad_vpc_netmask_wider_than_pool("bad-vpc-netmask-wider-than-pool");
    bad_vpc_no_netmask_no_default("bad-vpc-no-netmask-no-default");
    bad_vpc_owner_not_shared("bad-vpc-owner-not-shared");
    bad_vpc_region_mismatch("bad-vpc-region-mismatch");
    bad_vpc_region_mismatch_inherited("bad-vpc-region-mismatch-inherited");
    bad_vpc_region_unknown("bad-vpc-region-unknown");
    bad_vpc_required_tags_missing("bad-vpc-required-tags-missing");
    good_alicloud_limits("good-alicloud-limits");
    good_aws_secondary_association("good-aws-secondary-association");
    good_aws_zones_and_sizes("good-aws-zones-and-sizes");
    good_layout_slot_shared_with("good-layout-slot-shared-with");
    good_layout_split("good-layout-split");
    good_minimal("good-minimal");
    good_overlap_across_scopes("good-overlap-across-scopes");
    good_profile_none_unlimited("good-profile-none-unlimited");
    good_taplo_and_excluded_files("good-taplo-and-excluded-files");
    good_team_moved_own("good-team-moved-own");
    good_team_reservation("good-team-reservation");
    good_team_vpc_in_shared_pool("good-team-vpc-in-shared-pool");
    good_state_url("good-state-url");
}

/// Symbolic-link loops below a plan directory are reported and never walked (two loops made
/// the walk grow without end); a directory reached by two paths is read once; and links
/// listed in `[ipam] exclude` are not the plan's business.
#[cfg(unix)]
#[test]
fn link_loops_are_reported_and_walked_once() {
    use std::os::unix::fs::symlink;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scenario-link-loops");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("teams")).expect("plan dir");
    let ipam =
        "[ipam]\nname = \"t\"\nregions = [\"r1\"]\n\n[pools.corp]\ncidrs = [\"10.0.0.0/8\"]\n";
    fs::write(dir.join("ipam.toml"), ipam).expect("write");
    fs::write(
        dir.join("teams/web.toml"),
        "[vpcs.web]\npool = \"corp\"\nnetmask = 16\n",
    )
    .expect("write");
    symlink(".", dir.join("teams/again")).expect("link");
    symlink("..", dir.join("teams/up")).expect("link");
    symlink("teams", dir.join("also-teams")).expect("link");
    let codes = |dir: &Path| -> Vec<String> {
        match load_model(dir) {
            Ok(_) => Vec::new(),
            Err(d) => d
                .diags
                .iter()
                .map(|d| format!("{} {}", d.code, d.message))
                .collect(),
        }
    };
    let shown = dir.display().to_string();
    assert_eq!(
        codes(&dir),
        vec![
            format!(
                "ipam::io::link_twice {shown}/also-teams leads to a directory the plan already reads as {shown}/teams"
            ),
            format!(
                "ipam::io::link_loop {shown}/teams/again is a symbolic link loop: it leads back to {shown}/teams, which contains it"
            ),
            format!(
                "ipam::io::link_loop {shown}/teams/up is a symbolic link loop: it leads back to {shown}, which contains it"
            ),
        ]
    );
    fs::write(
        dir.join("ipam.toml"),
        format!("{ipam}\n[audit]\nignore = []\n").replace(
            "regions = [\"r1\"]\n",
            "regions = [\"r1\"]\nexclude = [\"also-teams\", \"teams/again\", \"teams/up\"]\n",
        ),
    )
    .expect("write");
    assert_eq!(codes(&dir), Vec::<String>::new());
}

/// Counts past a limit are one located error at the first entry too many, and the entries
/// past it are not looked at (here: their bad netmasks are not reported).
#[test]
fn subnets_past_the_limit_are_one_error() {
    let max = ipam::model::limits::MAX_SUBNETS_PER_VPC;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scenario-subnet-limit");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("plan dir");
    let mut plan = String::from(
        "[ipam]\nname = \"t\"\nregions = [\"r1\"]\n\n[pools.corp]\ncidrs = [\"10.0.0.0/8\"]\n\n[vpcs.web]\npool = \"corp\"\nnetmask = 16\n",
    );
    for i in 0..max + 3 {
        let netmask = if i < max { 28 } else { 99 };
        plan.push_str(&format!("subnets.s{i} = {{ netmask = {netmask} }}\n"));
    }
    fs::write(dir.join("plan.toml"), plan).expect("write");
    let d = load_model(&dir).expect_err("refused");
    let found: Vec<(&str, &str)> = d
        .diags
        .iter()
        .map(|d| (d.code, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![(
            "ipam::limit::subnets",
            "more than 4096 subnets in VPC `web`"
        )]
    );
    let at = d.diags[0].loc.as_ref().expect("located");
    assert_eq!(d.sources.position(at.file, at.span.start).line, 11 + max);
}
