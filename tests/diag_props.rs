//! Rendering any diagnostic never panics, whatever the line lengths and spans (a minified
//! state on one line, a 65,600-character description next to a bad CIDR), and long lines
//! never reach the output whole.

use std::path::Path;

use ipam::diag::{Diag, Diagnostics, Loc, Sources};
use ipam::render::{Style, diag::text};
use proptest::prelude::*;

/// Text of a few lines, some of them very long, with multi-byte characters.
fn source() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[a-z =\"é]{0,40}",
        (1usize..3, "[xé]").prop_map(|(k, c)| c.repeat(k * 40_000)),
        Just(String::new()),
    ];
    prop::collection::vec(line, 1..5).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_span_of_any_source_renders(
        text in source(),
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
        note in any::<prop::sample::Index>(),
    ) {
        let len = text.len() + 1;
        let (a, b) = (a.index(len), b.index(len));
        let (start, end) = (a.min(b), a.max(b));
        let note = note.index(len);
        let mut sources = Sources::default();
        let id = sources.add(Path::new("plan.toml"), text.clone());
        let other = sources.add(Path::new("other.toml"), text.clone());
        let d = Diag::error("ipam::test", "a problem")
            .at(&Loc::new(id, start..end), "here")
            .note(&Loc::new(id, note..note), "and here")
            .note(&Loc::new(other, note..note), "elsewhere")
            .help("fix it");
        let out = text_of(Diagnostics::new(sources, vec![d]));
        prop_assert!(out.contains("a problem"));
        prop_assert!(out.lines().all(|l| l.chars().count() < 1_000), "a long line was printed whole");
    }
}

fn text_of(d: Diagnostics) -> String {
    text(&d, Style { colour: false })
}
