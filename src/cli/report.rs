//! `ipam report` (SPEC §15): the state, the plan's held slots, the history and optionally
//! an audit of inventories, written as one self-contained HTML file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{
    fail, left_to_exit, no_state, print_diags, read_state, state_line, state_of, warn_skipped,
};
use crate::diag::Diag;
use crate::report::{History, Inputs, render};
use crate::state::history::Time;

pub struct ReportArgs<'a> {
    pub path: &'a Path,
    pub state: Option<&'a Path>,
    pub out: &'a Path,
    pub inventories: &'a [PathBuf],
    pub format: Option<crate::audit::Format>,
    pub now: Option<Time>,
}

pub fn run_report(args: ReportArgs) -> ExitCode {
    // Only an .html file: a slip of the argument must never replace a state or plan file.
    let html = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    if !html {
        return fail(
            Diag::error(
                "ipam::report::out",
                format!("`{}` is not an .html file", args.out.display()),
            )
            .help("name the report file with an .html extension, e.g. --out ipam-report.html"),
        );
    }
    let (located, backend) = match state_of(args.path, args.state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let read = || read_state(backend.as_ref());
    // The history is read on a thread of its own, while the plan files and the state are.
    let now = args.now.unwrap_or_else(Time::now);
    let (loaded, (mut history, skipped)) = std::thread::scope(|s| {
        let history = s.spawn(|| {
            let mut h = History::new(now);
            let skipped = backend.history(None, &mut |r| h.add(r));
            (h, skipped)
        });
        let options = crate::audit::Options {
            format: args.format,
            region: None,
        };
        let loaded = crate::load::with_inventory(args.path, read, args.inventories, options);
        let history = history
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (loaded, history)
    });
    let loaded = match loaded {
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
    match skipped {
        Ok(skipped) => {
            warn_skipped(backend.as_ref(), &skipped);
            history.skipped = skipped.len();
        }
        Err(e) => {
            eprintln!("Warning: the history cannot be read; the report has none: {e}");
            history = History::new(now);
        }
    }
    let audit = (!args.inventories.is_empty())
        .then(|| crate::audit::audit(&loaded.model, &state.resources, loaded.inventory));
    let inputs = Inputs {
        location: located.location.to_string(),
        state,
        model: &loaded.model,
        audit: audit.as_ref(),
        history: &history,
        now,
    };
    let page = render(&inputs);
    if let Err(e) = crate::state::file::write_atomic(args.out, page.as_bytes()) {
        return print_diags(&e.diagnostics());
    }
    println!(
        "Wrote the report to {} ({} bytes).",
        args.out.display(),
        page.len()
    );
    left_to_exit((page, audit, history));
    left_to_exit((loaded.model, loaded.state));
    ExitCode::SUCCESS
}
