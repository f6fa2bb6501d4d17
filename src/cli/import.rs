//! `ipam import` (SPEC §8): adopt discovered VPCs into pools with `auto_import`, as plan
//! entries and in the state in one step.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::{
    fail, left_to_exit, lock, no_state, print_diags, read_locked, read_state, state_line, state_of,
};
use crate::audit::Format;
use crate::audit::import::write::{adopted_records, commit, new_text, target_file};
use crate::audit::import::{Selection, entries, select};
use crate::state::State;

pub struct ImportArgs<'a> {
    pub path: &'a Path,
    pub state: Option<&'a Path>,
    pub inventories: &'a [PathBuf],
    /// The region of rows whose export gives none.
    pub region: Option<&'a str>,
    pub format: Option<Format>,
    pub to: Option<&'a Path>,
    pub dry_run: bool,
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
    let Some(state) = &loaded.state else {
        return fail(no_state(&located));
    };
    eprintln!("{}", state_line(&located.location, Some(state)));
    let recorded = &state.resources;
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
    let Some(session) = session.as_mut() else {
        return ExitCode::SUCCESS;
    };
    let records = match adopted_records(args.path, &target, &text, recorded, &selection) {
        Ok(r) => r,
        Err(d) => return print_diags(&d),
    };
    let next = State::after(loaded.state.as_ref(), records);
    let read = loaded.state.as_ref().map(|s| s.serial);
    if let Err(d) = commit(
        &target,
        old.as_deref(),
        &text,
        session.as_mut(),
        &next,
        read,
    ) {
        return print_diags(&d);
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
        backend.location(),
        next.serial
    );
    left_to_exit((loaded, next));
    ExitCode::SUCCESS
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
