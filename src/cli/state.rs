//! `ipam state list | pull | push | versions` (SPEC §14): the recorded state as data, its
//! kept versions, and moving a state between a file and a database, on either backend.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;

use super::{StateArg, fail, lock, parse_duration, print_diags, state_of};
use crate::diag::Diag;
use crate::render;
use crate::state::file::FileBackend;
use crate::state::{Backend, State};

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Print every recorded resource address with its CIDRs.
    List {
        /// Plan file or directory (locates the state).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
    },
    /// Print the state as JSON: the current one, or a kept version.
    Pull {
        /// Plan file or directory (locates the state).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
        /// The version to print (`ipam state versions` lists them).
        #[arg(long, value_name = "N")]
        serial: Option<u64>,
    },
    /// Write a state file into the state's location (a database, or back into a file),
    /// under the lock.
    Push {
        /// The state file to push (as `ipam state pull` prints it).
        #[arg(value_name = "FILE")]
        input: PathBuf,
        /// Plan file or directory (locates the target state).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
        /// Replace a state of another lineage, or a newer one.
        #[arg(long)]
        force: bool,
        /// How long to wait for another writer's lock: 0 (fail at once), 30s, 2m.
        #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
        lock_timeout: Duration,
    },
    /// List the kept versions: serial, when, who, and what each changed.
    Versions {
        /// Plan file or directory (locates the state).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        state: StateArg,
    },
}

pub fn run(command: StateCommand) -> ExitCode {
    match command {
        StateCommand::List { path, state } => list(&path, state.file.as_deref()),
        StateCommand::Pull {
            path,
            state,
            serial,
        } => pull(&path, state.file.as_deref(), serial),
        StateCommand::Push {
            input,
            path,
            state,
            force,
            lock_timeout,
        } => push(&input, &path, state.file.as_deref(), force, lock_timeout),
        StateCommand::Versions { path, state } => versions(&path, state.file.as_deref()),
    }
}

/// The current state, or the exit code after saying why there is none.
fn current(backend: &dyn Backend) -> Result<State, ExitCode> {
    match backend.load() {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(no_state(backend)),
        Err(e) => Err(print_diags(&e.diagnostics())),
    }
}

fn no_state(backend: &dyn Backend) -> ExitCode {
    fail(
        Diag::error(
            "ipam::state::missing",
            format!("there is no state at {}", backend.location()),
        )
        .help("check --state and IPAM_STATE; `ipam apply` or `ipam state push FILE` writes one"),
    )
}

fn list(path: &Path, given: Option<&Path>) -> ExitCode {
    let (_, backend) = match state_of(path, given) {
        Ok(x) => x,
        Err(code) => return code,
    };
    // Checked as every reader checks it: an unsound state is refused, not listed.
    let state = match super::read_state(backend.as_ref()) {
        Ok(Some(s)) => s,
        Ok(None) => return no_state(backend.as_ref()),
        Err(e) => return print_diags(&e.diagnostics()),
    };
    let outputs = render::state::outputs(&state.resources);
    let width = outputs.keys().map(String::len).max().unwrap_or(0);
    let mut text = String::new();
    for (address, value) in &outputs {
        let cidrs: Vec<String> = match value {
            serde_json::Value::Array(items) => items.iter().map(plain).collect(),
            other => vec![plain(other)],
        };
        text.push_str(&format!("{address:<width$}  {}\n", cidrs.join(", ")));
    }
    print!("{text}");
    eprintln!(
        "State {} (serial {}, lineage {})",
        backend.location(),
        state.serial,
        state.lineage
    );
    ExitCode::SUCCESS
}

fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn pull(path: &Path, given: Option<&Path>, serial: Option<u64>) -> ExitCode {
    let (_, backend) = match state_of(path, given) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let state = match serial {
        None => current(backend.as_ref()),
        Some(n) => match backend.version(n) {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(fail(
                Diag::error(
                    "ipam::state::no_version",
                    format!("{} keeps no version with serial {n}", backend.location()),
                )
                .help("`ipam state versions` lists the versions kept"),
            )),
            Err(e) => Err(print_diags(&e.diagnostics())),
        },
    };
    let state = match state {
        Ok(s) => s,
        Err(code) => return code,
    };
    eprintln!("State: {} (serial {})", backend.location(), state.serial);
    // Printed even when it breaks the rules, so it can be repaired; said loudly.
    let problems = crate::state::violations(&state);
    if !problems.is_empty() {
        let location = backend.location().clone();
        print_diags(&crate::state::StateError::Invalid { location, problems }.diagnostics());
        eprintln!(
            "Warning: this state breaks the rules above; it is printed so it can be repaired, \
             and every other command refuses it"
        );
    }
    // The bytes a state file holds, so `pull > FILE` is a state file as written by apply.
    match serde_json::to_string_pretty(&state) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => print_diags(&crate::state::StateError::Encode(e).diagnostics()),
    }
}

fn push(
    file: &Path,
    path: &Path,
    given: Option<&Path>,
    force: bool,
    timeout: Duration,
) -> ExitCode {
    let pushed = match FileBackend::new(file).read() {
        Ok(Some(s)) => s,
        Ok(None) => {
            return fail(
                Diag::error(
                    "ipam::state::push_file",
                    format!("there is no state file at {}", file.display()),
                )
                .help("give the path of a state file, e.g. one `ipam state pull` wrote"),
            );
        }
        Err(e) => return print_diags(&e.diagnostics()),
    };
    let violations = crate::state::check::check(&pushed.resources);
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
        return fail(
            Diag::error(
                "ipam::state::push_invalid",
                format!(
                    "the state in {} breaks the rules every state must keep:\n{}",
                    file.display(),
                    list.join("\n")
                ),
            )
            .help("nothing was written; push a state written by ipam"),
        );
    }
    let (_, backend) = match state_of(path, given) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let mut session = match lock(backend.as_ref(), "push", timeout) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let current = match session.load() {
        Ok(s) => s,
        Err(e) => return print_diags(&e.diagnostics()),
    };
    let location = backend.location();
    let mut next = pushed;
    if let Some(cur) = &current {
        let refuse = |what: String| {
            fail(
                Diag::error("ipam::state::push_refused", format!("{what}; nothing was written"))
                    .help("make sure this is the state to keep, then pass --force to replace it (the replaced one stays in the kept versions of a database, or in the backup of a file)"),
            )
        };
        if cur.lineage != next.lineage && !force {
            return refuse(format!(
                "{} holds another state (lineage {}) than {} (lineage {})",
                location,
                cur.lineage,
                file.display(),
                next.lineage
            ));
        }
        if next.serial < cur.serial && !force {
            return refuse(format!(
                "{} is at serial {}, newer than {} (serial {})",
                location,
                cur.serial,
                file.display(),
                next.serial
            ));
        }
        if next.serial == cur.serial && cur.lineage == next.lineage {
            if cur.resources == next.resources {
                println!(
                    "{} already holds this state (serial {}); nothing was written.",
                    location, cur.serial
                );
                return ExitCode::SUCCESS;
            }
            if !force {
                return refuse(format!(
                    "{} and {} are both at serial {} but differ",
                    location,
                    file.display(),
                    cur.serial
                ));
            }
        }
        // The serial at a location only grows: a forced older or other state follows the
        // current one.
        next.serial = next.serial.max(cur.serial.saturating_add(1));
    }
    if let Err(e) = session.save(&next, current.as_ref().map(|s| s.serial)) {
        return print_diags(&e.diagnostics());
    }
    println!(
        "Pushed {} to {} (serial {}, lineage {}).",
        file.display(),
        location,
        next.serial,
        next.lineage
    );
    ExitCode::SUCCESS
}

fn versions(path: &Path, given: Option<&Path>) -> ExitCode {
    let (_, backend) = match state_of(path, given) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let versions = match backend.versions() {
        Ok(v) => v,
        Err(e) => return print_diags(&e.diagnostics()),
    };
    if versions.is_empty() {
        return no_state(backend.as_ref());
    }
    let rows: Vec<[String; 4]> = versions
        .iter()
        .map(|v| {
            [
                v.serial.to_string(),
                v.written.clone(),
                v.who.clone().unwrap_or_else(|| "-".into()),
                v.changes
                    .as_ref()
                    .map_or_else(|| "(not known)".into(), |c| c.summary()),
            ]
        })
        .collect();
    let header = ["SERIAL", "WRITTEN", "BY", "CHANGES"];
    let widths: Vec<usize> = (0..3)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 4]| {
        format!(
            "{:>w0$}  {:<w1$}  {:<w2$}  {}\n",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
    };
    let mut text = line(header);
    for r in &rows {
        text.push_str(&line([&r[0], &r[1], &r[2], &r[3]]));
    }
    print!("{text}");
    let newest = versions.iter().map(|v| v.serial).max().unwrap_or(0);
    eprintln!("State: {} (serial {newest})", backend.location());
    ExitCode::SUCCESS
}
