//! The bundled examples: each is canonical, and a scrambled copy of each (keys reordered,
//! spacing, quoting and blank lines changed) formats back to it byte for byte, keeping its
//! comments and planning the same changes.

use std::fs;
use std::path::{Path, PathBuf};

use super::common::{ipam, stdout, text};
use super::{comments, workdir};

const EXAMPLES: [&str; 4] = ["acquisition", "enterprise", "hybrid", "ipv6"];

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The files of a plan directory, by name, with their text.
fn read_dir(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).expect("read"))
        })
        .collect();
    files.sort();
    files
}

/// `ipam plan --format json` of a plan directory against an empty state.
fn plan_json(cwd: &Path, plan: &str) -> String {
    let out = ipam(
        cwd,
        &[
            "plan",
            plan,
            "--format",
            "json",
            "--state",
            "none.json",
            "--create-state",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    stdout(&out)
}

/// Undoes the canonical layout of a canonical file without changing what it means: record
/// keys reversed (dotted keys, whose order is declaration order, first and in order),
/// alignment and spacing around `=` and before trailing comments changed, strings made
/// literal, keys indented, blank lines dropped before headers that have no comment above
/// them and doubled elsewhere, blank lines added inside tables.
fn scramble(canonical: &str) -> String {
    // A table: the lines above and of its header, then its entries (comment lines above a
    // key, the key's lines).
    struct Table {
        head: Vec<String>,
        entries: Vec<Vec<String>>,
        named: bool,
    }
    let mut tables: Vec<Table> = vec![Table {
        head: Vec::new(),
        entries: Vec::new(),
        named: false,
    }];
    let mut pending: Vec<String> = Vec::new();
    let mut depth = 0i32;
    for line in canonical.lines() {
        let code = line.split(" #").next().unwrap_or(line);
        if depth > 0 {
            depth += code.matches('[').count() as i32 - code.matches(']').count() as i32;
            if let Some(entry) = tables.last_mut().and_then(|t| t.entries.last_mut()) {
                entry.push(line.to_string());
            }
            continue;
        }
        if line.starts_with('[') {
            pending.push(line.to_string());
            tables.push(Table {
                head: std::mem::take(&mut pending),
                entries: Vec::new(),
                named: line.starts_with("[accounts]"),
            });
        } else if line.is_empty() || line.starts_with('#') {
            pending.push(line.to_string());
        } else {
            depth = code.matches('[').count() as i32 - code.matches(']').count() as i32;
            pending.push(line.to_string());
            let entry = std::mem::take(&mut pending);
            if let Some(t) = tables.last_mut() {
                t.entries.push(entry);
            }
        }
    }
    let mut out = Vec::new();
    for (i, mut table) in tables.into_iter().enumerate() {
        let comment_above = table.head.iter().any(|l| l.starts_with('#'));
        for line in table.head {
            match line.as_str() {
                "" if comment_above => out.extend(["".to_string(), String::new()]),
                "" => {}
                _ => out.push(line),
            }
        }
        if !table.named && i > 0 {
            let (dotted, mut plain): (Vec<_>, Vec<_>) = table.entries.into_iter().partition(|e| {
                let key_line = e.iter().find(|l| !l.starts_with('#')).expect("a key");
                key_line.split('=').next().unwrap_or("").contains('.')
            });
            plain.reverse();
            table.entries = dotted.into_iter().chain(plain).collect();
        }
        for (n, entry) in table.entries.into_iter().enumerate() {
            if n % 2 == 1 {
                out.push(String::new());
            }
            for (k, line) in entry.into_iter().enumerate() {
                out.push(if line.starts_with('#') || k > 0 {
                    line
                } else {
                    mangle(&line)
                });
            }
        }
    }
    // Comments after the last entry of the file.
    out.extend(pending);
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// One key line with its spacing changed and its plain strings made literal.
fn mangle(line: &str) -> String {
    let (code, comment) = match line.find("   #") {
        Some(at) => (&line[..at], Some(line[at..].trim_start())),
        None => (line, None),
    };
    let (key, value) = code.split_once('=').expect("a key line");
    let value = value.trim();
    let value = if value.starts_with('"') && !value[1..].contains(['"', '\\', '\'']) {
        value.to_string()
    } else if value.starts_with('"')
        && value.ends_with('"')
        && !value[1..value.len() - 1].contains(['"', '\\', '\''])
    {
        format!("'{}'", &value[1..value.len() - 1])
    } else {
        // `, ` → `,` between elements, not inside strings.
        let mut quoted = false;
        let mut out = String::new();
        for c in value.chars() {
            if c == '"' {
                quoted = !quoted;
            }
            if c == ' ' && !quoted && out.ends_with(',') {
                continue;
            }
            out.push(c);
        }
        out
    };
    let mut s = format!("  {}={value}", key.trim_end());
    if let Some(c) = comment {
        s.push(' ');
        s.push_str(c);
    }
    s
}

#[test]
fn the_examples_are_canonical() {
    let dir = examples();
    for name in EXAMPLES {
        let out = ipam(&dir, &["fmt", name, "--check"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
        assert_eq!(stdout(&out), "", "{name}");
    }
}

#[test]
fn scrambled_examples_format_back_to_the_examples() {
    for name in EXAMPLES {
        let dir = workdir(&format!("round-trip-{name}"));
        let originals = read_dir(&examples().join(name));
        fs::create_dir_all(dir.join("original")).expect("dir");
        fs::create_dir_all(dir.join("plan")).expect("dir");
        for (file, original) in &originals {
            fs::write(dir.join("original").join(file), original).expect("write");
            let scrambled = scramble(original);
            assert_ne!(
                &scrambled, original,
                "{name}/{file}: the scrambler changed nothing"
            );
            fs::write(dir.join("plan").join(file), scrambled).expect("write");
        }
        let before = plan_json(&dir, "original");
        assert_eq!(
            plan_json(&dir, "plan"),
            before,
            "{name}: scrambling changed the plan"
        );

        let out = ipam(&dir, &["fmt", "plan"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
        assert_eq!(
            stdout(&out).lines().count(),
            originals.len(),
            "{name}: every file was changed and listed"
        );
        let formatted = read_dir(&dir.join("plan"));
        for ((file, original), (_, after)) in originals.iter().zip(&formatted) {
            assert_eq!(after, original, "{name}/{file}");
            assert_eq!(comments(after), comments(original), "{name}/{file}");
        }
        assert_eq!(
            plan_json(&dir, "plan"),
            before,
            "{name}: formatting changed the plan"
        );

        let out = ipam(&dir, &["fmt", "plan", "--check"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
        let out = ipam(&dir, &["fmt", "plan"]);
        assert_eq!(stdout(&out), "", "{name}: a second fmt changes nothing");
    }
}
