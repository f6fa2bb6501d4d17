//! JSON Schemas of the files users write and read, generated from the Rust types so they
//! cannot drift (draft-07, which taplo and Even Better TOML understand).

use schemars::generate::SchemaSettings;

use crate::config::RawFile;

/// The schema of a plan file, pretty-printed.
pub fn plan_schema() -> String {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<RawFile>();
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
