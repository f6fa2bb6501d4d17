//! `ipam validate`, `show`, `output`, `check`, `graph` and `force-unlock`: reading the plan,
//! its graph and the recorded state (SPEC §10, §11).

use std::path::Path;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::{
    fail, left_to_exit, no_state, print_diags, print_json, read_state, read_trends, state_line,
    state_of, warn_skipped,
};
use crate::diag::{Diag, Diagnostics};
use crate::graph::Graph;
use crate::model::Address;
use crate::render::state::OutputFormat;
use crate::render::{self, Format, JSON_FORMAT_VERSION, Style};
use crate::state::history::{Crossing, FORECAST_DAYS, Forecast, Time};
use crate::state::usage::{Utilization, utilization};
use crate::state::{Backend, Records, State};

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
            let (forecasts, summary) = forecasts(backend.as_ref(), records);
            print!("{}", render::state::tree(records, &forecasts));
            println!("\n{summary}");
        }
        Format::Markdown => {
            eprintln!("{}", state_line(backend.location(), Some(&s)));
            let (forecasts, summary) = forecasts(backend.as_ref(), records);
            print!(
                "{}",
                render::state::markdown(
                    records,
                    &forecasts,
                    &backend.location().to_string(),
                    s.serial
                )
            );
            println!("\n{summary}");
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

pub fn run_check(path: &Path, state: Option<&Path>, horizon: Option<u64>) -> ExitCode {
    let (backend, s) = match load(path, state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    eprintln!("{}", state_line(backend.location(), Some(&s)));
    let usage = utilization(&s.resources);
    let alerts: Vec<(&&str, &Utilization)> = usage.iter().filter(|(_, u)| u.alert).collect();
    if alerts.is_empty() {
        println!("No pool is above its alert_at.");
    }
    for (name, u) in &alerts {
        println!(
            "pool {name} is {} used, above its alert_at of {}%",
            render::state::percent(u.percent),
            u.alert_at.unwrap_or_default()
        );
    }
    let mut forecast = 0;
    if let Some(horizon) = horizon {
        // Asked for: a history that cannot be read fails the check rather than passing it.
        let (trends, skipped) = match read_trends(backend.as_ref()) {
            Ok(t) => t,
            Err(e) => return print_diags(&e.diagnostics()),
        };
        warn_skipped(backend.as_ref(), &skipped);
        let by = Time(Time::now().0.saturating_add(horizon));
        let mut too_little = 0;
        for (name, u) in usage
            .iter()
            .filter(|(_, u)| !u.alert && u.alert_at.is_some())
        {
            let f = trends.forecast(name, u);
            match f.alert_crossing() {
                Some(Crossing::On(t)) if t <= by => {
                    forecast += 1;
                    println!(
                        "pool {name} is {} used and forecast to cross its alert_at of {}% on {} \
                         (within {}): {}",
                        render::state::percent(u.percent),
                        u.alert_at.unwrap_or_default(),
                        t.date(),
                        days(horizon),
                        f.describe(u.alert_at)
                    );
                }
                _ if matches!(f, Forecast::TooLittleHistory { .. }) => too_little += 1,
                _ => {}
            }
        }
        if forecast == 0 {
            println!(
                "No pool is forecast to cross its alert_at within {}.",
                days(horizon)
            );
        }
        if too_little > 0 {
            println!(
                "{too_little} pool{} with alert_at ha{} too little history to forecast ({} \
                 snapshot{} in the last {FORECAST_DAYS} days; a trend takes two at different \
                 times).",
                if too_little == 1 { "" } else { "s" },
                if too_little == 1 { "s" } else { "ve" },
                trends.snapshots,
                if trends.snapshots == 1 { "" } else { "s" }
            );
        }
    }
    if alerts.is_empty() && forecast == 0 {
        return ExitCode::SUCCESS;
    }
    if !alerts.is_empty() {
        eprintln!(
            "{} pool{} above alert_at.",
            alerts.len(),
            if alerts.len() == 1 { " is" } else { "s are" }
        );
    }
    if forecast > 0 {
        eprintln!(
            "{forecast} pool{} forecast to cross alert_at within {}.",
            if forecast == 1 { " is" } else { "s are" },
            days(horizon.unwrap_or_default())
        );
    }
    // A finding, not an error: the check ran (exit 3, as `audit --fail-on` does).
    ExitCode::from(3)
}

/// A horizon for people: `90 days`, `36 hours`.
fn days(secs: u64) -> String {
    if secs.is_multiple_of(86_400) {
        let d = secs / 86_400;
        format!("{d} day{}", if d == 1 { "" } else { "s" })
    } else {
        format!("{} hours", secs / 3600)
    }
}

/// Every pool's forecast and a line saying what they rest on. A history that cannot be read
/// is a warning here: `show` shows the state whatever its history.
fn forecasts(backend: &dyn Backend, records: &Records) -> (render::state::Forecasts, String) {
    let (trends, skipped) = match read_trends(backend) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("Warning: the history cannot be read, so there are no forecasts: {e}");
            return (
                Default::default(),
                "Forecasts: none, the history cannot be read.".into(),
            );
        }
    };
    warn_skipped(backend, &skipped);
    let usage = utilization(records);
    let forecasts: render::state::Forecasts = usage
        .iter()
        .map(|(name, u)| ((*name).to_string(), trends.forecast(name, u)))
        .collect();
    let count = |f: fn(&Forecast) -> bool| forecasts.values().filter(|x| f(x)).count();
    let growing = count(|f| matches!(f, Forecast::Growth { .. }));
    let flat = count(|f| matches!(f, Forecast::NoGrowth { .. }));
    let little = count(|f| matches!(f, Forecast::TooLittleHistory { .. }));
    let summary = match (trends.first, trends.last) {
        _ if trends.snapshots == 0 => format!(
            "Forecasts: no snapshot in the last {FORECAST_DAYS} days. Every apply records one; \
             a trend takes two at different times."
        ),
        _ if growing + flat == 0 => format!(
            "Forecasts: too little history ({} snapshot{} in the last {FORECAST_DAYS} days); \
             a trend takes two at different times.",
            trends.snapshots,
            if trends.snapshots == 1 { "" } else { "s" },
        ),
        (Some(first), Some(last)) => format!(
            "Forecasts from {} snapshots of the last {FORECAST_DAYS} days ({} to {}): \
             {growing} pool{} growing (forecast shown above), {flat} without growth, {little} \
             with too little history.",
            trends.snapshots,
            first.date(),
            last.date(),
            if growing == 1 { "" } else { "s" }
        ),
        _ => String::new(),
    };
    (forecasts, summary)
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
