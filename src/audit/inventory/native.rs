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
//! entry at a time, without an intermediate JSON tree, on all cores ([`stream`]: the list
//! cut into stretches, read from the file in chunks). Each entry is read leniently (a field
//! of the wrong type skips that entry, with the reason) so that one bad entry does not cost
//! the rest of the file. Where the fast reader gives up, the one-pass reader
//! ([`read_one_pass`]) reads the whole text and reports the exact error.

mod de;
mod stream;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::de::DeserializeSeed;
use serde::{Serialize, Serializer};

use super::intern::{Interner, Slot};
use super::normalize::Chunk;
use super::{Discovered, Kind, Sink, Tags, cidr_problem, entry_name, json_error};
use crate::addr::Prefix;
use crate::diag::Diag;
use de::{Entry, FileSeed, Header, Loose, LooseTags};

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
    /// The cloud's ID of the resource (what a plan's `resource_id` names).
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
    /// For a subnet (of any kind), the ID of its network.
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
            .map(|r| {
                let text = |t: &Option<Arc<str>>| t.as_deref().map(str::to_string);
                NativeResource {
                    id: r.id.to_string(),
                    kind: r.kind,
                    cidr: r.cidr,
                    primary: Some(r.primary),
                    region: text(&r.region),
                    account: text(&r.account),
                    vpc_id: text(&r.vpc_id),
                    zone: text(&r.zone),
                    used: r.used,
                    total: r.total,
                    tags: r
                        .tags
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    name: text(&r.name),
                }
            })
            .collect(),
    }
}

/// A parsed document whose `format` says `ipam-inventory`.
pub(super) fn detect(value: &serde_json::Value) -> bool {
    let value = super::json::unwrap_response(value);
    value.get("format").and_then(serde_json::Value::as_str) == Some(FORMAT_NAME)
}

/// How much of the top of a document [`announces`] looks at.
const ANNOUNCEMENT: usize = 4096;

/// True when the top of the document, before its first nested value, says
/// `"format": "ipam-inventory"`: a native inventory can then be read straight into rows. One
/// that puts `format` after `resources` is still recognised, by the slower general path.
pub(super) fn announces(text: &str) -> bool {
    let mut end = text.len().min(ANNOUNCEMENT);
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

/// Reads a native inventory's text into `sink`.
pub(super) fn read(text: &str, sink: &mut Sink) -> Result<(), Box<Diag>> {
    read_text(text, sink, plan())
}

/// Reads the native inventory file at `path` into `sink` straight from the file, when its
/// top announces the format (or `forced`) and it is UTF-8. `Ok(false)` when it is not, or
/// when it has a problem to report: the caller then reads it whole, as any other file, and
/// reports the problem exactly.
pub(super) fn read_file(path: &Path, forced: bool, sink: &mut Sink) -> Result<bool, Box<Diag>> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let Ok(file) = File::open(path) else {
        return Ok(false);
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return Ok(false);
    };
    // What `announces` looks at, and a character's worth more.
    let mut head = Vec::new();
    if file
        .take((BOM.len() + ANNOUNCEMENT + 4) as u64)
        .read_to_end(&mut head)
        .is_err()
    {
        return Ok(false);
    }
    let start = if head.starts_with(BOM) { BOM.len() } else { 0 };
    let head = head[start..].utf8_chunks().next().map_or("", |c| c.valid());
    let announced = head.trim_start().starts_with('{') && announces(head);
    if !(forced || announced) {
        return Ok(false);
    }
    let source = stream::FileSource { path, len };
    let row_source = sink.row_source.clone();
    match stream::read(&source, start as u64, &row_source, plan()) {
        Some((header, parts)) => finish(header, parts, sink).map(|()| true),
        None => Ok(false),
    }
}

/// How a file is read: on the cores, up to 8 (beyond that they wait on memory, not on
/// parsing), in stretches of at least 1 MiB (a few thousand entries: below that a thread
/// costs more than it saves).
fn plan() -> stream::Plan {
    stream::Plan {
        threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        min_part: 1 << 20,
        chunk: stream::Plan::CHUNK,
    }
}

/// [`read`] as `plan` says. The fast reader ([`stream`]) gives up on anything unexpected,
/// and then the text is read again in one pass, which gives the exact error (with its line
/// and column) where there is one.
fn read_text(text: &str, sink: &mut Sink, plan: stream::Plan) -> Result<(), Box<Diag>> {
    let row_source = sink.row_source.clone();
    match stream::read(&text.as_bytes(), 0, &row_source, plan) {
        Some((header, parts)) => finish(header, parts, sink),
        None => read_one_pass(text, sink),
    }
}

/// Reads the text in one pass with serde_json, without cutting it up.
fn read_one_pass(text: &str, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let mut part = Part::new(sink.row_source.clone(), text.len(), Interner::default());
    let mut de = serde_json::Deserializer::from_str(text);
    let header = FileSeed { part: &mut part }
        .deserialize(&mut de)
        .map_err(|e| json_error(&sink.source, &e))?;
    de.end().map_err(|e| json_error(&sink.source, &e))?;
    finish(header, vec![part], sink)
}

/// Hands the parts' rows and skips to `sink`, then checks what the top of the document said.
fn finish(header: Header, parts: Vec<Part>, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let mut first = 0;
    for part in parts {
        first += part.join(sink, first);
    }
    check_header(header, sink)
}

fn check_header(header: Header, sink: &Sink) -> Result<(), Box<Diag>> {
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

/// The rows and skips of one stretch of the `resources` list, read by one thread.
pub(super) struct Part {
    rows: Vec<Option<Discovered>>,
    given: Vec<Option<bool>>,
    /// Skipped entries: index within the stretch, ID where there is one, reason. Named in
    /// full (`resources[N]`) when the stretches are joined and the index of the first is known.
    skips: Vec<(usize, Option<Arc<str>>, String)>,
    /// Entries read.
    entries: usize,
    strings: Interner,
    source: Arc<str>,
}

impl Part {
    /// A part for `bytes` of the list, with room for the rows of typical entries (150 to 250
    /// bytes; a minimal one is 45): growing a vector of a million rows copies them again and
    /// again, while memory reserved and never written costs next to nothing. `strings`: the
    /// values the thread has met so far.
    fn new(source: Arc<str>, bytes: usize, strings: Interner) -> Part {
        let guess = bytes / 100;
        Part {
            rows: Vec::with_capacity(guess),
            given: Vec::with_capacity(guess),
            skips: Vec::new(),
            entries: 0,
            strings,
            source,
        }
    }

    /// Hands the rows and skips to `sink`; `first` is the index of the part's first entry.
    fn join(self, sink: &mut Sink, first: usize) -> usize {
        let Part {
            rows,
            given,
            skips,
            entries,
            source,
            ..
        } = self;
        sink.chunks.push(Chunk {
            source,
            rows,
            given,
        });
        for (index, id, reason) in skips {
            let position = format!("resources[{}]", first + index);
            sink.skip(&entry_name(id.as_deref(), &position), reason);
        }
        entries
    }

    /// Turns one entry into a row, or a skip with every problem it has.
    fn convert(&mut self, e: Entry) {
        let index = self.entries;
        self.entries += 1;
        if let Some(kind) = e.not_object {
            self.skips
                .push((index, None, format!("not a resource: {kind}")));
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
        let strings = &mut self.strings;
        let mut shared = |value, name, field, problems: &mut Vec<String>| {
            text(value, name, problems).map(|t| strings.shared(field, &t))
        };
        let region = shared(e.region, "region", Slot::Region, &mut problems);
        let account = shared(e.account, "account", Slot::Account, &mut problems);
        let vpc_id = shared(e.vpc_id, "vpc_id", Slot::VpcId, &mut problems);
        let zone = shared(e.zone, "zone", Slot::Zone, &mut problems);
        let name = text(e.name, "name", &mut problems).map(|t| strings.recent(Slot::Name, &t));
        let used = count(e.used, "used", &mut problems);
        let total = count(e.total, "total", &mut problems);
        if let (Some(u), Some(t)) = (used, total)
            && u > t
        {
            problems.push(format!("`used` ({u}) is more than `total` ({t})"));
        }
        let tags = match e.tags {
            None => Tags::default(),
            Some(LooseTags(Ok(pairs))) => self.strings.tags(pairs),
            Some(LooseTags(Err(problem))) => {
                problems.push(problem);
                Tags::default()
            }
        };
        let id = id.map(|t| self.strings.recent(Slot::Id, &t));
        if id.is_none() {
            problems.insert(0, "no `id`".into());
        }
        if !problems.is_empty() {
            self.skips.push((index, id, problems.join("; ")));
            return;
        }
        let (Some(id), Some(kind), Some(cidr)) = (id, kind, cidr) else {
            return;
        };
        self.rows.push(Some(Discovered {
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
            source: self.source.clone(),
            primary: false,
        }));
        self.given.push(primary);
    }
}

/// A text field: a string (empty means absent), trimmed, or an integer (account numbers).
fn text<'de>(
    value: Option<Loose<'de>>,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<Cow<'de, str>> {
    match value? {
        Loose::Str(s) if untrimmed(&s) => Some(s),
        Loose::Str(s) if s.trim().is_empty() => None,
        Loose::Str(Cow::Borrowed(s)) => Some(Cow::Borrowed(s.trim())),
        Loose::Str(s) => Some(Cow::Owned(s.trim().to_string())),
        Loose::Int(n) => Some(Cow::Owned(n.to_string())),
        Loose::Null => None,
        other => {
            problems.push(format!("`{name}` must be a string, found {}", other.kind()));
            None
        }
    }
}

/// True when `s` is not empty and starts and ends with a printable ASCII character, so that
/// trimming it leaves it as it is: the common case, told without a Unicode-aware scan.
fn untrimmed(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(u8::is_ascii_graphic) && b.last().is_some_and(u8::is_ascii_graphic)
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

#[cfg(test)]
mod tests;
