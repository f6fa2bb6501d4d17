//! Pinned outputs: what the example plans and the plan scenarios print, in every format, byte
//! for byte. Any change to the text, Markdown or JSON a user sees shows up here as a diff of
//! `tests/pinned/*.txt`, so a refactoring can prove it changed nothing, and a deliberate change
//! is reviewed as the new snapshot.
//!
//! Paths are relative to each test's work directory; the one random value (the state's
//! lineage) is replaced by `<lineage>`.
//!
//! `UPDATE_SNAPSHOTS=1 cargo test --test pinned` rewrites the snapshots.

use std::fs;
use std::path::{Path, PathBuf};

mod common;

use common::{ipam, text};

/// Copies every `.toml` of `from` (recursively) into `to`.
fn copy_plan(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("plan dir");
    for e in fs::read_dir(from).expect("plan source") {
        let p = e.expect("entry").path();
        let dest = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_plan(&p, &dest);
        } else if p.extension().is_some_and(|x| x == "toml") {
            fs::copy(&p, dest).expect("copy plan file");
        }
    }
}

/// Runs commands in one work directory and records each one's exit code and output.
struct Session {
    work: PathBuf,
    log: String,
}

impl Session {
    fn new(name: &str) -> Session {
        Session {
            work: common::workdir("pinned", name),
            log: String::new(),
        }
    }

    fn run(&mut self, args: &[&str]) {
        let out = ipam(&self.work, args);
        let code = out.status.code().unwrap_or(-1);
        let mut body = text(&out);
        if let Ok(state) = fs::read_to_string(self.work.join("plan/ipam.state.json"))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&state)
            && let Some(lineage) = v["lineage"].as_str()
        {
            body = body.replace(lineage, "<lineage>");
        }
        self.log.push_str(&format!(
            "$ ipam {} (exit {code})\n{body}\n",
            args.join(" ")
        ));
    }

    fn check(self, name: &str) {
        let file = Path::new("tests/pinned").join(format!("{name}.txt"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            fs::create_dir_all("tests/pinned").expect("snapshot dir");
            fs::write(&file, &self.log).expect("write snapshot");
        } else {
            let want = fs::read_to_string(&file).unwrap_or_else(|_| {
                panic!("{} is missing: run with UPDATE_SNAPSHOTS=1", file.display())
            });
            assert_eq!(self.log, want, "pinned output {name}");
        }
    }
}

const PLAN_FORMATS: [&[&str]; 3] = [
    &["plan", "plan"],
    &["plan", "plan", "--format", "markdown"],
    &["plan", "plan", "--format", "json"],
];

/// An example: its plan before the first apply, the apply, then everything that reads the
/// state.
fn example(name: &str) {
    let mut s = Session::new(name);
    copy_plan(&Path::new("examples").join(name), &s.work.join("plan"));
    for args in PLAN_FORMATS {
        s.run(args);
    }
    s.run(&["validate", "plan", "--json"]);
    s.run(&["graph", "plan"]);
    s.run(&["apply", "plan", "--auto-approve"]);
    for args in PLAN_FORMATS {
        s.run(args);
    }
    s.run(&["show", "plan"]);
    s.run(&["show", "plan", "--json"]);
    s.run(&["output", "plan"]);
    s.run(&["output", "plan", "--json"]);
    s.run(&["check", "plan"]);
    s.check(name);
}

#[test]
fn enterprise() {
    example("enterprise");
}

#[test]
fn acquisition() {
    example("acquisition");
}

#[test]
fn hybrid() {
    example("hybrid");
}

#[test]
fn ipv6() {
    example("ipv6");
}

/// The audit of the enterprise example against its inventories and the real samples, in
/// every format, and what import would adopt.
#[test]
fn enterprise_audit() {
    let mut s = Session::new("enterprise-audit");
    copy_plan(Path::new("examples/enterprise"), &s.work.join("plan"));
    let inventories = fs::canonicalize("examples/inventories").expect("inventories");
    s.run(&["apply", "plan", "--auto-approve"]);
    fs::create_dir_all(s.work.join("inv")).expect("inventory dir");
    let mut acme = Vec::new();
    let mut samples = Vec::new();
    let mut names: Vec<String> = fs::read_dir(&inventories)
        .expect("inventories")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        fs::copy(inventories.join(&name), s.work.join("inv").join(&name)).expect("copy");
        let path = format!("inv/{name}");
        if name.starts_with("acme-") {
            acme.push(path);
        } else {
            samples.push(path);
        }
    }
    for set in [&acme, &samples] {
        for format in [&[][..], &["--format", "markdown"], &["--json"]] {
            let mut args = vec!["audit", "plan", "--inventory"];
            args.extend(set.iter().map(String::as_str));
            args.extend(format);
            s.run(&args);
        }
    }
    let mut args = vec!["import", "plan", "--dry-run", "--inventory"];
    args.extend(acme.iter().map(String::as_str));
    s.run(&args);
    s.check("enterprise-audit");
}

/// Every plan scenario of `tests/plans`, step by step, in every plan format.
#[test]
fn plan_scenarios() {
    let mut cases: Vec<PathBuf> = fs::read_dir("tests/plans")
        .expect("scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    for case in cases {
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let mut s = Session::new(&format!("scenario-{name}"));
        let mut steps: Vec<PathBuf> = fs::read_dir(&case)
            .expect("case")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_dir())
            .collect();
        steps.sort();
        for step in steps {
            let plan = s.work.join("plan");
            if plan.exists() {
                for e in fs::read_dir(&plan).expect("plan") {
                    let p = e.expect("entry").path();
                    if p.extension().is_some_and(|x| x == "toml") {
                        fs::remove_file(p).expect("remove step file");
                    }
                }
            }
            copy_plan(&step, &plan);
            for args in PLAN_FORMATS {
                s.run(args);
            }
            s.run(&["apply", "plan", "--auto-approve"]);
        }
        s.run(&["show", "plan", "--json"]);
        s.check(&format!("scenario-{name}"));
    }
}
