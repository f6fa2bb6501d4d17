//! `ipam validate`, `show`, `output`, `check`, `graph` and `force-unlock`: reading the plan,
//! its graph and the recorded state (SPEC §10, §11).

use std::path::Path;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::{
    fail, left_to_exit, no_state, print_diags, print_json, read_state, state_line, state_of,
};
use crate::diag::{Diag, Diagnostics};
use crate::graph::Graph;
use crate::model::Address;
use crate::render::state::OutputFormat;
use crate::render::{self, Format, JSON_FORMAT_VERSION, Style};
use crate::state::usage::{Utilization, utilization};
use crate::state::{Backend, State};

pub fn run_validate(path: &Path, json: bool) -> ExitCode {
    let diagnostics = match crate::load::model(path) {
        Ok((_, sources)) => Diagnostics::new(sources, Vec::new()),
        Err(d) => d,
    };
    if json {
        print_json(&diagnostics.to_json());
    } else if diagnostics.diags.is_empty() {
        println!("The plan is valid.");
    } else {
        eprint!("{}", render::diag::text(&diagnostics, Style::for_stderr()));
    }
    if diagnostics.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The recorded state, checked; a command that reads it fails when there is none (SPEC
/// §13: a CI check on a missing state must not pass for ever). Where it is goes to stderr.
fn load(path: &Path, state: Option<&Path>) -> Result<(Box<dyn Backend>, State), ExitCode> {
    let (located, backend) = state_of(path, state)?;
    match read_state(backend.as_ref()) {
        Ok(Some(s)) => Ok((backend, s)),
        Ok(None) => Err(fail(no_state(&located))),
        Err(e) => Err(print_diags(&e.diagnostics())),
    }
}

pub fn run_show(path: &Path, state: Option<&Path>, format: Format) -> ExitCode {
    let (backend, s) = match load(path, state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let records = &s.resources;
    match format {
        Format::Json => {
            eprintln!("{}", state_line(backend.location(), Some(&s)));
            print_json(&render::state::json(
                records,
                Some(s.serial),
                Some(s.lineage.as_str()),
            ));
        }
        Format::Text => {
            println!(
                "State {} (serial {}, lineage {})\n",
                backend.location(),
                s.serial,
                s.lineage
            );
            print!("{}", render::state::tree(records));
        }
        Format::Markdown => {
            eprintln!("{}", state_line(backend.location(), Some(&s)));
            print!(
                "{}",
                render::state::markdown(records, &backend.location().to_string(), s.serial)
            );
        }
    }
    left_to_exit(s);
    ExitCode::SUCCESS
}

pub fn run_output(
    path: &Path,
    name: Option<&str>,
    state: Option<&Path>,
    format: OutputFormat,
) -> ExitCode {
    let (backend, s) = match load(path, state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    eprintln!("{}", state_line(backend.location(), Some(&s)));
    let mut outputs = render::state::outputs(&s.resources);
    if let Some(name) = name {
        let Some(value) = outputs.remove(name) else {
            return fail(unknown_output(name, &outputs));
        };
        outputs = [(name.to_string(), value)].into();
    }
    match (format, name) {
        (OutputFormat::Text, Some(_)) => {
            for v in outputs.values() {
                plain(v).iter().for_each(|c| println!("{c}"));
            }
        }
        (OutputFormat::Text, None) => {
            for (k, v) in &outputs {
                println!("{k} = {}", plain(v).join(", "));
            }
        }
        (OutputFormat::Json, Some(_)) => outputs.values().for_each(print_json),
        (OutputFormat::Json, None) => {
            print_json(&json!({"format_version": JSON_FORMAT_VERSION, "outputs": outputs}));
        }
        (OutputFormat::Flat, _) => print_json(&json!(render::state::flat(&outputs))),
        (OutputFormat::TfvarsJson, _) => {
            print_json(&json!({"ipam": render::state::flat(&outputs)}));
        }
        (OutputFormat::Csv, _) => {
            let csv = render::state::csv(&s.resources);
            match name {
                None => print!("{csv}"),
                // The header and the rows of that address.
                Some(name) => {
                    for (i, line) in csv.lines().enumerate() {
                        if i == 0 || line.split(',').next() == Some(name) {
                            println!("{line}");
                        }
                    }
                }
            }
        }
    }
    left_to_exit(s);
    ExitCode::SUCCESS
}

/// No output has this name: the closest one, or what names look like.
fn unknown_output(name: &str, outputs: &std::collections::BTreeMap<String, Value>) -> Diag {
    let d = Diag::error("ipam::output::unknown", format!("no output named `{name}`"));
    d.help(
        match crate::diag::suggest(name, outputs.keys().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None if Address::parse(name).is_none() => {
                "outputs are resource addresses: pool.NAME, vpc.NAME, vpc.NAME.secondary, \
                 vpc.NAME.ipv6, vpc.NAME.subnet.S, reservation.NAME"
                    .into()
            }
            None => "`ipam output` lists every output".into(),
        },
    )
}

fn plain(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(plain).collect(),
        other => vec![other.to_string()],
    }
}

pub fn run_check(path: &Path, state: Option<&Path>) -> ExitCode {
    let (backend, s) = match load(path, state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    eprintln!("{}", state_line(backend.location(), Some(&s)));
    let usage = utilization(&s.resources);
    let alerts: Vec<(&&str, &Utilization)> = usage.iter().filter(|(_, u)| u.alert).collect();
    if alerts.is_empty() {
        println!("No pool is above its alert_at.");
        return ExitCode::SUCCESS;
    }
    for (name, u) in &alerts {
        println!(
            "pool {name} is {} used, above its alert_at of {}%",
            render::state::percent(u.percent),
            u.alert_at.unwrap_or_default()
        );
    }
    eprintln!(
        "{} pool{} above alert_at.",
        alerts.len(),
        if alerts.len() == 1 { " is" } else { "s are" }
    );
    // A finding, not an error: the check ran (exit 3, as `audit --fail-on` does).
    ExitCode::from(3)
}

pub fn run_graph(path: &Path) -> ExitCode {
    match crate::load::model(path) {
        Ok((model, _)) => {
            print!("{}", Graph::of_model(&model).dot());
            ExitCode::SUCCESS
        }
        Err(d) => print_diags(&d),
    }
}

pub fn run_force_unlock(path: &Path, id: &str, state: Option<&Path>) -> ExitCode {
    let (_, backend) = match state_of(path, state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match backend.force_unlock(id) {
        Ok(info) => {
            println!(
                "Removed lock {} ({} by {}@{}, pid {}, since {}).",
                info.id, info.operation, info.user, info.host, info.pid, info.created
            );
            ExitCode::SUCCESS
        }
        Err(e) => print_diags(&e.diagnostics()),
    }
}
