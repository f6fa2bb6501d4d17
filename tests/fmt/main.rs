//! `ipam fmt` and `ipam completions` at the command line: the examples are canonical and a
//! scrambled copy of each formats back to it byte for byte, planning the same changes
//! (`examples`); a scrambled file becomes its snapshot, `--check` and `--diff` exit codes
//! and write nothing, broken files change nothing, links and permissions stay (`files`);
//! what `init` and `import` write is canonical, and the completions (`other_commands`); a
//! property test over generated files and every test plan at a fixed point (`props`). This
//! file holds what the tests share.

use std::collections::BTreeSet;
use std::path::PathBuf;

#[path = "../common/mod.rs"]
mod common;

mod examples;
mod files;
mod other_commands;
mod props;

fn workdir(name: &str) -> PathBuf {
    common::workdir("fmt", name)
}

/// The comments of a file whose strings hold no `#` or quotes inside (true of the examples
/// and of the snapshot in `files`): written without the formatter's code, so that the tests
/// check it.
fn comments(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let mut quoted = false;
            for (i, c) in line.char_indices() {
                match c {
                    '"' => quoted = !quoted,
                    '#' if !quoted => return Some(line[i..].trim_end().to_string()),
                    _ => {}
                }
            }
            None
        })
        .collect()
}
