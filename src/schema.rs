//! JSON Schemas of the files users write and read, generated from the Rust types so they
//! cannot drift (draft-07, which taplo and Even Better TOML understand).

use schemars::generate::SchemaSettings;

use crate::config::RawFile;

/// The documents with a schema, by the name `ipam schema NAME` takes and the file in
/// `schemas/` it is committed as.
pub const SCHEMAS: &[(&str, &str)] = &[
    ("plan", "plan.schema.json"),
    ("state", "state.schema.json"),
    ("plan-output", "plan-output.schema.json"),
    ("show", "show.schema.json"),
    ("audit", "audit.schema.json"),
    ("inventory", "inventory.schema.json"),
];

fn pretty<T: schemars::JsonSchema>() -> String {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// The schema of a plan file, pretty-printed.
pub fn plan_schema() -> String {
    pretty::<RawFile>()
}

/// The schema named in [`SCHEMAS`], pretty-printed.
pub fn schema(name: &str) -> Option<String> {
    match name {
        "plan" => Some(plan_schema()),
        "state" => Some(pretty::<crate::state::State>()),
        "plan-output" => Some(pretty::<crate::render::PlanDocument>()),
        "show" => Some(pretty::<crate::render::ShowDocument>()),
        "audit" => Some(pretty::<crate::render::audit::AuditDocument>()),
        "inventory" => Some(pretty::<crate::audit::NativeInventory>()),
        _ => None,
    }
}
