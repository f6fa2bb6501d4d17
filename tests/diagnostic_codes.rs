//! The README's list of diagnostic codes is the list the code emits: every `"ipam::…"` code
//! in `src/` has exactly one row there, and every row names a code that exists.

use std::collections::BTreeSet;
use std::path::Path;

/// Every `"ipam::…"` string literal under `dir`.
fn codes_in(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            codes_in(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source");
            for (i, _) in text.match_indices("\"ipam::") {
                let rest = &text[i + 1..];
                let end = rest.find('"').expect("a closed literal");
                out.insert(rest[..end].to_string());
            }
        }
    }
}

#[test]
fn every_code_is_listed_once_and_every_listed_code_exists() {
    let mut emitted = BTreeSet::new();
    codes_in(Path::new("src"), &mut emitted);
    // Unit tests build diagnostics of their own.
    emitted.remove("ipam::test");
    assert!(emitted.len() > 100, "the scan found the codes: {emitted:?}");

    let readme = std::fs::read_to_string("README.md").expect("README");
    let start = readme.find("\n## Diagnostic codes").expect("the section");
    let end = start + 1 + readme[start + 1..].find("\n## ").expect("a next section");
    let mut listed = Vec::new();
    for line in readme[start..end].lines() {
        if let Some(row) = line.strip_prefix("| `ipam::") {
            let code = &row[..row.find('`').expect("a closed code")];
            listed.push(format!("ipam::{code}"));
            let meaning = row.rsplit('|').nth(1).unwrap_or_default().trim();
            assert!(meaning.len() > 20, "ipam::{code} says what it means");
        }
    }
    let unique: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(unique.len(), listed.len(), "a code is listed twice");
    let missing: Vec<&String> = emitted.difference(&unique).collect();
    let stale: Vec<&String> = unique.difference(&emitted).collect();
    assert!(
        missing.is_empty(),
        "codes the README does not list: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "codes the README lists that nothing emits: {stale:?}"
    );
}
