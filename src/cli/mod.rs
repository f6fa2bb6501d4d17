//! The command line (SPEC §11): clap definitions and one function per subcommand. This is
//! the only module that prints.

mod init;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::diag::{Diag, Diagnostics};
use crate::model::Model;

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
    /// Print the JSON Schema of plan files.
    Schema,
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
        Command::Schema => {
            println!("{}", crate::schema::plan_schema());
            ExitCode::SUCCESS
        }
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
