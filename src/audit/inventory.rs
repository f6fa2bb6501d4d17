//! Inventory readers: cloud exports in, one [`Discovered`] row per resource CIDR out (SPEC §8).
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
//! The format is recognised from the content ([`detect`]); `--format` forces one.
//!
//! | format | recognised by |
//! |---|---|
//! | `native` | `"format": "ipam-inventory"` ([`NativeInventory`], `schemas/`) |
//! | `csv` | a header row naming at least `id`, `type` and `cidr` |
//! | `aws-vpcs` | `aws ec2 describe-vpcs`: `{"Vpcs": [...]}`; `create-vpc`: `{"Vpc": {...}}` |
//! | `aws-subnets` | `aws ec2 describe-subnets`: `{"Subnets": [...]}`; `create-subnet`: `{"Subnet": {...}}` |
//! | `alibaba-vpcs` | `DescribeVpcs`: `{"Vpcs": {"Vpc": ...}}`, with or without `DescribeVpcsResponse` |
//! | `alibaba-vswitches` | `DescribeVSwitches`: `{"VSwitches": {"VSwitch": ...}}`, same |
//! | `terraform` | state v4: `{"version": 4, "resources": [...]}` |
//!
//! A bare JSON list of VPCs or subnets (what `--query 'Vpcs[]'` prints) is recognised from
//! the keys of its first element.
//!
//! # Decisions
//!
//! - **One row per CIDR.** `primary` marks the CIDR that identifies the resource: a VPC's
//!   primary IPv4 block (`CidrBlock`), a subnet's IPv4 block (an IPv6-only subnet's IPv6
//!   block). Secondary IPv4 blocks and IPv6 blocks are not primary. In the native and CSV
//!   formats an optional `primary` field says so explicitly; where no row of an ID in a file
//!   says, the first IPv4 row of that ID in that file is primary (its first row when it has
//!   no IPv4 row).
//! - **Skipped, with a reason:** an entry without an ID; a CIDR that is masked (`XXXX`, `*`:
//!   documentation and redacted exports) or invalid, including one with host bits set (the
//!   reason carries the canonical suggestion); a resource with no CIDR at all; a CSV row with
//!   the wrong number of fields or a bad `used`, `total`, `tags` or `primary`; a native entry
//!   with a field of the wrong type; a Terraform *data source* of a supported type (it is
//!   read by that configuration, not managed by it: export it from its own state). A bad
//!   CIDR skips that CIDR only; the resource's other CIDRs are kept.
//! - **Ignored without a report:** AWS CIDR associations in state `disassociated`,
//!   `failed` or `failing` (history, not address space in use; `associating` and
//!   `disassociating` blocks are still held and are read); Alibaba `UserCidrs` (they constrain the
//!   vSwitches' addresses, they are not blocks of the VPC); Terraform resources of other
//!   types; unknown fields and CSV columns.
//! - **Regions.** AWS prints no region per VPC: a VPC's region is `None` unless the entry
//!   has a `Region` key. A subnet's region comes from its ARN, else from its availability
//!   zone (`us-east-1d` → `us-east-1`, local zones `us-west-2-lax-1a` → `us-west-2`);
//!   Alibaba's from `RegionId`, else from the zone (`cn-hangzhou-b` → `cn-hangzhou`,
//!   `ap-southeast-1a` → `ap-southeast-1`); Terraform AWS resources' from their ARN. After
//!   reading, a VPC still without a region takes its subnets' region and a subnet its VPC's
//!   (a VPC and its subnets are always in one region), across all the files of one audit.
//! - **IP usage** is known for subnets only, and only for their IPv4 block, from the
//!   provider's count of free addresses: `total` is the block size minus the addresses the
//!   provider reserves (AWS: 5 per subnet, the first four and the last; Alibaba: 4 per
//!   vSwitch, the first and the last three), `used` is `total` minus
//!   `AvailableIpAddressCount`. So AWS's /24 with 251 available is 0 of 251 used. Terraform
//!   state carries no counts. The native and CSV formats take `used` and `total` as written.
//! - **Duplicates.** The same resource CIDR (same ID, type and CIDR) read twice, from one
//!   file or several (a VPC both in `describe-vpcs` output and in Terraform state), is one
//!   row: the first file (in path order) wins each field and later ones fill in what it
//!   lacks. AWS lists the primary CIDR again in `CidrBlockAssociationSet` and Alibaba the
//!   IPv6 block again in `Ipv6CidrBlocks`; those are the same row too.
//! - **AWS key names.** Keys are matched without regard to case, so the EC2 Query API's
//!   spelling (`vpcId`, `cidrBlock`, `tagSet` with `item` lists) that older tools print
//!   reads like the CLI's. Output of CLI versions from before secondary CIDRs (no
//!   `CidrBlockAssociationSet`) or IPv6 (no `Ipv6CidrBlockAssociationSet`) reads too.
//! - **Alibaba lists** come as an array, or as an object when they have one element, or
//!   as a bare string; every list is read through one helper that accepts all three.
//! - **An AWS IPAM pool listing** (`describe-ipam-pools`, any top-level `Ipam…` key) is an
//!   error, not an empty inventory: passing it is a mistake that must not let a nightly
//!   audit pass silently.
//! - **Terraform:** `aws_vpc`, `aws_default_vpc`, `aws_subnet`, `aws_default_subnet`,
//!   `aws_vpc_ipv4_cidr_block_association` and `aws_vpc_ipv6_cidr_block_association` (a
//!   non-primary row of the VPC named by `vpc_id`, which lends it its region, account and
//!   tags when the same state holds it), `alicloud_vpc`, `alicloud_vswitch` and
//!   `alicloud_vpc_ipv4_cidr_block`. Instances with an `index_key` (`count`, `for_each`) and
//!   in modules are read; the entry is named by its address, `module.net.aws_subnet.a["x"]`.
//! - **Text encodings:** UTF-8 with or without a byte-order mark, and UTF-16 with one (what
//!   Windows PowerShell's `>` writes).
//! - **Order.** Rows are sorted by source file, then ID, then CIDR; skips come in reading
//!   order, files in path order. Same files, same result, whatever order they are given in.
//! - **Errors** (whole files), each with a help line: `ipam::audit::read` (cannot be read,
//!   not text), `ipam::audit::json` (not valid JSON, or a native document of the wrong
//!   shape: `FILE:LINE:COLUMN: …`), `ipam::audit::format` (empty, not a known format, an
//!   IPAM listing, `terraform show -json` output, or not the format `--format` names),
//!   `ipam::audit::csv` (no header, a required column missing, a column twice),
//!   `ipam::audit::version` (a native `format_version` or Terraform state version this
//!   build does not read). `read_all` reports every file that fails, not just the first.
//! - **Scale.** A native inventory file is read straight from the file, never whole: its
//!   `resources` list is cut at entry boundaries into stretches that the cores (up to 8) read
//!   side by side, each through a buffer of 256 KiB, entry by entry into rows (no JSON tree).
//!   A file the fast reader cannot take (UTF-16, invalid JSON or UTF-8) is read whole and in
//!   one pass, which reports the exact error; the rows are the same either way. Rows share
//!   their text: each distinct region, account, zone, VPC ID, tag and tag set is allocated
//!   once per file and reading thread, and the rows hold `Arc`s ([`Tags`], `Arc<str>`).
//!   Duplicates, primaries and order are settled in one sort of compact keys, and each row is
//!   then moved once, into the output, whose memory a second thread maps while the keys are
//!   sorted. Reading is bound by parsing and by the page faults of the rows' first writes
//!   (some 220 bytes a row).

mod alibaba;
mod aws;
mod csv;
mod detect;
mod intern;
mod json;
mod native;
mod normalize;
mod sink;
mod terraform;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::addr::Prefix;
use crate::diag::Diag;

use detect::{FORMATS_HELP, detect_value, first_line, json_error};
use intern::{serialize_opt_str, serialize_str};
use normalize::normalize;
use sink::{RawCidr, Resource, Sink, Usage, cidr_problem, entry_name, not_this_format};

pub use intern::Tags;
pub use native::{
    FORMAT_NAME, FORMAT_VERSION, NativeInventory, NativeResource, native_schema, to_native,
};

/// Whether a discovered resource is a VPC or a subnet (an Alibaba vSwitch is a subnet).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A VPC.
    Vpc,
    /// A subnet, or an Alibaba Cloud vSwitch (read as `vswitch` too).
    #[serde(alias = "vswitch")]
    Subnet,
}

impl Kind {
    /// The name used in every output: `vpc` or `subnet`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Vpc => "vpc",
            Kind::Subnet => "subnet",
        }
    }

    /// Reads `vpc`, `subnet` or `vswitch`, in any case.
    pub fn parse(text: &str) -> Option<Kind> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("vpc") {
            Some(Kind::Vpc)
        } else if text.eq_ignore_ascii_case("subnet") || text.eq_ignore_ascii_case("vswitch") {
            Some(Kind::Subnet)
        } else {
            None
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One discovered resource CIDR. A VPC with a secondary CIDR yields two; IPv6 blocks too.
///
/// The text fields are shared handles (`&*row.id`, `row.region.as_deref()`): a million rows
/// name a few regions, accounts, zones and tag sets many times over, and each distinct value
/// is held once per file (and reading thread). They serialize as plain strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discovered {
    /// The cloud's ID (`vpc-0e98…`, `vsw-bp1…`, `subnet-…`), what a plan's `resource_id`
    /// names.
    #[serde(serialize_with = "serialize_str")]
    pub id: Arc<str>,
    /// VPC or subnet.
    pub kind: Kind,
    /// This row's block, canonical.
    pub cidr: Prefix,
    /// The cloud region, where the inventory says or it can be derived (see the module
    /// documentation).
    #[serde(serialize_with = "serialize_opt_str")]
    pub region: Option<Arc<str>>,
    /// The owner account, as the inventory writes it.
    #[serde(serialize_with = "serialize_opt_str")]
    pub account: Option<Arc<str>>,
    /// For a subnet, the VPC it belongs to.
    #[serde(serialize_with = "serialize_opt_str")]
    pub vpc_id: Option<Arc<str>>,
    /// For a subnet, its availability zone.
    #[serde(serialize_with = "serialize_opt_str")]
    pub zone: Option<Arc<str>>,
    /// Addresses in use, where the inventory says (subnets' IPv4 blocks only).
    pub used: Option<u128>,
    /// Usable addresses, where the inventory says: the block minus the provider's reserved
    /// addresses.
    pub total: Option<u128>,
    /// The resource's tags (Terraform: `tags_all`, which includes the provider's defaults).
    pub tags: Tags,
    /// The `Name` tag, or the provider's name field (`VpcName`, `VSwitchName`).
    #[serde(serialize_with = "serialize_opt_str")]
    pub name: Option<Arc<str>>,
    /// The file the row was read from, as given.
    #[serde(serialize_with = "serialize_str")]
    pub source: Arc<str>,
    /// The CIDR that identifies the resource: a VPC's primary IPv4 block, a subnet's IPv4
    /// block (an IPv6-only subnet's IPv6 block). Secondary and IPv6 blocks are not primary.
    pub primary: bool,
}

/// An inventory entry that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// `FILE: ENTRY`, the entry named by ID and position when known:
    /// `vpcs.json: vpc-0e98 (Vpcs[0])`, `inventory.csv: line 7`.
    pub source: String,
    /// Why: what is missing or wrong, with the fix where there is one.
    pub reason: String,
}

/// What a set of inventory files holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// Sorted by source, then ID, then CIDR.
    pub resources: Vec<Discovered>,
    /// In reading order.
    pub skipped: Vec<Skipped>,
}

/// An inventory format. Detected from the content unless forced with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Format {
    /// The native JSON format (`"format": "ipam-inventory"`).
    Native,
    /// CSV with a header row: id, type, cidr, region, account, vpc_id, zone, used, total, tags.
    Csv,
    /// `aws ec2 describe-vpcs` (or `create-vpc`) output.
    AwsVpcs,
    /// `aws ec2 describe-subnets` (or `create-subnet`) output.
    AwsSubnets,
    /// Alibaba Cloud `DescribeVpcs` response.
    AlibabaVpcs,
    /// Alibaba Cloud `DescribeVSwitches` response.
    #[value(name = "alibaba-vswitches")]
    AlibabaVSwitches,
    /// Terraform state, version 4.
    Terraform,
}

impl Format {
    /// Every format, in the order they are listed to users.
    pub const ALL: [Format; 7] = [
        Format::Native,
        Format::Csv,
        Format::AwsVpcs,
        Format::AwsSubnets,
        Format::AlibabaVpcs,
        Format::AlibabaVSwitches,
        Format::Terraform,
    ];

    /// The `--format` value.
    pub const fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Csv => "csv",
            Format::AwsVpcs => "aws-vpcs",
            Format::AwsSubnets => "aws-subnets",
            Format::AlibabaVpcs => "alibaba-vpcs",
            Format::AlibabaVSwitches => "alibaba-vswitches",
            Format::Terraform => "terraform",
        }
    }

    /// The format of an inventory's text; see [`detect`].
    pub fn detect(text: &str) -> Option<Format> {
        detect(text)
    }

    /// What the format is, for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Format::Native => "a native ipam inventory",
            Format::Csv => "a CSV inventory",
            Format::AwsVpcs => "`aws ec2 describe-vpcs` output",
            Format::AwsSubnets => "`aws ec2 describe-subnets` output",
            Format::AlibabaVpcs => "an Alibaba Cloud DescribeVpcs response",
            Format::AlibabaVSwitches => "an Alibaba Cloud DescribeVSwitches response",
            Format::Terraform => "a Terraform state",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The format of an inventory's text, or `None` when it is none of them (or not valid JSON
/// while looking like JSON).
pub fn detect(text: &str) -> Option<Format> {
    let text = strip_bom(text);
    if !looks_like_json(text) {
        return csv::is_inventory(text).then_some(Format::Csv);
    }
    if native::announces(text) {
        return Some(Format::Native);
    }
    let value: Value = serde_json::from_str(text).ok()?;
    detect_value(&value).ok()
}

/// Reads one inventory file. Entry-level problems are in [`Inventory::skipped`]; the error
/// is for a file that cannot be read at all.
pub fn read(path: &Path, format: Option<Format>) -> Result<Inventory, Box<Diag>> {
    let mut sink = Sink::new(display(path));
    read_into(path, format, &mut sink)?;
    Ok(sink.finish())
}

/// Reads several inventory files, of any mix of formats, into one inventory. Files are read
/// in path order (a path given twice is read once); every file that cannot be read gives one
/// diagnostic, and any of them fails the whole.
pub fn read_all(paths: &[PathBuf], format: Option<Format>) -> Result<Inventory, Vec<Diag>> {
    let mut names: Vec<(String, &Path)> = paths.iter().map(|p| (display(p), p.as_path())).collect();
    names.sort();
    names.dedup_by(|a, b| a.0 == b.0);
    let mut chunks = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    for (name, path) in names {
        let mut sink = Sink::new(name);
        match read_into(path, format, &mut sink) {
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
    Ok(Inventory {
        resources: normalize(chunks),
        skipped,
    })
}

/// Reads an inventory from text; `source` names it in rows and messages (usually the path).
pub fn parse(text: &str, source: &str, format: Option<Format>) -> Result<Inventory, Box<Diag>> {
    let mut sink = Sink::new(source.to_string());
    parse_into(text, format, &mut sink)?;
    Ok(sink.finish())
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn read_into(path: &Path, format: Option<Format>, sink: &mut Sink) -> Result<(), Box<Diag>> {
    // A native inventory is read straight from the file, without holding its whole text.
    if matches!(format, None | Some(Format::Native))
        && native::read_file(path, format.is_some(), sink)?
    {
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Box::new(
            Diag::error(
                "ipam::audit::read",
                format!("cannot read inventory {}: {e}", sink.source),
            )
            .help("check the path given to --inventory"),
        )
    })?;
    let text = decode(&sink.source, bytes)?;
    parse_into(&text, format, sink)
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
                .help(FORMATS_HELP),
        ));
    }
    match format {
        Some(Format::Csv) => return csv::read(text, sink),
        Some(Format::Native) => return native::read(text, sink),
        None if !looks_like_json(text) => {
            return if csv::is_inventory(text) {
                csv::read(text, sink)
            } else {
                Err(Box::new(
                    Diag::error(
                        "ipam::audit::format",
                        format!(
                            "{} is neither a JSON object or list nor a CSV inventory: its first line is `{}`",
                            sink.source,
                            first_line(text)
                        ),
                    )
                    .help(format!(
                        "a CSV inventory starts with a header row naming at least id, type and cidr; {FORMATS_HELP}"
                    )),
                ))
            };
        }
        // Large native inventories are parsed once, straight into rows.
        None if native::announces(text) => return native::read(text, sink),
        _ => {}
    }
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(&sink.source, &e))?;
    let format = match format {
        Some(f) => f,
        None => detect_value(&value).map_err(|u| u.diag(&sink.source))?,
    };
    match format {
        Format::Native => native::read(text, sink),
        Format::Csv => csv::read(text, sink),
        Format::AwsVpcs => aws::read_vpcs(&value, sink),
        Format::AwsSubnets => aws::read_subnets(&value, sink),
        Format::AlibabaVpcs => alibaba::read_vpcs(&value, sink),
        Format::AlibabaVSwitches => alibaba::read_vswitches(&value, sink),
        Format::Terraform => terraform::read(&value, sink),
    }
}

/// The region of an availability zone: `us-east-1d` → `us-east-1`, `us-west-2-lax-1a` →
/// `us-west-2` (AWS); `cn-hangzhou-b` → `cn-hangzhou`, `ap-southeast-1a` → `ap-southeast-1`
/// (Alibaba).
fn region_of_zone(zone: &str) -> Option<String> {
    let zone = zone.trim();
    let parts: Vec<&str> = zone.split('-').collect();
    // AWS and Alibaba regions that end in a number: up to the first part that starts with
    // a digit, keeping its digits.
    if let Some(i) = parts
        .iter()
        .position(|p| p.as_bytes().first().is_some_and(u8::is_ascii_digit))
    {
        if i == 0 {
            return None;
        }
        let digits: String = parts[i].chars().take_while(char::is_ascii_digit).collect();
        return Some(format!("{}-{digits}", parts[..i].join("-")));
    }
    // Alibaba regions without a number (`cn-hangzhou`): the zone adds `-x`.
    match parts.as_slice() {
        [region @ .., last] if region.len() >= 2 && last.len() == 1 => Some(region.join("-")),
        _ => None,
    }
}

/// The region and account of an ARN: `arn:aws:ec2:us-east-1:111122223333:subnet/…`.
fn arn_parts(arn: &str) -> (Option<String>, Option<String>) {
    let mut parts = arn.split(':');
    let (Some("arn"), Some(_partition), Some(_service), Some(region), Some(account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return (None, None);
    };
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    (some(region), some(account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_give_regions() {
        let cases = [
            ("us-east-1d", Some("us-east-1")),
            ("us-gov-west-1a", Some("us-gov-west-1")),
            ("us-west-2-lax-1a", Some("us-west-2")),
            ("us-east-1-wl1-bos-wlz-1", Some("us-east-1")),
            ("cn-hangzhou-b", Some("cn-hangzhou")),
            ("cn-huhehaote-a", Some("cn-huhehaote")),
            ("ap-southeast-1a", Some("ap-southeast-1")),
            ("cn-shanghai-finance-1z", Some("cn-shanghai-finance-1")),
            ("", None),
            ("1a", None),
            ("zone", None),
        ];
        for (zone, region) in cases {
            assert_eq!(region_of_zone(zone).as_deref(), region, "{zone}");
        }
    }

    #[test]
    fn arns_give_region_and_account() {
        assert_eq!(
            arn_parts("arn:aws:ec2:us-east-1:111122223333:subnet/subnet-1"),
            (Some("us-east-1".into()), Some("111122223333".into()))
        );
        assert_eq!(arn_parts("arn:aws:ec2::1:ipam"), (None, Some("1".into())));
        assert_eq!(arn_parts("not an arn"), (None, None));
    }

    #[test]
    fn format_names_match_clap() {
        use clap::ValueEnum;
        for f in Format::ALL {
            let value = f.to_possible_value().expect("value");
            assert_eq!(value.get_name(), f.name());
            assert_eq!(Format::from_str(f.name(), false), Ok(f));
        }
    }

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
