//! `ipam audit` and `ipam import` (SPEC §8).

use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::reconcile::{colour, left_to_exit, lock, print_diags, state_path};
use super::{fail, load_plan_and_state};
use crate::audit::import::{Selection, entries, select};
use crate::audit::output::{self, Style};
use crate::audit::{FailOn, Format, Inventory, Options, audit, read_all};
use crate::diag::{Diag, Diagnostics, Sources};
use crate::model::{Address, Model};
use crate::plan::plan;
use crate::state::check::check;
use crate::state::store::{Store, sync_directory};
use crate::state::{Records, State};

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// A table (the default).
    Text,
    /// Markdown, for a pull request or a ticket.
    Markdown,
    /// JSON (`schemas/audit.schema.json`), as `--json`.
    Json,
}

/// `--format` of `ipam audit`: how to print, or the inventories' format when it should not
/// be detected. Either or both may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormat {
    Output(Output),
    Inventory(Format),
}

impl clap::ValueEnum for AuditFormat {
    fn value_variants<'a>() -> &'a [AuditFormat] {
        static ALL: std::sync::LazyLock<Vec<AuditFormat>> = std::sync::LazyLock::new(|| {
            Output::value_variants()
                .iter()
                .map(|o| AuditFormat::Output(*o))
                .chain(Format::ALL.iter().map(|f| AuditFormat::Inventory(*f)))
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
    pub region: Option<&'a str>,
    pub formats: &'a [AuditFormat],
    pub json: bool,
    pub fail_on: &'a [FailOn],
}

/// Splits `--format` values into the output and the inventory format; each at most once.
fn formats(args: &AuditArgs) -> Result<(Output, Option<Format>), Box<Diag>> {
    let mut output = args.json.then_some(Output::Json);
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
    Ok((output.unwrap_or(Output::Text), inventory))
}

/// A plan, its recorded records, and an inventory, read at the same time.
struct Loaded {
    model: Model,
    state: Option<State>,
    inventory: Inventory,
}

/// Reads the plan, the state and the inventories (on their own thread: a large inventory
/// takes as long as the rest). Every problem of all three is printed.
fn load(
    path: &Path,
    store: &Store,
    inventories: &[PathBuf],
    options: Options,
) -> Result<Loaded, ExitCode> {
    let ((model, state), inventory) = std::thread::scope(|s| {
        let inventory = s.spawn(|| read_all(inventories, options));
        let loaded = load_plan_and_state(path, store);
        let inventory = inventory
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (loaded, inventory)
    });
    let mut failed = false;
    if let Err(d) = &model {
        print_diags(d);
        failed = true;
    }
    if let Err(e) = &state {
        print_diags(&e.diagnostics());
        failed = true;
    }
    if let Err(diags) = &inventory {
        print_diags(&Diagnostics::new(Sources::default(), diags.clone()));
        failed = true;
    }
    match (model, state, inventory) {
        (Ok((model, _)), Ok(state), Ok(inventory)) if !failed => Ok(Loaded {
            model,
            state,
            inventory,
        }),
        _ => Err(ExitCode::from(1)),
    }
}

pub fn run_audit(args: AuditArgs) -> ExitCode {
    let (output, format) = match formats(&args) {
        Ok(f) => f,
        Err(d) => return fail(*d),
    };
    let store = Store::new(state_path(args.path, args.state));
    let options = Options {
        format,
        region: args.region,
    };
    let loaded = match load(args.path, &store, args.inventories, options) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let empty = Records::default();
    let records = loaded.state.as_ref().map_or(&empty, |s| &s.resources);
    let report = audit(&loaded.model, records, loaded.inventory);
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let colour = colour();
    let written = match output {
        Output::Text => output::text(&report, Style { colour }, &mut out),
        Output::Markdown => output::markdown(&report, &mut out),
        Output::Json => output::json(&report, &mut out),
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
    let failures = report.failures(args.fail_on);
    let code = if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        let list: Vec<String> = failures
            .iter()
            .map(|(f, n)| format!("{n} {} (--fail-on {})", f.status(), f.as_str()))
            .collect();
        eprintln!("Audit failed: {}.", list.join(", "));
        ExitCode::from(1)
    };
    left_to_exit(report);
    left_to_exit((loaded.model, loaded.state));
    code
}

pub struct ImportArgs<'a> {
    pub path: &'a Path,
    pub state: Option<&'a Path>,
    pub inventories: &'a [PathBuf],
    pub region: Option<&'a str>,
    pub format: Option<Format>,
    pub to: Option<&'a Path>,
    pub dry_run: bool,
    pub lock_timeout: Duration,
}

/// The plan file the adopted VPCs are written to: `--to`, else `imported.toml` in a
/// directory plan, else the plan file itself. Named as [`crate::config::plan_files`] would
/// list it.
fn target_file(path: &Path, to: Option<&Path>) -> Result<PathBuf, Box<Diag>> {
    let refuse = |message: String, help: &str| {
        Err(Box::new(
            Diag::error("ipam::import::target", message).help(help.to_string()),
        ))
    };
    if !path.is_dir() {
        return match to {
            Some(_) => refuse(
                format!(
                    "{} is a single-file plan; `--to` needs a plan directory",
                    path.display()
                ),
                "drop `--to`: the adopted VPCs are appended to the plan file",
            ),
            None => Ok(path.to_path_buf()),
        };
    }
    let Some(to) = to else {
        return Ok(path.join("imported.toml"));
    };
    if to.extension().is_none_or(|e| e != "toml") {
        return refuse(
            format!("{} is not a .toml file", to.display()),
            "plan files end in .toml; give e.g. `--to PLAN/teams/imported.toml`",
        );
    }
    let dir = std::fs::canonicalize(path);
    let parent = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (Ok(dir), Ok(parent), Some(file)) = (dir, std::fs::canonicalize(parent), to.file_name())
    else {
        return refuse(
            format!("cannot find the directory of {}", to.display()),
            "give a file in an existing directory of the plan",
        );
    };
    let Ok(relative) = parent.join(file).strip_prefix(&dir).map(Path::to_path_buf) else {
        return refuse(
            format!(
                "{} is outside the plan directory {}",
                to.display(),
                path.display()
            ),
            "give a file inside the plan directory, so the next plan reads it",
        );
    };
    let hidden = relative.components().any(|c| match c {
        Component::Normal(n) => n.to_string_lossy().starts_with('.'),
        _ => false,
    });
    if hidden {
        return refuse(
            format!(
                "{} is hidden, and plans do not read hidden files",
                to.display()
            ),
            "give a file whose name and directories do not start with a dot",
        );
    }
    Ok(path.join(relative))
}

/// What an import will write to the plan file: its text now plus the new entries.
fn new_text(
    target: &Path,
    selection: &Selection,
    inventories: &[PathBuf],
) -> Result<(Option<String>, String), Box<Diag>> {
    let old = match std::fs::read(target) {
        Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
            Box::new(
                Diag::error(
                    "ipam::io::utf8",
                    format!("{} is not UTF-8 text", target.display()),
                )
                .help("save the plan file as UTF-8"),
            )
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(Box::new(Diag::error(
                "ipam::io::read",
                format!("cannot read {}: {e}", target.display()),
            )));
        }
    };
    let sources: Vec<String> = inventories
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut text = match &old {
        None => String::new(),
        Some(old) if old.is_empty() || old.ends_with("\n\n") => old.clone(),
        Some(old) if old.ends_with('\n') => format!("{old}\n"),
        Some(old) => format!("{old}\n\n"),
    };
    text.push_str(&format!(
        "# Adopted by `ipam import` from {} (auto_import pools, SPEC §8).\n\n",
        sources.join(", ")
    ));
    text.push_str(&entries(&selection.adopted));
    Ok((old, text))
}

fn print_selection(selection: &Selection, target: &Path, dry_run: bool) {
    let n = selection.adopted.len();
    let vpcs = |n: usize| if n == 1 { "VPC" } else { "VPCs" };
    if n == 0 {
        println!("Nothing to adopt.");
    } else {
        println!(
            "{} {n} {} into {} and the state:",
            if dry_run { "Would adopt" } else { "Adopting" },
            vpcs(n),
            target.display()
        );
        for a in &selection.adopted {
            let mut extra = Vec::new();
            if !a.secondary.is_empty() {
                extra.push(format!("{} secondary", a.secondary.len()));
            }
            if let Some(b) = &a.ipv6 {
                extra.push(format!("ipv6 {}", b.cidr));
            }
            if !a.subnets.is_empty() {
                extra.push(format!(
                    "{} subnet{}",
                    a.subnets.len(),
                    if a.subnets.len() == 1 { "" } else { "s" }
                ));
            }
            let extra = if extra.is_empty() {
                String::new()
            } else {
                format!(" ({})", extra.join(", "))
            };
            println!(
                "  + vpc.{} {} from pool {}{extra}",
                a.id, a.primary.cidr, a.primary.pool
            );
        }
    }
    if !selection.declined.is_empty() {
        println!("\nNot adopted:");
        for d in &selection.declined {
            println!("  {} {} {}: {}", d.kind, d.id, d.cidr, d.reason);
        }
    }
    for pool in &selection.unapplied {
        println!(
            "\nPool {pool} has auto_import but is not applied yet; it adopts nothing until `ipam apply` records it."
        );
    }
    if selection.outside > 0 {
        println!(
            "\n{} discovered VPC CIDR{} outside every pool with auto_import.",
            selection.outside,
            if selection.outside == 1 {
                " lies"
            } else {
                "s lie"
            }
        );
    }
}

/// Writes a file by a synced temporary file in its directory and a rename: a crash leaves
/// the old text or the new one.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.import.{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_directory(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

pub fn run_import(args: ImportArgs) -> ExitCode {
    let store = Store::new(state_path(args.path, args.state));
    let target = match target_file(args.path, args.to) {
        Ok(t) => t,
        Err(d) => return fail(*d),
    };
    // Plan files and state change together: hold the state's lock from reading to writing.
    let guard = if args.dry_run {
        None
    } else {
        match lock(&store, "import", args.lock_timeout) {
            Ok(g) => Some(g),
            Err(code) => return code,
        }
    };
    let options = Options {
        format: args.format,
        region: args.region,
    };
    let loaded = match load(args.path, &store, args.inventories, options) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let empty = Records::default();
    let recorded = loaded.state.as_ref().map_or(&empty, |s| &s.resources);
    let selection = select(&loaded.model, recorded, &loaded.inventory);
    print_selection(&selection, &target, args.dry_run);
    if selection.adopted.is_empty() {
        return ExitCode::SUCCESS;
    }
    let (old, text) = match new_text(&target, &selection, args.inventories) {
        Ok(t) => t,
        Err(d) => return fail(*d),
    };
    if args.dry_run {
        println!(
            "\nEntries for {}:\n\n{}",
            target.display(),
            entries(&selection.adopted).trim_end()
        );
        println!("\nDry run: nothing was written.");
        return ExitCode::SUCCESS;
    }
    let Some(guard) = guard else {
        return ExitCode::SUCCESS;
    };
    let records = match adopted_records(args.path, &target, &text, recorded, &selection) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let next = State::after(loaded.state.as_ref(), records);
    // Puts the plan file back as it was, when the import cannot complete.
    let undo = || {
        let restored = match &old {
            Some(old) => write_atomic(&target, old),
            None => std::fs::remove_file(&target).or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            }),
        };
        if let Err(r) = restored {
            eprintln!(
                "could not undo the change to {}: {r}; remove the entries `ipam import` added",
                target.display()
            );
        }
    };
    // The plan file first: a crash before the state is written leaves entries the next
    // plan shows as creates of the same CIDRs, never state the plan does not declare.
    if let Err(e) = write_atomic(&target, &text) {
        // The rename may have happened before the error (syncing the directory failed).
        if std::fs::read(&target).is_ok_and(|now| now == text.as_bytes()) {
            undo();
        }
        return fail(Diag::error(
            "ipam::io::write",
            format!(
                "cannot write {}: {e}; nothing was imported",
                target.display()
            ),
        ));
    }
    if let Err(e) = store.save(&next, &guard) {
        undo();
        return print_diags(&e.diagnostics());
    }
    println!(
        "\nImport complete! {} VPC{} adopted: {} and {} (serial {}).",
        selection.adopted.len(),
        if selection.adopted.len() == 1 {
            ""
        } else {
            "s"
        },
        target.display(),
        store.path().display(),
        next.serial
    );
    left_to_exit((loaded, next));
    ExitCode::SUCCESS
}

/// The recorded state with the adopted VPCs in it, exactly as the plan with the new
/// entries places them; checked so that the next plan shows no change for them.
fn adopted_records(
    path: &Path,
    target: &Path,
    text: &str,
    recorded: &Records,
    selection: &Selection,
) -> Result<Records, ExitCode> {
    let refused = |why: String| {
        fail(
            Diag::error("ipam::import::check", format!("import refused: {why}"))
                .help("nothing was written; this is a bug in ipam import, please report it with the inventory"),
        )
    };
    let raw = crate::config::load_with(path, Some((target, text))).map_err(|d| print_diags(&d))?;
    let model = crate::model::build(&raw)
        .map_err(|diags| print_diags(&Diagnostics::new(raw.sources.clone(), diags)))?;
    let planned = plan(&model, recorded)
        .map_err(|diags| print_diags(&Diagnostics::new(raw.sources.clone(), diags)))?;
    let mut records = recorded.clone();
    for a in &selection.adopted {
        let Some(vpc) = planned.desired.vpcs.get(&a.id) else {
            return Err(refused(format!("the plan does not place vpc.{}", a.id)));
        };
        records.vpcs.insert(a.id.clone(), vpc.clone());
    }
    let problems = check(&records);
    if !problems.is_empty() {
        return Err(refused(problems.join("; ")));
    }
    let again = plan(&model, &records)
        .map_err(|diags| print_diags(&Diagnostics::new(raw.sources.clone(), diags)))?;
    let adopted = |address: &Address| match address {
        Address::Vpc(v) | Address::Subnet(v, _) => selection.adopted.iter().any(|a| a.id == *v),
        _ => false,
    };
    if let Some(c) = again.changes.iter().find(|c| adopted(&c.address)) {
        return Err(refused(format!(
            "the next plan would still change {}",
            c.address
        )));
    }
    Ok(records)
}
