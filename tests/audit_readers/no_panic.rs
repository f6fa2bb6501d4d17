//! No input panics: every truncation of every inventory, mangled texts and flipped bytes
//! (property tests), read with detection and with every format forced.

use std::path::PathBuf;

use ipam::audit::inventory::{self, Format};
use proptest::prelude::*;

use super::{dir, path};

/// Found by `byte_flips_never_panic`: a top-level key whose fourth byte is inside a
/// multi-byte character.
#[test]
fn keys_that_are_not_ascii_are_read_without_panic() {
    for text in [
        "{\"ver\u{fffd}ion\": 4}",
        "{\"Ip\u{e4}mPools\": []}",
        "{\"ipa\u{e9}\": 1}",
    ] {
        let e = inventory::parse(text, "x.json", None).expect_err(text);
        assert_eq!(e.code, "ipam::audit::format", "{text}");
    }
}

/// Every inventory under `tests/inventories/`, samples included.
fn file_texts() -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("inventories")
        .chain(std::fs::read_dir(path("samples")).expect("samples"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("text"))
        .collect()
}

/// [`file_texts`], and each JSON one followed by the next (several documents in one file,
/// as a per-region loop writes them).
fn all_texts() -> Vec<String> {
    let texts = file_texts();
    let json: Vec<&String> = texts
        .iter()
        .filter(|t| t.trim_start().starts_with(['{', '[']))
        .collect();
    let pairs: Vec<String> = json
        .windows(2)
        .map(|w| format!("{}\n{}", w[0], w[1]))
        .collect();
    texts.into_iter().chain(pairs).collect()
}

/// Reads `text` with detection and with every format forced; only panics matter.
fn read_every_way(text: &str) {
    let _ = inventory::detect(text);
    let _ = inventory::parse(text, "mangled", None);
    for &format in Format::ALL {
        let _ = inventory::parse(text, "mangled", Some(format));
    }
}

#[test]
fn every_truncation_of_every_inventory_is_read_without_panic() {
    for text in file_texts() {
        let step = (text.len() / 150).max(1);
        for end in (0..text.len()).step_by(step) {
            if text.is_char_boundary(end) {
                read_every_way(&text[..end]);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Replace a slice of an inventory with text from JSON's, CSV's and CIDRs' alphabet.
    #[test]
    fn mangled_inventories_never_panic(
        file in 0usize..256,
        at in 0.0f64..1.0,
        cut in 0usize..40,
        insert in "[a-zA-Z0-9./:=\\[\\]{}\",;*\n -]{0,20}",
    ) {
        let texts = all_texts();
        let text = &texts[file % texts.len()];
        let mut start = (text.len() as f64 * at) as usize;
        while !text.is_char_boundary(start) { start -= 1; }
        let mut end = (start + cut).min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        read_every_way(&format!("{}{}{}", &text[..start], insert, &text[end..]));
    }

    /// Flip bytes anywhere (the result read as text, lossily).
    #[test]
    fn byte_flips_never_panic(
        file in 0usize..256,
        flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 1..6),
    ) {
        let texts = all_texts();
        let mut bytes = texts[file % texts.len()].clone().into_bytes();
        for (at, byte) in flips {
            if bytes.is_empty() { break; }
            let i = ((bytes.len() as f64 * at) as usize).min(bytes.len() - 1);
            bytes[i] = byte;
        }
        read_every_way(&String::from_utf8_lossy(&bytes));
    }
}
