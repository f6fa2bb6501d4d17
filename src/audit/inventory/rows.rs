//! The rows an inventory gives: one [`Discovered`] per resource CIDR, a [`Skipped`] per entry
//! that could not be used, and the [`Inventory`] of both.

use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Tags;
use super::intern::{serialize_opt_str, serialize_str};
use crate::addr::Prefix;

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
