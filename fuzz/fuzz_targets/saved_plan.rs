//! A saved plan file of any bytes: parsed, and when it is one, rendered in every plan format
//! and applied to an empty state (which must refuse an inconsistent one, never panic).
#![no_main]

use std::path::Path;

use ipam::plan::saved::SavedPlan;
use ipam::render::Style;
use ipam::state::Records;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match SavedPlan::parse(Path::new("saved.json"), text) {
        Ok(saved) => {
            let _ = ipam::render::plan::text(&saved.plan, Style { colour: false });
            let _ = ipam::render::plan::markdown(&saved.plan, Default::default());
            let _ = ipam::render::plan::json(&saved.plan);
            if let Ok((records, _)) = ipam::apply::apply(&Records::default(), &saved.plan) {
                assert!(ipam::state::check::check(&records).is_empty());
            }
        }
        Err(e) => {
            let _ = e.diag();
        }
    }
});
