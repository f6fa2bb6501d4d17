//! The command line (SPEC §11): clap definitions and one function per subcommand. This is
//! the only module that prints.

mod audit;
mod codeowners;
mod completions;
mod fmt;
mod history;
mod import;
mod init;
mod inspect;
mod plan;
mod report;
mod state;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::diag::{Diag, Diagnostics};
use crate::model::Address;
use crate::render::{self, Format, Style};
use crate::state::{Backend, Located, Location, Origin, Session, State, StateError};

#[derive(Debug, Parser)]
#[command(name = "ipam", version, about = "IP address management as code", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
        /// Plan from no state at a location given by --state or IPAM_STATE that holds
        /// none (a new state); without it that is an error, so a typo never plans from
        /// empty.
        #[arg(long)]
        create_state: bool,
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
        /// Start a new state at a location given by --state or IPAM_STATE that holds none;
        /// without it that is an error, so a typo never writes a fresh state.
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

/// What exists in the clouds (SPEC §8).
#[derive(Debug, clap::Args)]
struct InventoryArg {
    /// Inventory files, `-` for standard input: native JSON, CSV, AWS CLI, Alibaba Cloud,
    /// Azure CLI and gcloud exports, cloud IPAM listings, Terraform state and
    /// `terraform show -json`, NetBox prefixes (the format of each is detected).
    #[arg(long = "inventory", value_name = "FILE", required = true, num_args = 1..)]
    files: Vec<PathBuf>,
    /// The region of inventory rows whose export gives none (`aws ec2 describe-vpcs`
    /// prints none).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
}

/// Where the recorded state is (SPEC §7).
#[derive(Debug, clap::Args)]
struct StateArg {
    /// State file, or PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE) [default:
    /// $IPAM_STATE if set and not empty, else ipam.state.json beside the plan].
    #[arg(long = "state", value_name = "FILE|URL")]
    file: Option<PathBuf>,
}

/// Parses the arguments, runs the command, and maps the outcome to SPEC §6's exit codes.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Usage errors are errors (1); 2 means "changes" to CI (SPEC §6).
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Init { dir } => init::run(&dir),
        Command::Validate { path, json } => inspect::run_validate(&path, json),
        Command::Plan {
            path,
            state,
            format,
            json,
            max_chars,
            details_url,
            out,
            detailed_exitcode,
            create_state,
        } => plan::run_plan(plan::PlanArgs {
            path: &path,
            state: state.file.as_deref(),
            format: if json { Format::Json } else { format },
            markdown: render::plan::Markdown {
                note: None,
                max_chars,
                full_plan: details_url.as_deref(),
            },
            out: out.as_deref(),
            detailed_exitcode,
            create_state,
        }),
        Command::Apply {
            target,
            state,
            auto_approve,
            lock_timeout,
            create_state,
        } => plan::run_apply(plan::ApplyArgs {
            target: &target,
            state: state.file.as_deref(),
            auto_approve,
            lock_timeout,
            create_state,
        }),
        Command::Show {
            path,
            state,
            format,
            json,
        } => match crate::plan::saved::SavedPlan::read(&path) {
            Ok(Some(saved)) => plan::show_saved(&saved, if json { Format::Json } else { format }),
            Ok(None) => inspect::run_show(
                &path,
                state.file.as_deref(),
                if json { Format::Json } else { format },
            ),
            Err(e) => fail(e.diag()),
        },
        Command::Output {
            args,
            state,
            format,
            json,
        } => {
            let (path, name) = output_args(&args);
            let format = if json {
                render::state::OutputFormat::Json
            } else {
                format
            };
            inspect::run_output(&path, name, state.file.as_deref(), format)
        }
        Command::Check {
            path,
            state,
            horizon,
        } => inspect::run_check(&path, state.file.as_deref(), horizon),
        Command::History {
            args,
            state,
            since,
            json,
        } => history::run_history(history::HistoryArgs {
            args: &args,
            state: state.file.as_deref(),
            since,
            json,
        }),
        Command::Report {
            path,
            state,
            out,
            inventories,
            format,
            now,
        } => report::run_report(report::ReportArgs {
            path: &path,
            state: state.file.as_deref(),
            out: &out,
            inventories: &inventories,
            format,
            now,
        }),
        Command::Graph { path } => inspect::run_graph(&path),
        Command::Audit {
            path,
            state,
            inventory,
            format,
            json,
            fail_on,
            max_chars,
            details_url,
            record,
            lock_timeout,
        } => audit::run_audit(audit::AuditArgs {
            path: &path,
            state: state.file.as_deref(),
            inventories: &inventory.files,
            region: inventory.region.as_deref(),
            formats: &format,
            json,
            fail_on: &fail_on,
            markdown: render::audit::Markdown {
                max_chars,
                full_report: details_url.as_deref(),
            },
            record: record.then_some(lock_timeout),
        }),
        Command::Import {
            path,
            state,
            inventory,
            format,
            to,
            dry_run,
            lock_timeout,
        } => import::run_import(import::ImportArgs {
            path: &path,
            state: state.file.as_deref(),
            inventories: &inventory.files,
            region: inventory.region.as_deref(),
            format,
            to: to.as_deref(),
            dry_run,
            lock_timeout,
        }),
        Command::Fmt { path, check, diff } => fmt::run(fmt::FmtArgs {
            path: &path,
            check,
            diff,
        }),
        Command::Codeowners {
            path,
            handles,
            owner_handles,
            root,
        } => codeowners::run(codeowners::CodeownersArgs {
            path: &path,
            handles: &handles,
            owner_handles: &owner_handles,
            root: root.as_deref(),
        }),
        Command::Completions { shell } => completions::run(shell),
        Command::State { command } => state::run(command),
        Command::ForceUnlock { id, path, state } => {
            inspect::run_force_unlock(&path, &id, state.file.as_deref())
        }
        Command::Schema { document } => match crate::schema::schema(&document) {
            Some(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            None => fail(Diag::error(
                "ipam::schema::unknown",
                format!("no schema named `{document}`"),
            )),
        },
    }
}

/// `output [PATH] [NAME]`: a lone argument that reads as an address and names no file is
/// the name.
fn output_args(args: &[String]) -> (PathBuf, Option<&str>) {
    match args {
        [] => (PathBuf::from("."), None),
        [one] if Address::parse(one).is_some() && !Path::new(one).exists() => {
            (PathBuf::from("."), Some(one))
        }
        [one] => (PathBuf::from(one), None),
        [path, name, ..] => (PathBuf::from(path), Some(name)),
    }
}

/// Writes a JSON document to stdout, pretty-printed, with a final newline.
fn print_json(value: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

/// Prints diagnostics to stderr; the command failed (exit 1).
fn print_diags(diagnostics: &Diagnostics) -> ExitCode {
    eprint!("{}", render::diag::text(diagnostics, Style::for_stderr()));
    ExitCode::from(1)
}

/// A problem outside any plan file (a path, a permission), reported like the others.
fn fail(d: Diag) -> ExitCode {
    print_diags(&Diagnostics::new(Default::default(), vec![d]))
}

/// The state of the plan at `path` (`--state`, `IPAM_STATE`, the plan's `[state] url`, or
/// beside the plan) and its backend, or the exit code after reporting why that location
/// cannot be used.
fn state_of(path: &Path, given: Option<&Path>) -> Result<(Located, Box<dyn Backend>), ExitCode> {
    let url = crate::state::plan_settings(path).state_url;
    let located = crate::state::locate(path, given, url.as_deref())
        .map_err(|e| print_diags(&e.diagnostics()))?;
    let backend = backend_at(path, &located.location);
    Ok((located, backend))
}

/// The backend at `location` for the plan at `path`: a database keeps the state under the
/// plan's `[ipam] name` (unless the URL names a workspace).
fn backend_at(path: &Path, location: &Location) -> Box<dyn Backend> {
    let name = match location {
        Location::Postgres(url) if url.workspace.is_none() => crate::state::plan_name(path),
        _ => None,
    };
    crate::state::open(location, name.as_deref())
}

/// The state as read by a reader, checked before it is used (SPEC §13).
fn read_state(backend: &dyn Backend) -> Result<Option<State>, StateError> {
    crate::state::verify(backend.location(), backend.load()?)
}

/// The state as read under a writer's lock, checked before it is used.
fn read_locked(
    backend: &dyn Backend,
    session: &mut dyn Session,
) -> Result<Option<State>, StateError> {
    crate::state::verify(backend.location(), session.load()?)
}

/// Why a command that needs a recorded state cannot run without one.
fn no_state(located: &Located) -> Diag {
    Diag::error(
        "ipam::state::missing",
        format!(
            "there is no state at {}{}",
            located.location,
            given_by(located)
        ),
    )
    .help(match located.origin {
        Origin::Default => "nothing is recorded yet: run `ipam apply` first, or give the state's \
                            location with --state or IPAM_STATE"
            .to_string(),
        _ => "check the location for a typo; `ipam apply --create-state` starts a new state \
              there"
            .to_string(),
    })
}

/// " (given by --state)", " (given by IPAM_STATE)", or nothing for the default.
fn given_by(located: &Located) -> &'static str {
    match located.origin {
        Origin::Flag => " (given by --state)",
        Origin::Environment => " (given by IPAM_STATE)",
        Origin::Plan => " (given by the plan's [state] url)",
        Origin::Saved => " (where the saved plan was made)",
        Origin::Default => "",
    }
}

/// Plans may start from no state only at the default location, or when asked to: a typo
/// in `--state` must never plan from empty.
fn may_start(located: &Located, state: Option<&State>, create: bool) -> Result<(), Box<Diag>> {
    if state.is_none() && located.origin != Origin::Default && !create {
        Err(Box::new(no_state(located)))
    } else {
        Ok(())
    }
}

/// Refuses a writer before it takes the lock (which may create files) when the location was
/// given, holds no state, and starting one was not asked for.
fn may_write(located: &Located, backend: &dyn Backend, create: bool) -> Result<(), ExitCode> {
    if located.origin == Origin::Default || create {
        return Ok(());
    }
    match backend.exists() {
        Ok(true) => Ok(()),
        Ok(false) => Err(fail(no_state(located))),
        Err(e) => Err(print_diags(&e.diagnostics())),
    }
}

/// Where the state is and its serial, for the header of a command's output.
fn state_line(location: &Location, state: Option<&State>) -> String {
    match state {
        Some(s) => format!("State: {location} (serial {})", s.serial),
        None => format!("No state yet at {location}: this plan starts a new one."),
    }
}

/// Takes the state's lock for a writer, or reports why it cannot.
fn lock<'a>(
    backend: &'a dyn Backend,
    operation: &str,
    timeout: Duration,
) -> Result<Box<dyn Session + 'a>, ExitCode> {
    backend
        .lock(operation, timeout)
        .map_err(|e| print_diags(&e.diagnostics()))
}

/// The command is done and the process ends next: freeing a large plan's records one by one
/// would cost more than writing them (about 0.3 s at 100,000 VPCs), so the memory is left for
/// the operating system to reclaim at exit.
fn left_to_exit<T>(value: T) {
    std::mem::forget(value);
}

/// Reads `30`, `30s`, `500ms`, `2m`, `1h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write e.g. 30s, 500ms, 2m"))?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        "h" => Ok(Duration::from_secs(n.saturating_mul(3600))),
        _ => Err(format!("`{unit}` is not a unit of time; use ms, s, m or h")),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        super::Cli::command().debug_assert();
    }
}
