//! NetBox prefixes: the REST API's JSON (`/api/ipam/prefixes/`: a page `{"count", "next",
//! "results": [...]}`, a list, or one prefix) and CSV (the bulk-import layout `vrf,prefix,
//! status`, or a table export whose header has the column titles `Prefix`, `Status`, `VRF`,
//! `Tenant`, `Site`/`Scope`, `Description`, `ID`, ...).
//!
//! A prefix is a `prefix` row: named `prefix-ID` by its NetBox ID, or, where the export has
//! no ID, by its CIDR (`VRF:CIDR` in a VRF); its tenant as the account, its site (NetBox 3.x
//! `site`, 4.2+ `scope`) as the zone, its description as the name, its tags (which have no
//! values) as tags with empty values. VRFs are not told apart: a prefix is audited by its
//! CIDR in the plan's scopes. A `container` prefix only groups others (the networks are the
//! prefixes inside it) and is listed as skipped, as are NetBox objects that are not
//! prefixes (aggregates, IP ranges).

use std::collections::BTreeMap;

use serde_json::Value;

use super::csv::Records;
use super::doc::{Doc, entries};
use super::json::{first_object, has_any};
use super::json::{get, get_any, items, kind_of, text};
use super::{Kind, RawCidr, Resource, Sink, entry_name, not_this_format};
use crate::diag::Diag;

/// What a prefix says, however the export wrote it.
#[derive(Default)]
struct Prefix {
    id: Option<String>,
    prefix: Option<String>,
    status: Option<String>,
    vrf: Option<String>,
    tenant: Option<String>,
    site: Option<String>,
    description: Option<String>,
    tags: Vec<String>,
}

const CONTAINER: &str =
    "a container: it groups other prefixes, and the networks are the prefixes inside it";

impl Prefix {
    /// The row of a prefix, or the skip of one that is not a network.
    fn emit(self, position: &str, sink: &mut Sink) {
        let id = match (&self.id, &self.prefix) {
            (Some(id), _) => Some(format!("prefix-{id}")),
            (None, Some(prefix)) => Some(match &self.vrf {
                Some(vrf) => format!("{vrf}:{prefix}"),
                None => prefix.clone(),
            }),
            (None, None) => None,
        };
        let entry = entry_name(id.as_deref(), position);
        let (Some(id), Some(prefix)) = (id, self.prefix) else {
            sink.skip(&entry, "no `prefix`");
            return;
        };
        if self
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("container"))
        {
            sink.skip(&entry, CONTAINER);
            return;
        }
        let resource = Resource {
            id,
            kind: Kind::Prefix,
            region: None,
            account: self.tenant,
            vpc_id: None,
            zone: self.site,
            tags: self
                .tags
                .into_iter()
                .map(|t| (t, String::new()))
                .collect::<BTreeMap<_, _>>(),
            name: self.description,
        };
        sink.emit(
            &entry,
            resource,
            vec![RawCidr::new("prefix", prefix, true)],
            "prefix",
        );
    }
}

/// NetBox JSON: a page of results, a list of prefixes, or one prefix.
pub(super) fn detect_json(value: &Value) -> bool {
    let prefix = |v: &Value| has_any(v, &["prefix"]);
    if let Some(results) = get(value, "results") {
        return has_any(value, &["count", "next", "previous"])
            && first_object(results).is_none_or(prefix);
    }
    match first_object(value) {
        Some(first) => prefix(first),
        None => {
            value.is_object()
                && prefix(value)
                && has_any(value, &["family", "url", "display", "status"])
        }
    }
}

/// The name of a related object: `{"name": "VRF 1", ...}`, or a string.
fn related(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Object(_) => text(get_any(v?, &["name", "display", "slug"])),
        other => text(Some(other)),
    }
}

/// Reads NetBox JSON.
pub(super) fn read_json(doc: Doc, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let list = match entries(doc, &["results"], &[]) {
        Some(list) => list,
        None if doc.is_object() => vec![(String::new(), doc)],
        None => {
            return Err(not_this_format(
                sink,
                "netbox",
                "has no `results` list",
                "export it from NetBox's /api/ipam/prefixes/",
            ));
        }
    };
    sink.each(&list, |(position, entry), sink| {
        prefix_entry(position, *entry, sink)
    });
    Ok(())
}

/// One result: a prefix, or something else (skipped).
fn prefix_entry(position: &str, doc: Doc, sink: &mut Sink) {
    let v = doc.value();
    let position = if position.is_empty() {
        "the document"
    } else {
        position
    };
    if !v.is_object() {
        sink.skip(position, format!("not a prefix: {}", kind_of(&v)));
        return;
    }
    let not_a_prefix = if has_any(&v, &["rir"]) {
        Some("a NetBox aggregate, not a prefix")
    } else if has_any(&v, &["start_address"]) {
        Some("a NetBox IP range, not a prefix")
    } else {
        None
    };
    if let Some(what) = not_a_prefix {
        sink.skip(&entry_name(text(get(&v, "id")).as_deref(), position), what);
        return;
    }
    let status = get(&v, "status").and_then(|s| match s {
        Value::Object(_) => text(get(s, "value")),
        other => text(Some(other)),
    });
    Prefix {
        id: text(get(&v, "id")),
        prefix: text(get(&v, "prefix")),
        status,
        vrf: related(get(&v, "vrf")),
        tenant: related(get(&v, "tenant")),
        site: related(get(&v, "scope")).or_else(|| related(get(&v, "site"))),
        description: text(get(&v, "description")),
        tags: items(get(&v, "tags"), &[])
            .into_iter()
            .filter_map(|t| related(Some(t)))
            .collect(),
    }
    .emit(position, sink);
}

/// The columns read, by header (matched without regard to case, spaces or underscores).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    Prefix,
    Id,
    Status,
    Vrf,
    Tenant,
    Site,
    Description,
    Tags,
}

fn column(header: &str) -> Option<Col> {
    let name: String = header
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match name.as_str() {
        "prefix" => Col::Prefix,
        "id" => Col::Id,
        "status" => Col::Status,
        "vrf" => Col::Vrf,
        "tenant" => Col::Tenant,
        "site" | "scope" => Col::Site,
        "description" => Col::Description,
        "tags" => Col::Tags,
        _ => return None,
    })
}

/// The header: which column each known title is in; `None` without a `Prefix` column.
fn header(text: &str) -> Option<(usize, Vec<Option<Col>>)> {
    let record = Records::new(text, b',').find(|r| !r.is_blank())?;
    let columns: Vec<Option<Col>> = record.fields.iter().map(|f| column(f)).collect();
    columns
        .contains(&Some(Col::Prefix))
        .then_some((record.line, columns))
}

/// A CSV whose header names a `prefix` column.
pub(super) fn detect_csv(text: &str) -> bool {
    header(text).is_some()
}

/// Reads NetBox CSV.
pub(super) fn read_csv(text: &str, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let Some((header_line, columns)) = header(text) else {
        return Err(Box::new(
            Diag::error(
                "ipam::audit::csv",
                format!("{} has no header row with a `Prefix` column", sink.label()),
            )
            .help("export the prefixes from NetBox as CSV, or use the bulk-import layout `vrf,prefix,status`"),
        ));
    };
    let records = Records::new(text, b',').filter(|r| !r.is_blank() && r.line > header_line);
    for record in records {
        let position = format!("line {}", record.line);
        if record.unterminated {
            sink.skip(
                &position,
                "a quoted field is not closed: the rest of the file was read as part of this row",
            );
            continue;
        }
        if record.fields.len() != columns.len() {
            sink.skip(
                &position,
                format!(
                    "the row has {} fields, the header {}",
                    record.fields.len(),
                    columns.len()
                ),
            );
            continue;
        }
        let field = |col: Col| -> Option<String> {
            let at = columns.iter().position(|c| *c == Some(col))?;
            let value = record.fields.get(at)?.trim();
            // NetBox writes an em dash (or nothing) for an empty relation.
            (!value.is_empty() && value != "—" && value != "-").then(|| value.to_string())
        };
        Prefix {
            id: field(Col::Id),
            prefix: field(Col::Prefix),
            status: field(Col::Status),
            vrf: field(Col::Vrf).filter(|v| !v.eq_ignore_ascii_case("global")),
            tenant: field(Col::Tenant),
            site: field(Col::Site),
            description: field(Col::Description),
            tags: field(Col::Tags)
                .map(|t| {
                    t.split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        }
        .emit(&position, sink);
    }
    Ok(())
}
