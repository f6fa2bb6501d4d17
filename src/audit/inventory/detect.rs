//! Recognising a format from content, and the whole-file errors: invalid JSON located by
//! line and column, an unknown or mistaken format said with what was found and what would do.

use serde_json::Value;

use super::{FORMAT_NAME, Format, json};
use crate::diag::Diag;

pub(super) const FORMATS_HELP: &str = "supported inventories: the native JSON format (\"format\": \"ipam-inventory\"), \
CSV with an id,type,cidr,... header, `aws ec2 describe-vpcs` / `describe-subnets` output, \
Alibaba Cloud DescribeVpcs / DescribeVSwitches responses, Terraform state v4; \
force one with --format";

pub(super) fn first_line(text: &str) -> String {
    let line = text.trim_start().lines().next().unwrap_or("").trim_end();
    let mut short: String = line.chars().take(60).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// "FILE:LINE:COLUMN: not valid JSON: …" with serde_json's own position; for JSON of the
/// wrong shape (the native reader's document level), "FILE:LINE:COLUMN: …" alone.
pub(super) fn json_error(source: &str, e: &serde_json::Error) -> Box<Diag> {
    let message = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let message = message.strip_suffix(&position).unwrap_or(&message);
    let (what, help) = if e.is_eof() {
        (
            "not valid JSON: ",
            "the file ends in the middle of a JSON value: it was probably cut short; export it again",
        )
    } else if e.is_data() {
        (
            "",
            "see the native inventory format in schemas/, or name another format with --format",
        )
    } else {
        (
            "not valid JSON: ",
            "fix the JSON at that place, or export the inventory again",
        )
    };
    Box::new(
        Diag::error(
            "ipam::audit::json",
            format!("{source}:{}:{}: {what}{message}", e.line(), e.column()),
        )
        .help(help),
    )
}

/// Why a JSON document is not an inventory this reader knows.
#[derive(Debug)]
pub(super) enum Unrecognized {
    IpamListing(String),
    TerraformShow,
    Keys(Vec<String>),
    /// Not an object, or a list without objects: what it is.
    Shape(&'static str),
}

impl Unrecognized {
    pub(super) fn diag(self, source: &str) -> Box<Diag> {
        let d = match self {
            Unrecognized::IpamListing(key) => Diag::error(
                "ipam::audit::format",
                format!(
                    "{source} is an IPAM listing (`{key}`), not an inventory of VPCs and subnets"
                ),
            )
            .help(
                "export the networks themselves: `aws ec2 describe-vpcs` and \
                 `aws ec2 describe-subnets` (or Alibaba's DescribeVpcs and DescribeVSwitches); \
                 pools belong in the plan",
            ),
            Unrecognized::TerraformShow => Diag::error(
                "ipam::audit::format",
                format!("{source} is `terraform show -json` output, not a Terraform state"),
            )
            .help("pass the state itself: `terraform state pull > state.json`"),
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
                .help(FORMATS_HELP)
            }
            Unrecognized::Shape(shape) => Diag::error(
                "ipam::audit::format",
                format!("{source} is not an inventory format ipam knows: {shape}"),
            )
            .help(FORMATS_HELP),
        };
        Box::new(d)
    }
}

/// The format of a parsed JSON document.
pub(super) fn detect_value(value: &Value) -> Result<Format, Unrecognized> {
    let value = json::unwrap_response(value);
    match value {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str) == Some(FORMAT_NAME) {
                return Ok(Format::Native);
            }
            if let Some(key) = map
                .keys()
                .find(|k| k.len() > 4 && k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("ipam")))
            {
                return Err(Unrecognized::IpamListing(key.clone()));
            }
            if map.contains_key("version")
                && ["resources", "terraform_version", "lineage"]
                    .iter()
                    .any(|k| map.contains_key(*k))
            {
                return Ok(Format::Terraform);
            }
            if map.contains_key("format_version") && map.contains_key("values") {
                return Err(Unrecognized::TerraformShow);
            }
            if let Some(vpcs) = json::get(value, "Vpcs").or_else(|| json::get(value, "vpcSet")) {
                return Ok(if json::wraps(vpcs, "Vpc") {
                    Format::AlibabaVpcs
                } else {
                    Format::AwsVpcs
                });
            }
            if json::get(value, "VSwitches").is_some() {
                return Ok(Format::AlibabaVSwitches);
            }
            if ["Subnets", "Subnet", "subnetSet"]
                .iter()
                .any(|k| json::get(value, k).is_some())
            {
                return Ok(Format::AwsSubnets);
            }
            if json::get(value, "Vpc").is_some_and(Value::is_object) {
                return Ok(Format::AwsVpcs);
            }
            let mut keys: Vec<String> = map.keys().cloned().collect();
            keys.sort();
            Err(Unrecognized::Keys(keys))
        }
        Value::Array(items) => {
            let Some(first) = items.iter().find(|v| v.is_object()) else {
                // An empty list: nothing to read in any format, so any list format will do.
                return if items.is_empty() {
                    Ok(Format::AwsVpcs)
                } else {
                    Err(Unrecognized::Shape(
                        "it is a list of values, not of resources",
                    ))
                };
            };
            let has = |k: &str| json::get(first, k).is_some();
            if has("VSwitchId") {
                Ok(Format::AlibabaVSwitches)
            } else if has("SubnetId") {
                Ok(Format::AwsSubnets)
            } else if has("VpcId") && (has("VRouterId") || has("RegionId") || has("VpcName")) {
                Ok(Format::AlibabaVpcs)
            } else if has("VpcId") {
                Ok(Format::AwsVpcs)
            } else {
                let mut keys: Vec<String> = first
                    .as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                keys.sort();
                Err(Unrecognized::Keys(keys))
            }
        }
        _ => Err(Unrecognized::Shape("it is a single value, not an object")),
    }
}
