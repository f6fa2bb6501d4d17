//! `ipam validate`, `show`, `output`, `check`, `graph` and `force-unlock`: reading the plan,
//! its graph and the recorded state (SPEC §10, §11).

use std::path::Path;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::{fail, print_diags, print_json, state_of};
use crate::diag::{Diag, Diagnostics};
use crate::graph::Graph;
use crate::model::Address;
use crate::render::{self, JSON_FORMAT_VERSION, Style};
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

/// The recorded state, or the exit code after reporting why there is none.
fn load(path: &Path, state: Option<&Path>) -> Result<(Box<dyn Backend>, Option<State>), ExitCode> {
    let (_, backend) = state_of(path, state)?;
    match backend.load() {
        Ok(s) => Ok((backend, s)),
        Err(e) => Err(print_diags(&e.diagnostics())),
    }
}

fn nothing_recorded(backend: &dyn Backend) {
    eprintln!(
        "No state at {} yet: nothing is recorded. Run `ipam apply` first.",
        backend.location()
    );
}

pub fn run_show(path: &Path, state: Option<&Path>, json: bool) -> ExitCode {
    let (backend, s) = match load(path, state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let empty = Default::default();
    let records = s.as_ref().map_or(&empty, |s| &s.resources);
    if json {
        print_json(&render::state::json(
            records,
            s.as_ref().map(|s| s.serial),
            s.as_ref().map(|s| s.lineage.as_str()),
        ));
        return ExitCode::SUCCESS;
    }
    match &s {
        None => nothing_recorded(backend.as_ref()),
        Some(s) => {
            println!(
                "State {} (serial {}, lineage {})\n",
                backend.location(),
                s.serial,
                s.lineage
            );
            print!("{}", render::state::tree(records));
        }
    }
    ExitCode::SUCCESS
}

pub fn run_output(path: &Path, name: Option<&str>, state: Option<&Path>, json: bool) -> ExitCode {
    let (backend, s) = match load(path, state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if s.is_none() && !json {
        nothing_recorded(backend.as_ref());
    }
    let empty = Default::default();
    let outputs = render::state::outputs(s.as_ref().map_or(&empty, |s| &s.resources));
    let Some(name) = name else {
        if json {
            print_json(&json!({"format_version": JSON_FORMAT_VERSION, "outputs": outputs}));
        } else {
            for (k, v) in &outputs {
                println!("{k} = {}", plain(v).join(", "));
            }
        }
        return ExitCode::SUCCESS;
    };
    match outputs.get(name) {
        Some(v) if json => print_json(v),
        Some(v) => plain(v).iter().for_each(|c| println!("{c}")),
        None => {
            let mut d = Diag::error("ipam::output::unknown", format!("no output named `{name}`"));
            let help = match crate::diag::suggest(name, outputs.keys().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None if Address::parse(name).is_none() => {
                    "outputs are resource addresses: pool.NAME, vpc.NAME, vpc.NAME.secondary, \
                     vpc.NAME.ipv6, vpc.NAME.subnet.S, reservation.NAME"
                        .into()
                }
                None => "`ipam output` lists every output".into(),
            };
            d = d.help(help);
            return fail(d);
        }
    }
    ExitCode::SUCCESS
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
    let Some(s) = s else {
        nothing_recorded(backend.as_ref());
        return ExitCode::SUCCESS;
    };
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
    ExitCode::from(1)
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
