//! `ipam plan` and `ipam apply` (SPEC §6, §7).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::{fail, load_model, print_json, render};
use crate::apply::{Step, apply, verify_saved};
use crate::diag::{Diag, Diagnostics, Sources};
use crate::diff::Action;
use crate::model::Model;
use crate::plan::{Plan, SAVED_FORMAT, SAVED_KIND, SavedPlan, files_hash, plan};
use crate::render::{self, Style};
use crate::state::store::{LockGuard, Store, StoreError};
use crate::state::{Records, State};

/// How a plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

/// The state file of a plan (SPEC §7): `--state`, else a non-empty `IPAM_STATE`, else `ipam.state.json` inside
/// a plan directory or next to a plan file.
pub fn state_path(plan: &Path, state: Option<&Path>) -> PathBuf {
    if let Some(s) = state {
        return s.to_path_buf();
    }
    // Set but empty means unset: CI systems often export empty variables.
    if let Some(env) = std::env::var_os("IPAM_STATE").filter(|v| !v.is_empty()) {
        return PathBuf::from(env);
    }
    let dir = if plan.is_dir() {
        plan
    } else {
        plan.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    };
    dir.join("ipam.state.json")
}

/// Reads `30`, `30s`, `500ms`, `2m`, `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
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

pub(super) fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub(super) fn print_diags(d: &Diagnostics) -> ExitCode {
    eprint!("{}", render(d, std::io::stderr().is_terminal()));
    ExitCode::from(1)
}

/// A plan made from the files at `path` and the state at `store`, with its inputs.
struct Made {
    plan: Plan,
    sources: Sources,
    state: Option<State>,
}

/// A validated plan with its sources, and the recorded state (if any), each or its error.
pub type PlanAndState = (
    Result<(Model, Sources), Diagnostics>,
    Result<Option<State>, StoreError>,
);

/// The plan at `path` and the state in `store`, read and checked at the same time: they are
/// independent, so each gets a thread.
pub fn load_plan_and_state(path: &Path, store: &Store) -> PlanAndState {
    std::thread::scope(|s| {
        let state = s.spawn(|| store.load());
        let model = load_model(path);
        let state = state
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (model, state)
    })
}

fn make(path: &Path, store: &Store) -> Result<Made, Diagnostics> {
    let (model, state) = load_plan_and_state(path, store);
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
    let store = Store::new(state_path(args.path, args.state));
    let made = match make(args.path, &store) {
        Ok(m) => m,
        Err(d) => return print_diags(&d),
    };
    match args.format {
        Format::Text => print!("{}", render::text(&made.plan, Style { colour: colour() })),
        Format::Markdown => print!("{}", render::markdown(&made.plan)),
        Format::Json => print_json(&render::json(&made.plan)),
    }
    if let Some(out) = args.out {
        if let Err(d) = save_plan(out, args.path, &store, &made) {
            return fail(*d);
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

/// The command is done and the process ends next: freeing a large plan's records one by one
/// would cost more than writing them (about 0.3 s at 100,000 VPCs), so the memory is left for
/// the operating system to reclaim at exit.
pub(super) fn left_to_exit<T>(value: T) {
    std::mem::forget(value);
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn save_plan(out: &Path, path: &Path, store: &Store, made: &Made) -> Result<(), Box<Diag>> {
    let saved = SavedPlan {
        kind: SAVED_KIND.into(),
        format_version: SAVED_FORMAT,
        plan_path: absolute(path),
        state_path: absolute(store.path()),
        files_sha256: files_hash(path, &made.sources),
        lineage: made.state.as_ref().map(|s| s.lineage.clone()),
        serial: made.state.as_ref().map(|s| s.serial),
        moved: made
            .plan
            .moved
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        changes: made.plan.changes.clone(),
        desired: made.plan.desired.clone(),
    };
    let write = || -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(&saved).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        std::fs::write(out, bytes)
    };
    write().map_err(|e| {
        Box::new(
            Diag::error(
                "ipam::plan::out",
                format!("cannot write the plan to {}: {e}", out.display()),
            )
            .help("give `--out` a path in a writable directory"),
        )
    })
}

pub struct ApplyArgs<'a> {
    pub target: &'a Path,
    pub state: Option<&'a Path>,
    pub auto_approve: bool,
    pub lock_timeout: Duration,
}

pub fn run_apply(args: ApplyArgs) -> ExitCode {
    match read_saved(args.target) {
        Ok(Some(saved)) => apply_saved(&args, &saved),
        Ok(None) => apply_plan(&args),
        Err(d) => fail(*d),
    }
}

/// The saved plan at `target`, if it is one (plan files are TOML, never a JSON object).
fn read_saved(target: &Path) -> Result<Option<SavedPlan>, Box<Diag>> {
    if !target.is_file() {
        return Ok(None);
    }
    let Ok(text) = std::fs::read_to_string(target) else {
        return Ok(None);
    };
    if !text.trim_start().starts_with('{') {
        return Ok(None);
    }
    let bad = |why: String| {
        Box::new(
            Diag::error(
                "ipam::apply::saved_plan",
                format!("{} is not a saved plan: {why}", target.display()),
            )
            .help("give `apply` a plan directory or file, or a file written by `ipam plan --out`"),
        )
    };
    let saved: SavedPlan = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if saved.kind != SAVED_KIND {
        return Err(bad(format!("its kind is `{}`", saved.kind)));
    }
    if saved.format_version > SAVED_FORMAT {
        return Err(bad(format!(
            "it was written by a newer ipam (format {}, this build reads {SAVED_FORMAT})",
            saved.format_version
        )));
    }
    Ok(Some(saved))
}

pub(super) fn lock(
    store: &Store,
    operation: &str,
    timeout: Duration,
) -> Result<LockGuard, ExitCode> {
    store
        .lock(operation, timeout)
        .map_err(|e| print_diags(&e.diagnostics()))
}

fn apply_plan(args: &ApplyArgs) -> ExitCode {
    let store = Store::new(state_path(args.target, args.state));
    // Plan under the lock, so nobody writes between the plan shown and the state written.
    let guard = match lock(&store, "apply", args.lock_timeout) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let made = match make(args.target, &store) {
        Ok(m) => m,
        Err(d) => return print_diags(&d),
    };
    print!("{}", render::text(&made.plan, Style { colour: colour() }));
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
    let code = write(&store, &guard, made.state.as_ref(), &made.plan);
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
    let stale = |why: String| {
        fail(
            Diag::error(
                "ipam::apply::stale",
                format!("the saved plan is stale: {why}"),
            )
            .help("make a new plan with `ipam plan --out FILE` and apply that"),
        )
    };
    let raw = match crate::config::load(&saved.plan_path) {
        Ok(raw) => raw,
        Err(d) => return print_diags(&d),
    };
    if files_hash(&saved.plan_path, &raw.sources) != saved.files_sha256 {
        return stale(format!(
            "the plan files in {} changed since it was made",
            saved.plan_path.display()
        ));
    }
    let store = Store::new(args.state.unwrap_or(&saved.state_path));
    let guard = match lock(&store, "apply", args.lock_timeout) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let state = match store.load() {
        Ok(s) => s,
        Err(e) => return print_diags(&e.diagnostics()),
    };
    match (&state, &saved.lineage, saved.serial) {
        (None, None, _) => {}
        (Some(_), None, _) => {
            return stale(format!(
                "it was made before the first apply, and {} has been written since",
                store.path().display()
            ));
        }
        (None, Some(_), _) => {
            return stale(format!(
                "it was made against a state that {} no longer holds",
                store.path().display()
            ));
        }
        (Some(s), Some(lineage), serial) => {
            if s.lineage != *lineage {
                return fail(
                    Diag::error(
                        "ipam::apply::lineage",
                        format!(
                            "the saved plan was made against state lineage {lineage}, but {} has lineage {}",
                            store.path().display(),
                            s.lineage
                        ),
                    )
                    .help("this is another plan's state: check `--state`, or make a new plan against this one"),
                );
            }
            if Some(s.serial) != serial {
                return stale(format!(
                    "the state is at serial {}, the plan was made at serial {}",
                    s.serial,
                    serial.unwrap_or_default()
                ));
            }
        }
    }
    let Some(plan) = saved.plan() else {
        return fail(
            Diag::error(
                "ipam::apply::saved_plan",
                "the saved plan names a resource address that is not valid",
            )
            .help("make a new plan with `ipam plan --out FILE`"),
        );
    };
    if let Err(problems) = verify_saved(&plan) {
        return fail(
            Diag::error(
                "ipam::apply::check",
                format!("apply refused: {}", problems.join("; ")),
            )
            .help("the saved plan was edited; nothing was written: make a new plan"),
        );
    }
    print!("{}", render::text(&plan, Style { colour: colour() }));
    if !plan.has_changes() {
        return ExitCode::SUCCESS;
    }
    write(&store, &guard, state.as_ref(), &plan)
}

/// Applies the plan to the recorded state and writes the result; on any failure the state is
/// left as it was.
fn write(store: &Store, guard: &LockGuard, state: Option<&State>, plan: &Plan) -> ExitCode {
    let empty = Records::default();
    let recorded = state.map_or(&empty, |s| &s.resources);
    let (records, steps) = match apply(recorded, plan) {
        Ok(r) => r,
        Err(problems) => {
            let mut d = Diag::error(
                "ipam::apply::check",
                format!("apply refused: {}", problems.join("; ")),
            );
            d = d.help("nothing was written; make a new plan and apply that");
            return fail(d);
        }
    };
    let next = State::after(state, records);
    if let Err(e) = store.save(&next, guard) {
        return print_diags(&e.diagnostics());
    }
    println!();
    print_steps(&steps);
    let s = plan.summary();
    println!(
        "\nApply complete! Resources: {} added, {} changed, {} replaced, {} destroyed.",
        s.add, s.change, s.replace, s.destroy
    );
    println!("State: {} (serial {})", store.path().display(), next.serial);
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
