//! A plan file of any bytes: parsed, validated, planned against an empty state and against
//! the state its own first apply writes, with every diagnostic rendered. Nothing may panic.
#![no_main]

use std::path::Path;

use ipam::config::RawPlan;
use ipam::diag::{Diagnostics, Sources};
use ipam::render::{Style, diag};
use ipam::state::Records;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = Sources::default();
    let id = sources.add(Path::new("plan.toml"), text.to_string());
    let file = match ipam::config::parse(id, text) {
        Ok(file) => file,
        Err(diags) => {
            let _ = diag::text(&Diagnostics::new(sources, diags), Style { colour: false });
            return;
        }
    };
    let raw = RawPlan {
        sources: sources.clone(),
        files: vec![(id, file)],
        root: std::path::PathBuf::new(),
    };
    let model = match ipam::model::build(&raw) {
        Ok(model) => model,
        Err(diags) => {
            let _ = diag::text(&Diagnostics::new(sources, diags), Style { colour: false });
            return;
        }
    };
    match ipam::plan::plan(&model, &Records::default()) {
        Ok(plan) => {
            let _ = ipam::render::plan::text(&plan, Style { colour: false });
            let _ = ipam::render::plan::markdown(&plan, Default::default());
            let _ = ipam::render::plan::json(&plan);
            if let Ok((records, _)) = ipam::apply::apply(&Records::default(), &plan) {
                assert!(ipam::state::check::check(&records).is_empty());
                let again = ipam::plan::plan(&model, &records).expect("a plan over its own apply");
                assert!(!again.has_changes(), "a plan after apply has changes");
            }
        }
        Err(diags) => {
            let _ = diag::text(&Diagnostics::new(sources, diags), Style { colour: false });
        }
    }
});
