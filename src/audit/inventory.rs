//! Inventory readers: exports in, one [`Discovered`] row per resource CIDR out (SPEC §8, §18).
//!
//! A VPC with a secondary CIDR and an IPv6 block gives three rows, as Alibaba's
//! `ListIpamResourceCidrs` does; the audit reports on rows. Real exports vary between tool
//! versions, so every reader accepts each entry that is usable and reports each one it is
//! not as a [`Skipped`] naming the file, the entry (ID, and index or line) and the reason.
//! A whole file fails, as a diagnostic with a help line, only when nothing in it can be read:
//! unreadable, not JSON or CSV, not a known format, a format version this build does not know.
//!
//! # Formats
//!
//! Every format is one row of [`Format::ALL`] (`formats.rs`): its `--format` name, what it is,
//! how it is recognised from the content and its reader, in a file of its own; the README
//! lists them with the rows each gives. A document goes to the one format whose detection
//! accepts it (a test holds detection exclusive over every test inventory); `--format`
//! forces one. JSON files may hold several documents one after another (a loop over
//! regions), each detected and read on its own; `-` is standard input.
//!
//! # Decisions
//!
//! - **One row per CIDR.** `primary` marks the CIDR that identifies the resource: a VPC's
//!   primary IPv4 block (`CidrBlock`), a subnet's IPv4 block (an IPv6-only subnet's IPv6
//!   block), a network's first IPv4 address prefix. Where an export does not say (a cloud
//!   IPAM lists each block alone; the native and CSV formats may leave `primary` out), the
//!   first IPv4 row of the ID read is primary, over all files at once (see `normalize`).
//! - **Kinds.** AWS and Alibaba Cloud VPCs and subnets are `vpc` and `subnet`, what a plan
//!   allocates; Azure and Google networks and another IPAM's prefixes have kinds of their own
//!   ([`Kind`]), audited for overlaps with the plan.
//! - **Skipped, with a reason:** an entry without an ID; a CIDR that is masked (`XXXX`, `*`:
//!   documentation and redacted exports) or invalid, including one with host bits set (the
//!   reason carries the canonical suggestion); a resource with no CIDR at all; a resource of
//!   a type no reader reads (a Terraform `aws_instance`, an IPAM listing's `eip`, an Azure
//!   network security group), named with its type; a NetBox container or aggregate; a CSV
//!   row with the wrong number of fields or a bad `used`, `total`, `tags` or `primary`; a
//!   native entry with a field of the wrong type. A bad CIDR skips that CIDR only; the
//!   resource's other CIDRs are kept.
//! - **Ignored without a report:** AWS CIDR associations in state `disassociated`,
//!   `failed` or `failing` (history, not address space in use; `associating` and
//!   `disassociating` blocks are still held and are read); Alibaba `UserCidrs` (they
//!   constrain the vSwitches' addresses, they are not blocks of the VPC); a cloud IPAM's own
//!   statuses (the audit decides them against the plan); unknown fields and CSV columns.
//! - **Regions.** AWS prints no region per VPC: a VPC's region is `None` unless the entry
//!   has a `Region` key. A subnet's region comes from its ARN, else from its availability
//!   zone (`us-east-1d` → `us-east-1`, local zones `us-west-2-lax-1a` → `us-west-2`);
//!   Alibaba's from `RegionId`, else from the zone (`cn-hangzhou-b` → `cn-hangzhou`,
//!   `ap-southeast-1a` → `ap-southeast-1`); Terraform AWS resources' from their ARN, else
//!   a plan's provider configuration. After reading, a network still without a region takes
//!   its subnets' and a subnet its network's, across all the files of one audit (a Google
//!   network is global and takes none); then `--region` ([`Options`]) gives the rest theirs.
//! - **IP usage** of subnets: from the provider's count of free addresses, `total` the block
//!   size minus the addresses the provider reserves (AWS: 5, the first four and the last;
//!   Alibaba: 4, the first and the last three), `used` is `total` minus
//!   `AvailableIpAddressCount` (IPv4 blocks only); from a cloud IPAM's share of the block in
//!   use or its counts; as written in the native and CSV formats.
//! - **Duplicates.** The same resource CIDR (same ID, type and CIDR) read twice, from one
//!   file or several (a VPC both in `describe-vpcs` output and in Terraform state), is one
//!   row: the first file (in path order) wins each field and later ones fill in what it
//!   lacks. AWS lists the primary CIDR again among its associations and Alibaba the IPv6
//!   block again in `Ipv6CidrBlocks`; those are the same row too.
//! - **Key names** of AWS are matched without regard to case, so the EC2 Query API's
//!   spelling (`vpcId`, `tagSet` with `item` lists) reads like the CLI's, and CLI versions
//!   before secondary CIDRs, with the older `CidrBlockAssociations`, or before IPv6 read too.
//!   Alibaba lists come as an array, an object when they have one element, or a string.
//! - **An IPAM pool listing** (`describe-ipam-pools`, any other top-level `Ipam…` key) is an
//!   error, not an empty inventory: passing it is a mistake that must not let a nightly
//!   audit pass silently.
//! - **Text encodings:** UTF-8 with or without a byte-order mark, and UTF-16 with one (what
//!   Windows PowerShell's `>` writes).
//! - **Order.** Rows are sorted by source file, then ID, then CIDR; skips come in reading
//!   order, files in path order. Same files, same result, whatever order they are given in.
//! - **Errors** (whole files), each with a help line: `ipam::audit::read` (cannot be read,
//!   not text, standard input a terminal), `ipam::audit::json` (not valid JSON, or a native
//!   document of the wrong shape: `FILE:LINE:COLUMN: …`), `ipam::audit::format` (empty, not
//!   a known format, an IPAM pool listing, or not the format `--format` names; a document of
//!   several is named `FILE (document N)`), `ipam::audit::csv` (no header, a required column
//!   missing, a column twice), `ipam::audit::version` (a native `format_version` or Terraform
//!   state version this build does not read). `read_all` reports every file that fails.
//! - **Scale.** A native inventory in a regular file is read straight from the file, never
//!   whole: its `resources` list is cut at entry boundaries into stretches that the cores (up
//!   to 8) read side by side, entry by entry into rows (no JSON tree). Other JSON is read as
//!   text and never made one tree ([`doc`]): the outer levels of a document are read as
//!   asked and its entries one at a time, so a document costs its text plus 16 bytes an entry.
//!   Rows share their text: each distinct region, account, zone, VPC ID, tag and tag set is
//!   allocated once per file and reading thread ([`Tags`], `Arc<str>`). Duplicates,
//!   primaries and order are settled in one sort of compact keys, and each row is then moved
//!   once, into the output.

mod alibaba;
mod alibaba_ipam;
mod aws;
mod aws_ipam;
mod azure;
mod csv;
mod doc;
mod errors;
mod formats;
mod gcp;
mod intern;
mod json;
mod native;
mod netbox;
mod normalize;
mod regions;
mod rows;
mod sink;
mod terraform;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::diag::Diag;

use errors::{first_line, json_error};
use formats::{NATIVE, Reader, detect_text, detect_value, formats_help};
use normalize::normalize;
use sink::{RawCidr, Resource, Sink, Usage, cidr_problem, entry_name, not_this_format};

pub use formats::Format;
pub use intern::Tags;
pub use native::{
    FORMAT_NAME, FORMAT_VERSION, NativeInventory, NativeResource, native_schema, to_native,
};
pub use rows::{Discovered, Inventory, Kind, Skipped};

/// The format of an inventory's text (of its first document, when it holds several), or
/// `None` when it is none of them (or not valid JSON while looking like JSON).
pub fn detect(text: &str) -> Option<Format> {
    let text = strip_bom(text);
    if !looks_like_json(text) {
        return detect_text(text);
    }
    if native::announces(text) {
        return Some(NATIVE);
    }
    // Of several documents, the first: a per-region loop writes one format.
    let documents = doc::documents(text).ok()?;
    detect_value(&doc::sample(documents.first()?.doc())).ok()
}

/// How inventories are read: the format, when it should not be detected, and the region of
/// rows whose export gives none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    pub format: Option<Format>,
    pub region: Option<&'a str>,
}

/// The path that names standard input.
pub const STDIN: &str = "-";

/// How rows and messages name standard input.
const STDIN_NAME: &str = "<stdin>";

/// Reads one inventory file (`-`: standard input). Entry-level problems are in
/// [`Inventory::skipped`]; the error is for a file that cannot be read at all.
pub fn read(path: &Path, format: Option<Format>) -> Result<Inventory, Box<Diag>> {
    let mut sink = Sink::new(display(path));
    read_into(path, format, &mut sink)?;
    Ok(sink.finish())
}

/// Reads several inventory files (`-`: standard input), of any mix of formats, into one
/// inventory. Files are read in path order (a path given twice is read once); every file that
/// cannot be read gives one diagnostic, and any of them fails the whole.
pub fn read_all(paths: &[PathBuf], options: Options) -> Result<Inventory, Vec<Diag>> {
    let mut names: Vec<(String, &Path)> = paths.iter().map(|p| (display(p), p.as_path())).collect();
    names.sort();
    names.dedup_by(|a, b| a.0 == b.0);
    let mut chunks = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    for (name, path) in names {
        let mut sink = Sink::new(name);
        match read_into(path, options.format, &mut sink) {
            Ok(()) => {
                let (mut read, mut skips) = sink.into_parts();
                chunks.append(&mut read);
                skipped.append(&mut skips);
            }
            Err(e) => errors.push(*e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut resources = normalize(chunks);
    if let Some(region) = options.region {
        give_region(&mut resources, region);
    }
    Ok(Inventory { resources, skipped })
}

/// Gives `region` to every row still without one (after a network and its subnets have lent
/// each other theirs), except global networks: what `--region` does for exports that print
/// none.
fn give_region(rows: &mut [Discovered], region: &str) {
    let region: std::sync::Arc<str> = region.into();
    for row in rows
        .iter_mut()
        .filter(|r| r.region.is_none() && r.kind.is_regional())
    {
        row.region = Some(region.clone());
    }
}

/// Reads an inventory from text; `source` names it in rows and messages (usually the path).
pub fn parse(text: &str, source: &str, format: Option<Format>) -> Result<Inventory, Box<Diag>> {
    let mut sink = Sink::new(source.to_string());
    parse_into(text, format, &mut sink)?;
    Ok(sink.finish())
}

fn display(path: &Path) -> String {
    if path == Path::new(STDIN) {
        return STDIN_NAME.to_string();
    }
    path.display().to_string()
}

fn read_into(path: &Path, format: Option<Format>, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let source = sink.source.clone();
    let cannot = |e: std::io::Error| {
        Box::new(
            Diag::error(
                "ipam::audit::read",
                format!("cannot read inventory {source}: {e}"),
            )
            .help("check the path given to --inventory"),
        )
    };
    let bytes = if path == Path::new(STDIN) {
        read_stdin(sink)?
    } else {
        let mut file = std::fs::File::open(path).map_err(cannot)?;
        // A native inventory in a regular file is read straight from it, on every core,
        // without holding its whole text. Anything else (a pipe, `/dev/stdin`, a FIFO) is
        // read once, to its end: its size says nothing and it cannot be read twice.
        let regular = file.metadata().is_ok_and(|m| m.is_file());
        if regular
            && (format.is_none() || format == Some(NATIVE))
            && native::read_file(path, format.is_some(), sink)?
        {
            return Ok(());
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(cannot)?;
        bytes
    };
    let text = decode(&sink.source, bytes)?;
    parse_into(&text, format, sink)
}

/// All of standard input; refused when it is a terminal (nothing was piped in, and reading
/// would wait for typing).
fn read_stdin(sink: &Sink) -> Result<Vec<u8>, Box<Diag>> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Box::new(
            Diag::error(
                "ipam::audit::read",
                "`--inventory -` reads standard input, which is a terminal",
            )
            .help("pipe an export into ipam (`aws ec2 describe-vpcs | ipam audit --inventory -`), or give a file"),
        ));
    }
    let mut bytes = Vec::new();
    stdin.lock().read_to_end(&mut bytes).map_err(|e| {
        Box::new(
            Diag::error(
                "ipam::audit::read",
                format!("cannot read inventory {}: {e}", sink.source),
            )
            .help("check the command that writes the inventory"),
        )
    })?;
    Ok(bytes)
}

/// The error of text that is not one or more JSON documents, as parsing it into values says
/// it: the same place, in the words that name the mistake ("trailing comma").
fn invalid_json(text: &str, source: &str) -> Box<Diag> {
    let error = serde_json::Deserializer::from_str(text)
        .into_iter::<doc::Skip>()
        .find_map(Result::err);
    match error {
        Some(e) => json_error(source, &e),
        None => Box::new(
            Diag::error("ipam::audit::json", format!("{source}: not valid JSON"))
                .help("fix the JSON, or export the inventory again"),
        ),
    }
}

/// UTF-8, or UTF-16 with a byte-order mark.
fn decode(source: &str, bytes: Vec<u8>) -> Result<String, Box<Diag>> {
    let utf16 = |units: Vec<u16>| {
        String::from_utf16(&units).map_err(|_| {
            Box::new(
                Diag::error(
                    "ipam::audit::read",
                    format!("{source}: the UTF-16 text is damaged"),
                )
                .help("export the inventory again, as UTF-8"),
            )
        })
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, rest @ ..] => utf16(
            rest.chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        ),
        [0xFE, 0xFF, rest @ ..] => utf16(
            rest.chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
        ),
        _ => String::from_utf8(bytes).map_err(|e| {
            Box::new(
                Diag::error(
                    "ipam::audit::read",
                    format!(
                        "{source} is not text: invalid UTF-8 at byte {}",
                        e.utf8_error().valid_up_to()
                    ),
                )
                .help(
                    "inventories are JSON or CSV files in UTF-8 (or UTF-16 with a byte-order mark)",
                ),
            )
        }),
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

fn parse_into(text: &str, format: Option<Format>, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let text = strip_bom(text);
    if text.trim().is_empty() {
        return Err(Box::new(
            Diag::error("ipam::audit::format", format!("{} is empty", sink.source))
                .help(formats_help()),
        ));
    }
    let format = match format {
        Some(format) => Some(format),
        None if !looks_like_json(text) => Some(detect_text(text).ok_or_else(|| {
            Box::new(
                Diag::error(
                    "ipam::audit::format",
                    format!(
                        "{} is neither a JSON object or list nor a CSV inventory: its first line is `{}`",
                        sink.source,
                        first_line(text)
                    ),
                )
                .help(format!(
                    "a CSV inventory starts with a header row naming at least id, type and cidr; {}",
                    formats_help()
                )),
            )
        })?),
        // Large native inventories are parsed once, straight into rows.
        None if native::announces(text) => Some(NATIVE),
        None => None,
    };
    // Formats read from the text read it whole, as one document.
    if let Some(Format {
        reader: Reader::Text(read),
        ..
    }) = format
    {
        return read(text, sink);
    }
    let documents = doc::documents(text).map_err(|_| invalid_json(text, &sink.source))?;
    let several = documents.len() > 1;
    for (i, document) in documents.iter().enumerate() {
        sink.document = several.then_some(i + 1);
        let format = match format {
            Some(f) => f,
            None => {
                detect_value(&doc::sample(document.doc())).map_err(|u| u.diag(&sink.label()))?
            }
        };
        match format.reader {
            Reader::Text(read) => read(document.text, sink)?,
            Reader::Json(read) => read(document.doc(), sink)?,
        }
    }
    sink.document = None;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "{\"Vpcs\": []}".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        assert_eq!(decode("f", bytes).expect("utf-16"), "{\"Vpcs\": []}");
        assert!(decode("f", vec![0x7B, 0xC3, 0x28]).is_err());
    }
}
