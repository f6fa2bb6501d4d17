//! The command line (SPEC §11): the definition in [`args`], one file per command, and the
//! helpers they share (reading the state, taking the lock, printing). This is the only
//! module that prints.

mod args;
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

use clap::Parser;

use args::{Cli, Command, StateArg};

use crate::diag::{Diag, Diagnostics};
use crate::model::Address;
use crate::render::{self, Format, Style};
use crate::state::history::{Skipped, Time, Trends};
use crate::state::{Backend, Located, Location, Origin, Session, State, StateError};

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
            around,
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
            around: plan::Around {
                inventories: &around.inventories,
                region: around.region.as_deref(),
            },
        }),
        Command::Apply {
            target,
            state,
            auto_approve,
            lock_timeout,
            around,
            create_state,
        } => plan::run_apply(plan::ApplyArgs {
            target: &target,
            state: state.file.as_deref(),
            auto_approve,
            lock_timeout,
            create_state,
            around: plan::Around {
                inventories: &around.inventories,
                region: around.region.as_deref(),
            },
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
            bind,
            lock_timeout,
        } => import::run_import(import::ImportArgs {
            path: &path,
            state: state.file.as_deref(),
            inventories: &inventory.files,
            region: inventory.region.as_deref(),
            format,
            to: to.as_deref(),
            dry_run,
            bind,
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
            None => fail(
                Diag::error(
                    "ipam::schema::unknown",
                    format!("no schema named `{document}`"),
                )
                .help(format!(
                    "name one of: {}",
                    crate::schema::SCHEMAS
                        .iter()
                        .map(|(name, _)| *name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ),
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

/// Every pool's trend over the forecast window ending now, from the history of `backend`
/// (only the records of the window are read).
fn read_trends(backend: &dyn Backend) -> Result<(Trends, Vec<Skipped>), StateError> {
    let mut trends = Trends::window(Time::now());
    let skipped = backend.history(trends.from(), &mut |r| trends.add(r))?;
    Ok((trends, skipped))
}

/// Tells, on stderr, which history records were skipped (the first five, then a count).
fn warn_skipped(backend: &dyn Backend, skipped: &[Skipped]) {
    for s in skipped.iter().take(5) {
        eprintln!(
            "Warning: the history of {} has an unreadable record at line {}, skipped: {}",
            backend.location(),
            s.line,
            s.reason
        );
    }
    if skipped.len() > 5 {
        eprintln!(
            "Warning: {} more unreadable history records skipped.",
            skipped.len() - 5
        );
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
