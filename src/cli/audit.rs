//! `ipam audit` (SPEC §8).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{fail, left_to_exit, lock, no_state, print_diags, read_state, state_line, state_of};
use crate::audit::{FailOn, Format as InventoryFormat, audit};
use crate::diag::Diag;
use crate::render::Format as OutputFormat;
use crate::render::Style;
use crate::render::audit as output;
use crate::state::history::{Record, Time};

/// `--format` of `ipam audit`: how to print, or the inventories' format when it should not
/// be detected. Either or both may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormat {
    Output(OutputFormat),
    Inventory(InventoryFormat),
}

impl clap::ValueEnum for AuditFormat {
    fn value_variants<'a>() -> &'a [AuditFormat] {
        static ALL: std::sync::LazyLock<Vec<AuditFormat>> = std::sync::LazyLock::new(|| {
            OutputFormat::value_variants()
                .iter()
                .map(|o| AuditFormat::Output(*o))
                .chain(
                    InventoryFormat::ALL
                        .iter()
                        .map(|f| AuditFormat::Inventory(*f)),
                )
                .collect()
        });
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        match self {
            AuditFormat::Output(o) => o.to_possible_value(),
            AuditFormat::Inventory(f) => f
                .to_possible_value()
                .map(|v| v.help(format!("inventories: {}", f.describe()))),
        }
    }
}

pub struct AuditArgs<'a> {
    pub path: &'a Path,
    pub state: Option<&'a Path>,
    pub inventories: &'a [PathBuf],
    /// The region of rows whose export gives none.
    pub region: Option<&'a str>,
    pub formats: &'a [AuditFormat],
    pub json: bool,
    pub fail_on: &'a [FailOn],
    /// How Markdown is written.
    pub markdown: output::Markdown<'a>,
    /// `--record`, with its lock timeout.
    pub record: Option<std::time::Duration>,
}

/// Splits `--format` values into the output and the inventory format; each at most once.
fn formats(args: &AuditArgs) -> Result<(OutputFormat, Option<InventoryFormat>), Box<Diag>> {
    let mut output = args.json.then_some(OutputFormat::Json);
    let mut inventory = None;
    for f in args.formats {
        match *f {
            AuditFormat::Inventory(i) => {
                if inventory.is_some_and(|x| x != i) {
                    return Err(Box::new(
                        Diag::error(
                            "ipam::audit::arguments",
                            "`--format` names two inventory formats",
                        )
                        .help("give one inventory format, or none to detect each file's"),
                    ));
                }
                inventory = Some(i);
            }
            AuditFormat::Output(o) => {
                if output.is_some_and(|x| x != o) {
                    return Err(Box::new(
                        Diag::error(
                            "ipam::audit::arguments",
                            "`--format` and `--json` name two output formats",
                        )
                        .help("choose one of text, markdown and json"),
                    ));
                }
                output = Some(o);
            }
        }
    }
    Ok((output.unwrap_or(OutputFormat::Text), inventory))
}

pub fn run_audit(args: AuditArgs) -> ExitCode {
    let (output, format) = match formats(&args) {
        Ok(f) => f,
        Err(d) => return fail(*d),
    };
    let (located, backend) = match state_of(args.path, args.state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let read = || read_state(backend.as_ref());
    let options = crate::audit::Options {
        format,
        region: args.region,
    };
    let loaded = match crate::load::with_inventory(args.path, read, args.inventories, options) {
        Ok(l) => l,
        Err(failed) => {
            for d in &failed {
                print_diags(d);
            }
            return ExitCode::from(1);
        }
    };
    let Some(state) = &loaded.state else {
        return fail(no_state(&located));
    };
    eprintln!("{}", state_line(&located.location, Some(state)));
    let report = audit(&loaded.model, &state.resources, loaded.inventory);
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());

    let written = match output {
        OutputFormat::Text => output::text(&report, Style::for_stdout(), &mut out),
        OutputFormat::Markdown => output::markdown(&report, args.markdown, &mut out),
        OutputFormat::Json => output::json(&report, &mut out),
    }
    .and_then(|()| out.flush());
    drop(out);
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::from(1);
        }
        return fail(Diag::error(
            "ipam::io::write",
            format!("cannot write the report: {e}"),
        ));
    }
    if let Some(timeout) = args.record {
        let record = Record::Audit(crate::report::audit_record(
            &report,
            state.serial,
            Time::now(),
        ));
        let appended = lock(backend.as_ref(), "audit", timeout).and_then(|mut session| {
            session
                .append_history(&record)
                .map_err(|e| print_diags(&e.diagnostics()))
        });
        match appended {
            Ok(()) => eprintln!(
                "Recorded this audit in the history of {}.",
                located.location
            ),
            Err(code) => return code,
        }
    }
    let failures = report.failures(args.fail_on);
    let code = if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        let list: Vec<String> = failures
            .iter()
            .map(|(f, n)| format!("{n} {} (--fail-on {})", f.status(), f.as_str()))
            .collect();
        eprintln!("Audit failed: {}.", list.join(", "));
        // Findings the user asked to fail on, not an error: the audit ran (exit 1 is for an
        // audit that could not run).
        ExitCode::from(3)
    };
    left_to_exit(report);
    left_to_exit((loaded.model, loaded.state));
    code
}
