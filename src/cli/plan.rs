//! `ipam plan` and `ipam apply` (SPEC §6, §7).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::{backend_at, fail, left_to_exit, lock, print_diags, print_json, state_of};
use crate::apply::{Step, apply, verify_saved};
use crate::diag::{Diag, Diagnostics, Sources};
use crate::plan::saved::SavedPlan;
use crate::plan::{Action, Plan, plan};
use crate::render::{self, Format, Style};
use crate::state::{Backend, Location, Records, Session, State, StateError};

/// A plan made from the plan files and a state, with its inputs.
struct Made {
    plan: Plan,
    sources: Sources,
    state: Option<State>,
}

/// Plans the files at `path` against the state `read` gives.
fn make(
    path: &Path,
    read: impl FnOnce() -> Result<Option<State>, StateError> + Send,
) -> Result<Made, Diagnostics> {
    let (model, state) = crate::load::model_and_state(path, read);
    let (model, sources) = model?;
    let state = state.map_err(|e| e.diagnostics())?;
    let empty = Records::default();
    let recorded = state.as_ref().map_or(&empty, |s| &s.resources);
    match plan(&model, recorded) {
        Ok(plan) => Ok(Made {
            plan,
            sources,
            state,
        }),
        Err(diags) => Err(Diagnostics::new(sources, diags)),
    }
}

pub struct PlanArgs<'a> {
    pub path: &'a Path,
    pub state: Option<&'a Path>,
    pub format: Format,
    pub out: Option<&'a Path>,
    pub detailed_exitcode: bool,
}

pub fn run_plan(args: PlanArgs) -> ExitCode {
    let (located, backend) = match state_of(args.path, args.state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let made = match make(args.path, || backend.load()) {
        Ok(m) => m,
        Err(d) => return print_diags(&d),
    };
    match args.format {
        Format::Text => print!("{}", render::plan::text(&made.plan, Style::for_stdout())),
        Format::Markdown => print!("{}", render::plan::markdown(&made.plan)),
        Format::Json => print_json(&render::plan::json(&made.plan)),
    }
    if let Some(out) = args.out {
        // A database is recorded by its URL (never a password), which `apply FILE` reads
        // back as `--state` would. The saved-plan format binding the location itself is
        // to replace this.
        let mut saved = SavedPlan::new(
            &made.plan,
            args.path,
            &made.sources,
            located.location.file().unwrap_or(Path::new("")),
            made.state.as_ref(),
        );
        if let Location::Postgres(url) = &located.location {
            saved.state_path = PathBuf::from(url.to_string());
        }
        if let Err(e) = saved.write(out) {
            return fail(e.diag());
        }
        if args.format == Format::Text {
            println!(
                "\nSaved the plan to {}. Apply exactly this plan with: ipam apply {}",
                out.display(),
                out.display()
            );
        }
    }
    let code = if args.detailed_exitcode && made.plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    };
    left_to_exit(made);
    code
}

pub struct ApplyArgs<'a> {
    pub target: &'a Path,
    pub state: Option<&'a Path>,
    pub auto_approve: bool,
    pub lock_timeout: Duration,
}

pub fn run_apply(args: ApplyArgs) -> ExitCode {
    match SavedPlan::read(args.target) {
        Ok(Some(saved)) => apply_saved(&args, &saved),
        Ok(None) => apply_plan(&args),
        Err(e) => fail(e.diag()),
    }
}

fn apply_plan(args: &ApplyArgs) -> ExitCode {
    let (_, backend) = match state_of(args.target, args.state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    // Plan under the lock, so nobody writes between the plan shown and the state written.
    let mut session = match lock(backend.as_ref(), "apply", args.lock_timeout) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let made = match make(args.target, || session.load()) {
        Ok(m) => m,
        Err(d) => return print_diags(&d),
    };
    print!("{}", render::plan::text(&made.plan, Style::for_stdout()));
    if !made.plan.has_changes() {
        return ExitCode::SUCCESS;
    }
    if !args.auto_approve {
        match confirm() {
            Ok(true) => {}
            Ok(false) => {
                println!("Apply cancelled; nothing was changed.");
                return ExitCode::from(1);
            }
            Err(d) => return fail(*d),
        }
    }
    let code = write(
        backend.as_ref(),
        session.as_mut(),
        made.state.as_ref(),
        &made.plan,
    );
    left_to_exit(made);
    code
}

/// Asks on a terminal; refuses without one (SPEC §6: never wait for input in CI).
fn confirm() -> Result<bool, Box<Diag>> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Box::new(
            Diag::error(
                "ipam::apply::no_tty",
                "apply needs confirmation, and stdin is not a terminal",
            )
            .help("review the plan and pass `--auto-approve`, or apply a saved plan: `ipam plan --out FILE`, then `ipam apply FILE`"),
        ));
    }
    print!("\nApply these changes? Only 'yes' is accepted: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = stdin.lock().read_line(&mut answer);
    Ok(answer.trim() == "yes")
}

fn apply_saved(args: &ApplyArgs, saved: &SavedPlan) -> ExitCode {
    let raw = match crate::config::load(&saved.plan_path) {
        Ok(raw) => raw,
        Err(d) => return print_diags(&d),
    };
    if let Err(e) = saved.check_files(&raw.sources) {
        return fail(e.diag());
    }
    let location = match Location::parse(args.state.unwrap_or(&saved.state_path)) {
        Ok(l) => l,
        Err(e) => return print_diags(&e.diagnostics()),
    };
    let backend = backend_at(&saved.plan_path, &location);
    let mut session = match lock(backend.as_ref(), "apply", args.lock_timeout) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let state = match session.load() {
        Ok(s) => s,
        Err(e) => return print_diags(&e.diagnostics()),
    };
    if let Err(e) = saved.check_state(backend.location(), state.as_ref()) {
        return fail(e.diag());
    }
    let plan = &saved.plan;
    if let Err(e) = verify_saved(plan) {
        return fail(
            Diag::error("ipam::apply::check", format!("apply refused: {e}"))
                .help("the saved plan was edited; nothing was written: make a new plan"),
        );
    }
    print!("{}", render::plan::text(plan, Style::for_stdout()));
    if !plan.has_changes() {
        return ExitCode::SUCCESS;
    }
    write(backend.as_ref(), session.as_mut(), state.as_ref(), plan)
}

/// Applies the plan to the recorded state and writes the result; on any failure the state is
/// left as it was.
fn write(
    backend: &dyn Backend,
    session: &mut dyn Session,
    state: Option<&State>,
    plan: &Plan,
) -> ExitCode {
    let empty = Records::default();
    let recorded = state.map_or(&empty, |s| &s.resources);
    let (records, steps) = match apply(recorded, plan) {
        Ok(r) => r,
        Err(e) => {
            return fail(
                Diag::error("ipam::apply::check", format!("apply refused: {e}"))
                    .help("nothing was written; make a new plan and apply that"),
            );
        }
    };
    let next = State::after(state, records);
    if let Err(e) = session.save(&next, state.map(|s| s.serial)) {
        return print_diags(&e.diagnostics());
    }
    println!();
    print_steps(&steps);
    let s = plan.summary();
    println!(
        "\nApply complete! Resources: {} added, {} changed, {} replaced, {} destroyed.",
        s.add, s.change, s.replace, s.destroy
    );
    println!("State: {} (serial {})", backend.location(), next.serial);
    left_to_exit((next, steps));
    ExitCode::SUCCESS
}

fn print_steps(steps: &[Step]) {
    for step in steps {
        let verb = match step.action {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Delete => "deleted",
            Action::Move => "moved",
            Action::Replace => "replaced",
        };
        println!("{}: {verb}", step.address);
    }
}
