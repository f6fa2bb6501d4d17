//! Formatting at a fixed point: every plan file of the test suite, and a property test over
//! generated files (idempotent, same values, same comments).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use proptest::prelude::*;

/// Every plan file of the test suite that parses formats to a fixed point (the formatter
/// refuses any result that would change a value or lose a comment).
#[test]
fn every_test_plan_formats_to_a_fixed_point() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut dirs = vec![root.join("scenarios"), root.join("plans")];
    let mut seen = 0;
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            match ipam::fmt::format(&text) {
                Ok(once) => {
                    seen += 1;
                    assert_eq!(
                        ipam::fmt::format(&once).as_ref(),
                        Ok(&once),
                        "{}",
                        path.display()
                    );
                }
                Err(ipam::fmt::Error::Syntax { .. }) => {}
                Err(e) => panic!("{}: {e:?}", path.display()),
            }
        }
    }
    assert!(seen > 100, "{seen}");
}

/// A generated file: tables of plan kinds and unknown ones, keys in any order and spacing,
/// values of every shape, comments everywhere a comment may go.
fn document() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        (0i64..100).prop_map(|n| n.to_string()),
        "[a-z]{0,6}".prop_map(|s| format!("\"{s}\"")),
        "[a-z#]{0,6}".prop_map(|s| format!("'{s}'")),
        prop::collection::vec("[a-z]{1,4}", 0..4).prop_map(|v| format!(
            "[{}]",
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(",")
        )),
        (
            prop::collection::vec(("[a-z]{1,4}", prop::option::of("[a-z ]{0,8}")), 1..4),
            any::<bool>()
        )
            .prop_map(|(items, comma)| {
                let mut s = String::from("[ # open\n");
                for (item, comment) in items {
                    s.push_str(&format!("  \"{item}\","));
                    if let Some(c) = comment {
                        s.push_str(&format!(" # {c}"));
                    }
                    s.push('\n');
                }
                if !comma {
                    s.push_str("  # last\n");
                }
                s.push(']');
                s
            }),
        prop::sample::subsequence(
            vec![
                "min_netmask = 1",
                "default_netmask = 3",
                "max_netmask = 2",
                "zone = \"z\""
            ],
            0..4
        )
        .prop_map(|kv| format!("{{{}}}", kv.join(","))),
    ];
    let keys = [
        "pool",
        "cidr",
        "netmask",
        "region",
        "owner",
        "tags",
        "description",
        "protect",
        "scope",
        "parent",
        "cidrs",
        "allocation",
        "name",
        "regions",
        "x-extra",
        "\"quoted key\"",
        "ignore",
    ];
    let entry = (
        prop::sample::select(keys.to_vec()),
        value,
        "[ ]{0,3}",
        prop::option::of("[a-z ]{0,10}"),
        prop::option::of("[a-z ]{0,10}"),
        0usize..3,
    );
    let table = (
        prop::sample::select(vec![
            "pools",
            "vpcs",
            "reservations",
            "ipam",
            "accounts",
            "moved",
            "layouts",
            "other",
        ]),
        prop::collection::vec(entry, 0..6),
        prop::collection::vec(("[a-z]{1,5}", 0u8..30), 0..3),
        prop::option::of("[a-z ]{0,10}"),
        0usize..3,
    );
    (
        prop::option::of("[a-z ]{0,10}"),
        prop::collection::vec(table, 0..5),
    )
        .prop_map(|(head, tables)| {
            let mut out = String::new();
            if let Some(h) = head {
                out.push_str(&format!("#:schema x\n# {h}\n\n"));
            }
            let mut singles = BTreeSet::new();
            for (i, (kind, entries, subnets, comment, blanks)) in tables.into_iter().enumerate() {
                out.push_str(&"\n".repeat(blanks));
                if let Some(c) = comment {
                    out.push_str(&format!("# {c}\n"));
                }
                match kind {
                    "ipam" | "accounts" if !singles.insert(kind) => continue,
                    "ipam" | "accounts" => out.push_str(&format!("[{kind}]\n")),
                    "moved" => out.push_str("[[moved]]\n"),
                    _ => out.push_str(&format!("[ {kind} . t{i} ]\n")),
                }
                let mut used = BTreeSet::new();
                for (key, value, space, lead, trailing, blank) in entries {
                    if !used.insert(key) {
                        continue;
                    }
                    out.push_str(&"\n".repeat(blank));
                    if let Some(c) = lead {
                        out.push_str(&format!("  # {c}\n"));
                    }
                    out.push_str(&format!("{key}{space}={space}{value}"));
                    if let Some(c) = trailing {
                        out.push_str(&format!("{space} #{c}"));
                    }
                    out.push('\n');
                }
                let mut names = BTreeSet::new();
                for (name, netmask) in subnets {
                    if !names.insert(name.clone()) {
                        continue;
                    }
                    out.push_str(&format!(
                        "subnets.{name} = {{ zone = \"z\", netmask = {netmask} }}\n"
                    ));
                }
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Formatting succeeds on any TOML (its own check proves the same values and comments)
    /// and is idempotent.
    #[test]
    fn formatting_is_idempotent_and_keeps_everything(doc in document()) {
        prop_assume!(doc.parse::<toml::Table>().is_ok());
        let once = ipam::fmt::format(&doc);
        prop_assert!(once.is_ok(), "{once:?}\n{doc}");
        let once = once.unwrap_or_default();
        prop_assert_eq!(ipam::fmt::format(&once), Ok(once.clone()), "{}", doc);
    }
}
