//! A state file of any bytes: decoded, checked, and shown (tree, JSON, outputs, usage) when
//! it is sound; its diagnostics rendered when it is not. Nothing may panic.
#![no_main]

use std::path::Path;

use ipam::render::{Style, diag};
use ipam::state::{Location, file::decode, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("ipam.state.json");
    let location = Location::File(path.to_path_buf());
    match decode(path, data.to_vec()).and_then(|s| verify(&location, Some(s))) {
        Ok(Some(state)) => {
            let records = &state.resources;
            let _ = ipam::render::state::tree(records, &Default::default());
            let _ = ipam::render::state::json(records, Some(state.serial), Some(&state.lineage));
            let _ = ipam::render::state::csv(records);
            let _ = ipam::state::usage::utilization(records);
        }
        Ok(None) => {}
        Err(e) => {
            let _ = diag::text(&e.diagnostics(), Style { colour: false });
        }
    }
});
