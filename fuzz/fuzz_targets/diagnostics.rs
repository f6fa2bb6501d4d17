//! Rendering a diagnostic on any text at any span (and a note at another) never panics and
//! never prints a line of the text whole when it is longer than the renderer shows.
#![no_main]

use std::path::Path;

use ipam::diag::{Diag, Diagnostics, Loc, Sources};
use ipam::render::{Style, diag};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let (head, rest) = data.split_at(6);
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let at = |i: usize| {
        let n = u16::from_le_bytes([head[i], head[i + 1]]) as usize;
        n % (text.len() + 1)
    };
    let (a, b, note) = (at(0), at(2), at(4));
    let mut sources = Sources::default();
    let id = sources.add(Path::new("plan.toml"), text.to_string());
    let d = Diag::error("ipam::fuzz", "a problem")
        .at(&Loc::new(id, a.min(b)..a.max(b)), "here")
        .note(&Loc::new(id, note..note), "and here")
        .help("fix it");
    let out = diag::text(&Diagnostics::new(sources, vec![d]), Style { colour: false });
    assert!(out.lines().all(|l| l.chars().count() < 2_000));
});
