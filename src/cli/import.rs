//! `ipam import` (SPEC §8): adopt discovered VPCs into pools with `auto_import`, as plan
//! entries and in the state in one step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::{
    fail, left_to_exit, lock, no_state, print_diags, read_locked, read_state, state_line, state_of,
};
use crate::audit::Format;
use crate::audit::import::bind::{Binding, NotBound, bindings, bound_text};
use crate::audit::import::write::{
    Edit, adopted_records, commit, read_text, target_file, with_entries,
};
use crate::audit::import::{Selection, entries, select};
use crate::diag::Sources;
use crate::state::State;
use crate::state::history::{Record, Snapshot, Time};

pub struct ImportArgs<'a> {
    pub path: &'a Path,
    pub state: Option<&'a Path>,
    pub inventories: &'a [PathBuf],
    /// The region of rows whose export gives none.
    pub region: Option<&'a str>,
    pub format: Option<Format>,
    pub to: Option<&'a Path>,
    pub dry_run: bool,
    /// Also write the IDs audit matched recorded VPCs by CIDR alone into their entries.
    pub bind: bool,
    pub lock_timeout: Duration,
}

pub fn run_import(args: ImportArgs) -> ExitCode {
    let (located, backend) = match state_of(args.path, args.state) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let target = match target_file(args.path, args.to) {
        Ok(t) => t,
        Err(d) => return fail(*d),
    };
    // Plan files and state change together: hold the state's lock from reading to writing.
    let mut session = if args.dry_run {
        None
    } else {
        match lock(backend.as_ref(), "import", args.lock_timeout) {
            Ok(s) => Some(s),
            Err(code) => return code,
        }
    };
    let read = || match session.as_mut() {
        Some(s) => read_locked(backend.as_ref(), s.as_mut()),
        None => read_state(backend.as_ref()),
    };
    let options = crate::audit::Options {
        format: args.format,
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
    let crate::load::Loaded {
        model,
        sources,
        state,
        inventory,
    } = loaded;
    let Some(state) = &state else {
        return fail(no_state(&located));
    };
    eprintln!("{}", state_line(&located.location, Some(state)));
    let recorded = &state.resources;
    let selection = select(&model, recorded, &inventory);
    let (bound, not_bound) = if args.bind {
        let report = crate::audit::audit(&model, recorded, inventory);
        let found = bindings(&report, &model, &sources);
        left_to_exit(report);
        found
    } else {
        left_to_exit(inventory);
        (Vec::new(), Vec::new())
    };
    print_selection(&selection, &target, args.dry_run);
    if args.bind {
        print_bindings(&bound, &not_bound, args.dry_run);
    }
    if selection.adopted.is_empty() && bound.is_empty() {
        return ExitCode::SUCCESS;
    }
    let edits = match edits(&target, &selection, &bound, &sources, args.inventories) {
        Ok(e) => e,
        Err(d) => return fail(*d),
    };
    if args.dry_run {
        if !selection.adopted.is_empty() {
            println!(
                "\nEntries for {}:\n\n{}",
                target.display(),
                entries(&selection.adopted).trim_end()
            );
        }
        println!("\nDry run: nothing was written.");
        return ExitCode::SUCCESS;
    }
    let Some(session) = session.as_mut() else {
        return ExitCode::SUCCESS;
    };
    let records = match adopted_records(args.path, &edits, recorded, &selection, &bound) {
        Ok(r) => r,
        Err(d) => return print_diags(&d),
    };
    let next = State::after(Some(state), records);
    if let Err(d) = commit(&edits, session.as_mut(), &next, Some(state.serial)) {
        return print_diags(&d);
    }
    // Adopted VPCs use their pools' space: the history gets a snapshot as after an apply.
    // The state is saved: a history that cannot be written is a warning, never a failure.
    let usage = crate::state::usage::utilization(&next.resources);
    let snapshot = Record::Apply(Snapshot::of(Time::now(), next.serial, &usage));
    if let Err(e) = session.append_history(&snapshot) {
        eprintln!(
            "Warning: the state was saved, but this import is missing from its history \
             (forecasts will have one point fewer): {e}"
        );
    }
    let mut done = Vec::new();
    let n = selection.adopted.len();
    if n > 0 || bound.is_empty() {
        done.push(format!("{n} VPC{} adopted", if n == 1 { "" } else { "s" }));
    }
    if !bound.is_empty() {
        done.push(format!("{} bound", bound.len()));
    }
    let files: Vec<String> = edits.iter().map(|e| e.path.display().to_string()).collect();
    println!(
        "\nImport complete! {}: {} and {} (serial {}).",
        done.join(", "),
        files.join(", "),
        backend.location(),
        next.serial
    );
    left_to_exit((model, sources, next));
    ExitCode::SUCCESS
}

/// The plan files the import changes, in path order: each bound VPC's file with its
/// `resource_id`, and the target with the adopted VPCs' entries after its text.
fn edits(
    target: &Path,
    selection: &Selection,
    bound: &[Binding],
    sources: &Sources,
    inventories: &[PathBuf],
) -> Result<Vec<Edit>, Box<crate::diag::Diag>> {
    let mut by_file: BTreeMap<&Path, Vec<&Binding>> = BTreeMap::new();
    for b in bound {
        by_file.entry(b.file.as_path()).or_default().push(b);
    }
    let mut edits = Vec::new();
    for (path, list) in by_file {
        // As the plan was read, under the lock.
        let Some((_, source)) = sources.iter().find(|(_, s)| s.path == path) else {
            continue;
        };
        edits.push(Edit {
            path: path.to_path_buf(),
            old: Some(source.text.to_string()),
            text: bound_text(&source.text, &source.name, &list)?,
        });
    }
    if !selection.adopted.is_empty() {
        match edits.iter_mut().find(|e| e.path == target) {
            Some(edit) => edit.text = with_entries(Some(&edit.text), selection, inventories),
            None => {
                let old = read_text(target)?;
                let text = with_entries(old.as_deref(), selection, inventories);
                edits.push(Edit {
                    path: target.to_path_buf(),
                    old,
                    text,
                });
            }
        }
    }
    edits.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(edits)
}

fn print_bindings(bound: &[Binding], not_bound: &[NotBound], dry_run: bool) {
    let n = bound.len();
    if n == 0 && not_bound.is_empty() {
        println!("\nNothing to bind: every VPC audit matched has its resource_id.");
    } else if n > 0 {
        println!(
            "\n{} {n} VPC{} to the ID audit matched by CIDR alone:",
            if dry_run { "Would bind" } else { "Binding" },
            if n == 1 { "" } else { "s" }
        );
        for b in bound {
            println!(
                "  vpc.{}: resource_id = \"{}\" in {}",
                b.vpc,
                b.id,
                b.file.display()
            );
        }
    }
    if !not_bound.is_empty() {
        println!("\nNot bound:");
        for b in not_bound {
            println!("  vpc.{} to {}: {}", b.vpc, b.id, b.reason);
        }
    }
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
