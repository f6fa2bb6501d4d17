//! Writing an import (SPEC §8): the adopted VPCs go into a plan file and into the state in
//! one step, under the state's lock, so the next plan shows no changes.
//!
//! The plan file is written first (atomically), then the state; if the state cannot be
//! written, the plan file is put back. A crash between the two leaves entries the next plan
//! shows as creates of the very same CIDRs, never state the plan does not declare.

use std::path::{Component, Path, PathBuf};

use super::{Selection, entries};
use crate::diag::{Diag, Diagnostics, Sources};
use crate::model::Address;
use crate::plan::plan;
use crate::state::check::check;
use crate::state::file::write_atomic;
use crate::state::{Records, Session, State};

/// The plan file the adopted VPCs are written to: `--to`, else `imported.toml` in a
/// directory plan, else the plan file itself. Named as [`crate::config::plan_files`] would
/// list it.
pub fn target_file(path: &Path, to: Option<&Path>) -> Result<PathBuf, Box<Diag>> {
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
pub fn new_text(
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
        "# Adopted by `ipam import` from {} (pools with auto_import).\n\n",
        sources.join(", ")
    ));
    text.push_str(&entries(&selection.adopted));
    Ok((old, text))
}

/// The recorded state with the adopted VPCs in it, exactly as the plan with the new
/// entries places them; checked so that the next plan shows no change for them.
pub fn adopted_records(
    path: &Path,
    target: &Path,
    text: &str,
    recorded: &Records,
    selection: &Selection,
) -> Result<Records, Diagnostics> {
    let refused = |why: String| {
        Diagnostics::new(
            Sources::default(),
            vec![
                Diag::error("ipam::import::check", format!("import refused: {why}")).help(
                    "nothing was written; this is a bug in ipam import, please report it with \
                     the inventory",
                ),
            ],
        )
    };
    let raw = crate::config::load_with(path, Some((target, text)))?;
    let model =
        crate::model::build(&raw).map_err(|diags| Diagnostics::new(raw.sources.clone(), diags))?;
    let planned =
        plan(&model, recorded).map_err(|diags| Diagnostics::new(raw.sources.clone(), diags))?;
    let mut records = recorded.clone();
    for a in &selection.adopted {
        let Some(vpc) = planned.desired.vpcs.get(&a.id) else {
            return Err(refused(format!("the plan does not place vpc.{}", a.id)));
        };
        records.vpcs.insert(a.id.clone(), vpc.clone());
    }
    let problems = check(&records);
    if !problems.is_empty() {
        let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(refused(texts.join("; ")));
    }
    let again =
        plan(&model, &records).map_err(|diags| Diagnostics::new(raw.sources.clone(), diags))?;
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

/// Writes the plan file's new text, then the state; on failure the plan file is put back
/// as it was and the error is returned (nothing was imported).
pub fn commit(
    target: &Path,
    old: Option<&str>,
    text: &str,
    session: &mut dyn Session,
    next: &State,
    read: Option<u64>,
) -> Result<(), Diagnostics> {
    // Puts the plan file back as it was; says so when even that fails.
    let undo = || {
        let restored = match old {
            Some(old) => write_atomic(target, old.as_bytes()).map_err(|e| e.to_string()),
            None => std::fs::remove_file(target).or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e.to_string()),
            }),
        };
        restored.err().map(|r| {
            Diag::error(
                "ipam::import::undo",
                format!("could not undo the change to {}: {r}", target.display()),
            )
            .help("remove the entries `ipam import` added")
        })
    };
    // The plan file first: a crash before the state is written leaves entries the next
    // plan shows as creates of the same CIDRs, never state the plan does not declare.
    if let Err(e) = write_atomic(target, text.as_bytes()) {
        let mut diags = vec![Diag::error(
            "ipam::io::write",
            format!("{e}; nothing was imported"),
        )];
        // The rename may have happened before the error (syncing the directory failed).
        if std::fs::read(target).is_ok_and(|now| now == text.as_bytes()) {
            diags.extend(undo());
        }
        return Err(Diagnostics::new(Sources::default(), diags));
    }
    if let Err(e) = session.save(next, read) {
        let mut d = e.diagnostics();
        d.diags.extend(undo());
        return Err(d);
    }
    Ok(())
}
