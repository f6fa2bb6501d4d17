//! The inventory formats: one table, [`Format::ALL`], naming each format, saying what it is,
//! how it is recognised from content and which reader reads it. A new format is a reader file
//! and one row here; `--format`, the list of formats in messages and detection all come from
//! the table.

use std::fmt;

use serde_json::Value;

use super::doc::Doc;
use super::json;
use super::sink::Sink;
use super::{alibaba, alibaba_ipam, aws, aws_ipam, azure, csv, gcp, native, netbox, terraform};
use crate::diag::Diag;

/// How a format is recognised from an inventory's content.
#[derive(Clone, Copy)]
pub(super) enum Detect {
    /// Text that is not JSON (it does not start with `{` or `[`).
    Text(fn(&str) -> bool),
    /// A JSON document: a test of its [`super::doc::sample`] (lists cut to their first
    /// element and first object).
    Json(fn(&Value) -> bool),
}

/// How a format is read into rows and skips.
#[derive(Clone, Copy)]
pub(super) enum Reader {
    /// From the text itself.
    Text(fn(&str, &mut Sink) -> Result<(), Box<Diag>>),
    /// From one JSON document, read a level at a time.
    Json(fn(Doc<'_>, &mut Sink) -> Result<(), Box<Diag>>),
}

/// An inventory format: a row of [`Format::ALL`].
#[derive(Clone, Copy)]
pub struct Format {
    name: &'static str,
    description: &'static str,
    pub(super) detect: Detect,
    pub(super) reader: Reader,
}

/// The native format: read straight from the file when its top announces it.
pub(super) const NATIVE: Format = Format {
    name: "native",
    description: "a native ipam inventory",
    detect: Detect::Json(native::detect),
    reader: Reader::Text(native::read),
};

impl Format {
    /// Every format, in the order they are listed to users and tried on content: the first
    /// whose detection accepts a document reads it.
    pub const ALL: &'static [Format] = &[
        NATIVE,
        Format {
            name: "csv",
            description: "a CSV inventory",
            detect: Detect::Text(csv::is_inventory),
            reader: Reader::Text(csv::read),
        },
        Format {
            name: "aws-vpcs",
            description: "`aws ec2 describe-vpcs` output",
            detect: Detect::Json(aws::is_vpcs),
            reader: Reader::Json(aws::read_vpcs),
        },
        Format {
            name: "aws-subnets",
            description: "`aws ec2 describe-subnets` output",
            detect: Detect::Json(aws::is_subnets),
            reader: Reader::Json(aws::read_subnets),
        },
        Format {
            name: "aws-ipam",
            description: "`aws ec2 get-ipam-resource-cidrs` or `get-ipam-discovered-resource-cidrs` output",
            detect: Detect::Json(aws_ipam::detect),
            reader: Reader::Json(aws_ipam::read),
        },
        Format {
            name: "alibaba-vpcs",
            description: "an Alibaba Cloud DescribeVpcs response",
            detect: Detect::Json(alibaba::is_vpcs),
            reader: Reader::Json(alibaba::read_vpcs),
        },
        Format {
            name: "alibaba-vswitches",
            description: "an Alibaba Cloud DescribeVSwitches response",
            detect: Detect::Json(alibaba::is_vswitches),
            reader: Reader::Json(alibaba::read_vswitches),
        },
        Format {
            name: "alibaba-ipam",
            description: "an Alibaba Cloud ListIpamResourceCidrs or ListIpamDiscoveredResource response",
            detect: Detect::Json(alibaba_ipam::detect),
            reader: Reader::Json(alibaba_ipam::read),
        },
        Format {
            name: "terraform",
            description: "a Terraform state or `terraform show -json` output",
            detect: Detect::Json(terraform::detect),
            reader: Reader::Json(terraform::read),
        },
        Format {
            name: "azure",
            description: "`az network vnet list` output",
            detect: Detect::Json(azure::detect),
            reader: Reader::Json(azure::read),
        },
        Format {
            name: "gcp",
            description: "`gcloud compute networks subnets list --format=json` output",
            detect: Detect::Json(gcp::detect),
            reader: Reader::Json(gcp::read),
        },
        Format {
            name: "netbox",
            description: "NetBox prefixes (REST API JSON)",
            detect: Detect::Json(netbox::detect_json),
            reader: Reader::Json(netbox::read_json),
        },
        Format {
            name: "netbox-csv",
            description: "NetBox prefixes (CSV)",
            detect: Detect::Text(netbox::detect_csv),
            reader: Reader::Text(netbox::read_csv),
        },
    ];

    /// The `--format` value.
    pub const fn name(self) -> &'static str {
        self.name
    }

    /// What the format is, for messages.
    pub const fn describe(self) -> &'static str {
        self.description
    }

    /// The format with this `--format` name.
    pub fn named(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.name == name)
    }

    /// The format of an inventory's text; see [`super::detect`].
    pub fn detect(text: &str) -> Option<Format> {
        super::detect(text)
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.name == other.name
    }
}

impl Eq for Format {}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Format({})", self.name)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Format] {
        Format::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name).help(self.description))
    }
}

/// The first format whose text detection accepts `text` (not JSON).
pub(super) fn detect_text(text: &str) -> Option<Format> {
    Format::ALL
        .iter()
        .copied()
        .find(|f| matches!(f.detect, Detect::Text(accepts) if accepts(text)))
}

/// The first format whose JSON detection accepts the document, or why none does.
pub(super) fn detect_value(value: &Value) -> Result<Format, Unrecognized> {
    if let Some(format) = Format::ALL
        .iter()
        .copied()
        .find(|f| matches!(f.detect, Detect::Json(accepts) if accepts(value)))
    {
        return Ok(format);
    }
    Err(Unrecognized::of(json::unwrap_response(value)))
}

/// What every message about an unknown format says is supported.
pub(super) fn formats_help() -> String {
    let list: Vec<&str> = Format::ALL.iter().map(|f| f.description).collect();
    format!(
        "supported inventories: {}; force one with --format",
        list.join(", ")
    )
}

/// Why a JSON document is not an inventory this reader knows.
#[derive(Debug)]
pub(super) enum Unrecognized {
    IpamListing(String),
    Keys(Vec<String>),
    /// Not an object, or a list without objects: what it is.
    Shape(&'static str),
}

impl Unrecognized {
    /// What a document no format accepts looks like.
    fn of(value: &Value) -> Unrecognized {
        let sorted_keys = |v: &Value| {
            let mut keys: Vec<String> = v
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        match value {
            Value::Object(map) => {
                if let Some(key) = map.keys().find(|k| {
                    k.len() > 4 && k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("ipam"))
                }) {
                    return Unrecognized::IpamListing(key.clone());
                }
                Unrecognized::Keys(sorted_keys(value))
            }
            Value::Array(items) => match items.iter().find(|v| v.is_object()) {
                Some(first) => Unrecognized::Keys(sorted_keys(first)),
                None => Unrecognized::Shape("it is a list of values, not of resources"),
            },
            _ => Unrecognized::Shape("it is a single value, not an object"),
        }
    }

    pub(super) fn diag(self, source: &str) -> Box<Diag> {
        let d = match self {
            Unrecognized::IpamListing(key) => Diag::error(
                "ipam::audit::format",
                format!(
                    "{source} is an IPAM listing (`{key}`), not an inventory of VPCs and subnets"
                ),
            )
            .help(
                "export the networks themselves: `aws ec2 get-ipam-resource-cidrs`, \
                 `aws ec2 describe-vpcs` and `aws ec2 describe-subnets` (or Alibaba's \
                 ListIpamResourceCidrs, DescribeVpcs and DescribeVSwitches); pools belong in \
                 the plan",
            ),
            Unrecognized::Keys(keys) => {
                let keys = if keys.is_empty() {
                    "it is an empty object".to_string()
                } else {
                    format!(
                        "its top-level keys are {}",
                        keys.iter()
                            .take(8)
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                Diag::error(
                    "ipam::audit::format",
                    format!("{source} is not an inventory format ipam knows: {keys}"),
                )
                .help(formats_help())
            }
            Unrecognized::Shape(shape) => Diag::error(
                "ipam::audit::format",
                format!("{source} is not an inventory format ipam knows: {shape}"),
            )
            .help(formats_help()),
        };
        Box::new(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::inventory::doc;

    /// Every inventory of the tests, samples included, is accepted by one format's
    /// detection at most: which format reads a file never depends on the table's order.
    #[test]
    fn detection_is_exclusive() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inventories");
        let mut files = Vec::new();
        for dir in [root.clone(), root.join("samples")] {
            for entry in std::fs::read_dir(dir).expect("inventories") {
                let path = entry.expect("entry").path();
                if path.is_file() {
                    files.push(path);
                }
            }
        }
        assert!(files.len() > 40, "{}", files.len());
        for path in files {
            let text = std::fs::read_to_string(&path).expect("text");
            let text = text.trim_start_matches('\u{feff}');
            let json = matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['));
            let per_document: Vec<Vec<&str>> = if json {
                let Ok(documents) = doc::documents(text) else {
                    continue;
                };
                documents
                    .iter()
                    .map(|d| {
                        let sample = doc::sample(d.doc());
                        Format::ALL
                            .iter()
                            .filter(
                                |f| matches!(f.detect, Detect::Json(accepts) if accepts(&sample)),
                            )
                            .map(|f| f.name)
                            .collect()
                    })
                    .collect()
            } else {
                vec![
                    Format::ALL
                        .iter()
                        .filter(|f| matches!(f.detect, Detect::Text(accepts) if accepts(text)))
                        .map(|f| f.name)
                        .collect(),
                ]
            };
            for accepting in per_document {
                assert!(accepting.len() <= 1, "{}: {accepting:?}", path.display());
            }
        }
    }

    #[test]
    fn names_are_unique_and_clap_reads_them() {
        use clap::ValueEnum;
        for (i, f) in Format::ALL.iter().enumerate() {
            assert!(
                Format::ALL[..i].iter().all(|g| g.name != f.name),
                "{} twice",
                f.name
            );
            assert_eq!(Format::from_str(f.name, false), Ok(*f));
            assert_eq!(Format::named(f.name), Some(*f));
        }
        assert_eq!(Format::named("nope"), None);
    }
}
