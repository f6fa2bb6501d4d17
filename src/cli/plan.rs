//! `ipam plan` and `ipam apply` (SPEC §6, §7, §13).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::{
    backend_at, fail, left_to_exit, lock, may_start, may_write, print_diags, print_json,
    read_locked, read_state, state_line, state_of,
};
use crate::apply::{Step, apply};
use crate::diag::{Diag, Diagnostics, Sources};
use crate::model::Model;
use crate::plan::saved::{SavedError, SavedInventory, SavedPlan, Stale};
use crate::plan::{Action, Existing, Plan, plan_around};
use crate::render::{self, Format, Style};
use crate::state::history::{Record, Snapshot, Time};
use crate::state::{Backend, Records, Session, State, StateError};

/// A plan made from the plan files and a state, with its inputs.
struct Made {
    plan: Plan,
    model: Model,
    sources: Sources,
    state: Option<State>,
}

/// The inventories a plan places around (`--inventory`), and the region of rows whose
/// export gives none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Around<'a> {
    pub inventories: &'a [PathBuf],
    pub region: Option<&'a str>,
}

/// Plans the files at `path` against the state `read` gives (read on its own thread while
/// the plan files are), around the networks the inventories hold that are not recorded.
fn make(
    path: &Path,
    read: impl FnOnce() -> Result<Option<State>, StateError> + Send,
    around: Around,
) -> Result<Made, Vec<Diagnostics>> {
    let (model, sources, state, existing) = if around.inventories.is_empty() {
        let (model, state) = crate::load::model_and_state(path, read);
        let (model, sources) = model.map_err(|d| vec![d])?;
        let state = state.map_err(|e| vec![e.diagnostics()])?;
        (model, sources, state, Existing::default())
    } else {
        let options = crate::audit::Options {
            format: None,
            region: around.region,
        };
        let loaded = crate::load::with_inventory(path, read, around.inventories, options)?;
        let empty = Records::default();
        let recorded = loaded.state.as_ref().map_or(&empty, |s| &s.resources);
        let report = crate::audit::audit(&loaded.model, recorded, loaded.inventory);
        let existing = crate::audit::existing(&report, &loaded.model, recorded);
        // Fail closed: what could not be read is not placed around, so say so.
        if let [first, ..] = report.skipped.as_slice() {
            let n = report.skipped.len();
            eprintln!(
                "Warning: {n} inventory entr{} skipped, so not placed around (first: {}: {}); `ipam audit` \
                 lists them all.",
                if n == 1 { "y was" } else { "ies were" },
                first.source,
                first.reason
            );
        }
        left_to_exit(report);
        (loaded.model, loaded.sources, loaded.state, existing)
    };
    let empty = Records::default();
    let recorded = state.as_ref().map_or(&empty, |s| &s.resources);
    match plan_around(&model, recorded, &existing) {
        Ok(plan) => Ok(Made {
            plan,
            model,
            sources,
            state,
        }),
        Err(diags) => Err(vec![Diagnostics::new(sources, diags)]),
    }
}

pub struct PlanArgs<'a> {
    pub path: &'a Path,
    pub state: Option<&'a Path>,
    pub format: Format,
    /// How Markdown is written (its note is filled in here).
    pub markdown: render::plan::Markdown<'a>,
    pub out: Option<&'a Path>,
    pub detailed_exitcode: bool,
    pub create_state: bool,
    pub around: Around<'a>,
}

pub fn run_plan(args: PlanArgs) -> ExitCode {
    let (located, backend) = match state_of(args.path, args.state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let failed = |all: &[Diagnostics]| match args.format {
        // A tool reading JSON gets the diagnostics as JSON too: one document for the plan's,
        // the state's and the inventories' together.
        Format::Json => {
            print_json(&Diagnostics::merged_json(all));
            ExitCode::from(1)
        }
        _ => print_all(all),
    };
    // Checked first: a plan that cannot be saved is not worth making.
    let inventories = match args.out {
        Some(out) => match saved_inventories(args.around, out) {
            Ok(i) => i,
            Err(e) => return fail(e.diag()),
        },
        None => Vec::new(),
    };
    let made = match make(args.path, || read_state(backend.as_ref()), args.around) {
        Ok(m) => m,
        Err(d) => return failed(&d),
    };
    if let Err(d) = may_start(&located, made.state.as_ref(), args.create_state) {
        return failed(&[Diagnostics::new(Sources::default(), vec![*d])]);
    }
    let header = state_line(&located.location, made.state.as_ref());
    match args.format {
        Format::Text => print!(
            "{header}\n\n{}",
            render::plan::text(&made.plan, Style::for_stdout())
        ),
        Format::Markdown => {
            eprintln!("{header}");
            let options = render::plan::Markdown {
                note: made.state.is_none().then_some(header.as_str()),
                ..args.markdown
            };
            print!("{}", render::plan::markdown(&made.plan, options));
        }
        Format::Json => {
            eprintln!("{header}");
            print_json(&render::plan::json(&made.plan));
        }
    }
    if let Some(out) = args.out {
        let saved = SavedPlan {
            inventories,
            region: args.around.region.map(str::to_string),
            ..SavedPlan::new(
                &made.plan,
                args.path,
                &made.sources,
                &located.location,
                made.state.as_ref(),
            )
        };
        if let Err(e) = saved.write(out, args.path, &located.location, &made.sources) {
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
    pub create_state: bool,
    pub around: Around<'a>,
}

pub fn run_apply(args: ApplyArgs) -> ExitCode {
    match SavedPlan::read(args.target) {
        Ok(Some(saved)) => apply_saved(&args, &saved),
        Ok(None) => apply_plan(&args),
        Err(e) => fail(e.diag()),
    }
}

fn apply_plan(args: &ApplyArgs) -> ExitCode {
    let (located, backend) = match state_of(args.target, args.state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if let Err(code) = may_write(&located, backend.as_ref(), args.create_state) {
        return code;
    }
    // Plan under the lock, so nobody writes between the plan shown and the state written.
    let mut session = match lock(backend.as_ref(), "apply", args.lock_timeout) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let made = match make(
        args.target,
        || read_locked(backend.as_ref(), session.as_mut()),
        args.around,
    ) {
        Ok(m) => m,
        Err(d) => return print_all(&d),
    };
    if let Err(d) = may_start(&located, made.state.as_ref(), args.create_state) {
        return fail(*d);
    }
    println!("{}\n", state_line(&located.location, made.state.as_ref()));
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

/// Applies a saved plan only if planning its files against the state again gives exactly
/// the same plan (SPEC §13): an edited plan, or one whose files or state moved on, is
/// refused as stale, naming what differs. No confirmation is asked: it was reviewed when it
/// was made.
fn apply_saved(args: &ApplyArgs, saved: &SavedPlan) -> ExitCode {
    if !args.around.inventories.is_empty() {
        return fail(
            Diag::error(
                "ipam::apply::saved_plan",
                "a saved plan is applied around the inventories it was made with, not others",
            )
            .help(
                "drop `--inventory`; to place around other inventories, make a new plan with \
                 `ipam plan --inventory FILE… --out FILE`",
            ),
        );
    }
    let plan_path = saved.plan_path.as_path();
    if !plan_path.exists() {
        return fail(
            SavedError::Stale(Stale::PlanGone(plan_path.to_path_buf()))
                .diag()
                .help("run `ipam apply FILE` from the directory `ipam plan --out` ran in"),
        );
    }
    if let Err(e) = saved.check_inventories() {
        return fail(e.diag());
    }
    let located = match crate::state::locate_saved(&saved.state, args.state) {
        Ok(l) => l,
        Err(e) => return print_diags(&e.diagnostics()),
    };
    let backend = backend_at(plan_path, &located.location);
    let create = args.create_state || saved.made_here(&located.location);
    if let Err(code) = may_write(&located, backend.as_ref(), create) {
        return code;
    }
    let mut session = match lock(backend.as_ref(), "apply", args.lock_timeout) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let inventories: Vec<PathBuf> = saved.inventories.iter().map(|i| i.path.clone()).collect();
    let around = Around {
        inventories: &inventories,
        region: saved.region.as_deref(),
    };
    let made = match make(
        plan_path,
        || read_locked(backend.as_ref(), session.as_mut()),
        around,
    ) {
        Ok(m) => m,
        Err(d) => {
            let code = print_all(&d);
            // The plan path is relative to where `plan --out` ran: elsewhere it may name
            // other files, which then fail to read as a plan.
            eprintln!(
                "The saved plan was made from the plan files at {} as seen from the directory \
                 `ipam plan --out` ran in; if that is not this directory, run `ipam apply` \
                 from there.",
                plan_path.display()
            );
            return code;
        }
    };
    if let Err(d) = may_start(&located, made.state.as_ref(), create) {
        return fail(*d);
    }
    let checks = saved
        .check_files(&made.sources)
        .and_then(|()| saved.check_state(&located.location, made.state.as_ref()))
        .and_then(|()| saved.check_plan(&made.plan));
    if let Err(e) = checks {
        return fail(e.diag());
    }
    println!("{}\n", state_line(&located.location, made.state.as_ref()));
    print!("{}", render::plan::text(&made.plan, Style::for_stdout()));
    let code = if made.plan.has_changes() {
        write(
            backend.as_ref(),
            session.as_mut(),
            made.state.as_ref(),
            &made.plan,
        )
    } else {
        ExitCode::SUCCESS
    };
    left_to_exit((made.model, made.plan, made.state));
    code
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
                Diag::error("ipam::apply::check", format!("apply refused: {e}")).help(
                    "nothing was written; the plan broke a rule the state must keep, which is \
                         a defect of ipam: please report it with the plan",
                ),
            );
        }
    };
    let next = State::after(state, records);
    // The history's snapshot is computed while the state is written: on a large state the
    // utilization of every pool costs about as much as the save.
    let (saved, snapshot) = std::thread::scope(|s| {
        let snapshot = s.spawn(|| {
            let usage = crate::state::usage::utilization(&next.resources);
            Record::Apply(Snapshot::of(Time::now(), next.serial, &usage))
        });
        let saved = session.save(&next, state.map(|s| s.serial));
        (saved, snapshot.join())
    });
    if let Err(e) = saved {
        return print_diags(&e.diagnostics());
    }
    // The state is saved: a history that cannot be written is a warning, never a failure.
    let recorded = match snapshot {
        Ok(record) => session.append_history(&record).map_err(|e| e.to_string()),
        Err(_) => Err("computing the snapshot failed".to_string()),
    };
    if let Err(e) = recorded {
        eprintln!(
            "Warning: the state was saved, but this apply is missing from its history \
             (forecasts will have one point fewer): {e}"
        );
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

/// A saved plan in any plan format (`ipam show FILE`).
pub fn show_saved(saved: &SavedPlan, format: Format) -> ExitCode {
    let header = format!(
        "Saved plan of {} against {} ({})",
        saved.plan_path.display(),
        saved.state,
        match saved.serial {
            Some(serial) => format!("serial {serial}"),
            None => "no state yet".to_string(),
        }
    );
    match format {
        Format::Text => print!(
            "{header}\n\n{}",
            render::plan::text(&saved.plan, Style::for_stdout())
        ),
        Format::Markdown => {
            eprintln!("{header}");
            print!(
                "{}",
                render::plan::markdown(&saved.plan, render::plan::Markdown::default())
            );
        }
        Format::Json => {
            eprintln!("{header}");
            print_json(&render::plan::json(&saved.plan));
        }
    }
    ExitCode::SUCCESS
}

/// Prints each set of diagnostics; the command failed (exit 1).
fn print_all(all: &[Diagnostics]) -> ExitCode {
    for d in all {
        print_diags(d);
    }
    ExitCode::from(1)
}

/// The inventories of a plan to be saved, hashed now: their content binds the plan.
fn saved_inventories(around: Around, out: &Path) -> Result<Vec<SavedInventory>, SavedError> {
    around
        .inventories
        .iter()
        .map(|path| SavedInventory::of(path, out))
        .collect()
}
