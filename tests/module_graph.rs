//! The crate's top-level modules depend on each other in one direction only: no two of them
//! use each other (a cycle makes both harder to change and to test). Dependencies are read
//! from the source: every `crate::NAME` path outside comments and test modules.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Every `.rs` file under `dir`.
fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules `text` uses, comments and test modules left out.
fn uses(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

#[test]
fn no_two_top_level_modules_use_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in fs::read_dir(&src).expect("src") {
        let path = entry.expect("entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if stem == "lib" || stem == "main" {
            continue;
        }
        let mut all = Vec::new();
        if path.is_dir() {
            files(&path, &mut all);
        } else {
            all.push(path.clone());
        }
        let set = deps.entry(stem.to_string()).or_default();
        for file in all {
            let text = fs::read_to_string(&file).expect("source file");
            set.extend(uses(&text).into_iter().filter(|m| m != stem));
        }
    }
    assert!(deps.len() > 10, "found the modules: {:?}", deps.keys());
    let cycles: Vec<(&String, &String)> = deps
        .iter()
        .flat_map(|(a, used)| used.iter().map(move |b| (a, b)))
        .filter(|(a, b)| a < b && deps.get(*b).is_some_and(|back| back.contains(*a)))
        .collect();
    assert!(cycles.is_empty(), "modules that use each other: {cycles:?}");
}

#[test]
fn the_reader_sees_paths_not_comments() {
    let text = "use crate::model::Address;\n// crate::render is only named here\n\
                fn f() { crate::state::x(); }\n#[cfg(test)]\nmod tests { use crate::cli; }\n";
    let found: Vec<String> = uses(text).into_iter().collect();
    assert_eq!(found, ["model", "state"]);
}
