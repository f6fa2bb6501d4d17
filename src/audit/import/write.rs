//! Writing an import (SPEC §8): the adopted VPCs go into a plan file and into the state in
//! one step, under the state's lock, so the next plan shows no changes.
//!
//! The plan file is written first (atomically), then the state; if the state cannot be
//! written, the plan file is put back. A crash between the two leaves entries the next plan
//! shows as creates of the very same CIDRs, never state the plan does not declare.

use std::path::{Component, Path, PathBuf};

use super::bind::Binding;
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

/// A plan file an import changes: its text before (`None`: a new file) and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub path: PathBuf,
    pub old: Option<String>,
    pub text: String,
}

/// A plan file's text now, or `None` when there is none yet.
pub fn read_text(target: &Path) -> Result<Option<String>, Box<Diag>> {
    match std::fs::read(target) {
        Ok(bytes) => Ok(Some(String::from_utf8(bytes).map_err(|_| {
            Box::new(
                Diag::error(
                    "ipam::io::utf8",
                    format!("{} is not UTF-8 text", target.display()),
                )
                .help("save the plan file as UTF-8"),
            )
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Box::new(Diag::error(
            "ipam::io::read",
            format!("cannot read {}: {e}", target.display()),
        ))),
    }
}

/// A plan file's text `base` with the adopted VPCs' entries after it.
pub fn with_entries(base: Option<&str>, selection: &Selection, inventories: &[PathBuf]) -> String {
    let sources: Vec<String> = inventories
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut text = match base {
        None => String::new(),
        Some(old) if old.is_empty() || old.ends_with("\n\n") => old.to_string(),
        Some(old) if old.ends_with('\n') => format!("{old}\n"),
        Some(old) => format!("{old}\n\n"),
    };
    text.push_str(&format!(
        "# Adopted by `ipam import` from {} (pools with auto_import).\n\n",
        sources.join(", ")
    ));
    text.push_str(&entries(&selection.adopted));
    text
}

/// The recorded state with the adopted VPCs in it, exactly as the plan with the edited
/// files places them, and the bound VPCs' records with their IDs; checked so that the next
/// plan shows no change for any of them.
pub fn adopted_records(
    path: &Path,
    edits: &[Edit],
    recorded: &Records,
    selection: &Selection,
    bound: &[Binding],
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
    let overlays: Vec<(&Path, &str)> = edits
        .iter()
        .map(|e| (e.path.as_path(), e.text.as_str()))
        .collect();
    let raw = crate::config::load_with(path, &overlays)?;
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
    for b in bound {
        let Some(vpc) = records.vpcs.get_mut(&b.vpc) else {
            return Err(refused(format!("vpc.{} is not recorded", b.vpc)));
        };
        vpc.resource_id = Some(b.id.clone());
    }
    let problems = check(&records);
    if !problems.is_empty() {
        let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(refused(texts.join("; ")));
    }
    let again =
        plan(&model, &records).map_err(|diags| Diagnostics::new(raw.sources.clone(), diags))?;
    let touched = |address: &Address| match address {
        Address::Vpc(v) | Address::Subnet(v, _) => {
            selection.adopted.iter().any(|a| a.id == *v) || bound.iter().any(|b| b.vpc == *v)
        }
        _ => false,
    };
    if let Some(c) = again.changes.iter().find(|c| touched(&c.address)) {
        return Err(refused(format!(
            "the next plan would still change {}",
            c.address
        )));
    }
    Ok(records)
}

/// Writes the plan files' new texts, then the state; on failure every plan file written is
/// put back as it was and the error is returned (nothing was imported).
pub fn commit(
    edits: &[Edit],
    session: &mut dyn Session,
    next: &State,
    read: Option<u64>,
) -> Result<(), Diagnostics> {
    // Puts the files written so far back as they were; says so where even that fails.
    let undo = |written: &[Edit]| -> Vec<Diag> {
        written
            .iter()
            .filter_map(|e| {
                let restored = match &e.old {
                    Some(old) => write_atomic(&e.path, old.as_bytes()).map_err(|x| x.to_string()),
                    None => std::fs::remove_file(&e.path).or_else(|x| match x.kind() {
                        std::io::ErrorKind::NotFound => Ok(()),
                        _ => Err(x.to_string()),
                    }),
                };
                restored.err().map(|r| {
                    Diag::error(
                        "ipam::import::undo",
                        format!("could not undo the change to {}: {r}", e.path.display()),
                    )
                    .help("take out what `ipam import` added to it")
                })
            })
            .collect()
    };
    // The plan files first: a crash before the state is written leaves entries the next
    // plan shows as creates of the same CIDRs (or `resource_id`s it records), never state
    // the plan does not declare.
    for (i, edit) in edits.iter().enumerate() {
        if let Err(e) = write_atomic(&edit.path, edit.text.as_bytes()) {
            let mut diags = vec![Diag::error(
                "ipam::io::write",
                format!("{e}; nothing was imported"),
            )];
            // The rename may have happened before the error (syncing the directory failed).
            let this = std::fs::read(&edit.path).is_ok_and(|now| now == edit.text.as_bytes());
            diags.extend(undo(&edits[..i + usize::from(this)]));
            return Err(Diagnostics::new(Sources::default(), diags));
        }
    }
    if let Err(e) = session.save(next, read) {
        let mut d = e.diagnostics();
        d.diags.extend(undo(edits));
        return Err(d);
    }
    Ok(())
}
