//! The command line (SPEC §11): clap definitions and one function per subcommand. This is
//! the only module that prints.

mod audit;
mod init;
mod inspect;
mod reconcile;

pub use reconcile::load_plan_and_state;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::diag::{Diag, Diagnostics};
use crate::model::{Address, Model};

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
        format: reconcile::Format,
        /// Same as `--format json`.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// Save the plan, bound to the current state and plan files, for `ipam apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Exit 2 when there are changes (0: none, 1: error).
        #[arg(long)]
        detailed_exitcode: bool,
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
        #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = reconcile::parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Print the recorded tree with CIDRs and utilization.
    Show {
        /// Plan file or directory (locates the state).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
        /// Print JSON.
        #[arg(long)]
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
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Exit 1 when a recorded pool is above its `alert_at`.
    Check {
        /// Plan file or directory (locates the state).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
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
        /// Exit 1 when any resource CIDR is overlapping, noncompliant or unmanaged
        /// (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',', value_name = "STATUS,...")]
        fail_on: Vec<crate::audit::FailOn>,
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
        #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = reconcile::parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Print a JSON Schema: of plan files (default), the state, `plan --format json`,
    /// `show --json`, `audit --json`, or the native inventory format.
    Schema {
        #[arg(default_value = "plan", value_parser = ["plan", "state", "plan-output", "show", "audit", "inventory"])]
        document: String,
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
    /// State file [default: $IPAM_STATE if set and not empty, else ipam.state.json beside the
    /// plan].
    #[arg(long = "state", value_name = "FILE")]
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
        Command::Validate { path, json } => validate(&path, json),
        Command::Plan {
            path,
            state,
            format,
            json,
            out,
            detailed_exitcode,
        } => reconcile::run_plan(reconcile::PlanArgs {
            path: &path,
            state: state.file.as_deref(),
            format: if json {
                reconcile::Format::Json
            } else {
                format
            },
            out: out.as_deref(),
            detailed_exitcode,
        }),
        Command::Apply {
            target,
            state,
            auto_approve,
            lock_timeout,
        } => reconcile::run_apply(reconcile::ApplyArgs {
            target: &target,
            state: state.file.as_deref(),
            auto_approve,
            lock_timeout,
        }),
        Command::Show { path, state, json } => {
            inspect::run_show(&path, state.file.as_deref(), json)
        }
        Command::Output { args, state, json } => {
            let (path, name) = output_args(&args);
            inspect::run_output(&path, name, state.file.as_deref(), json)
        }
        Command::Check { path, state } => inspect::run_check(&path, state.file.as_deref()),
        Command::Graph { path } => inspect::run_graph(&path),
        Command::Audit {
            path,
            state,
            inventory,
            format,
            json,
            fail_on,
        } => audit::run_audit(audit::AuditArgs {
            path: &path,
            state: state.file.as_deref(),
            inventories: &inventory.files,
            region: inventory.region.as_deref(),
            formats: &format,
            json,
            fail_on: &fail_on,
        }),
        Command::Import {
            path,
            state,
            inventory,
            format,
            to,
            dry_run,
            lock_timeout,
        } => audit::run_import(audit::ImportArgs {
            path: &path,
            state: state.file.as_deref(),
            inventories: &inventory.files,
            region: inventory.region.as_deref(),
            format,
            to: to.as_deref(),
            dry_run,
            lock_timeout,
        }),
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

/// Loads and validates a plan.
pub fn load_model(path: &Path) -> Result<(Model, crate::diag::Sources), Diagnostics> {
    let raw = crate::config::load(path)?;
    match crate::model::build(&raw) {
        Ok(model) => Ok((model, raw.sources)),
        Err(diags) => Err(Diagnostics::new(raw.sources, diags)),
    }
}

fn validate(path: &Path, json: bool) -> ExitCode {
    let result = load_model(path);
    let diagnostics = match &result {
        Ok((_, sources)) => Diagnostics::new(sources.clone(), Vec::new()),
        Err(d) => d.clone(),
    };
    if json {
        print_json(&diagnostics.to_json());
    } else if diagnostics.diags.is_empty() {
        println!("The plan is valid.");
    } else {
        eprint!("{}", render(&diagnostics, std::io::stderr().is_terminal()));
    }
    if diagnostics.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_json(value: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

/// Renders diagnostics for a person: colour only on a terminal and never with `NO_COLOR`
/// (SPEC §11), then a count.
pub fn render(diagnostics: &Diagnostics, terminal: bool) -> String {
    let colour = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for report in diagnostics.reports() {
        let _ = handler.render_report(&mut out, &report);
        out.push('\n');
    }
    let errors = diagnostics.error_count();
    let warnings = diagnostics.warning_count();
    out.push_str(&format!(
        "{errors} error{}, {warnings} warning{}\n",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    ));
    out
}

/// A problem outside any plan file (a path, a permission), reported like the others.
pub(crate) fn fail(d: Diag) -> ExitCode {
    let diagnostics = Diagnostics::new(Default::default(), vec![d]);
    eprint!("{}", render(&diagnostics, std::io::stderr().is_terminal()));
    ExitCode::from(1)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        super::Cli::command().debug_assert();
    }
}
