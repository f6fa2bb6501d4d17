//! Bad input never panics: mangled versions of the example plans go through parsing and
//! validation and must come out as a model or as diagnostics.

use ipam::config::parse;
use ipam::diag::FileId;
use proptest::prelude::*;

fn example() -> String {
    let mut text = String::new();
    let mut files: Vec<_> = std::fs::read_dir("examples/enterprise")
        .expect("example")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files {
        text.push_str(&std::fs::read_to_string(f).expect("readable"));
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Replace a slice of the plan with random text drawn from TOML's and CIDRs' alphabet.
    #[test]
    fn mangled_plans_never_panic(at in 0.0f64..1.0, cut in 0usize..40, insert in "[a-z0-9./:=\\[\\]{}\", \n-]{0,20}") {
        let text = example();
        let mut start = (text.len() as f64 * at) as usize;
        while !text.is_char_boundary(start) { start -= 1; }
        let mut end = (start + cut).min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        let mangled = format!("{}{}{}", &text[..start], insert, &text[end..]);
        if let Ok(raw_file) = parse(FileId(0), &mangled) {
            let mut sources = ipam::diag::Sources::default();
            sources.add(std::path::Path::new("plan.toml"), mangled.clone());
            let raw = ipam::config::RawPlan { sources, files: vec![(FileId(0), raw_file)], root: std::path::PathBuf::new() };
            let _ = ipam::model::build(&raw);
        }
    }

    /// Random numbers in every netmask-like field.
    #[test]
    fn extreme_numbers_never_panic(n in any::<i64>(), m in any::<i64>()) {
        let text = format!(
            "[ipam]\nname = \"x\"\nregions = [\"r\"]\n[pools.a]\ncidrs = [\"10.0.0.0/8\"]\nallocation = {{ min_netmask = {n}, max_netmask = {m} }}\nalert_at = {n}\n[pools.b]\nparent = \"a\"\nnetmask = {m}\n[layouts.l]\nparent = \"a\"\nlevels = [{{ slots = {n}, names = [\"x\"] }}, {{ slots = {m}, names = [{{ name = \"y\", slot = {n} }}] }}]\n[vpcs.v]\npool = \"a\"\nnetmask = {n}\nsubnets.s = {{ netmask = {m} }}\n"
        );
        let raw_file = parse(FileId(0), &text).expect("valid TOML");
        let mut sources = ipam::diag::Sources::default();
        sources.add(std::path::Path::new("plan.toml"), text.clone());
        let raw = ipam::config::RawPlan { sources, files: vec![(FileId(0), raw_file)], root: std::path::PathBuf::new() };
        let _ = ipam::model::build(&raw);
    }
}
