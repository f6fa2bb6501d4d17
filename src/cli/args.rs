//! The command line's definition: every command, its arguments and their help, as clap
//! reads them. What each command does is in its own file; `mod.rs` dispatches.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::{audit, completions, parse_duration, state};
use crate::render::{self, Format};

#[derive(Debug, Parser)]
#[command(name = "ipam", version, about = "IP address management as code", long_about = None)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Write a commented starter plan into DIR.
    Init {
        /// Directory to create the plan in.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Check a plan: every rule, every problem reported at once.
    Validate {
        /// Plan file or directory.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Print the result as JSON (Terraform's validate shape).
        #[arg(long)]
        json: bool,
    },
    /// Show the exact changes apply would make: every concrete CIDR.
    Plan {
        /// Plan file or directory.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
        /// Output format: text, markdown (for pull-request comments) or json.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Same as `--format json`.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// Markdown: the most characters the comment may have (GitHub's limit by default);
        /// changes that do not fit are counted, not shown.
        #[arg(long, value_name = "N", default_value_t = render::plan::COMMENT_LIMIT)]
        max_chars: usize,
        /// Markdown: where every change can be read when some are left out (e.g. the URL of
        /// the CI run).
        #[arg(long, value_name = "URL")]
        details_url: Option<String>,
        /// Save the plan, bound to the current state and plan files, for `ipam apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Exit 2 when there are changes (0: none, 1: error).
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan from no state at a location given by --state, IPAM_STATE or the plan's
        /// `[state] url` that holds none (a new state); without it that is an error, so a
        /// typo never plans from empty.
        #[arg(long)]
        create_state: bool,
        #[command(flatten)]
        around: AroundArg,
    },
    /// Plan and record the changes in the state (or apply a saved plan exactly).
    Apply {
        /// Plan file or directory, or a plan saved by `ipam plan --out`.
        #[arg(default_value = ".")]
        target: PathBuf,
        #[command(flatten)]
        state: StateArg,
        /// Apply without asking (required when stdin is not a terminal).
        #[arg(long)]
        auto_approve: bool,
        /// How long to wait for another writer's lock: 0 (fail at once), 30s, 2m.
        #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
        lock_timeout: std::time::Duration,
        #[command(flatten)]
        around: AroundArg,
        /// Start a new state at a location given by --state, IPAM_STATE or the plan's
        /// `[state] url` that holds none; without it that is an error, so a typo never writes
        /// a fresh state.
        #[arg(long)]
        create_state: bool,
    },
    /// Print the recorded tree with CIDRs and utilization, or a plan saved by
    /// `ipam plan --out`.
    Show {
        /// Plan file or directory (locates the state), or a saved plan.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
        /// Output format: text, markdown or json.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Same as `--format json`.
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
    /// Print recorded CIDRs by resource address, for other tools.
    Output {
        /// Plan file or directory, then optionally one output name (e.g. vpc.checkout). With
        /// a single argument that is an address and not a path, it is the name.
        #[arg(num_args = 0..=2, value_name = "PATH] [NAME")]
        args: Vec<String>,
        #[command(flatten)]
        state: StateArg,
        /// Output format: text, json, flat (Terraform's external data source), tfvars-json
        /// (a Terraform variable file) or csv.
        #[arg(long, value_enum, default_value = "text")]
        format: render::state::OutputFormat,
        /// Same as `--format json`.
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
    /// Exit 3 when a recorded pool is above its `alert_at` (or, with --horizon, forecast to
    /// cross it within that time).
    Check {
        /// Plan file or directory (locates the state).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
        /// Also fail for pools whose trend crosses `alert_at` within this time: 90d, 12w,
        /// 36h.
        #[arg(long, value_name = "DURATION", value_parser = crate::state::history::parse_horizon)]
        horizon: Option<u64>,
    },
    /// Print the history: a pool's utilization over time and its forecast (pool.NAME), a
    /// scope's audit counts (scope.NAME), a discovered VPC's or vSwitch's IP usage
    /// (resource.ID), or every record in brief.
    History {
        /// Plan file or directory (locates the state), then optionally what to follow. A
        /// single argument that reads as pool.NAME, scope.NAME or resource.ID and is not a
        /// path is what to follow.
        #[arg(num_args = 0..=2, value_name = "PATH] [ADDRESS")]
        args: Vec<String>,
        #[command(flatten)]
        state: StateArg,
        /// Only records from this date or time on: 2026-11-22 or 2026-11-22T10:04:05Z (UTC).
        #[arg(long, value_name = "DATE", value_parser = crate::state::history::Time::parse)]
        since: Option<crate::state::history::Time>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write one self-contained HTML report: overview, pool tree, IP space maps, VPCs,
    /// charts over time.
    Report {
        /// Plan file or directory (locates the state).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
        /// The HTML file to write.
        #[arg(long, value_name = "FILE.html")]
        out: PathBuf,
        /// Cloud inventories to audit in the report (unmanaged and overlapping networks on
        /// the maps, the status doughnuts).
        #[arg(long = "inventory", value_name = "FILE", num_args = 1..)]
        inventories: Vec<PathBuf>,
        /// The inventories' format, when it should not be detected.
        #[arg(long, value_enum)]
        format: Option<crate::audit::Format>,
        /// The time the report is made at (2026-11-22T10:04:05Z; default: now): the same
        /// inputs and time give the same file.
        #[arg(long, value_name = "TIME", value_parser = crate::state::history::Time::parse)]
        now: Option<crate::state::history::Time>,
    },
    /// Print the plan's dependency graph in Graphviz DOT.
    Graph {
        /// Plan file or directory.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Set cloud inventories against the plan: management, compliance, overlap and IP
    /// usage of every discovered resource CIDR.
    Audit {
        /// Plan file or directory (locates the state).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
        #[command(flatten)]
        inventory: InventoryArg,
        /// Output format (text, markdown, json) and/or the inventories' format (detected
        /// from each file when not given); may be given twice, once for each.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Vec<audit::AuditFormat>,
        /// Same as `--format json`.
        #[arg(long)]
        json: bool,
        /// Exit 3 when any resource CIDR is overlapping, noncompliant or unmanaged
        /// (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',', value_name = "STATUS,...")]
        fail_on: Vec<crate::audit::FailOn>,
        /// Markdown: the most characters the report may have (GitHub's comment limit by
        /// default); rows that do not fit are counted, not shown.
        #[arg(long, value_name = "N", default_value_t = render::plan::COMMENT_LIMIT)]
        max_chars: usize,
        /// Markdown: where the whole report can be read when rows are left out.
        #[arg(long, value_name = "URL")]
        details_url: Option<String>,
        /// Record this audit's counts in the state's history (under the state lock).
        #[arg(long)]
        record: bool,
        /// With --record, how long to wait for another writer's lock: 0 (fail at once), 30s.
        #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration, requires = "record")]
        lock_timeout: std::time::Duration,
    },
    /// Adopt discovered VPCs into pools with `auto_import`: plan entries and state in one
    /// step.
    Import {
        /// Plan file or directory.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
        #[command(flatten)]
        inventory: InventoryArg,
        /// The inventories' format, when it should not be detected.
        #[arg(long, value_enum)]
        format: Option<crate::audit::Format>,
        /// Plan file to write the adopted VPCs to [default: imported.toml in a plan
        /// directory; the plan file itself for a single-file plan].
        #[arg(long, value_name = "FILE")]
        to: Option<PathBuf>,
        /// Print what would be adopted and the entries; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also write `resource_id = "ID"` into the entries of recorded VPCs that audit
        /// matches by CIDR alone (and into their records), so later audits match by ID.
        #[arg(long)]
        bind: bool,
        /// How long to wait for another writer's lock: 0 (fail at once), 30s, 2m.
        #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Print a JSON Schema: of plan files (default), the state, `plan --format json`,
    /// `show --json`, `audit --json`, or the native inventory format.
    Schema {
        #[arg(default_value = "plan", value_parser = ["plan", "state", "plan-output", "show", "audit", "inventory"])]
        document: String,
    },
    /// Rewrite plan files in the canonical layout (key order, spacing, alignment),
    /// comments kept.
    Fmt {
        /// Plan file or directory.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Write nothing; list the files that would change and exit 3 if any would.
        #[arg(long)]
        check: bool,
        /// Write nothing; print the changes as unified diffs.
        #[arg(long)]
        diff: bool,
    },
    /// Print CODEOWNERS lines: the IPAM owner reviews the plan, each team its own files.
    Codeowners {
        /// Plan directory.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// A team's reviewers: TEAM=@org/team (repeat for each team, or for two handles).
        #[arg(long = "handle", value_name = "TEAM=HANDLE")]
        handles: Vec<String>,
        /// The IPAM owner's reviewers, e.g. @org/network (may be repeated).
        #[arg(long = "owner-handle", value_name = "HANDLE", required = true)]
        owner_handles: Vec<String>,
        /// The repository's root, which CODEOWNERS paths are relative to [default: the
        /// nearest directory at or above the plan that holds `.git`].
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Print a shell completion script, or the man page.
    Completions {
        /// bash, zsh, fish, powershell, elvish, or man for the man page.
        #[arg(value_enum)]
        shell: completions::Target,
    },
    /// Inspect and move the recorded state: list, pull, push, versions.
    State {
        #[command(subcommand)]
        command: state::StateCommand,
    },
    /// Remove a state lock left by an operation that can no longer release it.
    ForceUnlock {
        /// The lock's ID, as the locked error shows it.
        id: String,
        /// Plan file or directory (locates the state).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
    },
}

// What exists in the clouds (SPEC §8).
#[derive(Debug, clap::Args)]
pub(super) struct InventoryArg {
    /// Inventory files, `-` for standard input: native JSON, CSV, AWS CLI, Alibaba Cloud,
    /// Azure CLI and gcloud exports, cloud IPAM listings, Terraform state and
    /// `terraform show -json`, NetBox prefixes (the format of each is detected).
    #[arg(long = "inventory", value_name = "FILE", required = true, num_args = 1..)]
    pub(super) files: Vec<PathBuf>,
    /// The region of inventory rows whose export gives none (`aws ec2 describe-vpcs`
    /// prints none).
    #[arg(long, value_name = "REGION")]
    pub(super) region: Option<String>,
}

// What exists in the clouds, for a plan to place around (SPEC §18).
#[derive(Debug, clap::Args)]
pub(super) struct AroundArg {
    /// Inventory files (`-` for standard input), as `ipam audit` reads them: new blocks are
    /// placed around every discovered network that is not a recorded allocation.
    #[arg(long = "inventory", value_name = "FILE", num_args = 1..)]
    pub(super) inventories: Vec<PathBuf>,
    /// The region of inventory rows whose export gives none.
    #[arg(long, value_name = "REGION", requires = "inventories")]
    pub(super) region: Option<String>,
}

// Where the recorded state is (SPEC §7).
#[derive(Debug, clap::Args)]
pub(super) struct StateArg {
    /// State file, or PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE) [default:
    /// $IPAM_STATE if set and not empty, else ipam.state.json beside the plan].
    #[arg(long = "state", value_name = "FILE|URL")]
    pub(super) file: Option<PathBuf>,
}
