//! The README's "Five minutes with ipam" is what the binary prints: each command of the
//! walkthrough is run in order in a fresh directory, and its output must match the README.

use std::path::Path;
use std::process::Command;

/// The walkthrough's section of the README.
fn walkthrough() -> String {
    let readme = std::fs::read_to_string("README.md").expect("README");
    let start = readme
        .find("## Five minutes with ipam")
        .expect("the walkthrough section");
    let end = start + 3 + readme[start + 3..].find("\n## ").expect("a next section");
    readme[start..end].to_string()
}

/// The fenced blocks of `section` whose info string is `lang`, in order.
fn blocks(section: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = section;
    while let Some(i) = rest.find(&fence) {
        let body = &rest[i + fence.len()..];
        let end = body.find("```").expect("a closed block");
        out.push(body[..end].to_string());
        rest = &body[end + 3..];
    }
    out
}

/// One `$ ipam …` command of a text block and the lines shown after it.
struct Step {
    args: Vec<String>,
    shown: Vec<String>,
}

fn steps(section: &str) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for block in blocks(section, "text") {
        for line in block.lines() {
            if let Some(command) = line.strip_prefix("$ ") {
                let mut words = command.split_whitespace().map(str::to_string);
                assert_eq!(words.next().as_deref(), Some("ipam"), "{line}");
                out.push(Step {
                    args: words.collect(),
                    shown: Vec::new(),
                });
            } else if !line.is_empty() {
                out.last_mut()
                    .expect("output after a command")
                    .shown
                    .push(line.to_string());
            }
        }
    }
    out
}

/// A lineage is random: compare a line up to it.
fn same(shown: &str, printed: &str) -> bool {
    match shown.find(", lineage ") {
        Some(i) => printed.starts_with(&shown[..i + ", lineage ".len()]),
        None => shown == printed,
    }
}

#[test]
fn the_walkthrough_is_what_ipam_prints() {
    let section = walkthrough();
    let dir = std::env::temp_dir().join(format!("ipam-readme-walk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    // The export the walkthrough audits.
    std::fs::copy(
        Path::new("tests/inventories/readme-walkthrough-vpcs.json"),
        dir.join("vpcs.json"),
    )
    .expect("inventory");

    let steps = steps(&section);
    let commands: Vec<&str> = steps.iter().map(|s| s.args[0].as_str()).collect();
    assert_eq!(
        commands,
        ["init", "validate", "plan", "apply", "plan", "show", "audit"],
        "the walkthrough goes init → validate → plan → apply → audit"
    );
    for step in &steps {
        let out = Command::new(env!("CARGO_BIN_EXE_ipam"))
            .args(&step.args)
            .current_dir(&dir)
            .env_remove("IPAM_STATE")
            .env("NO_COLOR", "1")
            .output()
            .expect("run ipam");
        let printed: Vec<String> = String::from_utf8_lossy(&out.stderr)
            .lines()
            .chain(String::from_utf8_lossy(&out.stdout).lines())
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        // Every line shown is printed; "…" stands for lines left out, so without it the
        // README shows all of them.
        let elided = step.shown.iter().any(|l| l == "…");
        for line in step.shown.iter().filter(|l| *l != "…") {
            assert!(
                printed.iter().any(|p| same(line, p)),
                "`ipam {}` does not print\n  {line}\nit prints:\n{}",
                step.args.join(" "),
                printed.join("\n")
            );
        }
        if !elided {
            assert_eq!(
                printed.len(),
                step.shown.len(),
                "`ipam {}` prints other lines than the README shows:\n{}",
                step.args.join(" "),
                printed.join("\n")
            );
        }
        let expected_code = if step.args.iter().any(|a| a == "--fail-on") {
            3
        } else {
            0
        };
        assert_eq!(
            out.status.code(),
            Some(expected_code),
            "ipam {}",
            step.args.join(" ")
        );
    }

    // The plan the README shows is the plan `init` wrote, comments left out.
    let written = std::fs::read_to_string(dir.join("network/ipam.toml")).expect("init's plan");
    let written: Vec<&str> = written.lines().collect();
    let sample = blocks(&section, "toml").remove(0);
    let mut at = 0;
    for line in sample.lines().filter(|l| !l.is_empty()) {
        let found = written[at..].iter().position(|w| *w == line);
        assert!(
            found.is_some(),
            "init's plan has no line `{line}` (in this order)"
        );
        at += found.unwrap_or(0) + 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
