//! The GitHub Action (`action.yml`) and the example workflow (`examples/github/ipam.yml`)
//! parse as YAML, name every step, and call `ipam` only with options it has.

use std::collections::BTreeSet;
use std::fs;

mod common;

use yaml_rust2::{Yaml, YamlLoader};

fn load(path: &str) -> Yaml {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(docs.len(), 1, "{path}: one document");
    docs.remove(0)
}

/// The `--options` of an `ipam` subcommand, from its own help.
fn options_of(command: &str) -> BTreeSet<String> {
    let dir = common::workdir("action", command);
    let out = common::ipam(&dir, &[command, "--help"]);
    assert!(out.status.success(), "{}", common::text(&out));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|w| w.starts_with("--"))
        .map(|w| w.trim_end_matches([',', '.']).to_string())
        .collect()
}

#[test]
fn the_action_names_its_steps_and_uses_real_options() {
    let action = load("action.yml");
    assert_eq!(action["name"].as_str(), Some("ipam"));
    for input in [
        "command",
        "path",
        "state",
        "saved-plan",
        "comment",
        "github-token",
    ] {
        assert!(
            !action["inputs"][input]["description"].is_badvalue(),
            "input {input} is documented"
        );
    }
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let steps = action["runs"]["steps"].as_vec().expect("steps");
    let names: Vec<&str> = steps
        .iter()
        .map(|s| s["name"].as_str().expect("every step has a name"))
        .collect();
    assert_eq!(
        names,
        [
            "Install ipam",
            "Plan",
            "Write the job summary",
            "Comment on the pull request",
            "Upload the saved plan",
            "Download the pull request's saved plan",
            "Apply",
        ]
    );
    let plan = options_of("plan");
    let apply = options_of("apply");
    for step in steps {
        if let Some(script) = step["run"].as_str() {
            assert_eq!(
                step["shell"].as_str(),
                Some("bash"),
                "{}",
                step["name"].as_str().unwrap_or("")
            );
            // Every option the script gives `ipam plan` or `ipam apply` exists.
            for (command, known) in [("args=(plan", &plan), ("args=(apply", &apply)] {
                if let Some(at) = script.find(command) {
                    for word in script[at..]
                        .split_whitespace()
                        .filter(|w| w.starts_with("--"))
                    {
                        let word = word.trim_end_matches(')');
                        assert!(known.contains(word), "`{command}` has no option {word}");
                    }
                }
            }
        }
    }
}

#[test]
fn the_example_workflow_plans_pull_requests_and_applies_merges() {
    let workflow = load("examples/github/ipam.yml");
    let on = &workflow["on"];
    assert!(!on["pull_request"].is_badvalue() && !on["push"].is_badvalue());
    for (job, command) in [("plan", "plan"), ("apply", "apply")] {
        let steps = workflow["jobs"][job]["steps"].as_vec().expect("steps");
        assert!(
            steps.iter().all(|s| s["name"].as_str().is_some()),
            "{job}: named steps"
        );
        let uses: Vec<&Yaml> = steps
            .iter()
            .filter(|s| s["uses"].as_str().is_some_and(|u| u.ends_with("/ipam@v1")))
            .collect();
        assert_eq!(uses.len(), 1, "{job} uses the action once");
        assert_eq!(uses[0]["with"]["command"].as_str(), Some(command));
    }
}
