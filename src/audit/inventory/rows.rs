//! The rows an inventory gives: one [`Discovered`] per resource CIDR, a [`Skipped`] per entry
//! that could not be used, and the [`Inventory`] of both.

use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Tags;
use super::intern::{serialize_opt_str, serialize_str};
use crate::addr::Prefix;

/// What a discovered resource is. A plan's VPCs and subnets are AWS and Alibaba Cloud VPCs
/// and subnets (vSwitches); the other kinds are networks the plan does not allocate, audited
/// for overlaps with what it does (and held by its reservations).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum Kind {
    /// A VPC (AWS, Alibaba Cloud).
    #[serde(rename = "vpc")]
    Vpc,
    /// A subnet, or an Alibaba Cloud vSwitch (read as `vswitch` too).
    #[serde(rename = "subnet", alias = "vswitch")]
    Subnet,
    /// An Azure virtual network.
    #[serde(rename = "azure-vnet")]
    AzureVnet,
    /// A subnet of an Azure virtual network.
    #[serde(rename = "azure-subnet")]
    AzureSubnet,
    /// A Google Cloud VPC network (rows only for the ranges it holds itself: a legacy
    /// network's range, its internal IPv6 range).
    #[serde(rename = "gcp-network")]
    GcpNetwork,
    /// A Google Cloud subnetwork: its primary range and each secondary range.
    #[serde(rename = "gcp-subnetwork")]
    GcpSubnetwork,
    /// An address block another IPAM records (a NetBox prefix).
    #[serde(rename = "prefix")]
    Prefix,
}

impl Kind {
    /// Every kind, in output order.
    pub const ALL: [Kind; 7] = [
        Kind::Vpc,
        Kind::Subnet,
        Kind::AzureVnet,
        Kind::AzureSubnet,
        Kind::GcpNetwork,
        Kind::GcpSubnetwork,
        Kind::Prefix,
    ];

    /// The name used in every output: `vpc`, `subnet`, `azure-vnet`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Vpc => "vpc",
            Kind::Subnet => "subnet",
            Kind::AzureVnet => "azure-vnet",
            Kind::AzureSubnet => "azure-subnet",
            Kind::GcpNetwork => "gcp-network",
            Kind::GcpSubnetwork => "gcp-subnetwork",
            Kind::Prefix => "prefix",
        }
    }

    /// Reads a kind's name, or `vswitch`, in any case.
    pub fn parse(text: &str) -> Option<Kind> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("vswitch") {
            return Some(Kind::Subnet);
        }
        Kind::ALL
            .into_iter()
            .find(|k| text.eq_ignore_ascii_case(k.as_str()))
    }

    /// A VPC or subnet: what a plan's VPCs and subnets are, and what they can hold.
    pub const fn is_cloud(self) -> bool {
        matches!(self, Kind::Vpc | Kind::Subnet)
    }

    /// A network that holds subnets (a VPC, an Azure virtual network, a Google network):
    /// the rows whose `vpc_id` is its ID are its subnets.
    pub const fn is_network(self) -> bool {
        matches!(self, Kind::Vpc | Kind::AzureVnet | Kind::GcpNetwork)
    }

    /// A subnet of a network, named by its `vpc_id`.
    pub const fn is_subnet(self) -> bool {
        matches!(self, Kind::Subnet | Kind::AzureSubnet | Kind::GcpSubnetwork)
    }

    /// Whether a resource of this kind lies in one region (a Google Cloud VPC network is
    /// global: it takes no region from its subnetworks).
    pub const fn is_regional(self) -> bool {
        !matches!(self, Kind::GcpNetwork)
    }

    /// The ID of the network a row of this kind belongs to: its own for a network, its
    /// `vpc_id` for a subnet, none for a prefix.
    pub fn network_of<'r>(self, id: &'r str, vpc_id: Option<&'r str>) -> Option<&'r str> {
        if self.is_network() {
            Some(id)
        } else if self.is_subnet() {
            vpc_id
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
    /// What the resource is.
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
    /// For a subnet (of any kind), the ID of the network it belongs to.
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
