//! Inventory readers (SPEC §8): every cloud sample and every hand-made inventory reads to
//! exactly the rows and skips expected; broken files give a clear error naming the file;
//! mangled files never panic. This file holds the helpers the tests share; the tests are
//! grouped by format, then reading several files at once and broken ones (`files`), and
//! mangled ones (`no_panic`).
//!
//! The samples in `tests/inventories/samples/` are real provider outputs (documentation
//! examples, masked IDs and all); the other files under `tests/inventories/` are made by hand
//! to cover what real exports vary in.

use std::path::{Path, PathBuf};

use ipam::audit::inventory::{self, Discovered, Format, Inventory};

mod alibaba;
mod aws;
mod azure;
mod csv;
mod files;
mod gcp;
mod native;
mod netbox;
mod no_panic;
mod terraform;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inventories")
}

fn path(name: &str) -> PathBuf {
    dir().join(name)
}

fn read(name: &str) -> Inventory {
    inventory::read(&path(name), None)
        .unwrap_or_else(|e| panic!("{name}: {} ({:?})", e.message, e.help))
}

fn format(name: &str) -> Format {
    Format::named(name).unwrap_or_else(|| panic!("no format {name}"))
}

fn read_error(name: &str, format: Option<Format>) -> ipam::diag::Diag {
    match inventory::read(&path(name), format) {
        Ok(inv) => panic!("{name} read: {inv:?}"),
        Err(e) => *e,
    }
}

/// `(id, type, cidr, primary)` of every row, in the inventory's order.
fn rows(inv: &Inventory) -> Vec<(String, &'static str, String, bool)> {
    inv.resources
        .iter()
        .map(|r| {
            (
                r.id.to_string(),
                r.kind.as_str(),
                r.cidr.to_string(),
                r.primary,
            )
        })
        .collect()
}

fn expect_rows(inv: &Inventory, expected: &[(&str, &str, &str, bool)]) {
    let expected: Vec<(String, &str, String, bool)> = expected
        .iter()
        .map(|(id, kind, cidr, primary)| (id.to_string(), *kind, cidr.to_string(), *primary))
        .collect();
    assert_eq!(rows(inv), expected);
}

/// `(entry, reason)` of every skip, the file's directory taken off.
fn skips(inv: &Inventory) -> Vec<(String, String)> {
    let prefix = format!("{}/", dir().display());
    inv.skipped
        .iter()
        .map(|s| (s.source.replace(&prefix, ""), s.reason.clone()))
        .collect()
}

fn expect_skips(inv: &Inventory, expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(s, r)| (s.to_string(), r.to_string()))
        .collect();
    assert_eq!(skips(inv), expected);
}

fn find<'a>(inv: &'a Inventory, id: &str, cidr: &str) -> &'a Discovered {
    inv.resources
        .iter()
        .find(|r| &*r.id == id && r.cidr.to_string() == cidr)
        .unwrap_or_else(|| panic!("no row {id} {cidr}"))
}

fn tags(pairs: &[(&str, &str)]) -> inventory::Tags {
    pairs.iter().copied().collect()
}

const MASKED: &str = "is masked: the export hides part of the address";
