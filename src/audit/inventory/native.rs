//! The native inventory format: what other tools (a CMDB, a script over several clouds) write
//! for ipam, one entry per resource CIDR, documented by [`NativeInventory`]'s schema.
//!
//! ```json
//! {
//!   "format": "ipam-inventory",
//!   "format_version": 1,
//!   "resources": [
//!     {"id": "vpc-1", "type": "vpc", "cidr": "10.0.0.0/16", "region": "eu-west-1",
//!      "account": "111122223333", "tags": {"env": "prod"}, "name": "prod"},
//!     {"id": "vpc-1", "type": "vpc", "cidr": "10.1.0.0/16", "primary": false},
//!     {"id": "subnet-1", "type": "subnet", "cidr": "10.0.1.0/24", "vpc_id": "vpc-1",
//!      "zone": "eu-west-1a", "used": 12, "total": 251}
//!   ]
//! }
//! ```
//!
//! Inventories run to a million entries, so the reader deserializes straight into rows, one
//! entry at a time, without an intermediate JSON tree. Each entry is read leniently (a field
//! of the wrong type skips that entry, with the reason) so that one bad entry does not cost
//! the rest of the file.

mod de;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::DeserializeSeed;
use serde::{Serialize, Serializer};

use super::{Discovered, Kind, Sink, cidr_problem, entry_name, json_error};
use crate::addr::Prefix;
use crate::diag::Diag;
use de::{Entry, FileSeed, Loose, LooseTags};

/// The value of `format` that marks a native inventory.
pub const FORMAT_NAME: &str = "ipam-inventory";

/// The version of the native format this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;

/// A native inventory: what `schemas/` documents and what [`to_native`] writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(title = "ipam inventory")]
pub struct NativeInventory {
    /// Always `ipam-inventory`: how the format is recognised.
    #[schemars(schema_with = "format_schema")]
    pub format: String,
    /// The version of this format. ipam refuses a version newer than it knows.
    pub format_version: u64,
    /// One entry per resource CIDR: a VPC with a secondary block is listed twice, with the
    /// same `id`. Unknown fields are ignored.
    pub resources: Vec<NativeResource>,
}

/// One resource CIDR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct NativeResource {
    /// The cloud's ID of the VPC or subnet (what a plan's `resource_id` names).
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// The block, canonical (no host bits set). IPv4 or IPv6.
    pub cidr: Prefix,
    /// Whether this is the block that identifies the resource: a VPC's primary IPv4 block, a
    /// subnet's IPv4 block. When no entry of an `id` says, its first IPv4 entry is primary
    /// (its first entry when it has no IPv4 one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The owner account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// For a subnet, the ID of its VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// For a subnet, its availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Addresses in use in the block, where known.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_count"
    )]
    #[schemars(schema_with = "count_schema")]
    pub used: Option<u128>,
    /// Usable addresses in the block (its size minus what the provider reserves), where
    /// known.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_count"
    )]
    #[schemars(schema_with = "count_schema")]
    pub total: Option<u128>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn format_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "Always `ipam-inventory`: how the format is recognised.",
        "type": "string",
        "const": FORMAT_NAME
    })
}

fn count_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "An address count: an integer, or a decimal string for counts beyond 2^64 (IPv6).",
        "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": "^[0-9]+$" },
            { "type": "null" }
        ]
    })
}

/// Counts up to 2^64 as JSON integers, larger ones as decimal strings.
fn serialize_count<S: Serializer>(count: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
    match count {
        Some(n) => match u64::try_from(*n) {
            Ok(small) => s.serialize_u64(small),
            Err(_) => s.collect_str(n),
        },
        None => s.serialize_none(),
    }
}

/// The JSON Schema of the native format (draft-07), for `schemas/`.
pub fn native_schema() -> schemars::Schema {
    schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<NativeInventory>()
}

/// Rows as a native inventory, each with its `primary` written out.
pub fn to_native(rows: &[Discovered]) -> NativeInventory {
    NativeInventory {
        format: FORMAT_NAME.to_string(),
        format_version: FORMAT_VERSION,
        resources: rows
            .iter()
            .map(|r| NativeResource {
                id: r.id.clone(),
                kind: r.kind,
                cidr: r.cidr,
                primary: Some(r.primary),
                region: r.region.clone(),
                account: r.account.clone(),
                vpc_id: r.vpc_id.clone(),
                zone: r.zone.clone(),
                used: r.used,
                total: r.total,
                tags: r.tags.clone(),
                name: r.name.clone(),
            })
            .collect(),
    }
}

/// True when the top of the document, before its first nested value, says
/// `"format": "ipam-inventory"`: a native inventory can then be parsed in one pass. One that
/// puts `format` after `resources` is still recognised, by the slower general path.
pub(super) fn announces(text: &str) -> bool {
    let mut end = text.len().min(4096);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let Some(open) = head.find('{') else {
        return false;
    };
    let after = &head[open + 1..];
    let mut top = &after[..after.find(['{', '[']).unwrap_or(after.len())];
    const KEY: &str = "\"format\"";
    while let Some(i) = top.find(KEY) {
        top = &top[i + KEY.len()..];
        if let Some(value) = top.trim_start().strip_prefix(':')
            && value.trim_start().starts_with("\"ipam-inventory\"")
        {
            return true;
        }
    }
    false
}

/// Reads a native inventory into `sink`.
pub(super) fn read(text: &str, sink: &mut Sink) -> Result<(), Box<Diag>> {
    // A guess at the number of entries (a typical one has 150 to 250 bytes, a minimal one
    // 45): growing a vector of a million rows copies them again and again, while memory
    // reserved and never written costs next to nothing.
    let guess = text.len() / 100;
    sink.rows.reserve(guess);
    sink.given.reserve(guess);
    let mut de = serde_json::Deserializer::from_str(text);
    let header = FileSeed { sink: &mut *sink }
        .deserialize(&mut de)
        .map_err(|e| json_error(&sink.source, &e))?;
    de.end().map_err(|e| json_error(&sink.source, &e))?;
    let problem = |message: String, help: &str| {
        Box::new(Diag::error("ipam::audit::version", message).help(help.to_string()))
    };
    match header.format {
        None => {}
        Some(Loose::Str(f)) if f == FORMAT_NAME => {}
        Some(other) => {
            return Err(problem(
                format!(
                    "{}: `format` is {}, not \"{FORMAT_NAME}\"",
                    sink.source,
                    other.describe()
                ),
                "a native inventory starts with \"format\": \"ipam-inventory\"; for another format, name it with --format",
            ));
        }
    }
    match header.format_version {
        Some(Loose::Int(v)) if v == FORMAT_VERSION => {}
        Some(Loose::Int(v)) if v > FORMAT_VERSION => {
            return Err(problem(
                format!(
                    "{} is a native inventory of format_version {v}; this ipam reads version {FORMAT_VERSION}",
                    sink.source
                ),
                "upgrade ipam, or have the exporter write format_version 1",
            ));
        }
        None => {
            return Err(problem(
                format!("{} has no `format_version`", sink.source),
                "add \"format_version\": 1 beside \"format\"",
            ));
        }
        Some(other) => {
            return Err(problem(
                format!(
                    "{}: `format_version` is {}, not a known version",
                    sink.source,
                    other.describe()
                ),
                "this ipam reads \"format_version\": 1",
            ));
        }
    }
    if !header.resources {
        return Err(problem(
            format!("{} has no `resources` list", sink.source),
            "list the resource CIDRs under \"resources\": [...]",
        ));
    }
    Ok(())
}

/// A text field: a string (empty means absent) or an integer (account numbers).
fn text(value: Option<Loose>, name: &str, problems: &mut Vec<String>) -> Option<String> {
    match value? {
        Loose::Str(s) if s.trim().is_empty() => None,
        Loose::Str(s) if s.trim().len() == s.len() => Some(s.into_owned()),
        Loose::Str(s) => Some(s.trim().to_string()),
        Loose::Int(n) => Some(n.to_string()),
        Loose::Null => None,
        other => {
            problems.push(format!("`{name}` must be a string, found {}", other.kind()));
            None
        }
    }
}

/// An address count: an integer or a decimal string.
fn count(value: Option<Loose>, name: &str, problems: &mut Vec<String>) -> Option<u128> {
    match value? {
        Loose::Int(n) => Some(u128::from(n)),
        Loose::Str(s) => match s.trim().parse::<u128>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(format!("`{name}` is {s:?}, not a count of addresses"));
                None
            }
        },
        Loose::Null => None,
        other => {
            problems.push(format!(
                "`{name}` must be a count of addresses, found {}",
                other.kind()
            ));
            None
        }
    }
}

/// Turns one entry into a row, or a skip with every problem it has.
fn convert(e: Entry, index: usize, sink: &mut Sink) {
    let position = || format!("resources[{index}]");
    if let Some(kind) = e.not_object {
        sink.skip(&position(), format!("not a resource: {kind}"));
        return;
    }
    let mut problems = Vec::new();
    let id = text(e.id, "id", &mut problems);
    let kind = match e.kind {
        Some(Loose::Str(s)) => Kind::parse(&s).or_else(|| {
            problems.push(format!("`type` is {s:?}: expected \"vpc\" or \"subnet\""));
            None
        }),
        None | Some(Loose::Null) => {
            problems.push("no `type`".into());
            None
        }
        Some(other) => {
            problems.push(format!(
                "`type` must be \"vpc\" or \"subnet\", found {}",
                other.kind()
            ));
            None
        }
    };
    let cidr = match e.cidr {
        Some(Loose::Str(s)) => match s.parse::<Prefix>() {
            Ok(p) => Some(p),
            Err(err) => {
                problems.push(cidr_problem("cidr", &s, &err));
                None
            }
        },
        None | Some(Loose::Null) => {
            problems.push("no `cidr`".into());
            None
        }
        Some(other) => {
            problems.push(format!("`cidr` must be a string, found {}", other.kind()));
            None
        }
    };
    let primary = match e.primary {
        None | Some(Loose::Null) => None,
        Some(Loose::Bool(b)) => Some(b),
        Some(other) => {
            problems.push(format!(
                "`primary` must be true or false, found {}",
                other.kind()
            ));
            None
        }
    };
    let region = text(e.region, "region", &mut problems);
    let account = text(e.account, "account", &mut problems);
    let vpc_id = text(e.vpc_id, "vpc_id", &mut problems);
    let zone = text(e.zone, "zone", &mut problems);
    let name = text(e.name, "name", &mut problems);
    let used = count(e.used, "used", &mut problems);
    let total = count(e.total, "total", &mut problems);
    if let (Some(u), Some(t)) = (used, total)
        && u > t
    {
        problems.push(format!("`used` ({u}) is more than `total` ({t})"));
    }
    let tags = match e.tags {
        None => BTreeMap::new(),
        Some(LooseTags(Ok(tags))) => tags,
        Some(LooseTags(Err(problem))) => {
            problems.push(problem);
            BTreeMap::new()
        }
    };
    if id.is_none() {
        problems.insert(0, "no `id`".into());
    }
    if !problems.is_empty() {
        sink.skip(&entry_name(id.as_deref(), &position()), problems.join("; "));
        return;
    }
    let (Some(id), Some(kind), Some(cidr)) = (id, kind, cidr) else {
        return;
    };
    sink.rows.push(Discovered {
        id,
        kind,
        cidr,
        region,
        account,
        vpc_id,
        zone,
        used,
        total,
        tags,
        name,
        source: sink.source.clone(),
        primary: false,
    });
    sink.given.push(primary);
}

#[cfg(test)]
mod tests {
    use super::de::{ENTRY_FIELDS, Field};
    use super::*;

    #[test]
    fn announcement_is_read_from_the_top_only() {
        assert!(announces(
            r#"{"format": "ipam-inventory", "format_version": 1, "resources": []}"#
        ));
        assert!(announces("{\n  \"format\" :\n \"ipam-inventory\"\n}"));
        assert!(!announces(
            r#"{"resources": [], "format": "ipam-inventory"}"#
        ));
        assert!(!announces(r#"{"outputs": {"format": "ipam-inventory"}}"#));
        assert!(!announces(r#"{"format_version": "ipam-inventory"}"#));
        assert!(!announces("é".repeat(3000).as_str()));
    }

    #[test]
    fn the_reader_knows_every_field_the_schema_documents() {
        let schema = serde_json::to_value(native_schema()).expect("schema");
        let properties = schema["definitions"]["NativeResource"]["properties"]
            .as_object()
            .expect("resource properties");
        let mut documented: Vec<&str> = properties.keys().map(String::as_str).collect();
        documented.sort_unstable();
        let mut read: Vec<&str> = ENTRY_FIELDS.iter().map(|(name, _)| *name).collect();
        read.sort_unstable();
        assert_eq!(documented, read);
        for (name, field) in ENTRY_FIELDS {
            let parsed: Field = serde_json::from_value(serde_json::json!(name)).expect("field");
            assert_eq!(parsed, field, "{name}");
        }
        let required = schema["definitions"]["NativeResource"]["required"]
            .as_array()
            .expect("required");
        assert_eq!(required.len(), 3, "{required:?}");
        assert_eq!(schema["properties"]["format"]["const"], FORMAT_NAME);
    }

    #[test]
    fn counts_beyond_u64_are_written_as_strings() {
        let resource = NativeResource {
            id: "s".into(),
            kind: Kind::Subnet,
            cidr: "2001:db8::/64".parse().expect("cidr"),
            primary: None,
            region: None,
            account: None,
            vpc_id: None,
            zone: None,
            used: Some(5),
            total: Some(1 << 64),
            tags: BTreeMap::new(),
            name: None,
        };
        let json = serde_json::to_value(&resource).expect("json");
        assert_eq!(json["used"], 5);
        assert_eq!(json["total"], "18446744073709551616");
        assert_eq!(json["type"], "subnet");
    }
}
